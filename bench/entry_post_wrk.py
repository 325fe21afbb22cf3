"""The entry post under wrk beside /healthz, as `make bench` measures it (bench/run_all.py),
without the rest of the run: a synthetic clinic, gunicorn with gunicorn.conf.py's threads
and two workers on a free 127.0.0.x address, then rounds in which /healthz and the entry
post take turns. Prints each round's figures and the median ratio of throughputs.

    python bench/entry_post_wrk.py                      # a scratch SQLite file
    python bench/entry_post_wrk.py --database-url postgresql+psycopg://…/empty_db
    BENCH_SECONDS=5 python bench/entry_post_wrk.py --rounds 3

The posts go round-robin to 1,500 diaries, so none comes near the diary link's rate limit
(its production value) or its entry cap; a figure counts 2xx answers only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import free_port, start_gunicorn, wait_for, worker_pids  # noqa: E402
from bench.run_all import BIN, ENTRY_POST, ROOT, flask, lua_list, python, wrk  # noqa: E402

POST_DIARIES = 1500
TOKENS = f"""
from app import app
from diary.extensions import db
from diary.models import Block
from sqlalchemy import select
import json
with app.app_context():
    print(json.dumps(db.session.execute(
        select(Block.diary_token).order_by(Block.id).limit({POST_DIARIES})).scalars().all()))
"""


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have spent."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def served(pids: list[int], url: str, script: str = "") -> dict:
    """wrk's figures, and the workers' CPU time per answer (ms): the figure a busy machine
    moves least."""
    before = cpu_seconds(pids)
    figures = wrk(url, script)
    figures["cpu_ms"] = (cpu_seconds(pids) - before) / figures["requests"] * 1000
    return figures


def measure(env: dict, rounds: int) -> list[dict]:
    flask(env, "db", "upgrade")
    flask(env, "synth", "--blocks", str(POST_DIARIES), "--entries", "1")
    tokens = json.loads(python(env, TOKENS))
    host = f"127.0.0.{random.randint(2, 250)}"  # noqa: S311 (not secret: apart from others' runs)
    port = free_port(host)
    base = f"http://{host}:{port}"
    server = start_gunicorn(BIN, f"{host}:{port}", env, ROOT)
    figures = []
    try:
        wait_for(f"{base}/healthz")
        pids = worker_pids(server.pid)
        script = ENTRY_POST % lua_list(tokens)
        wrk(base, script)  # warm: each worker's connections and statements
        for _ in range(rounds):
            healthz = served(pids, f"{base}/healthz")
            post = served(pids, base, script)
            figures.append({"healthz": healthz, "entry_post": post})
            print(
                f"healthz {healthz['rps']:7.1f}/s p95 {healthz['p95_ms']:6.1f} ms "
                f"{healthz['cpu_ms']:.2f} ms CPU | entry post {post['rps']:7.1f}/s p95 "
                f"{post['p95_ms']:6.1f} ms {post['cpu_ms']:.2f} ms CPU | "
                f"ratio {post['rps'] / healthz['rps']:.2f} "
                f"(CPU {post['cpu_ms'] / healthz['cpu_ms']:.1f}x)",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(30)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(
            os.environ,
            BLOCK_DIARY_ENV="development",
            DATABASE_URL=args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            FLASK_APP="app",
        )
        figures = measure(env, args.rounds)
    ratios = [f["entry_post"]["rps"] / f["healthz"]["rps"] for f in figures]
    cpu = [f["entry_post"]["cpu_ms"] / f["healthz"]["cpu_ms"] for f in figures]
    print(
        f"load average {os.getloadavg()[0]:.1f}; median throughput ratio "
        f"{statistics.median(ratios):.2f}; median CPU per answer {statistics.median(cpu):.1f}x"
    )


if __name__ == "__main__":
    main()
