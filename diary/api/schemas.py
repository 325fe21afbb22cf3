"""The API's bodies and answers as pydantic models: the one description of each field.

Requests are validated by these models (strict JSON types, unknown fields refused,
date-times with their UTC offset); answers are shaped by them; the OpenAPI document's
components are generated from them (diary/api/spec.py).
"""

from __future__ import annotations

import dataclasses
import re
from copy import copy
from datetime import date, datetime
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    create_model,
    model_validator,
)

from diary import anatomy, pathway, relief
from diary.agents import CONCENTRATIONS, OTHER
from diary.pathway.values import MAX_DAILY_DAYS, Technique
from diary.services.settings import SETTING_LIMITS, THRESHOLDS, WINDOW_HOURS
from diary.vocabulary import (
    PLAUSIBLE_YEARS,
    Agent,
    EntrySource,
    Language,
    Purpose,
    Region,
    Scoring,
    Sedation,
    Sequence,
    Side,
    SideEffect,
)

MAX_ID = 2**31 - 1


def _plausible_year(value: Any) -> Any:
    low, high = PLAUSIBLE_YEARS
    if not low <= value.year <= high:
        raise ValueError(f"must be a date between {low} and {high}")
    return value


def _seconds(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# An ISO 8601 date-time that states its UTC offset, e.g. 2026-11-24T09:30:00+00:00.
# The document says what the check takes: a year from 1900 to 2200 (the pattern), with
# its offset (the format).
InputMoment = Annotated[
    AwareDatetime,
    AfterValidator(_plausible_year),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"^(19\d\d|2[01]\d\d|2200)-",
            "description": "ISO 8601 with its UTC offset; a year from 1900 to 2200",
        }
    ),
]
Moment = Annotated[
    datetime,
    PlainSerializer(_seconds, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Hours = float
Percent = float

# Text a person typed holds no C0 control character but tab and line feed: they break the
# files exports make (an xlsx, a FHIR string) and PostgreSQL stores no NUL. The document
# states the rule as each field's pattern, and the same pattern is checked.
PRINTABLE = r"^[^\x00-\x08\x0b-\x1f]*$"
# ... and with something besides spaces.
NOT_BLANK = r"^[^\x00-\x08\x0b-\x1f]*[^\s\x00-\x1f][^\x00-\x08\x0b-\x1f]*$"
# An identifier system is a URI the clinic owns (spaces around it are dropped; empty
# clears it).
MRN_SYSTEM = r"^[ \t\n]*((https?://|urn:oid:|urn:uuid:)[^\x00-\x08\x0b-\x1f]*)?$"


def typed(max_length: int, pattern: str = PRINTABLE, min_length: int | None = None) -> Any:
    """The rules of typed text (see PRINTABLE): ``Annotated[str, typed(200)]``."""
    return Field(max_length=max_length, min_length=min_length, pattern=pattern)


Text = Annotated[str, typed(200)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


def unchanged(**constraints: Any) -> Any:
    """A field that may be left out (and then keeps its value) but not sent as null."""
    return Field(None, **constraints)


def _limited(name: str) -> Any:
    """An optional setting within the service's own range."""
    low, high = SETTING_LIMITS[name]
    return unchanged(ge=low, le=high)


def changes_of(model: type[Input], name: str, leave_out: frozenset[str] = frozenset()) -> Any:
    """``model`` with every field optional, for PATCH: a field left out keeps its value,
    a null is refused unless the field itself may be null."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name in leave_out:
            continue
        optional = copy(info)
        optional.default, optional.default_factory = None, None
        fields[field_name] = (info.annotation, optional)
    return create_model(name, __base__=Input, __doc__=f"Changes to a {model.__name__}.", **fields)


# --- requests ----------------------------------------------------------------------


class PatientInput(Input):
    display_name: Annotated[str, typed(100, NOT_BLANK, min_length=1)]
    mrn: Annotated[str, typed(64)] | None = None
    birth_year: int | None = Field(None, ge=1900, le=2100)


# Every facet joint level of every region (which region's, the document says per region).
Level = Literal[tuple(level for levels in anatomy.LEVELS.values() for level in levels)]  # type: ignore[valid-type]


def block_rules() -> list[dict]:
    """What services/blocks.consistent_levels refuses, as JSON Schema (each region's
    levels, each agent's concentrations, a name for an "other" agent), so that data the
    document calls valid is never refused. Written as one ``anyOf`` per rule: generators
    such as schemathesis's read it where they give up on ``if``/``then``."""
    by_region = [
        {"properties": {"region": {"const": region}, "levels": {"items": {"enum": list(levels)}}}}
        for region, levels in anatomy.LEVELS.items()
    ]
    by_agent = []
    for agent, concentrations in CONCENTRATIONS.items():
        field, rule = (
            ("agent_other", {"type": "string", "pattern": NOT_BLANK})
            if agent == OTHER
            else ("concentration", {"enum": list(concentrations)})
        )
        by_agent.append(
            {"properties": {"agent": {"const": agent}, field: rule}, "required": [field]}
        )
    return [{"anyOf": by_region}, {"anyOf": by_agent}]


class BlockFields(Input):
    performed_at: InputMoment
    region: Region
    levels: list[Level] = Field(min_length=1, max_length=10)  # type: ignore[valid-type]
    side: Side
    purpose: Purpose
    sequence: Sequence
    agent: Agent
    concentration: Annotated[str, typed(10)] | None = None
    agent_other: Annotated[str, typed(100)] | None = None
    volume_ml_per_level: float = Field(ge=0.1, le=5)
    steroid: bool = False
    sedation: Sedation = Sedation.NONE
    baseline_pain: int | None = Field(
        None,
        ge=0,
        le=10,
        description="Pain 0-10 before the block; for a block scored as one (required then)",
    )
    activities: list[Text] = Field(default_factory=list, max_length=20)
    scoring: Scoring | None = Field(
        None,
        description="How a bilateral block is scored: sides (left and right apart, each with "
        "its baseline and its own verdict) or one (one pain). Left out: sides for a bilateral "
        "block given baseline_pain_left and baseline_pain_right or no baseline_pain, else one",
    )
    baseline_pain_left: int | None = Field(
        None, ge=0, le=10, description="Left side's pain 0-10 before the block (scored apart)"
    )
    baseline_pain_right: int | None = Field(
        None, ge=0, le=10, description="Right side's pain 0-10 before the block (scored apart)"
    )


class BlockInput(BlockFields):
    # What the service checks across fields, stated in the document: each region's
    # levels, each agent's concentrations, and a name for an "other" agent.
    model_config = ConfigDict(json_schema_extra={"allOf": block_rules()})  # type: ignore[dict-item]
    patient_id: int = Field(ge=1, le=MAX_ID)


BlockChanges = changes_of(BlockFields, "BlockChanges")

CLIENT_ID = r"^[A-Za-z0-9_-]{8,64}$"


SIDE_SCORE = "Pain 0-10 on the {side} side, when the block is scored left and right apart"


class EntryCorrection(Input):
    recorded_at: InputMoment | None = None
    pain: int | None = Field(
        None, ge=0, le=10, description="Pain 0-10 (a block scored as one: required)"
    )
    pain_left: int | None = Field(None, ge=0, le=10, description=SIDE_SCORE.format(side="left"))
    pain_right: int | None = Field(None, ge=0, le=10, description=SIDE_SCORE.format(side="right"))
    relief_pct: int | None = Field(None, ge=0, le=100)
    activity: Text | None = None
    note: Annotated[str, typed(1000)] | None = None


class EntryChanges(Input):
    """A correction of some of an entry's fields: those left out keep their values; null
    clears relief, activity or note."""

    recorded_at: InputMoment = unchanged()
    pain: int = unchanged(ge=0, le=10)
    pain_left: int = unchanged(ge=0, le=10)
    pain_right: int = unchanged(ge=0, le=10)
    relief_pct: int | None = Field(None, ge=0, le=100)
    activity: Text | None = None
    note: Annotated[str, typed(1000)] | None = None


class EntryInput(EntryCorrection):
    """An entry from the patient's phone; the time is now when left out."""

    made_at: InputMoment | None = None
    client_id: str | None = Field(None, pattern=CLIENT_ID)
    side_effects: list[SideEffect] = Field(default_factory=list, max_length=len(SideEffect))
    side_effect_note: Annotated[str, typed(500)] | None = None


class TranscribedEntry(EntryInput):
    """An entry staff copy from a paper diary: the time of the pain is required."""

    recorded_at: InputMoment


class ScheduleChanges(Input):
    early_minutes: list[Annotated[int, Field(ge=1, le=59)]] = unchanged(max_length=10)
    hourly_until_h: int = _limited("hourly_until_h")
    long_acting_until_h: int = _limited("long_acting_until_h")


WindowHours = Annotated[float, Field(ge=WINDOW_HOURS[0], le=WINDOW_HOURS[1])]


class WindowChanges(Input):
    minimum_h: WindowHours = unchanged()
    maximum_h: WindowHours = unchanged()


class SettingsChanges(Input):
    threshold_pct: Literal[THRESHOLDS] = unchanged()  # type: ignore[valid-type]
    language: Language = unchanged()
    min_baseline_pain: int = _limited("min_baseline_pain")
    min_entries_in_window: int = _limited("min_entries_in_window")
    diary_link_hours: int = _limited("diary_link_hours")
    max_entries_per_diary: int = _limited("max_entries_per_diary")
    max_corrections_per_entry: int = _limited("max_corrections_per_entry")
    max_corrections_per_diary: int = _limited("max_corrections_per_diary")
    daily_days: int = unchanged(
        ge=SETTING_LIMITS["daily_days"][0],
        le=SETTING_LIMITS["daily_days"][1],
        description="One score a day after the hourly window, for this many days (0: none); "
        "new blocks take it, recorded blocks keep theirs",
    )
    require_two_factor: bool = unchanged()
    contact_line: Text | None = None
    mrn_system: Annotated[str, typed(200, MRN_SYSTEM)] | None = None
    safety_text: dict[Language, Annotated[str, typed(1000)]] = unchanged()
    schedule: ScheduleChanges = unchanged()
    agent_windows: dict[Agent, WindowChanges] = unchanged()
    diagnostic_sessions_limit: int = _limited("diagnostic_sessions_limit")
    therapeutic_sessions_limit: int = _limited("therapeutic_sessions_limit")
    rfa_sessions_limit: int = _limited("rfa_sessions_limit")
    stale_rfa_rule: bool = unchanged()
    stale_rfa_years: int = _limited("stale_rfa_years")


class PushKeys(Input):
    p256dh: Annotated[str, typed(200, min_length=1)]
    auth: Annotated[str, typed(100, min_length=1)]


class PushSubscription(Input):
    # Which addresses are accepted is the reminders service's check (PUSH_SERVICE_HOSTS).
    endpoint: Annotated[str, typed(1000, min_length=1)]
    keys: PushKeys
    expirationTime: float | None = None  # noqa: N815 (the browser's own name)


class PushEndpoint(Input):
    endpoint: Annotated[str, typed(1000, min_length=1)]


class Page(Input):
    model_config = ConfigDict(extra="ignore", strict=False)
    page: int = Field(1, ge=1, le=100_000)


class BlockListQuery(Page):
    patient_id: int | None = Field(None, ge=1, le=MAX_ID)


class ChartQuery(Input):
    model_config = ConfigDict(extra="ignore", strict=False)
    scale: Literal["1", "2"] | None = None


# A date of the clinic's calendar, e.g. 2026-11-24; a year from 1900 to 2200.
def _date_text(value: Any) -> Any:
    """A query's date as the document states it: YYYY-MM-DD (not a number of days)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


InputDate = Annotated[
    date,
    BeforeValidator(_date_text),
    AfterValidator(_plausible_year),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": r"^(19\d\d|2[01]\d\d|2200)-",
            "description": "YYYY-MM-DD; a year from 1900 to 2200",
        }
    ),
]


class ExportQuery(Input):
    """Which blocks a clinic-wide export covers (as the exports page's filters)."""

    model_config = ConfigDict(extra="ignore", strict=False)
    start: InputDate | None = Field(None, description="performed on or after (clinic date)")
    end: InputDate | None = Field(
        None, description="performed on or before (clinic date); before start: no block"
    )
    region: Region | None = None
    agent: Agent | None = None
    verdict: Literal[relief.VERDICTS] | None = Field(  # type: ignore[valid-type]
        None,
        description="blocks with this verdict; a block scored left and right apart when "
        "either side has it (its rows carry both sides' verdicts)",
    )


class FhirExportQuery(ExportQuery):
    bundle: Literal["collection", "transaction"] = Field(
        "collection",
        description="transaction: POST each resource unless one with its identifier exists "
        "(ifNoneExist), so that a FHIR server loading it twice keeps one copy",
    )


class FhirQuery(Input):
    model_config = ConfigDict(extra="ignore", strict=False)
    bundle: Literal["collection", "transaction"] = Field(
        "collection",
        description="transaction: POST each resource unless one with its identifier exists "
        "(ifNoneExist), so that a FHIR server loading it twice keeps one copy",
    )


# --- answers -----------------------------------------------------------------------


class Patient(Output):
    id: int
    display_name: str
    mrn: str | None
    birth_year: int | None
    created_at: Moment


class Block(Output):
    id: int
    patient_id: int
    performed_at: Moment
    region: Region
    levels: list[str]
    side: Side
    purpose: Purpose
    sequence: Sequence
    agent: Agent
    concentration: str | None
    agent_other: str | None
    agent_label: str
    volume_ml_per_level: float
    steroid: bool
    sedation: Sedation
    baseline_pain: int | None = Field(description="Null when scored left and right apart")
    scoring: Scoring
    baseline_pain_left: int | None
    baseline_pain_right: int | None
    activities: list[str]
    daily_days: int = Field(
        description="Daily scores the diary asks for after the hourly window (0: none)"
    )
    diary_token: str
    diary_url: str
    link_open: bool
    link_expires_at: Moment
    link_revoked_at: Moment | None
    diary_status: Literal["not_started", "in_progress", "complete", "expired"]
    entry_count: int
    created_at: Moment


class Entry(Output):
    id: int
    client_id: str
    recorded_at: Moment
    submitted_at: Moment
    made_at: Moment | None
    due_at: Moment | None
    slot: Literal["hourly", "daily"] = Field(
        description="The kind of slot due_at is: the hours after the block, or one a day after"
    )
    hours_since_block: Hours
    pain: int | None = Field(description="Null when the block is scored left and right apart")
    pain_left: int | None
    pain_right: int | None
    relief_pct: Percent | None
    relief_pct_left: Percent | None
    relief_pct_right: Percent | None
    reported_relief_pct: int | None
    activity: str | None
    note: str | None
    side_effects: list[SideEffect]
    side_effect_note: str | None
    edited: bool
    source: EntrySource


class Entries(Output):
    items: list[Entry]
    page: int
    per_page: int
    total: int


class PatientList(Output):
    items: list[Patient]
    page: int
    per_page: int
    total: int


class BlockList(Output):
    items: list[Block]
    page: int
    per_page: int
    total: int


def answer_of(value_class: type, **narrowed: Any) -> Any:
    """An answer model with the fields of one of the core's value classes (a dataclass of
    diary/relief), so the API cannot drift from what the analysis produces; ``narrowed``
    gives a field a tighter type for the document."""
    hints = get_type_hints(value_class)
    fields: dict[str, Any] = {
        item.name: (narrowed.get(item.name, hints[item.name]), ...)
        for item in dataclasses.fields(value_class)
    }
    return create_model(
        value_class.__name__, __base__=Output, __doc__=value_class.__doc__, **fields
    )


# The core's value classes as answer models (their names the same as the core's).
_ReliefPointFields: Any = answer_of(relief.ReliefPoint)
_SustainedFields: Any = answer_of(relief.Sustained)
_CoverageFields: Any = answer_of(relief.Coverage)


class ReliefPoint(_ReliefPointFields):
    pass


class Sustained(_SustainedFields):
    pass


class Coverage(_CoverageFields):
    pass


_AnalysisFields: Any = answer_of(
    relief.Analysis,
    verdict=Literal[relief.VERDICTS],
    duration_class=Literal[relief.DURATION_CLASSES] | None,
    relief=list[ReliefPoint],
    sustained=list[Sustained],
    coverage=Coverage,
    response_duration_h=Hours | None,
    response_open=bool | None,
)


class Analysis(_AnalysisFields):
    """The reading of one block's diary, as diary/relief produces it. Without a response
    (relief not held at the threshold: so far, while the diary runs) its duration and
    openness are null, as the files leave them empty: 0.0 h is a real response, of a
    single entry."""

    @model_validator(mode="before")
    @classmethod
    def no_response_is_null(cls, value: Any) -> Any:
        if isinstance(value, dict) and value.get("response_start_h") is None:
            value = value | {"response_duration_h": None, "response_open": None}
        return value


DIARY_RUNNING = Field(
    description="The diary is still open (or not started): entries to come may change the verdict."
)
DIARY_AWAITS = Field(
    description='What the running diary waits for, e.g. "awaiting the 2 h entry"; '
    "null once the verdict is final."
)


class DaysOfRelief(Output):
    """``Ddays`` (pathway.md §2): the days in a row, from day 1, whose daily score gave
    ≥ 50 % relief (one missing day bridged when the next gives ≥ 50 %)."""

    model_config = ConfigDict(extra="forbid", defer_build=True, serialize_by_alias=True)

    days: int = Field(ge=0, le=MAX_DAILY_DAYS)
    open: bool = Field(
        description="The last daily score made still gives ≥ 50 %: days is a lower bound "
        '("at least 9 days")'
    )
    relief_class: Literal["no_relief", "short", "weeks"] = Field(
        alias="class", description="no_relief (0 days), short (1–6), weeks (7 or more)"
    )


DAYS_OF_RELIEF = Field(
    None,
    description="The days of relief after the block (pathway.md §2); null when the "
    "diary asks for no daily score or the block (or side) has no baseline.",
)
OUTCOME = Field(
    "",
    description="What the block is judged by, in words: its verdict (a diagnostic "
    'block), or its days of relief with their class (a therapeutic block, e.g. "at '
    'least 9 days of relief (weeks)"); for a block scored left and right apart, both '
    'sides\' ("Left: 9 days of relief (weeks) · Right: 2 days of relief (short)"), and '
    "within ``sides`` each side's own",
)


class SideAnalysis(Analysis):
    """One side's reading of a block scored left and right apart."""

    provisional: bool = DIARY_RUNNING
    awaiting: str | None = DIARY_AWAITS
    days_of_relief: DaysOfRelief | None = DAYS_OF_RELIEF
    outcome: str = OUTCOME


class SideAnalyses(Output):
    left: SideAnalysis
    right: SideAnalysis


class BlockAnalysis(Analysis):
    """A block's reading, and whether its diary is still running. A bilateral block
    scored left and right apart is read per side (``sides``); its one reading is then
    indeterminate and says so."""

    provisional: bool = DIARY_RUNNING
    awaiting: str | None = DIARY_AWAITS
    sides: SideAnalyses | None = Field(
        None,
        description="Each side's reading when the block is scored left and right apart, else null",
    )
    days_of_relief: DaysOfRelief | None = DAYS_OF_RELIEF
    outcome: str = OUTCOME


PROVISIONAL = Field(
    description="It rests on a diary still running (or not started): entries to come may change it."
)
AWAITING = Field(
    description="Which diary it waits for and what that diary awaits, e.g. "
    '"the diary of the 02 Mar 2026 block (lidocaine 2%), awaiting the 3 h entry"; '
    "null once final."
)


class Criterion(Output):
    met: bool
    reason: str
    provisional: bool = PROVISIONAL
    awaiting: str | None = AWAITING


class AblationCriteria(Output):
    lcd: Criterion
    consensus_2020: Criterion


class SeriesBlock(Output):
    block_id: int
    analysis: Analysis
    provisional: bool = DIARY_RUNNING
    awaiting: str | None = DIARY_AWAITS
    outcome: str = Field(
        "",
        description="What the block is judged by: its verdict, or a therapeutic block's "
        'days of relief with their class (e.g. "9 days of relief (weeks)")',
    )


class Series(Output):
    """One series; ``provisional`` when its pair status or a criterion rests on a running
    diary, ``awaiting`` naming every diary it waits for."""

    region: Region
    side: Literal["left", "right"] = Field(
        description="Series are per side: a bilateral block is in the left and the right "
        "series, read by that side's scores when scored apart"
    )
    levels: list[str]
    pair_status: Literal["concordant", "discordant", "confirmed", "not_confirmed", "single"] | None
    pair_reason: str
    pair_provisional: bool = PROVISIONAL
    pair_awaiting: str | None = AWAITING
    compared_block_ids: list[int]
    ablation_criteria: AblationCriteria
    provisional: bool = PROVISIONAL
    awaiting: str | None = AWAITING
    blocks: list[SeriesBlock]


class PatientSeries(Output):
    patient_id: int
    series: list[Series]


class Schedule(Output):
    early_minutes: list[int]
    hourly_until_h: int
    long_acting_until_h: int


class Window(Output):
    minimum_h: Hours
    maximum_h: Hours


class Settings(Output):
    threshold_pct: Literal[THRESHOLDS]  # type: ignore[valid-type]
    min_baseline_pain: int
    min_entries_in_window: int
    diary_link_hours: int
    max_entries_per_diary: int
    max_corrections_per_entry: int
    max_corrections_per_diary: int
    daily_days: int = Field(
        description="One score a day after the hourly window, for this many days (0: none)"
    )
    schedule: Schedule
    agent_windows: dict[Agent, Window]
    timezone: str
    language: Language
    require_two_factor: bool
    contact_line: str | None
    safety_text: dict[Language, str]
    mrn_system: str | None
    # The next step's limits (sessions per region group in a rolling 12 months) and switch.
    diagnostic_sessions_limit: int
    therapeutic_sessions_limit: int
    rfa_sessions_limit: int
    stale_rfa_rule: bool
    stale_rfa_years: int


class NextStepsQuery(Input):
    model_config = ConfigDict(extra="ignore", strict=False)
    on: InputDate | None = Field(
        None, description="the day asked about (clinic date); today in the clinic's zone"
    )


class LimitCheck(Output):
    """Sessions of the procedure the step means, in the rolling 12 months to the day."""

    kind: Literal["diagnostic", "therapeutic", "rfa"]
    region_group: Literal["cervical_thoracic", "lumbar"]
    count: int
    limit: int
    reached: bool
    next_possible: date | None = Field(
        description="the first date another session fits (the day asked when not reached); "
        "null when the clinic allows none"
    )
    reason: str


class NextStep(Output):
    """The advice for one series (region, side, levels): pathway.md §4's first step that
    applies. Advice for the physician; it books and blocks nothing."""

    region: Region
    side: Literal["left", "right"]
    levels: list[str]
    step: int = Field(ge=1, le=9)
    code: Literal[tuple(pathway.NextStepCode)]  # type: ignore[valid-type]
    from_date: date | None
    reason: str
    provisional: bool = Field(
        description="the advice rests on a diagnostic block whose diary still runs (the "
        "reason says which and what it waits for): its verdict, and the advice, may change"
    )
    notes: list[str]
    limit: LimitCheck | None = Field(
        description="for a step that means another procedure (steps 1, 3, 5, 6, 7, 9)"
    )


class NextSteps(Output):
    patient_id: int
    on: date
    series: list[NextStep]


class WorklistCounts(Output):
    side_effects: int
    unreviewed_diaries: int
    overdue_checkins: int
    next_steps: int | None = Field(
        description="null: the next steps are found page by page, newest first, not counted"
    )


class WorklistItem(Output):
    """One row of the worklist (pathway.md §5)."""

    group: Literal[tuple(pathway.WorklistGroup)]  # type: ignore[valid-type]
    at: str = Field(
        description="when: the side effect's report or the diary's end (date-time with "
        "offset); the overdue check-in's window's last day or the next step's from-date "
        "(YYYY-MM-DD)"
    )
    subject: Literal["entry", "block", "ablation", "patient"] = Field(
        description="what the row is about: an entry's side effects, a block's diary, the "
        "ablation or therapeutic block whose check-in is overdue, a patient's next step"
    )
    subject_id: int
    patient_id: int
    block_id: int | None
    text: str
    next_step: NextStep | None


class Worklist(Output):
    items: list[WorklistItem]
    counts: WorklistCounts
    page: int
    per_page: int
    has_next: bool


class Marked(Output):
    """A one-click mark: ``changed`` false when it was made already."""

    id: int
    changed: bool
    at: Moment | None


class PublicDiary(Output):
    """What the patient's own phone may read through the diary token: no identity."""

    performed_at: Moment
    region: Region
    levels: list[str]
    side: Side
    scoring: Scoring = Field(
        description="sides: the diary takes pain_left and pain_right (both), not pain"
    )
    activities: list[str]
    timezone: str
    link_open: bool
    link_expires_at: Moment
    due_times: list[Moment]
    next_due_at: Moment | None
    entries: list[Entry]
    push_public_key: str | None


class Subscribed(Output):
    subscribed: bool


class Problem(Output):
    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] = Field(default_factory=dict)


# --- ablations and follow-up (pathway.md §3) ------------------------------------------


def _levels_by_region() -> list[dict]:
    """Each region's levels, as JSON Schema (services.followup refuses any other)."""
    return [
        {
            "anyOf": [
                {
                    "properties": {
                        "region": {"const": region},
                        "levels": {"items": {"enum": list(levels)}},
                    }
                }
                for region, levels in anatomy.LEVELS.items()
            ]
        }
    ]


class AblationFields(Input):
    performed_at: InputMoment
    region: Region
    levels: list[Level] = Field(min_length=1, max_length=10)  # type: ignore[valid-type]
    side: Side
    technique: Technique
    scoring: Scoring | None = Field(
        None,
        description="A bilateral ablation: 'sides' (left and right apart, with "
        "baseline_pain_left and baseline_pain_right) or 'one'; left out: 'sides' when the "
        "side baselines are given. Always 'one' for one side.",
    )
    baseline_pain: int | None = Field(None, ge=0, le=10)
    baseline_pain_left: int | None = Field(None, ge=0, le=10)
    baseline_pain_right: int | None = Field(None, ge=0, le=10)
    repeat_of_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="The earlier ablation of this patient it repeats"
    )
    note: Annotated[str, typed(500)] | None = None


class AblationInput(AblationFields):
    model_config = ConfigDict(json_schema_extra={"allOf": _levels_by_region()})  # type: ignore[dict-item]
    patient_id: int = Field(ge=1, le=MAX_ID)


AblationChanges = changes_of(AblationFields, "AblationChanges")


class CheckinInput(Input):
    """A check-in from the patient's phone: the pain (per side when scored apart) is
    required; the rest is optional. It answers the scheduled check-in open on the day
    ``made_at`` falls on (now when left out)."""

    client_id: str | None = Field(None, pattern=CLIENT_ID)
    made_at: InputMoment | None = None
    pain: int | None = Field(None, ge=0, le=10)
    pain_left: int | None = Field(None, ge=0, le=10)
    pain_right: int | None = Field(None, ge=0, le=10)
    relief_pct: int | None = Field(None, ge=0, le=100)
    pgic: int | None = Field(None, ge=1, le=7, description="1 very much better … 7 very much worse")
    new_treatment: bool | None = Field(
        None, description="A new procedure or new regular pain medicine since the procedure"
    )


class ScheduledCheckin(Output):
    months: int
    due_on: date
    opens_on: date
    closes_on: date
    status: Literal["made", "open", "missed", "upcoming"]


class Checkin(Output):
    id: int
    client_id: str
    months: int | None = Field(description="The scheduled check-in it answers; null: unscheduled")
    unscheduled: bool
    made_on: date
    made_at: Moment | None
    submitted_at: Moment
    pain: int | None
    pain_left: int | None
    pain_right: int | None
    reported_relief_pct: int | None
    pgic: int | None
    new_treatment: bool | None
    source: EntrySource
    superseded: bool = Field(description="A later submission of the same check-in counts")


class CheckinRelief(Output):
    checkin_id: int | None
    months: int | None
    dated_on: date
    made_on: date
    pain: int | None
    relief_pct: Percent | None


class Judgement(Output):
    status: str
    reason: str


class Durability(Judgement):
    status: Literal["durable", "not_durable", "undetermined"]


class RepeatInjection(Judgement):
    status: Literal["yes", "no", "undetermined"]


class ReliefLasted(Output):
    months: int
    open: bool
    text: str


class SideOutcome(Output):
    side: Literal["left", "right"] | None = Field(description="null: the pain scored as one")
    sides: list[Side]
    checkins: list[CheckinRelief]
    durability: Durability | None = Field(description="Ablations (not pulsed RF) only")
    relief_lasted: ReliefLasted | None
    repeat_injection: RepeatInjection | None = Field(description="Therapeutic blocks only")


class FollowUp(Output):
    followup_token: str | None
    followup_url: str | None
    link_open: bool
    link_expires_at: Moment | None
    schedule: list[ScheduledCheckin]
    next_checkin: ScheduledCheckin | None
    checkins: list[Checkin]
    outcomes: list[SideOutcome]


class Ablation(Output):
    id: int
    patient_id: int
    performed_at: Moment
    region: Region
    levels: list[str]
    side: Side
    technique: Technique
    scoring: Scoring
    baseline_pain: int | None
    baseline_pain_left: int | None
    baseline_pain_right: int | None
    repeat_of_id: int | None
    note: str | None
    created_at: Moment
    changed_at: Moment
    follow_up: FollowUp


class PublicFollowUp(Output):
    """What the patient's phone may read through the follow-up token: no identity."""

    procedure: Literal["ablation", "therapeutic_block"]
    performed_at: Moment
    region: Region
    levels: list[str]
    side: Side
    scored_apart: bool
    timezone: str
    link_open: bool
    link_expires_at: Moment | None
    schedule: list[ScheduledCheckin]
    open_now: int | None = Field(description="The months of the check-in open today")
    next_checkin: ScheduledCheckin | None
    checkins: list[Checkin]


def _json_date(value: Any) -> Any:
    """A date in a JSON body: the text YYYY-MM-DD only (not a number)."""
    if not isinstance(value, str):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


class TranscribedCheckin(Input):
    """A check-in staff record from a call or a visit: the day it was made, and the
    scheduled check-in it answers (null or left out: unscheduled)."""

    client_id: str | None = Field(None, pattern=CLIENT_ID)
    made_on: Annotated[InputDate, BeforeValidator(_json_date)] = Field(strict=False)
    months: int | None = Field(None, ge=1, le=60)
    pain: int | None = Field(None, ge=0, le=10)
    pain_left: int | None = Field(None, ge=0, le=10)
    pain_right: int | None = Field(None, ge=0, le=10)
    relief_pct: int | None = Field(None, ge=0, le=100)
    pgic: int | None = Field(None, ge=1, le=7)
    new_treatment: bool | None = None


CheckinMonths = list[Annotated[int, Field(ge=1, le=60)]]


class FollowUpSettings(Output):
    rfa_checkin_months: list[int]
    therapeutic_checkin_months: list[int]
    checkin_opens_days_before: int
    checkin_closes_days_after: int


class FollowUpSettingsChanges(Input):
    rfa_checkin_months: CheckinMonths = unchanged(min_length=1, max_length=12)
    therapeutic_checkin_months: CheckinMonths = unchanged(min_length=1, max_length=12)
    checkin_opens_days_before: int = unchanged(ge=0, le=60)
    checkin_closes_days_after: int = unchanged(ge=0, le=60)
