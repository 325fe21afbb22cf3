"""The report PDFs' layout (issue 21, item 16): columns sized to what they hold and empty
ones left out, the chart on the verdict's page, and a series PDF with each block's chart
and entries."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.extensions import db
from diary.models import utcnow
from diary.services.entries import EntryInput, correct_entry, record_entry
from tests.conftest import add_entries, make_block, needs_pdf

LONG_NOTE = (
    "Walked to the kitchen and back twice, then sat for half an hour watching the news; "
    "the usual ache in the lower back came back slowly on the right side"
)


def diary(block, count: int, note: str | None = None, transcribed_by=None) -> None:
    for n in range(count):
        at = block.performed_at + timedelta(minutes=15 * (n + 1))
        record_entry(
            block,
            EntryInput(
                pain=1 + n % 4,
                recorded_at=at,
                note=f"{note} ({n:02d})" if note else None,
                client_id=f"layout-{block.id}-{n:03d}",
            ),
            now=at,
            transcribed_by=transcribed_by,
        )
    db.session.commit()


def headings(page: str) -> list[str]:
    table = page[page.index('class="entries report-entries"') :]
    head = table[: table.index("</thead>")]
    return re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', head)


def drawn_images(page) -> list[str]:
    """The pictures a PDF page draws (its content's ``Do`` operators), not every picture
    its resources list."""
    return re.findall(r"/(\S+) Do\b", page.get_contents().get_data().decode("latin-1"))


def pdf(response):
    pypdf = pytest.importorskip("pypdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(response.get_data())).pages


def test_columns_no_entry_fills_are_left_out(client, signed_in):
    block = signed_in.block
    diary(block, 4)
    page = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert headings(page) == ["Time", "Hours since block", "Pain", "Relief"]
    assert "All recorded by the patient on the diary link." in page

    # A paper-diary entry, a note, a side effect and a correction bring their columns.
    record_entry(
        block,
        EntryInput(
            pain=5,
            recorded_at=block.performed_at + timedelta(hours=3),
            note="from the paper diary",
            side_effects=["numbness"],
        ),
        transcribed_by=signed_in.clinician,
    )
    first = block.entries[0]
    correct_entry(first, EntryInput(pain=first.pain + 1), replaced_by="patient")
    db.session.commit()
    page = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert headings(page) == [
        "Time",
        "Hours since block",
        "Pain",
        "Relief",
        "Recorded by",
        "Note, side effects, corrections",
    ]
    assert "All recorded by" not in page
    assert "Side effects: numbness" in page and "Corrected: was pain" in page
    assert "paper diary (staff)" in page


@needs_pdf
def test_long_notes_fill_the_width_and_the_chart_stays_with_the_verdict(client, signed_in):
    """22 entries with long notes once made 22 pages, the notes six characters wide, and
    left the chart alone on page 2."""
    diary(signed_in.block, 22, note=LONG_NOTE)
    pages = pdf(client.get(f"/blocks/{signed_in.block.id}/report.pdf"))
    assert len(pages) <= 3
    first = pages[0].extract_text()
    assert "Verdict:" in first
    assert len(drawn_images(pages[0])) == 1, "the chart is on the verdict's page"
    # A note reads in lines of many words, not a word or two a line.
    text = "\n".join(page.extract_text() for page in pages)
    lines = [line for line in text.splitlines() if "ache in the lower back" in line]
    assert lines and all(len(line) >= 40 for line in lines), lines


@needs_pdf
def test_the_printed_line_never_takes_a_page_of_its_own(client, signed_in):
    """A one-sided block whose entries just fill page 1 once printed a page 2 holding only
    "Clinician · Printed …": that line is in the bottom margin of the page the report ends
    on, and every page holds entries or the verdict."""
    block = signed_in.block
    for count in range(4, 10):
        for n in range(len(block.entries), count):
            at = block.performed_at + timedelta(minutes=15 * (n + 1))
            record_entry(
                block, EntryInput(pain=1 + n % 4, recorded_at=at, client_id=f"p-{n}"), now=at
            )
        db.session.commit()
        pages = pdf(client.get(f"/blocks/{block.id}/report.pdf"))
        texts = [page.extract_text() for page in pages]
        assert "Clinician: doc · Printed" in texts[-1], count
        for number, text in enumerate(texts, start=1):
            rest = re.sub(r"Clinician: doc · Printed [^\n]*|Page \d+ of \d+", "", text)
            assert re.search(r"\d+\.\d+ h", rest), (count, number, text)


@needs_pdf
def test_the_series_pdf_has_each_blocks_chart_and_entries(client, signed_in):
    earlier = make_block(
        signed_in.clinic,
        signed_in.patient,
        signed_in.clinician,
        agent="bupivacaine",
        concentration="0.5",
        performed_at=signed_in.block.performed_at - timedelta(days=21),
    )
    db.session.commit()
    diary(earlier, 8, note="earlier block")
    diary(signed_in.block, 6, note="later block")
    pages = pdf(client.get(f"/patients/{signed_in.patient.id}/report.pdf"))
    text = "\n".join(page.extract_text() for page in pages)
    for n in range(8):
        assert f"earlier block ({n:02d})" in text
    for n in range(6):
        assert f"later block ({n:02d})" in text
    assert sum(len(drawn_images(page)) for page in pages) == 2  # a chart per block
    # Each block's date on one line, not broken over three.
    for block in (earlier, signed_in.block):
        day = block.performed_at.astimezone(ZoneInfo(signed_in.clinic.timezone))
        day = day.strftime("%d %b %Y")
        assert day in text, day


def side_entries(block, scores: dict[float, tuple[int, int]]) -> None:
    for hours, (left, right) in scores.items():
        at = block.performed_at + timedelta(hours=hours)
        record_entry(
            block,
            EntryInput(pain_left=left, pain_right=right, recorded_at=at, client_id=f"s-{hours}"),
            now=at,
        )
    db.session.commit()


# A bilateral block's diary: read to the end, still running, and running with relief
# late on both sides (each side's box then holds a provisional note and a warning).
BILATERAL_DIARIES = {
    "finished": (10, {0.25: (1, 5), 0.5: (0, 5), 1: (1, 6), 2: (1, 6), 3: (6, 6), 4: (7, 6)}),
    "running": (2.2, {0.25: (1, 5), 0.5: (0, 5), 1: (1, 6), 2: (1, 6)}),
    "late relief": (2.2, {0.25: (7, 6), 0.5: (6, 5), 1.25: (1, 1), 1.5: (1, 1), 2: (1, 0)}),
}


@needs_pdf
@pytest.mark.parametrize("diary_name", list(BILATERAL_DIARIES))
def test_a_bilateral_blocks_chart_numbers_and_verdicts_share_page_1(client, signed_in, diary_name):
    """Its two sides' boxes one under the other pushed the chart to page 2: the sides
    are side by side, each in half the width."""
    from tests.test_sides import apart_block

    hours_ago, scores = BILATERAL_DIARIES[diary_name]
    block = apart_block(signed_in, performed_at=utcnow() - timedelta(hours=hours_ago))
    db.session.commit()
    side_entries(block, scores)
    pages = pdf(client.get(f"/blocks/{block.id}/report.pdf"))
    first = " ".join(pages[0].extract_text().split())
    assert len(drawn_images(pages[0])) == 1, "the chart is on page 1"
    assert re.search(r"Verdict: Left: \w+.* · Right: \w+", first), first
    assert "Left side:" in first and "Right side:" in first
    assert first.count("Peak relief") == 2 and first.count("Entries in window") == 2
    assert sum(len(drawn_images(page)) for page in pages) == 1


@needs_pdf
def test_a_one_sided_report_with_a_short_diary_is_one_page(client, signed_in):
    diary(signed_in.block, 6)
    pages = pdf(client.get(f"/blocks/{signed_in.block.id}/report.pdf"))
    assert len(pages) == 1
    assert len(drawn_images(pages[0])) == 1 and "Verdict:" in pages[0].extract_text()


def test_hours_said_together_are_said_to_one_precision():
    from diary.relief import format_hours, format_hours_alike

    # Two taps seconds apart: 41 min 40 s and 41 min 51 s after the block.
    assert format_hours_alike(11 / 3600, 2500 / 3600, 2511 / 3600) == [
        "0.00 h",
        "0.69 h",
        "0.70 h",
    ]
    assert format_hours_alike(2.0, 0.5, 2.5) == ["2.0 h", "0.5 h", "2.5 h"]
    assert format_hours_alike(0.25, 0.5) == ["0.25 h", "0.50 h"]
    for value in (0.0, 0.5, 0.69, 0.7, 1.25, 12.0):  # one value: as format_hours says it
        assert format_hours_alike(value) == [format_hours(value)]


@needs_pdf
def test_a_run_seconds_long_reads_to_one_precision_on_the_page_and_in_the_pdf(client, signed_in):
    """ "≥50% relief lasted at least 0.0 h (0.69 h to 0.7 h)" (outside trial): the
    duration, its start and its end now carry the same two decimals."""
    block = signed_in.block
    add_entries(block, {0.25: 8, 2500 / 3600: 1, 2511 / 3600: 1})
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    said = "at least 0.00 h (0.69 h to 0.70 h)"
    assert page.count(said) == 2, page  # at ≥50% and at ≥80%
    assert "0.7 h)" not in page and "0.0 h (" not in page
    report = " ".join(
        page.extract_text() for page in pdf(client.get(f"/blocks/{block.id}/report.pdf"))
    )
    assert said in " ".join(report.split())


@needs_pdf
@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_entries_heading_never_ends_a_page_without_its_table(client, signed_in, count):
    """A bilateral report's page 1 ended with "Entries (3)" and "All recorded by the patient
    on the diary link." and its table began page 2 (outside trial): the line under the
    heading let the page break before the table. Heading, line and table start together."""
    from tests.test_sides import apart_block

    block = apart_block(signed_in, performed_at=utcnow() - timedelta(hours=0.6))
    db.session.commit()
    side_entries(block, dict(list({0.25: (1, 5), 0.5: (0, 5), 1: (1, 6)}.items())[:count]))
    pages = pdf(client.get(f"/blocks/{block.id}/report.pdf"))
    texts = [" ".join(page.extract_text().split()) for page in pages]
    [heading] = [text for text in texts if f"Entries ({count})" in text]
    after = heading[heading.index(f"Entries ({count})") :]
    assert "Time Hours since block Pain Relief" in after, texts
