"""The days after on the phone (issue 24, item 5): after the hourly window the diary
link asks for today's score, in Spanish on a Spanish phone, at 390 px, and the score
saved answers the day's slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import Block, Clinic, DiaryEntry
from tests.browser.test_accessibility import AXE, WCAG_AA
from tests.conftest import PHONE, add_entries, make_block


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_spanish_phone_gives_todays_score_after_the_hourly_window(live_app, browser):
    with live_app.app_context():
        first = db.session.get(Block, live_app.world.block_id)
        clinic = db.session.get(Clinic, first.clinic_id)
        clinic.daily_days = 14
        block = make_block(
            clinic,
            first.patient,
            first.created_by,
            performed_at=datetime.now(UTC) - timedelta(days=3, hours=1),
        )
        add_entries(block, {0.25: 1, 0.5: 1, 1: 2, 2: 2, 4: 3, 8: 3})
        db.session.commit()
        block_id, token, performed = block.id, block.diary_token, block.performed_at
    context = browser.new_context(**PHONE, locale="es-ES", bypass_csp=True)
    phone = context.new_page()
    phone.goto(f"{live_app.base_url}/d/{token}")
    expect(phone.get_by_text("Toca la puntuación de hoy (día 3).")).to_be_visible()
    expect(phone.get_by_text("Próxima puntuación diaria (día 4): ", exact=False)).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.add_script_tag(path=str(AXE))
    result = phone.evaluate(f"axe.run(document, {WCAG_AA})")
    assert [v["id"] for v in result["violations"]] == []

    phone.get_by_role("radio", name="3", exact=True).tap()
    phone.get_by_role("button", name="Guardar").tap()
    expect(phone.get_by_text("Guardado. Gracias.")).to_be_visible()
    assert no_sideways_scroll(phone)
    with live_app.app_context():
        saved = db.session.scalars(
            select(DiaryEntry).where(DiaryEntry.block_id == block_id, DiaryEntry.pain == 3)
        ).all()
        assert [(e.slot, e.due_at) for e in saved][-1] == ("daily", performed + timedelta(days=3))
        assert db.session.get(Block, block_id).daily_days == 14
    # Today's score is in: the page now names the next day's.
    phone.reload()
    expect(phone.get_by_text("Próxima puntuación diaria (día 4)", exact=False)).to_be_visible()
    expect(phone.get_by_text("Ahora, una al día, a la hora del bloqueo.")).to_be_visible()
    context.close()


def test_a_therapeutic_blocks_days_of_relief_pages_are_axe_clean(live_app, browser):
    from tests.browser.conftest import sign_in
    from tests.browser.test_accessibility import violations

    with live_app.app_context():
        first = db.session.get(Block, live_app.world.block_id)
        clinic = db.session.get(Clinic, first.clinic_id)
        clinic.daily_days = 14
        block = make_block(
            clinic,
            first.patient,
            first.created_by,
            performed_at=datetime.now(UTC) - timedelta(days=15, hours=2),
            purpose="therapeutic",
            steroid=True,
        )
        add_entries(block, {0.5: 1, 1: 1, 2: 2} | {24 * day + 1: 2 for day in range(1, 10)})
        add_entries(block, {24 * day + 1: 7 for day in range(10, 15)})
        db.session.commit()
        block_id, patient_id = block.id, block.patient_id
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    sign_in(page, live_app.base_url)
    assert violations(page) == []  # the dashboard, the outcome in the verdict's column
    page.goto(f"{live_app.base_url}/blocks/{block_id}")
    expect(page.get_by_text("Outcome: 9 days of relief (weeks)")).to_be_visible()
    page.get_by_text("Daily scores (14 of 14 days)").click()
    assert violations(page) == []
    page.goto(f"{live_app.base_url}/patients/{patient_id}")
    assert violations(page) == []
    page.close()
