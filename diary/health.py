"""What a load balancer and an orchestrator ask: is the process up, can it serve?"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from diary.extensions import db, limiter

bp = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


HEALTH_PATHS = ("/healthz", "/readyz")


class HealthChecksOnAnyHost:
    """/healthz and /readyz answer whatever Host they are asked with (a container's own
    check asks 127.0.0.1, a balancer an address): they carry no link, so the host of
    PUBLIC_URL stands in for it. Every other request still meets TRUSTED_HOSTS."""

    def __init__(self, app: Flask):
        self.wsgi_app = app.wsgi_app
        self.host = urlsplit(app.config["PUBLIC_URL"]).netloc

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") in HEALTH_PATHS and self.host:
            environ["HTTP_HOST"] = self.host
        return self.wsgi_app(environ, start_response)


@cache
def migration_head() -> str:
    """The newest migration this code ships (read once: the files do not change)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head() or ""


@bp.get("/healthz")
def healthz():
    """The process answers (it does not touch the database)."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the database answers and its schema is this code's."""
    try:
        applied = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.warning("readyz: the database did not answer or has no schema")
        return {"status": "unavailable", "reason": "database unreachable or not migrated"}, 503
    if applied != migration_head():
        return {
            "status": "unavailable",
            "reason": "database schema is not at this code's migration head",
            "database": applied,
            "code": migration_head(),
        }, 503
    store = limiter.store_problem()
    if store:
        current_app.logger.warning("readyz: the rate-limit store does not answer")
        return {
            "status": "unavailable",
            "reason": f"rate-limit store unreachable ({store}): sign-in is refused meanwhile",
            "store": masked_store(current_app.config["RATELIMIT_STORAGE_URI"]),
        }, 503
    return {"status": "ok", "migration": applied}


def masked_store(uri: str) -> str:
    """The store's address as it may be shown: no password."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    host = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return parts._replace(netloc=user + host).geturl()
