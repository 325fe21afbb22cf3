"""Sign-ins are server-side records: signing out holds for every copy of the cookie and on
every host, and a sign-in ends after its absolute lifetime however active it is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from diary.extensions import db
from diary.models import LoginSession
from tests.conftest import PASSWORD, make_app


def signed_in_client(app, email="doc@a.example"):
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def copy_of(app, client):
    """Another browser holding a copy of ``client``'s session cookie, as a thief would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, world):
    clinician = signed_in_client(app)
    thief = copy_of(app, clinician)
    assert thief.get("/").status_code == 200  # the copy works while the sign-in lasts
    assert clinician.post("/logout").status_code == 302
    assert thief.get("/").status_code == 302
    assert thief.get(f"/blocks/{world.block.id}").status_code == 302
    assert db.session.execute(select(func.count(LoginSession.id))).scalar_one() == 0


def test_sign_out_holds_on_every_host_sharing_the_database(tmp_path):
    url = f"sqlite:///{tmp_path}/hosts.sqlite3"
    host_a, host_b = make_app(url), make_app(url)
    with host_a.app_context():
        db.create_all()
        from tests.conftest import World

        World()
        clinician = signed_in_client(host_a)
        cookie = clinician.get_cookie("session").value
    with host_b.app_context():
        on_b = host_b.test_client()
        on_b.set_cookie("session", cookie)
        assert on_b.get("/").status_code == 200
    with host_a.app_context():
        clinician.post("/logout")
    with host_b.app_context():
        assert on_b.get("/").status_code == 302
        db.engine.dispose()
    with host_a.app_context():
        db.engine.dispose()


def test_sign_out_everywhere_ends_every_other_browser(app, world):
    phone, desk = signed_in_client(app), signed_in_client(app)
    assert phone.post("/account/sign-out-everywhere").status_code == 302
    assert desk.get("/").status_code == 302
    assert phone.get("/").status_code == 302


def test_a_password_change_keeps_this_browser_and_ends_the_others(app, world):
    here, elsewhere = signed_in_client(app), signed_in_client(app)
    new = "a brand new passphrase for the clinic"
    changed = here.post(
        "/account",
        data={"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


@pytest.mark.parametrize(
    ("moved_back", "limit"),
    [("created_at", "SESSION_ABSOLUTE_LIFETIME"), ("last_seen_at", "PERMANENT_SESSION_LIFETIME")],
    ids=["absolute-lifetime-however-active", "idle-even-with-a-fresh-cookie"],
)
def test_a_sign_in_ends_past_its_lifetimes(app, world, moved_back, limit):
    client = signed_in_client(app)
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=12)
    login = db.session.execute(select(LoginSession)).scalar_one()
    setattr(
        login, moved_back, getattr(login, moved_back) - app.config[limit] - timedelta(minutes=1)
    )
    db.session.commit()
    assert client.get("/").status_code == 302


def test_activity_is_recorded_at_most_once_a_minute(app, world):
    client = signed_in_client(app)
    first = db.session.execute(select(LoginSession.last_seen_at)).scalar_one()
    client.get("/")
    assert db.session.execute(select(LoginSession.last_seen_at)).scalar_one() == first
    db.session.execute(update(LoginSession).values(last_seen_at=first - timedelta(minutes=2)))
    db.session.commit()
    client.get("/")
    db.session.expire_all()
    assert db.session.execute(select(LoginSession.last_seen_at)).scalar_one() > first


def session_cookie_set(response) -> bool:
    return any(h.startswith("session=") for h in response.headers.getlist("Set-Cookie"))


def test_the_cookie_is_sent_again_when_the_sign_ins_activity_is_written(app, world):
    clinician = signed_in_client(app)
    clinician.get("/")  # a first page may keep its form's CSRF secret in the session
    assert not session_cookie_set(clinician.get("/")), "nothing changed: no cookie to sign"
    # A minute on, the activity is written and the cookie's idle expiry moves with it.
    login = db.session.execute(select(LoginSession)).scalar_one()
    login.last_seen_at -= timedelta(minutes=2)
    db.session.commit()
    again = clinician.get("/")
    assert again.status_code == 200
    assert session_cookie_set(again)
    assert not session_cookie_set(clinician.get("/"))
