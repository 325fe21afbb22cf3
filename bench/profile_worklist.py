"""One worklist request profiled (cProfile, top 20 by cumulative time) on a synthetic
clinic, and the p50/p95 of /worklist, GET /api/v1/worklist and /healthz beside it.

    python bench/profile_worklist.py [--blocks 2000] [--entries 50] [--requests 100]
                                     [--out bench/profiles/worklist_sqlite_2000.txt]

SQLite in a temporary file. Each profile is of a request made after a warm one (what
staff reading the worklist again costs) and, with --cold, of the first one too.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.inprocess import answered, build, timed  # noqa: E402
from bench.pathway_pages import percentile  # noqa: E402


def forget_kept_steps() -> None:
    from diary.services import next_steps

    kept = getattr(next_steps, "_KEPT", None)
    if kept is not None:
        kept.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=2_000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--out")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/worklist-profile.sqlite3"
        bench = build(url, options.blocks, options.entries, small_blocks=20, migrate=False)
        anonymous = bench.app.test_client()

        def get(client, path):
            def call():
                response = client.get(path)
                response.get_data()
                answered(response, path)

            return call

        calls = {
            "healthz": get(anonymous, "/healthz"),
            "worklist": get(bench.big.client, "/worklist"),
            "worklist_api": get(bench.big.client, "/api/v1/worklist"),
        }
        report = io.StringIO()
        for label, prepare in (("cold (nothing kept)", forget_kept_steps), ("warm", None)):
            if prepare:
                prepare()
            else:
                calls["worklist"]()
            profile = cProfile.Profile()
            profile.enable()
            calls["worklist"]()
            profile.disable()
            report.write(f"== GET /worklist, {label}, {options.blocks} blocks, SQLite ==\n")
            stats = pstats.Stats(profile, stream=report)
            report.write("-- the app's own functions, by cumulative time --\n")
            stats.sort_stats("cumulative").print_stats(r"diary/", 20)
            report.write("-- every function, by own time --\n")
            stats.sort_stats("tottime").print_stats(20)
        for call in calls.values():
            call()
        samples: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(max(1, options.requests // 10)):
            for name, call in calls.items():
                samples[name] += timed(call, 10)
        figures = {
            name: {
                "p50_ms": round(statistics.median(v) * 1000, 2),
                "p95_ms": round(percentile(v, 0.95) * 1000, 2),
            }
            for name, v in samples.items()
        }
        # The cold figure: the worklist read with nothing kept from a previous read.
        cold = []
        for _ in range(5):
            forget_kept_steps()
            cold += timed(calls["worklist_api"], 1)
        figures["worklist_api_cold"] = {"median_ms": round(statistics.median(cold) * 1000, 2)}
        text = report.getvalue()
        for prefix in (
            str(Path(__file__).resolve().parent.parent) + "/",
            sys.prefix,
            sys.base_prefix,
        ):
            text = text.replace(prefix, "")
        print(json.dumps(figures, indent=2))
        if options.out:
            Path(options.out).write_text(json.dumps(figures, indent=2) + "\n\n" + text)
        else:
            print(text)


if __name__ == "__main__":
    main()
