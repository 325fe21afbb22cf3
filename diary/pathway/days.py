"""The days after (pathway.md §2): one score a day after the hourly window, the diary
link's expiry, and the days of relief ``Ddays``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from diary import relief
from diary.pathway.dates import at_clock_time, require_aware
from diary.pathway.values import (
    DAILY_LINK_GRACE_HOURS,
    MAX_DAILY_DAYS,
    NO_RELIEF,
    RELIEF_PCT,
    SHORT,
    WEEKS,
    WEEKS_FROM_DAYS,
    DailyScore,
    DaysOfRelief,
)
from diary.schedule import DiarySchedule, slot_for


def daily_slots(performed_at: datetime, zone: tzinfo, days: int) -> list[datetime]:
    """When each daily score is due (UTC): day k at the block's clock time in the clinic's
    zone, k days after the block's date; day 1 is 24 h after the block unless the clocks
    change in between. ``days``: 0 (none) to 28."""
    if not 0 <= days <= MAX_DAILY_DAYS:
        raise ValueError(f"daily scores are asked for 0–{MAX_DAILY_DAYS} days, not {days}")
    local = require_aware(performed_at).astimezone(zone)
    return [
        at_clock_time(local.date() + timedelta(days=day), local.time(), zone)
        for day in range(1, days + 1)
    ]


def hourly_due_times(
    performed_at: datetime, agent: str, schedule: DiarySchedule | None = None
) -> list[datetime]:
    """The hourly window's due times (diary/schedule.py; the clinic's schedule setting)."""
    return (schedule or DiarySchedule()).due_times(performed_at, agent)


def diary_due_times(
    performed_at: datetime,
    agent: str,
    zone: tzinfo,
    days: int,
    schedule: DiarySchedule | None = None,
) -> list[datetime]:
    """Every time the diary asks for a score, hourly then daily, ascending: what the
    patient page, the calendar file and the reminders follow."""
    return sorted(
        set(hourly_due_times(performed_at, agent, schedule))
        | set(daily_slots(performed_at, zone, days))
    )


def diary_link_expires_at(performed_at: datetime, zone: tzinfo, days: int) -> datetime | None:
    """24 h after the last daily slot (14 days: 15 days after the block); None without
    daily scores (the link then keeps the diary's own expiry)."""
    slots = daily_slots(performed_at, zone, days)
    return slots[-1] + timedelta(hours=DAILY_LINK_GRACE_HOURS) if slots else None


def days_class(days: int) -> str:
    """no relief (0 days), short (1–6), weeks (7 or more, an open count included)."""
    if days == 0:
        return NO_RELIEF
    return WEEKS if days >= WEEKS_FROM_DAYS else SHORT


def count_days(reliefs: Sequence[float | None]) -> tuple[int, bool, tuple[int, ...]]:
    """``Ddays`` from each day's relief (index 0 is day 1; None: no score that day).

    Returns (days, open, bridged days). The count runs from day 1 while a day gives
    ≥ 50 %; a day without a score ends it unless the next day gives ≥ 50 % too (one
    missing day is bridged and counted). Open when no score was made after the days
    counted: the last score made still gives ≥ 50 %.
    """

    def relieved(value: float | None) -> bool:
        return value is not None and value >= RELIEF_PCT

    days, bridged, day = 0, [], 0
    while day < len(reliefs):
        if relieved(reliefs[day]):
            day += 1
        elif reliefs[day] is None and day + 1 < len(reliefs) and relieved(reliefs[day + 1]):
            bridged.append(day + 1)
            day += 2
        else:
            break
        days = day
    scored_after = any(value is not None for value in reliefs[days:])
    return days, days > 0 and not scored_after, tuple(bridged)


def days_of_relief(
    facts: relief.BlockFacts,
    points: Sequence[relief.DiaryPoint],
    hourly_due: Sequence[datetime],
    zone: tzinfo,
    days: int,
) -> DaysOfRelief | None:
    """``Ddays`` of one reading (``facts`` with its side's baseline, ``points`` with its
    side's scores); None when the diary asks for no daily score, or when there is no
    baseline to measure relief against (criteria.md: no figure is shown then).

    An entry answers the slot nearest its time among all of the diary's slots; a day's
    score is the last entry by time answering that day's slot (relief's reading: of two
    at the same time the later sent counts), with relief from the reading's baseline.
    """
    daily = daily_slots(facts.performed_at, zone, days)
    if not daily or not facts.baseline_pain:
        return None
    slots = sorted(set(hourly_due) | set(daily))
    answering: dict[datetime, list[relief.DiaryPoint]] = {due: [] for due in daily}
    for point in points:
        due = slot_for(slots, point.recorded_at)
        if due in answering:
            answering[due].append(point)
    scores = []
    for day, due in enumerate(daily, start=1):
        read = relief.relief_series(facts, answering[due])
        last = read[-1] if read else None
        scores.append(
            DailyScore(
                day=day,
                due_at=due,
                pain=last.pain if last else None,
                relief_pct=last.relief_pct if last else None,
                entry_id=last.entry_id if last else None,
            )
        )
    count, is_open, bridged = count_days([s.relief_pct for s in scores])
    return DaysOfRelief(count, is_open, days_class(count), bridged, tuple(scores))
