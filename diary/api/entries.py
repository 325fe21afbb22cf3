"""Diary entries through the API: the body as the entries service's input, and the
answer for a stored entry (201 when new, 200 when the client_id was already stored)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import TypeVar

from sqlalchemy import Row

from diary.api import schemas
from diary.api.problems import ApiProblem
from diary.api.serializers import entry_answer
from diary.extensions import db
from diary.models import Block, DiaryEntry, PostedDiary
from diary.services.entries import EntryInput
from diary.services.rejections import DiaryClosed, InputRejected
from diary.services.sqlite_writers import one_writer_at_a_time


def entry_values(body: schemas.EntryCorrection) -> EntryInput:
    values = body.model_dump(exclude={"relief_pct"})
    return EntryInput(reported_relief_pct=body.relief_pct, **values)


def changed_entry_values(entry, body: schemas.EntryChanges) -> EntryInput:
    """The entry as it will read after a PATCH: the fields sent over those it has."""
    sent = body.model_dump(exclude_unset=True)
    if "relief_pct" in sent:
        sent["reported_relief_pct"] = sent.pop("relief_pct")
    kept = {
        name: getattr(entry, name)
        for name in (
            "recorded_at",
            "pain",
            "pain_left",
            "pain_right",
            "reported_relief_pct",
            "activity",
            "note",
        )
    }
    return EntryInput(**(kept | sent))


# The diary a view stores an entry in: a Block (staff transcribing, record_entry) or a
# PostedDiary (the patient's post, post_entry).
Diary = TypeVar("Diary", Block, PostedDiary)


def store_entry(
    diary: Diary,
    body: schemas.EntryInput,
    store: Callable[[Diary, EntryInput], tuple[DiaryEntry | Row | SimpleNamespace, bool]],
):
    """The entry ``store`` keeps in ``diary`` (``post_entry``, or ``record_entry`` with
    the staff member transcribing) and its answer, 201 when new, 200 when its client_id
    was stored already."""
    values = entry_values(body)
    with one_writer_at_a_time(db.session):
        try:
            entry, created = store(diary, values)
        except InputRejected as rejected:
            raise ApiProblem.rejected(rejected) from None
        except DiaryClosed:
            raise ApiProblem(410, "This diary link is closed; the entry was not stored.") from None
        # Before the commit, which would expire what it reads.
        answer = entry_answer(entry, diary)
        db.session.commit()
    return answer, 201 if created else 200
