"""What staff see first (pathway.md §5): the worklist's groups in order, newest first
within each, and the count of each group for the navigation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum


class WorklistGroup(StrEnum):
    """The worklist's groups, in the order staff see them."""

    SIDE_EFFECTS = "side_effects"  # reported and not yet acknowledged
    UNREVIEWED_DIARIES = "unreviewed_diaries"  # finished, not yet reviewed by a clinician
    OVERDUE_CHECKINS = "overdue_checkins"  # past their window's end without an entry
    NEXT_STEPS = "next_steps"  # a next step that calls for action


GROUP_ORDER = {group: index for index, group in enumerate(WorklistGroup)}


@dataclass(frozen=True)
class WorklistItem:
    """One row: what it is about (``subject`` and ``subject_id``, for its link), whose, and
    when it happened (``at``: the side effect's report, the diary's end, the check-in
    window's close, the next step's from-date)."""

    group: WorklistGroup
    at: datetime | date
    subject: str
    subject_id: int
    patient_id: int
    text: str = ""


def _instant(at: datetime | date) -> datetime:
    """Any ``at`` on one comparable axis (a day at its start, a time without zone as UTC)."""
    if not isinstance(at, datetime):
        return datetime.combine(at, time.min, tzinfo=UTC)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def order_worklist(items: Iterable[WorklistItem]) -> list[WorklistItem]:
    """Groups in pathway.md §5's order, newest first within each group (ties: the later
    record first)."""
    return sorted(
        items,
        key=lambda item: (
            GROUP_ORDER[item.group],
            -_instant(item.at).timestamp(),
            -item.subject_id,
        ),
    )


def worklist_counts(items: Iterable[WorklistItem]) -> dict[WorklistGroup, int]:
    """How many rows each group has (every group present, 0 included), in order."""
    counts = dict.fromkeys(WorklistGroup, 0)
    for item in items:
        counts[item.group] += 1
    return counts
