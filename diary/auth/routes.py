"""Clinician sign-in and sign-out."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from diary.auth.forms import EmptyForm, LoginForm
from diary.extensions import db, limiter
from diary.models import User
from diary.services import record_audit

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site; anything with a scheme or host goes to the dashboard."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("clinic.dashboard")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit,
    methods=["POST"],
    error_message="Too many sign-in attempts. Please wait a minute and try again.",
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("clinic.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.execute(
            select(User).where(func.lower(User.email) == email)
        ).scalar_one_or_none()
        if user is not None and user.active and user.check_password(form.password.data):
            # A fresh session at sign-in: nothing from before it survives.
            session.clear()
            session.permanent = True
            login_user(user)
            record_audit("login", by=user, target=user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        record_audit(
            "login.failed",
            clinic_id=user.clinic_id if user else None,
            actor="anonymous",
            detail={"known_account": user is not None},
        )
        db.session.commit()
        flash("That email and password do not match an account.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        record_audit("logout", by=current_user, target=current_user)
        db.session.commit()
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
