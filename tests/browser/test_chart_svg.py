"""The block page's "Chart as SVG" opened in Chromium: the app's policy (style-src 'self')
blocked matplotlib's style attributes, and the chart drew as a black rectangle. The SVG
has a policy of its own: inline styles, and still no script."""

from __future__ import annotations

import io

from PIL import Image

from diary.extensions import db
from diary.models import Block
from tests.browser.conftest import sign_in
from tests.conftest import PHONE, add_entries

# matplotlib's figure and axes backgrounds (white) and the pain line (grey 0.35): each
# element's computed fill or stroke and the screenshot's pixel at a point of the figure.
PAINTED = """() => ({
  figure: getComputedStyle(document.querySelector("#patch_1 path")).fill,
  axes: getComputedStyle(document.querySelector("#patch_2 path")).fill,
  line: getComputedStyle(document.querySelector("#line2d_1 path, [id^=line2d] path")).stroke,
})"""

# An inline script appended to the open document: whether it ran.
SCRIPT_RUNS = """() => {
  const script = document.createElementNS("http://www.w3.org/2000/svg", "script");
  script.textContent = "window.scriptRan = true";
  document.documentElement.appendChild(script);
  return window.scriptRan === true;
}"""


def test_the_svg_chart_opens_in_its_colours_and_runs_no_script(live_app, browser):
    with live_app.app_context():
        add_entries(db.session.get(Block, live_app.world.block_id), {0.25: 1, 0.5: 0, 1: 1, 2: 1})
        db.session.commit()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text))
    sign_in(page, live_app.base_url)
    page.goto(f"{live_app.base_url}/blocks/{live_app.world.block_id}")
    with page.expect_navigation() as opened:
        page.get_by_role("link", name="Chart as SVG").click()
    response = opened.value
    assert response is not None and response.headers["content-type"].startswith("image/svg+xml")
    painted = page.evaluate(PAINTED)
    assert painted["figure"] == "rgb(255, 255, 255)", painted
    assert painted["axes"] == "rgb(255, 255, 255)", painted
    assert painted["line"] not in ("none", "rgb(0, 0, 0)"), painted
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    assert shot.getpixel((4, 4)) == (255, 255, 255)  # the figure's corner, not black
    policy = response.headers["content-security-policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy
    assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
    assert not [text for text in blocked if "Content Security Policy" in text], blocked
    # A script added to the SVG does not run: the policy the browser enforces forbids it.
    assert page.evaluate(SCRIPT_RUNS) is False
    context.close()


def test_the_block_page_keeps_the_app_s_policy(live_app, browser):
    """Only the SVG's response has the chart's policy: the page that links to it does not."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    sign_in(page, live_app.base_url)
    response = page.goto(f"{live_app.base_url}/blocks/{live_app.world.block_id}")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "style-src 'self'" in policy and "unsafe-inline" not in policy
    png = page.request.get(f"{live_app.base_url}/blocks/{live_app.world.block_id}/chart.png")
    assert png.headers["content-security-policy"] == policy
    context.close()
