"""The exports page downloads with the filters as they are on the screen."""

from __future__ import annotations

import csv
import io

from diary.extensions import db
from diary.models import Block
from tests.conftest import PASSWORD, add_entries, make_block


def read_download(download) -> list[dict]:
    body = download.value.path().read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def test_a_download_uses_the_filters_on_the_form_not_the_last_applied(live_app, browser):
    with live_app.app_context():
        first = db.session.get(Block, live_app.world.block_id)
        make_block(
            first.clinic, first.patient, first.created_by, agent="bupivacaine", concentration="0.5"
        )
        add_entries(first, {0.25: 2, 0.5: 1, 1: 1})
        db.session.commit()
    page = browser.new_page(viewport={"width": 1366, "height": 800}, accept_downloads=True)
    page.goto(f"{live_app.base_url}/login")
    page.fill("#email", "doc@a.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.base_url}/exports?agent=lidocaine")  # filters applied before
    page.select_option("#agent", "bupivacaine")  # then changed, not applied
    with page.expect_download() as download:
        page.click("text=Summary CSV")
    assert [row["agent"] for row in read_download(download)] == ["bupivacaine"]
    page.select_option("#agent", "")
    with page.expect_download() as everything:
        page.click("text=Summary CSV")
    assert sorted(row["agent"] for row in read_download(everything)) == [
        "bupivacaine",
        "lidocaine",
    ]
    # Streamed after the view returned, by a real server: the entries and the block's own.
    page.select_option("#agent", "lidocaine")
    with page.expect_download() as entries:
        page.click("text=Entries CSV")
    assert [row["pain"] for row in read_download(entries)] == ["2", "1", "1"]
    page.goto(f"{live_app.base_url}/blocks/{live_app.world.block_id}")
    with page.expect_download() as block_csv:
        page.click("text=Download CSV")
    assert len(read_download(block_csv)) == 3
    page.close()
