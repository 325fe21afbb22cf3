"""The clinic's pages at 200% browser zoom (a 1366 px screen: 683 CSS px at two device
pixels each): nothing cut at the right edge, no choice cut short; Settings' time zone."""

from __future__ import annotations

from playwright.sync_api import expect

from diary.extensions import db
from diary.models import Block, Clinic
from tests.browser.conftest import sign_in, split_words
from tests.conftest import add_entries, make_block, make_user

ZOOM_200 = {"viewport": {"width": 683, "height": 384}, "device_scale_factor": 2}

# Elements drawn past the window's right edge, or cut by a box that scrolls or hides its
# overflow: [text, how far it reaches, how far it may].
CUT = """els => els.flatMap(el => {
  const box = el.getBoundingClientRect();
  let limit = document.documentElement.clientWidth;
  for (let up = el.parentElement; up; up = up.parentElement) {
    const overflow = getComputedStyle(up).overflowX;
    if (overflow !== "visible") limit = Math.min(limit, up.getBoundingClientRect().right);
  }
  return box.right > limit + 0.5 ? [[el.textContent.trim(), box.right, limit]] : [];
})"""

# Select boxes too narrow for their longest choice ("…Spine Intervention Soc").
SHORT_SELECTS = """els => els.flatMap(select => {
  const style = getComputedStyle(select);
  const context = document.createElement("canvas").getContext("2d");
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const room = select.clientWidth - padding - 20;  // the arrow
  const longest = Math.max(...[...select.options].map(o => context.measureText(o.text).width));
  return longest > room ? [[select.id, longest, room]] : [];
})"""


def test_the_dashboard_shows_every_verdict_whole_at_200_percent_zoom(live_app, browser):
    with live_app.app_context():
        block = db.session.get(Block, live_app.world.block_id)
        add_entries(block, {0.25: 1, 0.5: 0, 1: 1})  # running: "Positive (provisional)"
        for _ in range(3):  # indeterminate ones: the longest label
            make_block(block.clinic, block.patient, block.created_by, baseline_pain=2)
        db.session.commit()
    page = browser.new_page(**ZOOM_200)
    sign_in(page, live_app.base_url)
    verdicts = page.locator("table.blocks .verdict")
    expect(verdicts).to_have_count(4)
    assert page.locator("table.blocks .verdict, table.blocks td").evaluate_all(CUT) == []
    assert split_words(page, "table.blocks") == []
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    page.close()


def test_settings_at_200_percent_zoom_cut_no_choice_and_change_the_time_zone(live_app, browser):
    with live_app.app_context():
        make_user(db.session.get(Clinic, 1), "admin@a.example", role="admin")
        db.session.commit()
    page = browser.new_page(**ZOOM_200)
    sign_in(page, live_app.base_url, "admin@a.example")
    page.goto(f"{live_app.base_url}/settings")
    threshold = page.get_by_role("group", name="Relief threshold for a positive block")
    expect(threshold.get_by_role("radio")).to_have_count(2)
    expect(threshold.get_by_label("80% (Medicare LCD, Spine Intervention Society)")).to_be_checked()
    assert page.locator("form label, form legend, form select").evaluate_all(CUT) == []
    assert page.locator("form select").evaluate_all(SHORT_SELECTS) == []
    assert split_words(page, "main") == []

    page.get_by_label("Clinic time zone").select_option("America/New_York")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-info")).to_contain_text(
        "Time zone changed from America/Chicago to America/New_York. Every recorded time "
        "keeps its moment: a block done at 09:00 America/Chicago time now reads 10:00."
    )
    expect(page.get_by_label("Clinic time zone")).to_have_value("America/New_York")
    with live_app.app_context():
        assert db.session.get(Clinic, 1).timezone == "America/New_York"
    page.close()
