"""Every answer that carries patient data is ``Cache-Control: no-store``: no browser disk,
proxy or back button keeps it. One test walks every route of the app, so a new one is
checked without anyone remembering to add it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from diary.extensions import db
from diary.services.patients import PatientInput, create_patient
from diary.services.tokens import create_api_token
from tests.conftest import PASSWORD, add_entries, make_ablation, make_block, make_user

# Routes whose answers hold no patient data, and may be cached as they choose.
NO_PATIENT_DATA = {
    "static",  # the app's own CSS, scripts and icons
    "patient.service_worker",  # the script, the same for every diary
    "followup.service_worker",  # the same script, for the follow-up pages
    "health.healthz",
    "health.readyz",
    "api.openapi",  # the API's description
    "auth.login",
    "auth.second_factor",
}


def candidates(
    rule, world, entry_id: int, duplicate_id: int, ablation=None, therapeutic=None
) -> list[dict]:
    """Values for each of the rule's variables: every word of an ``any(...)`` converter,
    the world's own ids and tokens (a follow-up link's for its pages), a format a chart
    is drawn in."""
    followup = rule.rule.startswith(("/f/", "/api/v1/followup/"))
    known = {
        # A block's follow-up is a therapeutic block's.
        "block_id": [
            therapeutic.id if therapeutic and "/follow-up" in rule.rule else world.block.id
        ],
        "patient_id": [world.patient.id],
        "ablation_id": [ablation.id if ablation else None],
        "token": [ablation.followup_token if followup and ablation else world.block.diary_token],
        "entry_id": [entry_id],
        "duplicate_id": [duplicate_id],
        "fmt": ["png", "svg"],
    }
    names = sorted(rule.arguments - set(rule.defaults or {}))
    choices = []
    for name in names:
        converter = rule._converters[name]
        words = getattr(converter, "items", None)
        choices.append(sorted(words) if words else known[name])
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*choices)]


def test_every_answer_with_patient_data_is_no_store(app, client, world):
    world.clinic.mrn_system = "urn:oid:1.2.3"
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    add_entries(world.block, {0.25: 1, 0.5: 0})
    _, key = create_api_token(admin, "cache check")
    # A second record of the patient, for the merge's review page.
    duplicate = create_patient(world.clinic, PatientInput("J.S.", None, 1960), by=admin)
    # An ablation a month ago: its follow-up link is open, with a check-in due.
    ablation = make_ablation(
        world.clinic, world.patient, admin, datetime.now(UTC) - timedelta(days=30)
    )
    therapeutic = make_block(world.clinic, world.patient, admin, purpose="therapeutic")
    db.session.commit()
    entry_id = world.block.entries[0].id
    assert client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code
    bearer = {"Authorization": f"Bearer {key}"}
    checked, unanswered = set(), set()
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NO_PATIENT_DATA:
            continue
        for values in candidates(rule, world, entry_id, duplicate.id, ablation, therapeutic):
            url = adapter.build(rule.endpoint, {**(rule.defaults or {}), **values})
            if rule.endpoint == "api.block_chart" and not url.endswith(rule.defaults["fmt"]):
                continue
            headers = bearer if url.startswith("/api/") else {}
            response = client.get(url, headers=headers)
            response.close()
            if response.status_code == 503 and rule.endpoint.endswith("_pdf"):
                unanswered.add(rule.endpoint)  # no Pango here: the PDF is not made
                continue
            assert response.status_code == 200, (url, response.status_code)
            assert response.headers.get("Cache-Control") == "no-store", (
                url,
                response.headers.get("Cache-Control"),
            )
            checked.add(rule.endpoint)
    get_routes = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in NO_PATIENT_DATA
    }
    assert get_routes - unanswered == checked


def test_refusals_and_a_charts_revalidation_are_no_store_too(client, signed_in):
    block = signed_in.block
    missing = client.get("/api/v1/blocks/999999", headers={"Authorization": "Bearer nothing"})
    assert missing.headers["Cache-Control"] == "no-store"
    chart = client.get(f"/blocks/{block.id}/chart.svg")
    assert chart.headers["Cache-Control"] == "no-store" and chart.headers["ETag"]
    again = client.get(
        f"/blocks/{block.id}/chart.svg", headers={"If-None-Match": chart.headers["ETag"]}
    )
    assert again.status_code == 304 and again.headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/app.css")
    static.close()
    assert "no-store" not in static.headers.get("Cache-Control", "")
