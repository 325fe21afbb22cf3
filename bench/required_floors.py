"""The *required* floors of bench/bounds.py: each old floor plus what the product's rules
make every request of its kind do, and nothing more (issue 23 item 3, after a review found
the old floors too weak to show that a target between floor and path cannot be met).

Each is a route added to the app in the bench's process only, as the old floors are:

- *write, required*: the old write floor (the diary by its link token, one entry row
  inserted, a commit, ``{"id": …}``) behind the app's own per-diary limit: the same
  ``diary_token_limit`` (Flask-Limiter's shared limit, scope "diary-token", counted per
  token, its text read from ``DIARY_RATE_LIMIT`` as the app reads it). The bench lifts that
  limit so that the load is never refused; the check and its count still run (``check``
  below asserts the limit's headers on the floor's answer).
- *diary page, required*: the old diary-read floor (the diary by its token, its 50 entries
  as plain rows) behind the same per-diary limit, with the link's open check (its expiry,
  revocation and archive columns read in the same statement), an entry id (``uuid4``) and
  the CSRF token (Flask-WTF's ``generate_csrf``, as the page's form carries it), and the
  least drawing of the page: the real page of that diary, drawn before the timing, cut at
  its per-request values (the entry id, the CSRF token), its diary value (its link token,
  wherever the page writes it) and its saved list, and filled again with this request's
  values (``diary.patient.kept_pages.filled``). The saved list, most of a long diary's
  page, is drawn on each request as the page draws it (``saved_list.page_entries``, one
  statement, and ``saved_list_html``, plain strings, each word escaped once), in the
  clinic's time zone (read with the link's open check); run_all's server checks the
  floor's answer against the real page's bytes (the entry id and CSRF token aside). The
  rest the page shows of the diary (what is due, the procedure line, the clinic's words)
  is in the frame as bytes: a *lower bound* of a first view, which must draw those too.
  (The path keeps a drawn page per diary, 256 a worker: the load reads 1,500 diaries, so
  most of its views draw.)
- *dashboard, required*: the old signed-page floor's sign-in check, then the page's own
  reads: the search this sign-in keeps, the page's statement (``dashboard_blocks``: the
  columns the 25 rows, their statuses and stored summaries need, the patient's name, the
  side-effect flag), the clinic's settings digest, each row's stored summary checked
  current and read (``stored_summary``: ``BlockSummary.from_dict``) and its diary status
  (``diary_statuses``); then the 25 rows written by plain f-strings, each value from the
  data escaped with ``markupsafe.escape`` (no Jinja), into the real page's shell (drawn
  before the timing, cut at its two CSRF tokens and around its rows). ``check`` holds its
  answer to the real page's bytes (the CSRF token aside, which is signed with the time).
  Not done: the audit's "first view in its window" check and the commit after the page
  (the path does both), the pages' other branches (a stale summary analysed again, a
  therapeutic block's outcome, a block scored left and right apart: none on this page,
  the floor refuses rather than draw them wrong).
- *dashboard search, required*: the same route, for a sign-in that keeps a search: the
  search's statement (``dashboard_blocks`` with the kept term: the matching patients off
  the term index), the same stored summaries, statuses and rows, into the real searched
  page's shell (cut at its three CSRF tokens and where it writes the kept term, escaped
  as the page does), checked against the real searched page's bytes alike.

Run alone, this module measures the dashboard's required floor in stages, each a route
doing one more of its steps (the sign-in check and the clinic, then the kept search and the
page's statement, then the digest and stored summaries, then the statuses), beside the old
floor, the required floor and the page, as bench/bounds.py measures (thread CPU, taking
turns, medians of medians): what the required floor is made of; then the same for the
dashboard search (bench/bounds.py's, with its statement from the second stage on).

    python bench/required_floors.py [--database URL] [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import inprocess  # noqa: E402

CLIENT_ID_INPUT = re.compile(
    r'<input id="client_id" name="client_id" type="hidden" value="([^"]+)"'
)
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*? value=")([^"]+)(")')


class Frame:
    """A page drawn before the timing, cut wherever it writes one of its ``holes``
    (name -> the text written there), so that ``fill`` puts a request's values back. A
    hole's text found inside another's is not cut again: the outer one's value holds it."""

    def __init__(self, page: str, holes: dict[str, str]):
        found = sorted(
            (match.start(), -match.end(), name)
            for name, text in holes.items()
            for match in re.finditer(re.escape(text), page)
        )
        pieces, names, at = [], [], 0
        for start, minus_end, name in found:
            end = -minus_end
            if start < at and end <= at:
                continue  # inside a hole cut already (the link token in the saved list's links)
            if start < at:
                raise ValueError(f"{name} overlaps another value of the page")
            pieces.append(page[at:start].encode())
            names.append(name)
            at = end
        pieces.append(page[at:].encode())
        missing = set(holes) - set(names)
        if missing:
            raise ValueError(f"the page does not write {missing}")
        self.pieces = tuple(pieces)
        self.names = tuple(names)

    def fill(self, values: dict[str, bytes]) -> bytes:
        from diary.patient.kept_pages import filled

        return filled(self.pieces, [values[name] for name in self.names])


def entry_writer():
    """The write floor's work, the old floor's (bench/bounds.py) and the required one's: the
    block by its token, one insert returning the id, the commit, the id answered. The insert
    and commit go one writer at a time as the path's do (services/sqlite_writers.py, a
    no-op off SQLite): without it the floor's writers napped in SQLite's busy handler, and
    under wrk the floor read slower than its CPU allowed (bench/NOTES.md, ninth round)."""
    from flask import request
    from sqlalchemy import bindparam, insert, select

    from diary.extensions import db
    from diary.models import Block, DiaryEntry
    from diary.services.sqlite_writers import one_writer_at_a_time

    by_token = select(Block.id).where(Block.diary_token == bindparam("token"))
    add_entry = insert(DiaryEntry.__table__).returning(DiaryEntry.__table__.c.id)

    def write(token: str):
        body = request.get_json()
        block_id = db.session.execute(by_token, {"token": token}).scalar_one()
        now = datetime.now(UTC)
        with one_writer_at_a_time(db.session):
            added = db.session.execute(
                add_entry,
                {
                    "block_id": block_id,
                    "client_id": body["client_id"],
                    "recorded_at": now,
                    "submitted_at": now,
                    "pain": body["pain"],
                    "slot": "hourly",
                },
            ).scalar_one()
            db.session.commit()
        return {"id": added}, 201

    return write


def add_required_floors(app, frames: dict[str, Frame], shells: dict[str, Shell]) -> None:
    """The required floors' routes, on this process's app only. ``frames`` (diary pages,
    by token) and ``shells`` (the dashboard's, ``"dashboard"`` and ``"dashboard_search"``)
    are filled in later, from the real pages."""
    from flask import Response, abort
    from flask_babel import get_translations
    from flask_login import current_user
    from flask_wtf.csrf import generate_csrf
    from markupsafe import escape
    from sqlalchemy import bindparam, select

    from diary import anatomy, relief, schedule
    from diary.auth import login_sessions
    from diary.extensions import csrf, db, diary_token_limit
    from diary.formatting import hours, pct
    from diary.models import Block, Clinic
    from diary.patient.saved_list import page_entries, saved_list_html
    from diary.services import summaries
    from diary.services.dashboard import dashboard_blocks
    from diary.services.days import judged_in_days
    from diary.services.progress import diary_statuses
    from diary.services.settings import analysis_settings

    open_by_token = (
        select(
            Block.id,
            Block.link_revoked_at,
            Block.archived_at,
            Block.link_expires_at,
            Clinic.timezone,
        )
        .join(Clinic, Block.clinic_id == Clinic.id)
        .where(Block.diary_token == bindparam("token"))
    )
    write = entry_writer()

    @csrf.exempt  # as the API the entry post goes to
    @diary_token_limit
    def floor_write_required(token: str):
        return write(token)

    @diary_token_limit
    def floor_diary_page_required(token: str):
        block_id, revoked, archived, expires, timezone = db.session.execute(
            open_by_token, {"token": token}
        ).one()
        now = datetime.now(UTC)
        if revoked is not None or archived is not None or not now < _utc(expires):
            abort(410)
        frame = frames[token]
        # The saved list, drawn as the page draws it (plain strings, each word escaped
        # once): the entries' one statement and a line each.
        zone = ZoneInfo(timezone)
        listed = saved_list_html(
            page_entries(block_id),
            get_translations().ugettext,
            frame.locale,
            zone,
            now.astimezone(zone).date(),
            frame.dated,
            frame.edit_url,
        )
        values = {
            "token": token.encode(),
            "client_id": uuid.uuid4().hex.encode(),
            "csrf": str(escape(generate_csrf())).encode(),
            "saved_list": str(listed).encode(),
        }
        return Response(frame.fill(values), mimetype="text/html")

    app.add_url_rule(
        "/_floor/write-required/<token>", view_func=floor_write_required, methods=["POST"]
    )
    app.add_url_rule("/_floor/diary-page-required/<token>", view_func=floor_diary_page_required)

    regions, sides_lower = anatomy.REGIONS, {k: v.lower() for k, v in anatomy.SIDES.items()}
    status_labels, running_statuses = schedule.STATUS_LABELS, schedule.RUNNING
    verdict_labels = relief.VERDICT_LABELS

    def held_cell(held) -> str:
        if not held:
            return "—"
        return f"{'≥' if held.open else ''}{hours(held.duration_h)}"

    @app.get("/_floor/dashboard-required")
    def floor_dashboard_required():
        if not current_user.is_authenticated:
            abort(401)
        clinic = current_user.clinic
        search = login_sessions.dashboard_search()
        blocks, has_next = dashboard_blocks(clinic, search, False, 0, 25)
        digest = summaries.settings_digest(analysis_settings(clinic))
        found = [summaries.stored_summary(block, digest) for block in blocks]  # type: ignore[arg-type]
        for block, summary in zip(blocks, found, strict=True):
            if (
                summary is None
                or block.scored_apart
                or (judged_in_days(block) and block.daily_days)
            ):
                abort(501)  # a branch the floor does not draw (see the module's docstring)
        now = datetime.now(UTC)
        statuses = diary_statuses(blocks, found, now)  # type: ignore[arg-type]
        shell: Shell = shells["dashboard_search" if search else "dashboard"]
        patient_url, block_url = shell.patient_url, shell.block_url
        tz = clinic.timezone
        zone = _zone(tz)
        rows = []
        for block, summary, status in zip(blocks, found, statuses, strict=True):
            levels = ", ".join(f'<span class="nowrap">{escape(v)}</span>' for v in block.levels)
            flag = ' <span class="side-effect-flag">side effect reported</span>'
            running = status in running_statuses
            provisional = ' <span class="provisional">(provisional)</span>' if running else ""
            rows.append(
                f'<tr>\n        <td data-label="Patient"><a href="{patient_url}{block.patient_id}">'
                f"{escape(block.patient_name)}</a></td>\n"
                f'        <td data-label="Date"><a href="{block_url}{block.id}">'
                f"{block.performed_at.astimezone(zone).strftime('%d %b %Y %H:%M')}</a></td>\n"
                f'        <td data-label="Levels">{escape(regions[block.region])} {levels} '
                f"{escape(sides_lower[block.side])}</td>\n"
                f'        <td data-label="Agent">{escape(summary.agent_label)}</td>\n'
                f'        <td data-label="Diary"><span class="status status-{status}">'
                f"{status_labels[status]}</span> ({summary.entry_count})"
                f"{flag if block.side_effect else ''}</td>\n        \n        \n"
                f'        <td data-label="Peak relief">{pct(summary.peak_relief_pct) or "—"}</td>\n'
                f'        \n          <td data-label="≥50%">{held_cell(summary.held_50)}</td>\n'
                f'        \n          <td data-label="≥80%">{held_cell(summary.held_80)}</td>\n'
                f'        \n        <td data-label="Verdict"><span class="verdict verdict-'
                f'{summary.verdict}{" verdict-provisional" if running else ""}">'
                f"{verdict_labels[summary.verdict]}{provisional}</span></td>\n"
                f"        \n      </tr>"
            )
        if has_next != shell.has_next:
            abort(501)  # the shell kept has a next page, or has none, and this page not
        values = {"csrf": str(escape(generate_csrf())).encode(), "search": b""}
        if search:
            values["search"] = str(escape(search)).encode()
        page = shell.head.fill(values) + shell.joint.join(rows).encode() + shell.tail
        return Response(page, mimetype="text/html")


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_ZONES: dict = {}


def _zone(name: str):
    from zoneinfo import ZoneInfo

    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


SAVED_LIST = re.compile(r'(?s)<ol id="saved-list" class="entry-list">\n        (.*</li>\n        )')
EDIT_LINK = re.compile(r'<a class="entry-edit" href="([^"]+)"')
PAGE_LANGUAGE = re.compile(r'<html lang="([^"]+)"')


class DiaryFrame(Frame):
    """A diary page's Frame, also cut around its saved list (``saved_list``), with what
    drawing that list again needs beside the entries: the page's language, whether the list
    dates every score (the window over) and the correction links' address with
    saved_list.ID_MARK where an entry's id goes (None when the page has none)."""

    locale: str
    dated: bool
    edit_url: str | None


def diary_frame(client, token: str) -> DiaryFrame:
    """The real diary page of ``token`` (CSRF on), cut at its entry id, its CSRF token, its
    link token and its saved list."""
    from html import unescape

    from diary.patient.saved_list import ID_MARK

    url = f"/d/{token}"
    response = client.get(url)
    inprocess.answered(response, url)
    page = response.get_data(as_text=True)
    client_id = CLIENT_ID_INPUT.search(page)
    csrf = CSRF_VALUE.search(page)
    if client_id is None or csrf is None:
        raise inprocess.NotServed(f"{url} has no entry id or CSRF token: is CSRF on?")
    holes = {"client_id": client_id.group(1), "csrf": csrf.group(2), "token": token}
    listed = SAVED_LIST.search(page)
    if listed is not None:
        holes["saved_list"] = listed.group(1)
    frame = DiaryFrame(page, holes)
    frame.locale = PAGE_LANGUAGE.search(page).group(1).replace("-", "_")
    link = EDIT_LINK.search(page)
    frame.dated = link is None
    frame.edit_url = (
        None if link is None else re.sub(r"/entries/\d+/edit", f"/entries/{ID_MARK}/edit",
                                          unescape(link.group(1)))
    )  # fmt: skip
    return frame


def diary_floor_against_page(client, token: str) -> str:
    """Whether the diary page's required floor answers ``token``'s real page: "same bytes"
    (its entry id and CSRF token aside, which differ on every request), or the first
    difference."""
    normal = [(CLIENT_ID_INPUT, "client_id"), (CSRF_VALUE, "csrf")]

    def read(url: str) -> str:
        response = client.get(url)
        inprocess.answered(response, url)
        text = response.get_data(as_text=True)
        for pattern, name in normal:
            text = pattern.sub(name, text)
        return text

    page, floor = read(f"/d/{token}"), read(f"/_floor/diary-page-required/{token}")
    if page == floor:
        return "same bytes"
    at = next(i for i, (a, b) in enumerate(zip(page, floor, strict=False)) if a != b)
    return f"differs at {at}: page {page[at - 80 : at + 80]!r}, floor {floor[at - 80 : at + 80]!r}"


ROWS = re.compile(r"(?s)(.*<tbody>.*?)(<tr>.*</tr>)(.*)")


@dataclass(frozen=True)
class Shell:
    """The real dashboard drawn before the timing, less its rows: the page up to its
    first row cut at its CSRF tokens and the kept search (``head``), what joins two rows,
    the page after its last row, whether it links a next page, and the row links'
    addresses (as ``id_url`` builds them, less the id)."""

    head: Frame
    joint: str
    tail: bytes
    has_next: bool
    patient_url: str
    block_url: str


def dashboard_shell(app, client, search: str = "") -> Shell:
    """The real dashboard of ``client``'s sign-in (which keeps ``search``) as a Shell."""
    from markupsafe import escape

    response = client.get("/")
    inprocess.answered(response, "/")
    page = response.get_data(as_text=True)
    tokens = {found.group(2) for found in CSRF_VALUE.finditer(page)}
    if len(tokens) != 1:
        raise inprocess.NotServed("the dashboard does not write one CSRF token")
    found = ROWS.match(page)
    if found is None:
        raise inprocess.NotServed("the dashboard has no rows")
    before_rows, rows, tail = found.groups()
    holes = {"csrf": tokens.pop()} | ({"search": str(escape(search))} if search else {})
    joint = rows[rows.index("</tr>") + 5 : rows.index("<tr>", 1)] if "<tr>" in rows[1:] else ""
    with app.test_request_context():
        from diary.web import id_url

        patient_url = id_url("clinic.patient", "patient_id")(0)[:-1]
        block_url = id_url("clinic.block", "block_id")(0)[:-1]
    return Shell(
        Frame(before_rows, holes),
        joint,
        tail.encode(),
        ">Older</a>" in tail,
        patient_url,
        block_url,
    )


def searching_client(app, email: str, search: str):
    """A client signed in as ``email`` whose sign-in keeps the dashboard search
    ``search`` (signed in and searching with CSRF off, as bench clients sign in)."""
    from diary.sample_data import SYNTHETIC_PASSWORD

    client = app.test_client()
    checked = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        inprocess.sign_in(client, email, SYNTHETIC_PASSWORD, csrf=False)
        response = client.post("/search", data={"q": search})
        if response.status_code != 302:
            raise inprocess.NotServed(f"searching answered {response.status_code}")
    finally:
        app.config["WTF_CSRF_ENABLED"] = checked
    return client


def floor_against_page(client) -> str:
    """How the dashboard's required floor, for ``client``'s sign-in (and the search it
    keeps), compares with the real page's bytes (``same_page``)."""
    floor = client.get("/_floor/dashboard-required")
    inprocess.answered(floor, "/_floor/dashboard-required")
    return same_page(client.get("/").get_data(), floor.get_data())


def same_page(first: bytes, second: bytes) -> str:
    """ "same bytes" when the two pages differ only in their CSRF tokens (signed with the
    time), else where they part."""
    a, b = (CSRF_VALUE.sub(r"\1\3", page.decode()) for page in (first, second))
    if a == b:
        return "same bytes (the CSRF token aside)"
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    return f"differ at character {at}: {a[at - 40 : at + 40]!r} vs {b[at - 40 : at + 40]!r}"


def check_limited(client, post_token: str, page_token: str) -> None:
    """The required floors pay the per-diary limit: each answers with the limit's headers,
    and the quota left falls by one a request (the check and its count ran)."""
    calls = (
        ("post", f"/_floor/write-required/{post_token}", {"pain": 1, "client_id": "limited"}),
        ("get", f"/_floor/diary-page-required/{page_token}", None),
    )
    for method, url, body in calls:
        left = []
        for n in range(2):
            sent = {"json": {**body, "client_id": f"limited-{n}"}} if body else {}
            response = getattr(client, method)(url, **sent)
            inprocess.answered(response, url)
            if "X-RateLimit-Limit" not in response.headers:
                raise inprocess.NotServed(f"{url} was not limited")
            left.append(int(response.headers["X-RateLimit-Remaining"]))
        if left[1] != left[0] - 1:
            raise inprocess.NotServed(f"{url}: the diary's quota did not count ({left})")


# The dashboard's required floor in stages: what each adds to the one before (25 rows,
# or the search's 10).
STAGES = (
    "the sign-in check and the clinic",
    "+ the kept search and the page's statement",
    "+ the settings digest and the rows' stored summaries",
    "+ the rows' statuses",
)


def add_dashboard_stages(app, body: dict[str, bytes]) -> None:
    """``/_floor/dashboard-stage/<n>``: the required floor's first ``n`` stages (STAGES;
    from 1, as the app's id converter takes no 0), answering the real page's bytes as they
    are (``body["dashboard"]``); ``/_floor/dashboard-search-stage/<n>`` the same for a
    sign-in that keeps a search (its statement from the second stage on), answering the
    real searched page's bytes (``body["dashboard_search"]``)."""
    from flask import Response, abort
    from flask_login import current_user

    from diary.auth import login_sessions
    from diary.services import summaries
    from diary.services.dashboard import dashboard_blocks
    from diary.services.progress import diary_statuses
    from diary.services.settings import analysis_settings

    def floor_dashboard_stage(stage: int, page: str):
        if not current_user.is_authenticated:
            abort(401)
        clinic = current_user.clinic
        if stage >= 2:
            search = login_sessions.dashboard_search()
            blocks, _ = dashboard_blocks(clinic, search, False, 0, 25)
        if stage >= 3:
            digest = summaries.settings_digest(analysis_settings(clinic))
            found = [summaries.stored_summary(block, digest) for block in blocks]  # type: ignore[arg-type]
        if stage >= 4:
            diary_statuses(blocks, found, datetime.now(UTC))  # type: ignore[arg-type]
        return Response(body[page], mimetype="text/html")

    for page, url in (
        ("dashboard", "dashboard-stage"),
        ("dashboard_search", "dashboard-search-stage"),
    ):
        app.add_url_rule(
            f"/_floor/{url}/<int:stage>",
            endpoint=f"floor_{page}_stage",
            view_func=floor_dashboard_stage,
            defaults={"page": page},
        )


def measure_stages(database_url: str, rounds: int) -> dict[str, float]:
    """Each stage's CPU time (ms) beside /healthz, the old floor, the required floor and
    the dashboard itself; then the same for the dashboard search (bench/bounds.py's)."""
    from bench import bounds

    bodies: dict[str, bytes] = {}
    shells: dict[str, Shell] = {}
    made = inprocess.make_app

    def make_app_with_floors(url: str):
        app = made(url)
        bounds.add_floors(app, bodies)
        add_required_floors(app, {}, shells)
        add_dashboard_stages(app, bodies)
        return app

    inprocess.make_app = make_app_with_floors
    try:
        bench = inprocess.build(database_url, 2000, 1, migrate=False)
    finally:
        inprocess.make_app = made
    bench.app.config["WTF_CSRF_ENABLED"] = True  # as bounds.py runs
    signed = bench.big.client
    searching = searching_client(bench.app, bench.big.email, bounds.SEARCH)
    bodies["dashboard"] = signed.get("/").get_data()
    bodies["dashboard_search"] = searching.get("/").get_data()
    shells["dashboard"] = dashboard_shell(bench.app, signed)
    shells["dashboard_search"] = dashboard_shell(bench.app, searching, bounds.SEARCH)
    get = inprocess.getter
    calls = {
        "/healthz": get(bench.app.test_client(), "/healthz"),
        "old floor": get(signed, "/_floor/signed-page"),
        **{name: get(signed, f"/_floor/dashboard-stage/{n}") for n, name in enumerate(STAGES, 1)},
        "required floor (+ CSRF, rows)": get(signed, "/_floor/dashboard-required"),
        "dashboard": get(signed, "/"),
        **{
            f"search: {name}": get(searching, f"/_floor/dashboard-search-stage/{n}")
            for n, name in enumerate(STAGES, 1)
        },
        "search: required floor (+ CSRF, rows)": get(searching, "/_floor/dashboard-required"),
        "dashboard search": get(searching, "/"),
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
    return {name: statistics.median(values) * 1000 for name, values in per_round.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="", help="a PostgreSQL URL (scratch database)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the access log)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/stages.sqlite3"
        if args.database:
            inprocess.empty_postgres(url)
        ms = measure_stages(url, args.rounds)
    healthz = ms["/healthz"]
    for name, spent in ms.items():
        print(f"{name:<48}{spent:>7.2f} ms{spent / healthz:>7.2f}× /healthz", file=sys.stderr)


if __name__ == "__main__":
    main()
