"""When a patient is asked to log pain after a block, and the diary's state. Flask-free.

Default schedule (criteria.md, "How clinics run the diary"): 15 and 30 minutes
after the block, then every hour to 8 h, or to 12 h for long-acting agents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from diary.agents import LONG_ACTING

DEFAULT_EARLY_MINUTES = (15, 30)
DEFAULT_HOURLY_UNTIL_H = 8
DEFAULT_LONG_ACTING_UNTIL_H = 12


@dataclass(frozen=True)
class DiarySchedule:
    """A clinic's schedule setting."""

    early_minutes: tuple[int, ...] = DEFAULT_EARLY_MINUTES
    hourly_until_h: int = DEFAULT_HOURLY_UNTIL_H
    long_acting_until_h: int = DEFAULT_LONG_ACTING_UNTIL_H

    @classmethod
    def from_settings(cls, stored: dict | None) -> DiarySchedule:
        stored = stored or {}
        return cls(
            early_minutes=tuple(int(m) for m in stored.get("early_minutes", DEFAULT_EARLY_MINUTES)),
            hourly_until_h=int(stored.get("hourly_until_h", DEFAULT_HOURLY_UNTIL_H)),
            long_acting_until_h=int(stored.get("long_acting_until_h", DEFAULT_LONG_ACTING_UNTIL_H)),
        )

    def to_settings(self) -> dict:
        return {
            "early_minutes": list(self.early_minutes),
            "hourly_until_h": self.hourly_until_h,
            "long_acting_until_h": self.long_acting_until_h,
        }

    def offsets_minutes(self, agent: str) -> list[int]:
        """Minutes after the block at which an entry is due, ascending."""
        until_h = self.long_acting_until_h if agent in LONG_ACTING else self.hourly_until_h
        hourly = range(60, until_h * 60 + 1, 60)
        return sorted(set(self.early_minutes) | set(hourly))

    def due_times(self, performed_at: datetime, agent: str) -> list[datetime]:
        return [performed_at + timedelta(minutes=m) for m in self.offsets_minutes(agent)]


NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
COMPLETE = "complete"
EXPIRED = "expired"

STATUS_LABELS = {
    NOT_STARTED: "Not started",
    IN_PROGRESS: "In progress",
    COMPLETE: "Complete",
    EXPIRED: "Expired",
}


def next_due(due_times: list[datetime], now: datetime) -> datetime | None:
    """The first due time still ahead of ``now``; None when the schedule has ended."""
    return next((due for due in due_times if due > now), None)


def diary_status(
    due_times: list[datetime], entry_count: int, link_open: bool, now: datetime
) -> str:
    """not_started / in_progress / complete / expired, as the clinic dashboard shows."""
    if entry_count and due_times and now >= due_times[-1]:
        return COMPLETE
    if not link_open:
        return EXPIRED
    return IN_PROGRESS if entry_count else NOT_STARTED
