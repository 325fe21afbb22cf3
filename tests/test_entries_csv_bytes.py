"""The clinic-wide entries CSV, made faster (issue 23), writes the very bytes the old code
wrote, on both databases, for diaries that reach every branch of a line: time zones with
a change of clock and a 45-minute offset, entries replaced or before the block,
corrected, transcribed, late or on time, daily, notes that need quotes or neutralising,
blocks scored apart, without a baseline, stale, empty.

The expected files are fixed bytes in tests/golden/ (written by the code before the
faster export, commit fef0d10, and the same on SQLite and PostgreSQL): a reference
sharing the export's helpers would not catch a bug in them. A deliberate change of the
file's format rewrites them with ``BD_WRITE_GOLDEN=1`` (SQLite run); review their diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from diary import downloads
from diary.extensions import db
from diary.models import Block, DiaryEntry
from diary.records import export, export_queries
from diary.services.patients import PatientInput, create_patient
from diary.services.summaries import refresh_summaries
from tests.conftest import PASSWORD, make_block, make_clinic, make_user

GOLDEN = Path(__file__).resolve().parent / "golden"

# A Sunday of a change of clock in New York (07:00 UTC, 2 a.m. local becomes 3 a.m.).
CLOCK_CHANGE = datetime(2025, 3, 9, 7, 0, tzinfo=UTC)
TEXTS = [None, "=1+1", 'says "hi", then', "two\nlines", "-5", "; a", "plain", "+x", "@me"]


def _entry(block, n: int, at: datetime, **values) -> DiaryEntry:
    values.setdefault("pain", n % 11)
    values.setdefault("submitted_at", at + timedelta(minutes=n % 3))
    entry = DiaryEntry(block_id=block.id, client_id=f"c-{block.id}-{n}", recorded_at=at, **values)
    db.session.add(entry)
    return entry


def _clinic_with_diaries(name: str, timezone: str):
    clinic = make_clinic(name, timezone=timezone, daily_days=3)
    user = make_user(clinic, f"doc@{name.lower()}.example", role="admin")
    patient = create_patient(clinic, PatientInput("=A.B.", mrn="-77", birth_year=1960), by=user)
    performed = CLOCK_CHANGE - timedelta(hours=5, minutes=17, seconds=3, microseconds=250)
    one = make_block(
        clinic,
        patient,
        user,
        performed_at=performed,
        agent="other",
        concentration=None,
        agent_other='=evil, "x"',
    )
    apart = make_block(
        clinic,
        patient,
        user,
        performed_at=performed + timedelta(minutes=40),
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=7,
        baseline_pain_right=5,
    )
    no_baseline = make_block(
        clinic, patient, user, performed_at=performed + timedelta(days=3), baseline_pain=0
    )
    make_block(clinic, patient, user, performed_at=performed + timedelta(days=4))  # no entries
    stale = make_block(clinic, patient, user, performed_at=performed + timedelta(days=5))
    db.session.flush()
    for n in range(30):
        at = performed + timedelta(minutes=37 * n - 30, microseconds=n * 999)
        text = TEXTS[n % len(TEXTS)]
        due = at - timedelta(minutes=n % 4) if n % 5 else None
        _entry(
            one,
            n,
            at,
            note=text,
            activity=TEXTS[(n + 3) % len(TEXTS)],
            reported_relief_pct=None if n % 3 else 10 * (n % 10),
            due_at=due,
            made_at=None if n % 7 == 0 else (due or at) + timedelta(minutes=n % 9),
            updated_at=at if n % 4 == 0 else None,
            source="transcribed" if n % 6 == 0 else "patient",
            slot="daily" if n % 8 == 0 else "hourly",
        )
        if n % 10 == 3:  # a second entry for the same time: one of the two is replaced
            _entry(one, 100 + n, at, note="again", submitted_at=at + timedelta(hours=1))
        _entry(
            apart, n, at + timedelta(hours=1), pain=None, pain_left=n % 11, pain_right=10 - n % 11
        )
        _entry(no_baseline, n, no_baseline.performed_at + timedelta(hours=n / 3))
        _entry(stale, n, stale.performed_at + timedelta(hours=n, seconds=-1))
    # The exact instant of the block, and a hair before it ("-0.000" must read "0.000").
    _entry(one, 500, performed)
    _entry(one, 501, performed - timedelta(microseconds=1))
    # Around half-thousandths of an hour (1.8 s): where rounding to six places first
    # (hours_between) can change the third.
    for k, micro in enumerate((-1, 0, 1, -500, 499)):
        for j, odd in enumerate((1, 7, 2001)):
            at = performed + timedelta(seconds=1.8 * odd, microseconds=micro)
            _entry(one, 600 + 10 * k + j, at, submitted_at=at)
    db.session.commit()
    refresh_summaries(clinic)
    # An entry after the summaries were stored: that block is analysed during the export.
    _entry(stale, 900, stale.performed_at + timedelta(hours=40))
    db.session.execute(
        db.update(Block).where(Block.id == stale.id).values(summary=None, summary_key=None)
    )
    db.session.commit()
    return clinic, user


def _golden(name: str, written: str, database_url: str) -> str:
    """The expected file ``entries_<name>.csv``; with BD_WRITE_GOLDEN=1 (on SQLite) it is
    written from ``written`` first."""
    path = GOLDEN / f"entries_{name.replace('/', '_')}.csv"
    if os.environ.get("BD_WRITE_GOLDEN") == "1" and database_url.startswith("sqlite"):
        path.write_bytes(written.encode("utf-8"))
    return path.read_bytes().decode("utf-8")


def _exported(chosen, user) -> str:
    db.session.expire_all()
    return "".join(
        export.csv_stream(export.ENTRY_COLUMNS, downloads.export_rows("entries", chosen, user))
    )


@pytest.mark.parametrize("timezone", ["America/New_York", "Asia/Kathmandu", "UTC"])
def test_entries_csv_is_byte_for_byte_the_old_one(app, client, database_url, timezone):
    clinic, user = _clinic_with_diaries("Bytes", timezone)
    written = _exported(downloads.block_filter(clinic.timezone), user)
    expected = _golden(timezone, written, database_url)
    assert expected.count("\r\n") > 120  # the diaries are there, every branch of a line
    for reached in (export.REPLACED, export.BEFORE_BLOCK, "'=1+1", '"says ""hi"", then"', ",true,"):
        assert reached in expected
    assert written == expected
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    response = client.get("/exports/entries.csv")
    assert response.status_code == 200
    assert response.get_data().decode("utf-8") == expected


@pytest.mark.parametrize(
    ("filters", "name"),
    [({"agent": "other"}, "agent_other"), ({"verdict": "indeterminate"}, "verdict_indeterminate")],
)
def test_entries_csv_keeps_the_old_bytes_with_filters(app, client, database_url, filters, name):
    clinic, user = _clinic_with_diaries("Filtered", "America/New_York")
    written = _exported(downloads.block_filter(clinic.timezone, **filters), user)
    expected = _golden(name, written, database_url)
    assert written == expected
    every = _golden("America/New_York", "", "")
    assert 1 < expected.count("\r\n") < every.count("\r\n")  # some blocks, not all


def test_the_export_reads_a_chunks_entries_a_bounded_batch_at_a_time(
    app, database_url, monkeypatch
):
    """A chunk's entries are read about ENTRY_ROWS at a time (by the stored summaries'
    counts, a stale block's at the clinic's cap), not the whole chunk's at once: 50 diaries
    at a cap of 1,000 entries would be 50,000 rows held by a worker (issue 23, its peak
    memory). The same bytes, batch by batch."""
    clinic, user = _clinic_with_diaries("Batches", "America/New_York")
    read: list[tuple[int, int]] = []
    entry_rows = export_queries.entry_rows

    def counted(block_ids, in_order=True):
        rows = entry_rows(block_ids, in_order)
        read.append((len(block_ids), len(rows)))
        return rows

    monkeypatch.setattr(export_queries, "entry_rows", counted)
    monkeypatch.setattr(export_queries, "ENTRY_ROWS", 40, raising=False)
    written = _exported(downloads.block_filter(clinic.timezone), user)
    assert written == _golden("America/New_York", "", "")
    assert sum(rows for _, rows in read) > 120 and len(read) >= 4
    # A batch holds at most 40 rows, or one block's (a diary is never split).
    assert all(rows <= 40 or blocks == 1 for blocks, rows in read)


def test_entry_rows_read_the_same_times_whatever_postgresqls_datestyle(app, database_url):
    """On PostgreSQL the entries' times are cast to text when the connection's DateStyle is
    ISO (the fraction's trailing zeros dropped) and written by to_char otherwise: the same
    instants either way (the golden files above hold the ISO reading's bytes)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's DateStyle")
    clinic, _ = _clinic_with_diaries("Styles", "UTC")
    block_ids = list(db.session.scalars(select(Block.id).where(Block.clinic_id == clinic.id)))
    iso = export_queries.entry_rows(block_ids)
    db.session.execute(text("SET datestyle = 'SQL, DMY'"))
    try:
        other = export_queries.entry_rows(block_ids)
    finally:
        db.session.execute(text("SET datestyle = 'ISO, MDY'"))
    times = (2, 3, 10, 11)  # recorded_at, submitted_at, due_at, made_at

    def instants(rows) -> list[tuple]:
        return [
            tuple(datetime.fromisoformat(v) if i in times and v else v for i, v in enumerate(row))
            for row in rows
        ]

    assert len(iso) > 120 and instants(other) == instants(iso)
    assert {len(row[2]) for row in other} == {26}  # to_char: every fraction's six digits
    assert {len(row[2]) for row in iso} > {26}  # the cast: trailing zeros dropped


def test_entries_unsorted_by_the_database_are_put_in_time_order(app, database_url):
    """The export reads its entries unsorted (export_queries._entry_rows_by_block) and puts
    each block's in time order, the id ordering two of one time: the same rows as the
    database's ORDER BY, for entries stored out of time order and two of one time."""
    clinic, _ = _clinic_with_diaries("Unsorted", "UTC")
    block_ids = list(db.session.scalars(select(Block.id).where(Block.clinic_id == clinic.id)))
    sorted_by_database: dict[int, list[tuple]] = {}
    for row in export_queries.entry_rows(block_ids):
        sorted_by_database.setdefault(row[0], []).append(tuple(row))
    grouped = export_queries._entry_rows_by_block(block_ids)
    assert {block: [tuple(row) for row in rows] for block, rows in grouped.items()} == (
        sorted_by_database
    )


@pytest.mark.parametrize(
    "timezone",
    ["America/Los_Angeles", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/London", "UTC"],
)
def test_local_times_of_a_days_hours_are_the_zones(timezone):
    """The export works out a UTC day's 24 local hours at once (ZoneOffsets.local_minutes):
    each time must read as the zone has it, across local midnight either way (UTC-8, +14,
    -11) and on the days the clock changes."""
    zone = ZoneInfo(timezone)
    start = datetime(2025, 3, 1, 0, 7, 41, 5)
    offsets = export.ZoneOffsets(timezone)
    for step in range(24 * 300):  # ten months, every hour: both changes of clock
        utc = start + timedelta(minutes=59 * step, microseconds=step)
        if step % 500 == 0:  # a new export: its first times of a day
            offsets = export.ZoneOffsets(timezone)
        stored = utc.isoformat(" ", "microseconds")
        local = offsets.local_hours.get(stored[:13])
        written = offsets.local_minutes(utc, stored) if local is None else local + stored[13:16]
        assert written == f"{utc.replace(tzinfo=UTC).astimezone(zone):%Y-%m-%d %H:%M}", stored


def test_an_exports_local_hours_are_kept_a_month_at_most():
    """One export's ZoneOffsets across ten months of hourly times: each still reads as the
    zone has it, and the hours' texts it keeps stay at KEPT_HOURS at most (all of a
    clinic's two years of hours held about 3 MB in the worker at the export's end)."""
    zone = ZoneInfo("America/Los_Angeles")
    start = datetime(2025, 3, 1, 0, 7, 41, 5)
    offsets = export.ZoneOffsets("America/Los_Angeles")
    for step in range(24 * 300):
        utc = start + timedelta(minutes=59 * step, microseconds=step)
        stored = utc.isoformat(" ", "microseconds")
        local = offsets.local_hours.get(stored[:13])
        written = offsets.local_minutes(utc, stored) if local is None else local + stored[13:16]
        assert written == f"{utc.replace(tzinfo=UTC).astimezone(zone):%Y-%m-%d %H:%M}", stored
        assert len(offsets.local_hours) <= export.KEPT_HOURS
