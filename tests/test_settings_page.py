"""What Settings changes beyond the verdict: the clinic's time zone (every stored moment
kept) and the contact line the safety text needs (asked for until it is set)."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from diary.extensions import db
from diary.models import AuditEvent, Clinic
from diary.sample_data import seed_demo
from tests.conftest import add_entries, make_user
from tests.test_verdict_pages import SETTINGS_FORM


def sign_in_admin(world, auth):
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    auth.login("admin@a.example")


def test_changing_the_time_zone_keeps_every_moment_and_says_what_it_changes(client, world, auth):
    sign_in_admin(world, auth)
    add_entries(world.block, {0.25: 3, 1: 2})
    db.session.commit()
    performed = world.block.performed_at
    felt = [entry.recorded_at for entry in world.block.entries]
    chicago = performed.astimezone(ZoneInfo("America/Chicago")).strftime("%d %b %Y %H:%M")
    assert chicago in client.get(f"/blocks/{world.block.id}").get_data(as_text=True)
    form = client.get("/settings").get_data(as_text=True)
    assert '<option selected value="America/Chicago">' in form

    saved = client.post(
        "/settings", data=SETTINGS_FORM | {"timezone": "America/New_York"}, follow_redirects=True
    )
    page = saved.get_data(as_text=True)
    assert "Time zone changed from America/Chicago to America/New_York" in page
    assert "a block done at 09:00 America/Chicago time now reads 10:00" in page
    db.session.expire_all()
    clinic = db.session.get(Clinic, world.clinic.id)
    assert clinic.timezone == "America/New_York"
    assert world.block.performed_at == performed
    assert [entry.recorded_at for entry in world.block.entries] == felt
    new_york = performed.astimezone(ZoneInfo("America/New_York")).strftime("%d %b %Y %H:%M")
    block_page = client.get(f"/blocks/{world.block.id}").get_data(as_text=True)
    assert new_york in block_page and chicago not in block_page
    changed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "clinic.timezone")
    ).one()
    assert changed.detail == {"was": "America/Chicago", "now": "America/New_York"}


def test_an_unknown_time_zone_is_refused_and_changes_nothing(client, world, auth):
    sign_in_admin(world, auth)
    refused = client.post("/settings", data=SETTINGS_FORM | {"timezone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400
    assert "Choose a time zone from the list" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Clinic, world.clinic.id).timezone == "America/Chicago"
    assert db.session.get(Clinic, world.clinic.id).threshold_pct == 80


def test_settings_ask_for_the_contact_line_until_it_is_set(client, world, auth):
    sign_in_admin(world, auth)
    asking = client.get("/settings").get_data(as_text=True)
    assert "Patients see no way to reach the clinic" in asking
    client.post("/settings", data=SETTINGS_FORM | {"contact_line": "555-0100, 8am–6pm"})
    assert "Patients see no way to reach the clinic" not in client.get("/settings").get_data(
        as_text=True
    )


def test_no_patient_page_says_call_the_clinic_without_its_number(client, world):
    diary = f"/d/{world.block.diary_token}"
    for language, call in (("en", "Call the clinic"), ("es", "Llame a la clínica")):
        page = client.get(diary, headers={"Accept-Language": language}).get_data(as_text=True)
        assert call not in page and "911" in page, language
    world.clinic.contact_line = "555-0100"
    db.session.commit()
    for language, call in (("en", "Call the clinic"), ("es", "Llame a la clínica")):
        page = client.get(diary, headers={"Accept-Language": language}).get_data(as_text=True)
        assert call in page and "555-0100" in page, language
    world.clinic.contact_line = None
    world.block.link_revoked_at = world.block.performed_at
    db.session.commit()
    closed = client.get(diary, headers={"Accept-Language": "en"})
    assert closed.status_code == 410 and "Call the clinic" not in closed.get_data(as_text=True)


def test_the_demo_clinic_has_a_contact_line(app):
    seed_demo()
    clinic = db.session.scalars(select(Clinic)).one()
    assert clinic.contact_line and "555-0100" in clinic.contact_line


def test_only_the_safety_text_shown_with_a_contact_line_says_to_call_the_clinic():
    """Any other message may show on a page without the clinic's number (a full diary)."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    pot = Path(__file__).parent.parent / "diary/translations/messages.pot"
    with pot.open("rb") as catalog:
        calling = [
            message.id
            for message in read_po(catalog)
            if isinstance(message.id, str)
            and re.search(r"call (the|your) clinic", message.id, re.I)
        ]
    assert [text[:30] for text in calling] == ["Call the clinic at once if you"]
