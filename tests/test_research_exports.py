"""The research arm's files: wide (a pain column per scheduled time), series, and a REDCap
data dictionary whose import file matches it."""

from __future__ import annotations

import csv
import io
import re

from diary.extensions import db
from tests.conftest import add_concordant_pair, add_entries


def read(response, bom=True) -> list[dict]:
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff") == bom
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))


def test_the_wide_file_has_a_column_per_scheduled_time(client, signed_in):
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
    assert row["pain_3h"] == "" and "pain_12h" in row  # long-acting agents' times too
    assert row["verdict"] in ("positive", "partial", "indeterminate")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row["performed_at"])


def test_the_series_file_gives_each_series_its_pair_status_and_criteria(client, signed_in):
    world = signed_in
    second = add_concordant_pair(world)
    (row,) = read(client.get("/exports/research/series.csv"))
    assert row["pair_status"] == "concordant"
    assert set(row["block_ids"].split()) == {str(world.block.id), str(second.id)}
    assert row["lcd_met"] in ("true", "false") and row["consensus_2020_met"] == "true"
    assert row["lcd_reason"] and row["consensus_2020_reason"]


def test_the_redcap_import_file_matches_its_data_dictionary(client, signed_in):
    add_entries(signed_in.block, {0.25: 1, 0.5: 0, 1: 1})
    db.session.commit()
    dictionary = read(client.get("/exports/research/redcap-dictionary.csv"), bom=False)
    records = read(client.get("/exports/research/redcap-import.csv"), bom=False)
    names = [field["Variable / Field Name"] for field in dictionary]
    assert names[0] == "record_id" and list(records[0]) == names
    for field in dictionary:
        name = field["Variable / Field Name"]
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,25}", name), name
        assert field["Form Name"] == "block_diary"
        for record in records:
            value = record[name]
            if value == "":
                continue
            if field["Field Type"] == "dropdown":
                codes = [
                    c.split(",")[0].strip()
                    for c in field["Choices, Calculations, OR Slider Labels"].split("|")
                ]
                assert value in codes, (name, value)
            rule = field["Text Validation Type OR Show Slider Number"]
            if rule == "integer":
                assert re.fullmatch(r"-?\d+", value), (name, value)
                low, high = field["Text Validation Min"], field["Text Validation Max"]
                assert (not low or int(value) >= int(low)) and (not high or int(value) <= int(high))
            elif rule == "number":
                float(value)
            elif rule == "datetime_ymd":
                assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", value), (name, value)
    identifiers = {f["Variable / Field Name"] for f in dictionary if f["Identifier?"] == "y"}
    assert {"patient", "mrn", "birth_year"} <= identifiers  # flagged for de-identified exports
