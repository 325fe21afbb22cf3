"""What the app and access logs actually hold during a whole session, sign-in to export
and sign-out: request ids, masked paths, no name, MRN, note, activity or diary token."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.extensions import db
from diary.logs import masked_path
from tests.conftest import PASSWORD, World, form_id, make_app

NAME, MRN, NOTE, ACTIVITY = "Zebedee Quist", "MRN-778812", "pain after gardening", "lift boxes"


@pytest.fixture
def logged_app(database_url):
    """The app as production logs: JSON lines, and SQL echoed to show parameters are hidden."""
    app = make_app(database_url, LOG_FORMAT="json", SQLALCHEMY_ECHO=True)
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        World()
        yield app
        db.session.remove()
        if database_url.startswith("postgresql"):
            from tests.conftest import _empty_postgres

            _empty_postgres(app)
        db.engine.dispose()


def full_session(client) -> str:
    """Everything a clinician and a patient do; returns the diary token."""
    client.post("/login", data={"email": "doc@a.example", "password": "wrong"})
    client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    created = client.post(
        "/patients/new", data={"display_name": NAME, "mrn": MRN, "birth_year": "1949"}
    )
    patient_id = created.location.split("/")[2]
    block = client.post(
        f"/patients/{patient_id}/blocks/new",
        data={
            # Yesterday on the clinic's clock (World's clinics are in Chicago).
            "performed_date": (datetime.now(ZoneInfo("America/Chicago")) - timedelta(days=1))
            .date()
            .isoformat(),
            "performed_time": "09:00",
            "region": "lumbar",
            "levels": ["L4-L5"],
            "side": "left",
            "purpose": "diagnostic",
            "sequence": "first",
            "agent": "lidocaine:2",
            "volume_ml_per_level": "0.5",
            "sedation": "none",
            "baseline_pain": "7",
            "activities": ACTIVITY,
        },
    )
    block_id = block.location.split("/")[2]
    page = client.get(f"/blocks/{block_id}").get_data(as_text=True)
    token = page.split("/d/")[1].split('"')[0]
    client.post("/search", data={"q": NAME})
    client.post("/search", data={"q": MRN})
    client.get("/")
    client.get(f"/d/{token}")
    client.post(
        f"/api/v1/diary/{token}/entries", json={"pain": 2, "note": NOTE, "activity": ACTIVITY}
    )
    client.post(f"/api/v1/diary/{token}/entries", json={"pain": 12, "note": NOTE})  # refused
    client.post(
        f"/d/{token}/entries", data={"client_id": form_id(), "pain": "x", "note": NOTE}
    )  # refused
    for url in (
        f"/patients/{patient_id}",
        f"/blocks/{block_id}/entries.csv",
        f"/blocks/{block_id}/report.pdf",
        f"/blocks/{block_id}/chart.svg",
        "/exports/blocks.csv",
        f"/api/v1/diary/{token}",
        f"/d/{token}/reminders.ics",
        "/no-such-page",
    ):
        client.get(url).get_data()
    client.post("/logout")
    return token


def test_a_full_session_logs_no_patient_data(logged_app, capfd, caplog):
    token = full_session(logged_app.test_client())
    out, err = capfd.readouterr()
    logged = out + err + caplog.text
    assert "SQL parameters hidden" in logged  # the SQL was logged, without its values
    # Request ids and timestamps are random hex and times: a birth year can turn up in
    # them by chance, so the year is looked for as a value of its own.
    values_only = re.sub(r"\b[0-9a-f]{32}\b|\d{4}-\d\d-\d\d[ T][\d:,.]+", "", logged)
    for field in (NAME, MRN, NOTE, ACTIVITY, token):
        assert field not in logged, field
    assert not re.search(r"(?<![\w.-])1949(?![\w.-])", values_only)


def test_each_request_is_one_json_access_line_with_a_masked_path(logged_app, capfd):
    token = full_session(logged_app.test_client())
    lines = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line[:1] == "{"]
    access = [line for line in lines if line["logger"] == "diary.access"]
    paths = {line["path"] for line in access}
    assert "/d/***" in paths and "/api/v1/diary/***/entries" in paths and "/search" in paths
    assert all(len(line["request_id"]) == 32 and line["status"] for line in access)
    assert not any(token in line["path"] or "?" in line["path"] for line in access)


def test_a_proxys_request_id_is_kept_and_returned(logged_app, capfd):
    client = logged_app.test_client()
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-abc123def456"})
    assert response.headers["X-Request-ID"] == "nginx-abc123def456"
    assert '"request_id": "nginx-abc123def456"' in capfd.readouterr().out
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>"


def test_masked_path():
    assert masked_path("/d/abc_DEF-123/entries/4/edit") == "/d/***/entries/4/edit"
    assert masked_path("/api/v1/diary/abc/entries?x=1") == "/api/v1/diary/***/entries"
    assert masked_path("/?q=Smith") == "/"
    assert masked_path("/blocks/7") == "/blocks/7"
