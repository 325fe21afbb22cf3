"""Ablations and follow-up in the API: recording and correcting an ablation (its history
kept as a block's), reading it with its follow-up and outcomes, and the follow-up link's
operations for the patient's phone (no identity)."""

from __future__ import annotations

from flask import current_app, url_for
from flask_login import current_user

from diary import downloads
from diary.access import clinic_ablation_or_404, clinic_block_or_404
from diary.api import schemas
from diary.api.blueprint import api
from diary.api.problems import ApiProblem
from diary.api.spec import FHIR
from diary.extensions import db, diary_token_limit
from diary.models import Ablation, Patient, utcnow
from diary.reminders.checkins import subscribe_checkin_push, unsubscribe_checkin_push
from diary.services import followup as followup_service
from diary.services.audit import record_audit
from diary.services.followup import (
    Followed,
    FollowUpView,
    ensure_block_followup,
    follow_up_view,
    followed,
    followed_for_token,
    is_followed_block,
    outcome_dict,
)
from diary.services.rejections import DiaryClosed, InputRejected
from diary.web import followup_url


def _slot(item) -> schemas.ScheduledCheckin:
    slot = item.slot
    return schemas.ScheduledCheckin(
        months=slot.months,
        due_on=slot.due_on,
        opens_on=slot.opens_on,
        closes_on=slot.closes_on,
        status=item.status,
    )


def _checkins(view: FollowUpView) -> list[schemas.Checkin]:
    return [
        schemas.Checkin(
            id=row.id,
            client_id=row.client_id,
            months=row.months,
            unscheduled=row.unscheduled,
            made_on=row.made_on,
            made_at=row.made_at,
            submitted_at=row.submitted_at,
            pain=row.pain,
            pain_left=row.pain_left,
            pain_right=row.pain_right,
            reported_relief_pct=row.reported_relief_pct,
            pgic=row.pgic,
            new_treatment=row.new_treatment,
            source=row.source,
            superseded=row.id in view.superseded,
        )
        for row in view.rows
    ]


def _next(view: FollowUpView) -> schemas.ScheduledCheckin | None:
    upcoming = view.next_checkin
    item = next((s for s in view.slots if upcoming and s.slot == upcoming), None)
    return _slot(item) if item else None


def follow_up_answer(procedure: Followed) -> schemas.FollowUp:
    view = follow_up_view(procedure)
    return schemas.FollowUp(
        followup_token=procedure.token,
        followup_url=followup_url(procedure.token) if procedure.token else None,
        link_open=procedure.link_open(utcnow()),
        link_expires_at=procedure.expires_at,
        schedule=[_slot(item) for item in view.slots],
        next_checkin=_next(view),
        checkins=_checkins(view),
        outcomes=[schemas.SideOutcome.model_validate(outcome_dict(o)) for o in view.outcomes],
    )


def ablation_answer(ablation: Ablation) -> schemas.Ablation:
    return schemas.Ablation(
        id=ablation.id,
        patient_id=ablation.patient_id,
        performed_at=ablation.performed_at,
        region=ablation.region,
        levels=list(ablation.levels),
        side=ablation.side,
        technique=ablation.technique,
        scoring=ablation.scoring,
        baseline_pain=ablation.baseline_pain,
        baseline_pain_left=ablation.baseline_pain_left,
        baseline_pain_right=ablation.baseline_pain_right,
        repeat_of_id=ablation.repeat_of_id,
        note=ablation.note,
        created_at=ablation.created_at,
        changed_at=ablation.changed_at,
        follow_up=follow_up_answer(followed(ablation)),
    )


@api.post(
    "/ablations",
    summary="Record a radiofrequency ablation (or pulsed RF); the answer carries its "
    "follow-up link",
    body=schemas.AblationInput,
    answers={201: schemas.Ablation},
)
def create_ablation():
    body: schemas.AblationInput = api.body()
    patient = db.session.get(Patient, body.patient_id)
    if patient is None or patient.clinic_id != current_user.clinic_id:
        raise ApiProblem(
            422, "No patient with this id in your clinic.", {"patient_id": "no such patient"}
        )
    values = followup_service.AblationInput(**body.model_dump(exclude={"patient_id"}))
    try:
        ablation = followup_service.create_ablation(
            current_user.clinic, patient, values, by=current_user
        )
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return (
        ablation_answer(ablation),
        201,
        {"Location": url_for("api.get_ablation", ablation_id=ablation.id)},
    )


@api.get(
    "/ablations/<int:ablation_id>",
    summary="One ablation with its follow-up: the check-ins due and made, and per side the "
    "relief at each, the durability at 6 months and how long relief lasted",
    answers={200: schemas.Ablation},
    problems=(404,),
)
def get_ablation(ablation_id: int):
    ablation = clinic_ablation_or_404(ablation_id)
    answer = ablation_answer(ablation)
    record_audit("ablation.view", by=current_user, target=ablation)
    db.session.commit()
    return answer


@api.patch(
    "/ablations/<int:ablation_id>",
    summary="Correct an ablation's details (the earlier values are kept in the audit log)",
    body=schemas.AblationChanges,
    answers={200: schemas.Ablation},
    problems=(404,),
)
def update_ablation(ablation_id: int):
    ablation = clinic_ablation_or_404(ablation_id)
    changes = api.body().model_dump(exclude_unset=True)
    try:
        followup_service.update_ablation(ablation, changes, by=current_user)
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return ablation_answer(ablation)


# --- the follow-up link: the patient's phone ----------------------------------------------


def _procedure_or_404(token: str) -> Followed:
    procedure = followed_for_token(token)
    if procedure is None:
        raise ApiProblem(404, "No such follow-up link.")
    return procedure


def _open_or_410(token: str) -> Followed:
    procedure = _procedure_or_404(token)
    if not procedure.link_open(utcnow()):
        raise ApiProblem(410, "This follow-up link is closed; please contact your clinic.")
    return procedure


def public_follow_up(procedure: Followed) -> schemas.PublicFollowUp:
    view = follow_up_view(procedure)
    record = procedure.record
    open_now = view.open_now
    return schemas.PublicFollowUp(
        procedure="ablation" if procedure.is_ablation else "therapeutic_block",
        performed_at=record.performed_at,
        region=record.region,
        levels=list(record.levels),
        side=record.side,
        scored_apart=procedure.scored_apart,
        timezone=procedure.clinic.timezone,
        link_open=procedure.link_open(utcnow()),
        link_expires_at=procedure.expires_at,
        schedule=[_slot(item) for item in view.slots],
        open_now=open_now.months if open_now else None,
        next_checkin=_next(view),
        checkins=_checkins(view),
    )


@api.get(
    "/followup/<token>",
    summary="The follow-up as the patient's phone shows it: the check-ins due, which is "
    "open today, and those made",
    answers={200: schemas.PublicFollowUp},
    problems=(404, 410),
    public=True,
)
@diary_token_limit
def followup(token: str):
    return public_follow_up(_open_or_410(token))


@api.post(
    "/followup/<token>/checkins",
    summary="Send a check-in (resending is safe: one per client_id)",
    body=schemas.CheckinInput,
    answers={201: schemas.Checkin, 200: schemas.Checkin},
    notes={200: "Already stored (same client_id)"},
    problems=(404, 410),
    public=True,
)
@diary_token_limit
def followup_add_checkin(token: str):
    procedure = _procedure_or_404(token)
    body: schemas.CheckinInput = api.body()
    values = followup_service.CheckinInput(**body.model_dump())
    try:
        checkin, created = followup_service.record_checkin(procedure, values)
    except DiaryClosed:
        raise ApiProblem(
            410, "This follow-up link is closed; please contact your clinic."
        ) from None
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    view = follow_up_view(procedure)
    answer = next(c for c in _checkins(view) if c.id == checkin.id)
    return answer, 201 if created else 200


# --- staff: check-ins from calls and visits, a therapeutic block's follow-up ---------------


def _store_transcribed(procedure: Followed):
    body: schemas.TranscribedCheckin = api.body()
    values = followup_service.CheckinInput(**body.model_dump())
    try:
        checkin, created = followup_service.record_checkin(
            procedure, values, transcribed_by=current_user._get_current_object()
        )
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    answer = next(c for c in _checkins(follow_up_view(procedure)) if c.id == checkin.id)
    return answer, 201 if created else 200


@api.post(
    "/ablations/<int:ablation_id>/checkins",
    summary="Record a check-in from a call or a visit (marked as transcribed, audited); "
    "months left out or null: unscheduled",
    body=schemas.TranscribedCheckin,
    answers={201: schemas.Checkin, 200: schemas.Checkin},
    notes={200: "Already stored (same client_id)"},
    problems=(404,),
)
def transcribe_ablation_checkin(ablation_id: int):
    return _store_transcribed(followed(clinic_ablation_or_404(ablation_id)))


def _therapeutic_or_404(block_id: int) -> Followed:
    block = clinic_block_or_404(block_id)
    if not is_followed_block(block):
        raise ApiProblem(404, "Only a therapeutic block is followed up.")
    ensure_block_followup(block)
    return followed(block)


@api.get(
    "/blocks/<int:block_id>/follow-up",
    summary="A therapeutic block's follow-up: its link, the check-ins due and made, and "
    "whether a repeat therapeutic injection is supported",
    answers={200: schemas.FollowUp},
    problems=(404,),
)
def block_follow_up(block_id: int):
    procedure = _therapeutic_or_404(block_id)
    answer = follow_up_answer(procedure)
    record_audit("block.view", by=current_user, target=procedure.record)
    db.session.commit()
    return answer


@api.post(
    "/blocks/<int:block_id>/follow-up/checkins",
    summary="Record a therapeutic block's check-in from a call or a visit (marked as "
    "transcribed, audited)",
    body=schemas.TranscribedCheckin,
    answers={201: schemas.Checkin, 200: schemas.Checkin},
    notes={200: "Already stored (same client_id)"},
    problems=(404,),
)
def transcribe_block_checkin(block_id: int):
    return _store_transcribed(_therapeutic_or_404(block_id))


# --- the clinic's follow-up settings --------------------------------------------------------


def _settings_answer() -> schemas.FollowUpSettings:
    return schemas.FollowUpSettings(
        **vars(followup_service.current_followup_settings(current_user.clinic))
    )


@api.get(
    "/clinic/follow-up-settings",
    summary="The check-in months after an ablation and a therapeutic block, and the window "
    "around each due date (days)",
    answers={200: schemas.FollowUpSettings},
)
def get_followup_settings():
    return _settings_answer()


@api.patch(
    "/clinic/follow-up-settings",
    summary="Change the follow-up settings (clinic admins only)",
    body=schemas.FollowUpSettingsChanges,
    answers={200: schemas.FollowUpSettings},
    problems=(403,),
)
def update_followup_settings():
    if not current_user.is_admin:
        raise ApiProblem(403, "Only a clinic admin may change settings.")
    changes = api.body().model_dump(exclude_unset=True)
    current = followup_service.current_followup_settings(current_user.clinic)
    for name, value in changes.items():
        setattr(current, name, value)
    try:
        followup_service.update_followup_settings(current_user.clinic, current, by=current_user)
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return _settings_answer()


# --- check-in reminders on the patient's phone ----------------------------------------------


@api.post(
    "/followup/<token>/push",
    summary="Turn on check-in reminders for this follow-up on this phone",
    body=schemas.PushSubscription,
    answers={201: schemas.Subscribed},
    problems=(404, 410),
    public=True,
)
@diary_token_limit
def followup_subscribe(token: str):
    procedure = _open_or_410(token)
    body: schemas.PushSubscription = api.body()
    try:
        subscribe_checkin_push(
            procedure,
            body.endpoint,
            body.keys.p256dh,
            body.keys.auth,
            current_app.config["PUSH_SERVICE_HOSTS"],
        )
    except InputRejected as rejected:
        raise ApiProblem.rejected(rejected) from None
    db.session.commit()
    return schemas.Subscribed(subscribed=True), 201


@api.delete(
    "/followup/<token>/push",
    summary="Turn check-in reminders off on this phone",
    body=schemas.PushEndpoint,
    answers={204: None},
    problems=(404,),
    public=True,
)
@diary_token_limit
def followup_unsubscribe(token: str):
    procedure = _procedure_or_404(token)
    if not unsubscribe_checkin_push(procedure, api.body().endpoint):
        raise ApiProblem(404, "No such subscription for this follow-up.")
    db.session.commit()
    return "", 204


@api.get(
    "/ablations/<int:ablation_id>/fhir",
    summary="The ablation as a FHIR R4 Bundle: a Procedure per level (CPT 64633/64634 or "
    "64635/64636, laterality, modifier 50 when bilateral) and each counted check-in as "
    "Observations (LOINC 72514-3) partOf it (?bundle=transaction to load into a server)",
    query=schemas.FhirQuery,
    answers={200: FHIR},
    problems=(404, 409),
    notes={409: "The clinic has not set its MRN identifier system (Settings → Records)"},
)
def ablation_fhir(ablation_id: int, query: schemas.FhirQuery):
    from diary.records import fhir

    ablation = clinic_ablation_or_404(ablation_id)
    try:
        bundle = fhir.ablation_bundle(
            ablation,
            followup_service.fhir_checkins(followed(ablation)),
            utcnow(),
            records=current_app.config["PUBLIC_URL"].rstrip("/"),
            mrn_system=ablation.clinic.mrn_system,
            transaction=query.bundle == "transaction",
        )
    except fhir.NoMrnSystem:
        raise ApiProblem(409, downloads.NO_MRN_SYSTEM) from None
    record_audit("export.ablation_fhir", by=current_user, target=ablation)
    db.session.commit()
    return bundle, 200, {"Content-Type": "application/fhir+json"}
