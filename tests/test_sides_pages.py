"""Issue 24, left and right on the pages: the block form (new and corrected), staff
transcription, the patient's two scales with one Save and their corrections, in English
and Spanish, and both verdicts wherever a verdict shows."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdf

from diary.extensions import db
from diary.models import Block, EntryRevision
from tests.conftest import needs_pdf
from tests.test_clinic_pages import VALID_BLOCK
from tests.test_sides import APART_ENTRIES, add_side_entries, apart_block


def test_the_block_form_records_a_block_scored_apart(client, signed_in):
    form = VALID_BLOCK | {
        "scoring": "sides",
        "baseline_pain": "",
        "baseline_pain_left": "7",
        "baseline_pain_right": "4",
    }
    page = client.get(f"/patients/{signed_in.patient.id}/blocks/new").get_data(as_text=True)
    assert 'name="scoring" value="sides" checked' in page  # the default
    assert "Left side: baseline pain" in page
    response = client.post(f"/patients/{signed_in.patient.id}/blocks/new", data=form)
    assert response.status_code == 302
    block = db.session.query(Block).order_by(Block.id.desc()).first()
    baselines = (block.baseline_pain, block.baseline_pain_left, block.baseline_pain_right)
    assert block.scoring == "sides" and baselines == (None, 7, 4)


def test_the_block_form_asks_for_the_missing_side(client, signed_in):
    form = VALID_BLOCK | {"scoring": "sides", "baseline_pain_left": "7"}
    response = client.post(f"/patients/{signed_in.patient.id}/blocks/new", data=form)
    assert response.status_code == 400
    assert "Choose the right side&#39;s baseline pain" in response.get_data(as_text=True)


def test_the_block_form_scores_as_one_when_chosen(client, signed_in):
    form = VALID_BLOCK | {"scoring": "one", "baseline_pain_left": "7"}
    assert client.post(f"/patients/{signed_in.patient.id}/blocks/new", data=form).status_code == 302
    block = db.session.query(Block).order_by(Block.id.desc()).first()
    assert (block.scoring, block.baseline_pain, block.baseline_pain_left) == ("one", 7, None)


def test_correcting_the_block_shows_and_keeps_the_side_baselines(client, signed_in):
    block = apart_block(signed_in)
    db.session.commit()
    page = client.get(f"/blocks/{block.id}/edit").get_data(as_text=True)
    assert 'name="scoring" value="sides" checked' in page
    assert 'checked id="baseline_pain_left-8"' in page
    assert 'checked id="baseline_pain_right-6"' in page


def test_staff_transcribe_both_sides(client, signed_in):
    block = apart_block(signed_in)
    db.session.commit()
    day = (block.performed_at + timedelta(hours=1)).astimezone(
        __import__("zoneinfo").ZoneInfo(signed_in.clinic.timezone)
    )
    data = {"recorded_date": day.date().isoformat(), "recorded_time": day.strftime("%H:%M")}
    refused = client.post(f"/blocks/{block.id}/entries", data=data | {"pain_left": "2"})
    assert refused.status_code == 400
    assert "Choose the right side&#39;s score" in refused.get_data(as_text=True)
    stored = client.post(
        f"/blocks/{block.id}/entries", data=data | {"pain_left": "2", "pain_right": "5"}
    )
    assert stored.status_code == 302
    assert [(e.pain, e.pain_left, e.pain_right, e.source) for e in block.entries] == [
        (None, 2, 5, "transcribed")
    ]


def test_the_patient_page_asks_both_sides_with_one_save(client, world):
    block = apart_block(world)
    db.session.commit()
    url = f"/d/{block.diary_token}"
    page = client.get(url).get_data(as_text=True)
    assert "Left side" in page and "Right side" in page
    assert page.count('name="pain_left"') == 11 and page.count('name="pain_right"') == 11
    assert 'name="pain"' not in page
    assert page.count(">Save<") == 1
    assert len(page.encode()) < 30_000
    refused = client.post(f"{url}/entries", data={"pain_left": "3"})
    assert refused.status_code == 400
    assert "Choose a score for the right side" in refused.get_data(as_text=True)
    saved = client.post(f"{url}/entries", data={"pain_left": "3", "pain_right": "6"})
    assert saved.status_code == 302
    listed = client.get(url).get_data(as_text=True)
    assert "Left 3/10 · Right 6/10" in listed


def test_the_patient_page_in_spanish(client, world):
    block = apart_block(world)
    add_side_entries(block, {0.5: (2, 7)})
    db.session.commit()
    page = client.get(f"/d/{block.diary_token}", headers={"Accept-Language": "es"}).get_data(
        as_text=True
    )
    assert "Lado izquierdo" in page and "Lado derecho" in page
    assert "Izquierdo 2/10 · Derecho 7/10" in page
    refused = client.post(
        f"/d/{block.diary_token}/entries",
        data={"pain_right": "3"},
        headers={"Accept-Language": "es"},
    )
    assert "Elija una puntuación para el lado izquierdo" in refused.get_data(as_text=True)


def test_the_patient_corrects_one_side_and_the_history_keeps_both(client, world):
    block = apart_block(world, performed_at=datetime.now(UTC) - timedelta(hours=2))
    add_side_entries(block, {0.5: (2, 7)})
    db.session.commit()
    entry = block.entries[0]
    url = f"/d/{block.diary_token}/entries/{entry.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'checked id="pain_left-2"' in page and 'checked id="pain_right-7"' in page
    response = client.post(url, data={"pain_left": "2", "pain_right": "4"})
    assert response.status_code == 302
    db.session.refresh(entry)
    assert (entry.pain_left, entry.pain_right) == (2, 4)
    revision = db.session.query(EntryRevision).filter_by(entry_id=entry.id).one()
    assert (revision.pain_left, revision.pain_right) == (2, 7)


def test_the_block_page_shows_both_verdicts(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "Left: positive · Right: negative" in page


def test_the_chart_draws_both_sides_and_names_them(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    svg = client.get(f"/blocks/{block.id}/chart.svg").get_data(as_text=True)
    for words in ("Left side", "Right side", "Left baseline 8/10", "Right baseline 6/10"):
        assert words in svg
    assert "Left: positive · Right: negative" in svg
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "Left side (solid line, round markers)" in page
    assert "Right side (dashed line, square markers)" in page


def test_the_report_and_the_patient_page_show_both_sides(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    report = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert "Left: positive · Right: negative" in report
    assert "baseline pain left 8/10, right 6/10" in report
    assert "Left 1 · Right 5" in report  # the 0.25 h entry
    assert "Left 87.5% · Right 16.7%" in report
    patient = client.get(f"/patients/{signed_in.patient.id}").get_data(as_text=True)
    assert "L4-L5, L5-S1, left series" in patient and "L4-L5, L5-S1, right series" in patient
    assert "read by its left side" in patient and "read by its right side" in patient


@needs_pdf
def test_the_pdf_report_of_a_block_scored_apart(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    response = client.get(f"/blocks/{block.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(response.get_data())).pages
    text = " ".join(page.extract_text() for page in pages)
    assert "Left: positive · Right: negative" in text
