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


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_openapi_document(api_app, method, path):
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
        with api_app.app_context():
            case.call_and_validate(headers=api_app.auth_headers, checks=CHECKS)
            db.session.remove()

    check()


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
