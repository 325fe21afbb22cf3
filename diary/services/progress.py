"""Where a diary stands against its schedule: next due time, status, compliance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import inspect, select

from diary import relief
from diary.extensions import db
from diary.models import (
    Block,
    DiaryEntry,
    utcnow,
)
from diary.schedule import (
    Compliance,
    compliance,
    diary_status,
    due_now,
    next_unanswered,
    still_awaited,
    window_over,
)
from diary.services.settings import (
    block_daily_slots,
    block_due_times,
    diary_schedule,
    last_due_time,
)


def diary_statuses(
    blocks: list[Block], summaries: list[relief.BlockSummary], now: datetime
) -> list[str]:
    """Each block's diary status (blocks of one clinic), from its summary's entry count."""
    if not blocks:
        return []
    schedule, timezone = diary_schedule(blocks[0].clinic), blocks[0].clinic.timezone
    return [
        diary_status(
            [last_due_time(block, schedule, timezone)],
            summary.entry_count,
            block.link_open(now),
            now,
        )
        for block, summary in zip(blocks, summaries, strict=True)
    ]


@dataclass(frozen=True)
class DiaryProgress:
    due_times: list[datetime]
    # The first due time ahead not answered yet, and a passed one a score now would answer.
    next_due_at: datetime | None
    due_now_at: datetime | None
    window_over: bool
    status: str
    entry_count: int
    compliance: Compliance
    # While the diary runs the verdict is provisional: what it still waits for.
    awaiting: str | None
    # The daily slots after the hourly window (pathway.md §2), day 1 first; whether the
    # hourly window is over and the diary now asks for one score a day.
    daily_slots: tuple[datetime, ...] = ()
    daily_phase: bool = False

    @property
    def hourly_due_times(self) -> list[datetime]:
        return [due for due in self.due_times if due not in self.daily_slots]

    def day_of(self, due: datetime | None) -> int | None:
        """Which day after the block a daily slot is (1, 2…); None for an hourly one."""
        return self.daily_slots.index(due) + 1 if due in self.daily_slots else None


class DueNotice(NamedTuple):
    """All the patient's diary page says of its schedule (its "due" section), as
    ``diary_progress`` would have it: the page is given this alone, so that what it shows
    of the clock is all in the key it is kept under (diary/patient/kept_pages.py)."""

    window_over: bool
    due_now_at: datetime | None
    next_due_at: datetime | None
    daily_phase: bool
    # Which day after the block the due-now and next slots are (None: an hourly one).
    day_now: int | None
    day_next: int | None
    # Due times answered by the phone or from paper (DiaryProgress.compliance.answered).
    answered: int
    scheduled: int
    # Scores beyond those: at no due time, a second one for a due time, after the window.
    # Saved and read like the others; the page says so ("plus 2 extra scores").
    extra: int = 0

    @classmethod
    def of(cls, progress: DiaryProgress) -> DueNotice:
        return cls(
            progress.window_over,
            progress.due_now_at,
            progress.next_due_at,
            progress.daily_phase,
            progress.day_of(progress.due_now_at),
            progress.day_of(progress.next_due_at),
            progress.compliance.answered,
            len(progress.due_times),
            max(progress.entry_count - progress.compliance.answered, 0),
        )


def answered_due_times(entries) -> tuple[frozenset[datetime], frozenset[datetime], int]:
    """The due times the entries (the page's rows) answer: all of them, and those the
    compliance counts (answered by the phone or from paper); and how many entries."""
    answered, counted = set(), set()
    count = 0
    for due_at, source in ((entry.due_at, entry.source) for entry in entries):
        count += 1
        if due_at is not None:
            answered.add(due_at)
            if source == "patient" or source == "transcribed":
                counted.add(due_at)
    return frozenset(answered), frozenset(counted), count


def due_notice(
    block: Block,
    now: datetime,
    answered: frozenset[datetime],
    counted: frozenset[datetime],
    entry_count: int = 0,
    window_is_over: bool | None = None,
) -> DueNotice:
    """``DueNotice.of(diary_progress(block, now, entries))`` from the entries'
    ``answered_due_times`` (worked out once per change of the diary): the status,
    compliance and awaited time the page does not show are not worked out
    (tests/test_kept_diary_pages.py holds the two equal). ``window_is_over``: the
    caller's ``diary_window_over(block, now)``, when it has asked already."""
    due_times = block_due_times(block)
    if window_is_over is None:
        window_is_over = window_over(due_times, now)
    daily = tuple(block_daily_slots(block))
    due_now_at = due_now(due_times, answered, now)
    next_due_at = next_unanswered(due_times, answered, now)
    done = sum(1 for due in due_times if due in counted)
    return DueNotice(
        window_over=window_is_over,
        due_now_at=due_now_at,
        next_due_at=next_due_at,
        daily_phase=bool(daily) and window_over([d for d in due_times if d not in daily], now),
        day_now=daily.index(due_now_at) + 1 if due_now_at in daily else None,
        day_next=daily.index(next_due_at) + 1 if next_due_at in daily else None,
        answered=done,
        scheduled=len(due_times),
        extra=max(entry_count - done, 0),
    )


def _answered(due_ats) -> set[datetime]:
    return {due_at for due_at in due_ats if due_at is not None}


def _entries_due_ats(block: Block) -> list[datetime | None]:
    """Each entry's due time: from the block's entries when they are read already,
    else one narrow query (a chart served from its cache reads no entry)."""
    if "entries" not in inspect(block).unloaded:
        return [entry.due_at for entry in block.entries]
    return list(
        db.session.scalars(select(DiaryEntry.due_at).where(DiaryEntry.block_id == block.id))
    )


def awaited_for(block: Block, now: datetime | None = None) -> str | None:
    """What the block's running diary awaits (None: its verdict is final): the same
    due time its patient's page asks for next."""
    now = now or utcnow()
    due_times = block_due_times(block)
    due_ats = _entries_due_ats(block)
    status = diary_status(due_times, len(due_ats), block.link_open(now), now)
    return still_awaited(
        due_times, _answered(due_ats), status, block.performed_at, now, block_daily_slots(block)
    )


def diary_window_over(block: Block, now: datetime | None = None) -> bool:
    """The schedule has ended: only late entries, with their time, are taken then."""
    return window_over(block_due_times(block), now or utcnow())


def diary_progress(block: Block, now: datetime | None = None, entries=None) -> DiaryProgress:
    """``entries``: the block's entries, or rows of their due_at, source, made_at and
    submitted_at read already (the diary page's); by default ``block.entries``."""
    now = now or utcnow()
    entries = block.entries if entries is None else entries
    due_times = block_due_times(block)
    count = len(entries)
    phone = [e for e in entries if e.source == "patient"]
    answers = [(e.due_at, e.made_at or e.submitted_at) for e in phone]
    paper = [e.due_at for e in entries if e.source == "transcribed"]
    status = diary_status(due_times, count, block.link_open(now), now)
    answered = _answered(entry.due_at for entry in entries)
    daily = tuple(block_daily_slots(block))
    hourly = [due for due in due_times if due not in daily]
    return DiaryProgress(
        due_times=due_times,
        next_due_at=next_unanswered(due_times, answered, now),
        due_now_at=due_now(due_times, answered, now),
        window_over=window_over(due_times, now),
        status=status,
        entry_count=count,
        compliance=compliance(due_times, answers, now, from_paper=paper),
        awaiting=still_awaited(due_times, answered, status, block.performed_at, now, daily),
        daily_slots=daily,
        daily_phase=bool(daily) and window_over(hourly, now),
    )
