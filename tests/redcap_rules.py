"""REDCap's rules for a data dictionary and its import file, as REDCap's upload checks
them (Project Setup → Data Dictionary; Data Import Tool), written out for the tests."""

from __future__ import annotations

import re
from datetime import datetime

HEADER = [
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
FIELD_TYPES = {
    "text", "notes", "dropdown", "radio", "checkbox", "yesno", "truefalse", "calc", "file",
    "slider", "descriptive", "sql",
}  # fmt: skip
CHOICE_TYPES = {"dropdown", "radio", "checkbox"}
VALIDATIONS = {
    "": None,
    "integer": re.compile(r"-?\d+"),
    "number": re.compile(r"-?\d+(\.\d+)?"),
    "date_ymd": re.compile(r"\d{4}-\d\d-\d\d"),
    "datetime_ymd": re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"),
    "datetime_seconds_ymd": re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"),
    "email": re.compile(r"[^@\s]+@[^@\s]+"),
}
NAME = re.compile(r"[a-z][a-z0-9_]{0,25}")
CHOICE = re.compile(r"(-?[A-Za-z0-9_]+), (.+)")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _choices(text: str) -> list[str] | None:
    codes = []
    for part in text.split("|"):
        match = CHOICE.fullmatch(part.strip())
        if match is None:
            return None
        codes.append(match.group(1))
    return codes


def _number(validation: str, text: str) -> float:
    if validation.startswith("date"):
        return datetime.fromisoformat(text).timestamp()
    return float(text)


def dictionary_errors(header: list[str], rows: list[dict]) -> list[str]:
    """What REDCap refuses in a data dictionary (rows as csv.DictReader gives them)."""
    errors = []
    if header != HEADER:
        errors.append(f"header is not REDCap's 18 columns in order: {header}")
    if not rows or rows[0]["Variable / Field Name"] != "record_id":
        errors.append("the first field is not record_id")
    seen: set[str] = set()
    forms: list[str] = []
    for row in rows:
        name, form = row["Variable / Field Name"], row["Form Name"]
        kind, validation = row["Field Type"], row["Text Validation Type OR Show Slider Number"]
        if not NAME.fullmatch(name):
            errors.append(f"{name}: not lower case a-z0-9_ from a letter, at most 26")
        if name in seen:
            errors.append(f"{name}: twice")
        seen.add(name)
        if not NAME.fullmatch(form):
            errors.append(f"{name}: form name {form!r}")
        if form not in forms:
            if forms and forms[-1] != form and form in forms:
                errors.append(f"{name}: form {form} is not contiguous")
            forms.append(form)
        if kind not in FIELD_TYPES:
            errors.append(f"{name}: field type {kind!r}")
        if not row["Field Label"]:
            errors.append(f"{name}: no label")
        choices = row["Choices, Calculations, OR Slider Labels"]
        if kind in CHOICE_TYPES:
            if _choices(choices) is None:
                errors.append(f"{name}: choices {choices!r} are not '1, Label | 2, Label'")
        elif choices and kind not in ("calc", "slider", "sql"):
            errors.append(f"{name}: choices on a {kind} field")
        if validation not in VALIDATIONS:
            errors.append(f"{name}: validation {validation!r}")
        if validation and kind != "text":
            errors.append(f"{name}: validation on a {kind} field")
        low, high = row["Text Validation Min"], row["Text Validation Max"]
        for bound in (low, high):
            if bound and not (validation and VALIDATIONS[validation].fullmatch(bound)):
                errors.append(f"{name}: bound {bound!r} does not fit {validation!r}")
        if low and high and not errors and _number(validation, low) > _number(validation, high):
            errors.append(f"{name}: min above max")
        for flag in ("Identifier?", "Required Field?", "Matrix Ranking?"):
            if row[flag] not in ("", "y"):
                errors.append(f"{name}: {flag} {row[flag]!r}")
        if name.endswith("_complete") and name[: -len("_complete")] in forms:
            errors.append(f"{name}: REDCap makes each form's _complete field itself")
    return errors


REPEAT_COLUMNS = ["redcap_repeat_instrument", "redcap_repeat_instance"]


def import_errors(
    dictionary: list[dict],
    header: list[str],
    records: list[dict],
    repeating: frozenset[str] | set[str] = frozenset(),
) -> list[str]:
    """What REDCap's Data Import Tool refuses in an import file made for ``dictionary``;
    ``repeating`` names the forms set up as repeating instruments (Project Setup). Their
    rows carry ``redcap_repeat_instrument`` and ``redcap_repeat_instance`` (right after
    record_id), a positive instance unique per record and instrument, and fill only that
    form's fields; a record's own row leaves both empty and fills no repeating form."""
    errors = []
    fields = {row["Variable / Field Name"]: row for row in dictionary}
    forms = list(dict.fromkeys(row["Form Name"] for row in dictionary))
    form_of = {name: row["Form Name"] for name, row in fields.items()}
    form_of |= {f"{form}_complete": form for form in forms}
    expected = [name for name, row in fields.items() if row["Field Type"] != "descriptive"]
    expected += [f"{form}_complete" for form in forms]
    if header[0] != "record_id":
        errors.append("the first column is not record_id")
    repeats = any(name in header for name in REPEAT_COLUMNS)
    if repeats:
        if header[1:3] != REPEAT_COLUMNS:
            errors.append("redcap_repeat_instrument and _instance do not follow record_id")
        if not repeating:
            errors.append("repeat columns, but no form is set up as a repeating instrument")
        expected += REPEAT_COLUMNS
    unknown_forms = set(repeating) - set(forms)
    if unknown_forms:
        errors.append(f"repeating instruments not in the dictionary: {sorted(unknown_forms)}")
    unknown = [name for name in header if name not in expected]
    if unknown:
        errors.append(f"columns not in the dictionary: {unknown}")
    for form in forms:
        if f"{form}_complete" not in header:
            errors.append(f"no {form}_complete column")
    ids: set[str] = set()
    instances: set[tuple[str, str, str]] = set()
    for record in records:
        record_id = record["record_id"]
        instrument = record.get("redcap_repeat_instrument", "")
        instance = record.get("redcap_repeat_instance", "")
        if not record_id:
            errors.append("record_id empty")
        if instrument:
            if instrument not in repeating:
                errors.append(f"{record_id}: {instrument!r} is not a repeating instrument")
            if not re.fullmatch(r"[1-9]\d*", instance):
                errors.append(f"{record_id}/{instrument}: instance {instance!r} not 1, 2, ...")
            if (record_id, instrument, instance) in instances:
                errors.append(f"{record_id}/{instrument}/{instance}: twice")
            instances.add((record_id, instrument, instance))
        else:
            if instance:
                errors.append(f"{record_id}: an instance without an instrument")
            if record_id in ids:
                errors.append(f"record_id {record_id!r} repeated")
            ids.add(record_id)
        for name, value in record.items():
            if value == "" or name in REPEAT_COLUMNS:
                continue
            form = form_of.get(name)
            if instrument and form != instrument and name != "record_id":
                errors.append(f"{record_id}/{instrument}: {name} is not the instrument's")
            if not instrument and form in repeating:
                errors.append(f"{record_id}: {name} of a repeating form outside an instance")
            if CONTROL.search(value):
                errors.append(f"{record_id}/{name}: control character")
            if name.endswith("_complete"):
                if value not in ("0", "1", "2"):
                    errors.append(f"{record_id}/{name}: {value!r} is not 0, 1 or 2")
                continue
            row = fields.get(name)
            if row is None:
                continue
            kind = row["Field Type"]
            validation = row["Text Validation Type OR Show Slider Number"]
            if kind in CHOICE_TYPES:
                codes = _choices(row["Choices, Calculations, OR Slider Labels"]) or []
                if value not in codes:
                    errors.append(f"{record_id}/{name}: {value!r} is not one of {codes}")
            elif kind in ("yesno", "truefalse"):
                if value not in ("0", "1"):
                    errors.append(f"{record_id}/{name}: {value!r} is not 1 or 0")
            elif validation:
                if not VALIDATIONS[validation].fullmatch(value):
                    errors.append(f"{record_id}/{name}: {value!r} is not {validation}")
                    continue
                low, high = row["Text Validation Min"], row["Text Validation Max"]
                number = _number(validation, value)
                if (low and number < _number(validation, low)) or (
                    high and number > _number(validation, high)
                ):
                    errors.append(f"{record_id}/{name}: {value!r} out of {low}..{high}")
    return errors
