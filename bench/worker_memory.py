"""What a gunicorn worker's memory is made of, stage by stage, in the order `make bench`
(bench/run_all.py) serves things: after the app's import (the master's, preloaded), after
the entry posts, the patient pages, the dashboards, the cached chart, the CSV export, the
worklist and the report PDF.

    .venv/bin/python bench/worker_memory.py [--database URL] [--seconds 4] [--tracemalloc]

Against gunicorn.conf.py's settings (2 workers × 4 threads, bench/harness.py's flags) and a
synthetic clinic (BENCH_BLOCKS × BENCH_ENTRIES, made in a scratch SQLite file unless
--database names one already made by `flask synth`). After each stage every worker writes
its figures (bench/worker_memory_probe.py, on SIGUSR2); the table shows the worker with
the higher peak: VmRSS, VmHWM (what run_all's `peak_memory_mb` reads), and where its
resident pages are (Python's objects and malloc's arenas as "anonymous", each library's
code). --tracemalloc adds Python's allocations by package (tracing costs memory itself:
read its RSS figures apart; the pages are slower under it, give wrk --seconds 10 or more).
The table goes to stdout and, with --out, to a file. A copied SQLite file must come
without the -wal and -shm files of an earlier copy (SQLite would apply them to it).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import free_port, wait_for, worker_pids  # noqa: E402
from bench.run_all import (  # noqa: E402
    ENTRY_POST,
    PASSWORD,
    PATIENT_PAGE,
    POST_DIARIES,
    REPORT_BLOCK,
    TOKENS,
    NotHonest,
    lua_list,
    python,
    sign_in,
)
from bench.run_all import wrk as counted_wrk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MB = 1024


def probe(pids: list[int], folder: Path) -> list[dict]:
    for pid in pids:
        (folder / f"{pid}.json").unlink(missing_ok=True)
        os.kill(pid, signal.SIGUSR2)
    found = []
    for pid in pids:
        path = folder / f"{pid}.json"
        for _ in range(600):
            if path.exists() and path.stat().st_size:
                try:
                    found.append(json.loads(path.read_text()))
                    break
                except json.JSONDecodeError:
                    pass
            time.sleep(0.1)
        else:
            raise RuntimeError(f"worker {pid} wrote no figures")
    return found


def wrk(*args, **kwargs) -> None:
    """run_all's wrk; a few refused answers (a loaded machine's SQLite queue) change no
    memory figure, so they are told, not fatal."""
    try:
        counted_wrk(*args, **kwargs)
    except NotHonest as refused:
        print(f"(not all 2xx) {refused}", file=sys.stderr)


def both_workers(master: int) -> list[int]:
    """The two workers' ids, once both are up (the first can answer before the second forks)."""
    for _ in range(300):
        pids = worker_pids(master)
        if len(pids) == 2:
            return pids
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn has workers {pids}, not two")


def get(url: str, cookie: str) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 (local)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return response.read()


def stages(base: str, env: dict) -> list[tuple[str, object]]:
    """(stage, what it serves) in run_all's order."""
    tokens = json.loads(python(env, TOKENS))
    post_tokens, page_tokens = tokens[:POST_DIARIES], tokens[POST_DIARIES:]
    email = first_email(env, 1)
    small_email = first_email(env, 2)
    report_block = python(env, REPORT_BLOCK)
    session: dict[str, str] = {}

    def sign_ins() -> None:
        session["big"] = sign_in(base, email, PASSWORD)
        session["small"] = sign_in(base, small_email, PASSWORD)
        session["search"] = sign_in(base, email, PASSWORD, search="s00123")

    def export() -> None:
        for _ in range(3):
            get(f"{base}/exports/entries.csv", session["big"])

    return [
        ("healthz", lambda: wrk(f"{base}/healthz")),
        ("entry posts", lambda: wrk(base, ENTRY_POST % lua_list(post_tokens))),
        ("patient pages", lambda: wrk(base, PATIENT_PAGE % lua_list(page_tokens))),
        ("sign-ins", sign_ins),
        ("dashboard", lambda: wrk(f"{base}/", headers={"Cookie": session["big"]})),
        ("dashboard, small", lambda: wrk(f"{base}/", headers={"Cookie": session["small"]})),
        ("dashboard search", lambda: wrk(f"{base}/", headers={"Cookie": session["search"]})),
        (
            "chart (cached)",
            lambda: wrk(f"{base}/blocks/1/chart.png", headers={"Cookie": session["big"]}),
        ),
        ("CSV export ×3", export),
        ("worklist", lambda: wrk(f"{base}/worklist", headers={"Cookie": session["big"]})),
        (
            "next steps",
            lambda: wrk(f"{base}/api/v1/patients/1/next-steps", headers={"Cookie": session["big"]}),
        ),
        (
            "report PDF ×6",
            lambda: [
                get(f"{base}/blocks/{report_block}/report.pdf", session["big"]) for _ in range(6)
            ],
        ),
    ]


def first_email(env: dict, clinic_id: int) -> str:
    return python(
        env,
        "from app import app\nfrom diary.extensions import db\nfrom diary.models import User\n"
        "from sqlalchemy import select\nwith app.app_context():\n"
        f"    print(db.session.scalars(select(User.email).where(User.clinic_id == {clinic_id})"
        ".order_by(User.id)).first())",
    )


def row(stage: str, figures: list[dict]) -> dict:
    worst = max(figures, key=lambda f: f["status_kb"]["VmHWM"])
    smaps = worst["smaps_rss_kb"]
    libs = sorted(((k, v) for k, v in smaps.items() if k.startswith("lib ")), key=lambda kv: -kv[1])
    return {
        "stage": stage,
        "rss": worst["status_kb"]["VmRSS"] / MB,
        "hwm": worst["status_kb"]["VmHWM"] / MB,
        "other_hwm": [f["status_kb"]["VmHWM"] / MB for f in figures if f is not worst],
        "anonymous": (smaps.get("anonymous", 0) + smaps.get("[heap]", 0)) / MB,
        "libraries": sum(v for _, v in libs) / MB,
        "top_libraries": [(k[4:], round(v / MB, 1)) for k, v in libs[:6]],
        "modules": worst["modules"],
        "gc_objects": worst["gc_objects"],
        "caches": worst["caches"],
        "traced": worst["traced"],
    }


def table(rows: list[dict], tracing: bool) -> str:
    lines = [
        "| stage | VmRSS MB | VmHWM MB (other worker) | anonymous + heap MB | libraries MB "
        "| modules | gc objects | largest libraries (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        other = ", ".join(f"{h:.1f}" for h in r["other_hwm"])
        libs = ", ".join(f"{k} {v}" for k, v in r["top_libraries"])
        lines.append(
            f"| {r['stage']} | {r['rss']:.1f} | {r['hwm']:.1f} ({other}) | "
            f"{r['anonymous']:.1f} | {r['libraries']:.1f} | {r['modules']} | "
            f"{r['gc_objects']:,} | {libs} |"
        )
    lines += ["", "Caches after each stage (the worker above):", ""]
    for r in rows:
        lines.append(f"- {r['stage']}: {json.dumps(r['caches'])}")
    if tracing:
        lines += ["", "Python's allocations by package (tracemalloc), after each stage:", ""]
        for r in rows:
            traced = ", ".join(f"{k} {v / 2**20:.1f}" for k, v in r["traced"][:12])
            lines.append(f"- {r['stage']}: {traced}")
    return "\n".join(lines)


def synthetic(env: dict) -> None:
    blocks = os.environ.get("BENCH_BLOCKS", "20000")
    entries = os.environ.get("BENCH_ENTRIES", "50")
    run = dict(check=True, env=env, cwd=ROOT, capture_output=True)
    subprocess.run([BIN / "flask", "db", "upgrade"], **run)
    subprocess.run([BIN / "flask", "synth", "--blocks", blocks, "--entries", entries], **run)
    subprocess.run(
        [BIN / "flask", "synth", "--blocks", "200", "--entries", entries, "--seed", "2"], **run
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="a database `flask synth` filled (both clinics)")
    parser.add_argument("--seconds", default="4", help="each wrk run's length")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--log", type=Path, help="gunicorn's own output (else discarded)")
    args = parser.parse_args()
    os.environ["BENCH_SECONDS"] = args.seconds
    import bench.run_all

    bench.run_all.WRK_SECONDS = args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = dict(
            os.environ,
            BLOCK_DIARY_ENV="development",
            DATABASE_URL=args.database or f"sqlite:///{folder / 'bench.sqlite3'}",
            FLASK_APP="app",
            LOGIN_RATE_LIMIT="100000 per minute",
            WORKER_MEMORY_DIR=str(folder),
        )
        if args.tracemalloc:
            env["PYTHONTRACEMALLOC"] = "1"
        if not args.database:
            synthetic(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = args.log.open("w") if args.log else subprocess.DEVNULL
        server = subprocess.Popen(
            [BIN / "gunicorn", "-c", ROOT / "bench" / "worker_memory_probe.py", "-w", "2",
             "--timeout", "600", "--max-requests", "0", "-b", f"127.0.0.1:{port}", "app:app"],
            env=env, cwd=ROOT, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            wait_for(f"{base}/healthz")
            pids = both_workers(server.pid)
            rows = [row("started (import app, forked)", probe(pids, folder))]
            for stage, serve in stages(base, env):
                serve()
                rows.append(row(stage, probe(pids, folder)))
                print(f"{stage}: {rows[-1]['hwm']:.1f} MB", file=sys.stderr)
        finally:
            server.terminate()
            server.wait(20)
    text = table(rows, args.tracemalloc)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
