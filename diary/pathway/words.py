"""How the pathway writes figures in its reasons ("below 50% at 3 months (37.5%)"), as
the pages write relief (relief.format_pct: no space before the sign)."""

from __future__ import annotations

from datetime import date

from diary.pathway.values import DAYS_CLASS_LABELS, RELIEF_PCT


def pct(value: float) -> str:
    """One decimal, as relief is computed: "37.5%", "38.0%"."""
    return f"{value:.1f}%"


def threshold() -> str:
    """The pathway's relief threshold: "50%"."""
    return f"{RELIEF_PCT:g}%"


def day(value: date) -> str:
    return value.isoformat()


def months(count: int) -> str:
    return f"{count} month{'' if count == 1 else 's'}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def days_of_relief(found) -> str:
    """A ``DaysOfRelief`` in words: "at least 9 days of relief (weeks)", "0 days of
    relief (no relief)"."""
    return f"{found.text} of relief ({DAYS_CLASS_LABELS[found.relief_class]})"
