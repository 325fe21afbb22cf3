"""The patient page alone: its CPU time beside /healthz's, and a cProfile table.

    python bench/profile_patient_page.py [--profile OUT.txt] [--database URL] [--open]
                                         [--unkept]

A scratch database with the guard's page (a 50-entry diary, bench/inprocess.report_block);
``--open`` moves the block's times so that its diary window is still open (correction links
and due times shown), as a patient mid-diary sees it. The guard reads one diary again and
again, so its page is kept whole (diary/patient/kept_pages.py); ``--unkept`` measures the
page of a diary seen for the first time since it changed (neither its page nor its list kept).
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402
from bench.profile_paths import table  # noqa: E402


def setup(database_url: str, window_open: bool, unkept: bool = False):
    from datetime import timedelta

    from diary.extensions import db
    from diary.models import Block, DiaryEntry
    from diary.sample_data import synthetic_clinic

    app = inprocess.make_app(database_url)
    with app.app_context():
        db.create_all()
        clinic_id = synthetic_clinic(3, 1, seed=1, stale_summaries=False).clinic_id
        db.session.remove()
    block_id = inprocess.report_block(app, clinic_id, entries=50)
    with app.app_context():
        block = db.session.get(Block, block_id)
        if window_open:  # the same diary, moved 2 days and 12 hours later
            shift = timedelta(days=2, hours=12)
            for name in ("performed_at", "link_expires_at"):
                setattr(block, name, getattr(block, name) + shift)
            for entry in db.session.scalars(db.select(DiaryEntry).filter_by(block_id=block_id)):
                entry.recorded_at += shift
            db.session.commit()
        token = block.diary_token
        db.session.remove()
    if unkept:  # neither its list nor its page kept (diary/patient/kept_pages.py)
        app.extensions["diary_saved_lists"].max_items = 0
        app.extensions["diary_kept_pages"].max_items = 0
    client = app.test_client()

    get = inprocess.cpu_timed_get
    return get(client, "/healthz"), get(client, f"/d/{token}"), client, token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="")
    parser.add_argument("--profile", default="")
    parser.add_argument("--open", action="store_true")
    parser.add_argument("--unkept", action="store_true")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{folder}/page.sqlite3"
        if args.database:
            inprocess.empty_postgres(url)
        healthz, page, _, _ = setup(url, args.open, args.unkept)
        for _ in range(5):
            healthz(), page()
        samples: dict[str, list[float]] = {"healthz": [], "page": []}
        for _ in range(args.rounds):
            for name, call in (("healthz", healthz), ("page", page)):
                samples[name].append(statistics.median(call() for _ in range(7)))
        times = {name: statistics.median(values) for name, values in samples.items()}
        print(
            f"healthz {times['healthz'] * 1000:.2f} ms, page {times['page'] * 1000:.2f} ms, "
            f"ratio {times['page'] / times['healthz']:.1f}"
        )
        if args.profile:
            calls = 200
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(calls):
                page()
            profile.disable()
            title = (
                f"patient page, 50 entries{' (window open)' if args.open else ''}"
                f"{', neither its list nor its page kept' if args.unkept else ''}"
            )
            note = (
                f"; CPU without it: page {times['page'] * 1000:.2f} ms, "
                f"/healthz {times['healthz'] * 1000:.2f} ms"
            )
            Path(args.profile).write_text(table(profile, calls, title, note))


if __name__ == "__main__":
    main()
