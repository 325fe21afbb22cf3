"""Two-factor sign-in: an authenticator app's code after the password, recovery codes,
and a clinic that requires it of every clinician."""

from __future__ import annotations

import re
import time

import pyotp
from sqlalchemy import select

from diary.extensions import db
from diary.models import AuditEvent, User
from diary.services.tokens import create_api_token
from tests.conftest import PASSWORD, make_user
from tests.test_verdict_pages import SETTINGS_FORM


def _user(email="doc@a.example") -> User:
    db.session.expire_all()
    return db.session.execute(select(User).filter_by(email=email)).scalar_one()


def turn_on(client) -> tuple[pyotp.TOTP, list[str]]:
    """Set up two-factor sign-in as a clinician does: read the key off the page, type
    the app's code; returns the app and the recovery codes shown."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="setup-key">([A-Z2-7]+)</code>', page).group(1)
    assert "<svg" in page  # the QR code to scan
    app = pyotp.TOTP(secret)
    done = client.post("/account/two-factor", data={"code": app.now()})
    assert done.status_code == 200
    codes = re.findall(
        r"<li><code>([0-9a-f]{8}-[0-9a-f]{8})</code></li>", done.get_data(as_text=True)
    )
    assert len(codes) == 10
    return app, codes


def next_code(app: pyotp.TOTP) -> str:
    """The app's code of the next 30 s step: the one used at setup is good only once."""
    return app.at(time.time() + 30)


def test_a_wrong_code_does_not_turn_it_on(client, signed_in):
    client.get("/account/two-factor")
    refused = client.post("/account/two-factor", data={"code": "000000"})
    assert refused.status_code == 400
    assert "does not match" in refused.get_data(as_text=True)
    assert _user().totp_secret is None


def test_once_on_the_password_alone_does_not_sign_in(client, signed_in, auth):
    app, _ = turn_on(client)
    auth.logout()
    after_password = auth.login()
    assert after_password.status_code == 302 and after_password.location.endswith("/login/code")
    assert client.get("/").status_code == 302  # not signed in yet
    assert client.get("/api/v1/blocks").status_code == 401
    wrong = client.post("/login/code", data={"code": "123456"})
    assert wrong.status_code == 401 and "does not match" in wrong.get_data(as_text=True)
    assert client.get("/").status_code == 302
    code = next_code(app)
    signed = client.post("/login/code", data={"code": code})
    assert signed.status_code == 302 and client.get("/").status_code == 200
    # The same code again, by someone who saw it typed, is refused.
    auth.logout()
    auth.login()
    assert client.post("/login/code", data={"code": code}).status_code == 401
    assert client.get("/").status_code == 302


def test_a_recovery_code_signs_in_once(client, signed_in, auth):
    _, codes = turn_on(client)
    auth.logout()
    auth.login()
    assert client.post("/login/code", data={"code": codes[0].upper()}).status_code == 302
    assert client.get("/").status_code == 200
    assert "9 recovery codes left" in client.get("/account").get_data(as_text=True)
    auth.logout()
    auth.login()
    assert client.post("/login/code", data={"code": codes[0]}).status_code == 401
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "user.two_factor.on" in actions and "user.recovery_code_used" in actions


def test_wrong_codes_count_towards_the_lockout(client, signed_in, auth):
    app, _ = turn_on(client)
    auth.logout()
    auth.login()
    for _ in range(10):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 401
    assert _user().locked_until is not None
    # A right code does not get past the pause, nor does the password reset the count.
    assert client.post("/login/code", data={"code": next_code(app)}).status_code == 401
    assert client.get("/").status_code == 302


def test_the_code_is_asked_for_within_five_minutes_of_the_password(client, signed_in, auth):
    app, _ = turn_on(client)
    auth.logout()
    auth.login()
    with client.session_transaction() as session:
        pending = session["second_factor"]
        session["second_factor"] = pending | {"since": pending["since"] - 6 * 60}
    late = client.post("/login/code", data={"code": next_code(app)})
    assert late.status_code == 302 and late.location.endswith("/login")
    assert client.get("/").status_code == 302
    # Without the password first, the code page only sends to sign-in.
    assert client.get("/login/code").location.endswith("/login")


def test_turning_it_off_needs_the_password(client, signed_in, auth):
    turn_on(client)
    wrong = client.post("/account/two-factor/off", data={"current_password": "not it"})
    assert wrong.status_code == 400 and _user().totp_secret is not None
    off = client.post("/account/two-factor/off", data={"current_password": PASSWORD})
    assert off.status_code == 302 and _user().totp_secret is None
    auth.logout()
    assert auth.login().location.endswith("/")


def test_new_recovery_codes_replace_the_old(client, signed_in, auth):
    _, old = turn_on(client)
    page = client.post("/account/two-factor/recovery-codes", data={"current_password": PASSWORD})
    new = re.findall(r"<li><code>([0-9a-f-]{17})</code></li>", page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    auth.login()
    assert client.post("/login/code", data={"code": old[1]}).status_code == 401
    assert client.post("/login/code", data={"code": new[1]}).status_code == 302


def test_a_clinic_that_requires_it_sends_everyone_to_set_it_up(client, world, auth):
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    auth.login("admin@a.example")
    saved = client.post("/settings", data=SETTINGS_FORM | {"require_two_factor": "y"})
    assert saved.status_code == 302
    assert world.clinic.require_two_factor is True
    auth.logout()
    auth.login()  # a clinician without it
    for page in ("/", f"/blocks/{world.block.id}"):
        response = client.get(page)
        assert response.status_code == 302 and response.location.endswith("/account/two-factor")
    assert client.get("/api/v1/blocks").status_code == 403
    assert "requires two-factor" in client.get("/account/two-factor").get_data(as_text=True)
    turn_on(client)
    assert client.get("/").status_code == 200
    # API tokens are credentials of their own: the requirement is about sign-in.
    _, token = create_api_token(admin, "script")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    settings = client.get("/api/v1/clinic/settings", headers=headers).get_json()
    assert settings["require_two_factor"] is True
    assert world.other_clinic.require_two_factor is False


def test_an_admin_resets_it_for_a_lost_phone(client, world, auth):
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    auth.login()
    turn_on(client)
    auth.logout()
    auth.login("admin@a.example")
    clinician = _user()
    assert "Reset two-factor sign-in" in client.get("/settings/users").get_data(as_text=True)
    reset = client.post(f"/settings/users/{clinician.id}/reset-two-factor")
    assert reset.status_code == 302
    assert _user().totp_secret is None
    # Not across clinics.
    other = _user("doc@b.example")
    assert client.post(f"/settings/users/{other.id}/reset-two-factor").status_code == 404
    auth.logout()
    assert auth.login().location.endswith("/")
    off = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor.off")
    ).one()
    assert off.user_id != clinician.id and off.target_id == clinician.id
