"""The production topology, for real, on loopback addresses of its own:

    Chromium (phone size) --https--> nginx 127.0.0.1 --> gunicorn host A 127.0.0.2
                                                     \\-> gunicorn host B 127.0.0.3
    both hosts --> the CI's PostgreSQL (a scratch database) and a Redis of the test's own

nginx is rendered from deploy/nginx/block-diary.conf.template. The hosts are set up as the
README's "Production" block says, line for line: each from its own copy of
deploy/env.example with the values marked "set" filled in (and nothing else but a few
test-only limits), the migration step, `flask clinic create` and gunicorn run by bash
after `set -a; . env; set +a`. The figures of the run go to test-artifacts/topology.json.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.sync_api import expect

from bench.harness import free_port
from diary.reminders.push import KNOWN_PUSH_SERVICES, generate_vapid_keys
from tests.conftest import API_BLOCK, PHONE, scratch_postgres
from tests.push_service import FakePushService, b64, phone_keys

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
TEMPLATE = ROOT / "deploy" / "nginx" / "block-diary.conf.template"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
COMPOSE = ROOT / "deploy" / "compose.yaml"
README = ROOT / "README.md"
FIGURES = ROOT / "test-artifacts" / "topology.json"
NAME, MRN, NOTE = "Zebedee Quist", "MRN-778812", "pain after gardening"
NEW_PASSWORD = "violet harbour lantern seventeen"
# The README's own first clinic.
ADMIN = re.search(r"--admin-email (\S+)", README.read_text()).group(1)
CLINIC_ZONE = ZoneInfo(re.search(r"--timezone (\S+)", README.read_text()).group(1))
LOAD_THREADS, LOAD_ENTRIES = 4, 40  # entries each thread posts through nginx
PHONE_ENTRIES = 4
REMINDED_PHONES = 10
figures: dict = {}


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the run's own self-signed certificate
    return context


def readme_commands() -> list[str]:
    """The README's production block, line by line (comments stay: bash skips them)."""
    text = README.read_text().split("<!-- production-commands", 1)[1]
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def readme_command(start: str) -> str:
    (line,) = [line for line in readme_commands() if line.startswith(start)]
    return line


def values_to_set() -> list[str]:
    """The variables deploy/env.example marks "set" (a "# set:" comment above them)."""
    marked, pending = [], False
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.startswith("# set:"):
            pending = True
        elif (key := re.match(r"^([A-Z_0-9]+)=", line)) and pending:
            marked.append(key.group(1))
            pending = False
    return marked


def env_file(path: Path, values: dict, extra: dict) -> Path:
    """deploy/env.example with ``values`` filled in, as an operator's copy of it."""
    lines = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        key = re.match(r"^([A-Z_0-9]+)=", line)
        if key and key.group(1) in values:
            line = f"{key.group(1)}={values[key.group(1)]}"
        lines.append(line)
    lines += ["# Test only (the defaults are the production ones):"]
    lines += [f"{key}='{value}'" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


def as_the_readme_says(command: str, settings: Path) -> list[str]:
    """bash running ``command`` after the README's `set -a; . env; set +a` on ``settings``."""
    source = readme_command("set -a;").replace("/etc/block-diary/env", str(settings))
    return ["bash", "-c", f"{source}\n{command}"]


# A shell's environment, not the test's: every setting comes from the env file.
BARE = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(ROOT), "LANG": "C.UTF-8"}


class AppHost:
    """One gunicorn app host, started by the README's commands from its env file."""

    def __init__(self, name: str, address: str, settings: dict, extra: dict, folder: Path):
        self.name, self.address, self.port = name, address, free_port(address)
        values = dict(settings, BIND=f"{address}:{self.port}")
        self.env_file = env_file(folder / f"{name}.env", values, extra)
        self.public_url = settings["PUBLIC_URL"]
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def command(self, line: str) -> list[str]:
        return as_the_readme_says(line, self.env_file)

    def start(self) -> float:
        """Seconds from start until /readyz answers 200."""
        started = time.monotonic()
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                self.command("exec " + readme_command(".venv/bin/gunicorn")),
                cwd=ROOT,
                env=BARE,
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
                    return time.monotonic() - started
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
        """A request straight to this host, as nginx (on 127.0.0.1) would forward it."""
        return self.straight(method, path, {"X-Forwarded-For": "127.0.0.1", **(headers or {})})

    def straight(self, method, path, headers=None, body=None, source="127.0.0.1"):
        """A request to this host from ``source``, as a client that found its port would."""
        connection = http.client.HTTPConnection(
            self.address, self.port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request(
                method,
                path,
                body=body,
                headers={
                    "Host": self.public_url.split("//")[1],
                    "X-Forwarded-Proto": "https",
                    **(headers or {}),
                },
            )
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()


class RedisHost:
    """The shared Redis on an address of its own, which a test may stop and start again."""

    def __init__(self, address: str, folder: Path):
        self.address, self.port, self.folder = address, free_port(address), folder
        self.url = f"redis://{address}:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", self.address, "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.address, self.port), timeout=0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


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


def run(command: list[str]) -> str:
    done = subprocess.run(
        command, cwd=ROOT, env=BARE, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def nginx_conf(folder: Path, nginx: str, ports: dict, hosts: list[AppHost]) -> Path:
    values = {
        # As the template's header shows them: each host taken out by one failure.
        "APP_SERVERS": " ".join(
            f"server {h.address}:{h.port} max_fails=1 fail_timeout=10s;" for h in hosts
        ),
        "LISTEN": f"127.0.0.1:{ports['https']}",
        "HTTP_LISTEN": f"127.0.0.1:{ports['http']}",
        "SERVER_NAME": "127.0.0.1",
        "TLS_CERT": str(folder / "tls.crt"),
        "TLS_KEY": str(folder / "tls.key"),
        "ACCESS_LOG": str(folder / "nginx-access.log"),
        "ERROR_LOG": str(folder / "nginx-error.log"),
    }
    site = re.sub(r"\$\{([A-Z_]+)\}", lambda m: values[m.group(1)], TEMPLATE.read_text())
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version)
    if found and tuple(map(int, found.groups())) < (1, 25, 1):
        # What the template's header says to do on an older nginx (Debian 12's 1.22).
        site = re.sub(r"^\s*http2 on;\n", "", site, flags=re.MULTILINE)
        figures["nginx"] = f"{'.'.join(found.groups())}: without the http2 line, as documented"
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
def topology(postgres_url, browser, tmp_path_factory):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx; make test does it as root)")
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("topology")
    with scratch_postgres(postgres_url, "block_diary_topology") as database:
        yield from _run_topology(nginx, folder, database, browser)


def _run_topology(nginx: str, folder: Path, database: str, browser):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(folder / "tls.key"), "-out", str(folder / "tls.crt")],
        check=True, capture_output=True,
    )  # fmt: skip
    ports = {"https": free_port(), "http": free_port()}
    redis = RedisHost("127.0.0.4", folder)
    redis.start()
    vapid_private, vapid_public = generate_vapid_keys()
    # The values deploy/env.example marks "set", as an operator fills them in ...
    settings = {
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_URL": f"https://127.0.0.1:{ports['https']}",
        "SERVER_NAME": "127.0.0.1",
        "DATABASE_URL": database.replace("postgresql+psycopg://", "postgresql://"),
        "PGPASSWORD": "",  # the CI's PostgreSQL trusts local connections
        "RATELIMIT_STORAGE_URI": redis.url,
        "BIND": "(each host's own)",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",  # nginx's address as the hosts see it
        "WEB_CONCURRENCY": "2",  # 2 hosts x 2 workers x (5 + 5) = 40 connections
    }
    assert sorted(settings) == sorted(values_to_set())  # no more, no fewer
    # ... the optional push keys, and test-only limits and push service.
    settings |= {"VAPID_PRIVATE_KEY": vapid_private, "VAPID_PUBLIC_KEY": vapid_public}
    extra = {
        "LOGIN_RATE_LIMIT": "5 per minute",
        # The load below posts 40 entries a diary in seconds: failover, not the quota, is
        # under test here (tests/test_security.py tests the diary quota).
        "DIARY_RATE_LIMIT": "600 per minute",
        # The test's own push service on loopback, besides the browsers' ones.
        "PUSH_SERVICE_HOSTS": ",".join([*KNOWN_PUSH_SERVICES, "http://127.0.0.1"]),
    }
    hosts = [AppHost(f"host-{n}", f"127.0.0.{n}", settings, extra, folder) for n in (2, 3)]
    started = time.monotonic()
    # The one-off migration step, then the first clinic, as the README runs them.
    migrated = run(hosts[0].command(readme_command(".venv/bin/flask --app app db upgrade")))
    lines = [json.loads(line) for line in migrated.splitlines()]  # JSON, as the app logs
    assert any("Running upgrade" in line["message"] for line in lines)
    created = run(hosts[0].command(readme_command(".venv/bin/flask --app app clinic create")))
    proxy = None
    site = Site(ports["https"])
    try:
        figures["host_ready_s"] = [round(host.start(), 2) for host in hosts]
        proxy = subprocess.Popen(
            [nginx, "-c", str(nginx_conf(folder, nginx, ports, hosts)), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_https(site)
        figures["start_to_ready_s"] = round(time.monotonic() - started, 2)
        yield {
            "site": site,
            "hosts": hosts,
            "redis": redis,
            "ports": ports,
            "folder": folder,
            "browser": browser,
            "password": re.search(r"one-time password: (\S+)", created).group(1),
            "database": database,
            "state": {},
        }
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        for host in hosts:
            host.stop()
        redis.stop()
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
    # The password `flask clinic create` printed is changed before anything else.
    page.wait_for_url(f"{site.base}/account")
    page.fill("input[name=current_password]", topology["password"])
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=confirm_password]", NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    page.goto(f"{site.base}/")
    assert page.get_by_role("heading", name="Blocks").is_visible()
    # The API token the next tests use, made where the README says.
    page.goto(f"{site.base}/settings/tokens")
    page.fill("input[name=name]", "topology")
    page.get_by_role("button", name="Create token").click()
    state["api_token"] = page.locator("#new-token").input_value()

    page.goto(f"{site.base}/patients/new")
    page.get_by_label("Display name or initials").fill(NAME)
    page.get_by_label("MRN (optional)").fill(MRN)
    page.get_by_role("button", name=re.compile("Save|Add|Create")).click()
    page.wait_for_url(re.compile(r"/patients/\d+/blocks/new$"))
    # Five minutes ago on the clinic's clock (the README's clinic is in its own zone).
    performed = datetime.now(CLINIC_ZONE) - timedelta(minutes=5)
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
    site, token = topology["site"], topology["state"]["api_token"]
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


def direct_sign_ins(host: AppHost, source: str, count: int) -> list[int]:
    """Wrong passwords sent from ``source`` straight to ``host``'s port (its own form and
    cookie first), each with a new forged X-Forwarded-For."""
    connection = http.client.HTTPConnection(
        host.address, host.port, timeout=10, source_address=(source, 0)
    )
    connection.request("GET", "/login", headers={"Host": host.public_url.split("//")[1]})
    page = connection.getresponse()
    cookie = page.getheader("Set-Cookie").split(";")[0]
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page.read()).group(1)
    connection.close()
    form = urlencode({"email": ADMIN, "password": "not the password", "csrf_token": token})
    statuses = []
    for n in range(count):
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-Forwarded-For": f"203.0.113.{n}",
        }
        statuses.append(host.straight("POST", "/login", headers, form, source=source)[0])
    return statuses


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
    # A client that reaches a host's port directly, with a new forged X-Forwarded-For
    # each time, is counted by its real address (not nginx's: FORWARDED_ALLOW_IPS).
    direct = topology["hosts"][1]
    real = f"127.0.{secrets.randbelow(200) + 20}.3"
    forged = direct_sign_ins(direct, real, 7)
    assert forged == [401] * 5 + [429, 429], forged
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
        "straight_to_a_host_with_forged_x_forwarded_for": forged,
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
        job = ".venv/bin/flask --app app reminders send"  # what the systemd timer runs
        runs = [
            subprocess.Popen(
                host.command(job), cwd=ROOT, env=BARE, stdout=subprocess.PIPE, text=True
            )
            for host in topology["hosts"]
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        received = Counter(service.paths())
        assert received == Counter(f"/push/{n}" for n in range(REMINDED_PHONES)), received
        figures["reminders"] = {
            "due": REMINDED_PHONES,
            "runs": [json.loads(output)["message"] for output in outputs],
            "received_by_push_service": sum(received.values()),
        }
    finally:
        service.close()


def test_6_without_push_keys_the_reminder_job_says_push_is_off_and_succeeds(topology):
    """The env file as deploy/env.example ships it, VAPID keys left empty."""
    host = topology["hosts"][0]
    plain = host.env_file.with_name("no-push.env")
    plain.write_text(re.sub(r"^(VAPID_\w+_KEY)=.*$", r"\1=", host.env_file.read_text(), flags=re.M))
    started = time.monotonic()
    output = run(as_the_readme_says(".venv/bin/flask --app app reminders send", plain))
    (line,) = [json.loads(text) for text in output.splitlines()]
    assert "push reminders are off" in line["message"]
    figures["reminders_without_keys"] = {
        "exit": 0,
        "output": line["message"],
        "seconds": round(time.monotonic() - started, 2),
    }


def test_7_the_containers_health_check_command_passes_against_a_running_host(topology):
    """compose.yaml's health check, run as written, with a host's own settings."""
    compose = yaml.safe_load(COMPOSE.read_text())
    check = compose["services"]["app1"]["healthcheck"]["test"]
    assert check[0] == "CMD" and "/readyz" in " ".join(check)
    for service in ("migrate", "reminders", "postgres", "redis"):
        assert "/readyz" not in str(compose["services"][service].get("healthcheck"))
    host = topology["hosts"][1]
    done = subprocess.run(
        as_the_readme_says(shlex.join(check[1:]), host.env_file),
        cwd=ROOT,
        env=BARE,  # `python` is the .venv's, as it is the image's
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Plain http is sent to https.
    connection = http.client.HTTPConnection("127.0.0.1", topology["ports"]["http"], timeout=5)
    connection.request("GET", "/login")
    redirect = connection.getresponse()
    assert redirect.status == 301
    assert redirect.getheader("Location").startswith("https://127.0.0.1")
    connection.close()
    figures["health_check"] = {"command": check[1:3] + ["…"], "exit": done.returncode}


def test_8_with_redis_down_sign_in_refuses_readyz_says_so_and_entries_keep_arriving(topology):
    site, hosts, redis = topology["site"], topology["hosts"], topology["redis"]
    diary = new_diary(topology, datetime.now(UTC) - timedelta(minutes=20))
    redis.stop()
    try:
        ready = [host.direct("GET", "/readyz") for host in hosts]
        assert [status for status, _ in ready] == [503, 503]
        reasons = [json.loads(body) for _, body in ready]
        assert all(reason["store"] == redis.url for reason in reasons), reasons
        sign_in = Site(site.port, "127.0.0.9").failed_sign_ins(3)
        assert sign_in == [503, 503, 503]
        answers = [
            site.post_json(
                f"/api/v1/diary/{diary}/entries", {"pain": n, "client_id": f"no-redis-{n:04d}"}
            )
            for n in range(10)
        ]
        accepted = [status for status, _ in answers]
        assert accepted == [201] * 10, answers
    finally:
        redis.start()
    assert [host.direct("GET", "/readyz")[0] for host in hosts] == [200, 200]
    wait_until_nginx_uses_both_hosts(topology)  # no host was taken out meanwhile
    figures["redis_down"] = {
        "readyz": [status for status, _ in ready],
        "reason": reasons[0]["reason"],
        "sign_in": sign_in,
        "diary_entries_accepted": f"{accepted.count(201)} of {len(accepted)}",
    }


def test_9_no_access_or_app_log_holds_a_name_mrn_note_or_token(topology):
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
