"""The arithmetic of relief and the reading of one block's diary into a verdict."""

from __future__ import annotations

from datetime import datetime

from diary.agents import AgentWindow, window_for
from diary.relief.reasons import (
    ReadingContext,
    negative_reasons,
    not_enough_data,
    partial_reasons,
    peak_text,
    response_text,
    therapeutic_reasons,
    warnings,
)
from diary.relief.values import (
    CONSISTENT,
    INDETERMINATE,
    LCD_THRESHOLD_PCT,
    LONGER,
    NEGATIVE,
    NOT_DIAGNOSTIC,
    PARTIAL,
    POSITIVE,
    SHORTER,
    THERAPEUTIC,
    UNDETERMINED,
    Analysis,
    AnalysisSettings,
    BlockFacts,
    Coverage,
    DiaryPoint,
    ReliefPoint,
    Run,
    Running,
    StillToCome,
    Sustained,
)

# --- the arithmetic ---------------------------------------------------------------


def relief_pct(baseline_pain: int | None, pain: int) -> float | None:
    """Percent relief from baseline, one decimal; negative when pain exceeds baseline.

    None when there is no baseline to measure against (missing or 0).
    """
    if not baseline_pain:
        return None
    return round((baseline_pain - pain) / baseline_pain * 100, 1)


def hours_between(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 6)


def relief_series(facts: BlockFacts, entries: list[DiaryPoint]) -> list[ReliefPoint]:
    """Entries in time order with their relief; of two at the same time the later submitted wins."""
    latest_by_time: dict[datetime, DiaryPoint] = {}
    for entry in entries:
        current = latest_by_time.get(entry.recorded_at)
        if current is None or _submitted_later(entry, current):
            latest_by_time[entry.recorded_at] = entry
    points = []
    for recorded_at in sorted(latest_by_time):
        entry = latest_by_time[recorded_at]
        hours = hours_between(facts.performed_at, recorded_at)
        points.append(
            ReliefPoint(
                hours=hours,
                pain=entry.pain,
                relief_pct=relief_pct(facts.baseline_pain, entry.pain),
                reported_relief_pct=entry.reported_relief_pct,
                entry_id=entry.entry_id,
                edited=entry.edited,
                logged_late=entry.logged_late,
                before_block=hours < 0,
                transcribed=entry.transcribed,
            )
        )
    return points


def _submitted_later(entry: DiaryPoint, other: DiaryPoint) -> bool:
    if entry.submitted_at is None or other.submitted_at is None:
        return (entry.entry_id or 0) > (other.entry_id or 0)
    if entry.submitted_at == other.submitted_at:
        return (entry.entry_id or 0) > (other.entry_id or 0)
    return entry.submitted_at > other.submitted_at


def qualifying_runs(points: list[ReliefPoint], threshold_pct: float) -> list[Run]:
    """Maximal runs of consecutive points whose relief is at least ``threshold_pct``."""
    runs: list[Run] = []
    start: ReliefPoint | None = None
    previous: ReliefPoint | None = None
    for point in points:
        qualifies = point.relief_pct is not None and point.relief_pct >= threshold_pct
        if qualifies and start is None:
            start = point
        if not qualifies and start is not None:
            assert previous is not None  # start is an earlier point
            runs.append(Run(start.hours, previous.hours, open=False))
            start = None
        previous = point
    if start is not None:
        assert previous is not None
        runs.append(Run(start.hours, previous.hours, open=True))
    return runs


def sustained_relief(
    points: list[ReliefPoint], threshold_pct: float, onset_limit_h: float
) -> tuple[Sustained, list[Run]]:
    """The response at ``threshold_pct`` and the runs that started too late to be it."""
    runs = qualifying_runs(points, threshold_pct)
    onset_h = runs[0].start_h if runs else None
    response = next((run for run in runs if run.start_h <= onset_limit_h), None)
    late_runs = [run for run in runs if run.start_h > onset_limit_h]
    if response is None:
        return Sustained(threshold_pct, onset_h, None, None, 0.0, False), late_runs
    return (
        Sustained(
            threshold_pct,
            onset_h,
            response.start_h,
            response.end_h,
            response.duration_h,
            response.open,
        ),
        late_runs,
    )


def classify_duration(response: Sustained, window: AgentWindow) -> str | None:
    if response.start_h is None:
        return None
    if response.duration_h > window.maximum_h:
        return LONGER
    if response.duration_h >= window.minimum_h:
        return CONSISTENT
    return UNDETERMINED if response.open else SHORTER


def diary_coverage(
    points: list[ReliefPoint], window: AgentWindow, settings: AnalysisSettings
) -> tuple[Coverage, list[tuple[float, float]]]:
    """How well the expected window was observed, and the gaps that were too long."""
    after = [p.hours for p in points if p.hours >= 0]
    in_window = [h for h in after if h <= window.maximum_h]
    gaps = [
        (a, b) for a, b in zip(after, after[1:], strict=False) if a < window.maximum_h and b - a > 0
    ]
    longest = max((b - a for a, b in gaps), default=None)
    long_gaps = [(a, b) for a, b in gaps if b - a > settings.max_gap_h]
    first_hour = any(h <= settings.onset_limit_h for h in after)
    coverage = Coverage(
        entries_in_window=len(in_window),
        first_hour_observed=first_hour,
        longest_gap_h=round(longest, 4) if longest is not None else None,
        sufficient=first_hour and len(in_window) >= settings.min_entries_in_window,
    )
    return coverage, long_gaps


def still_to_come(running: Running | None, agent: str, settings: AnalysisSettings) -> StillToCome:
    """The spans of the reading a running diary has not passed yet (their entries are
    awaited, not missing); what the reasons' words depend on besides the entries."""
    if running is None:
        return StillToCome()
    window = window_for(agent, settings.agent_windows)
    elapsed = running.elapsed_h
    return StillToCome(
        diary=True,
        first_hour=elapsed <= settings.onset_limit_h,
        window=elapsed <= window.maximum_h,
        peak_window=elapsed <= window.maximum_h + settings.peak_margin_h,
    )


def analyse(
    facts: BlockFacts,
    entries: list[DiaryPoint],
    settings: AnalysisSettings | None = None,
    running: Running | None = None,
) -> Analysis:
    """The whole reading of one block's diary (docs/verdict-rules.md, "The verdict on one
    block"). ``running``: the diary is still running, so reasons about entries not yet
    due say what is awaited; the verdict and figures are the same either way."""
    settings = settings or AnalysisSettings()
    window = window_for(facts.agent, settings.agent_windows)
    threshold = settings.threshold_pct
    points = relief_series(facts, entries)
    after = [p for p in points if p.hours >= 0]

    response, late_runs = sustained_relief(after, threshold, settings.onset_limit_h)
    # The clinic threshold, plus 50% and 80% always, so the two rules can be read side by side.
    sustained = [
        response
        if level == threshold
        else sustained_relief(after, level, settings.onset_limit_h)[0]
        for level in sorted({settings.partial_pct, LCD_THRESHOLD_PCT, threshold})
    ]
    duration_class = classify_duration(response, window)

    peak_window_end = window.maximum_h + settings.peak_margin_h
    peak_candidates = [p for p in after if p.hours <= peak_window_end and p.relief_pct is not None]
    peak = max(peak_candidates, key=lambda p: p.relief_pct or 0.0, default=None)
    peak_pct = peak.relief_pct if peak else None

    coverage, long_gaps = diary_coverage(points, window, settings)
    context = ReadingContext(
        facts,
        settings,
        window,
        response,
        duration_class,
        peak,
        still_to_come(running, facts.agent, settings),
    )

    not_enough = not_enough_data(context, coverage)
    if facts.purpose == THERAPEUTIC:
        verdict, reasons = NOT_DIAGNOSTIC, therapeutic_reasons(context)
    elif not_enough:
        verdict, reasons = INDETERMINATE, not_enough
    elif response.start_h is not None and response.duration_h >= window.minimum_h:
        verdict, reasons = POSITIVE, [peak_text(peak), response_text(context)]
    elif peak_pct is not None and peak_pct >= settings.partial_pct:
        verdict, reasons = PARTIAL, partial_reasons(context, late_runs)
    else:
        verdict, reasons = NEGATIVE, negative_reasons(context)

    return Analysis(
        verdict=verdict,
        threshold_pct=threshold,
        peak_relief_pct=peak.relief_pct if peak else None,
        peak_at_h=peak.hours if peak else None,
        onset_h=response.onset_h,
        response_duration_h=response.duration_h,
        response_open=response.open,
        response_start_h=response.start_h,
        response_end_h=response.end_h,
        duration_class=duration_class,
        expected_window_h=(window.minimum_h, window.maximum_h),
        agent_label=facts.agent_label,
        relief=points,
        sustained=sustained,
        coverage=coverage,
        reasons=reasons,
        warnings=warnings(context, after, long_gaps, late_runs),
    )
