"""Every Flask extension, created once here and bound in ``create_app``."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class Migrations:
    """Flask-Migrate, imported when a migration runs (``flask db …``, or its functions
    called from code), not at start-up: it brings alembic in, a sixth of the start-up time
    of a server that never migrates."""

    def init_app(self, app, db: SQLAlchemy, directory: str) -> None:
        app.extensions["migrate"] = _MigrationConfig(db, directory)
        import click

        if click.get_current_context(silent=True) is not None:  # the `flask` command line
            from flask_migrate.cli import db as commands  # type: ignore[import-untyped]

            app.cli.add_command(commands, name="db")


class _MigrationConfig:
    """What Flask-Migrate reads from ``app.extensions["migrate"]``, made on first read."""

    def __init__(self, db: SQLAlchemy, directory: str):
        self._db, self._directory, self._config = db, directory, None

    def __getattr__(self, name: str):
        if self._config is None:
            from flask_migrate import Migrate, _MigrateConfig

            migrate = Migrate(db=self._db, directory=self._directory, render_as_batch=True)
            self._config = _MigrateConfig(migrate, self._db, **migrate.alembic_ctx_kwargs)
        return getattr(self._config, name)


migrate = Migrations()
csrf = CSRFProtect()
babel = Babel()
talisman = Talisman()
# Storage from RATELIMIT_STORAGE_URI: memory for one process, redis:// for several. The
# key is the client address, which ProxyFix takes from the trusted proxy (PROXY_HOPS).
limiter = Limiter(key_func=get_remote_address)


def _diary_token() -> str:
    """What the diary link's limit counts by: the token in the path (the address where
    there is none), so one link cannot flood the clinic whatever addresses it comes from."""
    token = (request.view_args or {}).get("token")
    return f"diary:{token}" if token else get_remote_address()


# Every request that carries a diary token, the patient's pages and the API's alike,
# draws on one quota per token (DIARY_RATE_LIMIT).
diary_token_limit = limiter.shared_limit(
    lambda: current_app.config["DIARY_RATE_LIMIT"],
    scope="diary-token",
    key_func=_diary_token,
    error_message="Too many requests for this diary. Please wait a minute and try again.",
)

# No inline script or style anywhere; pages may not be framed.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "manifest-src": "'self'",
    "worker-src": "'self'",
}
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see the clinic's diaries."
