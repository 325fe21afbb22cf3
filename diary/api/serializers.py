"""Model -> JSON shapes of the API (the OpenAPI document describes the same)."""

from __future__ import annotations

from datetime import datetime

from diary.models import Block, DiaryEntry, Patient, utcnow
from diary.public_urls import diary_url
from diary.relief import hours_between, relief_pct
from diary.services.blocks import agent_label
from diary.services.progress import diary_progress


def moment(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds")


def patient_json(patient: Patient) -> dict:
    return {
        "id": patient.id,
        "display_name": patient.display_name,
        "mrn": patient.mrn,
        "birth_year": patient.birth_year,
        "created_at": moment(patient.created_at),
    }


def block_json(block: Block) -> dict:
    progress = diary_progress(block)
    return {
        "id": block.id,
        "patient_id": block.patient_id,
        "performed_at": moment(block.performed_at),
        "region": block.region,
        "levels": list(block.levels),
        "side": block.side,
        "purpose": block.purpose,
        "sequence": block.sequence,
        "agent": block.agent,
        "concentration": block.concentration,
        "agent_other": block.agent_other,
        "agent_label": agent_label(block),
        "volume_ml_per_level": block.volume_ml_per_level,
        "steroid": block.steroid,
        "sedation": block.sedation,
        "baseline_pain": block.baseline_pain,
        "activities": list(block.activities),
        "diary_token": block.diary_token,
        "diary_url": diary_url(block),
        "link_open": block.link_open(utcnow()),
        "link_expires_at": moment(block.link_expires_at),
        "link_revoked_at": moment(block.link_revoked_at),
        "diary_status": progress.status,
        "entry_count": progress.entry_count,
        "created_at": moment(block.created_at),
    }


def entry_json(entry: DiaryEntry) -> dict:
    block = entry.block
    return {
        "id": entry.id,
        "client_id": entry.client_id,
        "recorded_at": moment(entry.recorded_at),
        "submitted_at": moment(entry.submitted_at),
        "made_at": moment(entry.made_at),
        "due_at": moment(entry.due_at),
        "hours_since_block": round(hours_between(block.performed_at, entry.recorded_at), 3),
        "pain": entry.pain,
        "relief_pct": relief_pct(block.baseline_pain, entry.pain),
        "reported_relief_pct": entry.reported_relief_pct,
        "activity": entry.activity,
        "note": entry.note,
        "edited": entry.edited,
        "source": entry.source,
    }


def public_diary_json(block: Block) -> dict:
    from flask import current_app

    """What the patient's own phone may read through the diary token: no identity."""
    progress = diary_progress(block)
    return {
        "performed_at": moment(block.performed_at),
        "region": block.region,
        "levels": list(block.levels),
        "side": block.side,
        "activities": list(block.activities),
        "timezone": block.clinic.timezone,
        "link_open": block.link_open(utcnow()),
        "link_expires_at": moment(block.link_expires_at),
        "due_times": [moment(due) for due in progress.due_times],
        "next_due_at": moment(progress.next_due_at),
        "entries": [entry_json(entry) for entry in block.entries],
        "push_public_key": current_app.config.get("VAPID_PUBLIC_KEY") or None,
    }
