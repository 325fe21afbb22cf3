"""Issue 24, item 9: a bilateral block scored apart in FHIR (one Observation per side per
entry with its laterality on bodySite, a peak and a response per side, the report
concluding both; the bilateral Procedure coded with CPT modifier 50) and in the research
files."""

from __future__ import annotations

from datetime import UTC, datetime

from diary.extensions import db
from diary.records import fhir
from diary.services.analysis import analyse_block, side_analyses
from diary.services.blocks import agent_label
from tests.fhir_r4 import assert_valid_r4
from tests.test_fhir import r4, resources_of
from tests.test_sides import APART_ENTRIES, add_side_entries, apart_block

NOW = datetime.now(UTC)


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
    block = apart_block(world)
    add_side_entries(block, APART_ENTRIES)
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    bundle = Api(client, token).get(f"/blocks/{block.id}/fhir").get_json()
    (report,) = resources_of(bundle, "DiagnosticReport")
    assert report["conclusion"].startswith("Left: positive · Right: negative")
