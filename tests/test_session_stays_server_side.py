"""The session cookie is signed, not encrypted: anyone holding it (a shared computer, a
proxy's log) reads it without the key. What a sign-in keeps between pages, the
dashboard's search (a patient's name or MRN) and a two-factor secret awaiting
confirmation, is kept on the server with the sign-in, and the cookie carries only the
sign-in's random key and Flask's own fields."""

from __future__ import annotations

import base64
import json
import re
import zlib

import pyotp
from sqlalchemy import select

from diary.extensions import db
from diary.models import LoginSession, User
from diary.services.patients import PatientInput, create_patient
from tests.conftest import PASSWORD, make_block, search

# The sign-in's key (login_sessions.COOKIE_FIELD) and what Flask, Flask-Login and
# Flask-WTF put there themselves.
COOKIE_FIELDS = {"login_key", "_user_id", "_fresh", "_id", "_permanent", "_flashes", "csrf_token"}


def cookie_as_read_without_the_key(client) -> dict:
    """The session cookie decoded as anyone can: base64 (zlib when it starts with "."),
    JSON; the signature is not needed to read it."""
    value = client.get_cookie("session").value
    payload = value.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if value.startswith("."):
        data = zlib.decompress(data)
    return json.loads(data)


def _assert_only_the_sign_in_key(client, secret_text: str) -> None:
    contents = cookie_as_read_without_the_key(client)
    assert "login_key" in contents  # this is the cookie of a sign-in
    assert set(contents) <= COOKIE_FIELDS, set(contents) - COOKIE_FIELDS
    assert secret_text.lower() not in json.dumps(contents).lower()


def test_the_dashboard_search_is_kept_with_the_sign_in_not_in_the_cookie(client, signed_in):
    world = signed_in
    other = create_patient(world.clinic, PatientInput("Q.Q.", "OTHER-9"), by=world.clinician)
    make_block(world.clinic, other, world.clinician)
    db.session.commit()
    found = search(client, "mrn-1").get_data(as_text=True)
    assert "J.S." in found and "Q.Q." not in found
    _assert_only_the_sign_in_key(client, "mrn-1")
    again = client.get("/").get_data(as_text=True)  # the search holds from page to page
    assert "J.S." in again and "Q.Q." not in again
    assert 'value="mrn-1"' in again

    elsewhere = client.application.test_client()  # the same clinician on another browser
    elsewhere.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    assert "Q.Q." in elsewhere.get("/").get_data(as_text=True)

    everything = search(client, "").get_data(as_text=True)  # "Show all blocks"
    assert "J.S." in everything and "Q.Q." in everything
    search(client, "mrn-1")
    client.post("/logout")
    client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    assert "Q.Q." in client.get("/").get_data(as_text=True)  # a new sign-in starts afresh


def test_a_two_factor_secret_awaiting_confirmation_is_not_in_the_cookie(client, signed_in):
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="setup-key">([A-Z2-7]+)</code>', page).group(1)
    _assert_only_the_sign_in_key(client, secret)
    waiting = db.session.scalars(select(LoginSession.pending_totp_secret)).one()
    assert waiting == secret

    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert wrong.status_code == 400 and secret in wrong.get_data(as_text=True)  # still shown
    _assert_only_the_sign_in_key(client, secret)

    done = client.post("/account/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and "Two-factor sign-in is on" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(User.totp_secret).filter_by(email="doc@a.example")).one() == (
        secret
    )
    assert db.session.scalars(select(LoginSession.pending_totp_secret)).one() is None
