"""An ablation's page on a phone (390 px wide) once a check-in is made: the page never
scrolls sideways, the follow-up chart is scaled to the width as the block page's is, and
the wide check-ins table scrolls in its own box (outside trial: the page was 591 px wide)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from diary.extensions import db
from diary.models import Block
from diary.services.followup import CheckinInput, followed, record_checkin
from tests.browser.conftest import sign_in
from tests.browser.test_block_page_phone import WIDTHS
from tests.conftest import PHONE, make_ablation


def test_an_ablation_with_a_checkin_fits_the_phone(live_app, browser):
    with live_app.app_context():
        first = db.session.get(Block, live_app.world.block_id)
        ablation = make_ablation(
            first.clinic, first.patient, first.created_by, datetime.now(UTC) - timedelta(days=40)
        )
        procedure = followed(ablation)
        record_checkin(
            procedure,
            CheckinInput(pain=3, months=1, made_on=procedure.schedule()[0].due_on),
            transcribed_by=first.created_by,
        )
        db.session.commit()
        ablation_id = ablation.id
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/ablations/{ablation_id}")
    assert page.locator("table.checkins tbody tr").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.evaluate(WIDTHS)
    for right, overflow in widths["tables"]:
        assert overflow == "auto" and right <= widths["viewport"], widths
    chart = page.locator("figure.chart img").bounding_box()
    assert chart is not None and chart["x"] + chart["width"] <= widths["viewport"], chart
    context.close()
