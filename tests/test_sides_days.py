"""Where left and right meet the days after (issue 24): a bilateral block scored apart
with daily scores has days of relief per side (pathway.md §2), on every door."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from diary.extensions import db
from diary.services.entries import EntryInput, record_entry
from diary.services.tokens import create_api_token
from tests.conftest import needs_pdf
from tests.test_api import Api
from tests.test_daily_scores import DAILY_TAIL, DailyWorld

# The left side follows pathway.md's "daily tail" (9 days, weeks); the right side's
# relief ends on day 3 (pain 5 of 6 is 16.7 %): 2 days, short.
RIGHT_DAYS = {1: 2, 2: 3, 3: 5} | {day: 6 for day in range(4, 15)}
LEFT_TEXT, RIGHT_TEXT = "9 days of relief (weeks)", "2 days of relief (short)"
BOTH = f"Left: {LEFT_TEXT} · Right: {RIGHT_TEXT}"


@pytest.fixture
def daily(app):
    return DailyWorld()


def side_score(block, at, left: int, right: int, name: str):
    entry, _ = record_entry(
        block,
        EntryInput(
            pain_left=left, pain_right=right, recorded_at=at, client_id=f"{name}-{block.id}"
        ),
        now=at,
    )
    db.session.commit()
    return entry


def bilateral_block(world: DailyWorld, purpose: str = "therapeutic", days=None):
    """A bilateral block scored apart (left baseline 8, right 6) 15 days ago, with an
    hourly diary and daily scores per side (the left DAILY_TAIL, the right RIGHT_DAYS)."""
    values = dict(
        purpose=purpose,
        steroid=purpose == "therapeutic",
        agent="bupivacaine",
        concentration="0.5",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    block = world.block(timedelta(days=15, hours=2), **values)
    for hours in (0.5, 1, 2, 4):
        side_score(block, block.performed_at + timedelta(hours=hours), 1, 5, f"h{hours}")
    for day in days or DAILY_TAIL:
        at = block.performed_at + timedelta(days=day, hours=1)
        side_score(block, at, DAILY_TAIL[day], RIGHT_DAYS[day], f"day{day}")
    return block


def api_for(world: DailyWorld, client) -> Api:
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    return Api(client, token)


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


# --- the service: one function per reading --------------------------------------------------


def test_each_sides_days_come_from_that_sides_scores_and_baseline(daily):
    from diary.services.analysis import block_readings
    from diary.services.days import readings_outcome, side_days_of_relief

    block = bilateral_block(daily)
    readings = block_readings(block)
    days = {r.scored_side: r.days_of_relief for r in readings}
    assert (days["left"].days, days["left"].open, days["left"].relief_class) == (9, False, "weeks")
    assert (days["right"].days, days["right"].relief_class) == (2, "short")
    assert side_days_of_relief(block) == days
    assert readings_outcome(block, readings) == BOTH


def test_a_diagnostic_block_scored_apart_reads_its_verdicts_per_side(daily):
    from diary.services.analysis import block_readings, verdict_text
    from diary.services.days import readings_outcome

    block = bilateral_block(daily, purpose="diagnostic")
    readings = block_readings(block)
    assert readings_outcome(block, readings) == verdict_text(readings)
    assert readings_outcome(block, readings).startswith("Left: ")


# --- the API ---------------------------------------------------------------------------------


def test_api_analysis_gives_each_sides_days_of_relief_and_outcome(client, daily):
    block = bilateral_block(daily)
    value = api_for(daily, client).get(f"/blocks/{block.id}/analysis").get_json()
    left, right = value["sides"]["left"], value["sides"]["right"]
    assert left["days_of_relief"] == {"days": 9, "open": False, "class": "weeks"}
    assert right["days_of_relief"] == {"days": 2, "open": False, "class": "short"}
    assert (left["outcome"], right["outcome"]) == (LEFT_TEXT, RIGHT_TEXT)
    assert left["verdict"] == right["verdict"] == "not_diagnostic"
    assert value["outcome"] == BOTH and value["days_of_relief"] is None


# --- the block page, the report and its PDF ---------------------------------------------------


def test_block_page_shows_each_sides_days_of_relief_and_both_outcomes(client, daily, auth):
    block = bilateral_block(daily)
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert f"<strong>Outcome: {BOTH}</strong>" in page
    assert "Verdict: Left: not diagnostic" not in page
    assert f'Left side: <span class="outcome outcome-weeks">{LEFT_TEXT}</span>' in page
    assert f'Right side: <span class="outcome outcome-short">{RIGHT_TEXT}</span>' in page
    assert f"<dt>Days of relief (≥50 %)</dt><dd>{LEFT_TEXT}</dd>" in page
    assert f"<dt>Days of relief (≥50 %)</dt><dd>{RIGHT_TEXT}</dd>" in page
    assert page.count("Daily scores (14 of 14 days)") == 2


def test_a_diagnostic_block_scored_apart_keeps_its_verdicts_with_days_beside(client, daily, auth):
    block = bilateral_block(daily, purpose="diagnostic")
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "<strong>Verdict: Left: " in page and "Outcome: " not in page
    assert f"<dt>Days of relief (≥50 %)</dt><dd>{LEFT_TEXT}</dd>" in page
    assert f"<dt>Days of relief (≥50 %)</dt><dd>{RIGHT_TEXT}</dd>" in page


def test_report_shows_each_sides_days_of_relief(client, daily, auth):
    block = bilateral_block(daily)
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert f"Outcome: {BOTH}" in page
    assert f"<dd>{LEFT_TEXT}</dd>" in page and f"<dd>{RIGHT_TEXT}</dd>" in page


@needs_pdf
def test_report_pdf_carries_each_sides_days_of_relief(client, daily, auth):
    pypdf = pytest.importorskip("pypdf")
    block = bilateral_block(daily)
    auth.login("daily@a.example")
    response = client.get(f"/blocks/{block.id}/report.pdf")
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert f"Outcome: {BOTH}" in text
    assert f"Left side: {LEFT_TEXT}" in text and f"Right side: {RIGHT_TEXT}" in text
