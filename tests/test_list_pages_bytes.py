"""The dashboard's and the worklist's pages read byte for byte as the templates drew them
before their rows were made cheaper (issue 23): the pages in tests/list_pages/, written by
that code with the clock stopped at a fixed time, on a clinic whose rows show every kind
of cell (a diary running and finished, scored apart, a therapeutic outcome, side effects,
a name to escape; on the worklist each group, an ablation's check-in and next step).

LIST_PAGES_WRITE=1 writes them again (only when the pages are meant to change)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from diary.extensions import db
from diary.services.entries import EntryInput, record_entry
from diary.services.patients import PatientInput, create_patient
from tests.conftest import add_entries, make_ablation, make_block

PAGES = Path(__file__).resolve().parent / "list_pages"
WRITE = os.environ.get("LIST_PAGES_WRITE") == "1"
# A Tuesday afternoon in Chicago (the clinic's zone).
FIXED_NOW = datetime(2031, 3, 11, 20, 5, tzinfo=UTC)
CSRF = re.compile(
    r'(name="csrf_token" type="hidden" value=")[^"]*"'
    r'|(type="hidden" name="csrf_token" value=")[^"]*"'
)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    text = response.get_data(as_text=True)
    return CSRF.sub(lambda m: (m.group(1) or m.group(2)) + 'CSRF"', text)


def side_effect(block, hours: float, effects: tuple[str, ...]) -> None:
    at = block.performed_at + timedelta(hours=hours)
    record_entry(
        block,
        EntryInput(
            pain=3, recorded_at=at, client_id=f"se-{block.id}-{hours}", side_effects=effects
        ),
        now=at,
    )


def scored_apart(world, patient, ago: timedelta, scores: dict[float, tuple[int, int]]):
    block = make_block(
        world.clinic,
        patient,
        world.clinician,
        performed_at=FIXED_NOW - ago,
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=7,
        baseline_pain_right=4,
        activities=[],
    )
    for hours, (left, right) in scores.items():
        at = block.performed_at + timedelta(hours=hours)
        record_entry(
            block,
            EntryInput(pain_left=left, pain_right=right, recorded_at=at, client_id=f"s-{hours}"),
            now=at,
        )
    return block


@pytest.fixture
def clinic_rows(clock, world, auth):
    """A clinic whose pages show every kind of row, made with the clock at FIXED_NOW
    (and signed in then)."""
    clock.set(FIXED_NOW - timedelta(days=900))
    make_ablation(
        world.clinic, world.patient, world.clinician, performed_at=FIXED_NOW - timedelta(days=800)
    )
    clock.set(FIXED_NOW - timedelta(days=120))
    other = create_patient(
        world.clinic, PatientInput('O\'Brien <Ann> & "Co"', "MRN-<2>", 1971), by=world.clinician
    )
    make_ablation(
        world.clinic,
        other,
        world.clinician,
        performed_at=FIXED_NOW - timedelta(days=100),
        region="cervical",
        levels=["C5-C6"],
    )
    clock.set(FIXED_NOW)
    world.block.performed_at = FIXED_NOW - timedelta(hours=3)
    world.block.link_expires_at = FIXED_NOW + timedelta(days=2)
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})
    positive = make_block(
        world.clinic,
        other,
        world.clinician,
        performed_at=FIXED_NOW - timedelta(days=4),
        agent="bupivacaine",
        concentration="0.5",
    )
    add_entries(positive, {0.25: 1, 0.5: 1, 1: 1, 2: 0, 4: 1, 5: 6})
    negative = make_block(
        world.clinic, other, world.clinician, performed_at=FIXED_NOW - timedelta(days=6)
    )
    add_entries(negative, {0.5: 7, 1: 8, 2: 8})
    side_effect(negative, 3, ("numbness", "headache"))
    running = make_block(
        world.clinic, other, world.clinician, performed_at=FIXED_NOW - timedelta(minutes=40)
    )
    side_effect(running, 0.25, ("other",))
    therapeutic = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        performed_at=FIXED_NOW - timedelta(days=9),
        purpose="therapeutic",
        steroid=True,
    )
    therapeutic.daily_days = 5
    therapeutic.link_expires_at = therapeutic.performed_at + timedelta(days=6)
    add_entries(therapeutic, {0.5: 4, 24: 3, 48: 2, 72: 5})
    finished = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        performed_at=FIXED_NOW - timedelta(days=60),
        purpose="therapeutic",
    )
    add_entries(finished, {0.5: 3, 1: 2})
    scored_apart(world, other, timedelta(hours=1, minutes=20), {0.25: (3, 5), 0.75: (2, 6)})
    scored_apart(world, world.patient, timedelta(days=3), {0.25: (1, 4), 1: (0, 2), 6: (6, 4)})
    archived = make_block(
        world.clinic, other, world.clinician, performed_at=FIXED_NOW - timedelta(days=30)
    )
    archived.archived_at = FIXED_NOW - timedelta(days=1)
    db.session.commit()
    assert auth.login().status_code == 302
    return world


PAGES_SHOWN = {
    "dashboard": "/",
    "dashboard_archived": "/?archived=1",
    "worklist": "/worklist",
}


@pytest.mark.parametrize("name", PAGES_SHOWN)
def test_a_list_page_reads_as_the_page_drawn_before(client, clinic_rows, name):
    text = page(client, PAGES_SHOWN[name])
    assert text == page(client, PAGES_SHOWN[name])
    expected = PAGES / f"{name}.html"
    if WRITE:
        PAGES.mkdir(exist_ok=True)
        expected.write_bytes(text.encode())
    assert text == expected.read_bytes().decode(), name


def test_a_search_reads_as_the_page_drawn_before(client, clinic_rows):
    client.post("/search", data={"q": "o'b", "archived": ""})
    text = page(client, "/")
    assert "Showing blocks of patients matching" in text
    expected = PAGES / "dashboard_search.html"
    if WRITE:
        expected.write_bytes(text.encode())
    assert text == expected.read_bytes().decode()
