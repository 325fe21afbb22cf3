"""API tokens: made once, stored hashed, revoked by their owner or an admin."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from diary.extensions import db
from diary.models import (
    ApiToken,
    User,
    utcnow,
)
from diary.services.audit import record_audit


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# How long a token works unless its maker chooses otherwise (API_TOKEN_DAYS).
TOKEN_LIFETIME = timedelta(days=90)


def create_api_token(
    user: User, name: str, lifetime: timedelta = TOKEN_LIFETIME, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new clinic token; the plain value is returned once and never stored."""
    plain = "bd_" + secrets.token_urlsafe(32)
    now = now or utcnow()
    token = ApiToken(
        clinic_id=user.clinic_id,
        user_id=user.id,
        name=name.strip()[:100],
        token_hash=hash_token(plain),
        prefix=plain[:10],
        created_at=now,
        expires_at=now + lifetime,
    )
    db.session.add(token)
    db.session.flush()
    record_audit("token.create", by=user, target=token)
    return token, plain


# "Last used" on the tokens page is kept to the minute: no write on every API call.
TOKEN_USE_PRECISION = timedelta(minutes=1)


def user_for_token(plain: str, now: datetime | None = None) -> User | None:
    """The user behind a valid token: unrevoked, unexpired, of an active account (the
    token also marks its last use)."""
    token = db.session.execute(
        select(ApiToken).filter_by(token_hash=hash_token(plain))
    ).scalar_one_or_none()
    now = now or utcnow()
    if token is None or not token.usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_PRECISION:
        token.last_used_at = now  # the caller commits (the API does, before the view runs)
    return token.user


def revoke_api_token(token: ApiToken, by: User, now: datetime | None = None) -> None:
    token.revoked_at = now or utcnow()
    record_audit("token.revoke", by=by, target=token)


def revoke_tokens_of(user: User, by: User, now: datetime | None = None) -> None:
    """Revoke every token ``user`` made: their sign-ins end, so do their tokens."""
    now = now or utcnow()
    tokens = db.session.execute(
        select(ApiToken).filter_by(user_id=user.id, revoked_at=None)
    ).scalars()
    for token in tokens:
        revoke_api_token(token, by=by, now=now)
