"""Where each path spends its time: a cProfile top-20 table per path under bench/profiles/
(by own time and by cumulative time), from the in-process paths of bench/inprocess.py.

    python bench/profile_paths.py [--database URL] [--blocks 20000] [--entries 50]

Without --database a SQLite file in a temporary folder is used; a PostgreSQL URL names
a scratch database that is emptied first. Start-up is profiled with ``-X importtime``
(the 20 imports that cost most, cumulatively) and the report PDF on a 60-entry block.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402

OUT_DIR = [Path(__file__).resolve().parent / "profiles"]  # --out changes it
CALLS = {
    "healthz": 400,
    "entry_post": 200,
    "patient_page": 100,
    "dashboard": 100,
    "dashboard_small": 100,
    "chart_cached": 200,
    "chart_cold": 10,
    "bare_render": 10,
    "csv_small": 3,  # the small clinic's 10,000 entries
}


def table(profile: cProfile.Profile, calls: int, title: str, note: str = "") -> str:
    """A profile's top 20 by own and by cumulative time; ``note`` follows the call count."""
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.strip_dirs()
    total = stats.total_tt  # type: ignore[attr-defined]
    text.write(
        f"# {title}\n\n{calls} calls, {total / calls * 1000:.2f} ms a call under cProfile{note}\n"
    )
    for order in ("tottime", "cumulative"):
        text.write(f"\n## top 20 by {order}\n")
        stats.sort_stats(order).print_stats(20)
    return re.sub(r"\n{3,}", "\n\n", text.getvalue())


def profile_paths(bench: inprocess.Bench, label: str, only: list[str]) -> None:
    for name, calls in CALLS.items():
        if only and name not in only:
            continue
        call = bench.paths[name]
        for _ in range(min(calls, 5)):
            call()  # warm: caches, compiled statements, the chart's fonts
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(calls):
            call()
        profile.disable()
        (OUT_DIR[0] / f"{name}.{label}.txt").write_text(table(profile, calls, f"{name} ({label})"))
        print(f"{name}: profiled", file=sys.stderr)


def profile_pdf(bench: inprocess.Bench, label: str) -> None:
    block_id = inprocess.report_block(bench.app, bench.big.clinic_id, entries=60)
    url = f"/blocks/{block_id}/report.pdf"
    client = bench.big.client
    started = time.perf_counter()
    inprocess.answered(client.get(url), url)
    cold = time.perf_counter() - started
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(3):
        inprocess.answered(client.get(url), url)
    profile.disable()
    text = table(profile, 3, f"report PDF, 60 entries ({label}); first (cold) call {cold:.2f} s")
    (OUT_DIR[0] / f"report_pdf.{label}.txt").write_text(text)
    print("report_pdf: profiled", file=sys.stderr)


def profile_startup() -> None:
    env = dict(os.environ, BLOCK_DIARY_ENV="development")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from app import app"],
        env=env,
        cwd=inprocess.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(2)), int(match.group(1)), len(match.group(3)), match[4]))
    rows.sort(reverse=True)
    lines = [
        "# start-up: `python -X importtime -c 'from app import app'`",
        "",
        "The 40 imports costing most, cumulative (µs, self µs, depth, module):",
        "",
    ]
    lines += [f"{c:>9} {s:>9} {d // 2:>3} {m}" for c, s, d, m in rows[:40]]
    (OUT_DIR[0] / "startup.txt").write_text("\n".join(lines) + "\n")
    print("startup: profiled", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="")
    parser.add_argument("--blocks", type=int, default=20000)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--out", default="", help="folder for the tables (bench/profiles)")
    parser.add_argument("--only", default="", help="these paths only (comma-separated)")
    args = parser.parse_args()
    if args.out:
        OUT_DIR[0] = Path(args.out)
    OUT_DIR[0].mkdir(parents=True, exist_ok=True)
    # The app's access log (one line a request, as in production) goes nowhere here.
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the whole run)
    only = [name for name in args.only.split(",") if name]
    if not only or "startup" in only:
        profile_startup()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/profile.sqlite3"
        label = "postgresql" if url.startswith("postgresql") else "sqlite"
        if label == "postgresql":
            inprocess.empty_postgres(url)
        bench = inprocess.build(url, args.blocks, args.entries)
        # No app context held open: each request makes its own, as in production.
        profile_paths(bench, label, only)
        if not only or "report_pdf" in only:
            profile_pdf(bench, label)


if __name__ == "__main__":
    main()
