"""The forms of the follow-up pages: an ablation, and a check-in staff record."""

from __future__ import annotations

from datetime import datetime

from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from diary import anatomy
from diary.forms import (
    RELIEF_WHOLE,
    ClockField,
    OneTimeIdForm,
    WholeNumberField,
    clinic_time_to_utc,
    plausible_date,
    utc_to_clinic_time,
)
from diary.forms import PlainTextForm as FlaskForm  # typed text: no control characters
from diary.services.blocks import unusual_time
from diary.services.followup import AblationInput, CheckinInput
from diary.vocabulary import PGIC_WORDS

TECHNIQUES = {
    "conventional": "Conventional (thermal) ablation",
    "cooled": "Cooled radiofrequency ablation",
    "pulsed": "Pulsed radiofrequency (not an ablation)",
}
SCORINGS = {
    "sides": "Left and right scored apart",
    "one": "One pain (midline or axial)",
}
PGIC = PGIC_WORDS  # the patient's own words for each answer
SCORE_CHOICES = {str(n): str(n) for n in range(11)}


class OptionalScoreField(RadioField):
    """A 0–10 score that may be left out (a baseline or a side not asked)."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, choices=SCORE_CHOICES, validate_choice=False, **kwargs)
        self.message = message or "Choose a whole number from 0 to 10."

    def pre_validate(self, form):
        if self.data not in (None, "", "None") and self.data not in SCORE_CHOICES:
            raise ValidationError(self.message)

    @property
    def score(self) -> int | None:
        return int(self.data) if self.data in SCORE_CHOICES else None


class AblationForm(FlaskForm):
    performed_date = DateField(
        "Date", validators=[InputRequired("Enter the date of the ablation."), plausible_date]
    )
    performed_time = ClockField(
        "Time (24-hour, HH:MM)", validators=[InputRequired("Enter the time of the ablation.")]
    )
    region = SelectField("Spinal region", choices=dict(anatomy.REGIONS))
    levels = SelectMultipleField(
        "Levels",
        choices={level: level for levels in anatomy.LEVELS.values() for level in levels},
    )
    side = SelectField("Side", choices=dict(anatomy.SIDES))
    technique = SelectField("Technique", choices=TECHNIQUES)
    scoring = RadioField("A bilateral ablation's pain", choices=SCORINGS, default="sides")
    baseline_pain = OptionalScoreField("Baseline pain before the ablation (0–10)")
    baseline_pain_left = OptionalScoreField("Baseline pain, left side (0–10)")
    baseline_pain_right = OptionalScoreField("Baseline pain, right side (0–10)")
    repeat_of_id = SelectField(
        "Repeats an earlier ablation at this site", choices={}, validate_choice=False
    )
    note = StringField("Note (optional)", validators=[Length(max=500)])
    confirm_time = BooleanField("Yes, this date and time are right")

    def set_earlier(self, ablations, tz: str, other_than=None) -> None:
        self.repeat_of_id.choices = {"": "No, not a repeat"} | {
            str(a.id): f"{utc_to_clinic_time(a.performed_at, tz):%d %b %Y} · {a.region} "
            f"{', '.join(a.levels)}, {a.side} ({a.technique})"
            for a in ablations
            if other_than is None or a.id != other_than.id
        }

    def validate_levels(self, field):
        if not field.data:
            raise ValidationError("Choose at least one level.")
        if self.region.data not in anatomy.LEVELS:
            return
        try:
            field.data = anatomy.levels_in_spine_order(self.region.data, field.data)
        except (ValueError, KeyError):
            raise ValidationError(f"Choose levels of the {self.region.data} spine only.") from None

    def validate_scoring(self, field):
        if field.data not in SCORINGS:
            field.data = "one"

    def apart(self) -> bool:
        return self.side.data == "bilateral" and self.scoring.data == "sides"

    def validate_baseline_pain(self, field):
        if not self.apart() and field.score is None:
            raise ValidationError("Choose the baseline pain: a whole number from 0 to 10.")

    def validate_baseline_pain_left(self, field):
        if self.apart() and field.score is None:
            raise ValidationError("Choose the left side's baseline pain (0 to 10).")

    def validate_baseline_pain_right(self, field):
        if self.apart() and field.score is None:
            raise ValidationError("Choose the right side's baseline pain (0 to 10).")

    def ablation_input(self, tz: str) -> AblationInput:
        apart = self.apart()
        return AblationInput(
            performed_at=clinic_time_to_utc(
                datetime.combine(self.performed_date.data, self.performed_time.data), tz
            ),
            region=self.region.data,
            levels=self.levels.data,
            side=self.side.data,
            technique=self.technique.data,
            scoring="sides" if apart else "one",
            baseline_pain=None if apart else self.baseline_pain.score,
            baseline_pain_left=self.baseline_pain_left.score if apart else None,
            baseline_pain_right=self.baseline_pain_right.score if apart else None,
            repeat_of_id=int(self.repeat_of_id.data)
            if (self.repeat_of_id.data or "").isdigit()
            else None,
            note=self.note.data,
        )

    def time_confirmed(self, tz: str) -> bool:
        unusual = unusual_time(self.ablation_input(tz).performed_at)
        if unusual and not self.confirm_time.data:
            self.confirm_time.errors = [f"{unusual} Check the date, then tick the box to keep it."]
            return False
        return True

    def fill_from(self, ablation, tz: str) -> None:
        performed = utc_to_clinic_time(ablation.performed_at, tz)
        self.performed_date.data, self.performed_time.data = performed.date(), performed.time()
        for name in ("region", "levels", "side", "technique", "scoring", "note"):
            self[name].data = getattr(ablation, name)
        for name in ("baseline_pain", "baseline_pain_left", "baseline_pain_right"):
            value = getattr(ablation, name)
            self[name].data = None if value is None else str(value)
        self.repeat_of_id.data = str(ablation.repeat_of_id or "")


class CheckinForm(OneTimeIdForm):
    """A check-in staff record: transcribed from a call, or unscheduled (a visit)."""

    made_on = DateField(
        "Day of the call or visit",
        validators=[InputRequired("Enter the day the patient answered."), plausible_date],
    )
    months = SelectField("Which check-in", choices={}, validate_choice=False)
    pain = OptionalScoreField("Average pain over the past week (0–10)")
    pain_left = OptionalScoreField("Average pain, left side (0–10)")
    pain_right = OptionalScoreField("Average pain, right side (0–10)")
    relief_pct = WholeNumberField(
        "Percent relief since the procedure (0–100, optional)",
        message=RELIEF_WHOLE,
        validators=[Optional(), NumberRange(0, 100, "Relief is a percentage from 0 to 100.")],
    )
    pgic = SelectField(
        "Impression of change (PGIC, optional)",
        choices={"": "Not asked"} | {str(k): f"{k} · {v}" for k, v in PGIC.items()},
        validate_choice=False,
    )
    new_treatment = SelectField(
        "A new procedure or new regular pain medicine since?",
        choices={"": "Not asked", "no": "No", "yes": "Yes"},
        validate_choice=False,
    )

    def set_schedule(self, schedule) -> None:
        self.months.choices = {"": "Unscheduled (a visit or a call)"} | {
            str(slot.months): f"{slot.months}-month check-in (due {slot.due_on:%d %b %Y})"
            for slot in schedule
        }

    def checkin_input(self) -> CheckinInput:
        return CheckinInput(
            pain=self.pain.score,
            pain_left=self.pain_left.score,
            pain_right=self.pain_right.score,
            relief_pct=self.relief_pct.data,
            pgic=int(self.pgic.data) if self.pgic.data in {str(k) for k in PGIC} else None,
            new_treatment={"yes": True, "no": False}.get(self.new_treatment.data or ""),
            made_on=self.made_on.data,
            months=int(self.months.data) if (self.months.data or "").isdigit() else None,
            client_id=self.client_id.data or None,
        )


def _months(text: str | None) -> list[int]:
    try:
        return sorted({int(part) for part in (text or "").replace(" ", "").split(",") if part})
    except ValueError:
        raise ValidationError("List whole months separated by commas, e.g. 1, 3, 6, 12.") from None


class FollowUpSettingsForm(FlaskForm):
    rfa_checkin_months = StringField(
        "Check-ins after a radiofrequency ablation (months, comma-separated)",
        validators=[Length(max=100)],
    )
    therapeutic_checkin_months = StringField(
        "Check-ins after a therapeutic block (months, comma-separated)",
        validators=[Length(max=100)],
    )
    checkin_opens_days_before = WholeNumberField(
        "A check-in opens this many days before its due date",
        validators=[InputRequired("Enter the days before."), NumberRange(0, 60, "0 to 60 days.")],
    )
    checkin_closes_days_after = WholeNumberField(
        "… and closes this many days after it",
        validators=[InputRequired("Enter the days after."), NumberRange(0, 60, "0 to 60 days.")],
    )

    def validate_rfa_checkin_months(self, field):
        field.months = _months(field.data)

    def validate_therapeutic_checkin_months(self, field):
        field.months = _months(field.data)
