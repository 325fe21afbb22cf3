"""What each missed target is bounded by: each path beside the least any request of its kind
must do in this stack, both measured in the same run (issue 23 item 3: "where a target
cannot be met, show what bounds it and how close it is to that bound").

A floor is a route added to the app in this process only (never to the app's code), so it
pays the same request cycle as ``/healthz`` and the path (every after-request hook, the
limiter, the access log), plus the one thing a path of that kind cannot skip:

- *write*: the entry post's floor. Find the diary by its link token (one indexed read),
  insert one entry row and commit; no validation, no limit per diary, no answer body but
  ``{"id": …}``.
- *signed read*: the cached chart's floor. The sign-in check every clinic request makes
  (the app's own loader: session, user, clinic), one read of the block (the ETag's
  source), and the bytes of the real chart sent as they are.
- *diary read*: the patient page's floor. Find the diary by its token, read its 50
  entries (plain rows), and send the real page's bytes as they are (no template). The
  page is measured twice: a repeat view (one diary read again and again: its page is kept,
  diary/patient/kept_pages.py) and a first view (500 diaries of 50 entries read in turn,
  as run_all's wrk script reads 1,500: neither a page nor a saved list is kept), each
  beside the floor reading the same diaries.
- *signed page*: the dashboard's floor. The sign-in check, the page's query (the columns
  its 25 rows show, with their patients' names), and the real page's bytes as they are.

These are the *old* floors, kept so that figures stay comparable. Beside them, the
*required* floors (bench/required_floors.py, whose docstring defines each): the write floor
behind the app's own per-diary limit; the diary page's floor with that limit, the link's
open check, an entry id, the CSRF token and the real page refilled from a frame drawn
before the timing (a lower bound: the page's drawing is not counted); the dashboard's floor
with the page's reads, its stored summaries and statuses, and its 25 rows written by plain
f-strings into the real page's shell (the same bytes as the page, checked each run); the
dashboard search's floor is the same route for a sign-in keeping run_all's search (its
statement, its 10 rows, the searched page's shell, checked alike). The old floor beside
the search is the dashboard's (it does not search). The
table says, for each target, whether it lies below the required floor by thread CPU:
where it does, no way of writing the path brings its CPU ratio (and so its throughput
ratio) to the target in this stack. It does not bound a p95 or p50 ratio under wrk: each
request there also pays gunicorn, the kernel and wrk (about 0.2 ms beside `/healthz`'s
0.5 of thread CPU, pulling ratios towards 1), and the tails differ in shape (bench/NOTES.md,
"A wrk ratio and a thread-CPU floor are not the same measure"). For that, run_all serves the
required floors through gunicorn (bench/floor_server.py) and reads them with wrk beside the
paths, in the targets' own measure.

The app runs with CSRF on, as it does in production (and bench/guard.py): the diary page
makes its token, as its form carries it.

CPU time of the thread, medians of medians over rounds in which paths and floors take
turns (bench/guard.py's method).

    python bench/bounds.py [--database URL] [--rounds 7]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess, required_floors  # noqa: E402

# (path, its floor, its required floor or None, the target as a ratio to /healthz's CPU
# time or None, the target as written, what the target measures)
PAIRS = (
    ("entry_post", "floor_write", "floor_write_required", 2.0, "≥ 0.5× throughput", "entry post"),
    ("chart_cached", "floor_signed_read", None, 1.5, "≤ 1.5×", "cached chart"),
    (
        "patient_page",
        "floor_diary_read",
        "floor_diary_page_required",
        3.0,
        "≤ 3×",
        "patient page, repeat view",
    ),
    (
        "patient_first_view",
        "floor_first_view",
        "floor_first_view_required",
        3.0,
        "≤ 3×",
        "patient page, first view",
    ),
    (
        "dashboard",
        "floor_signed_page",
        "floor_dashboard_required",
        3.0,
        "≤ 3×",
        "dashboard, 25 rows",
    ),
    (
        "dashboard_search",
        "floor_signed_page",
        "floor_dashboard_search_required",
        3.0,
        "≤ 3×",
        "dashboard search, 10 rows",
    ),
)

# The search run_all keeps for its dashboard search: ten patients (S001230 to S001239) of
# the synthetic clinic, one block each, at 2,000 blocks as at 20,000.
SEARCH = "s00123"


def add_floors(app, bodies: dict[str, bytes]) -> None:
    """The floor routes, on this process's app only. ``bodies`` is filled in later with
    the real answers the floors send as they are."""
    from flask import Response, abort
    from flask_login import current_user
    from sqlalchemy import bindparam, select

    from diary.extensions import csrf, db
    from diary.models import Block, DiaryEntry, Patient

    by_token = select(Block.id).where(Block.diary_token == bindparam("token"))
    entries = select(
        DiaryEntry.recorded_at, DiaryEntry.pain, DiaryEntry.pain_left, DiaryEntry.pain_right
    ).where(DiaryEntry.block_id == bindparam("block_id"))
    block_change = select(Block.changed_at).where(
        Block.id == bindparam("block_id"), Block.clinic_id == bindparam("clinic_id")
    )
    page = (
        select(
            Block.id,
            Block.performed_at,
            Block.levels,
            Block.side,
            Block.summary,
            Patient.display_name,
            Patient.mrn,
        )
        .join(Patient, Patient.id == Block.patient_id)
        .where(Block.clinic_id == bindparam("clinic_id"), Block.archived_at.is_(None))
        .order_by(Block.performed_at.desc(), Block.id.desc())
        .limit(26)
    )
    write = required_floors.entry_writer()

    @app.post("/_floor/write/<token>")
    def floor_write(token: str):
        return write(token)

    csrf.exempt(floor_write)  # CSRF is on (below), as the app runs; the API is exempt too

    @app.get("/_floor/signed-read/<int:block_id>")
    def floor_signed_read(block_id: int):
        if not current_user.is_authenticated:
            abort(401)
        params = {"block_id": block_id, "clinic_id": current_user.clinic_id}
        db.session.execute(block_change, params).scalar_one()
        return Response(bodies["chart_cached"], mimetype="image/png")

    @app.get("/_floor/diary-read/<token>")
    def floor_diary_read(token: str):
        block_id = db.session.execute(by_token, {"token": token}).scalar_one()
        db.session.execute(entries, {"block_id": block_id}).all()
        return Response(bodies["patient_page"], mimetype="text/html")

    @app.get("/_floor/signed-page")
    def floor_signed_page():
        if not current_user.is_authenticated:
            abort(401)
        db.session.execute(page, {"clinic_id": current_user.clinic_id}).all()
        return Response(bodies["dashboard"], mimetype="text/html")


# Diaries whose first view is measured: more than the kept pages and saved lists hold
# (256 each), so that reading them in turn finds none kept.
FIRST_VIEW_DIARIES = 500


def first_view_tokens(app, entries: int = 50) -> list[str]:
    """The link tokens of a clinic of its own, of ``FIRST_VIEW_DIARIES`` diaries of
    ``entries`` entries each (the synthetic clinic's, as run_all's patient page reads)."""
    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Block
    from diary.sample_data import synthetic_clinic

    with app.app_context():
        made = synthetic_clinic(FIRST_VIEW_DIARIES, entries, seed=3, stale_summaries=False)
        clinic_id = made.clinic_id
        tokens = db.session.execute(
            select(Block.diary_token).where(Block.clinic_id == clinic_id).order_by(Block.id)
        ).scalars()
        db.session.remove()
        return list(tokens)


def in_turn(client, urls: list[str]):
    """A GET of each of ``urls`` in turn, checking that it answered 200."""
    turn = itertools.cycle(urls)

    def call() -> None:
        url = next(turn)
        response = client.get(url)
        response.get_data()
        inprocess.answered(response, url)

    return call


def measure(database_url: str, rounds: int) -> tuple[dict[str, float], str]:
    """Each call's CPU time (ms), and how the dashboard's required floors (unsearched and
    searched) compare with the real pages' bytes."""
    bodies: dict[str, bytes] = {}
    frames: dict[str, required_floors.Frame] = {}
    shells: dict[str, required_floors.Shell] = {}
    made = inprocess.make_app

    def make_app_with_floors(url: str):
        app = made(url)
        add_floors(app, bodies)
        required_floors.add_required_floors(app, frames, shells)
        return app

    inprocess.make_app = make_app_with_floors
    try:
        bench = inprocess.build(database_url, 2000, 1, migrate=False)
    finally:
        inprocess.make_app = made
    # The patient page's diary with 50 entries, as the guard reads it.
    page_block = inprocess.report_block(bench.app, bench.big.clinic_id, entries=50)
    with bench.app.app_context():
        from diary.extensions import db
        from diary.models import Block

        page_token = db.session.get(Block, page_block).diary_token
        db.session.remove()
    # CSRF on from here, as the app runs (bench/guard.py's too): the diary page's form
    # carries its token, and the floors that read a page must make one. The clients
    # signed in with it off; their GETs need none, and the posts go to the API (exempt).
    bench.app.config["WTF_CSRF_ENABLED"] = True
    searching = required_floors.searching_client(bench.app, bench.big.email, SEARCH)
    anonymous = bench.app.test_client()
    signed = bench.big.client
    chart_block = bench.big.block_ids[1]
    post_tokens = bench.big.tokens[-500:]
    first_tokens = first_view_tokens(bench.app)
    get, post = inprocess.getter, inprocess.entry_poster

    real = {
        "chart_cached": (signed, f"/blocks/{chart_block}/chart.png"),
        "patient_page": (anonymous, f"/d/{page_token}"),
        "dashboard": (signed, "/"),
    }
    for name, (client, url) in real.items():
        bodies[name] = client.get(url).get_data()
    for token in [page_token, *first_tokens]:
        frames[token] = required_floors.diary_frame(anonymous, token)
    shells["dashboard"] = required_floors.dashboard_shell(bench.app, signed)
    shells["dashboard_search"] = required_floors.dashboard_shell(bench.app, searching, SEARCH)
    same = "; ".join(
        [
            f"{name}: {required_floors.floor_against_page(client)}"
            for name, client in (("dashboard", signed), ("search", searching))
        ]
        + [f"diary page: {required_floors.diary_floor_against_page(anonymous, page_token)}"]
    )
    required_floors.check_limited(anonymous, post_tokens[0], page_token)
    calls = {
        "healthz": get(anonymous, "/healthz"),
        "entry_post": post(anonymous, post_tokens, "bound-entry"),
        "floor_write": post(anonymous, post_tokens, "bound-floor", lambda t: f"/_floor/write/{t}"),
        "floor_write_required": post(
            anonymous, post_tokens, "bound-required", lambda t: f"/_floor/write-required/{t}"
        ),
        "chart_cached": get(signed, real["chart_cached"][1]),
        "floor_signed_read": get(signed, f"/_floor/signed-read/{chart_block}"),
        "patient_page": get(anonymous, real["patient_page"][1]),
        "floor_diary_read": get(anonymous, f"/_floor/diary-read/{page_token}"),
        "floor_diary_page_required": get(anonymous, f"/_floor/diary-page-required/{page_token}"),
        "patient_first_view": in_turn(anonymous, [f"/d/{t}" for t in first_tokens]),
        "floor_first_view": in_turn(anonymous, [f"/_floor/diary-read/{t}" for t in first_tokens]),
        "floor_first_view_required": in_turn(
            anonymous, [f"/_floor/diary-page-required/{t}" for t in first_tokens]
        ),
        "dashboard": get(signed, "/"),
        "floor_signed_page": get(signed, "/_floor/signed-page"),
        "floor_dashboard_required": get(signed, "/_floor/dashboard-required"),
        "dashboard_search": get(searching, "/"),
        "floor_dashboard_search_required": get(searching, "/_floor/dashboard-required"),
    }
    for call in calls.values():
        for _ in range(5):
            call()
    per_round: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples = []
            for _ in range(25):
                started = time.thread_time()
                call()
                samples.append(time.thread_time() - started)
            per_round[name].append(statistics.median(samples))
    return {name: statistics.median(values) * 1000 for name, values in per_round.items()}, same


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="", help="a PostgreSQL URL (scratch database)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the access log)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bounds.sqlite3"
        if args.database:
            inprocess.empty_postgres(url)
        ms, same = measure(url, args.rounds)
    print(table(ms), file=sys.stderr)
    print(f"the required floors against the real pages: {same}", file=sys.stderr)


def table(ms: dict[str, float]) -> str:
    """Each path beside its floor and its required floor: ms, then × /healthz."""
    h = ms["healthz"]
    lines = [
        f"/healthz {h:.2f} ms (CPU time of the thread, in process)",
        f"{'':<26}{'path':>7}{'floor':>7}{'req.':>7}{'path':>7}{'floor':>7}{'req.':>7}"
        f"{'path/':>7}{'target':>8}  target below",
        f"{'':<26}{'ms':>7}{'ms':>7}{'ms':>7}{'×h':>7}{'×h':>7}{'×h':>7}{'req.':>7}{'×h':>8}"
        "  the required floor (CPU)?",
    ]
    for path, bound, required, ratio, target, what in PAIRS:
        got = ms[required] if required else None
        req_ms = f"{got:>7.2f}" if got else f"{'—':>7}"
        req_h = f"{got / h:>7.2f}" if got else f"{'—':>7}"
        over = f"{ms[path] / got:>7.2f}" if got else f"{'—':>7}"
        below = "—" if got is None else ("yes" if ratio * h < got else "no")
        lines.append(
            f"{what:<26}{ms[path]:>7.2f}{ms[bound]:>7.2f}{req_ms}{ms[path] / h:>7.2f}"
            f"{ms[bound] / h:>7.2f}{req_h}{over}{ratio:>7.1f}×  {below} ({target})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
