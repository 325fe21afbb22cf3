"""Reminders as a calendar file: one event with an alarm per due time. Flask-free.

Opening the .ics puts the reminders in the phone's own calendar, which rings
without any server push and works on every phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def reminders_ics(
    due_times: list[datetime],
    tz_name: str,
    diary_url: str,
    uid_prefix: str,
    now: datetime,
    daily_slots: Sequence[datetime] = (),
) -> bytes:
    """Events for the due times still ahead of ``now``, in the patient's time zone; the
    ``daily_slots`` among them (the days after the hourly window) say which day they are."""
    from icalendar import Alarm, Calendar, Event  # here: start-up does not pay for it

    zone = ZoneInfo(tz_name)
    calendar = Calendar()
    calendar.add("prodid", "-//Block Diary//Pain diary reminders//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Pain diary")
    for number, due in enumerate(due_times, start=1):
        if due <= now:
            continue
        event = Event()
        event.add("uid", f"{uid_prefix}-{number}@block-diary")
        event.add("dtstamp", now)
        event.add("dtstart", due.astimezone(zone))
        event.add("dtend", due.astimezone(zone) + timedelta(minutes=5))
        if due in daily_slots:
            day = list(daily_slots).index(due) + 1
            event.add("summary", f"Pain diary: today's score (day {day} after the block)")
        else:
            event.add("summary", "Pain diary: score your usual pain now")
        event.add("description", f"Open your diary and tap a number: {diary_url}")
        event.add("url", diary_url)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Time to score your pain")
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def checkin_reminders_ics(
    checkins: list[tuple[int, datetime, date]],
    tz_name: str,
    followup_url: str,
    uid_prefix: str,
    now: datetime,
) -> bytes:
    """One event per follow-up check-in (months, due time, last day it is open) whose
    window has not closed by ``now``, ringing at its due time."""
    from icalendar import Alarm, Calendar, Event

    zone = ZoneInfo(tz_name)
    calendar = Calendar()
    calendar.add("prodid", "-//Block Diary//Follow-up check-ins//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Follow-up check-ins")
    for months, due, closes_on in checkins:
        if closes_on < now.astimezone(zone).date():
            continue
        event = Event()
        event.add("uid", f"{uid_prefix}-m{months}@block-diary")
        event.add("dtstamp", now)
        event.add("dtstart", due.astimezone(zone))
        event.add("dtend", due.astimezone(zone) + timedelta(minutes=15))
        event.add("summary", f"Follow-up: your {months}-month check-in")
        event.add(
            "description",
            f"Four questions about your pain since the procedure, open until "
            f"{closes_on.isoformat()}: {followup_url}",
        )
        event.add("url", followup_url)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", "Time for your follow-up check-in")
        alarm.add("trigger", timedelta(0))
        event.add_component(alarm)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
