"""Left and right (pathway.md §1): which side(s) a result counts for, each side's reading
of a block by criteria.md (relief's ``analyse``), and the per-side series with relief's
pair status and ablation criteria."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import Protocol

from diary import relief
from diary.anatomy import levels_in_spine_order
from diary.pathway.dates import require_aware
from diary.pathway.days import days_of_relief, hourly_due_times
from diary.pathway.values import (
    BILATERAL,
    LEFT,
    RIGHT,
    SERIES_SIDES,
    Block,
    BlockReading,
    PathwaySettings,
    Scoring,
    SeriesKey,
    SideReading,
    SideSeries,
)
from diary.schedule import DiarySchedule


class Sided(Protocol):
    """What a block and an ablation share for the side rules."""

    @property
    def region(self) -> str: ...
    @property
    def levels(self) -> tuple[str, ...]: ...
    @property
    def side(self) -> str: ...
    @property
    def scoring(self) -> Scoring: ...
    @property
    def baseline_pain(self) -> int | None: ...
    @property
    def baseline_pain_left(self) -> int | None: ...
    @property
    def baseline_pain_right(self) -> int | None: ...


def counted_sides(procedure: Sided) -> tuple[str, ...]:
    """The series sides a procedure's results count for: its side, or both when bilateral."""
    if procedure.side == BILATERAL:
        return SERIES_SIDES
    if procedure.side in SERIES_SIDES:
        return (procedure.side,)
    raise ValueError(f"not a side: {procedure.side!r}")


def scored_apart(procedure: Sided) -> bool:
    """A bilateral procedure scored left and right apart (each side its own baseline)."""
    return procedure.side == BILATERAL and procedure.scoring == Scoring.SIDES


def scored_sides(procedure: Sided) -> list[tuple[tuple[str, ...], str | None]]:
    """Each reading a procedure has: (the sides it counts for, the side whose scores are
    read, None for the one pain). One reading, or two when scored apart."""
    if scored_apart(procedure):
        return [((LEFT,), LEFT), ((RIGHT,), RIGHT)]
    return [(counted_sides(procedure), None)]


def baseline_for(procedure: Sided, scored_side: str | None) -> int | None:
    """The baseline a reading measures relief against."""
    if scored_side == LEFT:
        return procedure.baseline_pain_left
    if scored_side == RIGHT:
        return procedure.baseline_pain_right
    return procedure.baseline_pain


def normal_levels(region: str, levels: Iterable[str]) -> tuple[str, ...]:
    """Levels head to tail without repeats (alphabetical for a name anatomy does not know)."""
    levels = list(levels)
    try:
        return tuple(levels_in_spine_order(region, levels))
    except (KeyError, ValueError):
        return tuple(sorted(set(levels)))


def series_keys(procedure: Sided) -> tuple[SeriesKey, ...]:
    """The series a procedure belongs to: one per side it counts for."""
    levels = normal_levels(procedure.region, procedure.levels)
    return tuple(SeriesKey(procedure.region, side, levels) for side in counted_sides(procedure))


def in_series(procedure: Sided, key: SeriesKey) -> bool:
    """The left series at a region and set of levels holds the left blocks and the
    bilateral blocks there; the right series likewise."""
    return key in series_keys(procedure)


def relief_inputs(
    block: Block, scored_side: str | None
) -> tuple[relief.BlockFacts, list[relief.DiaryPoint]]:
    """The block as relief reads one diary: that side's baseline and scores."""
    facts = replace(block.facts, baseline_pain=baseline_for(block, scored_side))
    points = [p for e in block.entries if (p := e.point(scored_side)) is not None]
    return facts, points


def read_block(
    block: Block,
    zone: tzinfo,
    *,
    settings: PathwaySettings | None = None,
    analysis_settings: relief.AnalysisSettings | None = None,
    schedule: DiarySchedule | None = None,
    daily_days: int | None = None,
) -> BlockReading:
    """Every reading of a block: per side when scored apart, else one; each with the
    verdict of criteria.md and the days of relief (None when the diary has no daily
    slots). ``daily_days`` overrides the setting (a block keeps the count it was given)."""
    settings = settings or PathwaySettings()
    days = settings.daily_days if daily_days is None else daily_days
    require_aware(block.performed_at)
    hourly = hourly_due_times(block.performed_at, block.facts.agent, schedule)
    readings = []
    for sides, scored_side in scored_sides(block):
        facts, points = relief_inputs(block, scored_side)
        readings.append(
            SideReading(
                sides=sides,
                scored_side=scored_side,
                analysis=relief.analyse(facts, points, analysis_settings),
                days_of_relief=days_of_relief(facts, points, hourly, zone, days),
            )
        )
    return BlockReading(block.block_id, scored_apart(block), tuple(readings))


def series_of_patient(procedures: Iterable[Sided]) -> list[SeriesKey]:
    """Every series the procedures make, in the order first met (left before right)."""
    keys: dict[SeriesKey, None] = {}
    for procedure in procedures:
        for key in series_keys(procedure):
            keys.setdefault(key)
    return list(keys)


def series_blocks(blocks: Iterable[Block], key: SeriesKey) -> list[Block]:
    """The blocks of a side's series, oldest first."""
    return sorted((b for b in blocks if in_series(b, key)), key=lambda b: b.performed_at)


def analyse_side_series(
    blocks: Sequence[Block],
    key: SeriesKey,
    analysis_settings: relief.AnalysisSettings | None = None,
) -> SideSeries:
    """Pair status and both ablation criteria of ``key``'s series, from that side's
    results (relief's series rules applied to each block's reading for the side)."""
    members = series_blocks(blocks, key)
    side_blocks = []
    for block in members:
        scored_side = key.side if scored_apart(block) else None
        facts, points = relief_inputs(block, scored_side)
        side_blocks.append(relief.SeriesBlock(block.block_id, facts, points, block.running))
    return SideSeries(
        key=key,
        block_ids=tuple(b.block_id for b in members),
        analysis=relief.analyse_series(side_blocks, analysis_settings),
    )


def patient_side_series(
    blocks: Sequence[Block], analysis_settings: relief.AnalysisSettings | None = None
) -> list[SideSeries]:
    """Each of a patient's side series with its analysis."""
    return [
        analyse_side_series(blocks, key, analysis_settings) for key in series_of_patient(blocks)
    ]
