"""CSV export of diaries. Flask-free: reads blocks and entries by attribute, yields text.

The header below is a published interface (README, "CSV columns"): add columns
at the end if needed, never rename one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from itertools import islice
from operator import lt
from zoneinfo import ZoneInfo

from diary.pathway.values import MAX_DAILY_DAYS, NO_RELIEF, SHORT, WEEKS, DaysOfRelief
from diary.relief import DURATION_CLASSES, VERDICTS, BlockSummary, Held, relief_pct
from diary.schedule import (
    COMPLETE,
    EXPIRED,
    IN_PROGRESS,
    NOT_STARTED,
    ON_TIME,
    RUNNING,
    as_utc,
)
from diary.vocabulary import (
    PLAUSIBLE_YEARS,
    Agent,
    EntrySource,
    Purpose,
    Region,
    Sedation,
    Sequence,
    Side,
)

# Why an entry does not count (the "not_counted_because" column).
REPLACED = "replaced by a later entry for the same time"
BEFORE_BLOCK = "before the block"
ON_TIME_SECONDS = ON_TIME.total_seconds()
# An entry copied by staff from a paper diary: its on_time is empty (times as written).
TRANSCRIBED = EntrySource.TRANSCRIBED.value

# name -> (Frictionless type, description). README's "CSV columns" documents the same.
BLOCK_FIELDS = {
    "block_id": ("integer", "the block"),
    "patient": ("string", "display name or initials"),
    "mrn": ("string", "medical record number, if given"),
    "performed_at": ("datetime", "when the block was performed, ISO 8601 with offset"),
    "region": ("string", "cervical, thoracic or lumbar"),
    "levels": ("string", "facet joint levels, space-separated"),
    "side": ("string", "left, right or bilateral"),
    "purpose": ("string", "diagnostic or therapeutic"),
    "sequence": ("string", "first, second or confirmatory"),
    "agent": ("string", "lidocaine, bupivacaine, ropivacaine or other"),
    "concentration_pct": ("string", "concentration in percent"),
    "agent_label": ("string", "agent as shown"),
    "volume_ml_per_level": ("number", "mL per level"),
    "steroid": ("boolean", "steroid added"),
    "sedation": ("string", "none, minimal or moderate"),
    "baseline_pain": ("integer", "pain 0-10 before the block"),
}
# A block scored apart has no one verdict: its readers are sent to each side's.
FLAT_VERDICT_NOTE = (
    "a block scored left and right apart (scoring: sides) has no one verdict: this column "
    "says indeterminate (not_diagnostic if therapeutic), and each side's verdict is in "
    "verdict_left and verdict_right"
)
SIDE_VERDICT_NOTE = (
    "the flat verdict says indeterminate for such a block (not_diagnostic if therapeutic)"
)
VERDICT_FIELDS = {
    "verdict": (
        "string",
        f"positive, partial, negative, indeterminate or not_diagnostic; {FLAT_VERDICT_NOTE}",
    ),
    "threshold_pct": ("number", "relief threshold the verdict used, percent"),
    "peak_relief_pct": ("number", "peak relief, percent"),
    "response_duration_h": ("number", "hours the response lasted at the threshold"),
}
ENTRY_FIELDS = {
    "entry_id": ("integer", "the entry"),
    "recorded_at": ("datetime", "when the pain was felt, ISO 8601 with offset"),
    "submitted_at": ("datetime", "when the entry reached the server"),
    "hours_since_block": ("number", "recorded_at minus performed_at, hours"),
    "pain": ("integer", "pain 0-10"),
    "relief_pct": ("number", "relief from baseline, percent, negative when worse"),
    "reported_relief_pct": ("integer", "the patient's own estimate of relief, percent"),
    "activity": ("string", "what the patient was doing"),
    "note": ("string", "free-text note"),
    "edited": ("boolean", "the entry was corrected; history kept"),
    "source": ("string", "patient (diary link) or transcribed (from a paper diary)"),
    "counts": ("boolean", "the analysis reads this entry"),
    "not_counted_because": (
        "string",
        "why it does not count: replaced by a later entry for the same time, or before the block",
    ),
    "due_at": ("datetime", "the scheduled time the entry answers (a paper-diary entry's too)"),
    "made_at": (
        "datetime",
        "when the patient tapped Save (before sending, if offline); for a paper-diary entry,"
        " when the clinic saved its copy",
    ),
    "on_time": (
        "boolean",
        "made within 15 minutes of due_at (empty without a due time, and for a paper-diary"
        " entry: its time is as written)",
    ),
    "recorded_at_local": ("string", "recorded_at in the clinic's time zone, YYYY-MM-DD HH:MM"),
    "clinic_timezone": ("string", "the clinic's time zone (IANA name)"),
    "birth_year": ("integer", "the patient's birth year, if given"),
}
# Whether the verdict is final: while the diary runs, entries to come may change it.
DIARY_FIELDS = {
    "diary_status": ("string", "not_started, in_progress, complete or expired"),
    "provisional": ("boolean", "the diary is still running: the verdict may change"),
}
# The days after (pathway.md §2): which kind of slot an entry answers.
DAILY_ENTRY_FIELDS = {
    "slot": ("string", "hourly (the hours after the block) or daily (one score a day after)"),
}
# The days of relief of a block with daily scores, and what the block is judged by.
DAYS_FIELDS = {
    "days_of_relief": (
        "integer",
        "days in a row from day 1 with >= 50% relief (one missing day bridged); "
        "empty without daily scores",
    ),
    "days_of_relief_open": (
        "boolean",
        "the last daily score still gives >= 50%: days_of_relief is a lower bound",
    ),
    "days_of_relief_class": ("string", "no_relief (0 days), short (1-6) or weeks (7 or more)"),
    "outcome": (
        "string",
        "what the block is judged by: its verdict, or a therapeutic block's days of relief "
        "in words, e.g. 'at least 9 days of relief (weeks)'",
    ),
}
SUMMARY_FIELDS = {
    "entries": ("integer", "number of entries"),
    "peak_at_h": ("number", "hours since the block of the peak relief"),
    "onset_h": ("number", "hours since the block of the first entry at the threshold"),
    "response_open": ("boolean", "the diary ended during relief: duration is a lower bound"),
    "duration_class": ("string", "shorter, consistent, longer or undetermined"),
    "duration_50_h": ("number", "hours relief of at least 50% lasted"),
    "duration_80_h": ("number", "hours relief of at least 80% lasted"),
    "warnings": ("string", "warnings, separated by ' | '"),
    "performed_at_local": ("string", "performed_at in the clinic's time zone, YYYY-MM-DD HH:MM"),
    "clinic_timezone": ("string", "the clinic's time zone (IANA name)"),
    "birth_year": ("integer", "the patient's birth year, if given"),
}
# One row per correction: what the entry was before it (the current values are in the
# entries file, by entry_id).
CORRECTION_FIELDS = {
    "block_id": ("integer", "the block"),
    "entry_id": ("integer", "the corrected entry"),
    "replaced_at": ("datetime", "when the correction was made"),
    "replaced_by": ("string", "who corrected it: patient, or staff:<user id>"),
    "was_recorded_at": ("datetime", "the time of the pain before the correction"),
    "was_pain": ("integer", "the pain score before the correction, 0-10"),
    "was_reported_relief_pct": ("integer", "the patient's own relief before, percent"),
    "was_activity": ("string", "the activity before the correction"),
    "was_note": ("string", "the note before the correction"),
    "correction_id": ("integer", "the correction (two of one entry may share a second)"),
    "was_pain_left": ("integer", "the left side's score before the correction (scored apart)"),
    "was_pain_right": ("integer", "the right side's score before the correction (scored apart)"),
}
CORRECTION_COLUMNS = list(CORRECTION_FIELDS)
SIDES = ("left", "right")
# Left and right (docs/pathway-rules.md): added at the end of the entries and summary
# files; empty for a block scored as one, whose columns above keep their meaning.
SIDE_BLOCK_FIELDS = {
    "scoring": ("string", "one, or sides: a bilateral block scored left and right apart"),
    "baseline_pain_left": ("integer", "the left side's pain 0-10 before the block (apart)"),
    "baseline_pain_right": ("integer", "the right side's pain 0-10 before the block (apart)"),
}


def per_side(fields: dict[str, tuple[str, str]], *names: str) -> dict[str, tuple[str, str]]:
    """``fields`` (only ``names`` of them, in their order) once per side: ``peak_at_h_left``
    … then ``peak_at_h_right`` …, described as that side's."""
    return {
        f"{name}_{side}": (kind, f"{side} side, scored apart: {description}")
        for side in SIDES
        for name, (kind, description) in fields.items()
        if name in names
    }


SIDE_VERDICT_FIELDS = per_side(VERDICT_FIELDS, *(n for n in VERDICT_FIELDS if n != "threshold_pct"))
SIDE_VERDICT_FIELDS |= {
    f"verdict_{side}": (
        "string",
        f"the {side} side's verdict, read on its own (scored apart): positive, partial, "
        f"negative, indeterminate or not_diagnostic; {SIDE_VERDICT_NOTE}",
    )
    for side in SIDES
}
SIDE_ENTRY_FIELDS = {
    "pain_left": ("integer", "the left side's pain 0-10 (a block scored apart)"),
    "pain_right": ("integer", "the right side's pain 0-10 (a block scored apart)"),
    "relief_pct_left": ("number", "the left side's relief from its baseline, percent"),
    "relief_pct_right": ("number", "the right side's relief from its baseline, percent"),
}
SIDE_SUMMARY_FIELDS = per_side(
    SUMMARY_FIELDS,
    *(
        n
        for n in SUMMARY_FIELDS
        if n in ("peak_at_h", "onset_h", "response_open") or n.startswith("duration_")
    ),
)
# Each side's days of relief (pathway.md §2, a block scored apart with daily scores),
# after the outcome: empty for any other block, whose days_of_relief above keep theirs.
SIDE_DAYS_FIELDS = per_side(DAYS_FIELDS, *(n for n in DAYS_FIELDS if n != "outcome"))
# The clinic's audit log (clinic admins' /audit.csv).
AUDIT_FIELDS = {
    "at": ("datetime", "when it happened"),
    "user_id": ("integer", "the clinician who did it, if one did"),
    "user": ("string", "that clinician's name"),
    "actor": ("string", "user:<id>, anonymous, patient or system"),
    "action": ("string", "what was done, e.g. block.view, export.clinic_entries_csv"),
    "target_type": ("string", "the kind of record it was done to"),
    "target_id": ("integer", "that record's id"),
    "remote_addr": ("string", "the client address the trusted proxy saw"),
    "detail": ("string", "ids and counts, as JSON (never a patient's fields)"),
}
AUDIT_COLUMNS = list(AUDIT_FIELDS)
# One row per ablation and reading (per side when scored apart): its follow-up's outcome.
ABLATION_FIELDS = {
    "ablation_id": ("integer", "the ablation"),
    "patient": ("string", "display name or initials"),
    "mrn": ("string", "medical record number, if given"),
    "performed_at": ("datetime", "when the procedure was performed, ISO 8601 with offset"),
    "region": ("string", "cervical, thoracic or lumbar"),
    "levels": ("string", "facet joint levels, space-separated"),
    "side": ("string", "left, right or bilateral"),
    "technique": ("string", "conventional, cooled or pulsed (pulsed RF is not an ablation)"),
    "scoring": ("string", "one, or sides: a bilateral block scored left and right apart"),
    "reading_sides": (
        "string",
        "the sides this row's outcome counts for: left or right when scored apart, else "
        "the ablation's sides (space-separated)",
    ),
    "reading_baseline_pain": ("integer", "the baseline pain this row's relief is read against"),
    "repeat_of_id": ("integer", "the earlier ablation this one repeats, if any"),
    "checkins_counted": ("integer", "check-ins that count (a later answer replaces one)"),
    "durability": ("string", "durable, not_durable or undetermined; empty for pulsed RF"),
    "durability_reason": ("string", "why, in words"),
    "relief_lasted_months": ("integer", "months relief of at least 50% lasted, when known"),
    "relief_lasted_open": ("boolean", "relief still lasts: the months are a lower bound"),
    "next_checkin_months": ("integer", "the next scheduled check-in, if one is left"),
    "next_checkin_due_on": ("date", "its due date (clinic's calendar)"),
    "clinic_timezone": ("string", "the clinic's time zone (IANA name)"),
}
ABLATION_COLUMNS = list(ABLATION_FIELDS)
# One row per therapeutic block followed up and reading: whether a repeat is supported.
REPEAT_FIELDS = {
    "repeat_injection": ("string", "yes, no or undetermined: a repeat injection is supported"),
    "repeat_injection_reason": ("string", "why, in words"),
}
# The procedure's facts, then the reading's outcome, as the ablations file has them.
_FOLLOWED = ["patient", "mrn", "performed_at", "region", "levels", "side"]
_READING = ["scoring", "reading_sides", "reading_baseline_pain"]
_LASTED = ["relief_lasted_months", "relief_lasted_open"]
_NEXT = ["next_checkin_months", "next_checkin_due_on", "clinic_timezone"]
THERAPEUTIC_COLUMNS = [
    "block_id",
    *_FOLLOWED,
    "agent",
    "steroid",
    *_READING,
    "checkins_counted",
    *REPEAT_FIELDS,
    *_LASTED,
    *_NEXT,
]
CHECKIN_REPLACED = "replaced by a later answer to the same check-in"
# One row per check-in as sent (an ablation's or a therapeutic block's).
CHECKIN_FIELDS = {
    "checkin_id": ("integer", "the check-in"),
    "procedure": ("string", "ablation or therapeutic_block"),
    "ablation_id": ("integer", "the ablation followed, if an ablation"),
    "therapeutic_block_id": ("integer", "the therapeutic block followed, if a block"),
    "patient": ("string", "display name or initials"),
    "mrn": ("string", "medical record number, if given"),
    "months": ("integer", "the scheduled check-in it answers; empty when unscheduled"),
    "unscheduled": ("boolean", "a check-in staff recorded on another day (a visit, a call)"),
    "dated_on": ("date", "the day the rules date it by: the due date, or the day made"),
    "made_on": ("date", "the day it was made (clinic's calendar)"),
    "made_at": (
        "datetime",
        "when the patient tapped Save (before sending, if offline); for a paper-diary entry,"
        " when the clinic saved its copy",
    ),
    "submitted_at": ("datetime", "when the entry reached the server"),
    "average_pain": ("integer", "average pain over the past week, 0-10 (scored as one)"),
    "average_pain_left": ("integer", "the left side's, when scored apart"),
    "average_pain_right": ("integer", "the right side's, when scored apart"),
    "relief_pct": ("number", "relief from baseline, percent, negative when worse"),
    "relief_pct_left": ("number", "the left side's relief from its baseline, percent"),
    "relief_pct_right": ("number", "the right side's relief from its baseline, percent"),
    "reported_relief_pct": ("integer", "the patient's own estimate of relief, percent"),
    "pgic": ("integer", "Patient Global Impression of Change, 1 (very much better) to 7"),
    "new_treatment": ("boolean", "a new procedure or regular pain medicine since"),
    "source": ("string", "patient (diary link) or transcribed (from a paper diary)"),
    "counts": ("boolean", "the analysis reads this entry"),
    "not_counted_because": (
        "string",
        "why it does not count: replaced by a later entry for the same time, or before the block",
    ),
    "clinic_timezone": ("string", "the clinic's time zone (IANA name)"),
}
CHECKIN_COLUMNS = list(CHECKIN_FIELDS)
# Every column of every file, for its schema and its typed (.xlsx) cells.
ALL_FIELDS = (
    BLOCK_FIELDS
    | VERDICT_FIELDS
    | ENTRY_FIELDS
    | SUMMARY_FIELDS
    | DIARY_FIELDS
    | DAILY_ENTRY_FIELDS
    | DAYS_FIELDS
    | CORRECTION_FIELDS
    | AUDIT_FIELDS
    | SIDE_BLOCK_FIELDS
    | SIDE_VERDICT_FIELDS
    | SIDE_ENTRY_FIELDS
    | SIDE_SUMMARY_FIELDS
    | SIDE_DAYS_FIELDS
    | ABLATION_FIELDS
    | CHECKIN_FIELDS
    | REPEAT_FIELDS
)
SIDE_COLUMNS = [*SIDE_BLOCK_FIELDS, *SIDE_VERDICT_FIELDS]
ENTRY_COLUMNS = [
    *BLOCK_FIELDS,
    *VERDICT_FIELDS,
    *ENTRY_FIELDS,
    *DIARY_FIELDS,
    *SIDE_COLUMNS,
    *SIDE_ENTRY_FIELDS,
    *DAILY_ENTRY_FIELDS,
]
SUMMARY_COLUMNS = [
    *BLOCK_FIELDS,
    *VERDICT_FIELDS,
    *SUMMARY_FIELDS,
    *DIARY_FIELDS,
    *SIDE_COLUMNS,
    *SIDE_SUMMARY_FIELDS,
    *DAYS_FIELDS,
    *SIDE_DAYS_FIELDS,
]

# OWASP CSV injection: a text cell starting with one of these is run as a formula.
# A leading ; or | matters too: where ; separates cells (many European locales), a cell
# starting with it splits into a new cell that may start a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", ";", "|")
BOM = "\ufeff"
NEEDS_QUOTES = re.compile(r'[",\r\n]')
# C0 control characters an XML-based file (xlsx, FHIR) cannot carry: all but tab, line
# feed and carriage return. New text refuses them; older stored text may hold them.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
REPLACEMENT = "\ufffd"


def text_cell(value: str | None) -> str:
    """A free-text CSV cell, neutralised so a spreadsheet shows it instead of running it."""
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def plain_cell(value: str | None) -> str:
    """A free-text cell of a typed file (xlsx, REDCap): the value as typed, since a typed
    text cell never runs as a formula."""
    return "" if value is None else value


def printable(value: str) -> str:
    """``value`` with each control character a file cannot hold shown as \ufffd."""
    return CONTROL_CHARACTERS.sub(REPLACEMENT, value)


def number_cell(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def pct_cell(value: float | None) -> str:
    """A percentage, always with one decimal: ``100.0``, ``87.5``."""
    return "" if value is None else f"{value:.1f}"


def hours_cell(value: float | None) -> str:
    """Hours, always with three decimals (a minute is 0.017 h): ``1.750``."""
    if value is None:
        return ""
    text = f"{value:.3f}"
    return "0.000" if text == "-0.000" else text


def time_cell(value: datetime | str | None) -> str:
    """A UTC time as ISO 8601 with its offset. Exports read SQLite's stored text
    ("2026-03-01 09:15:00.000000") as it is, which saves parsing a million times."""
    if value is None:
        return ""
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}+00:00"
    return value.astimezone(UTC).isoformat(timespec="seconds")


def bool_cell(value: bool) -> str:
    return "true" if value else "false"


def diary_cells(status: str) -> str:
    """The diary_status and provisional cells (they never need quotes)."""
    return f"{status},{bool_cell(status in RUNNING)}"


def block_cells(block, summary: BlockSummary, text: Callable = text_cell) -> list[str]:
    """The block's and its verdict's columns, the same on each of its rows; ``text``
    writes the free-text cells (``text_cell`` for CSV, ``plain_cell`` for typed files)."""
    patient = block.patient
    return [
        number_cell(block.id),
        text(patient.display_name),
        text(patient.mrn),
        time_cell(block.performed_at),
        block.region,
        " ".join(block.levels),
        block.side,
        block.purpose,
        block.sequence,
        block.agent,
        text(block.concentration),
        text(summary.agent_label),
        f"{block.volume_ml_per_level:.2f}",
        bool_cell(block.steroid),
        block.sedation,
        number_cell(block.baseline_pain),
        summary.verdict,
        pct_cell(summary.threshold_pct),
        pct_cell(summary.peak_relief_pct),
        hours_cell(summary.response_duration_h),
    ]


def side_summaries_of(block) -> dict[str, BlockSummary] | None:
    """Each side's summary of a block scored apart, from its summary column's ``sides``
    (services/summaries.stored_value), None for a block scored as one."""
    if not block.scored_apart or not block.summary:
        return None
    sides = block.summary.get("sides")
    return {side: BlockSummary.from_dict(sides[side]) for side in SIDES} if sides else None


def side_block_cells(block, sides: dict[str, BlockSummary] | None) -> list[str]:
    """The scoring, the baselines per side and each side's verdict (empty when one)."""
    cells = [str(block.scoring), number_cell(block.baseline_pain_left)]
    cells.append(number_cell(block.baseline_pain_right))
    for side in SIDES:
        summary = sides[side] if sides else None
        cells += (
            [
                summary.verdict,
                pct_cell(summary.peak_relief_pct),
                hours_cell(summary.response_duration_h),
            ]
            if summary
            else ["", "", ""]
        )
    return cells


def side_summary_cells(sides: dict[str, BlockSummary] | None) -> list[str]:
    cells: list[str] = []
    for side in SIDES:
        summary = sides[side] if sides else None
        if summary is None:
            cells += [""] * 6
            continue
        responded = summary.response_duration_h is not None
        cells += [
            hours_cell(summary.peak_at_h),
            hours_cell(summary.onset_h),
            bool_cell(bool(summary.response_open)) if responded else "",
            summary.duration_class or "",
            "" if summary.held_50 is None else hours_cell(summary.held_50.duration_h),
            "" if summary.held_80 is None else hours_cell(summary.held_80.duration_h),
        ]
    return cells


def entry_values(entry) -> tuple:
    """A DiaryEntry model as the tuple ``entry_lines`` reads (the export's query gives
    the same columns in the same order)."""
    return (
        entry.block_id,
        entry.id,
        entry.recorded_at,
        entry.submitted_at,
        entry.pain,
        entry.reported_relief_pct,
        entry.activity,
        entry.note,
        entry.edited,
        entry.source,
        entry.due_at,
        entry.made_at,
        entry.pain_left,
        entry.pain_right,
        entry.slot,
    )


def times_rise(entries: list[tuple]) -> bool:
    """Whether ``entry_values`` tuples' times (their text as the export's query gives them,
    which sorts as the instants do) rise from each entry to the next."""
    times = [entry[2] for entry in entries]
    return all(map(lt, times, islice(times, 1, None)))


def _counted_ids(entries: list[tuple]) -> set[int] | None:
    """The entries the analysis reads: for each time, the one submitted last (as
    diary/relief/reading.py chooses); None when every entry has a time of its own (all
    count)."""
    # Times rising from one entry to the next are all different: cheaper to see than a set
    # of them.
    if times_rise(entries):
        return None
    latest: dict = {}
    for entry in entries:
        current = latest.get(entry[2])
        if current is None or (entry[3], entry[1]) > (current[3], current[1]):
            latest[entry[2]] = entry
    return {entry[1] for entry in latest.values()}


ONE_DAY = timedelta(days=1)
ONE_HOUR = timedelta(hours=1)
HOUR_TEXTS = [f"{hour:02d}" for hour in range(24)]


# At most this many UTC hours' local texts kept by a ZoneOffsets (a month of them).
KEPT_HOURS = 24 * 32


class ZoneOffsets:
    """A time zone's UTC offsets for an export's times (naive UTC datetimes), worked out
    once a UTC day: a conversion per row would cost more than the rest of its line. On a
    day the clock changes (its offsets at its start and at its end differ) each time is
    converted. One export's blocks share it."""

    def __init__(self, tz: str):
        self.zone = ZoneInfo(tz)
        # A UTC day ("2026-03-01") -> the offset all day and whether it is whole hours,
        # or None when the clock changes that day.
        self.days: dict[str, tuple[timedelta, bool] | None] = {}
        # A UTC hour as stored text ("2026-03-01 09") -> that hour in the zone, on days
        # of an offset of whole hours (a time there is its hour and its minutes).
        self.local_hours: dict[str, str] = {}

    def offset(self, utc: datetime) -> timedelta:
        return utc.replace(tzinfo=UTC).astimezone(self.zone).utcoffset() or timedelta(0)

    def of_day(self, utc: datetime, day: str) -> tuple[timedelta, bool] | None:
        """The offset all day long of the UTC day of ``utc`` (known as ``day``) and
        whether it is whole hours; None if the clock changes that day."""
        midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = self.offset(midnight), self.offset(midnight + ONE_DAY)
        known = (start, not start % ONE_HOUR) if start == end else None
        self.days[day] = known
        return known

    def local_minutes(self, utc: datetime, stored: str) -> str:
        """``utc`` (stored as the text ``stored``) in the zone, "YYYY-MM-DD HH:MM"; the
        hour is kept for the next times of that UTC hour when the day allows."""
        day = stored[:10]
        known = self.days[day] if day in self.days else self.of_day(utc, day)
        if known is None:
            return (utc + self.offset(utc)).isoformat(" ", "minutes")
        if not known[1]:
            return (utc + known[0]).isoformat(" ", "minutes")
        # The day's 24 hours at once: a clinic-wide export meets most hours of its days.
        # Forgotten a month's hours at a time: an export goes oldest block first and a
        # diary's times are days apart at most, while keeping every hour of a clinic's
        # two years held about 3 MB of strings in the worker at the export's end.
        if len(self.local_hours) >= KEPT_HOURS:
            self.local_hours.clear()
        local_start = utc.replace(hour=0, minute=0, second=0, microsecond=0) + known[0]
        first = local_start.date()
        days = (first.isoformat() + " ", (first + ONE_DAY).isoformat() + " ")
        shift, local_hours = local_start.hour, self.local_hours
        for hour, text in enumerate(HOUR_TEXTS):
            local = shift + hour
            local_hours[day + " " + text] = days[local // 24] + HOUR_TEXTS[local % 24]
        return local_hours[stored[:13]] + stored[13:16]


def _relief_cells(baseline: int | None) -> dict[int | None, str]:
    """Each pain score's relief cell against ``baseline`` (None: no score, no cell)."""
    return {pain: pct_cell(relief_pct(baseline, pain)) for pain in range(11)} | {None: ""}


# Relief cells by baseline (scores 0-10 and None), the same for every block.
RELIEF_CELLS = {baseline: _relief_cells(baseline) for baseline in (None, *range(11))}
PAIN_AND_RELIEF = {
    baseline: {pain: f"{pain},{cells[pain]}" for pain in range(11)} | {None: ","}
    for baseline, cells in RELIEF_CELLS.items()
}


def stored_time(value: datetime | str | None) -> str | None:
    """A time as the export's query gives it: UTC text "2026-03-01 09:15:00.000000"
    (a model's datetime is written so; the query's text is kept as it is)."""
    if value is None or isinstance(value, str):
        return value
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _as_stored(rows: list[tuple]) -> list[tuple]:
    """``entry_values`` tuples with their times as the export's query gives them."""
    return [
        (*row[:2], stored_time(row[2]), stored_time(row[3]), *row[4:10])
        + (stored_time(row[10]), stored_time(row[11]), *row[12:])
        for row in rows
    ]


def entry_lines(
    block,
    summary: BlockSummary,
    entries: Iterable[tuple],
    tz: str,
    status: str,
    text: Callable = text_cell,
    sides: dict[str, BlockSummary] | None = None,
    offsets: ZoneOffsets | None = None,
) -> list[str]:
    """One CSV line per entry: the block's columns (rendered once) and the entry's.

    ``entries`` are tuples as ``entry_values`` makes them, in time order, their times
    datetimes or UTC text as the export's query gives them; ``tz`` is the clinic's time
    zone, ``status`` the diary's (schedule.diary_status); ``text`` as for
    ``block_cells``. This runs once per exported entry (a million in a clinic-wide
    export), so each line is one f-string of the block's cells before and after the
    entry's (built once a block) and the entry's own: numbers, times sliced from their
    text and fixed words that never need quotes, except the two free-text ones.
    ``sides``: each side's summary of a block scored apart (read from its summary column
    when not given). ``offsets``: the clinic zone's, shared by the blocks of one export.
    """
    prefix = csv_line(block_cells(block, summary, text))[:-2] + ","
    birth_year = number_cell(block.patient.birth_year)
    offsets = offsets or ZoneOffsets(tz)
    local_hours, local_minutes = offsets.local_hours, offsets.local_minutes
    side_cells = ",".join(side_block_cells(block, sides or side_summaries_of(block)))
    suffix = f",{quoted(tz)},{birth_year},{diary_cells(status)},{side_cells},"
    baselines = (block.baseline_pain, block.baseline_pain_left, block.baseline_pain_right)
    if all(baseline is None or 0 <= baseline <= 10 for baseline in baselines):
        pain_and_relief = PAIN_AND_RELIEF[block.baseline_pain]
        left_relief = RELIEF_CELLS[block.baseline_pain_left]
        right_relief = RELIEF_CELLS[block.baseline_pain_right]
    else:  # a baseline no form takes: worked out as it is
        left_relief, right_relief = map(_relief_cells, baselines[1:])
        pain_and_relief = {
            pain: f"{pain},{pct_cell(relief_pct(block.baseline_pain, pain))}" for pain in range(11)
        } | {None: ","}
    performed_naive = block.performed_at.astimezone(UTC).replace(tzinfo=None)
    parse = datetime.fromisoformat
    rows = entries if isinstance(entries, list) else list(entries)
    if rows and type(rows[0][2]) is not str:
        rows = _as_stored(rows)
    counted = _counted_ids(rows)
    lines: list[str] = []
    append = lines.append
    for (
        _,
        entry_id,
        recorded_at,
        submitted_at,
        pain,
        reported,
        activity,
        note,
        edited,
        source,
        due_at,
        made_at,
        pain_left,
        pain_right,
        slot,
    ) in rows:
        felt = parse(recorded_at)
        # hours_between and hours_cell, inline: this runs a million times. Rounded to
        # six places (as hours_between) only where that can change the third: near a
        # half-thousandth, or before the block.
        hours = (felt - performed_naive).total_seconds() / 3600
        if hours < 0 or 0.49 < hours * 1000 % 1 < 0.51:
            hours = round(hours, 6)
            hours_text = f"{hours:.3f}"
            if hours_text == "-0.000":
                hours_text = "0.000"
        else:
            hours_text = f"{hours:.3f}"
        if counted is not None and entry_id not in counted:
            counts = f"false,{REPLACED}"
        elif hours < 0:
            counts = f"false,{BEFORE_BLOCK}"
        else:
            counts = "true,"
        # due_at, made_at and on_time. An entry copied from a paper diary answers its due
        # time, but its time is as written: on time is not measured (empty), as the block
        # page says (schedule.Compliance).
        if due_at:
            if source == TRANSCRIBED:
                made = f"{made_at[:10]}T{made_at[11:19]}+00:00" if made_at else ""
                due_made = f"{due_at[:10]}T{due_at[11:19]}+00:00,{made},"
            elif made_at:
                late = abs((parse(made_at) - parse(due_at)).total_seconds()) > ON_TIME_SECONDS
                due_made = (
                    f"{due_at[:10]}T{due_at[11:19]}+00:00,{made_at[:10]}T{made_at[11:19]}+00:00,"
                    f"{'false' if late else 'true'}"
                )
            else:
                due_made = f"{due_at[:10]}T{due_at[11:19]}+00:00,,false"
        elif made_at:
            due_made = f",{made_at[:10]}T{made_at[11:19]}+00:00,"
        else:
            due_made = ",,"
        local_hour = local_hours.get(recorded_at[:13])
        # Two f-strings of at most 30 pieces each: one longer is compiled to a list and
        # a join, a third slower.
        head = (
            f"{prefix}{entry_id},{recorded_at[:10]}T{recorded_at[11:19]}+00:00,"
            f"{submitted_at[:10]}T{submitted_at[11:19]}+00:00,{hours_text},"
            f"{pain_and_relief[pain]},{'' if reported is None else reported},"
            f"{'' if activity is None else quoted(text(activity))},"
            f"{'' if note is None else quoted(text(note))},"
        )
        append(
            f"{head}{'true' if edited else 'false'},{source},{counts},{due_made},"
            f"{local_minutes(felt, recorded_at) if local_hour is None else local_hour}"
            f"{'' if local_hour is None else recorded_at[13:16]}{suffix}"
            f"{'' if pain_left is None else pain_left},"
            f"{'' if pain_right is None else pain_right},"
            f"{left_relief[pain_left]},{right_relief[pain_right]},{slot}\r\n"
        )
    return lines


def summary_line(
    block,
    summary: BlockSummary,
    tz: str,
    status: str,
    text: Callable = text_cell,
    sides: dict[str, BlockSummary] | None = None,
    days: DaysOfRelief | None = None,
    outcome: str | None = None,
    side_days: Mapping[str, DaysOfRelief | None] | None = None,
) -> str:
    """One row for the whole block: its fields, figures, verdict and whether it is final;
    ``sides`` as for ``entry_lines``; then its ``days`` of relief (None without daily
    scores), its ``outcome`` (the verdict unless given) and each side's days of relief
    (``side_days``, a block scored apart with daily scores)."""
    sides = sides or side_summaries_of(block)

    def held(value: Held | None) -> str:
        return "" if value is None else hours_cell(value.duration_h)

    responded = summary.response_duration_h is not None
    return csv_line(
        block_cells(block, summary, text)
        + [
            number_cell(summary.entry_count),
            hours_cell(summary.peak_at_h),
            hours_cell(summary.onset_h),
            bool_cell(bool(summary.response_open)) if responded else "",
            summary.duration_class or "",
            held(summary.held_50),
            held(summary.held_80),
            text(" | ".join(summary.warnings)),
            f"{as_utc(block.performed_at).astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}",
            tz,
            number_cell(block.patient.birth_year),
            status,
            bool_cell(status in RUNNING),
            *side_block_cells(block, sides),
            *side_summary_cells(sides),
            *days_cells(days),
            text(outcome or summary.verdict),
            *(cell for side in SIDES for cell in days_cells((side_days or {}).get(side))),
        ]
    )


def days_cells(days: DaysOfRelief | None) -> list[str]:
    """days_of_relief, days_of_relief_open and days_of_relief_class (empty without)."""
    if days is None:
        return ["", "", ""]
    return [number_cell(days.days), bool_cell(days.open), days.relief_class]


def correction_line(block_id: int, revision, text: Callable = text_cell) -> str:
    """One correction (an EntryRevision record) as a CSV line."""
    return csv_line(
        [
            number_cell(block_id),
            number_cell(revision.entry_id),
            time_cell(revision.replaced_at),
            text(revision.replaced_by),
            time_cell(revision.recorded_at),
            number_cell(revision.pain),
            number_cell(revision.reported_relief_pct),
            text(revision.activity),
            text(revision.note),
            number_cell(revision.id),
            number_cell(revision.pain_left),
            number_cell(revision.pain_right),
        ]
    )


def _values(enum) -> list[str]:
    return [member.value for member in enum]


# What a column may hold besides its type: a mutated file fails ``frictionless validate``.
_SCORE = {"minimum": 0, "maximum": 10}
_PERCENT = {"minimum": 0, "maximum": 100}
CONSTRAINTS: dict[str, dict] = {
    "block_id": {"required": True, "minimum": 1},
    "entry_id": {"required": True, "minimum": 1},
    "patient": {"required": True},
    "performed_at": {"required": True},
    "region": {"required": True, "enum": _values(Region)},
    "side": {"required": True, "enum": _values(Side)},
    "purpose": {"required": True, "enum": _values(Purpose)},
    "sequence": {"required": True, "enum": _values(Sequence)},
    "agent": {"required": True, "enum": _values(Agent)},
    "sedation": {"required": True, "enum": _values(Sedation)},
    "baseline_pain": _SCORE,
    "verdict": {"required": True, "enum": list(VERDICTS)},
    "threshold_pct": {"enum": [float(t) for t in (80, 50)]},
    "peak_relief_pct": {"maximum": 100},
    "volume_ml_per_level": {"minimum": 0},
    "recorded_at": {"required": True},
    # Empty for an entry of a block scored apart (pain_left and pain_right instead).
    "pain": _SCORE,
    "relief_pct": {"maximum": 100},
    "reported_relief_pct": _PERCENT,
    "source": {"required": True, "enum": _values(EntrySource)},
    "counts": {"required": True},
    "not_counted_because": {"enum": [REPLACED, BEFORE_BLOCK, CHECKIN_REPLACED]},
    "checkin_id": {"required": True, "minimum": 1},
    "technique": {"required": True, "enum": ["conventional", "cooled", "pulsed"]},
    "durability": {"enum": ["durable", "not_durable", "undetermined"]},
    "repeat_injection": {"enum": ["yes", "no", "undetermined"]},
    "procedure": {"required": True, "enum": ["ablation", "therapeutic_block"]},
    "average_pain": _SCORE,
    "average_pain_left": _SCORE,
    "average_pain_right": _SCORE,
    "pgic": {"minimum": 1, "maximum": 7},
    "dated_on": {"required": True},
    "made_on": {"required": True},
    "duration_class": {"enum": list(DURATION_CLASSES)},
    "entries": {"minimum": 0},
    "birth_year": {"minimum": PLAUSIBLE_YEARS[0], "maximum": PLAUSIBLE_YEARS[1]},
    "was_pain": _SCORE,
    "was_pain_left": _SCORE,
    "was_pain_right": _SCORE,
    "baseline_pain_left": _SCORE,
    "baseline_pain_right": _SCORE,
    "pain_left": _SCORE,
    "pain_right": _SCORE,
    "relief_pct_left": {"maximum": 100},
    "relief_pct_right": {"maximum": 100},
    "verdict_left": {"enum": list(VERDICTS)},
    "verdict_right": {"enum": list(VERDICTS)},
    "peak_relief_pct_left": {"maximum": 100},
    "peak_relief_pct_right": {"maximum": 100},
    "duration_class_left": {"enum": list(DURATION_CLASSES)},
    "duration_class_right": {"enum": list(DURATION_CLASSES)},
    "was_reported_relief_pct": _PERCENT,
    "replaced_at": {"required": True},
    "correction_id": {"required": True, "minimum": 1},
    "diary_status": {"required": True, "enum": [NOT_STARTED, IN_PROGRESS, COMPLETE, EXPIRED]},
    "provisional": {"required": True},
    "slot": {"required": True, "enum": ["hourly", "daily"]},
    "days_of_relief": {"minimum": 0, "maximum": MAX_DAILY_DAYS},
    "days_of_relief_class": {"enum": [NO_RELIEF, SHORT, WEEKS]},
    **{
        f"days_of_relief{part}_{side}": rule
        for side in SIDES
        for part, rule in (
            ("", {"minimum": 0, "maximum": MAX_DAILY_DAYS}),
            ("_class", {"enum": [NO_RELIEF, SHORT, WEEKS]}),
        )
    },
    "outcome": {"required": True},
    "at": {"required": True},
    "action": {"required": True},
}
# The ablations file needs its id; a check-in names an ablation or a block.
CONSTRAINTS_BY_FILE = {"reading_sides": {"ablation_id": {"required": True, "minimum": 1}}}
PRIMARY_KEYS = {  # a column only that file has -> its key
    "checkin_id": ["checkin_id"],
    "repeat_injection": ["block_id", "reading_sides"],
    "reading_sides": ["ablation_id", "reading_sides"],
    "correction_id": ["correction_id"],
    "entry_id": ["entry_id"],
    "entries": ["block_id"],
}


def table_schema(columns: list[str]) -> dict:
    """A Frictionless Table Schema describing ``columns``: types, ranges, the words a
    column may hold, and the file's primary key."""
    fields = []
    for name in columns:
        kind, description = ALL_FIELDS[name]
        if kind == "datetime":  # the CSV's and the workbook's alike (the headers say no zone)
            description += "; in UTC (the CSV: ISO 8601 with +00:00; the .xlsx: a date-time cell)"
        field: dict = {"name": name, "type": kind, "description": description}
        if kind == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        extra = next(
            (
                rules[name]
                for marker, rules in CONSTRAINTS_BY_FILE.items()
                if marker in columns and name in rules
            ),
            None,
        )
        if extra or name in CONSTRAINTS:
            field["constraints"] = extra or CONSTRAINTS[name]
        fields.append(field)
    schema: dict = {"fields": fields, "missingValues": [""]}
    # The entries file is keyed by entry, the summary by block, corrections by both.
    key = next((keys for marker, keys in PRIMARY_KEYS.items() if marker in columns), None)
    if key:
        schema["primaryKey"] = key
    return schema


def csv_line(cells: list[str]) -> str:
    """One row as a CSV line, CRLF included."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def quoted(text: str) -> str:
    """A cell as csv.writer writes it (QUOTE_MINIMAL): quoted only if it must be."""
    if NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_stream(
    header: list[str],
    groups: Iterable[list[str]],
    finished: Callable[[int], None] | None = None,
    piece_lines: int = 256,
    bom: bool = True,
) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends), BOM and header first, then the rows: ``groups``
    gives lists of lines (``csv_line``), a block's diary say. They are sent in pieces of
    at least ``piece_lines`` lines, as one write to the client per row would cost a
    system call each. ``finished(row count)`` is called once the last row is out."""
    # The BOM tells spreadsheets the file is UTF-8; REDCap's importer wants none.
    yield (BOM if bom else "") + csv_line(header)
    piece: list[str] = []
    count = 0
    for lines in groups:
        piece += lines
        if len(piece) >= piece_lines:
            count += len(piece)
            yield "".join(piece)
            piece.clear()
    if piece:
        count += len(piece)
        yield "".join(piece)
    if finished is not None:
        finished(count)


# --- follow-up: ablations with their outcomes, and check-ins --------------------------------


def _day(value) -> str:
    return value.isoformat() if value is not None else ""


def ablation_lines(
    record, patient, follow, tz: str, counted: int, text: Callable = text_cell
) -> list[str]:
    """One line per reading of an ablation, or of a therapeutic block followed up (per
    side when scored apart): its follow-up's outcome as of the export (``follow``:
    diary.pathway's FollowUp); ABLATION_COLUMNS or THERAPEUTIC_COLUMNS."""
    is_ablation = hasattr(record, "technique")
    lines = []
    upcoming = follow.next_checkin
    for outcome in follow.outcomes:
        lasted = outcome.relief_lasted
        baseline = {
            "left": record.baseline_pain_left,
            "right": record.baseline_pain_right,
        }.get(outcome.scored_side or "", record.baseline_pain)
        judged = outcome.durability if is_ablation else outcome.repeat_injection
        facts = [
            text(patient.display_name),
            text(patient.mrn),
            time_cell(record.performed_at),
            record.region,
            " ".join(record.levels),
            record.side,
        ]
        reading = [
            str(record.scoring),
            " ".join(outcome.sides) if outcome.scored_side is None else outcome.scored_side,
            number_cell(baseline),
        ]
        if is_ablation:
            head = [number_cell(record.id), *facts, record.technique, *reading]
            head += [number_cell(record.repeat_of_id)]
        else:
            head = [number_cell(record.id), *facts, str(record.agent), bool_cell(record.steroid)]
            head += reading
        cells = [
            *head,
            number_cell(counted),
            judged.status if judged else "",
            text(judged.reason) if judged else "",
            number_cell(lasted.months) if lasted else "",
            bool_cell(lasted.open) if lasted else "",
            number_cell(upcoming.months) if upcoming else "",
            _day(upcoming.due_on) if upcoming else "",
            tz,
        ]
        lines.append(csv_line(cells))
    return lines


def checkin_line(
    row,
    procedure: str,
    patient,
    dated_on,
    reliefs: dict,
    counts: bool,
    tz: str,
    text: Callable = text_cell,
) -> str:
    """One check-in as sent; ``reliefs`` maps a reading's side (None: the one pain) to its
    CheckinRelief for this check-in, when it counts."""

    def relief(side):
        found = reliefs.get(side)
        return pct_cell(found.relief_pct) if found is not None else ""

    cells = [
        number_cell(row.id),
        procedure,
        number_cell(row.ablation_id),
        number_cell(row.block_id),
        text(patient.display_name),
        text(patient.mrn),
        number_cell(row.months),
        bool_cell(row.months is None),
        _day(dated_on),
        _day(row.made_on),
        time_cell(row.made_at),
        time_cell(row.submitted_at),
        number_cell(row.pain),
        number_cell(row.pain_left),
        number_cell(row.pain_right),
        relief(None),
        relief("left"),
        relief("right"),
        number_cell(row.reported_relief_pct),
        number_cell(row.pgic),
        "" if row.new_treatment is None else bool_cell(row.new_treatment),
        str(row.source),
        bool_cell(counts),
        "" if counts else CHECKIN_REPLACED,
        tz,
    ]
    return csv_line(cells)
