"""The diary page's saved scores: read with one narrow query, written as one piece of HTML,
and kept until the diary changes.

A long diary's list was most of its page's cost: each entry an ORM object, then a dozen
template lookups, escapes and a URL built per entry. Here every word is translated and
escaped once per page, the correction link built once, and each entry's line is a string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select

from diary.extensions import db
from diary.models import DiaryEntry


def N_(message: str) -> str:
    """Marks a message for translation where it is shown (translated per page)."""
    return message


PAIN_SCORE = N_("Pain %(pain)s/10")
LEFT_SCORE = N_("Left %(pain)s/10")
RIGHT_SCORE = N_("Right %(pain)s/10")
CORRECTED = N_("(corrected)")
CORRECT = N_("Correct")
SCORE_AT = N_("the score at %(time)s")

# An entry id no real one reaches (ids fit the database's integer): the correction link
# is built once with it and the real id put in its place.
ID_MARK = str(2**31 - 1)


@cache
def _entries_statement():
    # Built once: building a statement costs more than running it.
    return (
        select(
            DiaryEntry.id,
            DiaryEntry.recorded_at,
            DiaryEntry.pain,
            DiaryEntry.pain_left,
            DiaryEntry.pain_right,
            DiaryEntry.updated_at.is_not(None).label("edited"),
            # What the page's progress reads (diary_progress).
            DiaryEntry.due_at,
            DiaryEntry.source,
            DiaryEntry.made_at,
            DiaryEntry.submitted_at,
        )
        .where(DiaryEntry.block_id == bindparam("block_id"))
        .order_by(DiaryEntry.recorded_at, DiaryEntry.id)
    )


def page_entries(block_id: int) -> list:
    """The block's entries in time order, as rows of what the page shows and its progress
    reads (id, recorded_at, the scores, edited, due_at, source, made_at, submitted_at)."""
    return list(db.session.execute(_entries_statement(), {"block_id": block_id}).all())


@lru_cache(maxsize=512)
def day_label(day: date, locale: str) -> str:
    """A day as the list dates it ("Tue, Dec 1")."""
    return format_skeleton("MMMEd", day, locale=locale)


def saved_list_html(
    entries: Sequence,
    translate: Callable[[str], str],
    locale: str,
    zone: ZoneInfo,
    today: date,
    dated: bool,
    edit_url: str | None,
) -> Markup:
    """The ``<li>`` of each entry (``page_entries``' rows): its time (with its day when not
    ``today``, or always when ``dated``), its score's bars and words, "(corrected)", and
    unless ``edit_url`` is None (the diary window is over) the link to correct it, whose
    URL has ``ID_MARK`` where the entry's id goes."""
    pain_pattern = translate(PAIN_SCORE)
    pains = [str(escape(pain_pattern % {"pain": pain})) for pain in range(11)]
    sides = [
        [str(escape(translate(pattern) % {"pain": pain})) for pain in range(11)]
        for pattern in (LEFT_SCORE, RIGHT_SCORE)
    ]
    corrected = f" <em>{escape(translate(CORRECTED))}</em>"
    if edit_url is not None:
        before_id, after_id = (escape(part) for part in edit_url.split(ID_MARK))
        link_to = f'<a class="entry-edit" href="{before_id}'
        link_text = f'{after_id}">{escape(translate(CORRECT))}<span class="visually-hidden"> '
        # Escaped, its "%(time)s" is still there for the escaped time.
        score_at = str(escape(translate(SCORE_AT)))
    days: dict[date, str] = {}  # each day's label, escaped
    lines = []
    # Unpacked: a row's attributes are looked up by name, its items are not.
    for entry_id, recorded_at, pain, left, right, edited, *_ in entries:
        local = recorded_at.astimezone(zone)
        at = f"{local:%H:%M}"
        day = local.date()
        if dated or day != today:
            label = days.get(day)
            if label is None:
                label = days[day] = str(escape(day_label(day, locale)))
            at = f"{label}, {at}"
        if pain is not None:
            bars = f'<span class="trend-bar" data-pain="{pain}"></span>'
            trend, words = "trend", pains[pain]
        else:
            bars = (
                f'<span class="trend-bar" data-pain="{left}"></span>'
                f'<span class="trend-bar" data-pain="{right}"></span>'
            )
            trend, words = "trend two", f"{sides[0][left]} · {sides[1][right]}"
        if edited:
            words += corrected
        edit = (
            ""
            if edit_url is None
            else f"{link_to}{entry_id}{link_text}{score_at % {'time': at}}</span></a>"
        )
        lines.append(
            f'\n          <li>\n            <span class="entry-time">{at}</span>'
            f'\n            <span class="{trend}" aria-hidden="true">{bars}</span>'
            f'\n            <span class="entry-pain">{words}</span>'
            f"\n            {edit}\n          </li>\n        "
        )
    html = "".join(lines)
    # Every word in it was escaped above.
    return Markup(html)  # noqa: S704  # nosec B704


# What a worker keeps of saved lists at most, besides their count (bench/worker_memory.py).
SAVED_LISTS_MAX_CHARS = 1_000_000


def text_size(made: tuple) -> int:
    """What a kept saved list counts as: the characters of its text (a 50-entry diary's
    list is about 14,000)."""
    return sum(len(part) for part in made if isinstance(part, str))
