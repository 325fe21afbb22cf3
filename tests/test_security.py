"""Security headers, request size, sign-in throttling and session handling."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import AuditEvent, DiaryEntry, LoginSession
from tests.conftest import PASSWORD, World, change_password, make_app, make_user

TEMPLATES = Path(__file__).parent.parent / "templates"


@pytest.mark.parametrize("path", ["/login", "/healthz", "/static/css/app.css", "/api/v1/blocks"])
def test_security_headers_on_every_response(client, path):
    with client.get(path) as response:
        headers = response.headers
        policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    # Same-origin: Flask-WTF's check of the Referer over https needs it, and no address
    # of ours is ever sent to another site.
    assert headers["Referrer-Policy"] == "same-origin"


def test_only_the_svg_chart_has_a_policy_of_its_own(client, signed_in):
    """matplotlib's style attributes need inline styles (an SVG opened alone drew black);
    the SVG gets them and nothing else, every other response keeps the app's policy."""
    from diary.extensions import SVG_CHART_POLICY
    from tests.conftest import make_ablation

    pages = client.get("/login").headers["Content-Security-Policy"]
    # The ablation's follow-up chart (outside trial: it drew as a black square), asked
    # first: the test's app context, and so g, lasts across its requests.
    world = signed_in
    ablation = make_ablation(world.clinic, world.patient, world.clinician, world.block.performed_at)
    db.session.commit()
    followed = client.get(f"/ablations/{ablation.id}/chart.svg")
    assert followed.mimetype == "image/svg+xml"
    assert followed.headers["Content-Security-Policy"] == SVG_CHART_POLICY
    ablation_png = client.get(f"/ablations/{ablation.id}/chart.png")
    assert "unsafe-inline" not in ablation_png.headers["Content-Security-Policy"]
    block = signed_in.block.id
    svg = client.get(f"/blocks/{block}/chart.svg")
    policy = svg.headers["Content-Security-Policy"]
    assert svg.mimetype == "image/svg+xml" and "style-src 'unsafe-inline'" in policy
    assert "script-src 'none'" in policy and "default-src 'none'" in policy
    assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
    again = client.get(f"/blocks/{block}/chart.svg", headers={"If-None-Match": svg.headers["ETag"]})
    assert again.status_code == 304
    for same in (
        client.get(f"/blocks/{block}/chart.png"),
        client.get(f"/blocks/{block}"),
        client.get(f"/blocks/{block + 10_000}/chart.svg"),  # not found: an HTML page
        client.get("/static/favicon.svg"),
    ):
        assert same.headers["Content-Security-Policy"] == pages, same.request.path


def test_diary_pages_carry_the_headers_too(client, world):
    headers = client.get(f"/d/{world.block.diary_token}").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    # The diary page has forms (CSRF over https needs a same-site Referer); its token
    # still never leaves the site.
    assert headers["Referrer-Policy"] == "same-origin"


def test_diary_pages_without_a_form_send_no_referrer_at_all(client, world):
    world.block.link_revoked_at = world.block.performed_at
    db.session.commit()
    closed = client.get(f"/d/{world.block.diary_token}")
    assert closed.status_code == 410
    assert closed.headers["Referrer-Policy"] == "no-referrer"
    calendar = client.get(f"/d/{world.other_block.diary_token}/reminders.ics")
    assert calendar.headers["Referrer-Policy"] == "no-referrer"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://diary.example")
    assert "max-age=" in secure.headers["Strict-Transport-Security"]


def test_templates_have_no_inline_script_or_style():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+=", text), template
        assert " style=" not in text and "<style" not in text, template


def test_oversized_request_is_refused_and_stores_nothing(client, world):
    response = client.post(
        f"/d/{world.block.diary_token}/entries", data={"pain": "3", "note": "x" * (2 * 1024 * 1024)}
    )
    assert response.status_code == 413
    api = client.post(
        f"/api/v1/diary/{world.block.diary_token}/entries",
        data=b'{"pain": 3, "note": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        content_type="application/json",
    )
    assert api.status_code == 413 and api.mimetype == "application/problem+json"
    assert db.session.execute(select(func.count(DiaryEntry.id))).scalar_one() == 0


@contextmanager
def throttled_app(tmp_path, **limits):
    """An app of its own with rate limits on (the other tests run without them)."""
    app = make_app(f"sqlite:///{tmp_path}/limit.sqlite3", RATELIMIT_ENABLED=True, **limits)
    with app.app_context():
        db.create_all()
        yield app, World()
        db.engine.dispose()


def test_sign_in_is_throttled(tmp_path):
    with throttled_app(tmp_path, LOGIN_RATE_LIMIT="5 per minute") as (app, _):
        client = app.test_client()
        for _ in range(5):
            wrong = client.post("/login", data={"email": "doc@a.example", "password": "no"})
            assert wrong.status_code == 401
        blocked = client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
        assert blocked.status_code == 429
        assert "Please wait a minute" in blocked.get_data(as_text=True)
        assert client.get("/login").status_code == 200  # the page itself still shows


def test_session_cookie_is_httponly_samesite_and_renewed_at_sign_in(client, world):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.permanent


def test_idle_clinician_is_signed_out(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path}/idle.sqlite3", PERMANENT_SESSION_LIFETIME=timedelta(minutes=1)
    )
    with app.app_context():
        db.create_all()
        World()
        client = app.test_client()
        client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
        assert client.get("/").status_code == 200
        # Two idle minutes pass on the server's clock (a busy machine's second between two
        # requests no longer ends the sign-in first): it was last seen 2 minutes ago.
        for login in db.session.execute(select(LoginSession)).scalars():
            login.created_at -= timedelta(minutes=2)
            login.last_seen_at -= timedelta(minutes=2)
        db.session.commit()
        assert client.get("/").status_code == 302
        db.engine.dispose()


def test_admin_sees_and_exports_the_audit_log(client, world):
    import csv
    import io

    from tests.conftest import make_user

    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    client.post("/login", data={"email": "doc@a.example", "password": "wrong"})
    client.post("/login", data={"email": "admin@a.example", "password": PASSWORD})
    client.get(f"/blocks/{world.block.id}")
    page = client.get("/audit").get_data(as_text=True)
    assert "login.failed" in page and "block.view" in page and "127.0.0.1" in page
    body = client.get("/audit.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    actions = [r["action"] for r in rows]
    assert {"login.failed", "login", "block.view"} <= set(actions)
    view = next(r for r in rows if r["action"] == "block.view")
    assert view["target_id"] == str(world.block.id) and view["user"] == "admin"
    assert "J.S." not in body  # ids only, never the patient's name
    other_clinic = [r for r in rows if r["user"] == "doc" and r["action"] == "login"]
    assert other_clinic == []
    schema = client.get("/audit.schema.json").get_json()
    assert [field["name"] for field in schema["fields"]] == list(rows[0])


def test_nul_characters_are_refused_everywhere(client, world):
    form = client.post(
        f"/d/{world.block.diary_token}/entries", data={"pain": "3", "note": "a\x00b"}
    )
    api = client.post(
        f"/api/v1/diary/{world.block.diary_token}/entries", json={"pain": 3, "note": "a\u0000b"}
    )
    # The API names the field, as for any other control character (tests/test_api_text.py).
    assert (form.status_code, api.status_code) == (400, 422)
    assert api.mimetype == "application/problem+json" and "note" in api.get_json()["errors"]
    assert db.session.execute(select(func.count(DiaryEntry.id))).scalar_one() == 0


def test_ids_too_large_for_the_database_are_a_plain_404(client, signed_in):
    for url in (
        "/blocks/99999999999999999999",
        "/patients/4294967296",
        "/api/v1/blocks/99999999999999999999",
    ):
        assert client.get(url).status_code == 404, url


def test_every_failed_sign_in_does_the_same_hash_work(client, world, monkeypatch):
    # ~10 ms for an unknown email against ~120 ms for a known one told the two apart.
    import diary.models

    checks = []
    real = diary.models.check_password_hash

    def counted(stored, password):
        checks.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(diary.models, "check_password_hash", counted)
    for email in ("doc@a.example", "nobody@nowhere.example"):
        checks.clear()
        response = client.post("/login", data={"email": email, "password": "wrong password"})
        assert response.status_code == 401
        assert checks == ["pbkdf2:sha256:1000"], email


def test_who_saw_which_patient_is_audited_on_lists_and_charts(client, signed_in):
    from sqlalchemy import select as select_

    from diary.models import AuditEvent
    from diary.services.tokens import create_api_token

    _, key = create_api_token(signed_in.clinician, "audit check")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {key}"}
    block, patient = signed_in.block, signed_in.patient
    assert client.get("/").status_code == 200
    assert client.get("/patients").status_code == 200
    assert client.get("/api/v1/patients", headers=bearer).status_code == 200
    assert client.get("/api/v1/blocks", headers=bearer).status_code == 200
    assert client.get(f"/blocks/{block.id}/chart.svg").status_code == 200

    def seen(action: str) -> dict:
        event = db.session.execute(select_(AuditEvent).filter_by(action=action)).scalars().first()
        assert event is not None and event.user_id == signed_in.clinician.id, action
        return {"detail": event.detail, "target_id": event.target_id}

    assert block.id in seen("dashboard.view")["detail"]["block_ids"]
    assert patient.id in seen("patient.list")["detail"]["patient_ids"]
    assert block.id in seen("block.list")["detail"]["block_ids"]
    assert seen("block.chart")["target_id"] == block.id


def test_one_diary_link_has_one_quota_across_pages_and_api(tmp_path):
    with throttled_app(tmp_path, DIARY_RATE_LIMIT="6 per minute") as (app, world):
        token, other = world.block.diary_token, world.other_block.diary_token
        client = app.test_client()
        assert client.get(f"/d/{token}").status_code == 200
        for n in range(4):
            posted = client.post(
                f"/api/v1/diary/{token}/entries", json={"pain": 3, "client_id": f"quota-{n:04d}"}
            )
            assert posted.status_code == 201
        assert client.get(f"/api/v1/diary/{token}").status_code == 200
        refused = client.post(f"/api/v1/diary/{token}/entries", json={"pain": 3})
        assert refused.status_code == 429
        assert client.get(f"/d/{token}").status_code == 429  # the same quota
        assert client.get(f"/d/{other}").status_code == 200  # another link has its own
        assert db.session.execute(select(func.count(DiaryEntry.id))).scalar_one() == 4


def test_retry_after_is_sent_with_429_and_503_only(tmp_path):
    """Flask-Limiter put a Retry-After on every limited answer, a 200 or 201 too (the
    time its window resets), which tells a client to come back later when nothing was
    refused."""
    with throttled_app(tmp_path, DIARY_RATE_LIMIT="4 per minute") as (app, world):
        token = world.block.diary_token
        client = app.test_client()
        page = client.get(f"/d/{token}")
        posted = client.post(
            f"/api/v1/diary/{token}/entries", json={"pain": 3, "client_id": "retry-after-1"}
        )
        again = client.post(
            f"/api/v1/diary/{token}/entries", json={"pain": 3, "client_id": "retry-after-1"}
        )
        signed_out = client.post("/login", data={"email": "doc@a.example", "password": "wrong"})
        answers = [(page, 200), (posted, 201), (again, 200), (signed_out, 401)]
        for answer, status in answers:
            assert answer.status_code == status
            assert "X-RateLimit-Limit" in answer.headers  # still told how much is left
            assert "Retry-After" not in answer.headers, answer.request.path
        client.get(f"/d/{token}")
        refused = client.get(f"/d/{token}")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        refused = client.post(f"/api/v1/diary/{token}/entries", json={"pain": 3})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


def test_guesses_of_the_current_password_on_the_account_page_are_limited(tmp_path):
    with throttled_app(tmp_path, ACCOUNT_PASSWORD_LIMIT="3 per 15 minutes") as (app, _):
        client = app.test_client()
        client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
        new = "a new long passphrase"
        for _ in range(3):
            assert change_password(client, "guess", new).status_code == 400
        right = change_password(client, PASSWORD, new)
        assert right.status_code == 429  # even the right one, until the window passes
        assert "Too many attempts" in right.get_data(as_text=True)
        assert client.get("/account").status_code == 200


def test_new_accounts_per_admin_are_limited_and_a_taken_email_is_audited(tmp_path):
    """An admin may learn that an address has an account in another clinic (emails sign
    in, so they are unique): such answers are few per day, and each is in the log."""
    with throttled_app(tmp_path, NEW_ACCOUNT_LIMIT="2 per day") as (app, world):
        make_user(world.clinic, "admin@a.example", role="admin")
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"email": "admin@a.example", "password": PASSWORD})
        new = {"name": "New", "role": "clinician"}
        taken = client.post("/settings/users", data=new | {"email": "doc@b.example"})
        assert taken.status_code == 400
        assert (
            client.post("/settings/users", data=new | {"email": "n@a.example"}).status_code == 200
        )
        third = client.post("/settings/users", data=new | {"email": "x@b.example"})
        assert third.status_code == 429
        assert "as many new accounts" in third.get_data(as_text=True)
        refused = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.create.refused")
        ).one()
        assert refused.clinic_id == world.clinic.id and "doc@b" not in str(refused.detail)
