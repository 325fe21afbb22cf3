"""The follow-up as a REDCap project (issue 25 item 6): a data dictionary and the import
file that matches it. Flask-free: reads procedures and check-ins by attribute.

A record is a followed procedure: ``rfa-<id>`` (an ablation) or ``block-<id>`` (a
therapeutic block). The ``procedure`` form holds its facts and outcomes (per reading: as
one, or left and right when scored apart); ``checkin`` is a **repeating instrument**
(enable it under Project Setup → Repeating instruments), one instance per check-in as
sent, numbered in the order they reached the server: the rows of the check-ins CSV, a
replaced one marked as not counting. In the import file a procedure's own row has empty
``redcap_repeat_instrument`` and ``redcap_repeat_instance``; each check-in's row names the
instrument and its instance and fills the check-in's fields only. Yes/no are REDCap's
1/0, times are UTC ``YYYY-MM-DD HH:MM``, text is as typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from diary.pathway.values import NO, UNDETERMINED, YES, Scoring, Technique
from diary.records.export import csv_line, number_cell, pct_cell, plain_cell, printable
from diary.records.research import (
    PATIENT_VARIABLES,
    Variable,
    dictionary_line,
    dropdown,
    redcap_time,
)
from diary.vocabulary import PGIC_WORDS, EntrySource, Region, Side

PROCEDURE_FORM, CHECKIN_FORM = "procedure", "checkin"
REPEAT_COLUMNS = ["redcap_repeat_instrument", "redcap_repeat_instance"]
RFA, THERAPEUTIC_BLOCK = "rfa", "therapeutic_block"
ONE = "one"
DURABILITIES = ("durable", "not_durable", UNDETERMINED)
REPEAT_ANSWERS = (YES, NO, UNDETERMINED)
PGIC_LABELS = tuple(PGIC_WORDS.values())  # the words the patient tapped
# A reading's suffix on its variables (None: the pain scored as one).
SUFFIXES = {None: "", Side.LEFT.value: "_left", Side.RIGHT.value: "_right"}


def _score(name: str, label: str) -> Variable:
    return Variable(name, "text", label, "integer", "integer", "0", "10")


def _percent(name: str, label: str) -> Variable:
    return Variable(name, "text", label, "number", "number", "", "100")


def _outcome_variables() -> list[Variable]:
    variables = []
    for reading, suffix in SUFFIXES.items():
        what = "" if reading is None else f" ({reading})"
        variables += [
            dropdown(
                f"durability{suffix}",
                f"Durable relief at 6 months{what}",
                DURABILITIES,
                required=False,
            ),
            Variable(f"durability_reason{suffix}", "notes", f"Why{what}", "string"),
            dropdown(
                f"repeat_inj{suffix}",
                f"Repeat injection supported{what}",
                REPEAT_ANSWERS,
                required=False,
            ),
            Variable(f"repeat_inj_reason{suffix}", "notes", f"Why{what}", "string"),
            Variable(
                f"relief_lasted{suffix}",
                "text",
                f"Months relief >= 50% lasted{what}",
                "integer",
                "integer",
                "0",
            ),
            Variable(
                f"relief_lasted_open{suffix}",
                "yesno",
                f"Relief still held at the latest check-in{what}",
                "boolean",
            ),
        ]
    return variables


PROCEDURE_VARIABLES = [
    Variable("record_id", "text", "Followed procedure (rfa-<id> or block-<id>)", "string"),
    dropdown("procedure", "Procedure", (RFA, THERAPEUTIC_BLOCK)),
    Variable("procedure_id", "text", "Ablation or block id", "integer", "integer", "1"),
    *PATIENT_VARIABLES,
    Variable("performed_at", "text", "Performed (UTC)", "datetime", "datetime_ymd", required=True),
    dropdown("region", "Spinal region", (r.value for r in Region)),
    Variable("levels", "text", "Levels", "string", required=True),
    dropdown("side", "Side", (s.value for s in Side)),
    dropdown("technique", "Technique (ablations)", (t.value for t in Technique), required=False),
    dropdown("scoring", "Pain scored", (s.value for s in Scoring)),
    _score("baseline_pain", "Baseline pain (0-10)"),
    _score("baseline_pain_left", "Baseline pain, left (0-10)"),
    _score("baseline_pain_right", "Baseline pain, right (0-10)"),
    *_outcome_variables(),
    Variable("as_of", "text", "Outcomes read on (clinic date)", "date", "date_ymd"),
]
CHECKIN_VARIABLES = [
    Variable("checkin_id", "text", "Check-in id", "integer", "integer", "1"),
    Variable("checkin_months", "text", "Scheduled check-in (months)", "integer", "integer", "1"),
    Variable("checkin_unscheduled", "yesno", "Unscheduled (staff)", "boolean"),
    Variable("checkin_dated_on", "text", "Dated on, as the rules read it", "date", "date_ymd"),
    Variable("checkin_made_on", "text", "Made on (clinic date)", "date", "date_ymd"),
    Variable("checkin_submitted", "text", "Submitted (UTC)", "datetime", "datetime_ymd"),
    _score("checkin_pain", "Average pain past week (0-10)"),
    _score("checkin_pain_left", "Average pain past week, left (0-10)"),
    _score("checkin_pain_right", "Average pain past week, right (0-10)"),
    _percent("checkin_relief", "Relief from baseline (%)"),
    _percent("checkin_relief_left", "Relief, left (%)"),
    _percent("checkin_relief_right", "Relief, right (%)"),
    Variable(
        "checkin_reported_relief",
        "text",
        "Relief as the patient put it (%)",
        "integer",
        "integer",
        "0",
        "100",
    ),  # fmt: skip
    dropdown("checkin_pgic", "PGIC", (str(n) for n in range(1, 8)), required=False),
    Variable("checkin_new_treatment", "yesno", "New procedure or pain medicine", "boolean"),
    dropdown("checkin_source", "Made by", (s.value for s in EntrySource), required=False),
    Variable("checkin_counts", "yesno", "Counts (not replaced by a later answer)", "boolean"),
]
FORMS = ((PROCEDURE_FORM, PROCEDURE_VARIABLES), (CHECKIN_FORM, CHECKIN_VARIABLES))
PGIC_CHOICES = " | ".join(f"{n}, {label}" for n, label in enumerate(PGIC_LABELS, start=1))


def redcap_dictionary() -> Iterator[str]:
    """The dictionary's rows (header: research.REDCAP_DICTIONARY_HEADER)."""
    for form, variables in FORMS:
        for variable in variables:
            choices = PGIC_CHOICES if variable.name == "checkin_pgic" else None
            yield dictionary_line(variable, form, choices)


def import_columns() -> list[str]:
    procedure = [v.name for v in PROCEDURE_VARIABLES]
    checkin = [v.name for v in CHECKIN_VARIABLES]
    return [
        procedure[0],
        *REPEAT_COLUMNS,
        *procedure[1:],
        f"{PROCEDURE_FORM}_complete",
        *checkin,
        f"{CHECKIN_FORM}_complete",
    ]


def _text(value: str | None) -> str:
    return printable(plain_cell(value))


def _day(value) -> str:
    return "" if value is None else value.isoformat()


def _time(value) -> str:
    return "" if value is None else redcap_time(value)


def _yes(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


def _procedure_row(record, is_ablation: bool, scoring: str, view: Any) -> list[str]:
    apart = scoring == Scoring.SIDES
    outcomes = {outcome.scored_side: outcome for outcome in view.outcomes}
    outcome_cells: list[str] = []
    for reading in SUFFIXES:
        outcome = outcomes.get(reading)
        durable = outcome.durability if outcome else None
        repeat = outcome.repeat_injection if outcome else None
        lasted = outcome.relief_lasted if outcome else None
        outcome_cells += [
            durable.status if durable else "",
            _text(durable.reason) if durable else "",
            repeat.status if repeat else "",
            _text(repeat.reason) if repeat else "",
            number_cell(lasted.months) if lasted else "",
            _yes(lasted.open) if lasted else "",
        ]
    # Complete (2) once nothing can change the outcomes; a check-in to come leaves it open.
    pending = view.next_checkin is not None or any(
        judged is not None and judged.status == UNDETERMINED
        for o in view.outcomes
        for judged in (o.durability, o.repeat_injection)
    )
    patient = record.patient
    return [
        RFA if is_ablation else THERAPEUTIC_BLOCK,
        number_cell(record.id),
        _text(patient.display_name),
        _text(patient.mrn),
        number_cell(patient.birth_year),
        _time(record.performed_at),
        record.region,
        " ".join(record.levels),
        record.side,
        record.technique if is_ablation else "",
        scoring,
        number_cell(None if apart else record.baseline_pain),
        number_cell(record.baseline_pain_left if apart else None),
        number_cell(record.baseline_pain_right if apart else None),
        *outcome_cells,
        _day(view.on),
        "0" if pending else "2",
    ]


def import_lines(record, is_ablation: bool, scoring: str, view: Any) -> list[str]:
    """A followed procedure's row, then one row per check-in as sent (the repeating
    instrument). ``view``: its follow-up as every record reads it (rows, superseded,
    outcomes, dated_on, reliefs; diary.services.followup.FollowUpView)."""
    identity = f"rfa-{record.id}" if is_ablation else f"block-{record.id}"
    checkin_blank = [""] * (len(CHECKIN_VARIABLES) + 1)
    lines = [
        csv_line(
            [identity, "", "", *_procedure_row(record, is_ablation, scoring, view), *checkin_blank]
        )
    ]
    procedure_blank = [""] * len(PROCEDURE_VARIABLES)  # its fields but record_id, and _complete
    reliefs = view.reliefs()
    for instance, row in enumerate(view.rows, start=1):
        found = reliefs.get(row.id, {})

        def relief(side: str | None, found: dict = found) -> str:
            item = found.get(side)
            return pct_cell(item.relief_pct) if item is not None else ""

        lines.append(
            csv_line(
                [
                    identity,
                    CHECKIN_FORM,
                    str(instance),
                    *procedure_blank,
                    number_cell(row.id),
                    number_cell(row.months),
                    _yes(row.months is None),
                    _day(view.dated_on(row)),
                    _day(row.made_on),
                    _time(row.submitted_at),
                    number_cell(row.pain),
                    number_cell(row.pain_left),
                    number_cell(row.pain_right),
                    relief(None),
                    relief(Side.LEFT.value),
                    relief(Side.RIGHT.value),
                    number_cell(row.reported_relief_pct),
                    number_cell(row.pgic),
                    _yes(row.new_treatment),
                    str(row.source),
                    _yes(row.id not in view.superseded),
                    "2",
                ]
            )
        )
    return lines
