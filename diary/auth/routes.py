"""Clinician sign-in and sign-out."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user

from diary import login_sessions
from diary.auth.forms import ChangePasswordForm, EmptyForm, LoginForm
from diary.extensions import db, limiter
from diary.services import accounts as accounts_service
from diary.services.accounts import (
    PasswordRejected,
    authenticate,
    set_password,
)
from diary.services.audit import record_audit

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
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            login_sessions.begin(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")))
        db.session.commit()
        flash(
            "That email and password do not match an account, or the account is paused "
            "for 15 minutes after repeated failed sign-ins.",
            "error",
        )
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        record_audit("logout", by=current_user, target=current_user)
        login_sessions.end()
        db.session.commit()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


def _wrong_current_password(response) -> bool:
    return bool(g.get("wrong_current_password"))


@bp.route("/account", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["ACCOUNT_PASSWORD_LIMIT"],
    methods=["POST"],
    key_func=lambda: f"account:{current_user.get_id()}",
    deduct_when=_wrong_current_password,  # only guesses of the current password count
    error_message="Too many wrong passwords. Please wait and try again later.",
)
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            g.wrong_current_password = True
            form.current_password.errors.append("That is not your current password.")
        else:
            try:
                set_password(current_user, form.new_password.data)
            except PasswordRejected as rejected:
                form.new_password.errors.append(str(rejected))
            else:
                record_audit("user.password", by=current_user, target=current_user)
                login_sessions.end_all(current_user, keep_this_one=True)
                db.session.commit()
                login_user(current_user)  # this session continues; all others end
                flash("Password changed. You are signed out everywhere else.", "success")
                return redirect(url_for("auth.account"))
    status = 400 if form.errors else 200
    return render_template("auth/account.html", form=form, action_form=EmptyForm()), status


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if EmptyForm().validate_on_submit():
        accounts_service.sign_out_everywhere(current_user, by=current_user)
        login_sessions.end()
        db.session.commit()
        flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"))
