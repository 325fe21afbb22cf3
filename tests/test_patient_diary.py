"""The patient's diary link, through the real HTTP interface."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_skeleton
from sqlalchemy import func, select

from diary.extensions import db
from diary.forms import utc_to_clinic_time
from diary.models import DiaryEntry, EntryRevision
from tests.conftest import add_entries, block_at, form_id, make_block
from tests.test_repeated_staff_fields import drawn_form, filled, post


def entry_count() -> int:
    return db.session.execute(select(func.count(DiaryEntry.id))).scalar_one()


def diary_url(block) -> str:
    return f"/d/{block.diary_token}"


def local_input(moment: datetime, tz: str = "America/Chicago") -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def test_diary_page_shows_procedure_scale_and_due_time(client, world):
    response = client.get(diary_url(world.block))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert (
        'Low back (lumbar) medial branch block (<span class="nowrap">L4-L5</span>, '
        '<span class="nowrap">L5-S1</span>, right side)' in page
    )
    assert page.count('name="pain"') == 11
    for word in ("No pain", "Moderate", "Worst"):
        assert word in page
    # Opened 3 h after the block with nothing logged: the 3 h score is due now.
    assert "A score is due now (it was due at" in page and "The next one is due at" in page
    assert "stand up" in page  # the block's provocative activity is offered


def test_a_score_made_early_answers_its_slot_and_the_page_moves_on(client, world, clock):
    # Today at noon in Chicago, so that both due times fall on the block's day: after
    # 22:00 there, the 2 h one is tomorrow and the page rightly gives its date too.
    clock.set(datetime.now(UTC).replace(hour=18, minute=0, second=0, microsecond=0))
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=clock() - timedelta(minutes=55)
    )
    db.session.commit()
    due = [block.performed_at + timedelta(hours=h) for h in (1, 2)]
    one_h, two_h = (utc_to_clinic_time(d, world.clinic.timezone).strftime("%H:%M") for d in due)
    page = client.get(diary_url(block)).get_data(as_text=True)
    assert f"Next score due at {one_h}" in page
    client.post(
        diary_url(block) + "/entries", data={"client_id": form_id(), "pain": "3"}
    )  # 5 minutes early
    page = client.get(diary_url(block)).get_data(as_text=True)
    assert f"Next score due at {two_h}" in page and "A score is due now" not in page


def test_a_due_time_on_another_day_shows_its_date(client, world):
    block = block_at(world, timedelta(days=2))
    page = client.get(diary_url(block)).get_data(as_text=True)
    due = utc_to_clinic_time(block.performed_at + timedelta(minutes=15), world.clinic.timezone)
    assert f"Next score due at {due:%b} {due.day}, {due.year}, {due:%H:%M}" in page


def test_after_the_window_only_late_entries_with_their_time_are_offered(client, world):
    block = block_at(world, -timedelta(hours=10))
    felt = block.performed_at + timedelta(hours=2)
    client.post(
        diary_url(block) + "/entries",
        data={"client_id": form_id(), "pain": "2", "recorded_at": local_input(felt)},
    )
    page = client.get(diary_url(block)).get_data(as_text=True)
    assert "The diary window is over. Thank you!" in page
    assert "Forgot a score? You can still add it below, with the time you felt the pain" in page
    assert "When did you feel this pain?" in page and "right now" not in page
    assert "/edit" not in page  # no "Correct" links
    no_time = client.post(diary_url(block) + "/entries", data={"client_id": form_id(), "pain": "4"})
    assert no_time.status_code == 400
    assert "Add the time you felt this pain" in no_time.get_data(as_text=True)
    entry = db.session.execute(
        select(DiaryEntry).where(DiaryEntry.block_id == block.id)
    ).scalar_one()
    edit = client.get(f"{diary_url(block)}/entries/{entry.id}/edit", follow_redirects=True)
    assert "scores can no longer be corrected here" in edit.get_data(as_text=True)
    api = client.patch(f"/api/v1/diary/{block.diary_token}/entries/{entry.id}", json={"pain": 0})
    assert api.status_code == 409
    db.session.refresh(entry)
    assert entry.pain == 2


def test_an_entry_post_asks_once_whether_the_window_is_over(client, world, monkeypatch):
    """The post's check and the page answering it (its late-entry form, its correction
    links, what is due) read one answer, found at one moment."""
    from diary.patient import routes
    from diary.services import progress

    asked = []

    def counted(block, now=None):
        asked.append(now)
        return progress.diary_window_over(block, now)

    monkeypatch.setattr(routes, "diary_window_over", counted)
    block = block_at(world, -timedelta(hours=10))
    no_time = client.post(diary_url(block) + "/entries", data={"client_id": form_id(), "pain": "4"})
    assert no_time.status_code == 400 and len(asked) == 1
    assert "Add the time you felt this pain" in no_time.get_data(as_text=True)
    assert (
        client.post(diary_url(block) + "/entries", data={"client_id": form_id()}).status_code == 400
    )
    assert len(asked) == 2


def test_the_scores_of_a_finished_diary_show_their_dates(client, world):
    """Read the day after, "08:45" alone would not say which day; each score is dated."""
    block = block_at(world, -timedelta(hours=20))
    add_entries(block, {0.25: 3, 4: 2})
    db.session.commit()
    for language in ("en", "es"):
        page = client.get(diary_url(block), headers={"Accept-Language": language})
        times = re.findall(r'<span class="entry-time">([^<]+)</span>', page.get_data(as_text=True))
        expected = [
            format_skeleton("MMMEd", felt, locale=language) + felt.strftime(", %H:%M")
            for felt in (
                utc_to_clinic_time(block.performed_at + timedelta(hours=h), world.clinic.timezone)
                for h in (0.25, 4)
            )
        ]
        assert times == expected, language


def test_token_is_long_and_random(world):
    assert len(world.block.diary_token) >= 22  # 128 bits in base64url
    assert world.block.diary_token != world.other_block.diary_token


def test_unknown_token_is_404(client, world):
    assert client.get("/d/not-a-real-token").status_code == 404
    assert client.post("/d/not-a-real-token/entries", data={"pain": "3"}).status_code == 404


def test_saving_an_entry_stores_it_and_shows_it(client, world):
    response = client.post(
        diary_url(world.block) + "/entries", data={"pain": "3", "client_id": "abcdefgh1234"}
    )
    assert response.status_code == 302
    assert response.location.endswith(diary_url(world.block) + "#main")
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    assert (entry.pain, entry.block_id, entry.client_id) == (3, world.block.id, "abcdefgh1234")
    assert abs(entry.recorded_at - datetime.now(UTC)) < timedelta(seconds=30)
    page = client.get(diary_url(world.block)).get_data(as_text=True)
    assert "Saved. Thank you." in page
    assert "Pain 3/10" in page
    assert "1 of 10 scheduled scores done" in page


def test_optional_fields_are_stored(client, world):
    client.post(
        diary_url(world.block) + "/entries",
        data={"client_id": form_id(), "pain": "2", "relief_pct": "70", "activity": "bend forward"},
    )
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    assert (entry.reported_relief_pct, entry.activity) == (70, "bend forward")


def test_free_text_activity(client, world):
    client.post(
        diary_url(world.block) + "/entries",
        data={
            "client_id": form_id(),
            "pain": "2",
            "activity": "__other__",
            "activity_other": "gardening",
        },
    )
    assert db.session.execute(select(DiaryEntry.activity)).scalar_one() == "gardening"


def test_double_tap_with_same_client_id_is_stored_once(client, world):
    data = {"pain": "4", "client_id": "same-submission-01"}
    first = client.post(diary_url(world.block) + "/entries", data=data)
    second = client.post(diary_url(world.block) + "/entries", data=data)
    assert first.status_code == second.status_code == 302
    assert entry_count() == 1
    assert "Already saved" in client.get(diary_url(world.block)).get_data(as_text=True)


@pytest.mark.parametrize("pain", ["11", "-1", "3.5", "abc", "", None])
def test_wrong_pain_is_refused_with_a_message_and_nothing_stored(client, world, pain):
    data = {"client_id": form_id()} | ({} if pain is None else {"pain": pain})
    response = client.post(diary_url(world.block) + "/entries", data=data)
    assert response.status_code == 400
    assert "Choose your pain score: tap a number from 0 to 10." in response.get_data(as_text=True)
    assert entry_count() == 0


@pytest.mark.parametrize("relief", ["101", "-5", "lots"])
def test_wrong_relief_is_refused(client, world, relief):
    response = client.post(
        diary_url(world.block) + "/entries",
        data={"client_id": form_id(), "pain": "3", "relief_pct": relief},
    )
    assert response.status_code == 400
    assert entry_count() == 0


def test_earlier_time_is_kept(client, world):
    earlier = world.block.performed_at + timedelta(minutes=30)
    client.post(
        diary_url(world.block) + "/entries",
        data={"client_id": form_id(), "pain": "1", "recorded_at": local_input(earlier)},
    )
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    assert entry.recorded_at == earlier.replace(second=0, microsecond=0)


def test_time_before_the_procedure_is_refused(client, world):
    before = world.block.performed_at - timedelta(hours=1)
    response = client.post(
        diary_url(world.block) + "/entries",
        data={"client_id": form_id(), "pain": "1", "recorded_at": local_input(before)},
    )
    assert response.status_code == 400
    assert "cannot be before the procedure" in response.get_data(as_text=True)
    assert entry_count() == 0


def test_time_in_the_future_is_refused(client, world):
    later = datetime.now(UTC) + timedelta(hours=1)
    response = client.post(
        diary_url(world.block) + "/entries",
        data={"client_id": form_id(), "pain": "1", "recorded_at": local_input(later)},
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.get_data(as_text=True)
    assert entry_count() == 0


def test_revoked_link_gives_a_clear_page_and_stores_nothing(client, world):
    world.block.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(diary_url(world.block)).status_code == 410
    response = client.post(diary_url(world.block) + "/entries", data={"pain": "2"})
    assert response.status_code == 410
    assert "This diary link is closed" in response.get_data(as_text=True)
    assert entry_count() == 0


def test_expired_link_gives_a_clear_page_and_stores_nothing(client, world):
    world.block.link_expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    response = client.post(diary_url(world.block) + "/entries", data={"pain": "2"})
    assert response.status_code == 410
    assert "contact your clinic" in response.get_data(as_text=True)
    assert entry_count() == 0


def test_token_only_reaches_its_own_block(client, world):
    client.post(
        diary_url(world.other_block) + "/entries", data={"client_id": form_id(), "pain": "5"}
    )
    other_entry = db.session.execute(select(DiaryEntry)).scalar_one()
    # the other block's entry cannot be seen or corrected through this block's token
    url = f"{diary_url(world.block)}/entries/{other_entry.id}/edit"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"pain": "0"}).status_code == 404
    db.session.refresh(other_entry)
    assert other_entry.pain == 5
    assert "Pain 5/10" not in client.get(diary_url(world.block)).get_data(as_text=True)


def test_correction_keeps_history(client, world):
    client.post(
        diary_url(world.block) + "/entries", data={"pain": "6", "client_id": "entry-one-xx"}
    )
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    edit_url = f"{diary_url(world.block)}/entries/{entry.id}/edit"
    form = client.get(edit_url)
    assert form.status_code == 200
    assert re.search(r'<input checked[^>]*value="6"', form.get_data(as_text=True))
    response = client.post(
        edit_url, data={"pain": "2", "recorded_at": local_input(entry.recorded_at)}
    )
    assert response.status_code == 302
    db.session.refresh(entry)
    assert entry.pain == 2 and entry.updated_at is not None
    revision = db.session.execute(select(EntryRevision)).scalar_one()
    assert (revision.entry_id, revision.pain, revision.replaced_by) == (entry.id, 6, "patient")
    assert "(corrected)" in client.get(diary_url(world.block)).get_data(as_text=True)


def test_after_a_save_or_a_correction_the_page_opens_at_its_notice(client, world):
    """Outside trial, without script: the page opened at the scores (#entries), below the
    "Saved" notice at the top, so the patient saw no word of it. It opens at the notice."""
    url = diary_url(world.block)
    saved = client.post(f"{url}/entries", data={"client_id": form_id(), "pain": "6"})
    assert saved.location.endswith(f"{url}#main")
    page = client.get(url).get_data(as_text=True)
    # The notice is the first thing in <main id="main">: where the page opens.
    opened_at = page.split('<main id="main">', 1)[1].lstrip()
    assert opened_at.startswith('<p class="flash flash-success" role="status">Saved. Thank you.')
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    edit_url = f"{url}/entries/{entry.id}/edit"
    corrected = client.post(
        edit_url, data={"pain": "2", "recorded_at": local_input(entry.recorded_at)}
    )
    assert corrected.location.endswith(f"{url}#main")
    page = client.get(url).get_data(as_text=True)
    opened_at = page.split('<main id="main">', 1)[1].lstrip()
    assert opened_at.startswith('<p class="flash flash-success" role="status">Corrected.')


def test_a_correction_form_as_drawn_keeps_what_the_patient_does_not_change(client, world):
    """The correction form is drawn with the entry's values, its note too: changing only
    the score keeps the relief, activity and note (a second correction erased the note,
    which was drawn empty; outside trial)."""
    client.post(
        diary_url(world.block) + "/entries",
        data={"client_id": form_id(), "pain": "6", "relief_pct": "40", "activity_other": "Standing",
              "note": "felt better after walking"},
    )  # fmt: skip
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    edit_url = f"{diary_url(world.block)}/entries/{entry.id}/edit"
    for pain in ("5", "4"):  # a second correction reads the form the first left
        drawn = drawn_form(client, edit_url, edit_url)
        assert post(client, edit_url, filled(drawn, {"pain": pain})).status_code == 302
    db.session.refresh(entry)
    assert (entry.pain, entry.reported_relief_pct, entry.activity, entry.note) == (
        4, 40, "Standing", "felt better after walking",
    )  # fmt: skip


def test_the_correction_page_is_worded_as_a_correction_of_that_score(client, world):
    client.post(diary_url(world.block) + "/entries", data={"client_id": form_id(), "pain": "6"})
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    url = f"{diary_url(world.block)}/entries/{entry.id}/edit"
    page = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    at = utc_to_clinic_time(entry.recorded_at, world.clinic.timezone).strftime("%H:%M")
    assert re.search(rf"Your pain score for \w+ \d+, \d{{4}}, {at} \(0 to 10\)", page)
    assert "Time of this score" in page
    assert "right now" not in page and "Logging an earlier time" not in page
    spanish = client.get(url, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Su dolor anotado para" in spanish and "Hora de esta puntuación" in spanish
    assert "— elija —" in spanish and "Otra actividad (escríbala abajo)" in spanish
    assert "choose" not in spanish and "Another activity" not in spanish


def test_invalid_correction_changes_nothing(client, world):
    client.post(diary_url(world.block) + "/entries", data={"client_id": form_id(), "pain": "6"})
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    response = client.post(f"{diary_url(world.block)}/entries/{entry.id}/edit", data={"pain": "12"})
    assert response.status_code == 400
    db.session.refresh(entry)
    assert entry.pain == 6
    assert db.session.execute(select(func.count(EntryRevision.id))).scalar_one() == 0


def test_reminders_calendar_has_one_alarm_per_remaining_due_time(client, world):
    from icalendar import Calendar

    response = client.get(diary_url(world.block) + "/reminders.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.get_data())
    events = calendar.walk("VEVENT")
    # performed 3 h ago, lidocaine: 15, 30 min, 1..8 h; 4..8 h are still ahead
    assert len(events) == 5
    for event in events:
        assert len(event.walk("VALARM")) == 1
        assert str(event["dtstart"].dt.tzinfo) == "America/Chicago"
        assert world.block.diary_token in str(event["url"])
    starts = sorted(e["dtstart"].dt for e in events)
    assert starts[0] == (world.block.performed_at + timedelta(hours=4)).replace(microsecond=0)
    assert calendar.walk("VTIMEZONE")[0]["tzid"] == "America/Chicago"
    assert "J.S." not in response.get_data(as_text=True)


def test_reminders_for_a_closed_link_are_refused(client, world):
    world.block.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(diary_url(world.block) + "/reminders.ics").status_code == 410


def test_patient_page_is_light_on_the_wire(client, world):
    """Under 30 KB with every same-site file it loads (no chart, no framework)."""
    page = client.get(diary_url(world.block))
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert {"/static/css/app.css", "/static/js/diary.js"} <= set(assets)
    total = len(page.get_data())
    for asset in assets:
        with client.get(asset) as response:
            total += len(response.get_data())
    assert total < 30 * 1024, total


def test_a_correction_keeps_the_time_of_the_score_unless_it_is_changed(client, world):
    """The page shows the time to the minute: sent back as shown, it is not a change
    (cutting the seconds made 0.25 h read 0.24 h)."""
    block = world.block
    block.performed_at = block.performed_at.replace(second=37, microsecond=250000)
    add_entries(block, {0.25: 1})  # a score logged 15 minutes after the block
    db.session.commit()
    entry = db.session.execute(select(DiaryEntry)).scalar_one()
    logged = entry.recorded_at
    url = f"{diary_url(block)}/entries/{entry.id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert f'value="{local_input(logged)}"' in form
    assert (
        client.post(url, data={"pain": "2", "recorded_at": local_input(logged)}).status_code == 302
    )
    db.session.refresh(entry)
    assert (entry.pain, entry.recorded_at) == (2, logged)
    hours = client.get(f"/api/v1/diary/{block.diary_token}").get_json()["entries"][0]
    assert hours["hours_since_block"] == 0.25
    # A time the patient changes is the time typed.
    later = local_input(logged + timedelta(minutes=10))
    assert client.post(url, data={"pain": "2", "recorded_at": later}).status_code == 302
    db.session.refresh(entry)
    assert local_input(entry.recorded_at) == later and entry.recorded_at.second == 0


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "This form was out of date, so nothing was saved."),
        ("es", "Este formulario estaba desactualizado, así que no se guardó nada."),
    ],
)
def test_a_broken_entry_id_is_said_in_the_pages_language(client, world, language, said):
    """A malformed one-time id was refused with a 400 and no word on the page (outside
    trial): now a message the patient reads, with a new id to send the form again with."""
    url = diary_url(world.block) + "/entries"
    headers = {"Accept-Language": language}
    refused = client.post(url, data={"pain": "4", "client_id": "no!"}, headers=headers)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and said in page
    assert 'value="no!"' not in page
    fresh = re.search(r'name="client_id" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert db.session.scalar(select(func.count()).select_from(DiaryEntry)) == 0
    sent = client.post(url, data={"pain": "4", "client_id": fresh}, headers=headers)
    assert sent.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DiaryEntry)) == 1


@pytest.mark.parametrize("sent_id", [None, ""], ids=["missing", "empty"])
@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "This form was out of date, so nothing was saved."),
        ("es", "Este formulario estaba desactualizado, así que no se guardó nada."),
    ],
)
def test_an_entry_without_its_one_time_id_is_refused_as_a_broken_one(
    client, world, sent_id, language, said
):
    """Outside trial: the no-script form took a post with an empty client_id and stored it
    with none, so a resend of it would be stored twice. Every page draws an id: a post
    without one is refused as one with a malformed id is, and nothing is written."""
    url = diary_url(world.block) + "/entries"
    headers = {"Accept-Language": language}
    data = {"pain": "4"} | ({} if sent_id is None else {"client_id": sent_id})
    for _ in range(2):  # sent again, refused again
        refused = client.post(url, data=data, headers=headers)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 400 and said in page
        assert db.session.scalar(select(func.count()).select_from(DiaryEntry)) == 0
    fresh = re.search(r'name="client_id" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert re.search(r'<input checked name="pain"[^>]* value="4">', page)  # the answer kept
    for _ in range(2):  # with the id drawn on the refusal's page: stored once
        assert client.post(url, data={"pain": "4", "client_id": fresh}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(DiaryEntry)) == 1


def said_at_the_top(page: str) -> str:
    """The notice the page opens with, above its heading (empty if none)."""
    top = page[page.index('<main id="main">') : page.index("<h1>")]
    found = re.search(r'<p class="flash flash-error" role="status">(.*?)</p>', top, re.S)
    return found.group(1) if found else ""


@pytest.mark.parametrize(
    ("language", "said", "link"),
    [
        (
            "en",
            "Your score was not saved. Choose your pain score: tap a number from 0 to 10.",
            "Go to the question",
        ),
        (
            "es",
            "Su puntuación no se guardó. Elija su puntuación de dolor: "
            "toque un número del 0 al 10.",
            "Ir a la pregunta",
        ),
    ],
)
def test_a_score_left_out_is_said_at_the_top_with_a_link_to_its_question(
    client, world, language, said, link
):
    """Outside trial, without script: a post without a score drew the page again at its
    top with no word there; the only message was beside the scale, far down. Now the
    reason is said at the top, in the page's language, with a link to the question."""
    url = diary_url(world.block) + "/entries"
    refused = client.post(url, data={"client_id": form_id()}, headers={"Accept-Language": language})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert said_at_the_top(page) == f'{said} <a href="#pain-question">{link}</a>'
    assert '<div id="pain-question"><fieldset class="score-scale has-error"' in page
    assert entry_count() == 0


@pytest.mark.parametrize(
    ("sent", "question", "said"),
    [
        ({"pain_left": "3"}, "pain_right", "Choose a score for the right side"),
        ({"pain_right": "3"}, "pain_left", "Choose a score for the left side"),
        # Both left out: both said, with a link to the first.
        ({}, "pain_left", "Choose a score for each side, left and right: tap a number"),
    ],
)
def test_a_side_left_out_is_said_at_the_top_with_a_link_to_its_scale(
    client, world, sent, question, said
):
    from tests.test_sides import apart_block

    block = apart_block(world)
    db.session.commit()
    refused = client.post(f"{diary_url(block)}/entries", data={"client_id": form_id()} | sent)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    top = said_at_the_top(page)
    assert top.startswith(f"Your score was not saved. {said}")
    assert top.endswith(f'<a href="#{question}-question">Go to the question</a>')
    assert page.count(f'<div id="{question}-question">') == 1
    assert entry_count() == 0


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (
            "en",
            "Your score was not saved. Choose a score for each side, left and right: "
            "tap a number from 0 to 10.",
        ),
        (
            "es",
            "Su puntuación no se guardó. Elija una puntuación para cada lado, el izquierdo "
            "y el derecho: toque un número del 0 al 10.",
        ),
    ],
)
def test_both_sides_left_out_are_both_said_at_the_top(client, world, language, said):
    """Outside trial: a post without either side's score was told only of the left."""
    from tests.test_sides import apart_block

    block = apart_block(world)
    db.session.commit()
    refused = client.post(
        f"{diary_url(block)}/entries",
        data={"client_id": form_id()},
        headers={"Accept-Language": language},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert said_at_the_top(page).startswith(f"{said} <a href=")
    # Beside each scale, its own side's reason.
    assert page.count('<fieldset class="score-scale has-error"') == 2
    assert entry_count() == 0


def test_a_refused_relief_is_said_at_the_top_with_a_link_to_its_field(client, world):
    url = diary_url(world.block) + "/entries"
    data = {"client_id": form_id(), "pain": "4", "relief_pct": "150"}
    page = client.post(url, data=data).get_data(as_text=True)
    assert said_at_the_top(page) == (
        "Your score was not saved. Relief is a percentage from 0 to 100. "
        '<a href="#relief_pct">Go to the question</a>'
    )
    assert 'id="relief_pct"' in page and '<details class="optional" open>' in page


@pytest.mark.parametrize(
    ("language", "said", "call"),
    [
        ("en", "The score you just sent was not saved.", "please contact your clinic"),
        ("es", "La puntuación que acaba de enviar no se guardó.", "comuníquese con su clínica"),
    ],
)
def test_a_score_sent_to_a_closed_link_is_said_not_saved(client, world, language, said, call):
    """Outside trial, without script: Save after the clinic closed the link showed "This
    diary link is closed… The scores you saved are with your clinic.", and nothing said
    that this score was not. The closed page answering a post now says so, plainly, in
    the page's language, and still says whom to call."""
    world.block.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    headers = {"Accept-Language": language}
    data = {"client_id": form_id(), "pain": "2"}
    response = client.post(diary_url(world.block) + "/entries", data=data, headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert f'<p class="flash flash-error" role="alert">{said}</p>' in page
    assert page.index(said) < page.index("<h2")  # under the heading, before the clinic
    assert call in page and world.clinic.name in page
    assert entry_count() == 0
    viewed = client.get(diary_url(world.block), headers=headers).get_data(as_text=True)
    assert said not in viewed  # the page as viewed says nothing was sent


def test_a_correction_sent_to_a_closed_link_is_said_not_saved(client, world):
    add_entries(world.block, {1.0: 6})
    entry = db.session.scalars(select(DiaryEntry)).one()
    world.block.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    url = f"{diary_url(world.block)}/entries/{entry.id}/edit"
    response = client.post(url, data={"pain": "2"})
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "The correction you just sent was not saved." in page
    assert "The score you just sent" not in page
    assert db.session.get(DiaryEntry, entry.id).pain == 6


def test_a_link_closed_while_the_score_is_stored_says_it_was_not_saved(client, world, monkeypatch):
    """The link closed between the page's check and the write (services.entries refuses
    it): the same closed page, not the bare error page."""
    from diary.patient import routes
    from diary.services.rejections import DiaryClosed

    def closed(*args, **kwargs):
        raise DiaryClosed()

    monkeypatch.setattr(routes, "record_entry", closed)
    data = {"client_id": form_id(), "pain": "2"}
    response = client.post(diary_url(world.block) + "/entries", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "The score you just sent was not saved." in page and world.clinic.name in page
