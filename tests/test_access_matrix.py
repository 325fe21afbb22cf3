"""Every route × every role, with the status each must get. A route added to the app
without a row here fails ``test_every_route_is_in_the_matrix``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.extensions import db
from diary.reminders.subscriptions import subscribe_push
from diary.services.tokens import create_api_token
from tests.conftest import (
    API_ABLATION,
    API_BLOCK,
    PASSWORD,
    PDF_WORKS,
    World,
    _empty_postgres,
    add_entries,
    make_ablation,
    make_app,
    make_block,
    make_user,
)

ROLES = [
    "anonymous",
    "patient_own",
    "patient_other_block",
    "patient_expired",
    "clinician",
    "other_clinic",
    "admin",
]
PATIENT_ROLES = ROLES[:4]

# Per role: (status for anonymous and the three patient roles, clinician, other clinic, admin)
CLINIC_OBJECT_PAGE = dict.fromkeys(PATIENT_ROLES, 302) | {
    "clinician": 200,
    "other_clinic": 404,
    "admin": 200,
}
CLINIC_LIST_PAGE = dict.fromkeys(PATIENT_ROLES, 302) | {
    "clinician": 200,
    "other_clinic": 200,
    "admin": 200,
}
CLINIC_OBJECT_ACTION = dict.fromkeys(PATIENT_ROLES, 302) | {
    "clinician": 302,
    "other_clinic": 404,
    "admin": 302,
}
# Without Pango on the machine a PDF is a 503 that says so (tests/conftest.py: PDF_WORKS).
PDF_PAGE = (
    CLINIC_OBJECT_PAGE if PDF_WORKS else CLINIC_OBJECT_PAGE | {"clinician": 503, "admin": 503}
)
ADMIN_PAGE = dict.fromkeys(PATIENT_ROLES, 302) | {
    "clinician": 403,
    "other_clinic": 403,
    "admin": 200,
}
API_OBJECT = dict.fromkeys(PATIENT_ROLES, 401) | {
    "clinician": 200,
    "other_clinic": 404,
    "admin": 200,
}
API_LIST = dict.fromkeys(PATIENT_ROLES, 401) | {"clinician": 200, "other_clinic": 200, "admin": 200}
API_CREATE = dict.fromkeys(PATIENT_ROLES, 401) | {
    "clinician": 201,
    "other_clinic": 201,
    "admin": 201,
}
# Diary pages take the token in the URL: "own" is this block's, "other block" another
# block's (reaching this block's entry through it must fail), "expired" a closed link's,
# "anonymous" a made-up token; clinic users open this block's own link.
DIARY_PAGE = {
    "anonymous": 404,
    "patient_own": 200,
    "patient_other_block": 200,
    "patient_expired": 410,
    "clinician": 200,
    "other_clinic": 200,
    "admin": 200,
}
DIARY_ENTRY = DIARY_PAGE | {"patient_other_block": 404}
EVERYONE = dict.fromkeys(ROLES, 200)

MATRIX = {
    # endpoint: (method, url, body, expected by role)
    "health.healthz": ("GET", "/healthz", None, EVERYONE),
    # The test database is made by create_all, not migrations: never "ready" (tests/test_ops.py).
    "health.readyz": ("GET", "/readyz", None, dict.fromkeys(ROLES, 503)),
    "auth.login": (
        "GET",
        "/login",
        None,
        dict.fromkeys(PATIENT_ROLES, 200) | {"clinician": 302, "other_clinic": 302, "admin": 302},
    ),
    "auth.logout": ("POST", "/logout", None, dict.fromkeys(ROLES, 302)),
    "auth.account": ("GET", "/account", None, CLINIC_LIST_PAGE),
    "auth.sign_out_everywhere": (
        "POST",
        "/account/sign-out-everywhere",
        None,
        dict.fromkeys(ROLES, 302),
    ),
    # Without a right password a moment ago in this browser, the code page sends to sign-in.
    "auth.second_factor": ("GET", "/login/code", None, dict.fromkeys(ROLES, 302)),
    "auth.two_factor_setup": ("GET", "/account/two-factor", None, CLINIC_LIST_PAGE),
    # Without two-factor on, changing it sends to its setup page.
    "auth.two_factor_change": (
        "POST",
        "/account/two-factor/recovery-codes",
        {"current_password": PASSWORD},
        dict.fromkeys(ROLES, 302),
    ),
    "clinic.users": ("GET", "/settings/users", None, ADMIN_PAGE),
    "clinic.user_action": (
        "POST",
        "/settings/users/{clinician}/sign-out",
        None,
        ADMIN_PAGE | {"admin": 302},
    ),
    "clinic.dashboard": ("GET", "/", None, CLINIC_LIST_PAGE),
    "clinic.search": ("POST", "/search", {"q": "J.S."}, dict.fromkeys(ROLES, 302)),
    "clinic.patients": ("GET", "/patients", None, CLINIC_LIST_PAGE),
    "clinic.new_patient": ("GET", "/patients/new", None, CLINIC_LIST_PAGE),
    "clinic.patient": ("GET", "/patients/{patient}", None, CLINIC_OBJECT_PAGE),
    "clinic.series_report": ("GET", "/patients/{patient}/report", None, CLINIC_OBJECT_PAGE),
    "clinic.new_block": ("GET", "/patients/{patient}/blocks/new", None, CLINIC_OBJECT_PAGE),
    "clinic.block": ("GET", "/blocks/{block}", None, CLINIC_OBJECT_PAGE),
    "clinic.edit_block": ("GET", "/blocks/{block}/edit", None, CLINIC_OBJECT_PAGE),
    "clinic.edit_patient": ("GET", "/patients/{patient}/edit", None, CLINIC_OBJECT_PAGE),
    # Merging a record into itself is refused with a message on the patient's page.
    "clinic.merge_preview": (
        "GET",
        "/patients/{patient}/merge/{patient}",
        None,
        CLINIC_OBJECT_ACTION,
    ),
    "clinic.merge_patient": (
        "POST",
        "/patients/{patient}/merge/{patient}",
        None,
        CLINIC_OBJECT_ACTION,
    ),
    "clinic.block_csv": ("GET", "/blocks/{block}/entries.csv", None, CLINIC_OBJECT_PAGE),
    "clinic.block_corrections": ("GET", "/blocks/{block}/corrections", None, CLINIC_OBJECT_PAGE),
    "clinic.block_corrections_csv": (
        "GET",
        "/blocks/{block}/corrections.csv",
        None,
        CLINIC_OBJECT_PAGE,
    ),
    "clinic.block_report": ("GET", "/blocks/{block}/report", None, CLINIC_OBJECT_PAGE),
    "clinic.block_report_pdf": ("GET", "/blocks/{block}/report.pdf", None, PDF_PAGE),
    "clinic.series_report_pdf": ("GET", "/patients/{patient}/report.pdf", None, PDF_PAGE),
    "clinic.chart": ("GET", "/blocks/{block}/chart.png", None, CLINIC_OBJECT_PAGE),
    "clinic.diary_link": ("POST", "/blocks/{block}/link/revoke", None, CLINIC_OBJECT_ACTION),
    "clinic.archive": ("POST", "/blocks/{block}/archive", None, CLINIC_OBJECT_ACTION),
    "clinic.transcribe_entry": ("POST", "/blocks/{block}/entries", "paper", CLINIC_OBJECT_ACTION),
    "clinic.worklist": ("GET", "/worklist", None, CLINIC_LIST_PAGE),
    # The entry has no side effect and the diary still runs: each is said on the worklist.
    "clinic.acknowledge": ("POST", "/entries/{entry}/acknowledge", None, CLINIC_OBJECT_ACTION),
    "clinic.review": ("POST", "/blocks/{block}/review", None, CLINIC_OBJECT_ACTION),
    "clinic.exports": ("GET", "/exports", None, CLINIC_LIST_PAGE),
    "clinic.clinic_export": ("GET", "/exports/entries.csv", None, CLINIC_LIST_PAGE),
    "clinic.research_export": ("GET", "/exports/research/wide.csv", None, CLINIC_LIST_PAGE),
    "clinic.csv_schema": ("GET", "/exports/entries.schema.json", None, CLINIC_LIST_PAGE),
    "clinic.fhir_export": ("GET", "/exports/fhir.json", None, CLINIC_LIST_PAGE),
    "clinic.settings": ("GET", "/settings", None, ADMIN_PAGE),
    "clinic.api_tokens": ("GET", "/settings/tokens", None, CLINIC_LIST_PAGE),
    "clinic.audit": ("GET", "/audit", None, ADMIN_PAGE),
    "clinic.audit_csv": ("GET", "/audit.csv", None, ADMIN_PAGE),
    "clinic.audit_schema": ("GET", "/audit.schema.json", None, ADMIN_PAGE),
    "clinic.revoke_api_token": (
        "POST",
        "/settings/tokens/{api_token}/revoke",
        None,
        CLINIC_OBJECT_ACTION,
    ),
    "patient.service_worker": ("GET", "/d/sw.js", None, EVERYONE),
    "patient.diary": ("GET", "/d/{token}", None, DIARY_PAGE),
    "patient.manifest": (
        "GET",
        "/d/{token}/manifest.webmanifest",
        None,
        DIARY_PAGE | {"patient_expired": 200},
    ),
    "patient.reminders": ("GET", "/d/{token}/reminders.ics", None, DIARY_PAGE),
    "patient.add_entry": (
        "POST",
        "/d/{token}/entries",
        {"pain": "4", "client_id": "access-matrix"},
        DIARY_PAGE
        | dict.fromkeys(
            ["patient_own", "patient_other_block", "clinician", "other_clinic", "admin"], 302
        ),
    ),
    "patient.edit_entry": ("GET", "/d/{token}/entries/{entry}/edit", None, DIARY_ENTRY),
    # Follow-up after an ablation or a therapeutic block (issue 25).
    "clinic.new_ablation": ("GET", "/patients/{patient}/ablations/new", None, CLINIC_OBJECT_PAGE),
    "clinic.ablation": ("GET", "/ablations/{ablation}", None, CLINIC_OBJECT_PAGE),
    "clinic.edit_ablation": ("GET", "/ablations/{ablation}/edit", None, CLINIC_OBJECT_PAGE),
    "clinic.ablation_chart": ("GET", "/ablations/{ablation}/chart.png", None, CLINIC_OBJECT_PAGE),
    "clinic.ablation_report": ("GET", "/ablations/{ablation}/report", None, CLINIC_OBJECT_PAGE),
    "clinic.ablation_report_pdf": ("GET", "/ablations/{ablation}/report.pdf", None, PDF_PAGE),
    "clinic.ablation_link": (
        "POST",
        "/ablations/{ablation}/link/revoke",
        None,
        CLINIC_OBJECT_ACTION,
    ),
    "clinic.ablation_checkin": (
        "POST",
        "/ablations/{ablation}/checkins",
        "staff-checkin",
        CLINIC_OBJECT_ACTION,
    ),
    "clinic.block_followup_link": (
        "POST",
        "/blocks/{therapeutic}/followup/revoke",
        None,
        CLINIC_OBJECT_ACTION,
    ),
    "clinic.block_checkin": (
        "POST",
        "/blocks/{therapeutic}/checkins",
        "staff-checkin",
        CLINIC_OBJECT_ACTION,
    ),
    "clinic.followup_settings": ("GET", "/settings/follow-up", None, ADMIN_PAGE),
    "followup.service_worker": ("GET", "/f/sw.js", None, EVERYONE),
    "followup.checkin_page": ("GET", "/f/{ftoken}", None, DIARY_PAGE),
    "followup.reminders": ("GET", "/f/{ftoken}/reminders.ics", None, DIARY_PAGE),
    "followup.add_checkin": (
        "POST",
        "/f/{ftoken}/checkins",
        {"pain": "4", "client_id": "access-matrix"},
        DIARY_PAGE
        | dict.fromkeys(
            ["patient_own", "patient_other_block", "clinician", "other_clinic", "admin"], 302
        ),
    ),
    "api.create_ablation": (
        "POST",
        "/api/v1/ablations",
        "ablation",
        API_CREATE | {"other_clinic": 422},
    ),
    "api.get_ablation": ("GET", "/api/v1/ablations/{ablation}", None, API_OBJECT),
    "api.ablation_fhir": ("GET", "/api/v1/ablations/{ablation}/fhir", None, API_OBJECT),
    "api.update_ablation": (
        "PATCH",
        "/api/v1/ablations/{ablation}",
        {"note": "checked"},
        API_OBJECT,
    ),
    "api.transcribe_ablation_checkin": (
        "POST",
        "/api/v1/ablations/{ablation}/checkins",
        "api-checkin",
        API_OBJECT | {"clinician": 201, "admin": 201},
    ),
    "api.block_follow_up": ("GET", "/api/v1/blocks/{therapeutic}/follow-up", None, API_OBJECT),
    "api.transcribe_block_checkin": (
        "POST",
        "/api/v1/blocks/{therapeutic}/follow-up/checkins",
        "api-checkin",
        API_OBJECT | {"clinician": 201, "admin": 201},
    ),
    "api.get_followup_settings": ("GET", "/api/v1/clinic/follow-up-settings", None, API_LIST),
    "api.update_followup_settings": (
        "PATCH",
        "/api/v1/clinic/follow-up-settings",
        {"checkin_closes_days_after": 14},
        API_LIST | {"clinician": 403, "other_clinic": 403},
    ),
    "api.followup": ("GET", "/api/v1/followup/{ftoken}", None, DIARY_PAGE),
    "api.followup_add_checkin": (
        "POST",
        "/api/v1/followup/{ftoken}/checkins",
        {"pain": 3},
        DIARY_PAGE
        | dict.fromkeys(
            ["patient_own", "patient_other_block", "clinician", "other_clinic", "admin"], 201
        ),
    ),
    "api.followup_subscribe": (
        "POST",
        "/api/v1/followup/{ftoken}/push",
        "push",
        DIARY_PAGE
        | dict.fromkeys(
            ["patient_own", "patient_other_block", "clinician", "other_clinic", "admin"], 201
        ),
    ),
    "api.followup_unsubscribe": (
        "DELETE",
        "/api/v1/followup/{ftoken}/push",
        "unpush-f",
        DIARY_ENTRY
        | {
            "patient_expired": 404,
            "clinician": 204,
            "other_clinic": 204,
            "admin": 204,
            "patient_own": 204,
        },
    ),
    "api.openapi": ("GET", "/api/v1/openapi.json", None, EVERYONE),
    "api.list_patients": ("GET", "/api/v1/patients", None, API_LIST),
    "api.create_patient": ("POST", "/api/v1/patients", {"display_name": "N.N."}, API_CREATE),
    "api.get_patient": ("GET", "/api/v1/patients/{patient}", None, API_OBJECT),
    "api.patient_series": ("GET", "/api/v1/patients/{patient}/series", None, API_OBJECT),
    "api.patient_next_steps": ("GET", "/api/v1/patients/{patient}/next-steps", None, API_OBJECT),
    "api.get_worklist": ("GET", "/api/v1/worklist", None, API_LIST),
    "api.acknowledge_entry": ("POST", "/api/v1/entries/{entry}/acknowledge", None, API_OBJECT),
    # The diary still runs: a review waits for it to finish.
    "api.review_block": (
        "POST",
        "/api/v1/blocks/{block}/review",
        None,
        API_OBJECT | {"clinician": 409, "admin": 409},
    ),
    "api.list_blocks": ("GET", "/api/v1/blocks", None, API_LIST),
    "api.create_block": ("POST", "/api/v1/blocks", "block", API_CREATE | {"other_clinic": 422}),
    "api.get_block": ("GET", "/api/v1/blocks/{block}", None, API_OBJECT),
    "api.update_block": ("PATCH", "/api/v1/blocks/{block}", {"baseline_pain": 7}, API_OBJECT),
    "api.block_analysis": ("GET", "/api/v1/blocks/{block}/analysis", None, API_OBJECT),
    "api.block_entries": ("GET", "/api/v1/blocks/{block}/entries", None, API_OBJECT),
    "api.block_entries_csv": ("GET", "/api/v1/blocks/{block}/entries.csv", None, API_OBJECT),
    "api.transcribe_entry": (
        "POST",
        "/api/v1/blocks/{block}/entries",
        "api-paper",
        API_OBJECT | {"clinician": 201, "admin": 201},
    ),
    "api.block_chart": ("GET", "/api/v1/blocks/{block}/chart.svg", None, API_OBJECT),
    "api.block_fhir": ("GET", "/api/v1/blocks/{block}/fhir", None, API_OBJECT),
    "api.block_link": ("POST", "/api/v1/blocks/{block}/link/revoke", None, API_OBJECT),
    # Every clinic-wide export, to a clinic's token as to its signed-in clinicians.
    "api.clinic_export": ("GET", "/api/v1/exports/blocks.xlsx", None, API_LIST),
    "api.research_export": (
        "GET",
        "/api/v1/exports/research/redcap-import.csv",
        None,
        API_LIST,
    ),
    "api.export_schema": ("GET", "/api/v1/exports/wide.schema.json", None, API_LIST),
    "api.fhir_export": ("GET", "/api/v1/exports/fhir", None, API_LIST),
    "api.get_settings": ("GET", "/api/v1/clinic/settings", None, API_LIST),
    "api.update_settings": (
        "PATCH",
        "/api/v1/clinic/settings",
        {"threshold_pct": 50},
        API_LIST | {"clinician": 403, "other_clinic": 403},
    ),
    "api.diary": ("GET", "/api/v1/diary/{token}", None, DIARY_PAGE),
    "api.diary_add_entry": (
        "POST",
        "/api/v1/diary/{token}/entries",
        {"pain": 3},
        DIARY_PAGE
        | dict.fromkeys(
            ["patient_own", "patient_other_block", "clinician", "other_clinic", "admin"], 201
        ),
    ),
    "api.diary_correct_entry": (
        "PATCH",
        "/api/v1/diary/{token}/entries/{entry}",
        {"pain": 2},
        DIARY_ENTRY,
    ),
    "api.diary_subscribe": (
        "POST",
        "/api/v1/diary/{token}/push",
        "push",
        DIARY_PAGE
        | dict.fromkeys(
            ["patient_own", "patient_other_block", "clinician", "other_clinic", "admin"], 201
        ),
    ),
    "api.diary_unsubscribe": (
        "DELETE",
        "/api/v1/diary/{token}/push",
        "unpush",
        DIARY_ENTRY
        | {
            "patient_expired": 404,
            "clinician": 204,
            "other_clinic": 204,
            "admin": 204,
            "patient_own": 204,
        },
    ),
}


class Scene:
    def __init__(self, world):
        self.world = world
        self.admin = make_user(world.clinic, "admin@a.example", role="admin")
        # FHIR exports wait for each clinic's own MRN identifier system.
        world.clinic.mrn_system = "urn:oid:1.2.3.1"
        world.other_clinic.mrn_system = "urn:oid:1.2.3.2"
        add_entries(world.block, {0.25: 2})
        self.entry = world.block.entries[0]
        self.expired = make_block(
            world.clinic,
            world.patient,
            world.clinician,
            performed_at=datetime.now(UTC) - timedelta(days=5),
        )
        self.api_token, self.clinician_key = create_api_token(world.clinician, "a")
        self.other_key = create_api_token(world.other_clinician, "b")[1]
        self.admin_key = create_api_token(self.admin, "admin")[1]
        subscribe_push(world.block, "https://push.example/own", "p256", "auth", ["push.example"])
        # Ablations a month ago (the 1-month check-in is open), one per clinic, and one
        # whose follow-up link the clinic closed; a therapeutic block with its own link.
        month_ago = datetime.now(UTC) - timedelta(days=30)
        self.ablation = make_ablation(world.clinic, world.patient, world.clinician, month_ago)
        self.other_ablation = make_ablation(
            world.other_clinic, world.other_patient, world.other_clinician, month_ago
        )
        self.closed_ablation = make_ablation(
            world.clinic, world.patient, world.clinician, month_ago
        )
        self.closed_ablation.link_revoked_at = datetime.now(UTC)
        from diary.reminders.checkins import subscribe_checkin_push
        from diary.services.followup import followed

        subscribe_checkin_push(
            followed(self.ablation), "https://push.example/own-f", "p256", "auth", ["push.example"]
        )
        self.therapeutic = make_block(
            world.clinic,
            world.patient,
            world.clinician,
            purpose="therapeutic",
            steroid=True,
            performed_at=month_ago,
        )
        db.session.commit()

    def token_for(self, role: str) -> str:
        return {
            "anonymous": "no-such-diary-token",
            "patient_other_block": self.world.other_block.diary_token,
            "patient_expired": self.expired.diary_token,
        }.get(role, self.world.block.diary_token)

    def followup_token_for(self, role: str) -> str:
        return {
            "anonymous": "no-such-follow-up-token",
            "patient_other_block": self.other_ablation.followup_token,
            "patient_expired": self.closed_ablation.followup_token,
        }.get(role, self.ablation.followup_token)

    def url(self, template: str, role: str) -> str:
        return template.format(
            ablation=self.ablation.id,
            therapeutic=self.therapeutic.id,
            ftoken=self.followup_token_for(role),
            block=self.world.block.id,
            patient=self.world.patient.id,
            token=self.token_for(role),
            entry=self.entry.id,
            api_token=self.api_token.id,
            clinician=self.world.clinician.id,
        )

    def body(self, body, role: str):
        if body == "paper":
            local = (self.world.block.performed_at + timedelta(hours=1)).astimezone(
                ZoneInfo(self.world.clinic.timezone)
            )
            return {
                "recorded_date": local.strftime("%Y-%m-%d"),
                "recorded_time": local.strftime("%H:%M"),
                "pain": "3",
            }
        if body == "api-paper":
            at = (self.world.block.performed_at + timedelta(hours=1)).isoformat()
            return {"recorded_at": at, "pain": 3}
        if body == "block":
            return API_BLOCK | {"patient_id": self.world.patient.id}
        if body == "ablation":
            return API_ABLATION | {"patient_id": self.world.patient.id}
        if body == "api-checkin":
            made_on = datetime.now(ZoneInfo(self.world.clinic.timezone)).date()
            return {"made_on": made_on.isoformat(), "pain": 3}
        if body == "staff-checkin":
            made_on = datetime.now(ZoneInfo(self.world.clinic.timezone)).date()
            return {"made_on": made_on.isoformat(), "months": "", "pain": "3"}
        if body == "push":
            return {
                "endpoint": f"https://push.example/{role}",
                "keys": {"p256dh": "k", "auth": "a"},
            }
        if body == "unpush":
            return {"endpoint": "https://push.example/own"}
        if body == "unpush-f":
            return {"endpoint": "https://push.example/own-f"}
        return body


def sign_in(client, scene: Scene, role: str) -> dict:
    """Sign the client in for the role; returns the headers its API calls carry."""
    email, key = {
        "clinician": ("doc@a.example", scene.clinician_key),
        "other_clinic": ("doc@b.example", scene.other_key),
        "admin": ("admin@a.example", scene.admin_key),
    }.get(role, (None, None))
    if email is None:
        return {}
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return {"Authorization": f"Bearer {key}"}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    assert endpoints - set(MATRIX) == set(), "add the new route to MATRIX"
    assert set(MATRIX) - endpoints == set()


class Stage:
    """One app and one world for every case on a database. Reads leave the world as it
    was; a case that changed it (a write that succeeded) has it built afresh for the next."""

    def __init__(self, app, database_url: str):
        self.app = app
        self.database_url = database_url
        self.scene: Scene | None = None

    def ready(self) -> Scene:
        if self.scene is None:
            db.session.remove()
            if self.database_url.startswith("sqlite"):
                db.drop_all()
                db.create_all()
            else:
                _empty_postgres(self.app)
            self.scene = Scene(World())
        return self.scene

    def after(self, method: str, response) -> None:
        sent_to_sign_in = response.status_code == 302 and "/login" in response.location
        if method != "GET" and response.status_code < 400 and not sent_to_sign_in:
            self.scene = None


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stage(request, tmp_path_factory):
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("matrix") / "matrix.sqlite3")
    else:
        url = request.getfixturevalue("postgres_url")
    app = make_app(url)
    with app.app_context():
        yield Stage(app, url)
        db.session.remove()
        if url.startswith("postgresql"):
            _empty_postgres(app)
        db.engine.dispose()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_access(stage, endpoint, role):
    method, template, body, expected = MATRIX[endpoint]
    scene = stage.ready()
    client = stage.app.test_client()
    headers = sign_in(client, scene, role)
    url, payload = scene.url(template, role), scene.body(body, role)
    if template.startswith("/api/"):
        response = client.open(url, method=method, json=payload, headers=headers)  # bearer
    else:
        response = client.open(url, method=method, data=payload)  # the session cookie
    response.close()
    stage.after(method, response)
    allowed = expected[role]
    assert response.status_code == allowed, (endpoint, role, response.status_code)
