"""A patient on a phone: diary link -> tap a score -> Save -> back to the list."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import DiaryEntry


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_patient_logs_a_score_in_two_taps(live_app, phone):
    phone.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    assert phone.get_by_role("heading", name="Your pain diary").is_visible()
    assert no_sideways_scroll(phone)

    phone.get_by_role("radio", name="7", exact=True).tap()
    phone.get_by_role("button", name="Save").tap()

    expect(phone.get_by_text("Saved. Thank you.")).to_be_visible()
    assert phone.locator("#saved-list li").count() == 1
    assert "Pain 7/10" in phone.locator("#saved-list").inner_text()
    assert no_sideways_scroll(phone)
    with live_app.app_context():
        entries = db.session.execute(select(DiaryEntry)).scalars().all()
        assert [(e.block_id, e.pain) for e in entries] == [(live_app.world.block_id, 7)]


def test_score_buttons_are_large_enough_to_tap(live_app, phone):
    phone.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    sizes = phone.locator(".score-option").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
    )
    assert len(sizes) == 11
    assert all(width >= 48 and height >= 48 for width, height in sizes)


def test_missing_score_is_explained_on_the_phone(live_app, phone):
    phone.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    phone.get_by_role("button", name="Save").tap()
    expect(phone.get_by_text("Choose your pain score: tap a number from 0 to 10.")).to_be_visible()
    with live_app.app_context():
        assert db.session.execute(select(DiaryEntry)).first() is None


def test_page_fits_a_360_pixel_screen(live_app, browser):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    assert no_sideways_scroll(page)
    context.close()
