"""How the clinic's pages name a diary's status (outside trial: a block the clinic closed
early read "Status: Expired · Closed by the clinic"), and a negative relief explained.
The status codes in the CSV files and the API ("expired") are a contract: unchanged."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from diary.extensions import db
from diary.models import Block
from tests.conftest import add_entries, block_at
from tests.test_sides import add_side_entries, apart_block


def rows_of(response) -> dict[str, dict[str, str]]:
    text = response.get_data().decode("utf-8-sig")
    return {row["block_id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_a_diary_the_clinic_closed_early_says_so_and_only_so(client, signed_in):
    block = signed_in.block  # running, no entry yet
    assert client.post(f"/blocks/{block.id}/link/revoke").status_code == 302
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "Status: <strong>Closed by the clinic</strong>" in page
    assert "Expired" not in page and "Link closed on " in page
    dashboard = client.get("/").get_data(as_text=True)
    assert '<span class="status status-expired">Closed by the clinic</span>' in dashboard
    # The files keep the documented vocabulary.
    start = (block.performed_at - timedelta(days=1)).date().isoformat()
    summary = rows_of(client.get(f"/exports/blocks.csv?start={start}"))
    assert summary[str(block.id)]["diary_status"] == "expired"
    entries = client.get(f"/blocks/{block.id}/entries.csv").get_data().decode("utf-8-sig")
    assert "Closed by the clinic" not in entries


def test_a_link_closed_after_the_diary_was_complete_names_who_closed_it(client, signed_in):
    finished = block_at(signed_in, timedelta(days=-3))
    add_entries(finished, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 4: 6})
    db.session.commit()
    assert client.post(f"/blocks/{finished.id}/link/revoke").status_code == 302
    page = client.get(f"/blocks/{finished.id}").get_data(as_text=True)
    assert "Status: <strong>Complete</strong>" in page
    assert "Link closed by the clinic on " in page


def test_an_expired_link_still_reads_expired(client, signed_in):
    block = block_at(signed_in, timedelta(days=-3))  # its link ran out, no entry
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "Status: <strong>Expired</strong>" in page and "Closed by the clinic" not in page


def test_a_negative_relief_is_explained_under_the_entries(client, signed_in):
    block = apart_block(signed_in, baseline_pain_left=7, baseline_pain_right=5)
    add_side_entries(block, {0.25: (2, 4), 0.5: (8, 4)})
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "Left -14.3% ·" in page
    assert "A relief below 0% (a figure with a minus sign) means the pain was above" in page
    calm = signed_in.block
    add_entries(calm, {0.25: 2})
    db.session.commit()
    assert "A relief below 0%" not in client.get(f"/blocks/{calm.id}").get_data(as_text=True)


def test_a_negative_relief_of_one_score_is_explained_too(client, signed_in):
    block: Block = signed_in.block
    add_entries(block, {0.25: block.baseline_pain + 1})
    db.session.commit()
    assert "A relief below 0%" in client.get(f"/blocks/{block.id}").get_data(as_text=True)
