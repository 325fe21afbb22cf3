"""API operations described once, beside their views, and the OpenAPI 3.1 document
generated from those descriptions and the models of diary/api/schemas.py.

``@api.post("/patients", body=PatientInput, answers={201: Patient})`` registers the
view on the blueprint, validates the JSON body into the model (passed to the view as
``body``), validates query parameters the same way (``query``), turns the view's model
into JSON, and records the operation for the document.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, request
from flask_babel import gettext
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from diary.api import schemas
from diary.api.problems import ApiProblem
from diary.json_members import repeated_member

# Media types of answers that are not JSON models.
MediaAnswer = tuple[str, dict[str, Any]]
CSV: MediaAnswer = ("text/csv", {"type": "string"})
PNG: MediaAnswer = ("image/png", {"type": "string", "format": "binary"})
SVG: MediaAnswer = ("image/svg+xml", {"type": "string"})
FHIR: MediaAnswer = ("application/fhir+json", {"type": "object"})
XLSX: MediaAnswer = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    {"type": "string", "format": "binary"},
)
JSON_OBJECT: MediaAnswer = ("application/json", {"type": "object"})
NOTHING = None

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID}
TOKEN_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$"}
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f]")
# What a schema's pattern asks for, said to a person rather than as the pattern itself.
PATTERN_MESSAGES = {
    schemas.CLIENT_ID: "must be 8 to 64 letters, digits, '-' or '_' (an id your app makes once)",
    schemas.NOT_BLANK: "must not be blank",
    schemas.MRN_SYSTEM: "must be an address starting http://, https://, urn:oid: or urn:uuid:",
}
DESCRIPTIONS = {200: "OK", 201: "Created", 204: "Done", 304: "Not modified"}
PROBLEM_DESCRIPTIONS = {
    400: "The request is malformed (a query parameter, or a body that is no JSON object)",
    401: "No valid API token",
    403: "Not allowed for this account",
    404: "No such record in your clinic",
    409: "Conflicts with the record's current state",
    410: "The diary link (or the follow-up link) is closed",
    413: "The body is larger than the server accepts (1 MB)",
    415: "The body is not JSON",
    422: "A field breaks the document's rules: `errors` names each one",
    429: "Too many requests: wait a minute (the Retry-After header says how long)",
}
# Where an answer leads (OpenAPI links): the block's diary link reaches the diary's own
# operations, and an entry logged can be corrected. A generated client, or a stateful
# test, follows them.
_TOKEN = {"token": "$response.body#/diary_token"}
LINKS: dict[tuple[str, str], dict[str, dict]] = {
    ("POST", "/blocks"): {
        "ReadTheDiary": {"operationId": "diary", "parameters": _TOKEN},
        "LogAnEntry": {"operationId": "diary_add_entry", "parameters": _TOKEN},
        "AskForReminders": {"operationId": "diary_subscribe", "parameters": _TOKEN},
        "TranscribeAnEntry": {
            "operationId": "transcribe_entry",
            "parameters": {"block_id": "$response.body#/id"},
        },
        "ExportItsFhir": {
            "operationId": "block_fhir",
            "parameters": {"block_id": "$response.body#/id"},
        },
    },
    ("POST", "/ablations"): {
        "ReadTheFollowUp": {
            "operationId": "followup",
            "parameters": {"token": "$response.body#/follow_up/followup_token"},
        },
        "SendACheckin": {
            "operationId": "followup_add_checkin",
            "parameters": {"token": "$response.body#/follow_up/followup_token"},
        },
        "ReadTheAblation": {
            "operationId": "get_ablation",
            "parameters": {"ablation_id": "$response.body#/id"},
        },
    },
    ("POST", "/diary/<token>/entries"): {
        "CorrectTheEntry": {
            "operationId": "diary_correct_entry",
            "parameters": {"token": "$request.path.token", "entry_id": "$response.body#/id"},
        },
    },
}
# Left and right (docs/pathway-rules.md): which scores and baselines a block takes
# depends on its side and scoring, the stored ones when left out.
BASELINES = (
    "baseline_pain for a block scored as one; baseline_pain_left and baseline_pain_right "
    "(and no baseline_pain) for a bilateral block scored left and right apart; scoring "
    "sides only for a bilateral block"
)
SCORES = (
    "pain, or pain_left and pain_right (and no pain) when the block is scored left and right apart"
)
# What the service refuses (422, naming the field) beyond what JSON Schema can state: a
# rule that compares two times, or a body with the record already stored, or the clock.
# The document lists these on the operation (x-refused-beyond-schema), so that a tool
# sending data the schema calls valid knows which refusals to expect.
RULES_BEYOND_SCHEMA: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/blocks"): ("patient_id is a patient of your clinic", BASELINES),
    ("PATCH", "/blocks/<int:block_id>"): (
        "the levels must be the region's, the concentration the agent's, with the block's "
        "stored values for the fields left out",
        BASELINES,
        "scoring stays once the diary has scores",
    ),
    ("POST", "/blocks/<int:block_id>/entries"): (
        "recorded_at is not before the block, nor in the future",
        "made_at is not before recorded_at",
        "a diary holds at most the clinic's max_entries_per_diary entries",
        SCORES,
    ),
    ("POST", "/diary/<token>/entries"): (
        "recorded_at is not before the block, nor in the future",
        "made_at is not before recorded_at",
        "a diary holds at most the clinic's max_entries_per_diary entries",
        SCORES,
    ),
    ("PATCH", "/diary/<token>/entries/<int:entry_id>"): (
        "recorded_at is not before the block, nor in the future",
        "an entry may be corrected only for a while after it was made",
        SCORES,
    ),
    ("POST", "/ablations"): (
        "patient_id is a patient of your clinic",
        "the baseline is baseline_pain when the pain is scored as one, baseline_pain_left "
        "and baseline_pain_right when a bilateral ablation is scored apart",
        "repeat_of_id is an earlier ablation of the same patient, at the same region and "
        "a level in common",
    ),
    ("PATCH", "/ablations/<int:ablation_id>"): (
        "the levels must be the region's, and the baselines the scoring's, with the "
        "ablation's stored values for the fields left out",
        "repeat_of_id is an earlier ablation of the same patient",
    ),
    ("POST", "/followup/<token>/checkins"): (
        "pain is required when the pain is scored as one, pain_left and pain_right when "
        "the sides are scored apart",
        "a scheduled check-in is open on the day made_at falls on (7 days before to 21 "
        "days after its due date, clinic settings)",
        "made_at is not before the procedure, nor in the future",
    ),
    ("POST", "/ablations/<int:ablation_id>/checkins"): (
        "pain is required when the pain is scored as one, pain_left and pain_right when "
        "the sides are scored apart",
        "made_on is not before the procedure, nor in the future",
        "months is one of the follow-up's scheduled check-ins",
    ),
    ("POST", "/blocks/<int:block_id>/follow-up/checkins"): (
        "pain is required when the pain is scored as one, pain_left and pain_right when "
        "the sides are scored apart",
        "made_on is not before the procedure, nor in the future",
        "months is one of the follow-up's scheduled check-ins",
    ),
    ("PATCH", "/clinic/settings"): (
        "an agent's minimum_h is not above its maximum_h, with the stored values for "
        "those left out",
    ),
    ("POST", "/followup/<token>/push"): (
        "the endpoint is one of the push services the server is configured for",
    ),
    ("POST", "/diary/<token>/push"): (
        "the endpoint is one of the push services the server is configured for",
    ),
}


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    answers: dict[int, Any]
    problems: tuple[int, ...]
    public: bool
    notes: dict[int, str] = field(default_factory=dict)


class ApiBlueprint:
    """A blueprint whose routes are operations of the OpenAPI document."""

    def __init__(self, blueprint: Blueprint):
        self.blueprint = blueprint
        self.operations: list[Operation] = []
        # Looked up on every request, so kept as the operations are registered.
        self.public_endpoints: set[str] = set()
        self._by_rule: dict[tuple[str, str], Operation] = {}
        self._views: dict[Callable, Callable] = {}

    def operation(
        self,
        method: str,
        rule: str,
        *,
        summary: str,
        answers: dict[int, Any],
        problems: tuple[int, ...] = (),
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        public: bool = False,
        notes: dict[int, str] | None = None,
        endpoint: str | None = None,
        defaults: dict[str, Any] | None = None,
    ) -> Callable[[Callable], Callable]:
        """Register ``rule`` for ``method``. One view may carry several operations (one
        rule each, told apart by ``defaults``); it is wrapped once."""

        # Any operation may be rate limited (the diary link's limit, or a limit the
        # installation sets), and any body may be over the size limit.
        problems = tuple(sorted({*problems, 429}))
        if body is not None:
            problems = tuple(sorted({*problems, 400, 413, 415, 422}))
        if query is not None:
            problems = tuple(sorted({*problems, 400}))
        if not public:
            problems = tuple(sorted({*problems, 401}))

        def register(view: Callable) -> Callable:
            name = endpoint or view.__name__
            op = Operation(
                method.upper(), rule, name, summary, body, query, answers, problems, public,
                notes or {},
            )  # fmt: skip
            self.operations.append(op)
            self._by_rule[(rule, op.method)] = op
            if public:
                self.public_endpoints.add(f"{self.blueprint.name}.{name}")
            if view not in self._views:
                self._views[view] = self._wrap(view)
            self.blueprint.add_url_rule(
                rule, name, self._views[view], methods=[method.upper()], defaults=defaults or {}
            )
            return view

        return register

    def get(self, rule: str, **options: Any) -> Callable[[Callable], Callable]:
        return self.operation("GET", rule, **options)

    def post(self, rule: str, **options: Any) -> Callable[[Callable], Callable]:
        return self.operation("POST", rule, **options)

    def patch(self, rule: str, **options: Any) -> Callable[[Callable], Callable]:
        return self.operation("PATCH", rule, **options)

    def delete(self, rule: str, **options: Any) -> Callable[[Callable], Callable]:
        return self.operation("DELETE", rule, **options)

    def _operation_now(self) -> Operation:
        assert request.url_rule is not None  # called from a routed view
        rule = request.url_rule.rule.removeprefix(self.blueprint.url_prefix or "")
        return self._by_rule[(rule, request.method)]

    def body(self) -> Any:
        """The operation's JSON body as its model. Views read it after finding the records
        in their path, so a stranger's id is a 404 whatever the body holds."""
        model = self._operation_now().body
        assert model is not None, "this operation declares no body"
        return read_body(model)

    def _wrap(self, view: Callable) -> Callable:
        @wraps(view)
        def api_view(**kwargs: Any) -> Any:
            op = self._operation_now()
            if op.query is not None:
                kwargs["query"] = parse(op.query, dict(request.args.items()), 400)
            return as_response(view(**kwargs))

        return api_view


def read_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise ApiProblem(415, "Send the body as JSON (Content-Type: application/json).")
    raw = request.get_data(cache=True)
    if not raw.lstrip().startswith(b"{"):
        raise ApiProblem(400, "The request body must be a JSON object.")
    refuse_repeated_keys(raw)
    return parse(model, raw, 422)


def refuse_repeated_keys(raw: bytes) -> None:
    """A 400 for a JSON object naming a member twice (``{"pain": 3, "pain": 7}``), at any
    depth: the models' parser keeps the last unsaid, so one answer would be dropped.
    Text that is not JSON is left to the model's parse, which says what is wrong."""
    try:
        key = repeated_member(raw)
    except RecursionError:
        raise ApiProblem(400, "The request body is nested too deeply.") from None
    if key is not None:
        message = gettext(
            "“%(field)s” was sent twice in one request: send it once. Nothing was saved.",
            field=key[:40],
        )
        raise ApiProblem(400, message, {key: message})


def _integral_floats_as_ints(value: Any) -> Any:
    """JSON Schema counts 2.0 as an integer; strict models would refuse it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    return value


def parse(model: type[BaseModel], data: Any, status: int) -> BaseModel:
    """``data`` (JSON text, or query parameters) as ``model``; every error in one problem."""
    try:
        if isinstance(data, bytes | str):
            return _validate_json(model, data)
        return model.model_validate(data)
    except ValidationError as error:
        errors = field_errors(error)
        if "" in errors:  # not an object at all, or JSON the parser gave up on
            raise ApiProblem(
                400, f"The request body must be a JSON object ({errors['']})."
            ) from None
        raise ApiProblem(status, "Some fields are not valid.", errors) from None


def _validate_json(model: type[BaseModel], text: bytes | str) -> BaseModel:
    """JSON text as ``model``, parsed once. Only a body refused for an integer sent as
    2.0 (which JSON Schema, so the document, counts as an integer) is read again with
    such numbers as integers."""
    try:
        return model.model_validate_json(text)
    except ValidationError as error:
        if not any(
            item["type"] == "int_type" and isinstance(item.get("input"), float)
            for item in error.errors(include_url=False)
        ):
            raise
    try:
        decoded = json.loads(text)
    except RecursionError:
        raise ApiProblem(400, "The request body is nested too deeply.") from None
    return model.model_validate_json(json.dumps(_integral_floats_as_ints(decoded)))


def field_errors(error: ValidationError) -> dict[str, str]:
    """Each top-level field's first error, with the path inside it where there is one."""
    errors: dict[str, str] = {}
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"]]
        top = location[0] if location else ""
        inner = ".".join(location[1:])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not a known field"
        elif item["type"] == "string_pattern_mismatch" and CONTROL_CHARACTER.search(
            str(item.get("input", ""))
        ):
            message = "holds a control character: only tab and line breaks may be typed"
        elif item["type"] == "string_pattern_mismatch":
            pattern = str((item.get("ctx") or {}).get("pattern"))
            message = PATTERN_MESSAGES.get(pattern, message)
        elif item["type"] == "missing":
            message = "is required"
        errors.setdefault(top, f"{inner}: {message}" if inner else message)
    return errors


def as_response(value: Any) -> Any:
    """A view's model (optionally with status and headers) as a JSON response."""
    if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
        return (value[0].model_dump(mode="json"), *value[1:])
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value


# --- the document --------------------------------------------------------------------

# A rule's variable: <name>, <int:name> or <any(a, b):name>.
_PARAMETER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def openapi_path(rule: str) -> str:
    return _PARAMETER.sub(lambda m: "{" + m.group(3) + "}", rule)


def _path_parameters(rule: str) -> list[dict]:
    parameters = []
    for converter, arguments, name in _PARAMETER.findall(rule):
        if converter == "any":
            words = [word.strip().strip("'\"") for word in arguments.split(",")]
            schema: dict = {"type": "string", "enum": words}
        else:
            schema = ID_SCHEMA if converter == "int" else TOKEN_SCHEMA
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _query_parameters(model: type[BaseModel], components: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": _not_null(prop)}
        for name, prop in schema["properties"].items()
    ]


def _not_null(schema: dict) -> dict:
    """A query parameter's schema without its ``null``: a parameter left out is None, and
    a query string has no null to send."""
    options = [o for o in schema.get("anyOf", []) if o != {"type": "null"}]
    if not options or len(options) == len(schema.get("anyOf", [])):
        return schema
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    if len(options) == 1:
        return rest | options[0]
    return rest | {"anyOf": options}


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _answer(status: int, answer: Any, note: str | None) -> dict:
    description = note or DESCRIPTIONS.get(status, "OK")
    if answer is NOTHING:
        return {"description": description}
    if isinstance(answer, tuple):
        answer = [answer]
    if isinstance(answer, list):  # media types, e.g. [CSV, XLSX]: the path says which
        content = {media: {"schema": schema} for media, schema in answer}
        return {"description": description, "content": content}
    return {"description": description, "content": {"application/json": {"schema": _ref(answer)}}}


def _models(api: ApiBlueprint) -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = [schemas.Problem]
    for op in api.operations:
        for model in (op.body, *op.answers.values()):
            if isinstance(model, type) and issubclass(model, BaseModel) and model not in models:
                models.append(model)
    return models


def _without_impossible_defaults(schema: Any) -> Any:
    """``schema`` without ``"default": null`` where null is not allowed: a field left out
    of a change keeps its value, which no default can say (and such a default makes the
    document invalid)."""
    if isinstance(schema, list):
        return [_without_impossible_defaults(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {key: _without_impossible_defaults(value) for key, value in schema.items()}
    if "default" in cleaned and cleaned["default"] is None and not _allows_null(cleaned):
        del cleaned["default"]
    return cleaned


def _allows_null(schema: dict) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(
        isinstance(option, dict) and _allows_null(option)
        for option in schema.get("anyOf", []) + schema.get("oneOf", [])
    )


def openapi_document(api: ApiBlueprint, server_url: str, info: dict) -> dict:
    models = _models(api)
    _, top = models_json_schema(
        [
            (model, "validation" if issubclass(model, schemas.Input) else "serialization")
            for model in models
        ],
        ref_template="#/components/schemas/{model}",
    )
    components: dict = {
        name: _without_impossible_defaults(schema) for name, schema in top.get("$defs", {}).items()
    }

    def problem(code: int, rules: tuple[str, ...], notes: dict[int, str]) -> dict:
        description = PROBLEM_DESCRIPTIONS.get(code, "Problem")
        if code == 422 and rules:
            description += "; also refused, as the schema cannot say: " + "; ".join(rules)
        return {
            "content": {"application/problem+json": {"schema": _ref(schemas.Problem)}},
            "description": notes.get(code, description),
        }

    paths: dict[str, dict] = {}
    for op in api.operations:
        operation_id = op.endpoint
        if sum(other.endpoint == op.endpoint for other in api.operations) > 1:
            operation_id += "_" + re.sub(r"\W+", "_", op.rule.rsplit("/", 1)[1])
        operation: dict[str, Any] = {"summary": op.summary, "operationId": operation_id}
        if op.public:
            operation["security"] = []
        parameters = _path_parameters(op.rule)
        if op.query is not None:
            parameters += _query_parameters(op.query, components)
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(op.body)}},
            }
        responses = {
            str(status): _answer(status, answer, op.notes.get(status))
            for status, answer in op.answers.items()
        }
        links = LINKS.get((op.method, op.rule))
        if links:
            for status in ("200", "201"):
                if status in responses:
                    responses[status]["links"] = links
        rules = RULES_BEYOND_SCHEMA.get((op.method, op.rule), ())
        responses.update({str(code): problem(code, rules, op.notes) for code in op.problems})
        operation["responses"] = responses
        if rules:
            operation["x-refused-beyond-schema"] = list(rules)
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": info,
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
