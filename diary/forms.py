"""Form pieces shared by the patient and clinic blueprints."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, flash, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import (
    Field,
    FieldList,
    HiddenField,
    IntegerField,
    MultipleFileField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TimeField,
)
from wtforms.validators import Optional, Regexp, ValidationError
from wtforms.widgets import TextInput

from diary.i18n import form_translations
from diary.json_members import repeated_member
from diary.vocabulary import PLAUSIBLE_YEARS

PAIN_WORDS = {0: "No pain", 5: "Moderate", 10: "Worst imaginable"}
# What typed text may not hold: C0 control characters but tab and line feed (they break
# the exports' files, and PostgreSQL stores no NUL). The API states the same rule.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f]")


def printable_text(form, field) -> None:
    """A WTForms validator: no control character but tab and line break. A browser sends
    a text area's line breaks as CR LF: they are kept as line feeds."""
    if not isinstance(field.data, str):
        return
    field.data = field.data.replace("\r\n", "\n").replace("\r", "\n")
    if CONTROL_CHARACTER.search(field.data):
        raise ValidationError(
            _l("Remove the invisible control characters from this text (pasted, perhaps).")
        )


# A field sent twice is two answers to one question (pain=3&pain=7): WTForms would keep
# the first and drop the other unsaid. Said where the field is, or above the form when
# the page does not show it (a hidden field, a score not asked).
SENT_TWICE = _l(
    "Two answers were sent for this question: choose one and save again. Nothing was saved."
)
SENT_TWICE_UNSEEN = _l(
    "This form was sent with one of its fields twice. Please reload the page and try "
    "again; nothing was saved."
)
# Fields that take several values (ticked boxes): the same name again is their answer.
MANY_VALUED = (SelectMultipleField, FieldList, MultipleFileField)


class OneAnswerForm(FlaskForm):
    """A form that takes one answer a question: a field sent more than once (other than
    one that takes several values) makes it invalid, whatever its values (SENT_TWICE),
    so nothing is saved from a request whose answer the form would pick unsaid. Every
    form of the clinic, the patient's pages and sign-in is one."""

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self.repeated_fields():
            if self.shows(field):
                field.errors = [SENT_TWICE]
            elif SENT_TWICE_UNSEEN not in self.form_errors:
                self.form_errors.append(SENT_TWICE_UNSEEN)
            valid = False
        return valid

    def repeated_fields(self) -> list:
        """The single-valued fields the request sent more than once: named again in a
        form, or twice in a JSON object (which Flask-WTF reads too, keeping one)."""
        repeated = [
            field
            for field in self
            if len(field.raw_data or ()) > 1 and not isinstance(field, MANY_VALUED)
        ]
        if not repeated and request.is_json:
            try:
                name = repeated_member(request.get_data(cache=True))
            except RecursionError:
                name = None
            if name is not None and name in self._fields:
                repeated.append(self._fields[name])
        return repeated

    def shows(self, field) -> bool:
        """Whether the page draws ``field`` with its errors (not a hidden field, nor a
        score another answer stands in for)."""
        return not isinstance(field, HiddenField) and not getattr(field, "not_asked", False)


class PlainTextForm(OneAnswerForm):
    """A form whose typed text fields all refuse control characters (printable_text),
    and that takes one answer a question (OneAnswerForm)."""

    class Meta:
        def get_translations(self, form):
            # WTForms' messages and default labels from a catalogue loaded once a language.
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return form_translations(str(get_locale()))

    def validate(self, extra_validators=None):
        extra = {name: list(checks) for name, checks in (extra_validators or {}).items()}
        for field in self:
            typed = isinstance(field, StringField) and not isinstance(
                field, HiddenField | PasswordField
            )
            if typed:
                extra.setdefault(field.name, []).append(printable_text)
        return super().validate(extra)


# Said when a form comes back with a one-time id no page of ours drew (a copied or stale
# page, an edited post): nothing was saved, and the page is drawn again with a new id.
BROKEN_ID = _l(
    "This form was out of date, so nothing was saved. Check your answers and send it again."
)


class OneTimeIdForm(PlainTextForm):
    """A form for a record made once whatever is sent again (a diary entry, a check-in,
    from the patient's page or staff's), with a one-time id (client_id): made as the page
    draws the form (``drawn``), it makes the same form sent again (a resubmitted post, a
    retry, a double click) store once, answered as the first was. An id no page drew is
    said in the page's language (``BROKEN_ID``), never refused without a word. A form that
    makes a record (``id_required``) refuses a missing or empty id the same way: every page
    draws one, and a record stored without one would be stored again by a resend."""

    client_id = HiddenField(validators=[Optional(), Regexp(r"^[A-Za-z0-9_-]{8,64}$")])
    id_required = False

    @classmethod
    def drawn(cls, **data):
        """An empty form with a new id."""
        return cls(formdata=None, client_id=uuid.uuid4().hex, **data)

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        missing = self.id_required and not self.client_id.data
        if self.client_id.errors or missing:  # not one a page made: drawn again with one
            self.client_id.data = uuid.uuid4().hex
            self.form_errors.append(str(BROKEN_ID))
            return False
        return valid


# What a relief field says of a decimal (a patient's or staff's "37.5").
RELIEF_WHOLE = _l("Relief is a whole number from 0 to 100, without decimals.")


class WholeNumberField(IntegerField):
    """An IntegerField whose refusal of a decimal or a word says what to enter, in the
    page's words (``message``); WTForms' own says "Not a valid integer value."."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message or "Enter a whole number, without decimals."

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(str(self.message)) from None


# A time of day on the 24-hour clock: 0:00 to 23:59.
CLOCK_PATTERN = r"([01]?[0-9]|2[0-3]):[0-5][0-9]"


class ClockField(TimeField):
    """A time of day typed on the 24-hour clock ("17:30"), as every page writes times. A
    browser's own time input follows the browser's locale instead: "05:30 PM" in US
    English, beside pages that say 17:30."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {
            "inputmode": "numeric",
            "pattern": CLOCK_PATTERN,
            "maxlength": 5,
            "size": 5,
            "autocomplete": "off",
        } | (kwargs.pop("render_kw", None) or {})
        super().__init__(label, validators, format="%H:%M", render_kw=render_kw, **kwargs)


class ScoreField(RadioField):
    """A 0–10 score as a radio group, refusing anything else with a plain message."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(
            label,
            validators,
            choices={str(n): str(n) for n in range(11)},
            validate_choice=False,
            **kwargs,
        )
        self.message = message or "Choose a whole number from 0 to 10."
        # Set by the form when another answer stands in for this one (a score per side
        # instead of the one score): then it is not asked for.
        self.not_asked = False

    def pre_validate(self, form):
        if self.not_asked:
            return
        if self.data not in {str(n) for n in range(11)}:
            raise ValidationError(self.message)

    @property
    def score(self) -> int:
        return int(self.data)

    @property
    def score_or_none(self) -> int | None:
        """The score, or None when it was not asked for."""
        return None if self.not_asked else int(self.data)


def clinic_time_to_utc(value: datetime, tz_name: str) -> datetime:
    """A wall-clock time typed in the clinic's time zone, as an aware UTC datetime."""
    return value.replace(tzinfo=ZoneInfo(tz_name)).astimezone(ZoneInfo("UTC"))


def utc_to_clinic_time(value: datetime, tz_name: str) -> datetime:
    """The inverse of ``clinic_time_to_utc``: a naive wall-clock time for a form field."""
    return value.astimezone(ZoneInfo(tz_name)).replace(tzinfo=None)


def plausible_date(form, field) -> None:
    """A WTForms validator: the date's year is within PLAUSIBLE_YEARS."""
    low, high = PLAUSIBLE_YEARS
    if field.data is not None and not low <= field.data.year <= high:
        raise ValidationError(f"Enter a date between {low} and {high}.")


def flash_first_refusal(
    form: Iterable[Field],
    said: Callable[[Field], str],
    anchor: Callable[[Field], str | None],
    link_words: str,
    shown: Callable[[Field], bool] = lambda field: True,
) -> None:
    """Flash, as an error, the first refused field of ``form`` that ``shown`` keeps: its
    reason in the page's words (``said``), then a link, ``link_words``, to the element of
    id ``anchor(field)`` beside it (None: said without a link, for a field the page does
    not draw). A refused page opens at its top, and the field may be screens down.

    ``said`` and ``link_words`` are plain text (escaped here), already translated by the
    caller; a field with no link is flashed as that plain text."""
    for refused in form:
        if refused.errors and shown(refused):
            reason = said(refused)
            target = anchor(refused)
            if target is None:
                flash(reason, "error")
            else:
                flash(Markup('{} <a href="#{}">{}</a>').format(reason, target, link_words), "error")
            return
