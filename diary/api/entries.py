"""Diary entries through the API: the body as the entries service's input, and the
answer for a stored entry (201 when new, 200 when the client_id was already stored)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import Row

from diary.api import schemas
from diary.api.problems import ApiProblem
from diary.api.serializers import entry_answer
from diary.extensions import db
from diary.models import Block, DiaryEntry, PostedDiary, User
from diary.services.entries import EntryInput, post_entry, record_entry
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


def store_entry(
    block: Block | PostedDiary, body: schemas.EntryInput, transcribed_by: User | None = None
):
    """The entry stored in ``block`` (a diary read by ``posted_diary``: the patient's post)
    and its answer, 201 when new, 200 when its client_id was stored already."""
    values = entry_values(body)
    entry: DiaryEntry | Row | SimpleNamespace
    with one_writer_at_a_time(db.session):
        try:
            if isinstance(block, PostedDiary):
                entry, created = post_entry(block, values)
            else:
                entry, created = record_entry(block, values, transcribed_by=transcribed_by)
        except InputRejected as rejected:
            raise ApiProblem.rejected(rejected) from None
        except DiaryClosed:
            raise ApiProblem(410, "This diary link is closed; the entry was not stored.") from None
        # Before the commit, which would expire what it reads.
        answer = entry_answer(entry, block)
        db.session.commit()
    return answer, 201 if created else 200
