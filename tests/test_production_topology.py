"""The production topology, for real, on loopback addresses of its own:

    Chromium (phone size) --https--> nginx 127.0.0.1 --> gunicorn host A 127.0.0.2
                                                     \\-> gunicorn host B 127.0.0.3
    both hosts --> the CI's PostgreSQL (a scratch database) and a Redis of the test's own

nginx is rendered from deploy/nginx/block-diary.conf.template and the hosts run with the
production profile and gunicorn.conf.py, as a clinic would run them. The figures of the
run are written to test-artifacts/topology.json.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from bench.harness import free_port
from diary.reminders.push import KNOWN_PUSH_SERVICES, generate_vapid_keys
from tests.conftest import API_BLOCK, PHONE, scratch_postgres
from tests.push_service import FakePushService, b64, phone_keys

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
TEMPLATE = ROOT / "deploy" / "nginx" / "block-diary.conf.template"
FIGURES = ROOT / "test-artifacts" / "topology.json"
NAME, MRN, NOTE = "Zebedee Quist", "MRN-778812", "pain after gardening"
ADMIN = "admin@topology.example"
LOAD_THREADS, LOAD_ENTRIES = 4, 40  # entries each thread posts through nginx
PHONE_ENTRIES = 4
REMINDED_PHONES = 10
figures: dict = {}


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the run's own self-signed certificate
    return context


class AppHost:
    """One gunicorn app host, started as a clinic would (production profile)."""

    def __init__(self, name: str, address: str, env: dict, folder: Path):
        self.name, self.address, self.port = name, address, free_port(address)
        self.env = dict(env, BIND=f"{address}:{self.port}")
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "app:app"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                if self.direct("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """The host dies at once: master and workers, SIGKILL, no goodbye."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(20)

    def direct(self, method: str, path: str, headers: dict | None = None):
        """A request straight to this host, as nginx would forward it."""
        connection = http.client.HTTPConnection(self.address, self.port, timeout=10)
        try:
            connection.request(
                method,
                path,
                headers={
                    "Host": self.env["PUBLIC_URL"].split("//")[1],
                    "X-Forwarded-Proto": "https",
                    "X-Forwarded-For": "127.0.0.1",
                    **(headers or {}),
                },
            )
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


class Site:
    """Requests to the site through nginx over https, from a chosen client address."""

    def __init__(self, port: int, source: str = "127.0.0.1"):
        self.port, self.source = port, source
        self.base = f"https://127.0.0.1:{port}"

    def request(self, method: str, path: str, body=None, headers=None):
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.port,
            timeout=15,
            context=tls_context(),
            source_address=(self.source, 0),
        )
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def post_json(self, path: str, value: dict, token: str | None = None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        status, _, body = self.request("POST", path, json.dumps(value), headers)
        return status, (json.loads(body) if body else None)

    def failed_sign_ins(self, count: int, **extra_headers: str) -> list[int]:
        """Wrong passwords, sent as a browser sends the form (one page, its CSRF token and
        cookie, a same-origin Referer), ``count`` times in a row."""
        status, headers, body = self.request("GET", "/login")
        cookie = next(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
        form = urlencode({"email": ADMIN, "password": "not the password", "csrf_token": token})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"{self.base}/login",
            **extra_headers,
        }
        return [self.request("POST", "/login", form, headers)[0] for _ in range(count)]


def run(command: list[str], env: dict) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def nginx_conf(folder: Path, port: int, hosts: list[AppHost]) -> Path:
    values = {
        "APP_SERVERS": " ".join(f"server {h.address}:{h.port} max_fails=1;" for h in hosts),
        "LISTEN": f"127.0.0.1:{port}",
        "SERVER_NAME": "127.0.0.1",
        "TLS_CERT": str(folder / "tls.crt"),
        "TLS_KEY": str(folder / "tls.key"),
        "ACCESS_LOG": str(folder / "nginx-access.log"),
        "ERROR_LOG": str(folder / "nginx-error.log"),
    }
    site = re.sub(r"\$\{([A-Z_]+)\}", lambda m: values[m.group(1)], TEMPLATE.read_text())
    (folder / "block-diary.conf").write_text(site)
    main = folder / "nginx.conf"
    temp = folder / "nginx-temp"
    temp.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/nginx-main.log;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/f;\n  uwsgi_temp_path {temp}/u;\n  scgi_temp_path {temp}/s;\n"
        f"  access_log off;\n  include {folder}/block-diary.conf;\n}}\n"
    )
    return main


def wait_for_https(site: Site) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if site.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nginx did not answer over https")


@pytest.fixture(scope="module")
def topology(postgres_url, redis, browser, tmp_path_factory):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx; make test does it as root)")
    folder = tmp_path_factory.mktemp("topology")
    with scratch_postgres(postgres_url, "block_diary_topology") as database:
        yield from _run_topology(nginx, folder, database, redis, browser)


def _run_topology(nginx: str, folder: Path, database: str, redis: str, browser):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(folder / "tls.key"), "-out", str(folder / "tls.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    nginx_port = free_port()
    vapid_private, vapid_public = generate_vapid_keys()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEST_", "BLOCK_DIARY", "DATABASE", "SECRET", "PUBLIC"))
    } | {
        "BLOCK_DIARY_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": database,
        "PUBLIC_URL": f"https://127.0.0.1:{nginx_port}",
        "RATELIMIT_STORAGE_URI": redis,
        "PROXY_HOPS": "1",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "4",
        "DB_POOL_SIZE": "4",
        "LOGIN_RATE_LIMIT": "5 per minute",
        # The load below posts 40 entries a diary in seconds: failover, not the quota, is
        # under test here (tests/test_security.py tests the diary quota).
        "DIARY_RATE_LIMIT": "600 per minute",
        "VAPID_PRIVATE_KEY": vapid_private,
        "VAPID_PUBLIC_KEY": vapid_public,
        # The test's own push service on loopback, besides the browsers' ones.
        "PUSH_SERVICE_HOSTS": ",".join([*KNOWN_PUSH_SERVICES, "http://127.0.0.1"]),
    }
    # The one-off migration step, then the clinic, as an operator does it.
    run([str(BIN / "flask"), "--app", "app", "db", "upgrade"], env)
    created = run(
        [str(BIN / "flask"), "--app", "app", "clinic", "create", "--name", "Topology Spine",
         "--admin-email", ADMIN, "--timezone", "UTC"],
        env,
    )  # fmt: skip
    hosts = [AppHost(f"host-{n}", f"127.0.0.{n}", env, folder) for n in (2, 3)]
    started = time.monotonic()
    proxy = None
    site = Site(nginx_port)
    try:
        for host in hosts:
            host.start()
        proxy = subprocess.Popen(
            [nginx, "-c", str(nginx_conf(folder, nginx_port, hosts)), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_https(site)
        figures["start_to_ready_s"] = round(time.monotonic() - started, 2)
        yield {
            "site": site,
            "hosts": hosts,
            "env": env,
            "folder": folder,
            "browser": browser,
            "password": re.search(r"password: (\S+)", created).group(1),
            "api_token": re.search(r"API token: (\S+)", created).group(1),
            "database": database,
            "state": {},
        }
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        for host in hosts:
            host.stop()
        FIGURES.parent.mkdir(exist_ok=True)
        FIGURES.write_text(json.dumps(figures, indent=2) + "\n")


def phone_context(topology):
    return topology["browser"].new_context(**PHONE, ignore_https_errors=True)


def database_rows(topology, query: str, *params):
    import psycopg

    with psycopg.connect(topology["database"]) as connection:
        return connection.execute(query, params).fetchall()


def test_1_a_clinician_signs_in_and_creates_a_block_over_https(topology):
    state, site = topology["state"], topology["site"]
    context = phone_context(topology)
    page = context.new_page()
    page.goto(f"{site.base}/login")
    page.get_by_label("Email").fill(ADMIN)
    page.get_by_label("Password").fill(topology["password"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.base}/")
    assert page.get_by_role("heading", name="Blocks").is_visible()

    page.goto(f"{site.base}/patients/new")
    page.get_by_label("Display name or initials").fill(NAME)
    page.get_by_label("MRN (optional)").fill(MRN)
    page.get_by_role("button", name=re.compile("Save|Add|Create")).click()
    page.wait_for_url(re.compile(r"/patients/\d+/blocks/new$"))
    performed = datetime.now(UTC) - timedelta(minutes=5)
    page.fill("input[name=performed_date]", performed.strftime("%Y-%m-%d"))
    page.fill("input[name=performed_time]", performed.strftime("%H:%M"))
    page.select_option("select[name=region]", "lumbar")
    page.check("input[name=levels][value='L4-L5']")
    page.fill("input[name=volume_ml_per_level]", "0.5")
    page.check("input[name=baseline_pain][value='7']", force=True)
    page.get_by_role("button", name="Save block and create diary link").click()
    page.wait_for_url(re.compile(r"/blocks/\d+$"))
    link = page.locator("#diary-link").input_value()
    assert link.startswith(f"{site.base}/d/")  # built from PUBLIC_URL, over https
    # Search by name goes in a form body, never in a URL.
    page.goto(f"{site.base}/")
    page.get_by_label("Find a patient").fill(NAME)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(f"{site.base}/")
    assert NAME in page.content()
    state.update(
        context=context,
        page=page,
        diary_link=link,
        token=link.rsplit("/", 1)[1],
        session_cookie=next(c for c in context.cookies() if c["name"] == "__Host-session"),
    )
    assert state["session_cookie"]["secure"] and state["session_cookie"]["httpOnly"]


def new_diary(topology, performed_at: datetime) -> str:
    """A block recorded through the API (bearer token) for a patient of its own."""
    site, token = topology["site"], topology["api_token"]
    _, patient = site.post_json("/api/v1/patients", {"display_name": "R.M."}, token)
    body = API_BLOCK | {"patient_id": patient["id"], "performed_at": performed_at.isoformat()}
    status, block = site.post_json("/api/v1/blocks", body, token)
    assert status == 201, block
    return block["diary_token"]


def post_entries(site: Site, token: str, prefix: str, count: int, results: dict) -> None:
    """A phone posting ``count`` entries with retries, each with its own client id."""
    for number in range(count):
        client_id = f"{prefix}-entry-{number:04d}"
        for attempt in range(6):
            try:
                status, _ = site.post_json(
                    f"/api/v1/diary/{token}/entries",
                    {"pain": number % 11, "client_id": client_id, "note": NOTE},
                )
            except OSError:
                status = None
            if status in (200, 201):
                results["acknowledged"].append(client_id)
                break
            results["statuses"].append(status)
            results["retries"] += 1
            time.sleep(0.05 * (attempt + 1))
        else:
            results["given_up"].append(client_id)


def test_2_entries_keep_arriving_when_a_host_is_killed_none_lost_or_doubled(topology):
    state, site, host_a = topology["state"], topology["site"], topology["hosts"][0]
    results = {"acknowledged": [], "retries": 0, "given_up": [], "statuses": []}
    # Four more phones, each with a diary of its own, post through nginx meanwhile.
    performed = datetime.now(UTC) - timedelta(minutes=10)
    load_tokens = [new_diary(topology, performed) for _ in range(LOAD_THREADS)]
    phone = phone_context(topology).new_page()
    phone.goto(state["diary_link"])

    def tap_and_save(score: int) -> None:
        saved = phone.locator("#saved-list li").count()
        phone.get_by_role("radio", name=str(score), exact=True).tap()
        phone.get_by_role("button", name="Save").tap()
        expect(phone.locator("#saved-list li")).to_have_count(saved + 1, timeout=20_000)

    tap_and_save(6)
    tap_and_save(4)
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=post_entries, args=(site, load_token, f"load{n}", LOAD_ENTRIES, results)
        )
        for n, load_token in enumerate(load_tokens)
    ]
    for thread in threads:
        thread.start()
    while len(results["acknowledged"]) < LOAD_THREADS * LOAD_ENTRIES // 3:
        time.sleep(0.01)
    host_a.kill()
    killed_after = len(results["acknowledged"])
    tap_and_save(3)  # the patient's phone goes on through host B
    tap_and_save(2)
    for thread in threads:
        thread.join(120)
    elapsed = time.monotonic() - started

    stored = database_rows(
        topology,
        "SELECT e.client_id FROM diary_entry e JOIN block b ON b.id = e.block_id "
        "WHERE b.diary_token = ANY(%s)",
        [state["token"], *load_tokens],
    )
    stored_ids = Counter(row[0] for row in stored)
    assert results["given_up"] == [], Counter(results["statuses"])
    assert all(stored_ids[client_id] == 1 for client_id in results["acknowledged"])
    assert max(stored_ids.values()) == 1  # nothing doubled
    assert len(stored_ids) == LOAD_THREADS * LOAD_ENTRIES + PHONE_ENTRIES  # nothing lost
    assert "Pain 2/10" in phone.locator("#saved-list").inner_text()
    figures["entries"] = {
        "posted_through_nginx": LOAD_THREADS * LOAD_ENTRIES,
        "from_the_phone_in_chromium": PHONE_ENTRIES,
        "stored": len(stored_ids),
        "doubled": sum(1 for n in stored_ids.values() if n > 1),
        "host_a_killed_after_acknowledged": killed_after,
        "client_retries": results["retries"],
        "seconds": round(elapsed, 2),
        "entries_per_second": round(LOAD_THREADS * LOAD_ENTRIES / elapsed, 1),
    }
    host_a.start()  # the host comes back; the next checks use both again


def test_3_a_cookie_copied_before_sign_out_is_refused_on_both_hosts_after_it(topology):
    state, hosts = topology["state"], topology["hosts"]
    cookie = f"__Host-session={state['session_cookie']['value']}"
    before = [host.direct("GET", "/", {"Cookie": cookie})[0] for host in hosts]
    assert before == [200, 200]
    page = state["page"]
    page.goto(f"{topology['site'].base}/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login"))
    after = [host.direct("GET", "/", {"Cookie": cookie})[0] for host in hosts]
    through_nginx = topology["site"].request("GET", "/", headers={"Cookie": cookie})[0]
    assert after == [302, 302] and through_nginx == 302
    figures["copied_cookie"] = {"before_sign_out": before, "after_sign_out": after}
    state["context"].close()


def wait_until_nginx_uses_both_hosts(topology) -> None:
    """After host A came back, nginx tries it again once its fail_timeout has passed."""
    log = topology["folder"] / "nginx-access.log"
    address = f"{topology['hosts'][0].address}:{topology['hosts'][0].port}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        before = len(log.read_text().splitlines())
        topology["site"].request("GET", "/healthz")
        topology["site"].request("GET", "/healthz")
        if any(address in line for line in log.read_text().splitlines()[before:]):
            return
        time.sleep(0.5)
    raise AssertionError("nginx did not send requests to host A again")


def test_4_the_login_limit_holds_across_both_hosts_for_one_address_only(topology):
    # Addresses of this run's own, so that nothing left in Redis from another run counts.
    first, second = (f"127.0.{secrets.randbelow(200) + 20}.{n}" for n in (1, 2))
    one, other = Site(topology["site"].port, first), Site(topology["site"].port, second)
    wait_until_nginx_uses_both_hosts(topology)
    statuses = one.failed_sign_ins(5)
    blocked = one.failed_sign_ins(1)[0]
    spoof_status = one.failed_sign_ins(1, **{"X-Forwarded-For": "203.0.113.50"})[0]
    assert statuses == [401] * 5
    assert blocked == 429 and spoof_status == 429
    assert other.failed_sign_ins(1) == [401]
    served = {
        host.name: host.log.read_text().count('"path": "/login", "status": 401')
        for host in topology["hosts"]
    }
    assert all(count >= 1 for count in served.values()), served  # both hosts took part
    figures["login_limit"] = {
        "limit": "5 per minute",
        "attempts_before_block": statuses,
        "then": blocked,
        "with_a_forged_x_forwarded_for": spoof_status,
        "another_address": 401,
        "401s_served_by_host": served,
    }


def test_5_the_reminder_job_on_both_hosts_at_once_sends_each_reminder_once(topology):
    site = topology["site"]
    service = FakePushService(delay=0.2)
    try:
        _, p256dh, auth = phone_keys()
        performed = datetime.now(UTC) - timedelta(hours=3, minutes=1)
        for number in range(REMINDED_PHONES):
            diary = new_diary(topology, performed)
            subscribed, _ = site.post_json(
                f"/api/v1/diary/{diary}/push",
                {"endpoint": f"{service.base}/push/{number}",
                 "keys": {"p256dh": p256dh, "auth": b64(auth)}},
            )  # fmt: skip
            assert subscribed == 201
        command = [str(BIN / "flask"), "--app", "app", "reminders", "send"]
        runs = [
            subprocess.Popen(command, cwd=ROOT, env=host.env, stdout=subprocess.PIPE, text=True)
            for host in topology["hosts"]
        ]
        outputs = [job.communicate(timeout=120)[0] for job in runs]
        assert [job.returncode for job in runs] == [0, 0], outputs
        received = Counter(service.paths())
        assert received == Counter(f"/push/{n}" for n in range(REMINDED_PHONES)), received
        figures["reminders"] = {
            "due": REMINDED_PHONES,
            "runs": [output.strip() for output in outputs],
            "received_by_push_service": sum(received.values()),
        }
    finally:
        service.close()


def test_6_no_access_or_app_log_holds_a_name_mrn_note_or_token(topology):
    folder = topology["folder"]
    logs = {
        "nginx access": (folder / "nginx-access.log").read_text(),
        **{host.name: host.log.read_text() for host in topology["hosts"]},
    }
    secrets_seen = {
        where: [field for field in (NAME, MRN, NOTE, topology["state"]["token"]) if field in text]
        for where, text in logs.items()
    }
    assert all(not found for found in secrets_seen.values()), secrets_seen
    access = [json.loads(line) for line in logs["nginx access"].splitlines()]
    assert any(line["path"].startswith("/api/v1/diary/***/") for line in access)
    assert all("?" not in line["path"] for line in access)
    app_lines = [json.loads(line) for line in logs["host-3"].splitlines() if line[:1] == "{"]
    assert any(line.get("logger") == "diary.access" for line in app_lines)
    figures["logs"] = {where: len(text.splitlines()) for where, text in logs.items()}
