"""A verdict is final only when its diary is: a pair status or ablation criterion that
rests on a running diary reads as provisional, naming the diary it waits for, on the
series page, its PDF, the series CSV and the API; early reasons say what is awaited."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.extensions import db
from diary.services.patients import PatientInput, create_patient
from tests.conftest import add_concordant_pair, make_block, needs_pdf
from tests.test_csv_export import frictionless_errors


def series_rows(client) -> list[dict]:
    body = client.get("/exports/research/series.csv").get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def one_line(text: str) -> str:
    return " ".join(text.split())


def pdf_text(response) -> str:
    import pypdf

    pages = pypdf.PdfReader(io.BytesIO(response.get_data())).pages
    return one_line(" ".join(page.extract_text() for page in pages))


@needs_pdf
def test_a_pair_resting_on_a_running_diary_is_provisional_everywhere(client, signed_in, tmp_path):
    world = signed_in
    add_concordant_pair(world)  # the lidocaine block is 3 h old: its diary still runs
    patient = world.patient.id
    day = world.block.performed_at.astimezone(ZoneInfo("America/Chicago")).strftime("%d %b %Y")

    (series,) = client.get(f"/api/v1/patients/{patient}/series").get_json()["series"]
    waits = series["pair_awaiting"]
    assert waits.startswith(f"the diary of the {day} block (lidocaine 2%), awaiting the ")
    assert series["pair_status"] == "concordant" and series["pair_provisional"] is True
    lcd, consensus = (series["ablation_criteria"][k] for k in ("lcd", "consensus_2020"))
    assert (lcd["met"], lcd["provisional"], lcd["awaiting"]) == (True, True, waits)
    # The earlier block's finished diary meets the consensus: no running diary undoes it.
    assert (consensus["met"], consensus["provisional"], consensus["awaiting"]) == (
        True,
        False,
        None,
    )
    assert series["provisional"] is True and series["awaiting"] == waits

    page = one_line(client.get(f"/patients/{patient}").get_data(as_text=True))
    report = one_line(client.get(f"/patients/{patient}/report").get_data(as_text=True))
    for view in (page, report):
        assert "Pair: Concordant (provisional)</strong>" in view
        assert "<strong>Medicare LCD</strong>: met (provisional)" in view
        assert f"Provisional: waits for {waits}." in view
        assert "<strong>2020 multisociety consensus</strong>: met —" in view
    pdf = pdf_text(client.get(f"/patients/{patient}/report.pdf"))
    assert "Pair: Concordant (provisional)" in pdf and "Medicare LCD: met (provisional)" in pdf
    assert f"Provisional: waits for {waits}." in pdf

    (row,) = series_rows(client)
    assert (row["pair_status"], row["lcd_met"], row["consensus_2020_met"]) == (
        "concordant",
        "true",
        "true",
    )
    assert (row["provisional"], row["awaiting"]) == ("true", waits)
    assert (row["pair_provisional"], row["lcd_provisional"]) == ("true", "true")
    assert row["consensus_2020_provisional"] == "false"
    body = client.get("/exports/research/series.csv").get_data()
    schema = client.get("/exports/series.schema.json").get_json()
    assert list(row) == [field["name"] for field in schema["fields"]]
    assert frictionless_errors(tmp_path, "series", body, schema) == []

    # Its link closed, the diary is final: so are the pair and the criteria.
    client.post(f"/blocks/{world.block.id}/link/revoke")
    (series,) = client.get(f"/api/v1/patients/{patient}/series").get_json()["series"]
    assert series["provisional"] is False and series["pair_provisional"] is False
    assert series["ablation_criteria"]["lcd"]["provisional"] is False
    page = client.get(f"/patients/{patient}").get_data(as_text=True)
    assert "Pair: Concordant</strong>" in page and "provisional" not in page
    (row,) = series_rows(client)
    assert (row["provisional"], row["awaiting"], row["lcd_provisional"]) == ("false", "", "false")


def test_forty_minutes_in_the_reasons_say_what_is_awaited(client, signed_in):
    world = signed_in
    patient = create_patient(world.clinic, PatientInput("A.B."), by=world.clinician)
    early = make_block(
        world.clinic,
        patient,
        world.clinician,
        performed_at=datetime.now(UTC) - timedelta(minutes=40),
    )
    db.session.commit()
    awaited = [
        "awaiting an entry in the first 1.0 h after the block: "
        "the onset of relief is not observed yet",
        "awaiting entries up to 3 h after the block: at least 3 are needed within 0–3 h "
        "of the block, 0 so far",
    ]
    views = {
        "block page": client.get(f"/blocks/{early.id}").get_data(as_text=True),
        "block report": client.get(f"/blocks/{early.id}/report").get_data(as_text=True),
        "series page": client.get(f"/patients/{patient.id}").get_data(as_text=True),
        "series report": client.get(f"/patients/{patient.id}/report").get_data(as_text=True),
    }
    for name, view in views.items():
        for reason in awaited:
            assert reason in view, name
        assert "no entry in the first" not in view and "only 0 entries" not in view, name
    analysis = client.get(f"/api/v1/blocks/{early.id}/analysis").get_json()
    assert analysis["verdict"] == "indeterminate" and analysis["reasons"] == awaited
    assert analysis["provisional"] is True


def test_an_archived_block_leaves_its_series_and_pair(client, signed_in):
    world = signed_in
    earlier = add_concordant_pair(world)
    client.post(f"/blocks/{earlier.id}/archive")
    db.session.expire_all()
    page = client.get(f"/patients/{world.patient.id}").get_data(as_text=True)
    assert "Pair: Concordant" not in page and "Single block so far" in page
    assert "Archived blocks" in page and f"/blocks/{earlier.id}" in page
    (series,) = client.get(f"/api/v1/patients/{world.patient.id}/series").get_json()["series"]
    assert series["pair_status"] == "single"
    assert [b["block_id"] for b in series["blocks"]] == [world.block.id]
    (row,) = series_rows(client)
    assert row["block_ids"] == str(world.block.id) and row["pair_status"] == "single"
    report = client.get(f"/patients/{world.patient.id}/report").get_data(as_text=True)
    assert "Concordant" not in report
    # Restored, it counts again.
    client.post(f"/blocks/{earlier.id}/restore")
    (series,) = client.get(f"/api/v1/patients/{world.patient.id}/series").get_json()["series"]
    assert series["pair_status"] == "concordant"
