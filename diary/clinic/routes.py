"""The clinic's pages: dashboard, patients, blocks, charts and CSV. Sign-in required."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from diary import charts, export, export_queries, relief, report, summaries
from diary.access import admin_only, clinic_block_or_404, clinic_patient_or_404
from diary.auth.forms import EmptyForm
from diary.clinic.forms import (
    AGENT_WINDOW_FIELDS,
    ApiTokenForm,
    BlockForm,
    ClinicSettingsForm,
    ExportFilterForm,
    NewClinicianForm,
    PatientForm,
    SearchForm,
    TranscribeEntryForm,
    agent_windows_from,
    instructions_from,
)
from diary.extensions import db
from diary.formatting import local_time
from diary.forms import clinic_time_to_utc
from diary.models import ApiToken, AuditEvent, Block, DiaryEntry, Patient, User, utcnow
from diary.public_urls import diary_url
from diary.qr import qr_svg
from diary.schedule import DiarySchedule
from diary.services import tokens as tokens_service
from diary.services.accounts import PasswordRejected, create_clinician, sign_out_everywhere
from diary.services.analysis import analyse_block, analysed_series
from diary.services.audit import record_audit
from diary.services.blocks import (
    BlockInput,
    agent_label,
    archive_block,
    create_block,
    reopen_link,
    restore_block,
    revoke_link,
)
from diary.services.dashboard import BlockFilter, dashboard_blocks
from diary.services.entries import EntryInput, record_entry
from diary.services.patients import PatientInput, create_patient
from diary.services.progress import diary_progress, diary_statuses
from diary.services.rejections import InputRejected
from diary.services.settings import (
    ClinicSettings,
    analysis_settings,
    clinic_settings,
    update_clinic_settings,
)
from diary.services.tokens import create_api_token

bp = Blueprint("clinic", __name__)

PAGE_SIZE = 25
# The dashboard's search term lives in the session, not the URL (see SearchForm).
DASHBOARD_SEARCH = "dashboard_search"
chart_cache = charts.ChartCache()


@bp.before_request
@login_required
def require_login():
    """Every page of this blueprint needs a signed-in clinician."""


@bp.get("/")
def dashboard():
    page = max(request.args.get("page", 1, type=int), 1)
    search = session.get(DASHBOARD_SEARCH, "")
    archived = request.args.get("archived") == "1"
    blocks, has_next = dashboard_blocks(
        current_user.clinic_id, search, archived, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    block_summaries = summaries.block_summaries(blocks)
    statuses = diary_statuses(blocks, block_summaries, utcnow())
    rows = list(zip(blocks, block_summaries, statuses, strict=True))
    page_html = render_template(
        "clinic/dashboard.html",
        rows=rows,
        page=page,
        has_next=has_next,
        q=search,
        archived=archived,
        search_form=SearchForm(q=search, archived="1" if archived else ""),
    )
    db.session.commit()  # the summaries brought up to date (after rendering: it expires all)
    return page_html


@bp.post("/search")
def search():
    form = SearchForm()
    if form.validate_on_submit():
        session[DASHBOARD_SEARCH] = (form.q.data or "").strip()
    else:
        flash(" ".join(form.q.errors) or "Please search again.", "error")
    return redirect(url_for("clinic.dashboard", archived=1 if form.archived.data == "1" else None))


@bp.get("/patients")
def patients():
    patients = db.session.execute(
        select(Patient)
        .where(Patient.clinic_id == current_user.clinic_id)
        .order_by(Patient.display_name)
    ).scalars()
    return render_template("clinic/patients.html", patients=patients)


@bp.route("/patients/new", methods=["GET", "POST"])
def new_patient():
    form = PatientForm()
    if form.validate_on_submit():
        patient = create_patient(
            current_user.clinic,
            PatientInput(form.display_name.data, form.mrn.data, form.birth_year.data),
            by=current_user,
        )
        db.session.commit()
        flash("Patient added. Now record the block.", "success")
        return redirect(url_for("clinic.new_block", patient_id=patient.id))
    status = 400 if form.is_submitted() else 200
    return render_template("clinic/patient_form.html", form=form), status


@bp.get("/patients/<int:patient_id>")
def patient(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    series = analysed_series(patient)
    record_audit("patient.view", by=current_user, target=patient)
    db.session.commit()
    return render_template("clinic/patient.html", patient=patient, series=series)


@bp.route("/patients/<int:patient_id>/blocks/new", methods=["GET", "POST"])
def new_block(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    form = BlockForm()
    if form.validate_on_submit():
        agent, concentration = form.agent_and_concentration()
        performed_at = clinic_time_to_utc(
            datetime.combine(form.performed_date.data, form.performed_time.data),
            current_user.clinic.timezone,
        )
        block = create_block(
            current_user.clinic,
            patient,
            BlockInput(
                performed_at=performed_at,
                region=form.region.data,
                levels=form.levels.data,
                side=form.side.data,
                purpose=form.purpose.data,
                sequence=form.sequence.data,
                agent=agent,
                concentration=concentration,
                agent_other=form.agent_other.data,
                volume_ml_per_level=float(form.volume_ml_per_level.data),
                steroid=form.steroid.data,
                sedation=form.sedation.data,
                baseline_pain=form.baseline_pain.score,
                activities=form.activity_list(),
            ),
            by=current_user,
        )
        db.session.commit()
        flash("Block saved. Give the patient the diary link below.", "success")
        return redirect(url_for("clinic.block", block_id=block.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "clinic/block_form.html", form=form, patient=patient, tz=current_user.clinic.timezone
    ), status


def _block_page_context(block: Block) -> dict:
    analysis = analyse_block(block)
    link = diary_url(block)
    return dict(
        block=block,
        analysis=analysis,
        progress=diary_progress(block),
        agent_label=agent_label(block),
        diary_link=link,
        alt_text=charts.chart_alt_text(analysis, block.baseline_pain),
        tz=current_user.clinic.timezone,
        clinician=block.created_by,
    )


# The block page lists every entry with its history: load them in one go.
BLOCK_PAGE_LOADS = (selectinload(Block.entries).selectinload(DiaryEntry.revisions),)


@bp.get("/blocks/<int:block_id>")
def block(block_id: int):
    block = clinic_block_or_404(block_id, BLOCK_PAGE_LOADS)
    record_audit("block.view", by=current_user, target=block)
    db.session.commit()
    context = _block_page_context(block)
    return render_template(
        "clinic/block.html",
        qr=qr_svg(context["diary_link"]),
        action_form=EmptyForm(),
        transcribe_form=TranscribeEntryForm(formdata=None),
        **context,
    )


@bp.post("/blocks/<int:block_id>/entries")
def transcribe_entry(block_id: int):
    """Staff copy an entry from the patient's paper diary."""
    block = clinic_block_or_404(block_id)
    form = TranscribeEntryForm()
    if form.validate():
        recorded_at = clinic_time_to_utc(
            datetime.combine(form.recorded_date.data, form.recorded_time.data),
            current_user.clinic.timezone,
        )
        values = EntryInput(
            pain=form.pain.score,
            recorded_at=recorded_at,
            reported_relief_pct=form.relief_pct.data,
            activity=form.activity.data,
            note=form.note.data,
        )
        try:
            record_entry(block, values, transcribed_by=current_user)
        except InputRejected as rejected:
            form.recorded_date.errors.append(rejected.message)
        else:
            db.session.commit()
            flash("Entry from the paper diary recorded.", "success")
            return redirect(url_for("clinic.block", block_id=block.id) + "#entries-heading")
    context = _block_page_context(block)
    return render_template(
        "clinic/block.html",
        qr=qr_svg(context["diary_link"]),
        action_form=EmptyForm(),
        transcribe_form=form,
        **context,
    ), 400


@bp.get("/blocks/<int:block_id>/report")
def block_report(block_id: int):
    block = clinic_block_or_404(block_id)
    record_audit("block.report", by=current_user, target=block)
    db.session.commit()
    return render_template(
        "clinic/report.html", blocks=[block], series=None, **_block_page_context(block)
    )


def report_facts(block: Block, analysis, tz: str) -> report.ReportFacts:
    points = {p.entry_id: p for p in analysis.relief}
    clinician = block.created_by
    patient = block.patient
    return report.ReportFacts(
        patient=patient.display_name + (f" (MRN {patient.mrn})" if patient.mrn else ""),
        procedure=f"{block.region} medial branch block {', '.join(block.levels)} {block.side}, "
        f"{local_time(block.performed_at, tz)} ({tz})",
        details=[
            f"{block.purpose.capitalize()} block, {block.sequence} in series; "
            f"{agent_label(block)}, {block.volume_ml_per_level:g} mL per level; "
            f"steroid {'yes' if block.steroid else 'no'}; sedation {block.sedation}; "
            f"baseline pain {block.baseline_pain}/10."
        ],
        clinician=clinician.name if clinician else "—",
        printed_at=local_time(utcnow(), tz),
        entries=[
            (
                local_time(e.recorded_at, tz, "%d %b %H:%M"),
                relief.format_hours(points[e.id].hours) if e.id in points else "superseded",
                str(e.pain),
                relief.format_pct(points[e.id].relief_pct)
                if e.id in points and points[e.id].relief_pct is not None
                else "",
                "yes" if e.edited else "",
            )
            for e in block.entries
        ],
    )


@bp.get("/blocks/<int:block_id>/report.pdf")
def block_report_pdf(block_id: int):
    block = clinic_block_or_404(block_id)
    analysis = analyse_block(block)
    tz = current_user.clinic.timezone
    body = report.report_pdf(
        report_facts(block, analysis, tz),
        analysis,
        block.baseline_pain,
        relief.VERDICT_LABELS[analysis.verdict],
    )
    record_audit("export.report_pdf", by=current_user, target=block)
    db.session.commit()
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="block-{block.id}-report.pdf"'},
    )


@bp.get("/patients/<int:patient_id>/report")
def series_report(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    series = analysed_series(patient)
    record_audit("patient.report", by=current_user, target=patient)
    db.session.commit()
    return render_template(
        "clinic/series_report.html",
        patient=patient,
        series=series,
        printed_at=utcnow(),
        tz=current_user.clinic.timezone,
    )


@bp.get("/blocks/<int:block_id>/chart.<fmt>")
def chart(block_id: int, fmt: str):
    return chart_response(block_id, fmt)


def chart_response(block_id: int, fmt: str) -> Response:
    """The clinic's block's chart (also served by the API), drawn once per change of the
    diary or the clinic's settings: what its stored summary is keyed on too."""
    if fmt not in charts.FORMATS:
        abort(404)
    block = clinic_block_or_404(block_id, options=[joinedload(Block.clinic)])
    scale = 2 if request.args.get("scale") == "2" and fmt == "png" else 1
    settings = analysis_settings(block.clinic)
    key = summaries.summary_key(block, summaries.settings_digest(settings))
    etag = hashlib.sha256(f"{block.id}:{key}:{fmt}:{scale}".encode()).hexdigest()[:32]
    if etag in request.if_none_match:
        return Response(status=304, headers={"ETag": f'"{etag}"'})

    def render() -> bytes:
        analysis = analyse_block(block)
        return charts.render_chart(analysis, block.baseline_pain, fmt, scale)

    response = Response(chart_cache.get_or_render(etag, render), mimetype=charts.FORMATS[fmt])
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def csv_response(columns: list[str], groups, filename: str, audit) -> Response:
    """Stream ``groups`` (lists of CSV lines) as CSV; ``audit(row_count)`` runs once the
    last row is sent."""

    def finished(count: int) -> None:
        audit(count)
        db.session.commit()

    return Response(
        stream_with_context(export.csv_stream(columns, groups, finished)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/blocks/<int:block_id>/entries.csv")
def block_csv(block_id: int):
    return block_csv_response(clinic_block_or_404(block_id))


def block_csv_response(block: Block) -> Response:
    """The block's diary as CSV, audited with its row count (also served by the API)."""
    user = current_user._get_current_object()
    summary = summaries.summarise(block, analysis_settings(block.clinic))
    return csv_response(
        export.ENTRY_COLUMNS,
        [export.entry_lines(block, summary, map(export.entry_values, block.entries))],
        f"block-{block.id}-diary.csv",
        lambda rows: record_audit(
            "export.block_csv", by=user, target=block, detail={"rows": rows}
        ),
    )


def _export_filter() -> tuple[ExportFilterForm, BlockFilter | None]:
    form = ExportFilterForm(request.args)
    if not form.validate():
        return form, None
    tz = current_user.clinic.timezone
    midnight = datetime.min.time()
    return form, BlockFilter(
        performed_from=clinic_time_to_utc(datetime.combine(form.start.data, midnight), tz)
        if form.start.data
        else None,
        performed_before=clinic_time_to_utc(
            datetime.combine(form.end.data + timedelta(days=1), midnight), tz
        )
        if form.end.data
        else None,
        region=form.region.data or None,
        agent=form.agent.data or None,
        verdict=form.verdict.data or None,
    )


@bp.get("/exports")
def exports():
    form, chosen = _export_filter()
    status = 400 if chosen is None and request.args else 200
    query = request.query_string.decode()
    return render_template("clinic/exports.html", form=form, query=query), status


@bp.get("/exports/<kind>.csv")
def clinic_csv(kind: str):
    if kind not in ("entries", "blocks"):
        abort(404)
    form, chosen = _export_filter()
    if chosen is None:
        return render_template("clinic/exports.html", form=form, query=""), 400
    user = current_user._get_current_object()
    blocks = export_queries.clinic_export(user.clinic, chosen, with_entries=kind == "entries")
    if kind == "entries":
        columns = export.ENTRY_COLUMNS
        rows = (export.entry_lines(block, summary, entries) for block, summary, entries in blocks)
    else:
        columns = export.SUMMARY_COLUMNS
        rows = ([export.summary_line(block, summary)] for block, summary, _ in blocks)
    detail = {"filters": {k: v for k, v in request.args.items() if v}}
    return csv_response(
        columns,
        rows,
        f"clinic-{kind}.csv",
        lambda count: record_audit(
            f"export.clinic_{kind}_csv", by=user, detail=detail | {"rows": count}
        ),
    )


@bp.get("/exports/<kind>.schema.json")
def csv_schema(kind: str):
    columns = {"entries": export.ENTRY_COLUMNS, "blocks": export.SUMMARY_COLUMNS}.get(kind)
    if columns is None:
        abort(404)
    return export.table_schema(columns)


@bp.post("/blocks/<int:block_id>/<action>")
def archive(block_id: int, action: str):
    block = clinic_block_or_404(block_id)
    if action not in ("archive", "restore") or not EmptyForm().validate_on_submit():
        abort(404 if action not in ("archive", "restore") else 400)
    if action == "archive":
        archive_block(block, by=current_user)
        flash("Block archived: it has left the dashboard and its diary link is closed.", "info")
    else:
        restore_block(block, by=current_user)
        flash("Block restored.", "success")
    db.session.commit()
    return redirect(url_for("clinic.block", block_id=block.id))


@bp.post("/blocks/<int:block_id>/link/<action>")
def diary_link(block_id: int, action: str):
    block = clinic_block_or_404(block_id)
    form = EmptyForm()
    if action not in ("revoke", "reopen") or not form.validate_on_submit():
        abort(400)
    if action == "revoke":
        revoke_link(block, by=current_user)
        flash("The diary link is closed. The patient can no longer log.", "info")
    else:
        reopen_link(block, by=current_user)
        flash("The diary link is open again.", "success")
    db.session.commit()
    return redirect(url_for("clinic.block", block_id=block.id))


@bp.route("/settings", methods=["GET", "POST"])
@admin_only
def settings():
    clinic = current_user.clinic
    form = ClinicSettingsForm()
    if form.validate_on_submit():
        values = ClinicSettings(
            threshold_pct=float(form.threshold_pct.data),
            min_baseline_pain=form.min_baseline_pain.data,
            min_entries_in_window=form.min_entries_in_window.data,
            diary_link_hours=form.diary_link_hours.data,
            schedule=DiarySchedule(
                early_minutes=tuple(form.early_minutes.minutes),
                hourly_until_h=form.hourly_until_h.data,
                long_acting_until_h=form.long_acting_until_h.data,
            ),
            agent_windows=agent_windows_from(form),
            language=form.language.data,
            instructions=instructions_from(form),
        )
        try:
            update_clinic_settings(clinic, values, by=current_user)
        except InputRejected as rejected:
            form[rejected.field].errors.append(rejected.message)
        else:
            db.session.commit()
            flash("Settings saved. Verdicts and charts now use them.", "success")
            return redirect(url_for("clinic.settings"))
    elif not form.is_submitted():
        current = clinic_settings(clinic)
        form.threshold_pct.data = f"{current.threshold_pct:g}"
        form.min_baseline_pain.data = current.min_baseline_pain
        form.min_entries_in_window.data = current.min_entries_in_window
        form.diary_link_hours.data = current.diary_link_hours
        form.early_minutes.data = ", ".join(str(m) for m in current.schedule.early_minutes)
        form.hourly_until_h.data = current.schedule.hourly_until_h
        form.long_acting_until_h.data = current.schedule.long_acting_until_h
        form.language.data = current.language
        for code, lines in current.instructions.items():
            form[f"instructions_{code}"].data = "\n".join(lines)
        for name, (agent, bound) in AGENT_WINDOW_FIELDS.items():
            form[name].data = current.agent_windows[agent][bound]
    status = 400 if form.errors else 200
    return render_template(
        "clinic/settings.html", form=form, window_fields=list(AGENT_WINDOW_FIELDS)
    ), status


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
        _, new_token = create_api_token(current_user, form.name.data)
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


AUDIT_COLUMNS = [
    "at",
    "user_id",
    "user",
    "actor",
    "action",
    "target_type",
    "target_id",
    "remote_addr",
    "detail",
]


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
    page = request.args.get("page", 1, type=int)
    events = db.paginate(_clinic_audit_events(), page=page, per_page=100, error_out=False)
    return render_template("clinic/audit.html", events=events, tz=current_user.clinic.timezone)


@bp.get("/audit.csv")
@admin_only
def audit_csv():
    user = current_user._get_current_object()

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
        AUDIT_COLUMNS,
        rows(),
        "audit-log.csv",
        lambda count: record_audit("export.audit_csv", by=user, detail={"rows": count}),
    )


@bp.route("/settings/users", methods=["GET", "POST"])
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
        or action not in ("pause", "resume", "sign-out")
    ):
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if action == "sign-out":
        sign_out_everywhere(member, by=current_user)
    elif member.id == current_user.id:
        flash("You cannot pause your own account.", "error")
        return redirect(url_for("clinic.users"))
    else:
        member.active = action == "resume"
        record_audit(f"user.{action}", by=current_user, target=member)
    db.session.commit()
    return redirect(url_for("clinic.users"))
