"""A series of blocks at the same region, side and levels: the pair's concordance and
the two published ablation criteria.

A pair status or criterion that rests on a diary still running is provisional, and says
which diary it waits for: entries still to come may change it. One that a finished
diary (or the blocks' dates) already decides is final, whatever the running one shows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta

from diary.agents import window_for
from diary.relief.reading import analyse
from diary.relief.values import (
    CONSENSUS_THRESHOLD_PCT,
    CONSISTENT,
    DIAGNOSTIC,
    LCD_MIN_DAYS_BETWEEN,
    LCD_THRESHOLD_PCT,
    POSITIVE,
    VERDICT_LABELS,
    Analysis,
    AnalysisSettings,
    BlockFacts,
    DiaryPoint,
    Running,
    format_hours,
)

CONCORDANT = "concordant"
DISCORDANT = "discordant"
CONFIRMED = "confirmed"
NOT_CONFIRMED = "not_confirmed"
SINGLE = "single"


@dataclass(frozen=True)
class SeriesBlock:
    block_id: int
    facts: BlockFacts
    entries: list[DiaryPoint]
    # The diary is still running: its reading is provisional.
    running: Running | None = None
    # How the series names the block, e.g. "the 2 Mar 2026 block (lidocaine 2%)".
    name: str | None = None

    @property
    def waiting_text(self) -> str:
        """What the series waits for from this block's diary (it is running)."""
        assert self.running is not None
        return f"the diary of {self.name or f'block {self.block_id}'}, {self.running.awaiting}"


@dataclass(frozen=True)
class Criterion:
    met: bool
    reason: str
    # It rests on a diary still running; what it waits for.
    provisional: bool = False
    awaiting: str | None = None


@dataclass(frozen=True)
class SeriesAnalysis:
    pair_status: str | None
    pair_reason: str
    compared_block_ids: list[int]
    ablation_criteria: dict[str, Criterion]
    analyses: dict[int, Analysis]
    pair_provisional: bool = False
    pair_awaiting: str | None = None
    # The pair or a criterion is provisional; every diary the series waits for.
    provisional: bool = False
    awaiting: str | None = None
    # Each block's running diary: what it awaits (absent once final).
    block_awaiting: dict[int, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "pair_status": self.pair_status,
            "pair_reason": self.pair_reason,
            "pair_provisional": self.pair_provisional,
            "pair_awaiting": self.pair_awaiting,
            "compared_block_ids": self.compared_block_ids,
            "ablation_criteria": {k: asdict(v) for k, v in self.ablation_criteria.items()},
            "provisional": self.provisional,
            "awaiting": self.awaiting,
            "blocks": [
                {
                    "block_id": block_id,
                    "analysis": analysis.to_dict(),
                    "provisional": block_id in self.block_awaiting,
                    "awaiting": self.block_awaiting.get(block_id),
                }
                for block_id, analysis in self.analyses.items()
            ],
        }


def _awaiting(waits: list[SeriesBlock]) -> str | None:
    return "; ".join(block.waiting_text for block in waits) or None


def _running(blocks: list[SeriesBlock]) -> list[SeriesBlock]:
    return [block for block in blocks if block.running is not None]


def analyse_series(
    blocks: list[SeriesBlock], settings: AnalysisSettings | None = None
) -> SeriesAnalysis:
    """Pair status and radiofrequency-ablation criteria for one patient's series."""
    settings = settings or AnalysisSettings()
    ordered = sorted(blocks, key=lambda b: b.facts.performed_at)
    analyses = {b.block_id: analyse(b.facts, b.entries, settings, b.running) for b in ordered}
    diagnostic = [b for b in ordered if b.facts.purpose == DIAGNOSTIC]
    last_two = diagnostic[-2:]
    pair_status, pair_reason, pair_waits = _pair_status(last_two, analyses, settings)
    (lcd, lcd_waits), (consensus, consensus_waits) = (
        _lcd_criterion(last_two, settings),
        _consensus_criterion(diagnostic, settings),
    )
    waits = {b.block_id for b in pair_waits + lcd_waits + consensus_waits}
    return SeriesAnalysis(
        pair_status=pair_status,
        pair_reason=pair_reason,
        compared_block_ids=[b.block_id for b in last_two],
        ablation_criteria={
            "lcd": _with_waits(lcd, lcd_waits),
            "consensus_2020": _with_waits(consensus, consensus_waits),
        },
        analyses=analyses,
        pair_provisional=bool(pair_waits),
        pair_awaiting=_awaiting(pair_waits),
        provisional=bool(waits),
        awaiting=_awaiting([b for b in ordered if b.block_id in waits]),
        block_awaiting={b.block_id: b.running.awaiting for b in ordered if b.running},
    )


def _with_waits(criterion: Criterion, waits: list[SeriesBlock]) -> Criterion:
    return replace(criterion, provisional=bool(waits), awaiting=_awaiting(waits))


def _pair_status(
    last_two: list[SeriesBlock], analyses: dict[int, Analysis], settings: AnalysisSettings
) -> tuple[str | None, str, list[SeriesBlock]]:
    """The status, its reason, and the running diaries it rests on."""
    if not last_two:
        return None, "no diagnostic block in this series yet", []
    if len(last_two) == 1:
        return SINGLE, "only one diagnostic block so far", []
    first, second = last_two
    a1, a2 = analyses[first.block_id], analyses[second.block_id]
    if a1.verdict != POSITIVE or a2.verdict != POSITIVE:
        failing = [b for b in last_two if analyses[b.block_id].verdict != POSITIVE]
        return (
            NOT_CONFIRMED,
            f"of the two most recent diagnostic blocks, {_pair_results(a1, a2)}; "
            "both must be positive",
            # A finished diary that is not positive decides it, whatever the other shows.
            failing if len(_running(failing)) == len(failing) else [],
        )
    status, reason = _positive_pair(first, second, a1, a2, settings)
    return status, reason, _running(last_two)


def _positive_pair(
    first: SeriesBlock,
    second: SeriesBlock,
    a1: Analysis,
    a2: Analysis,
    settings: AnalysisSettings,
) -> tuple[str, str]:
    if first.facts.agent == second.facts.agent:
        return CONFIRMED, f"both blocks positive with {first.facts.agent_label}"
    max1 = window_for(first.facts.agent, settings.agent_windows).maximum_h
    max2 = window_for(second.facts.agent, settings.agent_windows).maximum_h
    durations = (
        f"{first.facts.agent_label} {format_hours(a1.response_duration_h)}, "
        f"{second.facts.agent_label} {format_hours(a2.response_duration_h)}"
    )
    if max1 == max2:
        return CONFIRMED, (
            f"both blocks positive; the agents have the same expected duration, "
            f"so no concordance test ({durations})"
        )
    longer_acting, shorter_acting = (a1, a2) if max1 > max2 else (a2, a1)
    if longer_acting.response_duration_h > shorter_acting.response_duration_h:
        return CONCORDANT, f"the longer-acting agent gave the longer relief ({durations})"
    return DISCORDANT, (
        f"the shorter-acting agent gave relief as long or longer ({durations}); "
        "the 2022 diary study found no difference in durations between agents, "
        "so this is not a negative result"
    )


def _lcd_criterion(
    last_two: list[SeriesBlock], settings: AnalysisSettings
) -> tuple[Criterion, list[SeriesBlock]]:
    """The criterion and the running diaries it rests on."""
    if len(last_two) < 2:
        return Criterion(
            False, f"two diagnostic blocks are needed; this series has {len(last_two)}"
        ), []
    at_lcd = replace(settings, threshold_pct=LCD_THRESHOLD_PCT)
    failures: list[tuple[str, SeriesBlock | None]] = []
    for ordinal, block in zip(("first", "second"), last_two, strict=True):
        analysis = analyse(block.facts, block.entries, at_lcd)
        if analysis.verdict != POSITIVE:
            failures.append((f"the {ordinal} block is {analysis.verdict} at ≥80% relief", block))
        elif analysis.duration_class != CONSISTENT:
            failures.append(
                (
                    f"the {ordinal} block's relief was {analysis.duration_class} than expected "
                    f"for {block.facts.agent_label}, not consistent with the agent",
                    block,
                )
            )
    between = last_two[1].facts.performed_at - last_two[0].facts.performed_at
    if between < timedelta(days=LCD_MIN_DAYS_BETWEEN):
        failures.append(
            (
                f"the second block was {_interval(between)} after the first; at least "
                f"{LCD_MIN_DAYS_BETWEEN} days are required",
                None,
            )
        )
    if failures:
        failing = [block for _, block in failures]
        # A failure no running diary can undo (a finished one, the dates) decides it.
        final = any(block is None or block.running is None for block in failing)
        waits = [] if final else [block for block in failing if block is not None]
        return Criterion(False, "; ".join(text for text, _ in failures)), waits
    return Criterion(
        True,
        "two diagnostic blocks, each with ≥80% relief lasting as long as the agent "
        f"explains, {_interval(between)} apart",
    ), _running(last_two)


def _pair_results(first: Analysis, second: Analysis) -> str:
    """ "both indeterminate", "the first was positive, the second partial"."""
    one, two = (VERDICT_LABELS[a.verdict].lower() for a in (first, second))
    return f"both were {one}" if one == two else f"the first was {one}, the second {two}"


def _interval(between: timedelta) -> str:
    """An interval as exactly as a clinician reads it: "13 days 19 h", "14 days"."""
    hours = round(between.total_seconds() / 3600)
    days, hours = divmod(hours, 24)
    text = f"{days} day{'' if days == 1 else 's'}"
    return f"{text} {hours} h" if hours else text


def _consensus_criterion(
    diagnostic: list[SeriesBlock], settings: AnalysisSettings
) -> tuple[Criterion, list[SeriesBlock]]:
    """The criterion and the running diaries it rests on."""
    if not diagnostic:
        return Criterion(False, "no diagnostic block in this series"), []
    at_consensus = replace(settings, threshold_pct=CONSENSUS_THRESHOLD_PCT)
    meeting = [
        block
        for block in diagnostic
        if analyse(block.facts, block.entries, at_consensus).verdict == POSITIVE
    ]
    if meeting:
        # Met by a finished diary: final. Met only by running ones: it waits for them.
        waits = meeting if len(_running(meeting)) == len(meeting) else []
        return Criterion(True, "a diagnostic block gave sustained ≥50% relief"), waits
    return Criterion(False, "no diagnostic block gave sustained ≥50% relief"), _running(diagnostic)
