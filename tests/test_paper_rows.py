"""A paper diary's row is one rule: an entry holds it when its time is within the row's
minute and its scores are the row's. transcribed_already asks it of the diary's other
entries, same_row of the entry stored with the form's id (diary/clinic/blocks.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from diary.extensions import db
from diary.services.entries import EntryInput, record_entry, same_row, transcribed_already


def test_one_rule_says_whether_an_entry_holds_a_paper_row(world):
    block = world.block
    minute = (block.performed_at + timedelta(hours=1)).replace(second=0, microsecond=0)
    row = EntryInput(pain=3, recorded_at=minute, client_id="paper-row-0001")
    entry, stored = record_entry(
        block,
        replace(row, recorded_at=minute + timedelta(seconds=59)),
        transcribed_by=world.clinician,
    )
    db.session.commit()
    assert stored
    assert same_row(entry, block, row)
    assert not transcribed_already(block, row)  # its own id: a resend, not a copy
    copied = replace(row, client_id="paper-row-0002")
    assert transcribed_already(block, copied)
    for other in (
        replace(copied, pain=4),
        replace(copied, recorded_at=minute + timedelta(minutes=1)),
        replace(copied, recorded_at=minute - timedelta(minutes=1)),
    ):
        assert not transcribed_already(block, other)
        assert not same_row(entry, block, other)
