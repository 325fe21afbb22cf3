"""The page's language from the phone's Accept-Language header, kept per header value
(diary/i18n.py): the same answer as matching the header each time."""

from __future__ import annotations

import re

from diary import i18n


def test_the_phones_language_is_kept_per_header_and_bounded(app, world):
    """The Accept-Language header's match is kept per header value (diary/i18n.py): each
    header keeps its own answer, whatever the headers before it asked for."""
    block = world.block

    def language(header: str) -> str:
        response = app.test_client().get(
            f"/d/{block.diary_token}", headers={"Accept-Language": header}
        )
        return re.search(r'<html lang="(\w+)">', response.get_data(as_text=True))[1]

    headers = {"es-MX,es;q=0.9": "es", "en-US,en;q=0.9": "en", "fr-FR,es;q=0.5": "es"}
    for _ in range(2):
        for header, expected in headers.items():
            assert language(header) == expected, header
    for header in (*headers, "", "de", "*", "es;q=0, en;q=0.1"):
        assert i18n.phone_language(header) == i18n._best_match(header), header
    long_header = "de-DE;q=0.9," * 30 + "es"  # longer than kept: matched each time
    assert len(long_header) > i18n.PHONE_HEADER_MAX and language(long_header) == "es"
    for n in range(300):
        i18n.phone_language(f"x-{n}")
    assert len(i18n._PHONE_LANGUAGES) <= 256
