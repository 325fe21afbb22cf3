"""Ablations and follow-up: recording an ablation (edits keep their history), its page
with the follow-up link, the check-ins and their outcomes, its chart and report, and a
therapeutic block's follow-up link and check-ins (shown on the block's page)."""

from __future__ import annotations

import base64
from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from diary import charts, pathway
from diary.access import (
    admin_only,
    clinic_ablation_or_404,
    clinic_block_or_404,
    clinic_patient_or_404,
)
from diary.auth.forms import EmptyForm
from diary.clinic.blueprint import bp
from diary.clinic.followup_forms import (
    PGIC,
    SCORINGS,
    TECHNIQUES,
    AblationForm,
    CheckinForm,
    FollowUpSettingsForm,
)
from diary.extensions import db
from diary.forms import flash_first_refusal
from diary.models import Ablation, AuditEvent, Block, utcnow
from diary.qr import qr_svg
from diary.services.audit import record_audit
from diary.services.followup import (
    MADE,
    MISSED,
    OPEN,
    UPCOMING,
    Followed,
    FollowUpSettings,
    chart_lines,
    clinic_zone,
    create_ablation,
    current_followup_settings,
    follow_up_view,
    followed,
    is_followed_block,
    patient_ablations,
    reopen_followup_link,
    revoke_followup_link,
    side_label,
    update_ablation,
    update_followup_settings,
)
from diary.services.followup import record_checkin as store_checkin
from diary.services.rejections import InputRejected
from diary.web import chart_body, followup_url, pdf_response

SLOT_LABELS = {MADE: "made", OPEN: "open now", MISSED: "missed", UPCOMING: "upcoming"}
OUTCOME_LABELS = {
    pathway.DURABLE: "durable",
    pathway.NOT_DURABLE: "not durable",
    pathway.UNDETERMINED: "undetermined",
    pathway.YES: "supported",
    pathway.NO: "not supported",
}


def followup_context(procedure: Followed, checkin_form: CheckinForm | None = None) -> dict:
    """What the follow-up panel shows, on the ablation's page and a therapeutic block's."""
    view = follow_up_view(procedure)
    link = followup_url(procedure.token) if procedure.token else None
    form = checkin_form or CheckinForm.drawn(made_on=view.on)
    form.set_schedule(view.follow.schedule)
    return dict(
        procedure=procedure,
        view=view,
        followup_link=link,
        followup_qr=qr_svg(link) if link and procedure.link_open(utcnow()) else None,
        checkin_form=form,
        side_label=side_label,
        SLOT_LABELS=SLOT_LABELS,
        OUTCOME_LABELS=OUTCOME_LABELS,
        PGIC=PGIC,
    )


def _earlier_ablations(patient_id: int) -> list[Ablation]:
    return list(
        db.session.scalars(
            select(Ablation)
            .where(Ablation.patient_id == patient_id)
            .order_by(Ablation.performed_at.desc())
        )
    )


@bp.route("/patients/<int:patient_id>/ablations/new", methods=["GET", "POST"])
def new_ablation(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    tz = current_user.clinic.timezone
    form = AblationForm()
    form.set_earlier(_earlier_ablations(patient.id), tz)
    if form.validate_on_submit() and form.time_confirmed(tz):
        try:
            ablation = create_ablation(
                current_user.clinic, patient, form.ablation_input(tz), by=current_user
            )
        except InputRejected as rejected:
            field = getattr(form, rejected.field, form.levels)
            field.errors = [*field.errors, rejected.message]
        else:
            db.session.commit()
            flash("Ablation recorded. Give the patient the follow-up link.", "success")
            return redirect(url_for("clinic.ablation", ablation_id=ablation.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "clinic/ablation_form.html", form=form, patient=patient, tz=tz, ablation=None
    ), status


@bp.route("/ablations/<int:ablation_id>/edit", methods=["GET", "POST"])
def edit_ablation(ablation_id: int):
    """Correct an ablation's details; the audit log keeps the values it had."""
    ablation = clinic_ablation_or_404(ablation_id)
    tz = current_user.clinic.timezone
    form = AblationForm()
    form.set_earlier(_earlier_ablations(ablation.patient_id), tz, other_than=ablation)
    if not form.is_submitted():
        form.fill_from(ablation, tz)
    elif form.validate() and form.time_confirmed(tz):
        try:
            values = vars(form.ablation_input(tz))
            if values["performed_at"] == ablation.performed_at.replace(second=0, microsecond=0):
                values["performed_at"] = ablation.performed_at  # the form shows minutes only
            changed = update_ablation(ablation, values, by=current_user)
        except InputRejected as rejected:
            field = getattr(form, rejected.field, form.levels)
            field.errors = [*field.errors, rejected.message]
        else:
            db.session.commit()
            flash(
                "Ablation updated: " + ", ".join(n.replace("_", " ") for n in changed) + "."
                if changed
                else "Nothing changed.",
                "success",
            )
            return redirect(url_for("clinic.ablation", ablation_id=ablation.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "clinic/ablation_form.html", form=form, patient=ablation.patient, tz=tz, ablation=ablation
    ), status


def _history(ablation: Ablation) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.target_type == "ablation",
                AuditEvent.target_id == ablation.id,
                AuditEvent.action.in_(("ablation.create", "ablation.update", "checkin.transcribe")),
            )
            .order_by(AuditEvent.id.desc())
            .limit(50)
        )
    )


def _ablation_page(ablation: Ablation, checkin_form: CheckinForm | None = None) -> dict:
    return followup_context(followed(ablation), checkin_form) | dict(
        ablation=ablation,
        tz=current_user.clinic.timezone,
        history=_history(ablation),
        action_form=EmptyForm(),
        TECHNIQUES=TECHNIQUES,
        SCORINGS=SCORINGS,
    )


@bp.get("/ablations/<int:ablation_id>")
def ablation(ablation_id: int):
    ablation = clinic_ablation_or_404(ablation_id)
    record_audit("ablation.view", by=current_user, target=ablation)
    db.session.commit()
    return render_template("clinic/ablation.html", **_ablation_page(ablation))


@bp.post("/ablations/<int:ablation_id>/checkins")
def ablation_checkin(ablation_id: int):
    """Staff record a check-in: transcribed from a call, or an unscheduled one."""
    ablation = clinic_ablation_or_404(ablation_id)
    stored, form = store_staff_checkin(followed(ablation))
    if stored is not None:
        return stored
    return render_template("clinic/ablation.html", **_ablation_page(ablation, form)), 400


def store_staff_checkin(procedure: Followed):
    """(a redirect, the form) when stored; (None, the form with its errors) when refused."""
    form = CheckinForm()
    form.set_schedule(procedure.schedule())
    if form.validate():
        try:
            store_checkin(procedure, form.checkin_input(), transcribed_by=current_user)
        except InputRejected as rejected:
            getattr(form, rejected.field, form.made_on).errors.append(rejected.message)
        else:
            db.session.commit()
            flash("Check-in recorded (marked as entered by staff).", "success")
            return redirect(_procedure_url(procedure) + "#followup-heading"), form
    # The first reason said at the top of the page too, with a link to its field: the page
    # opens at its top, and the form is several screens down a procedure's page. A hidden
    # field has no place on the page: said without a link.
    flash_first_refusal(
        form,
        lambda refused: f"The check-in was not recorded: {refused.errors[0]}",
        lambda refused: (
            None if refused.type in ("HiddenField", "CSRFTokenField") else f"{refused.id}-error"
        ),
        "Go to the field",
    )
    return None, form


def _procedure_url(procedure: Followed) -> str:
    if procedure.is_ablation:
        return url_for("clinic.ablation", ablation_id=procedure.record.id)
    return url_for("clinic.block", block_id=procedure.record.id)


@bp.post("/ablations/<int:ablation_id>/link/<action>")
def ablation_link(ablation_id: int, action: str):
    return _act_on_link(followed(clinic_ablation_or_404(ablation_id)), action)


@bp.post("/blocks/<int:block_id>/followup/<action>")
def block_followup_link(block_id: int, action: str):
    block = clinic_block_or_404(block_id)
    if not is_followed_block(block):
        abort(404)
    return _act_on_link(followed(block), action)


def _act_on_link(procedure: Followed, action: str):
    actions = {"revoke": revoke_followup_link, "reopen": reopen_followup_link}
    if action not in actions:
        abort(400)
    if not EmptyForm().validate_on_submit():
        abort(400)
    actions[action](procedure.record, by=current_user)
    db.session.commit()
    flash(
        "The follow-up link is closed." if action == "revoke" else "The follow-up link is open.",
        "info" if action == "revoke" else "success",
    )
    return redirect(_procedure_url(procedure) + "#followup-heading")


def ablation_title(ablation: Ablation) -> str:
    technique = (
        "Pulsed radiofrequency" if ablation.technique == "pulsed" else "Radiofrequency ablation"
    )
    return f"{technique}, {ablation.region} {', '.join(ablation.levels)} {ablation.side}"


def _chart(ablation: Ablation, fmt: str, dpi: float = charts.BASE_DPI) -> bytes:
    procedure = followed(ablation)
    view = follow_up_view(procedure)
    done_on = pathway.local_date(ablation.performed_at, clinic_zone(procedure.clinic))
    last = max([12, *(s.months for s in view.follow.schedule)])
    return charts.render_follow_up_chart(
        chart_lines(view, done_on), "Relief by month: " + ablation_title(ablation), fmt, last, dpi
    )


@bp.get("/ablations/<int:ablation_id>/chart.<any(png, svg):fmt>")
def ablation_chart(ablation_id: int, fmt: str):
    ablation = clinic_ablation_or_404(ablation_id)
    response = chart_body(_chart(ablation, fmt), fmt)
    response.headers["Cache-Control"] = "no-store"
    return response


def _report_page(ablation: Ablation, for_pdf: bool) -> str:
    context = _ablation_page(ablation)
    if for_pdf:
        png = _chart(ablation, "png", charts.PRINT_DPI)
        chart_src = "data:image/png;base64," + base64.b64encode(png).decode()
    else:
        chart_src = url_for("clinic.ablation_chart", ablation_id=ablation.id, fmt="svg")
    return render_template(
        "clinic/ablation_report.html",
        chart_src=chart_src,
        printed_at=utcnow(),
        title=ablation_title(ablation),
        **context,
    )


@bp.get("/ablations/<int:ablation_id>/report")
def ablation_report(ablation_id: int):
    ablation = clinic_ablation_or_404(ablation_id)
    record_audit("ablation.report", by=current_user, target=ablation)
    page = _report_page(ablation, for_pdf=False)
    db.session.commit()
    return page


@bp.get("/ablations/<int:ablation_id>/report.pdf")
def ablation_report_pdf(ablation_id: int):
    ablation = clinic_ablation_or_404(ablation_id)
    response = pdf_response(
        _report_page(ablation, for_pdf=True), f"ablation-{ablation.id}-report.pdf"
    )
    record_audit("export.ablation_report_pdf", by=current_user, target=ablation)
    db.session.commit()
    return response


def procedures_in_time_order(patient) -> list[tuple[datetime, str, Block | Ablation]]:
    """The patient's blocks and ablations together, oldest first: ("block"|"ablation", …)."""
    items: list[tuple[datetime, str, Block | Ablation]] = [
        (b.performed_at, "block", b) for b in patient.blocks
    ]
    items += [(a.performed_at, "ablation", a) for a in patient_ablations(patient)]
    return sorted(items, key=lambda item: (item[0], item[1]))


def ablation_outcomes(procedures) -> dict[tuple[str, int], str]:
    """Each followed procedure's outcome in a few words, for the patient's list of
    procedures: an ablation's durability, a therapeutic block's repeat injection."""
    words = {}
    for record in procedures:
        if isinstance(record, Block) and (
            not is_followed_block(record) or record.followup_token is None
        ):
            continue
        view = follow_up_view(followed(record))
        parts = []
        for outcome in view.outcomes:
            judgement = outcome.durability or outcome.repeat_injection
            if judgement is None:
                continue
            text = OUTCOME_LABELS[judgement.status]
            if outcome.repeat_injection is not None:
                text = f"repeat injection {text}"
            if outcome.relief_lasted is not None:
                text += f", relief lasted {outcome.relief_lasted.text}"
            label = side_label(outcome) if view.outcomes[0].scored_side else ""
            parts.append(f"{label}: {text}" if label else text)
        words[(type(record).__name__.lower(), record.id)] = " · ".join(parts)
    return words


@bp.route("/settings/follow-up", methods=["GET", "POST"])
@admin_only
def followup_settings():
    """The check-in months after an ablation and a therapeutic block, and their window."""
    clinic = current_user.clinic
    form = FollowUpSettingsForm()
    if form.validate_on_submit():
        values = FollowUpSettings(
            rfa_checkin_months=form.rfa_checkin_months.months,
            therapeutic_checkin_months=form.therapeutic_checkin_months.months,
            checkin_opens_days_before=form.checkin_opens_days_before.data,
            checkin_closes_days_after=form.checkin_closes_days_after.data,
        )
        try:
            update_followup_settings(clinic, values, by=current_user)
        except InputRejected as rejected:
            form[rejected.field].errors.append(rejected.message)
        else:
            db.session.commit()
            flash("Follow-up settings saved.", "success")
            return redirect(url_for("clinic.followup_settings"))
    elif not form.is_submitted():
        current = current_followup_settings(clinic)
        form.rfa_checkin_months.data = ", ".join(map(str, current.rfa_checkin_months))
        form.therapeutic_checkin_months.data = ", ".join(
            map(str, current.therapeutic_checkin_months)
        )
        form.checkin_opens_days_before.data = current.checkin_opens_days_before
        form.checkin_closes_days_after.data = current.checkin_closes_days_after
    status = 400 if form.is_submitted() else 200
    return render_template("clinic/followup_settings.html", form=form), status
