"""The speed guard's measurements (tests/test_speed_guard.py runs them in `make test`).

Each path is timed in process (Flask's test client, no network) beside its floor, in the
same run, and reported as a ratio: entry post (the API's JSON, and the form's with its
CSRF token), patient page, dashboard (2,000 blocks),
worklist (2,000 blocks) and a cached chart to ``/healthz``; the dashboard and the worklist
at 2,000 blocks to the same at 200 (their cost must not grow with the clinic); a cold
chart to a bare matplotlib render; a CSV export of 50,000 rows to ``sqlite3 -csv`` dumping
the same rows; ``import app`` to ``python -c pass``.

Made to hold on a shared, busy machine: times are the CPU time of the thread (or of the
child process) that does the work, which other processes' load hardly moves; the paths
take turns round after round, so a slow moment falls on all alike; each figure is the
median over rounds of the median within a round. A ratio over its limit is measured once
more, longer, before it counts as a regression.

    python bench/guard.py            # print the ratios
    python bench/guard.py --update --why "…"   # write them to bench/guard_baseline.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "bench" / "guard_baseline.json"
TOLERANCE = 1.5  # a ratio may grow to 1.5 times its baseline
# (name, path, floor, what the ratio says)
RATIOS = (
    ("entry_post", "entry_post", "healthz", "entry post / GET /healthz"),
    ("entry_form_post", "entry_form_post", "healthz", "entry form's post / GET /healthz"),
    ("patient_page", "patient_page", "healthz", "patient page, 50 entries / GET /healthz"),
    ("dashboard", "dashboard", "healthz", "dashboard, 2,000 blocks / GET /healthz"),
    ("dashboard_size", "dashboard", "dashboard_small", "dashboard, 2,000 / 200 blocks"),
    ("worklist", "worklist", "healthz", "worklist, 2,000 blocks / GET /healthz"),
    ("worklist_size", "worklist", "worklist_small", "worklist, 2,000 / 200 blocks"),
    ("chart_cached", "chart_cached", "healthz", "cached chart / GET /healthz"),
    ("chart_cold", "chart_cold", "bare_render", "cold chart / bare matplotlib render"),
    ("csv", "csv", "native_csv", "CSV of 50,000 rows / sqlite3 -csv of the same"),
    ("import", "import_app", "python", "python -c 'import app' / python -c pass"),
)
QUICK = (
    "healthz",
    "entry_post",
    "entry_form_post",
    "patient_page",
    "dashboard",
    "dashboard_small",
    "worklist",
    "worklist_small",
    "chart_cached",
)
SLOW = ("chart_cold", "bare_render")
DUMPS = ("csv", "native_csv")
STARTS = ("import_app", "python")


def thread_cpu(call: Callable[[], None]) -> float:
    started = time.thread_time()
    call()
    return time.thread_time() - started


def child_cpu(command: list, env: dict | None = None) -> float:
    """CPU seconds a child process spends (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


class Guard:
    """A scratch SQLite database with the clinics the paths read, and the paths, served
    as the app runs: with CSRF on (the pages draw their token, forms post it)."""

    def __init__(self, folder: str):
        self.database = Path(folder) / "guard.sqlite3"
        app = inprocess.make_app(f"sqlite:///{self.database}", csrf=True)
        self.calls = self._setup(app)

    def _setup(self, app) -> dict[str, Callable[[], float]]:
        from sqlalchemy import select

        from diary.extensions import db
        from diary.models import Block
        from diary.sample_data import SYNTHETIC_PASSWORD, synthetic_clinic

        clinics = {}
        with app.app_context():
            db.create_all()
            # The dashboard's clinic (its summaries stale, as after a settings change: a
            # page brings its own 25 up to date, the warm-up does that), a small one to
            # compare, 1,000 diaries of 50 entries (the CSV's 50,000 rows), and diaries
            # that take the posted entries (posts to those a page shows would make their
            # summaries stale, to be read again while measured).
            for name, blocks, entries, stale in (
                ("dashboard", 2000, 1, True),
                ("small", 200, 1, True),
                ("csv", 1000, 50, False),
                ("posts", 300, 1, True),
            ):
                user = synthetic_clinic(blocks, entries, seed=len(clinics), stale_summaries=stale)
                tokens = db.session.execute(
                    select(Block.id, Block.diary_token, Block.performed_at)
                    .where(Block.clinic_id == user.clinic_id)
                    .order_by(Block.id)
                ).all()
                clinics[name] = (user.clinic_id, user.email, tokens)
            db.session.remove()
        page_block = inprocess.report_block(app, clinics["csv"][0], entries=50)
        with app.app_context():
            page_token = db.session.get(Block, page_block).diary_token
            db.session.remove()
        self.csv_clinic = clinics["csv"][0]
        clients = {}
        for name, (_, email, _) in clinics.items():
            client = app.test_client()
            inprocess.sign_in(client, email, SYNTHETIC_PASSWORD, csrf=True)
            clients[name] = client
        anonymous = app.test_client()
        post_tokens = [token for _, token, _ in clinics["posts"][2]]
        chart_block = clinics["csv"][2][0][0]
        get = inprocess.cpu_timed_get
        # As diary.js sends a score: JSON to the API, which takes the link's token alone.
        entry_post = inprocess.cpu_timed(
            inprocess.entry_poster(anonymous, post_tokens, "guard-post")
        )
        entry_form_post = form_poster(app, clinics["posts"][2])

        csv = get(clients["csv"], "/exports/entries.csv")
        sqlite_shell = shutil.which("sqlite3")
        dump = (
            "SELECT diary_entry.* FROM diary_entry JOIN block ON block.id = "  # noqa: S608
            f"diary_entry.block_id WHERE block.clinic_id = {int(self.csv_clinic)}"
        )
        self.native_is_shell = bool(sqlite_shell)

        def native_csv() -> float:
            if sqlite_shell:
                return child_cpu([sqlite_shell, "-csv", "-header", str(self.database), dump])
            return thread_cpu(lambda: python_dump(self.database, dump))

        env = dict(os.environ, BLOCK_DIARY_ENV="development")
        return {
            "healthz": get(anonymous, "/healthz"),
            "entry_post": entry_post,
            "entry_form_post": entry_form_post,
            "patient_page": get(anonymous, f"/d/{page_token}"),
            "dashboard": get(clients["dashboard"], "/"),
            "dashboard_small": get(clients["small"], "/"),
            # The same clinics' worklists: a page of next steps must cost the same at
            # 2,000 blocks as at 200 (the warm-up finds their quiet blocks).
            "worklist": get(clients["dashboard"], "/worklist"),
            "worklist_small": get(clients["small"], "/worklist"),
            "chart_cached": get(clients["csv"], f"/blocks/{chart_block}/chart.png"),
            "chart_cold": lambda: thread_cpu(cold_chart(app, clinics["csv"][2])),
            "bare_render": lambda: thread_cpu(inprocess.bare_render),
            "csv": csv,
            "native_csv": native_csv,
            "import_app": lambda: child_cpu([sys.executable, "-c", "import app"], env),
            "python": lambda: child_cpu([sys.executable, "-c", "pass"]),
        }

    def measure(self, names: tuple[str, ...], rounds: int, per_round: int) -> dict[str, float]:
        """Each call's median CPU time: median over rounds of the median of a round."""
        samples: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(rounds):
            for name in names:
                call = self.calls[name]
                samples[name].append(statistics.median(call() for _ in range(per_round)))
        return {name: statistics.median(values) for name, values in samples.items()}

    def times(self, scale: int = 1) -> dict[str, float]:
        for name in (*QUICK, *SLOW):  # warm: caches, compiled statements, fonts
            for _ in range(3):
                self.calls[name]()
        self.calls["csv"]()
        times = self.measure(QUICK, rounds=9 * scale, per_round=5)
        times |= self.measure(SLOW, rounds=5 * scale, per_round=1)
        times |= self.measure(DUMPS, rounds=4 * scale, per_round=1)
        times |= self.measure(STARTS, rounds=3 * scale, per_round=1)
        return times


def form_poster(app, diaries: list) -> Callable[[], float]:
    """The diary form's post without JavaScript, as a phone makes it: the page fetched
    once (its CSRF token, valid for the phone's session), then each score posted with
    it, a late one with its time (these diaries' windows are over), to the diaries in
    turn; the CPU seconds of the post. Its answer (a redirect to the page, a message
    flashed) is checked; the message is dropped from the session, unread, so that the
    session stays the size of a phone's."""
    phone = app.test_client()
    token = inprocess.csrf_token(phone, f"/d/{diaries[0][1]}")
    posted = iter(range(10**9))

    def call() -> float:
        n = next(posted)
        _, diary, performed = diaries[n % len(diaries)]
        url = f"/d/{diary}/entries"
        felt = performed + timedelta(minutes=20 + n // len(diaries))
        data = {
            "csrf_token": token,
            "client_id": f"guard-form-{n:04d}",
            "pain": str(n % 11),
            "recorded_at": felt.strftime("%Y-%m-%dT%H:%M"),  # the clinic's zone is UTC
        }
        started = time.thread_time()
        response = phone.post(url, data=data)
        spent = time.thread_time() - started
        if response.status_code != 302 or not response.location.endswith("#main"):
            raise inprocess.NotServed(
                f"{url} answered {response.status_code}: a figure counts a saved score only\n"
                + response.get_data(as_text=True)[:500]
            )
        with phone.session_transaction() as session:
            session.pop("_flashes", None)
        return spent

    return call


def cold_chart(app, blocks: list) -> Callable[[], None]:
    """A chart drawn from its analysis, no cache: a different block each call."""
    from diary import charts
    from diary.extensions import db
    from diary.models import Block
    from diary.services.analysis import analyse_block

    turn = iter(range(10**9))

    def call() -> None:
        with app.app_context():
            block = db.session.get(Block, blocks[next(turn) % len(blocks)][0])
            charts.render_chart(analyse_block(block), block.baseline_pain, "png")
            db.session.remove()

    return call


def python_dump(database: Path, sql: str) -> None:
    import csv
    import io
    import sqlite3

    with sqlite3.connect(database) as connection:
        csv.writer(io.StringIO()).writerows(connection.execute(sql))


def ratios(times: dict[str, float]) -> dict[str, float]:
    return {name: times[path] / times[floor] for name, path, floor, _ in RATIOS}


def report(found: dict[str, float], baseline: dict[str, float], times: dict[str, float]) -> str:
    lines = [f"{'ratio':<16}{'now':>8}{'baseline':>10}{'limit':>8}  what (CPU time)"]
    for name, path, floor, what in RATIOS:
        base = baseline.get(name)
        lines.append(
            f"{name:<16}{found[name]:>8.2f}{base if base else float('nan'):>10.2f}"
            f"{(base or 0) * TOLERANCE:>8.2f}  {what} "
            f"({times[path] * 1000:.2f} / {times[floor] * 1000:.2f} ms)"
        )
    return "\n".join(lines)


def regressions(found: dict[str, float], baseline: dict[str, float]) -> list[str]:
    return [name for name in found if name in baseline and found[name] > baseline[name] * TOLERANCE]


def run() -> tuple[dict[str, float], dict[str, float], list[str], str]:
    """Measure; measure again, longer, what went over its limit. Returns the ratios, the
    baseline, what still regressed, and the printed table."""
    baseline = json.loads(BASELINE.read_text())["ratios"] if BASELINE.exists() else {}
    with tempfile.TemporaryDirectory() as folder:
        guard = Guard(folder)
        if not guard.native_is_shell:  # a Python dump is no floor for the baseline's ratio
            print("no sqlite3 shell (apt-get install sqlite3): the CSV ratio is not compared")
            baseline = {name: value for name, value in baseline.items() if name != "csv"}
        times = guard.times()
        found = ratios(times)
        over = regressions(found, baseline)
        if over:
            again = guard.times(scale=2)
            found = {
                name: min(found[name], ratios(again)[name]) if name in over else found[name]
                for name in found
            }
        return found, baseline, regressions(found, baseline), report(found, baseline, times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--update", action="store_true", help="write the baseline")
    parser.add_argument("--why", default="", help="with --update: the reason, kept with it")
    args = parser.parse_args()
    started = time.perf_counter()
    found, baseline, over, table = run()
    print(table)
    print(f"({time.perf_counter() - started:.0f} s)")
    if args.update:
        kept = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
        kept["ratios"] = {name: round(value, 3) for name, value in found.items()}
        kept["why"] = args.why or kept.get("why", "")
        BASELINE.write_text(json.dumps(kept, indent=1) + "\n")
        print(f"written to {BASELINE.relative_to(ROOT)}")
    elif over:
        sys.exit(f"slower than the baseline allows: {', '.join(over)}")


if __name__ == "__main__":
    main()
