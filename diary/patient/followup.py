"""The patient's follow-up link after an ablation or a therapeutic block: no account,
just the procedure's own random token. The check-in page asks pathway.md §3's four
questions, keeps a check-in on the phone until it is sent (exactly once, by its id), and
says when the next check-in is due; the calendar file holds one event per check-in."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date

from babel.dates import format_date
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from diary import vocabulary
from diary.extensions import db, diary_token_limit
from diary.forms import RELIEF_WHOLE, OneTimeIdForm, ScoreField, WholeNumberField
from diary.models import utcnow
from diary.pathway.dates import at_clock_time
from diary.patient.refusals import say_first_refusal
from diary.patient.routes import clinic_safety_text, service_worker_response
from diary.services.followup import (
    REMINDER_CLOCK,
    CheckinInput,
    Followed,
    FollowUpView,
    clinic_zone,
    follow_up_view,
    followed_for_token,
    record_checkin,
)
from diary.services.rejections import DiaryClosed, InputRejected
from diary.web import followup_url

bp = Blueprint("followup", __name__, url_prefix="/f")
diary_token_limit(bp)

# Patient Global Impression of Change (Guy 1976), 1 to 7, in the patient's language.
PGIC_WORDS = {value: _l(words) for value, words in vocabulary.PGIC_WORDS.items()}


class CheckinPatientForm(OneTimeIdForm):
    id_required = True  # only ever posted to make a check-in
    # The pain fields the procedure is not scored with (validate_for), not drawn.
    skipped: tuple[str, ...] = ()
    pain = ScoreField(
        _l("Your average pain over the past week (0 to 10)"),
        message=_l("Choose your average pain over the past week: a number from 0 to 10."),
    )
    pain_left = ScoreField(
        _l("Left side: your average pain over the past week (0 to 10)"),
        message=_l("Choose your average pain on each side: a number from 0 to 10."),
    )
    pain_right = ScoreField(
        _l("Right side: your average pain over the past week (0 to 10)"),
        message=_l("Choose your average pain on each side: a number from 0 to 10."),
    )
    relief_pct = WholeNumberField(
        _l("How much relief have you had since the procedure? (0 to 100%)"),
        message=RELIEF_WHOLE,
        validators=[Optional(), NumberRange(0, 100, _l("Relief is a percentage from 0 to 100."))],
    )
    pgic = RadioField(
        _l("Since the procedure, how has your pain changed overall?"),
        choices=[SelectChoice(str(k), v) for k, v in PGIC_WORDS.items()],
        validators=[Optional()],
    )
    new_treatment = RadioField(
        _l(
            "Since the procedure, have you had another procedure "
            "or started a new regular pain medicine?"
        ),
        choices=[SelectChoice("no", _l("No")), SelectChoice("yes", _l("Yes"))],
        validators=[Optional()],
    )

    def as_input(self, apart: bool) -> CheckinInput:
        return CheckinInput(
            pain=None if apart else self.pain.score,
            pain_left=self.pain_left.score if apart else None,
            pain_right=self.pain_right.score if apart else None,
            relief_pct=self.relief_pct.data,
            pgic=int(self.pgic.data) if self.pgic.data else None,
            new_treatment={"yes": True, "no": False}.get(self.new_treatment.data or ""),
            client_id=self.client_id.data or None,
        )

    def shows(self, field) -> bool:
        # The choices' fieldsets draw no errors of their own: said above the form.
        hidden = {*self.skipped, "pgic", "new_treatment"}
        return field.name not in hidden and super().shows(field)

    def validate_for(self, apart: bool) -> bool:
        """Validate, asking only the pain fields the procedure is scored with."""
        self.skipped = skipped = ("pain",) if apart else ("pain_left", "pain_right")
        for name in skipped:
            self[name].validators = []
            self[name].pre_validate = lambda form: None
        return self.validate()


def _procedure_or_404(token: str) -> Followed:
    procedure = followed_for_token(token)
    if procedure is None:
        abort(404)
    g.clinic_language = procedure.clinic.language
    return procedure


def open_procedure_or_410(token: str) -> Followed:
    procedure = _procedure_or_404(token)
    if not procedure.link_open(utcnow()):
        abort(_closed_page(procedure))
    return procedure


def _closed_page(procedure: Followed):
    """The closed-link page (410): it still names the clinic and says whom to call and,
    answering a check-in's post, that the check-in was not saved."""
    page = render_template(
        "patient/followup_closed.html",
        block=procedure.record,
        safety_text=clinic_safety_text(procedure.clinic),
        sent=request.method == "POST",
    )
    return make_response(page, 410)


def day_words(day: date) -> str:
    """A day as the page's language writes it ("24 de noviembre de 2026")."""
    return format_date(day, "long", locale=get_locale())


def _render(procedure: Followed, form: CheckinPatientForm, status: int = 200):
    view = follow_up_view(procedure)
    g.page_has_forms = True  # its Referer must reach this site for CSRF over https
    return (
        render_template(
            "patient/followup.html",
            procedure=procedure,
            block=procedure.record,  # the clinic's contact (patient/_clinic.html)
            view=view,
            form=form,
            state=_state(view),
            day_words=day_words,
            tz=procedure.clinic.timezone,
            safety_text=clinic_safety_text(procedure.clinic),
            PGIC_WORDS=PGIC_WORDS,
        ),
        status,
    )


def _state(view: FollowUpView) -> dict:
    """What the page says about the check-ins: the one open today (and whether it was
    made), and the next one due after it (or, when none is open, the next to open)."""
    open_now = view.open_now
    made = {s.slot.months for s in view.slots if s.status == "made"}
    if open_now is not None:
        upcoming = next(
            (
                s.slot
                for s in view.slots
                if s.slot.months > open_now.months and s.slot.months not in made
            ),
            None,
        )
    else:
        upcoming = next(
            (
                s.slot
                for s in view.slots
                if s.slot.months not in made and s.slot.closes_on >= view.on
            ),
            None,
        )
    return {
        "open_now": open_now,
        "done_now": open_now is not None and open_now.months in made,
        "next": upcoming,
        "made": sorted(made),
    }


@bp.get("/sw.js")
def service_worker():
    """The diary's service worker, served under /f/ so that it may keep the follow-up
    page working offline."""
    return service_worker_response()


@bp.get("/<token>")
def checkin_page(token: str):
    procedure = open_procedure_or_410(token)
    return _render(procedure, CheckinPatientForm(client_id=uuid.uuid4().hex))


@bp.post("/<token>/checkins")
def add_checkin(token: str):
    """The form without JavaScript: the same check-in, stored once by its id."""
    procedure = open_procedure_or_410(token)
    form = CheckinPatientForm()
    apart = procedure.scored_apart
    not_saved = _("Your check-in was not saved. %(reason)s")
    if not form.validate_for(apart):
        say_first_refusal(form, not_saved)
        return _render(procedure, form, 400)
    try:
        created = record_checkin(procedure, form.as_input(apart))[1]
    except InputRejected as rejected:
        field = getattr(form, rejected.field, None)
        if field is None or rejected.field == "made_at":
            flash(_(rejected.message), "error")
        else:
            field.errors = [*field.errors, _(rejected.message)]
            say_first_refusal(form, not_saved)
        return _render(procedure, form, 400)
    except DiaryClosed:  # closed since the check above
        abort(_closed_page(procedure))
    db.session.commit()
    flash(_("Saved. Thank you.") if created else _("Already saved. Thank you."), "success")
    # Opened at the notice, the first line of <main>: at the check-ins, below it, a phone
    # showed no word of it (as the diary page, outside trial).
    return redirect(url_for("followup.checkin_page", token=token) + "#main")


@bp.get("/<token>/reminders.ics")
def reminders(token: str):
    """One event per check-in still ahead, on its due day."""
    from diary.reminders.calendar_file import checkin_reminders_ics

    procedure = open_procedure_or_410(token)
    zone = clinic_zone(procedure.clinic)
    view = follow_up_view(procedure)
    made = {s.slot.months for s in view.slots if s.status == "made"}
    events = [
        (slot.months, at_clock_time(slot.due_on, REMINDER_CLOCK, zone), slot.closes_on)
        for slot in view.follow.schedule
        if slot.months not in made
    ]
    body = checkin_reminders_ics(
        events,
        procedure.clinic.timezone,
        followup_url(token),
        uid_prefix=hashlib.sha256(token.encode()).hexdigest()[:16],
        now=utcnow(),
    )
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="follow-up-check-ins.ics"'},
    )
