"""Text a person types holds no control character but tab and line feed: refused at every
door (the API with a 422 naming the field, NUL included; the pages' forms with the field's
message), nothing stored. And a block without a response says so the same way everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import Block, DiaryEntry, Patient
from diary.services.tokens import create_api_token
from tests.conftest import API_BLOCK, add_entries, form_id
from tests.test_clinic_pages import VALID_BLOCK

CONTROLS = ["\x1c", "\x00", "\x01", "\x0b", "\r", "\x1f"]


def count(model) -> int:
    return db.session.execute(select(func.count(model.id))).scalar_one()


@pytest.fixture
def bearer(world) -> dict:
    world.clinician.role = "admin"
    _, token = create_api_token(world.clinician, "text")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def doors(world) -> list[tuple[str, str, dict, str]]:
    """(method, API path, a valid body, the text field to spoil) of every operation that
    stores typed text."""
    block, token = world.block, world.block.diary_token
    at = (block.performed_at + timedelta(hours=1)).isoformat()
    entry = {"pain": 3, "recorded_at": at}
    new_block = API_BLOCK | {"patient_id": world.patient.id}
    return [
        ("POST", "/api/v1/patients", {"display_name": "A.B."}, "display_name"),
        ("POST", "/api/v1/patients", {"display_name": "A.B.", "mrn": "77"}, "mrn"),
        ("POST", "/api/v1/blocks", new_block | {"activities": ["sit"]}, "activities"),
        (
            "POST",
            "/api/v1/blocks",
            new_block | {"agent": "other", "concentration": None, "agent_other": "x"},
            "agent_other",
        ),  # fmt: skip
        ("PATCH", f"/api/v1/blocks/{block.id}", {"activities": ["sit"]}, "activities"),
        ("POST", f"/api/v1/blocks/{block.id}/entries", entry | {"note": "n"}, "note"),
        ("POST", f"/api/v1/diary/{token}/entries", {"pain": 3, "activity": "a"}, "activity"),
        (
            "POST",
            f"/api/v1/diary/{token}/entries",
            {"pain": 3, "side_effects": ["other"], "side_effect_note": "s"},
            "side_effect_note",
        ),  # fmt: skip
        ("PATCH", "/api/v1/clinic/settings", {"contact_line": "call"}, "contact_line"),
        ("PATCH", "/api/v1/clinic/settings", {"mrn_system": "urn:oid:1.2"}, "mrn_system"),
        ("PATCH", "/api/v1/clinic/settings", {"safety_text": {"en": "t"}}, "safety_text"),
        (
            "POST",
            f"/api/v1/diary/{token}/push",
            {"endpoint": "https://push.example/x", "keys": {"p256dh": "k", "auth": "a"}},
            "keys",
        ),  # fmt: skip
    ]


def spoiled(body: dict, field: str, control: str, at: int = 1) -> dict:
    def spoil(value):
        if isinstance(value, str):
            return value[:at] + control + value[at:]
        if isinstance(value, list):
            return [spoil(item) for item in value]
        if isinstance(value, dict):
            return {key: spoil(item) for key, item in value.items()}
        return value

    return body | {field: spoil(body[field])}


@pytest.mark.parametrize("control", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_every_api_door_refuses_control_characters_naming_the_field(client, world, bearer, control):
    before = [count(model) for model in (Patient, Block, DiaryEntry)]
    settings = (world.clinic.contact_line, world.clinic.mrn_system, world.clinic.safety_text)
    for method, url, body, field in doors(world):
        headers = {} if "/diary/" in url else bearer
        response = client.open(url, method=method, json=spoiled(body, field, control),
                                headers=headers)  # fmt: skip
        assert response.status_code == 422, (url, field, response.get_data(as_text=True))
        problem = response.get_json()
        assert field in problem["errors"], (url, field, problem)
        if control != "\r":
            assert "control character" in problem["errors"][field], problem
    assert [count(model) for model in (Patient, Block, DiaryEntry)] == before
    db.session.refresh(world.clinic)
    assert (world.clinic.contact_line, world.clinic.mrn_system, world.clinic.safety_text) == (
        settings
    )


def test_tab_and_line_feed_are_typed_text(client, world, bearer):
    for method, url, body, field in doors(world):
        headers = {} if "/diary/" in url else bearer
        response = client.open(url, method=method, json=spoiled(body, field, "\t\n", at=-1),
                               headers=headers)  # fmt: skip
        assert response.status_code in (200, 201), (url, response.get_data(as_text=True))


def test_the_document_states_the_rule_on_every_typed_field(client):
    """Every free-text string a request may carry has a pattern in the document (so that
    a generated client or schemathesis knows the rule), and it is the checked one."""
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    bodies = {
        op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for path in document["paths"].values()
        for op in path.values()
        if "requestBody" in op
    }

    def strings(schema, where):
        if "$ref" in schema:
            yield from strings(schemas[schema["$ref"].rsplit("/", 1)[1]], where)
            return
        if schema.get("type") == "string" and not {"enum", "const", "format"} & set(schema):
            yield where, schema
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                yield from strings(schema[key], f"{where}.{key}")
        for name, inner in schema.get("properties", {}).items():
            yield from strings(inner, f"{where}.{name}")
        for option in schema.get("anyOf", []):
            yield from strings(option, where)

    found = [item for body in sorted(bodies) for item in strings(schemas[body], body)]
    assert len(found) > 10
    for where, schema in found:
        assert "pattern" in schema, where
        assert "\\x00-\\x08\\x0b-\\x1f" in schema["pattern"] or "A-Za-z0-9" in schema["pattern"]


# --- the pages' forms -----------------------------------------------------------------


def test_the_clinic_forms_refuse_control_characters(client, signed_in):
    patients, blocks = count(Patient), count(Block)
    response = client.post("/patients/new", data={"display_name": "K\x1cL", "birth_year": ""})
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    block_url = f"/patients/{signed_in.patient.id}/blocks/new"
    response = client.post(block_url, data=VALID_BLOCK | {"activities": "sit\x01\nstand"})
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    assert (count(Patient), count(Block)) == (patients, blocks)
    # A text area's line breaks come as CR LF: they are line breaks, not refused.
    response = client.post(block_url, data=VALID_BLOCK | {"activities": "sit\r\nstand\r\n"})
    assert response.status_code == 302
    newest = db.session.scalars(select(Block).order_by(Block.id.desc())).first()
    assert newest.activities == ["sit", "stand"]


def test_the_patients_diary_form_refuses_control_characters(client, world):
    url = f"/d/{world.block.diary_token}/entries"
    response = client.post(url, data={"client_id": form_id(), "pain": "3", "note": "ok\x1bnot"})
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    spanish = client.post(
        url,
        data={"client_id": form_id(), "pain": "3", "note": "ok\x1bnot"},
        headers={"Accept-Language": "es"},
    )
    assert "caracteres de control invisibles" in spanish.get_data(as_text=True)
    assert count(DiaryEntry) == 0
    response = client.post(
        url, data={"client_id": form_id(), "pain": "3", "note": "first line\r\nsecond"}
    )
    assert response.status_code == 302
    assert db.session.scalars(select(DiaryEntry)).one().note == "first line\nsecond"


# --- no response --------------------------------------------------------------------------


def test_a_block_without_a_response_is_null_in_the_api_and_empty_in_the_files(
    client, signed_in, bearer
):
    block = signed_in.block
    add_entries(block, {0.5: 6, 1: 7, 2: 8})  # never at the threshold: negative
    db.session.commit()
    analysis = client.get(f"/api/v1/blocks/{block.id}/analysis", headers=bearer).get_json()
    assert analysis["verdict"] == "negative"
    assert analysis["response_duration_h"] is None and analysis["response_open"] is None
    series = client.get(f"/api/v1/patients/{signed_in.patient.id}/series", headers=bearer)
    (reading,) = [
        b["analysis"] for s in series.get_json()["series"] for b in s["blocks"]
        if b["block_id"] == block.id
    ]  # fmt: skip
    assert reading["response_duration_h"] is None
    from tests.test_csv_export import read_csv, workbook_rows

    (summary,) = read_csv(client.get("/exports/blocks.csv"))
    assert summary["response_duration_h"] == "" and summary["response_open"] == ""
    (wide,) = read_csv(client.get("/exports/research/wide.csv"))
    assert wide["response_duration_h"] == ""
    _, rows = workbook_rows(client.get("/exports/blocks.xlsx"))
    header = [cell.value for cell in rows[0]]
    assert rows[1][header.index("response_duration_h")].value is None


def test_a_single_entry_response_is_a_real_zero(client, signed_in, bearer):
    block = signed_in.block
    add_entries(block, {0.5: 1, 1: 6, 2: 8})  # at 80% for one entry only
    db.session.commit()
    analysis = client.get(f"/api/v1/blocks/{block.id}/analysis", headers=bearer).get_json()
    assert analysis["response_duration_h"] == 0.0 and analysis["response_open"] is False


def test_the_api_says_what_a_pattern_asks_for_not_the_pattern(client, world, bearer):
    """A value that does not match its field's pattern is refused naming what the field
    takes, in words: "String should match pattern '^[A-Za-z0-9_-]{8,64}$'" told a person
    nothing (outside trial)."""
    at = (world.block.performed_at + timedelta(hours=1)).isoformat()
    entry = client.post(
        f"/api/v1/diary/{world.block.diary_token}/entries",
        json={"pain": 3, "recorded_at": at, "client_id": "abc"},
    )
    assert entry.status_code == 422 and count(DiaryEntry) == 0
    said = entry.get_json()["errors"]["client_id"]
    assert "8 to 64 letters, digits" in said and "pattern" not in said
    settings = client.patch(
        "/api/v1/clinic/settings", json={"mrn_system": "hospital"}, headers=bearer
    )
    assert settings.status_code == 422
    said = settings.get_json()["errors"]["mrn_system"]
    assert "http://" in said and "pattern" not in said
