"""What a clinic admin manages: settings, API tokens, the audit log, users."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from diary.access import admin_only
from diary.auth.accounts import PasswordRejected, create_clinician, sign_out_everywhere
from diary.auth.forms import EmptyForm
from diary.auth.two_factor import turn_off
from diary.clinic.blueprint import bp
from diary.clinic.forms import (
    AGENT_WINDOW_FIELDS,
    ApiTokenForm,
    ClinicSettingsForm,
    NewClinicianForm,
    agent_windows_from,
    instructions_from,
    time_zone_choices,
)
from diary.clinic.paging import page_number
from diary.extensions import db, limiter
from diary.models import ApiToken, AuditEvent, User
from diary.records import export
from diary.schedule import DiarySchedule
from diary.services import tokens as tokens_service
from diary.services.audit import record_audit
from diary.services.rejections import InputRejected
from diary.services.settings import (
    PATHWAY_LIMITS,
    ClinicSettings,
    clinic_settings,
    update_clinic_settings,
)
from diary.services.tokens import create_api_token
from diary.web import csv_response

PATHWAY_FIELDS = (*PATHWAY_LIMITS, "stale_rfa_rule")


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    clinic = current_user.clinic
    form = ClinicSettingsForm()
    if clinic.timezone not in time_zone_choices():  # an alias set by the command line
        form.timezone.choices = [clinic.timezone, *time_zone_choices()]
    timezone_was = clinic.timezone
    if form.validate_on_submit():
        values = ClinicSettings(
            threshold_pct=float(form.threshold_pct.data),
            min_baseline_pain=form.min_baseline_pain.data,
            min_entries_in_window=form.min_entries_in_window.data,
            diary_link_hours=form.diary_link_hours.data,
            max_entries_per_diary=form.max_entries_per_diary.data,
            max_corrections_per_entry=form.max_corrections_per_entry.data,
            max_corrections_per_diary=form.max_corrections_per_diary.data,
            daily_days=form.daily_days.data,
            schedule=DiarySchedule(
                early_minutes=tuple(form.early_minutes.minutes),
                hourly_until_h=form.hourly_until_h.data,
                long_acting_until_h=form.long_acting_until_h.data,
            ),
            agent_windows=agent_windows_from(form),
            language=form.language.data,
            instructions=instructions_from(form),
            require_two_factor=form.require_two_factor.data,
            contact_line=form.contact_line.data,
            mrn_system=form.mrn_system.data,
            safety_text={"en": form.safety_en.data or "", "es": form.safety_es.data or ""},
            timezone=form.timezone.data or None,
            diagnostic_sessions_limit=form.diagnostic_sessions_limit.data,
            therapeutic_sessions_limit=form.therapeutic_sessions_limit.data,
            rfa_sessions_limit=form.rfa_sessions_limit.data,
            stale_rfa_rule=form.stale_rfa_rule.data,
            stale_rfa_years=form.stale_rfa_years.data,
        )
        try:
            update_clinic_settings(clinic, values, by=current_user)
        except InputRejected as rejected:
            form[rejected.field].errors.append(rejected.message)
        else:
            db.session.commit()
            flash("Settings saved. Verdicts and charts now use them.", "success")
            if clinic.timezone != timezone_was:
                flash(timezone_changed(timezone_was, clinic.timezone), "info")
            return redirect(url_for("clinic.settings"))
    elif not form.is_submitted():
        current = clinic_settings(clinic)
        form.threshold_pct.data = f"{current.threshold_pct:g}"
        form.min_baseline_pain.data = current.min_baseline_pain
        form.min_entries_in_window.data = current.min_entries_in_window
        form.diary_link_hours.data = current.diary_link_hours
        form.max_entries_per_diary.data = current.max_entries_per_diary
        form.max_corrections_per_entry.data = current.max_corrections_per_entry
        form.max_corrections_per_diary.data = current.max_corrections_per_diary
        form.early_minutes.data = ", ".join(str(m) for m in current.schedule.early_minutes)
        form.hourly_until_h.data = current.schedule.hourly_until_h
        form.long_acting_until_h.data = current.schedule.long_acting_until_h
        form.daily_days.data = current.daily_days
        form.language.data = current.language
        form.require_two_factor.data = current.require_two_factor
        form.contact_line.data = current.contact_line
        form.mrn_system.data = current.mrn_system
        form.timezone.data = current.timezone
        for name in PATHWAY_FIELDS:
            form[name].data = getattr(current, name)
        form.safety_en.data = current.safety_text.get("en", "")
        form.safety_es.data = current.safety_text.get("es", "")
        for code, lines in current.instructions.items():
            form[f"instructions_{code}"].data = "\n".join(lines)
        for name, (agent, bound) in AGENT_WINDOW_FIELDS.items():
            form[name].data = current.agent_windows[agent][bound]
    status = 400 if form.errors else 200
    return render_template(
        "clinic/settings.html", form=form, window_fields=list(AGENT_WINDOW_FIELDS)
    ), status


def timezone_changed(was: str, now: str) -> str:
    """What a new time zone changes, with today's 09:00 as the example."""
    nine = datetime.now(ZoneInfo(was)).replace(hour=9, minute=0, second=0, microsecond=0)
    reads = nine.astimezone(ZoneInfo(now))
    day = "" if reads.date() == nine.date() else f" on {reads:%d %b}"
    return (
        f"Time zone changed from {was} to {now}. Every recorded time keeps its moment: "
        f"a block done at 09:00 {was} time now reads {reads:%H:%M}{day}. Pages, reports, "
        "exports, patients' diaries and reminders show times, and new block and paper "
        f"diary times are read, on the {now} clock."
    )


def _visible_tokens():
    query = select(ApiToken).where(ApiToken.clinic_id == current_user.clinic_id)
    if not current_user.is_admin:
        query = query.where(ApiToken.user_id == current_user.id)
    return db.session.execute(query.order_by(ApiToken.created_at.desc())).scalars().all()


@bp.route("/settings/tokens", methods=["GET", "POST"])
def api_tokens():
    form = ApiTokenForm()
    new_token = None
    if form.validate_on_submit():
        _, new_token = create_api_token(
            current_user,
            form.name.data,
            lifetime=timedelta(days=current_app.config["API_TOKEN_DAYS"]),
        )
        db.session.commit()
        form = ApiTokenForm(formdata=None)
    status = 400 if form.errors else 200
    return render_template(
        "clinic/tokens.html",
        form=form,
        tokens=_visible_tokens(),
        new_token=new_token,
        action_form=EmptyForm(),
    ), status


@bp.post("/settings/tokens/<int:token_id>/revoke")
def revoke_api_token(token_id: int):
    token = next((t for t in _visible_tokens() if t.id == token_id), None)
    if token is None or not EmptyForm().validate_on_submit():
        abort(404)
    tokens_service.revoke_api_token(token, by=current_user)
    db.session.commit()
    flash(f"Token “{token.name}” revoked.", "info")
    return redirect(url_for("clinic.api_tokens"))


def _clinic_audit_events():
    return (
        select(AuditEvent)
        .options(selectinload(AuditEvent.user))
        .where(AuditEvent.clinic_id == current_user.clinic_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


@bp.get("/audit")
@admin_only
def audit():
    """Who saw, changed or exported what, and from where (clinic admins)."""
    events = db.paginate(_clinic_audit_events(), page=page_number(), per_page=100, error_out=False)
    return render_template("clinic/audit.html", events=events, tz=current_user.clinic.timezone)


@bp.get("/audit.csv")
@admin_only
def audit_csv():
    def rows():
        result = db.session.execute(
            _clinic_audit_events().execution_options(yield_per=500)
        ).scalars()
        try:
            for event in result:
                yield [
                    export.csv_line(
                        [
                            export.time_cell(event.at),
                            export.number_cell(event.user_id),
                            export.text_cell(event.user.name if event.user else None),
                            export.text_cell(event.actor),
                            event.action,
                            event.target_type or "",
                            export.number_cell(event.target_id),
                            export.text_cell(event.remote_addr),
                            export.text_cell(
                                json.dumps(event.detail, sort_keys=True) if event.detail else None
                            ),
                        ]
                    )
                ]
        finally:
            result.close()  # a download stopped half-way must not leave a cursor open

    return csv_response(
        export.AUDIT_COLUMNS,
        rows(),
        "audit-log.csv",
        "export.audit_csv",
    )


@bp.get("/audit.schema.json")
@admin_only
def audit_schema():
    return export.table_schema(export.AUDIT_COLUMNS)


@bp.route("/settings/users", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["NEW_ACCOUNT_LIMIT"],
    methods=["POST"],
    # The user alone, not the session version: signing out everywhere starts no new quota.
    key_func=lambda: f"new-account:{getattr(current_user, 'id', None)}",
    error_message="That is as many new accounts as one admin may add today.",
)
@admin_only
def users():
    """Clinic admins add clinicians, pause accounts and end their sessions."""
    form = NewClinicianForm()
    new_password = None
    if form.validate_on_submit():
        try:
            created, new_password = create_clinician(
                current_user.clinic,
                form.email.data,
                form.name.data,
                form.role.data,
                by=current_user,
            )
        except PasswordRejected as rejected:
            form.email.errors.append(str(rejected))
            db.session.commit()  # the refusal's audit row
        else:
            db.session.commit()
            flash(
                f"Account created for {created.email}. Hand over the one-time password "
                "below; they should change it under Account.",
                "success",
            )
            form = NewClinicianForm(formdata=None)
    members = (
        db.session.execute(
            select(User).where(User.clinic_id == current_user.clinic_id).order_by(User.name)
        )
        .scalars()
        .all()
    )
    status = 400 if form.errors else 200
    return render_template(
        "clinic/users.html",
        form=form,
        members=members,
        new_password=new_password,
        action_form=EmptyForm(),
    ), status


@bp.post("/settings/users/<int:user_id>/<action>")
@admin_only
def user_action(user_id: int, action: str):
    member = db.session.get(User, user_id)
    if (
        member is None
        or member.clinic_id != current_user.clinic_id
        or action not in ("pause", "resume", "sign-out", "reset-two-factor")
    ):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if action == "sign-out":
        sign_out_everywhere(member, by=current_user)
    elif action == "reset-two-factor":
        turn_off(member, by=current_user)  # a lost phone: they set it up again
        sign_out_everywhere(member, by=current_user)
        flash(f"Two-factor sign-in reset for {member.email}.", "info")
    elif member.id == current_user.id:
        flash("You cannot pause your own account.", "error")
        return redirect(url_for("clinic.users"))
    else:
        member.active = action == "resume"
        record_audit(f"user.{action}", by=current_user, target=member)
    db.session.commit()
    return redirect(url_for("clinic.users"))
