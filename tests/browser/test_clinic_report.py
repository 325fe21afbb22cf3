"""The printable report, printed by Chromium to PDF on A4 and US Letter."""

from __future__ import annotations

import io

import pytest

from diary.extensions import db
from diary.models import Block
from tests.conftest import PASSWORD, add_entries

pypdf = pytest.importorskip("pypdf")


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_report_prints_to_one_page_pdf_with_the_verdict(live_app, browser, paper):
    with live_app.app_context():
        add_entries(
            db.session.get(Block, live_app.world.block_id), {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5}
        )
        db.session.commit()
    page = browser.new_page()
    page.goto(f"{live_app.base_url}/login")
    page.fill("#email", "doc@a.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.base_url}/blocks/{live_app.world.block_id}/report")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.querySelector('.chart img').naturalWidth") > 0
    pdf = pypdf.PdfReader(io.BytesIO(page.pdf(format=paper, print_background=False)))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Verdict: Positive" in text
    assert "peak relief 100% at 0.5 h" in text
    assert "Printed" in text and "Clinician" in text
    assert "Sign out" not in text  # the clinic navigation is not printed
    assert len(pdf.pages) <= 2
    page.close()
