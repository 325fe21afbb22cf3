"""`make bench`: every benchmark of issue 7 against a synthetic clinic, each beside the
limit it cannot beat, measured in the same run; writes bench/RESULTS.md.

Runs on SQLite (WAL), and on PostgreSQL too when one answers at BENCH_POSTGRES
(default postgresql://postgres@127.0.0.1:5432/postgres; a scratch database is made and
dropped). Needs wrk (apt-get install wrk), the sqlite3 shell and, for PostgreSQL, psql.
Traffic stays on 127.0.0.1. BENCH_BLOCKS and BENCH_ENTRIES size the clinic (default
20,000 blocks x 50 = 1,000,000 entries); BENCH_SECONDS is each wrk run's length.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import free_port, wait_for, worker_pids  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BLOCKS = int(os.environ.get("BENCH_BLOCKS", "20000"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "50"))
WRK_SECONDS = os.environ.get("BENCH_SECONDS", "8")
CSV_RUNS = 3  # each CSV figure (the app's and the database's own) is the median of three
POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
PASSWORD = "synthetic-bench-password"  # noqa: S105 (the synthetic clinic's, printed by synth)
REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format('RESULT {"rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, '
    .. '"requests": %d, "errors": %d, "non2xx": %d}\\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, summary.requests, errors, summary.errors.status))
end
"""
ENTRY_POST = """
local tokens = {%s}
local counter = 0
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("id", threads) end
request = function()
  counter = counter + 1
  local token = tokens[(counter %% #tokens) + 1]
  local body = string.format('{"pain": %%d, "client_id": "bench-%%d-%%d"}',
                             counter %% 11, id or 0, counter)
  return wrk.format("POST", "/api/v1/diary/" .. token .. "/entries",
                    {["Content-Type"] = "application/json"}, body)
end
"""

# The statements the dashboard, the series, the diary and the exports send (as the ORM
# writes them, with sample values), for EXPLAIN on each database.
QUERIES = {
    "dashboard page": "SELECT block.id, patient.display_name FROM block JOIN patient "
    "ON patient.id = block.patient_id WHERE block.archived_at IS NULL AND block.clinic_id = 1 "
    "ORDER BY block.performed_at DESC, block.id DESC LIMIT 26 OFFSET 0",
    "dashboard search": "SELECT block.id FROM block WHERE block.archived_at IS NULL "
    "AND block.patient_id IN (SELECT patient_term.patient_id FROM patient_term "
    "WHERE patient_term.clinic_id = 1 AND patient_term.term >= 's00123' "
    "AND patient_term.term < 's00124') AND block.clinic_id + 0 = 1 "
    "ORDER BY block.performed_at DESC, block.id DESC LIMIT 26",
    "diary link": "SELECT block.id FROM block WHERE block.diary_token = 'x'",
    "entry by client id": "SELECT id FROM diary_entry WHERE block_id = 7 AND client_id = 'x'",
    "a block's entries (chart, page, summary)": "SELECT * FROM diary_entry "
    "WHERE diary_entry.block_id IN (7, 8, 9) ORDER BY diary_entry.block_id, "
    "diary_entry.recorded_at",
    "a patient's series": "SELECT id FROM block WHERE block.patient_id = 7 "
    "ORDER BY block.performed_at",
    "export: blocks by date": "SELECT block.id, patient.display_name FROM block JOIN patient "
    "ON patient.id = block.patient_id WHERE block.clinic_id = 1 "
    "AND block.performed_at >= '2026-01-01' ORDER BY block.performed_at, block.id",
}


def wrk(url: str, script: str = "", headers: dict | None = None, connections: int = 16) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + REPORT)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{WRK_SECONDS}s", "-s", lua.name, url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    return json.loads(output.split("RESULT ", 1)[1])


def sign_in(base: str, email: str, password: str, search: str = "") -> str:
    """The session cookie of a signed-in clinician (with a dashboard search in force)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": csrf, "email": email, "password": password})
    opener.open(f"{base}/login", data=data.encode())
    if search:
        # Signing in starts a fresh session, CSRF secret included: read the new token.
        page = opener.open(f"{base}/").read().decode()
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"csrf_token": csrf, "q": search})
        opener.open(f"{base}/search", data=data.encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def peak_memory_mb(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return max(peaks)


def timed(command: list, **kwargs) -> float:
    """The median of CSV_RUNS runs of ``command``, in seconds."""
    times = []
    for _ in range(CSV_RUNS):
        started = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, check=True, **kwargs)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def flask(env: dict, *args: str) -> str:
    return subprocess.run(
        [BIN / "flask", *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def chart_floor_and_cold(env: dict) -> dict:
    code = r"""
import io, statistics, time, json
from matplotlib.figure import Figure
from app import app
from diary import charts
from diary.services.analysis import analyse_block
from diary.extensions import db
from diary.models import Block
floor, cold = [], []
for n in range(12):
    started = time.perf_counter()
    fig = Figure(figsize=(charts.WIDTH_IN, charts.HEIGHT_IN), dpi=charts.BASE_DPI)
    fig.add_subplot().plot([0, 1, 2, 3], [5, 2, 3, 6])
    fig.savefig(io.BytesIO(), format="png")
    floor.append(time.perf_counter() - started)
with app.app_context():
    for block_id in range(1, 13):
        block = db.session.get(Block, block_id)
        started = time.perf_counter()
        charts.render_chart(analyse_block(block), block.baseline_pain, "png")
        cold.append(time.perf_counter() - started)
print(json.dumps({"floor_ms": statistics.median(floor[2:]) * 1000,
                  "cold_ms": statistics.median(cold[2:]) * 1000}))
"""
    output = subprocess.run(
        [BIN / "python", "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def startup_seconds(env: dict) -> float:
    port = free_port()
    booted = time.perf_counter()
    server = subprocess.Popen(
        [BIN / "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "app:app"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        return round(time.perf_counter() - booted, 3)
    finally:
        server.terminate()
        server.wait(10)


def measure_app(env: dict) -> dict:
    """The HTTP figures and the app's CSV export, against gunicorn with 2 sync workers."""
    made = flask(env, "synth", "--blocks", str(BLOCKS), "--entries", str(ENTRIES))
    email = re.search(r"sign in as (\S+)", made).group(1)
    results: dict = {"synth": made}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [BIN / "gunicorn", "-w", "2", "--timeout", "600", "-b", f"127.0.0.1:{port}", "app:app"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"{base}/healthz")
        tokens = json.loads(
            subprocess.run(
                [BIN / "python", "-c", TOKENS],
                env=env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        session = {"Cookie": sign_in(base, email, PASSWORD)}
        results["healthz"] = wrk(f"{base}/healthz")
        # 1. patient entry post
        results["entry_post"] = wrk(base, ENTRY_POST % ", ".join(f'"{t}"' for t in tokens))
        # 2. patient page and dashboard (its first page, and a search)
        results["patient_page"] = wrk(f"{base}/d/{tokens[0]}")
        results["dashboard"] = wrk(f"{base}/", headers=session)
        searching = {"Cookie": sign_in(base, email, PASSWORD, search="s00123")}
        results["dashboard_search"] = wrk(f"{base}/", headers=searching)
        # 3. repeat chart requests, served from the cache
        results["chart_cached"] = wrk(f"{base}/blocks/1/chart.png", headers=session)
        # 4. CSV export of every entry, streamed; the median of three downloads
        pids = worker_pids(server.pid)
        before = peak_memory_mb(pids)
        times = []
        for _ in range(CSV_RUNS):
            request = urllib.request.Request(f"{base}/exports/entries.csv", headers=session)
            started = time.perf_counter()
            rows = -1
            with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 (local)
                for _ in response:
                    rows += 1
            times.append(time.perf_counter() - started)
        seconds = statistics.median(times)
        results["csv"] = {
            "rows": rows,
            "app_s": round(seconds, 2),
            "app_runs_s": [round(t, 2) for t in times],
            "app_rows_per_s": round(rows / seconds),
            "worker_peak_mb_before": round(before, 1),
            "worker_peak_mb_after": round(peak_memory_mb(pids), 1),
        }
    finally:
        server.terminate()
        server.wait(20)
    return results


TOKENS = """
from app import app
from diary.extensions import db
from diary.models import Block
from sqlalchemy import select
import json
with app.app_context():
    print(json.dumps(db.session.execute(
        select(Block.diary_token).order_by(Block.id).limit(200)).scalars().all()))
"""


def add_native_csv(results: dict, seconds: float) -> None:
    csv = results["csv"]
    csv["native_s"] = round(seconds, 2)
    csv["native_rows_per_s"] = round(csv["rows"] / seconds)


def sqlite_run(tmp: Path) -> tuple[dict, list[str]]:
    database = tmp / "bench.sqlite3"
    env = dict(
        os.environ,
        BLOCK_DIARY_ENV="development",
        DATABASE_URL=f"sqlite:///{database}",
        FLASK_APP="app",
        LOGIN_RATE_LIMIT="100000 per minute",
    )
    flask(env, "db", "upgrade")
    results = measure_app(env)
    results["startup"] = {"first_answer_s": startup_seconds(env)}
    results["chart"] = chart_floor_and_cold(env)
    add_native_csv(
        results, timed(["sqlite3", "-csv", "-header", str(database), "SELECT * FROM diary_entry"])
    )
    with sqlite3.connect(database) as connection:
        plans = [
            f"- {name}: "
            + "; ".join(row[-1] for row in connection.execute("EXPLAIN QUERY PLAN " + sql))
            for name, sql in QUERIES.items()
        ]
    return results, plans


def postgres_run() -> tuple[dict, list[str]] | None:
    if not shutil.which("psql"):
        print("PostgreSQL figures skipped: no psql")
        return None
    scratch = f"block_diary_bench_{os.getpid()}"
    admin = ["psql", POSTGRES_ADMIN, "-q", "-v", "ON_ERROR_STOP=1", "-c"]
    if subprocess.run([*admin, f"CREATE DATABASE {scratch}"], capture_output=True).returncode:
        print(f"PostgreSQL figures skipped: cannot create a database at {POSTGRES_ADMIN}")
        return None
    url = POSTGRES_ADMIN.rsplit("/", 1)[0] + "/" + scratch
    try:
        env = dict(
            os.environ,
            BLOCK_DIARY_ENV="development",
            DATABASE_URL=url,
            FLASK_APP="app",
            LOGIN_RATE_LIMIT="100000 per minute",
        )
        flask(env, "db", "upgrade")
        results = measure_app(env)
        copy = "COPY diary_entry TO STDOUT WITH (FORMAT csv, HEADER)"
        add_native_csv(results, timed(["psql", url, "-q", "-c", copy]))
        # Statistics as autovacuum would have gathered them by now in a running clinic.
        subprocess.run(["psql", url, "-q", "-c", "ANALYZE"], check=True)
        plans = []
        for name, sql in QUERIES.items():
            plan = subprocess.run(
                ["psql", url, "-qAt", "-c", "EXPLAIN (COSTS OFF) " + sql],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            steps = [line.strip().lstrip("-> ").strip() for line in plan.splitlines()]
            plans.append(f"- {name}: " + "; ".join(s for s in steps if s))
        return results, plans
    finally:
        subprocess.run([*admin, f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"], check=False)


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_results, sqlite_plans = sqlite_run(Path(tmp))
    postgres = postgres_run()
    write_results(sqlite_results, sqlite_plans, postgres)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×"


def figure_rows(r: dict, database: str) -> list[tuple]:
    h, post, csv = r["healthz"], r["entry_post"], r["csv"]
    rows = [
        (
            "1. Entry post",
            database,
            f"{post['rps']:.0f} req/s, p50 {post['p50_ms']:.1f} ms, p95 {post['p95_ms']:.1f} ms",
            f"/healthz {h['rps']:.0f} req/s",
            ratio(post["rps"], h["rps"]) + " of throughput",
            "≥ 0.5×",
            post["rps"] >= 0.5 * h["rps"],
        )
    ]
    for key, label in (
        ("patient_page", f"2. Patient page ({ENTRIES} entries)"),
        ("dashboard", f"2. Dashboard, {BLOCKS:,} blocks"),
        ("dashboard_search", "2. Dashboard search"),
    ):
        v = r[key]
        rows.append(
            (
                label,
                database,
                f"p95 {v['p95_ms']:.1f} ms ({v['rps']:.0f} req/s)",
                f"/healthz p95 {h['p95_ms']:.1f} ms",
                ratio(v["p95_ms"], h["p95_ms"]),
                "≤ 3×",
                v["p95_ms"] <= 3 * h["p95_ms"],
            )
        )
    cached = r["chart_cached"]
    rows += [
        (
            "3. Chart, cached repeat",
            database,
            f"p50 {cached['p50_ms']:.2f} ms",
            f"/healthz p50 {h['p50_ms']:.2f} ms",
            ratio(cached["p50_ms"], h["p50_ms"]),
            "≤ 1.5×",
            cached["p50_ms"] <= 1.5 * h["p50_ms"],
        ),
        (
            f"4. CSV export, {csv['rows']:,} entries",
            database,
            f"{csv['app_rows_per_s']:,} rows/s ({csv['app_s']} s); "
            f"worker peak {csv['worker_peak_mb_after']} MB",
            f"{'sqlite3 -csv' if database == 'SQLite' else 'COPY … TO STDOUT'} "
            f"{csv['native_rows_per_s']:,} rows/s ({csv['native_s']} s)",
            ratio(csv["app_rows_per_s"], csv["native_rows_per_s"]),
            "≥ 0.33×, < 150 MB",
            csv["app_rows_per_s"] >= csv["native_rows_per_s"] / 3
            and csv["worker_peak_mb_after"] < 150,
        ),
    ]
    return rows


def write_results(
    sqlite_results: dict, sqlite_plans: list[str], postgres: tuple[dict, list[str]] | None
) -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    chart, startup = sqlite_results["chart"], sqlite_results["startup"]
    rows = figure_rows(sqlite_results, "SQLite")
    if postgres:
        rows += figure_rows(postgres[0], "PostgreSQL")
    rows += [
        (
            "3. Chart, cold render",
            "SQLite",
            f"{chart['cold_ms']:.1f} ms",
            f"bare Figure + PNG {chart['floor_ms']:.1f} ms",
            ratio(chart["cold_ms"], chart["floor_ms"]),
            "≤ 2×",
            chart["cold_ms"] <= 2 * chart["floor_ms"],
        ),
        (
            "5. Start-up to first answer",
            "SQLite",
            f"{startup['first_answer_s']} s",
            "—",
            "—",
            "< 1 s",
            startup["first_answer_s"] < 1,
        ),
    ]
    postgres_version = ""
    if postgres:
        postgres_version = ", " + subprocess.run(
            ["psql", POSTGRES_ADMIN, "-qAt", "-c", "SHOW server_version"],
            capture_output=True,
            text=True,
        ).stdout.strip().join(("PostgreSQL ", ""))
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}{postgres_version}. wrk 2 threads × 16 connections, "
        f"{WRK_SECONDS} s per figure, against gunicorn with 2 sync workers on the same "
        f"machine. Synthetic clinic: {BLOCKS:,} blocks × {ENTRIES} entries.",
        "",
        "| benchmark | database | app | limit | ratio | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, database, app, limit, measured, target, met in rows:
        lines.append(
            f"| {label} | {database} | {app} | {limit} | {measured} | {target} | "
            f"{'yes' if met else 'no'} |"
        )
    lines += ["", "Query plans, SQLite (`EXPLAIN QUERY PLAN`):", "", *sqlite_plans, ""]
    if postgres:
        lines += ["Query plans, PostgreSQL (`EXPLAIN`, after `ANALYZE`):", "", *postgres[1], ""]
    raw = {"sqlite": sqlite_results} | ({"postgresql": postgres[0]} if postgres else {})
    lines += ["Raw figures:", "", "```json", json.dumps(raw, indent=1), "```", ""]
    text = "\n".join(lines)
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        text += "\n" + notes.read_text()
    (ROOT / "bench" / "RESULTS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
