"""What the phone shows when the clinic refuses a score, and earlier times read in the
clinic's time zone whatever the phone's is."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.forms import utc_to_clinic_time
from diary.models import Block, DiaryEntry, utcnow
from tests.conftest import PHONE


def entries(live_app) -> list[tuple[int, int | None]]:
    with live_app.app_context():
        rows = db.session.execute(select(DiaryEntry)).scalars().all()
        return [(e.pain, e.reported_relief_pct) for e in rows]


def open_diary(page, live_app):
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    expect(page.locator("form.entry-form[data-ready=true]")).to_have_count(1)


def send_with_relief(page, pain: str, relief: str):
    page.get_by_role("radio", name=pain, exact=True).tap()
    details = page.locator("details.optional")
    if not details.evaluate("d => d.open"):
        page.locator("details.optional summary").tap()
    page.fill("#relief_pct", relief)
    page.locator("button.save").tap()


def test_a_refused_score_is_not_lost_and_can_be_fixed_or_discarded(live_app, phone):
    open_diary(phone, live_app)
    send_with_relief(phone, "6", "150")  # the page's own checks skipped
    refused = phone.locator("#refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("Not saved")
    expect(refused).to_contain_text("Relief is a percentage from 0 to 100.")
    assert "Saved on this phone" not in phone.locator("#send-status").inner_text()
    assert phone.locator("#pending").is_hidden()
    assert entries(live_app) == []
    phone.reload()  # still there, values and all
    expect(phone.locator("#refused")).to_be_visible()
    assert phone.get_by_role("radio", name="6", exact=True).is_checked()
    assert phone.input_value("#relief_pct") == "150"
    phone.fill("#relief_pct", "50")
    phone.locator("button.save").tap()
    expect(phone.get_by_text("Saved. Thank you.")).to_be_visible()
    assert entries(live_app) == [(6, 50)]
    expect(phone.locator("#refused")).to_be_hidden()

    send_with_relief(phone, "3", "999")
    expect(phone.locator("#refused")).to_be_visible()
    phone.get_by_role("button", name="Discard this score").tap()
    expect(phone.locator("#refused")).to_be_hidden()
    assert phone.locator("input[name=pain]:checked").count() == 0
    phone.reload()
    expect(phone.locator("#refused")).to_be_hidden()
    assert entries(live_app) == [(6, 50)]


def test_the_refusal_is_in_the_pages_language(live_app, browser):
    context = browser.new_context(**PHONE, locale="es-ES")
    page = context.new_page()
    open_diary(page, live_app)
    send_with_relief(page, "4", "120")
    expect(page.locator("#refused")).to_contain_text("No guardado")
    expect(page.locator("#refused")).to_contain_text("El alivio es un porcentaje del 0 al 100.")
    context.close()


def test_a_link_closed_while_the_page_was_open_says_whom_to_contact(live_app, phone):
    open_diary(phone, live_app)
    with live_app.app_context():
        block = db.session.get(Block, live_app.world.block_id)
        block.link_revoked_at = utcnow()
        db.session.commit()
    phone.get_by_role("radio", name="6", exact=True).tap()
    phone.locator("button.save").tap()
    expect(phone.locator("#refused")).to_contain_text(
        "This diary link is closed, so the score was not saved. Please contact Clinic A."
    )
    assert entries(live_app) == []


def test_an_earlier_time_is_read_in_the_clinics_time_zone_on_a_phone_set_to_utc(live_app, browser):
    context = browser.new_context(**PHONE, timezone_id="UTC")  # the clinic is in Chicago
    page = context.new_page()
    with live_app.app_context():
        block = db.session.get(Block, live_app.world.block_id)
        felt = block.performed_at + timedelta(minutes=15)
        tz = block.clinic.timezone
    wall = utc_to_clinic_time(felt, tz).strftime("%Y-%m-%dT%H:%M")
    open_diary(page, live_app)
    page.get_by_role("radio", name="2", exact=True).tap()
    page.locator("details.optional summary").tap()
    page.fill("#recorded_at", wall)
    page.locator("button.save").tap()
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    with live_app.app_context():
        entry = db.session.execute(select(DiaryEntry)).scalar_one()
        assert entry.recorded_at.replace(second=0, microsecond=0) == felt.replace(
            second=0, microsecond=0
        )
    context.close()


def test_a_side_effect_ticked_on_the_phone_is_sent_with_the_score(live_app, phone):
    open_diary(phone, live_app)
    phone.get_by_role("radio", name="4", exact=True).tap()
    phone.locator("details.optional summary").tap()
    phone.get_by_label("Weakness").check()
    phone.fill("#side_effect_note", "right leg")
    phone.locator("button.save").tap()
    expect(phone.get_by_text("Saved. Thank you.")).to_be_visible()
    with live_app.app_context():
        entry = db.session.execute(select(DiaryEntry)).scalar_one()
        assert (entry.side_effects, entry.side_effect_note) == (["weakness"], "right leg")
    expect(phone.get_by_role("heading", name="Your clinic")).to_have_count(1)


@pytest.mark.parametrize(
    "language, offset, reason",
    [
        ("en-US", timedelta(hours=-1), "The time cannot be before the procedure."),
        ("en-US", timedelta(hours=5), "The time cannot be in the future."),
        ("es-ES", timedelta(hours=-1), "La hora no puede ser anterior al procedimiento."),
        ("es-ES", timedelta(hours=5), "La hora no puede ser en el futuro."),
    ],
)
def test_a_refused_time_says_the_servers_reason_in_the_pages_language(
    live_app, browser, language, offset, reason
):
    """Not "the diary window is over" while it is open: the clinic's own reason."""
    context = browser.new_context(**PHONE, locale=language)
    page = context.new_page()
    with live_app.app_context():
        block = db.session.get(Block, live_app.world.block_id)
        wrong = block.performed_at + offset if offset.total_seconds() < 0 else utcnow() + offset
        wall = utc_to_clinic_time(wrong, block.clinic.timezone).strftime("%Y-%m-%dT%H:%M")
    open_diary(page, live_app)
    page.get_by_role("radio", name="3", exact=True).tap()
    page.locator("details.optional summary").tap()
    page.fill("#recorded_at", wall)
    page.locator("button.save").tap()
    refused = page.locator("#refused-reason")
    expect(refused).to_have_text(reason)
    assert entries(live_app) == []
    context.close()
