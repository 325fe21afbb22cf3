"""The dashboard on a phone (390 px wide): a block scored left and right apart keeps the
"·" between its two sides on the line of the side before it, never on a line of its own,
and each side's label on the line of its value ("Right:" never ends a line)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from diary.extensions import db
from diary.models import Block
from diary.services.entries import EntryInput, record_entry
from tests.browser.conftest import sign_in
from tests.conftest import PHONE, make_block

# Each "·" in the cells, and whether the text before it ends on the line the "·" is on:
# [cell's label, the cell's text, whether it does].
SEPARATORS = """cells => cells.flatMap(cell => {
  const found = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    for (let at = node.data.indexOf("·"); at >= 0; at = node.data.indexOf("·", at + 1)) {
      const dot = document.createRange();
      dot.setStart(node, at);
      dot.setEnd(node, at + 1);
      const box = dot.getBoundingClientRect();
      const middle = (box.top + box.bottom) / 2;
      // What comes before it, up to its last visible character (spaces may wrap).
      const before = document.createRange();
      before.setStart(cell, 0);
      const text = node.data.slice(0, at).replace(/\\s+$/, "");
      if (text) before.setEnd(node, text.length);
      else before.setEndBefore(node);
      const ends = [...before.getClientRects()].filter(r => r.width > 0 && r.height > 0);
      const last = ends[ends.length - 1];
      found.push([cell.dataset.label, cell.textContent.trim(),
        last.top <= middle && middle <= last.bottom]);
    }
  }
  return found;
})"""


# Each side in the cells, from its label ("Left:", "Right:") to the end of its value (the
# next "·" or the cell's end), and whether it is on one line: [cell's label, side, whether].
SIDES = """cells => cells.flatMap(cell => {
  const found = [];
  const texts = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) texts.push(node);
  texts.forEach((node, i) => {
    for (const label of node.data.matchAll(/(Left|Right):/g)) {
      const side = document.createRange();
      side.setStart(node, label.index);
      side.setEndAfter(cell.lastChild);
      for (const [j, later] of texts.slice(i).entries()) {
        const from = j === 0 ? label.index + label[0].length : 0;
        const dot = later.data.indexOf("·", from);
        if (dot >= 0) { side.setEnd(later, dot); break; }
      }
      const boxes = [...side.getClientRects()].filter(r => r.width > 0 && r.height > 0);
      const oneLine = Math.max(...boxes.map(r => r.top)) < Math.min(...boxes.map(r => r.bottom));
      found.push([cell.dataset.label, side.toString().trim(), oneLine]);
    }
  });
  return found;
})"""


def a_running_block_scored_apart(live_app) -> None:
    """A bilateral block scored apart, running, so that each side's verdict reads
    "… (provisional)": the longest."""
    with live_app.app_context():
        first = db.session.get(Block, live_app.world.block_id)
        block = make_block(
            first.clinic,
            first.patient,
            first.created_by,
            side="bilateral",
            scoring="sides",
            baseline_pain=None,
            baseline_pain_left=8,
            baseline_pain_right=6,
            performed_at=datetime.now(UTC) - timedelta(hours=2),
        )
        for hours, (left, right) in {0.25: (1, 6), 0.5: (0, 5), 1: (1, 6)}.items():
            at = block.performed_at + timedelta(hours=hours)
            record_entry(
                block,
                EntryInput(pain_left=left, pain_right=right, recorded_at=at, client_id=f"p{hours}"),
                now=at,
            )
        db.session.commit()


def test_a_side_s_separator_stays_on_its_line_on_a_phone(live_app, browser):
    a_running_block_scored_apart(live_app)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_app.base_url)
    expect(page.locator("table.blocks .verdict")).to_have_count(3)
    found = page.locator("table.blocks td").evaluate_all(SEPARATORS)
    # Peak relief, ≥50 %, ≥80 % and the verdict: one "·" each.
    assert len(found) == 4, found
    assert [cell for cell in found if not cell[2]] == []
    context.close()


def test_a_side_s_label_stays_with_its_value_on_a_phone(live_app, browser):
    """Outside trial, 390x844: "Right:" ended a line, its value on the next."""
    a_running_block_scored_apart(live_app)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_app.base_url)
    expect(page.locator("table.blocks .verdict")).to_have_count(3)
    found = page.locator("table.blocks td").evaluate_all(SIDES)
    # Peak relief, ≥50 %, ≥80 % and the verdict: a left and a right each.
    assert len(found) == 8, found
    assert [side for side in found if not side[2]] == []
    context.close()
