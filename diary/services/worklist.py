"""What staff see first (pathway.md §5): the worklist's rows, a page at a time, the
counts the navigation shows, and the two one-click marks (a side effect acknowledged, a
finished diary reviewed).

The groups' order and the order within a group are ``diary.pathway.worklist``'s. The
first groups are read off partial indexes (only the rows still waiting are indexed), so
the navigation's counts cost one query whatever the clinic's size. The next steps need
each patient's diaries read by the pathway: they are worked out newest first, only for
the patients whose blocks may call for action (a flag on each block, indexed, cleared once
its stored summary shows it cannot, set again by any change), and only as far as the page
asked for needs (see ``next_step_rows``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    Date,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
    update,
)

from diary import pathway, relief
from diary.agents import window_for
from diary.extensions import db
from diary.models import Ablation, Block, Checkin, Clinic, DiaryEntry, Patient, User, utcnow
from diary.pathway import Technique, WorklistGroup, WorklistItem
from diary.services import summaries
from diary.services.audit import record_audit
from diary.services.next_steps import (
    RecordsVersion,
    by_patients,
    clinic_today,
    patients_next_steps,
    records_versions,
)
from diary.services.rejections import InputRejected
from diary.services.settings import analysis_settings, pathway_settings

PAGE_SIZE = 50
# Patients whose next step is worked out at a time, newest first: a first batch of about
# two pages, then about as many as rows are still wanted, within these bounds.
FIRST_BATCH = 100
LEAST_BATCH = 25
NEXT_STEP_BATCH = 512


@dataclass(frozen=True)
class WorklistRow:
    """One row: the pathway's item, the block it links to (side effects, diaries), and
    the next step it stands for (next steps)."""

    item: WorklistItem
    block_id: int | None = None
    step: pathway.NextStep | None = None


@dataclass
class WorklistPage:
    """One page of the worklist: its rows in order, each group's count (None for the next
    steps, which are found page by page, not counted), and whether more rows follow."""

    rows: list[WorklistRow]
    counts: dict[WorklistGroup, int | None]
    page: int
    has_next: bool
    names: dict[int, str] = field(default_factory=dict)


# --- the groups read by SQL -----------------------------------------------------------


def _unacknowledged(clinic_id) -> Select:
    return (
        select(DiaryEntry, Block)
        .join(Block, Block.id == DiaryEntry.block_id)
        .where(
            Block.clinic_id == clinic_id,
            DiaryEntry.side_effects.is_not(None),
            DiaryEntry.side_effects_acknowledged_at.is_(None),
        )
    )


def _finished_unreviewed(clinic_id, now) -> tuple[tuple, tuple, tuple]:
    """Diaries finished and not reviewed (archived blocks left out), in three parts each
    read off a partial index as a range of its own: those whose link expired (read off
    ``ix_block_unreviewed``), those whose link was closed (``ix_block_unreviewed_revoked``),
    and both. As one condition with OR, the database would walk every diary of the clinic
    not reviewed, the open ones included."""
    waiting = (
        Block.clinic_id == clinic_id,
        Block.reviewed_at.is_(None),
        Block.archived_at.is_(None),
    )
    expired = (*waiting, Block.link_expires_at <= now)
    revoked = (*waiting, Block.link_revoked_at.is_not(None))
    return expired, revoked, (*revoked, Block.link_expires_at <= now)


@cache
def _counts_query():
    """Both counts read off their partial indexes: the entries still waiting first (few),
    each checked for its clinic; the clinic's finished diaries not reviewed from the
    indexes alone (see ``_finished_unreviewed``)."""
    clinic_id: BindParameter[int] = bindparam("clinic_id")
    now: BindParameter[datetime] = bindparam("now")
    clinic_of_entry = (
        select(Block.clinic_id).where(Block.id == DiaryEntry.block_id).scalar_subquery()
    )
    side_effects = (
        select(func.count(DiaryEntry.id))
        .where(
            DiaryEntry.side_effects.is_not(None),
            DiaryEntry.side_effects_acknowledged_at.is_(None),
            clinic_of_entry == clinic_id,
        )
        .scalar_subquery()
    )
    expired, revoked, both = (
        select(func.count(Block.id)).where(*part).scalar_subquery()
        for part in _finished_unreviewed(clinic_id, now)
    )
    return select(side_effects, expired + revoked - both)


def _open_followups(clinic_id: int, now: datetime):
    """Every follow-up still running (its link open) with the check-ins made for it, in
    one query: rows ("ablation"|"block", id, patient, performed_at, months, made_on), the
    procedure's own row with no months, then one row per check-in made."""
    return db.session.execute(_open_followups_query(), {"clinic_id": clinic_id, "now": now}).all()


@cache
def _open_followups_query():
    """``_open_followups``' statement, made once (its four parts cost more to build and
    look up than the database takes to answer them, when none is followed)."""
    clinic_id: BindParameter[int] = bindparam("clinic_id")
    now: BindParameter[datetime] = bindparam("now")
    ablation_open = and_(
        Ablation.clinic_id == clinic_id,
        Ablation.archived_at.is_(None),
        Ablation.link_revoked_at.is_(None),
        Ablation.link_expires_at > now,
    )
    block_open = and_(
        Block.clinic_id == clinic_id,
        Block.followup_token.is_not(None),
        Block.archived_at.is_(None),
        Block.followup_revoked_at.is_(None),
        Block.followup_expires_at > now,
    )
    nothing_int = literal(None, Integer)
    nothing_day = literal(None, Date)

    def procedures(kind: str, table, where):
        return select(
            literal(kind), table.id, table.patient_id, table.performed_at, nothing_int, nothing_day
        ).where(where)

    def made(kind: str, table, link, where):
        return (
            select(
                literal(kind),
                table.id,
                table.patient_id,
                table.performed_at,
                Checkin.months,
                Checkin.made_on,
            )
            .join(Checkin, link == table.id)
            .where(where)
        )

    return union_all(
        procedures("ablation", Ablation, ablation_open),
        procedures("block", Block, block_open),
        made("ablation", Ablation, Checkin.ablation_id, ablation_open),
        made("block", Block, Checkin.block_id, block_open),
    )


def overdue_checkins(clinic: Clinic, now: datetime) -> list[WorklistRow]:
    """Scheduled check-ins whose window has closed without one, of the follow-ups still
    running (pathway.md §3's schedule, by the clinic's settings), newest first."""
    zone = ZoneInfo(clinic.timezone)
    settings = pathway_settings(clinic)
    on = pathway.local_date(now, zone)
    followed: dict[tuple[str, int], tuple[int, datetime]] = {}
    made: dict[tuple[str, int], list[pathway.Checkin]] = defaultdict(list)
    for kind, record_id, patient_id, performed_at, months, made_on in _open_followups(
        clinic.id, now
    ):
        followed[(kind, record_id)] = (patient_id, performed_at)
        if made_on is not None:
            made[(kind, record_id)].append(pathway.Checkin(made_on=made_on, months=months))
    items = []
    for (kind, record_id), (patient_id, performed_at) in followed.items():
        months = (
            settings.rfa_checkin_months
            if kind == "ablation"
            else (settings.therapeutic_checkin_months)
        )
        schedule = pathway.checkin_schedule(performed_at, zone, months, settings)
        done = {c.months for c in pathway.counted_checkins(made[(kind, record_id)], on)}
        for slot in schedule:
            if slot.months not in done and slot.closes_on < on:
                items.append(
                    WorklistItem(
                        WorklistGroup.OVERDUE_CHECKINS,
                        slot.closes_on,
                        kind,
                        record_id,
                        patient_id,
                        f"{slot.months}-month check-in due {slot.due_on.isoformat()}, "
                        f"window closed {slot.closes_on.isoformat()}",
                    )
                )
    ordered = pathway.order_worklist(items)
    return [
        WorklistRow(item, block_id=item.subject_id if item.subject == "block" else None)
        for item in ordered
    ]


def counted_groups(
    clinic_id: int, now: datetime | None = None, overdue: list | None = None
) -> dict[WorklistGroup, int]:
    """The counts of the first three groups (the navigation's); ``overdue``: the clinic's
    overdue check-ins when the caller has read them already."""
    now = now or utcnow()
    side_effects, unreviewed = db.session.execute(
        _counts_query(), {"clinic_id": clinic_id, "now": now}
    ).one()
    if overdue is None:
        clinic = db.session.get(Clinic, clinic_id)  # the signed-in user's: already loaded
        assert clinic is not None
        overdue = overdue_checkins(clinic, now)
    return {
        WorklistGroup.SIDE_EFFECTS: side_effects,
        WorklistGroup.UNREVIEWED_DIARIES: unreviewed,
        WorklistGroup.OVERDUE_CHECKINS: len(overdue),
    }


def _side_effect_rows(clinic_id: int, offset: int, limit: int):
    rows = db.session.execute(
        _unacknowledged(clinic_id)
        .order_by(DiaryEntry.submitted_at.desc(), DiaryEntry.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        WorklistRow(
            WorklistItem(
                WorklistGroup.SIDE_EFFECTS,
                entry.submitted_at,
                "entry",
                entry.id,
                block.patient_id,
                ", ".join(entry.side_effects or []),
            ),
            block_id=block.id,
        )
        for entry, block in rows
    ]


def _unreviewed_rows(clinic_id: int, now: datetime, offset: int, limit: int):
    finished_at = func.coalesce(Block.link_revoked_at, Block.link_expires_at)
    expired, revoked, _ = _finished_unreviewed(clinic_id, now)
    finished = union(select(Block.id).where(*expired), select(Block.id).where(*revoked))
    blocks = db.session.execute(
        select(Block)
        .where(Block.id.in_(finished.scalar_subquery()))
        .order_by(finished_at.desc(), Block.id.desc())
        .offset(offset)
        .limit(limit)
    ).scalars()
    return [
        WorklistRow(
            WorklistItem(
                WorklistGroup.UNREVIEWED_DIARIES,
                block.link_revoked_at or block.link_expires_at,
                "block",
                block.id,
                block.patient_id,
                f"{block.region} {', '.join(block.levels)}, {block.side}, {block.purpose}",
            ),
            block_id=block.id,
        )
        for block in blocks
    ]


# --- the next steps ---------------------------------------------------------------------


def _calling_blocks(
    clinic_id: int, after: tuple[datetime, int] | None, limit: int
) -> list[tuple[int, datetime, int]]:
    """The clinic's diagnostic blocks (in a series) that may call for action, newest
    first, as (patient, time, block): read off their partial index, a batch at a time,
    from just after ``after`` (the last one read: blocks found quiet meanwhile leave the
    index, so no offset would do). The statement is built once and run on the session's
    connection, its rows plain tuples (the ORM's loading was half of a read of 100)."""
    values: dict[str, object] = {"clinic_id": clinic_id, "limit": limit}
    if after is not None:
        values["after_at"], values["after_id"] = after
    db.session.flush()  # as the session's own execute would (its autoflush)
    rows = db.session.connection().execute(_calling_query(after is not None), values)
    return [(patient_id, at, block_id) for patient_id, at, block_id in rows]


@cache
def _calling_query(after: bool):
    """_calling_blocks' statement: values for ``clinic_id``, ``limit`` and, after a block,
    its ``after_at`` and ``after_id``."""
    query = select(Block.patient_id, Block.performed_at, Block.id).where(
        *_calling(cast(int, bindparam("clinic_id")))
    )
    if after:
        at: BindParameter[datetime] = bindparam("after_at", type_=Block.performed_at.type)
        block_id: BindParameter[int] = bindparam("after_id")
        query = query.where(
            or_(Block.performed_at < at, and_(Block.performed_at == at, Block.id < block_id))
        )
    return query.order_by(Block.performed_at.desc(), Block.id.desc()).limit(bindparam("limit"))


def _calling(clinic_id: int) -> tuple:
    """The conditions of ix_block_may_call_for_action, the purpose written as a literal
    (a parameter would hide from SQLite that the index holds the rows)."""
    return (
        Block.clinic_id == clinic_id,
        Block.may_call_for_action,
        Block.purpose == literal(relief.DIAGNOSTIC, literal_execute=True),
        Block.archived_at.is_(None),
    )


def _may_have_next_steps(clinic_id: int) -> bool:
    """Whether any patient of the clinic may have a next step that calls for action: a
    diagnostic block that may, or an ablation (whose steps come with time)."""
    calling = select(Block.id).where(*_calling(clinic_id)).limit(1).exists()
    ablated = (
        select(Ablation.id)
        .where(
            Ablation.clinic_id == clinic_id,
            Ablation.archived_at.is_(None),
            Ablation.technique != Technique.PULSED,
        )
        .limit(1)
        .exists()
    )
    return bool(db.session.execute(select(or_(calling, ablated))).scalar())


# Marks a block found quiet by its summary as of ``changed_at``, only if the block and
# its stored summary are still those read: an entry posted meanwhile (a new changed_at)
# or new analysis settings (which clear the summary's key) keep it calling.
_QUIET = (
    update(cast(Table, Block.__table__))
    .where(
        Block.id == bindparam("quiet_id"),
        Block.changed_at == bindparam("quiet_changed_at"),
        Block.summary_key == bindparam("quiet_key"),
    )
    .values(may_call_for_action=False)
)


def _held_50_hours(stored: dict) -> list[float]:
    """How long relief held at 50 % by a stored summary: its one reading's and, a block
    scored apart, each side's."""
    readings = [stored, *(stored.get("sides") or {}).values()]
    return [r["held_50"]["duration_h"] for r in readings if r.get("held_50")]


def _ablated_patients(clinic_id: int) -> list[int]:
    """The clinic's patients with an ablation (in a series)."""
    return list(
        db.session.execute(
            select(Ablation.patient_id)
            .where(
                Ablation.clinic_id == clinic_id,
                Ablation.archived_at.is_(None),
                Ablation.technique != Technique.PULSED,
            )
            .group_by(Ablation.patient_id)
            .order_by(Ablation.patient_id)
        ).scalars()
    )


def _batch_facts(
    clinic: Clinic, patient_ids: list[int]
) -> tuple[set[int], dict[int, RecordsVersion]]:
    """For a batch of patients: which of them may have a next step that calls for action,
    and a version of each one's records (next_steps.records_versions: their blocks' and
    their ablations').

    A patient may when a diagnostic block (in a series) held relief at 50 % for at least
    its agent's shortest sustained response (its stored summary's ``held_50``): every
    step of pathway.md §5's list (without an ablation) needs a diagnostic block positive
    at 50 % or more, which holds relief that long. Read off the stored summaries, this
    spares reading everyone else's diaries. Summaries out of date are brought up to date
    (the caller commits). The answer is kept per patient while their blocks (the blocks'
    part of their version: the answer reads nothing else) and the settings stay as they
    were, so a worklist read again reads no summaries; the next steps, which read their
    ablations too, are kept under the whole version."""
    settings = analysis_settings(clinic)
    digest = summaries.settings_digest(settings)

    def held_long_enough(hours: list[float], agent: str) -> bool:
        shortest = window_for(agent, settings.agent_windows).minimum_h
        return any(held >= shortest for held in hours)

    # First each patient's version (no summaries read): a patient whose blocks have not
    # changed since a previous read keeps the answer found then.
    versions = records_versions(clinic.id, patient_ids)
    found, undecided = set(), []
    for patient_id in patient_ids:
        kept = _CANDIDATES_KEPT.get((clinic.id, patient_id))
        if kept is not None and kept[0] == (versions[patient_id].blocks, digest):
            if kept[1]:
                found.add(patient_id)
        else:
            undecided.append(patient_id)
    # Then the stored summaries of the others' diagnostic blocks (none read when every
    # answer was kept: the query for no patient cost about a millisecond on SQLite).
    rows = (
        []
        if not undecided
        else db.session.execute(
            select(
                Block.id,
                Block.patient_id,
                Block.agent,
                Block.summary,
                Block.summary_key,
                Block.changed_at,
                Block.may_call_for_action,
            ).where(
                by_patients(Block.clinic_id, clinic.id),
                Block.patient_id.in_(undecided),
                Block.archived_at.is_(None),
                Block.purpose == relief.DIAGNOSTIC,
            )
        ).all()
    )
    stale, quiet = [], []
    for block_id, patient_id, agent, summary, key, changed_at, calling in rows:
        if summary is not None and key == summaries.summary_key_of(changed_at, digest):
            if held_long_enough(_held_50_hours(summary), agent):
                found.add(patient_id)
            elif calling:
                quiet.append(
                    {"quiet_id": block_id, "quiet_changed_at": changed_at, "quiet_key": key}
                )
        else:
            stale.append(block_id)
    if stale:
        blocks = list(db.session.execute(select(Block).where(Block.id.in_(stale))).scalars())
        summaries.block_summaries(blocks)  # stored on each block
        for block in blocks:
            if held_long_enough(_held_50_hours(block.summary or {}), block.agent):
                found.add(block.patient_id)
            elif block.may_call_for_action:
                key = summaries.summary_key(block, digest)
                quiet.append(
                    {"quiet_id": block.id, "quiet_changed_at": block.changed_at, "quiet_key": key}
                )
        db.session.flush()  # the summaries just made, stored before the marks check them
    if quiet:
        # Left out of the next pages' scans until they change.
        db.session.connection().execute(_QUIET, quiet)
    if len(_CANDIDATES_KEPT) + len(undecided) > CANDIDATES_KEPT_MAX:
        _CANDIDATES_KEPT.clear()
    for patient_id in undecided[: CANDIDATES_KEPT_MAX - len(_CANDIDATES_KEPT)]:
        _CANDIDATES_KEPT[(clinic.id, patient_id)] = (
            (versions[patient_id].blocks, digest),
            patient_id in found,
        )
    return found, versions


# Whether a patient may have a next step that calls for action, as last read off their
# summaries, with what it was read from (the blocks' part of the records' version, the
# analysis settings).
# Bounded as next_steps' _KEPT: an answer measured about 0.36 KB (798 patients of a
# synthetic clinic), so at most about 18 MB a worker (README, "Sizing").
_CANDIDATES_KEPT: dict[tuple[int, int], tuple[tuple, bool]] = {}
CANDIDATES_KEPT_MAX = 50_000


def next_step_rows(
    clinic: Clinic, on: date, offset: int, limit: int
) -> tuple[list[WorklistRow], bool]:
    """Rows ``offset`` to ``offset + limit`` of the patients whose next step calls for
    action, newest first (by the step's from-date), and whether more follow.

    Such a step's from-date is never later than 14 days after a diagnostic block of the
    patient's that held relief at 50 % long enough (the first block of a second block
    due, the last of the LCD's two, the first positive of the consensus), and only such
    blocks are left calling for action once read (``may_call_for_action``). So patients
    are read by their newest such block, newest first, a batch at a time, off that
    block's partial index, and the reading stops once enough rows are found that no later
    patient could come before: a page reads about its own patients, whatever the
    clinic's size.
    """
    need = offset + limit + 1  # one more: whether a next page exists
    found: list[WorklistItem] = []
    steps: dict[int, pathway.NextStep] = {}  # by id() of the item
    zone = ZoneInfo(clinic.timezone)

    def take(by_patient: dict[int, list[pathway.NextStep]], patient_ids) -> None:
        for patient_id in patient_ids:
            for step in by_patient.get(patient_id, ()):
                if step.code in pathway.ACTION_CODES:
                    item = WorklistItem(
                        WorklistGroup.NEXT_STEPS,
                        step.from_date or on,
                        "patient",
                        patient_id,
                        patient_id,
                        step.reason,
                    )
                    found.append(item)
                    steps[id(item)] = step

    # Patients with an ablation first, all of them: a repeat ablation or repeated blocks
    # may be due from any day up to today, whenever their blocks were.
    ablated = _ablated_patients(clinic.id)
    if ablated:
        _, versions = _batch_facts(clinic, ablated)
        take(patients_next_steps(clinic, ablated, versions, on), ablated)
    # Then the others, by their latest diagnostic block, newest first, a batch at a time.
    seen = set(ablated)
    size = FIRST_BATCH
    # Each read takes one block more than the batch: the next batch's first, which tells
    # whether it could come before the rows found, without a query of its own.
    newest = _calling_blocks(clinic.id, None, size + 1)
    while newest:
        bound = pathway.local_date(newest[0][1], zone) + timedelta(days=15)
        if sum(1 for item in found if _day(item.at) >= bound) >= need:
            break
        read, newest = newest[:size], newest[size:]
        batch = []
        for patient_id, _, _ in read:  # a patient's latest such block comes first
            if patient_id not in seen:
                seen.add(patient_id)
                batch.append(patient_id)
        candidates, versions = _batch_facts(clinic, batch)
        chosen = [patient_id for patient_id in batch if patient_id in candidates]
        take(patients_next_steps(clinic, chosen, versions, on), chosen)
        if not newest:
            break
        # Each patient read now has a block calling for action, most a row: read about
        # as many more as rows are still wanted (twice as many would work out the next
        # steps, from their diaries, of patients no page shows).
        size = min(max(need - len(found), LEAST_BATCH), NEXT_STEP_BATCH)
        newest += _calling_blocks(clinic.id, newest[-1][1:], size)
    ordered = pathway.order_worklist(found)
    rows = [WorklistRow(item, step=steps[id(item)]) for item in ordered[offset : offset + limit]]
    return rows, len(ordered) > offset + limit


def _day(at: datetime | date) -> date:
    return at.date() if isinstance(at, datetime) else at


# --- the page ---------------------------------------------------------------------------


def worklist_page(clinic: Clinic, page: int, now: datetime | None = None) -> WorklistPage:
    """Page ``page`` of the clinic's worklist, groups in pathway.md §5's order."""
    now = now or utcnow()
    overdue = overdue_checkins(clinic, now)  # read once: counted, then sliced
    counts: dict[WorklistGroup, int | None] = dict(counted_groups(clinic.id, now, overdue))
    start, end = (page - 1) * PAGE_SIZE, page * PAGE_SIZE
    rows: list[WorklistRow] = []
    group_start = 0
    readers = {
        WorklistGroup.SIDE_EFFECTS: lambda o, n: _side_effect_rows(clinic.id, o, n),
        WorklistGroup.UNREVIEWED_DIARIES: lambda o, n: _unreviewed_rows(clinic.id, now, o, n),
        WorklistGroup.OVERDUE_CHECKINS: lambda o, n: overdue[o : o + n],
    }
    for group, read in readers.items():
        count = counts[group] or 0
        first, last = max(start - group_start, 0), min(end - group_start, count)
        if first < last:
            rows += read(first, last - first)
        group_start += count
    counts[WorklistGroup.NEXT_STEPS] = None
    if len(rows) < PAGE_SIZE:
        found, has_next = next_step_rows(
            clinic, clinic_today(clinic, now), max(start - group_start, 0), PAGE_SIZE - len(rows)
        )
        rows += found
    else:
        # A full page of the first groups: more follow if they do, or if any patient may
        # have a next step (found on the later pages).
        has_next = group_start > end or _may_have_next_steps(clinic.id)
    return WorklistPage(rows, counts, page, has_next, patient_names(rows))


def patient_names(rows: list[WorklistRow]) -> dict[int, str]:
    """The display names of the rows' patients, in one query (made even for none: a page
    costs the same number of queries whatever it holds)."""
    ids = {row.item.patient_id for row in rows}
    found = db.session.execute(
        select(Patient.id, Patient.display_name).where(Patient.id.in_(ids))
    ).all()
    return {patient_id: name for patient_id, name in found}


# --- the one-click marks ----------------------------------------------------------------


def acknowledge_side_effects(entry: DiaryEntry, by: User, now: datetime | None = None) -> bool:
    """Mark the side effects of ``entry`` as seen by ``by``; False when there were none
    or they were acknowledged already (nothing changes then)."""
    if not entry.side_effects or entry.side_effects_acknowledged_at is not None:
        return False
    entry.side_effects_acknowledged_at = now or utcnow()
    entry.side_effects_acknowledged_by_id = by.id
    record_audit(
        "entry.side_effects_acknowledged",
        by=by,
        target=entry,
        detail={"block_id": entry.block_id},
    )
    return True


def review_diary(block: Block, by: User, now: datetime | None = None) -> bool:
    """Mark the finished diary of ``block`` reviewed by ``by``; False when it was already.
    A diary still open is refused (InputRejected): its verdict may still change."""
    now = now or utcnow()
    if block.reviewed_at is not None:
        return False
    if block.link_open(now):
        raise InputRejected(
            "block", "This diary is still open: review it once its link has closed."
        )
    block.reviewed_at = now
    block.reviewed_by_id = by.id
    record_audit("block.reviewed", by=by, target=block)
    return True
