"""The clinic's worklist: a page of blocks, found by a patient's name or MRN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from diary.extensions import db
from diary.models import (
    Block,
    DiaryEntry,
    PatientTerm,
)
from diary.services.patients import search_text


@dataclass
class BlockFilter:
    """Which of a clinic's blocks an export or list covers; None means any."""

    performed_from: datetime | None = None
    performed_before: datetime | None = None
    region: str | None = None
    agent: str | None = None
    verdict: str | None = None


def dashboard_blocks(
    clinic_id: int, search: str, archived: bool, offset: int, limit: int
) -> tuple[list[Block], bool]:
    """A page of the clinic's blocks, newest first, and whether there are more.

    ``search`` matches the start of the patient's name, of a word of it, or of the MRN.
    No count of all rows: the pager only needs to know if there is a next page.
    """
    query = (
        select(Block)
        .where(Block.archived_at.is_not(None) if archived else Block.archived_at.is_(None))
        .options(joinedload(Block.patient))
        .order_by(Block.performed_at.desc(), Block.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    if not search:
        return _page(query.where(Block.clinic_id == clinic_id), limit)
    start = search_text(search)
    # Terms from ``start`` up to ``start`` followed by the last code point: those that
    # begin with it, read off the index.
    matching = select(PatientTerm.patient_id).where(
        PatientTerm.clinic_id == clinic_id,
        PatientTerm.term >= start,
        PatientTerm.term < start + "\U0010ffff",
    )
    # "+ 0" keeps SQLite from walking the clinic's whole date index to skip a sort: the
    # few matching patients' blocks, found by patient, are far fewer.
    query = query.where(Block.patient_id.in_(matching), Block.clinic_id + 0 == clinic_id)
    return _page(query, limit)


def blocks_with_side_effects(block_ids: list[int]) -> set[int]:
    """Which of these blocks have an entry with a side effect reported."""
    if not block_ids:
        return set()
    found = db.session.execute(
        select(DiaryEntry.block_id)
        .where(DiaryEntry.block_id.in_(block_ids), DiaryEntry.side_effects.is_not(None))
        .distinct()
    )
    return set(found.scalars())


def _page(query, limit: int) -> tuple[list[Block], bool]:
    blocks = list(db.session.execute(query).scalars())
    return blocks[:limit], len(blocks) > limit
