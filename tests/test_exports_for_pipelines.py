"""A pipeline downloads every clinic-wide export with an API token, as a signed-in
clinician downloads it from the Exports page: the same bytes, the same filters, audited
the same way, and its own clinic's blocks only."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from diary.extensions import db
from diary.models import AuditEvent
from diary.services.tokens import create_api_token
from tests.conftest import add_entries, make_user

FILES = [
    ("/exports/entries.csv", "export.clinic_entries_csv"),
    ("/exports/blocks.csv", "export.clinic_blocks_csv"),
    ("/exports/corrections.csv", "export.clinic_corrections_csv"),
    ("/exports/research/wide.csv", "export.research_wide"),
    ("/exports/research/series.csv", "export.research_series"),
    ("/exports/research/redcap-dictionary.csv", "export.research_redcap_dictionary"),
    ("/exports/research/redcap-import.csv", "export.research_redcap_import"),
]


@pytest.fixture
def clinic(world):
    world.clinic.mrn_system = "urn:oid:1.2.3"
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1})
    add_entries(world.other_block, {0.5: 4})
    db.session.commit()
    return world


def bearer(user) -> dict:
    _, token = create_api_token(user, "pipeline")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_every_clinic_wide_export_answers_an_api_token(client, clinic, auth, role):
    user = (
        clinic.clinician
        if role == "clinician"
        else make_user(clinic.clinic, "a@a.example", "admin")
    )
    headers = bearer(user)
    for path, action in FILES:
        query = "?region=lumbar"
        by_token = client.get(f"/api/v1{path}{query}", headers=headers)
        assert by_token.status_code == 200, path
        body = by_token.get_data()  # streamed: audited once the last row is out
        assert by_token.mimetype == "text/csv"
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        assert [e.user_id for e in events] == [user.id], path
        assert events[0].detail["filters"] == {"region": "lumbar"} and "rows" in events[0].detail
        by_page = None
        if role == "clinician":
            auth.login()
            by_page = client.get(f"{path}{query}").get_data()
            auth.logout()
            assert body == by_page, path  # the same file, byte for byte
    for name in ("entries", "blocks", "corrections", "wide", "series", "redcap-import"):
        schema = client.get(f"/api/v1/exports/{name}.schema.json", headers=headers)
        assert schema.status_code == 200 and schema.get_json()["fields"], name
    workbook = client.get("/api/v1/exports/entries.xlsx", headers=headers)
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    fhir = client.get("/api/v1/exports/fhir", headers=headers)
    assert fhir.status_code == 200 and fhir.mimetype == "application/fhir+json"


def test_a_token_exports_its_own_clinics_blocks_only(client, clinic):
    import openpyxl

    ours_key, theirs_key = bearer(clinic.clinician), bearer(clinic.other_clinician)
    ours = client.get("/api/v1/exports/blocks.csv", headers=ours_key).get_data(as_text=True)
    theirs = client.get("/api/v1/exports/blocks.csv", headers=theirs_key).get_data(as_text=True)
    assert f"\r\n{clinic.block.id}," in ours
    assert f"\r\n{clinic.other_block.id}," not in ours
    assert f"\r\n{clinic.other_block.id}," in theirs
    sheet = openpyxl.load_workbook(
        io.BytesIO(
            client.get("/api/v1/exports/entries.xlsx", headers=bearer(clinic.clinician)).get_data()
        )
    ).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {clinic.block.id}


def test_an_export_without_a_token_or_with_bad_filters_is_refused(client, clinic):
    assert client.get("/api/v1/exports/entries.csv").status_code == 401
    headers = bearer(clinic.clinician)
    bad = client.get("/api/v1/exports/entries.csv?start=0", headers=headers)
    assert bad.status_code == 400 and "start" in bad.get_json()["errors"]
    assert client.get("/api/v1/exports/patients.csv", headers=headers).status_code == 404
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("export.%"))).all() == []
    )
