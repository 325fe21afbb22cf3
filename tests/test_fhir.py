"""The FHIR export: a valid R4 Bundle (checked with fhir.resources), LOINC 72514-3 per entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from diary import fhir
from diary.extensions import db
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
    assert kinds == ["Patient", "Procedure"] + ["Observation"] * 6 + ["DiagnosticReport"]


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
    assert procedure["code"]["coding"][0]["code"] == "64493"  # lumbar, first level
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
