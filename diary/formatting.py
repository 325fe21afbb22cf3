"""Jinja filters and globals: how times, hours and verdicts read on a page."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

from diary import anatomy, pathway, relief, schedule
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


def open_until(value: datetime | None, tz_name: str, fmt: str = "%d %b %Y") -> str:
    """The last day a link that closes at ``value`` is open, in the clinic's zone."""
    if value is None:
        return ""
    return pathway.last_open_day(value, ZoneInfo(tz_name)).strftime(fmt)


def hours(value: float | None) -> str:
    return "" if value is None else relief.format_hours(value)


def hours_alike(values: list[float]) -> list[str]:
    """Hours said in one sentence, to one precision (relief.format_hours_alike)."""
    return relief.format_hours_alike(*values)


def pct(value: float | None) -> str:
    return "" if value is None else relief.format_pct(value)


# Between a block's two sides in one cell: "Left 6 · Right 4".
SIDES_SEPARATOR = " · "


def side_spans(text: str) -> Markup | str:
    """Each side of "Left 6 · Right 4" unbroken, the "·" on the line of the side before it
    (as the dashboard writes them): a narrow cell breaks between the sides only, never
    between a side's label and its value. A one-score text is left as it is."""
    sides = text.split(SIDES_SEPARATOR)
    if len(sides) == 1:
        return text
    last = len(sides) - 1
    return Markup(" ").join(
        Markup('<span class="nowrap">{}{}</span>').format(side, " ·" if n < last else "")
        for n, side in enumerate(sides)
    )


def pain_text(record) -> str:
    """The pain of an entry or of a correction's old values (an EntryRevision): its one
    score, or "Left 6 · Right 4" when the sides were scored apart (``pain`` is then None
    and the corrections CSV has was_pain_left/was_pain_right)."""
    if record.pain is None and (record.pain_left is not None or record.pain_right is not None):
        return f"Left {record.pain_left}{SIDES_SEPARATOR}Right {record.pain_right}"
    return "" if record.pain is None else str(record.pain)


CLOSED_BY_THE_CLINIC = "Closed by the clinic"


def closed_early(block) -> bool:
    """Whether the clinic closed ``block``'s diary link before it would have expired."""
    revoked = block.link_revoked_at
    return revoked is not None and revoked < block.link_expires_at


def status_label(status: str, block) -> str:
    """A diary's status as the clinic's pages name it: an "expired" diary whose link the
    clinic closed early reads "Closed by the clinic" (never "Expired · Closed by the
    clinic"). The code itself ("expired", in the CSV files and the API) is unchanged."""
    if status == schedule.EXPIRED and closed_early(block):
        return CLOSED_BY_THE_CLINIC
    return schedule.STATUS_LABELS[status]


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
    "open_until": open_until,
    "hours": hours,
    "hours_alike": hours_alike,
    "pct": pct,
    "pain_text": pain_text,
    "side_spans": side_spans,
    "status_label": status_label,
    "side_effect_label": side_effect_label,
    "group_warnings": group_warnings,
}

# How each next step is named on the pages (the codes are the API's).
NEXT_STEP_LABELS = {
    pathway.NextStepCode.REPEAT_DIAGNOSTIC_BLOCKS: "Consider repeating the diagnostic blocks",
    pathway.NextStepCode.REPEAT_RFA_NOT_SUPPORTED: "A repeat ablation is not supported",
    pathway.NextStepCode.REPEAT_RFA_ELIGIBLE: "A repeat ablation may be considered",
    pathway.NextStepCode.FOLLOW_UP: "Follow up the ablation",
    pathway.NextStepCode.RFA_ELIGIBLE_LCD: "Ablation may be considered (Medicare LCD met)",
    pathway.NextStepCode.SECOND_BLOCK_DUE: "Consider a second diagnostic block",
    pathway.NextStepCode.RFA_ELIGIBLE_CONSENSUS: "Ablation may be considered (2020 consensus)",
    pathway.NextStepCode.NOT_SUPPORTED: "Ablation not supported by the blocks so far",
    pathway.NextStepCode.FIRST_BLOCK: "Consider a first diagnostic block",
}

GLOBALS = {
    "VERDICT_LABELS": relief.VERDICT_LABELS,
    "PAIR_LABELS": PAIR_LABELS,
    "STATUS_LABELS": schedule.STATUS_LABELS,
    "CLOSED_BY_THE_CLINIC": CLOSED_BY_THE_CLINIC,
    "RUNNING_STATUSES": schedule.RUNNING,
    "REGIONS": anatomy.REGIONS,
    "LEVELS": anatomy.LEVELS,
    "SIDES": anatomy.SIDES,
    "AGENT_LABELS": AGENT_LABELS,
    "NEXT_STEP_LABELS": NEXT_STEP_LABELS,
}
