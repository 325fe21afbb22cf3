"""A block's or a series' diary read into the clinical analysis (diary/relief.py), and
the block's readings per side (diary/pathway: a bilateral block scored left and right
apart is read once per side; every page and file asks ``block_readings`` for them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from diary import pathway, relief
from diary.agents import window_for
from diary.models import (
    Block,
    Patient,
    utcnow,
)
from diary.pathway.sides import relief_inputs, scored_sides, series_keys
from diary.pathway.values import DaysOfRelief
from diary.schedule import DiarySchedule, as_utc, awaited_changes
from diary.services.blocks import agent_label
from diary.services.progress import awaited_for
from diary.services.settings import analysis_settings, block_due_times, diary_schedule

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
    """The diary as the analysis reads it (the one score of each entry; a block scored
    apart has none: see ``block_readings``); ``entries`` (rows with the entries' names,
    as the export reads them) instead of the block's own if given."""
    entries = block.entries if entries is None else entries
    return [point for entry in entries if (point := _pathway_entry(entry).point(None))]


def _pathway_entry(entry) -> pathway.Entry:
    recorded_at, submitted_at = as_utc(entry.recorded_at), as_utc(entry.submitted_at)
    transcribed = entry.source == "transcribed"
    return pathway.Entry(
        recorded_at=recorded_at,
        pain=entry.pain,
        pain_left=getattr(entry, "pain_left", None),
        pain_right=getattr(entry, "pain_right", None),
        submitted_at=submitted_at,
        reported_relief_pct=entry.reported_relief_pct,
        entry_id=entry.id,
        edited=entry.edited,
        # Staff copy a paper diary afterwards by nature: that is not the patient logging late.
        logged_late=not transcribed and submitted_at - recorded_at > LATE_LOGGING,
        transcribed=transcribed,
    )


def pathway_block(block: Block, entries=None) -> pathway.Block:
    """The block as diary/pathway reads it (``entries`` as in ``diary_points``)."""
    entries = block.entries if entries is None else entries
    return pathway.Block(
        block_id=block.id,
        facts=block_facts(block),
        region=str(block.region),
        levels=tuple(block.levels),
        side=str(block.side),
        scoring=block.scoring,
        baseline_pain_left=block.baseline_pain_left,
        baseline_pain_right=block.baseline_pain_right,
        entries=tuple(_pathway_entry(entry) for entry in entries),
    )


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
    if not block.daily_days:
        return None
    zone = ZoneInfo(timezone)
    hourly = schedule.due_times(block.performed_at, block.agent)
    found = pathway.days_of_relief(facts, points, hourly, zone, block.daily_days)
    performed_at = as_utc(block.performed_at)
    if found is not None and all(score.pain is None for score in found.scores):
        day_one = pathway.daily_slots(performed_at, zone, block.daily_days)[0]
        if utcnow() < day_one:
            return None  # not known before day 1's score is due (not "no relief" yet)
    return found


def block_readings(
    block: Block,
    now: datetime | None = None,
    entries=None,
    settings: relief.AnalysisSettings | None = None,
    schedule: DiarySchedule | None = None,
    timezone: str | None = None,
) -> list[pathway.SideReading]:
    """The block's readings by criteria.md: one per side when a bilateral block is scored
    apart (left, then right), else one (counted for the sides it stands for), each with
    its days of relief (that side's daily scores and baseline when apart). The one
    function every page, the API and the files ask for "the block's readings".

    ``entries``: rows read like entries (an export's) instead of the block's own; the
    days of relief of such rows are read only with the clinic's ``schedule`` and
    ``timezone`` (a row has no clinic to ask)."""
    read = pathway_block(block, entries)
    settings = settings or analysis_settings(block.clinic)
    still_running = running(block, now) if entries is None else None
    if block.daily_days and schedule is None and entries is None:
        schedule, timezone = diary_schedule(block.clinic), block.clinic.timezone
    readings = []
    for sides, scored_side in scored_sides(read):
        facts, points = relief_inputs(read, scored_side)
        days = None
        if schedule is not None and timezone:
            days = reading_days_of_relief(block, facts, points, schedule, timezone)
        readings.append(
            pathway.SideReading(
                sides=sides,
                scored_side=scored_side,
                analysis=relief.analyse(facts, points, settings, still_running),
                days_of_relief=days,
            )
        )
    return readings


def side_analyses(block: Block, now: datetime | None = None) -> dict[str, relief.Analysis] | None:
    """``{"left": …, "right": …}`` for a block scored apart, None otherwise."""
    if not block.scored_apart:
        return None
    return side_analyses_of(block_readings(block, now))


def side_analyses_of(readings: list[pathway.SideReading]) -> dict[str, relief.Analysis] | None:
    """The readings as ``{"left": …, "right": …}`` when apart, None for one reading."""
    if len(readings) < 2:
        return None
    return {str(r.scored_side): r.analysis for r in readings}


def verdict_text(readings: list[pathway.SideReading], provisional: bool = False) -> str:
    """ "Left: positive · Right: negative" for a block scored apart, else its verdict;
    ``provisional``: each verdict says so ("Left: positive (provisional) · …")."""
    reading = pathway.BlockReading(0, len(readings) > 1, tuple(readings))
    return reading.verdicts_text(provisional)


# The reason the block's one reading gives when each side has its own.
SCORED_APART = "Scored left and right apart: each side has its own verdict."


def running(block: Block, now: datetime | None = None) -> relief.Running | None:
    """The block's diary as still running (what it awaits, the hours since the block),
    or None once its verdict is final."""
    now = now or utcnow()
    awaiting = awaited_for(block, now)
    if awaiting is None:
        return None
    return relief.Running(awaiting, relief.hours_between(block.performed_at, now))


def steady_until(block: Block, now: datetime) -> datetime | None:
    """The first moment after ``now`` at which what a running diary's reading says may
    change with no record changed (None: none is left): a due time passing (what it
    awaits), the first hour, the agent's window or the peak's margin ending (what is still
    to come), the link closing. Until then a reading made at ``now`` holds."""
    settings = analysis_settings(block.clinic)
    window = window_for(block.agent, settings.agent_windows)
    start = as_utc(block.performed_at)
    spans = (settings.onset_limit_h, window.maximum_h, window.maximum_h + settings.peak_margin_h)
    moments = [
        *awaited_changes(block_due_times(block), start),
        *(start + timedelta(hours=h) for h in spans),
    ]
    if block.link_expires_at is not None:
        moments.append(as_utc(block.link_expires_at))
    return min((moment for moment in moments if moment > now), default=None)


def analyse_block(block: Block, now: datetime | None = None) -> relief.Analysis:
    """The block's one reading. A block scored apart has no one pain: its one reading
    is indeterminate and says so; its sides' are ``block_readings``'."""
    analysis = relief.analyse(
        block_facts(block),
        diary_points(block),
        analysis_settings(block.clinic),
        running(block, now),
    )
    if block.scored_apart:
        return replace(analysis, reasons=[SCORED_APART])
    return analysis


def in_series(block: Block) -> bool:
    """An archived block has left its series (and the pair it was in)."""
    return block.archived_at is None


def block_series_keys(block: Block) -> tuple[pathway.SeriesKey, ...]:
    """The side series a block belongs to (both for a bilateral block)."""
    return series_keys(pathway_block(block, entries=()))


class SeriesBlocks(list[Block]):
    """A side's series (pathway.md §1): its blocks oldest first, and its key (region,
    side, levels). A bilateral block is in the left and the right series."""

    def __init__(self, key: pathway.SeriesKey, blocks=()):
        super().__init__(blocks)
        self.key = key

    @property
    def side(self) -> str:
        return self.key.side

    @property
    def region(self) -> str:
        return self.key.region

    @property
    def levels(self) -> list[str]:
        return list(self.key.levels)


def series_name(block: Block) -> str:
    """How a series names one of its blocks: "the 02 Mar 2026 block (lidocaine 2%)"."""
    day = block.performed_at.astimezone(ZoneInfo(block.clinic.timezone)).strftime("%d %b %Y")
    return f"the {day} block ({agent_label(block)})"


def analyse_series(
    blocks: list[Block], now: datetime | None = None, side: str | None = None
) -> relief.SeriesAnalysis:
    """Pair status and both ablation criteria of a side's series, from that side's
    results: a block scored apart is read by its ``side`` scores (the series' own side
    when ``blocks`` is a SeriesBlocks)."""
    now = now or utcnow()
    side = side or getattr(blocks, "side", None)
    series_blocks = []
    for b in blocks:
        scored_side = side if b.scored_apart else None
        facts, points = relief_inputs(pathway_block(b), scored_side)
        series_blocks.append(
            relief.SeriesBlock(b.id, facts, points, running(b, now), series_name(b))
        )
    return relief.analyse_series(series_blocks, analysis_settings(blocks[0].clinic))


def analysed_series(
    patient: Patient, now: datetime | None = None
) -> list[tuple[SeriesBlocks, relief.SeriesAnalysis]]:
    """Each of the patient's series with its analysis, as the patient page and report show."""
    now = now or utcnow()
    return [(blocks, analyse_series(blocks, now)) for blocks in patient_series(patient)]


def patient_series(patient: Patient) -> list[SeriesBlocks]:
    """The patient's blocks grouped into side series (pathway.md §1), in order of each
    series' first block (left before right); archived blocks belong to none."""
    groups: dict[pathway.SeriesKey, SeriesBlocks] = {}
    for block in sorted(patient.blocks, key=lambda b: b.performed_at):
        if not in_series(block):
            continue
        for key in block_series_keys(block):
            groups.setdefault(key, SeriesBlocks(key)).append(block)
    return list(groups.values())


def archived_blocks(patient: Patient) -> list[Block]:
    """The patient's archived blocks: shown apart, in no series."""
    return [block for block in patient.blocks if not in_series(block)]
