"""CSV export of diaries. Flask-free: reads blocks and entries by attribute, yields text.

The header below is a published interface (README, "CSV columns"): add columns
at the end if needed, never rename one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

from diary.relief import Analysis, hours_between, relief_pct

ENTRY_COLUMNS = [
    "block_id",
    "patient",
    "mrn",
    "performed_at",
    "region",
    "levels",
    "side",
    "purpose",
    "sequence",
    "agent",
    "concentration_pct",
    "agent_label",
    "volume_ml_per_level",
    "steroid",
    "sedation",
    "baseline_pain",
    "verdict",
    "threshold_pct",
    "peak_relief_pct",
    "response_duration_h",
    "entry_id",
    "recorded_at",
    "submitted_at",
    "hours_since_block",
    "pain",
    "relief_pct",
    "reported_relief_pct",
    "activity",
    "note",
    "edited",
]

# OWASP CSV injection: a text cell starting with one of these is run as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


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


def time_cell(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")


def bool_cell(value: bool) -> str:
    return "true" if value else "false"


def entry_rows(block, agent_label: str, analysis: Analysis) -> Iterator[list[str]]:
    """One row per entry of ``block`` (a Block model or anything with its attributes)."""
    patient = block.patient
    block_cells = [
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
        text_cell(agent_label),
        number_cell(block.volume_ml_per_level),
        bool_cell(block.steroid),
        block.sedation,
        number_cell(block.baseline_pain),
        analysis.verdict,
        number_cell(analysis.threshold_pct),
        number_cell(analysis.peak_relief_pct),
        number_cell(
            analysis.response_duration_h if analysis.response_start_h is not None else None
        ),
    ]
    for entry in block.entries:
        yield block_cells + [
            number_cell(entry.id),
            time_cell(entry.recorded_at),
            time_cell(entry.submitted_at),
            number_cell(round(hours_between(block.performed_at, entry.recorded_at), 3)),
            number_cell(entry.pain),
            number_cell(relief_pct(block.baseline_pain, entry.pain)),
            number_cell(entry.reported_relief_pct),
            text_cell(entry.activity),
            text_cell(entry.note),
            bool_cell(entry.updated_at is not None),
        ]


def csv_stream(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quoting as needed), BOM first, one line at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(header)
    yield BOM + take()
    for row in rows:
        writer.writerow(row)
        yield take()
