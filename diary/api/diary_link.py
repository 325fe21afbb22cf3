"""The diary link's operations: what the patient's phone reads and sends with the
block's token, and nothing that identifies the patient."""

from __future__ import annotations

from flask import abort, current_app
from flask_babel import gettext

from diary.access import block_for_token_or_404, entry_of_block_or_404
from diary.api import schemas
from diary.api.blueprint import api
from diary.api.entries import changed_entry_values, store_entry
from diary.api.problems import ApiProblem
from diary.api.serializers import entry_answer, public_diary_answer
from diary.extensions import db, diary_token_limit
from diary.models import Block, utcnow
from diary.reminders.subscriptions import subscribe_push, unsubscribe_push
from diary.services.entries import CORRECTIONS_CLOSED, correct_entry, post_entry, posted_diary
from diary.services.progress import diary_window_over
from diary.services.rejections import InputRejected


def open_diary_or_410(token: str) -> Block:
    block = block_for_token_or_404(token)
    if not block.link_open(utcnow()):
        raise ApiProblem(410, "This diary link is closed; please contact your clinic.")
    return block


@api.get(
    "/diary/<token>",
    summary="The diary as the patient's phone shows it",
    answers={200: schemas.PublicDiary},
    problems=(404, 410),
    public=True,
)
@diary_token_limit
def diary(token: str):
    return public_diary_answer(open_diary_or_410(token))


@api.post(
    "/diary/<token>/entries",
    summary="Log a pain score (resending is safe)",
    body=schemas.EntryInput,
    answers={201: schemas.Entry, 200: schemas.Entry},
    notes={200: "Already stored (same client_id)"},
    problems=(404, 410),
    public=True,
)
@diary_token_limit
def diary_add_entry(token: str):
    diary = posted_diary(token)
    if diary is None:
        abort(404)
    return store_entry(diary, api.body(), post_entry)


@api.patch(
    "/diary/<token>/entries/<int:entry_id>",
    summary="Correct some of an entry's fields (those left out are kept); the earlier "
    "values are kept in its history",
    body=schemas.EntryChanges,
    answers={200: schemas.Entry},
    problems=(404, 409, 410),
    public=True,
)
@diary_token_limit
def diary_correct_entry(token: str, entry_id: int):
    block = open_diary_or_410(token)
    entry = entry_of_block_or_404(block, entry_id)
    if diary_window_over(block):
        raise ApiProblem(409, gettext(CORRECTIONS_CLOSED))
    try:
        correct_entry(entry, changed_entry_values(entry, api.body()), replaced_by="patient")
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return entry_answer(entry)


@api.post(
    "/diary/<token>/push",
    summary="Turn on reminders for this diary on this phone",
    body=schemas.PushSubscription,
    answers={201: schemas.Subscribed},
    problems=(404, 410),
    public=True,
)
@diary_token_limit
def diary_subscribe(token: str):
    block = open_diary_or_410(token)
    body: schemas.PushSubscription = api.body()
    try:
        subscribe_push(
            block,
            body.endpoint,
            body.keys.p256dh,
            body.keys.auth,
            current_app.config["PUSH_SERVICE_HOSTS"],
        )
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return schemas.Subscribed(subscribed=True), 201


@api.delete(
    "/diary/<token>/push",
    summary="Turn reminders off on this phone",
    body=schemas.PushEndpoint,
    answers={204: None},
    problems=(404,),
    public=True,
)
@diary_token_limit
def diary_unsubscribe(token: str):
    block = block_for_token_or_404(token)
    if not unsubscribe_push(block, api.body().endpoint):
        raise ApiProblem(404, "No such subscription for this diary.")
    db.session.commit()
    return "", 204
