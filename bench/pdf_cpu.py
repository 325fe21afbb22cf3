"""The report PDF's CPU time in process (issue 23, item 3): a 60-entry block's PDF,
warm, as thread CPU time, on SQLite or on the PostgreSQL database given by URL; with
``--profile FILE`` a cProfile top-20 of the warm calls.

    python bench/pdf_cpu.py                                  # SQLite, a scratch file
    python bench/pdf_cpu.py postgresql+psycopg://…/bd_x      # PostgreSQL (emptied first)
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402
from bench.profile_paths import table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    parser.add_argument("--calls", type=int, default=9)
    parser.add_argument("--profile")
    parser.add_argument("--pdf", help="write the PDF here")
    parser.add_argument("--series", action="store_true", help="the series report instead")
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = args.url or f"sqlite:///{folder}/pdf.sqlite3"
    app = inprocess.make_app(url)
    from sqlalchemy import event

    from diary.extensions import db
    from diary.models import Block
    from diary.sample_data import SYNTHETIC_PASSWORD, synthetic_clinic

    with app.app_context():
        db.drop_all()
        db.create_all()
        user = synthetic_clinic(20, 1, seed=1, stale_summaries=False)
        clinic_id, email = user.clinic_id, user.email
        db.session.remove()
    block_id = inprocess.report_block(app, clinic_id, entries=60)
    with app.app_context():
        patient_id = db.session.get(Block, block_id).patient_id
        db.session.remove()
    client = app.test_client()
    signed = client.post("/login", data={"email": email, "password": SYNTHETIC_PASSWORD})
    assert signed.status_code == 302
    path = f"/patients/{patient_id}/report.pdf" if args.series else f"/blocks/{block_id}/report.pdf"

    def call() -> tuple[float, bytes]:
        started = time.thread_time()
        response = client.get(path)
        body = response.get_data()
        spent = time.thread_time() - started
        inprocess.answered(response, path)
        return spent, body

    wall = time.perf_counter()
    cold, body = call()
    print(
        f"cold (first call in this process): {cold * 1000:.0f} ms CPU, "
        f"{(time.perf_counter() - wall) * 1000:.0f} ms wall"
    )
    if args.pdf:
        Path(args.pdf).write_bytes(body)
    with app.app_context():
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    call()
    print(f"statements per PDF: {len(statements)}")
    times = [call()[0] for _ in range(args.calls)]
    print(
        f"warm: median {statistics.median(times) * 1000:.0f} ms CPU, min "
        f"{min(times) * 1000:.0f} ms over {args.calls} ({url.split(':')[0]}), "
        f"{len(body)} bytes"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(3):
            call()
        profile.disable()
        title = f"report PDF, 60 entries ({url.split(':')[0]}), warm"
        note = f"; warm {statistics.median(times) * 1000:.0f} ms CPU without the profiler"
        Path(args.profile).write_text(table(profile, 3, title, note))


if __name__ == "__main__":
    main()
