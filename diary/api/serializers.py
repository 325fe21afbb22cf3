"""Records -> the API's answer models (diary/api/schemas.py). A field of the model is
read from the record's attribute of the same name; only the derived ones are written
out here."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar

from flask import current_app
from pydantic import BaseModel
from sqlalchemy import Row

from diary import pathway
from diary.api import schemas
from diary.models import Block, DiaryEntry, Patient, PostedDiary, utcnow
from diary.relief import hours_between, relief_pct
from diary.services.blocks import agent_label
from diary.services.progress import diary_progress
from diary.services.worklist import WorklistRow
from diary.web import diary_url

Answer = TypeVar("Answer", bound=BaseModel)


def answer_from(model: type[Answer], record: Any, **derived: Any) -> Answer:
    """``model`` filled from ``record``'s attributes, with ``derived`` for the rest."""
    read = {name: getattr(record, name) for name in model.model_fields if name not in derived}
    return model.model_validate(read | derived)


def patient_answer(patient: Patient) -> schemas.Patient:
    return answer_from(schemas.Patient, patient)


def block_answer(block: Block) -> schemas.Block:
    progress = diary_progress(block)
    return answer_from(
        schemas.Block,
        block,
        agent_label=agent_label(block),
        diary_url=diary_url(block),
        link_open=block.link_open(utcnow()),
        diary_status=progress.status,
        entry_count=progress.entry_count,
    )


def entry_answer(
    entry: DiaryEntry | Row | SimpleNamespace, block: Block | PostedDiary | None = None
) -> schemas.Entry:
    """An entry (or, with its ``block``, a row of its columns or the values a new one was
    stored with: diary.services.entries.post_entry) as the API answers it."""
    block = block or entry.block
    return answer_from(
        schemas.Entry,
        entry,
        edited=entry.updated_at is not None,
        hours_since_block=round(hours_between(block.performed_at, entry.recorded_at), 3),
        relief_pct=_relief(block.baseline_pain, entry.pain),
        relief_pct_left=_relief(block.baseline_pain_left, entry.pain_left),
        relief_pct_right=_relief(block.baseline_pain_right, entry.pain_right),
        side_effects=entry.side_effects or [],
    )


def _relief(baseline: int | None, pain: int | None) -> float | None:
    return None if pain is None else relief_pct(baseline, pain)


def public_diary_answer(block: Block) -> schemas.PublicDiary:
    progress = diary_progress(block)
    return answer_from(
        schemas.PublicDiary,
        block,
        timezone=block.clinic.timezone,
        link_open=block.link_open(utcnow()),
        due_times=list(progress.due_times),
        next_due_at=progress.next_due_at,
        entries=[entry_answer(entry) for entry in block.entries],
        push_public_key=current_app.config.get("VAPID_PUBLIC_KEY") or None,
    )


def next_step_answer(step: pathway.NextStep) -> schemas.NextStep:
    limit = step.limit
    return schemas.NextStep(
        **step.to_dict()
        | {
            "step": step.step,
            "notes": list(step.notes),
            "limit": None
            if limit is None
            else schemas.LimitCheck(
                **limit.to_dict(),
                region_group=str(limit.region_group),
                limit=limit.limit,
                reason=limit.reason,
            ),
        }
    )


def worklist_item_answer(row: WorklistRow) -> schemas.WorklistItem:
    item = row.item
    at = item.at
    return schemas.WorklistItem(
        group=str(item.group),
        at=at.isoformat(timespec="seconds") if isinstance(at, datetime) else at.isoformat(),
        subject=item.subject,
        subject_id=item.subject_id,
        patient_id=item.patient_id,
        block_id=row.block_id,
        text=item.text,
        next_step=next_step_answer(row.step) if row.step is not None else None,
    )
