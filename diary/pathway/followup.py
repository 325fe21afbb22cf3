"""Follow-up check-ins (pathway.md §3): when they are due and open, relief at each, and
what they show: an ablation's durability at 6 months and how long relief lasted, and
whether a therapeutic block supports a repeat injection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, tzinfo

from diary import relief
from diary.pathway import words
from diary.pathway.dates import add_months, local_date, start_of_day
from diary.pathway.sides import baseline_for, scored_sides
from diary.pathway.values import (
    DURABLE,
    DURABLE_AT_MONTHS,
    FOLLOW_UP_LINK_DAYS,
    NO,
    NOT_DURABLE,
    RELIEF_PCT,
    REPEAT_INJECTION_AT_MONTHS,
    UNDETERMINED,
    YES,
    Ablation,
    Block,
    Checkin,
    CheckinRelief,
    FollowUp,
    Outcome,
    PathwaySettings,
    ReliefLasted,
    ScheduledCheckin,
    SideOutcome,
)

# --- the schedule ------------------------------------------------------------------------


def checkin_schedule(
    performed_at: datetime,
    zone: tzinfo,
    months: Sequence[int],
    settings: PathwaySettings | None = None,
) -> tuple[ScheduledCheckin, ...]:
    """Check-ins due ``months`` after the procedure: the same day of a later month in the
    clinic's zone (clamped to the month's end), each open from 7 days before to 21 days
    after its due date (settings)."""
    settings = settings or PathwaySettings()
    done_on = local_date(performed_at, zone)
    before = timedelta(days=settings.checkin_opens_days_before)
    after = timedelta(days=settings.checkin_closes_days_after)
    schedule = []
    for count in sorted(set(months)):
        due = add_months(done_on, count)
        schedule.append(ScheduledCheckin(count, due, due - before, due + after))
    return tuple(schedule)


def schedule_for(
    procedure: Ablation | Block, zone: tzinfo, settings: PathwaySettings | None = None
) -> tuple[ScheduledCheckin, ...]:
    """An ablation's check-ins (1, 3, 6, 12 months), a therapeutic block's (1, 3); a
    diagnostic block has none."""
    settings = settings or PathwaySettings()
    if isinstance(procedure, Ablation):
        months: Sequence[int] = settings.rfa_checkin_months
    elif procedure.purpose == relief.THERAPEUTIC:
        months = settings.therapeutic_checkin_months
    else:
        return ()
    return checkin_schedule(procedure.performed_at, zone, months, settings)


def checkin_open_on(schedule: Sequence[ScheduledCheckin], day: date) -> ScheduledCheckin | None:
    """The scheduled check-in a patient may make on ``day`` (the nearest due date if two
    windows overlap); None outside every window (staff may still transcribe one)."""
    open_now = [slot for slot in schedule if slot.accepts(day)]
    return min(open_now, key=lambda s: (abs((s.due_on - day).days), s.due_on), default=None)


def follow_up_link_expires_at(schedule: Sequence[ScheduledCheckin], zone: tzinfo) -> datetime:
    """The follow-up link is open through the 30th day after the last check-in's due date
    (it closes at the start of the next day in the clinic's zone)."""
    if not schedule:
        raise ValueError("a follow-up needs at least one check-in")
    return start_of_day(schedule[-1].due_on + timedelta(days=FOLLOW_UP_LINK_DAYS + 1), zone)


# --- the check-ins that count --------------------------------------------------------------


def counted_checkins(checkins: Iterable[Checkin], on: date) -> list[Checkin]:
    """The check-ins made by ``on`` that count: of a check-in made twice (the same
    scheduled one, or two unscheduled the same day) the later submission."""
    latest: dict[tuple[int | None, date | None], Checkin] = {}
    for checkin in checkins:
        if checkin.made_on > on:
            continue
        key = (checkin.months, checkin.made_on if checkin.months is None else None)
        current = latest.get(key)
        if current is None or _submitted_later(checkin, current):
            latest[key] = checkin
    return list(latest.values())


def _submitted_later(checkin: Checkin, other: Checkin) -> bool:
    if checkin.submitted_at is None or other.submitted_at is None:
        return (checkin.checkin_id or 0) > (other.checkin_id or 0)
    if checkin.submitted_at == other.submitted_at:
        return (checkin.checkin_id or 0) > (other.checkin_id or 0)
    return checkin.submitted_at > other.submitted_at


def checkin_reliefs(
    done_on: date,
    baseline_pain: int | None,
    checkins: Iterable[Checkin],
    scored_side: str | None,
) -> tuple[CheckinRelief, ...]:
    """Relief at each counted check-in, ``(B − pain) / B × 100`` to one decimal with the
    procedure's baseline, in date order. A scheduled check-in is dated by its due date
    (``done_on`` + its months), an unscheduled one by the day it was made."""
    reliefs = []
    for checkin in checkins:
        pain = checkin.pain_for(scored_side)
        dated_on = (
            checkin.made_on if checkin.months is None else add_months(done_on, checkin.months)
        )
        reliefs.append(
            CheckinRelief(
                months=checkin.months,
                dated_on=dated_on,
                made_on=checkin.made_on,
                pain=pain,
                relief_pct=None if pain is None else relief.relief_pct(baseline_pain, pain),
                checkin_id=checkin.checkin_id,
            )
        )
    return tuple(sorted(reliefs, key=lambda r: (r.dated_on, r.months is None, r.made_on)))


def _below(item: CheckinRelief) -> bool:
    return item.relief_pct is not None and item.relief_pct < RELIEF_PCT


def _relieved(item: CheckinRelief) -> bool:
    return item.relief_pct is not None and item.relief_pct >= RELIEF_PCT


# --- what they show ----------------------------------------------------------------------

HELD, FELL = "held", "fell"


def held_through(
    reliefs: Sequence[CheckinRelief],
    schedule: Sequence[ScheduledCheckin],
    months: int,
    on: date,
) -> tuple[str, str]:
    """Whether relief held ≥ 50 % through the ``months`` check-in: ("held", reason) when
    that check-in was made with ≥ 50 % and none dated at or before it gives < 50 %;
    ("fell", reason naming the first below); ("undetermined", reason) otherwise."""
    mark = next((slot for slot in schedule if slot.months == months), None)
    if mark is None:
        return UNDETERMINED, f"the follow-up has no {words.months(months)} check-in"
    below = next((r for r in reliefs if r.dated_on <= mark.due_on and _below(r)), None)
    if below is not None:
        assert below.relief_pct is not None  # _below checked it
        return FELL, f"below {words.threshold()} at {below.label} ({words.pct(below.relief_pct)})"
    made = next((r for r in reliefs if r.months == months), None)
    if made is not None and made.relief_pct is not None:
        return HELD, (
            f"≥{words.threshold()} at every check-in to {words.months(months)}, "
            f"{words.pct(made.relief_pct)} at {words.months(months)}"
        )
    name = f"the {months}-month check-in, due {words.day(mark.due_on)},"
    if made is not None:
        return UNDETERMINED, f"{name} has no relief figure (no baseline pain was recorded)"
    if on > mark.closes_on:
        return UNDETERMINED, f"{name} was missed"
    return UNDETERMINED, f"{name} has not been made yet"


def durability(
    reliefs: Sequence[CheckinRelief], schedule: Sequence[ScheduledCheckin], on: date
) -> Outcome:
    """``durable`` / ``not_durable`` / ``undetermined`` at 6 months, with the reason."""
    status, reason = held_through(reliefs, schedule, DURABLE_AT_MONTHS, on)
    return Outcome({HELD: DURABLE, FELL: NOT_DURABLE}.get(status, UNDETERMINED), reason)


def repeat_injection(
    reliefs: Sequence[CheckinRelief], schedule: Sequence[ScheduledCheckin], on: date
) -> Outcome:
    """Whether a repeat therapeutic injection is supported: ``yes`` when the 3-month
    check-in gives ≥ 50 % and none before gives < 50 %, ``no`` (naming the first check-in
    below 50 %), ``undetermined`` otherwise."""
    status, reason = held_through(reliefs, schedule, REPEAT_INJECTION_AT_MONTHS, on)
    return Outcome({HELD: YES, FELL: NO}.get(status, UNDETERMINED), reason)


def relief_lasted(
    reliefs: Sequence[CheckinRelief], schedule: Sequence[ScheduledCheckin], on: date
) -> ReliefLasted | None:
    """The due time in months of the last scheduled check-in of the unbroken run, from
    the first, that give ≥ 50 %; open when no check-in is dated after it; 0 when the first
    gives < 50 % or was missed (a missed check-in ends the run). None while the first
    check-in is neither made nor missed."""
    by_months = {r.months: r for r in reliefs if r.months is not None}
    last_held: ScheduledCheckin | None = None
    for slot in schedule:
        made = by_months.get(slot.months)
        if made is None or not _relieved(made):
            if last_held is None and made is None and on <= slot.closes_on:
                return None
            break
        last_held = slot
    if last_held is None:
        return ReliefLasted(0, open=False, first_months=schedule[0].months)
    later = any(r.dated_on > last_held.due_on for r in reliefs)
    return ReliefLasted(last_held.months, open=not later)


def follow_up(
    procedure: Ablation | Block,
    on: date,
    zone: tzinfo,
    settings: PathwaySettings | None = None,
) -> FollowUp:
    """The follow-up of an ablation or a therapeutic block as of the day ``on``: its
    schedule, the next and the overdue check-ins, and per reading (side) the relief at
    each check-in, the durability (ablations), how long relief lasted, and whether a
    repeat injection is supported (therapeutic blocks). Pulsed RF is followed but is not
    an ablation: it has no durability."""
    schedule = schedule_for(procedure, zone, settings)
    if not schedule:
        raise ValueError("only ablations and therapeutic blocks are followed up")
    counted = counted_checkins(procedure.checkins, on)
    made = {c.months for c in counted if c.months is not None}
    done_on = local_date(procedure.performed_at, zone)
    outcomes = []
    for sides, scored_side in scored_sides(procedure):
        reliefs = checkin_reliefs(
            done_on, baseline_for(procedure, scored_side), counted, scored_side
        )
        ablation = procedure if isinstance(procedure, Ablation) else None
        outcomes.append(
            SideOutcome(
                sides=sides,
                scored_side=scored_side,
                reliefs=reliefs,
                durability=durability(reliefs, schedule, on)
                if ablation is not None and ablation.ablates
                else None,
                relief_lasted=relief_lasted(reliefs, schedule, on),
                repeat_injection=None
                if ablation is not None
                else repeat_injection(reliefs, schedule, on),
            )
        )
    pending = [slot for slot in schedule if slot.months not in made]
    return FollowUp(
        schedule=schedule,
        outcomes=tuple(outcomes),
        next_checkin=next((slot for slot in pending if slot.closes_on >= on), None),
        overdue=tuple(slot for slot in pending if slot.closes_on < on),
        link_expires_at=follow_up_link_expires_at(schedule, zone),
    )
