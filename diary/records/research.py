"""What a clinic's research arm loads: a wide file (one row per block, a pain column per
scheduled time), the series file (pair status and both ablation criteria per series), and
a REDCap data dictionary with the import file that matches it. Flask-free.

The wide file and the REDCap import hold the same values under the same variable names
(REDCap's rules: lower case, a letter first, at most 26 characters), so the dictionary
describes both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC

from diary.records.export import as_utc, csv_line, hours_cell, number_cell, pct_cell, text_cell
from diary.relief import (
    CONCORDANT,
    CONFIRMED,
    DISCORDANT,
    DURATION_CLASSES,
    NOT_CONFIRMED,
    SINGLE,
    VERDICTS,
    BlockSummary,
)
from diary.schedule import DiarySchedule
from diary.vocabulary import Agent, Region, Side

# REDCap's data dictionary header, in its order.
REDCAP_DICTIONARY_HEADER = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]
FORM = "block_diary"


def slot_name(minutes: int) -> str:
    """A scheduled time as a variable name: pain_15m, pain_1h, pain_12h."""
    return f"pain_{minutes}m" if minutes < 60 else f"pain_{minutes // 60}h"


def wide_slots(schedule: DiarySchedule) -> list[int]:
    """Every scheduled time of the clinic, short- and long-acting agents together."""
    return sorted(
        set(schedule.offsets_minutes("lidocaine")) | set(schedule.offsets_minutes("bupivacaine"))
    )


# (variable, REDCap field type, label, validation or choices, min, max, identifier?)
def block_variables(slots: list[int]) -> list[tuple[str, str, str, str, str, str, bool]]:
    def choices(values: Iterable[str]) -> str:
        return " | ".join(f"{value}, {value.replace('_', ' ')}" for value in values)

    variables = [
        ("record_id", "text", "Block (record id)", "integer", "", "", False),
        ("patient", "text", "Patient (display name or initials)", "", "", "", True),
        ("mrn", "text", "Medical record number", "", "", "", True),
        ("birth_year", "text", "Birth year", "integer", "1900", "2200", True),
        ("performed_at", "text", "Block performed (UTC)", "datetime_ymd", "", "", False),
        ("region", "dropdown", "Spinal region", choices(r.value for r in Region), "", "", False),
        ("levels", "text", "Levels", "", "", "", False),
        ("side", "dropdown", "Side", choices(s.value for s in Side), "", "", False),
        ("agent", "dropdown", "Local anesthetic", choices(a.value for a in Agent), "", "", False),
        ("concentration_pct", "text", "Concentration (%)", "", "", "", False),
        ("baseline_pain", "text", "Baseline pain (0-10)", "integer", "0", "10", False),
        ("verdict", "dropdown", "Verdict", choices(VERDICTS), "", "", False),
        ("peak_relief_pct", "text", "Peak relief (%)", "number", "", "100", False),
        ("response_duration_h", "text", "Response duration (h)", "number", "0", "", False),
        (
            "duration_class",
            "dropdown",
            "Duration vs agent",
            choices(DURATION_CLASSES),
            "",
            "",
            False,
        ),
    ]
    for minutes in slots:
        label = f"Pain at {minutes} min" if minutes < 60 else f"Pain at {minutes // 60} h"
        variables.append((slot_name(minutes), "text", label, "integer", "0", "10", False))
    return variables


def redcap_dictionary(slots: list[int]) -> Iterator[str]:
    """The dictionary's rows (its header is REDCAP_DICTIONARY_HEADER)."""
    for name, kind, label, rule, low, high, identifier in block_variables(slots):
        validation, choices = ("", rule) if kind == "dropdown" else (rule, "")
        note = "UTC, YYYY-MM-DD HH:MM" if validation == "datetime_ymd" else ""
        yield csv_line(
            [
                name,
                FORM,
                "",
                kind,
                label,
                choices,
                note,
                validation,
                low,
                high,
                "y" if identifier else "",
                "",
                "y" if name == "record_id" else "",
                "",
                "",
                "",
                "",
                "",
            ]
        )


def wide_columns(slots: list[int]) -> list[str]:
    return [variable[0] for variable in block_variables(slots)]


def _redcap_time(value) -> str:
    return as_utc(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def wide_line(block, summary: BlockSummary, entries: Iterable[tuple], slots: list[int]) -> str:
    """One row per block: its facts and verdict, then the pain answering each scheduled
    time (the one submitted last where two answer it); empty where none did."""
    performed = as_utc(block.performed_at).astimezone(UTC)
    by_slot: dict[int, tuple] = {}
    for entry in entries:
        due_at, submitted_at = entry[10], entry[3]
        if not due_at:
            continue
        minutes = round((as_utc(due_at).astimezone(UTC) - performed).total_seconds() / 60)
        kept = by_slot.get(minutes)
        if kept is None or str(submitted_at) >= str(kept[3]):
            by_slot[minutes] = entry
    patient = block.patient
    cells = [
        number_cell(block.id),
        text_cell(patient.display_name),
        text_cell(patient.mrn),
        number_cell(patient.birth_year),
        _redcap_time(block.performed_at),
        block.region,
        " ".join(block.levels),
        block.side,
        block.agent,
        text_cell(block.concentration),
        number_cell(block.baseline_pain),
        summary.verdict,
        pct_cell(summary.peak_relief_pct),
        hours_cell(summary.response_duration_h),
        summary.duration_class or "",
    ]
    cells += [number_cell(by_slot[m][4]) if m in by_slot else "" for m in slots]
    return csv_line(cells)


# The series file's columns: name -> (Frictionless type, description).
SERIES_FIELDS = {
    "patient_id": ("integer", "the patient"),
    "patient": ("string", "display name or initials"),
    "mrn": ("string", "medical record number, if given"),
    "region": ("string", "cervical, thoracic or lumbar"),
    "side": ("string", "left, right or bilateral"),
    "levels": ("string", "facet joint levels, space-separated"),
    "block_ids": ("string", "the series' blocks (archived ones are in none), space-separated"),
    "compared_block_ids": ("string", "the two most recent diagnostic blocks, space-separated"),
    "pair_status": ("string", "concordant, discordant, confirmed, not_confirmed or single"),
    "pair_reason": ("string", "why"),
    "lcd_met": ("boolean", "the Medicare LCD criterion for radiofrequency ablation is met"),
    "lcd_reason": ("string", "why, each failing condition named"),
    "consensus_2020_met": ("boolean", "the 2020 multisociety consensus criterion is met"),
    "consensus_2020_reason": ("string", "why"),
    "provisional": (
        "boolean",
        "the pair status or a criterion rests on a diary still running: it may change",
    ),
    "awaiting": ("string", "each diary the series waits for and what it awaits, '; '-separated"),
    "pair_provisional": ("boolean", "the pair status rests on a diary still running"),
    "lcd_provisional": ("boolean", "the Medicare LCD criterion rests on a diary still running"),
    "consensus_2020_provisional": (
        "boolean",
        "the 2020 consensus criterion rests on a diary still running",
    ),
}
SERIES_COLUMNS = list(SERIES_FIELDS)
PAIR_STATUSES = [CONCORDANT, DISCORDANT, CONFIRMED, NOT_CONFIRMED, SINGLE]


def series_table_schema() -> dict:
    """A Frictionless Table Schema of the series file."""
    fields = []
    for name, (kind, description) in SERIES_FIELDS.items():
        field: dict = {"name": name, "type": kind, "description": description}
        if kind == "boolean":
            field["trueValues"], field["falseValues"] = ["true"], ["false"]
            field["constraints"] = {"required": True}
        if name in ("patient_id", "region", "side", "block_ids"):
            field["constraints"] = {"required": True}
        if name == "region":
            field["constraints"]["enum"] = [r.value for r in Region]
        if name == "side":
            field["constraints"]["enum"] = [s.value for s in Side]
        if name == "pair_status":
            field["constraints"] = {"enum": PAIR_STATUSES}
        fields.append(field)
    # One row per series: a patient's blocks at one region, side and set of levels.
    key = ["patient_id", "region", "side", "levels"]
    return {"fields": fields, "missingValues": [""], "primaryKey": key}


def _flag(value: bool) -> str:
    return "true" if value else "false"


def series_line(patient, blocks, result) -> str:
    """One series of a patient (same region, side and levels) and what it shows."""
    first = blocks[0]
    lcd, consensus = result.ablation_criteria["lcd"], result.ablation_criteria["consensus_2020"]
    return csv_line(
        [
            number_cell(patient.id),
            text_cell(patient.display_name),
            text_cell(patient.mrn),
            first.region,
            first.side,
            " ".join(first.levels),
            " ".join(str(block.id) for block in blocks),
            " ".join(str(block_id) for block_id in result.compared_block_ids),
            result.pair_status or "",
            text_cell(result.pair_reason),
            _flag(lcd.met),
            text_cell(lcd.reason),
            _flag(consensus.met),
            text_cell(consensus.reason),
            _flag(result.provisional),
            text_cell(result.awaiting),
            _flag(result.pair_provisional),
            _flag(lcd.provisional),
            _flag(consensus.provisional),
        ]
    )
