"""Table headers and verdict labels never break inside a word, on screen or printed."""

from __future__ import annotations

import pytest

from diary.extensions import db
from diary.models import Block
from tests.browser.conftest import split_words
from tests.conftest import PASSWORD, add_entries, make_block


@pytest.mark.parametrize("width", [1366, 800])
def test_no_word_breaks_in_headers_or_verdicts(live_app, browser, width):
    with live_app.app_context():
        block = db.session.get(Block, live_app.world.block_id)
        add_entries(block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
        for _ in range(3):  # indeterminate ones: the longest label
            make_block(block.clinic, block.patient, block.created_by, baseline_pain=2)
        db.session.commit()
        patient_id = block.patient_id
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{live_app.base_url}/login")
    page.fill("#email", "doc@a.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    for path, media in [
        ("/", "screen"),
        (f"/patients/{patient_id}", "screen"),
        (f"/blocks/{live_app.world.block_id}", "screen"),
        (f"/blocks/{live_app.world.block_id}/report", "print"),
        (f"/patients/{patient_id}/report", "print"),
    ]:
        page.emulate_media(media=media)
        page.goto(live_app.base_url + path)
        split = split_words(page, "th, .verdict, td:first-child")
        assert split == [], (path, media, split)
    page.close()
