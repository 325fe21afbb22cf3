"""Words as their readers expect them: names spelled as their owners spell them, one
Spanish spelling of a word throughout, and one meaning per phrase on a page."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from diary.web import diary_url

SPANISH = Path(__file__).parent.parent / "diary/translations/es/LC_MESSAGES/messages.po"


def spanish_messages() -> list[str]:
    with SPANISH.open("rb") as catalog:
        messages = read_po(catalog, locale="es")
    texts = []
    for message in messages:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else [message.string]
            texts.extend(strings)
    return texts


def test_redcap_is_written_as_redcap(client, signed_in):
    page = client.get("/exports").get_data(as_text=True)
    assert "REDCap dictionary CSV" in page and "REDCap import CSV" in page
    assert "Redcap" not in page


def test_spanish_writes_periodo_one_way():
    texts = spanish_messages()
    assert not [text for text in texts if "período" in text.lower()]
    assert [text for text in texts if "periodo" in text]  # the word is used, spelled so


def test_spanish_has_no_capital_letter_mid_sentence():
    """A capital after a lowercase word ("toque Guardar") reads as an English habit; only
    names keep theirs."""
    mid_sentence = re.compile(r"[a-záéíóúñ,;] +[A-ZÁÉÍÓÚÑ]")
    names = re.compile(r"\b(PDF|Pango)\b")
    texts = [names.sub("name", text) for text in spanish_messages()]
    assert [text for text in texts if mid_sentence.search(text)] == []


def test_each_other_choice_on_the_diary_page_has_its_own_words(client, world):
    """The activity not listed, where it is typed, and a side effect not listed."""
    for language, words, gone in (
        (
            "en",
            ("Another activity (write it below)", "Another activity<", "Another side effect"),
            "Something else",
        ),
        (
            "es",
            ("Otra actividad (escríbala abajo)", "Otra actividad<", "Otro efecto secundario"),
            "Otra cosa",
        ),
    ):
        page = client.get(diary_url(world.block), headers={"Accept-Language": language})
        text = page.get_data(as_text=True)
        assert all(word in text for word in words), language
        assert gone not in text, language


def test_without_listed_activities_the_typed_one_is_the_question(client, world):
    world.block.activities = []
    page = client.get(diary_url(world.block), headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert '<label for="activity_other">What were you doing?</label>' in text
    assert "Another activity" not in text
