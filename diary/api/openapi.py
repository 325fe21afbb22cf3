"""The OpenAPI 3.1 document of /api/v1. A test checks it against the running API."""

from __future__ import annotations

from diary import anatomy
from diary.agents import AGENT_LABELS
from diary.relief import VERDICTS


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
MOMENT = {"type": "string", "format": "date-time"}
HOURS = NUMBER
PERCENT = NUMBER


def _object(properties: dict, required: list[str] | None = None, extra: bool = False) -> dict:
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }
    if not extra:
        schema["additionalProperties"] = False
    return schema


def _problem_responses(*codes: int) -> dict:
    return {
        str(code): {
            "description": "problem",
            "content": {"application/problem+json": {"schema": _ref("Problem")}},
        }
        for code in codes
    }


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _id_param(name: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
    }


TOKEN_PARAM = {
    "name": "token",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"},
}
PAGE_PARAM = {
    "name": "page",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": 100000},
}

SCHEMAS = {
    "Problem": _object(
        {
            "type": STRING,
            "title": STRING,
            "status": INTEGER,
            "detail": STRING,
            "errors": {"type": "object", "additionalProperties": STRING},
        },
        required=["type", "title", "status", "detail"],
    ),
    "Patient": _object(
        {
            "id": INTEGER,
            "display_name": STRING,
            "mrn": _nullable(STRING),
            "birth_year": _nullable(INTEGER),
            "created_at": MOMENT,
        }
    ),
    "PatientInput": _object(
        {
            "display_name": {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"},
            "mrn": _nullable({"type": "string", "maxLength": 64}),
            "birth_year": _nullable({"type": "integer", "minimum": 1900, "maximum": 2100}),
        },
        required=["display_name"],
    ),
    "Block": _object(
        {
            "id": INTEGER,
            "patient_id": INTEGER,
            "performed_at": MOMENT,
            "region": {"enum": list(anatomy.REGIONS)},
            "levels": {"type": "array", "items": STRING},
            "side": {"enum": list(anatomy.SIDES)},
            "purpose": {"enum": ["diagnostic", "therapeutic"]},
            "sequence": {"enum": ["first", "second", "confirmatory"]},
            "agent": {"enum": list(AGENT_LABELS)},
            "concentration": _nullable(STRING),
            "agent_other": _nullable(STRING),
            "agent_label": STRING,
            "volume_ml_per_level": NUMBER,
            "steroid": BOOLEAN,
            "sedation": {"enum": ["none", "minimal", "moderate"]},
            "baseline_pain": INTEGER,
            "activities": {"type": "array", "items": STRING},
            "diary_token": STRING,
            "diary_url": STRING,
            "link_open": BOOLEAN,
            "link_expires_at": MOMENT,
            "link_revoked_at": _nullable(MOMENT),
            "diary_status": {"enum": ["not_started", "in_progress", "complete", "expired"]},
            "entry_count": INTEGER,
            "created_at": MOMENT,
        }
    ),
    "BlockInput": _object(
        {
            "patient_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
            "performed_at": MOMENT,
            "region": {"enum": list(anatomy.REGIONS)},
            "levels": {
                "type": "array",
                "minItems": 1,
                "maxItems": 10,
                "items": {"type": "string", "maxLength": 10},
            },
            "side": {"enum": list(anatomy.SIDES)},
            "purpose": {"enum": ["diagnostic", "therapeutic"]},
            "sequence": {"enum": ["first", "second", "confirmatory"]},
            "agent": {"enum": list(AGENT_LABELS)},
            "concentration": _nullable({"type": "string", "maxLength": 10}),
            "agent_other": _nullable({"type": "string", "maxLength": 100}),
            "volume_ml_per_level": {"type": "number", "minimum": 0.1, "maximum": 5},
            "steroid": BOOLEAN,
            "sedation": {"enum": ["none", "minimal", "moderate"]},
            "baseline_pain": {"type": "integer", "minimum": 0, "maximum": 10},
            "activities": {
                "type": "array",
                "maxItems": 20,
                "items": {"type": "string", "maxLength": 200},
            },
        },
        required=[
            "patient_id",
            "performed_at",
            "region",
            "levels",
            "side",
            "purpose",
            "sequence",
            "agent",
            "volume_ml_per_level",
            "baseline_pain",
        ],
    ),
    "Entry": _object(
        {
            "id": INTEGER,
            "client_id": STRING,
            "recorded_at": MOMENT,
            "submitted_at": MOMENT,
            "made_at": _nullable(MOMENT),
            "due_at": _nullable(MOMENT),
            "hours_since_block": HOURS,
            "pain": INTEGER,
            "relief_pct": _nullable(PERCENT),
            "reported_relief_pct": _nullable(INTEGER),
            "activity": _nullable(STRING),
            "note": _nullable(STRING),
            "edited": BOOLEAN,
            "source": {"enum": ["patient", "transcribed"]},
        }
    ),
    "EntryInput": _object(
        {
            "recorded_at": MOMENT,
            "made_at": MOMENT,
            "pain": {"type": "integer", "minimum": 0, "maximum": 10},
            "relief_pct": _nullable({"type": "integer", "minimum": 0, "maximum": 100}),
            "activity": _nullable({"type": "string", "maxLength": 200}),
            "note": _nullable({"type": "string", "maxLength": 1000}),
            "client_id": _nullable({"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"}),
        },
        required=["pain"],
    ),
    "ReliefPoint": _object(
        {
            "hours": HOURS,
            "pain": INTEGER,
            "relief_pct": _nullable(PERCENT),
            "reported_relief_pct": _nullable(INTEGER),
            "entry_id": _nullable(INTEGER),
            "edited": BOOLEAN,
            "logged_late": BOOLEAN,
            "before_block": BOOLEAN,
        }
    ),
    "Sustained": _object(
        {
            "threshold_pct": PERCENT,
            "onset_h": _nullable(HOURS),
            "start_h": _nullable(HOURS),
            "end_h": _nullable(HOURS),
            "duration_h": HOURS,
            "open": BOOLEAN,
        }
    ),
    "Analysis": _object(
        {
            "verdict": {"enum": list(VERDICTS)},
            "threshold_pct": PERCENT,
            "peak_relief_pct": _nullable(PERCENT),
            "peak_at_h": _nullable(HOURS),
            "onset_h": _nullable(HOURS),
            "response_duration_h": HOURS,
            "response_open": BOOLEAN,
            "response_start_h": _nullable(HOURS),
            "response_end_h": _nullable(HOURS),
            "duration_class": _nullable(
                {"enum": ["shorter", "consistent", "longer", "undetermined"]}
            ),
            "expected_window_h": {"type": "array", "items": HOURS, "minItems": 2, "maxItems": 2},
            "agent_label": STRING,
            "relief": {"type": "array", "items": _ref("ReliefPoint")},
            "sustained": {"type": "array", "items": _ref("Sustained")},
            "coverage": _object(
                {
                    "entries_in_window": INTEGER,
                    "first_hour_observed": BOOLEAN,
                    "longest_gap_h": _nullable(HOURS),
                    "sufficient": BOOLEAN,
                }
            ),
            "reasons": {"type": "array", "items": STRING},
            "warnings": {"type": "array", "items": STRING},
        }
    ),
    "Series": _object(
        {
            "region": STRING,
            "side": STRING,
            "levels": {"type": "array", "items": STRING},
            "pair_status": _nullable(
                {"enum": ["concordant", "discordant", "confirmed", "not_confirmed", "single"]}
            ),
            "pair_reason": STRING,
            "compared_block_ids": {"type": "array", "items": INTEGER},
            "ablation_criteria": _object(
                {
                    "lcd": _object({"met": BOOLEAN, "reason": STRING}),
                    "consensus_2020": _object({"met": BOOLEAN, "reason": STRING}),
                }
            ),
            "blocks": {
                "type": "array",
                "items": _object({"block_id": INTEGER, "analysis": _ref("Analysis")}),
            },
        }
    ),
    "Settings": _object(
        {
            "threshold_pct": {"enum": [50, 80]},
            "min_baseline_pain": INTEGER,
            "min_entries_in_window": INTEGER,
            "diary_link_hours": INTEGER,
            "schedule": _object(
                {
                    "early_minutes": {"type": "array", "items": INTEGER},
                    "hourly_until_h": INTEGER,
                    "long_acting_until_h": INTEGER,
                }
            ),
            "agent_windows": {
                "type": "object",
                "additionalProperties": _object({"minimum_h": HOURS, "maximum_h": HOURS}),
            },
            "timezone": STRING,
            "language": {"enum": ["en", "es"]},
        }
    ),
    "SettingsInput": _object(
        {
            "threshold_pct": {"enum": [50, 80]},
            "language": {"enum": ["en", "es"]},
            "min_baseline_pain": {"type": "integer", "minimum": 0, "maximum": 10},
            "min_entries_in_window": {"type": "integer", "minimum": 1, "maximum": 24},
            "diary_link_hours": {"type": "integer", "minimum": 1, "maximum": 336},
            "schedule": _object(
                {
                    "early_minutes": {
                        "type": "array",
                        "maxItems": 10,
                        "items": {"type": "integer", "minimum": 1, "maximum": 59},
                    },
                    "hourly_until_h": {"type": "integer", "minimum": 1, "maximum": 48},
                    "long_acting_until_h": {"type": "integer", "minimum": 1, "maximum": 48},
                },
                required=[],
            ),
            "agent_windows": _object(
                {
                    agent: _object(
                        {
                            "minimum_h": {"type": "number", "minimum": 0, "maximum": 72},
                            "maximum_h": {"type": "number", "minimum": 0, "maximum": 72},
                        },
                        required=[],
                    )
                    for agent in AGENT_LABELS
                },
                required=[],
            ),
        },
        required=[],
    ),
    "PublicDiary": _object(
        {
            "performed_at": MOMENT,
            "region": STRING,
            "levels": {"type": "array", "items": STRING},
            "side": STRING,
            "activities": {"type": "array", "items": STRING},
            "timezone": STRING,
            "link_open": BOOLEAN,
            "link_expires_at": MOMENT,
            "due_times": {"type": "array", "items": MOMENT},
            "next_due_at": _nullable(MOMENT),
            "entries": {"type": "array", "items": _ref("Entry")},
            "push_public_key": _nullable(STRING),
        }
    ),
    "PushSubscription": _object(
        {
            "endpoint": {"type": "string", "minLength": 1, "maxLength": 1000},
            "keys": _object(
                {
                    "p256dh": {"type": "string", "minLength": 1, "maxLength": 200},
                    "auth": {"type": "string", "minLength": 1, "maxLength": 100},
                }
            ),
            "expirationTime": _nullable(NUMBER),
        },
        required=["endpoint", "keys"],
    ),
}


SCHEMAS["BlockChanges"] = _object(
    {k: v for k, v in SCHEMAS["BlockInput"]["properties"].items() if k != "patient_id"},
    required=[],
)


def _listing(item: str) -> dict:
    return _object(
        {
            "items": {"type": "array", "items": _ref(item)},
            "page": INTEGER,
            "per_page": INTEGER,
            "total": INTEGER,
        }
    )


CLINIC = [{"bearerAuth": []}]
BINARY = {"type": "string", "format": "binary"}


def openapi_document(server_url: str) -> dict:
    block_id = _id_param("block_id")
    patient_id = _id_param("patient_id")
    paths = {
        "/patients": {
            "get": {
                "summary": "List the clinic's patients",
                "parameters": [PAGE_PARAM],
                "responses": {"200": _json(_listing("Patient")), **_problem_responses(400, 401)},
            },
            "post": {
                "summary": "Create a patient",
                "requestBody": _body(_ref("PatientInput")),
                "responses": {
                    "201": _json(_ref("Patient"), "Created"),
                    **_problem_responses(400, 401, 415, 422),
                },
            },
        },
        "/patients/{patient_id}": {
            "get": {
                "summary": "Read a patient",
                "parameters": [patient_id],
                "responses": {"200": _json(_ref("Patient")), **_problem_responses(401, 404)},
            }
        },
        "/patients/{patient_id}/series": {
            "get": {
                "summary": "The patient's series: pair status and ablation criteria",
                "parameters": [patient_id],
                "responses": {
                    "200": _json(
                        _object(
                            {
                                "patient_id": INTEGER,
                                "series": {"type": "array", "items": _ref("Series")},
                            }
                        )
                    ),
                    **_problem_responses(401, 404),
                },
            }
        },
        "/blocks": {
            "get": {
                "summary": "List the clinic's blocks",
                "parameters": [
                    PAGE_PARAM,
                    {"name": "patient_id", "in": "query", "required": False, "schema": INTEGER},
                ],
                "responses": {"200": _json(_listing("Block")), **_problem_responses(400, 401)},
            },
            "post": {
                "summary": "Record a block; answers with its diary link",
                "requestBody": _body(_ref("BlockInput")),
                "responses": {
                    "201": _json(_ref("Block"), "Created"),
                    **_problem_responses(400, 401, 415, 422),
                },
            },
        },
        "/blocks/{block_id}": {
            "get": {
                "summary": "Read a block",
                "parameters": [block_id],
                "responses": {"200": _json(_ref("Block")), **_problem_responses(401, 404)},
            },
            "patch": {
                "summary": "Change a block's details",
                "parameters": [block_id],
                "requestBody": _body(_ref("BlockChanges")),
                "responses": {
                    "200": _json(_ref("Block")),
                    **_problem_responses(400, 401, 404, 415, 422),
                },
            },
        },
        "/blocks/{block_id}/analysis": {
            "get": {
                "summary": "The block's analysis: relief, durations, verdict, reasons, warnings",
                "parameters": [block_id],
                "responses": {"200": _json(_ref("Analysis")), **_problem_responses(401, 404)},
            }
        },
        "/blocks/{block_id}/entries": {
            "get": {
                "summary": "The block's entries",
                "parameters": [block_id],
                "responses": {
                    "200": _json(_object({"items": {"type": "array", "items": _ref("Entry")}})),
                    **_problem_responses(401, 404),
                },
            },
            "post": {
                "summary": "Transcribe an entry from a paper diary",
                "parameters": [block_id],
                "requestBody": _body(_ref("EntryInput")),
                "responses": {
                    "201": _json(_ref("Entry"), "Created"),
                    "200": _json(_ref("Entry"), "Already stored"),
                    **_problem_responses(400, 401, 404, 415, 422),
                },
            },
        },
        "/blocks/{block_id}/entries.csv": {
            "get": {
                "summary": "The block's diary as CSV",
                "parameters": [block_id],
                "responses": {
                    "200": {"description": "CSV", "content": {"text/csv": {"schema": STRING}}},
                    **_problem_responses(401, 404),
                },
            }
        },
        "/blocks/{block_id}/chart.png": {
            "get": {
                "summary": "The relief chart as PNG",
                "parameters": [
                    block_id,
                    {
                        "name": "scale",
                        "in": "query",
                        "required": False,
                        "schema": {"enum": ["1", "2"]},
                    },
                ],
                "responses": {
                    "200": {"description": "PNG", "content": {"image/png": {"schema": BINARY}}},
                    "304": {"description": "Not modified"},
                    **_problem_responses(401, 404),
                },
            }
        },
        "/blocks/{block_id}/chart.svg": {
            "get": {
                "summary": "The relief chart as SVG",
                "parameters": [block_id],
                "responses": {
                    "200": {"description": "SVG", "content": {"image/svg+xml": {"schema": STRING}}},
                    "304": {"description": "Not modified"},
                    **_problem_responses(401, 404),
                },
            }
        },
        "/blocks/{block_id}/fhir": {
            "get": {
                "summary": "The diary as a FHIR R4 Bundle",
                "parameters": [block_id],
                "responses": {
                    "200": {
                        "description": "FHIR Bundle",
                        "content": {"application/fhir+json": {"schema": {"type": "object"}}},
                    },
                    **_problem_responses(401, 404),
                },
            }
        },
        "/blocks/{block_id}/link/revoke": {
            "post": {
                "summary": "Close the diary link",
                "parameters": [block_id],
                "responses": {"200": _json(_ref("Block")), **_problem_responses(401, 404)},
            }
        },
        "/blocks/{block_id}/link/reopen": {
            "post": {
                "summary": "Reopen the diary link",
                "parameters": [block_id],
                "responses": {"200": _json(_ref("Block")), **_problem_responses(401, 404)},
            }
        },
        "/clinic/settings": {
            "get": {
                "summary": "The clinic's settings",
                "responses": {"200": _json(_ref("Settings")), **_problem_responses(401)},
            },
            "patch": {
                "summary": "Change the clinic's settings (admin)",
                "requestBody": _body(_ref("SettingsInput")),
                "responses": {
                    "200": _json(_ref("Settings")),
                    **_problem_responses(400, 401, 403, 415, 422),
                },
            },
        },
        "/diary/{token}": {
            "get": {
                "summary": "The diary link's public details (the patient's phone)",
                "security": [],
                "parameters": [TOKEN_PARAM],
                "responses": {"200": _json(_ref("PublicDiary")), **_problem_responses(404, 410)},
            }
        },
        "/diary/{token}/entries": {
            "post": {
                "summary": "Post an entry; a repeated client_id answers with the stored entry",
                "security": [],
                "parameters": [TOKEN_PARAM],
                "requestBody": _body(_ref("EntryInput")),
                "responses": {
                    "201": _json(_ref("Entry"), "Created"),
                    "200": _json(_ref("Entry"), "Already stored"),
                    **_problem_responses(400, 404, 410, 415, 422),
                },
            }
        },
        "/diary/{token}/push": {
            "post": {
                "summary": "Turn on Web Push reminders on this phone",
                "security": [],
                "parameters": [TOKEN_PARAM],
                "requestBody": _body(_ref("PushSubscription")),
                "responses": {
                    "201": _json(_object({"subscribed": BOOLEAN}), "Subscribed"),
                    **_problem_responses(400, 404, 410, 415, 422),
                },
            },
            "delete": {
                "summary": "Turn off Web Push reminders on this phone",
                "security": [],
                "parameters": [TOKEN_PARAM],
                "requestBody": _body(_object({"endpoint": {"type": "string", "maxLength": 1000}})),
                "responses": {
                    "204": {"description": "Unsubscribed"},
                    **_problem_responses(400, 404, 415, 422),
                },
            },
        },
        "/diary/{token}/entries/{entry_id}": {
            "patch": {
                "summary": "Correct an entry (the old value is kept in its history)",
                "security": [],
                "parameters": [TOKEN_PARAM, _id_param("entry_id")],
                "requestBody": _body(_ref("EntryInput")),
                "responses": {
                    "200": _json(_ref("Entry")),
                    **_problem_responses(400, 404, 410, 415, 422),
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Block Diary API",
            "version": "1.0.0",
            "description": "Pain diaries after medial branch blocks. Clinic endpoints "
            "take a bearer token; diary endpoints take the link's token.",
        },
        "servers": [{"url": server_url}],
        "security": CLINIC,
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
