"""Issue 24, left and right on the pages: the block form (new and corrected), staff
transcription, the patient's two scales with one Save and their corrections, in English
and Spanish, and both verdicts wherever a verdict shows."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pypdf

from diary.extensions import db
from diary.models import Block, EntryRevision
from tests.conftest import form_id, needs_pdf
from tests.test_clinic_pages import VALID_BLOCK
from tests.test_sides import APART_ENTRIES, add_side_entries, apart_block

# The diary is over (its hourly window ends at 8 h): the verdicts are final.
FINISHED = datetime.now(UTC) - timedelta(hours=9)


def weight_on_the_wire(client, url: str) -> int:
    page = client.get(url)
    total = len(page.get_data())
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.get_data(as_text=True)):
        with client.get(asset) as response:
            total += len(response.get_data())
    return total


def checked(page: str, name: str) -> str | None:
    """The value of the radio button of ``name`` the page has checked."""
    found = re.search(rf'<input checked name="{name}"[^>]* value="(\d+)"', page)
    return found and found.group(1)


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
    assert checked(page, "baseline_pain_left") == "8"
    assert checked(page, "baseline_pain_right") == "6"


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
    refused = client.post(f"{url}/entries", data={"client_id": form_id(), "pain_left": "3"})
    assert refused.status_code == 400
    assert "Choose a score for the right side" in refused.get_data(as_text=True)
    saved = client.post(
        f"{url}/entries", data={"client_id": form_id(), "pain_left": "3", "pain_right": "6"}
    )
    assert saved.status_code == 302
    listed = client.get(url).get_data(as_text=True)
    assert "Left 3/10 · Right 6/10" in listed


def test_the_two_scale_page_stays_under_30_kb(client, world):
    url = f"/d/{apart_block(world).diary_token}"
    db.session.commit()
    for language in ("en", "es"):  # with every same-site file it loads, as for one scale
        assert weight_on_the_wire(client, f"{url}?lang={language}") < 30 * 1024


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
        data={"client_id": form_id(), "pain_right": "3"},
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
    assert (checked(page, "pain_left"), checked(page, "pain_right")) == ("2", "7")
    response = client.post(url, data={"pain_left": "2", "pain_right": "4"})
    assert response.status_code == 302
    db.session.refresh(entry)
    assert (entry.pain_left, entry.pain_right) == (2, 4)
    revision = db.session.query(EntryRevision).filter_by(entry_id=entry.id).one()
    assert (revision.pain_left, revision.pain_right) == (2, 7)


def test_a_running_diary_scored_apart_says_its_verdicts_are_provisional(client, signed_in):
    block = apart_block(signed_in, performed_at=datetime.now(UTC) - timedelta(minutes=45))
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    headline = page.split('class="verdict-sides"', 1)[1].split("</p>", 1)[0]
    # Each side's verdict says so (the diary is one: both are provisional).
    assert headline.count("(provisional)") == 2


def test_the_block_page_shows_both_verdicts(client, signed_in):
    block = apart_block(signed_in, performed_at=FINISHED)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "Left: positive · Right: negative" in page


def test_the_chart_draws_both_sides_and_names_them(client, signed_in):
    block = apart_block(signed_in, performed_at=FINISHED)
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
    block = apart_block(signed_in, performed_at=FINISHED)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    report = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert "Left: positive · Right: negative" in report
    assert "baseline pain left 8/10, right 6/10" in report
    # The 0.25 h entry, each side unbroken on a narrow screen.
    assert '<span class="nowrap">Left 1 ·</span> <span class="nowrap">Right 5</span>' in report
    assert (
        '<span class="nowrap">Left 87.5% ·</span> <span class="nowrap">Right 16.7%</span>' in report
    )
    patient = client.get(f"/patients/{signed_in.patient.id}").get_data(as_text=True)
    assert "L4-L5, L5-S1, left series" in patient and "L4-L5, L5-S1, right series" in patient
    assert "read by its left side" in patient and "read by its right side" in patient


@needs_pdf
def test_the_pdf_report_of_a_block_scored_apart(client, signed_in):
    block = apart_block(signed_in, performed_at=FINISHED)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    response = client.get(f"/blocks/{block.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = pypdf.PdfReader(io.BytesIO(response.get_data())).pages
    text = " ".join(page.extract_text() for page in pages)
    assert "Left: positive · Right: negative" in text


def test_the_dashboard_shows_both_verdicts(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'Left: <span class="verdict verdict-positive' in page
    assert 'Right: <span class="verdict verdict-negative' in page
    # Each side unbroken, the "·" kept on the line of the side before it.
    assert (
        '<span class="nowrap">Left: 100% ·</span> <span class="nowrap">Right: 16.7%</span>' in page
    )
    assert f"In progress</span> ({len(APART_ENTRIES)})" in page


def test_the_csv_files_carry_each_side(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/blocks/{block.id}/entries.csv").get_data().decode("utf-8-sig")
            )
        )
    )
    first = rows[0]
    assert (first["pain"], first["relief_pct"], first["baseline_pain"]) == ("", "", "")
    assert (first["pain_left"], first["pain_right"]) == ("1", "5")
    assert (first["relief_pct_left"], first["relief_pct_right"]) == ("87.5", "16.7")
    assert (first["scoring"], first["baseline_pain_left"], first["baseline_pain_right"]) == (
        "sides",
        "8",
        "6",
    )
    assert (first["verdict_left"], first["verdict_right"]) == ("positive", "negative")
    assert first["response_duration_h_left"] == "1.750"
    one = client.get(f"/blocks/{signed_in.block.id}/entries.csv").get_data().decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(one)), {"scoring": "one"})["scoring"] in ("one", None)
    start = (block.performed_at - __import__("datetime").timedelta(days=2)).date().isoformat()
    summary = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/exports/blocks.csv?start={start}").get_data().decode("utf-8-sig")
            )
        )
    )
    row = next(r for r in summary if r["block_id"] == str(block.id))
    assert (row["verdict_left"], row["verdict_right"]) == ("positive", "negative")
    assert (row["duration_class_left"], row["entries"]) == ("consistent", str(len(APART_ENTRIES)))
    entries = client.get(f"/exports/entries.csv?start={start}").get_data().decode("utf-8-sig")
    side_rows = [r for r in csv.DictReader(io.StringIO(entries)) if r["block_id"] == str(block.id)]
    assert [(r["pain_left"], r["pain_right"]) for r in side_rows][:2] == [("1", "5"), ("0", "5")]


def test_the_files_of_a_block_scored_apart_match_their_schemas(client, signed_in, tmp_path):
    from tests.test_csv_export import frictionless_errors

    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    entry = block.entries[0]
    url = f"/api/v1/diary/{block.diary_token}/entries/{entry.id}"
    assert client.patch(url, json={"pain_left": 2}).status_code == 200
    for kind in ("entries", "blocks", "corrections"):
        body = client.get(f"/exports/{kind}.csv").get_data()
        schema = client.get(f"/exports/{kind}.schema.json").get_json()
        assert frictionless_errors(tmp_path, kind, body, schema) == [], kind
    corrections = client.get(f"/blocks/{block.id}/corrections.csv").get_data().decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(corrections)))
    assert (row["was_pain"], row["was_pain_left"], row["was_pain_right"]) == ("", "1", "5")


@needs_pdf
def test_the_series_report_and_its_pdf_show_each_sides_series(client, signed_in):
    block = apart_block(signed_in)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    page = client.get(f"/patients/{signed_in.patient.id}/report").get_data(as_text=True)
    assert "L4-L5, L5-S1, left series" in page and "L4-L5, L5-S1, right series" in page
    # The bilateral block's entries, both sides.
    assert (
        '<span class="nowrap">Left 87.5% ·</span> <span class="nowrap">Right 16.7%</span>' in page
    )
    response = client.get(f"/patients/{signed_in.patient.id}/report.pdf")
    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.data)).pages)
    assert "left series" in text and "right series" in text


def corrected_from_6_and_4_to_8_and_4(client, signed_in) -> Block:
    block = apart_block(signed_in)  # running: the patient may still correct
    add_side_entries(block, {0.5: (6, 4)})
    db.session.commit()
    entry = block.entries[0]
    url = f"/api/v1/diary/{block.diary_token}/entries/{entry.id}"
    assert client.patch(url, json={"pain_left": 8}).status_code == 200
    return block


def test_a_correction_of_both_sides_shows_the_old_scores_as_the_csv_has_them(client, signed_in):
    """The outside trial: Left 6 · Right 4 corrected to Left 8 read "was pain None" on the
    block and corrections pages; every page now says what the corrections CSV says."""
    block = corrected_from_6_and_4_to_8_and_4(client, signed_in)
    corrections = client.get(f"/blocks/{block.id}/corrections.csv").get_data().decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(corrections)))
    assert (row["was_pain"], row["was_pain_left"], row["was_pain_right"]) == ("", "6", "4")
    block_page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "was pain Left 6 · Right 4 at" in block_page
    assert '<span class="nowrap">Left 8 ·</span> <span class="nowrap">Right 4</span>' in block_page
    listed = client.get(f"/blocks/{block.id}/corrections").get_data(as_text=True)
    assert "<td>Left 6 · Right 4</td>" in listed
    report = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert "was pain Left 6 · Right 4 at" in report
    for page in (block_page, listed, report):
        assert "pain None" not in page and "<td>None</td>" not in page


@needs_pdf
def test_the_pdf_report_shows_both_sides_old_scores(client, signed_in):
    block = corrected_from_6_and_4_to_8_and_4(client, signed_in)
    response = client.get(f"/blocks/{block.id}/report.pdf")
    pages = pypdf.PdfReader(io.BytesIO(response.get_data())).pages
    text = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "was pain Left 6 · Right 4 at" in text


def test_side_spans_keep_each_side_whole_and_escape_it():
    from diary.formatting import side_spans

    assert side_spans("Left -14.3% · Right 20%") == (
        '<span class="nowrap">Left -14.3% ·</span> <span class="nowrap">Right 20%</span>'
    )
    assert side_spans("7") == "7"  # one score: as it was
    assert "&lt;b&gt;" in side_spans("Left <b> · Right 1")
