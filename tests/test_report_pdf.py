"""How a report becomes a PDF (diary/records/pdf.py, issue 23): its own stylesheet, each
picture its own, nothing fetched from elsewhere, and Python's cycle collector paused only
while a PDF is laid out."""

from __future__ import annotations

import base64
import gc
import io
import re
import threading
from pathlib import Path

import pytest

from diary.collector import collector_paused
from diary.extensions import db
from diary.records import pdf
from tests.conftest import add_entries, needs_pdf

STATIC = Path(__file__).resolve().parent.parent / "static"


def png(grey: int) -> str:
    """A 4 x 4 grey PNG as a data: URL."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (4, 4), grey).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def images(body: bytes) -> tuple[list[bytes], int]:
    """The pictures the PDF's page embeds (each once) and how many times it draws one."""
    pypdf = pytest.importorskip("pypdf")
    page = pypdf.PdfReader(io.BytesIO(body)).pages[0]
    drawn = re.findall(r"/(\S+) Do\b", page.get_contents().get_data().decode("latin-1"))
    return [image.image.tobytes() for image in page.images], len(drawn)


@needs_pdf
def test_the_report_pdf_prints_the_report_not_the_pages_links(client, signed_in):
    pypdf = pytest.importorskip("pypdf")
    add_entries(signed_in.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    db.session.commit()
    response = client.get(f"/blocks/{signed_in.block.id}/report.pdf")
    pages = pypdf.PdfReader(io.BytesIO(response.data)).pages
    text = " ".join(page.extract_text() for page in pages)
    assert "Medial branch block diary report" in text and "Entries (5)" in text
    for control in ("Skip to content", "Back to the block", "Download PDF"):
        assert control not in text, control


@needs_pdf
def test_each_picture_is_its_own_and_the_same_one_twice_is_drawn_twice():
    dark, light = png(40), png(200)
    page = f'<p>Two charts</p><img src="{dark}"><img src="{light}"><img src="{dark}">'
    embedded, drawn = images(pdf.html_to_pdf(page, STATIC))
    assert drawn == 3
    assert sorted(embedded) == [bytes([40] * 16), bytes([200] * 16)]
    # A second PDF with other pictures gets those, not the first one's.
    assert images(pdf.html_to_pdf(f'<img src="{light}">', STATIC)) == ([bytes([200] * 16)], 1)


@needs_pdf
@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/chart.png",
        "https://report.invalid/static/../pyproject.toml",
        "file:///etc/passwd",
    ],
)
def test_a_report_fetches_nothing_from_elsewhere(url):
    fetcher = pdf._fetcher(STATIC.resolve())
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    # What it may fetch, it does: the app's own static files.
    own = fetcher.fetch("https://report.invalid/static/favicon.svg")
    assert own.code == 200 and b"<svg" in own.read()


@needs_pdf
def test_the_collector_runs_again_after_a_pdf_even_one_that_fails(monkeypatch):
    assert gc.isenabled()
    pdf.html_to_pdf("<p>fine</p>", STATIC)
    assert gc.isenabled()

    def broken(*args, **kwargs):
        assert not gc.isenabled()
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pdf, "_font_config", broken)
    with pytest.raises(RuntimeError):
        pdf.html_to_pdf("<p>fails</p>", STATIC)
    assert gc.isenabled()


def test_the_collector_waits_for_the_last_of_two_pdfs_at_once():
    first_in, second_done, release = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            first_in.set()
            release.wait(5)
            seen["first, after the second ended"] = gc.isenabled()

    def second():
        first_in.wait(5)
        with collector_paused():
            seen["second"] = gc.isenabled()
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    second_done.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert seen == {"second": False, "first, after the second ended": False}
    assert gc.isenabled()


def test_a_pause_leaves_the_collector_as_it_found_it():
    gc.disable()  # as app.py has it while the app loads
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
