"""The patient pages in English and Spanish: from the phone's language, a switch, the clinic."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from diary.extensions import db
from tests.conftest import form_id

CATALOG = Path(__file__).parent.parent / "diary" / "translations" / "es" / "LC_MESSAGES"


def _forms(value) -> tuple:
    """A message's id or string as a tuple: one form, or singular and plural."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def test_every_spanish_string_is_translated_and_compiled():
    with open(CATALOG / "messages.po", "rb") as po_file:
        catalog = read_po(po_file)
    untranslated = [m.id for m in catalog if m.id and not all(_forms(m.string))]
    assert untranslated == []
    assert not [m.id for m in catalog if m.id and m.fuzzy]
    with open(CATALOG / "messages.mo", "rb") as mo_file:
        compiled = read_mo(mo_file)
    assert {_forms(m.id): _forms(m.string) for m in compiled if m.id} == {
        _forms(m.id): _forms(m.string) for m in catalog if m.id
    }, "run tools/translations.py"


def test_phone_language_chooses_spanish(client, world):
    page = client.get(
        f"/d/{world.block.diary_token}", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
    )
    text = page.get_data(as_text=True)
    assert '<html lang="es">' in text
    assert "Su diario de dolor" in text and "Guardar" in text and "Sin dolor" in text
    assert "Bloqueo de ramo medial en la parte baja de la espalda (lumbar)" in text
    assert "Your pain diary" not in text
    assert "Saltar al contenido" in text and "Skip to content" not in text
    # Dates as Spanish writes them: "viernes, 27 de noviembre de 2026".
    from babel.dates import format_date

    day = world.block.performed_at.astimezone(
        __import__("zoneinfo").ZoneInfo(world.clinic.timezone)
    )
    assert format_date(day.date(), "full", locale="es") in text
    assert " de " + format_date(day.date(), "MMMM", locale="es") + " de " in text


def test_english_phone_gets_english(client, world):
    text = client.get(
        f"/d/{world.block.diary_token}", headers={"Accept-Language": "en-US"}
    ).get_data(as_text=True)
    assert "Your pain diary" in text and '<html lang="en">' in text


def test_switch_on_the_page_is_remembered(client, world):
    url = f"/d/{world.block.diary_token}"
    switched = client.get(url + "?lang=es", headers={"Accept-Language": "en"})
    assert "Su diario de dolor" in switched.get_data(as_text=True)
    assert "lang=es" in switched.headers["Set-Cookie"]
    again = client.get(url, headers={"Accept-Language": "en"})
    assert "Su diario de dolor" in again.get_data(as_text=True)


def test_clinic_default_applies_when_the_phone_language_is_not_offered(client, world):
    world.clinic.language = "es"
    db.session.commit()
    text = client.get(
        f"/d/{world.block.diary_token}", headers={"Accept-Language": "de-DE"}
    ).get_data(as_text=True)
    assert "Su diario de dolor" in text


def test_errors_and_messages_are_translated(client, world):
    response = client.post(
        f"/d/{world.block.diary_token}/entries",
        data={"client_id": form_id(), "pain": "11"},
        headers={"Accept-Language": "es"},
    )
    assert "Elija su puntuación de dolor" in response.get_data(as_text=True)
    saved = client.post(
        f"/d/{world.block.diary_token}/entries",
        data={"client_id": form_id(), "pain": "3"},
        headers={"Accept-Language": "es"},
        follow_redirects=True,
    )
    assert "Guardado. Gracias." in saved.get_data(as_text=True)


def test_clinic_instructions_replace_the_defaults_per_language(client, world):
    world.clinic.instructions = {"es": ["Anote sentado y después de caminar."]}
    db.session.commit()
    spanish = client.get(
        f"/d/{world.block.diary_token}", headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert "Anote sentado y después de caminar." in spanish
    english = client.get(
        f"/d/{world.block.diary_token}", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)
    assert "Rate only your usual pain, not soreness where the needle went in." in english


def test_the_clinic_pages_skip_link_stays_english_for_a_spanish_browser(client, signed_in):
    page = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert ">Skip to content</a>" in page.get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "es"])
def test_patient_times_read_as_babel_writes_them(app, language):
    """diary/i18n.py's patient_time writes its usual patterns itself: as Babel would, in
    every zone (half-hour offsets, summer time) and language."""
    import random
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    import flask_babel
    from babel.dates import format_date, format_datetime

    from diary.i18n import patient_time

    zones = ["America/Chicago", "Europe/Madrid", "Asia/Kolkata", "America/St_Johns", "UTC"]
    draw = random.Random(1)
    with app.test_request_context("/", headers={"Accept-Language": language}):
        flask_babel.refresh()
        locale = flask_babel.get_locale()
        assert str(locale) == language
        for _ in range(300):
            at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=draw.randrange(10**6))
            zone = draw.choice(zones)
            local = at.astimezone(ZoneInfo(zone))
            for pattern in ("HH:mm", "yyyy-MM-dd", "EEE d MMM"):
                babel = format_datetime(at, pattern, tzinfo=ZoneInfo(zone), locale=locale)
                assert patient_time(at, zone, pattern) == babel
                assert patient_time(at.replace(tzinfo=None), zone, pattern) == babel
            for length in ("full", "medium"):
                babel = f"{format_date(local.date(), length, locale=locale)}, {local:%H:%M}"
                assert patient_time(at, zone, length) == babel
