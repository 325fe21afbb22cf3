from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from diary import anatomy
from diary.agents import AGENT_LABELS, OTHER, agent_choices
from diary.forms import (
    RELIEF_WHOLE,
    ClockField,
    OneTimeIdForm,
    ScoreField,
    WholeNumberField,
    clinic_time_to_utc,
    plausible_date,
    utc_to_clinic_time,
)
from diary.forms import PlainTextForm as FlaskForm  # typed text: no control characters
from diary.i18n import LANGUAGES
from diary.relief import VERDICTS
from diary.services.blocks import BlockInput, unusual_time
from diary.services.settings import SETTING_LIMITS, WINDOW_HOURS
from diary.vocabulary import Purpose, Role, Scoring, Sedation, Sequence, Side

PURPOSES = {Purpose.DIAGNOSTIC: "Diagnostic", Purpose.THERAPEUTIC: "Therapeutic"}
SEQUENCES = {Sequence.FIRST: "1st", Sequence.SECOND: "2nd", Sequence.CONFIRMATORY: "Confirmatory"}
SEDATIONS = {
    Sedation.NONE: "None",
    Sedation.MINIMAL: "Minimal (anxiolysis)",
    Sedation.MODERATE: "Moderate",
}
ROLES = {Role.CLINICIAN: "Clinician", Role.ADMIN: "Clinic admin"}
SCORINGS = {
    Scoring.SIDES: "Left and right apart (a baseline and a score per side)",
    Scoring.ONE: "As one pain (midline or axial pain with no side)",
}


class SearchForm(FlaskForm):
    """Dashboard search: posted, so that a name or MRN never stands in a logged URL."""

    q = StringField(
        "Find a patient",
        validators=[Optional(), Length(max=100, message="At most 100 characters.")],
    )
    archived = HiddenField()


class PatientForm(FlaskForm):
    display_name = StringField(
        "Display name or initials",
        validators=[DataRequired("Enter a display name or initials."), Length(max=100)],
    )
    mrn = StringField("MRN (optional)", validators=[Optional(), Length(max=64)])
    birth_year = WholeNumberField(
        "Birth year (optional)",
        validators=[Optional(), NumberRange(1900, 2100, "Enter a four-digit year.")],
    )
    confirm_new = BooleanField("None of these: this is a different person")


class BlockForm(FlaskForm):
    performed_date = DateField(
        "Date", validators=[InputRequired("Enter the date of the block."), plausible_date]
    )
    performed_time = ClockField(
        "Time (24-hour, HH:MM)", validators=[InputRequired("Enter the time of the block.")]
    )
    region = SelectField("Spinal region", choices=dict(anatomy.REGIONS))
    levels = SelectMultipleField(
        "Levels",
        choices={level: level for levels in anatomy.LEVELS.values() for level in levels},
    )
    side = SelectField("Side", choices=dict(anatomy.SIDES))
    purpose = SelectField("Purpose", choices=PURPOSES)
    sequence = SelectField("Sequence in the series", choices=SEQUENCES)
    agent = SelectField("Local anesthetic", choices=agent_choices())
    agent_other = StringField("Other agent (name and concentration)", validators=[Length(max=100)])
    volume_ml_per_level = DecimalField(
        "Volume per level (mL)",
        places=2,
        validators=[
            InputRequired("Enter the volume per level in mL."),
            NumberRange(0.1, 5, "Volume per level is between 0.1 and 5 mL."),
        ],
    )
    steroid = BooleanField("Steroid added")
    sedation = SelectField("Sedation", choices=SEDATIONS)
    baseline_pain = ScoreField(
        "Baseline pain before the block (0–10)",
        message="Choose the baseline pain: a whole number from 0 to 10.",
    )
    # A bilateral block only (docs/pathway-rules.md, "Left and right").
    scoring = RadioField("A bilateral block is scored", choices=SCORINGS, validators=[Optional()])
    baseline_pain_left = ScoreField(
        "Left side: baseline pain before the block (0–10)",
        message="Choose the left side's baseline pain: a whole number from 0 to 10.",
    )
    baseline_pain_right = ScoreField(
        "Right side: baseline pain before the block (0–10)",
        message="Choose the right side's baseline pain: a whole number from 0 to 10.",
    )
    confirm_time = BooleanField("Yes, this date and time are right")
    # Ticked for one outcome of a correction (services.block_changes.BlockChangeEffect.key).
    confirm_change = StringField(validators=[Optional(), Length(max=100)])
    activities = TextAreaField(
        "Pain-provoking activities to try (one per line)",
        validators=[Length(max=2000)],
        render_kw={"rows": 3, "placeholder": "turn head left\nlook up"},
    )

    def shows(self, field) -> bool:
        # The correction's confirming box is drawn by the page, not from the field (no
        # errors); the scoring choice is hidden but for a bilateral block (block-form.js).
        hidden = field is self.scoring and self.side.data != Side.BILATERAL
        return field is not self.confirm_change and not hidden and super().shows(field)

    def scored_apart(self) -> bool:
        """As typed: a bilateral block scored left and right apart (the default). A post
        without the choice (as before it was offered) is read as the service reads it:
        apart, unless it gives the one baseline only."""
        if self.side.data != Side.BILATERAL:
            return False
        if self.scoring.data:
            return self.scoring.data == Scoring.SIDES
        sides_given = self.baseline_pain_left.data or self.baseline_pain_right.data
        return bool(sides_given) or not self.baseline_pain.data

    def validate(self, extra_validators=None):
        # Only the baselines the block's scoring takes are asked for.
        apart = self.scored_apart()
        self.baseline_pain.not_asked = apart
        self.baseline_pain_left.not_asked = self.baseline_pain_right.not_asked = not apart
        return super().validate(extra_validators)

    def validate_levels(self, field):
        if not field.data:
            raise ValidationError("Choose at least one level.")
        if self.region.data not in anatomy.LEVELS:
            return  # the region's own error says what to fix
        try:
            field.data = anatomy.levels_in_spine_order(self.region.data, field.data)
        except (ValueError, KeyError):
            raise ValidationError(f"Choose levels of the {self.region.data} spine only.") from None

    def validate_agent_other(self, field):
        if (self.agent.data or "").startswith(OTHER + ":") and not (field.data or "").strip():
            raise ValidationError("Name the other agent and its concentration.")

    def activity_list(self) -> list[str]:
        lines = [line.strip() for line in (self.activities.data or "").splitlines()]
        return [line[:200] for line in lines if line][:20]

    def agent_and_concentration(self) -> tuple[str, str | None]:
        agent, _, concentration = self.agent.data.partition(":")
        return agent, concentration or None

    def block_input(self, tz: str) -> BlockInput:
        """The block as typed, its time read in the clinic's time zone ``tz``."""
        agent, concentration = self.agent_and_concentration()
        return BlockInput(
            performed_at=clinic_time_to_utc(
                datetime.combine(self.performed_date.data, self.performed_time.data), tz
            ),
            region=self.region.data,
            levels=self.levels.data,
            side=self.side.data,
            purpose=self.purpose.data,
            sequence=self.sequence.data,
            agent=agent,
            concentration=concentration,
            agent_other=self.agent_other.data,
            volume_ml_per_level=float(self.volume_ml_per_level.data),
            steroid=self.steroid.data,
            sedation=self.sedation.data,
            baseline_pain=self.baseline_pain.score_or_none,
            activities=self.activity_list(),
            scoring=(
                (Scoring.SIDES if self.scored_apart() else Scoring.ONE)
                if self.side.data == Side.BILATERAL
                else None
            ),
            baseline_pain_left=self.baseline_pain_left.score_or_none,
            baseline_pain_right=self.baseline_pain_right.score_or_none,
        )

    def time_confirmed(self, tz: str) -> bool:
        """An unusual block time (weeks ago, days ahead) goes through once the box is
        ticked; until then the box says why it is asked."""
        unusual = unusual_time(self.block_input(tz).performed_at)
        if unusual and not self.confirm_time.data:
            self.confirm_time.errors = [f"{unusual} Check the date, then tick the box to keep it."]
            return False
        return True

    def fill_from(self, block, tz: str) -> None:
        """The form showing ``block`` as recorded, to correct it."""
        performed = utc_to_clinic_time(block.performed_at, tz)
        self.performed_date.data, self.performed_time.data = performed.date(), performed.time()
        for name in ("region", "levels", "side", "purpose", "sequence", "sedation", "steroid"):
            self[name].data = getattr(block, name)
        self.agent.data = f"{block.agent}:{block.concentration or ''}"
        self.agent_other.data = block.agent_other
        self.volume_ml_per_level.data = block.volume_ml_per_level
        self.scoring.data = block.scoring if block.side == Side.BILATERAL else Scoring.SIDES
        for name in ("baseline_pain", "baseline_pain_left", "baseline_pain_right"):
            value = getattr(block, name)
            self[name].data = None if value is None else str(value)
        self.activities.data = "\n".join(block.activities or [])


@cache
def time_zone_choices() -> list[str]:
    """The IANA zones a clinic may be in, by name ("America/Chicago"); not the aliases
    kept for old systems ("US/Central", "Etc/GMT+6")."""
    legacy = ("Etc/", "SystemV/", "US/", "posix", "right/")
    return ["UTC"] + sorted(
        zone for zone in available_timezones() if "/" in zone and not zone.startswith(legacy)
    )


class ClinicSettingsForm(FlaskForm):
    """The clinic's analysis and diary settings (defaults in docs/verdict-rules.md)."""

    # Radio buttons: a drop-down cut its choices short at 200% zoom.
    threshold_pct = RadioField(
        "Relief threshold for a positive block",
        choices={
            "80": "80% (Medicare LCD, Spine Intervention Society)",
            "50": "50% (2020 multisociety consensus)",
        },
    )
    min_baseline_pain = WholeNumberField(
        "Lowest baseline pain that can be judged (0–10)",
        validators=[
            InputRequired("Enter the lowest baseline pain."),
            NumberRange(
                *SETTING_LIMITS["min_baseline_pain"],
                "The lowest baseline pain is a number from 0 to 10.",
            ),
        ],
    )
    min_entries_in_window = WholeNumberField(
        "Entries needed within the agent's expected window",
        validators=[
            InputRequired("Enter how many entries are needed."),
            NumberRange(*SETTING_LIMITS["min_entries_in_window"], "Between 1 and 24 entries."),
        ],
    )
    language = SelectField(
        "Patient pages' language when the phone's is not offered", choices=dict(LANGUAGES)
    )
    timezone = SelectField(
        "Clinic time zone: times are shown, and typed, on this clock",
        choices=lambda: time_zone_choices(),
        validate_choice=False,  # the settings service checks the name; left out: kept
    )
    contact_line = StringField(
        "How patients reach the clinic (shown on every diary: name, phone, hours)",
        validators=[Length(max=200)],
    )
    mrn_system = StringField(
        "Identifier system of your MRNs in FHIR exports (your EHR's URI or urn:oid:…)",
        validators=[Length(max=200)],
    )
    safety_en = TextAreaField(
        "What to do about warning signs, English (empty for the standard text)",
        validators=[Length(max=1000)],
        render_kw={"rows": 2},
    )
    safety_es = TextAreaField(
        "What to do about warning signs, Spanish (empty for the standard text)",
        validators=[Length(max=1000)],
        render_kw={"rows": 2},
    )
    instructions_en = TextAreaField(
        "Instructions for patients, English (one per line; empty for the standard ones)",
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
    )
    instructions_es = TextAreaField(
        "Instructions for patients, Spanish (one per line; empty for the standard ones)",
        validators=[Length(max=2000)],
        render_kw={"rows": 3},
    )
    diary_link_hours = WholeNumberField(
        "Diary link lifetime after the procedure (hours)",
        validators=[
            InputRequired("Enter the link lifetime."),
            NumberRange(*SETTING_LIMITS["diary_link_hours"], "Between 1 hour and 14 days."),
        ],
    )
    max_entries_per_diary = WholeNumberField(
        "Most entries one diary takes",
        validators=[
            InputRequired("Enter the most entries a diary takes."),
            NumberRange(*SETTING_LIMITS["max_entries_per_diary"]),
        ],
    )
    max_corrections_per_entry = WholeNumberField(
        "Most corrections of one entry",
        validators=[
            InputRequired("Enter the most corrections of one entry."),
            NumberRange(*SETTING_LIMITS["max_corrections_per_entry"]),
        ],
    )
    max_corrections_per_diary = WholeNumberField(
        "Most corrections in one diary",
        validators=[
            InputRequired("Enter the most corrections in one diary."),
            NumberRange(*SETTING_LIMITS["max_corrections_per_diary"]),
        ],
    )
    require_two_factor = BooleanField(
        "Every clinician signs in with a code from an authenticator app as well"
    )
    early_minutes = StringField(
        "Early due times (minutes after the block, comma-separated)",
        validators=[Length(max=100)],
    )
    hourly_until_h = WholeNumberField(
        "Hourly entries until (hours), short-acting agents",
        validators=[
            InputRequired("Enter the last hourly entry."),
            NumberRange(*SETTING_LIMITS["hourly_until_h"], "Between 1 and 48 h."),
        ],
    )
    long_acting_until_h = WholeNumberField(
        "Hourly entries until (hours), bupivacaine and ropivacaine",
        validators=[
            InputRequired("Enter the last hourly entry."),
            NumberRange(*SETTING_LIMITS["long_acting_until_h"], "Between 1 and 48 h."),
        ],
    )
    daily_days = WholeNumberField(
        "Daily scores after the hourly window (days; 0 for none)",
        description=(
            "One score a day at the block's clock time. The diary link stays open 24 h "
            "after the last one. New blocks take it; recorded blocks keep theirs."
        ),
        validators=[
            InputRequired("Enter how many days of daily scores (0 for none)."),
            NumberRange(*SETTING_LIMITS["daily_days"], "Between 0 and 28 days."),
        ],
    )

    # The next step's frequency limits and switch (pathway.md §4).
    diagnostic_sessions_limit = WholeNumberField(
        "Diagnostic block sessions per region group in a rolling 12 months",
        validators=[
            InputRequired("Enter the most diagnostic sessions."),
            NumberRange(*SETTING_LIMITS["diagnostic_sessions_limit"], "Between 0 and 12."),
        ],
    )
    therapeutic_sessions_limit = WholeNumberField(
        "Therapeutic injection sessions per region group in a rolling 12 months",
        validators=[
            InputRequired("Enter the most therapeutic sessions."),
            NumberRange(*SETTING_LIMITS["therapeutic_sessions_limit"], "Between 0 and 12."),
        ],
    )
    rfa_sessions_limit = WholeNumberField(
        "Radiofrequency ablation sessions per region group in a rolling 12 months",
        validators=[
            InputRequired("Enter the most ablation sessions."),
            NumberRange(*SETTING_LIMITS["rfa_sessions_limit"], "Between 0 and 12."),
        ],
    )
    stale_rfa_rule = BooleanField(
        "Advise repeating the diagnostic blocks when the last ablation at a site is old "
        "(contractors' checklists for the Medicare LCD)"
    )
    stale_rfa_years = WholeNumberField(
        "… older than (years)",
        validators=[
            InputRequired("Enter after how many years."),
            NumberRange(*SETTING_LIMITS["stale_rfa_years"], "Between 1 and 10 years."),
        ],
    )

    def validate_early_minutes(self, field):
        try:
            minutes = [int(part) for part in (field.data or "").replace(" ", "").split(",") if part]
        except ValueError:
            raise ValidationError("List whole minutes separated by commas, e.g. 15, 30.") from None
        if any(m < 1 or m > 59 for m in minutes):
            raise ValidationError("Early due times are between 1 and 59 minutes.")
        field.minutes = sorted(set(minutes))


AGENT_WINDOW_FIELDS = {}
for _agent, _label in AGENT_LABELS.items():
    for _bound, _text in (
        ("minimum_h", "shortest sustained response"),
        ("maximum_h", "expected maximum"),
    ):
        _name = f"{_agent}_{_bound}"
        AGENT_WINDOW_FIELDS[_name] = (_agent, _bound)
        setattr(
            ClinicSettingsForm,
            _name,
            DecimalField(
                f"{_label}: {_text} (h)",
                places=2,
                validators=[
                    InputRequired(f"Enter the {_label.lower()} {_text}."),
                    NumberRange(*WINDOW_HOURS, "Between 0 and 72 hours."),
                ],
            ),
        )


def agent_windows_from(form: ClinicSettingsForm) -> dict[str, dict[str, float]]:
    windows: dict[str, dict[str, float]] = {}
    for name, (agent, bound) in AGENT_WINDOW_FIELDS.items():
        windows.setdefault(agent, {})[bound] = float(form[name].data)
    return windows


class ExportFilterForm(FlaskForm):
    """Filters of the clinic-wide exports (read from the query string)."""

    class Meta:
        csrf = False

    start = DateField("Performed on or after", validators=[Optional(), plausible_date])
    end = DateField("Performed on or before", validators=[Optional(), plausible_date])
    region = SelectField("Region", choices={"": "Any"} | dict(anatomy.REGIONS), default="")
    agent = SelectField("Agent", choices={"": "Any"} | dict(AGENT_LABELS), default="")
    verdict = SelectField(
        "Verdict",
        choices={"": "Any"} | {v: v.replace("_", " ").capitalize() for v in VERDICTS},
        default="",
        description=(
            "A block scored left and right apart is chosen when either side has this "
            "verdict; its rows carry both sides' (verdict_left, verdict_right) to filter "
            "on one side."
        ),
    )

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date is before the start date.")


class ApiTokenForm(FlaskForm):
    name = StringField(
        "What the token is for",
        validators=[DataRequired("Name the token, e.g. “EHR import”."), Length(max=100)],
    )


class TranscribeEntryForm(OneTimeIdForm):
    """An entry copied from the patient's paper diary by staff."""

    recorded_date = DateField(
        "Date", validators=[InputRequired("Enter the date of the entry."), plausible_date]
    )
    recorded_time = ClockField(
        "Time (24-hour, HH:MM)", validators=[InputRequired("Enter the time of the entry.")]
    )
    pain = ScoreField("Pain (0–10)", message="Choose the pain score: a whole number from 0 to 10.")
    pain_left = ScoreField(
        "Left side: pain (0–10)",
        message="Choose the left side's score: a whole number from 0 to 10.",
    )
    pain_right = ScoreField(
        "Right side: pain (0–10)",
        message="Choose the right side's score: a whole number from 0 to 10.",
    )
    relief_pct = WholeNumberField(
        "Patient's relief (%)",
        message=RELIEF_WHOLE,
        validators=[Optional(), NumberRange(0, 100, "Relief is a percentage from 0 to 100.")],
    )
    activity = StringField("Activity", validators=[Length(max=200)])
    note = StringField("Note", validators=[Length(max=1000)])

    def ask_for(self, block) -> TranscribeEntryForm:
        """Ask for the scores ``block`` takes: one, or one per side when scored apart."""
        apart = block.scored_apart
        self.pain.not_asked = apart
        self.pain_left.not_asked = self.pain_right.not_asked = not apart
        return self


def instructions_from(form: ClinicSettingsForm) -> dict[str, list[str]]:
    """{language: lines} for the languages where the clinic wrote its own instructions."""
    written: dict[str, list[str]] = {}
    for code in LANGUAGES:
        text = form[f"instructions_{code}"].data or ""
        lines = [line.strip()[:300] for line in text.splitlines() if line.strip()][:10]
        if lines:
            written[code] = lines
    return written


class NewClinicianForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the clinician's name."), Length(max=200)]
    )
    email = StringField(
        "Email", validators=[DataRequired("Enter an email address."), Length(max=254)]
    )
    role = SelectField("Role", choices=ROLES)

    def validate_email(self, field):
        if "@" not in field.data or field.data.strip().count("@") != 1:
            raise ValidationError("Enter an email address such as name@clinic.example.")
