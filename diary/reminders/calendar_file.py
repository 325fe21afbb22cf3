"""Reminders as a calendar file: one event with an alarm per due time. Flask-free.

Opening the .ics puts the reminders in the phone's own calendar, which rings
without any server push and works on every phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
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
