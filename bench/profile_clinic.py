"""The signed-in clinic paths (the dashboard of 2,000 blocks, a cached chart) beside
``/healthz``: CPU time a call and a cProfile table each, for issue 23's clinic work.

    python bench/profile_clinic.py [--out bench/profiles] [--label after] [--calls 200]

Writes ``dashboard_<label>.txt`` and ``chart_cached_<label>.txt`` (top 20 by own and by
cumulative time) and prints the thread CPU medians (ms) of each path and its ratio.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402
from bench.profile_paths import table  # noqa: E402


def cpu_ms(call, calls: int) -> float:
    samples = []
    for _ in range(calls):
        started = time.thread_time()
        call()
        samples.append(time.thread_time() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "profiles"))
    parser.add_argument("--label", default="after")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--dump", default="", help="folder for the raw pstats files too")
    args = parser.parse_args()
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the access log)
    with tempfile.TemporaryDirectory() as tmp:
        bench = inprocess.build(f"sqlite:///{tmp}/clinic.sqlite3", 2000, 1, migrate=False)
        paths = {name: bench.paths[name] for name in ("healthz", "dashboard", "chart_cached")}
        for call in paths.values():
            for _ in range(5):
                call()
        for name in ("dashboard", "chart_cached"):
            # CPU time of this thread: other processes on a shared machine do not count.
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            for _ in range(args.calls):
                paths[name]()
            profile.disable()
            title = f"{name} (sqlite, 2,000 blocks, {args.label})"
            text = table(profile, args.calls, title)
            (Path(args.out) / f"{name}_{args.label}.txt").write_text(text)
            if args.dump:
                profile.dump_stats(Path(args.dump) / f"{name}_{args.label}.pstats")
        rounds: dict[str, list[float]] = {name: [] for name in paths}
        for _ in range(7):
            for name, call in paths.items():
                rounds[name].append(cpu_ms(call, 30))
        times = {name: statistics.median(values) for name, values in rounds.items()}
    floor = times["healthz"]
    for name, ms in times.items():
        print(f"{name:<14}{ms:>7.2f} ms  {ms / floor:>5.1f}x", file=sys.stderr)


if __name__ == "__main__":
    main()
