"""Records -> the API's answer models (diary/api/schemas.py)."""

from __future__ import annotations

from flask import current_app

from diary.api import schemas
from diary.models import Block, DiaryEntry, Patient, utcnow
from diary.relief import hours_between, relief_pct
from diary.services.blocks import agent_label
from diary.services.progress import diary_progress
from diary.web import diary_url


def patient_answer(patient: Patient) -> schemas.Patient:
    return schemas.Patient(
        id=patient.id,
        display_name=patient.display_name,
        mrn=patient.mrn,
        birth_year=patient.birth_year,
        created_at=patient.created_at,
    )


def block_answer(block: Block) -> schemas.Block:
    progress = diary_progress(block)
    return schemas.Block(
        id=block.id,
        patient_id=block.patient_id,
        performed_at=block.performed_at,
        region=block.region,
        levels=list(block.levels),
        side=block.side,
        purpose=block.purpose,
        sequence=block.sequence,
        agent=block.agent,
        concentration=block.concentration,
        agent_other=block.agent_other,
        agent_label=agent_label(block),
        volume_ml_per_level=block.volume_ml_per_level,
        steroid=block.steroid,
        sedation=block.sedation,
        baseline_pain=block.baseline_pain,
        activities=list(block.activities),
        diary_token=block.diary_token,
        diary_url=diary_url(block),
        link_open=block.link_open(utcnow()),
        link_expires_at=block.link_expires_at,
        link_revoked_at=block.link_revoked_at,
        diary_status=progress.status,
        entry_count=progress.entry_count,
        created_at=block.created_at,
    )


def entry_answer(entry: DiaryEntry) -> schemas.Entry:
    block = entry.block
    return schemas.Entry(
        id=entry.id,
        client_id=entry.client_id,
        recorded_at=entry.recorded_at,
        submitted_at=entry.submitted_at,
        made_at=entry.made_at,
        due_at=entry.due_at,
        hours_since_block=round(hours_between(block.performed_at, entry.recorded_at), 3),
        pain=entry.pain,
        relief_pct=relief_pct(block.baseline_pain, entry.pain),
        reported_relief_pct=entry.reported_relief_pct,
        activity=entry.activity,
        note=entry.note,
        edited=entry.edited,
        source=entry.source,
    )


def public_diary_answer(block: Block) -> schemas.PublicDiary:
    progress = diary_progress(block)
    return schemas.PublicDiary(
        performed_at=block.performed_at,
        region=block.region,
        levels=list(block.levels),
        side=block.side,
        activities=list(block.activities),
        timezone=block.clinic.timezone,
        link_open=block.link_open(utcnow()),
        link_expires_at=block.link_expires_at,
        due_times=list(progress.due_times),
        next_due_at=progress.next_due_at,
        entries=[entry_answer(entry) for entry in block.entries],
        push_public_key=current_app.config.get("VAPID_PUBLIC_KEY") or None,
    )
