"""Offline: entries made without a connection reach the server exactly once, with their times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from diary.extensions import db
from diary.models import DiaryEntry


def queued(page, block_id):
    return page.evaluate(
        f"JSON.parse(localStorage.getItem('block-diary-queue:{block_id}') || '[]')"
    )


def test_offline_entries_survive_a_reload_and_are_stored_once(live_app, browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    # The phone's clock, a minute behind the server's, moved on by hand between entries.
    page.clock.install(time=datetime.now(UTC) - timedelta(minutes=1))
    url = f"{live_app.base_url}/d/{live_app.world.token}"
    block_id = live_app.world.block_id
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # now controlled by the service worker, which has cached the page
    assert page.evaluate("!!navigator.serviceWorker.controller")

    # Offline as the phone sees it, and the server truly out of reach: Chromium's
    # emulation alone does not cover every request a service worker lets through.
    context.set_offline(True)
    live_app.server.stop()
    for score in ("3", "6"):
        page.get_by_role("radio", name=score, exact=True).tap()
        page.get_by_role("button", name="Save").tap()
        page.clock.fast_forward(1100)  # distinct times, to the second
    expect(page.locator("#pending-list li")).to_have_count(2)
    expect(page.get_by_text("waiting to send").first).to_be_visible()
    waiting = queued(page, block_id)
    assert [item["body"]["pain"] for item in waiting] == [3, 6]

    page.reload()  # offline: the service worker serves the cached page
    page.wait_for_selector("form.entry-form[data-ready]", state="attached")
    expect(page.locator("#pending-list li")).to_have_count(2)
    with live_app.app_context():
        assert db.session.execute(select(DiaryEntry)).first() is None

    live_app.server = live_app.server.restart()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#saved-list li")).to_have_count(2, timeout=15000)
    assert queued(page, block_id) == []

    # a second tab replaying the same queue (e.g. a stale copy) stores nothing new
    replay = context.new_page()
    replay.goto(url)
    for item in waiting:
        replay.evaluate(
            "([api, body]) => fetch(api, {method: 'POST', headers: "
            "{'Content-Type': 'application/json'}, body: JSON.stringify(body)})",
            [f"/api/v1/diary/{live_app.world.token}/entries", item["body"]],
        )
    with live_app.app_context():
        entries = (
            db.session.execute(select(DiaryEntry).order_by(DiaryEntry.recorded_at)).scalars().all()
        )
        assert [e.pain for e in entries] == [3, 6]
        assert [e.client_id for e in entries] == [item["id"] for item in waiting]
        expected = [datetime.fromisoformat(item["body"]["recorded_at"]) for item in waiting]
        assert [e.recorded_at for e in entries] == expected
        assert all(e.submitted_at > e.recorded_at for e in entries)
    context.close()


def poll(condition, page, tries: int = 50) -> bool:
    """Whether ``condition`` holds within ``tries`` tenths of a second."""
    for _ in range(tries):
        if condition():
            return True
        page.wait_for_timeout(100)
    return False


def cached_paths(page) -> list[str]:
    return page.evaluate(
        "caches.open('block-diary-v1').then(c => c.keys())"
        ".then(keys => keys.map(k => new URL(k.url).pathname))"
    )


def test_a_closed_diary_is_forgotten_by_the_phone(live_app, browser):
    from diary.models import Block, utcnow

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    diary = f"/d/{live_app.world.token}"
    page.goto(live_app.base_url + diary)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()  # controlled by the service worker, which keeps a copy of the page
    assert poll(lambda: diary in cached_paths(page), page)
    with live_app.app_context():
        block = db.session.get(Block, live_app.world.block_id)
        block.link_revoked_at = utcnow()
        db.session.commit()
    assert page.goto(live_app.base_url + diary).status == 410
    # The purge runs beside the answer: poll for it.
    assert poll(lambda: not [p for p in cached_paths(page) if p.startswith(diary)], page)

    # Offline now, the phone has nothing of the diary left to show.
    context.set_offline(True)
    live_app.server.stop()
    page.goto(live_app.base_url + diary)
    assert "You are offline" in page.content()
    live_app.server = live_app.server.restart()
    context.close()
