"""The diary page on a phone whose browser runs no script: the form posts, and what the
page answers is said where the patient looks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import Checkin, DiaryEntry
from tests.browser.conftest import make_followup
from tests.conftest import PHONE


def stored(live_app) -> list[int | None]:
    with live_app.app_context():
        return [entry.pain for entry in db.session.scalars(select(DiaryEntry))]


def post(page, url: str, score: str, button: str) -> None:
    """The page at ``url`` opened, ``score`` tapped and ``button`` tapped: the form posts,
    and ``page`` is the page that the post answers."""
    page.goto(url)
    page.get_by_role("radio", name=score, exact=True).tap()
    with page.expect_navigation():
        page.get_by_role("button", name=button).tap()


def test_back_after_saving_shows_an_empty_form_and_saves_nothing_twice(live_app, no_script):
    """Outside trial: after a score was saved, Back fetched the page again (a new one-time
    id) but Chromium put the 6 back in the form, and Save stored it a second time. The
    form now asks the browser to restore none of its answers (autocomplete=off)."""
    page = no_script
    post(page, f"{live_app.base_url}/d/{live_app.world.token}", "6", "Save")
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("radio", name="6", exact=True)).not_to_be_checked()
    assert page.locator("input[type=radio]:checked").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Save").tap()  # the patient taps Save again
    assert stored(live_app) == [6]


def test_after_saving_the_saved_notice_is_in_view(live_app, no_script):
    """Outside trial: the page opened at the scores, below the "Saved" notice at its
    top, so a patient on a phone saw no word that the score was saved."""
    page = no_script
    post(page, f"{live_app.base_url}/d/{live_app.world.token}", "6", "Save")
    notice = page.get_by_text("Saved. Thank you.")
    expect(notice).to_be_in_viewport()
    box = notice.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["viewport"]["height"]
    assert stored(live_app) == [6]


def test_back_after_a_check_in_shows_an_empty_form_and_sends_nothing_twice(live_app, no_script):
    """The follow-up page's check-in form had the same fault: Back, Send, a second check-in."""
    token = make_followup(live_app).token
    page = no_script
    post(page, f"{live_app.base_url}/f/{token}", "3", "Send")
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    page.go_back()
    assert page.locator("input[type=radio]:checked").count() == 0
    with page.expect_navigation():
        page.get_by_role("button", name="Send").tap()
    with live_app.app_context():
        assert [checkin.pain for checkin in db.session.scalars(select(Checkin))] == [3]


def test_after_a_check_in_the_saved_notice_is_in_view(live_app, no_script):
    """The follow-up page opened at the check-ins (#checkins) as the diary did at its
    scores: below the "Saved" notice at its top."""
    token = make_followup(live_app).token
    page = no_script
    post(page, f"{live_app.base_url}/f/{token}", "3", "Send")
    notice = page.get_by_text("Saved. Thank you.")
    expect(notice).to_be_in_viewport()
    box = notice.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["viewport"]["height"]


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("en-US", "Your score was not saved. Choose a score for the right side"),
        ("es-ES", "Su puntuación no se guardó. Elija una puntuación para el lado derecho"),
    ],
)
def test_a_side_left_out_is_said_at_the_top_and_links_to_its_scale(
    live_app, phone_page, two_scales, locale, said
):
    """Outside trial: without script, a post with one side of two left out drew the page
    again at its top with no word there (the message was 1,100-1,700 px down). Now the
    page opens on the reason, in its language, and its link shows the scale left out."""
    page = phone_page(java_script_enabled=False, locale=locale)
    page.goto(two_scales)
    page.locator("input[name=pain_left][value='3']").locator("..").tap()
    with page.expect_navigation():
        page.locator("button.save").tap()
    notice = page.locator(".flash-error")
    expect(notice).to_contain_text(said)
    box, bar = notice.bounding_box(), page.locator("button.save").bounding_box()
    assert page.evaluate("scrollY") == 0
    assert box["y"] >= 0 and box["y"] + box["height"] <= bar["y"]  # seen at once, clear of Save
    notice.get_by_role("link").tap()
    scale = page.locator("#pain_right-question legend")
    expect(scale).to_be_in_viewport()
    top = scale.bounding_box()["y"]
    assert 0 <= top < 100  # the scale left out from its question on
    assert page.locator("input[name=pain_left]:checked").get_attribute("value") == "3"
    assert stored(live_app) == []


def test_save_after_the_link_closed_says_this_score_was_not_saved(live_app, no_script):
    """Outside trial: the clinic closed the link while the page was open; Save showed the
    closed page, which said the scores saved were with the clinic and nothing of this one."""
    from diary.models import Block

    page = no_script
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    page.get_by_role("radio", name="6", exact=True).tap()
    with live_app.app_context():
        db.session.get(Block, live_app.world.block_id).link_revoked_at = datetime.now(UTC)
        db.session.commit()
    with page.expect_navigation():
        page.get_by_role("button", name="Save").tap()
    said = page.get_by_role("alert")
    expect(said).to_have_text("The score you just sent was not saved.")
    expect(said).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Your clinic")).to_be_visible()
    assert stored(live_app) == []
