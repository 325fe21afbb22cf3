"""A live server on a free port for the browser tests (Chromium: tests/conftest.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from diary.extensions import db
from diary.models import Clinic, Patient, User
from tests.conftest import PASSWORD, PHONE, World, make_ablation, make_app, make_block

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


# The phone's Save bar sits at the bottom of the screen as the form scrolls under it: where
# it is must never change with a choice, and each score must scroll clear of it. A score
# option is named [its scale's legend, its number].
OPTION_NAME = """option => [option.closest("fieldset").querySelector("legend").textContent.trim(),
  option.querySelector("b").textContent]"""

# Scrolled from the top to the end an eighth of the screen at a time: the score options
# never seen whole and clear of the Save bar (the scroll left at the top).
NEVER_CLEAR_OF_THE_SAVE_BAR = f"""async () => {{
  const options = [...document.querySelectorAll(".score-option")], clear = new Set();
  const end = document.documentElement.scrollHeight - innerHeight;
  for (let y = 0; ; y = Math.min(end, y + innerHeight / 8)) {{
    scrollTo(0, y);
    await new Promise(requestAnimationFrame);
    const bar = document.querySelector(".save").getBoundingClientRect();
    for (const option of options) {{
      const box = option.getBoundingClientRect();
      const whole = box.top >= 0 && box.bottom <= innerHeight;
      if (whole && (box.bottom <= bar.top || box.top >= bar.bottom)) clear.add(option);
    }}
    if (y >= end) break;
  }}
  scrollTo(0, 0);
  return options.filter(option => !clear.has(option)).map({OPTION_NAME});
}}"""

# At each scroll (a quarter of the screen at a time), from an empty form, each option a
# finger reaches (its middle on screen, not under Save) chosen in turn, top down then
# bottom up: the choices after which Save moved or an option reached before no longer
# was [the scroll, the option chosen]. The form is left empty, at the top.
MOVED_BY_A_CHOICE = f"""async () => {{
  const form = document.querySelector("form.entry-form"), save = form.querySelector(".save");
  const reachable = () => [...form.querySelectorAll(".score-option")].filter(option => {{
    const box = option.getBoundingClientRect(), y = (box.top + box.bottom) / 2;
    return y > 0 && y < innerHeight &&
      option.contains(document.elementFromPoint((box.left + box.right) / 2, y));
  }});
  const where = () => JSON.stringify(save.getBoundingClientRect());
  const end = document.documentElement.scrollHeight - innerHeight, moved = [];
  for (let y = 0; ; y = Math.min(end, y + innerHeight / 4)) {{
    for (const upwards of [false, true]) {{
      form.reset();
      scrollTo(0, y);
      await new Promise(requestAnimationFrame);
      const shown = reachable();
      if (upwards) shown.reverse();
      for (const option of shown) {{
        const [saveWas, reached] = [where(), reachable()];
        option.querySelector("input").click();
        await new Promise(requestAnimationFrame);
        const now = reachable();
        if (where() !== saveWas || reached.some(other => !now.includes(other))) {{
          moved.push([Math.round(scrollY), ...({OPTION_NAME})(option)]);
        }}
      }}
    }}
    if (y >= end) break;
  }}
  form.reset();
  scrollTo(0, 0);
  return moved;
}}"""


# The middle of each score option a finger reaches now (on screen, not under Save), top down.
REACHABLE = """() => [...document.querySelectorAll(".score-option")].flatMap(option => {
  const box = option.getBoundingClientRect();
  const x = (box.left + box.right) / 2, y = (box.top + box.bottom) / 2;
  const reached = y > 0 && y < innerHeight && option.contains(document.elementFromPoint(x, y));
  return reached ? [[x, y]] : [];
})"""


def reachable_scores(page) -> list[list[float]]:
    """Where a finger taps each score option it reaches on ``page`` now, top down."""
    return page.evaluate(REACHABLE)


def never_clear_of_the_save_bar(page) -> list[list[str]]:
    """The score options of ``page`` that no scroll shows whole and clear of the Save bar
    (none, to pass): each can be seen and tapped with nothing over it."""
    return page.evaluate(NEVER_CLEAR_OF_THE_SAVE_BAR)


def moved_by_a_choice(page) -> list[list]:
    """The choices of a score on ``page`` after which Save moved or took the place of an
    option the patient could tap (none, to pass): a control never moves under a finger."""
    return page.evaluate(MOVED_BY_A_CHOICE)


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
def two_scales(live_app):
    """A bilateral block scored left and right apart, its diary running; its address."""
    with live_app.app_context():
        clinic = db.session.scalars(select(Clinic).filter_by(name="Clinic A")).one()
        block = make_block(
            clinic,
            db.session.scalars(select(Patient).filter_by(clinic_id=clinic.id)).first(),
            db.session.scalars(select(User).filter_by(clinic_id=clinic.id)).first(),
            side="bilateral",
            scoring="sides",
            baseline_pain=None,
            baseline_pain_left=8,
            baseline_pain_right=6,
            performed_at=datetime.now(UTC) - timedelta(hours=1),
        )
        db.session.commit()
        live_app.apart = (block.id, block.diary_token)
    return f"{live_app.base_url}/d/{live_app.apart[1]}"


@pytest.fixture
def phone_page(browser):
    """Opens a page on a phone (PHONE) in a context of its own, with ``options`` for
    Playwright's new_context on top (a locale, script off); each closed after the test."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(**PHONE, **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def phone(phone_page):
    """A page on a phone, its script running."""
    return phone_page()


@pytest.fixture
def no_script(phone_page):
    """A page on a phone whose browser runs no script: its forms post as plain HTML."""
    return phone_page(java_script_enabled=False)


class Followup(NamedTuple):
    token: str  # the follow-up link's (/f/<token>)
    ablation_id: int
    patient_id: int


def make_followup(live_app, **overrides) -> Followup:
    """An ablation 30 days ago (its month-1 check-in open) for the first clinic's first
    patient, recorded by its first user; ``overrides`` as for make_ablation."""
    with live_app.app_context():
        clinic = db.session.scalars(select(Clinic).order_by(Clinic.id)).first()
        patient = db.session.scalars(select(Patient).where(Patient.clinic_id == clinic.id)).first()
        user = db.session.scalars(select(User).where(User.clinic_id == clinic.id)).first()
        ablation = make_ablation(
            clinic, patient, user, datetime.now(UTC) - timedelta(days=30), **overrides
        )
        db.session.commit()
        return Followup(ablation.followup_token, ablation.id, patient.id)


def sign_in(page, base_url: str, email: str = "doc@a.example") -> None:
    """The clinic's sign-in, as a clinician types it."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")
