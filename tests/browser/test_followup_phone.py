"""The follow-up check-in page on a phone (390 px), in Spanish, offline: a check-in made
without a connection survives a reload and reaches the server exactly once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import Checkin
from tests.browser.conftest import make_followup, sign_in


def queued(page, key: str):
    return page.evaluate(f"JSON.parse(localStorage.getItem('block-diary-followup:{key}') || '[]')")


def test_a_checkin_made_offline_in_spanish_is_sent_once(live_app, browser):
    token = make_followup(live_app).token
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="es-ES",
        extra_http_headers={"Accept-Language": "es-ES,es;q=0.9"},
    )
    page = context.new_page()
    url = f"{live_app.base_url}/f/{token}"
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now controlled by the service worker, which has cached the page
    assert page.evaluate("!!navigator.serviceWorker.controller")
    expect(page.get_by_role("heading", name="Su seguimiento")).to_be_visible()
    expect(page.get_by_text("Su control del mes 1 está abierto")).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    context.set_offline(True)
    live_app.server.stop()
    page.get_by_role("radio", name="3", exact=True).tap()
    page.get_by_role("radio", name="Mucho mejor").tap()
    page.get_by_role("button", name="Enviar").tap()
    expect(page.locator("#pending-list li")).to_have_count(1)
    key = page.locator("form.checkin-form").get_attribute("data-followup")
    waiting = queued(page, key)
    assert [item["body"]["pain"] for item in waiting] == [3]
    assert waiting[0]["body"]["pgic"] == 2

    page.reload()  # offline: the service worker serves the cached page
    page.wait_for_selector("form.checkin-form[data-ready]", state="attached")
    expect(page.locator("#pending-list li")).to_have_count(1)
    with live_app.app_context():
        assert db.session.execute(select(Checkin)).first() is None

    live_app.server = live_app.server.restart()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_text("su control del mes 1 está hecho")).to_be_visible(timeout=15000)
    assert queued(page, key) == []

    # The same check-in sent again (a stale copy of the queue) is not stored twice.
    page.evaluate(
        "([api, body]) => fetch(api, {method: 'POST', headers: "
        "{'Content-Type': 'application/json'}, body: JSON.stringify(body)})",
        [f"/api/v1/followup/{token}/checkins", waiting[0]["body"]],
    )
    with live_app.app_context():
        checkins = db.session.execute(select(Checkin)).scalars().all()
        assert [(c.pain, c.pgic, c.months, c.client_id) for c in checkins] == [
            (3, 2, 1, waiting[0]["id"])
        ]
    context.close()


@pytest.mark.parametrize("language", ["en-US", "es-ES"])
def test_the_checkin_page_and_the_ablation_page_have_no_axe_violations(live_app, browser, language):
    from tests.browser.test_accessibility import violations

    token, ablation_id, patient_id = make_followup(
        live_app,
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=7,
        baseline_pain_right=5,
    )
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale=language,
        bypass_csp=True,  # only so that axe can be injected
    )
    page = context.new_page()
    page.goto(f"{live_app.base_url}/f/{token}")
    assert violations(page) == []
    sign_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/ablations/{ablation_id}")
    page.locator("#checkin-form-heading").click()  # the staff's check-in form too
    assert violations(page) == []
    page.goto(f"{live_app.base_url}/patients/{patient_id}")  # procedures in time order
    assert "Procedures in time order" in page.content()
    assert violations(page) == []
    context.close()
