"""Issue 24, left and right on the patient's phone: two 0–10 scales ("Left side", "Right
side") with one Save, through the offline queue exactly once, in Spanish, at 320 px and
at 200 % text, axe-clean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import Block, DiaryEntry
from tests.browser.conftest import moved_by_a_choice, never_clear_of_the_save_bar, reachable_scores
from tests.browser.test_accessibility import no_sideways_scroll, violations
from tests.conftest import PHONE


def side(page, name: str):
    return page.get_by_role("group", name=name, exact=True)


def test_both_sides_saved_offline_reach_the_server_once(live_app, browser, two_scales):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(two_scales)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # controlled by the service worker, which has cached the page
    page.wait_for_selector("form.entry-form[data-ready]", state="attached")
    context.set_offline(True)
    live_app.server.stop()
    side(page, "Left side").get_by_role("radio", name="3", exact=True).tap()
    side(page, "Right side").get_by_role("radio", name="6", exact=True).tap()
    page.get_by_role("button", name="Save").tap()
    expect(page.locator("#pending-list li")).to_have_count(1)
    expect(page.locator("#pending-list li")).to_contain_text("Left 3/10 · Right 6/10")
    block_id = live_app.apart[0]
    queued = page.evaluate(f"JSON.parse(localStorage.getItem('block-diary-queue:{block_id}'))")
    assert [(q["body"]["pain_left"], q["body"]["pain_right"]) for q in queued] == [(3, 6)]
    assert "pain" not in queued[0]["body"]

    live_app.server = live_app.server.restart()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#saved-list li")).to_have_count(1, timeout=15000)
    expect(page.locator("#saved-list li")).to_contain_text("Left 3/10 · Right 6/10")
    # The same queue replayed (a stale tab) stores nothing new.
    page.evaluate(
        "([key, queue]) => localStorage.setItem(key, JSON.stringify(queue))",
        [f"block-diary-queue:{block_id}", queued],
    )
    with page.expect_navigation():  # the page reloads once it has sent its queue
        page.evaluate("window.dispatchEvent(new Event('online'))")
    waiting = f"JSON.parse(localStorage.getItem('block-diary-queue:{block_id}') || '[]')"
    assert page.evaluate(waiting) == []
    with live_app.app_context():
        stored = db.session.scalars(select(DiaryEntry).filter_by(block_id=block_id)).all()
        assert [(e.pain, e.pain_left, e.pain_right) for e in stored] == [(None, 3, 6)]
    context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_in_spanish_at_320_px_a_missing_side_is_named(live_app, browser, two_scales, width):
    context = browser.new_context(
        viewport={"width": width, "height": 700}, is_mobile=True, has_touch=True, locale="es-ES"
    )
    page = context.new_page()
    page.goto(two_scales)
    expect(side(page, "Lado izquierdo").get_by_role("radio")).to_have_count(11)
    expect(side(page, "Lado derecho").get_by_role("radio")).to_have_count(11)
    assert no_sideways_scroll(page)
    side(page, "Lado izquierdo").get_by_role("radio", name="2", exact=True).tap()
    page.get_by_role("button", name="Guardar").tap()  # the right side left out
    problem = page.get_by_text("Elija una puntuación para el lado derecho")
    expect(problem).to_be_visible()
    # Taken to it, focus with it: it is far down, under the second scale.
    expect(problem).to_be_in_viewport()
    focused = (
        "document.activeElement === document.querySelector('.field-error').closest('fieldset')"
    )
    assert page.evaluate(focused)
    assert no_sideways_scroll(page)
    context.close()


def test_two_scales_at_200_percent_text_are_large_and_axe_clean(live_app, browser, two_scales):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()
    page.goto(two_scales)
    assert violations(page) == []
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert no_sideways_scroll(page)
    sizes = page.locator(".score-option, button.save").evaluate_all(
        "els => els.map(e => [e.getBoundingClientRect().width, e.getBoundingClientRect().height])"
    )
    assert len(sizes) == 23 and all(w >= 48 and h >= 48 for w, h in sizes)
    context.close()


def test_the_block_form_asks_the_baselines_the_scoring_takes(live_app, browser):
    from tests.browser.conftest import sign_in

    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    sign_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/patients/1/blocks/new")
    one = page.get_by_role("group", name="Baseline pain before the block (0–10)", exact=True)
    left = page.get_by_role("group", name="Left side: baseline pain before the block (0–10)")
    expect(one).to_be_visible()
    expect(left).to_be_hidden()
    page.select_option("#side", "bilateral")
    expect(left).to_be_visible()
    expect(one).to_be_hidden()
    assert violations(page) == []
    page.get_by_label("As one pain (midline or axial pain with no side)").check()
    expect(one).to_be_visible()
    expect(left).to_be_hidden()
    page.close()


def test_the_block_page_of_a_block_scored_apart_is_axe_clean(live_app, browser, two_scales):
    from tests.browser.conftest import sign_in
    from tests.test_sides import APART_ENTRIES, add_side_entries

    with live_app.app_context():
        add_side_entries(db.session.get(Block, live_app.apart[0]), APART_ENTRIES)
        db.session.commit()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    sign_in(page, live_app.base_url)
    for path in (f"/blocks/{live_app.apart[0]}", "/", "/patients/1"):
        page.goto(live_app.base_url + path)
        assert violations(page) == [], path
    expect(page.get_by_text("left series").first).to_be_visible()
    page.close()


@pytest.mark.parametrize(
    ("locale", "left", "right"),
    [
        ("en-US", "Left side", "Right side"),
        ("es-ES", "Lado izquierdo", "Lado derecho"),
    ],
)
def test_save_stays_put_and_every_side_s_score_scrolls_clear_of_it(
    live_app, browser, two_scales, locale, left, right
):
    """Outside trial, 390x844: Save stuck to the bottom of the screen once both sides had a
    score, over left 5 / left 10 / right 5 / right 10 part-way down, where the next tap
    saved. Save is at the bottom from the first view: no choice on either side, in either
    order, moves it, and every score can be scrolled clear of it."""
    context = browser.new_context(**PHONE, locale=locale)
    page = context.new_page()
    page.goto(two_scales)
    assert moved_by_a_choice(page) == []
    assert never_clear_of_the_save_bar(page) == []
    side(page, left).locator(".score-option").nth(2).tap()
    assert never_clear_of_the_save_bar(page) == []
    side(page, right).locator(".score-option").nth(6).tap()
    save = page.locator("button.save").bounding_box()
    assert save["y"] >= 0 and save["y"] + save["height"] <= 844  # at hand, as it was
    assert never_clear_of_the_save_bar(page) == []
    context.close()


def test_a_tap_on_the_right_side_s_next_score_chooses_it_and_saves_nothing(
    live_app, phone, two_scales
):
    """The trial's taps on two scales: the left side chosen, the right scale scrolled to the
    bottom of the screen, a score, then the one below it. The second tap chooses that
    score; nothing is saved."""
    phone.goto(two_scales)
    expect(phone.locator("form.entry-form[data-ready=true]")).to_have_count(1)
    side(phone, "Left side").get_by_role("radio", name="3", exact=True).tap()
    last = side(phone, "Right side").locator(".score-option").last
    last.evaluate("o => scrollBy(0, o.getBoundingClientRect().bottom - innerHeight)")
    first, second = reachable_scores(phone)[-2:]
    phone.touchscreen.tap(*first)
    phone.touchscreen.tap(*second)
    phone.wait_for_timeout(500)  # time for a score to be sent, had Save been tapped
    with live_app.app_context():
        assert db.session.execute(select(DiaryEntry)).first() is None
    chosen = phone.locator(".score-option:has(input[name=pain_right]:checked)").bounding_box()
    assert chosen["y"] < second[1] < chosen["y"] + chosen["height"]
