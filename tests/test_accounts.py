"""Clinician accounts: password policy, short lockout, admin-made accounts, signing out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from diary.auth.accounts import authenticate
from diary.auth.passwords import password_problem
from diary.extensions import db
from diary.models import User
from tests.conftest import PASSWORD, change_password, make_user


@pytest.mark.parametrize(
    "password, problem",
    [
        ("short pass", "at least 15"),
        ("passwordpassword", "too common"),
        ("aaaaaaaaaaaaaaaaaaaa", "too simple"),
        ("doctor smith is here now", "name or email"),
        ("my blockdiary password!", "name of this service"),
        ("x" * 200, "at most"),
    ],
)
def test_password_policy_refuses(password, problem):
    assert problem in password_problem(password, "smith@clinic.example", "Doctor Smith")


def test_password_policy_accepts_long_passphrases_without_composition_rules():
    assert password_problem("river lantern copper maple", "a@b.example", "Ann") is None


def test_ten_failures_pause_the_account_for_fifteen_minutes(client, world):
    for _ in range(10):
        client.post("/login", data={"email": "doc@a.example", "password": "wrong"})
    user = db.session.execute(select(User).filter_by(email="doc@a.example")).scalar_one()
    db.session.refresh(user)
    assert user.locked_until is not None
    assert timedelta(minutes=14) < user.locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    refused = client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    assert refused.status_code == 401 and "paused for 15 minutes" in refused.get_data(as_text=True)
    user.locked_until = datetime.now(UTC) - timedelta(seconds=1)  # the pause has passed
    db.session.commit()
    assert (
        client.post("/login", data={"email": "doc@a.example", "password": PASSWORD}).status_code
        == 302
    )
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_failures_of_one_account_do_not_pause_another(client, world):
    for _ in range(12):
        client.post("/login", data={"email": "doc@a.example", "password": "wrong"})
    assert (
        client.post("/login", data={"email": "doc@b.example", "password": PASSWORD}).status_code
        == 302
    )


def sign_in_admin(client, world):
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    client.post("/login", data={"email": "admin@a.example", "password": PASSWORD})


def test_admin_creates_a_clinician_with_a_one_time_password(client, world):
    sign_in_admin(client, world)
    page = client.post(
        "/settings/users", data={"name": "Dr New", "email": "New@A.example", "role": "clinician"}
    ).get_data(as_text=True)
    password = re.search(r"<code>([^<]+)</code>", page).group(1)
    client.post("/logout")
    assert (
        client.post("/login", data={"email": "new@a.example", "password": password}).status_code
        == 302
    )
    # The one-time password is changed first (test_a_one_time_password_must_be_changed…).
    change_password(client, password, "my own long passphrase for the clinic")
    again = client.post(
        "/settings/users", data={"name": "X", "email": "new@a.example", "role": "clinician"}
    )
    assert again.status_code == 403  # a clinician, not an admin


def test_admin_pauses_and_resumes_an_account(client, world):
    sign_in_admin(client, world)
    client.post(f"/settings/users/{world.clinician.id}/pause")
    db.session.refresh(world.clinician)
    assert world.clinician.active is False
    client.post("/logout")
    assert (
        client.post("/login", data={"email": "doc@a.example", "password": PASSWORD}).status_code
        == 401
    )


def test_sign_out_everywhere_ends_other_sessions(app, world):
    phone, desk = app.test_client(), app.test_client()
    for device in (phone, desk):
        device.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
        assert device.get("/").status_code == 200
    desk.post("/account/sign-out-everywhere")
    assert phone.get("/").status_code == 302
    assert desk.get("/").status_code == 302


def test_changing_the_password_keeps_this_session_and_ends_others(app, world):
    phone, desk = app.test_client(), app.test_client()
    for device in (phone, desk):
        device.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    weak = desk.post(
        "/account",
        data={"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert weak.status_code == 400 and "at least 15" in weak.get_data(as_text=True)
    new = "copper lantern river maple"
    changed = change_password(desk, PASSWORD, new)
    assert changed.status_code == 302
    assert desk.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert authenticate("doc@a.example", new) is not None


def test_a_one_time_password_must_be_changed_at_first_sign_in(client, world):
    from diary.auth.accounts import create_clinician

    admin = make_user(world.clinic, "admin@a.example", role="admin")
    user, one_time = create_clinician(world.clinic, "new@a.example", "New", "clinician", by=admin)
    db.session.commit()
    client.post("/login", data={"email": "new@a.example", "password": one_time})
    for page in ("/", f"/blocks/{world.block.id}", "/settings/tokens"):
        response = client.get(page)
        assert response.status_code == 302 and response.location.endswith("/account"), page
    assert client.get("/api/v1/blocks").status_code == 403
    changed = change_password(client, one_time, "my own long passphrase for the clinic")
    assert changed.status_code == 302
    assert client.get("/").status_code == 200
    db.session.refresh(user)
    assert user.must_change_password is False


def test_passwords_are_hashed_with_scrypt_at_owasps_minimum_and_old_hashes_still_verify(world):
    from flask import current_app
    from werkzeug.security import generate_password_hash

    del current_app.config["PASSWORD_HASH_METHOD"]  # the tests' cheap hash: the app's own
    world.clinician.set_password("a long enough pass phrase")
    assert world.clinician.password_hash.startswith("scrypt:8192:8:10$")
    assert world.clinician.check_password("a long enough pass phrase")
    # A hash made with Werkzeug's default before this still signs its owner in.
    world.clinician.password_hash = generate_password_hash("older phrase", "scrypt")
    assert world.clinician.check_password("older phrase")
