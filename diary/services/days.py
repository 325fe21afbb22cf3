"""The days after a block (pathway.md §2) read from its records: each reading's days of
relief, and a therapeutic block's outcome. The rules are diary/pathway/days.py's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from diary import pathway, relief
from diary.extensions import db
from diary.models import Block, DiaryEntry, utcnow
from diary.pathway import words
from diary.pathway.values import DaysOfRelief
from diary.schedule import DiarySchedule
from diary.services.analysis import (
    block_facts,
    block_readings,
    diary_points,
    reading_days_of_relief,
    running,
)
from diary.services.settings import diary_schedule
from diary.vocabulary import Purpose


def block_days_of_relief(block: Block, entries=None) -> DaysOfRelief | None:
    """The block's days of relief, scored as one pain (``entries`` as diary_points takes
    them; the block's own by default)."""
    return reading_days_of_relief(
        block,
        block_facts(block),
        diary_points(block, entries),
        diary_schedule(block.clinic),
        block.clinic.timezone,
    )


def judged_in_days(block) -> bool:
    """A therapeutic block: its outcome is its days of relief, not a diagnostic verdict."""
    return block.purpose == Purpose.THERAPEUTIC


def block_outcome(
    block,
    verdict: str,
    days: DaysOfRelief | None,
    sides: Mapping[str, tuple[str, DaysOfRelief | None]] | None = None,
    provisional: bool = False,
) -> str:
    """What the block is judged by, in words: a therapeutic block with daily scores by its
    days of relief and their class, any other by its verdict ("positive"). ``sides``
    (side -> its verdict and days of relief) for a block scored apart: each side's, as
    verdicts show together ("Left: at least 9 days of relief (weeks) · Right: 0 days of
    relief (no relief)"; "Left: positive · Right: negative"). ``provisional``: the diary
    still runs, and each side's outcome says so."""
    if sides:
        return pathway.each_side(
            (
                (side, block_outcome(block, v, d).replace("_", " "))
                for side, (v, d) in sides.items()
            ),
            provisional,
        )
    if judged_in_days(block) and days is not None:
        return words.days_of_relief(days)
    return verdict


def readings_outcome(
    block, readings: Sequence[pathway.SideReading], provisional: bool = False
) -> str:
    """``block_outcome`` of a block's readings (services.analysis.block_readings);
    ``provisional`` marks each side's when scored apart."""
    if len(readings) > 1:
        return block_outcome(
            block,
            "",
            None,
            {str(r.scored_side): (r.analysis.verdict, r.days_of_relief) for r in readings},
            provisional,
        )
    return block_outcome(block, readings[0].analysis.verdict, readings[0].days_of_relief)


def side_days_of_relief(
    block, entries=None, schedule: DiarySchedule | None = None, timezone: str | None = None
) -> dict[str, DaysOfRelief | None] | None:
    """Each side's days of relief of a block scored apart that asks for daily scores
    (``{"left": …, "right": …}``), None for any other block. ``entries``, ``schedule``
    and ``timezone`` as ``block_readings`` takes them (an export's rows)."""
    if not block.scored_apart or not block.daily_days:
        return None
    readings = block_readings(
        block,
        entries=entries,
        settings=relief.AnalysisSettings(),
        schedule=schedule,
        timezone=timezone,
    )
    return {str(r.scored_side): r.days_of_relief for r in readings}


def sides_outcome(
    block, sides: Mapping[str, relief.BlockSummary] | None, days: Mapping | None
) -> dict[str, tuple[str, DaysOfRelief | None]] | None:
    """What ``block_outcome`` takes as ``sides`` from each side's summary and days."""
    if not sides:
        return None
    return {side: (sides[side].verdict, (days or {}).get(side)) for side in sides}


def row_days_of_relief(block, entries, schedule: DiarySchedule, timezone: str):
    """Days of relief of an export's block row (export_queries.ExportBlock) from its
    entry rows (with the entries' names); None when it asks for no daily score."""
    if not block.daily_days:
        return None
    return reading_days_of_relief(
        block, block_facts(block), diary_points(block, entries), schedule, timezone
    )


def daily_chart(block: Block, days: DaysOfRelief | None = None):
    """The chart's panel of the days after (charts.DailyChart), None without daily scores:
    the hours' panel ends half-way from the last hourly slot to day 1."""
    from diary.charts import DailyChart

    days = days if days is not None else block_days_of_relief(block)
    if days is None or not days.scores:
        return None
    hourly = diary_schedule(block.clinic).due_times(block.performed_at, block.agent)
    last_hourly = max(hourly, default=block.performed_at)
    split = last_hourly + (days.scores[0].due_at - last_hourly) / 2
    return DailyChart(days, relief.hours_between(block.performed_at, split))


def therapeutic_outcomes(blocks: Sequence[Block]) -> dict[int, str]:
    """Block id -> the outcome in words of each therapeutic block among ``blocks`` (of
    one clinic) that asks for daily scores: what lists show in its verdict's place. Their
    entries are read in one query; no other block's are."""
    judged = [block for block in blocks if judged_in_days(block) and block.daily_days]
    if not judged:
        return {}
    entries = db.session.scalars(
        select(DiaryEntry)
        .where(DiaryEntry.block_id.in_([block.id for block in judged]))
        .order_by(DiaryEntry.block_id, DiaryEntry.recorded_at)
    ).all()
    by_block: dict[int, list[DiaryEntry]] = {}
    for entry in entries:
        by_block.setdefault(entry.block_id, []).append(entry)
    outcomes = {}
    now = utcnow()
    for block in judged:
        if block.scored_apart:
            readings = block_readings(
                block,
                entries=by_block.get(block.id, []),
                schedule=diary_schedule(block.clinic),
                timezone=block.clinic.timezone,
            )
            # One diary: while it runs, each side's outcome says it is provisional (the
            # lists add no mark of their own after a block scored apart).
            provisional = block.link_open(now) and running(block, now) is not None
            outcomes[block.id] = readings_outcome(block, readings, provisional)
            continue
        days = block_days_of_relief(block, by_block.get(block.id, []))
        if days is not None:
            outcomes[block.id] = words.days_of_relief(days)
    return outcomes
