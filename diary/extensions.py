"""Every Flask extension, created once here and bound in ``create_app``."""

import logging
import threading
import time

from flask import current_app, request
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.exceptions import ServiceUnavailable

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
log = logging.getLogger(__name__)


class LimitStoreUnavailable(ServiceUnavailable):
    """The shared store that counts attempts (Redis) does not answer: a limit that guards
    against guessing refuses rather than let every attempt through."""

    title = _l("Sign-in is paused for a moment")
    description = _l(
        "The server that counts sign-in attempts does not answer, so attempts are not "
        "accepted for now. Please try again in a few minutes."
    )
    retry_after = 30


# The statuses a Retry-After belongs to here: too many requests, not available for now.
RETRY_AFTER_STATUSES = frozenset({429, 503})


def retry_after_only_when_refused(response):
    if response.status_code not in RETRY_AFTER_STATUSES:
        response.headers.pop("Retry-After", None)
    return response


class DiaryLimiter(Limiter):
    """Flask-Limiter whose limits fail closed when their store is down, except the diary
    link's quota, which fails open: a patient's score is never refused because Redis is.

    After a failure the store is not asked again for a few seconds (per process), so an
    unreachable Redis costs one timeout, not one per request.
    """

    RETRY_AFTER_SECONDS = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._store_down_until = 0.0
        self._lock = threading.Lock()

    def init_app(self, app, *args, **kwargs) -> None:
        # Registered before Flask-Limiter's own after-request hook, so run after it (Flask
        # runs them last registered first): that hook puts a Retry-After on every limited
        # answer, a 200 too, where it reads as "come back later".
        app.after_request(retry_after_only_when_refused)
        # A new app has a store of its own: an earlier app's unreachable Redis says
        # nothing of it (the suite makes many apps in one process).
        self._store_down_until = 0.0
        super().init_app(app, *args, **kwargs)

    def _check_request_limit(self, callable_name=None, in_middleware=True) -> None:
        if time.monotonic() < self._store_down_until:
            if self._limits_for_request(callable_name, in_middleware):
                self._store_unreachable()
            return
        try:
            super()._check_request_limit(callable_name, in_middleware)
        except RateLimitExceeded:
            raise
        except Exception as error:  # noqa: BLE001 - redis's, limits' or a socket's own error
            with self._lock:
                if time.monotonic() >= self._store_down_until:
                    log.error("rate-limit store unreachable: %s", type(error).__name__)
                self._store_down_until = time.monotonic() + self.RETRY_AFTER_SECONDS
            self._store_unreachable()

    def _limits_for_request(self, callable_name, in_middleware) -> list:
        # Flask-Limiter's own choice of the request's limits (it reads no storage).
        return self._Limiter__filter_limits(  # type: ignore[attr-defined]
            self.identify_request(), request.blueprint, callable_name, in_middleware
        )

    @staticmethod
    def _store_unreachable() -> None:
        """Let a diary request through unlimited; refuse anything else that is limited."""
        if "token" in (request.view_args or {}):
            return
        raise LimitStoreUnavailable()

    def store_problem(self) -> str | None:
        """Why the shared store cannot be used now (None when it answers or is in memory)."""
        uri = current_app.config.get("RATELIMIT_STORAGE_URI", "memory://")
        if uri.startswith("memory://"):
            return None
        try:
            if self.storage.check():
                return None
        except Exception as error:  # noqa: BLE001 - any failure to answer is the answer
            return type(error).__name__
        return "no answer"


class MemoryStore(MemoryStorage):
    """limits' in-process store, which ``memory://`` names from here on, sweeping expired
    counts at most once a second. Its own sweep starts a timer thread 10 ms after any count
    that finds none running: under steady traffic, a thread started (and waited for) per
    request. A count past its window is dropped when next read either way, so the limits
    count the same; the sweep only frees memory."""

    STORAGE_SCHEME = ["memory"]
    SWEEP_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            sweep = self._MemoryStorage__expire_events  # type: ignore[attr-defined]
            self.timer = threading.Timer(self.SWEEP_SECONDS, sweep)
            self.timer.daemon = True
            self.timer.start()


# Storage from RATELIMIT_STORAGE_URI: memory for one process, redis:// for several. The
# key is the client address, which the app takes from a trusted proxy only
# (FORWARDED_ALLOW_IPS, diary.proxies).
limiter = DiaryLimiter(key_func=get_remote_address)


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

# A chart opened as an SVG document: matplotlib writes its colours as style attributes,
# which the policy above blocks (the chart then draws as a black rectangle). That response
# alone may have inline styles; it may load and run nothing (diary.web.chart_response).
SVG_CHART_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see the clinic's diaries."
