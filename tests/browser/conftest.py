"""A live server on a free port for the browser tests (Chromium: tests/conftest.py)."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from diary.extensions import db
from tests.conftest import PASSWORD, PHONE, World, make_app

# The words of the matched elements that the layout broke across lines ("Englis / h"); a
# word is a run of characters between spaces or slashes, so "America/Chicago" may wrap at
# its slash. Text kept for screen readers only is not laid out for reading.
SPLIT_WORDS = """els => els.flatMap(el => {
  const split = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    if (node.parentElement.closest(".visually-hidden")) continue;
    const words = /[^\\s/]+/g;
    let m;
    while ((m = words.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
        .map(r => Math.round(r.top)));
      if (lines.size > 1) split.push(m[0]);
    }
  }
  return split;
})"""


# Scrolled from the top to the end a quarter of the screen at a time: each score option
# drawn under the phone's Save bar [the scroll, the scale's legend, the option's number].
UNDER_THE_SAVE_BAR = """async () => {
  const end = document.documentElement.scrollHeight - innerHeight;
  const under = [];
  for (let y = 0; ; y = Math.min(end, y + innerHeight / 4)) {
    scrollTo(0, y);
    await new Promise(requestAnimationFrame);
    const bar = document.querySelector(".save").getBoundingClientRect();
    for (const option of document.querySelectorAll(".score-option")) {
      const box = option.getBoundingClientRect();
      if (box.bottom > bar.top && box.top < bar.bottom && bar.top < innerHeight) {
        under.push([Math.round(scrollY),
          option.closest("fieldset").querySelector("legend").textContent.trim(),
          option.querySelector("b").textContent]);
      }
    }
    if (y >= end) return under;
  }
}"""


def under_the_save_bar(page) -> list[list]:
    """The score options the Save bar covers at some scroll of ``page`` (none, to pass)."""
    return page.evaluate(UNDER_THE_SAVE_BAR)


def split_words(page, selector: str) -> list[str]:
    """The words inside ``selector`` that are broken across two lines."""
    return page.locator(selector).evaluate_all(SPLIT_WORDS)


class LiveServer:
    """The app served from a thread on 127.0.0.1; it can be stopped and restarted on its port."""

    def __init__(self, app, port: int = 0):
        self.app = app
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def restart(self) -> LiveServer:
        return LiveServer(self.app, self.port)


@pytest.fixture
def live_app(tmp_path):
    """The app on SQLite with two clinics' data, served on 127.0.0.1 from a thread."""
    app = make_app("sqlite:///" + str(tmp_path / "browser.sqlite3"))
    with app.app_context():
        db.create_all()
        world = World()
        world.block_id, world.token = world.block.id, world.block.diary_token
    app.server = LiveServer(app)
    app.base_url = f"http://127.0.0.1:{app.server.port}"
    app.world = world
    yield app
    app.server.stop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base_url: str, email: str = "doc@a.example") -> None:
    """The clinic's sign-in, as a clinician types it."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
