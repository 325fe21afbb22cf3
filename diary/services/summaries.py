"""Each block's stored analysis summary: what the dashboard and the exports read
instead of analysing every diary, and how it is kept from going stale.

A summary is labelled with the block's ``changed_at`` (bumped by every change of the block
or its entries) and a digest of the clinic's analysis settings; one whose label no longer
matches is never used. The caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from operator import attrgetter

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from diary import relief
from diary.extensions import db
from diary.models import Block, Clinic, DiaryEntry
from diary.schedule import as_utc
from diary.services.analysis import block_facts, block_readings, diary_points
from diary.services.settings import analysis_settings


def settings_digest(settings: relief.AnalysisSettings) -> str:
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:16]


def summary_key(block: Block, digest: str) -> str:
    """What a stored summary was computed from: the diary as of ``changed_at`` (bumped by
    every change of the block or its entries) and the clinic's analysis settings."""
    return summary_key_of(block.changed_at, digest)


def summary_key_of(changed_at: datetime, digest: str) -> str:
    """``summary_key`` from a block's change time read as a column, not a loaded block."""
    return f"{as_utc(changed_at).isoformat()}|{digest}"


def is_current(block: Block, digest: str) -> bool:
    return block.summary is not None and block.summary_key == summary_key(block, digest)


def stored_summary(block: Block, digest: str) -> relief.BlockSummary | None:
    """The block's stored summary, or None if there is none or it is out of date."""
    if block.summary is None or not is_current(block, digest):
        return None
    return relief.BlockSummary.from_dict(_one(block.summary))


def _one(stored: dict) -> dict:
    return {name: value for name, value in stored.items() if name != "sides"}


def stored_summary_of(stored: dict) -> relief.BlockSummary:
    """The one summary of a summary column's value (see ``stored_value``)."""
    return relief.BlockSummary.from_dict(_one(stored))


def summarise(block: Block, settings: relief.AnalysisSettings, entries=None) -> relief.BlockSummary:
    """The block's summary analysed afresh from ``entries`` (see diary_points;
    the block's own by default)."""
    entries = list(block.entries if entries is None else entries)
    points = diary_points(block, entries)
    analysis = relief.analyse(block_facts(block), points, settings)
    # A block scored apart has no one score: every entry counts (with its two).
    return relief.BlockSummary.of(analysis, len(entries) if block.scored_apart else len(points))


def summarise_sides(
    block: Block, settings: relief.AnalysisSettings, entries=None
) -> dict[str, relief.BlockSummary] | None:
    """Each side's summary of a block scored apart (None for any other block)."""
    if not block.scored_apart:
        return None
    entries = list(block.entries if entries is None else entries)
    return {
        str(reading.scored_side): relief.BlockSummary.of(
            reading.analysis,
            sum(getattr(e, f"pain_{reading.scored_side}") is not None for e in entries),
        )
        for reading in block_readings(block, entries=entries, settings=settings)
    }


def stored_value(block: Block, settings: relief.AnalysisSettings, entries=None) -> dict:
    """What a block's summary column holds: the one summary, and ``sides`` (each side's)
    when the block is scored apart."""
    entries = None if entries is None else list(entries)
    value = summarise(block, settings, entries).to_dict()
    sides = summarise_sides(block, settings, entries)
    if sides is not None:
        value["sides"] = {side: summary.to_dict() for side, summary in sides.items()}
    return value


def side_summaries(block) -> dict[str, relief.BlockSummary] | None:
    """Each side's stored summary of a block scored apart (after ``block_summaries``
    brought it up to date), None for any other block."""
    sides = (block.summary or {}).get("sides") if block.scored_apart else None
    if not sides:
        return None
    return {side: relief.BlockSummary.from_dict(value) for side, value in sides.items()}


def block_summaries(blocks: Sequence[Block]) -> list[relief.BlockSummary]:
    """Each block's summary (blocks of one clinic). Those out of date are analysed again,
    their diaries read in one query, and stored: the caller commits."""
    if not blocks:
        return []
    settings = analysis_settings(blocks[0].clinic)
    digest = settings_digest(settings)
    found = [stored_summary(block, digest) for block in blocks]
    stale = [block for block, summary in zip(blocks, found, strict=True) if summary is None]
    analysed: dict[int, relief.BlockSummary] = {}
    if stale:
        # Entries are read after their blocks: a summary is never labelled with a later
        # change (changed_at) than the entries it was computed from.
        entries = db.session.execute(
            select(DiaryEntry)
            .where(DiaryEntry.block_id.in_([block.id for block in stale]))
            .order_by(DiaryEntry.block_id, DiaryEntry.recorded_at)
        ).scalars()
        by_block = {key: list(group) for key, group in groupby(entries, key=attrgetter("block_id"))}
        for block in stale:
            set_committed_value(block, "entries", by_block.get(block.id, []))
        for block in stale:
            value = stored_value(block, settings)
            block.summary, block.summary_key = value, summary_key(block, digest)
            analysed[block.id] = relief.BlockSummary.from_dict(_one(value))
    return [summary or analysed[block.id] for block, summary in zip(blocks, found, strict=True)]


def refresh_summaries(clinic: Clinic, chunk: int = 200) -> int:
    """Bring every stored summary of the clinic up to date (after a change of its
    analysis settings, say); commits per chunk. Returns how many were out of date."""
    digest = settings_digest(analysis_settings(clinic))
    ids = db.session.execute(select(Block.id).where(Block.clinic_id == clinic.id)).scalars().all()
    refreshed = 0
    for start in range(0, len(ids), chunk):
        blocks = (
            db.session.execute(select(Block).where(Block.id.in_(ids[start : start + chunk])))
            .scalars()
            .all()
        )
        refreshed += sum(not is_current(block, digest) for block in blocks)
        block_summaries(blocks)
        db.session.commit()
    return refreshed
