"""A block's page and what hangs off it: paper-diary entries, the reports, the chart,
the CSV, archiving and the diary link."""

from __future__ import annotations

import base64
import uuid
from dataclasses import asdict
from datetime import datetime

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from diary import charts
from diary.access import clinic_block_or_404, clinic_patient_or_404
from diary.auth.forms import EmptyForm
from diary.clinic.blueprint import bp
from diary.clinic.followup import followup_context, store_staff_checkin
from diary.clinic.forms import BlockForm, TranscribeEntryForm
from diary.clinic.paging import page_number
from diary.extensions import db
from diary.forms import clinic_time_to_utc
from diary.models import Block, utcnow
from diary.pathway import words as pathway_words
from diary.qr import qr_svg
from diary.records import export, export_queries, report
from diary.relief import VERDICT_LABELS
from diary.services.analysis import (
    analyse_block,
    analysed_series,
    block_readings,
    side_analyses_of,
    verdict_text,
)
from diary.services.audit import record_audit
from diary.services.block_changes import BlockChangeEffect, block_change_effect
from diary.services.blocks import (
    agent_label,
    archive_block,
    consistent_levels,
    reopen_link,
    restore_block,
    revoke_link,
    update_block,
)
from diary.services.days import (
    block_days_of_relief,
    daily_chart,
    judged_in_days,
    readings_outcome,
    therapeutic_outcomes,
)
from diary.services.entries import (
    FORM_SAVED_ALREADY,
    TRANSCRIBED_ALREADY,
    EntryInput,
    corrections_page,
    latest_corrections,
    record_entry,
    same_row,
    transcribed_already,
)
from diary.services.followup import ensure_block_followup, followed, is_followed_block
from diary.services.next_steps import clinic_today, patient_next_steps
from diary.services.progress import diary_progress
from diary.services.rejections import InputRejected
from diary.services.settings import analysis_settings
from diary.services.sqlite_writers import one_writer_at_a_time
from diary.web import (
    block_csv_response,
    chart_response,
    csv_response,
    diary_url,
    pdf_response,
    print_chart,
)


def days_context(block: Block, readings: list | None = None) -> dict:
    """The block's days of relief (None without daily scores), in words, and whether the
    block is judged by them (therapeutic) rather than by a diagnostic verdict. A block
    scored as one has them in its one reading already (``readings``)."""
    if readings is not None and len(readings) == 1:
        days = readings[0].days_of_relief
    else:
        days = block_days_of_relief(block)
    return dict(
        days=days,
        days_text=pathway_words.days_of_relief(days) if days else None,
        judged_in_days=judged_in_days(block),
    )


def _block_page_context(block: Block) -> dict:
    now = utcnow()
    analysis = analyse_block(block, now)
    readings = block_readings(block, now)
    sides = side_analyses_of(readings)
    link = diary_url(block)
    days = days_context(block, readings)
    side_days = {str(r.scored_side): r.days_of_relief for r in readings}
    progress = diary_progress(block, now)
    # One diary: while it runs both sides' verdicts are provisional, and each says so.
    provisional = bool(progress.awaiting)
    shown = list(sides.values()) if sides else [analysis]
    return dict(
        block=block,
        analysis=analysis,
        # A block scored left and right apart: each side's reading ({"left": ...}).
        sides=sides,
        sides_text=verdict_text(readings, provisional),
        # Each side's days of relief (pathway.md §2) and, for a therapeutic block, both
        # outcomes ("Left: … · Right: …") where the verdicts would show.
        side_days=side_days,
        side_days_text={
            str(r.scored_side): r.days_of_relief and pathway_words.days_of_relief(r.days_of_relief)
            for r in readings
        },
        sides_outcome=(
            readings_outcome(block, readings, provisional)
            if sides and days["judged_in_days"] and any(r.days_of_relief for r in readings)
            else None
        ),
        side_points={
            side: {point.entry_id: point for point in reading.relief}
            for side, reading in (sides or {}).items()
        },
        # Each entry's point on the chart, found in one step (not by a search per entry).
        points={point.entry_id: point for point in analysis.relief},
        # A relief below 0% (pain above the baseline) is explained under the entries.
        negative_relief=any(
            point.relief_pct is not None and point.relief_pct < 0
            for reading in shown
            for point in reading.relief
        ),
        progress=progress,
        agent_label=agent_label(block),
        diary_link=link,
        alt_text=chart_alt_text(
            block,
            analysis,
            sides,
            daily_chart(block, days["days"]) if not sides else None,
            side_days,
        ),
        tz=current_user.clinic.timezone,
        clinician=block.created_by,
        # Each entry's latest corrections: a history can be long, the page is not.
        corrections=latest_corrections(block),
        # The days after (pathway.md §2): a therapeutic block's outcome.
        **days,
    )


def chart_alt_text(block: Block, analysis, sides, daily=None, side_days=None) -> str:
    """The chart's text alternative: each side's when scored apart (with that side's
    days after, ``side_days``: side -> its days of relief)."""
    if not sides:
        return charts.chart_alt_text(analysis, block.baseline_pain, daily)
    baselines = {"left": block.baseline_pain_left, "right": block.baseline_pain_right}
    side_days = side_days or {}
    return charts.sides_alt_text(
        [
            charts.SideLine(
                side,
                reading,
                baselines[side],
                daily_chart(block, side_days[side]) if side_days.get(side) else None,
            )
            for side, reading in sides.items()
        ]
    )


# The block page lists every entry: load them in one go.
BLOCK_PAGE_LOADS = (selectinload(Block.entries),)


@bp.get("/blocks/<int:block_id>")
def block(block_id: int):
    block = clinic_block_or_404(block_id, BLOCK_PAGE_LOADS)
    ensure_block_followup(block)  # a therapeutic block recorded before follow-up links
    record_audit("block.view", by=current_user, target=block)
    db.session.commit()
    return block_page_with(block)


def block_page_with(block: Block, transcribe_form=None, checkin_form=None) -> str:
    """The block's page; a form that was refused shows again with its errors."""
    context = _block_page_context(block)
    if is_followed_block(block):
        context |= followup_context(followed(block), checkin_form)
    return render_template(
        "clinic/block.html",
        qr=qr_svg(context["diary_link"]),
        action_form=EmptyForm(),
        transcribe_form=(transcribe_form or TranscribeEntryForm.drawn()).ask_for(block),
        **context,
    )


@bp.route("/blocks/<int:block_id>/edit", methods=["GET", "POST"])
def edit_block(block_id: int):
    """Correct a block's details; the diary's due times, link and verdict follow."""
    block = clinic_block_or_404(block_id)
    tz = current_user.clinic.timezone
    form = BlockForm()
    effect = None
    if not form.is_submitted():
        form.fill_from(block, tz)
    elif form.validate() and form.time_confirmed(tz):
        values = asdict(form.block_input(tz))
        # The form shows the block's time to the minute: left as shown, the time keeps its
        # seconds (a block made by the API or the demo has some), not moved to the minute.
        if values["performed_at"] == block.performed_at.replace(second=0, microsecond=0):
            values["performed_at"] = block.performed_at
        effect = block_change_effect(block, values)
        try:
            consistent_levels(
                *(values[n] for n in ("region", "levels", "agent", "concentration", "agent_other"))
            )
            if effect.changes_the_diary and form.confirm_change.data != effect.key:
                # Entries falling before the block, or another verdict: said before saving.
                return render_template(
                    "clinic/block_form.html",
                    form=form,
                    patient=block.patient,
                    tz=tz,
                    block=block,
                    effect=effect,
                ), 409
            changed = update_block(
                block,
                values,
                by=current_user,
                effect=effect.as_detail() if effect.changes_the_diary else None,
            )
        except InputRejected as rejected:  # levels, agent or other agent at odds
            field = getattr(form, rejected.field, form.levels)
            field.errors = [*field.errors, rejected.message]
        else:
            db.session.commit()
            flash(_updated_message(changed, effect), "success")
            return redirect(url_for("clinic.block", block_id=block.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "clinic/block_form.html", form=form, patient=block.patient, tz=tz, block=block
    ), status


def _updated_message(changed: list[str], effect: BlockChangeEffect | None) -> str:
    if not changed:
        return "Nothing changed."
    message = "Block updated: " + ", ".join(FIELD_NAMES.get(n, n) for n in changed) + "."
    if effect is not None and effect.changes_the_diary:
        if effect.before_block_after != effect.before_block_now:
            message += (
                f" {effect.before_block_after} of {effect.entries} "
                f"{'entry' if effect.entries == 1 else 'entries'} "
                f"{'is' if effect.before_block_after == 1 else 'are'} now before the block."
            )
        if effect.verdict_after != effect.verdict_now:
            message += (
                f" Verdict: {VERDICT_LABELS.get(effect.verdict_after, effect.verdict_after)} "
                f"(was {VERDICT_LABELS.get(effect.verdict_now, effect.verdict_now)})."
            )
    return message


# How the flash after an edit names what changed.
FIELD_NAMES = {
    "performed_at": "time",
    "volume_ml_per_level": "volume",
    "agent_other": "other agent",
    "baseline_pain": "baseline pain",
    "baseline_pain_left": "left baseline pain",
    "baseline_pain_right": "right baseline pain",
}


@bp.post("/blocks/<int:block_id>/entries")
def transcribe_entry(block_id: int):
    """Staff copy an entry from the patient's paper diary."""
    block = clinic_block_or_404(block_id)
    form = TranscribeEntryForm().ask_for(block)
    if form.validate():
        recorded_at = clinic_time_to_utc(
            datetime.combine(form.recorded_date.data, form.recorded_time.data),
            current_user.clinic.timezone,
        )
        values = EntryInput(
            pain=form.pain.score_or_none,
            pain_left=form.pain_left.score_or_none,
            pain_right=form.pain_right.score_or_none,
            recorded_at=recorded_at,
            reported_relief_pct=form.relief_pct.data,
            activity=form.activity.data,
            note=form.note.data,
            client_id=form.client_id.data or None,
        )
        try:
            with one_writer_at_a_time(db.session):
                time = form.recorded_time.data.strftime("%H:%M")
                if transcribed_already(block, values):
                    raise InputRejected("recorded_time", TRANSCRIBED_ALREADY.format(time=time))
                entry, stored = record_entry(block, values, transcribed_by=current_user)
                if not stored and not same_row(entry, block, values):
                    # This form's id was saved with another row (a page restored by
                    # Back, then changed): a new id lets the row be sent again.
                    form.client_id.data = uuid.uuid4().hex
                    raise InputRejected("recorded_time", FORM_SAVED_ALREADY)
                db.session.commit()
        except InputRejected as rejected:
            form.recorded_date.errors.append(rejected.message)
        else:
            flash("Entry from the paper diary recorded.", "success")
            return redirect(url_for("clinic.block", block_id=block.id) + "#entries-heading")
    # The form sits far down the block page: its first reason is said at the top too.
    reasons = [*form.form_errors, *(error for field in form for error in field.errors)]
    reason = reasons[0] if reasons else "check the form below."
    flash(f"The entry from the paper diary was not saved: {reason}", "error")
    return block_page_with(block, transcribe_form=form), 400


def _block_report_page(block: Block, for_pdf: bool) -> str:
    """The printable report; for the PDF its chart is drawn into the page itself."""
    context = _block_page_context(block)
    awaiting = context["progress"].awaiting
    facts = report.report_facts(
        block,
        context["analysis"],
        context["agent_label"],
        context["tz"],
        utcnow(),
        corrections=context["corrections"],
        sides=context["sides"],
    )
    chart_src = _report_chart(block, context["analysis"], awaiting, for_pdf)
    if is_followed_block(block):  # a therapeutic block's check-ins and repeat injection
        context |= followup_context(followed(block))
    return render_template("clinic/report.html", facts=facts, chart_src=chart_src, **context)


def _report_chart(block: Block, analysis, awaiting, for_pdf: bool, until=None) -> str:
    """The chart's address in a report: drawn into the PDF itself, linked from the page."""
    if not for_pdf:
        return url_for("clinic.chart", block_id=block.id, fmt="svg", until=until)
    view = charts.ChartView(analysis_settings(block.clinic).onset_limit_h, awaiting, until)
    png = print_chart(block, analysis, view)
    return "data:image/png;base64," + base64.b64encode(png).decode()


@bp.get("/blocks/<int:block_id>/report")
def block_report(block_id: int):
    block = clinic_block_or_404(block_id, BLOCK_PAGE_LOADS)
    record_audit("block.report", by=current_user, target=block)
    page = _block_report_page(block, for_pdf=False)
    db.session.commit()
    return page


@bp.get("/blocks/<int:block_id>/report.pdf")
def block_report_pdf(block_id: int):
    block = clinic_block_or_404(block_id, BLOCK_PAGE_LOADS)
    response = pdf_response(_block_report_page(block, for_pdf=True), f"block-{block.id}-report.pdf")
    record_audit("export.report_pdf", by=current_user, target=block)
    db.session.commit()
    return response


def _series_report_page(patient, for_pdf: bool) -> str:
    """The series report: each series' pair and criteria, then each block's chart (on the
    series' one time axis) and entries."""
    tz = current_user.clinic.timezone
    # Every block's entries and their corrections in two queries, not one per entry.
    db.session.execute(
        select(Block).where(Block.patient_id == patient.id).options(*BLOCK_PAGE_LOADS)
    ).scalars().all()
    series = analysed_series(patient)
    # A bilateral block is in the left and the right series: its chart and entries print
    # once, under the first series that holds it; a block scored apart is headed there
    # by both sides' verdicts ("Left: positive · Right: negative"), as every page says.
    first_series: dict[int, int] = {}
    charts_by_block, tables, sides_verdicts = {}, {}, {}
    for index, (blocks, result) in enumerate(series):
        until = round(max(charts.chart_end_h(result.analyses[b.id]) for b in blocks), 2)
        for block in blocks:
            if block.id in first_series:
                continue
            first_series[block.id] = index
            analysis = result.analyses[block.id]
            awaiting = result.block_awaiting.get(block.id)
            charts_by_block[block.id] = _report_chart(block, analysis, awaiting, for_pdf, until)
            sides = None
            if block.scored_apart:
                readings = block_readings(block)
                sides = side_analyses_of(readings)
                sides_verdicts[block.id] = verdict_text(readings, provisional=bool(awaiting))
            tables[block.id] = report.entry_table(
                block, analysis, tz, latest_corrections(block), sides
            )
    today = clinic_today(current_user.clinic)
    return render_template(
        "clinic/series_report.html",
        patient=patient,
        series=series,
        next_steps=patient_next_steps(current_user.clinic, patient.id, today),
        today=today,
        chart_src=charts_by_block,
        tables=tables,
        first_series=first_series,
        sides_verdicts=sides_verdicts,
        outcomes=therapeutic_outcomes(patient.blocks),
        printed_at=utcnow(),
        tz=tz,
    )


@bp.get("/patients/<int:patient_id>/report")
def series_report(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    record_audit("patient.report", by=current_user, target=patient)
    page = _series_report_page(patient, for_pdf=False)
    db.session.commit()
    return page


@bp.get("/patients/<int:patient_id>/report.pdf")
def series_report_pdf(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    response = pdf_response(
        _series_report_page(patient, for_pdf=True), f"patient-{patient.id}-series-report.pdf"
    )
    record_audit("export.series_report_pdf", by=current_user, target=patient)
    db.session.commit()
    return response


@bp.get("/blocks/<int:block_id>/chart.<fmt>")
def chart(block_id: int, fmt: str):
    return chart_response(block_id, fmt)


@bp.get("/blocks/<int:block_id>/entries.csv")
def block_csv(block_id: int):
    return block_csv_response(clinic_block_or_404(block_id))


CORRECTIONS_PER_PAGE = 50


@bp.get("/blocks/<int:block_id>/corrections")
def block_corrections(block_id: int):
    """The block's corrections, newest first, a page at a time."""
    block = clinic_block_or_404(block_id)
    page = page_number()
    revisions, has_next = corrections_page(
        block, (page - 1) * CORRECTIONS_PER_PAGE, CORRECTIONS_PER_PAGE
    )
    record_audit("block.corrections", by=current_user, target=block, detail={"page": page})
    answer = render_template(
        "clinic/corrections.html",
        block=block,
        revisions=revisions,
        page=page,
        has_next=has_next,
        tz=current_user.clinic.timezone,
    )
    db.session.commit()  # after rendering: the commit expires what the page reads
    return answer


@bp.get("/blocks/<int:block_id>/corrections.csv")
def block_corrections_csv(block_id: int):
    """Every correction of the block's entries, with the values it replaced: a file,
    so all of them, streamed."""
    block = clinic_block_or_404(block_id)
    lines = (
        [export.correction_line(of_block, revision)]
        for of_block, revision in export_queries.corrections_of([block.id])
    )
    return csv_response(
        export.CORRECTION_COLUMNS,
        lines,
        f"block-{block.id}-corrections.csv",
        "export.block_corrections_csv",
        target=block,
    )


@bp.post("/blocks/<int:block_id>/<action>")
def archive(block_id: int, action: str):
    return _act_on_block(block_id, action, ARCHIVE_ACTIONS, unknown=404)


@bp.post("/blocks/<int:block_id>/link/<action>")
def diary_link(block_id: int, action: str):
    return _act_on_block(block_id, action, LINK_ACTIONS, unknown=400)


# action: (the service that does it, what the clinician is told, the message's kind)
ARCHIVE_ACTIONS = {
    "archive": (
        archive_block,
        "Block archived: it has left the dashboard and its diary link is closed.",
        "info",
    ),
    "restore": (restore_block, "Block restored.", "success"),
}
LINK_ACTIONS = {
    "revoke": (revoke_link, "The diary link is closed. The patient can no longer log.", "info"),
    "reopen": (reopen_link, "The diary link is open again.", "success"),
}


def _act_on_block(block_id: int, action: str, actions: dict, unknown: int):
    block = clinic_block_or_404(block_id)
    if action not in actions:
        abort(unknown)
    if not EmptyForm().validate_on_submit():
        abort(400)
    change, message, kind = actions[action]
    change(block, by=current_user)
    flash(message, kind)
    db.session.commit()
    return redirect(url_for("clinic.block", block_id=block.id))


@bp.post("/blocks/<int:block_id>/checkins")
def block_checkin(block_id: int):
    """Staff record a therapeutic block's check-in (a call, a visit)."""
    block = clinic_block_or_404(block_id)
    if not is_followed_block(block):
        abort(404)
    stored, form = store_staff_checkin(followed(block))
    if stored is not None:
        return stored
    return block_page_with(block, checkin_form=form), 400
