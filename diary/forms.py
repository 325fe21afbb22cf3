"""Form pieces shared by the patient and clinic blueprints."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from wtforms import RadioField
from wtforms.validators import ValidationError

from diary.vocabulary import PLAUSIBLE_YEARS

PAIN_WORDS = {0: "No pain", 5: "Moderate", 10: "Worst imaginable"}


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

    def pre_validate(self, form):
        if self.data not in {str(n) for n in range(11)}:
            raise ValidationError(self.message)

    @property
    def score(self) -> int:
        return int(self.data)


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
