"""Two-factor sign-in: a code from an authenticator app (TOTP, RFC 6238) after the
password, or one of the single-use recovery codes when the phone is lost."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, select

from diary.extensions import db
from diary.models import RecoveryCode, User, utcnow
from diary.services.audit import record_audit

RECOVERY_CODES = 10
# A code of the 30 s step before or after is taken too: phones' clocks drift.
CLOCK_DRIFT_STEPS = 1


class CodeRejected(ValueError):
    pass


def new_secret() -> str:
    return pyotp.random_base32()


def setup_uri(user: User, secret: str) -> str:
    """What the authenticator app scans: it names the clinic and the account."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=f"Block Diary ({user.clinic.name})"
    )


def needs_setup(user: User) -> bool:
    """The clinic requires two-factor sign-in and this clinician has not set it up."""
    return user.clinic.require_two_factor and not user.totp_secret


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _hash(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, if any within the allowed drift."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in range(step - CLOCK_DRIFT_STEPS, step + CLOCK_DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def turn_on(user: User, secret: str, code: str, now: datetime | None = None) -> list[str]:
    """Start asking ``user`` for codes of ``secret`` once the app shows one that matches;
    returns the recovery codes, to show once. The caller commits."""
    step = _matching_step(secret, _normalised(code), now or utcnow())
    if step is None:
        raise CodeRejected(
            "That code does not match. Check the phone's time is set automatically, "
            "then type the code the app shows now."
        )
    user.totp_secret, user.totp_last_step = secret, step
    record_audit("user.two_factor.on", by=user, target=user)
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones (the old ones stop working)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    return codes


def unused_recovery_codes(user: User) -> int:
    return db.session.execute(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).scalar_one()


def turn_off(user: User, by: User) -> None:
    """Sign-in asks for the password alone again (the user's choice, or an admin's reset
    for a clinician who lost the phone and the codes). The caller commits."""
    user.totp_secret, user.totp_last_step = None, None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record_audit("user.two_factor.off", by=by, target=user)


def check_second_factor(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is the app's current code (each good once) or an unused recovery
    code (then used up). The caller commits."""
    if not user.totp_secret:
        return False
    code = _normalised(code)
    now = now or utcnow()
    if code.isdigit() and len(code) == 6:
        step = _matching_step(user.totp_secret, code, now)
        if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
            return False
        user.totp_last_step = step
        return True
    recovery = db.session.scalars(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
    ).first()
    if recovery is None:
        return False
    recovery.used_at = now
    record_audit("user.recovery_code_used", by=user, target=user)
    return True
