"""A field sent twice is two answers to one question (``pain=3&pain=7``): refused with a
400 that says so, in the page's language, and nothing written. WTForms kept the first
value and the API's parser the last, each saying nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import DiaryEntry, EntryRevision
from tests.conftest import form_id
from tests.test_patient_diary import said_at_the_top
from tests.test_sides import apart_block

TWICE_EN = "Two answers were sent for this question"
TWICE_ES = "Se enviaron dos respuestas para esta pregunta"


def entry_count() -> int:
    return db.session.execute(select(func.count(DiaryEntry.id))).scalar_one()


def form(*pairs: tuple[str, str]) -> str:
    """A form body in the order given, a name as often as it is given."""
    from urllib.parse import urlencode

    return urlencode(pairs)


def post_form(client, url: str, *pairs: tuple[str, str], language: str = "en"):
    """``pairs`` posted as a form; to a patient's diary with the one-time id its page draws,
    unless the pairs bring their own."""
    if url.startswith("/d/") and url.endswith("/entries") and "client_id" not in dict(pairs):
        pairs = (("client_id", form_id()), *pairs)
    return client.post(
        url,
        data=form(*pairs),
        content_type="application/x-www-form-urlencoded",
        headers={"Accept-Language": language},
    )


@pytest.mark.parametrize(
    "pairs",
    [
        [("pain", "3"), ("pain", "7")],
        [("pain", "3"), ("pain", "3")],  # the same twice is refused as well: sent twice
        [("pain", "3"), ("relief_pct", "20"), ("relief_pct", "80")],
        [("pain", "3"), ("activity", "stand up"), ("activity", "walk")],
        [("pain", "3"), ("activity_other", "gardening"), ("activity_other", "cooking")],
        [("pain", "3"), ("note", "a"), ("note", "b")],
        [("pain", "3"), ("recorded_at", "2026-01-01T10:00"), ("recorded_at", "2026-01-01T11:00")],
        [("pain", "3"), ("side_effect_note", "a"), ("side_effect_note", "b")],
    ],
    ids=["pain", "pain-same", "relief", "activity", "other", "note", "time", "side-effect"],
)
def test_a_diary_field_sent_twice_is_refused_and_nothing_is_saved(client, world, pairs):
    url = f"/d/{world.block.diary_token}/entries"
    refused = post_form(client, url, *pairs)
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    # Said beside the question once, and at the top of the page (where it opens) once.
    assert page.count(TWICE_EN) == 2, page
    assert TWICE_EN in said_at_the_top(page)
    assert "Traceback" not in page
    assert entry_count() == 0
    # The same answers sent once are taken (but an earlier time, outside this diary).
    once = [pair for pair in dict(pairs).items() if pair[0] != "recorded_at"]
    assert post_form(client, url, *once).status_code == 302
    assert entry_count() == 1


def test_the_refusal_is_in_the_pages_language(client, world):
    url = f"/d/{world.block.diary_token}/entries"
    refused = post_form(client, url, ("pain", "3"), ("pain", "7"), language="es")
    assert refused.status_code == 400
    assert TWICE_ES in refused.get_data(as_text=True)
    assert entry_count() == 0


def test_side_effects_may_be_ticked_together(client, world):
    url = f"/d/{world.block.diary_token}/entries"
    pairs = [("pain", "3"), ("side_effects", "numbness"), ("side_effects", "headache")]
    assert post_form(client, url, *pairs).status_code == 302
    assert entry_count() == 1


def test_a_field_the_page_does_not_show_sent_twice_is_said_above_the_form(client, world):
    """The entry id (a hidden field) and the one score of a block scored per side are not
    drawn with errors: the refusal is said above the form."""
    url = f"/d/{world.block.diary_token}/entries"
    ids = [("pain", "3"), ("client_id", "first-id-0001"), ("client_id", "other-id-0002")]
    refused = post_form(client, url, *ids)
    assert refused.status_code == 400
    assert "sent with one of its fields twice" in refused.get_data(as_text=True)
    apart = apart_block(world)
    db.session.commit()
    scores = [("pain_left", "3"), ("pain_right", "4"), ("pain", "3"), ("pain", "7")]
    refused = post_form(client, f"/d/{apart.diary_token}/entries", *scores)
    assert refused.status_code == 400
    assert "sent with one of its fields twice" in refused.get_data(as_text=True)
    both = [("pain_left", "3"), ("pain_left", "6"), ("pain_right", "4")]
    refused = post_form(client, f"/d/{apart.diary_token}/entries", *both)
    assert refused.status_code == 400 and TWICE_EN in refused.get_data(as_text=True)
    assert entry_count() == 0


def test_a_correction_with_a_field_sent_twice_changes_nothing(client, world):
    url = f"/d/{world.block.diary_token}/entries"
    assert post_form(client, url, ("pain", "3")).status_code == 302
    entry = db.session.scalars(select(DiaryEntry)).one()
    edit = f"/d/{world.block.diary_token}/entries/{entry.id}/edit"
    refused = post_form(client, edit, ("pain", "5"), ("pain", "8"))
    assert refused.status_code == 400 and TWICE_EN in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(DiaryEntry, entry.id).pain == 3
    assert db.session.execute(select(func.count(EntryRevision.id))).scalar_one() == 0


def test_a_paper_entry_with_a_field_sent_twice_is_refused(client, signed_in):
    block = signed_in.block
    day = block.performed_at.date().isoformat()
    pairs = [("recorded_date", day), ("recorded_time", "10:00"), ("pain", "3"), ("pain", "7")]
    refused = post_form(client, f"/blocks/{block.id}/entries", *pairs)
    assert refused.status_code == 400 and TWICE_EN in refused.get_data(as_text=True)
    assert entry_count() == 0


def post_json(client, url: str, text: str, language: str = "en"):
    return client.post(
        url,
        data=text,
        content_type="application/json",
        headers={"Accept-Language": language},
    )


@pytest.mark.parametrize(
    "body",
    [
        '{"pain": 3, "pain": 7, "client_id": "repeated-0001"}',
        '{"pain": 3, "client_id": "repeated-0001", "client_id": "repeated-0002"}',
        '{"pain": 3, "activity": "walk", "activity": "stand up"}',
        '{"pain": 3, "recorded_at": "2026-01-01T10:00:00Z", "recorded_at": null}',
        '{"pain": 3, "relief_pct": 10, "relief_pct": 90}',
        '{"pain": 3, "p\\u0061in": 7}',  # the same name, written another way
    ],
)
def test_a_json_entry_naming_a_field_twice_is_refused(client, world, body):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    refused = post_json(client, url, body)
    assert refused.status_code == 400
    problem = refused.get_json()
    assert "was sent twice in one request" in problem["detail"]
    assert list(problem["errors"]) == [next(iter(problem["errors"]))]
    assert entry_count() == 0


def test_the_json_refusal_is_in_the_phones_language_and_a_retry_is_stored_once(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    refused = post_json(client, url, '{"pain": 3, "pain": 7, "client_id": "queued-0001"}', "es")
    assert refused.status_code == 400
    assert "se envió dos veces" in refused.get_json()["detail"]
    # The offline queue's own body, sent again (same client_id): stored once.
    body = json.dumps({"pain": 3, "client_id": "queued-0001"})
    assert post_json(client, url, body).status_code == 201
    assert post_json(client, url, body).status_code == 200
    assert entry_count() == 1
    # Keys repeated in different objects are not a field sent twice.
    nested = json.dumps({"pain": 4, "client_id": "queued-0002", "side_effects": []})
    assert post_json(client, url, nested).status_code == 201
    assert entry_count() == 2


def test_a_json_correction_naming_a_field_twice_changes_nothing(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/entries"
    stored = post_json(client, url, json.dumps({"pain": 3, "client_id": "fix-0001"})).get_json()
    refused = client.patch(
        f"{url}/{stored['id']}", data='{"pain": 5, "pain": 8}', content_type="application/json"
    )
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(DiaryEntry, stored["id"]).pain == 3


def test_the_diary_form_posted_as_json_naming_a_field_twice_is_refused(client, world):
    """Flask-WTF reads a JSON body as the form's data too, keeping one of a repeated
    member's values."""
    url = f"/d/{world.block.diary_token}/entries"
    refused = post_json(client, url, '{"client_id": "json-form-0001", "pain": "3", "pain": "7"}')
    assert refused.status_code == 400 and TWICE_EN in refused.get_data(as_text=True)
    assert entry_count() == 0
    assert post_json(client, url, '{"client_id": "json-form-0002", "pain": "3"}').status_code == 302
    assert entry_count() == 1


@pytest.mark.parametrize(
    "pairs, where",
    [
        ([("pain", "2"), ("pain", "8")], TWICE_EN),
        ([("pain", "2"), ("relief_pct", "10"), ("relief_pct", "90")], TWICE_EN),
        ([("pain", "2"), ("pgic", "2"), ("pgic", "6")], "sent with one of its fields twice"),
        ([("pain", "2"), ("new_treatment", "no"), ("new_treatment", "yes")], "fields twice"),
    ],
    ids=["pain", "relief", "pgic", "new-treatment"],
)
def test_a_check_in_with_a_field_sent_twice_is_refused(client, world, pairs, where):
    from diary.models import Checkin
    from tests.test_followup import _open_ablation

    ablation = _open_ablation(world)
    url = f"/f/{ablation.followup_token}/checkins"
    refused = post_form(client, url, *pairs, ("client_id", "check-in-twice-1"))
    assert refused.status_code == 400 and where in refused.get_data(as_text=True)
    assert db.session.execute(select(func.count(Checkin.id))).scalar_one() == 0
    once = [*dict(pairs).items(), ("client_id", "check-in-once-1")]
    assert post_form(client, url, *once).status_code == 302
