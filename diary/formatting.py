"""Jinja filters and globals: how times, hours and verdicts read on a page."""

from __future__ import annotations

import re
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


# How many warnings of one kind are listed before the rest are counted instead.
LISTED_PER_KIND = 2


def group_warnings(warnings: list[str]) -> list[str]:
    """Warnings that differ only in their figures ("a gap of 2.5 h between entries at
    1.0 h and 3.5 h", nineteen times) as the first few and a count of the rest."""
    kinds: dict[str, list[str]] = {}
    for warning in warnings:
        kinds.setdefault(re.sub(r"\d+(\.\d+)?", "#", warning), []).append(warning)
    grouped = []
    for same in kinds.values():
        grouped.extend(same[:LISTED_PER_KIND])
        if len(same) > LISTED_PER_KIND:
            rest = len(same) - LISTED_PER_KIND
            grouped.append(f"… and {rest} more like the above ({len(same)} in all)")
    return grouped


def chart_height(block) -> int:
    """The chart's height in pixels: taller with the days' panel (a block asking for
    daily scores with a baseline to measure them by, a side's when scored apart;
    charts.DailyChart)."""
    from diary.charts import BASE_DPI, DAILY_HEIGHT_IN, HEIGHT_IN

    baselines = (
        (block.baseline_pain_left, block.baseline_pain_right)
        if block.scored_apart
        else (block.baseline_pain,)
    )
    daily = bool(block.daily_days and any(baselines))
    return round((HEIGHT_IN + (DAILY_HEIGHT_IN if daily else 0)) * BASE_DPI)


FILTERS = {
    "chart_height": chart_height,
    "local_time": local_time,
    "hours": hours,
    "pct": pct,
    "side_effect_label": side_effect_label,
    "group_warnings": group_warnings,
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
