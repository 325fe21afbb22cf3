"""A patient on a phone: diary link -> tap a score -> Save -> back to the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import DiaryEntry
from tests.browser.conftest import (
    moved_by_a_choice,
    never_clear_of_the_save_bar,
    reachable_scores,
)
from tests.conftest import PHONE


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


ONE_SCALE = """els => {
  const boxes = els.map(e => e.getBoundingClientRect());
  const row = boxes.every((b, i) => Math.abs(b.top - boxes[0].top) < 1 &&
    (i === 0 || b.left > boxes[i - 1].left));
  const column = boxes.every((b, i) => Math.abs(b.left - boxes[0].left) < 1 &&
    (i === 0 || b.top > boxes[i - 1].top));
  return row ? "row" : column ? "column" : "split";
}"""


@pytest.mark.parametrize("width", [320, 360, 390, 430, 700])
def test_the_scale_reads_as_one_scale_at_every_width(live_app, browser, width):
    context = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=width < 600, has_touch=True
    )
    page = context.new_page()
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    assert page.locator(".score-option").evaluate_all(ONE_SCALE) in ("row", "column")
    assert no_sideways_scroll(page)
    page.get_by_role("radio", name="10 Worst").check()
    save = page.locator("button.save").bounding_box()
    assert save["y"] + save["height"] <= 844  # Save in view once the score is chosen
    context.close()


def test_the_staff_transcription_scale_is_one_scale_too(live_app, browser):
    from tests.conftest import PASSWORD

    page = browser.new_page(viewport={"width": 1366, "height": 800})
    page.goto(f"{live_app.base_url}/login")
    page.fill("#email", "doc@a.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_app.base_url}/blocks/{live_app.world.block_id}")
    page.locator("#paper-heading").click()
    assert page.locator(".score-option").evaluate_all(ONE_SCALE) in ("row", "column")
    page.close()


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_save_stays_put_and_every_score_scrolls_clear_of_it(live_app, browser, locale):
    """Outside trial, 390x844: Save stayed under the form until a score was chosen, then
    stuck to the bottom of the screen over "5 Moderate" and "6", where the patient's next
    tap (meant for 5) saved the 4 chosen. Save is now at the bottom of the screen from the
    first view, the form scrolling under it: no choice moves it, and every score can be
    scrolled clear of it, before a choice and after."""
    context = browser.new_context(**PHONE, locale=locale)
    page = context.new_page()
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    assert moved_by_a_choice(page) == []
    assert never_clear_of_the_save_bar(page) == []
    page.locator(".score-option").nth(3).tap()
    save = page.locator("button.save").bounding_box()
    assert save["y"] >= 0 and save["y"] + save["height"] <= 844  # at hand, as it was
    assert never_clear_of_the_save_bar(page) == []
    context.close()


def test_a_tap_on_the_next_score_chooses_it_and_saves_nothing(live_app, phone):
    """The trial's taps: the scale scrolled to show 0 to 6, a score, then (changing one's
    mind, no scroll) the one below it, lowest on the screen. The second tap chooses that
    score; nothing is saved."""
    phone.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    expect(phone.locator("form.entry-form[data-ready=true]")).to_have_count(1)
    six = phone.locator(".score-option").nth(6)
    six.evaluate("o => scrollBy(0, o.getBoundingClientRect().bottom - innerHeight)")
    first, second = reachable_scores(phone)[-2:]
    phone.touchscreen.tap(*first)
    phone.touchscreen.tap(*second)
    phone.wait_for_timeout(500)  # time for a score to be sent, had Save been tapped
    with live_app.app_context():
        assert db.session.execute(select(DiaryEntry)).first() is None
    assert phone.locator("input[name=pain]:checked").count() == 1
    chosen = phone.locator(".score-option:has(input:checked)").bounding_box()
    assert chosen["y"] < second[1] < chosen["y"] + chosen["height"]


# The focused control, as [its tag, its value or text], when the Save bar is over it.
FOCUS_UNDER_THE_SAVE_BAR = """() => {
  const focused = document.activeElement, save = document.querySelector(".save");
  if (focused === save || focused === document.body) return null;
  const box = focused.getBoundingClientRect(), bar = save.getBoundingClientRect();
  const under = box.bottom > bar.top && box.top < bar.bottom;
  return under ? [focused.tagName, focused.value || focused.textContent.trim()] : null;
}"""


@pytest.mark.parametrize("scales", ["one", "two"])
def test_a_control_reached_by_keyboard_is_never_under_the_save_bar(
    live_app, phone, request, scales
):
    """Focus not obscured (WCAG 2.4.11): Tab landed on the scale's 0 under the Save bar,
    which a sighted keyboard user could not see. The page keeps the bar's height clear at
    the bottom when it scrolls a control into view (scroll-padding). Tab from the top to
    Save, then the arrows down each scale to 10: never under the bar."""
    url = f"{live_app.base_url}/d/{live_app.world.token}"
    if scales == "two":
        url = request.getfixturevalue("two_scales")
    phone.goto(url)
    under = []
    for _ in range(20):  # to Save, whatever lies before it
        phone.keyboard.press("Tab")
        under.append(phone.evaluate(FOCUS_UNDER_THE_SAVE_BAR))
        if phone.evaluate("document.activeElement.classList.contains('save')"):
            break
    for name in ("pain",) if scales == "one" else ("pain_left", "pain_right"):
        phone.evaluate("scrollTo(0, 0)")
        phone.locator(f"input[name={name}]").first.focus()
        for _ in range(10):
            phone.keyboard.press("ArrowDown")
            under.append(phone.evaluate(FOCUS_UNDER_THE_SAVE_BAR))
    assert [control for control in under if control] == []
