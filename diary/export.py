"""CSV export of diaries. Flask-free: reads blocks and entries by attribute, yields text.

The header below is a published interface (README, "CSV columns"): add columns
at the end if needed, never rename one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from diary.relief import BlockSummary, Held, hours_between, relief_pct

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
VERDICT_FIELDS = {
    "verdict": ("string", "positive, partial, negative, indeterminate or not_diagnostic"),
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
}
ENTRY_COLUMNS = [*BLOCK_FIELDS, *VERDICT_FIELDS, *ENTRY_FIELDS]
SUMMARY_COLUMNS = [*BLOCK_FIELDS, *VERDICT_FIELDS, *SUMMARY_FIELDS]

# OWASP CSV injection: a text cell starting with one of these is run as a formula.
# A leading ; or | matters too: where ; separates cells (many European locales), a cell
# starting with it splits into a new cell that may start a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", ";", "|")
BOM = "\ufeff"
NEEDS_QUOTES = re.compile(r'[",\r\n]')


def text_cell(value: str | None) -> str:
    """A free-text cell, neutralised so a spreadsheet shows it instead of running it."""
    if value is None:
        return ""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def number_cell(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def time_cell(value: datetime | str | None) -> str:
    """A UTC time as ISO 8601 with its offset. Exports read SQLite's stored text
    ("2026-03-01 09:15:00.000000") as it is, which saves parsing a million times."""
    if value is None:
        return ""
    if isinstance(value, str):
        return f"{value[:10]}T{value[11:19]}+00:00"
    return value.astimezone(UTC).isoformat(timespec="seconds")


def as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value


def bool_cell(value: bool) -> str:
    return "true" if value else "false"


def block_cells(block, summary: BlockSummary) -> list[str]:
    """The block's and its verdict's columns, the same on each of its rows."""
    patient = block.patient
    return [
        number_cell(block.id),
        text_cell(patient.display_name),
        text_cell(patient.mrn),
        time_cell(block.performed_at),
        block.region,
        " ".join(block.levels),
        block.side,
        block.purpose,
        block.sequence,
        block.agent,
        text_cell(block.concentration),
        text_cell(summary.agent_label),
        number_cell(block.volume_ml_per_level),
        bool_cell(block.steroid),
        block.sedation,
        number_cell(block.baseline_pain),
        summary.verdict,
        number_cell(summary.threshold_pct),
        number_cell(summary.peak_relief_pct),
        number_cell(summary.response_duration_h),
    ]


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
    )


def entry_lines(block, summary: BlockSummary, entries: Iterable[tuple]) -> list[str]:
    """One CSV line per entry: the block's columns (rendered once) and the entry's.

    ``entries`` are tuples as ``entry_values`` makes them, their times datetimes or
    SQLite's stored text. This runs once per exported entry (a million in a clinic-wide
    export), so each line is built in one piece: the entry's cells are numbers, times and
    fixed words that never need quotes, except the two free-text ones.
    """
    prefix = csv_line(block_cells(block, summary))[:-2] + ","
    performed_at = block.performed_at
    performed_naive = performed_at.astimezone(UTC).replace(tzinfo=None)
    pain_and_relief = {
        pain: f"{pain},{number_cell(relief_pct(block.baseline_pain, pain))}" for pain in range(11)
    }
    parse = datetime.fromisoformat
    lines = []
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
    ) in entries:
        if type(recorded_at) is str:
            hours = hours_between(performed_naive, parse(recorded_at))
            recorded = f"{recorded_at[:10]}T{recorded_at[11:19]}+00:00"
            submitted = f"{submitted_at[:10]}T{submitted_at[11:19]}+00:00"
        else:
            hours = hours_between(performed_at, recorded_at)
            recorded, submitted = time_cell(recorded_at), time_cell(submitted_at)
        # number_cell(round(hours, 3)) (as the API gives it), in one formatting step.
        hours_text = f"{hours:.3f}".rstrip("0").rstrip(".")
        if hours_text == "-0":
            hours_text = "0"
        lines.append(
            f"{prefix}{entry_id},{recorded},{submitted},{hours_text},{pain_and_relief[pain]},"
            f"{'' if reported is None else reported},"
            f"{'' if activity is None else quoted(text_cell(activity))},"
            f"{'' if note is None else quoted(text_cell(note))},"
            f"{'true' if edited else 'false'},{source}\r\n"
        )
    return lines


def summary_line(block, summary: BlockSummary) -> str:
    """One row for the whole block: its fields, figures and verdict."""

    def held(value: Held | None) -> str:
        return "" if value is None else number_cell(value.duration_h)

    responded = summary.response_duration_h is not None
    return csv_line(
        block_cells(block, summary)
        + [
            number_cell(summary.entry_count),
            number_cell(summary.peak_at_h),
            number_cell(summary.onset_h),
            bool_cell(bool(summary.response_open)) if responded else "",
            summary.duration_class or "",
            held(summary.held_50),
            held(summary.held_80),
            text_cell(" | ".join(summary.warnings)),
        ]
    )


def table_schema(columns: list[str]) -> dict:
    """A Frictionless Table Schema describing ``columns``."""
    described = BLOCK_FIELDS | VERDICT_FIELDS | ENTRY_FIELDS | SUMMARY_FIELDS
    fields = []
    for name in columns:
        kind, description = described[name]
        field: dict[str, str | list[str]] = {
            "name": name,
            "type": kind,
            "description": description,
        }
        if kind == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


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
) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends), BOM and header first, then the rows: ``groups``
    gives lists of lines (``csv_line``), a block's diary say. They are sent in pieces of
    at least ``piece_lines`` lines, as one write to the client per row would cost a
    system call each. ``finished(row count)`` is called once the last row is out."""
    yield BOM + csv_line(header)
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
