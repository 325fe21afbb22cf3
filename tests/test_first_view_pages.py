"""A diary's first view (neither its page nor its saved list kept) reads byte for byte as
the page drawn by the template before the first view was made cheaper (the pages in
tests/first_view_pages/, written by that code with the clock stopped at a fixed time):
hourly, daily, scored apart, in Spanish, the window over, with a correction made.

FIRST_VIEW_PAGES_WRITE=1 writes them again (only when the page is meant to change)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from diary.extensions import db
from diary.lru import BoundedLRU
from diary.models import DiaryEntry
from diary.patient.kept_pages import KeptPages
from diary.services.entries import EntryInput, correct_entry, record_entry
from tests.conftest import add_entries, make_block

PAGES = Path(__file__).resolve().parent / "first_view_pages"
WRITE = os.environ.get("FIRST_VIEW_PAGES_WRITE") == "1"
# A Tuesday afternoon in Chicago (the world's clinics' zone).
FIXED_NOW = datetime(2031, 3, 11, 20, 5, tzinfo=UTC)

CLIENT_ID = re.compile(r'(name="client_id" type="hidden" value=")[0-9a-f]{32}"')
ENTRY_ID = re.compile(r"/entries/\d+/edit")


def first_view(app, client, block, query: str = "") -> str:
    """The page as a diary's first view since it changed draws it (nothing kept)."""
    app.extensions["diary_kept_pages"] = KeptPages()
    app.extensions["diary_saved_lists"] = BoundedLRU()
    response = client.get(f"/d/{block.diary_token}{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    text = text.replace(block.diary_token, "TOKEN")
    text = text.replace(f'data-diary="{block.id}"', 'data-diary="ID"')
    return ENTRY_ID.sub("/entries/ENTRY/edit", CLIENT_ID.sub(r'\1CLIENT"', text))


@pytest.fixture
def fixed_clock(clock):
    clock.set(FIXED_NOW)
    return clock


def hourly(world):
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        performed_at=FIXED_NOW - timedelta(hours=2, minutes=10),
    )
    add_entries(block, {0.5: 2, 1: 3})
    first = db.session.scalars(db.select(DiaryEntry).filter_by(block_id=block.id)).first()
    correct_entry(first, EntryInput(pain=1, recorded_at=first.recorded_at), replaced_by="patient")
    return block


def daily(world):
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=FIXED_NOW - timedelta(days=2)
    )
    block.daily_days = 5
    block.link_expires_at = FIXED_NOW + timedelta(days=4)
    add_entries(block, {0.5: 2, 1: 3, 6: 4, 26: 5})
    return block


def scored_apart(world):
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        performed_at=FIXED_NOW - timedelta(hours=1, minutes=20),
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=7,
        baseline_pain_right=4,
        activities=[],
    )
    for hours, (left, right) in {0.25: (3, 5), 0.75: (2, 6)}.items():
        at = block.performed_at + timedelta(hours=hours)
        record_entry(
            block,
            EntryInput(pain_left=left, pain_right=right, recorded_at=at, client_id=f"s-{hours}"),
            now=at,
        )
    return block


def window_over(world):
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=FIXED_NOW - timedelta(days=2)
    )
    block.link_expires_at = FIXED_NOW + timedelta(days=3)
    add_entries(block, {0.5: 2, 1: 3, 3: 6})
    return block


def extra_scores(world):
    """Scores beyond the schedule: a second one for a due time, one late, one with an
    activity and relief, one corrected ("Plus 3 extra scores")."""
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=FIXED_NOW - timedelta(hours=5)
    )
    add_entries(block, {0.5: 2, 0.55: 3, 1: 3, 1.02: 4, 2.7: 6, 4.9: 5})
    start = block.performed_at
    record_entry(
        block,
        EntryInput(
            pain=7,
            recorded_at=start + timedelta(hours=3.5),
            reported_relief_pct=40,
            activity="walking",
            client_id="extra-late",
        ),
        now=start + timedelta(hours=4.8),
    )
    last = db.session.scalars(
        db.select(DiaryEntry).filter_by(block_id=block.id).order_by(DiaryEntry.recorded_at.desc())
    ).first()
    correct_entry(last, EntryInput(pain=4, recorded_at=last.recorded_at), replaced_by="patient")
    return block


def many_days(world):
    """A daily diary read on its fifth day: scores on each day before, dated in the list."""
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=FIXED_NOW - timedelta(days=4)
    )
    block.daily_days = 7
    block.link_expires_at = FIXED_NOW + timedelta(days=4)
    hours = [0.5, 1, 1.5, 2, 3, 4, 5, 6, 24, 48.2, 71.9, 96.01]
    add_entries(block, {hour: (3 + index) % 11 for index, hour in enumerate(hours)})
    return block


def fresh(world):
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=FIXED_NOW - timedelta(minutes=5)
    )
    return block


DIARIES = {
    "hourly": (hourly, ""),
    "daily": (daily, ""),
    "scored_apart": (scored_apart, ""),
    "spanish": (hourly, "?lang=es"),
    "spanish_window_over": (window_over, "?lang=es"),
    "window_over": (window_over, ""),
    "no_scores_yet": (fresh, ""),
    "extra_scores": (extra_scores, ""),
    "many_days": (many_days, ""),
    "many_days_spanish": (many_days, "?lang=es"),
    "scored_apart_spanish": (scored_apart, "?lang=es"),
}


@pytest.mark.parametrize("name", DIARIES)
def test_a_first_view_reads_as_the_page_drawn_before(app, client, world, fixed_clock, name):
    make, query = DIARIES[name]
    block = make(world)
    db.session.commit()
    text = first_view(app, client, block, query)
    again = first_view(app, client, block, query)
    assert text == again
    expected = PAGES / f"{name}.html"
    if WRITE:
        expected.write_bytes(text.encode())
    assert text == expected.read_bytes().decode(), name
