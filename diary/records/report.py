"""The block report's facts, built once here for both formats: the printable HTML page
and its PDF, which is that same page laid out by WeasyPrint (diary/records/pdf.py). Flask-free.

The facts: clinic, patient, procedure, verdict with reasons and warnings, chart, every
entry with where it came from and what it was before a correction, clinician and the
printed date with its time zone. The entries' table has only the columns some entry
fills: an empty "Corrections" column would take the width a note needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from diary import anatomy
from diary.formatting import SIDES_SEPARATOR, hours, local_time, pain_text, pct, side_effect_label
from diary.relief import Analysis


@dataclass(frozen=True)
class ReportRow:
    """One diary entry as the report prints it."""

    time: str
    hours: str  # "superseded" for an entry a later one for the same time replaced
    pain: str
    relief: str
    patient_relief: str
    activity: str
    note: str
    side_effects: str
    source: str  # "patient" or "paper diary (staff)"
    changes: str  # the values a correction replaced, "" when never corrected

    @property
    def remarks(self) -> list[str]:
        """The note, then any side effects and corrections: one column for the words, as
        wide as the short columns leave it (side effects and corrections are rare)."""
        return [
            text
            for text in (
                self.note,
                f"Side effects: {self.side_effects}" if self.side_effects else "",
                f"Corrected: {self.changes}" if self.changes else "",
            )
            if text
        ]


PATIENT, PAPER = "patient", "paper diary (staff)"

# The entries table's columns (a ReportRow field and its heading), in order; the first
# four always show, the others only when some entry fills them.
ENTRY_COLUMNS = (
    ("time", "Time"),
    ("hours", "Hours since block"),
    ("pain", "Pain"),
    ("relief", "Relief"),
    ("patient_relief", "Patient's relief"),
    ("activity", "Activity"),
    ("source", "Recorded by"),
    ("remarks", "Note"),
)
ALWAYS_SHOWN = {"time", "hours", "pain", "relief"}


@dataclass(frozen=True)
class EntryTable:
    """A diary's entries as a report prints them: the rows, the columns worth a place,
    and who recorded them when that is the same for all (then no column says it)."""

    rows: list[ReportRow]
    columns: list[tuple[str, str]]
    recorded_by: str  # "" when the column shows it, entry by entry


@dataclass(frozen=True)
class ReportFacts:
    """What the report prints besides the analysis; all text already formatted."""

    clinic: str
    patient: str
    patient_details: str
    procedure: str
    details: str
    clinician: str
    printed_at: str
    entries: list[ReportRow]
    table: EntryTable


def report_facts(
    block,
    analysis: Analysis,
    agent_label: str,
    tz: str,
    now: datetime,
    corrections: Mapping[int, Any] | None = None,
    sides: Mapping[str, Analysis] | None = None,
) -> ReportFacts:
    """The report's facts of ``block`` (a Block record) read in the clinic's time zone.
    The verdict, its reasons and grouped warnings come from the analysis itself
    (templates/clinic/_analysis.html), provisional while the diary runs.
    ``corrections``: entry id -> its latest corrections (``latest``, newest first) and
    how many ``earlier`` ones the report only counts (services.entries.latest_corrections).
    ``sides``: each side's analysis of a block scored left and right apart."""
    patient = block.patient
    identity = [f"MRN {patient.mrn}" if patient.mrn else "", _born(patient.birth_year)]
    table = entry_table(block, analysis, tz, corrections, sides)
    return ReportFacts(
        clinic=block.clinic.name,
        patient=patient.display_name,
        patient_details=" · ".join(part for part in identity if part),
        procedure=(
            f"{anatomy.REGIONS[block.region]} medial branch block, {', '.join(block.levels)} "
            f"{anatomy.SIDES[block.side].lower()} · {local_time(block.performed_at, tz)} ({tz})"
        ),
        details=(
            f"{block.purpose.capitalize()} block, {block.sequence} in series; "
            f"{agent_label}, {block.volume_ml_per_level:g} mL per level; "
            f"steroid {'yes' if block.steroid else 'no'}; sedation {block.sedation}; "
            f"{_baseline(block)}."
        ),
        clinician=block.created_by.name if block.created_by else "—",
        printed_at=f"{local_time(now, tz)} ({tz})",
        entries=table.rows,
        table=table,
    )


def _baseline(block) -> str:
    if block.scored_apart:
        return (
            f"baseline pain left {block.baseline_pain_left}/10, "
            f"right {block.baseline_pain_right}/10 (scored left and right apart)"
        )
    return f"baseline pain {block.baseline_pain}/10"


def entry_table(
    block,
    analysis: Analysis,
    tz: str,
    corrections=None,
    sides: Mapping[str, Analysis] | None = None,
) -> EntryTable:
    """``block``'s entries as the block and series reports print them; ``corrections`` as
    report_facts takes them (an entry without is printed without its history); ``sides``
    each side's analysis of a block scored apart (its relief is printed per side)."""
    corrections = corrections or {}
    points = {p.entry_id: p for p in analysis.relief}
    side_points = {
        side: {p.entry_id: p for p in reading.relief} for side, reading in (sides or {}).items()
    }
    if side_points:
        points = side_points["left"]

    def relief_of(entry_id: int) -> str:
        if side_points:
            return SIDES_SEPARATOR.join(
                f"{side.capitalize()} {pct(found[entry_id].relief_pct)}"
                for side, found in side_points.items()
                if entry_id in found
            )
        return pct(points[entry_id].relief_pct) if entry_id in points else ""

    rows = [
        ReportRow(
            time=local_time(entry.recorded_at, tz, "%d %b %H:%M"),
            hours=hours(points[entry.id].hours) if entry.id in points else "superseded",
            pain=pain_text(entry),
            relief=relief_of(entry.id),
            patient_relief=pct(entry.reported_relief_pct),
            activity=entry.activity or "",
            note=entry.note or "",
            side_effects=", ".join(map(side_effect_label, entry.side_effects or []))
            + (f": {entry.side_effect_note}" if entry.side_effect_note else ""),
            source=PAPER if entry.source == "transcribed" else PATIENT,
            changes=_changes(corrections.get(entry.id), tz),
        )
        for entry in block.entries
    ]
    sources = {row.source for row in rows}
    one_source = sources.pop() if len(sources) == 1 else ""
    columns = [
        (name, _remarks_heading(rows) if name == "remarks" else heading)
        for name, heading in ENTRY_COLUMNS
        if name in ALWAYS_SHOWN
        or (name == "source" and not one_source)
        or (name != "source" and any(getattr(row, name) for row in rows))
    ]
    recorded_by = {
        PATIENT: "All recorded by the patient on the diary link.",
        PAPER: "All from the paper diary, entered by staff.",
    }
    return EntryTable(rows, columns, recorded_by.get(one_source, ""))


def _remarks_heading(rows: list[ReportRow]) -> str:
    """ "Note", "Note, side effects, corrections": what the column holds in this report."""
    held = [
        label
        for label, field in (
            ("note", "note"),
            ("side effects", "side_effects"),
            ("corrections", "changes"),
        )
        if any(getattr(row, field) for row in rows)
    ]
    return ", ".join(held).capitalize()


def _changes(corrections, tz: str) -> str:
    """An entry's latest corrections, newest first; earlier ones are counted, not listed
    (the block's corrections page and CSV list them all)."""
    if not corrections:
        return ""
    listed = [
        f"was pain {pain_text(rev)} at {local_time(rev.recorded_at, tz, '%H:%M')}, "
        f"corrected {local_time(rev.replaced_at, tz, '%d %b %H:%M')} by {rev.replaced_by}"
        for rev in corrections.latest
    ]
    if corrections.earlier:
        many = "correction" if corrections.earlier == 1 else "corrections"
        listed.append(f"{corrections.earlier} earlier {many} on the block's corrections page")
    return "; ".join(listed)


def _born(year: int | None) -> str:
    return f"born {year}" if year else ""
