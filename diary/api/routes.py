"""JSON API, /api/v1: clinic systems with bearer tokens, and the diary link's phone page.

Clinic endpoints accept a bearer token (Settings → API tokens). A signed-in browser
session may read, but writes from a session must carry the CSRF token
(X-CSRFToken header), so a cookie alone never authorises a change.
"""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from diary import anatomy, fhir
from diary.access import (
    block_for_token_or_404,
    clinic_block_or_404,
    clinic_patient_or_404,
    entry_of_block_or_404,
)
from diary.agents import AGENT_LABELS, CONCENTRATIONS, OTHER
from diary.api.openapi import openapi_document
from diary.api.problems import ApiProblem, problem_response
from diary.api.serializers import block_json, entry_json, patient_json, public_diary_json
from diary.api.validation import JsonFields
from diary.clinic.routes import block_csv_response, chart_response
from diary.extensions import csrf, db
from diary.i18n import LANGUAGES
from diary.models import Block, Patient, utcnow
from diary.public_urls import public_url
from diary.schedule import DiarySchedule
from diary.services import analysis as analysis_service
from diary.services import blocks as blocks_service
from diary.services import patients as patients_service
from diary.services.analysis import analyse_block, analyse_series
from diary.services.audit import record_audit
from diary.services.blocks import (
    BlockInput,
    agent_label,
    reopen_link,
    revoke_link,
)
from diary.services.entries import EntryInput, correct_entry, record_entry
from diary.services.patients import PatientInput
from diary.services.rejections import DiaryClosed, InputRejected
from diary.services.reminders import subscribe_push, unsubscribe_push
from diary.services.settings import ClinicSettings, clinic_settings, update_clinic_settings

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

PUBLIC_ENDPOINTS = {
    "api.openapi",
    "api.diary",
    "api.diary_add_entry",
    "api.diary_correct_entry",
    "api.diary_subscribe",
    "api.diary_unsubscribe",
}
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
PAGE_SIZE = 50
MAX_ID = 2**31 - 1


@bp.errorhandler(ApiProblem)
def api_problem(problem: ApiProblem):
    return problem_response(problem.status, problem.detail, problem.errors)


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return problem_response(401, "Send a clinic API token: Authorization: Bearer <token>.")
    if request.method in WRITE_METHODS and not bearer_token():
        csrf.protect()
    return None


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def json_body(allowed: set[str]) -> JsonFields:
    if not request.is_json:
        raise ApiProblem(415, "Send the body as JSON (Content-Type: application/json).")
    return JsonFields(request.get_json(silent=True), allowed)


def page_arguments() -> tuple[int, int]:
    page = request.args.get("page", "1")
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        raise ApiProblem(400, "page must be a whole number from 1.", {"page": "must be >= 1"})
    return int(page), PAGE_SIZE


def listing(items: list[dict], page: int, total: int) -> dict:
    return {"items": items, "page": page, "per_page": PAGE_SIZE, "total": total}


# --- OpenAPI ---------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return openapi_document(public_url("api.openapi").rsplit("/", 1)[0])


# --- patients --------------------------------------------------------------------------


@bp.get("/patients")
def list_patients():
    page, size = page_arguments()
    query = select(Patient).where(Patient.clinic_id == current_user.clinic_id)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    patients = db.session.execute(
        query.order_by(Patient.id).limit(size).offset((page - 1) * size)
    ).scalars()
    return listing([patient_json(p) for p in patients], page, total)


@bp.post("/patients")
def create_patient():
    fields = json_body({"display_name", "mrn", "birth_year"})
    values = PatientInput(
        display_name=fields.text("display_name", 100) or "",
        mrn=fields.text("mrn", 64, required=False),
        birth_year=fields.integer("birth_year", 1900, 2100, required=False),
    )
    fields.finish()
    patient = patients_service.create_patient(current_user.clinic, values, by=current_user)
    db.session.commit()
    return (
        patient_json(patient),
        201,
        {"Location": url_for("api.get_patient", patient_id=patient.id)},
    )


@bp.get("/patients/<int:patient_id>")
def get_patient(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    record_audit("patient.view", by=current_user, target=patient)
    db.session.commit()
    return patient_json(patient)


@bp.get("/patients/<int:patient_id>/series")
def patient_series(patient_id: int):
    patient = clinic_patient_or_404(patient_id)
    series = []
    for blocks in analysis_service.patient_series(patient):
        value = analyse_series(blocks).to_dict()
        first = blocks[0]
        value.update(region=first.region, side=first.side, levels=list(first.levels))
        series.append(value)
    record_audit("patient.view", by=current_user, target=patient)
    db.session.commit()
    return {"patient_id": patient.id, "series": series}


# --- blocks ----------------------------------------------------------------------------

BLOCK_FIELDS = {
    "patient_id",
    "performed_at",
    "region",
    "levels",
    "side",
    "purpose",
    "sequence",
    "agent",
    "concentration",
    "agent_other",
    "volume_ml_per_level",
    "steroid",
    "sedation",
    "baseline_pain",
    "activities",
}
PURPOSES = {"diagnostic", "therapeutic"}
SEQUENCES = {"first", "second", "confirmatory"}
SEDATIONS = {"none", "minimal", "moderate"}


def read_block_fields(fields: JsonFields, current: Block | None = None) -> dict:
    """Validated block values; with ``current`` (PATCH) every field is optional."""
    required = current is None
    values = {
        "performed_at": fields.moment("performed_at", required),
        "region": fields.choice("region", anatomy.REGIONS, required),
        "levels": fields.text_list("levels", 10, 10, required),
        "side": fields.choice("side", anatomy.SIDES, required),
        "purpose": fields.choice("purpose", PURPOSES, required),
        "sequence": fields.choice("sequence", SEQUENCES, required),
        "agent": fields.choice("agent", AGENT_LABELS, required),
        "concentration": fields.text("concentration", 10, required=False),
        "agent_other": fields.text("agent_other", 100, required=False),
        "volume_ml_per_level": fields.number("volume_ml_per_level", 0.1, 5, required),
        "steroid": fields.boolean("steroid", required=False),
        "sedation": fields.choice("sedation", SEDATIONS, required=False),
        "baseline_pain": fields.integer("baseline_pain", 0, 10, required),
        "activities": fields.text_list("activities", 20, 200, required=False),
    }
    merged = {
        name: (
            value
            if value is not None or fields.has(name) or current is None
            else getattr(current, name)
        )
        for name, value in values.items()
    }
    if current is not None:
        for name, value in merged.items():
            if value is None and name not in ("concentration", "agent_other"):
                fields.fail(name, "cannot be null")
    region, levels = merged["region"], merged["levels"]
    if region and levels is not None and "levels" not in fields.errors:
        try:
            merged["levels"] = anatomy.levels_in_spine_order(region, levels)
        except ValueError as error:
            fields.fail("levels", str(error))
        if not levels:
            fields.fail("levels", "must name at least one level")
    agent = merged["agent"]
    if agent == OTHER and not (merged["agent_other"] or "").strip():
        fields.fail("agent_other", "is required when agent is other")
    elif agent and agent != OTHER and merged["concentration"] not in CONCENTRATIONS[agent]:
        fields.fail("concentration", "must be one of: " + ", ".join(CONCENTRATIONS[agent]))
    return merged


@bp.get("/blocks")
def list_blocks():
    page, size = page_arguments()
    query = select(Block).where(Block.clinic_id == current_user.clinic_id)
    patient_id = request.args.get("patient_id")
    if patient_id is not None:
        if not patient_id.isdigit() or not 1 <= int(patient_id) <= MAX_ID:
            raise ApiProblem(
                400,
                "patient_id must be a whole number from 1.",
                {"patient_id": "must be a positive whole number"},
            )
        query = query.where(Block.patient_id == int(patient_id))
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    blocks = db.session.execute(
        query.order_by(Block.performed_at.desc(), Block.id.desc())
        .options(selectinload(Block.entries), joinedload(Block.clinic))  # for diary status
        .limit(size)
        .offset((page - 1) * size)
    ).scalars()
    return listing([block_json(b) for b in blocks], page, total)


@bp.post("/blocks")
def create_block():
    fields = json_body(BLOCK_FIELDS)
    patient_id = fields.integer("patient_id", 1, MAX_ID)
    values = read_block_fields(fields)
    fields.finish()
    patient = db.session.get(Patient, patient_id)
    if patient is None or patient.clinic_id != current_user.clinic_id:
        raise ApiProblem(422, "Some fields are not valid.", {"patient_id": "no such patient"})
    values["steroid"] = bool(values["steroid"])
    values["sedation"] = values["sedation"] or "none"
    values["activities"] = values["activities"] or []
    block = blocks_service.create_block(
        current_user.clinic, patient, BlockInput(**values), by=current_user
    )
    db.session.commit()
    return block_json(block), 201, {"Location": url_for("api.get_block", block_id=block.id)}


@bp.get("/blocks/<int:block_id>")
def get_block(block_id: int):
    block = clinic_block_or_404(block_id)
    record_audit("block.view", by=current_user, target=block)
    db.session.commit()
    return block_json(block)


@bp.patch("/blocks/<int:block_id>")
def update_block(block_id: int):
    block = clinic_block_or_404(block_id)
    fields = json_body(BLOCK_FIELDS - {"patient_id"})
    values = read_block_fields(fields, current=block)
    fields.finish()
    blocks_service.update_block(block, values, by=current_user)
    db.session.commit()
    return block_json(block)


@bp.get("/blocks/<int:block_id>/analysis")
def block_analysis(block_id: int):
    block = clinic_block_or_404(block_id)
    record_audit("block.view", by=current_user, target=block)
    db.session.commit()
    return analyse_block(block).to_dict()


@bp.get("/blocks/<int:block_id>/entries")
def block_entries(block_id: int):
    block = clinic_block_or_404(block_id)
    record_audit("block.entries", by=current_user, target=block)
    db.session.commit()
    return {"items": [entry_json(e) for e in block.entries]}


@bp.get("/blocks/<int:block_id>/entries.csv")
def block_entries_csv(block_id: int):
    return block_csv_response(clinic_block_or_404(block_id))


ENTRY_FIELDS = {"recorded_at", "made_at", "pain", "relief_pct", "activity", "note", "client_id"}


def read_entry(fields: JsonFields, require_time: bool) -> EntryInput:
    values = EntryInput(
        recorded_at=fields.moment("recorded_at", required=require_time),
        made_at=fields.moment("made_at", required=False),
        pain=fields.integer("pain", 0, 10),
        reported_relief_pct=fields.integer("relief_pct", 0, 100, required=False),
        activity=fields.text("activity", 200, required=False),
        note=fields.text("note", 1000, required=False),
        client_id=fields.text("client_id", 64, required=False),
    )
    if values.client_id is not None and not (
        len(values.client_id) >= 8 and values.client_id.replace("-", "").replace("_", "").isalnum()
    ):
        fields.fail("client_id", "must be 8 to 64 letters, digits, - or _")
    fields.finish()
    return values


def store_entry(block: Block, values: EntryInput, transcribed_by=None):
    try:
        entry, created = record_entry(block, values, transcribed_by=transcribed_by)
    except InputRejected as rejected:
        raise ApiProblem(422, rejected.message, {rejected.field: rejected.message}) from None
    except DiaryClosed:
        raise ApiProblem(410, "This diary link is closed; the entry was not stored.") from None
    body = entry_json(entry)  # before the commit, which would expire what it reads
    db.session.commit()
    return body, 201 if created else 200


@bp.post("/blocks/<int:block_id>/entries")
def transcribe_entry(block_id: int):
    """Staff record an entry from the patient's paper diary."""
    block = clinic_block_or_404(block_id)
    values = read_entry(json_body(ENTRY_FIELDS), require_time=True)
    return store_entry(block, values, transcribed_by=current_user._get_current_object())


@bp.get("/blocks/<int:block_id>/chart.<fmt>")
def block_chart(block_id: int, fmt: str):
    return chart_response(block_id, fmt)


@bp.get("/blocks/<int:block_id>/fhir")
def block_fhir(block_id: int):
    block = clinic_block_or_404(block_id)
    bundle = fhir.diary_bundle(
        block, agent_label(block), analyse_block(block), utcnow()
    )
    record_audit(
        "export.fhir", by=current_user, target=block, detail={"rows": len(block.entries)}
    )
    db.session.commit()
    return bundle, 200, {"Content-Type": "application/fhir+json"}


@bp.post("/blocks/<int:block_id>/link/<action>")
def block_link(block_id: int, action: str):
    block = clinic_block_or_404(block_id)
    if action == "revoke":
        revoke_link(block, by=current_user)
    elif action == "reopen":
        reopen_link(block, by=current_user)
    else:
        abort(404)
    db.session.commit()
    return block_json(block)


# --- clinic settings -----------------------------------------------------------------


def settings_json(clinic) -> dict:
    current = clinic_settings(clinic)
    return {
        "threshold_pct": current.threshold_pct,
        "min_baseline_pain": current.min_baseline_pain,
        "min_entries_in_window": current.min_entries_in_window,
        "diary_link_hours": current.diary_link_hours,
        "schedule": current.schedule.to_settings(),
        "agent_windows": current.agent_windows,
        "timezone": clinic.timezone,
        "language": current.language,
    }


@bp.get("/clinic/settings")
def get_settings():
    return settings_json(current_user.clinic)


@bp.patch("/clinic/settings")
def update_settings():
    if not current_user.is_admin:
        raise ApiProblem(403, "Only a clinic admin may change settings.")
    clinic = current_user.clinic
    current = clinic_settings(clinic)
    fields = json_body(
        {
            "threshold_pct",
            "min_baseline_pain",
            "min_entries_in_window",
            "diary_link_hours",
            "schedule",
            "agent_windows",
        }
    )
    threshold = fields.number("threshold_pct", 50, 80, required=False)
    if threshold is not None and threshold not in (50.0, 80.0):
        fields.fail("threshold_pct", "must be 80 or 50")
    schedule = current.schedule
    if fields.has("schedule"):
        schedule = read_schedule(fields, current.schedule)
    windows = current.agent_windows
    if fields.has("agent_windows"):
        windows = read_windows(fields, current.agent_windows)
    values = ClinicSettings(
        threshold_pct=threshold if threshold is not None else current.threshold_pct,
        min_baseline_pain=_or(
            fields.integer("min_baseline_pain", 0, 10, required=False), current.min_baseline_pain
        ),
        min_entries_in_window=_or(
            fields.integer("min_entries_in_window", 1, 24, required=False),
            current.min_entries_in_window,
        ),
        diary_link_hours=_or(
            fields.integer("diary_link_hours", 1, 336, required=False), current.diary_link_hours
        ),
        schedule=schedule,
        agent_windows=windows,
        language=fields.choice("language", LANGUAGES, required=False) or current.language,
        instructions=current.instructions,
    )
    fields.finish()
    try:
        update_clinic_settings(clinic, values, by=current_user)
    except InputRejected as rejected:
        raise ApiProblem(422, rejected.message, {rejected.field: rejected.message}) from None
    db.session.commit()
    return settings_json(clinic)


def _or(value, default):
    return default if value is None else value


def read_schedule(fields: JsonFields, current: DiarySchedule) -> DiarySchedule:
    inner = fields.body["schedule"]
    if not isinstance(inner, dict) or set(inner) - {
        "early_minutes",
        "hourly_until_h",
        "long_acting_until_h",
    }:
        fields.fail(
            "schedule", "must be an object with early_minutes, hourly_until_h, long_acting_until_h"
        )
        return current
    nested = JsonFields(inner, set(inner))
    early = inner.get("early_minutes", list(current.early_minutes))
    if not (
        isinstance(early, list)
        and len(early) <= 10
        and all(isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 59 for m in early)
    ):
        fields.fail("schedule", "early_minutes must be a list of whole minutes from 1 to 59")
        return current
    hourly = _or(nested.integer("hourly_until_h", 1, 48, required=False), current.hourly_until_h)
    long_acting = _or(
        nested.integer("long_acting_until_h", 1, 48, required=False), current.long_acting_until_h
    )
    if nested.errors:
        fields.fail("schedule", "; ".join(f"{k} {v}" for k, v in nested.errors.items()))
    return DiarySchedule(tuple(sorted(set(early))), hourly, long_acting)


def read_windows(fields: JsonFields, current: dict) -> dict:
    inner = fields.body["agent_windows"]
    windows = {agent: dict(window) for agent, window in current.items()}
    if not isinstance(inner, dict) or set(inner) - set(AGENT_LABELS):
        fields.fail(
            "agent_windows",
            "must map agents (" + ", ".join(AGENT_LABELS) + ") to {minimum_h, maximum_h}",
        )
        return windows
    for agent, window in inner.items():
        nested = (
            JsonFields(window, {"minimum_h", "maximum_h"}) if isinstance(window, dict) else None
        )
        if nested is None:
            fields.fail("agent_windows", f"{agent} must be an object")
            continue
        for bound in ("minimum_h", "maximum_h"):
            value = nested.number(bound, 0, 72, required=False)
            if value is not None:
                windows[agent][bound] = value
        if nested.errors:
            fields.fail(
                "agent_windows",
                f"{agent}: " + "; ".join(f"{k} {v}" for k, v in nested.errors.items()),
            )
    return windows


# --- the patient's diary link ----------------------------------------------------------


def open_diary_or_410(token: str) -> Block:
    block = block_for_token_or_404(token)
    if not block.link_open(utcnow()):
        raise ApiProblem(410, "This diary link is closed; please contact your clinic.")
    return block


@bp.get("/diary/<token>")
def diary(token: str):
    return public_diary_json(open_diary_or_410(token))


@bp.post("/diary/<token>/entries")
def diary_add_entry(token: str):
    block = block_for_token_or_404(token)
    values = read_entry(json_body(ENTRY_FIELDS), require_time=False)
    return store_entry(block, values)


@bp.patch("/diary/<token>/entries/<int:entry_id>")
def diary_correct_entry(token: str, entry_id: int):
    block = open_diary_or_410(token)
    entry = entry_of_block_or_404(block, entry_id)
    values = read_entry(json_body(ENTRY_FIELDS - {"client_id", "made_at"}), require_time=False)
    try:
        correct_entry(entry, values, replaced_by="patient")
    except InputRejected as rejected:
        raise ApiProblem(422, rejected.message, {rejected.field: rejected.message}) from None
    db.session.commit()
    return entry_json(entry)


def read_subscription(fields: JsonFields) -> tuple[str, str, str]:
    endpoint = fields.text("endpoint", 1000) or ""
    if endpoint and not endpoint.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        fields.fail("endpoint", "must be an https address")
    keys = fields.body.get("keys")
    p256dh = auth = ""
    if not isinstance(keys, dict) or not all(
        isinstance(keys.get(k), str) and 0 < len(keys[k]) <= limit
        for k, limit in (("p256dh", 200), ("auth", 100))
    ):
        fields.fail("keys", "must hold the subscription's p256dh and auth keys")
    else:
        p256dh, auth = keys["p256dh"], keys["auth"]
    fields.finish()
    return endpoint, p256dh, auth


@bp.post("/diary/<token>/push")
def diary_subscribe(token: str):
    """Turn on Web Push reminders for this diary on this phone."""
    block = open_diary_or_410(token)
    endpoint, p256dh, auth = read_subscription(json_body({"endpoint", "keys", "expirationTime"}))
    subscribe_push(block, endpoint, p256dh, auth)
    db.session.commit()
    return {"subscribed": True}, 201


@bp.delete("/diary/<token>/push")
def diary_unsubscribe(token: str):
    block = block_for_token_or_404(token)
    fields = json_body({"endpoint"})
    endpoint = fields.text("endpoint", 1000)
    fields.finish()
    if not unsubscribe_push(block, endpoint):
        raise ApiProblem(404, "No such subscription for this diary.")
    db.session.commit()
    return "", 204
