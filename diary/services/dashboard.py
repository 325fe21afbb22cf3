"""The clinic's dashboard: a page of blocks, found by a patient's name or MRN."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache

from sqlalchemy import Row, bindparam, exists, select

from diary import relief
from diary.extensions import db
from diary.models import (
    Block,
    Clinic,
    DiaryEntry,
    Patient,
    PatientTerm,
)
from diary.services import summaries
from diary.services.days import judged_in_days, therapeutic_outcomes
from diary.services.patients import search_text
from diary.services.progress import diary_statuses
from diary.services.settings import analysis_settings
from diary.vocabulary import Agent, Purpose, Region, Scoring, Side


@dataclass
class BlockFilter:
    """Which of a clinic's blocks an export or list covers; None means any."""

    performed_from: datetime | None = None
    performed_before: datetime | None = None
    region: str | None = None
    agent: str | None = None
    verdict: str | None = None


@dataclass(slots=True, eq=False)
class PageBlock:
    """A block as its dashboard row reads it: the columns the row, its status and its
    stored summary need, its patient's name and whether an entry reports a side effect,
    read in one statement without the ORM (loading 26 whole blocks and their patients
    cost twice the statement, and a second query found the side effects)."""

    clinic: Clinic
    id: int
    clinic_id: int
    patient_id: int
    performed_at: datetime
    region: Region
    levels: list[str]
    side: Side
    scoring: Scoring
    agent: Agent
    purpose: Purpose
    daily_days: int
    link_expires_at: datetime
    link_revoked_at: datetime | None
    archived_at: datetime | None
    changed_at: datetime
    summary: dict | None
    summary_key: str | None
    patient_name: str
    side_effect: bool

    # The block's own rules, not copies: they read only the columns above.
    scored_apart = Block.scored_apart
    link_open = Block.link_open


# The statement's columns, in PageBlock's order (its fields after ``clinic``, up to the
# patient's name and the side-effect flag, which the statement adds).
PAGE_COLUMNS = (
    *(getattr(Block, field.name) for field in fields(PageBlock)[1:-2]),
    Patient.display_name,
)


@dataclass
class DashboardPage:
    """A page of the dashboard: each row's block, summary and diary status."""

    rows: list[tuple[PageBlock, relief.BlockSummary, str]]
    has_next: bool
    # A therapeutic block's outcome in words (pathway.md §2), shown in its verdict's place.
    outcomes: dict[int, str]
    # Each side's summary of a block scored left and right apart.
    sides: dict[int, dict[str, relief.BlockSummary]]

    @property
    def block_ids(self) -> list[int]:
        return [block.id for block, _, _ in self.rows]

    @property
    def side_effects(self) -> set[int]:
        return {block.id for block, _, _ in self.rows if block.side_effect}


def dashboard_page(
    clinic: Clinic, search: str, archived: bool, offset: int, limit: int, now: datetime
) -> DashboardPage:
    """A page of the clinic's blocks with their summaries. A summary out of date is
    analysed again (summaries.block_summaries) and stored: the caller commits. Whole
    blocks are loaded only for those and for therapeutic blocks judged in days."""
    blocks, has_next = dashboard_blocks(clinic, search, archived, offset, limit)
    digest = summaries.settings_digest(analysis_settings(clinic))
    # A page block has every column these read (they are typed for a loaded Block).
    found = [summaries.stored_summary(block, digest) for block in blocks]  # type: ignore[arg-type]
    stale = [block.id for block, summary in zip(blocks, found, strict=True) if summary is None]
    judged = [block.id for block in blocks if judged_in_days(block) and block.daily_days]
    loaded = _whole_blocks(stale + judged)
    analysed: dict[int, relief.BlockSummary] = {}
    if stale:
        analysed = dict(
            zip(stale, summaries.block_summaries([loaded[i] for i in stale]), strict=True)
        )
        for block in blocks:
            if block.id in analysed:
                block.summary = loaded[block.id].summary
                block.summary_key = loaded[block.id].summary_key
    page_summaries = [
        summary or analysed[block.id] for block, summary in zip(blocks, found, strict=True)
    ]
    statuses = diary_statuses(blocks, page_summaries, now)  # type: ignore[arg-type]
    return DashboardPage(
        rows=list(zip(blocks, page_summaries, statuses, strict=True)),
        has_next=has_next,
        outcomes=therapeutic_outcomes([loaded[i] for i in judged]),
        sides={b.id: each for b in blocks if (each := summaries.side_summaries(b))},
    )


def _whole_blocks(ids: list[int]) -> dict[int, Block]:
    if not ids:
        return {}
    return {
        block.id: block
        for block in db.session.execute(select(Block).where(Block.id.in_(ids))).scalars()
    }


def dashboard_blocks(
    clinic: Clinic, search: str, archived: bool, offset: int, limit: int
) -> tuple[list[PageBlock], bool]:
    """A page of the clinic's blocks, newest first, and whether there are more.

    ``search`` matches the start of the patient's name, of a word of it, or of the MRN.
    No count of all rows: the pager only needs to know if there is a next page. A page
    reads its rows off the clinic's date index, so it costs the same in a clinic of 200
    blocks as in one of 20,000 (bench/guard.py checks it).
    """
    values: dict[str, object] = {"clinic_id": clinic.id, "offset": offset, "limit": limit + 1}
    if search:
        start = search_text(search)
        # Terms from ``start`` up to ``start`` followed by the last code point: those
        # that begin with it, read off the index.
        values |= {"first": start, "past": start + "\U0010ffff"}
    query = _page_query(bool(search), archived)
    rows = _planned_for_its_values(query, values) if search else _rows(query, values)
    blocks = [PageBlock(clinic, *row) for row in rows[:limit]]
    return blocks, len(rows) > limit


def _rows(query, values: dict[str, object]) -> Sequence[Row]:
    return db.session.execute(query, values).all()


def _planned_for_its_values(query, values: dict[str, object]) -> Sequence[Row]:
    """The rows of ``query``, planned for these values on PostgreSQL. psycopg prepares a
    statement run five times on a connection, and PostgreSQL may then keep one plan for any
    values (a generic plan). A search's best plan depends on how many patients its term
    matches: a few, off the term index; most, down the clinic's date index until the page
    is full. Once broad searches had made the generic plan look cheap, it read every
    matching patient's block for each broad search (150-190 ms at 20,000 blocks, against
    2.6 planned for the term)."""
    driver = db.session.connection().connection.dbapi_connection
    threshold = getattr(driver, "prepare_threshold", None)  # psycopg's; SQLite has none
    if threshold is None:
        return _rows(query, values)
    driver.prepare_threshold = None  # type: ignore[union-attr]
    try:
        return _rows(query, values)
    finally:
        driver.prepare_threshold = threshold  # type: ignore[union-attr]


@cache
def _page_query(search: bool, archived: bool):
    """The dashboard's statement, built once per kind (building it cost more than running
    it): values for ``clinic_id``, ``offset``, ``limit`` and, searching, the range of
    terms ``first`` to ``past``."""
    side_effect = (
        exists()
        .where(DiaryEntry.block_id == Block.id, DiaryEntry.side_effects.is_not(None))
        .label("side_effect")
    )
    query = (
        select(*PAGE_COLUMNS, side_effect)
        # An outer join, as the ORM's joined load of the patient was: the same plan.
        .outerjoin(Patient, Patient.id == Block.patient_id)
        .where(Block.archived_at.is_not(None) if archived else Block.archived_at.is_(None))
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
