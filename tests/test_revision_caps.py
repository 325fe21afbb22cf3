"""Corrections are bounded: a clinic caps them per entry and per diary (refused with a
message on every door that corrects), and every page listing them shows a few per
entry inline with the rest on a paged corrections page; the corrections CSV is a file
and lists them all."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import DiaryEntry, EntryRevision
from diary.services.tokens import create_api_token
from tests.conftest import PASSWORD, add_entries, make_user, needs_pdf
from tests.test_api import Api
from tests.test_patient_diary import local_input
from tests.test_verdict_pages import SETTINGS_FORM


def _entries_url(block) -> str:
    return f"/api/v1/diary/{block.diary_token}/entries"


def _revisions() -> int:
    return db.session.execute(select(func.count(EntryRevision.id))).scalar_one()


def _new_entry(client, block, pain: int = 6) -> int:
    return client.post(_entries_url(block), json={"pain": pain}).get_json()["id"]


def test_an_entry_takes_no_more_corrections_than_its_clinic_allows(client, world):
    world.clinic.max_corrections_per_entry = 2
    db.session.commit()
    entry_id = _new_entry(client, world.block)
    url = f"{_entries_url(world.block)}/{entry_id}"
    assert client.patch(url, json={"pain": 5}).status_code == 200
    assert client.patch(url, json={"pain": 4}).status_code == 200
    refused = client.patch(url, json={"pain": 3})
    assert refused.status_code == 422
    assert "corrected as many times as a diary allows" in refused.get_json()["errors"]["pain"]
    assert client.patch(url, json={"pain": 4}).status_code == 200  # no change is no correction

    entry = db.session.get(DiaryEntry, entry_id)
    page = client.post(
        f"/d/{world.block.diary_token}/entries/{entry_id}/edit",
        data={"pain": "1", "recorded_at": local_input(entry.recorded_at)},
    )
    assert page.status_code == 400
    assert "corrected as many times as a diary allows" in page.get_data(as_text=True)
    spanish = client.patch(url, json={"pain": 3}, headers={"Accept-Language": "es"})
    assert "corregido" in spanish.get_json()["errors"]["pain"]  # a patient's phone's language
    db.session.expire_all()
    assert db.session.get(DiaryEntry, entry_id).pain == 4 and _revisions() == 2


def test_a_diary_takes_no_more_corrections_than_its_clinic_allows(client, world):
    world.clinic.max_corrections_per_entry = 5
    world.clinic.max_corrections_per_diary = 10
    db.session.commit()
    ids = [_new_entry(client, world.block, pain) for pain in (6, 5, 4)]
    for n in range(10):
        url = f"{_entries_url(world.block)}/{ids[n % 2]}"
        assert client.patch(url, json={"pain": 10 - n}).status_code == 200, n
    untouched = f"{_entries_url(world.block)}/{ids[2]}"
    refused = client.patch(untouched, json={"pain": 0})
    assert refused.status_code == 422
    assert "as many corrections as it allows" in refused.get_json()["errors"]["pain"]
    other = _new_entry(client, world.other_block)  # another diary has its own quota
    elsewhere = client.patch(f"{_entries_url(world.other_block)}/{other}", json={"pain": 1})
    assert elsewhere.status_code == 200
    assert _revisions() == 11


@pytest.fixture
def admin(client, world):
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    return admin


def test_the_caps_are_clinic_settings_within_their_range(client, world, admin):
    client.post("/login", data={"email": "admin@a.example", "password": PASSWORD})
    page = client.get("/settings").get_data(as_text=True)
    assert re.search(r'name="max_corrections_per_entry"[^>]*value="10"', page)
    assert re.search(r'name="max_corrections_per_diary"[^>]*value="100"', page)
    saved = client.post(
        "/settings",
        data=SETTINGS_FORM | {"max_corrections_per_entry": "3", "max_corrections_per_diary": "30"},
    )
    assert saved.status_code == 302
    assert (world.clinic.max_corrections_per_entry, world.clinic.max_corrections_per_diary) == (
        3,
        30,
    )
    for wrong in ({"max_corrections_per_entry": "0"}, {"max_corrections_per_diary": "5000"}):
        assert client.post("/settings", data=SETTINGS_FORM | wrong).status_code == 400
    more_than_the_diary = client.post(
        "/settings",
        data=SETTINGS_FORM | {"max_corrections_per_entry": "20", "max_corrections_per_diary": "10"},
    )
    assert more_than_the_diary.status_code == 400
    assert "more corrections than its whole diary" in more_than_the_diary.get_data(as_text=True)

    _, token = create_api_token(admin, "admin")
    db.session.commit()
    api = Api(client, token)
    settings = api.get("/clinic/settings").get_json()
    assert (settings["max_corrections_per_entry"], settings["max_corrections_per_diary"]) == (3, 30)
    changed = api.patch("/clinic/settings", json={"max_corrections_per_diary": 200}).get_json()
    assert changed["max_corrections_per_diary"] == 200
    assert api.patch("/clinic/settings", json={"max_corrections_per_entry": 51}).status_code == 422
    assert world.clinic.max_corrections_per_entry == 3


def _long_history(block, corrections: int) -> DiaryEntry:
    """An entry corrected ``corrections`` times, as diaries were before the caps: the
    rows written directly, past today's limits."""
    add_entries(block, {1: 5, 2: 4})
    entry = block.entries[0]
    db.session.add_all(
        EntryRevision(
            entry_id=entry.id,
            recorded_at=entry.recorded_at,
            pain=n % 11,
            note=f"history {n:03d}",
            replaced_at=entry.recorded_at + timedelta(seconds=n),
            replaced_by="patient",
        )
        for n in range(corrections)
    )
    db.session.commit()
    return entry


def test_the_block_page_and_report_show_the_latest_corrections_and_link_the_rest(client, signed_in):
    block = signed_in.block
    _long_history(block, 60)
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert page.count("was pain") == 3  # the newest three of 60
    assert "was pain 3 at" in page and "was pain 4 at" in page  # corrections 59 and 58
    assert "Yes (60)" in page and "57 earlier corrections" in page
    assert f'href="/blocks/{block.id}/corrections"' in page

    report = html.unescape(client.get(f"/blocks/{block.id}/report").get_data(as_text=True))
    assert report.count("was pain") == 3
    assert "57 earlier corrections on the block's corrections page" in report


def test_the_corrections_page_lists_every_correction_a_page_at_a_time(client, signed_in):
    block = signed_in.block
    _long_history(block, 60)
    first = client.get(f"/blocks/{block.id}/corrections").get_data(as_text=True)
    assert first.count("history 0") == 50 and "history 059" in first and "history 009" not in first
    assert f"/blocks/{block.id}/corrections?page=2" in first
    second = client.get(f"/blocks/{block.id}/corrections?page=2").get_data(as_text=True)
    assert second.count("history 0") == 10 and "history 000" in second and "Older" not in second
    for bad in ("0", "99999999999999999999"):
        refused = client.get(f"/blocks/{block.id}/corrections?page={bad}")
        assert refused.status_code == 400
        assert "Page numbers are whole numbers" in refused.get_data(as_text=True)
    other = client.get(f"/blocks/{signed_in.other_block.id}/corrections")
    assert other.status_code == 404

    corrections_csv = client.get(f"/blocks/{block.id}/corrections.csv").get_data(as_text=True)
    assert corrections_csv.count("history 0") == 60  # a file lists them all


@needs_pdf
def test_the_report_pdf_shows_the_latest_corrections_only(client, signed_in):
    pypdf = pytest.importorskip("pypdf")
    _long_history(signed_in.block, 60)
    response = client.get(f"/blocks/{signed_in.block.id}/report.pdf")
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert text.count("was pain") == 3
    assert "57 earlier corrections" in text
