"""A whole session, start to export, logs none of the patient's fields."""

from __future__ import annotations

import logging

from tests.conftest import PASSWORD

NAME, MRN, NOTE, ACTIVITY = "Zebedee Quist", "MRN-778812", "pain after gardening", "lift boxes"


def test_a_full_session_logs_no_patient_data(client, world, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/login", data={"email": "doc@a.example", "password": "wrong"})
    client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    created = client.post(
        "/patients/new", data={"display_name": NAME, "mrn": MRN, "birth_year": "1949"}
    )
    patient_id = created.location.split("/")[2]
    block = client.post(
        f"/patients/{patient_id}/blocks/new",
        data={
            "performed_date": "2026-11-23",
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
    client.post(
        f"/api/v1/diary/{token}/entries", json={"pain": 2, "note": NOTE, "activity": ACTIVITY}
    )
    client.post(f"/api/v1/diary/{token}/entries", json={"pain": 12, "note": NOTE})  # refused
    client.post(f"/d/{token}/entries", data={"pain": "x", "note": NOTE})  # refused
    for url in (
        f"/patients/{patient_id}",
        f"/blocks/{block_id}/entries.csv",
        f"/blocks/{block_id}/report.pdf",
        f"/blocks/{block_id}/chart.svg",
        "/exports/blocks.csv",
        f"/api/v1/diary/{token}",
        "/no-such-page",
    ):
        client.get(url).get_data()
    client.post("/logout")
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    assert caplog.records  # the capture is live
    for field in (NAME, MRN, NOTE, ACTIVITY, "1949"):
        assert field not in logged, field
