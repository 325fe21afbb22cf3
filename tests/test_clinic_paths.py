"""The signed-in clinic paths read what they need once: the sign-in check brings the
user's clinic, a cached chart of a diary that is over reads no entry, the dashboard
shows each row as before. What they no longer read must never make them answer stale."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, event

from diary.extensions import db
from diary.models import Block, LoginSession, utcnow
from diary.services import analysis, summaries
from diary.services.blocks import revoke_link
from diary.services.settings import analysis_settings
from diary.web import diary_over
from tests.conftest import PASSWORD, add_entries, block_at


@contextmanager
def statements():
    seen: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)


def stored_summary_now(block) -> str:
    """Store the block's summary (as a dashboard page does); returns the settings digest."""
    summaries.block_summaries([block])
    db.session.commit()
    return summaries.settings_digest(analysis_settings(block.clinic))


def over_and_running(block) -> tuple[bool, bool]:
    now = utcnow()
    digest = summaries.settings_digest(analysis_settings(block.clinic))
    return diary_over(block, digest, now), analysis.running(block, now) is not None


def test_a_diary_is_over_by_its_row_only_when_it_is_not_running(signed_in):
    world = signed_in
    done = block_at(world, -timedelta(hours=30))
    add_entries(done, {0.25: 1, 0.5: 0, 1: 1})
    db.session.commit()
    # Its summary out of date (the entries came after): read the entries to know.
    assert over_and_running(done) == (False, False)
    stored_summary_now(done)
    assert over_and_running(done) == (True, False)

    never_started = block_at(world, -timedelta(hours=30))
    stored_summary_now(never_started)  # no entry: it still awaits them while the link is open
    assert over_and_running(never_started) == (False, True)

    running = block_at(world, -timedelta(hours=1))
    add_entries(running, {0.25: 2})
    db.session.commit()
    stored_summary_now(running)
    assert over_and_running(running) == (False, True)

    revoke_link(never_started, by=world.clinician)
    db.session.commit()
    assert over_and_running(never_started) == (True, False)


def test_the_cached_chart_of_a_diary_over_reads_no_entry_and_changes_with_its_entries(
    client, signed_in
):
    done = block_at(signed_in, -timedelta(hours=30))
    add_entries(done, {0.25: 1, 0.5: 0, 1: 1})
    db.session.commit()
    stored_summary_now(done)
    block_id = done.id
    url = f"/blocks/{block_id}/chart.png"
    first = client.get(url)
    etag = first.headers["ETag"]
    db.session.expunge_all()  # as in production, each request starts with nothing loaded
    with statements() as seen:
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert not [s for s in seen if "diary_entry" in s], seen
    # The sign-in check (session, user and clinic in one) and the block: nothing else.
    assert len(seen) == 2, seen

    done = db.session.get(Block, block_id)
    add_entries(done, {2: 6})  # a late score: the chart must not be the one cached
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert after.get_data() != first.get_data()


def test_a_running_diary_on_the_dashboard_is_provisional_and_a_finished_one_is_not(
    client, signed_in
):
    running = signed_in.block  # done 3 hours ago: its diary still runs
    add_entries(running, {0.25: 1, 0.5: 0, 1: 1})
    done = block_at(signed_in, -timedelta(hours=30))
    add_entries(done, {0.25: 1, 0.5: 0, 1: 1})
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    rows = {
        block.id: page.split(f'href="/blocks/{block.id}"')[1].split("</tr>")[0]
        for block in (running, done)
    }
    assert 'class="verdict verdict-positive verdict-provisional">Positive' in rows[running.id]
    assert '<span class="provisional">(provisional)</span>' in rows[running.id]
    assert 'class="verdict verdict-positive">Positive</span>' in rows[done.id]
    assert f'href="/patients/{signed_in.patient.id}"' in page


def test_the_two_factor_check_reads_the_clinic_as_it_is_now(client, signed_in):
    assert client.get("/").status_code == 200
    signed_in.clinic.require_two_factor = True
    db.session.commit()
    refused = client.get(f"/blocks/{signed_in.block.id}/chart.png")
    assert refused.status_code == 302 and "/two-factor" in refused.headers["Location"]


def test_each_sign_in_reads_its_own_dashboard_search(app, signed_in):
    first, second = app.test_client(), app.test_client()
    for client, term in ((first, "J.S"), (second, "nobody")):
        client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
        client.post("/search", data={"q": term})
    assert f'href="/blocks/{signed_in.block.id}"' in first.get("/").get_data(as_text=True)
    assert "No blocks match “nobody”" in second.get("/").get_data(as_text=True)
    assert "No blocks match" not in first.get("/").get_data(as_text=True)


def test_a_session_ended_elsewhere_is_refused_on_the_next_request(client, signed_in):
    assert client.get(f"/blocks/{signed_in.block.id}/chart.png").status_code == 200
    db.session.execute(delete(LoginSession))  # signed out everywhere, by another host
    db.session.commit()
    for url in ("/", f"/blocks/{signed_in.block.id}/chart.png"):
        ended = client.get(url)
        assert ended.status_code == 302 and "/login" in ended.headers["Location"]
