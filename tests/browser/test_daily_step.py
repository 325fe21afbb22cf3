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
    expect(phone.get_by_text("Ahora anote una vez al día", exact=False)).to_be_visible()
    expect(
        phone.get_by_text("La puntuación de hoy (día 3) toca ahora", exact=False)
    ).to_be_visible()
    expect(
        phone.get_by_text("La próxima puntuación diaria (día 4) toca a las", exact=False)
    ).to_be_visible()
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
    context.close()
