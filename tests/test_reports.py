"""Printable reports (HTML and PDF) and transcribing a paper diary on the block page."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from diary.extensions import db
from diary.models import AuditEvent, DiaryEntry
from tests.conftest import add_entries, needs_pdf
from tests.test_repeated_staff_fields import drawn_form, filled, post


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


@needs_pdf
def test_block_report_pdf_carries_the_verdict(client, signed_in):
    pypdf = __import__("pytest").importorskip("pypdf")
    positive_diary(signed_in)
    response = client.get(f"/blocks/{signed_in.block.id}/report.pdf")
    assert response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    assert len(reader.pages) <= 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Verdict: Positive" in text and "Clinic A" in text
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


def paper_form(client, block) -> list[tuple[str, str]]:
    """The block page's paper-diary form as drawn (its one-time entry id), filled in."""
    url = f"/blocks/{block.id}/entries"
    day, time = local_parts(block.performed_at + timedelta(hours=1))
    answers = {"recorded_date": day, "recorded_time": time, "pain": "4", "note": "row 1"}
    return filled(drawn_form(client, f"/blocks/{block.id}", url), answers)


def paper_entries() -> int:
    return db.session.execute(select(func.count(DiaryEntry.id))).scalar_one()


def test_a_paper_diary_entry_sent_again_is_stored_once(client, signed_in):
    """A resubmitted post (the browser's back and resend, a retry after a timeout, a
    double click) carries the entry id the page drew: stored once, answered alike."""
    block = signed_in.block
    pairs = paper_form(client, block)
    assert dict(pairs)["client_id"]
    first = post(client, f"/blocks/{block.id}/entries", pairs)
    again = post(client, f"/blocks/{block.id}/entries", pairs)
    assert (first.status_code, again.status_code) == (302, 302)
    assert first.headers["Location"] == again.headers["Location"]
    assert paper_entries() == 1
    audited = select(func.count(AuditEvent.id)).where(AuditEvent.action == "entry.transcribe")
    assert db.session.execute(audited).scalar_one() == 1
    # The page drawn after it has a new id: the next row of the paper diary is stored.
    second = paper_form(client, block)
    assert dict(second)["client_id"] != dict(pairs)["client_id"]
    _, next_hour = local_parts(block.performed_at + timedelta(minutes=30))
    next_row = filled(second, {"recorded_time": next_hour})
    assert post(client, f"/blocks/{block.id}/entries", next_row).status_code == 302
    assert paper_entries() == 2


def test_a_paper_diary_row_copied_again_on_a_form_drawn_again_is_refused(client, signed_in):
    """Back after saving draws the form again with a new id; the same row (its minute
    and scores) sent on it is refused, saying so, and nothing is written: counted twice,
    its hour would weigh twice in the verdict. Another score at that minute is stored."""
    block = signed_in.block
    url = f"/blocks/{block.id}/entries"
    assert post(client, url, paper_form(client, block)).status_code == 302
    again = post(client, url, paper_form(client, block))
    _, time = local_parts(block.performed_at + timedelta(hours=1))
    assert again.status_code == 400
    assert (
        f"This diary already has an entry at {time} with these scores, so it was not stored"
        in again.get_data(as_text=True)
    )
    assert paper_entries() == 1
    other_score = filled(paper_form(client, block), {"pain": "5"})
    assert post(client, url, other_score).status_code == 302
    assert paper_entries() == 2


def test_a_refused_paper_entry_keeps_its_id_and_a_broken_one_is_replaced(client, signed_in):
    block = signed_in.block
    url = f"/blocks/{block.id}/entries"
    pairs = paper_form(client, block)
    sent_id = dict(pairs)["client_id"]
    refused = post(client, url, filled(pairs, {"pain": "12"}))
    assert refused.status_code == 400 and f'value="{sent_id}"' in refused.get_data(as_text=True)
    broken = post(client, url, filled(pairs, {"client_id": "no!"}))
    page = broken.get_data(as_text=True)
    assert broken.status_code == 400 and "This form was out of date, so nothing was saved" in page
    assert 'value="no!"' not in page and f'value="{sent_id}"' not in page
    assert paper_entries() == 0
    assert post(client, url, pairs).status_code == 302
    assert paper_entries() == 1


@needs_pdf
def test_report_pdf_draws_dollar_signs_in_a_name_as_text(client, signed_in):
    pypdf = __import__("pytest").importorskip("pypdf")
    positive_diary(signed_in)
    signed_in.patient.display_name = r"A $\nosuchcommand{$ B"
    signed_in.block.agent, signed_in.block.concentration = "other", None
    signed_in.block.agent_other = r"Lido $x^$ mix"
    db.session.commit()
    response = client.get(f"/blocks/{signed_in.block.id}/report.pdf")
    assert response.status_code == 200
    pages = pypdf.PdfReader(io.BytesIO(response.get_data())).pages
    text = "\n".join(page.extract_text() for page in pages)
    assert "nosuchcommand" in text
    assert client.get(f"/blocks/{signed_in.block.id}/chart.png").status_code == 200


LONG_NAME = "María José de la Cruz-Fernández Villanueva"


def long_diary(world) -> list[DiaryEntry]:
    """60 entries over 10 hours, each with a patient's own relief that disagrees with the
    pain score (a warning each), on a bilateral three-level block of a long-named patient."""
    from diary.services.entries import EntryInput, record_entry

    world.patient.display_name = LONG_NAME
    world.patient.birth_year = 1957
    block = world.block
    block.side, block.levels, block.steroid, block.sedation = (
        "bilateral",
        ["L3-L4", "L4-L5", "L5-S1"],
        True,
        "moderate",
    )
    for n in range(60):
        at = block.performed_at + timedelta(minutes=10 * (n + 1))
        record_entry(
            block,
            EntryInput(pain=1 + n % 3, recorded_at=at, reported_relief_pct=0, note=f"n{n:02d}"),
            now=at,
        )
    db.session.commit()
    return list(block.entries)


def pdf_pages(response) -> list:
    pypdf = __import__("pytest").importorskip("pypdf")
    return list(pypdf.PdfReader(io.BytesIO(response.get_data())).pages)


@needs_pdf
def test_a_long_report_runs_to_several_pages_with_every_entry_and_nothing_overlapping(
    client, signed_in
):
    entries = long_diary(signed_in)
    pages = pdf_pages(client.get(f"/blocks/{signed_in.block.id}/report.pdf"))
    texts = [page.extract_text() for page in pages]
    everything = "\n".join(texts)
    assert len(pages) >= 2
    # Every entry once, none left out for the CSV.
    for n in range(60):
        assert everything.count(f"n{n:02d}") == 1, n
    assert len(entries) == 60 and "more entries in the CSV" not in everything
    # The header wraps: the whole name, the levels and the date and time are all there.
    assert LONG_NAME in everything.replace("\n", " ")
    assert "L3-L4, L4-L5, L5-S1" in everything and "born 1957" in everything
    assert (
        signed_in.block.performed_at.astimezone(ZoneInfo("America/Chicago")).strftime("%H:%M")
        in texts[0]
    )
    # Warnings of one kind are grouped, the verdict box is on one page, pages numbered.
    assert "more like the above" in everything
    verdict_page = next(i for i, t in enumerate(texts) if "Verdict:" in t)
    assert "Peak relief" in texts[verdict_page] and "Entries in window" in texts[verdict_page]
    for i, text in enumerate(texts, start=1):
        assert f"Page {i} of {len(pages)}" in text
    # No two lines of text drawn at the same height on a page (a table over a chart, a
    # footer over a table): each row's cells share one baseline, rows have their own.
    found = 0
    for page in pages:
        rows: dict[int, list[float]] = {}

        def seen(text, cm, tm, font, size, rows=rows):
            for _ in re.finditer(r"\bn\d\d\b", text):
                rows.setdefault(round(tm[5] * cm[3] + cm[5]), []).append(tm[4])

        page.extract_text(visitor_text=seen)
        assert all(len(xs) == 1 for xs in rows.values()), rows
        heights = sorted(rows)
        assert all(b - a >= 8 for a, b in zip(heights, heights[1:], strict=False))
        found += len(rows)
    assert found == 60


@needs_pdf
def test_the_series_report_has_a_pdf_too(client, signed_in):
    long_diary(signed_in)
    response = client.get(f"/patients/{signed_in.patient.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "\n".join(page.extract_text() for page in pdf_pages(response))
    assert "Comparative block series report" in text and "Medicare LCD" in text
    assert LONG_NAME in text.replace("\n", " ") and "Clinic A" in text
    assert db.session.execute(
        select(AuditEvent).filter_by(action="export.series_report_pdf")
    ).scalar_one()
