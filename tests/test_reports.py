"""Printable reports (HTML and PDF) and transcribing a paper diary on the block page."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from diary.extensions import db
from diary.models import AuditEvent, DiaryEntry
from tests.conftest import add_entries


def positive_diary(world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    db.session.commit()


def test_block_report_page_has_everything_for_the_record(client, signed_in):
    positive_diary(signed_in)
    page = client.get(f"/blocks/{signed_in.block.id}/report").get_data(as_text=True)
    for text in (
        "Medial branch block diary report",
        "J.S.",
        "MRN MRN-1",
        "Lumbar medial branch",
        "lidocaine 2%",
        "Verdict:",
        "Positive",
        "peak relief 100% at 0.5 h",
        "Clinician: doc",
        "Printed",
        "87.5%",
        "chart.svg",
    ):
        assert text in page, text


def test_block_report_pdf_carries_the_verdict(client, signed_in):
    pypdf = __import__("pytest").importorskip("pypdf")
    positive_diary(signed_in)
    response = client.get(f"/blocks/{signed_in.block.id}/report.pdf")
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Verdict: Positive" in text
    assert "peak relief 100% at 0.5 h" in text
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    assert db.session.execute(select(AuditEvent).filter_by(action="export.report_pdf")).scalar_one()


def test_series_report(client, signed_in):
    positive_diary(signed_in)
    page = client.get(f"/patients/{signed_in.patient.id}/report").get_data(as_text=True)
    assert "Comparative block series report" in page and "Medicare LCD" in page
    assert "Single block so far" in page


def test_another_clinic_cannot_see_reports(client, world, auth):
    auth.login("doc@b.example")
    for url in (
        f"/blocks/{world.block.id}/report",
        f"/blocks/{world.block.id}/report.pdf",
        f"/patients/{world.patient.id}/report",
    ):
        assert client.get(url).status_code == 404


def local_parts(moment: datetime):
    local = moment.astimezone(ZoneInfo("America/Chicago"))
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")


def test_paper_diary_entry_from_the_block_page(client, signed_in):
    block = signed_in.block
    block.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    day, time = local_parts(block.performed_at + timedelta(hours=1))
    response = client.post(
        f"/blocks/{block.id}/entries",
        data={"recorded_date": day, "recorded_time": time, "pain": "2", "note": "from paper"},
    )
    assert response.status_code == 302
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    assert (entry.pain, entry.source, entry.entered_by_id) == (
        2,
        "transcribed",
        signed_in.clinician.id,
    )
    assert "(from paper diary)" in client.get(f"/blocks/{block.id}").get_data(as_text=True)


def test_paper_diary_entry_refuses_bad_input(client, signed_in):
    block = signed_in.block
    day, time = local_parts(block.performed_at - timedelta(hours=2))
    before = client.post(
        f"/blocks/{block.id}/entries",
        data={"recorded_date": day, "recorded_time": time, "pain": "2"},
    )
    assert before.status_code == 400
    assert "cannot be before the procedure" in before.get_data(as_text=True)
    day, time = local_parts(block.performed_at + timedelta(hours=1))
    bad_pain = client.post(
        f"/blocks/{block.id}/entries",
        data={"recorded_date": day, "recorded_time": time, "pain": "12"},
    )
    assert bad_pain.status_code == 400
    assert "Choose the pain score" in bad_pain.get_data(as_text=True)
    assert db.session.execute(select(func.count(DiaryEntry.id))).scalar_one() == 0


def test_report_pdf_draws_dollar_signs_in_a_name_as_text(client, signed_in):
    pypdf = __import__("pytest").importorskip("pypdf")
    positive_diary(signed_in)
    signed_in.patient.display_name = r"A $\nosuchcommand{$ B"
    signed_in.block.agent, signed_in.block.concentration = "other", None
    signed_in.block.agent_other = r"Lido $x^$ mix"
    db.session.commit()
    response = client.get(f"/blocks/{signed_in.block.id}/report.pdf")
    assert response.status_code == 200
    text = pypdf.PdfReader(io.BytesIO(response.get_data())).pages[0].extract_text()
    assert "nosuchcommand" in text
    assert client.get(f"/blocks/{signed_in.block.id}/chart.png").status_code == 200
