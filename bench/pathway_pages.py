"""The worklist and the next-step pages (issue 25) beside /healthz, measured in process on
a synthetic clinic: p50 and p95 of each over the same number of requests, taking turns.

    python bench/pathway_pages.py [--blocks 20000] [--entries 50] [--requests 200]
                                  [--database-url postgresql+psycopg://…]

SQLite in a temporary file unless a scratch PostgreSQL database is given (it is emptied
first). `make bench` measures the same pages over HTTP (bench/run_all.py).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import answered, build, empty_postgres, timed  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(database_url: str, blocks: int, entries: int, requests: int) -> dict:
    bench = build(database_url, blocks, entries, small_blocks=20, migrate=False)
    big = bench.big
    anonymous = bench.app.test_client()
    patient_id = _first_patient(bench)

    def get(client, url):
        def call():
            response = client.get(url)
            response.get_data()
            answered(response, url)

        return call

    calls = {
        "healthz": get(anonymous, "/healthz"),
        "worklist": get(big.client, "/worklist"),
        "worklist_api": get(big.client, "/api/v1/worklist"),
        "next_steps_api": get(big.client, f"/api/v1/patients/{patient_id}/next-steps"),
        "patient_page": get(big.client, f"/patients/{patient_id}"),
    }
    for call in calls.values():  # warm: first statements built, summaries read
        call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    rounds = max(1, requests // 10)
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name] += timed(call, 10)
    return {
        "blocks": blocks,
        "entries": entries,
        "requests": rounds * 10,
        "database": database_url.split(":", 1)[0],
        **{
            name: {
                "p50_ms": round(statistics.median(values) * 1000, 2),
                "p95_ms": round(percentile(values, 0.95) * 1000, 2),
            }
            for name, values in samples.items()
        },
    }


def _first_patient(bench) -> int:
    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Block

    with bench.app.app_context():
        patient_id = db.session.execute(
            select(Block.patient_id).where(Block.id == bench.big.block_ids[0])
        ).scalar_one()
        db.session.remove()
    return patient_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    options = parser.parse_args()
    if options.database_url:
        empty_postgres(options.database_url)
        found = measure(options.database_url, options.blocks, options.entries, options.requests)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/pathway-bench.sqlite3"
            found = measure(url, options.blocks, options.entries, options.requests)
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
