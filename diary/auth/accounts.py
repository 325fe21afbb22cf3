"""Clinics and clinicians: sign-in with lockout, passwords, new accounts."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select

from diary.auth.login_sessions import end_all
from diary.auth.passwords import password_problem
from diary.extensions import db
from diary.models import (
    Clinic,
    User,
    utcnow,
)
from diary.services.audit import record_audit
from diary.services.tokens import revoke_tokens_of


def create_clinic(name: str, timezone: str, diary_link_hours: int) -> Clinic:
    clinic = Clinic(name=name.strip(), timezone=timezone, diary_link_hours=diary_link_hours)
    db.session.add(clinic)
    db.session.flush()
    return clinic


def create_user(clinic: Clinic, email: str, name: str, password: str, role: str) -> User:
    """An account with a password chosen by whoever sets the clinic up (CLI, demo)."""
    user = User(clinic_id=clinic.id, email=email.strip().lower(), name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


LOCKOUT_AFTER = 10


# Short on purpose: a lockout must not let anyone keep a clinician out for long.
LOCKOUT_FOR = timedelta(minutes=15)


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """The active user with these credentials, counting failures towards a short lockout."""
    now = now or utcnow()
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active:
        User.check_no_password(password)  # every failure takes one hash's time
        record_audit("login.failed", actor="anonymous", detail={"known_account": False})
        return None
    if is_locked(user, now):
        User.check_no_password(password)
        record_audit("login.locked", target=user, actor="anonymous", clinic_id=user.clinic_id)
        return None
    if not user.check_password(password):
        count_failed_sign_in(user, now)
        return None
    if user.totp_secret:
        return user  # the password was right; the sign-in waits for the second factor
    finish_sign_in(user)
    return user


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def count_failed_sign_in(user: User, now: datetime | None = None, **detail) -> None:
    """One more failure towards the account's short lockout (password or second factor)."""
    user.failed_logins += 1
    if user.failed_logins >= LOCKOUT_AFTER:
        user.locked_until, user.failed_logins = (now or utcnow()) + LOCKOUT_FOR, 0
    record_audit(
        "login.failed",
        target=user,
        actor="anonymous",
        clinic_id=user.clinic_id,
        detail={"known_account": True, **detail},
    )


def finish_sign_in(user: User) -> None:
    """Every factor checked: the failures count from zero again."""
    user.failed_logins, user.locked_until = 0, None
    record_audit("login", by=user, target=user)


class PasswordRejected(ValueError):
    pass


def set_password(user: User, password: str) -> None:
    """Set a password that meets the policy; every other session of the user ends."""
    problem = password_problem(password, user.email, user.name)
    if problem:
        raise PasswordRejected(problem)
    user.set_password(password)
    user.must_change_password = False
    user.session_version += 1
    revoke_tokens_of(user, by=user)


def create_clinician(
    clinic: Clinic, email: str, name: str, role: str, by: User
) -> tuple[User, str]:
    """An account made by the clinic admin, with a one-time password to hand over."""
    email = email.strip().lower()
    if db.session.execute(select(User).filter_by(email=email)).scalar_one_or_none():
        # Recorded so that probing which addresses have accounts shows in the audit log.
        record_audit("user.create.refused", by=by, detail={"reason": "email taken"})
        raise PasswordRejected("An account with this email already exists.")
    user = User(
        clinic_id=clinic.id, email=email, name=name.strip(), role=role, must_change_password=True
    )
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_audit("user.create", by=by, target=user, detail={"role": role})
    return user, password


def sign_out_everywhere(user: User, by: User) -> None:
    """End every sign-in of ``user`` on every host (the caller commits)."""
    user.session_version += 1
    end_all(user)
    revoke_tokens_of(user, by=by)
    record_audit("user.sign_out_everywhere", by=by, target=user)
