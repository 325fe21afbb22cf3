"""The verdicts, the settings the reading depends on, and the values it produces."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from diary.agents import DEFAULT_AGENT_WINDOWS, AgentWindow

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
DURATION_CLASSES = (SHORTER, CONSISTENT, LONGER, UNDETERMINED)

DIAGNOSTIC = "diagnostic"
THERAPEUTIC = "therapeutic"

# The two thresholds the published rules use: 80% (Medicare LCD) and 50% (2020 consensus).
LCD_THRESHOLD_PCT = 80.0
CONSENSUS_THRESHOLD_PCT = 50.0
LCD_MIN_DAYS_BETWEEN = 14


@dataclass(frozen=True)
class AnalysisSettings:
    """The clinic settings the analysis depends on (defaults of docs/verdict-rules.md)."""

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
    transcribed: bool = False  # copied by staff from a paper diary


@dataclass(frozen=True)
class Running:
    """A diary still running when it is read: what it awaits (e.g. "awaiting the 2 h
    entry") and the hours since the block at that moment."""

    awaiting: str
    elapsed_h: float


@dataclass(frozen=True)
class StillToCome:
    """Which spans of a running diary's reading have not passed yet: entries there are
    awaited, not missing. All False once the diary is final."""

    diary: bool = False
    first_hour: bool = False  # up to the onset limit
    window: bool = False  # up to the agent's expected maximum
    peak_window: bool = False  # up to the expected maximum + the peak margin


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
    transcribed: bool = False


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
    # Relief held at 50% and 80% (the two published thresholds), None when never reached.
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


def format_hours_alike(*hours: float) -> list[str]:
    """Hours said in one sentence, all to the same precision: one decimal, or two when one
    of them needs two. "at least 0.00 h (0.69 h to 0.70 h)", not "at least 0.0 h (0.69 h to
    0.7 h)". One value reads as ``format_hours`` writes it."""
    places = 2 if any(not f"{value:.2f}".endswith("0") for value in hours) else 1
    return [f"{value:.{places}f} h" for value in hours]


def threshold_not_reached(running: bool) -> str:
    """Why a response figure is absent: a diary still running has not reached the
    threshold *so far* (entries to come may), only a finished one never did."""
    if running:
        return "relief has not reached the threshold so far (the diary is still running)"
    return "relief never reached the threshold"


def format_pct(pct: float) -> str:
    return f"{pct:.1f}".removesuffix(".0") + "%"


def format_window(window: AgentWindow) -> str:
    low = f"{window.minimum_h:g}"
    high = f"{window.maximum_h:g}"
    return f"{low}–{high} h"
