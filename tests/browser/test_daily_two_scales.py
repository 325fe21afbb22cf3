"""Both sides in the days after (issue 24): a bilateral block scored left and right
apart, after its hourly window, asks today's score for each side with one Save, in
Spanish on a Spanish phone, at 390 px; the entry answers the day's slot with both
scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import Block, Clinic, DiaryEntry
from tests.browser.test_accessibility import no_sideways_scroll, violations
from tests.conftest import PHONE, make_block


def side(page, name: str):
    return page.get_by_role("group", name=name, exact=True)


def test_spanish_phone_gives_todays_score_for_each_side(live_app, browser):
    with live_app.app_context():
        first = db.session.get(Block, live_app.world.block_id)
        clinic = db.session.get(Clinic, first.clinic_id)
        clinic.daily_days = 14
        block = make_block(
            clinic,
            first.patient,
            first.created_by,
            side="bilateral",
            scoring="sides",
            baseline_pain=None,
            baseline_pain_left=8,
            baseline_pain_right=6,
            performed_at=datetime.now(UTC) - timedelta(days=3, hours=1),
        )
        db.session.commit()
        block_id, token, performed = block.id, block.diary_token, block.performed_at
    context = browser.new_context(**PHONE, locale="es-ES", bypass_csp=True)
    phone = context.new_page()
    phone.goto(f"{live_app.base_url}/d/{token}")
    expect(phone.get_by_text("Toca la puntuación de hoy (día 3).")).to_be_visible()
    expect(side(phone, "Lado izquierdo").get_by_role("radio")).to_have_count(11)
    expect(side(phone, "Lado derecho").get_by_role("radio")).to_have_count(11)
    expect(phone.get_by_role("button", name="Guardar")).to_have_count(1)
    assert no_sideways_scroll(phone)
    assert violations(phone) == []

    # One side left out: refused, nothing saved.
    side(phone, "Lado izquierdo").get_by_role("radio", name="2", exact=True).tap()
    phone.get_by_role("button", name="Guardar").tap()
    expect(phone.get_by_text("Elija una puntuación para el lado derecho")).to_be_visible()
    side(phone, "Lado derecho").get_by_role("radio", name="6", exact=True).tap()
    phone.get_by_role("button", name="Guardar").tap()
    expect(phone.get_by_text("Guardado. Gracias.")).to_be_visible()
    expect(phone.locator("#saved-list li").first).to_contain_text("2/10")
    expect(phone.locator("#saved-list li").first).to_contain_text("6/10")
    assert no_sideways_scroll(phone)
    with live_app.app_context():
        saved = db.session.scalars(select(DiaryEntry).where(DiaryEntry.block_id == block_id)).all()
        assert [(e.pain, e.pain_left, e.pain_right, e.slot) for e in saved] == [
            (None, 2, 6, "daily")
        ]
        assert saved[0].due_at.replace(tzinfo=UTC) == performed + timedelta(days=3)
    # Today's score is in: the page now names the next day's.
    phone.reload()
    expect(phone.get_by_text("Próxima puntuación diaria (día 4)", exact=False)).to_be_visible()
    context.close()
