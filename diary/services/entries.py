"""Diary entries: stored exactly once per phone-made id, corrected with history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import cache
from types import SimpleNamespace

from sqlalchemy import Row, Select, Table, bindparam, case, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from diary.extensions import db
from diary.models import (
    Block,
    Clinic,
    DiaryEntry,
    EntryRevision,
    PostedDiary,
    PostedDiaryClinic,
    User,
    utcnow,
)
from diary.schedule import slot_for, slot_kind
from diary.services.audit import record_audit
from diary.services.rejections import DiaryClosed, InputRejected
from diary.services.settings import block_daily_slots, block_due_times
from diary.vocabulary import SideEffect

# Phones' clocks drift; an entry a little "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=2)


def N_(message: str) -> str:
    """Marks a message for translation where it is shown (the patient pages)."""
    return message


# Scores stand as logged once the diary window is over: a change then is the clinic's.
CORRECTIONS_CLOSED = N_(
    "The diary window is over, so scores can no longer be corrected here. Please tell your clinic."
)

# A patient fixes a slip once or twice; past the clinic's caps the clinic corrects it.
ENTRY_CORRECTED_ENOUGH = N_(
    "This score has been corrected as many times as a diary allows. "
    "If it is still wrong, please tell your clinic."
)
DIARY_CORRECTED_ENOUGH = N_(
    "This diary has had as many corrections as it allows. "
    "If a score is still wrong, please tell your clinic."
)


@dataclass
class EntryInput:
    # The one score, or (a bilateral block scored apart) one per side.
    pain: int | None = None
    recorded_at: datetime | None = None
    made_at: datetime | None = None
    reported_relief_pct: int | None = None
    activity: str | None = None
    note: str | None = None
    client_id: str | None = None
    side_effects: Sequence[str] = ()
    side_effect_note: str | None = None
    pain_left: int | None = None
    pain_right: int | None = None


DIARY_FULL = N_("This diary is full, so this score was not saved.")
MISSING_SIDE = {
    "pain_left": N_("Choose a score for the left side."),
    "pain_right": N_("Choose a score for the right side."),
}
SIDE_SCORES_ONLY = N_(
    "This diary is scored left and right apart: give pain_left and pain_right, not pain."
)
ONE_SCORE_ONLY = N_("This diary takes one score: give pain, not pain_left or pain_right.")
MISSING_SCORE = N_("Choose a score from 0 to 10.")
SCORE_RANGE = N_("The score must be a whole number from 0 to 10.")


def entry_scores(block: Block | PostedDiary, values: EntryInput) -> dict:
    """The scores an entry stores: ``pain``, or ``pain_left`` and ``pain_right`` when
    the block is scored apart (both required). Raises InputRejected naming the field."""
    given = {"pain": values.pain, "pain_left": values.pain_left, "pain_right": values.pain_right}
    for name, value in given.items():
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10
        ):
            raise InputRejected(name, SCORE_RANGE)
    if block.scored_apart:
        if values.pain is not None:
            raise InputRejected("pain", SIDE_SCORES_ONLY)
        for name, message in MISSING_SIDE.items():
            if given[name] is None:
                raise InputRejected(name, message)
        return {"pain": None, "pain_left": values.pain_left, "pain_right": values.pain_right}
    for name in ("pain_left", "pain_right"):
        if given[name] is not None:
            raise InputRejected(name, ONE_SCORE_ONLY)
    if values.pain is None:
        raise InputRejected("pain", MISSING_SCORE)
    return {"pain": values.pain, "pain_left": None, "pain_right": None}


def check_entry_time(block: Block | PostedDiary, recorded_at: datetime, now: datetime) -> None:
    if recorded_at < block.performed_at:
        raise InputRejected("recorded_at", N_("The time cannot be before the procedure."))
    if recorded_at > now + CLOCK_SKEW:
        raise InputRejected("recorded_at", N_("The time cannot be in the future."))


def record_entry(
    block: Block,
    values: EntryInput,
    now: datetime | None = None,
    transcribed_by: User | None = None,
) -> tuple[DiaryEntry, bool]:
    """Store an entry exactly once per ``client_id``.

    Returns the entry and whether it was new; a repeat of a stored ``client_id``
    returns the stored entry unchanged. Raises DiaryClosed or InputRejected.
    Staff transcribing a paper diary (``transcribed_by``) may do so whatever the
    state of the diary link.
    """
    now = now or utcnow()
    stored, created = _store_once(block, values, now, transcribed_by, rows=False)
    if created:
        set_committed_value(block, "changed_at", now)
        set_committed_value(block, "may_call_for_action", True)
        db.session.expire(block, ["entries"])  # read again, with this entry, when next asked
        if transcribed_by is not None:
            record_audit(
                "entry.transcribe", by=transcribed_by, target=stored, clinic_id=block.clinic_id
            )
    return stored, created


def post_entry(diary: PostedDiary, values: EntryInput) -> tuple[Row | SimpleNamespace, bool]:
    """``record_entry`` for the patient's post, the diary read by ``posted_diary``: the
    same rules and statements, no ORM object made. The entry is the values a new one was
    inserted with and the id the insert returns (what reading it back would give: its
    times in UTC), else a row of the one stored with its ``client_id``."""
    return _store_once(diary, values, utcnow(), None, rows=True)


def _store_once(
    block: Block | PostedDiary,
    values: EntryInput,
    now: datetime,
    transcribed_by: User | None,
    rows: bool,
):
    """The entry stored and True, or the one stored earlier with its ``client_id`` and
    False: a DiaryEntry, or with ``rows`` a row of its columns."""
    client_id = values.client_id or uuid.uuid4().hex
    stored_with = _entry_row_by_client_id if rows else _entry_by_client_id
    try:
        entry = _new_entry(block, values, client_id, now, transcribed_by)
    except (DiaryClosed, InputRejected):
        # A resend of an entry stored earlier is answered with it, even if the link
        # has closed since (the phone was offline) or the clock has moved on.
        existing = stored_with(block.id, client_id) if values.client_id else None
        if existing is None:
            raise
        return existing, False
    # The common case is a new entry, so insert at once, in one statement that also
    # counts the diary's entries against its cap; the unique (block, client_id)
    # constraint turns a resend or a concurrent double tap into no row, with nothing to
    # roll back. Plain INSERT ... RETURNING and UPDATE statements: the unit of work's
    # flush would cost more than the statements themselves on this, the busiest write.
    statements = _statements(db.session.get_bind().dialect.name)
    parameters = entry | {"cap": block.clinic.max_entries_per_diary, "now": now}
    if rows:
        # Only the id comes back: reading the row's 20 columns back (five times and a JSON
        # list parsed again on SQLite) cost more than the rest of the answer.
        added = db.session.connection().execute(statements.insert_row, parameters).scalar()
        stored = None if added is None else SimpleNamespace(**entry, id=added, updated_at=None)
    else:
        stored = db.session.scalars(statements.insert, parameters).one_or_none()
    if stored is None:
        existing = stored_with(block.id, client_id)
        if existing is None:
            raise InputRejected("pain", DIARY_FULL)
        return existing, False
    if statements.touch is not None:
        db.session.connection().execute(statements.touch, {"block_id": block.id, "now": now})
    return stored, True


# The columns an entry post leaves to the database or to later writes: the id, the
# side effects' acknowledgement, a correction's time. It inserts every other one, so a
# column added to DiaryEntry is inserted too, and the post fails at once (no value for
# its parameter) until _new_entry gives it one.
SET_LATER = frozenset(
    {"id", "side_effects_acknowledged_at", "side_effects_acknowledged_by_id", "updated_at"}
)
INSERTED = tuple(
    column.name for column in DiaryEntry.__table__.columns if column.name not in SET_LATER
)


@cache
def _statements(dialect: str) -> SimpleNamespace:
    """The entry post's statements, built once (building one costs more than running it):
    the entry's INSERT ... SELECT, which inserts nothing when the diary holds its cap of
    entries already or (ON CONFLICT (block_id, client_id) DO NOTHING) the entry, read
    back as a DiaryEntry (``insert``) or its id alone (``insert_row``); the count of a
    diary's entries; the block's change time (``touch``). On PostgreSQL the insert changes
    the block's time itself when it inserts (an UPDATE in a WITH: one round trip less), and
    ``touch`` is None."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = DiaryEntry.__table__
    assert isinstance(table, Table)
    count = select(func.count(table.c.id)).where(table.c.block_id == bindparam("block_id"))
    row = select(*(bindparam(name, type_=table.c[name].type) for name in INSERTED)).where(
        count.scalar_subquery() < bindparam("cap")
    )
    new_entry = (
        insert(table)
        .from_select(INSERTED, row)
        .on_conflict_do_nothing(index_elements=["block_id", "client_id"])
    )
    entry, entry_id = new_entry.returning(*table.c), new_entry.returning(table.c.id)
    touch = (
        update(Block)
        .where(Block.id == bindparam("block_id"))
        .values(changed_at=bindparam("now"), may_call_for_action=True)
    )
    if dialect == "postgresql":

        def and_touch(added_entry):
            added = added_entry.cte("added")
            touched = touch.where(exists(select(added.c.id))).cte("touched")
            return select(added).add_cte(touched)

        return SimpleNamespace(
            insert=select(DiaryEntry).from_statement(and_touch(entry)),
            insert_row=and_touch(entry_id),
            count=count,
            touch=None,
        )
    return SimpleNamespace(
        insert=select(DiaryEntry).from_statement(entry),
        insert_row=entry_id,
        count=count,
        touch=touch,
    )


def _new_entry(
    block: Block | PostedDiary,
    values: EntryInput,
    client_id: str,
    now: datetime,
    transcribed_by: User | None,
) -> dict:
    if transcribed_by is None and not block.link_open(now):
        raise DiaryClosed()
    try:
        scores = entry_scores(block, values)
        recorded_at = values.recorded_at or now
        check_entry_time(block, recorded_at, now)
        made_at = min(values.made_at or now, now)
        if made_at < recorded_at - CLOCK_SKEW:
            raise InputRejected("made_at", "The time made cannot be before the time of the pain.")
    except InputRejected:
        # A full diary is the answer whatever else is wrong (the insert counts the rest).
        _check_not_full(block)
        raise
    due_times = block_due_times(block)
    due_at = slot_for(due_times, recorded_at)
    return dict(
        block_id=block.id,
        client_id=client_id,
        # In UTC, as stored: post_entry answers with these values.
        recorded_at=min(recorded_at, now).astimezone(UTC),
        submitted_at=now,
        made_at=made_at.astimezone(UTC),
        due_at=due_at,
        slot=slot_kind(due_at, block_daily_slots(block)),
        **scores,
        reported_relief_pct=values.reported_relief_pct,
        activity=(values.activity or "").strip() or None,
        note=(values.note or "").strip() or None,
        side_effects=_side_effects(values.side_effects),
        side_effect_note=(values.side_effect_note or "").strip()[:500] or None,
        source="transcribed" if transcribed_by else "patient",
        entered_by_id=transcribed_by.id if transcribed_by else None,
    )


def _check_not_full(block: Block | PostedDiary) -> None:
    statements = _statements(db.session.get_bind().dialect.name)
    stored = db.session.connection().execute(statements.count, {"block_id": block.id}).scalar_one()
    if stored >= block.clinic.max_entries_per_diary:
        raise InputRejected("pain", DIARY_FULL)


def _side_effects(ticked: Sequence[str]) -> list[str] | None:
    known = {effect.value for effect in SideEffect}
    if not set(ticked) <= known:
        raise InputRejected("side_effects", N_("Choose side effects from the list."))
    return [effect.value for effect in SideEffect if effect.value in ticked] or None


def _entry_by_client_id(block_id: int, client_id: str) -> DiaryEntry | None:
    return db.session.execute(
        select(DiaryEntry).filter_by(block_id=block_id, client_id=client_id)
    ).scalar_one_or_none()


def _entry_row_by_client_id(block_id: int, client_id: str) -> Row | None:
    table = DiaryEntry.__table__
    assert isinstance(table, Table)
    stored = select(table).where(table.c.block_id == block_id, table.c.client_id == client_id)
    return db.session.connection().execute(stored).one_or_none()


@cache
def _posted_diary_statement():
    # Built once, as the entry post's other statements.
    columns = [Block.__table__.c[field.name] for field in fields(PostedDiary)[:-1]]
    clinic = [Clinic.__table__.c[field.name] for field in fields(PostedDiaryClinic)]
    return (
        select(*columns, *clinic)
        .join(Clinic.__table__, Clinic.__table__.c.id == Block.__table__.c.clinic_id)
        .where(Block.__table__.c.diary_token == bindparam("token"))
    )


def posted_diary(token: str) -> PostedDiary | None:
    """The diary of ``token`` as the entry post reads it (None when there is none), in
    one row read without the ORM: see PostedDiary."""
    row = db.session.connection().execute(_posted_diary_statement(), {"token": token}).first()
    if row is None:
        return None
    read = row._asdict()
    clinic = PostedDiaryClinic(
        read.pop("timezone"), read.pop("schedule"), read.pop("max_entries_per_diary")
    )
    return PostedDiary(**read, clinic=clinic)


def kept_time(stored: datetime, given: datetime | None) -> datetime:
    """An entry's time after a correction: the stored one unless the person changed it.
    A form shows the time to the minute and an answer to the second, so the time sent
    back as shown is no change (cutting its seconds would move the entry: 0.25 h after
    the block would read 0.24 h)."""
    if given is None:
        return stored
    as_shown = (stored.replace(second=0, microsecond=0), stored.replace(microsecond=0))
    return stored if given in as_shown else given


def correct_entry(
    entry: DiaryEntry, values: EntryInput, replaced_by: str, now: datetime | None = None
) -> bool:
    """Change an entry, keeping its old values as a revision. False when nothing changed."""
    now = now or utcnow()
    block = entry.block
    recorded_at = kept_time(entry.recorded_at, values.recorded_at)
    check_entry_time(block, recorded_at, now)
    new_values = {
        "recorded_at": recorded_at,
        **entry_scores(block, values),
        "reported_relief_pct": values.reported_relief_pct,
        "activity": (values.activity or "").strip() or None,
        "note": (values.note or "").strip() or None,
    }
    if all(getattr(entry, name) == value for name, value in new_values.items()):
        return False
    _check_correction_caps(entry, block)
    db.session.add(
        EntryRevision(
            entry_id=entry.id,
            recorded_at=entry.recorded_at,
            pain=entry.pain,
            pain_left=entry.pain_left,
            pain_right=entry.pain_right,
            reported_relief_pct=entry.reported_relief_pct,
            activity=entry.activity,
            note=entry.note,
            replaced_at=now,
            replaced_by=replaced_by,
        )
    )
    for name, value in new_values.items():
        setattr(entry, name, value)
    due_times = block_due_times(block)
    entry.due_at = slot_for(due_times, entry.recorded_at)
    entry.slot = slot_kind(entry.due_at, block_daily_slots(block))
    entry.updated_at = now
    block.changed_at = now
    record_audit("entry.correct", target=entry, actor=replaced_by, clinic_id=block.clinic_id)
    return True


def _check_correction_caps(entry: DiaryEntry, block: Block) -> None:
    """Refuse a correction past the clinic's caps (InputRejected on the score): each
    kept correction is listed on the block page and in the report."""
    of_diary, of_entry = db.session.execute(
        select(
            func.count(EntryRevision.id),
            func.count(case((EntryRevision.entry_id == entry.id, EntryRevision.id))),
        )
        .join(DiaryEntry, DiaryEntry.id == EntryRevision.entry_id)
        .where(DiaryEntry.block_id == block.id)
    ).one()
    if of_entry >= block.clinic.max_corrections_per_entry:
        raise InputRejected("pain", ENTRY_CORRECTED_ENOUGH)
    if of_diary >= block.clinic.max_corrections_per_diary:
        raise InputRejected("pain", DIARY_CORRECTED_ENOUGH)


# The block page and the report list each entry's latest corrections; the rest are on
# the block's corrections page (paged) and in its corrections CSV.
CORRECTIONS_SHOWN = 3


@dataclass(frozen=True)
class EntryCorrections:
    """An entry's latest corrections, newest first, and how many it has in all."""

    latest: list[EntryRevision]
    total: int

    @property
    def earlier(self) -> int:
        return self.total - len(self.latest)


def latest_corrections(block: Block, shown: int = CORRECTIONS_SHOWN) -> dict[int, EntryCorrections]:
    """Entry id -> its latest ``shown`` corrections, for the entries that have any.

    One query, and at most ``shown`` rows per entry however long a history is (diaries
    corrected before the caps may hold thousands)."""
    ranked = (
        select(
            EntryRevision.id,
            func.row_number()
            .over(partition_by=EntryRevision.entry_id, order_by=EntryRevision.id.desc())
            .label("newest_first"),
            func.count().over(partition_by=EntryRevision.entry_id).label("total"),
        )
        .join(DiaryEntry, DiaryEntry.id == EntryRevision.entry_id)
        .where(DiaryEntry.block_id == block.id)
        .subquery()
    )
    rows = db.session.execute(
        select(EntryRevision, ranked.c.total)
        .join(ranked, ranked.c.id == EntryRevision.id)
        .where(ranked.c.newest_first <= shown)
        .order_by(EntryRevision.entry_id, EntryRevision.id.desc())
    ).all()
    found: dict[int, EntryCorrections] = {}
    for revision, total in rows:
        found.setdefault(revision.entry_id, EntryCorrections([], total)).latest.append(revision)
    return found


def corrections_page(block: Block, offset: int, limit: int) -> tuple[list[EntryRevision], bool]:
    """A page of the block's corrections, newest first (each with its entry), and
    whether there are more."""
    revisions = (
        db.session.execute(
            select(EntryRevision)
            .join(EntryRevision.entry)
            .options(contains_eager(EntryRevision.entry))
            .where(DiaryEntry.block_id == block.id)
            .order_by(EntryRevision.id.desc())
            .offset(offset)
            .limit(limit + 1)
        )
        .scalars()
        .all()
    )
    return list(revisions[:limit]), len(revisions) > limit


# A paper diary's row has a minute and its scores; the same row copied again is a mistake.
TRANSCRIBED_ALREADY = (
    "This diary already has an entry at {time} with these scores, so it was not stored again."
)


def transcribed_already(block: Block, values: EntryInput) -> bool:
    """Whether a paper diary's row (``values``, to the minute) is in the diary already,
    stored under another id: the same row copied twice (the form drawn again after Back
    and sent) would count its hour twice in the verdict. A resend with the row's own id
    is answered by record_entry as the first was."""
    same = _entries_holding(block, values)
    if values.client_id:
        same = same.where(DiaryEntry.__table__.c.client_id != values.client_id)
    return db.session.execute(same.limit(1)).first() is not None


FORM_SAVED_ALREADY = (
    "This form had been saved already with another row, so nothing new was stored. "
    "Check the row and save it again."
)


def same_row(entry: DiaryEntry, block: Block, values: EntryInput) -> bool:
    """Whether a stored entry holds the paper diary's row ``values``: transcribed_already's
    rule, asked of that entry."""
    held = _entries_holding(block, values).where(DiaryEntry.__table__.c.id == entry.id)
    return db.session.execute(held).first() is not None


def _entries_holding(block: Block, values: EntryInput) -> Select:
    """The ids of ``block``'s entries that hold a paper diary's row ``values``: a time
    within its minute, and its scores (both sides' when scored apart)."""
    assert values.recorded_at is not None
    scores = entry_scores(block, values)
    table = DiaryEntry.__table__.c
    return select(table.id).where(
        table.block_id == block.id,
        table.recorded_at >= values.recorded_at,
        table.recorded_at < values.recorded_at + timedelta(minutes=1),
        *(
            table[name].is_(None) if score is None else table[name] == score
            for name, score in scores.items()
        ),
    )
