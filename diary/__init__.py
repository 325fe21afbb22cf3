"""Block Diary: pain diaries after diagnostic medial branch blocks."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, abort, g, render_template, request
from flask.cli import AppGroup
from flask.globals import request_ctx
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.routing import IntegerConverter

from diary.api.problems import problem_response
from diary.config import check_production, load_settings, profile_name
from diary.extensions import (
    CONTENT_SECURITY_POLICY,
    SVG_CHART_POLICY,
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
    """The app for the profile in BLOCK_DIARY_ENV, or ``test_config["PROFILE"]`` (testing
    when a test config names none). Raises ConfigError, one line, on an unsafe setting."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    if test_config is None:
        profile = profile_name(os.environ)
    else:
        profile = test_config.get("PROFILE", "testing")
    app.config.from_mapping(load_settings(profile, os.environ, app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.from_mapping(test_config)
    check_production(app.config)

    from diary.logs import configure_logging

    configure_logging(app)
    from diary.health import HealthChecksOnAnyHost
    from diary.proxies import TrustedProxyFix

    # Innermost: a health check's Host is made trusted after the proxy's headers applied.
    app.wsgi_app = HealthChecksOnAnyHost(app)  # type: ignore[method-assign]
    if app.config["PROXY_HOPS"]:
        app.wsgi_app = TrustedProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, app.config["PROXY_HOPS"], app.config["FORWARDED_ALLOW_IPS"]
        )
    register_extensions(app)
    register_blueprints(app)
    register_error_pages(app)
    register_template_helpers(app)
    register_commands(app)
    return app


# What patient data travels as: never stored by a cache (the chart, with its ETag, and the
# static files choose their own caching).
RECORD_TYPES = {
    "text/html",
    "text/csv",
    "text/calendar",
    "application/pdf",
    "application/json",
    "application/problem+json",
    "application/fhir+json",
    "application/schema+json",
    "application/manifest+json",  # a diary's manifest: its token is in start_url
}


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    # Registered before Talisman's, so it runs after it (Flask runs them in reverse).
    @app.after_request
    def no_referrer_without_forms(response):
        # A diary page's URL is its token: where no same-site form needs the Referer (for
        # CSRF over https), the browser is told to send none at all.
        if request.blueprint in ("patient", "followup") and not g.get("page_has_forms"):
            response.headers["Referrer-Policy"] = "no-referrer"
        return response

    @app.after_request
    def no_store_for_records(response):
        # Pages, files and answers about patients stay out of every cache (the browser's,
        # a proxy's, the back button's); a view that chose its own caching keeps it.
        if response.mimetype in RECORD_TYPES and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.after_request
    def svg_chart_keeps_its_styles(response):
        # Runs after Talisman's: the SVG chart's own policy replaces the pages' one.
        if g.get("svg_chart") and response.mimetype == "image/svg+xml":
            response.headers["Content-Security-Policy"] = SVG_CHART_POLICY
        return response

    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        force_https=False,  # TLS ends at the proxy; HSTS is sent on HTTPS requests
        strict_transport_security=True,
        frame_options="DENY",
        # Same-origin: Flask-WTF checks the Referer of every form over https, and a page's
        # address (a diary token, a patient id) never leaves the site.
        referrer_policy="same-origin",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )
    from diary.i18n import register_language_switch, select_locale

    babel.init_app(app, locale_selector=select_locale)
    register_language_switch(app)

    from diary.auth.login_sessions import register_user_loaders

    register_user_loaders(login_manager)


# Each SQLite connection's page cache, in KiB (SQLite's default is 2,000).
SQLITE_CACHE_KIB = 512


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers and a writer overlap.
    # With WAL, synchronous=NORMAL syncs at checkpoints, not at every commit: a committed
    # entry survives the app's crash or restart (only an OS crash or power cut could lose
    # the last commits); production runs on PostgreSQL, whose commits are synced.
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # A page cache of 512 KiB a connection, not SQLite's 2 MB: a worker's threads each hold
    # a connection, and reading diaries at random filled each cache (8 MB a worker with 4
    # threads), while the file's pages stay in the OS's cache, shared by all. The patient
    # page's and the CSV export's CPU time are the same with either (bench/NOTES.md).
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def _has_nul(value) -> bool:
    return isinstance(value, str) and "\x00" in value


def refuse_nul_characters() -> None:
    """No text we store may hold NUL (PostgreSQL refuses it): refuse such requests whole.
    An API body is left to the API, whose models refuse it naming the field (a 422)."""
    values = [*request.args.values(), *(request.view_args or {}).values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
    api_body = request.blueprint == "api"
    if any(_has_nul(value) for value in values) or (
        request.is_json and not api_body and _json_has_nul()
    ):
        abort(400)


def _json_has_nul() -> bool:
    # Read as text, not parsed: JSON can only carry NUL as the escape \u0000, and parsing
    # here would meet a body nested 100,000 deep before the API's own bounded parser.
    raw = request.get_data(cache=True)
    return b"\x00" in raw or b"\\u0000" in raw


class RowId(IntegerConverter):
    """Ids in URLs: whole numbers that fit the database's integer, else a plain 404. The
    pattern itself takes only 1 to 2**31 - 1, so that an address with another number
    matches no route whatever the method (a 404, never a 405 where GET answers 404)."""

    regex = (
        r"(?:[1-9]\d{0,8}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}"
        r"|21474[0-7]\d{4}|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])"
    )

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = RowId
    app.before_request(refuse_nul_characters)

    from diary.api import bp as api_bp
    from diary.auth.routes import bp as auth_bp
    from diary.clinic import bp as clinic_bp
    from diary.patient.followup import bp as followup_bp
    from diary.patient.routes import bp as patient_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(clinic_bp)
    app.register_blueprint(patient_bp)
    app.register_blueprint(followup_bp)
    from diary.health import bp as health_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(health_bp)


class DatabaseUnavailable(ServiceUnavailable):
    title = _l("Not available for a moment")
    description = _l("Nothing was saved. Please try again in a moment.")
    retry_after = 5


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
        503: (
            _l("Not available on this server"),
            _l("PDF reports need the Pango library here; the printable page works."),
        ),
        500: (_l("Something went wrong"), _l("Your data is safe. Please try again in a moment.")),
    }

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        title, message = messages.get(code, messages[500])
        headers = {}
        if getattr(error, "title", None):  # an outage that says what it is (503)
            title, message = error.title, error.description
            headers["Retry-After"] = str(error.retry_after)
        limit = getattr(error, "limit", None)
        if limit is not None and limit.error_message:  # a limit that says what it limits
            message = error.description
        if request.path.startswith("/api/"):
            response = problem_response(code, str(message))
            response.headers.update(headers)
            if code == 405 and getattr(error, "valid_methods", None):
                # Which methods the address takes: RFC 9110 requires it with a 405.
                response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
            return response
        if request_ctx.url_adapter is None:  # a Host not trusted: no page URL can be built
            headers["Content-Type"] = "text/plain; charset=utf-8"
            return f"{title}. {message}", code, headers
        return render_template("error.html", title=title, message=message), code, headers

    for code in messages:
        app.register_error_handler(code, render_error)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unreachable(error):
        # 503, not 500: nginx takes a host whose database does not answer out of the
        # upstream, and retries the request (an entry too: it is idempotent) elsewhere.
        db.session.rollback()
        app.logger.error("database unreachable: %s", type(error.orig).__name__)
        return render_error(DatabaseUnavailable())

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

    from diary import formatting, i18n, models

    app.jinja_env.filters.update(formatting.FILTERS)
    app.jinja_env.filters["patient_time"] = i18n.patient_time
    app.jinja_env.globals.update(formatting.GLOBALS)
    # The app's one clock, looked up when called (the tests set it: tests/conftest.py's clock).
    app.jinja_env.globals["now"] = lambda: models.utcnow()
    app.jinja_env.globals.update(i18n.patient_words(), LANGUAGES=i18n.LANGUAGES)

    @app.context_processor
    def language():
        return {"current_language": str(get_locale() or "en")}


class CommandsOnDemand(AppGroup):
    """The app's `flask` commands, their modules (backups, demo data, reminders) loaded
    when the command line first asks for one: a web worker never runs them."""

    def __init__(self, app: Flask):
        super().__init__(app.name)
        self.commands.update(app.cli.commands)  # those added before (Flask-Migrate's db)
        self._app: Flask | None = app

    def _register(self) -> None:
        if self._app is not None:
            app, self._app = self._app, None
            from diary.cli import register

            register(app)

    def get_command(self, ctx, cmd_name):
        self._register()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        self._register()
        return super().list_commands(ctx)


def register_commands(app: Flask) -> None:
    app.cli = CommandsOnDemand(app)
