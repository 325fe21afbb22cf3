"""The next step for each of a patient's series (pathway.md §4), read from the records.

``procedures_of`` is the one adapter from the records to ``diary.pathway``'s plain values:
what the pathway reads of a patient (blocks with their entries, ablations, the check-ins
of both) is decided there and nowhere else. The rules themselves
are ``diary.pathway.next_steps``'s; this module only reads, adapts and asks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, bindparam, func, literal, or_, select, union_all
from sqlalchemy.orm.attributes import set_committed_value

from diary import pathway, relief
from diary.extensions import db
from diary.models import Ablation, Block, Checkin, Clinic, DiaryEntry, utcnow
from diary.services.analysis import in_series, running, steady_until
from diary.services.analysis import pathway_block as read_block
from diary.services.followup import plain_ablation, plain_checkins
from diary.services.settings import analysis_settings, pathway_settings


@dataclass(frozen=True)
class PatientProcedures:
    """What the pathway reads of one patient: every procedure, all regions (the limits
    count them all)."""

    blocks: tuple[pathway.Block, ...] = ()
    ablations: tuple[pathway.Ablation, ...] = field(default=())
    # When a running diary's reading may next change with no record changed (None: no
    # diary runs, or none has anything left to change): steps read from these procedures
    # hold until then.
    steady_until: datetime | None = None


def holds_at(steady_until: datetime | None, now: datetime) -> bool:
    """Whether steps read from procedures steady until ``steady_until`` still hold."""
    return steady_until is None or now < steady_until


def pathway_block(
    block: Block, checkins: Iterable[Checkin] = (), now: datetime | None = None
) -> pathway.Block:
    """A block record as the pathway reads it (``analysis.pathway_block``: its entries,
    a score per side when scored apart) with, a therapeutic block, its check-ins, and a
    diagnostic diary still running, what it awaits (the advice it leads to is
    provisional)."""
    now = now or utcnow()
    # A closed link ends the diary: only an open one can still be running.
    awaits = (
        running(block, now) if block.purpose == relief.DIAGNOSTIC and block.link_open(now) else None
    )
    return replace(read_block(block), checkins=plain_checkins(checkins), running=awaits)


def procedures_of(
    blocks: Iterable[Block],
    ablations: Iterable[Ablation] = (),
    checkins: Iterable[Checkin] = (),
) -> PatientProcedures:
    """The adapter: one patient's records -> the pathway's values (blocks with their
    entries, ablations, each with its check-ins). Archived records are in no series and
    count as no session (archiving takes a record out of the clinical reading)."""
    of_block: dict[int, list[Checkin]] = defaultdict(list)
    of_ablation: dict[int, list[Checkin]] = defaultdict(list)
    for checkin in checkins:
        if checkin.block_id is not None:
            of_block[checkin.block_id].append(checkin)
        if checkin.ablation_id is not None:
            of_ablation[checkin.ablation_id].append(checkin)
    kept = sorted((b for b in blocks if in_series(b)), key=lambda b: b.performed_at)
    now = utcnow()
    done = sorted((a for a in ablations if a.archived_at is None), key=lambda a: a.performed_at)
    pathway_blocks = tuple(pathway_block(b, of_block.get(b.id, ()), now) for b in kept)
    changes = [
        steady_until(b, now) for b, read in zip(kept, pathway_blocks, strict=True) if read.running
    ]
    return PatientProcedures(
        blocks=pathway_blocks,
        ablations=tuple(plain_ablation(a, of_ablation.get(a.id, ())) for a in done),
        steady_until=min((at for at in changes if at is not None), default=None),
    )


def by_patients(clinic_column, clinic_id: int | BindParameter[int]):
    """The clinic's condition for a query of a few patients' rows, written so the database
    reads those patients' index and checks the clinic on each row: on the clinic's index
    (SQLite's choice, without statistics) it would walk every row of the clinic."""
    return (clinic_column + 0) == clinic_id


def patients_procedures(clinic_id: int, patient_ids: Sequence[int]) -> dict[int, PatientProcedures]:
    """Each patient's procedures, read in four queries whatever their number (blocks,
    their entries, ablations, the check-ins of both; for none as for many, so a page's
    queries do not vary)."""
    ids = list(patient_ids)
    blocks = list(
        db.session.execute(
            select(Block)
            .where(by_patients(Block.clinic_id, clinic_id), Block.patient_id.in_(ids))
            .order_by(Block.patient_id, Block.performed_at)
        ).scalars()
    )
    # Read after their blocks, as the summaries read them (diary.services.summaries).
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
    ablations = list(
        db.session.execute(
            select(Ablation).where(
                by_patients(Ablation.clinic_id, clinic_id), Ablation.patient_id.in_(ids)
            )
        ).scalars()
    )
    checkins = db.session.execute(
        select(Checkin)
        .where(
            by_patients(Checkin.clinic_id, clinic_id),
            or_(
                Checkin.block_id.in_([b.id for b in blocks if b.purpose == relief.THERAPEUTIC]),
                Checkin.ablation_id.in_([a.id for a in ablations]),
            ),
        )
        .order_by(Checkin.id)
    ).scalars()
    patient_of_block = {block.id: block.patient_id for block in blocks}
    patient_of_ablation = {ablation.id: ablation.patient_id for ablation in ablations}
    records: dict[int, tuple[list, list, list]] = {pid: ([], [], []) for pid in ids}
    for block in blocks:
        records[block.patient_id][0].append(block)
    for ablation in ablations:
        records[ablation.patient_id][1].append(ablation)
    for checkin in checkins:
        owner = (
            patient_of_block.get(checkin.block_id)
            if checkin.block_id is not None
            else patient_of_ablation.get(checkin.ablation_id or 0)
        )
        if owner is not None:
            records[owner][2].append(checkin)
    return {pid: procedures_of(*records[pid]) for pid in ids}


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


# Each patient's next steps as last worked out in this process (a patient's page, the API,
# the worklist), with what they were worked out from (their records' version, read from
# the database at every call, the day, the clinic's settings) and until when a running
# diary's reading holds: reused while all of it holds. Bounded: emptied when full, and never
# more than KEPT_MAX even for one call's patients. A patient's kept steps measured about
# 3.5 KB (two steps, their reasons and limits; 129 patients of a synthetic clinic), so the
# bound keeps this under about 35 MB a worker (README, "Sizing"); 100,000 allowed 350 MB.
_KEPT: dict[tuple[int, int], tuple[tuple, list[pathway.NextStep], datetime | None]] = {}
KEPT_MAX = 10_000


class RecordsVersion(NamedTuple):
    """A version of a patient's records: for their blocks and for their ablations, the
    latest change (an entry, a correction or a check-in bumps its procedure's), how many
    there are and how many are archived (None: none). Another worker's write of any of
    them is a new version, so a cache keyed by it never serves what was read before."""

    blocks: tuple | None = None
    ablations: tuple | None = None


def records_versions(clinic_id: int, patient_ids: Sequence[int]) -> dict[int, RecordsVersion]:
    """Each patient's ``RecordsVersion``, in one query for one patient as for many: what
    the per-process caches of next steps (here and diary.services.worklist) are keyed by."""
    versions = dict.fromkeys(patient_ids, RecordsVersion())
    rows = db.session.execute(
        _records_versions_query(), {"clinic_id": clinic_id, "patient_ids": list(patient_ids)}
    ).all()
    for patient_id, kind, *version in rows:
        versions[patient_id] = versions[patient_id]._replace(**{kind: tuple(version)})
    return versions


def records_version(clinic_id: int, patient_id: int) -> RecordsVersion:
    """One patient's ``RecordsVersion``."""
    return records_versions(clinic_id, [patient_id])[patient_id]


@cache
def _records_versions_query():
    clinic_id: BindParameter[int] = bindparam("clinic_id")
    patient_ids: BindParameter[list[int]] = bindparam("patient_ids", expanding=True)

    def version(kind: str, table):
        return (
            select(
                table.patient_id,
                literal(kind),
                func.max(table.changed_at),
                func.count(table.id),
                func.count(table.archived_at),
            )
            .where(by_patients(table.clinic_id, clinic_id), table.patient_id.in_(patient_ids))
            .group_by(table.patient_id)
        )

    return union_all(version("ablations", Ablation), version("blocks", Block))


def patients_next_steps(
    clinic: Clinic, patient_ids: Sequence[int], versions: dict[int, RecordsVersion], on: date
) -> dict[int, list[pathway.NextStep]]:
    """These patients' next steps on ``on``, given their ``records_versions``: those kept
    from a previous call (here, on a patient's page or the worklist) while the records'
    version, the day and the settings are as they were and no running diary of theirs has
    changed since, the rest worked out from their records (four queries, none when all
    were kept)."""
    settings = (on, clinic.timezone, pathway_settings(clinic), analysis_settings(clinic))
    now = utcnow()
    found, missing = {}, []
    for patient_id in patient_ids:
        kept = _KEPT.get((clinic.id, patient_id))
        if (
            kept is not None
            and kept[0] == (versions[patient_id], settings)
            and holds_at(kept[2], now)
        ):
            found[patient_id] = kept[1]
        else:
            missing.append(patient_id)
    if not missing:
        return found
    procedures = patients_procedures(clinic.id, missing)
    if len(_KEPT) + len(missing) > KEPT_MAX:
        _KEPT.clear()
    for patient_id in missing:
        steps = next_steps_of(clinic, procedures[patient_id], on)
        # Steps read from a running diary change as it goes on (what it awaits, when it
        # ends) with no record changed and perhaps on the same day: kept only until its
        # next change.
        if len(_KEPT) < KEPT_MAX:
            _KEPT[(clinic.id, patient_id)] = (
                (versions[patient_id], settings),
                steps,
                procedures[patient_id].steady_until,
            )
        found[patient_id] = steps
    return found


def patient_next_steps(
    clinic: Clinic, patient_id: int, on: date | None = None
) -> list[pathway.NextStep]:
    """One patient's next steps on ``on`` (today in the clinic's zone by default)."""
    on = on or clinic_today(clinic)
    versions = records_versions(clinic.id, [patient_id])
    return patients_next_steps(clinic, [patient_id], versions, on)[patient_id]
