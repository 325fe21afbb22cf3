"""Behind a TLS proxy on several hosts: the real client address, https, one limit across
hosts, links from PUBLIC_URL whatever the Host header, and readiness a balancer can ask."""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from diary.config import load_settings
from diary.extensions import db
from diary.models import AuditEvent
from tests.conftest import PASSWORD, World, make_app, scratch_postgres

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"


def behind_proxy(database_url: str, **extra):
    """The app as it runs behind one proxy (PROXY_HOPS=1)."""
    return make_app(database_url, PROXY_HOPS=1, **extra)


@pytest.mark.parametrize(
    ("hops", "recorded"),
    [(1, "203.0.113.9"), (0, "127.0.0.1")],
    ids=["behind-a-trusted-proxy", "no-proxy-trusted"],
)
def test_the_audit_log_records_the_address_the_trusted_proxy_saw(tmp_path, hops, recorded):
    app = make_app(f"sqlite:///{tmp_path}/audit.sqlite3", PROXY_HOPS=hops)
    with app.app_context():
        db.create_all()
        World()
        app.test_client().post(
            "/login",
            data={"email": "doc@a.example", "password": "wrong"},
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        event = db.session.execute(select(AuditEvent)).scalars().all()[-1]
        assert event.remote_addr == recorded
        db.engine.dispose()


def test_https_at_the_proxy_is_https_to_the_app(tmp_path):
    app = behind_proxy(f"sqlite:///{tmp_path}/https.sqlite3")
    response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_a_form_posted_over_https_passes_csrf_with_a_same_origin_referer(tmp_path):
    app = behind_proxy(f"sqlite:///{tmp_path}/csrf.sqlite3", WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
        World()
        client = app.test_client()
        https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "diary.clinic.example"}
        page = client.get("/login", headers=https)
        assert page.headers["Referrer-Policy"] == "same-origin"
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        form = {"email": "doc@a.example", "password": PASSWORD, "csrf_token": token.group(1)}
        # What a browser sends under same-origin: the page it came from.
        signed_in = client.post(
            "/login", data=form, headers=https | {"Referer": "https://diary.clinic.example/login"}
        )
        assert signed_in.status_code == 302
        client.post("/logout", data={"csrf_token": token.group(1)}, headers=https)
        # What no-referrer made browsers send: nothing, and the form expired.
        refused = client.post("/login", data=form, headers=https)
        assert refused.status_code == 400 and "expired" in refused.text
        db.engine.dispose()


def test_diary_links_and_qr_codes_come_from_public_url_not_the_host_header(client, world):
    evil = "http://evil.example"
    client.post("/login", data={"email": "doc@a.example", "password": PASSWORD}, base_url=evil)
    page = client.get(f"/blocks/{world.block.id}", base_url=evil).text
    assert f"http://127.0.0.1:5000/d/{world.block.diary_token}" in page
    assert "evil.example" not in page
    api = client.get(f"/api/v1/blocks/{world.block.id}", base_url=evil)
    assert api.json["diary_url"].startswith("http://127.0.0.1:5000/d/")
    document = client.get("/api/v1/openapi.json", base_url=evil).json
    assert document["servers"][0]["url"].startswith("http://127.0.0.1:5000/")
    calendar = client.get(f"/d/{world.block.diary_token}/reminders.ics", base_url=evil).text
    assert "evil.example" not in calendar and "127.0.0.1:5000/d/" in calendar


def test_the_login_limit_holds_across_hosts_for_one_client_and_not_for_another(tmp_path, redis):
    url = f"sqlite:///{tmp_path}/limit.sqlite3"
    shared = dict(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        LOGIN_RATE_LIMIT="4 per minute",
    )
    host_a, host_b = behind_proxy(url, **shared), behind_proxy(url, **shared)
    with host_a.app_context():
        db.create_all()
        World()

    def attempt(host, client_address):
        with host.app_context():
            return (
                host.test_client()
                .post(
                    "/login",
                    data={"email": "doc@a.example", "password": "wrong"},
                    headers={"X-Forwarded-For": client_address},
                )
                .status_code
            )

    # Two attempts on each host from one address use up its four ...
    statuses = [attempt(host, "198.51.100.7") for host in (host_a, host_b, host_a, host_b)]
    assert statuses == [401] * 4
    assert attempt(host_a, "198.51.100.7") == 429
    assert attempt(host_b, "198.51.100.7") == 429
    # ... and another clinician's address is not blocked.
    assert attempt(host_b, "198.51.100.8") == 401
    for host in (host_a, host_b):
        with host.app_context():
            db.engine.dispose()


def test_readyz_answers_only_for_a_migrated_database(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/ready.sqlite3")
    with app.app_context():
        client = app.test_client()
        assert client.get("/readyz").status_code == 503  # nothing there yet
        upgrade()
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json["status"] == "ok"
        downgrade(revision="-1")
        behind = client.get("/readyz")
        assert behind.status_code == 503 and "migration head" in behind.json["reason"]
        db.engine.dispose()


def test_readyz_says_unavailable_when_the_database_is_unreachable(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/no-such-folder/db.sqlite3")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and "unreachable" in response.json["reason"]
    assert app.test_client().get("/healthz").status_code == 200


def test_two_hosts_migrating_at_once_both_succeed_one_after_the_other(postgres_url):
    with scratch_postgres(postgres_url, "block_diary_migrate_test") as url:
        env = dict(os.environ, BLOCK_DIARY_ENV="development", DATABASE_URL=url)
        runs = [
            subprocess.Popen(
                [str(FLASK), "--app", "app", "db", "upgrade"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    # One of them ran every migration; the other waited, then found nothing to do.
    ran = sorted(output.count("Running upgrade") for output in outputs)
    assert ran[0] == 0 and ran[1] >= 10, outputs


def test_a_forged_x_forwarded_for_sent_straight_to_a_host_is_limited_by_the_real_address(
    tmp_path, redis
):
    """Only the proxy's own address (FORWARDED_ALLOW_IPS) may say who the client is."""
    app = behind_proxy(
        f"sqlite:///{tmp_path}/forged.sqlite3",
        FORWARDED_ALLOW_IPS=["10.0.0.10/32"],
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=redis,
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        LOGIN_RATE_LIMIT="3 per minute",
    )
    with app.app_context():
        db.create_all()
        World()

        def attempt(peer: str, forged: str) -> int:
            return (
                app.test_client()
                .post(
                    "/login",
                    data={"email": "doc@a.example", "password": "wrong"},
                    headers={"X-Forwarded-For": forged},
                    environ_base={"REMOTE_ADDR": peer},
                )
                .status_code
            )

        direct = [attempt("192.0.2.44", f"203.0.113.{n}") for n in range(5)]
        assert direct == [401, 401, 401, 429, 429]
        # Through the proxy, the address it saw counts: another client is not blocked.
        assert attempt("10.0.0.10", "203.0.113.99") == 401
        recorded = db.session.execute(select(AuditEvent.remote_addr)).scalars().all()
        assert "192.0.2.44" in recorded and "203.0.113.0" not in recorded
        assert "203.0.113.99" in recorded
        db.engine.dispose()


def test_health_checks_answer_whatever_host_they_are_asked_with():
    from tests.test_configuration import production_app

    client = production_app().test_client()
    # What a container's own check sends: its loopback address as the Host.
    assert client.get("/healthz", base_url="http://127.0.0.1:8000").status_code == 200
    ready = client.get("/readyz", base_url="http://10.0.0.11:8000")
    assert ready.status_code == 503 and "database" in ready.json["reason"]  # not a 400
    assert client.get("/login", base_url="http://127.0.0.1:8000").status_code == 400


def test_when_redis_is_down_sign_in_refuses_readyz_says_so_and_entries_go_on(tmp_path):
    from bench.harness import free_port

    store = f"redis://:s3cret@127.0.0.1:{free_port()}/0"  # nothing listens there
    app = make_app(
        f"sqlite:///{tmp_path}/no-redis.sqlite3",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=store,
        RATELIMIT_STORAGE_OPTIONS=load_settings("testing", {"RATELIMIT_STORAGE_URI": store}, "/")[
            "RATELIMIT_STORAGE_OPTIONS"
        ],
    )
    with app.app_context():
        upgrade()
        world = World()
        client = app.test_client()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "rate-limit store unreachable" in ready.json["reason"]
        assert ready.json["store"] == "redis://:***@" + store.split("@")[1]
        for _ in range(2):  # the first meets the store down, the second the remembered state
            refused = client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
            assert refused.status_code == 503 and refused.headers["Retry-After"]
            assert "counts sign-in attempts does not answer" in refused.text
        token = world.block.diary_token
        for n in range(3):
            posted = client.post(
                f"/api/v1/diary/{token}/entries", json={"pain": 4, "client_id": f"no-redis-{n:04d}"}
            )
            assert posted.status_code == 201
        assert client.get(f"/d/{token}").status_code == 200
        assert client.get("/healthz").status_code == 200
        db.engine.dispose()
