"""The FHIR export: valid R4 Bundles (fhir.resources 6.1.0, the R4 models, in a venv of
their own; and the SMART on FHIR client's R4 models, strictly), LOINC 72514-3 per entry,
CPT codes as billed, identifiers a server can match safely, and a provisional verdict
sent as preliminary."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from diary.extensions import db
from diary.models import AuditEvent
from diary.records import fhir
from diary.services.analysis import analyse_block
from diary.services.blocks import agent_label
from diary.services.tokens import create_api_token
from tests.conftest import add_entries, block_at, make_block
from tests.fhir_r4 import assert_valid_r4

MRN_SYSTEM = "urn:oid:2.16.840.1.113883.3.999.1"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def bundle_of(block, **options) -> dict:
    return fhir.diary_bundle(
        block, agent_label(block), analyse_block(block), NOW, mrn_system=MRN_SYSTEM, **options
    )


def bundle_for(world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    world.block.entries[1].note = "walked to the car"
    db.session.commit()
    return bundle_of(world.block)


def resources_of(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def coded(resource: dict, code: str) -> bool:
    return any(c.get("code") == code for c in resource["code"].get("coding", []))


def r4(bundle: dict):
    """The bundle read by the SMART on FHIR client's R4 (4.0.1) models in strict mode: an
    unknown element or a wrong type fails."""
    from fhirclient.models.bundle import Bundle

    return Bundle(bundle, strict=True)


def test_bundle_is_valid_fhir_r4(world):
    bundle = bundle_for(world)
    assert_valid_r4(bundle)
    r4(bundle)
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    # The block's two levels are a Procedure each; five entries, peak and response.
    assert kinds == ["Patient"] + ["Procedure"] * 2 + ["Observation"] * 7 + ["DiagnosticReport"]


def test_pain_observations_use_loinc_and_entry_times(world):
    bundle = bundle_for(world)
    procedure_url = bundle["entry"][1]["fullUrl"]
    pain = [o for o in resources_of(bundle, "Observation") if coded(o, "72514-3")]
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


def test_the_report_carries_the_verdict_the_peak_at_its_time_and_the_response(world):
    bundle = bundle_for(world)
    (report,) = resources_of(bundle, "DiagnosticReport")
    assert report["conclusionCode"][0]["coding"][0]["code"] == "positive"
    assert "peak relief 100% at 0.5 h" in report["conclusion"]
    by_url = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    peak, response = (by_url[result["reference"]] for result in report["result"])
    assert peak["valueQuantity"]["value"] == 100.0
    # Dated at the peak (0.5 h after the block), not at the block.
    peak_at = world.block.performed_at + timedelta(hours=0.5)
    assert peak["effectiveDateTime"] == peak_at.isoformat(timespec="seconds")
    components = {c["code"]["coding"][0]["code"]: c for c in response["component"]}
    assert components["response-duration-h"]["valueQuantity"] == {
        "value": 1.75,
        "unit": "h",
        "system": "http://unitsofmeasure.org",
        "code": "h",
    }
    assert components["onset-h"]["valueQuantity"]["value"] == 0.25
    assert components["response-open"]["valueBoolean"] is False
    assert components["duration-class"]["valueCodeableConcept"]["coding"][0]["code"] == (
        analyse_block(world.block).duration_class
    )
    procedure = resources_of(bundle, "Procedure")[0]
    assert coded(procedure, "64493")  # lumbar, first level
    assert procedure["performedDateTime"] == world.block.performed_at.isoformat(timespec="seconds")


def test_no_response_is_absent_not_zero(world):
    add_entries(world.block, {0.5: 6, 1: 7, 2: 8})  # negative: never at the threshold
    db.session.commit()
    bundle = bundle_of(world.block)
    assert_valid_r4(bundle)
    response = next(o for o in resources_of(bundle, "Observation") if coded(o, "mbb-response"))
    components = {c["code"]["coding"][0]["code"]: c for c in response["component"]}
    for name in ("response-duration-h", "onset-h", "response-open", "duration-class"):
        assert "dataAbsentReason" in components[name], name
        assert not any(key.startswith("value") for key in components[name]), name


def test_bundle_without_entries_is_still_valid(world):
    bundle = bundle_of(world.block)
    assert_valid_r4(bundle)
    peak = next(o for o in resources_of(bundle, "Observation") if coded(o, "peak-relief-pct"))
    assert "dataAbsentReason" in peak


def test_a_four_level_block_reports_the_third_level_code_once_and_bilateral_as_a_coding(world):
    world.block.region, world.block.side = "cervical", "bilateral"
    world.block.levels = ["C3-C4", "C4-C5", "C5-C6", "C6-C7"]
    db.session.commit()
    bundle = bundle_of(world.block)
    assert_valid_r4(bundle)
    r4(bundle)
    procedures = resources_of(bundle, "Procedure")
    assert len(procedures) == 4  # one per level, each with its body site
    cpt = [c["code"] for p in procedures for c in p["code"]["coding"] if c["system"] == fhir.CPT]
    assert [code for code in cpt if code != "50"] == ["64490", "64491", "64492"]
    assert cpt.count("64492") == 1
    for procedure in procedures[:3]:  # each coded level carries the bilateral modifier
        assert fhir.BILATERAL_MODIFIER in procedure["code"]["coding"]
    for procedure in procedures:
        assert {"system": fhir.SNOMED, "code": "265778005"}.items() <= procedure["code"]["coding"][
            0
        ].items()
        assert procedure["bodySite"][1]["coding"][0]["code"] == "51440002"  # right and left
    first = bundle["entry"][1]["fullUrl"]
    assert all(p["partOf"] == [{"reference": first}] for p in procedures[1:])


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
    bundle = bundle_of(world.block)
    r4(bundle)
    pain = [o for o in resources_of(bundle, "Observation") if coded(o, "72514-3")]
    components = {c["code"]["coding"][0]["code"]: c for c in pain[0]["component"]}
    assert components["reported-relief-pct"]["valueQuantity"]["value"] == 70
    assert components["activity"]["valueString"] == "bend forward"
    assert "method" not in pain[0]
    assert pain[1]["method"]["coding"][0]["code"] == "transcribed"


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def test_control_characters_stored_before_never_reach_a_fhir_string(world):
    add_entries(world.block, {0.5: 1, 1: 2})
    world.patient.mrn = "MRN\x1c7"
    world.block.entries[0].note = "bad\x01note\x1f"
    world.block.entries[1].activity = "walk\x0bing"
    db.session.commit()
    bundle = bundle_of(world.block, transaction=True)
    assert_valid_r4(bundle)
    control = set(map(chr, [*range(0, 9), 11, 12, *range(14, 32)]))
    assert not [s for s in strings_in(bundle) if control & set(s)]
    assert resources_of(bundle, "Patient")[0]["identifier"][0]["value"] == "MRN\ufffd7"


@pytest.mark.parametrize("mrn", ["12,34|5\\6$", "Z9&_id=123", "a b+c"])
def test_a_conditional_create_matches_its_own_mrn_only(world, mrn):
    world.patient.mrn = mrn
    db.session.commit()
    bundle = bundle_of(world.block, transaction=True)
    request = bundle["entry"][0]["request"]
    query = parse_qs(request["ifNoneExist"], keep_blank_values=True)
    assert list(query) == ["identifier"]  # one search parameter, whatever the MRN holds
    (token,) = query["identifier"]
    escaped = mrn.replace("\\", "\\\\").replace(",", "\\,").replace("$", "\\$").replace("|", "\\|")
    assert token == f"{MRN_SYSTEM}|{escaped}"


def api_token(world, user=None) -> dict:
    _, token = create_api_token(user or world.clinician, "fhir")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_transaction_bundle_creates_each_resource_once_by_its_identifier(client, world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1})
    world.clinic.mrn_system = MRN_SYSTEM
    db.session.commit()
    headers = api_token(world)
    url = f"/api/v1/blocks/{world.block.id}/fhir?bundle=transaction"
    bundle = client.get(url, headers=headers).get_json()
    assert bundle["type"] == "transaction"
    r4(bundle)
    assert_valid_r4(bundle)
    for entry in bundle["entry"]:
        resource, request = entry["resource"], entry["request"]
        key = resource["identifier"][0]
        assert request["method"] == "POST" and request["url"] == resource["resourceType"]
        assert parse_qs(request["ifNoneExist"])["identifier"] == [f"{key['system']}|{key['value']}"]
    patient = bundle["entry"][0]["resource"]
    assert patient["identifier"][0]["system"] == MRN_SYSTEM
    assert patient["identifier"][0]["value"] == "MRN-1"
    assert patient["birthDate"] == "1960"
    # Exported again, every resource keeps its identifier: a server keeps one copy.
    again = client.get(url, headers=headers).get_json()
    assert [e["request"]["ifNoneExist"] for e in again["entry"]] == [
        e["request"]["ifNoneExist"] for e in bundle["entry"]
    ]


def test_a_running_diary_is_preliminary_and_a_finished_one_final(client, world):
    world.clinic.mrn_system = MRN_SYSTEM
    add_entries(world.block, {0.25: 1, 0.5: 0})  # three hours in: still running
    finished = block_at(world, timedelta(days=-3))
    add_entries(finished, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 4: 6})
    db.session.commit()
    headers = api_token(world)
    for block, status in ((world.block, "preliminary"), (finished, "final")):
        bundle = client.get(f"/api/v1/blocks/{block.id}/fhir", headers=headers).get_json()
        (report,) = resources_of(bundle, "DiagnosticReport")
        assert report["status"] == status
        assert {o["status"] for o in resources_of(bundle, "Observation")} == {status}
        assert ("(provisional)" in report["conclusion"]) == (status == "preliminary")


def test_relief_not_reached_while_the_diary_runs_is_not_never(client, signed_in):
    """A running diary whose relief has not reached the threshold reads "so far" on the
    page, its report and in FHIR; "never" only once the diary is over."""
    world = signed_in
    world.clinic.mrn_system = MRN_SYSTEM
    add_entries(world.block, {0.25: 7, 0.5: 7, 1: 7, 2: 8})  # three hours in: still running
    finished = block_at(world, timedelta(days=-3))
    add_entries(finished, {0.25: 7, 0.5: 7, 1: 7, 2: 8, 4: 8})
    db.session.commit()
    headers = api_token(world)
    for block, word, gone in (
        (world.block, "so far", "never"),
        (finished, "never", "so far"),
    ):
        bundle = client.get(f"/api/v1/blocks/{block.id}/fhir", headers=headers).get_json()
        (response,) = [
            o
            for o in resources_of(bundle, "Observation")
            if o["code"]["coding"][0]["code"] == "mbb-response"
        ]
        absent = {
            c["dataAbsentReason"]["text"] for c in response["component"] if "dataAbsentReason" in c
        }
        assert absent and all(word in text and gone not in text for text in absent), absent
        (report,) = resources_of(bundle, "DiagnosticReport")
        assert word in report["conclusion"] and gone not in report["conclusion"]
        for url in (f"/blocks/{block.id}", f"/blocks/{block.id}/report"):
            page = client.get(url).get_data(as_text=True)
            assert word in page and gone not in page.split("</header>", 1)[-1], url
            assert ("no response so far" in page) == (block is world.block), url


def test_no_fhir_export_before_the_clinic_sets_its_own_mrn_system(client, world, auth):
    assert world.clinic.mrn_system is None
    headers = api_token(world)
    for url in (f"/api/v1/blocks/{world.block.id}/fhir", "/api/v1/exports/fhir"):
        response = client.get(url, headers=headers)
        assert response.status_code == 409, url
        assert "Settings → Records" in response.get_json()["detail"]
    auth.login()
    page = client.get("/exports/fhir.json")
    assert page.status_code == 409
    assert "Settings → Records" in page.get_data(as_text=True)
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("export.%fhir%"))).all()
        == []
    )


def test_the_clinic_wide_bundle_holds_each_patient_once_and_is_audited(client, world):
    world.clinic.mrn_system = MRN_SYSTEM
    second = make_block(world.clinic, world.patient, world.clinician, region="cervical",
                        levels=["C5-C6"])  # fmt: skip
    add_entries(world.block, {0.25: 1, 0.5: 0})
    add_entries(second, {0.5: 3})
    add_entries(world.other_block, {0.5: 1})
    db.session.commit()
    response = client.get("/api/v1/exports/fhir?bundle=transaction", headers=api_token(world))
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    bundle = json.loads(response.get_data())
    assert_valid_r4(bundle)
    assert len(resources_of(bundle, "Patient")) == 1  # two blocks, one patient
    reports = resources_of(bundle, "DiagnosticReport")
    assert len(reports) == 2  # the other clinic's block is not there
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "export.clinic_fhir")
    ).one()
    assert event.user_id == world.clinician.id and event.detail["blocks"] == 2


def test_the_fhir_refusal_page_links_an_admin_to_the_records_settings(client, world, auth):
    """The page names Settings → Records as a link to it (an admin can open it); a
    clinician, who cannot, is told an admin sets it."""
    from tests.test_settings_page import sign_in_admin

    auth.login()
    page = client.get("/exports/fhir.json").get_data(as_text=True)
    assert '<a href="/settings#records">' not in page
    assert "An admin of your clinic sets it." in page
    auth.logout()
    sign_in_admin(world, auth)
    response = client.get("/exports/fhir.json")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert '<a href="/settings#records">Settings → Records</a>' in page
    settings = client.get("/settings").get_data(as_text=True)
    assert '<fieldset id="records">' in settings and "mrn_system" in settings
