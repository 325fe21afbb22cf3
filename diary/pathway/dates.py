"""Calendar arithmetic the pathway counts in: days in the clinic's zone, months that keep
the day of the month (clamped at the month's end), and the rolling year."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta, tzinfo


def require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time without its zone cannot be placed on the clinic's calendar")
    return moment


def local_date(moment: datetime, zone: tzinfo) -> date:
    """The day ``moment`` falls on in the clinic's zone."""
    return require_aware(moment).astimezone(zone).date()


def at_clock_time(day: date, clock: time, zone: tzinfo) -> datetime:
    """``day`` at the wall-clock time ``clock`` in ``zone``, in UTC.

    A time the zone skips that day (the spring-forward hour) is read with the offset
    before the change, so it lands an hour later on the wall clock.
    """
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone).astimezone(UTC)


def start_of_day(day: date, zone: tzinfo) -> datetime:
    return at_clock_time(day, time.min, zone)


def last_open_day(closes_at: datetime, zone: tzinfo) -> date:
    """The last day, in the clinic's zone, on which something that closes at ``closes_at``
    is still open: a link closing at the start of a day was open through the day before
    (printing the closing moment's own date says one day too many)."""
    return local_date(closes_at - timedelta(microseconds=1), zone)


def add_months(day: date, months: int) -> date:
    """The same day of a later (or, negative, earlier) month; clamped to the month's end
    (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February → 28 February)."""
    return add_months(day, 12 * years)


def rolling_year_start(on: date) -> date:
    """The day the rolling 12 months ending ``on`` are counted *after*: the same calendar
    day a year earlier (29 February → 28 February)."""
    return add_years(on, -1)


def in_rolling_year(day: date, on: date) -> bool:
    return rolling_year_start(on) < day <= on


def leaves_rolling_year(day: date) -> date:
    """The first day whose rolling year no longer holds ``day``."""
    later = add_years(day, 1)
    # 29 February: a year later is 28 February, whose year still starts before it.
    return later if rolling_year_start(later) >= day else later + timedelta(days=1)
