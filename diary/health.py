"""What a load balancer and an orchestrator ask: is the process up, can it serve?"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from diary.extensions import db

bp = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
    return {"status": "ok", "migration": applied}
