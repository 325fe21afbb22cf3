"""Due times, the slot an entry answers, and on-time compliance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from diary.schedule import (
    COMPLETE,
    EXPIRED,
    IN_PROGRESS,
    NOT_STARTED,
    DiarySchedule,
    compliance,
    diary_status,
    next_due,
    slot_for,
)
from tests.conftest import add_entries

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def minutes(*values):
    return [START + timedelta(minutes=m) for m in values]


def test_default_schedule_short_and_long_acting():
    schedule = DiarySchedule()
    assert schedule.offsets_minutes("lidocaine") == [15, 30] + list(range(60, 481, 60))
    assert schedule.offsets_minutes("bupivacaine")[-1] == 720
    assert schedule.offsets_minutes("ropivacaine")[-1] == 720


def test_clinic_adds_45_minutes():
    schedule = DiarySchedule.from_settings({"early_minutes": [15, 30, 45]})
    assert schedule.offsets_minutes("lidocaine")[:4] == [15, 30, 45, 60]


def test_next_due_and_status():
    due = minutes(15, 30, 60)
    assert next_due(due, START + timedelta(minutes=20)) == due[1]
    assert next_due(due, START + timedelta(hours=2)) is None
    assert diary_status(due, 0, True, START) == NOT_STARTED
    assert diary_status(due, 2, True, START + timedelta(minutes=40)) == IN_PROGRESS
    assert diary_status(due, 2, True, START + timedelta(hours=2)) == COMPLETE
    assert diary_status(due, 0, False, START + timedelta(hours=2)) == EXPIRED


def test_slot_is_the_nearest_due_time():
    due = minutes(15, 30, 60, 120)
    assert slot_for(due, START + timedelta(minutes=40)) == due[1]
    assert slot_for(due, START + timedelta(minutes=50)) == due[2]
    assert slot_for(due, START + timedelta(minutes=90)) == due[2]  # tie: the earlier slot
    assert slot_for([], START) is None


def test_compliance_counts_on_time_late_and_missed():
    due = minutes(15, 30, 60, 120, 180)
    answers = [
        (due[0], due[0] + timedelta(minutes=2)),
        (due[1], due[1] + timedelta(minutes=14)),
        (due[2], due[2] + timedelta(minutes=40)),
    ]
    result = compliance(due, answers, START + timedelta(minutes=150))
    assert (result.passed, result.on_time, result.answered) == (4, 2, 3)
    assert result.late == [due[2]] and result.missed == [due[3]]
    assert result.on_time_pct == 50.0


def test_entries_keep_their_slot_and_the_block_page_shows_compliance(client, signed_in):
    block = signed_in.block  # performed 3 h ago, lidocaine
    add_entries(block, {0.25: 2, 0.5: 2, 1.1: 3})
    from diary.extensions import db

    db.session.commit()
    slots = [(e.due_at - block.performed_at).total_seconds() / 60 for e in block.entries]
    assert slots == [15, 30, 60]
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "On time: <strong>3 of 5</strong>" in page
    assert "missed" in page
