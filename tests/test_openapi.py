"""The OpenAPI document matches the implementation: schemathesis sends generated requests to
every operation and checks for 5xx answers and responses that break the document."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from diary.api.blueprint import api as api_operations
from diary.api.spec import openapi_document
from diary.extensions import db
from diary.services.tokens import create_api_token
from tests.conftest import World, add_entries, make_app

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# A deeper local run: FUZZ_RANDOM=1 API_FUZZ_EXAMPLES=200 make test
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    path = tmp_path_factory.mktemp("openapi") / "api.sqlite3"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        world = World()
        admin = world.clinician
        admin.role = "admin"
        add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1})
        _, token = create_api_token(admin, "schemathesis")
        db.session.commit()
        app.auth_headers = {"Authorization": f"Bearer {token}"}
        app.real_ids = {
            "block_id": world.block.id,
            "patient_id": world.patient.id,
            "token": world.block.diary_token,
            "entry_id": world.block.entries[0].id,
        }
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


OPERATIONS = [
    (method.upper(), path)
    for path, methods in openapi_document(api_operations, "http://localhost/api/v1", {})[
        "paths"
    ].items()
    for method in methods
]


def run_cases(api_app, method: str, path: str, checks, real_records: bool = False) -> None:
    """Generated requests to one operation, each answer put through ``checks``;
    ``real_records`` puts the world's own ids in the path, so that data reaches the body."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    operation = schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        # The same cases on every run, so CI is repeatable; FUZZ_RANDOM=1 explores anew.
        derandomize=not os.environ.get("FUZZ_RANDOM"),
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        if real_records:
            for name in case.path_parameters or {}:
                if name in api_app.real_ids:
                    case.path_parameters[name] = api_app.real_ids[name]
        with api_app.app_context():
            case.call_and_validate(headers=api_app.auth_headers, checks=checks)
            db.session.remove()

    check()


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_openapi_document(api_app, method, path):
    run_cases(api_app, method, path, CHECKS)


def test_document_is_openapi_3_1_and_lists_the_required_paths(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    for path in (
        "/patients",
        "/patients/{patient_id}",
        "/patients/{patient_id}/series",
        "/blocks",
        "/blocks/{block_id}",
        "/blocks/{block_id}/analysis",
        "/blocks/{block_id}/entries",
        "/blocks/{block_id}/entries.csv",
        "/blocks/{block_id}/chart.png",
        "/blocks/{block_id}/chart.svg",
        "/blocks/{block_id}/fhir",
        "/clinic/settings",
        "/diary/{token}",
        "/diary/{token}/entries",
    ):
        assert path in document["paths"], path


def test_every_api_route_is_documented(app):
    document_paths = set(app.test_client().get("/api/v1/openapi.json").get_json()["paths"])
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = rule.rule.removeprefix("/api/v1").replace("<int:", "{").replace("<", "{")
        path = path.replace(">", "}")
        if "{fmt}" in path:
            assert {path.replace("{fmt}", "png"), path.replace("{fmt}", "svg")} <= document_paths
        elif "{action}" in path:
            assert {path.replace("{action}", a) for a in ("revoke", "reopen")} <= document_paths
        else:
            assert path in document_paths, path


@schemathesis.check
def valid_data_is_not_refused_as_invalid(ctx, response, case):
    """Data the document calls valid is never refused as not matching it (a 422 "Some
    fields are not valid." would mean the document and the endpoint disagree); a refusal
    of what the document cannot say (a time before the block) is another answer."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code in (400, 422):
        try:
            body = response.json()
        except ValueError:
            return None
        if body.get("detail") == "Some fields are not valid.":
            raise AssertionError(f"valid data refused: {body.get('errors')}")
    return None


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_data_the_document_calls_valid_is_accepted(api_app, method, path):
    run_cases(api_app, method, path, [valid_data_is_not_refused_as_invalid], real_records=True)


def test_a_method_an_address_does_not_take_is_405_with_allow(client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        url = "/api/v1" + path.replace("{block_id}", str(world.block.id)).replace(
            "{patient_id}", str(world.patient.id)
        ).replace("{token}", world.block.diary_token).replace("{entry_id}", "1").replace(
            "{fmt}", "png"
        )
        for method in ("get", "post", "patch", "put", "delete"):
            if method in operations:
                continue
            response = client.open(url, method=method.upper())
            if response.status_code == 404:
                continue  # a path whose variables this world has not filled
            assert response.status_code == 405, (method, path)
            allowed = {m.strip().lower() for m in response.headers["Allow"].split(",")}
            assert set(operations) <= allowed, (method, path, allowed)
            assert response.mimetype == "application/problem+json"
