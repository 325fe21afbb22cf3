"""The diary page is kept whole per diary and sent again with the request's own CSRF token
and entry id (diary/patient/kept_pages.py): never another diary's page, never another
browser's token or entry id, never a page older than the diary, its clinic or the clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import template_rendered

from diary.extensions import db
from diary.patient.kept_pages import KeptPages, filled, frozen, split_page
from diary.services.entries import EntryInput, record_entry
from tests.conftest import _empty_postgres, add_entries, form_id, make_app, make_block

CLIENT_ID = re.compile(r'name="client_id" type="hidden" value="([^"]*)"')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]*)"')


def url(block) -> str:
    return f"/d/{block.diary_token}"


def page(client, block) -> str:
    response = client.get(url(block))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def drawn(app, client, block) -> tuple[str, bool]:
    """The page, and whether its template was drawn for it (False: sent as kept)."""
    renders = []

    def count(sender, template, context, **extra):
        renders.append(template.name)

    template_rendered.connect(count, app)
    try:
        return page(client, block), "patient/diary.html" in renders
    finally:
        template_rendered.disconnect(count, app)


def without_request_values(text: str) -> str:
    return CSRF.sub("CSRF", CLIENT_ID.sub("CLIENT", text))


def scores(text: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", score).strip()
        for score in re.findall(r'<span class="entry-pain">(.*?)</span>', text)
    ]


@pytest.fixture
def running(world, clock):
    """A diary 2 h 10 min in with two scores (the clock stopped at noon in Chicago today,
    so that its next due times fall on its day: the page dates one that falls tomorrow)."""
    clock.set(datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0))
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        performed_at=clock.now - timedelta(hours=2, minutes=10),
    )
    add_entries(block, {0.5: 2, 1: 3})
    db.session.commit()
    return block


def test_a_diary_seen_again_is_sent_as_kept_and_reads_as_drawn_afresh(app, client, running):
    first, was_drawn = drawn(app, client, running)
    assert was_drawn
    again, was_drawn = drawn(app, client, running)
    assert not was_drawn  # what the tests below test
    app.extensions["diary_kept_pages"] = KeptPages()
    afresh, was_drawn = drawn(app, client, running)
    assert was_drawn
    assert without_request_values(again) == without_request_values(afresh)
    assert without_request_values(first) == without_request_values(afresh)


def test_each_view_has_its_own_entry_id(app, client, running):
    ids = [CLIENT_ID.search(page(client, running))[1] for _ in range(4)]
    assert len(set(ids)) == 4
    assert all(re.fullmatch(r"[0-9a-f]{32}", entry_id) for entry_id in ids)


def test_a_kept_page_is_never_another_diarys(app, client, world, running):
    # A twin: same clinic, settings, times, scores and change time; another clinic's too.
    twin = make_block(
        world.clinic, world.patient, world.clinician, performed_at=running.performed_at
    )
    add_entries(twin, {0.5: 2, 1: 3})
    far = world.other_block
    twin.changed_at = far.changed_at = running.changed_at
    db.session.commit()
    for _ in range(3):  # drawn, then kept
        for block in (running, twin, far):
            text = page(client, block)
            assert url(block) + "/entries" in text
            others = {running, twin, far} - {block}
            assert not any(other.diary_token in text for other in others)
            assert f'data-diary="{block.id}"' in text
    assert "Clinic B" in page(client, far) and "Clinic B" not in page(client, twin)


@pytest.fixture
def csrf_app(database_url):
    """The app as it runs: CSRF tokens on."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        yield app
        db.session.remove()
        if database_url.startswith("postgresql"):
            _empty_postgres(app)
        db.engine.dispose()


def test_one_browsers_csrf_token_never_reaches_another(csrf_app):
    from tests.conftest import World

    world = World()
    block = world.block
    first, second = csrf_app.test_client(), csrf_app.test_client()
    tokens = {}
    for round in range(2):  # drawn for the first browser, kept for the second
        for name, browser in (("first", first), ("second", second)):
            text, was_drawn = drawn(csrf_app, browser, block)
            assert was_drawn == (round == 0 and name == "first")  # kept with CSRF on too
            tokens.setdefault(name, set()).add(CSRF.search(text)[1])
    assert not tokens["first"] & tokens["second"]
    token_of_first = next(iter(tokens["first"]))
    token_of_second = next(iter(tokens["second"]))
    refused = second.post(url(block) + "/entries", data={"pain": "4", "csrf_token": token_of_first})
    assert refused.status_code == 400
    taken = second.post(
        url(block) + "/entries",
        data={"client_id": form_id(), "pain": "4", "csrf_token": token_of_second},
    )
    assert taken.status_code == 302
    assert scores(page(second, block)) == ["Pain 4/10"]


@pytest.mark.parametrize("csrf", [True, False])
def test_the_hidden_inputs_are_written_as_the_form_writes_them(database_url, csrf):
    from diary.patient.forms import EntryForm, hidden_inputs

    app = make_app(database_url, WTF_CSRF_ENABLED=csrf)
    with app.test_request_context("/d/x"):
        form = EntryForm(client_id='a"<b>&c')
        token = form.csrf_token.current_token if csrf else None
        assert hidden_inputs('a"<b>&c', token) == form.hidden_tag()


def test_a_new_score_is_shown_at_once(client, running):
    page(client, running)
    page(client, running)
    sent = client.post(
        f"/api/v1/diary/{running.diary_token}/entries", json={"pain": 6, "client_id": "phone-one-1"}
    )
    assert sent.status_code in (200, 201)
    text = page(client, running)
    assert scores(text) == ["Pain 2/10", "Pain 3/10", "Pain 6/10"]
    assert re.search(r"3 of \d+ scheduled scores done", text)


def test_extra_scores_are_counted_on_the_page_at_once(client, running, clock):
    """A score at no due time of its own (a second one for the 2 h slot here) left "3 of
    N scheduled scores done" as it was, which read as not counted."""
    api = f"/api/v1/diary/{running.diary_token}/entries"
    assert client.post(api, json={"pain": 6, "client_id": "on-time-1"}).status_code == 201
    text = page(client, running)
    assert re.search(r"3 of \d+ scheduled scores done\.</p>", text)
    assert "extra score" not in page(client, running)  # kept, and still so
    for n, words in ((1, "Plus 1 extra score."), (2, "Plus 2 extra scores.")):
        clock.advance(timedelta(seconds=20))  # a score's change time is the clock's
        sent = client.post(api, json={"pain": 5, "client_id": f"extra-score-{n}"})
        assert sent.status_code == 201, sent.get_json()
        for _ in range(2):  # drawn, then kept
            text = page(client, running)
            assert re.search(rf"3 of \d+ scheduled scores done\. {words}</p>", text), re.findall(
                "due-count.*", text
            )
    spanish = client.get(url(running) + "?lang=es").get_data(as_text=True)
    assert "Más 2 puntuaciones adicionales." in spanish


def test_an_extra_score_changes_the_kept_pages_key(running, clock):
    """What the page says is due (the key's DueNotice) holds the extra scores: the key
    changes with one even where nothing else in it would."""
    from diary.patient.saved_list import page_entries
    from diary.services.progress import answered_due_times, due_notice

    record_entry(running, EntryInput(pain=4, client_id="on-time-1"), now=clock.now)  # 2 h
    db.session.commit()
    before = answered_due_times(page_entries(running.id))
    record_entry(running, EntryInput(pain=4, client_id="extra-key-1"), now=clock.now)
    db.session.commit()
    after = answered_due_times(page_entries(running.id))
    assert before[:2] == after[:2]  # the same due times answered
    old, new = due_notice(running, clock.now, *before), due_notice(running, clock.now, *after)
    assert (new.answered, new.extra) == (old.answered, old.extra + 1)
    assert new != old


def test_another_workers_score_is_shown_at_once(database_url, client, running):
    """Two workers, each its own kept pages: what one saves, the other shows at once (the
    diary's change time is read on each request)."""
    page(client, running)
    page(client, running)
    other_worker = make_app(database_url)
    try:
        sent = other_worker.test_client().post(
            f"/api/v1/diary/{running.diary_token}/entries",
            json={"pain": 9, "client_id": "worker-two-1"},
        )
    finally:
        with other_worker.app_context():
            db.engine.dispose()
    assert sent.status_code in (200, 201)
    db.session.expire_all()  # this test's own session; the app's requests read afresh
    assert scores(page(client, running))[-1] == "Pain 9/10"


def test_the_language_switch_is_followed_at_once(client, running):
    assert "Your pain diary" in page(client, running)
    assert "Your pain diary" in page(client, running)
    spanish = client.get(url(running) + "?lang=es").get_data(as_text=True)
    assert "Su diario de dolor" in spanish and "Dolor 2/10" in spanish
    assert "Su diario de dolor" in page(client, running)  # the cookie it set
    english = client.get(url(running) + "?lang=en").get_data(as_text=True)
    assert "Your pain diary" in english


def test_the_clock_moving_past_the_next_due_time_is_shown_at_once(client, running, clock):
    # 2 h 10 min in, the 2 h score missing: due now, and the next one at 3 h.
    text = page(client, running)
    assert "A score is due now" in text
    next_due = re.search(r"The next one is due at (\d\d:\d\d)", text)[1]
    assert f"The next one is due at {next_due}" in page(client, running)  # kept
    clock.advance(timedelta(minutes=55))  # past the 3 h due time
    text = page(client, running)
    assert f"it was due at {next_due}" in text
    assert f"The next one is due at {next_due}" not in text


def test_the_diary_window_ending_is_shown_at_once(client, running, clock):
    assert "The diary window is over" not in page(client, running)
    page(client, running)
    clock.advance(timedelta(days=30))
    running.link_expires_at = clock.now + timedelta(days=1)  # the link still open
    db.session.commit()
    assert "The diary window is over" in page(client, running)


def test_a_closed_link_is_closed_at_once(client, running, clock):
    page(client, running)
    page(client, running)
    running.link_revoked_at = clock.now
    db.session.commit()
    assert client.get(url(running)).status_code == 410


def test_a_clinic_change_is_shown_at_once(client, world, running):
    page(client, running)
    assert "Clinic A" in page(client, running)
    world.clinic.name = "Clinic Renamed"  # the diary itself unchanged
    world.clinic.contact_line = "Call 555-0100"
    db.session.commit()
    text = page(client, running)
    assert "Clinic Renamed" in text and "Call 555-0100" in text


def test_a_flashed_message_is_shown_once_and_never_kept(client, running):
    page(client, running)
    posted = client.post(url(running) + "/entries", data={"client_id": form_id(), "pain": "5"})
    assert posted.status_code == 302
    assert "Saved. Thank you.</p>" in page(client, running)
    assert "Saved. Thank you.</p>" not in page(client, running)
    assert "Saved. Thank you.</p>" not in page(client, running)


def test_a_page_with_errors_is_never_kept(app, client, running):
    refused = client.post(
        url(running) + "/entries", data={"client_id": form_id(), "pain": "11", "note": "x" * 2000}
    )
    assert refused.status_code == 400
    error = refused.get_data(as_text=True)
    assert 'class="field-error"' in error
    for _ in range(2):
        text = page(client, running)
        assert 'class="field-error"' not in text and "x" * 2000 not in text


def test_a_page_is_cut_only_where_each_value_is_once_and_in_order():
    assert split_page("a TOKEN b ID c", ["TOKEN", "ID"]) == ("a ", " b ", " c")
    assert filled(("a ", " b ", " c"), ["T2", "I2"]) == "a T2 b I2 c"
    assert split_page("a TOKEN b TOKEN ID", ["TOKEN", "ID"]) is None  # twice
    assert split_page("a ID b TOKEN", ["TOKEN", "ID"]) is None  # out of order
    assert split_page("a TOKEN", ["TOKEN", "ID"]) is None  # missing
    assert split_page("a TOKEN", [""]) is None
    with pytest.raises(ValueError):
        filled(("a", "b"), ["1", "2"])


def test_kept_pages_are_bounded():
    pages = KeptPages(max_items=3, max_chars=100)
    for n in range(5):
        pages.keep(n, ("x" * 10, "y"))
    assert len(pages) == 3 and pages.get(0) is None and pages.get(4) is not None
    pages.keep("big", ("z" * 60,))
    pages.keep("bigger", ("z" * 60,))
    assert pages.chars <= 100 and pages.get("big") is None
    pages.keep("too big", ("z" * 101,))
    assert pages.get("too big") is None


def test_frozen_values_differ_where_the_values_do():
    assert frozen({"a": [1, 2]}) == frozen({"a": [1, 2]})
    assert frozen({"a": [1, 2]}) != frozen({"a": [1, 3]})
    assert hash(frozen([{"b": [None]}])) is not None
    assert frozen({1, 2}) != frozen({1, 2})  # unhashable and unknown: never found again


@pytest.mark.parametrize("daily_days", [0, 3])
def test_the_due_notice_says_what_the_diarys_progress_says(world, clock, daily_days):
    """The page's one-pass DueNotice against the full progress, at every 7 minutes of the
    diary and its daily days, with scores from the phone, from paper and late."""
    from diary.patient.saved_list import page_entries
    from diary.services.progress import (
        DueNotice,
        answered_due_times,
        diary_progress,
        due_notice,
    )

    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=clock.now - timedelta(days=8)
    )
    block.daily_days = daily_days
    block.link_expires_at = clock.now + timedelta(days=1)
    add_entries(block, {0.5: 2, 1: 3, 2.2: 4})
    start = block.performed_at
    record_entry(
        block,
        EntryInput(pain=4, recorded_at=start + timedelta(hours=3)),
        transcribed_by=world.clinician,
        now=start + timedelta(hours=5),
    )
    record_entry(  # long after the window
        block,
        EntryInput(pain=5, recorded_at=start + timedelta(days=7), client_id="late-score-1"),
        now=start + timedelta(days=7),
    )
    db.session.commit()
    entries = page_entries(block.id)
    assert {entry.source for entry in entries} == {"patient", "transcribed"}
    answered = answered_due_times(entries)
    at = start - timedelta(hours=1)
    seen = set()
    while at < start + timedelta(days=daily_days + 2):
        notice = due_notice(block, at, *answered)
        # The full progress reads the block's entries (the page's rows hold only what
        # the page needs).
        assert notice == DueNotice.of(diary_progress(block, at)), at
        seen.add(notice)
        at += timedelta(minutes=7)
    assert len(seen) > 5 + daily_days  # the walk passed through many states


# What the diary page's templates read from outside: each is in the kept page's key
# (diary/patient/routes.py, _diary_page) or is the same for every request of the app.
READ_BY_THE_PAGE = {
    # In the key: the block and its clinic (every column), the language, the day, the
    # due section; made from those: the form, its saved list, instructions, safety text.
    "block", "due", "today", "tz", "current_language", "form", "saved_list",
    "instructions", "safety_text", "open_instructions", "entry_fields",
    # Per request, never kept: flashed messages (a page with them is drawn afresh); the
    # entry id and CSRF token (hidden_fields, put in a kept page each time).
    "get_flashed_messages", "hidden_fields",
    # The same for every request of the app (config: VAPID_PUBLIC_KEY is in the key).
    "config", "url_for", "_", "ngettext", "LANGUAGES", "REGION_WORDS", "SIDE_WORDS",
    # Set by the templates themselves, inside a macro or block (Jinja's meta counts them).
    "attributes", "described", "flags", "day_now", "day_next", "field", "form_errors",
}  # fmt: skip
PAGE_TEMPLATES = (
    "base.html",
    "_macros/forms.html",
    "patient/diary.html",
    "patient/_language.html",
    "patient/_procedure.html",
    "patient/_instructions.html",
    "patient/_pain_scales.html",
    "patient/_clinic.html",
    "patient/_entry_fields.html",
)


def test_the_page_reads_nothing_its_key_leaves_out(app):
    """A template that starts reading something new (the request, the signed-in user, the
    clock) fails here until the kept page's key holds it."""
    from jinja2 import Environment, meta

    # A bare environment: the app's counts its own globals (request, session, g) as read.
    bare = Environment(
        loader=app.jinja_loader, extensions=list(app.jinja_env.extensions), autoescape=True
    )
    bare.filters.update(app.jinja_env.filters)
    read, includes = set(), set()
    for name in PAGE_TEMPLATES:
        parsed = bare.parse(bare.loader.get_source(bare, name)[0])
        read |= meta.find_undeclared_variables(parsed)
        includes |= set(meta.find_referenced_templates(parsed))
    assert includes <= set(PAGE_TEMPLATES), includes - set(PAGE_TEMPLATES)
    assert read <= READ_BY_THE_PAGE, sorted(read - READ_BY_THE_PAGE)
