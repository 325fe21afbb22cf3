"""The entry post's writes: exactly once under concurrent posts, SQLite's writers taking
turns without sleeping in its busy handler, commits that outlive the app, and the rate
limit's in-process store counting without a thread per request."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import func, select, text

from diary.config import engine_options
from diary.extensions import MemoryStore, db
from diary.models import DiaryEntry
from diary.services import sqlite_writers
from diary.services.sqlite_writers import one_writer_at_a_time
from tests.conftest import form_id, make_app


def stored_entries() -> int:
    return db.session.execute(select(func.count(DiaryEntry.id))).scalar_one()


def test_concurrent_posts_and_resends_are_each_stored_once(app, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    # Each phone entry is sent twice, by different threads at about the same time.
    sends = [{"pain": n % 11, "client_id": f"phone-entry-{n:04d}"} for n in range(24)] * 2

    def post(body: dict) -> tuple[int, dict]:
        answer = app.test_client().post(url, json=body)
        return answer.status_code, answer.get_json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, sends))
    assert {status for status, _ in answers} <= {200, 201}
    assert sum(status == 201 for status, _ in answers) == 24
    by_client_id: dict[str, set] = {}
    for _, body in answers:
        by_client_id.setdefault(body["client_id"], set()).add(body["id"])
    assert all(len(ids) == 1 for ids in by_client_id.values())  # a resend gets the same entry
    db.session.expire_all()
    assert stored_entries() == 24


def test_a_failed_write_is_rolled_back_and_the_next_writer_goes_on(app, world):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers need no turns")
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    before = world.block.changed_at
    with pytest.raises(RuntimeError), one_writer_at_a_time(db.session):
        db.session.execute(
            text("UPDATE block SET baseline_pain = 0 WHERE id = :id"), {"id": world.block.id}
        )
        raise RuntimeError("the write failed")
    done = []

    def post() -> None:
        done.append(app.test_client().post(url, json={"pain": 4}).status_code)

    writer = threading.Thread(target=post)
    writer.start()
    writer.join(timeout=5)  # SQLite's own wait would be its busy timeout, 10 s
    assert done == [201]
    db.session.expire_all()
    assert world.block.baseline_pain != 0  # the failed update was not kept
    assert world.block.changed_at > before  # the post's was


def test_the_writers_lock_file_is_the_processes_own(app, tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with one_writer_at_a_time(db.session):
        db.session.commit()
    assert tmp_path.joinpath("test.sqlite3.writers").exists()
    # Opened by this process: a descriptor inherited from gunicorn's master would share
    # its lock with every other worker.
    assert (os.getpid(), str(tmp_path / "test.sqlite3.writers")) in sqlite_writers._lock_files


def test_sqlite_commits_without_syncing_each_and_keeps_them_over_a_restart(tmp_path):
    url = "sqlite:///" + str(tmp_path / "restart.sqlite3")
    first = make_app(url)
    with first.app_context():
        db.create_all()
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.execute(text("CREATE TABLE kept (value TEXT)"))
        db.session.execute(text("INSERT INTO kept VALUES ('acknowledged')"))
        db.session.commit()
        db.engine.dispose()  # the app stops: no checkpoint forced by a tidy close
    restarted = make_app(url)
    with restarted.app_context():
        assert db.session.execute(text("SELECT value FROM kept")).scalar() == "acknowledged"
        db.engine.dispose()


def test_the_memory_limit_store_starts_no_thread_per_request(monkeypatch):
    started = []

    class CountedTimer(threading.Timer):
        def start(self) -> None:
            started.append(self)
            super().start()

    monkeypatch.setattr(threading, "Timer", CountedTimer)
    store = storage_from_string("memory://")
    assert isinstance(store, MemoryStore)
    for n in range(5):
        store.incr(f"diary:{n}", expiry=60)
        time.sleep(0.02)  # longer than limits' own 10 ms timer
    assert len(started) <= 2  # the store's first timer, and at most one sweep since


def test_the_memory_limit_store_counts_a_window_as_limits_does():
    limiter = FixedWindowRateLimiter(storage_from_string("memory://"))
    twice = parse("2 per second")
    assert limiter.hit(twice, "diary", "x") and limiter.hit(twice, "diary", "x")
    assert not limiter.hit(twice, "diary", "x")
    assert limiter.hit(twice, "diary", "y")  # another diary's quota is its own
    time.sleep(1.05)
    assert limiter.hit(twice, "diary", "x")  # a new window


def test_a_full_diary_says_so_before_anything_else_is_wrong(client, world):
    world.clinic.max_entries_per_diary = 2
    db.session.commit()
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    for n in range(2):
        assert client.post(url, json={"pain": 3, "client_id": f"entry-{n:04d}"}).status_code == 201
    before_the_block = (world.block.performed_at - timedelta(hours=1)).isoformat()
    late = {"pain": 3, "client_id": "entry-0002", "recorded_at": before_the_block}
    refused = client.post(url, json=late)
    assert refused.status_code == 422
    assert "diary is full" in refused.get_json()["errors"]["pain"]


def test_concurrent_posts_to_a_nearly_full_diary_stop_at_its_cap_on_sqlite(app, world):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's writers take turns; PostgreSQL's count is the statement's own")
    world.clinic.max_entries_per_diary = 5
    db.session.commit()
    url = f"/api/v1/diary/{world.block.diary_token}/entries"

    def post(n: int) -> int:
        return (
            app.test_client().post(url, json={"pain": 2, "client_id": f"entry-{n:04d}"}).status_code
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(16)))
    assert sorted(statuses) == [201] * 5 + [422] * 11
    db.session.expire_all()
    assert stored_entries() == 5


def test_only_postgresql_connections_are_checked_before_use():
    assert engine_options("postgresql+psycopg://db-host/diary", {})["pool_pre_ping"] is True
    assert "pool_pre_ping" not in engine_options("sqlite:////srv/diary.sqlite3", {})


def test_a_transaction_that_has_written_already_does_not_queue(app, world):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    db.session.execute(
        text("UPDATE block SET baseline_pain = baseline_pain WHERE id = :id"),
        {"id": world.block.id},
    )
    taken = threading.Event()

    def another_writers_turn() -> None:
        with sqlite_writers._writers_of_this_process:
            taken.set()
            time.sleep(3)

    other = threading.Thread(target=another_writers_turn)
    other.start()
    assert taken.wait(5), "the other writer never took its turn"
    with one_writer_at_a_time(db.session):
        db.session.commit()
    # It went on while the other still holds the turn: it holds SQLite's lock already.
    assert other.is_alive()
    other.join()


def test_the_diary_pages_form_post_takes_its_turn_among_writers(app, client, world):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    from sqlalchemy import event

    begun = []

    def seen(conn, cursor, statement, *args) -> None:
        begun.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        posted = client.post(
            f"/d/{world.block.diary_token}/entries", data={"client_id": form_id(), "pain": "3"}
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert posted.status_code == 302
    # Its transaction begun IMMEDIATE, as the JSON post's: it waited its turn, not in
    # SQLite's busy handler.
    assert "BEGIN IMMEDIATE" in begun
    assert stored_entries() == 1


def test_the_limits_store_still_overrides_the_librarys_sweep():
    # MemoryStore replaces a private (name-mangled) method of limits' MemoryStorage: an
    # upgrade that renames it would leave ours unused, silently.
    from limits.storage import MemoryStorage

    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")
    assert hasattr(MemoryStorage, "_MemoryStorage__expire_events")


def test_an_entry_post_gives_each_inserted_column_a_value_and_no_other_column(app, world):
    """The post's INSERT names services/entries.py's INSERTED (every column of DiaryEntry
    but those SET_LATER); the row it is given comes from _new_entry: the two must name
    the same columns, by the phone and by staff transcribing paper."""
    from diary.services import entries
    from diary.services.entries import EntryInput

    block = world.block
    now = block.performed_at + timedelta(minutes=40)
    values = EntryInput(pain=3, recorded_at=now - timedelta(minutes=5), client_id="insert-1")
    by_phone = entries._new_entry(block, values, "insert-1", now, None)
    on_paper = entries._new_entry(block, values, "insert-2", now, world.clinician)
    assert set(by_phone) == set(on_paper) == set(entries.INSERTED)
    columns = {column.name for column in DiaryEntry.__table__.columns}
    assert columns > entries.SET_LATER  # no name set later is a column no longer there
