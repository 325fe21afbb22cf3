"""The worklist's and a patient's next steps' CPU time in process, beside /healthz, at
20,000 and 200 blocks, with a cProfile table (thread CPU time) of each.

    python bench/profile_worklist_cpu.py --database URL [--keep FILE] [--label before]

``--database``: a SQLite URL or a PostgreSQL scratch database (emptied first). With
``--keep FILE`` (a marker written once the clinics are made) they are made once and
reused while FILE exists, brought up to the latest migration: a "before" and an "after"
read the same clinics. Figures: the median over rounds of the median of 3 calls, after a
first (cold) call, also reported; each request is a fresh one of the test client, the
app's caches (per process) warm as a worker's would be.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402
from bench.profile_paths import table  # noqa: E402

OUT = Path(__file__).resolve().parent / "profiles"


def reuse(url: str, migrate: bool = True):
    """The app on clinics made before (clinic 1: the big one, clinic 2: the small)."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Block, User
    from diary.sample_data import SYNTHETIC_PASSWORD

    app = inprocess.make_app(url)
    clinics = []
    with app.app_context():
        if migrate:
            logging.disable(logging.INFO)
            upgrade(directory=str(inprocess.ROOT / "migrations"))
            logging.disable(logging.NOTSET)
        users = db.session.execute(
            select(User).where(User.email.like("synth-%@bench.example")).order_by(User.id)
        ).scalars()
        for user in users:
            rows = db.session.execute(
                select(Block.id, Block.diary_token)
                .where(Block.clinic_id == user.clinic_id)
                .order_by(Block.id)
            ).all()
            clinics.append((user.clinic_id, user.email, [r[0] for r in rows], [r[1] for r in rows]))
        db.session.remove()
    made = []
    for clinic_id, email, ids, tokens in clinics:
        client = app.test_client()
        client.post("/login", data={"email": email, "password": SYNTHETIC_PASSWORD})
        made.append(inprocess.Clinic(clinic_id, email, client, ids, tokens))
    return inprocess.Bench(app, made[0], made[1])


def patient_of(bench, block_id: int) -> int:
    from diary.extensions import db
    from diary.models import Block

    with bench.app.app_context():
        found = db.session.get(Block, block_id).patient_id
        db.session.remove()
        return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--keep", default="")
    parser.add_argument("--label", default="before")
    parser.add_argument("--blocks", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="reuse the clinics as they are (an older checkout, beside a newer schema)",
    )
    args = parser.parse_args()
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the access log)
    kind = "postgresql" if args.database.startswith("postgresql") else "sqlite"
    if args.keep and Path(args.keep).exists():
        bench = reuse(args.database, migrate=not args.no_migrate)
    else:
        if kind == "postgresql":
            inprocess.empty_postgres(args.database)
        bench = inprocess.build(args.database, args.blocks, 50)
        if args.keep:
            Path(args.keep).write_text("made\n")
    patient = patient_of(bench, bench.big.block_ids[0])
    small_patient = patient_of(bench, bench.small.block_ids[0])
    calls = {
        "healthz": inprocess.cpu_timed_get(bench.app.test_client(), "/healthz"),
        "worklist": inprocess.cpu_timed_get(bench.big.client, "/worklist"),
        "worklist_small": inprocess.cpu_timed_get(bench.small.client, "/worklist"),
        "worklist_page_3": inprocess.cpu_timed_get(bench.big.client, "/worklist?page=3"),
        "dashboard": inprocess.cpu_timed_get(bench.big.client, "/"),
        "next_steps": inprocess.cpu_timed_get(
            bench.big.client, f"/api/v1/patients/{patient}/next-steps"
        ),
        "next_steps_small": inprocess.cpu_timed_get(
            bench.small.client, f"/api/v1/patients/{small_patient}/next-steps"
        ),
    }
    cold = {name: round(call() * 1000, 2) for name, call in calls.items()}  # first, cold
    per_round = {name: 3 for name in calls}
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.rounds):
        for name, call in calls.items():
            samples[name].append(statistics.median(call() for _ in range(per_round[name])))
    figures = {name: round(statistics.median(v) * 1000, 2) for name, v in samples.items()}
    for name in ("worklist", "next_steps"):
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        for _ in range(10):
            calls[name]()
        profile.disable()
        title = f"{name} ({kind}, {args.blocks:,} blocks, {args.label}; thread CPU time)"
        (OUT / f"{name}_{args.label}.{kind}.txt").write_text(table(profile, 10, title))
    result = {"database": kind, "label": args.label, "cpu_ms_median": figures, "first_ms": cold}
    print(json.dumps(result, indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
