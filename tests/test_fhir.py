"""The FHIR export: a valid R4 Bundle (checked with fhir.resources), LOINC 72514-3 per entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diary.extensions import db
from diary.records import fhir
from diary.services.analysis import analyse_block
from diary.services.blocks import agent_label
from tests.conftest import add_entries

resources = pytest.importorskip("fhir.resources.R4B.bundle")


def bundle_for(world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    world.block.entries[1].note = "walked to the car"
    db.session.commit()
    return fhir.diary_bundle(
        world.block,
        agent_label(world.block),
        analyse_block(world.block),
        datetime(2026, 11, 24, 12, tzinfo=UTC),
    )


def test_bundle_validates_against_fhir_models(world):
    bundle = resources.Bundle.model_validate(bundle_for(world))
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    # The block's two levels are a Procedure each.
    assert kinds == ["Patient"] + ["Procedure"] * 2 + ["Observation"] * 6 + ["DiagnosticReport"]


def test_pain_observations_use_loinc_and_entry_times(world):
    bundle = bundle_for(world)
    procedure_url = bundle["entry"][1]["fullUrl"]
    pain = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "72514-3"
    ]
    assert len(pain) == 5
    first = pain[0]
    assert first["code"]["coding"][0]["system"] == "http://loinc.org"
    assert first["valueInteger"] == 1
    assert first["effectiveDateTime"] == world.block.entries[0].recorded_at.isoformat(
        timespec="seconds"
    )
    assert first["partOf"] == [{"reference": procedure_url}]
    relief = first["component"][0]["valueQuantity"]
    assert relief == {
        "value": 87.5,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert pain[1]["note"] == [{"text": "walked to the car"}]


def test_report_carries_verdict_and_peak(world):
    bundle = bundle_for(world)
    by_type = {}
    for entry in bundle["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry)
    report = by_type["DiagnosticReport"][0]["resource"]
    assert report["conclusionCode"][0]["coding"][0]["code"] == "positive"
    assert report["conclusion"].startswith("positive: peak relief 100% at 0.5 h")
    peak_url = report["result"][0]["reference"]
    peak = next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == peak_url)
    assert peak["valueQuantity"]["value"] == 100.0
    procedure = by_type["Procedure"][0]["resource"]
    assert procedure["code"]["coding"][1]["code"] == "64493"  # lumbar, first level
    assert procedure["performedDateTime"] == world.block.performed_at.isoformat(timespec="seconds")


def test_bundle_without_entries_is_still_valid(world):
    bundle = fhir.diary_bundle(
        world.block,
        "lidocaine 2%",
        analyse_block(world.block),
        datetime(2026, 11, 24, tzinfo=UTC),
    )
    resources.Bundle.model_validate(bundle)
    peak = bundle["entry"][-2]["resource"]
    assert "dataAbsentReason" in peak


def r4(bundle: dict):
    """The bundle read by the SMART on FHIR client's R4 (4.0.1) models, strictly: an
    unknown element or a wrong type fails."""
    from fhirclient.models.bundle import Bundle

    return Bundle(bundle, strict=True)


def transaction_for(client, world) -> dict:
    from diary.services.tokens import create_api_token

    _, token = create_api_token(world.clinician, "fhir")
    db.session.commit()
    response = client.get(
        f"/api/v1/blocks/{world.block.id}/fhir?bundle=transaction",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200
    return response.get_json()


def test_a_transaction_bundle_creates_each_resource_once_by_its_identifier(client, world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1})
    world.clinic.mrn_system = "urn:oid:2.16.840.1.113883.3.999.1"
    db.session.commit()
    bundle = transaction_for(client, world)
    assert bundle["type"] == "transaction"
    r4(bundle)
    for entry in bundle["entry"]:
        resource, request = entry["resource"], entry["request"]
        key = resource["identifier"][0]
        assert request == {
            "method": "POST",
            "url": resource["resourceType"],
            "ifNoneExist": f"identifier={key['system']}|{key['value']}",
        }
    patient = bundle["entry"][0]["resource"]
    assert patient["identifier"][0]["system"] == "urn:oid:2.16.840.1.113883.3.999.1"
    assert patient["identifier"][0]["value"] == "MRN-1"
    assert patient["birthDate"] == "1960"
    # Exported again, every resource keeps its identifier: a server keeps one copy.
    again = transaction_for(client, world)
    assert [e["request"]["ifNoneExist"] for e in again["entry"]] == [
        e["request"]["ifNoneExist"] for e in bundle["entry"]
    ]


def test_procedures_carry_cpt_per_level_snomed_and_the_side(world):
    world.block.region, world.block.side = "cervical", "bilateral"
    world.block.levels = ["C3-C4", "C4-C5", "C5-C6", "C6-C7"]
    db.session.commit()
    bundle = fhir.diary_bundle(
        world.block, "lidocaine 2%", analyse_block(world.block), datetime(2026, 11, 24, tzinfo=UTC)
    )
    r4(bundle)
    procedures = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"]
    cpt = [
        next(c["code"] for c in p["resource"]["code"]["coding"] if c["system"] == fhir.CPT)
        for p in procedures
    ]
    assert cpt == ["64490", "64491", "64492", "64492"]
    first = procedures[0]
    for procedure in procedures:
        resource = procedure["resource"]
        assert {"system": fhir.SNOMED, "code": "265778005"}.items() <= resource["code"]["coding"][
            0
        ].items()
        assert resource["bodySite"][1]["coding"][0]["code"] == "51440002"  # right and left
        assert "bilateral" in resource["code"]["text"]
    assert all(p["resource"]["partOf"] == [{"reference": first["fullUrl"]}] for p in procedures[1:])


def test_observations_carry_the_patients_relief_activity_and_transcription(world):
    from diary.services.entries import EntryInput, record_entry

    at = world.block.performed_at
    record_entry(
        world.block,
        EntryInput(
            pain=2,
            recorded_at=at + timedelta(hours=1),
            reported_relief_pct=70,
            activity="bend forward",
        ),
        now=at + timedelta(hours=1),
    )
    record_entry(
        world.block,
        EntryInput(pain=3, recorded_at=at + timedelta(hours=2)),
        now=at + timedelta(hours=3),
        transcribed_by=world.clinician,
    )
    db.session.commit()
    bundle = fhir.diary_bundle(
        world.block, "lidocaine 2%", analyse_block(world.block), datetime(2026, 11, 24, tzinfo=UTC)
    )
    r4(bundle)
    pain = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "72514-3"
    ]
    components = {c["code"]["coding"][0]["code"]: c for c in pain[0]["component"]}
    assert components["reported-relief-pct"]["valueQuantity"]["value"] == 70
    assert components["activity"]["valueString"] == "bend forward"
    assert "method" not in pain[0]
    assert pain[1]["method"]["coding"][0]["code"] == "transcribed"
