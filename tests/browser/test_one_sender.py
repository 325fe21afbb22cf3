"""With the page's script running, the phone's queue is the only sender: a double tap on
Save, or Save with no score, never posts the form as well (a trial saw that second post
refused with a 400 in the log). Without script the form posts as before."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import Checkin, DiaryEntry
from tests.browser.conftest import make_followup


def posts_of(page) -> list[str]:
    """The paths of the POST requests ``page`` makes from now on."""
    posts: list[str] = []

    def seen(request) -> None:
        if request.method == "POST":
            posts.append(request.url.split("/", 3)[3])

    page.on("request", seen)
    return posts


def test_a_double_tap_on_save_sends_the_score_once_and_posts_no_form(live_app, phone):
    token = live_app.world.token
    posts = posts_of(phone)
    held = []  # the score's request, held until Save has been tapped again
    phone.route(f"**/api/v1/diary/{token}/entries", lambda route: held.append(route))
    phone.goto(f"{live_app.base_url}/d/{token}")
    expect(phone.locator("form.entry-form[data-ready=true]")).to_have_count(1)

    phone.get_by_role("radio", name="7", exact=True).tap()
    save = phone.get_by_role("button", name="Save")
    save.dblclick()
    expect(save).to_be_disabled()  # while the score is on its way
    phone.evaluate("document.querySelector('form.entry-form').requestSubmit()")  # Enter key
    phone.wait_for_timeout(300)
    assert posts == [f"api/v1/diary/{token}/entries"]

    held[0].continue_()
    expect(phone.get_by_text("Saved. Thank you.")).to_be_visible()
    assert posts == [f"api/v1/diary/{token}/entries"]
    with live_app.app_context():
        assert [e.pain for e in db.session.scalars(select(DiaryEntry))] == [7]


def test_save_with_no_score_is_explained_by_the_page_without_a_post(live_app, phone_page):
    page = phone_page(locale="es-ES")
    posts = posts_of(page)
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    expect(page.locator("form.entry-form[data-ready=true]")).to_have_count(1)
    page.get_by_role("button", name="Guardar").tap()
    problem = page.get_by_text("Elija su puntuación de dolor")
    expect(problem).to_be_visible()
    assert page.evaluate(
        "document.activeElement === document.querySelector('.field-error').closest('fieldset')"
    )
    page.get_by_role("button", name="Guardar").tap()  # again: still said once
    expect(page.locator(".field-error")).to_have_count(1)
    page.get_by_role("radio", name="4", exact=True).tap()
    page.get_by_role("button", name="Guardar").tap()
    expect(page.get_by_text("Guardado. Gracias.")).to_be_visible()
    assert [p for p in posts if not p.startswith("api/")] == []


def test_without_script_the_form_posts_and_saves(live_app, no_script):
    page = no_script
    page.goto(f"{live_app.base_url}/d/{live_app.world.token}")
    page.get_by_role("radio", name="6", exact=True).tap()
    page.get_by_role("button", name="Save").tap()
    expect(page.get_by_text("Saved. Thank you.")).to_be_visible()
    with live_app.app_context():
        assert [e.pain for e in db.session.scalars(select(DiaryEntry))] == [6]


def test_a_double_tap_on_send_sends_the_checkin_once_and_posts_no_form(live_app, phone):
    token = make_followup(live_app).token
    posts = posts_of(phone)
    held = []
    phone.route(f"**/api/v1/followup/{token}/checkins", lambda route: held.append(route))
    phone.goto(f"{live_app.base_url}/f/{token}")
    expect(phone.locator("form.checkin-form[data-ready=true]")).to_have_count(1)

    send = phone.get_by_role("button", name="Send")
    send.tap()  # no score yet: said on the page, nothing posted
    expect(phone.get_by_text("Choose your average pain over the past week")).to_be_visible()
    phone.get_by_role("radio", name="3", exact=True).tap()
    send.dblclick()
    expect(send).to_be_disabled()
    phone.wait_for_timeout(300)
    assert posts == [f"api/v1/followup/{token}/checkins"]

    held[0].continue_()
    expect(phone.get_by_text("your 1-month check-in is done")).to_be_visible()
    assert posts == [f"api/v1/followup/{token}/checkins"]
    with live_app.app_context():
        assert [c.pain for c in db.session.scalars(select(Checkin))] == [3]
