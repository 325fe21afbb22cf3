"""The diary page keeps each diary's list of saved scores until the diary changes
(diary/patient/saved_list.py): a page seen before never shows a stale list, nor another
diary's."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from diary.extensions import db
from diary.lru import BoundedLRU
from diary.models import DiaryEntry
from diary.patient.kept_pages import KeptPages
from diary.patient.saved_list import SAVED_LISTS_MAX_CHARS, text_size
from diary.services.entries import EntryInput, record_entry
from tests.conftest import add_entries, block_at, form_id, make_block

ENTRY_TIME = r'<span class="entry-time">([^<]+)</span>'


def diary_url(block) -> str:
    return f"/d/{block.diary_token}"


def saved_scores(page: str) -> list[str]:
    """The saved list's scores as they read ("Pain 3/10", "Pain 4/10 (corrected)")."""
    listed = page.split('id="saved-list"', 1)[1].split("</ol>", 1)[0]
    return [
        re.sub(r"<[^>]+>", "", score).strip()
        for score in re.findall(r'<span class="entry-pain">(.*?)</span>', listed)
    ]


@pytest.fixture
def running(world):
    """A diary 3 h in with two scores, its page seen once (its list kept)."""
    block = block_at(world, -timedelta(hours=3))
    add_entries(block, {0.5: 2, 1: 3})
    db.session.commit()
    return block


def seen(client, block) -> str:
    response = client.get(diary_url(block))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def entries_read(client, block) -> int:
    """How many times one view of the page reads the diary's entries."""
    reads = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if "FROM diary_entry" in statement:
            reads.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        seen(client, block)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(reads)


def test_an_unchanged_diary_is_listed_without_reading_its_entries_again(client, running):
    assert entries_read(client, running) <= 1
    assert entries_read(client, running) == 0  # the list kept (what the tests below test)


def test_a_new_score_from_the_page_is_listed_at_once(client, running):
    assert saved_scores(seen(client, running)) == ["Pain 2/10", "Pain 3/10"]
    posted = client.post(
        diary_url(running) + "/entries", data={"client_id": form_id(), "pain": "7"}
    )
    assert posted.status_code == 302
    page = seen(client, running)
    assert saved_scores(page) == ["Pain 2/10", "Pain 3/10", "Pain 7/10"]


def test_a_score_sent_by_the_phone_in_the_background_is_listed(client, running):
    seen(client, running)
    sent = client.post(
        f"/api/v1/diary/{running.diary_token}/entries",
        json={"pain": 5, "client_id": "phone-queued-1"},
    )
    assert sent.status_code in (200, 201)
    assert saved_scores(seen(client, running))[-1] == "Pain 5/10"


def test_a_score_the_clinic_copies_from_paper_is_listed(client, running, world):
    seen(client, running)
    record_entry(
        running,
        EntryInput(pain=9, recorded_at=running.performed_at + timedelta(hours=2)),
        transcribed_by=world.clinician,
    )
    db.session.commit()
    assert "Pain 9/10" in saved_scores(seen(client, running))


def test_a_correction_is_listed_at_once(client, running):
    assert "Pain 3/10" in saved_scores(seen(client, running))
    entry_id = db.session.scalars(
        select(DiaryEntry.id)
        .where(DiaryEntry.block_id == running.id, DiaryEntry.pain == 3)
        .order_by(DiaryEntry.id)
    ).first()
    corrected = client.post(f"{diary_url(running)}/entries/{entry_id}/edit", data={"pain": "4"})
    assert corrected.status_code == 302
    assert saved_scores(seen(client, running)) == ["Pain 2/10", "Pain 4/10 (corrected)"]


def test_the_count_of_scores_done_follows_a_new_score(client, running):
    before = re.search(r"(\d+) of (\d+) scheduled scores done", seen(client, running))
    client.post(diary_url(running) + "/entries", data={"client_id": form_id(), "pain": "1"})
    after = re.search(r"(\d+) of (\d+) scheduled scores done", seen(client, running))
    assert int(after[1]) == int(before[1]) + 1


def test_each_diary_lists_its_own_scores(client, world, running):
    other = block_at(world, -timedelta(hours=2))
    add_entries(other, {0.25: 8})
    far = world.other_block  # another clinic's diary
    add_entries(far, {0.5: 6})
    # Diaries made together (bulk imports, the demo data) may share a change time.
    other.changed_at = far.changed_at = running.changed_at
    db.session.commit()
    for _ in range(2):  # the second time from what was kept
        assert saved_scores(seen(client, running)) == ["Pain 2/10", "Pain 3/10"]
        assert saved_scores(seen(client, other)) == ["Pain 8/10"]
        assert saved_scores(seen(client, far)) == ["Pain 6/10"]
    assert f"/d/{running.diary_token}/entries/" not in seen(client, other)


def test_the_list_speaks_the_language_the_page_is_shown_in(client, running):
    assert saved_scores(seen(client, running))[0] == "Pain 2/10"
    spanish = client.get(diary_url(running) + "?lang=es").get_data(as_text=True)
    assert saved_scores(spanish)[0] == "Dolor 2/10"
    english = client.get(diary_url(running) + "?lang=en").get_data(as_text=True)
    assert saved_scores(english)[0] == "Pain 2/10"


def test_the_list_follows_the_clinic_time_zone(client, world, clock):
    # 08:00 UTC today: the same day in Chicago (02:00 or 03:00) and Tokyo (17:00); a score
    # at 04:30 UTC is the day before in Chicago (with or without summer time) and the same
    # day in Tokyo, so that only the zone tells the two lists apart.
    clock.set(clock.now.replace(hour=8, minute=0, second=0, microsecond=0))
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=clock.now - timedelta(hours=4)
    )
    add_entries(block, {0.5: 2})
    db.session.commit()
    chicago = (clock.now - timedelta(hours=3, minutes=30)).astimezone(ZoneInfo("America/Chicago"))
    assert chicago.date() < clock.now.date()
    assert re.findall(ENTRY_TIME, seen(client, block)) == [
        f"{chicago:%a, %b} {chicago.day}, {chicago:%H:%M}"
    ]
    world.clinic.timezone = "Asia/Tokyo"  # no change of the diary itself
    db.session.commit()
    assert re.findall(ENTRY_TIME, seen(client, block)) == ["13:30"]


def test_saved_lists_are_bounded_by_their_text_as_well_as_their_count():
    lists = BoundedLRU(max_items=10, size=text_size, max_size=100)
    for key in "abc":
        lists.get_or_make(key, lambda key=key: (True, key * 40, ()))
    assert list(lists._items) == ["b", "c"] and lists.total_size == 80

    # Made by two threads at once (the other kept it while this one made it): counted once.
    def made_meanwhile():
        lists.get_or_make("e", lambda: (True, "e" * 10, ()))
        return (True, "e" * 10, ())

    lists.get_or_make("e", made_meanwhile)
    assert list(lists._items) == ["b", "c", "e"] and lists.total_size == 90
    # A list longer than the whole bound is served, not kept.
    made = lists.get_or_make("d", lambda: (True, "d" * 101, ()))
    assert made[1] == "d" * 101 and "d" not in lists._items


def test_a_workers_page_caches_hold_a_few_megabytes_at_most():
    """Both caches full cost a worker about 15 MB with the earlier bounds (8,000,000 and
    256 lists, no bound by size; bench/worker_memory.py), which with a chart and an export
    took it past issue 23's 150 MB."""
    assert KeptPages().max_chars + SAVED_LISTS_MAX_CHARS <= 3_000_000
