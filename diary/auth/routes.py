"""Clinician sign-in and sign-out."""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user

from diary.auth import accounts as accounts_service
from diary.auth import login_sessions, two_factor
from diary.auth.accounts import (
    PasswordRejected,
    authenticate,
    set_password,
)
from diary.auth.forms import (
    ChangePasswordForm,
    CurrentPasswordForm,
    EmptyForm,
    LoginForm,
    SecondFactorForm,
    TwoFactorSetupForm,
)
from diary.extensions import db, limiter
from diary.models import User, utcnow
from diary.qr import qr_svg
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


sign_in_attempts_limited = limiter.limit(
    _login_limit,
    methods=["POST"],
    error_message="Too many sign-in attempts. Please wait a minute and try again.",
)
# Between the password and the code: long enough to open the app, short enough that a
# browser left at the code page is not half signed in for long.
SECOND_FACTOR_WAIT = timedelta(minutes=5)
PENDING = "second_factor"


@bp.route("/login", methods=["GET", "POST"])
@sign_in_attempts_limited
def login():
    if current_user.is_authenticated:
        return redirect(url_for("clinic.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None and user.totp_secret:
            db.session.commit()
            session.clear()
            session[PENDING] = {
                "user": user.get_id(),
                "since": utcnow().timestamp(),
                "next": safe_next(request.args.get("next")),
            }
            return redirect(url_for("auth.second_factor"))
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


def _pending_user() -> User | None:
    """Whose password was right in this browser a moment ago, awaiting the code."""
    pending = session.get(PENDING)
    if not pending or utcnow().timestamp() - pending["since"] > SECOND_FACTOR_WAIT.total_seconds():
        return None
    user_id = str(pending["user"]).partition(".")[0]
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.get_id() != pending["user"]:
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@sign_in_attempts_limited
def second_factor():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash("Sign in again: the code is asked for within 5 minutes of the password.", "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if not accounts_service.is_locked(user) and two_factor.check_second_factor(
            user, form.code.data
        ):
            target = session[PENDING]["next"]
            accounts_service.finish_sign_in(user)
            login_sessions.begin(user)
            db.session.commit()
            return redirect(target)
        accounts_service.count_failed_sign_in(user, second_factor=True)
        db.session.commit()
        form.code.errors.append(
            "That code does not match, was used already, or the account is paused for "
            "15 minutes after repeated failed sign-ins."
        )
        return render_template("auth/second_factor.html", form=form), 401
    return render_template("auth/second_factor.html", form=form), 400 if form.errors else 200


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


current_password_guesses_limited = limiter.limit(
    lambda: current_app.config["ACCOUNT_PASSWORD_LIMIT"],
    methods=["POST"],
    # The user alone, not the session version: signing out everywhere starts no new quota.
    key_func=lambda: f"account:{getattr(current_user, 'id', None)}",
    deduct_when=_wrong_current_password,  # only guesses of the current password count
    error_message="Too many wrong passwords. Please wait and try again later.",
)


def _current_password_checked(form) -> bool:
    """The form's current password is right; a wrong one counts towards the limit."""
    if current_user.check_password(form.current_password.data):
        return True
    g.wrong_current_password = True
    form.current_password.errors.append("That is not your current password.")
    return False


@bp.route("/account", methods=["GET", "POST"])
@current_password_guesses_limited
@login_required
def account():
    form = ChangePasswordForm()
    if form.validate_on_submit() and _current_password_checked(form):
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
    return (
        render_template(
            "auth/account.html",
            form=form,
            action_form=EmptyForm(),
            recovery_codes_left=two_factor.unused_recovery_codes(current_user),
        ),
        status,
    )


def _setup_page(
    form, status: int = 200, recovery_codes: list[str] | None = None, password_form=None
):
    secret = None if current_user.totp_secret else login_sessions.pending_totp_secret()
    uri = two_factor.setup_uri(current_user, secret) if secret else None
    return (
        render_template(
            "auth/two_factor.html",
            form=form,
            password_form=password_form or CurrentPasswordForm(),
            secret=secret,
            qr=qr_svg(uri) if uri else None,
            recovery_codes=recovery_codes,
            recovery_codes_left=two_factor.unused_recovery_codes(current_user),
        ),
        status,
    )


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Turn on sign-in codes: scan the QR code, type the code the app shows."""
    form = TwoFactorSetupForm()
    if current_user.totp_secret:
        return _setup_page(form)
    # The secret shown waits for the app's first code with the sign-in on the server,
    # never in the cookie (signed, not encrypted: a copy would give the codes away).
    secret = login_sessions.pending_totp_secret()
    if not form.is_submitted() or not secret:
        secret = two_factor.new_secret()
        login_sessions.keep_pending_totp_secret(secret)
        db.session.commit()
    if form.validate_on_submit():
        try:
            codes = two_factor.turn_on(current_user, secret, form.code.data)
        except two_factor.CodeRejected as rejected:
            form.code.errors.append(str(rejected))
        else:
            login_sessions.keep_pending_totp_secret(None)
            db.session.commit()
            flash("Two-factor sign-in is on.", "success")
            return _setup_page(form, recovery_codes=codes)
    return _setup_page(form, 400 if form.errors else 200)


@bp.post("/account/two-factor/<any(off, 'recovery-codes'):action>")
@current_password_guesses_limited
@login_required
def two_factor_change(action: str):
    """Turn codes off, or replace the recovery codes: both need the password."""
    form = CurrentPasswordForm()
    if not current_user.totp_secret:
        return redirect(url_for("auth.two_factor_setup"))
    if form.validate_on_submit() and _current_password_checked(form):
        if action == "off":
            two_factor.turn_off(current_user, by=current_user)
            db.session.commit()
            flash("Two-factor sign-in is off.", "info")
            return redirect(url_for("auth.account"))
        codes = two_factor.new_recovery_codes(current_user)
        record_audit("user.recovery_codes", by=current_user, target=current_user)
        db.session.commit()
        return _setup_page(TwoFactorSetupForm(), recovery_codes=codes)
    return _setup_page(TwoFactorSetupForm(), 400, password_form=form)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    if EmptyForm().validate_on_submit():
        accounts_service.sign_out_everywhere(current_user, by=current_user)
        login_sessions.end()
        db.session.commit()
        flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"))
