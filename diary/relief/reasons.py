"""The verdict's reasons and warnings, in words a physician reads at follow-up."""

from __future__ import annotations

from dataclasses import dataclass

from diary.agents import AgentWindow
from diary.relief.values import (
    CONSISTENT,
    LONGER,
    SHORTER,
    UNDETERMINED,
    AnalysisSettings,
    BlockFacts,
    Coverage,
    ReliefPoint,
    Run,
    StillToCome,
    Sustained,
    format_hours,
    format_hours_alike,
    format_pct,
    format_window,
)


@dataclass(frozen=True)
class ReadingContext:
    facts: BlockFacts
    settings: AnalysisSettings
    window: AgentWindow
    response: Sustained
    duration_class: str | None
    peak: ReliefPoint | None
    # While the diary runs, entries in a span not yet passed are awaited, not missing.
    to_come: StillToCome = StillToCome()

    @property
    def peak_pct(self) -> float | None:
        return self.peak.relief_pct if self.peak else None

    @property
    def threshold_text(self) -> str:
        return "≥" + format_pct(self.settings.threshold_pct)

    @property
    def window_text(self) -> str:
        return f"{self.facts.agent_label} (expected {format_window(self.window)})"


def not_enough_data(ctx: ReadingContext, coverage: Coverage) -> list[str]:
    reasons = []
    baseline = ctx.facts.baseline_pain
    if baseline is None:
        reasons.append("no baseline pain was recorded before the block")
    elif baseline < ctx.settings.min_baseline_pain:
        reasons.append(
            f"baseline pain {baseline}/10 is below {ctx.settings.min_baseline_pain}/10: "
            "too little pain to measure relief against"
        )
    first_hour = format_hours(ctx.settings.onset_limit_h)
    if not coverage.first_hour_observed and ctx.to_come.first_hour:
        reasons.append(
            f"awaiting an entry in the first {first_hour} after the block: "
            "the onset of relief is not observed yet"
        )
    elif not coverage.first_hour_observed:
        reasons.append(
            f"no entry in the first {first_hour} after the block: "
            "the onset of relief was not observed"
        )
    count, needed = coverage.entries_in_window, ctx.settings.min_entries_in_window
    span = f"0–{ctx.window.maximum_h:g} h of the block"
    if count < needed and ctx.to_come.window:
        reasons.append(
            f"awaiting entries up to {ctx.window.maximum_h:g} h after the block: at least "
            f"{needed} are needed within {span}, {count} so far"
        )
    elif count < needed:
        reasons.append(
            f"only {count} {'entry' if count == 1 else 'entries'} within {span}; "
            f"at least {needed} are needed"
        )
    lasted, minimum = format_hours_alike(ctx.response.duration_h, ctx.window.minimum_h)
    if ctx.duration_class == UNDETERMINED and ctx.to_come.diary:
        reasons.append(
            f"{ctx.threshold_text} relief continues at the latest entry, {lasted} so far, "
            f"less than the {minimum} minimum for {ctx.facts.agent_label}: "
            "awaiting later entries to judge its duration"
        )
    elif ctx.duration_class == UNDETERMINED:
        reasons.append(
            f"the diary ended during {ctx.threshold_text} relief after only {lasted}, "
            f"less than the {minimum} minimum for {ctx.facts.agent_label}: "
            "the duration cannot be judged"
        )
    return reasons


def peak_text(peak: ReliefPoint | None) -> str:
    if peak is None or peak.relief_pct is None:
        return "no relief could be measured"
    return f"peak relief {format_pct(peak.relief_pct)} at {format_hours(peak.hours)}"


_CLASS_TEXT = {
    CONSISTENT: "consistent with",
    LONGER: "longer than expected for",
    SHORTER: "shorter than expected for",
    UNDETERMINED: "too short to judge against",
}


def response_text(ctx: ReadingContext) -> str:
    response = ctx.response
    # Only said of a response: it has a start, an end and a duration class.
    assert response.start_h is not None and response.end_h is not None
    assert ctx.duration_class is not None
    start, end, lasted = format_hours_alike(response.start_h, response.end_h, response.duration_h)
    if response.open and ctx.to_come.diary:
        lasted = f"at least {lasted} (relief continues at the latest entry)"
    elif response.open:
        lasted = f"at least {lasted} (the diary ended during relief)"
    return (
        f"{ctx.threshold_text} relief from {start} to {end} lasted {lasted}, "
        f"{_CLASS_TEXT[ctx.duration_class]} {ctx.window_text}"
    )


def therapeutic_reasons(ctx: ReadingContext) -> list[str]:
    reasons = ["therapeutic block: relief is charted but not judged as a diagnostic response"]
    if ctx.peak is not None:
        reasons.append(peak_text(ctx.peak))
    if ctx.response.start_h is not None:
        reasons.append(response_text(ctx))
    return reasons


def partial_reasons(ctx: ReadingContext, late_runs: list[Run]) -> list[str]:
    reasons = [peak_text(ctx.peak)]
    if ctx.response.start_h is not None:
        lasted, minimum = format_hours_alike(ctx.response.duration_h, ctx.window.minimum_h)
        reasons.append(
            f"{ctx.threshold_text} relief lasted only {lasted}, "
            f"less than the {minimum} minimum for {ctx.window_text}"
        )
    elif late_runs and (ctx.peak_pct or 0.0) >= ctx.settings.threshold_pct:
        start, limit = format_hours_alike(late_runs[0].start_h, ctx.settings.onset_limit_h)
        reasons.append(
            f"{ctx.threshold_text} relief started at {start}, after the {limit} onset limit"
        )
    else:
        so_far = " so far" if ctx.to_come.peak_window else ""
        reasons.append(
            f"peak relief is below the {format_pct(ctx.settings.threshold_pct)} threshold" + so_far
        )
    return reasons


def negative_reasons(ctx: ReadingContext) -> list[str]:
    level = format_pct(ctx.settings.partial_pct)
    until = format_hours(ctx.window.maximum_h + ctx.settings.peak_margin_h)
    if ctx.to_come.peak_window:
        return [
            peak_text(ctx.peak),
            f"relief has not reached {level} so far: awaiting entries up to {until} "
            "after the block",
        ]
    return [peak_text(ctx.peak), f"relief never reached {level} within {until} of the block"]


def warnings(
    ctx: ReadingContext,
    after: list[ReliefPoint],
    long_gaps: list[tuple[float, float]],
    late_runs: list[Run],
) -> list[str]:
    warnings = []
    if ctx.facts.steroid:
        warnings.append(
            "steroid in the injectate: relief may reflect the steroid, "
            "which lowers diagnostic specificity"
        )
    if ctx.facts.sedation == "moderate":
        warnings.append("moderate sedation was given: early scores are unreliable")
    if ctx.duration_class == LONGER:
        lasted, maximum = format_hours_alike(ctx.response.duration_h, ctx.window.maximum_h)
        warnings.append(
            f"relief lasted {lasted}, longer than the {maximum} expected for "
            f"{ctx.facts.agent_label} "
            "(prolonged response: placebo, steroid effect or another cause)"
        )
    for start, end in long_gaps:
        gap, first, last = format_hours_alike(end - start, start, end)
        warnings.append(
            f"gap of {gap} between entries at {first} and {last}, inside the expected window"
        )
    for point in after:
        if point.reported_relief_pct is None or point.relief_pct is None:
            continue
        if abs(point.reported_relief_pct - point.relief_pct) > ctx.settings.disagreement_points:
            warnings.append(
                f"at {format_hours(point.hours)} the patient reported "
                f"{format_pct(point.reported_relief_pct)} relief but the pain score gives "
                f"{format_pct(point.relief_pct)}: the two measures disagree by more than "
                f"{ctx.settings.disagreement_points:g} points"
            )
    for run in late_runs:
        late_start, limit = format_hours_alike(run.start_h, ctx.settings.onset_limit_h)
        warnings.append(
            f"late relief: {ctx.threshold_text} from {late_start}, after the {limit} onset limit, "
            "is not counted as the block's effect"
        )
    return warnings
