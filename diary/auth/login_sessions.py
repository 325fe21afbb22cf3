"""Clinicians' sign-ins as server-side records, so that signing out holds on every host.

The session cookie carries a random key; the ``LoginSession`` row holding its hash is
what signs the request in, and what keeps the sign-in's state between pages (the
dashboard's search, a two-factor secret awaiting confirmation): the cookie is signed,
not encrypted, so nothing a reader of it should not learn goes in it. Signing out
deletes the row (a copy of the cookie taken before is worth nothing after), signing
out everywhere deletes all of a user's rows, and a sign-in ends after
``SESSION_ABSOLUTE_LIFETIME`` however active it is, or after
``PERMANENT_SESSION_LIFETIME`` idle.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, g, request, session
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import contains_eager

from diary.extensions import db
from diary.models import LoginSession, User, utcnow

COOKIE_FIELD = "login_key"
# How often a sign-in's last activity is written: idle time is known to within this.
SEEN_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def begin(user: User, now: datetime | None = None) -> None:
    """Sign ``user`` in on this browser with a fresh session; the caller commits."""
    now = now or utcnow()
    key = secrets.token_urlsafe(32)
    session.clear()  # nothing from before sign-in survives it
    session.permanent = True
    db.session.add(
        LoginSession(key_hash=_hash(key), user_id=user.id, created_at=now, last_seen_at=now)
    )
    _delete_expired(now)
    login_user(user)
    session[COOKIE_FIELD] = key


def end() -> None:
    """Sign this browser out, on every host; the caller commits."""
    key = session.get(COOKIE_FIELD)
    if key:
        db.session.execute(delete(LoginSession).where(LoginSession.key_hash == _hash(key)))
    logout_user()
    session.clear()


def end_all(user: User, keep_this_one: bool = False) -> None:
    """End the user's sign-ins on every device (this one too unless ``keep_this_one``)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    key = session.get(COOKIE_FIELD)
    if keep_this_one and key:
        query = query.where(LoginSession.key_hash != _hash(key))
    db.session.execute(query)


def _this_sign_in() -> LoginSession | None:
    key = session.get(COOKIE_FIELD)
    if not key:
        return None
    checked = g.get("checked_sign_in")
    if checked is not None and checked[0] == key:
        # The row this request's sign-in check read (no query while it is loaded): it
        # is read again if a commit expired it, and None if it was deleted since.
        return db.session.get(LoginSession, checked[1])
    return db.session.execute(
        select(LoginSession).where(LoginSession.key_hash == _hash(key))
    ).scalar_one_or_none()


def dashboard_search() -> str:
    """What this sign-in last searched the dashboard for ("" for every block)."""
    login = _this_sign_in()
    return (login.dashboard_search or "") if login else ""


def keep_dashboard_search(term: str) -> None:
    """Search the dashboard for ``term`` until it changes or this sign-in ends; the
    caller commits."""
    login = _this_sign_in()
    if login is not None:
        login.dashboard_search = term or None


def pending_totp_secret() -> str | None:
    """The two-factor secret this sign-in was shown, awaiting the app's first code."""
    login = _this_sign_in()
    return login.pending_totp_secret if login else None


def keep_pending_totp_secret(secret: str | None) -> None:
    """Remember (None: forget) the secret shown for confirmation; the caller commits."""
    login = _this_sign_in()
    if login is not None:
        login.pending_totp_secret = secret


def _delete_expired(now: datetime) -> None:
    config = current_app.config
    db.session.execute(
        delete(LoginSession).where(
            or_(
                LoginSession.created_at < now - config["SESSION_ABSOLUTE_LIFETIME"],
                LoginSession.last_seen_at < now - config["PERMANENT_SESSION_LIFETIME"],
            )
        )
    )


@cache
def _sign_in_query():
    # Built once (building it cost more than running it), on every signed-in request; the
    # user's clinic comes with it: the two-factor check and every clinic page read it.
    return (
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .join(User.clinic)
        .options(contains_eager(User.clinic))
        .where(LoginSession.key_hash == bindparam("key_hash"))
    )


def current_user_for_session(now: datetime | None = None) -> User | None:
    """The user this browser's session signs in, or None if it was ended or ran out."""
    key = session.get(COOKIE_FIELD)
    if not key:
        return None
    found = db.session.execute(_sign_in_query(), {"key_hash": _hash(key)}).first()
    if found is None:
        return None
    login, user = found
    now = now or utcnow()
    config = current_app.config
    if (
        now - login.created_at > config["SESSION_ABSOLUTE_LIFETIME"]
        or now - login.last_seen_at > config["PERMANENT_SESSION_LIFETIME"]
        or not user.active
    ):
        return None
    # The row itself kept too: the session's identity map holds rows weakly.
    g.checked_sign_in = (key, login.id, login)
    if now - login.last_seen_at >= SEEN_EVERY:
        db.session.execute(
            update(LoginSession).where(LoginSession.id == login.id).values(last_seen_at=now)
        )
        db.session.commit()  # at the start of the request: only this sign-in's activity
        session.modified = True  # the cookie's idle expiry moves on with the row's
    return user


def register_user_loaders(login_manager: LoginManager) -> None:
    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if request.blueprint == "api" and request.headers.get("Authorization"):
            return None  # an API call that names its credentials is judged by them alone
        user = current_user_for_session()
        return user if user is not None and user.get_id() == user_id else None

    @login_manager.request_loader
    def load_api_user(request) -> User | None:
        # Bearer tokens authenticate the JSON API only, never the HTML pages.
        if request.blueprint != "api":
            return None
        from diary.services.tokens import user_for_token

        token = bearer_token()
        if not token:
            return None
        user = user_for_token(token)
        db.session.commit()  # at the start of the request: only the token's last use
        return user


def bearer_token() -> str | None:
    """The API token an ``Authorization: Bearer …`` header names, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
