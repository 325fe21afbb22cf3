"""Simulated phones posting diary entries to gunicorn, with retries, optionally killing a
worker mid-way; then checks that every acknowledged entry is stored exactly once.

Benchmark: `.venv/bin/python bench/phones.py` (50 phones x 40 entries, 4 workers, SQLite WAL;
`--database-url postgresql+psycopg://...` for PostgreSQL). A short run is part of `make test`.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import free_port, worker_pids  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Tally:
    acknowledged: dict[str, int] = field(default_factory=dict)  # client_id -> entry id
    latencies: list[float] = field(default_factory=list)
    server_errors: int = 0
    locked_errors: int = 0
    connection_errors: int = 0
    retries: int = 0
    mismatched_repeats: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def seed(database_url: str, phones: int) -> list[str]:
    """A synthetic clinic (`flask synth`) with one open diary per phone; returns the tokens."""
    from sqlalchemy import select

    from diary import create_app
    from diary.extensions import db
    from diary.models import Block

    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(
            args=["synth", "--blocks", str(phones), "--entries", "0"]
        )
        assert result.exit_code == 0, result.output
        clinic_id = db.session.execute(select(db.func.max(Block.clinic_id))).scalar_one()
        tokens = (
            db.session.execute(select(Block.diary_token).where(Block.clinic_id == clinic_id))
            .scalars()
            .all()
        )
        db.session.remove()
        db.engine.dispose()
    return list(tokens)


def phone(port: int, token: str, entries: int, tally: Tally, retries: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    path = f"/api/v1/diary/{token}/entries"
    for n in range(entries):
        client_id = f"{token[:12]}-{n:04d}"
        body = json.dumps({"pain": random.randint(0, 10), "client_id": client_id})
        for attempt in range(retries + 1):
            started = time.perf_counter()
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                text = response.read().decode()
            except (OSError, http.client.HTTPException):
                with tally.lock:
                    tally.connection_errors += 1
                    tally.retries += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                time.sleep(0.05 * (attempt + 1))
                continue
            elapsed = time.perf_counter() - started
            with tally.lock:
                tally.latencies.append(elapsed)
                if response.status >= 500:
                    tally.server_errors += 1
                if "locked" in text:
                    tally.locked_errors += 1
            if response.status in (200, 201):
                entry_id = json.loads(text)["id"]
                with tally.lock:
                    tally.acknowledged[client_id] = entry_id
                break
            with tally.lock:
                tally.retries += 1
            time.sleep(0.05 * (attempt + 1))
        # A phone that lost the answer sends again: the same entry must come back.
        if client_id in tally.acknowledged and random.random() < 0.1:
            for attempt in range(retries + 1):
                try:
                    connection.request("POST", path, body, {"Content-Type": "application/json"})
                    repeat = connection.getresponse()
                    again = json.loads(repeat.read().decode())
                except (OSError, http.client.HTTPException, ValueError):
                    connection.close()  # e.g. the worker was killed: reconnect and resend
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    time.sleep(0.05 * (attempt + 1))
                    continue
                if repeat.status != 200 or again.get("id") != tally.acknowledged[client_id]:
                    with tally.lock:
                        tally.mismatched_repeats += 1
                break
    connection.close()


def run(
    phones: int,
    entries: int,
    workers: int,
    database_url: str | None = None,
    kill_worker: bool = True,
    retries: int = 5,
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        database_url = database_url or f"sqlite:///{tmp}/load.sqlite3"
        tokens = seed(database_url, phones)
        port = free_port()
        env = dict(
            os.environ,
            BLOCK_DIARY_ENV="development",
            DATABASE_URL=database_url,
            RATELIMIT_STORAGE_URI="memory://",
        )
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                "5",
                "app:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.1)
            tally = Tally()
            threads = [
                threading.Thread(target=phone, args=(port, token, entries, tally, retries))
                for token in tokens
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            killed = None
            if kill_worker:
                while len(tally.acknowledged) < phones * entries // 3:
                    time.sleep(0.01)
                pids = worker_pids(server.pid)
                if pids:
                    killed = pids[0]
                    os.kill(killed, signal.SIGKILL)
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            alive = server.poll() is None
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(20)
        stored = stored_entries(database_url)
    latencies = sorted(tally.latencies)
    duplicates = {cid: n for cid, n in stored["per_client"].items() if n != 1}
    return {
        "phones": phones,
        "entries_each": entries,
        "workers": workers,
        "database": database_url.split(":")[0],
        "acknowledged": len(tally.acknowledged),
        "stored": stored["total"],
        "acknowledged_missing": sorted(set(tally.acknowledged) - set(stored["per_client"])),
        "duplicates": duplicates,
        "server_errors": tally.server_errors,
        "locked_errors": tally.locked_errors,
        "connection_errors": tally.connection_errors,
        "mismatched_repeats": tally.mismatched_repeats,
        "killed_worker": killed,
        "server_survived": alive,
        "integrity": stored["integrity"],
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1) if latencies else None,
    }


def stored_entries(database_url: str) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT client_id, count(*) FROM diary_entry GROUP BY client_id")
        ).all()
        integrity = "ok"
        if engine.dialect.name == "sqlite":
            integrity = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
    engine.dispose()
    per_client = {client_id: count for client_id, count in rows}
    return {"per_client": per_client, "total": sum(per_client.values()), "integrity": integrity}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--entries", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url")
    parser.add_argument("--no-kill", action="store_true")
    args = parser.parse_args()
    result = run(
        args.phones, args.entries, args.workers, args.database_url, kill_worker=not args.no_kill
    )
    for key, value in result.items():
        print(f"{key:22} {value}")


if __name__ == "__main__":
    main()
