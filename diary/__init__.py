"""Block Diary: pain diaries after diagnostic medial branch blocks."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from diary.api.problems import problem_response
from diary.config import check_production, from_environment
from diary.extensions import (
    CONTENT_SECURITY_POLICY,
    babel,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
    talisman,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(from_environment(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    check_production(app.config)

    register_extensions(app)
    register_blueprints(app)
    register_error_pages(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        force_https=False,  # TLS ends at the proxy; HSTS is sent on HTTPS requests
        strict_transport_security=True,
        frame_options="DENY",
        referrer_policy="no-referrer",  # diary links carry their token
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    from diary.i18n import register_language_switch, select_locale

    babel.init_app(app, locale_selector=select_locale)
    register_language_switch(app)

    from diary.models import User

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, version = session_id.partition(".")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.active or user.session_version != int(version):
            return None
        return user

    @login_manager.request_loader
    def load_api_user(request) -> User | None:
        # Bearer tokens authenticate the JSON API only, never the HTML pages.
        if request.blueprint != "api":
            return None
        from diary.api.routes import bearer_token
        from diary.services import user_for_token

        token = bearer_token()
        if not token:
            return None
        user = user_for_token(token)
        db.session.commit()  # at the start of the request: only the token's last use
        return user


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers and a writer overlap.
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def refuse_nul_characters() -> None:
    """No text we store may hold NUL (PostgreSQL refuses it): refuse such requests whole."""
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    if request.is_json:
        values.append(request.get_json(silent=True))
    if any(_has_nul(value) for value in values):
        abort(400)


class RowId(IntegerConverter):
    """Ids in URLs: whole numbers that fit the database's integer, else a plain 404."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowId
    app.before_request(refuse_nul_characters)

    from diary.api.routes import bp as api_bp
    from diary.auth.routes import bp as auth_bp
    from diary.clinic.routes import bp as clinic_bp
    from diary.patient.routes import bp as patient_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(clinic_bp)
    app.register_blueprint(patient_bp)
    app.register_blueprint(api_bp)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}


def register_error_pages(app: Flask) -> None:
    messages = {
        400: (_l("Something in that request was not right"), _l("Please go back and try again.")),
        403: (_l("Not allowed"), _l("You do not have access to this page.")),
        404: (_l("Not found"), _l("This page does not exist, or you do not have access to it.")),
        405: (_l("Not allowed"), _l("That action is not available here.")),
        410: (
            _l("This diary link is closed"),
            _l("Please contact your clinic if you still need to log."),
        ),
        413: (_l("Too large"), _l("That request was larger than the clinic accepts.")),
        429: (_l("Too many attempts"), _l("Please wait a minute and try again.")),
        500: (_l("Something went wrong"), _l("Your data is safe. Please try again in a moment.")),
    }

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        title, message = messages.get(code, messages[500])
        if request.path.startswith("/api/"):
            return problem_response(code, str(message))
        return render_template("error.html", title=title, message=message), code

    for code in messages:
        app.register_error_handler(code, render_error)

    @app.errorhandler(CSRFError)
    def csrf_expired(error):
        if request.path.startswith("/api/"):
            return problem_response(
                400,
                "Writes from a browser session need the X-CSRFToken "
                "header; scripts should use a bearer token.",
            )
        message = _l("This page has expired. Please reload it and try again; nothing was saved.")
        return render_template("error.html", title=_l("Please try again"), message=message), 400


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from diary import formatting, i18n

    app.jinja_env.filters.update(formatting.FILTERS)
    app.jinja_env.filters["patient_time"] = i18n.patient_time
    app.jinja_env.globals.update(formatting.GLOBALS)
    app.jinja_env.globals.update(i18n.patient_words(), LANGUAGES=i18n.LANGUAGES)

    @app.context_processor
    def language():
        return {"current_language": str(get_locale() or "en")}


def register_commands(app: Flask) -> None:
    from diary.cli import register

    register(app)
