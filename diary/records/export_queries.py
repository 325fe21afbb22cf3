"""What the clinic-wide CSV exports read from the database, a million entries at a time.

Blocks and entries come as plain tuples (no model is built for them) in chunks, so the
export's speed is close to the query's and its memory stays flat.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Integer, String, bindparam, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from diary.collector import collector_paused
from diary.extensions import db
from diary.models import Block, Clinic, DiaryEntry, EntryRevision, Patient, utcnow
from diary.records.export import times_rise
from diary.schedule import HOURLY, DiarySchedule, diary_status
from diary.services.dashboard import BlockFilter
from diary.services.settings import analysis_settings, diary_schedule, last_due_time
from diary.services.summaries import (
    settings_digest,
    stored_summary,
    stored_summary_of,
    stored_value,
)

# What an export reads of a block: its columns (no model built) and its patient's name.
EXPORT_BLOCK_COLUMNS = (
    Block.id,
    Block.performed_at,
    Block.region,
    Block.levels,
    Block.side,
    Block.purpose,
    Block.sequence,
    Block.agent,
    Block.concentration,
    Block.agent_other,
    Block.volume_ml_per_level,
    Block.steroid,
    Block.sedation,
    Block.baseline_pain,
    Block.daily_days,
    Block.changed_at,
    Block.summary,
    Block.summary_key,
    Block.link_expires_at,
    Block.link_revoked_at,
    Block.archived_at,
    Block.scoring,
    Block.baseline_pain_left,
    Block.baseline_pain_right,
)


def row_type(name: str, fields: list[str]) -> Any:
    """A named tuple class with these fields (read like a record by the export)."""
    return namedtuple(name, fields)  # noqa: PYI024


_ExportBlockRow: Any = row_type(
    "ExportBlockRow", [c.key for c in EXPORT_BLOCK_COLUMNS] + ["patient"]
)


class ExportBlock(_ExportBlockRow):
    __slots__ = ()

    # Read as the model reads it: a bilateral block scored left and right apart.
    scored_apart = Block.scored_apart


ExportPatient = namedtuple("ExportPatient", ["display_name", "mrn", "birth_year"])


def export_status(
    block, schedule: DiarySchedule, entry_count: int, now: datetime, timezone: str
) -> str:
    """The diary's status (schedule.diary_status) of a Block or an ExportBlock: while it is
    not_started or in_progress, its verdict is provisional. ``timezone``: the clinic's
    (the daily slots are at the block's clock time there)."""
    # The status reads the last due time only.
    due_times = [last_due_time(block, schedule, timezone)]
    return diary_status(due_times, entry_count, Block.link_open(block, now), now)


def clinic_export(
    clinic: Clinic,
    chosen: BlockFilter,
    with_entries: bool,
    chunk: int = 50,
    with_days: bool = False,
):
    """(block, summary, entries, diary status) for the clinic's matching blocks, oldest
    first.

    Blocks are read ``chunk`` at a time with their patients' names, as ExportBlock
    tuples (they read like Block models), and the entries of a chunk in one query as
    plain tuples: an export of a million entries builds no model, and memory stays flat
    however many match. A chunk's entries are read about ``ENTRY_ROWS`` at a time (by the
    stored summaries' counts; a block with none counts as the clinic's cap), not all of a
    chunk's at once. ``entries`` is empty unless ``with_entries``, or ``with_days`` and
    the block asks for daily scores (its days of relief read them). A block whose stored
    summary is out of date is analysed here from those rows; the export writes nothing back.
    """
    settings = analysis_settings(clinic)
    digest = settings_digest(settings)
    schedule, now = diary_schedule(clinic), utcnow()
    query = (
        select(*EXPORT_BLOCK_COLUMNS, Patient.display_name, Patient.mrn, Patient.birth_year)
        .join(Patient, Patient.id == Block.patient_id)
        .where(Block.clinic_id == clinic.id)
        .order_by(Block.performed_at, Block.id)
        .execution_options(yield_per=chunk)
    )
    if chosen.performed_from:
        query = query.where(Block.performed_at >= chosen.performed_from)
    if chosen.performed_before:
        query = query.where(Block.performed_at < chosen.performed_before)
    if chosen.region:
        query = query.where(Block.region == chosen.region)
    if chosen.agent:
        query = query.where(Block.agent == chosen.agent)
    result = db.session.connection().execute(query)
    try:
        for block_rows in result.partitions():
            blocks = [ExportBlock(*row[:-3], ExportPatient(*row[-3:])) for row in block_rows]
            summaries = {block.id: stored_summary(block, digest) for block in blocks}
            wanted = [
                b.id
                for b in blocks
                if with_entries or summaries[b.id] is None or (with_days and b.daily_days)
            ]
            batch_of = _row_batches(
                wanted,
                {
                    i: s.entry_count if s else clinic.max_entries_per_diary
                    for i, s in summaries.items()
                },
            )
            loaded, entries = -1, dict[int, list[tuple]]()
            for block in blocks:
                batch = batch_of.get(block.id)
                if batch is not None and batch[0] != loaded:
                    entries = {}  # the last batch's rows go before the next one's are read
                    entries = _entry_rows_by_block(batch[1])
                    loaded = batch[0]
                rows = entries.get(block.id, [])
                if summaries[block.id] is None:
                    # Analysed here, each side's too (the rows then carry them).
                    value = stored_value(block, settings, map(EntryRow._make, rows))
                    block = block._replace(summary=value)
                summary = summaries[block.id] or stored_summary_of(block.summary)
                if chosen.verdict and chosen.verdict not in _verdicts(block, summary):
                    continue
                status = export_status(block, schedule, summary.entry_count, now, clinic.timezone)
                kept = with_entries or (with_days and block.daily_days)
                yield block, summary, rows if kept else [], status
    finally:
        result.close()  # a download stopped half-way must not leave a cursor open


# The most entry rows an export reads in one query (one chunk's, about): a chunk of 50
# diaries of 50 entries held 2,500 rows at once, +5 MB in a worker at their peak (the
# driver's result and the rows' objects, about 2 kB a row); 50 diaries at the clinic's cap
# of 200 to 1,000 entries would hold 10,000 to 50,000.
ENTRY_ROWS = 1000


def _row_batches(
    block_ids: list[int], expected: dict[int, int], most: int | None = None
) -> dict[int, tuple[int, list[int]]]:
    """Each block id's batch: (its number, the ids read with it), consecutive ids whose
    ``expected`` rows add up to at most ``most`` (ENTRY_ROWS), or one block alone."""
    most = ENTRY_ROWS if most is None else most
    batches: list[list[int]] = []
    rows = most
    for block_id in block_ids:
        count = max(expected.get(block_id, 0), 1)
        if rows + count > most:
            batches.append([])
            rows = 0
        batches[-1].append(block_id)
        rows += count
    return {block_id: (n, ids) for n, ids in enumerate(batches) for block_id in ids}


def _verdicts(block, summary) -> set[str]:
    """The block's verdicts a filter matches: each side's when scored apart, else its one.
    (A block scored apart has a flat verdict too, indeterminate when its sides differ, which
    is no side's: filtering on it chose blocks with no indeterminate side.)"""
    sides = (block.summary or {}).get("sides") if block.scored_apart else None
    if sides:
        return {side["verdict"] for side in sides.values()}
    return {summary.verdict}


class utc_text(FunctionElement):  # noqa: N801 (used like a SQL function)
    """A stored time as UTC text in SQLite's storage format, "2026-03-01 09:15:00.000000",
    on every database: the CSV writes it without parsing a datetime a million times."""

    type = String()
    inherit_cache = True


@compiles(utc_text)
def _utc_text_as_stored(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)  # SQLite keeps exactly that text


@compiles(utc_text, "postgresql")
def _utc_text_on_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"


class utc_iso_text(utc_text):  # noqa: N801 (used like a SQL function)
    """utc_text as PostgreSQL casts a timestamp to text when its DateStyle is ISO: the
    same text but for the fraction's trailing zeros ("09:15:00.5", "09:15:00"), which
    sorts and parses alike. The cast costs the server about a third of to_char's CPU
    (250,000 entries: 0.44 s against 0.69; reading the timestamps as they are, 0.28)."""

    inherit_cache = True


@compiles(utc_iso_text)
def _utc_iso_text_as_stored(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(utc_iso_text, "postgresql")
def _utc_iso_text_on_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"(({column} AT TIME ZONE 'UTC')::text)"


def _entry_columns(as_text: type[utc_text]) -> tuple:
    """What an export reads of an entry, in ``export.entry_values`` order; times as UTC
    text written by ``as_text``."""
    return (
        DiaryEntry.block_id,
        DiaryEntry.id,
        as_text(DiaryEntry.recorded_at).label("recorded_at"),
        as_text(DiaryEntry.submitted_at).label("submitted_at"),
        DiaryEntry.pain,
        DiaryEntry.reported_relief_pct,
        DiaryEntry.activity,
        DiaryEntry.note,
        DiaryEntry.updated_at.is_not(None).label("edited"),
        DiaryEntry.source,
        as_text(DiaryEntry.due_at).label("due_at"),
        as_text(DiaryEntry.made_at).label("made_at"),
        DiaryEntry.pain_left,
        DiaryEntry.pain_right,
        DiaryEntry.slot,
    )


EXPORT_ENTRY_COLUMNS = _entry_columns(utc_text)
# The same tuple with names, for the analysis of a block whose stored summary is stale.
EntryRow = row_type("EntryRow", [column.key for column in EXPORT_ENTRY_COLUMNS])


def _entry_rows_by_block(block_ids: list[int]) -> dict[int, list[tuple]]:
    """The blocks' entries as EXPORT_ENTRY_COLUMNS tuples, by block, in time order (the id
    orders two entries of one time).

    The database is not asked to sort them: on PostgreSQL sorting a chunk's rows cost the
    server about a fifth of the query (50,000 rows: 12-16 ms of 60), while they come from
    the block's index in the order they were stored, which is a diary's time order but for
    a correction or an entry added later. A block whose times do not rise is sorted here."""
    if not block_ids:
        return {}
    grouped: dict[int, list[tuple]] = {}
    for block_id, block_rows in groupby(entry_rows(block_ids, in_order=False), itemgetter(0)):
        rows = list(block_rows)
        grouped[block_id] = grouped[block_id] + rows if block_id in grouped else rows
    for rows in grouped.values():
        # Rising times need no sorting (nor an id to order two of one time). The times are
        # text that sorts as the instants do: SQLite's stored text, or PostgreSQL's ISO
        # text (a fraction's trailing zeros dropped) or to_char's.
        if not times_rise(rows):
            rows.sort(key=itemgetter(2, 1))
    return grouped


def _entries_of_blocks(columns: tuple, in_order: bool = True):
    """The entries of some blocks, by block and time (the id orders two entries of one
    time); in no stated order unless ``in_order``."""
    query = select(*columns).where(DiaryEntry.block_id.in_(bindparam("block_ids", expanding=True)))
    if in_order:
        query = query.order_by(DiaryEntry.block_id, DiaryEntry.recorded_at, DiaryEntry.id)
    return query


# The entries' statement by ISO DateStyle (on a PostgreSQL connection whose DateStyle is
# ISO, the times as utc_iso_text) and whether the database sorts the rows.
_ENTRIES_STATEMENTS = {
    (iso, in_order): _entries_of_blocks(
        _entry_columns(utc_iso_text) if iso else EXPORT_ENTRY_COLUMNS, in_order
    )
    for iso in (False, True)
    for in_order in (False, True)
}
_IDS_PLACEHOLDER = "__[POSTCOMPILE_block_ids]"
# The entries' statements as SQL, by dialect, ISO DateStyle and order: compiling one cost
# more than running it.
_entries_sql: dict[tuple[str, bool, bool], str] = {}


def _iso_datestyle(connection) -> bool:
    """A psycopg connection whose server writes timestamps as ISO text (the server reports
    DateStyle to the client: no query)."""
    info = getattr(connection.connection.dbapi_connection, "info", None)
    return info is not None and (info.parameter_status("DateStyle") or "").startswith("ISO")


def entry_rows(block_ids: list[int], in_order: bool = True) -> Sequence[tuple]:
    """The entries' rows (_ENTRIES_STATEMENTS) straight from the database driver (with
    ``in_order`` false, not sorted: see ``_entry_rows_by_block``). On an export's million rows,
    SQLAlchemy's result rows cost three times the query itself (measured on SQLite: 2.7 µs
    a row against 0.85 µs); the statement is still built by SQLAlchemy, once."""
    connection = db.session.connection()
    dialect = connection.dialect
    iso = dialect.name == "postgresql" and _iso_datestyle(connection)
    key = (dialect.name, iso, in_order)
    template = _entries_sql.get(key)
    if template is None:
        compiled = _ENTRIES_STATEMENTS[iso, in_order].compile(dialect=dialect)
        if set(compiled.params) != {"block_ids"} or _IDS_PLACEHOLDER not in str(compiled):
            raise RuntimeError("the block ids must be the one parameter of the entries query")
        template = _entries_sql[key] = str(compiled)
    # The one parameter, expanded as the driver takes positional ones.
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = template.replace(_IDS_PLACEHOLDER, ", ".join([marker] * len(block_ids)))
    # psycopg reads its rows' integers and booleans cheaper in binary (the same values).
    cursor = connection.connection.cursor(
        **({"binary": True} if dialect.driver == "psycopg" else {})
    )
    # Tuples of plain values hold no reference cycles, yet creating a chunk of them sets
    # off the cycle collector hundreds of times (a fifth of an export's time).
    try:
        with collector_paused():
            cursor.execute(sql, tuple(block_ids))
            return cursor.fetchall()
    finally:
        cursor.close()


class minutes_between(FunctionElement):  # noqa: N801 (used like a SQL function)
    """Whole minutes from one stored time to another, on every database."""

    type = Integer()
    inherit_cache = True


@compiles(minutes_between)
def _minutes_on_sqlite(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 1440) AS INTEGER)"


@compiles(minutes_between, "postgresql")
def _minutes_on_postgresql(element, compiler, **kw):
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) / 60) AS INTEGER)"


def answered_slots(block_ids: list[int], chunk: int = 500) -> list[int]:
    """The scheduled times of the hours after the block (minutes after it) any of these
    blocks' entries answered: the slots the blocks were given, whatever the clinic's
    schedule is now. Daily slots have their own columns (daily_columns)."""
    slots: set[int] = set()
    for start in range(0, len(block_ids), chunk):
        slots.update(
            db.session.scalars(
                select(minutes_between(Block.performed_at, DiaryEntry.due_at))
                .select_from(DiaryEntry)
                .join(Block, Block.id == DiaryEntry.block_id)
                .where(
                    DiaryEntry.block_id.in_(block_ids[start : start + chunk]),
                    DiaryEntry.due_at.is_not(None),
                    DiaryEntry.slot == HOURLY,
                )
                .distinct()
            )
        )
    return sorted(slots)


def daily_columns(block_ids: list[int], chunk: int = 500) -> int:
    """How many daily slots the most of these blocks ask for (the wide file's day columns)."""
    most = 0
    for start in range(0, len(block_ids), chunk):
        found = db.session.scalar(
            select(func.max(Block.daily_days)).where(Block.id.in_(block_ids[start : start + chunk]))
        )
        most = max(most, found or 0)
    return most


def corrections_of(block_ids: list[int], chunk: int = 500) -> Iterator[tuple[int, EntryRevision]]:
    """(block id, revision) of every correction of these blocks' entries, oldest first."""
    for start in range(0, len(block_ids), chunk):
        rows = db.session.execute(
            select(DiaryEntry.block_id, EntryRevision)
            .join(DiaryEntry, DiaryEntry.id == EntryRevision.entry_id)
            .where(DiaryEntry.block_id.in_(block_ids[start : start + chunk]))
            .order_by(DiaryEntry.block_id, EntryRevision.replaced_at, EntryRevision.id)
        )
        yield from rows  # rows unpack as (block id, revision)
