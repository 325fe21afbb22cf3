"""Where a diary stands against its schedule: next due time, status, compliance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from diary import relief
from diary.models import (
    Block,
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
from diary.services.settings import block_due_times, diary_schedule


def diary_statuses(
    blocks: list[Block], summaries: list[relief.BlockSummary], now: datetime
) -> list[str]:
    """Each block's diary status (blocks of one clinic), from its summary's entry count."""
    if not blocks:
        return []
    schedule = diary_schedule(blocks[0].clinic)
    return [
        diary_status(
            schedule.due_times(block.performed_at, block.agent),
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


def awaited_for(block: Block, entry_count: int, now: datetime | None = None) -> str | None:
    """What the block's running diary awaits, from its entry count alone (a stored
    summary's): the entries themselves need not be read."""
    now = now or utcnow()
    due_times = block_due_times(block)
    status = diary_status(due_times, entry_count, block.link_open(now), now)
    return still_awaited(due_times, status, block.performed_at, now)


def awaited_by_block(blocks: list[Block], now: datetime | None = None) -> dict[int, str | None]:
    """For each block, what its running diary still waits for (None: verdict final)."""
    now = now or utcnow()
    return {block.id: awaited_for(block, len(block.entries), now) for block in blocks}


def diary_window_over(block: Block, now: datetime | None = None) -> bool:
    """The schedule has ended: only late entries, with their time, are taken then."""
    return window_over(block_due_times(block), now or utcnow())


def diary_progress(block: Block, now: datetime | None = None) -> DiaryProgress:
    now = now or utcnow()
    due_times = block_due_times(block)
    count = len(block.entries)
    answers = [
        (e.due_at, e.made_at or e.submitted_at) for e in block.entries if e.source == "patient"
    ]
    status = diary_status(due_times, count, block.link_open(now), now)
    answered = {entry.due_at for entry in block.entries if entry.due_at is not None}
    return DiaryProgress(
        due_times=due_times,
        next_due_at=next_unanswered(due_times, answered, now),
        due_now_at=due_now(due_times, answered, now),
        window_over=window_over(due_times, now),
        status=status,
        entry_count=count,
        compliance=compliance(due_times, answers, now),
        awaiting=still_awaited(due_times, status, block.performed_at, now),
    )
