"""The clinic-wide entries CSV as it was built before it was made faster (issue 23): kept
verbatim (from diary/records/export.py) so a test can hold the new file to these bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.records.export import (
    BEFORE_BLOCK,
    BOM,
    ENTRY_COLUMNS,
    ON_TIME_SECONDS,
    REPLACED,
    block_cells,
    csv_line,
    diary_cells,
    number_cell,
    pct_cell,
    quoted,
    side_block_cells,
    side_summaries_of,
    text_cell,
    time_cell,
)
from diary.records.export_queries import clinic_export
from diary.relief import BlockSummary, hours_between, relief_pct


def entries_csv_before(clinic, chosen) -> str:
    """The whole file (BOM, header, rows) as the old code wrote it."""
    lines = [BOM + csv_line(ENTRY_COLUMNS)]
    for block, summary, entries, status in clinic_export(clinic, chosen, with_entries=True):
        lines += entry_lines(block, summary, entries, clinic.timezone, status)
    return "".join(lines)


def _counted_ids(entries: list[tuple]) -> set[int]:
    """The entries the analysis reads: for each time, the one submitted last (as
    diary/relief/reading.py chooses)."""
    latest: dict = {}
    for entry in entries:
        current = latest.get(entry[2])
        if current is None or (entry[3], entry[1]) > (current[3], current[1]):
            latest[entry[2]] = entry
    return {entry[1] for entry in latest.values()}


def entry_lines(
    block,
    summary: BlockSummary,
    entries: Iterable[tuple],
    tz: str,
    status: str,
    text: Callable = text_cell,
    sides: dict[str, BlockSummary] | None = None,
) -> list[str]:
    """One CSV line per entry: the block's columns (rendered once) and the entry's.

    ``entries`` are tuples as ``entry_values`` makes them, their times datetimes or
    SQLite's stored text; ``tz`` is the clinic's time zone, ``status`` the diary's
    (schedule.diary_status); ``text`` as for ``block_cells``. This runs once per exported
    entry (a million in a clinic-wide export), so each line is built in one piece: the
    entry's cells are numbers, times and fixed words that never need quotes, except the
    two free-text ones. ``sides``: each side's summary of a block scored apart (read
    from its summary column when not given).
    """
    prefix = csv_line(block_cells(block, summary, text))[:-2] + ","
    birth_year = number_cell(block.patient.birth_year)
    zone = ZoneInfo(tz)
    side_cells = ",".join(side_block_cells(block, sides or side_summaries_of(block)))
    suffix = f",{quoted(tz)},{birth_year},{diary_cells(status)},{side_cells},"
    side_relief = [
        {pain: pct_cell(relief_pct(baseline, pain)) for pain in range(11)} | {None: ""}
        for baseline in (block.baseline_pain_left, block.baseline_pain_right)
    ]
    performed_at = block.performed_at
    performed_naive = performed_at.astimezone(UTC).replace(tzinfo=None)
    pain_and_relief = {
        pain: f"{pain},{pct_cell(relief_pct(block.baseline_pain, pain))}" for pain in range(11)
    } | {None: ","}
    parse = datetime.fromisoformat
    rows = list(entries)
    counted = _counted_ids(rows)
    # The clinic's UTC offset, worked out once an hour of the diary (offsets change on
    # the hour): a time-zone conversion per row would cost more than the rest of the line.
    offsets: dict[object, timedelta] = {}
    lines = []
    for (
        _,
        entry_id,
        recorded_at,
        submitted_at,
        pain,
        reported,
        activity,
        note,
        edited,
        source,
        due_at,
        made_at,
        pain_left,
        pain_right,
        slot,
    ) in rows:
        if type(recorded_at) is str:
            felt = parse(recorded_at)
            recorded = f"{recorded_at[:10]}T{recorded_at[11:19]}+00:00"
            submitted = f"{submitted_at[:10]}T{submitted_at[11:19]}+00:00"
            due_text = f"{due_at[:10]}T{due_at[11:19]}+00:00" if due_at else ""
            made_text = f"{made_at[:10]}T{made_at[11:19]}+00:00" if made_at else ""
            hour = recorded_at[:13]
        else:
            felt = recorded_at.astimezone(UTC).replace(tzinfo=None)
            recorded, submitted = time_cell(recorded_at), time_cell(submitted_at)
            due_text, made_text = time_cell(due_at), time_cell(made_at)
            hour = felt.replace(minute=0, second=0, microsecond=0)
        hours = hours_between(performed_naive, felt)
        hours_text = f"{hours:.3f}"  # hours_cell, inline: this runs a million times
        if hours_text == "-0.000":
            hours_text = "0.000"
        if entry_id not in counted:
            counts = f"false,{REPLACED}"
        elif hours < 0:
            counts = f"false,{BEFORE_BLOCK}"
        else:
            counts = "true,"
        if not due_at:
            on_time = ""
        elif not made_at:
            on_time = "false"
        else:
            due = parse(due_at) if type(due_at) is str else due_at
            made = parse(made_at) if type(made_at) is str else made_at
            on_time = "true" if abs((made - due).total_seconds()) <= ON_TIME_SECONDS else "false"
        offset = offsets.get(hour)
        if offset is None:
            local_now = felt.replace(tzinfo=UTC).astimezone(zone)
            offset = offsets[hour] = local_now.utcoffset() or timedelta(0)
        local = (felt + offset).isoformat(" ", "minutes")
        lines.append(
            f"{prefix}{entry_id},{recorded},{submitted},{hours_text},{pain_and_relief[pain]},"
            f"{'' if reported is None else reported},"
            f"{'' if activity is None else quoted(text(activity))},"
            f"{'' if note is None else quoted(text(note))},"
            f"{'true' if edited else 'false'},{source},{counts},{due_text},{made_text},"
            f"{on_time},{local}{suffix}"
            f"{'' if pain_left is None else pain_left},"
            f"{'' if pain_right is None else pain_right},"
            f"{side_relief[0][pain_left]},{side_relief[1][pain_right]},{slot}\r\n"
        )
    return lines
