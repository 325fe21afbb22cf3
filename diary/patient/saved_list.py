"""The diary page's saved scores: read with one narrow query, written as one piece of HTML,
and kept until the diary changes.

A long diary's list was most of its page's cost: each entry an ORM object, then a dozen
template lookups, escapes and a URL built per entry. Here every word is translated and
escaped once per page, the correction link built once, and each entry's line is a string.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import cache, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import DateTime, String, bindparam, select, type_coerce

from diary.extensions import db
from diary.i18n import date_as
from diary.models import DiaryEntry, read_as_utc


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


class PageEntry(NamedTuple):
    """One entry as the page reads it: its list line and what is due (``answered_due_times``)."""

    id: int
    recorded_at: datetime
    pain: int | None
    pain_left: int | None
    pain_right: int | None
    edited: bool
    due_at: datetime | None
    source: str


@cache
def _entries_statement():
    # Built once: building a statement costs more than running it. The table's columns,
    # not the model's: the rows skip the ORM's loading. Times as the database gives them
    # (naive UTC on SQLite) and the source as its text: UTCDateTime's and the enum's
    # per-value hooks were a third of the query's cost; page_entries makes each time
    # aware once.
    entry = DiaryEntry.__table__.c
    return (
        select(
            entry.id,
            type_coerce(entry.recorded_at, DateTime(timezone=True)),
            entry.pain,
            entry.pain_left,
            entry.pain_right,
            entry.updated_at.is_not(None).label("edited"),
            # What the page's due times read (answered_due_times).
            type_coerce(entry.due_at, DateTime(timezone=True)),
            type_coerce(entry.source, String),
        )
        .where(entry.block_id == bindparam("block_id"))
        .order_by(entry.recorded_at, entry.id)
    )


def page_entries(block_id: int) -> list[PageEntry]:
    """The block's entries in time order, as the page shows them and reads what is due
    (id, recorded_at, the scores, edited, due_at, source): times aware, in UTC."""
    rows = db.session.execute(_entries_statement(), {"block_id": block_id})
    return [
        PageEntry(
            entry_id,
            read_as_utc(recorded_at),
            pain,
            left,
            right,
            edited,
            None if due_at is None else read_as_utc(due_at),
            source,
        )
        for entry_id, recorded_at, pain, left, right, edited, due_at, source in rows
    ]


@lru_cache(maxsize=512)
def day_label(day: date, locale: str) -> str:
    """A day as the list dates it ("Tue, Dec 1")."""
    return date_as(day, "MMMEd", locale)


class ListWords(NamedTuple):
    """The saved list's words in one language, escaped: the same for every diary."""

    pains: tuple[str, ...]  # "Pain 4/10" for each score 0-10
    sides: tuple[tuple[str, ...], tuple[str, ...]]  # "Left 4/10", "Right 4/10"
    corrected: str  # " <em>(corrected)</em>"
    correct: str  # "Correct", the link's words
    score_at: str  # "the score at %(time)s", escaped with its "%(time)s" still there


@lru_cache(maxsize=16)
def list_words(translate: Callable[[str], str]) -> ListWords:
    """``ListWords`` translated by ``translate`` (a catalogue's bound gettext, equal for
    one catalogue): worked out once per language, not per page."""
    pain_pattern = translate(PAIN_SCORE)
    return ListWords(
        tuple(str(escape(pain_pattern % {"pain": pain})) for pain in range(11)),
        (
            tuple(str(escape(translate(LEFT_SCORE) % {"pain": pain})) for pain in range(11)),
            tuple(str(escape(translate(RIGHT_SCORE) % {"pain": pain})) for pain in range(11)),
        ),
        f" <em>{escape(translate(CORRECTED))}</em>",
        str(escape(translate(CORRECT))),
        str(escape(translate(SCORE_AT))),
    )


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
    words = list_words(translate)
    pains, (lefts, rights), corrected = words.pains, words.sides, words.corrected
    if edit_url is not None:
        before_id, after_id = (escape(part) for part in edit_url.split(ID_MARK))
        link_to = f'<a class="entry-edit" href="{before_id}'
        link_text = f'{after_id}">{words.correct}<span class="visually-hidden"> '
        score_at = words.score_at
    days: dict[date, str] = {}  # each day's label, escaped
    lines = []
    # Unpacked: a row's attributes are looked up by name, its items are not.
    for entry_id, recorded_at, pain, left, right, edited, *_ in entries:
        local = recorded_at.astimezone(zone)
        # As f"{local:%H:%M}" writes it, without strftime.
        at = f"{local.hour:02}:{local.minute:02}"
        day = local.date()
        if dated or day != today:
            label = days.get(day)
            if label is None:
                label = days[day] = str(escape(day_label(day, locale)))
            at = f"{label}, {at}"
        if pain is not None:
            bars = f'<span class="trend-bar" data-pain="{pain}"></span>'
            trend, score = "trend", pains[pain]
        else:
            bars = (
                f'<span class="trend-bar" data-pain="{left}"></span>'
                f'<span class="trend-bar" data-pain="{right}"></span>'
            )
            trend, score = "trend two", f"{lefts[left]} · {rights[right]}"
        if edited:
            score += corrected
        edit = (
            ""
            if edit_url is None
            else f"{link_to}{entry_id}{link_text}{score_at % {'time': at}}</span></a>"
        )
        lines.append(
            f'\n          <li>\n            <span class="entry-time">{at}</span>'
            f'\n            <span class="{trend}" aria-hidden="true">{bars}</span>'
            f'\n            <span class="entry-pain">{score}</span>'
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
