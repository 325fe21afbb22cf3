"""Due times, the slot an entry answers, and on-time compliance."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.extensions import db
from diary.schedule import (
    COMPLETE,
    EXPIRED,
    IN_PROGRESS,
    NOT_STARTED,
    RUNNING,
    TICK,
    DiarySchedule,
    awaited_changes,
    awaited_due,
    compliance,
    diary_status,
    due_now,
    slot_for,
    still_awaited,
)
from diary.services.blocks import update_block
from diary.services.entries import EntryInput, record_entry
from tests.conftest import add_entries, block_at

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


def test_awaited_due_and_status():
    due = minutes(15, 30, 60)
    assert awaited_due(due, set(), START + timedelta(minutes=10)) == due[0]
    assert awaited_due(due, {due[0]}, START + timedelta(minutes=20)) == due[1]
    assert awaited_due(due, set(), START + timedelta(hours=2)) is None
    assert diary_status(due, 0, True, START) == NOT_STARTED
    assert diary_status(due, 2, True, START + timedelta(minutes=40)) == IN_PROGRESS
    assert diary_status(due, 2, True, START + timedelta(hours=2)) == COMPLETE
    assert diary_status(due, 0, False, START + timedelta(hours=2)) == EXPIRED


def test_a_diary_is_complete_only_once_its_last_due_time_is_no_longer_asked_for():
    """``diary_status`` said complete from the last due time on, while ``due_now`` (the
    patient's page) asked for that score for 30 minutes more: each second from an hour
    before it to an hour after, the diary runs exactly while a score is asked for or
    still to come, and each change falls on one of ``awaited_changes``' moments."""
    due = minutes(15, 30, 60, 120)
    answered = set(due[:-1])  # every score but the last
    changes = set(awaited_changes(due, START))
    before = None
    for second in range(60 * 60, 3 * 60 * 60 + 1):
        now = START + timedelta(seconds=second)
        status = diary_status(due, 3, True, now)
        asked = due_now(due, answered, now) is not None or now < due[-1]
        assert (status in RUNNING) == asked, now
        if before is not None and status != before:  # a change moment since a second ago
            assert any(now - timedelta(seconds=1) < at <= now for at in changes), now
        before = status
    assert diary_status(due, 3, True, due[-1] + timedelta(minutes=30)) == IN_PROGRESS
    assert diary_status(due, 3, True, due[-1] + timedelta(minutes=30) + TICK) == COMPLETE
    assert due[-1] + timedelta(minutes=30) + TICK in changes


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
    db.session.commit()
    slots = [(e.due_at - block.performed_at).total_seconds() / 60 for e in block.entries]
    assert slots == [15, 30, 60]
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    # 15, 30 min, 1 and 2 h counted; 3 h is due now, its on-time window still open.
    assert "On time: <strong>3 of 4</strong>" in page
    assert "missed" in page


def test_the_on_time_line_counts_the_due_times_so_far_without_contradiction(client, signed_in):
    """ "On time: 0 of 3 due times passed (0%); missed …" read as if no due time had passed
    (outside trial): the count is of the due times so far, and before the first there is
    nothing to count."""
    block = block_at(signed_in, -timedelta(minutes=76))  # 15, 30 and 60 min + 15 are over
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    line = re.search(r'<p class="compliance">(.*?)</p>', page, re.S).group(1)
    assert "On time: <strong>0 of 3</strong> due times so far (0%); missed" in line
    assert "passed" not in line

    later = block_at(signed_in, timedelta(minutes=10))  # before the block: none yet
    db.session.commit()
    page = client.get(f"/blocks/{later.id}").get_data(as_text=True)
    line = re.search(r'<p class="compliance">(.*?)</p>', page, re.S).group(1)
    assert line.strip() == (
        "On time: no due time to count yet (one counts 15 minutes after it is due)."
    )


def test_a_due_time_is_missed_only_once_its_on_time_window_has_closed(client, signed_in, clock):
    """At 02:35 the block page said "missed 02:33" while the verdict awaited that entry,
    the patient's page said a score was due now, and a score made then counted on time
    (outside trial): a due time counts, missed or not, only once due + 15 min is over."""
    world = signed_in
    block = block_at(world, -timedelta(hours=1))  # the clock moves minutes, not an hour
    add_entries(block, {0.25: 2, 0.5: 2})  # the 15 and 30 min scores, made on time
    db.session.commit()
    one_hour = block.performed_at + timedelta(hours=1)
    shown = one_hour.astimezone(ZoneInfo(world.clinic.timezone)).strftime("%H:%M")

    def line():
        page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
        return re.search(r'<p class="compliance">(.*?)</p>', page, re.S).group(1)

    clock.set(one_hour + timedelta(minutes=14))  # the 1 h score still on time
    assert "missed" not in line() and "On time: <strong>2 of 2</strong>" in line()
    analysis = client.get(f"/api/v1/blocks/{block.id}/analysis").get_json()
    assert analysis["awaiting"] == "awaiting the 1 h entry"
    patient = client.get(f"/d/{block.diary_token}").get_data(as_text=True)
    assert f"A score is due now (it was due at {shown})" in patient

    clock.set(one_hour + timedelta(minutes=16))  # its window closed with no score
    assert f"On time: <strong>2 of 3</strong> due times so far (66.7%); missed {shown}" in line()

    # Made at due + 14 min instead, the score is on time and the line counts it so.
    clock.set(one_hour + timedelta(minutes=14))
    at = one_hour + timedelta(minutes=14)
    record_entry(block, EntryInput(pain=2, recorded_at=at, client_id="at-1h14m-xx"), now=at)
    db.session.commit()
    clock.set(one_hour + timedelta(minutes=16))
    assert "missed" not in line() and "On time: <strong>3 of 3</strong>" in line()


def test_compliance_counts_a_due_time_once_its_on_time_window_has_closed():
    due = minutes(15, 30, 60)
    assert compliance(due, [], due[2] + timedelta(minutes=15)).missed == due[:2]
    assert compliance(due, [], due[2] + timedelta(minutes=15, seconds=1)).missed == due
    late = [(due[2], due[2] - timedelta(minutes=20))]  # made early, the window still open
    assert compliance(due, late, due[2] + timedelta(minutes=10)).late == []
    assert compliance(due, late, due[2] + timedelta(minutes=16)).late == [due[2]]


def test_one_rule_names_what_a_diary_awaits():
    """The patient's page asks for the due time awaited_due gives, and the clinic's pages
    say the diary awaits the same one: a slot answered early is not awaited, and a passed
    one still unanswered is (a score now would answer it)."""
    due = minutes(15, 30, 60, 120, 180)
    # 1 h 50 min after the block, the 2 h slot answered a few minutes early.
    now = START + timedelta(minutes=110)
    answered = {due[0], due[1], due[2], due[3]}
    assert awaited_due(due, answered, now) == due[4]
    assert still_awaited(due, answered, IN_PROGRESS, START, now) == "awaiting the 3 h entry"
    # 1 h 10 min after it, the 1 h slot passed without a score: it is due now.
    now = START + timedelta(minutes=70)
    assert awaited_due(due, {due[0], due[1]}, now) == due[2]
    assert still_awaited(due, {due[0], due[1]}, IN_PROGRESS, START, now) == (
        "awaiting the 1 h entry"
    )
    assert still_awaited(due, set(due), COMPLETE, START, now) is None


def test_a_paper_diary_answers_its_due_times_without_an_on_time_measure():
    due = minutes(15, 30, 60, 120)
    now = START + timedelta(hours=3)
    paper = compliance(due, [], now, from_paper=due)
    assert (paper.passed, paper.answered, paper.on_time) == (4, 4, 0)
    assert paper.missed == [] and paper.late == [] and paper.from_paper == due
    assert paper.paper_diary and paper.on_time_pct is None
    # The phone for the first half hour, paper after: on time is of the phone's slots.
    mixed = compliance(
        due, [(due[0], due[0]), (due[1], due[1] + timedelta(minutes=30))], now, due[2:]
    )
    assert (mixed.phone_passed, mixed.on_time, mixed.on_time_pct) == (2, 1, 50.0)
    assert mixed.late == [due[1]] and mixed.from_paper == due[2:] and not mixed.paper_diary


def test_after_a_time_edit_the_block_page_awaits_the_entry_the_phone_asks_for(client, signed_in):
    """The block page said "awaiting the 2 h entry" while the patient's page asked for the
    3 h score: an entry moved by the edit had answered the 2 h slot already."""
    world = signed_in
    now = datetime.now(UTC)
    block = block_at(world, -timedelta(minutes=90))
    for minutes_ago in (75, 60, 30, 5):
        at = now - timedelta(minutes=minutes_ago)
        record_entry(block, EntryInput(pain=1, recorded_at=at, client_id=f"e{minutes_ago}xxxxx"))
    db.session.commit()
    # The block was done 20 minutes earlier than recorded: the entry made 5 minutes ago,
    # 1 h 45 min after it, now answers the 2 h slot.
    earlier = block.performed_at - timedelta(minutes=20)
    update_block(block, {"performed_at": earlier}, by=world.clinician)
    db.session.commit()
    three_hours = (earlier + timedelta(hours=3)).astimezone(ZoneInfo("America/Chicago"))

    phone = client.get(f"/d/{block.diary_token}").get_data(as_text=True)
    asked = re.search(r"Next score due at ([^<]+)<", phone)
    assert asked and three_hours.strftime("%H:%M") in asked.group(1)
    block_page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "awaiting the 3 h entry" in block_page and "awaiting the 2 h entry" not in block_page
    analysis = client.get(f"/api/v1/blocks/{block.id}/analysis").get_json()
    assert analysis["awaiting"] == "awaiting the 3 h entry"


def test_a_paper_diary_counts_its_due_times_as_answered(client, signed_in):
    """Transcribed entries answer their due times; on time is for the phone."""
    world = signed_in
    block = block_at(world, -timedelta(hours=10))  # lidocaine: 10 due times, all passed
    for offset in DiarySchedule().offsets_minutes("lidocaine"):
        at = block.performed_at + timedelta(minutes=offset)
        record_entry(block, EntryInput(pain=2, recorded_at=at), transcribed_by=world.clinician)
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "On time: <strong>0 of 10</strong>" not in page and "missed" not in page
    assert "Paper diary: times came from paper" in page
    assert "<strong>10 of 10</strong> due times answered" in page  # all come: not "so far"
