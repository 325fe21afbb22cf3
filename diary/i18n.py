"""Which language a page is shown in: the switch on the page, the phone's language,
then the clinic's default. Patient-facing strings are translated (English, Spanish)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache, lru_cache

from babel import Locale
from flask import Flask, g, request
from markupsafe import Markup

from diary.lru import BoundedLRU
from diary.vocabulary import N_, Language

LANGUAGES = {Language.ENGLISH: "English", Language.SPANISH: "Español"}
COOKIE = "lang"


def select_locale() -> Locale:
    """The page's language (Flask-Babel's locale selector), as one of a few Locales made
    once: Babel parsed the language code again on every page."""
    chosen = request.args.get(COOKIE) or request.cookies.get(COOKIE)
    if chosen not in LANGUAGES:
        chosen = phone_language(request.headers.get("Accept-Language", ""))
        chosen = chosen or g.get("clinic_language") or "en"
    return _locale(str(chosen))


# A phone's Accept-Language header -> the language of LANGUAGES it asks for (or None). A
# phone sends the same header with every page, and parsing and matching it was most of
# choosing the language. The answer depends on the header alone; headers longer than
# PHONE_HEADER_MAX are matched each time, so that the kept headers stay under 64 KB.
_PHONE_LANGUAGES: BoundedLRU[str | None] = BoundedLRU(max_items=256)
PHONE_HEADER_MAX = 256


def phone_language(header: str) -> str | None:
    """The language of LANGUAGES that an Accept-Language ``header`` prefers, if any."""
    if len(header) > PHONE_HEADER_MAX:
        return _best_match(header)
    return _PHONE_LANGUAGES.get_or_make(header, lambda: _best_match(header))


def _best_match(header: str) -> str | None:
    # As request.accept_languages parses the header.
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    return parse_accept_header(header, LanguageAccept).best_match(list(LANGUAGES))


@lru_cache(maxsize=8)
def _locale(code: str) -> Locale:
    """The Locale of ``code`` (its data loaded only if asked for, as Babel does); a Locale
    is never changed once made, so pages and threads share it."""
    return Locale.parse(code)


def register_language_switch(app: Flask) -> None:
    @app.after_request
    def remember_switch(response):
        chosen = request.args.get(COOKIE)
        if chosen in LANGUAGES:
            response.set_cookie(
                COOKIE,
                chosen,
                max_age=60 * 60 * 24 * 30,
                samesite="Lax",
                secure=app.config.get("SESSION_COOKIE_SECURE", False),
            )
        return response


def patient_words() -> dict:
    """Words of the patient pages that come from data (region, side), marked for translation
    and translated where the templates show them (``_(REGION_WORDS[block.region])``): not
    lazy strings, each of which Flask-Babel translated again whenever it was hashed."""
    return {
        "REGION_WORDS": {
            "cervical": N_("Neck (cervical)"),
            "thoracic": N_("Upper back (thoracic)"),
            "lumbar": N_("Low back (lumbar)"),
        },
        "SIDE_WORDS": {
            "left": N_("left side"),
            "right": N_("right side"),
            "bilateral": N_("both sides"),
        },
    }


def default_instructions(translate: Callable[[str], str] | None = None) -> list[str]:
    """The instructions for a valid diary (docs/verdict-rules.md, "What goes in").
    ``translate``: the request's catalogue's gettext when the caller has it (Flask-Babel's
    looks the catalogue up again for each phrase)."""
    from flask_babel import gettext

    _ = translate or gettext
    return [
        _("Rate only your usual pain, not soreness where the needle went in."),
        _("No naps and no pain medicine during the diary hours."),
        _("Score at each time the page shows; if you forget, add it with the time it was."),
    ]


def default_safety_text(
    clinic_reachable: bool = True, translate: Callable[[str], str] | None = None
) -> str:
    """What to do about the warning signs after a spinal injection, unless the clinic
    wrote its own. Without the clinic's contact line the page has no number to call, so
    it does not send the patient to call the clinic. ``translate``: as for
    ``default_instructions``."""
    from flask_babel import gettext

    _ = translate or gettext

    if not clinic_reachable:
        return _(
            "Get medical help at once if you have new numbness or weakness in your arms or "
            "legs, a fever, or severe new pain: call 911."
        )
    return _(
        "Call the clinic at once if you have new numbness or weakness in your arms or legs, "
        "a fever, or severe new pain. If you cannot reach the clinic, call 911."
    )


def safety_text_for(
    clinic_text: dict | None,
    language: str,
    clinic_reachable: bool = True,
    translate: Callable[[str], str] | None = None,
) -> str:
    own = (clinic_text or {}).get(language)
    return own or default_safety_text(clinic_reachable, translate)


def instructions_for(
    clinic_instructions: dict | None,
    language: str,
    translate: Callable[[str], str] | None = None,
) -> list[str]:
    """The clinic's own instructions in this language if it wrote some, else the defaults."""
    own = (clinic_instructions or {}).get(language)
    return list(own) if own else default_instructions(translate)


def patient_time(value, tz_name: str, pattern: str) -> str:
    """A time in the clinic's zone, with day and month names in the page's language.

    ``pattern`` is a CLDR pattern ("HH:mm"), or a date length ("full", "medium") for the
    date as the language writes it ("martes, 24 de noviembre de 2026") and the time."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime
    from flask_babel import get_locale

    if value.tzinfo is None:  # as Babel reads a naive time
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(ZoneInfo(tz_name))
    # The patient's page's patterns, written as Babel writes them in every language (its
    # digits are Latin in each): Babel's formatting was most of the page's dates' cost.
    if pattern == "HH:mm":
        return f"{local:%H:%M}"
    if pattern == "yyyy-MM-dd" and local.year >= 1000:
        return local.date().isoformat()
    locale = get_locale()
    if pattern in ("full", "long", "medium", "short"):
        return f"{_date_in(local.date(), pattern, str(locale))}, {local:%H:%M}"
    return format_datetime(value, pattern, tzinfo=local.tzinfo, locale=locale)


@lru_cache(maxsize=512)
def _date_in(day, length: str, locale: str) -> str:
    """``day`` as ``locale`` writes a date of ``length`` ("full": "martes, 24 de noviembre
    de 2026"); a page's few dates are the same for many diaries and many views."""
    return date_as(day, length, locale)


# The patient pages' dates: each language's date lengths, and the skeletons they ask for.
DATE_LENGTHS = ("full", "long", "medium", "short")
DATE_SKELETONS = ("MMMEd",)
# What Babel's date patterns read of a language's data: the names of days, months, eras.
DATE_NAMES = ("days", "months", "eras")


def date_as(day, form: str, locale: str) -> str:
    """``day`` written as ``locale`` writes a date of ``form`` (one of DATE_LENGTHS, or a
    CLDR skeleton of DATE_SKELETONS), as Babel's format_date and format_skeleton write it,
    from diary/date_words.py's few names, not Babel's whole locale data."""
    from babel.dates import parse_pattern

    words, patterns = _date_locale(locale)
    return parse_pattern(patterns[form]).apply(day, words)


@cache
def _date_locale(locale: str):
    """A Babel Locale holding only ``locale``'s names of days, months and eras, and its
    date patterns: Babel loads a language's whole CLDR data to write one date (3.4 MB of
    objects for English with its root, 1.3 MB Spanish: territories, currencies, time
    zones…) and keeps it for the process, and no clinic page loads it."""
    from babel import Locale, localedata, parse_locale

    from diary.date_words import DATE_WORDS

    names, patterns = DATE_WORDS[locale]
    words = Locale(*parse_locale(locale))  # its own, never one Babel or Flask-Babel share
    words._Locale__data = localedata.LocaleDataDict(dict(names))  # type: ignore[attr-defined]
    return words, patterns


def date_words_from_babel(locale: str) -> tuple[dict, dict[str, str]]:
    """What diary/date_words.py holds for ``locale``, read from Babel's locale data
    (tools/date_words.py writes the file; tests/test_date_words.py compares)."""
    from babel import Locale
    from babel.dates import match_skeleton, parse_pattern

    full = Locale.parse(locale)
    patterns = {length: full.date_formats[length].pattern for length in DATE_LENGTHS}
    skeletons = full.datetime_skeletons
    for skeleton in DATE_SKELETONS:
        found = skeleton if skeleton in skeletons else match_skeleton(skeleton, skeletons)
        patterns[skeleton] = parse_pattern(skeletons[found]).pattern
    return {name: _plain(full._data[name]) for name in DATE_NAMES}, patterns


def _plain(value):
    """Babel's locale data as plain dicts (its aliases resolved)."""
    if isinstance(value, Mapping):
        return {key: _plain(value[key]) for key in value}
    return value


# id(catalogue) -> (the catalogue, kept alive so that its id is not reused; its phrases,
# marked). Flask-Babel loads a language's catalogue once and keeps it.
_MARKED: dict[int, tuple[object, dict[str, Markup]]] = {}


def template_gettext(translations):
    """The templates' ``_()`` (Jinja's i18n extension, new style) bound to this request's
    ``translations``: Flask-Babel's looks them up again for each of the page's phrases."""
    from jinja2 import pass_eval_context

    translate = translations.ugettext
    # Each phrase translated and marked once per catalogue (a page has some thirty).
    if len(_MARKED) > 64:  # catalogues of apps gone (tests make many)
        _MARKED.clear()
    marked = _MARKED.setdefault(id(translations), (translations, {}))[1]

    # Given the evaluation context, not the context: Jinja copies the context for each
    # call of a function taking it from inside a block that sets variables of its own.
    @pass_eval_context
    def gettext(eval_ctx, message: str, **variables) -> str:
        if not eval_ctx.autoescape:
            return translate(message) % variables
        text = marked.get(message)
        if text is None:
            # The page's own words (msgids and their catalogue), marked safe as Jinja's
            # i18n marks them; the variables are escaped by the % of Markup.
            text = marked[message] = Markup(translate(message))  # noqa: S704  # nosec B704
        return text % variables

    return gettext


@cache
def form_translations(locale: str):
    """WTForms' own messages ("Not a valid choice", a field's default label) in ``locale``,
    loaded once: Flask-WTF's loaded their catalogue from disk again on every request
    that built a form with a field left unlabelled."""
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")
