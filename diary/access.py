"""Who may see what: every lookup of clinic data goes through here.

A block or patient of another clinic is answered exactly like one that does not
exist (404), so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from diary.extensions import db
from diary.models import Ablation, Block, DiaryEntry, Patient


def clinic_patient_or_404(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != current_user.clinic_id:
        abort(404)
    return patient


def clinic_block_or_404(block_id: int, options=()) -> Block:
    block = db.session.get(Block, block_id, options=options, populate_existing=bool(options))
    if block is None or block.clinic_id != current_user.clinic_id:
        abort(404)
    return block


def clinic_entry_or_404(entry_id: int) -> DiaryEntry:
    """An entry of one of the clinic's blocks."""
    entry = db.session.get(DiaryEntry, entry_id)
    if entry is None or entry.block.clinic_id != current_user.clinic_id:
        abort(404)
    return entry


@cache
def _block_by_token():
    # Built once: building the statement cost more than running it, on every diary request.
    return (
        select(Block)
        .where(Block.diary_token == bindparam("token"))
        .options(joinedload(Block.clinic))
    )


def block_for_token_or_404(token: str) -> Block:
    block = db.session.execute(_block_by_token(), {"token": token}).scalar_one_or_none()
    if block is None:
        abort(404)
    return block


def entry_of_block_or_404(block: Block, entry_id: int) -> DiaryEntry:
    entry = db.session.get(DiaryEntry, entry_id)
    if entry is None or entry.block_id != block.id:
        abort(404)
    return entry


def admin_only(view: Callable) -> Callable:
    """A clinic page only the clinic's admins may open; anyone else gets 403."""

    @wraps(view)
    def admin_view(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return admin_view


def clinic_ablation_or_404(ablation_id: int) -> Ablation:
    ablation = db.session.get(Ablation, ablation_id)
    if ablation is None or ablation.clinic_id != current_user.clinic_id:
        abort(404)
    return ablation
