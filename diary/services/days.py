"""The days after a block (pathway.md §2) read from its records: each reading's days of
relief, and a therapeutic block's outcome. The rules are diary/pathway/days.py's."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select

from diary import pathway, relief
from diary.extensions import db
from diary.models import Block, DiaryEntry
from diary.pathway import words
from diary.pathway.values import DaysOfRelief
from diary.schedule import DiarySchedule
from diary.services.analysis import block_facts, diary_points
from diary.services.settings import diary_schedule
from diary.vocabulary import Purpose


def reading_days_of_relief(
    block,
    facts: relief.BlockFacts,
    points: Sequence[relief.DiaryPoint],
    schedule: DiarySchedule,
    timezone: str,
) -> DaysOfRelief | None:
    """``Ddays`` of one reading of a block (a Block, or a row read like one with
    performed_at, agent and daily_days): ``facts`` with that reading's baseline, ``points``
    with that reading's scores (the one pain, or one side's when scored apart). None when
    the block asks for no daily score or has no baseline."""
    hourly = schedule.due_times(block.performed_at, block.agent)
    return pathway.days_of_relief(facts, points, hourly, ZoneInfo(timezone), block.daily_days or 0)


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


def block_outcome(block, verdict: str, days: DaysOfRelief | None) -> str:
    """What the block is judged by, in words: a therapeutic block with daily scores by its
    days of relief and their class, any other by its verdict ("positive")."""
    if judged_in_days(block) and days is not None:
        return words.days_of_relief(days)
    return verdict


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
    for block in judged:
        days = block_days_of_relief(block, by_block.get(block.id, []))
        if days is not None:
            outcomes[block.id] = words.days_of_relief(days)
    return outcomes
