"""Relief arithmetic and the diagnostic verdict of a medial branch block diary.

Flask-free: plain values in, plain values out. The rules are those of
../shared/clinical/criteria.md; the section names below follow that file.

Duration rule (conservative): relief at a threshold is counted only between
entries that both reach it. A run of consecutive qualifying entries lasts from
its first entry to its last; it ends at the first entry below the threshold,
and the time between the last qualifying entry and that entry is not counted.
A run that reaches the diary's last entry is *open*: its duration is a lower
bound, because the diary stopped while relief continued.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

from diary.agents import DEFAULT_AGENT_WINDOWS, AgentWindow, window_for

POSITIVE = "positive"
PARTIAL = "partial"
NEGATIVE = "negative"
INDETERMINATE = "indeterminate"
NOT_DIAGNOSTIC = "not_diagnostic"
VERDICTS = (POSITIVE, PARTIAL, NEGATIVE, INDETERMINATE, NOT_DIAGNOSTIC)
VERDICT_LABELS = {
    POSITIVE: "Positive",
    PARTIAL: "Partial",
    NEGATIVE: "Negative",
    INDETERMINATE: "Indeterminate",
    NOT_DIAGNOSTIC: "Not diagnostic (therapeutic)",
}

SHORTER = "shorter"
CONSISTENT = "consistent"
LONGER = "longer"
UNDETERMINED = "undetermined"

DIAGNOSTIC = "diagnostic"
THERAPEUTIC = "therapeutic"


@dataclass(frozen=True)
class AnalysisSettings:
    """The clinic settings the analysis depends on (defaults from criteria.md)."""

    threshold_pct: float = 80.0
    partial_pct: float = 50.0
    onset_limit_h: float = 1.0
    min_baseline_pain: int = 4
    min_entries_in_window: int = 3
    max_gap_h: float = 2.0
    disagreement_points: float = 30.0
    # Relief this long after the expected maximum is not the block's.
    peak_margin_h: float = 2.0
    agent_windows: dict[str, AgentWindow] = field(
        default_factory=lambda: dict(DEFAULT_AGENT_WINDOWS)
    )


@dataclass(frozen=True)
class BlockFacts:
    """What the analysis needs to know about the procedure."""

    performed_at: datetime
    baseline_pain: int | None
    purpose: str
    agent: str
    agent_label: str
    steroid: bool = False
    sedation: str = "none"


@dataclass(frozen=True)
class DiaryPoint:
    """One diary entry as recorded (``pain`` 0–10; ``reported_relief_pct`` 0–100)."""

    recorded_at: datetime
    pain: int
    submitted_at: datetime | None = None
    reported_relief_pct: int | None = None
    entry_id: int | None = None
    edited: bool = False
    logged_late: bool = False


@dataclass(frozen=True)
class ReliefPoint:
    """An entry placed on the block's clock, with its relief from baseline."""

    hours: float
    pain: int
    relief_pct: float | None
    reported_relief_pct: int | None = None
    entry_id: int | None = None
    edited: bool = False
    logged_late: bool = False
    before_block: bool = False


@dataclass(frozen=True)
class Run:
    """Consecutive entries that all reach a threshold."""

    start_h: float
    end_h: float
    open: bool

    @property
    def duration_h(self) -> float:
        return round(self.end_h - self.start_h, 4)


@dataclass(frozen=True)
class Sustained:
    """The response at one threshold: the first run that starts by the onset limit."""

    threshold_pct: float
    onset_h: float | None
    start_h: float | None
    end_h: float | None
    duration_h: float
    open: bool


@dataclass(frozen=True)
class Coverage:
    entries_in_window: int
    first_hour_observed: bool
    longest_gap_h: float | None
    sufficient: bool


@dataclass(frozen=True)
class Analysis:
    verdict: str
    threshold_pct: float
    peak_relief_pct: float | None
    peak_at_h: float | None
    onset_h: float | None
    response_duration_h: float
    response_open: bool
    response_start_h: float | None
    response_end_h: float | None
    duration_class: str | None
    expected_window_h: tuple[float, float]
    agent_label: str
    relief: list[ReliefPoint]
    sustained: list[Sustained]
    coverage: Coverage
    reasons: list[str]
    warnings: list[str]

    def sustained_at(self, threshold_pct: float) -> Sustained | None:
        return next((s for s in self.sustained if s.threshold_pct == threshold_pct), None)

    def to_dict(self) -> dict:
        """JSON-ready form; the field names are the API's and the CSV's."""
        value = asdict(self)
        value["expected_window_h"] = list(self.expected_window_h)
        return value


@dataclass(frozen=True)
class Held:
    """How long relief at one level lasted; ``open`` when the diary ended during it."""

    duration_h: float
    open: bool


@dataclass(frozen=True)
class BlockSummary:
    """The figures lists and exports show of an analysis: small enough to store with the
    block, so that a page of blocks or a clinic-wide export need not read every diary."""

    verdict: str
    threshold_pct: float
    peak_relief_pct: float | None
    peak_at_h: float | None
    onset_h: float | None
    # None when relief never reached the threshold.
    response_duration_h: float | None
    response_open: bool | None
    duration_class: str | None
    agent_label: str
    entry_count: int
    warnings: list[str]
    # Relief held at 50% and 80% (the figures criteria.md names), None when never reached.
    held_50: Held | None
    held_80: Held | None

    @classmethod
    def of(cls, analysis: Analysis, entry_count: int) -> BlockSummary:
        responded = analysis.response_start_h is not None

        def held(level: float) -> Held | None:
            sustained = analysis.sustained_at(level)
            if sustained is None or sustained.start_h is None:
                return None
            return Held(sustained.duration_h, sustained.open)

        return cls(
            verdict=analysis.verdict,
            threshold_pct=analysis.threshold_pct,
            peak_relief_pct=analysis.peak_relief_pct,
            peak_at_h=analysis.peak_at_h,
            onset_h=analysis.onset_h,
            response_duration_h=analysis.response_duration_h if responded else None,
            response_open=analysis.response_open if responded else None,
            duration_class=analysis.duration_class,
            agent_label=analysis.agent_label,
            entry_count=entry_count,
            warnings=list(analysis.warnings),
            held_50=held(50.0),
            held_80=held(80.0),
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, value: dict) -> BlockSummary:
        held = {k: Held(**value[k]) if value[k] else None for k in ("held_50", "held_80")}
        return cls(**(value | held))


# --- formatting used in reasons -------------------------------------------------


def format_hours(hours: float) -> str:
    text = f"{hours:.2f}".rstrip("0")
    return (text + "0" if text.endswith(".") else text) + " h"


def format_pct(pct: float) -> str:
    return f"{pct:.1f}".removesuffix(".0") + "%"


def format_window(window: AgentWindow) -> str:
    low = f"{window.minimum_h:g}"
    high = f"{window.maximum_h:g}"
    return f"{low}–{high} h"


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
            runs.append(Run(start.hours, previous.hours, open=False))
            start = None
        previous = point
    if start is not None:
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


def analyse(
    facts: BlockFacts, entries: list[DiaryPoint], settings: AnalysisSettings | None = None
) -> Analysis:
    """The whole reading of one block's diary (criteria.md, "The verdict")."""
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
    peak = max(peak_candidates, key=lambda p: p.relief_pct, default=None)

    coverage, long_gaps = diary_coverage(points, window, settings)
    context = _Context(facts, settings, window, response, duration_class, peak)

    not_enough = _not_enough_data(context, coverage)
    if facts.purpose == THERAPEUTIC:
        verdict, reasons = NOT_DIAGNOSTIC, _therapeutic_reasons(context)
    elif not_enough:
        verdict, reasons = INDETERMINATE, not_enough
    elif response.start_h is not None and response.duration_h >= window.minimum_h:
        verdict, reasons = POSITIVE, [_peak_text(peak), _response_text(context)]
    elif peak is not None and peak.relief_pct >= settings.partial_pct:
        verdict, reasons = PARTIAL, _partial_reasons(context, late_runs)
    else:
        verdict, reasons = NEGATIVE, _negative_reasons(context)

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
        warnings=_warnings(context, after, long_gaps, late_runs),
    )


@dataclass(frozen=True)
class _Context:
    facts: BlockFacts
    settings: AnalysisSettings
    window: AgentWindow
    response: Sustained
    duration_class: str | None
    peak: ReliefPoint | None

    @property
    def threshold_text(self) -> str:
        return "≥" + format_pct(self.settings.threshold_pct)

    @property
    def window_text(self) -> str:
        return f"{self.facts.agent_label} (expected {format_window(self.window)})"


def _not_enough_data(ctx: _Context, coverage: Coverage) -> list[str]:
    reasons = []
    baseline = ctx.facts.baseline_pain
    if baseline is None:
        reasons.append("no baseline pain was recorded before the block")
    elif baseline < ctx.settings.min_baseline_pain:
        reasons.append(
            f"baseline pain {baseline}/10 is below {ctx.settings.min_baseline_pain}/10: "
            "too little pain to measure relief against"
        )
    if not coverage.first_hour_observed:
        reasons.append(
            f"no entry in the first {format_hours(ctx.settings.onset_limit_h)} after the block: "
            "the onset of relief was not observed"
        )
    if coverage.entries_in_window < ctx.settings.min_entries_in_window:
        reasons.append(
            f"only {coverage.entries_in_window} "
            f"{'entry' if coverage.entries_in_window == 1 else 'entries'} within "
            f"0–{ctx.window.maximum_h:g} h of the block; at least "
            f"{ctx.settings.min_entries_in_window} are needed"
        )
    if ctx.duration_class == UNDETERMINED:
        reasons.append(
            f"the diary ended during {ctx.threshold_text} relief after only "
            f"{format_hours(ctx.response.duration_h)}, less than the "
            f"{format_hours(ctx.window.minimum_h)} minimum for {ctx.facts.agent_label}: "
            "the duration cannot be judged"
        )
    return reasons


def _peak_text(peak: ReliefPoint | None) -> str:
    if peak is None:
        return "no relief could be measured"
    return f"peak relief {format_pct(peak.relief_pct)} at {format_hours(peak.hours)}"


_CLASS_TEXT = {
    CONSISTENT: "consistent with",
    LONGER: "longer than expected for",
    SHORTER: "shorter than expected for",
    UNDETERMINED: "too short to judge against",
}


def _response_text(ctx: _Context) -> str:
    response = ctx.response
    lasted = format_hours(response.duration_h)
    if response.open:
        lasted = f"at least {lasted} (the diary ended during relief)"
    return (
        f"{ctx.threshold_text} relief from {format_hours(response.start_h)} to "
        f"{format_hours(response.end_h)} lasted {lasted}, "
        f"{_CLASS_TEXT[ctx.duration_class]} {ctx.window_text}"
    )


def _therapeutic_reasons(ctx: _Context) -> list[str]:
    reasons = ["therapeutic block: relief is charted but not judged as a diagnostic response"]
    if ctx.peak is not None:
        reasons.append(_peak_text(ctx.peak))
    if ctx.response.start_h is not None:
        reasons.append(_response_text(ctx))
    return reasons


def _partial_reasons(ctx: _Context, late_runs: list[Run]) -> list[str]:
    reasons = [_peak_text(ctx.peak)]
    if ctx.response.start_h is not None:
        reasons.append(
            f"{ctx.threshold_text} relief lasted only {format_hours(ctx.response.duration_h)}, "
            f"less than the {format_hours(ctx.window.minimum_h)} minimum for {ctx.window_text}"
        )
    elif late_runs and ctx.peak.relief_pct >= ctx.settings.threshold_pct:
        reasons.append(
            f"{ctx.threshold_text} relief started at {format_hours(late_runs[0].start_h)}, "
            f"after the {format_hours(ctx.settings.onset_limit_h)} onset limit"
        )
    else:
        reasons.append(
            f"peak relief is below the {format_pct(ctx.settings.threshold_pct)} threshold"
        )
    return reasons


def _negative_reasons(ctx: _Context) -> list[str]:
    return [
        _peak_text(ctx.peak),
        f"relief never reached {format_pct(ctx.settings.partial_pct)} within "
        f"{format_hours(ctx.window.maximum_h + ctx.settings.peak_margin_h)} of the block",
    ]


def _warnings(
    ctx: _Context,
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
        warnings.append(
            f"relief lasted {format_hours(ctx.response.duration_h)}, longer than the "
            f"{format_hours(ctx.window.maximum_h)} expected for {ctx.facts.agent_label} "
            "(prolonged response: placebo, steroid effect or another cause)"
        )
    for start, end in long_gaps:
        warnings.append(
            f"gap of {format_hours(end - start)} between entries at {format_hours(start)} "
            f"and {format_hours(end)}, inside the expected window"
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
        warnings.append(
            f"late relief: {ctx.threshold_text} from {format_hours(run.start_h)}, after the "
            f"{format_hours(ctx.settings.onset_limit_h)} onset limit, is not counted as the "
            "block's effect"
        )
    return warnings


# --- a series of blocks (criteria.md, "A series of blocks") ----------------------

CONCORDANT = "concordant"
DISCORDANT = "discordant"
CONFIRMED = "confirmed"
NOT_CONFIRMED = "not_confirmed"
SINGLE = "single"

LCD_THRESHOLD_PCT = 80.0
CONSENSUS_THRESHOLD_PCT = 50.0
LCD_MIN_DAYS_BETWEEN = 14


@dataclass(frozen=True)
class SeriesBlock:
    block_id: int
    facts: BlockFacts
    entries: list[DiaryPoint]


@dataclass(frozen=True)
class Criterion:
    met: bool
    reason: str


@dataclass(frozen=True)
class SeriesAnalysis:
    pair_status: str | None
    pair_reason: str
    compared_block_ids: list[int]
    ablation_criteria: dict[str, Criterion]
    analyses: dict[int, Analysis]

    def to_dict(self) -> dict:
        return {
            "pair_status": self.pair_status,
            "pair_reason": self.pair_reason,
            "compared_block_ids": self.compared_block_ids,
            "ablation_criteria": {k: asdict(v) for k, v in self.ablation_criteria.items()},
            "blocks": [
                {"block_id": block_id, "analysis": analysis.to_dict()}
                for block_id, analysis in self.analyses.items()
            ],
        }


def analyse_series(
    blocks: list[SeriesBlock], settings: AnalysisSettings | None = None
) -> SeriesAnalysis:
    """Pair status and radiofrequency-ablation criteria for one patient's series."""
    settings = settings or AnalysisSettings()
    ordered = sorted(blocks, key=lambda b: b.facts.performed_at)
    analyses = {b.block_id: analyse(b.facts, b.entries, settings) for b in ordered}
    diagnostic = [b for b in ordered if b.facts.purpose == DIAGNOSTIC]
    last_two = diagnostic[-2:]
    pair_status, pair_reason = _pair_status(last_two, analyses, settings)
    return SeriesAnalysis(
        pair_status=pair_status,
        pair_reason=pair_reason,
        compared_block_ids=[b.block_id for b in last_two],
        ablation_criteria={
            "lcd": _lcd_criterion(last_two, settings),
            "consensus_2020": _consensus_criterion(diagnostic, settings),
        },
        analyses=analyses,
    )


def _pair_status(
    last_two: list[SeriesBlock], analyses: dict[int, Analysis], settings: AnalysisSettings
) -> tuple[str | None, str]:
    if not last_two:
        return None, "no diagnostic block in this series yet"
    if len(last_two) == 1:
        return SINGLE, "only one diagnostic block so far"
    first, second = last_two
    a1, a2 = analyses[first.block_id], analyses[second.block_id]
    if a1.verdict != POSITIVE or a2.verdict != POSITIVE:
        return NOT_CONFIRMED, (
            f"the two most recent diagnostic blocks were {a1.verdict} and {a2.verdict}; "
            "both must be positive"
        )
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


def _lcd_criterion(last_two: list[SeriesBlock], settings: AnalysisSettings) -> Criterion:
    if len(last_two) < 2:
        return Criterion(
            False, f"two diagnostic blocks are needed; this series has {len(last_two)}"
        )
    at_lcd = replace(settings, threshold_pct=LCD_THRESHOLD_PCT)
    failures = []
    for ordinal, block in zip(("first", "second"), last_two, strict=True):
        analysis = analyse(block.facts, block.entries, at_lcd)
        if analysis.verdict != POSITIVE:
            failures.append(f"the {ordinal} block is {analysis.verdict} at ≥80% relief")
        elif analysis.duration_class != CONSISTENT:
            failures.append(
                f"the {ordinal} block's relief was {analysis.duration_class} than expected for "
                f"{block.facts.agent_label}, not consistent with the agent"
            )
    days = (last_two[1].facts.performed_at - last_two[0].facts.performed_at).total_seconds() / 86400
    if days < LCD_MIN_DAYS_BETWEEN:
        failures.append(
            f"the second block was {days:.0f} days after the first; at least "
            f"{LCD_MIN_DAYS_BETWEEN} are required"
        )
    if failures:
        return Criterion(False, "; ".join(failures))
    return Criterion(
        True,
        "two diagnostic blocks, each with ≥80% relief lasting as long as the agent "
        f"explains, {days:.0f} days apart",
    )


def _consensus_criterion(diagnostic: list[SeriesBlock], settings: AnalysisSettings) -> Criterion:
    if not diagnostic:
        return Criterion(False, "no diagnostic block in this series")
    at_consensus = replace(settings, threshold_pct=CONSENSUS_THRESHOLD_PCT)
    for block in diagnostic:
        if analyse(block.facts, block.entries, at_consensus).verdict == POSITIVE:
            return Criterion(True, "a diagnostic block gave sustained ≥50% relief")
    return Criterion(False, "no diagnostic block gave sustained ≥50% relief")
