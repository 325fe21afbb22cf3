"""The next step for each of a patient's series (pathway.md §4), read from the records.

``procedures_of`` is the one adapter from the records to ``diary.pathway``'s plain values:
what the pathway reads of a patient (blocks with their entries; ablations and check-ins
once the follow-up records exist) is decided there and nowhere else. The rules themselves
are ``diary.pathway.next_steps``'s; this module only reads, adapts and asks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from diary import pathway
from diary.extensions import db
from diary.models import Block, Clinic, DiaryEntry, utcnow
from diary.services.analysis import block_facts, diary_points, in_series
from diary.services.settings import analysis_settings, pathway_settings


@dataclass(frozen=True)
class PatientProcedures:
    """What the pathway reads of one patient: every procedure, all regions (the limits
    count them all)."""

    blocks: tuple[pathway.Block, ...] = ()
    ablations: tuple[pathway.Ablation, ...] = field(default=())


def pathway_block(block: Block) -> pathway.Block:
    """A block record as the pathway reads it: one pain per entry (scored as one)."""
    return pathway.Block(
        block_id=block.id,
        facts=block_facts(block),
        region=str(block.region),
        levels=tuple(block.levels),
        side=str(block.side),
        entries=tuple(
            pathway.Entry(
                recorded_at=point.recorded_at,
                pain=point.pain,
                submitted_at=point.submitted_at,
                reported_relief_pct=point.reported_relief_pct,
                entry_id=point.entry_id,
                edited=point.edited,
                logged_late=point.logged_late,
                transcribed=point.transcribed,
            )
            for point in diary_points(block)
        ),
    )


def procedures_of(blocks: Iterable[Block]) -> PatientProcedures:
    """The adapter: records -> the pathway's values. Archived blocks are in no series and
    count as no session (archiving takes a block out of the clinical reading)."""
    kept = sorted((b for b in blocks if in_series(b)), key=lambda b: b.performed_at)
    return PatientProcedures(blocks=tuple(pathway_block(b) for b in kept))


def patients_procedures(clinic_id: int, patient_ids: Sequence[int]) -> dict[int, PatientProcedures]:
    """Each patient's procedures, read in two queries whatever their number (blocks, then
    their entries; for none as for many, so a page's queries do not vary)."""
    blocks = list(
        db.session.execute(
            select(Block)
            .where(Block.clinic_id == clinic_id, Block.patient_id.in_(list(patient_ids)))
            .order_by(Block.patient_id, Block.performed_at)
        ).scalars()
    )
    # Read after their blocks, as the summaries read them (diary.summaries).
    entries = db.session.execute(
        select(DiaryEntry)
        .where(DiaryEntry.block_id.in_([block.id for block in blocks]))
        .order_by(DiaryEntry.block_id, DiaryEntry.recorded_at)
    ).scalars()
    by_block: dict[int, list[DiaryEntry]] = defaultdict(list)
    for entry in entries:
        by_block[entry.block_id].append(entry)
    for block in blocks:
        set_committed_value(block, "entries", by_block.get(block.id, []))
    by_patient: dict[int, list[Block]] = defaultdict(list)
    for block in blocks:
        by_patient[block.patient_id].append(block)
    return {patient_id: procedures_of(by_patient.get(patient_id, [])) for patient_id in patient_ids}


def clinic_today(clinic: Clinic, now: datetime | None = None) -> date:
    """Today on the clinic's calendar."""
    return pathway.local_date(now or utcnow(), ZoneInfo(clinic.timezone))


def next_steps_of(
    clinic: Clinic, procedures: PatientProcedures, on: date
) -> list[pathway.NextStep]:
    """The next step of each series on the day ``on``, by the clinic's settings."""
    return pathway.next_steps(
        procedures.blocks,
        procedures.ablations,
        on,
        ZoneInfo(clinic.timezone),
        settings=pathway_settings(clinic),
        analysis_settings=analysis_settings(clinic),
    )


def patient_next_steps(
    clinic: Clinic, patient_id: int, on: date | None = None
) -> list[pathway.NextStep]:
    """One patient's next steps on ``on`` (today in the clinic's zone by default)."""
    procedures = patients_procedures(clinic.id, [patient_id])[patient_id]
    return next_steps_of(clinic, procedures, on or clinic_today(clinic))
