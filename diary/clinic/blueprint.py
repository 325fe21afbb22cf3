"""The clinic's blueprint: every page behind it needs a signed-in clinician."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from diary.auth.two_factor import needs_setup

bp = Blueprint("clinic", __name__)


@bp.before_request
@login_required
def require_login():
    """Every page of this blueprint needs a signed-in clinician, whose password is their
    own: a one-time password handed over by an admin is changed before anything else,
    and two-factor sign-in is set up first where the clinic requires it."""
    if current_user.must_change_password:
        flash("Choose your own password before you go on.", "info")
        return redirect(url_for("auth.account"))
    if needs_setup(current_user):
        flash("Your clinic requires two-factor sign-in: set it up to go on.", "info")
        return redirect(url_for("auth.two_factor_setup"))
    return None
