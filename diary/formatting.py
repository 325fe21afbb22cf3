"""Jinja filters and globals: how times, hours and verdicts read on a page."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from diary import anatomy, relief, schedule
from diary.agents import AGENT_LABELS
from diary.vocabulary import SideEffect

PAIR_LABELS = {
    relief.CONCORDANT: "Concordant",
    relief.DISCORDANT: "Discordant",
    relief.CONFIRMED: "Confirmed",
    relief.NOT_CONFIRMED: "Not confirmed",
    relief.SINGLE: "Single block so far",
}


def local_time(value: datetime | None, tz_name: str, fmt: str = "%d %b %Y %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz_name)).strftime(fmt)


def hours(value: float | None) -> str:
    return "" if value is None else relief.format_hours(value)


def pct(value: float | None) -> str:
    return "" if value is None else relief.format_pct(value)


# Side effects as the clinic's pages name them.
SIDE_EFFECT_LABELS: dict[str, str] = {
    SideEffect.NUMBNESS: "numbness",
    SideEffect.WEAKNESS: "weakness",
    SideEffect.HEADACHE: "headache",
    SideEffect.INJECTION_SITE_PAIN: "injection-site pain",
    SideEffect.OTHER: "other",
}


def side_effect_label(code: str) -> str:
    return SIDE_EFFECT_LABELS.get(code, code)


FILTERS = {
    "local_time": local_time,
    "hours": hours,
    "pct": pct,
    "side_effect_label": side_effect_label,
}
GLOBALS = {
    "VERDICT_LABELS": relief.VERDICT_LABELS,
    "PAIR_LABELS": PAIR_LABELS,
    "STATUS_LABELS": schedule.STATUS_LABELS,
    "RUNNING_STATUSES": schedule.RUNNING,
    "REGIONS": anatomy.REGIONS,
    "LEVELS": anatomy.LEVELS,
    "SIDES": anatomy.SIDES,
    "AGENT_LABELS": AGENT_LABELS,
    "now": lambda: datetime.now(UTC),
}
