"""Limits counted per clinician hold across sign-ins: signing out on every device (which
starts a new session version) does not start a new quota."""

from __future__ import annotations

import pytest

from diary.extensions import db
from tests.conftest import PASSWORD, World, _empty_postgres, change_password, make_app, make_user


@pytest.fixture
def limited_app(database_url):
    app = make_app(
        database_url,
        RATELIMIT_ENABLED=True,
        NEW_ACCOUNT_LIMIT="2 per day",
        ACCOUNT_PASSWORD_LIMIT="2 per 15 minutes",
    )
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        yield app
        db.session.remove()
        if database_url.startswith("postgresql"):
            _empty_postgres(app)
        db.engine.dispose()


def _sign_out_everywhere_and_back(client, email: str) -> None:
    assert client.post("/account/sign-out-everywhere").status_code == 302
    assert client.get("/settings/tokens").status_code == 302  # signed out
    signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302


def test_signing_out_everywhere_does_not_reset_the_new_account_limit(limited_app):
    world = World()
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    client = limited_app.test_client()
    client.post("/login", data={"email": "admin@a.example", "password": PASSWORD})
    new = {"name": "New", "role": "clinician"}
    for n in range(2):
        added = client.post("/settings/users", data=new | {"email": f"new{n}@a.example"})
        assert added.status_code == 200
    _sign_out_everywhere_and_back(client, "admin@a.example")
    third = client.post("/settings/users", data=new | {"email": "new2@a.example"})
    assert third.status_code == 429
    assert "as many new accounts" in third.get_data(as_text=True)


def test_signing_out_everywhere_does_not_reset_the_current_password_limit(limited_app):
    World()
    client = limited_app.test_client()
    client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    for _ in range(2):
        assert change_password(client, "a guess", "a new long passphrase").status_code == 400
    _sign_out_everywhere_and_back(client, "doc@a.example")
    assert change_password(client, "a guess", "a new long passphrase").status_code == 429
