"""What a clinic's research arm loads: a wide file (one row per block, a pain column per
scheduled time), the series file (pair status and both ablation criteria per series), and
a REDCap data dictionary with the import file that matches it. Flask-free.

The wide file and the REDCap import hold the same values under the same variable names
(REDCap's rules: lower case, a letter first, at most 26 characters), so the dictionary
describes both; the import writes yes/no as REDCap's 1/0, carries text as typed (it is no
spreadsheet: no formula guard) and ends with the form's ``block_diary_complete``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC

from diary.pathway.values import MAX_DAILY_DAYS, NO_RELIEF, SHORT, WEEKS, DaysOfRelief
from diary.records.export import (
    FLAT_VERDICT_NOTE,
    SIDE_VERDICT_NOTE,
    as_utc,
    csv_line,
    hours_cell,
    number_cell,
    pct_cell,
    plain_cell,
    printable,
    side_summaries_of,
    text_cell,
)
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
from diary.schedule import COMPLETE, DAILY, EXPIRED, IN_PROGRESS, NOT_STARTED, RUNNING
from diary.vocabulary import PLAUSIBLE_YEARS, Agent, Purpose, Region, Sedation, Sequence, Side

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
# REDCap's own column of each form in an import file: 0 incomplete, 2 complete (a
# diary still running is incomplete: its verdict is provisional).
FORM_COMPLETE = f"{FORM}_complete"
DIARY_STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETE, EXPIRED)
DAYS_CLASSES = (NO_RELIEF, SHORT, WEEKS)


def slot_name(minutes: int) -> str:
    """A scheduled time as a variable name: pain_15m, pain_1h, pain_12h (pain_90m where
    a time is not a whole hour)."""
    return f"pain_{minutes}m" if minutes < 60 or minutes % 60 else f"pain_{minutes // 60}h"


def slot_minutes(performed_at, due_at) -> int:
    """The scheduled time an entry answered, in minutes after its block."""
    return round((as_utc(due_at).astimezone(UTC) - as_utc(performed_at)).total_seconds() / 60)


@dataclass(frozen=True)
class Variable:
    """One column of the wide file (and REDCap field): its REDCap field type, label and
    validation or choices, and its Frictionless type and constraints."""

    name: str
    field_type: str  # REDCap's: text, dropdown, yesno
    label: str
    kind: str  # Frictionless's: integer, number, string, boolean, datetime
    validation: str = ""
    low: str = ""
    high: str = ""
    choices: tuple[str, ...] = ()
    identifier: bool = False
    required: bool = False
    note: str = ""  # REDCap's Field Note, and added to the schema's description


def dropdown(
    name: str, label: str, values: Iterable[str], required: bool = True, note: str = ""
) -> Variable:
    return Variable(
        name, "dropdown", label, "string", choices=tuple(values), required=required, note=note
    )


FIRST_YEAR, LAST_YEAR = (str(year) for year in PLAUSIBLE_YEARS)
# Who the record is about: identifiers, left out of a de-identified export.
PATIENT_VARIABLES = (
    Variable("patient", "text", "Patient (display name or initials)", "string", identifier=True),
    Variable("mrn", "text", "Medical record number", "string", identifier=True),
    Variable(
        "birth_year",
        "text",
        "Birth year",
        "integer",
        "integer",
        FIRST_YEAR,
        LAST_YEAR,
        identifier=True,
    ),
)
BLOCK_VARIABLES = (
    Variable("record_id", "text", "Block (record id)", "integer", "integer", required=True),
    *PATIENT_VARIABLES,
    Variable(
        "performed_at", "text", "Block performed (UTC)", "datetime", "datetime_ymd", required=True
    ),
    dropdown("region", "Spinal region", (r.value for r in Region)),
    Variable("levels", "text", "Levels", "string", required=True),
    dropdown("side", "Side", (s.value for s in Side)),
    dropdown("agent", "Local anesthetic", (a.value for a in Agent)),
    Variable("concentration_pct", "text", "Concentration (%)", "string"),
    Variable("baseline_pain", "text", "Baseline pain (0-10)", "integer", "integer", "0", "10"),
    dropdown("verdict", "Verdict", VERDICTS, note=FLAT_VERDICT_NOTE),
    Variable("peak_relief_pct", "text", "Peak relief (%)", "number", "number", "", "100"),
    Variable("response_duration_h", "text", "Response duration (h)", "number", "number", "0"),
    dropdown("duration_class", "Duration vs agent", DURATION_CLASSES, required=False),
    dropdown("purpose", "Purpose", (p.value for p in Purpose)),
    dropdown("sequence", "Block in the series", (s.value for s in Sequence)),
    Variable("steroid", "yesno", "Steroid added", "boolean", required=True),
    dropdown("sedation", "Sedation", (s.value for s in Sedation)),
    Variable("threshold_pct", "text", "Relief threshold (%)", "number", "number", "0", "100"),
    dropdown("diary_status", "Diary status", DIARY_STATUSES),
    Variable("provisional", "yesno", "Verdict provisional (diary running)", "boolean"),
    Variable("entries", "text", "Entries in the diary", "integer", "integer", "0"),
)


SIDES = ("left", "right")
# Where an entry row (export_queries.EXPORT_ENTRY_COLUMNS) holds each side's score and
# its slot.
ENTRY_SIDE_PAINS = (12, 13)
ENTRY_SLOT = 14
# Left and right (docs/pathway-rules.md): after the columns above, empty for a block
# scored as one (whose columns above keep their meaning).
SIDE_VARIABLES = (
    dropdown("scoring", "Scored as one, or left and right apart (sides)", ("one", "sides")),
    *(
        variable
        for side in SIDES
        for variable in (
            Variable(
                f"baseline_pain_{side}",
                "text",
                f"Baseline pain, {side} side (0-10)",
                "integer",
                "integer",
                "0",
                "10",
            ),
            dropdown(
                f"verdict_{side}",
                f"Verdict, {side} side",
                VERDICTS,
                required=False,
                note=SIDE_VERDICT_NOTE,
            ),
            Variable(
                f"peak_relief_pct_{side}",
                "text",
                f"Peak relief, {side} side (%)",
                "number",
                "number",
                "",
                "100",
            ),
            Variable(
                f"response_duration_h_{side}",
                "text",
                f"Response duration, {side} side (h)",
                "number",
                "number",
                "0",
            ),
            dropdown(
                f"duration_class_{side}",
                f"Duration vs agent, {side} side",
                DURATION_CLASSES,
                required=False,
            ),
        )
    ),
)

# The days after (pathway.md §2): a block's days of relief and what it is judged by.
DAYS_VARIABLES = (
    Variable(
        "days_of_relief",
        "text",
        "Days of relief (>= 50% from day 1, one missing day bridged)",
        "integer",
        "integer",
        "0",
        str(MAX_DAILY_DAYS),
    ),
    Variable(
        "days_of_relief_open", "yesno", "Days of relief still open (a lower bound)", "boolean"
    ),
    dropdown("days_of_relief_class", "Days of relief class", DAYS_CLASSES, required=False),
    Variable(
        "outcome",
        "text",
        "Outcome: the verdict, or a therapeutic block's days of relief",
        "string",
        required=True,
    ),
)


def side_days_variables(side: str) -> tuple[Variable, ...]:
    """A side's days of relief (a block scored apart with daily scores)."""
    return (
        Variable(
            f"days_of_relief_{side}",
            "text",
            f"Days of relief, {side} side",
            "integer",
            "integer",
            "0",
            str(MAX_DAILY_DAYS),
        ),
        Variable(
            f"days_of_relief_open_{side}",
            "yesno",
            f"Days of relief still open, {side} side",
            "boolean",
        ),
        dropdown(
            f"days_of_relief_class_{side}",
            f"Days of relief class, {side} side",
            DAYS_CLASSES,
            required=False,
        ),
    )


def _slot_label(minutes: int) -> str:
    return f"Pain at {minutes} min" if minutes < 60 else f"Pain at {minutes / 60:g} h"


def day_name(day: int) -> str:
    """A daily slot as a variable name: pain_day1, pain_day14."""
    return f"pain_day{day}"


def slot_day(performed_at, due_at) -> int:
    """Which day after its block a daily slot is (1, 2…): k days at the block's clock
    time, give or take the hour a change of clocks moves it."""
    return round(slot_minutes(performed_at, due_at) / (24 * 60))


def block_variables(slots: list[int], days: int = 0) -> list[Variable]:
    """The block's variables, then a pain score per scheduled time of the hours after the
    block in ``slots`` and per daily slot (``days`` of them), then the days of relief; then
    each side's (a block scored apart): its figures and a score per time per side."""
    variables = list(BLOCK_VARIABLES)
    for minutes in slots:
        variables.append(
            Variable(
                slot_name(minutes), "text", _slot_label(minutes), "integer", "integer", "0", "10"
            )
        )
    for day in range(1, days + 1):
        variables.append(
            Variable(day_name(day), "text", f"Pain on day {day}", "integer", "integer", "0", "10")
        )
    variables += DAYS_VARIABLES
    variables += SIDE_VARIABLES
    for side in SIDES:
        for minutes in slots:
            label = f"{_slot_label(minutes)}, {side} side"
            name = f"{slot_name(minutes)}_{side}"
            variables.append(Variable(name, "text", label, "integer", "integer", "0", "10"))
    # The days after per side (pathway.md §2), after the hours': a column per daily slot
    # per side, then each side's days of relief.
    for side in SIDES:
        for day in range(1, days + 1):
            label = f"Pain on day {day}, {side} side"
            name = f"{day_name(day)}_{side}"
            variables.append(Variable(name, "text", label, "integer", "integer", "0", "10"))
    for side in SIDES:
        variables += side_days_variables(side)
    return variables


def dictionary_line(variable: Variable, form: str, choices: str | None = None) -> str:
    """A variable's row of a REDCap data dictionary (header: REDCAP_DICTIONARY_HEADER);
    ``choices`` in REDCap's "value, label | ..." (the values, worded, unless given)."""
    if choices is None:
        choices = " | ".join(f"{value}, {value.replace('_', ' ')}" for value in variable.choices)
    note = variable.note[:1].upper() + variable.note[1:]
    note = note or {"datetime_ymd": "UTC, YYYY-MM-DD HH:MM", "date_ymd": "YYYY-MM-DD"}.get(
        variable.validation, ""
    )
    return csv_line(
        [
            variable.name,
            form,
            "",
            variable.field_type,
            variable.label,
            choices,
            note,
            variable.validation,
            variable.low,
            variable.high,
            "y" if variable.identifier else "",
            "",
            "y" if variable.required else "",
            "",
            "",
            "",
            "",
            "",
        ]
    )


def redcap_dictionary(slots: list[int], days: int = 0) -> Iterator[str]:
    """The dictionary's rows (its header is REDCAP_DICTIONARY_HEADER)."""
    for variable in block_variables(slots, days):
        yield dictionary_line(variable, FORM)


def wide_columns(slots: list[int], redcap: bool = False, days: int = 0) -> list[str]:
    """The wide file's columns; the REDCap import's (``redcap``) end with the form's
    complete status."""
    names = [variable.name for variable in block_variables(slots, days)]
    return [*names, FORM_COMPLETE] if redcap else names


def redcap_time(value) -> str:
    """A time as REDCap's datetime_ymd wants it: UTC, YYYY-MM-DD HH:MM."""
    return as_utc(value).astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def wide_line(
    block,
    summary: BlockSummary,
    entries: Iterable[tuple],
    slots: list[int],
    status: str,
    redcap: bool = False,
    sides: dict[str, BlockSummary] | None = None,
    days: int = 0,
    relief_days: DaysOfRelief | None = None,
    outcome: str | None = None,
    side_days: Mapping[str, DaysOfRelief | None] | None = None,
) -> str:
    """One row per block: its facts, verdict and diary status, then the pain answering
    each scheduled time in ``slots`` and each of ``days`` daily slots (the one submitted
    last where two answer it; empty where none did), then its days of relief
    (``relief_days``, None without daily scores) and ``outcome`` (the verdict unless
    given), then each side's figures and scores when the block is scored apart (``sides``:
    each side's summary, else read from its summary column), then each side's daily scores
    and days of relief (``side_days``). ``redcap``: the import file's
    row (see the module's docstring)."""
    sides = sides or side_summaries_of(block)
    by_slot: dict[int, tuple] = {}
    by_day: dict[int, tuple] = {}
    for entry in entries:
        due_at, submitted_at = entry[10], entry[3]
        if not due_at:
            continue
        if len(entry) > ENTRY_SLOT and entry[ENTRY_SLOT] == DAILY:
            kept_by, key = by_day, slot_day(block.performed_at, due_at)
        else:
            kept_by, key = by_slot, slot_minutes(block.performed_at, due_at)
        kept = kept_by.get(key)
        if kept is None or str(submitted_at) >= str(kept[3]):
            kept_by[key] = entry
    patient = block.patient
    text: Callable[[str | None], str] = (
        (lambda value: printable(plain_cell(value))) if redcap else text_cell
    )
    yes, no = ("1", "0") if redcap else ("true", "false")
    running = status in RUNNING
    cells = [
        number_cell(block.id),
        text(patient.display_name),
        text(patient.mrn),
        number_cell(patient.birth_year),
        redcap_time(block.performed_at),
        block.region,
        " ".join(block.levels),
        block.side,
        block.agent,
        text(block.concentration),
        number_cell(block.baseline_pain),
        summary.verdict,
        pct_cell(summary.peak_relief_pct),
        hours_cell(summary.response_duration_h),
        summary.duration_class or "",
        block.purpose,
        block.sequence,
        yes if block.steroid else no,
        block.sedation,
        pct_cell(summary.threshold_pct),
        status,
        yes if running else no,
        number_cell(summary.entry_count),
    ]
    cells += [number_cell(by_slot[m][4]) if m in by_slot else "" for m in slots]
    cells += [number_cell(by_day[d][4]) if d in by_day else "" for d in range(1, days + 1)]

    def days_cells(found: DaysOfRelief | None) -> list[str]:
        if found is None:
            return ["", "", ""]
        return [number_cell(found.days), yes if found.open else no, found.relief_class]

    cells += days_cells(relief_days)
    cells.append(text(outcome or summary.verdict))
    cells.append(str(block.scoring))
    for side in SIDES:
        summary_of_side = sides[side] if sides else None
        baseline = getattr(block, f"baseline_pain_{side}")
        cells += (
            [
                number_cell(baseline),
                summary_of_side.verdict,
                pct_cell(summary_of_side.peak_relief_pct),
                hours_cell(summary_of_side.response_duration_h),
                summary_of_side.duration_class or "",
            ]
            if summary_of_side
            else [number_cell(baseline), "", "", "", ""]
        )
    for index in ENTRY_SIDE_PAINS:  # each entry's left, then right score
        cells += [number_cell(by_slot[m][index]) if m in by_slot else "" for m in slots]
    for index in ENTRY_SIDE_PAINS:  # each day's left, then right score
        cells += [number_cell(by_day[d][index]) if d in by_day else "" for d in range(1, days + 1)]
    for side in SIDES:
        cells += days_cells((side_days or {}).get(side))
    if redcap:
        cells.append("0" if running else "2")
    return csv_line(cells)


def _field(name: str, kind: str, description: str, constraints: dict | None = None) -> dict:
    field: dict = {"name": name, "type": kind, "description": description}
    if constraints:
        field["constraints"] = constraints
    return field


def wide_schema(slots: list[int], redcap: bool = False, days: int = 0) -> dict:
    """A Frictionless Table Schema of the wide file (or, ``redcap``, the import file):
    types, ranges, the words a column may hold, and its key."""
    fields = []
    for variable in block_variables(slots, days):
        constraints: dict = {"required": True} if variable.required else {}
        if variable.choices:
            constraints["enum"] = list(variable.choices)
        for bound, text in (("minimum", variable.low), ("maximum", variable.high)):
            if text:
                constraints[bound] = int(text) if variable.kind == "integer" else float(text)
        description = f"{variable.label}; {variable.note}" if variable.note else variable.label
        field = _field(variable.name, variable.kind, description, constraints)
        if variable.kind == "boolean":
            field["trueValues"], field["falseValues"] = (
                (["1"], ["0"])
                if redcap
                else (
                    ["true"],
                    ["false"],
                )
            )
        if variable.kind == "datetime":
            field["format"] = "%Y-%m-%d %H:%M"
        fields.append(field)
    if redcap:
        fields.append(
            _field(
                FORM_COMPLETE,
                "integer",
                "REDCap's form status: 0 incomplete (diary running), 2 complete",
                {"required": True, "enum": [0, 2]},
            )
        )
    return {"fields": fields, "missingValues": [""], "primaryKey": ["record_id"]}


# The series file's columns (SERIES_COLUMNS), described for its table schema.
SERIES_FIELDS: dict[str, tuple[str, str]] = {
    "patient_id": ("integer", "the patient"),
    "patient": ("string", "display name or initials"),
    "mrn": ("string", "medical record number, if given"),
    "region": ("string", "cervical, thoracic or lumbar"),
    "side": ("string", "left or right: a bilateral block is in both sides' series"),
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


def series_schema() -> dict:
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
            field["constraints"]["enum"] = ["left", "right"]
        if name == "pair_status":
            field["constraints"] = {"enum": PAIR_STATUSES}
        fields.append(field)
    # One row per series: a patient's blocks at one region, side and set of levels.
    key = ["patient_id", "region", "side", "levels"]
    return {"fields": fields, "missingValues": [""], "primaryKey": key}


def _flag(value: bool) -> str:
    return "true" if value else "false"


def series_line(patient, blocks, result) -> str:
    """One series of a patient (same region, side and levels) and what it shows. Series
    are per side: a bilateral block is in the left and the right series (``blocks`` a
    services.analysis.SeriesBlocks, which names its side)."""
    first = blocks[0]
    side = getattr(blocks, "side", first.side)
    lcd, consensus = result.ablation_criteria["lcd"], result.ablation_criteria["consensus_2020"]
    return csv_line(
        [
            number_cell(patient.id),
            text_cell(patient.display_name),
            text_cell(patient.mrn),
            first.region,
            side,
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
