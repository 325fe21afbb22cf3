"""Changes that rewrite how a diary reads are shown before they are made: moving a
block's time past its entries, merging two records of one patient."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from diary.extensions import db
from diary.forms import utc_to_clinic_time
from diary.models import Block, Patient, utcnow
from diary.services.patients import PatientInput, create_patient
from tests.browser.conftest import sign_in
from tests.conftest import add_concordant_pair, add_entries, make_block

DESKTOP = {"viewport": {"width": 1366, "height": 768}}


def test_moving_a_block_past_its_entries_asks_first(live_app, browser):
    with live_app.app_context():
        world = live_app.world
        performed = (utcnow() - timedelta(hours=12)).replace(second=0, microsecond=0)
        block = make_block(
            db.session.merge(world.clinic),
            db.session.merge(world.patient),
            db.session.merge(world.clinician),
            performed_at=performed,
        )
        hours = (0.25, 0.5, 0.75, 1, 1.25, 2, 3, 4, 5, 6)
        add_entries(block, dict(zip(hours, (1, 0, 1, 1, 1, 1, 5, 7, 8, 8), strict=True)))
        db.session.commit()
        block_id, tz = block.id, block.clinic.timezone
    later = utc_to_clinic_time(performed + timedelta(hours=1, minutes=18), tz)
    page = browser.new_page(**DESKTOP)
    sign_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/blocks/{block_id}/edit")
    page.fill("#performed_date", later.strftime("%Y-%m-%d"))
    page.fill("#performed_time", later.strftime("%H:%M"))
    page.get_by_role("button", name="Save changes").click()
    notice = page.get_by_role("alert")
    expect(notice).to_contain_text("Before you save: this changes how the diary reads")
    expect(notice).to_contain_text("5 of 10 entries would fall before the block")
    expect(notice).to_contain_text("The verdict would change from Positive to")
    with live_app.app_context():
        assert db.session.get(Block, block_id).performed_at == performed
    page.get_by_label("Yes, save the block with these changes").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash-success")).to_contain_text(
        "Block updated: time. 5 of 10 entries are now before the block. Verdict:"
    )
    expect(page.get_by_text("(before the block)")).to_have_count(5)
    page.close()


def test_merging_two_records_shows_what_changes_and_asks_to_confirm(live_app, browser):
    with live_app.app_context():
        world = live_app.world
        world.clinic, world.patient, world.clinician, world.block = (
            db.session.merge(world.clinic),
            db.session.merge(world.patient),
            db.session.merge(world.clinician),
            db.session.merge(world.block),
        )
        add_concordant_pair(world)
        duplicate = create_patient(
            world.clinic, PatientInput("J.S.", None, 1960), by=world.clinician
        )
        later = make_block(
            world.clinic,
            duplicate,
            world.clinician,
            performed_at=world.block.performed_at - timedelta(hours=1),
        )
        add_entries(later, {0.25: 8, 0.5: 8, 1: 8, 2: 8})
        db.session.commit()
        patient_id, duplicate_id = world.patient.id, duplicate.id
    page = browser.new_page(**DESKTOP)
    sign_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/patients/{patient_id}")
    page.get_by_role("link", name="Review merging it into this record").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merge two records of the same patient?"
    )
    expect(page.get_by_text("1 block moves to this record")).to_be_visible()
    row = page.get_by_role("row", name="Lumbar L4-L5, L5-S1, right")
    expect(row.get_by_role("cell").nth(0)).to_contain_text("Pair: Concordant; Medicare LCD met")
    expect(row.get_by_role("cell").nth(2)).to_contain_text("Changes: 3 blocks. Pair: Not confirmed")
    with live_app.app_context():  # nothing done yet
        assert db.session.get(Patient, duplicate_id) is not None
    page.get_by_role("button", name="Merge the records").click()
    expect(page.locator(".flash-success")).to_have_text(
        "Records merged: 1 block moved to this record."
    )
    with live_app.app_context():
        assert db.session.get(Patient, duplicate_id) is None
    page.close()
