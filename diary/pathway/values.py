"""The pathway's settings, its closed lists, and the plain values it reads and produces.

Every number pathway.md marks *default* is a field of ``PathwaySettings``; the numbers the
sources fix (50 % relief, 6 months for a repeat ablation, 3 months for a repeat
injection) are constants here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import StrEnum

from diary.relief import Analysis, BlockFacts, DiaryPoint, Running, SeriesAnalysis
from diary.vocabulary import Scoring, Side

LEFT, RIGHT, BILATERAL = Side.LEFT, Side.RIGHT, Side.BILATERAL
# A series is a side's: a bilateral block belongs to both of these.
SERIES_SIDES: tuple[str, str] = (LEFT, RIGHT)


class Technique(StrEnum):
    """Radiofrequency technique. Pulsed RF is recorded but is not an ablation."""

    CONVENTIONAL = "conventional"
    COOLED = "cooled"
    PULSED = "pulsed"


ABLATING_TECHNIQUES = frozenset({Technique.CONVENTIONAL, Technique.COOLED})


class SessionKind(StrEnum):
    """The three procedures the payer counts per region group."""

    DIAGNOSTIC = "diagnostic"
    THERAPEUTIC = "therapeutic"
    RFA = "rfa"


class RegionGroup(StrEnum):
    """The regions counted together for the frequency limits (the CPT families)."""

    CERVICAL_THORACIC = "cervical_thoracic"
    LUMBAR = "lumbar"


REGION_GROUP_LABELS = {
    RegionGroup.CERVICAL_THORACIC: "cervical/thoracic",
    RegionGroup.LUMBAR: "lumbar",
}

# --- fixed by the sources, not settings -------------------------------------------

# Relief that counts in the days after and at check-ins (LCD: "≥ 50 % relief").
RELIEF_PCT = 50.0
MAX_DAILY_DAYS = 28
# Days of relief classes: 1–6 days is short, 7 or more is weeks.
WEEKS_FROM_DAYS = 7
# LCD: a repeat ablation after ≥ 50 % relief for ≥ 6 months; a repeat therapeutic
# injection after ≥ 50 % relief for ≥ 3 months.
DURABLE_AT_MONTHS = 6
REPEAT_INJECTION_AT_MONTHS = 3
# The diary link stays open this long after the last daily slot.
DAILY_LINK_GRACE_HOURS = 24
# The follow-up link stays open this many days after the last check-in's due date.
FOLLOW_UP_LINK_DAYS = 30

# Days-of-relief classes.
NO_RELIEF = "no_relief"
SHORT = "short"
WEEKS = "weeks"
DAYS_CLASS_LABELS = {NO_RELIEF: "no relief", SHORT: "short", WEEKS: "weeks"}

# Durability of an ablation at 6 months.
DURABLE = "durable"
NOT_DURABLE = "not_durable"
UNDETERMINED = "undetermined"

# Whether a repeat therapeutic injection is supported.
YES = "yes"
NO = "no"


class NextStepCode(StrEnum):
    """pathway.md §4's next steps, in the order they are tried."""

    REPEAT_DIAGNOSTIC_BLOCKS = "repeat_diagnostic_blocks"
    REPEAT_RFA_NOT_SUPPORTED = "repeat_rfa_not_supported"
    REPEAT_RFA_ELIGIBLE = "repeat_rfa_eligible"
    FOLLOW_UP = "follow_up"
    RFA_ELIGIBLE_LCD = "rfa_eligible_lcd"
    SECOND_BLOCK_DUE = "second_block_due"
    RFA_ELIGIBLE_CONSENSUS = "rfa_eligible_consensus"
    NOT_SUPPORTED = "not_supported"
    FIRST_BLOCK = "first_block"


# The step number of each code (1–9), as pathway.md numbers them.
STEP_NUMBERS = {code: number for number, code in enumerate(NextStepCode, start=1)}


@dataclass(frozen=True)
class PathwaySettings:
    """The clinic settings of pathway.md, with its defaults.

    ``stale_rfa_rule`` and ``stale_rfa_years`` come from contractors' checklists for the
    LCD, not the coverage text, so a clinic may switch the rule off.
    """

    # How a new bilateral block is scored unless chosen otherwise on the block.
    bilateral_scoring: Scoring = Scoring.SIDES
    # One score a day after the hourly window, for this many days (0 turns it off).
    daily_days: int = 14
    rfa_checkin_months: tuple[int, ...] = (1, 3, 6, 12)
    therapeutic_checkin_months: tuple[int, ...] = (1, 3)
    checkin_opens_days_before: int = 7
    checkin_closes_days_after: int = 21
    stale_rfa_rule: bool = True
    stale_rfa_years: int = 2
    diagnostic_sessions_limit: int = 4
    therapeutic_sessions_limit: int = 4
    rfa_sessions_limit: int = 2

    def __post_init__(self) -> None:
        if not 0 <= self.daily_days <= MAX_DAILY_DAYS:
            raise ValueError(f"daily_days must be 0–{MAX_DAILY_DAYS}, not {self.daily_days}")
        for name in ("rfa_checkin_months", "therapeutic_checkin_months"):
            months = getattr(self, name)
            if not months or any(m < 1 for m in months) or list(months) != sorted(set(months)):
                raise ValueError(f"{name} must be whole months ≥ 1 in ascending order")
        for name in (
            "checkin_opens_days_before",
            "checkin_closes_days_after",
            "diagnostic_sessions_limit",
            "therapeutic_sessions_limit",
            "rfa_sessions_limit",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.stale_rfa_years < 1:
            raise ValueError("stale_rfa_years must be at least 1")

    def sessions_limit(self, kind: SessionKind) -> int:
        return {
            SessionKind.DIAGNOSTIC: self.diagnostic_sessions_limit,
            SessionKind.THERAPEUTIC: self.therapeutic_sessions_limit,
            SessionKind.RFA: self.rfa_sessions_limit,
        }[kind]


# --- what goes in -------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One diary entry: ``pain`` when scored as one, ``pain_left``/``pain_right`` when the
    block is scored apart (0–10 each). The other fields are relief's ``DiaryPoint``'s."""

    recorded_at: datetime
    pain: int | None = None
    pain_left: int | None = None
    pain_right: int | None = None
    submitted_at: datetime | None = None
    reported_relief_pct: int | None = None
    entry_id: int | None = None
    edited: bool = False
    logged_late: bool = False
    transcribed: bool = False

    def point(self, side: str | None) -> DiaryPoint | None:
        """The entry as relief reads it for ``side`` (None: the one pain); None without
        a score for it."""
        pain = self.pain_for(side)
        if pain is None:
            return None
        return DiaryPoint(
            recorded_at=self.recorded_at,
            pain=pain,
            submitted_at=self.submitted_at,
            reported_relief_pct=self.reported_relief_pct,
            entry_id=self.entry_id,
            edited=self.edited,
            logged_late=self.logged_late,
            transcribed=self.transcribed,
        )

    def pain_for(self, side: str | None) -> int | None:
        return _by_side(side, self.pain, self.pain_left, self.pain_right)


def _by_side(side: str | None, one: int | None, left: int | None, right: int | None) -> int | None:
    if side is None:
        return one
    return {LEFT: left, RIGHT: right}[Side(side)]


@dataclass(frozen=True)
class Checkin:
    """A follow-up check-in as made.

    ``months``: the scheduled check-in it answers (1, 3, 6, 12…), None when unscheduled.
    ``made_on``: the day it was made in the clinic's zone (an unscheduled one is dated so).
    ``pain`` (scored as one) or ``pain_left``/``pain_right`` (apart): average pain over
    the past week, 0–10.
    """

    made_on: date
    months: int | None = None
    pain: int | None = None
    pain_left: int | None = None
    pain_right: int | None = None
    submitted_at: datetime | None = None
    reported_relief_pct: int | None = None
    pgic: int | None = None
    new_treatment: bool | None = None
    checkin_id: int | None = None
    transcribed: bool = False

    def pain_for(self, side: str | None) -> int | None:
        return _by_side(side, self.pain, self.pain_left, self.pain_right)


@dataclass(frozen=True)
class Block:
    """A medial branch block as the pathway reads it.

    ``facts`` are relief's (time, purpose, agent…); its ``baseline_pain`` is the one
    baseline, None when a bilateral block is scored apart, which then has
    ``baseline_pain_left`` and ``baseline_pain_right``. ``levels``: the facet joints
    ("L4-L5"). ``checkins``: a therapeutic block's follow-up.
    """

    block_id: int
    facts: BlockFacts
    region: str
    levels: tuple[str, ...]
    side: str
    scoring: Scoring = Scoring.ONE
    baseline_pain_left: int | None = None
    baseline_pain_right: int | None = None
    entries: tuple[Entry, ...] = ()
    checkins: tuple[Checkin, ...] = ()
    # The diary still runs when read: its verdicts, and the advice they lead to, are
    # provisional.
    running: Running | None = None

    @property
    def performed_at(self) -> datetime:
        return self.facts.performed_at

    @property
    def purpose(self) -> str:
        return self.facts.purpose

    @property
    def baseline_pain(self) -> int | None:
        return self.facts.baseline_pain


@dataclass(frozen=True)
class Ablation:
    """A radiofrequency procedure: conventional or cooled ablation, or pulsed RF (recorded,
    but not an ablation for the rules)."""

    ablation_id: int
    performed_at: datetime
    region: str
    levels: tuple[str, ...]
    side: str
    technique: Technique
    baseline_pain: int | None = None
    scoring: Scoring = Scoring.ONE
    baseline_pain_left: int | None = None
    baseline_pain_right: int | None = None
    checkins: tuple[Checkin, ...] = ()

    @property
    def ablates(self) -> bool:
        return self.technique in ABLATING_TECHNIQUES


# --- what comes out: sides (§1) -------------------------------------------------------


@dataclass(frozen=True)
class SeriesKey:
    """A series: one side (left or right) at a region and set of levels (head to tail)."""

    region: str
    side: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class DailyScore:
    """The score of one day after the block: the last entry answering that day's slot."""

    day: int
    due_at: datetime
    pain: int | None
    relief_pct: float | None
    entry_id: int | None = None


@dataclass(frozen=True)
class DaysOfRelief:
    """``Ddays``: consecutive days from day 1 with ≥ 50 % relief (one missing day bridged).

    ``open``: the last daily score made still gives ≥ 50 %, so ``days`` is a lower bound.
    """

    days: int
    open: bool
    relief_class: str
    bridged_days: tuple[int, ...]
    scores: tuple[DailyScore, ...]

    @property
    def text(self) -> str:
        unit = "day" if self.days == 1 else "days"
        return f"at least {self.days} {unit}" if self.open else f"{self.days} {unit}"

    def to_dict(self) -> dict:
        """The API's and the CSV's form: ``{"days", "open", "class"}``."""
        return {"days": self.days, "open": self.open, "class": self.relief_class}


@dataclass(frozen=True)
class SideReading:
    """One reading of a block: the diary read by criteria.md with one baseline and one
    score per entry, and the days of relief. ``sides``: the series sides it counts for
    (its side; both for a bilateral block scored as one)."""

    sides: tuple[str, ...]
    scored_side: str | None  # the side whose scores were read; None: the one pain
    analysis: Analysis
    days_of_relief: DaysOfRelief | None


# After each verdict (or outcome) a running diary may still change.
PROVISIONAL = "(provisional)"


def each_side(texts: Iterable[tuple[str, str]], provisional: bool = False) -> str:
    """Both sides' verdicts (or outcomes) together, each marked while the diary still runs
    (one diary: both sides are provisional until it ends): "Left: positive (provisional) ·
    Right: negative (provisional)"."""
    mark = f" {PROVISIONAL}" if provisional else ""
    return " · ".join(f"{side.capitalize()}: {text}{mark}" for side, text in texts)


@dataclass(frozen=True)
class BlockReading:
    block_id: int
    scored_apart: bool
    readings: tuple[SideReading, ...]

    def for_side(self, side: str) -> SideReading | None:
        """The reading that counts for the ``side`` series (left or right)."""
        return next((r for r in self.readings if side in r.sides), None)

    @property
    def verdict_text(self) -> str:
        """ "Left: positive · Right: negative" when scored apart, else "positive"."""
        return self.verdicts_text()

    def verdicts_text(self, provisional: bool = False) -> str:
        """``verdict_text``, each verdict marked "(provisional)" while the diary runs."""
        if not self.scored_apart:
            verdict = self.readings[0].analysis.verdict.replace("_", " ")
            return f"{verdict} {PROVISIONAL}" if provisional else verdict
        return each_side(
            ((r.scored_side or "", r.analysis.verdict.replace("_", " ")) for r in self.readings),
            provisional,
        )


@dataclass(frozen=True)
class SideSeries:
    """A side's series with relief's pair status and ablation criteria over its blocks."""

    key: SeriesKey
    block_ids: tuple[int, ...]
    analysis: SeriesAnalysis


# --- what comes out: follow-up (§3) -----------------------------------------------------


@dataclass(frozen=True)
class ScheduledCheckin:
    """A check-in due ``months`` after the procedure, open ``opens_on``–``closes_on``
    (days in the clinic's zone, both included)."""

    months: int
    due_on: date
    opens_on: date
    closes_on: date

    def accepts(self, day: date) -> bool:
        return self.opens_on <= day <= self.closes_on


@dataclass(frozen=True)
class CheckinRelief:
    """A counted check-in with its relief; ``dated_on`` is the due date of a scheduled
    check-in, the day made of an unscheduled one."""

    months: int | None
    dated_on: date
    made_on: date
    pain: int | None
    relief_pct: float | None
    checkin_id: int | None = None

    @property
    def label(self) -> str:
        if self.months is None:
            return f"an unscheduled check-in on {self.dated_on.isoformat()}"
        return f"{self.months} month{'' if self.months == 1 else 's'}"


@dataclass(frozen=True)
class Outcome:
    """A yes/no/undetermined judgement with its reason in words (durability, repeat)."""

    status: str
    reason: str


@dataclass(frozen=True)
class ReliefLasted:
    """Months of the unbroken run of scheduled check-ins with ≥ 50 % relief; ``open``
    when no check-in was made after the run's last. 0 months: the first check-in (due
    ``first_months`` after the procedure) did not show it."""

    months: int
    open: bool
    first_months: int = 1

    @property
    def text(self) -> str:
        if self.months == 0:
            # Relief did not reach the first check-in: "0 months" reads as a figure
            # measured, where it is only "shorter than the time to the first check-in".
            first = "a month" if self.first_months == 1 else f"{self.first_months} months"
            return f"less than {first}"
        unit = "month" if self.months == 1 else "months"
        return f"at least {self.months} {unit}" if self.open else f"{self.months} {unit}"


@dataclass(frozen=True)
class SideOutcome:
    """A procedure's follow-up read for the sides it counts for."""

    sides: tuple[str, ...]
    scored_side: str | None
    reliefs: tuple[CheckinRelief, ...]
    # Ablations only (None for pulsed RF and therapeutic blocks).
    durability: Outcome | None
    relief_lasted: ReliefLasted | None
    # Therapeutic blocks only: whether a repeat therapeutic injection is supported.
    repeat_injection: Outcome | None


@dataclass(frozen=True)
class FollowUp:
    schedule: tuple[ScheduledCheckin, ...]
    outcomes: tuple[SideOutcome, ...]
    next_checkin: ScheduledCheckin | None
    overdue: tuple[ScheduledCheckin, ...]
    link_expires_at: datetime

    def for_side(self, side: str) -> SideOutcome | None:
        return next((o for o in self.outcomes if side in o.sides), None)


# --- what comes out: limits and the next step (§4) --------------------------------------


@dataclass(frozen=True)
class Session:
    """One procedure date of one kind at one region group (in the clinic's zone)."""

    kind: SessionKind
    region_group: RegionGroup
    on: date


@dataclass(frozen=True)
class LimitCheck:
    """Sessions of ``kind`` at ``region_group`` in the rolling 12 months ending ``on``."""

    kind: SessionKind
    region_group: RegionGroup
    on: date
    count: int
    limit: int
    reached: bool
    # The first date another session fits (``on`` itself when the limit is not reached);
    # None when the limit is 0.
    next_possible: date | None
    # The oldest session counted.
    since: date | None
    reason: str

    def to_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "count": self.count,
            "reached": self.reached,
            "next_possible": self.next_possible,
        }


@dataclass(frozen=True)
class NextStep:
    """The advice for one series on the day asked."""

    series: SeriesKey
    code: NextStepCode
    from_date: date | None
    reason: str
    # For a step that means another procedure (1, 3, 5, 6, 7, 9).
    limit: LimitCheck | None = None
    # For follow_up: the next check-in, None when the follow-up is complete.
    next_checkin: ScheduledCheckin | None = None
    notes: tuple[str, ...] = field(default=())
    # The advice rests on a diagnostic block whose diary still runs.
    provisional: bool = False

    @property
    def step(self) -> int:
        return STEP_NUMBERS[self.code]

    def to_dict(self) -> dict:
        """``region``, ``side``, ``levels``, ``code``, ``from_date``, ``reason``, ``limit``."""
        value = asdict(self.series)
        value["levels"] = list(self.series.levels)
        value |= {
            "code": str(self.code),
            "from_date": self.from_date,
            "reason": self.reason,
            "provisional": self.provisional,
            "limit": self.limit.to_dict() if self.limit else None,
        }
        return value
