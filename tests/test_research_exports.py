"""The research arm's files: wide (a pain column per scheduled time the blocks were given),
series, and a REDCap data dictionary whose import file matches it, each with a table
schema that frictionless validates it against, and REDCap's own rules."""

from __future__ import annotations

import csv
import io
import re

import pytest

from diary.extensions import db
from tests.conftest import add_concordant_pair, add_entries
from tests.redcap_rules import dictionary_errors, import_errors
from tests.test_csv_export import frictionless_errors

HOSTILE_NAME = "=cmd|' /C calc'!A0"


def read(response, bom=True) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff") == bom
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))


def header_of(response) -> list[str]:
    text = response.get_data().decode("utf-8").lstrip("\ufeff")
    return next(csv.reader(io.StringIO(text, newline="")))


def test_the_wide_file_has_a_column_per_answered_time_and_the_blocks_facts(client, signed_in):
    block = signed_in.block
    add_entries(block, {0.25: 1, 0.5: 0, 1: 1, 2: 3})
    db.session.commit()
    (row,) = read(client.get("/exports/research/wide.csv"))
    assert row["record_id"] == str(block.id) and row["birth_year"] == "1960"
    assert (row["pain_15m"], row["pain_30m"], row["pain_1h"], row["pain_2h"]) == (
        "1",
        "0",
        "1",
        "3",
    )
    # No block of the export was asked at 3 h or 12 h yet: no empty column for them.
    assert "pain_3h" not in row and "pain_12h" not in row
    assert row["verdict"] in ("positive", "partial", "indeterminate")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row["performed_at"])
    assert (row["purpose"], row["sequence"], row["steroid"], row["sedation"]) == (
        "diagnostic",
        "first",
        "false",
        "none",
    )
    assert row["threshold_pct"] == "80.0" and row["entries"] == "4"
    # Three hours after the block the diary still runs: the verdict is provisional.
    assert (row["diary_status"], row["provisional"]) == ("in_progress", "true")


def test_changing_the_schedule_keeps_the_columns_the_blocks_were_given(client, signed_in):
    add_entries(signed_in.block, {0.25: 1, 0.5: 0, 1: 1})
    signed_in.clinic.schedule = {"early_minutes": [20, 40], "hourly_until_h": 4}
    db.session.commit()
    wide = read(client.get("/exports/research/wide.csv"))
    assert wide[0]["pain_15m"] == "1" and wide[0]["pain_30m"] == "0"
    assert "pain_20m" not in wide[0]
    dictionary = read(client.get("/exports/research/redcap-dictionary.csv"), bom=False)
    assert "pain_15m" in [field["Variable / Field Name"] for field in dictionary]


def test_the_series_file_gives_each_series_its_pair_status_and_criteria(client, signed_in):
    world = signed_in
    second = add_concordant_pair(world)
    (row,) = read(client.get("/exports/research/series.csv"))
    assert row["pair_status"] == "concordant"
    assert set(row["block_ids"].split()) == {str(world.block.id), str(second.id)}
    assert row["lcd_met"] in ("true", "false") and row["consensus_2020_met"] == "true"
    assert row["lcd_reason"] and row["consensus_2020_reason"]


def hostile_clinic(world):
    """Blocks whose free text a spreadsheet would run, with an MRN's leading zeros, and a
    control character stored before the doors refused them."""
    world.patient.display_name = HOSTILE_NAME
    world.patient.mrn = "00123"
    world.block.concentration = "2"
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1})
    add_concordant_pair(world)
    world.other_patient.display_name = "a\x1cb"
    db.session.commit()


def test_the_redcap_files_follow_redcaps_rules_and_carry_values_as_typed(client, signed_in):
    hostile_clinic(signed_in)
    dictionary_response = client.get("/exports/research/redcap-dictionary.csv")
    dictionary = read(dictionary_response, bom=False)
    assert dictionary_errors(header_of(dictionary_response), dictionary) == []
    import_response = client.get("/exports/research/redcap-import.csv")
    records = read(import_response, bom=False)
    header = header_of(import_response)
    assert import_errors(dictionary, header, records) == []
    names = [field["Variable / Field Name"] for field in dictionary]
    assert header == [*names, "block_diary_complete"]
    identifiers = {f["Variable / Field Name"] for f in dictionary if f["Identifier?"] == "y"}
    assert {"patient", "mrn", "birth_year"} <= identifiers  # flagged for de-identified exports
    ours = {r["record_id"]: r for r in records}[str(signed_in.block.id)]
    assert ours["patient"] == HOSTILE_NAME  # no spreadsheet guard in a typed import
    assert ours["mrn"] == "00123"
    assert ours["steroid"] == "0" and ours["provisional"] == "1"
    assert ours["block_diary_complete"] == "0"  # running: not complete yet
    finished = [r for r in records if r["diary_status"] in ("complete", "expired")]
    assert finished and {r["block_diary_complete"] for r in finished} == {"2"}
    # The wide file is a CSV a spreadsheet opens: there the guard stays.
    wide = {r["record_id"]: r for r in read(client.get("/exports/research/wide.csv"))}
    assert wide[str(signed_in.block.id)]["patient"] == "'" + HOSTILE_NAME


def test_other_clinics_control_characters_do_not_leak_and_ours_are_replaced(
    client, signed_in, auth
):
    hostile_clinic(signed_in)
    signed_in.patient.display_name = "J\x1cS"
    db.session.commit()
    records = read(client.get("/exports/research/redcap-import.csv"), bom=False)
    assert {r["patient"] for r in records} == {"J\ufffdS"}


@pytest.mark.parametrize("name", ["wide", "series", "redcap-import"])
def test_research_files_validate_against_their_served_schemas(client, signed_in, tmp_path, name):
    hostile_clinic(signed_in)
    body = client.get(f"/exports/research/{name}.csv").get_data()
    response = client.get(f"/exports/{name}.schema.json")
    assert response.status_code == 200
    schema = response.get_json()
    assert frictionless_errors(tmp_path, name, body, schema) == [], name
    text = body.decode("utf-8-sig")
    header, first = text.split("\r\n")[:2]
    column = "verdict" if name != "series" else "pair_status"
    cells = next(csv.reader([first]))
    cells[header.split(",").index(column)] = "maybe"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header.split(","), cells])
    mutated = ("\ufeff" if name != "redcap-import" else "") + buffer.getvalue()
    assert "constraint-error" in frictionless_errors(tmp_path, "m", mutated.encode(), schema)


def test_the_wide_schema_types_each_column(client, signed_in):
    add_entries(signed_in.block, {0.25: 1})
    db.session.commit()
    schema = client.get("/exports/wide.schema.json").get_json()
    fields = {field["name"]: field for field in schema["fields"]}
    assert schema["primaryKey"] == ["record_id"]
    assert fields["pain_15m"]["type"] == "integer"
    assert fields["pain_15m"]["constraints"] == {"minimum": 0, "maximum": 10}
    assert fields["performed_at"]["type"] == "datetime"
    assert fields["provisional"]["type"] == "boolean"
    assert "in_progress" in fields["diary_status"]["constraints"]["enum"]


def test_every_series_column_is_described_for_its_schema():
    from diary.records import research

    assert set(research.SERIES_COLUMNS) <= set(research.SERIES_FIELDS)
