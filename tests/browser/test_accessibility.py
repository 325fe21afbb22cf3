"""axe-core (WCAG 2.1 AA) on the patient and clinic pages, and layout at phone sizes and zoom."""

from __future__ import annotations

from pathlib import Path

import pytest

from diary.extensions import db
from diary.models import Block
from tests.browser.conftest import split_words
from tests.conftest import PASSWORD, add_entries

axe_package = pytest.importorskip("axe_playwright_python")
AXE = Path(axe_package.__file__).parent / "axe.min.js"
WCAG_AA = "{runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}"


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(f"axe.run(document, {WCAG_AA})")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes: {v['nodes'][0]['target']})"
        for v in result["violations"]
    ]


def no_sideways_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.fixture
def diary_with_entries(live_app):
    with live_app.app_context():
        add_entries(db.session.get(Block, live_app.world.block_id), {0.25: 2, 0.5: 1})
        db.session.commit()
    return f"{live_app.base_url}/d/{live_app.world.token}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("language", ["en-US", "es-ES"])
def test_patient_page_has_no_axe_violations(browser, diary_with_entries, scheme, language):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        color_scheme=scheme,
        locale=language,
        bypass_csp=True,  # only so that axe can be injected
    )
    page = context.new_page()
    page.goto(diary_with_entries)
    assert page.locator("html").get_attribute("lang") == language[:2]
    page.locator("details.optional summary").click()  # the optional fields too
    assert violations(page) == []
    page.locator(".entry-edit").first.click()
    assert violations(page) == []
    context.close()


def test_clinic_pages_have_no_axe_violations(live_app, browser):
    with live_app.app_context():
        add_entries(db.session.get(Block, live_app.world.block_id), {0.25: 2, 0.5: 1, 1: 1})
        db.session.commit()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page.goto(f"{live_app.base_url}/login")
    assert violations(page) == []
    page.fill("#email", "doc@a.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    block_id = live_app.world.block_id
    for path in (
        "/",
        f"/blocks/{block_id}",
        "/patients",
        "/patients/1",
        "/patients/new",
        "/patients/1/blocks/new",
        "/exports",
        "/settings/tokens",
    ):
        page.goto(live_app.base_url + path)
        assert violations(page) == [], path
    page.close()


@pytest.mark.parametrize("language", ["en-US", "es-ES"])
def test_patient_page_at_320_px_landscape_and_200_percent_text(
    browser, diary_with_entries, language
):
    for viewport in ({"width": 320, "height": 640}, {"width": 844, "height": 390}):
        context = browser.new_context(
            viewport=viewport, is_mobile=True, has_touch=True, locale=language
        )
        page = context.new_page()
        page.goto(diary_with_entries)
        assert no_sideways_scroll(page), viewport
        context.close()
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale=language
    )
    page = context.new_page()
    page.goto(diary_with_entries)
    assert page.locator("html").get_attribute("lang") == language[:2]
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    # Spanish's longer labels too ("Añadir recordatorios a mi calendario" once overflowed).
    assert no_sideways_scroll(page)
    sizes = page.locator(".score-option, button.save, .entry-edit").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
    )
    assert all(w >= 48 and h >= 48 for w, h in sizes)
    context.close()


@pytest.mark.parametrize("language", ["en-US", "es-ES"])
@pytest.mark.parametrize(
    "viewport, text_size",
    [({"width": 320, "height": 640}, "100%"), ({"width": 390, "height": 844}, "200%")],
    ids=["320px", "200%-text"],
)
def test_patient_page_breaks_no_word_and_keeps_its_trend_bars(
    browser, diary_with_entries, language, viewport, text_size
):
    context = browser.new_context(
        viewport=viewport, is_mobile=True, has_touch=True, locale=language
    )
    page = context.new_page()
    page.goto(diary_with_entries)
    page.evaluate(f"document.documentElement.style.fontSize = '{text_size}'")
    page.locator("details.optional summary").click()  # the optional fields too
    assert split_words(page, "main") == []
    # Each score's bar has room to show its length: at least half the list's width.
    widths = page.locator("#saved-list").evaluate(
        "list => [...list.querySelectorAll('.trend')].map("
        "t => t.getBoundingClientRect().width / list.getBoundingClientRect().width)"
    )
    assert len(widths) == 2 and min(widths) >= 0.5, widths
    context.close()


def test_pain_scale_is_a_keyboard_radio_group(live_app, browser):
    page = browser.new_page()
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    group = page.get_by_role("group", name="How bad is your usual pain right now?")
    assert group.get_by_role("radio").count() == 11
    group.get_by_role("radio", name="4", exact=True).focus()
    page.keyboard.press("ArrowRight")
    assert page.get_by_role("radio", name="5 Moderate").is_checked()
    page.close()
