"""A block's or a series' diary read into the clinical analysis (diary/relief.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from diary import relief
from diary.models import (
    Block,
    Patient,
    utcnow,
)
from diary.records.export import as_utc
from diary.services.blocks import agent_label
from diary.services.progress import awaited_for
from diary.services.settings import analysis_settings

# An entry whose time is this far before it was sent was logged after the fact.
LATE_LOGGING = timedelta(minutes=15)


def block_facts(block: Block) -> relief.BlockFacts:
    return relief.BlockFacts(
        performed_at=block.performed_at,
        baseline_pain=block.baseline_pain,
        purpose=block.purpose,
        agent=block.agent,
        agent_label=agent_label(block),
        steroid=block.steroid,
        sedation=block.sedation,
    )


def diary_points(block: Block, entries=None) -> list[relief.DiaryPoint]:
    """The diary as the analysis reads it; ``entries`` (rows with the entries' names,
    as the export reads them) instead of the block's own if given."""
    return [_diary_point(entry) for entry in (block.entries if entries is None else entries)]


def _diary_point(entry) -> relief.DiaryPoint:
    recorded_at, submitted_at = as_utc(entry.recorded_at), as_utc(entry.submitted_at)
    transcribed = entry.source == "transcribed"
    return relief.DiaryPoint(
        recorded_at=recorded_at,
        pain=entry.pain,
        submitted_at=submitted_at,
        reported_relief_pct=entry.reported_relief_pct,
        entry_id=entry.id,
        edited=entry.edited,
        # Staff copy a paper diary afterwards by nature: that is not the patient logging late.
        logged_late=not transcribed and submitted_at - recorded_at > LATE_LOGGING,
        transcribed=transcribed,
    )


def running(block: Block, now: datetime | None = None) -> relief.Running | None:
    """The block's diary as still running (what it awaits, the hours since the block),
    or None once its verdict is final."""
    now = now or utcnow()
    awaiting = awaited_for(block, now)
    if awaiting is None:
        return None
    return relief.Running(awaiting, relief.hours_between(block.performed_at, now))


def analyse_block(block: Block, now: datetime | None = None) -> relief.Analysis:
    return relief.analyse(
        block_facts(block),
        diary_points(block),
        analysis_settings(block.clinic),
        running(block, now),
    )


def in_series(block: Block) -> bool:
    """An archived block has left its series (and the pair it was in)."""
    return block.archived_at is None


def series_of(block: Block) -> list[Block]:
    """The patient's blocks at the same region, side and set of levels, oldest first."""
    return [
        other
        for other in block.patient.blocks
        if in_series(other)
        and other.region == block.region
        and other.side == block.side
        and sorted(other.levels) == sorted(block.levels)
    ]


def series_name(block: Block) -> str:
    """How a series names one of its blocks: "the 02 Mar 2026 block (lidocaine 2%)"."""
    day = block.performed_at.astimezone(ZoneInfo(block.clinic.timezone)).strftime("%d %b %Y")
    return f"the {day} block ({agent_label(block)})"


def analyse_series(blocks: list[Block], now: datetime | None = None) -> relief.SeriesAnalysis:
    now = now or utcnow()
    return relief.analyse_series(
        [
            relief.SeriesBlock(
                b.id, block_facts(b), diary_points(b), running(b, now), series_name(b)
            )
            for b in blocks
        ],
        analysis_settings(blocks[0].clinic),
    )


def analysed_series(
    patient: Patient, now: datetime | None = None
) -> list[tuple[list[Block], relief.SeriesAnalysis]]:
    """Each of the patient's series with its analysis, as the patient page and report show."""
    now = now or utcnow()
    return [(blocks, analyse_series(blocks, now)) for blocks in patient_series(patient)]


def patient_series(patient: Patient) -> list[list[Block]]:
    """The patient's blocks grouped into series, in order of each series' first block;
    archived blocks belong to none."""
    groups: dict[tuple, list[Block]] = {}
    for block in patient.blocks:
        if not in_series(block):
            continue
        key = (block.region, block.side, tuple(sorted(block.levels)))
        groups.setdefault(key, []).append(block)
    return list(groups.values())


def archived_blocks(patient: Patient) -> list[Block]:
    """The patient's archived blocks: shown apart, in no series."""
    return [block for block in patient.blocks if not in_series(block)]
