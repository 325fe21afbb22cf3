"""The clinic's worklist: a page of blocks, found by a patient's name or MRN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, select
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
    No count of all rows: the pager only needs to know if there is a next page. A page
    reads its rows off the clinic's date index, so it costs the same in a clinic of 200
    blocks as in one of 20,000 (bench/guard.py checks it).
    """
    values: dict[str, object] = {"clinic_id": clinic_id, "offset": offset, "limit": limit + 1}
    if search:
        start = search_text(search)
        # Terms from ``start`` up to ``start`` followed by the last code point: those
        # that begin with it, read off the index.
        values |= {"first": start, "past": start + "\U0010ffff"}
    blocks = list(db.session.execute(_page_query(bool(search), archived), values).scalars())
    return blocks[:limit], len(blocks) > limit


@cache
def _page_query(search: bool, archived: bool):
    """The dashboard's statement, built once per kind (building it cost more than running
    it): values for ``clinic_id``, ``offset``, ``limit`` and, searching, the range of
    terms ``first`` to ``past``."""
    query = (
        select(Block)
        .where(Block.archived_at.is_not(None) if archived else Block.archived_at.is_(None))
        .options(joinedload(Block.patient))
        .order_by(Block.performed_at.desc(), Block.id.desc())
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    if not search:
        return query.where(Block.clinic_id == bindparam("clinic_id"))
    matching = select(PatientTerm.patient_id).where(
        PatientTerm.clinic_id == bindparam("clinic_id"),
        PatientTerm.term >= bindparam("first"),
        PatientTerm.term < bindparam("past"),
    )
    # "+ 0" keeps SQLite from walking the clinic's whole date index to skip a sort: the
    # few matching patients' blocks, found by patient, are far fewer.
    return query.where(
        Block.patient_id.in_(matching), Block.clinic_id + 0 == bindparam("clinic_id")
    )


def blocks_with_side_effects(block_ids: list[int]) -> set[int]:
    """Which of these blocks have an entry with a side effect reported."""
    if not block_ids:
        return set()
    return set(db.session.execute(_side_effects_query(), {"ids": block_ids}).scalars())


@cache
def _side_effects_query():
    return (
        select(DiaryEntry.block_id)
        .where(
            DiaryEntry.block_id.in_(bindparam("ids", expanding=True)),
            DiaryEntry.side_effects.is_not(None),
        )
        .distinct()
    )
