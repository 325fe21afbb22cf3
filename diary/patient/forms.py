from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import (
    DateTimeLocalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from diary.forms import (  # typed text: no control characters
    RELIEF_WHOLE,
    OneTimeIdForm,
    ScoreField,
    WholeNumberField,
)
from diary.vocabulary import SideEffect

OTHER_ACTIVITY = "__other__"


class EntryForm(OneTimeIdForm):
    activities_listed = False
    scored_apart = False
    pain = ScoreField(
        _l("How bad is your usual pain right now?"),
        message=_l("Choose your pain score: tap a number from 0 to 10."),
    )
    # A bilateral block scored left and right apart: a score per side, both required.
    pain_left = ScoreField(
        _l("Left side"), message=_l("Choose a score for the left side: tap a number from 0 to 10.")
    )
    pain_right = ScoreField(
        _l("Right side"),
        message=_l("Choose a score for the right side: tap a number from 0 to 10."),
    )
    # Said at the top when both sides are left out (each scale still says its own).
    both_sides_message = _l(
        "Choose a score for each side, left and right: tap a number from 0 to 10."
    )
    relief_pct = WholeNumberField(
        _l("How much relief do you feel? (0 to 100%)"),
        message=RELIEF_WHOLE,
        validators=[Optional(), NumberRange(0, 100, _l("Relief is a percentage from 0 to 100."))],
    )
    activity = SelectField(
        _l("What were you doing?"), choices={}, validate_choice=False, validators=[Length(max=200)]
    )
    # "Something else" would name three things on one page: the activity not listed, where
    # it is typed, and a side effect not listed. Each has its own words.
    activity_other = StringField(_l("Another activity"), validators=[Length(max=200)])
    note = TextAreaField(_l("Note"), validators=[Length(max=1000)], render_kw={"rows": 2})
    recorded_at = DateTimeLocalField(
        _l("Logging an earlier time?"),
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
    )
    side_effects = SelectMultipleField(
        _l("Any side effect?"),
        choices=[
            SelectChoice(SideEffect.NUMBNESS, _l("Numbness")),
            SelectChoice(SideEffect.WEAKNESS, _l("Weakness")),
            SelectChoice(SideEffect.HEADACHE, _l("Headache")),
            SelectChoice(SideEffect.INJECTION_SITE_PAIN, _l("Pain where the needle went in")),
            SelectChoice(SideEffect.OTHER, _l("Another side effect")),
        ],
    )
    side_effect_note = StringField(_l("About the side effect"), validators=[Length(max=500)])

    def shows(self, field) -> bool:
        if field is self.activity and not self.activities_listed:
            return False  # the typed activity is the question then
        return super().shows(field)

    def ask_for(self, block) -> None:
        """Ask for the scores ``block`` takes: one, or one per side when scored apart."""
        self.scored_apart = apart = block.scored_apart
        self.pain.not_asked = apart
        self.pain_left.not_asked = self.pain_right.not_asked = not apart

    def set_activities(self, activities: list[str]) -> None:
        self.activities_listed = bool(activities)
        if not activities:  # no list to choose from: the typed activity is the question
            self.activity_other.label.text = self.activity.label.text
        self.activity.choices = (
            {"": str(_l("— choose —"))}
            | {a: a for a in activities}
            | {OTHER_ACTIVITY: str(_l("Another activity (write it below)"))}
        )

    def as_late_entry(self) -> None:
        """Worded for a score added after the diary window, with the time it was felt."""
        self.pain.label.text = _l("How bad was your usual pain then?")
        self.recorded_at.label.text = _l("When did you feel this pain?")

    def as_correction(self, at: str) -> None:
        """Worded as the correction of the score logged at ``at`` (clinic time)."""
        self.pain.label.text = _l("Your pain score for %(time)s (0 to 10)", time=at)
        self.relief_pct.label.text = _l("Your relief at that time (0 to 100%)")
        self.activity.label.text = _l("What were you doing then?")
        if not self.activities_listed:
            self.activity_other.label.text = self.activity.label.text
        self.recorded_at.label.text = _l("Time of this score")

    def chosen_activity(self) -> str | None:
        if self.activity.data == OTHER_ACTIVITY:
            return self.activity_other.data or None
        if self.activity.data and self.activity.data in self.activity.choices:
            return self.activity.data
        return self.activity_other.data or None


def hidden_inputs(client_id: str, csrf_token: str | None) -> Markup:
    """``EntryForm(client_id=client_id).hidden_tag()`` as Flask-WTF writes it (the entry
    id, then the CSRF token when CSRF is on), without building the form."""
    inputs = [f'<input id="client_id" name="client_id" type="hidden" value="{escape(client_id)}">']
    if csrf_token is not None:
        inputs.append(
            f'<input id="csrf_token" name="csrf_token" type="hidden" value="{escape(csrf_token)}">'
        )
    return Markup("\n".join(inputs))  # noqa: S704  # nosec B704  # each value escaped
