"""The clinic's blueprint: every page behind it needs a signed-in clinician."""

from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("clinic", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page of this blueprint needs a signed-in clinician."""
