"""Ablations and follow-up in the API: recording and correcting an ablation (its history
kept as a block's), reading it with its follow-up and outcomes, and the follow-up link's
operations for the patient's phone (no identity)."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from diary.access import clinic_ablation_or_404
from diary.api import schemas
from diary.api.blueprint import api
from diary.api.problems import ApiProblem
from diary.extensions import db, diary_token_limit
from diary.models import Ablation, Patient, utcnow
from diary.services import followup as followup_service
from diary.services.audit import record_audit
from diary.services.followup import (
    Followed,
    FollowUpView,
    follow_up_view,
    followed,
    followed_for_token,
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
