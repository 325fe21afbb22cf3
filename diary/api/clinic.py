"""The clinic's operations: patients, blocks, their diaries and analyses, settings."""

from __future__ import annotations

from functools import partial

from flask import current_app, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from diary import downloads
from diary.access import clinic_block_or_404, clinic_entry_or_404, clinic_patient_or_404
from diary.api import schemas
from diary.api.blueprint import api
from diary.api.entries import store_entry
from diary.api.problems import ApiProblem
from diary.api.serializers import (
    block_answer,
    entry_answer,
    next_step_answer,
    patient_answer,
    worklist_item_answer,
)
from diary.api.spec import CSV, FHIR, PNG, SVG
from diary.clinic.worklist import forget_counts
from diary.extensions import db
from diary.models import Block, DiaryEntry, Patient, utcnow
from diary.schedule import DiarySchedule
from diary.services import analysis as analysis_service
from diary.services import blocks as blocks_service
from diary.services import next_steps as next_steps_service
from diary.services import patients as patients_service
from diary.services import worklist as worklist_service
from diary.services.analysis import analyse_block, analyse_series
from diary.services.audit import record_audit
from diary.services.block_changes import block_change_effect
from diary.services.blocks import agent_label, reopen_link, revoke_link
from diary.services.days import (
    block_days_of_relief,
    block_outcome,
    readings_outcome,
    therapeutic_outcomes,
)
from diary.services.entries import record_entry
from diary.services.followup import block_fhir_checkins
from diary.services.progress import awaited_for
from diary.services.rejections import InputRejected
from diary.services.settings import clinic_settings, update_clinic_settings
from diary.web import block_csv_response, chart_response

PAGE_SIZE = 50


def page_of(
    query: Select, page: int, order: tuple, options: tuple = (), size: int = PAGE_SIZE
) -> tuple[list, int]:
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(*order).options(*options).limit(size).offset((page - 1) * size)
    ).scalars()
    return list(rows), total


# --- patients --------------------------------------------------------------------------


@api.get(
    "/patients",
    summary="The clinic's patients, 50 a page",
    query=schemas.Page,
    answers={200: schemas.PatientList},
)
def list_patients(query: schemas.Page):
    patients, total = page_of(
        select(Patient).where(Patient.clinic_id == current_user.clinic_id),
        query.page,
        (Patient.id,),
    )
    record_audit("patient.list", by=current_user, detail={"patient_ids": [p.id for p in patients]})
    db.session.commit()
    return schemas.PatientList(
        items=[patient_answer(p) for p in patients],
        page=query.page,
        per_page=PAGE_SIZE,
        total=total,
    )


@api.post(
    "/patients",
    summary="Add a patient (an MRN names one patient of the clinic, whatever its case or "
    "surrounding spaces: 409 if taken)",
    body=schemas.PatientInput,
    answers={201: schemas.Patient},
    problems=(409,),
)
def create_patient():
    body: schemas.PatientInput = api.body()
    try:
        patient = patients_service.create_patient(
            current_user.clinic,
            patients_service.PatientInput(**body.model_dump()),
            by=current_user,
        )
    except InputRejected as rejected:
        raise ApiProblem(409, rejected.message, {rejected.field: rejected.message}) from None
    db.session.commit()
    return (
        patient_answer(patient),
        201,
        {"Location": url_for("api.get_patient", patient_id=patient.id)},
    )


@api.get(
    "/patients/<int:patient_id>",
    summary="One patient",
    answers={200: schemas.Patient},
    problems=(404,),
)
def get_patient(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    record_audit("patient.view", by=current_user, target=patient)
    db.session.commit()
    return patient_answer(patient)


@api.get(
    "/patients/<int:patient_id>/series",
    summary="The patient's series (region, side, levels; a bilateral block in both sides), "
    "with the pair's concordance "
    "and the ablation criteria",
    answers={200: schemas.PatientSeries},
    problems=(404,),
)
def patient_series(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    series = []
    outcomes = therapeutic_outcomes(patient.blocks)
    for blocks in analysis_service.patient_series(patient):
        found = analyse_series(blocks).to_dict()
        for block in found["blocks"]:  # a therapeutic block is judged by its days of relief
            block["outcome"] = outcomes.get(block["block_id"], block["analysis"]["verdict"])
        series.append(
            schemas.Series.model_validate(
                found | {"region": blocks.region, "side": blocks.side, "levels": blocks.levels}
            )
        )
    record_audit("patient.view", by=current_user, target=patient)
    db.session.commit()
    return schemas.PatientSeries(patient_id=patient.id, series=series)


# --- blocks ----------------------------------------------------------------------------


@api.get(
    "/blocks",
    summary="The clinic's blocks, newest first, 50 a page",
    query=schemas.BlockListQuery,
    answers={200: schemas.BlockList},
)
def list_blocks(query: schemas.BlockListQuery):
    selection = select(Block).where(Block.clinic_id == current_user.clinic_id)
    if query.patient_id is not None:
        selection = selection.where(Block.patient_id == query.patient_id)
    blocks, total = page_of(
        selection,
        query.page,
        (Block.performed_at.desc(), Block.id.desc()),
        (selectinload(Block.entries), joinedload(Block.clinic)),  # for the diary's status
    )
    answer = schemas.BlockList(
        items=[block_answer(b) for b in blocks], page=query.page, per_page=PAGE_SIZE, total=total
    )
    record_audit("block.list", by=current_user, detail={"block_ids": [b.id for b in blocks]})
    db.session.commit()  # after the answer is built: the commit expires what it reads
    return answer


@api.post(
    "/blocks",
    summary="Record a block; the answer carries its diary link",
    body=schemas.BlockInput,
    answers={201: schemas.Block},
)
def create_block():
    body: schemas.BlockInput = api.body()
    patient = db.session.get(Patient, body.patient_id)
    if patient is None or patient.clinic_id != current_user.clinic_id:
        raise ApiProblem(
            422, "No patient with this id in your clinic.", {"patient_id": "no such patient"}
        )
    values = blocks_service.BlockInput(**body.model_dump(exclude={"patient_id"}))
    try:
        block = blocks_service.create_block(current_user.clinic, patient, values, by=current_user)
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return block_answer(block), 201, {"Location": url_for("api.get_block", block_id=block.id)}


@api.get(
    "/blocks/<int:block_id>", summary="One block", answers={200: schemas.Block}, problems=(404,)
)
def get_block(block_id: int):
    block = clinic_block_or_404(block_id)
    record_audit("block.view", by=current_user, target=block)
    db.session.commit()
    return block_answer(block)


@api.patch(
    "/blocks/<int:block_id>",
    summary="Correct a block's details",
    body=schemas.BlockChanges,
    answers={200: schemas.Block},
    notes={
        200: "Applied at once (the pages ask first). When the change puts entries before "
        "the block or changes the verdict, the Diary-Change header says how, e.g. "
        "'16 of 22 entries now before the block; verdict positive -> indeterminate', "
        "and the audit log keeps it"
    },
    problems=(404,),
)
def update_block(block_id: int):
    block = clinic_block_or_404(block_id)
    # A null where the field may not be null is refused by the model already.
    changes = api.body().model_dump(exclude_unset=True)
    effect = block_change_effect(block, changes)
    try:
        blocks_service.update_block(
            block,
            changes,
            by=current_user,
            effect=effect.as_detail() if effect.changes_the_diary else None,
        )
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    if effect.changes_the_diary:
        return block_answer(block), 200, {"Diary-Change": effect.summary()}
    return block_answer(block)


@api.get(
    "/blocks/<int:block_id>/analysis",
    summary="The diary's analysis and verdict",
    answers={200: schemas.BlockAnalysis},
    problems=(404,),
)
def block_analysis(block_id: int):
    block = clinic_block_or_404(block_id)
    record_audit("block.view", by=current_user, target=block)
    db.session.commit()
    now = utcnow()
    running = analysis_service.running(block, now)
    analysis = analyse_block(block, now)
    state = {"provisional": running is not None, "awaiting": running and running.awaiting}
    if block.scored_apart:
        # Each side's reading with its own days of relief and outcome (pathway.md §1–2).
        readings = analysis_service.block_readings(block, now)
        return schemas.BlockAnalysis.model_validate(
            analysis.to_dict()
            | state
            | {
                "sides": {
                    str(r.scored_side): r.analysis.to_dict()
                    | state
                    | {
                        "days_of_relief": r.days_of_relief and r.days_of_relief.to_dict(),
                        "outcome": readings_outcome(block, [r]),
                    }
                    for r in readings
                },
                "days_of_relief": None,
                "outcome": readings_outcome(block, readings),
            }
        )
    days = block_days_of_relief(block)
    return schemas.BlockAnalysis.model_validate(
        analysis.to_dict()
        | state
        | {
            "sides": None,
            "days_of_relief": days.to_dict() if days else None,
            "outcome": block_outcome(block, analysis.verdict, days),
        }
    )


ENTRY_PAGE_SIZE = 100


@api.get(
    "/blocks/<int:block_id>/entries",
    summary="The diary's entries, oldest first, 100 a page",
    query=schemas.Page,
    answers={200: schemas.Entries},
    problems=(404,),
)
def block_entries(block_id: int, query: schemas.Page):
    block = clinic_block_or_404(block_id)
    entries, total = page_of(
        select(DiaryEntry).where(DiaryEntry.block_id == block.id),
        query.page,
        (DiaryEntry.recorded_at, DiaryEntry.id),
        size=ENTRY_PAGE_SIZE,
    )
    answer = schemas.Entries(
        items=[entry_answer(e) for e in entries],
        page=query.page,
        per_page=ENTRY_PAGE_SIZE,
        total=total,
    )
    record_audit("block.entries", by=current_user, target=block)
    db.session.commit()
    return answer


@api.get(
    "/blocks/<int:block_id>/entries.csv",
    summary="The diary as CSV (one row per entry)",
    answers={200: CSV},
    problems=(404,),
)
def block_entries_csv(block_id: int):
    return block_csv_response(clinic_block_or_404(block_id))


@api.post(
    "/blocks/<int:block_id>/entries",
    summary="Transcribe an entry from a paper diary",
    body=schemas.TranscribedEntry,
    answers={201: schemas.Entry, 200: schemas.Entry},
    notes={200: "Already stored (same client_id)"},
    problems=(404,),
)
def transcribe_entry(block_id: int):
    block = clinic_block_or_404(block_id)
    transcribed = partial(record_entry, transcribed_by=current_user._get_current_object())
    return store_entry(block, api.body(), transcribed)


CHART_NOTES = {304: "Not modified (If-None-Match)"}


@api.get(
    "/blocks/<int:block_id>/chart.png",
    summary="The relief chart as PNG",
    query=schemas.ChartQuery,
    answers={200: PNG, 304: None},
    notes=CHART_NOTES,
    problems=(404,),
    endpoint="block_chart",
    defaults={"fmt": "png"},
)
@api.get(
    "/blocks/<int:block_id>/chart.svg",
    summary="The relief chart as SVG",
    query=schemas.ChartQuery,
    answers={200: SVG, 304: None},
    notes=CHART_NOTES,
    problems=(404,),
    endpoint="block_chart",
    defaults={"fmt": "svg"},
)
def block_chart(block_id: int, fmt: str, query: schemas.ChartQuery):
    return chart_response(block_id, fmt)


@api.get(
    "/blocks/<int:block_id>/fhir",
    summary="The diary as a FHIR R4 Bundle (?bundle=transaction to load into a server)",
    query=schemas.FhirQuery,
    answers={200: FHIR},
    problems=(404, 409),
    notes={409: "The clinic has not set its MRN identifier system (Settings → Records)"},
)
def block_fhir(block_id: int, query: schemas.FhirQuery):
    from diary.records import fhir

    block = clinic_block_or_404(block_id)
    if not block.clinic.mrn_system:
        raise ApiProblem(409, downloads.NO_MRN_SYSTEM)
    analysis = analyse_block(block)
    bundle = fhir.diary_bundle(
        block,
        agent_label(block),
        analysis,
        utcnow(),
        records=current_app.config["PUBLIC_URL"].rstrip("/"),
        mrn_system=block.clinic.mrn_system,
        transaction=query.bundle == "transaction",
        **downloads.fhir_readings(block, analysis, awaited_for(block) is not None),
        checkins=block_fhir_checkins(block),
    )
    record_audit("export.fhir", by=current_user, target=block, detail={"rows": len(block.entries)})
    db.session.commit()
    return bundle, 200, {"Content-Type": "application/fhir+json"}


@api.post(
    "/blocks/<int:block_id>/link/revoke",
    summary="Close the diary link now",
    answers={200: schemas.Block},
    problems=(404,),
    endpoint="block_link",
    defaults={"action": "revoke"},
)
@api.post(
    "/blocks/<int:block_id>/link/reopen",
    summary="Reopen the diary link (an expired link gets a fresh lifetime)",
    answers={200: schemas.Block},
    problems=(404,),
    endpoint="block_link",
    defaults={"action": "reopen"},
)
def block_link(block_id: int, action: str):
    block = clinic_block_or_404(block_id)
    (revoke_link if action == "revoke" else reopen_link)(block, by=current_user)
    db.session.commit()
    return block_answer(block)


@api.get(
    "/patients/<int:patient_id>/next-steps",
    summary="The next step for each of the patient's series (pathway.md §4: steps 1–9 in "
    "order, with the payer's rolling 12-month limit beside each step that means another "
    "procedure); advice for the physician",
    query=schemas.NextStepsQuery,
    answers={200: schemas.NextSteps},
    problems=(404,),
)
def patient_next_steps(patient_id: int, query: schemas.NextStepsQuery):
    patient = clinic_patient_or_404(patient_id)
    clinic = current_user.clinic
    on = query.on or next_steps_service.clinic_today(clinic)
    steps = next_steps_service.patient_next_steps(clinic, patient.id, on)
    record_audit("patient.next_steps", by=current_user, target=patient)
    db.session.commit()
    return schemas.NextSteps(
        patient_id=patient.id, on=on, series=[next_step_answer(step) for step in steps]
    )


# --- the worklist ----------------------------------------------------------------------


@api.get(
    "/worklist",
    summary="What staff see first (pathway.md §5), 50 a page: side effects not yet "
    "acknowledged, finished diaries not yet reviewed, check-ins overdue, then patients whose "
    "next step calls for action; newest first within each group",
    query=schemas.Page,
    answers={200: schemas.Worklist},
)
def get_worklist(query: schemas.Page):
    listed = worklist_service.worklist_page(current_user.clinic, query.page)
    record_audit(
        "worklist.view",
        by=current_user,
        detail={
            "page": query.page,
            "patient_ids": sorted({r.item.patient_id for r in listed.rows}),
        },
    )
    db.session.commit()
    return schemas.Worklist(
        items=[worklist_item_answer(row) for row in listed.rows],
        counts=schemas.WorklistCounts(**{str(g): n for g, n in listed.counts.items()}),
        page=query.page,
        per_page=worklist_service.PAGE_SIZE,
        has_next=listed.has_next,
    )


@api.post(
    "/entries/<int:entry_id>/acknowledge",
    summary="Acknowledge the side effects reported with an entry (audited); "
    "`changed` is false when there were none or they were acknowledged already",
    answers={200: schemas.Marked},
    problems=(404,),
)
def acknowledge_entry(entry_id: int):
    entry = clinic_entry_or_404(entry_id)
    changed = worklist_service.acknowledge_side_effects(entry, by=current_user)
    db.session.commit()
    forget_counts(current_user.clinic_id)
    return schemas.Marked(id=entry.id, changed=changed, at=entry.side_effects_acknowledged_at)


@api.post(
    "/blocks/<int:block_id>/review",
    summary="Mark a finished diary reviewed (audited); 409 while its link is still open",
    answers={200: schemas.Marked},
    problems=(404, 409),
)
def review_block(block_id: int):
    block = clinic_block_or_404(block_id)
    try:
        changed = worklist_service.review_diary(block, by=current_user)
    except InputRejected as rejected:
        raise ApiProblem(409, rejected.message) from None
    db.session.commit()
    forget_counts(current_user.clinic_id)
    return schemas.Marked(id=block.id, changed=changed, at=block.reviewed_at)


# --- clinic settings -------------------------------------------------------------------


def settings_answer() -> schemas.Settings:
    clinic = current_user.clinic
    current = clinic_settings(clinic)
    return schemas.Settings(
        threshold_pct=int(current.threshold_pct),
        min_baseline_pain=current.min_baseline_pain,
        min_entries_in_window=current.min_entries_in_window,
        diary_link_hours=current.diary_link_hours,
        max_entries_per_diary=current.max_entries_per_diary,
        max_corrections_per_entry=current.max_corrections_per_entry,
        max_corrections_per_diary=current.max_corrections_per_diary,
        daily_days=current.daily_days,
        schedule=schemas.Schedule(**current.schedule.to_settings()),
        agent_windows={
            agent: schemas.Window(**window) for agent, window in current.agent_windows.items()
        },
        timezone=clinic.timezone,
        language=current.language,
        require_two_factor=current.require_two_factor,
        contact_line=current.contact_line,
        safety_text=current.safety_text,
        mrn_system=current.mrn_system,
        diagnostic_sessions_limit=current.diagnostic_sessions_limit,
        therapeutic_sessions_limit=current.therapeutic_sessions_limit,
        rfa_sessions_limit=current.rfa_sessions_limit,
        stale_rfa_rule=current.stale_rfa_rule,
        stale_rfa_years=current.stale_rfa_years,
    )


@api.get(
    "/clinic/settings",
    summary="The clinic's analysis and diary settings",
    answers={200: schemas.Settings},
)
def get_settings():
    return settings_answer()


@api.patch(
    "/clinic/settings",
    summary="Change settings (clinic admins only)",
    body=schemas.SettingsChanges,
    answers={200: schemas.Settings},
    problems=(403,),
)
def update_settings():
    if not current_user.is_admin:
        raise ApiProblem(403, "Only a clinic admin may change settings.")
    body: schemas.SettingsChanges = api.body()
    clinic = current_user.clinic
    current = clinic_settings(clinic)
    changes = body.model_dump(exclude_unset=True, exclude={"schedule", "agent_windows"})
    if body.schedule is not None:
        schedule = current.schedule.to_settings() | body.schedule.model_dump(exclude_unset=True)
        schedule["early_minutes"] = sorted(set(schedule["early_minutes"]))
        current.schedule = DiarySchedule.from_settings(schedule)
    for agent, window in (body.agent_windows or {}).items():
        current.agent_windows[agent].update(window.model_dump(exclude_unset=True))
    for name, value in changes.items():
        setattr(current, name, value)
    try:
        update_clinic_settings(clinic, current, by=current_user)
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return settings_answer()
