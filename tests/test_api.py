"""The JSON API: every endpoint, each role, the problem shape, idempotent entry posts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import ApiToken, AuditEvent, Block, DiaryEntry, EntryRevision, Patient
from diary.services.analysis import analyse_block
from diary.services.tokens import create_api_token, hash_token, revoke_api_token, user_for_token
from tests.conftest import API_BLOCK, PASSWORD, add_entries, change_password, form_id, make_user

BLOCK_BODY = API_BLOCK | {
    "performed_at": "2026-11-20T09:30:00-06:00",
    "levels": ["L5-S1", "L4-L5"],
    "side": "right",
    "activities": ["bend forward"],
}


class Api:
    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url, **kwargs):
        return self.client.get("/api/v1" + url, headers=self.headers, **kwargs)

    def post(self, url, json=None, **kwargs):
        return self.client.post("/api/v1" + url, json=json, headers=self.headers, **kwargs)

    def patch(self, url, json=None):
        return self.client.patch("/api/v1" + url, json=json, headers=self.headers)


@pytest.fixture
def api(client, world):
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    return Api(client, token)


@pytest.fixture
def other_api(client, world):
    _, token = create_api_token(world.other_clinician, "other clinic")
    db.session.commit()
    return Api(client, token)


def assert_problem(response, status):
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


# --- authentication ------------------------------------------------------------------


def test_no_token_is_401_problem(client, world):
    body = assert_problem(client.get("/api/v1/blocks"), 401)
    assert "Bearer" in body["detail"]


def test_wrong_or_revoked_token_is_401(client, world, api):
    assert_problem(Api(client, "bd_not-a-token").get("/blocks"), 401)
    token = db.session.execute(select(ApiToken)).scalar_one()
    revoke_api_token(token, by=world.clinician)
    db.session.commit()
    assert_problem(api.get("/blocks"), 401)


def test_tokens_are_stored_hashed(world):
    token, plain = create_api_token(world.clinician, "x")
    assert plain not in (token.token_hash, token.prefix)
    assert token.token_hash == hash_token(plain)
    assert user_for_token(plain) == world.clinician


def test_a_read_with_a_token_records_its_last_use(api):
    assert api.get("/blocks").status_code == 200
    db.session.expire_all()
    token = db.session.execute(select(ApiToken)).scalar_one()
    assert token.last_used_at is not None
    assert datetime.now(UTC) - token.last_used_at < timedelta(minutes=1)


def test_bearer_token_does_not_open_html_pages(client, api):
    assert client.get("/", headers=api.headers).status_code == 302


def test_session_may_read_but_not_write_without_csrf(client, signed_in):
    assert client.get("/api/v1/blocks").status_code == 200
    response = client.post("/api/v1/patients", json={"display_name": "X"})
    assert_problem(response, 400)
    assert db.session.execute(select(func.count(Patient.id))).scalar_one() == 2


def test_a_bogus_bearer_token_beside_a_session_cookie_is_refused(client, signed_in):
    # A call that names credentials is judged by them alone, never by the cookie beside.
    response = client.post(
        "/api/v1/patients", json={"display_name": "X"}, headers={"Authorization": "Bearer bogus"}
    )
    assert_problem(response, 401)
    assert db.session.execute(select(func.count(Patient.id))).scalar_one() == 2


def test_unknown_api_path_is_a_json_404(client, api):
    assert_problem(api.get("/nothing-here"), 404)


# --- patients ------------------------------------------------------------------------


def test_create_and_read_patient(api):
    response = api.post("/patients", json={"display_name": "M.N.", "birth_year": 1955})
    assert response.status_code == 201
    patient = response.get_json()
    assert patient["display_name"] == "M.N." and patient["mrn"] is None
    assert response.headers["Location"] == f"/api/v1/patients/{patient['id']}"
    assert api.get(f"/patients/{patient['id']}").get_json() == patient
    listing = api.get("/patients").get_json()
    assert {"J.S.", "M.N."} == {p["display_name"] for p in listing["items"]}
    assert listing["total"] == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "display_name"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "A", "birth_year": 1800}, "birth_year"),
        ({"display_name": "A", "birth_year": "1950"}, "birth_year"),
        ({"display_name": "A", "favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_invalid_patient_is_refused_with_field_errors(api, body, field):
    body = assert_problem(api.post("/patients", json=body), 422)
    assert field in body["errors"]
    assert db.session.execute(select(func.count(Patient.id))).scalar_one() == 2


def test_non_json_body_is_415(api):
    response = api.post(
        "/patients", data="display_name=A", content_type="application/x-www-form-urlencoded"
    )
    assert_problem(response, 415)


def test_json_that_is_not_an_object_is_400(api):
    assert_problem(api.post("/patients", json=["A"]), 400)


# --- blocks --------------------------------------------------------------------------


def test_create_block_answers_with_id_token_and_url(api, world):
    response = api.post("/blocks", json=BLOCK_BODY | {"patient_id": world.patient.id})
    assert response.status_code == 201
    block = response.get_json()
    assert block["id"] and len(block["diary_token"]) >= 22
    assert block["diary_url"].endswith(f"/d/{block['diary_token']}")
    assert block["levels"] == ["L4-L5", "L5-S1"]
    assert block["performed_at"] == "2026-11-20T15:30:00+00:00"
    assert block["agent_label"] == "lidocaine 2%" and block["diary_status"] in (
        "not_started",
        "expired",
    )
    assert api.get(f"/blocks/{block['id']}").get_json() == block


@pytest.mark.parametrize(
    "change, field",
    [
        ({"levels": ["C3-C4"]}, "levels"),
        ({"levels": []}, "levels"),
        ({"concentration": "5"}, "concentration"),
        ({"agent": "other", "concentration": None}, "agent_other"),
        ({"performed_at": "2026-11-20T09:30:00"}, "performed_at"),
        ({"baseline_pain": 11}, "baseline_pain"),
        ({"volume_ml_per_level": "lots"}, "volume_ml_per_level"),
        ({"steroid": "yes"}, "steroid"),
    ],
)
def test_invalid_block_is_refused(api, world, change, field):
    before = db.session.execute(select(func.count(Block.id))).scalar_one()
    body = assert_problem(
        api.post("/blocks", json=BLOCK_BODY | {"patient_id": world.patient.id} | change), 422
    )
    assert field in body["errors"]
    assert db.session.execute(select(func.count(Block.id))).scalar_one() == before


def test_block_for_another_clinics_patient_is_refused(api, world):
    body = assert_problem(
        api.post("/blocks", json=BLOCK_BODY | {"patient_id": world.other_patient.id}), 422
    )
    assert body["errors"] == {"patient_id": "no such patient"}


def test_patch_block_changes_the_analysis(api, world):
    add_entries(world.block, {0.25: 2, 0.5: 2, 1: 2, 2: 6})
    db.session.commit()
    assert api.get(f"/blocks/{world.block.id}/analysis").get_json()["verdict"] == "partial"
    response = api.patch(f"/blocks/{world.block.id}", json={"baseline_pain": 10})
    assert response.status_code == 200 and response.get_json()["baseline_pain"] == 10
    assert api.get(f"/blocks/{world.block.id}/analysis").get_json()["verdict"] == "positive"
    assert_problem(api.patch(f"/blocks/{world.block.id}", json={"baseline_pain": None}), 422)


def test_analysis_is_the_value_the_block_page_shows(api, client, world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    db.session.commit()
    value = api.get(f"/blocks/{world.block.id}/analysis").get_json()
    expected = analyse_block(world.block).to_dict()
    # The block is 3 h old with a 48 h link: its diary is still running.
    expected |= {"provisional": True, "awaiting": "awaiting the 4 h entry", "sides": None}
    # no daily scores asked (the clinic's daily_days is 0): judged by its verdict
    expected |= {"days_of_relief": None, "outcome": "positive"}
    assert value == __import__("json").loads(__import__("json").dumps(expected))
    assert value["verdict"] == "positive" and value["response_duration_h"] == 1.75
    assert value["relief"][0] == {
        "hours": 0.25,
        "pain": 1,
        "relief_pct": 87.5,
        "reported_relief_pct": None,
        "entry_id": value["relief"][0]["entry_id"],
        "edited": False,
        "logged_late": False,
        "before_block": False,
        "transcribed": False,
    }


def test_entries_csv_chart_and_fhir(api, world):
    add_entries(world.block, {0.25: 1, 0.5: 0})
    world.clinic.mrn_system = "urn:oid:1.2.3"
    db.session.commit()
    entries = api.get(f"/blocks/{world.block.id}/entries").get_json()["items"]
    assert [e["pain"] for e in entries] == [1, 0] and entries[0]["relief_pct"] == 87.5
    csv_response = api.get(f"/blocks/{world.block.id}/entries.csv")
    assert csv_response.mimetype == "text/csv"
    assert csv_response.get_data().decode("utf-8-sig").startswith("block_id,patient")
    assert api.get(f"/blocks/{world.block.id}/chart.png").mimetype == "image/png"
    assert api.get(f"/blocks/{world.block.id}/chart.svg").mimetype == "image/svg+xml"
    fhir = api.get(f"/blocks/{world.block.id}/fhir")
    assert fhir.mimetype == "application/fhir+json"
    assert fhir.get_json()["resourceType"] == "Bundle"


def test_transcribed_entry_is_marked_audited_and_allowed_on_a_closed_link(api, world):
    world.block.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    at = (world.block.performed_at + timedelta(hours=1)).isoformat()
    response = api.post(
        f"/blocks/{world.block.id}/entries",
        json={"recorded_at": at, "pain": 2, "client_id": "paper-diary-1"},
    )
    assert response.status_code == 201
    assert response.get_json()["source"] == "transcribed"
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    assert (entry.source, entry.entered_by_id) == ("transcribed", world.clinician.id)
    assert db.session.execute(
        select(AuditEvent).filter_by(action="entry.transcribe")
    ).scalar_one().user_id == (world.clinician.id)
    again = api.post(
        f"/blocks/{world.block.id}/entries",
        json={"recorded_at": at, "pain": 2, "client_id": "paper-diary-1"},
    )
    assert again.status_code == 200 and again.get_json()["id"] == entry.id


def test_transcription_needs_a_time(api, world):
    body = assert_problem(api.post(f"/blocks/{world.block.id}/entries", json={"pain": 2}), 422)
    assert "recorded_at" in body["errors"]


def test_link_revoke_and_reopen(api, world):
    assert api.post(f"/blocks/{world.block.id}/link/revoke").get_json()["link_open"] is False
    assert api.post(f"/blocks/{world.block.id}/link/reopen").get_json()["link_open"] is True


def test_patient_series(api, world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    db.session.commit()
    value = api.get(f"/patients/{world.patient.id}/series").get_json()
    series = value["series"][0]
    assert series["pair_status"] == "single"
    assert series["ablation_criteria"]["lcd"]["met"] is False
    # The block is 3 h old: its diary, which alone meets the consensus, still runs.
    day = world.block.performed_at.astimezone(ZoneInfo("America/Chicago")).strftime("%d %b %Y")
    waits = f"the diary of the {day} block (lidocaine 2%), awaiting the 4 h entry"
    assert series["ablation_criteria"]["consensus_2020"] == {
        "met": True,
        "reason": "a diagnostic block gave sustained ≥50% relief",
        "provisional": True,
        "awaiting": waits,
    }
    assert series["provisional"] is True and series["awaiting"] == waits
    assert series["pair_provisional"] is False and series["pair_awaiting"] is None
    assert series["blocks"][0]["analysis"]["verdict"] == "positive"
    assert series["blocks"][0]["provisional"] is True
    assert series["blocks"][0]["awaiting"] == "awaiting the 4 h entry"


# --- settings ------------------------------------------------------------------------


def test_settings_read_by_anyone_changed_by_admin(client, api, world):
    assert api.get("/clinic/settings").get_json()["threshold_pct"] == 80
    assert_problem(api.patch("/clinic/settings", json={"threshold_pct": 50}), 403)
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    _, token = create_api_token(admin, "admin")
    db.session.commit()
    admin_api = Api(client, token)
    changed = admin_api.patch(
        "/clinic/settings",
        json={
            "threshold_pct": 50,
            "schedule": {"early_minutes": [15, 30, 45]},
            "agent_windows": {"lidocaine": {"maximum_h": 4}},
        },
    )
    assert changed.status_code == 200, changed.get_json()
    value = changed.get_json()
    assert value["threshold_pct"] == 50
    assert value["schedule"]["early_minutes"] == [15, 30, 45]
    assert value["agent_windows"]["lidocaine"] == {"minimum_h": 0.5, "maximum_h": 4}
    bad = assert_problem(
        admin_api.patch(
            "/clinic/settings",
            json={"threshold_pct": 65, "agent_windows": {"lidocaine": {"minimum_h": 9}}},
        ),
        422,
    )
    assert set(bad["errors"]) == {"threshold_pct"}
    assert_problem(
        admin_api.patch(
            "/clinic/settings", json={"agent_windows": {"lidocaine": {"minimum_h": 9}}}
        ),
        422,
    )
    assert api.get("/clinic/settings").get_json()["threshold_pct"] == 50


# --- the diary token endpoints -------------------------------------------------------


def test_public_diary_reveals_no_identity(client, world):
    value = client.get(f"/api/v1/diary/{world.block.diary_token}").get_json()
    assert value["region"] == "lumbar" and value["link_open"] is True
    text = str(value)
    assert "J.S." not in text and "MRN-1" not in text
    assert len(value["due_times"]) == 10


def test_diary_post_is_idempotent_by_client_id(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    body = {
        "pain": 3,
        "client_id": "phone-entry-0001",
        "recorded_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    first = client.post(url, json=body)
    second = client.post(url, json=body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.get_json() == second.get_json()
    assert db.session.execute(select(func.count(DiaryEntry.id))).scalar_one() == 1


def test_diary_post_refuses_bad_values_and_closed_links(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    body = assert_problem(client.post(url, json={"pain": 3.5, "relief_pct": 120}), 422)
    assert set(body["errors"]) == {"pain", "relief_pct"}
    past = (world.block.performed_at - timedelta(hours=1)).isoformat()
    body = assert_problem(client.post(url, json={"pain": 3, "recorded_at": past}), 422)
    assert "before the procedure" in body["errors"]["recorded_at"]
    world.block.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    assert_problem(client.post(url, json={"pain": 3}), 410)
    assert db.session.execute(select(func.count(DiaryEntry.id))).scalar_one() == 0
    assert_problem(client.get("/api/v1/diary/unknown-token"), 404)


def test_diary_correction_keeps_history(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    entry = client.post(url, json={"pain": 6}).get_json()
    corrected = client.patch(f"{url}/{entry['id']}", json={"pain": 2})
    assert corrected.status_code == 200 and corrected.get_json()["edited"] is True
    revision = db.session.execute(select(EntryRevision)).scalar_one()
    assert revision.pain == 6
    other = f"/api/v1/diary/{world.other_block.diary_token}/entries/{entry['id']}"
    assert_problem(client.patch(other, json={"pain": 0}), 404)


def test_a_diary_patch_changes_only_the_fields_sent(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    full = {"pain": 6, "relief_pct": 40, "activity": "bend forward", "note": "after lunch"}
    entry = client.post(url, json=full).get_json()
    pain_only = client.patch(f"{url}/{entry['id']}", json={"pain": 2}).get_json()
    assert pain_only["pain"] == 2
    assert pain_only["reported_relief_pct"] == 40 and pain_only["activity"] == "bend forward"
    assert pain_only["note"] == "after lunch"
    assert pain_only["recorded_at"] == entry["recorded_at"]
    cleared = client.patch(f"{url}/{entry['id']}", json={"note": None}).get_json()
    assert cleared["note"] is None and cleared["pain"] == 2
    assert cleared["reported_relief_pct"] == 40
    assert_problem(client.patch(f"{url}/{entry['id']}", json={"pain": None}), 422)
    unchanged = client.patch(f"{url}/{entry['id']}", json={})
    assert unchanged.status_code == 200 and unchanged.get_json()["pain"] == 2
    assert db.session.execute(select(func.count(EntryRevision.id))).scalar_one() == 2


# --- another clinic ------------------------------------------------------------------

CLINIC_URLS = [
    ("get", "/patients/{patient}"),
    ("get", "/patients/{patient}/series"),
    ("get", "/blocks/{block}"),
    ("patch", "/blocks/{block}"),
    ("get", "/blocks/{block}/analysis"),
    ("get", "/blocks/{block}/entries"),
    ("post", "/blocks/{block}/entries"),
    ("get", "/blocks/{block}/entries.csv"),
    ("get", "/blocks/{block}/chart.png"),
    ("get", "/blocks/{block}/chart.svg"),
    ("get", "/blocks/{block}/fhir"),
    ("post", "/blocks/{block}/link/revoke"),
    ("post", "/blocks/{block}/link/reopen"),
]


@pytest.mark.parametrize("method, template", CLINIC_URLS)
def test_another_clinic_gets_404_everywhere(other_api, world, method, template):
    url = template.format(block=world.block.id, patient=world.patient.id)
    kwargs = {"json": {"pain": 1}} if method != "get" else {}
    response = getattr(other_api, method)(url, **kwargs)
    assert_problem(response, 404)


def test_listings_show_only_the_own_clinic(other_api, world):
    assert [b["id"] for b in other_api.get("/blocks").get_json()["items"]] == [world.other_block.id]
    assert [p["id"] for p in other_api.get("/patients").get_json()["items"]] == [
        world.other_patient.id
    ]


# --- tokens page and the clinic command ----------------------------------------------


def test_tokens_page_creates_shows_once_and_revokes(client, signed_in):
    response = client.post("/settings/tokens", data={"name": "EHR import"})
    page = response.get_data(as_text=True)
    plain = re.search(r'value="(bd_[^"]+)"', page).group(1)
    assert Api(client, plain).get("/blocks").status_code == 200
    assert plain not in client.get("/settings/tokens").get_data(as_text=True)
    token = db.session.execute(select(ApiToken)).scalar_one()
    client.post(f"/settings/tokens/{token.id}/revoke")
    client.post("/logout")
    assert Api(client, plain).get("/blocks").status_code == 401


def test_clinic_create_prints_a_one_time_password_changed_at_first_sign_in(runner, client):
    result = runner.invoke(
        args=[
            "clinic",
            "create",
            "--name",
            "North Spine",
            "--admin-email",
            "Boss@North.example",
            "--timezone",
            "Europe/Madrid",
        ]
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"one-time password: (\S+)", result.output).group(1)
    assert "API token" not in result.output.split("\n")[1]  # no credential but the password
    signed_in = client.post("/login", data={"email": "boss@north.example", "password": password})
    assert signed_in.status_code == 302
    assert client.get("/").headers["Location"].endswith("/account")  # change it first
    assert change_password(client, password, "violet harbour lantern seventeen").status_code == 302
    plain = re.search(
        r'value="(bd_[^"]+)"', client.post("/settings/tokens", data={"name": "EHR"}).text
    ).group(1)
    assert Api(client, plain).get("/clinic/settings").get_json()["timezone"] == "Europe/Madrid"
    again = runner.invoke(
        args=["clinic", "create", "--name", "X", "--admin-email", "boss@north.example"]
    )
    assert again.exit_code != 0 and "already has an account" in again.output
    bad_zone = runner.invoke(
        args=[
            "clinic",
            "create",
            "--name",
            "X",
            "--admin-email",
            "x@y.example",
            "--timezone",
            "Mars/Base",
        ]
    )
    assert bad_zone.exit_code != 0 and "unknown time zone" in bad_zone.output


def test_a_diary_takes_no_more_entries_than_its_clinic_allows(client, world):
    world.clinic.max_entries_per_diary = 24
    db.session.commit()
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    for n in range(24):
        assert client.post(url, json={"pain": 3, "client_id": f"entry-{n:04d}"}).status_code == 201
    full = assert_problem(client.post(url, json={"pain": 3, "client_id": "entry-0024"}), 422)
    assert "diary is full" in full["errors"]["pain"]
    resend = client.post(url, json={"pain": 3, "client_id": "entry-0003"})
    assert resend.status_code == 200  # a phone resending what was stored still hears so
    assert db.session.execute(select(func.count(DiaryEntry.id))).scalar_one() == 24
    page = client.post(
        f"/d/{world.block.diary_token}/entries", data={"client_id": form_id(), "pain": "4"}
    )
    assert page.status_code == 400 and "diary is full" in page.get_data(as_text=True)


def test_the_cap_is_a_clinic_setting_within_its_range(client, world):
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    _, token = create_api_token(admin, "admin")
    db.session.commit()
    admin_api = Api(client, token)
    assert admin_api.get("/clinic/settings").get_json()["max_entries_per_diary"] == 200
    changed = admin_api.patch("/clinic/settings", json={"max_entries_per_diary": 300})
    assert changed.get_json()["max_entries_per_diary"] == 300
    assert_problem(admin_api.patch("/clinic/settings", json={"max_entries_per_diary": 5000}), 422)


def test_settings_patch_takes_every_field_the_document_lists(client, world):
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    _, token = create_api_token(admin, "admin")
    db.session.commit()
    admin_api = Api(client, token)
    changed = admin_api.patch("/clinic/settings", json={"language": "es"})
    assert changed.status_code == 200 and changed.get_json()["language"] == "es"
    assert world.clinic.language == "es"
    assert_problem(admin_api.patch("/clinic/settings", json={"language": "fr"}), 422)


def test_tokens_expire_and_the_tokens_page_says_when(client, signed_in):
    old, old_key = create_api_token(
        signed_in.clinician, "old", now=datetime.now(UTC) - timedelta(days=91)
    )
    _, fresh_key = create_api_token(signed_in.clinician, "fresh")
    db.session.commit()
    assert_problem(Api(client, old_key).get("/blocks"), 401)  # 90 days have passed
    assert Api(client, fresh_key).get("/blocks").status_code == 200
    page = client.get("/settings/tokens").get_data(as_text=True)
    assert "Expires" in page and "expired" in page


def test_sign_out_everywhere_and_a_new_password_revoke_the_users_tokens(client, signed_in):
    _, first = create_api_token(signed_in.clinician, "first")
    db.session.commit()
    assert client.post("/account/sign-out-everywhere").status_code == 302
    assert_problem(Api(client, first).get("/blocks"), 401)

    client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    _, second = create_api_token(signed_in.clinician, "second")
    db.session.commit()
    changed = change_password(client, PASSWORD, "another long pass phrase for the doctor")
    assert changed.status_code == 302
    assert_problem(Api(client, second).get("/blocks"), 401)


def test_long_entry_lists_come_a_page_at_a_time(api, world):
    add_entries(world.block, {0.25 + n * 0.05: n % 11 for n in range(105)})
    db.session.commit()
    first = api.get(f"/blocks/{world.block.id}/entries").get_json()
    second = api.get(f"/blocks/{world.block.id}/entries?page=2").get_json()
    assert (first["total"], first["per_page"], len(first["items"])) == (105, 100, 100)
    assert len(second["items"]) == 5 and second["page"] == 2
    times = [e["recorded_at"] for e in first["items"] + second["items"]]
    assert times == sorted(times) and len(set(times)) == 105
    assert_problem(api.get(f"/blocks/{world.block.id}/entries?page=0"), 400)


def test_a_diary_correction_keeps_the_time_as_read_or_shown(client, world):
    block = world.block
    block.performed_at = block.performed_at.replace(second=37, microsecond=250000)
    add_entries(block, {0.25: 1})
    db.session.commit()
    (entry,) = client.get(f"/api/v1/diary/{block.diary_token}").get_json()["entries"]
    url = f"/api/v1/diary/{block.diary_token}/entries/{entry['id']}"
    as_read = entry["recorded_at"]  # to the second
    to_the_minute = as_read[:17] + "00" + as_read[19:]
    for sent in (as_read, to_the_minute):
        answer = client.patch(url, json={"pain": 3, "recorded_at": sent}).get_json()
        assert answer["recorded_at"] == as_read and answer["hours_since_block"] == 0.25
    moved = datetime.fromisoformat(to_the_minute) + timedelta(minutes=5)
    answer = client.patch(url, json={"pain": 3, "recorded_at": moved.isoformat()}).get_json()
    assert answer["recorded_at"] == moved.isoformat()
