"""The safety text sends a patient to the clinic only when the page shows how to reach
it; Settings asks for the contact line until it is set."""

from __future__ import annotations

from playwright.sync_api import expect

from diary.extensions import db
from diary.models import Clinic
from tests.browser.conftest import sign_in
from tests.conftest import make_user


def test_the_clinic_is_called_only_with_its_number_on_the_page(live_app, browser, phone):
    with live_app.app_context():
        make_user(db.session.get(Clinic, 1), "admin@a.example", role="admin")
        db.session.commit()
    diary = f"{live_app.base_url}/d/{live_app.world.token}"
    phone.goto(diary)
    clinic = phone.get_by_role("region", name="Your clinic")
    expect(clinic).to_contain_text("Get medical help at once")
    expect(clinic).to_contain_text("call 911")
    expect(clinic).not_to_contain_text("Call the clinic")

    staff = browser.new_page(viewport={"width": 1366, "height": 768})
    sign_in(staff, live_app.base_url, "admin@a.example")
    staff.goto(f"{live_app.base_url}/settings")
    asking = staff.get_by_role("region", name="Patients see no way to reach the clinic")
    expect(asking).to_be_visible()
    asking.get_by_role("link", name="Add how patients reach you").click()
    expect(staff.get_by_label("How patients reach the clinic")).to_be_focused()
    staff.get_by_label("How patients reach the clinic").fill("555-0100, weekdays 8am–6pm")
    staff.get_by_role("button", name="Save settings").click()
    expect(staff.locator(".flash-success")).to_contain_text("Settings saved.")
    expect(
        staff.get_by_role("region", name="Patients see no way to reach the clinic")
    ).to_have_count(0)
    staff.close()

    phone.reload()
    expect(clinic).to_contain_text("555-0100, weekdays 8am–6pm")
    expect(clinic).to_contain_text("Call the clinic at once")
