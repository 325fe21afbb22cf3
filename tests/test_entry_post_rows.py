"""The patient's entry post through the API reads its diary and stores its entry as plain
rows: no ORM object is loaded (loading the Block with its Clinic, and the DiaryEntry the
insert returns, cost more than the statements), and on PostgreSQL the block's change time
is set by the insert's own statement, one round trip less. The rules are record_entry's:
tests/test_entry_writes.py, test_api.py and test_patient_diary.py hold them."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta, timezone

from sqlalchemy import event, select
from sqlalchemy.orm import Mapper

from diary.extensions import db
from diary.models import Block


@contextmanager
def watched():
    """The ORM objects loaded and the statements sent meanwhile."""
    loaded: list[str] = []
    statements: list[str] = []

    def on_load(target, context) -> None:
        loaded.append(type(target).__name__)

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(Mapper, "load", on_load)
    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        yield loaded, statements
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
        event.remove(Mapper, "load", on_load)


def test_an_entry_post_loads_no_orm_object_and_still_changes_the_block(app, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    block_id, before = world.block.id, world.block.changed_at
    db.session.expunge_all()  # as in production, the request starts with nothing loaded
    client = app.test_client()
    with watched() as (loaded, statements):
        answer = client.post(url, json={"pain": 4, "client_id": "as-rows-0001"})
    assert answer.status_code == 201, answer.get_json()
    assert loaded == []
    if db.engine.dialect.name == "postgresql":
        # The diary's row, then the insert that also sets the block's change time.
        assert len(statements) == 2
        assert not any(s.lstrip().upper().startswith("UPDATE") for s in statements)
    changed_at, may_call = db.session.execute(
        select(Block.changed_at, Block.may_call_for_action).where(Block.id == block_id)
    ).one()
    assert changed_at > before and may_call

    # A resend is answered with the stored entry, read as a row too.
    db.session.expunge_all()
    with watched() as (loaded, statements):
        again = client.post(url, json={"pain": 4, "client_id": "as-rows-0001"})
    assert again.status_code == 200
    assert again.get_json() == answer.get_json()
    assert loaded == []


def test_a_new_entry_is_answered_as_stored_though_not_read_back(app, world):
    """The insert returns the new entry's id alone; the answer is made of the values it
    was inserted with, which must read as the stored entry does (a resend's answer is
    read from the database): times in UTC, to the microsecond, whatever offset was sent."""
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    client = app.test_client()
    felt = (world.block.performed_at + timedelta(minutes=20)).astimezone(
        timezone(timedelta(hours=-5))
    )
    body = {
        "pain": 2,
        "client_id": "as-stored-0001",
        "recorded_at": felt.isoformat(),
        "made_at": (felt + timedelta(minutes=3, microseconds=123456)).isoformat(),
        "relief_pct": 60,
        "activity": " walking ",
        "note": "better",
        "side_effects": ["numbness", "headache"],
        "side_effect_note": "mild",
    }
    answer = client.post(url, json=body)
    assert answer.status_code == 201, answer.get_json()
    again = client.post(url, json=body)
    assert again.status_code == 200
    assert again.get_json() == answer.get_json()
    assert answer.get_json()["recorded_at"].endswith("+00:00")
    assert answer.get_json()["side_effects"] == ["numbness", "headache"]
