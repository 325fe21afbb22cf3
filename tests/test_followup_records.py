"""Issue 25 item 6: the follow-up's records, read by the tools that will read them.
Check-ins (every answer as sent, a replaced one marked as the entries file marks a
replaced entry) and ablations with their outcomes as CSV (pandas, and frictionless against
their table schemas) and xlsx (openpyxl); a REDCap project whose check-ins are a
repeating instrument (REDCap's rules, tests/redcap_rules.py); FHIR R4 (fhir.resources);
each door audited and scoped to the clinic."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from diary.extensions import db
from diary.models import AuditEvent, Checkin
from diary.records import export
from diary.services.followup import followed
from diary.services.patients import PatientInput, create_patient
from diary.services.tokens import create_api_token
from tests.conftest import make_ablation, make_block, make_user
from tests.fhir_r4 import assert_valid_r4
from tests.redcap_rules import dictionary_errors, import_errors
from tests.test_csv_export import frictionless_errors

HOSTILE_NAME = "=cmd|' /C calc'!A0"
FILES = ("checkins", "ablations", "therapeutic-blocks")
REPLACED = "replaced by a later answer to the same check-in"


def _checkin(record, months, made_on, client_id, submitted_at, **values) -> Checkin:
    owner = {"block_id": record.id} if hasattr(record, "purpose") else {"ablation_id": record.id}
    checkin = Checkin(
        clinic_id=record.clinic_id,
        client_id=client_id,
        months=months,
        made_on=made_on,
        submitted_at=submitted_at,
        **owner,
        **values,
    )
    db.session.add(checkin)
    return checkin


def _due(record, months):
    return next(slot.due_on for slot in followed(record).schedule() if slot.months == months)


class Followed:
    """A clinic with: a bilateral lumbar ablation over three levels scored apart, seven
    months ago (its 1-month check-in answered twice, then 3 and 6 months, and one
    unscheduled); a cervical ablation over two levels on the right, two months ago; pulsed
    RF at a thoracic level; a therapeutic block four months ago (1 and 3 months made); and
    an ablation of the other clinic."""

    def __init__(self, world):
        self.world = world
        world.clinic.mrn_system = "urn:oid:1.2.3"
        world.other_clinic.mrn_system = "urn:oid:1.2.4"
        now = datetime.now(UTC)
        self.hostile = create_patient(
            world.clinic, PatientInput(HOSTILE_NAME, "00123", 1950), by=world.clinician
        )
        self.lumbar = make_ablation(
            world.clinic,
            world.patient,
            world.clinician,
            now - timedelta(days=215),
            levels=["L3-L4", "L4-L5", "L5-S1"],
            side="bilateral",
            scoring="sides",
            baseline_pain=None,
            baseline_pain_left=8,
            baseline_pain_right=6,
        )
        self.cervical = make_ablation(
            world.clinic,
            self.hostile,
            world.clinician,
            now - timedelta(days=62),
            region="cervical",
            levels=["C5-C6", "C6-C7"],
        )
        self.pulsed = make_ablation(
            world.clinic,
            world.patient,
            world.clinician,
            now - timedelta(days=10),
            region="thoracic",
            levels=["T11-T12"],
            side="left",
            technique="pulsed",
        )
        self.therapeutic = make_block(
            world.clinic,
            world.patient,
            world.clinician,
            purpose="therapeutic",
            steroid=True,
            performed_at=now - timedelta(days=125),
        )
        self.theirs = make_ablation(
            world.other_clinic, world.other_patient, world.other_clinician, now - timedelta(days=40)
        )
        db.session.flush()
        at = now - timedelta(days=1)
        lumbar = self.lumbar
        self.first_try = _checkin(
            lumbar, 1, _due(lumbar, 1), "l1a", at - timedelta(days=3), pain_left=7, pain_right=6
        )
        self.second_try = _checkin(
            lumbar, 1, _due(lumbar, 1), "l1b", at - timedelta(days=2), pain_left=2, pain_right=3,
            pgic=2, reported_relief_pct=70, new_treatment=False,
        )  # fmt: skip
        _checkin(lumbar, 3, _due(lumbar, 3), "l3", at, pain_left=3, pain_right=5)
        _checkin(lumbar, 6, _due(lumbar, 6), "l6", at, pain_left=2, pain_right=2)
        _checkin(
            lumbar, None, _due(lumbar, 6) + timedelta(days=2), "lu", at, pain_left=2,
            pain_right=2, source="transcribed", entered_by_id=world.clinician.id,
        )  # fmt: skip
        _checkin(self.cervical, 1, _due(self.cervical, 1), "c1", at, pain=2, pgic=1)
        block = self.therapeutic
        _checkin(block, 1, _due(block, 1), "t1", at, pain=3)
        _checkin(block, 3, _due(block, 3), "t3", at, pain=4)
        _checkin(self.theirs, 1, _due(self.theirs, 1), "x1", at, pain=1)
        db.session.commit()


@pytest.fixture
def scene(signed_in):
    return Followed(signed_in)


def read(response, bom=True) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_data().decode("utf-8")
    assert body.startswith("\ufeff") == bom
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"), newline="")))


def header_of(response) -> list[str]:
    return next(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_checkins_file_has_every_answer_the_replaced_one_marked(client, scene):
    rows = read(client.get("/exports/checkins.csv"))
    assert {row["ablation_id"] for row in rows} >= {str(scene.lumbar.id)}
    assert str(scene.theirs.id) not in {row["ablation_id"] for row in rows}  # clinic scoped
    by_id = {row["checkin_id"]: row for row in rows}
    first, second = by_id[str(scene.first_try.id)], by_id[str(scene.second_try.id)]
    assert (first["counts"], first["not_counted_because"]) == ("false", REPLACED)
    assert (second["counts"], second["not_counted_because"]) == ("true", "")
    assert second["procedure"] == "ablation"
    # Each side's pain and relief, read against its own baseline (left 8, right 6).
    assert (second["average_pain_left"], second["average_pain_right"]) == ("2", "3")
    assert (second["relief_pct_left"], second["relief_pct_right"]) == ("75.0", "50.0")
    assert second["average_pain"] == "" and second["relief_pct"] == ""
    assert second["dated_on"] == _due(scene.lumbar, 1).isoformat()
    assert (second["pgic"], second["reported_relief_pct"], second["new_treatment"]) == (
        "2",
        "70",
        "false",
    )
    unscheduled = next(r for r in rows if r["unscheduled"] == "true")
    assert unscheduled["source"] == "transcribed" and unscheduled["months"] == ""
    assert unscheduled["dated_on"] == unscheduled["made_on"]
    block_rows = [r for r in rows if r["procedure"] == "therapeutic_block"]
    assert [r["therapeutic_block_id"] for r in block_rows] == [str(scene.therapeutic.id)] * 2
    assert {r["ablation_id"] for r in block_rows} == {""}
    hostile = next(r for r in rows if r["ablation_id"] == str(scene.cervical.id))
    assert hostile["patient"] == "'" + HOSTILE_NAME  # the spreadsheet guard
    assert hostile["mrn"] == "00123"


def test_the_ablations_file_gives_each_side_scored_apart_its_own_outcome(client, scene):
    rows = read(client.get("/exports/ablations.csv"))
    by_key = {(row["ablation_id"], row["reading_sides"]): row for row in rows}
    left = by_key[(str(scene.lumbar.id), "left")]
    right = by_key[(str(scene.lumbar.id), "right")]
    assert (left["reading_baseline_pain"], right["reading_baseline_pain"]) == ("8", "6")
    assert (left["durability"], left["relief_lasted_months"]) == ("durable", "6")
    assert right["durability"] == "not_durable"
    assert right["durability_reason"] == "below 50% at 3 months (16.7%)"
    assert (right["relief_lasted_months"], right["relief_lasted_open"]) == ("1", "false")
    assert left["next_checkin_months"] == "12" and left["checkins_counted"] == "4"
    assert left["scoring"] == "sides" and left["side"] == "bilateral"
    cervical = by_key[(str(scene.cervical.id), "right")]
    assert cervical["durability"] == "undetermined" and cervical["relief_lasted_open"] == "true"
    assert cervical["patient"] == "'" + HOSTILE_NAME
    pulsed = by_key[(str(scene.pulsed.id), "left")]
    assert pulsed["technique"] == "pulsed" and pulsed["durability"] == ""  # not an ablation
    assert str(scene.theirs.id) not in {row["ablation_id"] for row in rows}
    (block,) = read(client.get("/exports/therapeutic-blocks.csv"))
    assert block["block_id"] == str(scene.therapeutic.id) and block["reading_sides"] == "right"
    assert (block["repeat_injection"], block["relief_lasted_months"]) == ("yes", "3")
    assert block["agent"] == "lidocaine" and block["steroid"] == "true"
    assert block["checkins_counted"] == "2"


def test_the_filters_choose_procedures(client, scene):
    lumbar = read(client.get("/exports/ablations.csv?region=lumbar"))
    assert {row["ablation_id"] for row in lumbar} == {str(scene.lumbar.id)}
    day = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    recent = read(client.get(f"/exports/ablations.csv?start={day}"))
    assert {row["ablation_id"] for row in recent} == {str(scene.pulsed.id)}
    assert client.get("/exports/checkins.csv?start=0").status_code == 400


def test_the_files_validate_against_their_schemas_and_open_in_pandas(client, scene, tmp_path):
    pandas = pytest.importorskip("pandas")
    for name in FILES:
        body = client.get(f"/exports/{name}.csv").get_data()
        schema = client.get(f"/exports/{name}.schema.json").get_json()
        assert [f["name"] for f in schema["fields"]] == header_of(
            client.get(f"/exports/{name}.csv")
        )
        assert frictionless_errors(tmp_path, name, body, schema) == [], name
        frame = pandas.read_csv(io.BytesIO(body), encoding="utf-8-sig", dtype={"mrn": str})
        assert len(frame) > 0, name
    frame = pandas.read_csv(
        io.BytesIO(client.get("/exports/checkins.csv").get_data()),
        encoding="utf-8-sig",
        parse_dates=["submitted_at"],
    )
    assert str(frame["submitted_at"].dt.tz) == "UTC"
    assert frame["checkin_id"].dtype.kind == "i"
    # A mutated file fails: a pain of 11, a PGIC of 8, a duplicate key.
    schema = client.get("/exports/checkins.schema.json").get_json()
    assert schema["primaryKey"] == ["checkin_id"]
    text = client.get("/exports/checkins.csv").get_data(as_text=True)
    lines = text.split("\r\n")
    columns = next(csv.reader([lines[0].lstrip("\ufeff")]))

    def mutated(column: str, value: str) -> bytes:
        cells = next(csv.reader([lines[1]]))
        cells[columns.index(column)] = value
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow(cells)
        return "\r\n".join([lines[0], buffer.getvalue().rstrip("\r\n"), *lines[2:]]).encode()

    assert "constraint-error" in frictionless_errors(
        tmp_path, "p", mutated("average_pain_left", "11"), schema
    )
    assert "constraint-error" in frictionless_errors(tmp_path, "g", mutated("pgic", "8"), schema)
    duplicate = "\r\n".join([lines[0], lines[1], lines[1], *lines[2:]]).encode()
    assert "primary-key" in frictionless_errors(tmp_path, "d", duplicate, schema)
    ablations = client.get("/exports/ablations.schema.json").get_json()
    assert ablations["primaryKey"] == ["ablation_id", "reading_sides"]
    blocks = client.get("/exports/therapeutic-blocks.schema.json").get_json()
    assert blocks["primaryKey"] == ["block_id", "reading_sides"]


def test_the_workbooks_type_their_cells(client, scene):
    import openpyxl

    for name in FILES:
        response = client.get(f"/exports/{name}.xlsx")
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == len(read(client.get(f"/exports/{name}.csv"))) + 1, name
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/exports/checkins.xlsx").get_data())
    ).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    column = {name: n for n, name in enumerate(header)}
    assert "submitted_at" in column  # the CSV's name, as every header
    row = next(r for r in rows if r[column["checkin_id"]] == scene.second_try.id)
    assert isinstance(row[column["submitted_at"]], datetime)
    made_on = row[column["made_on"]]  # a date cell (openpyxl reads it back as midnight)
    assert isinstance(made_on, date) and made_on.hour == 0
    assert row[column["average_pain_left"]] == 2 and row[column["counts"]] is True
    hostile = next(r for r in rows if r[column["ablation_id"]] == scene.cervical.id)
    assert hostile[column["patient"]] == HOSTILE_NAME  # a text cell, never a formula
    assert hostile[column["mrn"]] == "00123"


def test_the_redcap_followup_project_has_checkins_as_a_repeating_instrument(client, scene):
    dictionary_response = client.get("/exports/research/redcap-followup-dictionary.csv")
    dictionary = read(dictionary_response, bom=False)
    assert dictionary_errors(header_of(dictionary_response), dictionary) == []
    assert {row["Form Name"] for row in dictionary} == {"procedure", "checkin"}
    import_response = client.get("/exports/research/redcap-followup-import.csv")
    records = read(import_response, bom=False)
    header = header_of(import_response)
    assert header[:3] == ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert import_errors(dictionary, header, records, repeating={"checkin"}) == []
    # Without the repeating instrument set up, REDCap refuses the file.
    assert import_errors(dictionary, header, records) != []
    lumbar = [r for r in records if r["record_id"] == f"rfa-{scene.lumbar.id}"]
    own, *instances = lumbar
    assert own["redcap_repeat_instrument"] == "" and own["durability_left"] == "durable"
    assert own["durability_right"] == "not_durable" and own["checkin_id"] == ""
    assert (own["baseline_pain_left"], own["baseline_pain_right"]) == ("8", "6")
    assert [r["redcap_repeat_instance"] for r in instances] == ["1", "2", "3", "4", "5"]
    assert {r["redcap_repeat_instrument"] for r in instances} == {"checkin"}
    assert [r["checkin_counts"] for r in instances] == ["0", "1", "1", "1", "1"]
    assert all(r["patient"] == "" for r in instances)
    # The same rows as the check-ins CSV, their reliefs per side the same.
    csv_rows = {
        r["checkin_id"]: r
        for r in read(client.get("/exports/checkins.csv"))
        if r["ablation_id"] == str(scene.lumbar.id)
    }
    assert [r["checkin_id"] for r in instances] == list(csv_rows)
    for instance in instances:
        same = csv_rows[instance["checkin_id"]]
        assert instance["checkin_relief_left"] == same["relief_pct_left"]
        assert instance["checkin_relief_right"] == same["relief_pct_right"]
        assert instance["checkin_dated_on"] == same["dated_on"]
    cervical = next(r for r in records if r["record_id"] == f"rfa-{scene.cervical.id}")
    assert cervical["patient"] == HOSTILE_NAME  # as typed: no spreadsheet guard
    block = next(r for r in records if r["record_id"] == f"block-{scene.therapeutic.id}")
    assert block["repeat_inj"] == "yes" and block["procedure_complete"] == "2"
    assert not any(r["record_id"] == f"rfa-{scene.theirs.id}" for r in records)


def _codes(resource) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in resource["code"].get("coding", [])}


CPT = "http://www.ama-assn.org/go/cpt"


def _procedures_of(resources, ablation) -> list[dict]:
    return [
        r
        for _, r in resources
        if r["resourceType"] == "Procedure"
        and r["identifier"][0]["system"].endswith("/ablations")
        and r["identifier"][0]["value"].split("/")[0] == str(ablation.id)
    ]


def test_the_fhir_bundle_is_valid_r4_with_cpt_codes_and_observations(client, scene):
    response = client.get("/exports/fhir.json")  # streamed: read before the next
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = json.loads(response.get_data())
    transaction = json.loads(client.get("/exports/fhir.json?bundle=transaction").get_data())
    assert_valid_r4(bundle, transaction)
    resources = [(e["fullUrl"], e["resource"]) for e in bundle["entry"]]
    lumbar = _procedures_of(resources, scene.lumbar)
    assert [sorted(c for s, c in _codes(p) if s == CPT) for p in lumbar] == [
        ["50", "64635"],
        ["50", "64636"],
        ["50", "64636"],
    ]  # the first joint, then each additional one, each bilateral (modifier 50)
    first_url = next(url for url, r in resources if r is lumbar[0])
    assert all(p["partOf"] == [{"reference": first_url}] for p in lumbar[1:])
    assert lumbar[0]["bodySite"][1]["coding"][0]["code"] == "51440002"  # right and left
    cervical = _procedures_of(resources, scene.cervical)
    assert [sorted(c for s, c in _codes(p) if s == CPT) for p in cervical] == [
        ["64633"],
        ["64634"],
    ]
    (pulsed,) = _procedures_of(resources, scene.pulsed)
    assert not any(s == CPT for s, _ in _codes(pulsed))  # pulsed RF is no destruction
    pains = [
        r
        for _, r in resources
        if r["resourceType"] == "Observation"
        and ("http://loinc.org", "72514-3") in _codes(r)
        and r.get("partOf") == [{"reference": first_url}]
    ]
    # Four counted check-ins (the replaced answer left out), a left and a right each.
    assert len(pains) == 8
    assert {o["bodySite"]["coding"][0]["code"] for o in pains} == {"7771000", "24028007"}
    # The 1-month check-in answered twice: the later answer, amended, for each side.
    assert sum(o["status"] == "amended" for o in pains) == 2
    one_month = next(o for o in pains if o["status"] == "amended" and o["valueInteger"] == 2)
    components = {c["code"]["coding"][0]["code"]: c for c in one_month["component"]}
    assert components["relief-pct"]["valueQuantity"]["value"] == 75.0
    assert components["pgic"]["valueInteger"] == 2
    assert components["new-treatment"]["valueBoolean"] is False
    # A therapeutic block's check-ins are partOf its first level's Procedure, the one the
    # diary writes (the per-block bundle holds them too).
    block_url = next(
        url
        for url, r in resources
        if r["resourceType"] == "Procedure"
        and r["identifier"][0]["system"].endswith("/blocks")
        and r["identifier"][0]["value"] == str(scene.therapeutic.id)
    )
    block_pains = [
        r
        for _, r in resources
        if r["resourceType"] == "Observation"
        and ("http://loinc.org", "72514-3") in _codes(r)
        and r.get("partOf") == [{"reference": block_url}]
    ]
    assert sorted(o["valueInteger"] for o in block_pains) == [3, 4]
    _, token = create_api_token(scene.world.clinician, "fhir")
    db.session.commit()
    single = client.get(
        f"/api/v1/blocks/{scene.therapeutic.id}/fhir", headers={"Authorization": f"Bearer {token}"}
    ).get_json()
    assert_valid_r4(single)
    assert sum(e["resource"].get("partOf") is not None for e in single["entry"]) >= 2
    patients = [r for _, r in resources if r["resourceType"] == "Patient"]
    keys = [json.dumps(p["identifier"], sort_keys=True) for p in patients]
    assert len(keys) == len(set(keys)) == 2  # each patient once
    assert str(scene.theirs.id) not in {
        r["identifier"][0]["value"] for r in _procedures_of(resources, scene.theirs)
    }


def test_every_door_is_audited_and_scoped_to_the_clinic(client, scene, auth):
    world = scene.world
    admin = make_user(world.clinic, "admin@a.example", "admin")
    db.session.commit()
    by_page = {
        path: client.get(f"{path}?region=lumbar").get_data()
        for path in ("/exports/checkins.csv", "/exports/research/redcap-followup-import.csv")
    }
    auth.logout()
    paths = [
        ("/exports/checkins.csv", "export.clinic_checkins_csv"),
        ("/exports/ablations.xlsx", "export.clinic_ablations_xlsx"),
        ("/exports/therapeutic-blocks.csv", "export.clinic_therapeutic_csv"),
        ("/exports/research/redcap-followup-import.csv", "export.redcap_followup_import"),
        ("/exports/research/redcap-followup-dictionary.csv",
         "export.redcap_followup_dictionary"),
    ]  # fmt: skip
    for user in (world.clinician, admin):
        _, token = create_api_token(user, "pipeline")
        db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
        for path, action in paths:
            response = client.get(f"/api/v1{path}?region=lumbar", headers=headers)
            assert response.status_code == 200, path
            body = response.get_data()
            event = db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.user_id == user.id)
                .order_by(AuditEvent.id.desc())
            ).first()
            assert event is not None, path
            assert event.detail["filters"] == {"region": "lumbar"} and "rows" in event.detail
            if path in by_page:
                assert body == by_page[path], path  # the same file, byte for byte
        for name in FILES:
            schema = client.get(f"/api/v1/exports/{name}.schema.json", headers=headers)
            assert schema.status_code == 200 and schema.get_json()["fields"], name
    # The other clinic's token sees its own ablation only.
    _, theirs = create_api_token(world.other_clinician, "b")
    db.session.commit()
    headers = {"Authorization": f"Bearer {theirs}"}
    rows = client.get("/api/v1/exports/ablations.csv", headers=headers).get_data(as_text=True)
    assert f"\r\n{scene.theirs.id}," in rows and f"\r\n{scene.lumbar.id}," not in rows
    redcap = client.get("/api/v1/exports/research/redcap-followup-import.csv", headers=headers)
    assert f"rfa-{scene.lumbar.id}," not in redcap.get_data(as_text=True)
    assert f"rfa-{scene.theirs.id}," in redcap.get_data(as_text=True)
    # No token: 401; a bad filter: 400 naming it; an unknown file: 404.
    assert client.get("/api/v1/exports/checkins.csv").status_code == 401
    bad = client.get("/api/v1/exports/research/redcap-followup-import.csv?start=0", headers=headers)
    assert bad.status_code == 400 and "start" in bad.get_json()["errors"]
    assert client.get("/api/v1/exports/followups.csv", headers=headers).status_code == 404


def test_the_exports_page_offers_the_followup_files(client, scene):
    page = client.get("/exports").get_data(as_text=True)
    for path in (
        "/exports/checkins.csv",
        "/exports/ablations.xlsx",
        "/exports/ablations.schema.json",
        "/exports/therapeutic-blocks.xlsx",
        "/exports/therapeutic-blocks.schema.json",
        "/exports/research/redcap-followup-dictionary.csv",
        "/exports/research/redcap-followup-import.csv",
    ):
        assert path in page, path
    # What each follow-up file holds is said as it is: each names the patient (outside
    # trial: the page said "dates and region only" of files carrying names and MRNs).
    procedure = {"performed_at", "region", "levels", "side"}
    said = "the patient's name and MRN, the procedure's date, region, levels and side"
    for kind, columns, holds, words in (
        ("ablations", export.ABLATION_COLUMNS, procedure, said),
        ("checkins", export.CHECKIN_COLUMNS, {"dated_on", "made_on"}, "the check-in's dates"),
        ("therapeutic-blocks", export.THERAPEUTIC_COLUMNS, procedure, said),
    ):
        assert {"patient", "mrn", *holds} <= set(columns), kind
        item = page[page.index(f"/exports/{kind}.csv") : page.index(f"/exports/{kind}.xlsx")]
        assert "the patient's name and MRN" in item and words in item, kind
        assert "only" not in item, kind
    schema = client.get("/exports/ablations.schema.json").get_json()
    described = {field["name"]: field["description"] for field in schema["fields"]}
    assert described["performed_at"].startswith("when the procedure was performed")


def test_readme_documents_every_followup_column_and_the_redcap_project():
    from pathlib import Path

    from diary.records.followup_redcap import FORMS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for column in (*export.ABLATION_COLUMNS, *export.CHECKIN_COLUMNS, *export.THERAPEUTIC_COLUMNS):
        assert f"`{column}`" in readme, column
    for form, _ in FORMS:
        assert f"`{form}`" in readme, form
    assert "redcap-followup-import.csv" in readme and "repeating instrument" in readme


def test_a_control_character_stored_before_never_breaks_a_followup_file(client, scene):
    import openpyxl

    scene.hostile.display_name = "a\x1cb"
    db.session.commit()
    for path in (
        "/exports/checkins.csv",
        "/exports/ablations.xlsx",
        "/exports/checkins.xlsx",
        "/exports/research/redcap-followup-import.csv",
        "/exports/fhir.json",
        f"/api/v1/ablations/{scene.cervical.id}/fhir",
    ):
        response = client.get(path)
        assert response.status_code == 200 and response.get_data(), path
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get("/exports/checkins.xlsx").get_data())
    ).active
    names = {row[4] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "a\ufffdb" in names
    records = read(client.get("/exports/research/redcap-followup-import.csv"), bom=False)
    assert "a\ufffdb" in {r["patient"] for r in records}


def test_signed_out_the_followup_files_ask_for_a_sign_in(client, scene, auth):
    auth.logout()
    for path in (
        "/exports/checkins.csv",
        "/exports/ablations.xlsx",
        "/exports/ablations.schema.json",
        "/exports/research/redcap-followup-import.csv",
        "/exports/research/redcap-followup-dictionary.csv",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.location, path
    for path in (
        "/api/v1/exports/ablations.csv",
        "/api/v1/exports/research/redcap-followup-import.csv",
        f"/api/v1/ablations/{scene.lumbar.id}/fhir",
    ):
        assert client.get(path).status_code == 401, path
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("export.%"))).all() == []
    )
