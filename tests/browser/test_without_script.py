"""The diary page on a phone whose browser runs no script: the form posts, and what the
page answers is said where the patient looks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import Checkin, Clinic, DiaryEntry, Patient, User
from tests.conftest import PHONE, make_ablation


@pytest.fixture
def no_script(browser):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


def stored(live_app) -> list[int | None]:
    with live_app.app_context():
        return [entry.pain for entry in db.session.scalars(select(DiaryEntry))]


def test_back_after_saving_shows_an_empty_form_and_saves_nothing_twice(live_app, no_script):
    """Outside trial: after a score was saved, Back fetched the page again (a new one-time
    id) but Chromium put the 6 back in the form, and Save stored it a second time. The
    form now asks the browser to restore none of its answers (autocomplete=off)."""
    page = no_script
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    page.get_by_role("radio", name="6", exact=True).tap()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("radio", name="6", exact=True)).not_to_be_checked()
    assert page.locator("input[type=radio]:checked").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Save").tap()  # the patient taps Save again
    assert stored(live_app) == [6]


def test_back_after_a_check_in_shows_an_empty_form_and_sends_nothing_twice(live_app, no_script):
    """The follow-up page's check-in form had the same fault: Back, Send, a second check-in."""
    with live_app.app_context():
        clinic = db.session.scalars(select(Clinic).order_by(Clinic.id)).first()
        patient = db.session.scalars(select(Patient).where(Patient.clinic_id == clinic.id)).first()
        user = db.session.scalars(select(User).where(User.clinic_id == clinic.id)).first()
        ablation = make_ablation(clinic, patient, user, datetime.now(UTC) - timedelta(days=30))
        db.session.commit()
        token = ablation.followup_token
    page = no_script
    page.goto(f"{live_app.base_url}/f/{token}")
    page.get_by_role("radio", name="3", exact=True).tap()
    with page.expect_navigation():
        page.get_by_role("button", name="Send").tap()
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    page.go_back()
    assert page.locator("input[type=radio]:checked").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Send").tap()
    with live_app.app_context():
        assert [checkin.pain for checkin in db.session.scalars(select(Checkin))] == [3]
