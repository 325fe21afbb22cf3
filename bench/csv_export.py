"""The clinic-wide entries CSV (``GET /exports/entries.csv``) alone: its CPU time beside the
database's own dump of the same rows, a cProfile top-20, the file's bytes, and the peak
memory of a process exporting it.

    python bench/csv_export.py time    [--blocks 1000] [--database URL]
    python bench/csv_export.py profile --out bench/profiles/csv_after.txt
    python bench/csv_export.py dump    --out /tmp/entries.csv
    python bench/csv_export.py memory  --blocks 20000

Without --database a SQLite file in a temporary folder is used (kept with --keep DIR, so
a large clinic is made once); a PostgreSQL URL names a scratch database emptied first.
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402
from bench.guard import child_cpu  # noqa: E402
from bench.profile_paths import table  # noqa: E402


def setup(database_url: str, blocks: int, entries: int, fresh: bool):
    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Clinic, User
    from diary.sample_data import SYNTHETIC_PASSWORD, synthetic_clinic

    app = inprocess.make_app(database_url)
    with app.app_context():
        if fresh and db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.create_all()
        user = db.session.scalars(select(User).join(Clinic).order_by(User.id)).first()
        if user is None:
            user = synthetic_clinic(blocks, entries, seed=2, stale_summaries=False)
        clinic_id, email = user.clinic_id, user.email
        db.session.remove()
    client = app.test_client()
    signed = client.post("/login", data={"email": email, "password": SYNTHETIC_PASSWORD})
    assert signed.status_code == 302
    return app, client, clinic_id


def export_body(client) -> bytes:
    response = client.get("/exports/entries.csv")
    assert response.status_code == 200, response.status_code
    return response.get_data()


def native_dump(database_url: str, clinic_id: int) -> float:
    """CPU seconds of the database's own CSV dump of the clinic's entries (the child's)."""
    rows = (
        "SELECT diary_entry.* FROM diary_entry JOIN block ON block.id = "  # noqa: S608
        f"diary_entry.block_id WHERE block.clinic_id = {int(clinic_id)}"
    )
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        return child_cpu([shutil.which("sqlite3"), "-csv", "-header", path, rows])
    url = database_url.replace("postgresql+psycopg", "postgresql")
    started = time.perf_counter()  # the server's CPU is not the child's: wall time
    subprocess.run(
        ["psql", url, "-c", f"COPY ({rows}) TO STDOUT WITH CSV HEADER"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["time", "profile", "dump", "memory"])
    parser.add_argument("--database")
    parser.add_argument("--keep", help="a folder for the SQLite file, kept between runs")
    parser.add_argument("--blocks", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp()
    Path(folder).mkdir(parents=True, exist_ok=True)
    url = args.database or f"sqlite:///{folder}/csv-{args.blocks}x{args.entries}.sqlite3"
    app, client, clinic_id = setup(url, args.blocks, args.entries, fresh=False)
    if args.what == "dump":
        Path(args.out).write_bytes(export_body(client))
        return
    if args.what == "memory":
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        size = sum(len(piece) for piece in client.get("/exports/entries.csv").response)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{size / 1e6:.1f} MB of CSV in {time.perf_counter() - started:.1f} s; peak RSS "
            f"{peak:.0f} MB (before the export {before:.0f} MB)"
        )
        return
    export_body(client)  # warm
    if args.what == "profile":
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(3):
            export_body(client)
        profile.disable()
        Path(args.out).write_text(table(profile, 3, f"entries.csv, {args.blocks} x {args.entries}"))
        return
    spent, native = [], []
    for _ in range(args.rounds):
        started = time.thread_time()
        export_body(client)
        spent.append(time.thread_time() - started)
        native.append(native_dump(url, clinic_id))
    app_ms, native_ms = statistics.median(spent) * 1000, statistics.median(native) * 1000
    print(f"export {app_ms:.0f} ms CPU, native dump {native_ms:.0f} ms: {app_ms / native_ms:.2f}x")


if __name__ == "__main__":
    main()
