"""Issue 24, item 9: a bilateral block scored apart in FHIR (one Observation per side per
entry with its laterality on bodySite, a peak and a response per side, the report
concluding both; the bilateral Procedure coded with CPT modifier 50) and in the research
files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from diary.extensions import db
from diary.records import fhir
from diary.services.analysis import analyse_block, side_analyses
from diary.services.blocks import agent_label
from tests.fhir_r4 import assert_valid_r4
from tests.test_fhir import r4, resources_of
from tests.test_sides import APART_ENTRIES, add_side_entries, apart_block

NOW = datetime.now(UTC)

# The diary is over (its hourly window ends at 8 h): the verdicts are final.
FINISHED = datetime.now(UTC) - timedelta(hours=9)


def test_fhir_has_an_observation_per_side_per_entry_with_its_laterality(world):
    block = apart_block(world)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    bundle = fhir.diary_bundle(
        block,
        agent_label(block),
        analyse_block(block),
        NOW,
        mrn_system="urn:oid:2.16.840.1.113883.3.999.1",
        sides=side_analyses(block),
    )
    assert_valid_r4(bundle)
    r4(bundle)
    observations = resources_of(bundle, "Observation")
    pain = [o for o in observations if o["code"]["coding"][0]["code"] == "72514-3"]
    assert len(pain) == 2 * len(APART_ENTRIES)
    first_left, first_right = pain[:2]
    assert first_left["bodySite"]["coding"][0]["code"] == "7771000"  # SNOMED CT: left
    assert first_right["bodySite"]["coding"][0]["code"] == "24028007"  # right
    assert (first_left["valueInteger"], first_right["valueInteger"]) == (1, 5)
    relief = [
        c["valueQuantity"]["value"] for o in (first_left, first_right) for c in o["component"]
    ]
    assert relief == [87.5, 16.7]
    assert first_left["identifier"][0]["value"].endswith("/left")
    peaks = [o for o in observations if o["code"]["coding"][0]["code"] == "peak-relief-pct"]
    assert [(p["bodySite"]["text"], p["valueQuantity"]["value"]) for p in peaks] == [
        ("left side", 100.0),
        ("right side", 16.7),
    ]
    (report,) = resources_of(bundle, "DiagnosticReport")
    assert report["conclusion"].startswith("Left: positive · Right: negative")
    assert [c["coding"][0]["code"] for c in report["conclusionCode"]] == ["positive", "negative"]
    assert len(report["result"]) == 4
    procedure = resources_of(bundle, "Procedure")[0]
    assert {"system": fhir.CPT, "code": "50", "display": "Bilateral procedure"} in procedure[
        "code"
    ]["coding"]


def test_the_api_fhir_door_reads_both_sides(client, world):
    from diary.services.tokens import create_api_token
    from tests.test_api import Api

    world.clinic.mrn_system = "urn:oid:2.16.840.1.113883.3.999.1"
    block = apart_block(world, performed_at=FINISHED)
    add_side_entries(block, APART_ENTRIES)
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    bundle = Api(client, token).get(f"/blocks/{block.id}/fhir").get_json()
    (report,) = resources_of(bundle, "DiagnosticReport")
    assert report["conclusion"].startswith("Left: positive · Right: negative")


def _csv(response, bom=True) -> list[dict]:
    import csv
    import io

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_data().decode("utf-8")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))


def test_research_files_carry_each_side(client, signed_in, tmp_path):
    from tests.redcap_rules import dictionary_errors, import_errors
    from tests.test_csv_export import frictionless_errors
    from tests.test_research_exports import header_of

    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    wide = {r["record_id"]: r for r in _csv(client.get("/exports/research/wide.csv"))}
    ours = wide[str(block.id)]
    assert (ours["scoring"], ours["verdict_left"], ours["verdict_right"]) == (
        "sides",
        "positive",
        "negative",
    )
    assert (ours["baseline_pain_left"], ours["baseline_pain_right"]) == ("8", "6")
    assert (ours["pain_15m_left"], ours["pain_15m_right"], ours["pain_15m"]) == ("1", "5", "")
    assert (ours["pain_3h_left"], ours["pain_3h_right"]) == ("6", "6")
    assert wide[str(signed_in.block.id)]["scoring"] == "one"
    for name in ("wide", "series", "redcap-import"):
        body = client.get(f"/exports/research/{name}.csv").get_data()
        schema = client.get(f"/exports/{name}.schema.json").get_json()
        assert frictionless_errors(tmp_path, name, body, schema) == [], name
    dictionary_response = client.get("/exports/research/redcap-dictionary.csv")
    dictionary = _csv(dictionary_response, bom=False)
    assert dictionary_errors(header_of(dictionary_response), dictionary) == []
    import_response = client.get("/exports/research/redcap-import.csv")
    records = _csv(import_response, bom=False)
    assert import_errors(dictionary, header_of(import_response), records) == []
    series = _csv(client.get("/exports/research/series.csv"))
    mine = sorted((r["side"], r["block_ids"]) for r in series if r["levels"] == "L4-L5 L5-S1")
    # Oldest first: the bilateral block (4 h ago) before the right one (3 h ago).
    assert mine == [("left", str(block.id)), ("right", f"{block.id} {signed_in.block.id}")]


def test_the_entries_workbook_types_the_side_columns(client, signed_in):
    import io

    from openpyxl import load_workbook

    from diary.records import export

    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    response = client.get("/exports/entries.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))
    header = list(rows[0])
    assert header == export.ENTRY_COLUMNS
    mine = [r for r in rows[1:] if r[0] == block.id]
    at = header.index
    assert (mine[0][at("pain_left")], mine[0][at("pain_right")]) == (1, 5)
    assert mine[0][at("relief_pct_left")] == 87.5
    assert mine[0][at("verdict_left")] == "positive"


def test_the_verdict_filter_finds_a_block_by_either_sides_verdict(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    for verdict in ("positive", "negative"):
        rows = _csv(client.get(f"/exports/blocks.csv?verdict={verdict}"))
        assert str(block.id) in {r["block_id"] for r in rows}, verdict
    # Its flat verdict column says indeterminate (the two sides differ): no side does.
    for verdict in ("partial", "indeterminate"):
        rows = _csv(client.get(f"/exports/blocks.csv?verdict={verdict}"))
        assert str(block.id) not in {r["block_id"] for r in rows}, verdict


def test_the_verdict_filter_says_it_chooses_a_block_by_either_side(client, signed_in):
    from pathlib import Path

    page = client.get("/exports").get_data(as_text=True)
    hint = page.split('id="verdict-hint"', 1)[1].split("</p>", 1)[0]
    assert "either side has this verdict" in hint and "verdict_left" in hint
    assert 'aria-describedby="verdict-hint"' in page
    readme = " ".join((Path(__file__).parent.parent / "README.md").read_text().split())
    assert (
        "The verdict filter chooses a block scored left and right apart when **either**" in readme
    )
    spec = client.get("/api/v1/openapi.json").get_json()
    described = [
        p.get("description", "") + p.get("schema", {}).get("description", "")
        for path in spec["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
        for p in operation.get("parameters", [])
        if p.get("name") == "verdict"
    ]
    assert described and all("either side" in text for text in described)


def test_the_files_descriptions_say_where_a_block_scored_apart_has_its_verdicts(client, signed_in):
    """Its flat verdict says indeterminate: the schema and the REDCap dictionary say so,
    and send the reader to verdict_left and verdict_right."""
    from tests.test_research_exports import header_of

    for name in ("blocks", "entries", "wide", "redcap-import"):
        fields = client.get(f"/exports/{name}.schema.json").get_json()["fields"]
        described = {f["name"]: f["description"] for f in fields}
        flat = described["verdict"]
        assert "scored left and right apart" in flat, name
        assert "indeterminate" in flat and "verdict_left and verdict_right" in flat, name
        assert "the flat verdict says indeterminate" in described["verdict_left"], name
    dictionary_response = client.get("/exports/research/redcap-dictionary.csv")
    notes = {
        row["Variable / Field Name"]: row["Field Note"]
        for row in _csv(dictionary_response, bom=False)
    }
    assert header_of(dictionary_response)
    assert "verdict_left and verdict_right" in notes["verdict"]
    assert "The flat verdict says indeterminate" in notes["verdict_right"]
