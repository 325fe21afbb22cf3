"""The app's paths measured in process (Flask's test client, no network): what the speed
guard (tests/test_speed_guard.py) and the profiles (bench/profile_paths.py) time.

A synthetic clinic is made in a database of its own (a SQLite file, or a PostgreSQL
database given by URL), with a second, small clinic beside it for the dashboard's
"the same cost at any clinic size". Each path is a function of no arguments making
one request (or render) and checking that it answered 2xx: a figure of refusals is
no figure.
"""

from __future__ import annotations

import gc
import html
import itertools
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class NotServed(AssertionError):
    """A measured request answered something other than 2xx."""


def answered(response, path: str) -> None:
    if not 200 <= response.status_code < 300:
        raise NotServed(
            f"{path} answered {response.status_code}: a figure counts 2xx only\n"
            + response.get_data(as_text=True)[:500]
        )


def getter(client, url: str) -> Callable[[], None]:
    """A call that GETs ``url`` whole (a streamed body, a CSV, is made as it is read),
    checking that it answered 2xx."""

    def call() -> None:
        response = client.get(url)
        response.get_data()
        answered(response, url)

    return call


def entry_poster(
    client, tokens: list[str], label: str, url_of: Callable[[str], str] | None = None
) -> Callable[[], None]:
    """A call that posts one entry as the diary page's script sends it (JSON, to the API
    by default, else to ``url_of(token)``), to the diaries of ``tokens`` in turn so that
    none fills up (a clinic allows 200 entries a diary), checking that it answered 2xx.
    ``label`` makes each entry's client id unique."""
    url_of = url_of or (lambda token: f"/api/v1/diary/{token}/entries")
    counter = itertools.count()

    def call() -> None:
        n = next(counter)
        url = url_of(tokens[n % len(tokens)])
        response = client.post(url, json={"pain": n % 11, "client_id": f"{label}-{n}"})
        answered(response, url)

    return call


CSRF_INPUT = re.compile(r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on the page at ``url``, as a browser takes it: valid
    for this client's session (Flask-WTF's default: an hour)."""
    response = client.get(url)
    answered(response, url)
    found = CSRF_INPUT.search(response.get_data(as_text=True))
    if found is None:
        raise NotServed(f"{url} has no CSRF token: is CSRF on?")
    return html.unescape(found.group(1))


def sign_in(client, email: str, password: str, csrf: bool) -> None:
    """Sign ``client`` in through the sign-in form (with its CSRF token when on)."""
    data = {"email": email, "password": password}
    if csrf:
        data["csrf_token"] = csrf_token(client, "/login")
    response = client.post("/login", data=data)
    if response.status_code != 302:
        raise NotServed(f"signing in answered {response.status_code}")


def cpu_timed(call: Callable[[], None]) -> Callable[[], float]:
    """``call`` returning the CPU seconds of this thread it took."""

    def timed() -> float:
        started = time.thread_time()
        call()
        return time.thread_time() - started

    return timed


def cpu_timed_get(client, url: str) -> Callable[[], float]:
    """``getter`` returning the CPU seconds of this thread it took."""
    return cpu_timed(getter(client, url))


@dataclass
class Clinic:
    """A synthetic clinic and a client signed in as its admin."""

    clinic_id: int
    email: str
    client: object
    block_ids: list[int]
    tokens: list[str]


@dataclass
class Bench:
    app: object
    big: Clinic
    small: Clinic
    paths: dict[str, Callable[[], None]] = field(default_factory=dict)


def make_app(database_url: str, csrf: bool = False):
    """The app as development runs it, with the diary's limit lifted to fit the load
    (the limiter still runs on every request: its cost is measured). ``csrf``: forms
    checked for their CSRF token, as the app runs (the default posts like a script)."""
    os.environ.setdefault("BLOCK_DIARY_ENV", "development")
    from diary import create_app

    return create_app(
        {
            "PROFILE": "development",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
            "DIARY_RATE_LIMIT": "10000000 per minute",
            "LOGIN_RATE_LIMIT": "10000000 per minute",
            "WTF_CSRF_ENABLED": csrf,
        }
    )


def build(
    database_url: str, blocks: int, entries: int, small_blocks: int = 200, migrate: bool = True
) -> Bench:
    """A database with a clinic of ``blocks`` x ``entries`` and one of ``small_blocks`` x
    ``entries``; the app and signed-in clients. The schema comes from the migrations, or
    with ``migrate=False`` from the models (the same tables and indexes, made faster)."""
    import logging

    from flask_migrate import upgrade
    from sqlalchemy import select

    from diary.extensions import db
    from diary.models import Block
    from diary.sample_data import SYNTHETIC_PASSWORD, synthetic_clinic

    app = make_app(database_url)
    made = []
    with app.app_context():
        if migrate:
            logging.disable(logging.INFO)
            upgrade(directory=str(ROOT / "migrations"))
            logging.disable(logging.NOTSET)
        else:
            db.create_all()
        for size, seed in ((blocks, 1), (small_blocks, 2)):
            user = synthetic_clinic(size, entries, seed=seed, stale_summaries=False)
            rows = db.session.execute(
                select(Block.id, Block.diary_token)
                .where(Block.clinic_id == user.clinic_id)
                .order_by(Block.id)
            ).all()
            made.append((user.clinic_id, user.email, [r[0] for r in rows], [r[1] for r in rows]))
        db.session.remove()
    clinics = []
    for clinic_id, email, block_ids, tokens in made:
        client = app.test_client()
        sign_in(client, email, SYNTHETIC_PASSWORD, csrf=False)
        clinics.append(Clinic(clinic_id, email, client, block_ids, tokens))
    bench = Bench(app, clinics[0], clinics[1])
    bench.paths = paths(bench)
    return bench


def paths(bench: Bench) -> dict[str, Callable[[], None]]:
    """Each measured path as a call making one request."""
    big, small = bench.big, bench.small
    anonymous = bench.app.test_client()
    counter = itertools.count()
    # Entries go to diaries of their own (not those the pages read).
    entry_post = entry_poster(anonymous, big.tokens[-500:], "bench-entry")
    page_token = big.tokens[0]
    chart_block = big.block_ids[1]
    get = getter

    def cold_chart() -> None:
        from diary import charts
        from diary.extensions import db
        from diary.models import Block
        from diary.services.analysis import analyse_block

        with bench.app.app_context():
            block = db.session.get(Block, big.block_ids[next(counter) % len(big.block_ids)])
            charts.render_chart(analyse_block(block), block.baseline_pain, "png")
            db.session.remove()

    return {
        "healthz": get(anonymous, "/healthz"),
        "entry_post": entry_post,
        "patient_page": get(anonymous, f"/d/{page_token}"),
        "dashboard": get(big.client, "/"),
        "dashboard_small": get(small.client, "/"),
        "chart_cached": get(big.client, f"/blocks/{chart_block}/chart.png"),
        "chart_cold": cold_chart,
        "bare_render": bare_render,
        "csv_small": get(small.client, "/exports/entries.csv"),
    }


def bare_render() -> None:
    """The floor of a chart: a bare matplotlib Figure of the chart's size, saved as PNG."""
    import io

    from diary import charts

    fig = charts.new_figure(figsize=(charts.WIDTH_IN, charts.HEIGHT_IN), dpi=charts.BASE_DPI)
    fig.add_subplot().plot([0, 1, 2, 3], [5, 2, 3, 6])
    fig.savefig(io.BytesIO(), format="png")


def timed(call: Callable[[], None], repeat: int) -> list[float]:
    """``repeat`` timings of ``call`` in seconds, the collector out of the way."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
    finally:
        gc.enable()
    return times


def interleaved(
    calls: dict[str, Callable[[], None]], rounds: int, per_round: int
) -> dict[str, float]:
    """The median time of each call, the calls taking turns ``rounds`` times (so that a
    busy moment on a shared machine falls on all of them alike), ``per_round`` each turn."""
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            samples[name].append(statistics.median(timed(call, per_round)))
    return {name: statistics.median(values) for name, values in samples.items()}


def python_startup(code: str, env: dict | None = None) -> float:
    """Seconds for a fresh interpreter to run ``code`` (the median of three)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def empty_postgres(url: str) -> None:
    """Drop everything in the scratch PostgreSQL database at ``url``."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


NOTES = [
    "Walked to the kitchen and back, stiffness in the lower back when bending",
    "Sat for an hour watching television; the ache came back slowly on the right side",
    "",
    "Took the stairs twice without stopping, much easier than yesterday morning",
    "Bent forward to tie shoes: a sharp twinge, then it settled",
]


def report_block(app, clinic_id: int, entries: int = 60) -> int:
    """A block of the clinic with ``entries`` entries (notes, activities, relief, a side
    effect and corrections among them), for the report PDF; returns its id."""
    from datetime import timedelta

    from diary.extensions import db
    from diary.models import Block, Patient, User, utcnow
    from diary.services.blocks import BlockInput, create_block
    from diary.services.entries import EntryInput, correct_entry, record_entry

    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(clinic_id=clinic_id)).scalar_one()
        first = (
            db.session.execute(db.select(Block).filter_by(clinic_id=clinic_id).order_by(Block.id))
            .scalars()
            .first()
        )
        patient = db.session.get(Patient, first.patient_id)
        performed = utcnow() - timedelta(days=3)
        block = create_block(
            user.clinic,
            patient,
            BlockInput(
                performed_at=performed,
                region="lumbar",
                levels=["L3-L4", "L4-L5", "L5-S1"],
                side="right",
                purpose="diagnostic",
                sequence="first",
                agent="bupivacaine",
                concentration="0.5",
                agent_other=None,
                volume_ml_per_level=0.5,
                steroid=False,
                sedation="none",
                baseline_pain=8,
                activities=["stand up from a chair", "bend forward", "walk 5 minutes"],
            ),
            by=user,
        )
        for n in range(entries):
            at = performed + timedelta(minutes=10 + 15 * n)
            entry, _ = record_entry(
                block,
                EntryInput(
                    pain=[6, 3, 2, 1, 1, 2, 3, 5, 7][n % 9],
                    recorded_at=at,
                    reported_relief_pct=[None, 50, 70, 80][n % 4],
                    activity=["stand up from a chair", None, "bend forward"][n % 3],
                    note=NOTES[n % len(NOTES)] or None,
                    client_id=f"report-{n}",
                    side_effects=["numbness"] if n == 7 else (),
                ),
                now=at,
            )
            if n % 20 == 5:
                changed = EntryInput(pain=entry.pain + 1, recorded_at=entry.recorded_at)
                correct_entry(entry, changed, replaced_by="patient", now=at)
        db.session.commit()
        block_id = block.id
        db.session.remove()
    return block_id
