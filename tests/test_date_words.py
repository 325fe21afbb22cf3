"""The patient pages' dates are written from diary/date_words.py's few names, as Babel
writes them, without loading Babel's whole locale data into a worker (3.4 MB for English)."""

from __future__ import annotations

from datetime import date, timedelta

import babel.localedata
import pytest
from babel.dates import format_date, format_skeleton

from diary.date_words import DATE_WORDS
from diary.extensions import db
from diary.i18n import (
    DATE_LENGTHS,
    DATE_SKELETONS,
    LANGUAGES,
    _date_in,
    date_as,
    date_words_from_babel,
)
from diary.patient.saved_list import day_label
from tests.conftest import add_entries


@pytest.mark.parametrize("language", [str(language) for language in LANGUAGES])
def test_the_file_holds_what_babel_has(language):
    # Else: .venv/bin/python tools/date_words.py (a new Babel, or a new language).
    assert DATE_WORDS[language] == date_words_from_babel(language)


@pytest.mark.parametrize("language", [str(language) for language in LANGUAGES])
def test_each_date_reads_as_babel_writes_it(language):
    first = date(2027, 12, 25)  # a leap day and both turns of a year among them
    for offset in range(800):
        day = first + timedelta(days=offset)
        for length in DATE_LENGTHS:
            assert date_as(day, length, language) == format_date(day, length, locale=language)
        for skeleton in DATE_SKELETONS:
            written = format_skeleton(skeleton, day, locale=language)
            assert date_as(day, skeleton, language) == written


@pytest.mark.parametrize("language", [str(language) for language in LANGUAGES])
def test_a_diary_page_loads_none_of_babels_locale_data(app, client, world, clock, language):
    add_entries(world.block, {1: 6, 2: 4})
    db.session.commit()
    clock.advance(timedelta(days=1))  # the scores dated: a day before today
    day_label.cache_clear()
    _date_in.cache_clear()
    with babel.localedata._cache_lock:
        babel.localedata._cache.clear()
    response = client.get(f"/d/{world.block.diary_token}?lang={language}")
    assert response.status_code == 200
    performed = world.block.performed_at.astimezone(
        __import__("zoneinfo").ZoneInfo(world.clinic.timezone)
    ).date()
    assert date_as(performed, "MMMEd", language) in response.get_data(as_text=True)
    assert day_label.cache_info().misses
    assert list(babel.localedata._cache) == []
