"""`make bench`: every benchmark of issue 7 against a synthetic clinic, each beside the
limit it cannot beat, measured in the same run; writes bench/RESULTS.md.

Needs wrk (apt-get install wrk) and the sqlite3 shell; traffic stays on 127.0.0.1.
BENCH_BLOCKS and BENCH_ENTRIES size the clinic (default 20,000 blocks x 50 = 1,000,000 entries).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import platform
import re
import shutil
import sqlite3
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


def wrk(url: str, script: str = "", headers: dict | None = None, connections: int = 16) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + REPORT)
    command = ["wrk", "-t2", f"-c{connections}", f"-d{WRK_SECONDS}s", "-s", lua.name, url]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(lua.name)
    return json.loads(output.split("RESULT ", 1)[1])


def sign_in(base: str, email: str, password: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": csrf, "email": email, "password": password})
    opener.open(f"{base}/login", data=data.encode())
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def peak_memory_mb(pids: list[int]) -> float:
    peaks = []
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return max(peaks)


def chart_floor_and_cold(env: dict) -> dict:
    code = r"""
import io, statistics, time, json
from matplotlib.figure import Figure
from app import app
from diary import charts, services
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
        charts.render_chart(services.analyse_block(block), block.baseline_pain, "png")
        cold.append(time.perf_counter() - started)
print(json.dumps({"floor_ms": statistics.median(floor[2:]) * 1000,
                  "cold_ms": statistics.median(cold[2:]) * 1000}))
"""
    output = subprocess.run(
        [BIN / "python", "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def explain(database: Path) -> list[str]:
    queries = {
        "dashboard page": "SELECT block.id FROM block JOIN patient ON patient.id = "
        "block.patient_id WHERE block.clinic_id = 1 AND block.archived_at IS NULL "
        "ORDER BY block.performed_at DESC, block.id DESC LIMIT 25",
        "a block's entries": "SELECT * FROM diary_entry WHERE block_id = 7 ORDER BY recorded_at",
        "export by date": "SELECT id FROM block WHERE clinic_id = 1 AND performed_at >= "
        "'2026-01-01' ORDER BY performed_at, id",
        "entry by client id": "SELECT id FROM diary_entry WHERE block_id = 7 AND client_id = 'x'",
    }
    lines = []
    with sqlite3.connect(database) as connection:
        for name, sql in queries.items():
            plan = connection.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            lines.append(f"- {name}: " + "; ".join(row[-1] for row in plan))
    return lines


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        env = dict(
            os.environ,
            BLOCK_DIARY_ENV="development",
            DATABASE_URL=f"sqlite:///{database}",
            FLASK_APP="app",
            LOGIN_RATE_LIMIT="100000 per minute",
        )
        subprocess.run(
            [BIN / "flask", "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True
        )
        started = time.perf_counter()
        made = subprocess.run(
            [BIN / "flask", "synth", "--blocks", str(BLOCKS), "--entries", str(ENTRIES)],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(made, f"({time.perf_counter() - started:.0f} s)")
        with sqlite3.connect(database) as connection:
            tokens = [
                row[0]
                for row in connection.execute("SELECT diary_token FROM block ORDER BY id LIMIT 200")
            ]
        email = re.search(r"sign in as (\S+)", made).group(1)

        # 5. start-up: process start to first answered request
        port = free_port()
        booted = time.perf_counter()
        server = subprocess.Popen(
            [BIN / "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "app:app"],
            env=env,
            cwd=ROOT,
            stderr=subprocess.DEVNULL,
        )
        wait_for(f"http://127.0.0.1:{port}/healthz")
        results["startup"] = {"first_answer_s": round(time.perf_counter() - booted, 3)}
        server.terminate()
        server.wait(10)

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
            cookie = sign_in(base, email, "synthetic-bench-password")
            session = {"Cookie": cookie}
            healthz = wrk(f"{base}/healthz")
            results["healthz"] = healthz

            # 1. patient entry post
            post = """
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
""" % ", ".join(f'"{t}"' for t in tokens)
            results["entry_post"] = wrk(base, post)

            # 2. patient page and dashboard
            results["patient_page"] = wrk(f"{base}/d/{tokens[0]}")
            results["dashboard"] = wrk(f"{base}/", headers=session)
            results["dashboard_search"] = wrk(f"{base}/?q=S0123", headers=session)

            # 3. chart: cold render in-process; repeat requests served from the cache
            results["chart"] = chart_floor_and_cold(env)
            results["chart_cached"] = wrk(f"{base}/blocks/1/chart.png", headers=session)

            # 4. CSV export of every entry, streamed, against the sqlite3 shell's own dump
            pids = worker_pids(server.pid)
            before = peak_memory_mb(pids)
            request = urllib.request.Request(f"{base}/exports/entries.csv", headers=session)
            started = time.perf_counter()
            rows = -1
            with urllib.request.urlopen(request, timeout=600) as response:
                for _ in response:
                    rows += 1
            app_seconds = time.perf_counter() - started
            after = peak_memory_mb(pids)
        finally:
            server.terminate()
            server.wait(20)
        started = time.perf_counter()
        subprocess.run(
            ["sqlite3", "-csv", "-header", str(database), "SELECT * FROM diary_entry"],
            stdout=subprocess.DEVNULL,
            check=True,
        )
        native_seconds = time.perf_counter() - started
        results["csv"] = {
            "rows": rows,
            "app_s": round(app_seconds, 2),
            "app_rows_per_s": round(rows / app_seconds),
            "native_s": round(native_seconds, 2),
            "native_rows_per_s": round(rows / native_seconds),
            "worker_peak_mb_before": round(before, 1),
            "worker_peak_mb_after": round(after, 1),
        }
        plans = explain(database)
    write_results(results, plans)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×"


def write_results(r: dict, plans: list[str]) -> None:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    h, post = r["healthz"], r["entry_post"]
    chart, cached, csv = r["chart"], r["chart_cached"], r["csv"]
    rows = [
        (
            "1. Entry post (2 workers, SQLite WAL)",
            f"{post['rps']:.0f} req/s, p50 {post['p50_ms']:.1f} ms, p95 {post['p95_ms']:.1f} ms",
            f"/healthz {h['rps']:.0f} req/s",
            ratio(post["rps"], h["rps"]) + " of throughput",
            "≥ 0.5×",
            post["rps"] >= 0.5 * h["rps"],
        ),
    ]
    for key, label in (
        ("patient_page", "2. Patient page"),
        ("dashboard", f"2. Dashboard, {BLOCKS:,} blocks"),
        ("dashboard_search", "2. Dashboard search"),
    ):
        v = r[key]
        rows.append(
            (
                label,
                f"p95 {v['p95_ms']:.1f} ms ({v['rps']:.0f} req/s)",
                f"/healthz p95 {h['p95_ms']:.1f} ms",
                ratio(v["p95_ms"], h["p95_ms"]),
                "≤ 3×",
                v["p95_ms"] <= 3 * h["p95_ms"],
            )
        )
    rows += [
        (
            "3. Chart, cold render",
            f"{chart['cold_ms']:.1f} ms",
            f"bare Figure + PNG {chart['floor_ms']:.1f} ms",
            ratio(chart["cold_ms"], chart["floor_ms"]),
            "≤ 2×",
            chart["cold_ms"] <= 2 * chart["floor_ms"],
        ),
        (
            "3. Chart, cached repeat",
            f"p50 {cached['p50_ms']:.2f} ms",
            f"/healthz p50 {h['p50_ms']:.2f} ms",
            ratio(cached["p50_ms"], h["p50_ms"]),
            "≤ 1.5×",
            cached["p50_ms"] <= 1.5 * h["p50_ms"],
        ),
        (
            f"4. CSV export, {csv['rows']:,} entries",
            f"{csv['app_rows_per_s']:,} rows/s "
            f"({csv['app_s']} s); worker peak {csv['worker_peak_mb_after']} MB",
            f"sqlite3 -csv {csv['native_rows_per_s']:,} rows/s ({csv['native_s']} s)",
            ratio(csv["app_rows_per_s"], csv["native_rows_per_s"]),
            "≥ 0.33×, < 150 MB",
            csv["app_rows_per_s"] >= csv["native_rows_per_s"] / 3
            and csv["worker_peak_mb_after"] < 150,
        ),
        (
            "5. Start-up to first answer",
            f"{r['startup']['first_answer_s']} s",
            "—",
            "—",
            "< 1 s",
            r["startup"]["first_answer_s"] < 1,
        ),
    ]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}. wrk 2 threads × 16 connections, {WRK_SECONDS} s "
        "per figure, against gunicorn with 2 sync workers on the same machine.",
        "",
        "| benchmark | app | limit | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for label, app, limit, measured, target, met in rows:
        lines.append(
            f"| {label} | {app} | {limit} | {measured} | {target} | {'yes' if met else 'no'} |"
        )
    lines += [
        "",
        "Query plans (SQLite `EXPLAIN QUERY PLAN`):",
        "",
        *plans,
        "",
        "Raw figures:",
        "",
        "```json",
        json.dumps(r, indent=1),
        "```",
        "",
    ]
    text = "\n".join(lines)
    (ROOT / "bench" / "RESULTS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
