"""When a patient is asked to log pain after a block, and the diary's state. Flask-free.

Default schedule (docs/verdict-rules.md, "When the patient is asked"): 15 and 30 minutes
after the block, then every hour to 8 h, or to 12 h for long-acting agents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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


def diary_status(
    due_times: list[datetime], entry_count: int, link_open: bool, now: datetime
) -> str:
    """not_started / in_progress / complete / expired, as the clinic dashboard shows.
    Complete (its verdict final) once a score is given and the last due time is no
    longer asked for (``window_over``): until then the patient's page asks for it."""
    if entry_count and due_times and window_over(due_times, now):
        return COMPLETE
    if not link_open:
        return EXPIRED
    return IN_PROGRESS if entry_count else NOT_STARTED


# An entry is on time when made within 15 minutes of its due time, either side:
# |made - due| <= ON_TIME (the README's "made within 15 minutes of their due time").
ON_TIME = timedelta(minutes=15)


def on_time_window_closed(due: datetime, now: datetime) -> bool:
    """Whether ``due``'s on-time window has closed: a score made now could no longer be
    on time for it. Until then the due time is neither missed nor late, whatever has
    been made for it (the patient's page may be asking for it, and a score made at
    due + 14 min is on time): the block page's on-time line counts a due time only
    once this holds."""
    return now > due + ON_TIME


# After the last due time's own quarter hours, the diary's window is over: what is left is
# adding a score the patient forgot, with its time, while the link lives.
WINDOW_GRACE = timedelta(minutes=30)

# Times are kept to the microsecond: the first moment after an instant.
TICK = timedelta(microseconds=1)


def last_asked_at(due_times: list[datetime]) -> datetime | None:
    """The last moment the patient's page asks for the last due time's score ("A score
    is due now", ``due_now``): that due time + WINDOW_GRACE, itself included. Until it
    has passed the diary is not complete, nor its verdict final (``diary_status``)."""
    return due_times[-1] + WINDOW_GRACE if due_times else None


def window_over(due_times: list[datetime], now: datetime) -> bool:
    """The last due time is no longer asked for (``last_asked_at`` has passed)."""
    last = last_asked_at(due_times)
    return last is None or now > last


def due_now(due_times: list[datetime], answered: Set[datetime], now: datetime) -> datetime | None:
    """The due time a score made now would answer, when it has passed unanswered: the
    page then asks for a score now rather than naming a time already gone."""
    if window_over(due_times, now):
        return None
    current = slot_for(due_times, now)
    return current if current is not None and current <= now and current not in answered else None


def next_unanswered(
    due_times: list[datetime], answered: Set[datetime], now: datetime
) -> datetime | None:
    """The first due time ahead of ``now`` not answered yet (a score made a few minutes
    early answers the slot it is nearest to)."""
    return next((due for due in due_times if due > now and due not in answered), None)


# While the diary runs, entries still to come may change the verdict.
RUNNING = (NOT_STARTED, IN_PROGRESS)


# The kinds of slot an entry answers (DiaryEntry.slot): the hours after the block, then
# one a day (pathway.md §2).
HOURLY = "hourly"
DAILY = "daily"
SLOT_KINDS = (HOURLY, DAILY)


def slot_kind(due: datetime | None, daily_slots: Iterable[datetime]) -> str:
    """ "daily" when ``due`` is one of the daily slots, else "hourly"."""
    return DAILY if due is not None and due in set(daily_slots) else HOURLY


def due_label(due: datetime, performed_at: datetime, daily_slots: Sequence[datetime] = ()) -> str:
    """A due time as the schedule names it: "30 min", "1 h", "1.5 h", "day 3"."""
    if due in daily_slots:
        return f"day {list(daily_slots).index(due) + 1}"
    minutes = round((due - performed_at).total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes / 60:g} h"


def awaited_due(
    due_times: list[datetime], answered: Set[datetime], now: datetime
) -> datetime | None:
    """The one due time a running diary waits for: a passed one a score made now would
    answer, else the first unanswered one ahead. The patient's page asks for it and the
    clinic's pages say the diary awaits it, so the two never name different times."""
    return due_now(due_times, answered, now) or next_unanswered(due_times, answered, now)


def awaited_changes(due_times: list[datetime], performed_at: datetime) -> list[datetime]:
    """The moments at which ``still_awaited`` and ``diary_status`` may change with no
    entry made, each the first moment of what is new: the block's time, each due time,
    just past each midpoint between two (a score made then answers the nearer one, the
    earlier on the midpoint itself) and just past ``last_asked_at`` (the window's end: the
    diary turns complete). A reading made at one of these holds until the next."""
    midpoints = [a + (b - a) / 2 + TICK for a, b in zip(due_times, due_times[1:], strict=False)]
    last = last_asked_at(due_times)
    ends = [last + TICK] if last is not None else []
    return [performed_at, *due_times, *midpoints, *ends]


def still_awaited(
    due_times: list[datetime],
    answered: Set[datetime],
    status: str,
    performed_at: datetime,
    now: datetime,
    daily_slots: Sequence[datetime] = (),
) -> str | None:
    """What a running diary still waits for, e.g. "awaiting the 2 h entry"; None once the
    diary is complete or its link closed (the verdict is final then)."""
    if status not in RUNNING:
        return None
    if now < performed_at:
        return "the block has not been done yet"
    due = awaited_due(due_times, answered, now)
    if due is None:
        return "awaiting the patient's entries while the link is open"
    return f"awaiting the {due_label(due, performed_at, daily_slots)} entry"


def slot_for(due_times: list[datetime], recorded_at: datetime) -> datetime | None:
    """The due time an entry answers: the one nearest to when the pain was felt."""
    if not due_times:
        return None
    return min(due_times, key=lambda due: (abs(due - recorded_at), due))


@dataclass(frozen=True)
class Compliance:
    """On-time entries: made within 15 minutes of their due time, among due times passed
    (``passed``: those whose on-time window has closed, ``on_time_window_closed``).

    On time is a measure of the phone: a time the patient wrote on paper, and staff
    copied later, answers its due time but says nothing of when it was written."""

    passed: int
    on_time: int
    answered: int
    missed: list[datetime]
    late: list[datetime]
    # Passed due times answered only by entries copied from a paper diary.
    from_paper: list[datetime] = field(default_factory=list)

    @property
    def phone_passed(self) -> int:
        """Passed due times the phone answered or should have: on time is counted of these."""
        return self.passed - len(self.from_paper)

    @property
    def paper_diary(self) -> bool:
        """Every due time answered so far was answered on paper."""
        return bool(self.from_paper) and self.phone_passed == len(self.missed)

    @property
    def on_time_pct(self) -> float | None:
        passed = self.phone_passed
        return round(self.on_time / passed * 100, 1) if passed else None


def compliance(
    due_times: list[datetime],
    answers: list[tuple[datetime | None, datetime]],
    now: datetime,
    from_paper: Iterable[datetime | None] = (),
) -> Compliance:
    """``answers``: (due_at, made_at) of each entry made on the phone; ``from_paper``: the
    due_at of each entry copied from a paper diary."""
    passed = [due for due in due_times if on_time_window_closed(due, now)]
    made_by_slot: dict[datetime, list[datetime]] = {}
    for due_at, made_at in answers:
        if due_at is not None:
            made_by_slot.setdefault(due_at, []).append(made_at)
    on_paper = {due for due in from_paper if due is not None} - set(made_by_slot)
    on_time = [
        due
        for due in passed
        if any(abs(made - due) <= ON_TIME for made in made_by_slot.get(due, []))
    ]
    return Compliance(
        passed=len(passed),
        on_time=len(on_time),
        answered=sum(1 for due in due_times if due in made_by_slot or due in on_paper),
        missed=[due for due in passed if due not in made_by_slot and due not in on_paper],
        late=[due for due in passed if due in made_by_slot and due not in on_time],
        from_paper=[due for due in passed if due in on_paper],
    )


def as_utc(value: datetime | str) -> datetime:
    """A stored time as an aware UTC datetime (SQLite's text columns read back as text)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return value
