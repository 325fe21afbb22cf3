"""Times are typed on the 24-hour clock, as every page writes them: a browser's own time
input follows its locale (US English: "05:28 PM" beside pages that say 17:28)."""

from __future__ import annotations

from diary.extensions import db
from diary.models import Block
from tests.conftest import PASSWORD, PHONE, add_entries


def am_pm_fields(context, page) -> list[str]:
    """The AM/PM parts of the page's time inputs, as Chromium exposes them to a screen
    reader (a time input's own parts are not in the page's DOM)."""
    tree = context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    names = [node.get("name", {}).get("value") or "" for node in tree["nodes"]]
    return [name for name in names if "AM/PM" in name]


def test_the_clinics_time_fields_are_on_the_24_hour_clock(live_app, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_app.base_url}/login")
    page.fill("#email", "doc@a.example")
    page.fill("#password", PASSWORD)
    page.locator("button[type=submit]").first.click()
    page.wait_for_load_state()
    block_id = live_app.world.block_id
    with live_app.app_context():
        patient_id = db.session.get(Block, block_id).patient_id
    for url in (
        f"/blocks/{block_id}/edit",
        f"/patients/{patient_id}/blocks/new",
        f"/patients/{patient_id}/ablations/new",
    ):
        page.goto(live_app.base_url + url)
        assert page.locator("#performed_time").count() == 1, url
        assert am_pm_fields(context, page) == [], url
    page.goto(f"{live_app.base_url}/blocks/{block_id}/edit")
    assert page.locator("#performed_time").input_value().count(":") == 1
    assert len(page.locator("#performed_time").input_value()) == 5  # "17:28", no AM/PM
    context.close()


def test_the_patients_correction_page_keeps_the_phones_own_picker(live_app, browser):
    # Patients tap, they do not type: the phone's own date and time picker, which shows
    # the time as the phone's owner set it, is kept on their pages by choice.
    with live_app.app_context():
        block = db.session.get(Block, live_app.world.block_id)
        add_entries(block, {0.25: 2})
        db.session.commit()
        token = block.diary_token
    context = browser.new_context(**PHONE, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_app.base_url}/d/{token}")
    page.locator(".entry-edit").first.click()
    page.wait_for_load_state()
    assert page.locator("[name=recorded_at]").get_attribute("type") == "datetime-local"
    context.close()
