"""The dashboard, its search, and patients: the list, a new patient, a patient's page and
new blocks."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from diary.access import clinic_patient_or_404
from diary.auth import login_sessions
from diary.auth.forms import EmptyForm
from diary.charts import chart_end_h
from diary.clinic.blueprint import bp
from diary.clinic.followup import ablation_outcomes, procedures_in_time_order
from diary.clinic.forms import (
    BlockForm,
    PatientForm,
    SearchForm,
)
from diary.clinic.paging import page_number
from diary.extensions import db
from diary.models import Patient, utcnow
from diary.services.analysis import analysed_series, archived_blocks
from diary.services.audit import record_audit
from diary.services.blocks import create_block
from diary.services.dashboard import dashboard_page
from diary.services.days import therapeutic_outcomes
from diary.services.next_steps import clinic_today, patient_next_steps
from diary.services.patients import (
    PatientInput,
    create_patient,
    likely_duplicates,
    merge_changes,
    merge_patients,
    mrn_holder,
    update_patient,
)
from diary.services.rejections import InputRejected
from diary.web import commit_keeping_loaded, id_url, recent_views

PAGE_SIZE = 25


@bp.get("/")
def dashboard():
    page = page_number()
    # Kept with the sign-in on the server: neither in the URL (see SearchForm) nor in
    # the cookie, which is signed but readable.
    search = login_sessions.dashboard_search()
    archived = request.args.get("archived") == "1"
    listed = dashboard_page(
        current_user.clinic,
        search,
        archived,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
        now=utcnow(),
    )
    seen = listed.block_ids
    if recent_views().first_in_window((current_user.id, "dashboard", *seen)):
        record_audit("dashboard.view", by=current_user, detail={"block_ids": seen})
    page_html = render_template(
        "clinic/dashboard.html",
        rows=listed.rows,
        page=page,
        has_next=listed.has_next,
        q=search,
        archived=archived,
        side_effects=listed.side_effects,
        outcomes=listed.outcomes,
        sides=listed.sides,
        patient_url=id_url("clinic.patient", "patient_id"),
        block_url=id_url("clinic.block", "block_id"),
    )
    # The summaries brought up to date; the page is drawn, so nothing loaded is read again.
    commit_keeping_loaded()
    return page_html


@bp.post("/search")
def search():
    form = SearchForm()
    if form.validate_on_submit():
        login_sessions.keep_dashboard_search((form.q.data or "").strip())
        db.session.commit()
    else:
        flash(" ".join(form.q.errors) or "Please search again.", "error")
    return redirect(url_for("clinic.dashboard", archived=1 if form.archived.data == "1" else None))


@bp.get("/patients")
def patients():
    patients = (
        db.session.execute(
            select(Patient)
            .where(Patient.clinic_id == current_user.clinic_id)
            .order_by(Patient.display_name)
        )
        .scalars()
        .all()
    )
    record_audit("patient.list", by=current_user, detail={"patient_ids": [p.id for p in patients]})
    db.session.commit()
    return render_template("clinic/patients.html", patients=patients)


@bp.route("/patients/new", methods=["GET", "POST"])
def new_patient():
    form = PatientForm()
    duplicates: list[Patient] = []
    if form.validate_on_submit():
        values = PatientInput(form.display_name.data, form.mrn.data, form.birth_year.data)
        if not form.confirm_new.data:
            # Offered before a second record of the same person splits their blocks.
            duplicates = likely_duplicates(
                current_user.clinic_id, values.display_name, values.birth_year
            )
        if not duplicates:
            try:
                patient = create_patient(current_user.clinic, values, by=current_user)
            except InputRejected as rejected:
                form[rejected.field].errors.append(rejected.message)
            else:
                db.session.commit()
                flash("Patient added. Now record the block.", "success")
                return redirect(url_for("clinic.new_block", patient_id=patient.id))
    return _patient_form(form, duplicates=duplicates)


def _patient_form(form: PatientForm, patient: Patient | None = None, duplicates=()):
    """The patient form, with the record holding a refused MRN linked beside it."""
    holder = mrn_holder(current_user.clinic_id, form.mrn.data, patient) if form.errors else None
    status = 409 if holder or duplicates else 400 if form.is_submitted() else 200
    return render_template(
        "clinic/patient_form.html",
        form=form,
        patient=patient,
        duplicates=duplicates,
        mrn_holder=holder,
    ), status


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
def edit_patient(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    form = PatientForm(obj=patient)
    if form.validate_on_submit():
        values = PatientInput(form.display_name.data, form.mrn.data, form.birth_year.data)
        try:
            changed = update_patient(patient, values, by=current_user)
        except InputRejected as rejected:
            form[rejected.field].errors.append(rejected.message)
        else:
            db.session.commit()
            flash("Patient record updated." if changed else "Nothing changed.", "success")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return _patient_form(form, patient)


@bp.get("/patients/<int:patient_id>")
def patient(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    series = analysed_series(patient)
    procedures = procedures_in_time_order(patient)
    today = clinic_today(current_user.clinic)
    record_audit("patient.view", by=current_user, target=patient)
    db.session.commit()
    return render_template(
        "clinic/patient.html",
        patient=patient,
        series=series,
        outcomes=therapeutic_outcomes(patient.blocks),
        next_steps=patient_next_steps(current_user.clinic, patient.id, today),
        today=today,
        archived=archived_blocks(patient),
        # Each series' charts end at the same hour, so their time axes line up.
        axis_ends=[
            round(max(chart_end_h(result.analyses[block.id]) for block in blocks), 2)
            for blocks, result in series
        ],
        duplicates=likely_duplicates(
            patient.clinic_id, patient.display_name, patient.birth_year, other_than=patient
        ),
        action_form=EmptyForm(),
        procedures=procedures,
        followup_outcomes=ablation_outcomes(item for _, _, item in procedures),
    )


def _merge_key(duplicate: Patient) -> str:
    """Names the blocks a merge was reviewed with: confirmed for them only."""
    return ",".join(str(block.id) for block in sorted(duplicate.blocks, key=lambda b: b.id))


@bp.get("/patients/<int:patient_id>/merge/<int:duplicate_id>")
def merge_preview(patient_id: int, duplicate_id: int):
    """What merging a second record of the same person would change, to confirm."""
    patient = clinic_patient_or_404(patient_id)
    duplicate = clinic_patient_or_404(duplicate_id)
    if patient.id == duplicate.id:
        flash("Choose another record of this clinic's patient.", "error")
        return redirect(url_for("clinic.patient", patient_id=patient.id))
    moving = len(duplicate.blocks)
    record_audit("patient.view", by=current_user, target=duplicate)
    page = render_template(
        "clinic/merge.html",
        patient=patient,
        duplicate=duplicate,
        changes=merge_changes(patient, duplicate),
        moving=ngettext(
            "%(num)d block moves to this record", "%(num)d blocks move to this record", moving
        ),
        merge_key=_merge_key(duplicate),
        action_form=EmptyForm(),
    )
    db.session.commit()  # the audit row, once the page is built (a commit expires all)
    return page


@bp.post("/patients/<int:patient_id>/merge/<int:duplicate_id>")
def merge_patient(patient_id: int, duplicate_id: int):
    """Bring a second record of the same person into this one: every block is kept.
    Done only as reviewed on the preview: otherwise the preview is shown (again)."""
    patient = clinic_patient_or_404(patient_id)
    duplicate = clinic_patient_or_404(duplicate_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    preview = url_for("clinic.merge_preview", patient_id=patient.id, duplicate_id=duplicate.id)
    if request.form.get("confirm") != _merge_key(duplicate):
        if "confirm" in request.form:
            flash("The other record changed since you reviewed it: review the merge again.")
        return redirect(preview)
    try:
        moved = merge_patients(patient, duplicate, by=current_user)
    except InputRejected as rejected:
        flash(rejected.message, "error")
    else:
        db.session.commit()
        flash(
            ngettext(
                "Records merged: %(num)d block moved to this record.",
                "Records merged: %(num)d blocks moved to this record.",
                len(moved),
            ),
            "success",
        )
    return redirect(url_for("clinic.patient", patient_id=patient.id))


def lifetime_hours(block) -> int:
    """How long after the procedure the block's link closes (the clinic's lifetime, or
    24 h after the last daily slot), in whole hours."""
    return round((block.link_expires_at - block.performed_at).total_seconds() / 3600)


@bp.route("/patients/<int:patient_id>/blocks/new", methods=["GET", "POST"])
def new_block(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    tz = current_user.clinic.timezone
    form = BlockForm()
    if form.validate_on_submit() and form.time_confirmed(tz):
        try:
            block = create_block(
                current_user.clinic, patient, form.block_input(tz), by=current_user
            )
        except InputRejected as rejected:
            field = getattr(form, rejected.field, form.levels)
            field.errors = [*field.errors, rejected.message]
            return render_template("clinic/block_form.html", form=form, patient=patient, tz=tz), 400
        db.session.commit()
        if block.link_open(utcnow()):
            flash("Block saved. Give the patient the diary link below.", "success")
        else:  # recorded after its diary's lifetime: the link would only show "closed"
            flash(
                "Block saved. Its diary link has already expired "
                f"({lifetime_hours(block)} h after the procedure), so the patient "
                "cannot log with it: add the scores from their paper diary below, or reopen "
                "the link to give them a fresh one.",
                "info",
            )
        return redirect(url_for("clinic.block", block_id=block.id))
    status = 400 if form.is_submitted() else 200
    return render_template("clinic/block_form.html", form=form, patient=patient, tz=tz), status
