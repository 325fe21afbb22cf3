"""The block page and its printable report on a phone (390 px wide), a block scored left
and right apart: each side's label stays on the line of its value ("Left" never ends a
line, "-14.3%" is never split from its side), and the wide entries table scrolls inside
its own box while the page itself never scrolls sideways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diary.extensions import db
from diary.models import Block
from diary.services.entries import EntryInput, record_entry
from tests.browser.conftest import sign_in
from tests.conftest import PHONE, make_block

# Each side in the cells, from its label ("Left", "Right") to the end of its value (the
# next "·" or the cell's end), and whether it is on one line: [side, whether].
SIDES = """cells => cells.flatMap(cell => {
  const found = [];
  const texts = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) texts.push(node);
  texts.forEach((node, i) => {
    for (const label of node.data.matchAll(/(Left|Right) /g)) {
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
      found.push([side.toString().trim(), oneLine]);
    }
  });
  return found;
})"""

# How far the page scrolls sideways, and each table's box: [its right edge, whether it is
# inside a box that scrolls it].
WIDTHS = """() => ({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  viewport: document.documentElement.clientWidth,
  tables: [...document.querySelectorAll("main table")].map(table => {
    const box = table.closest(".table-scroll");
    return [box ? Math.round(box.getBoundingClientRect().right) : null,
      box ? getComputedStyle(box).overflowX : null];
  }),
})"""


@pytest.fixture
def block_scored_apart(live_app) -> int:
    """A bilateral block scored apart (baselines 7 and 5) whose left pain rose above its
    baseline: "Left -14.3% · Right 20%", the outside trial's cell."""
    with live_app.app_context():
        first = db.session.get(Block, live_app.world.block_id)
        block = make_block(
            first.clinic,
            first.patient,
            first.created_by,
            side="bilateral",
            scoring="sides",
            baseline_pain=None,
            baseline_pain_left=7,
            baseline_pain_right=5,
            performed_at=datetime.now(UTC) - timedelta(hours=2),
        )
        scores = {0.25: (2, 4), 0.5: (8, 4), 1: (1, 6)}
        for hours, (left, right) in scores.items():
            at = block.performed_at + timedelta(hours=hours)
            record_entry(
                block,
                EntryInput(
                    pain_left=left,
                    pain_right=right,
                    recorded_at=at,
                    note="Walked to the shop and back, then sat down for a while",
                    client_id=f"p{hours}",
                ),
                now=at,
            )
        db.session.commit()
        return block.id


@pytest.mark.parametrize("path", ["", "/report"])
def test_each_side_stays_with_its_value_and_only_the_table_scrolls(
    live_app, browser, block_scored_apart, path
):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/blocks/{block_scored_apart}{path}")
    sides = page.locator("table.entries td").evaluate_all(SIDES)
    # Pain and relief of three entries: a left and a right each.
    assert len(sides) == 12, sides
    assert "Left -14.3%" in [side for side, _ in sides]
    assert [side for side in sides if not side[1]] == []
    widths = page.evaluate(WIDTHS)
    assert widths["page"] == 0, widths  # the page never scrolls sideways
    for right, overflow in widths["tables"]:
        assert overflow == "auto" and right <= widths["viewport"], widths
    if path:
        # Printed as before: each relief cell on one line, the table not in a scrolling box.
        page.emulate_media(media="print")
        printed = page.locator("table.entries td.col-relief").evaluate_all(
            "cells => cells.map(c => [getComputedStyle(c).whiteSpace,"
            " getComputedStyle(c.closest('.table-scroll')).overflowX])"
        )
        assert printed == [["nowrap", "visible"]] * 3, printed
    context.close()
