"""The OpenAPI document is valid (openapi-spec-validator) and matches the implementation:
schemathesis, run as its users run it (the CLI, every check, every phase including the
stateful one) against a live server, finds nothing; and generated data the document calls
valid, with real records in the path, is never refused as invalid."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from diary.api.blueprint import api as api_operations
from diary.api.spec import openapi_document, openapi_path
from diary.extensions import db
from diary.services.tokens import create_api_token
from tests.conftest import World, add_entries, make_ablation, make_app

schemathesis = pytest.importorskip("schemathesis")

# A deeper local run: FUZZ_RANDOM=1 API_FUZZ_EXAMPLES=200 make test
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "12"))


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
        ablation = make_ablation(
            world.clinic, world.patient, admin, datetime.now(UTC) - timedelta(days=30)
        )
        _, token = create_api_token(admin, "schemathesis")
        db.session.commit()
        app.auth_headers = {"Authorization": f"Bearer {token}"}
        app.real_ids = {
            "block_id": world.block.id,
            "patient_id": world.patient.id,
            "token": world.block.diary_token,
            "entry_id": world.block.entries[0].id,
            "ablation_id": ablation.id,
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
        "/exports/{kind}.{fmt}",
        "/exports/research/{name}.csv",
        "/exports/{name}.schema.json",
        "/exports/fhir",
        "/ablations",
        "/ablations/{ablation_id}",
        "/followup/{token}",
        "/followup/{token}/checkins",
    ):
        assert path in document["paths"], path


def test_the_document_is_valid_openapi_3_1(client):
    """openapi-spec-validator, as a client generator or a gateway reads the document (a
    default of null on a field that may not be null was an error here)."""
    validator = pytest.importorskip("openapi_spec_validator")
    document = client.get("/api/v1/openapi.json").get_json()
    errors = [error.message for error in validator.OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_every_api_route_is_documented(app):
    document_paths = set(app.test_client().get("/api/v1/openapi.json").get_json()["paths"])
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = openapi_path(rule.rule.removeprefix("/api/v1"))
        if "{fmt}" in path and "chart" in path:
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
            "{fmt}", "csv"
        ).replace("{kind}", "entries").replace("{name}", "wide")
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


# --- schemathesis as its users run it ----------------------------------------------------

# Cases per operation and phase: with every check and phase this keeps the run near 40 s
# on a CI machine. ``API_FUZZ_EXAMPLES`` runs it deeper.
CLI_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "3"))
# What positive_data_acceptance expects of data the schema calls valid (its defaults).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


# The app on a port of its own, in a process of its own (its logging is then no test's to
# capture), with a clinic whose records the run can reach: a stateful run follows what it
# creates (a patient, a block, its entries).
LIVE_SERVER = """
import json, sys
from werkzeug.serving import make_server
from diary.extensions import db
from diary.services.tokens import create_api_token
from tests.conftest import World, add_entries, make_ablation, make_app

app = make_app("sqlite:///" + sys.argv[1], LOG_LEVEL="WARNING")
with app.app_context():
    db.create_all()
    world = World()
    world.clinician.role = "admin"
    world.clinic.mrn_system = "urn:oid:2.16.840.1.113883.3.999.1"
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1})
    _, token = create_api_token(world.clinician, "schemathesis")
    db.session.commit()
    db.session.remove()
server = make_server("127.0.0.1", 0, app, threaded=True)
print(json.dumps({"port": server.server_port, "token": token}), flush=True)
server.serve_forever()
"""


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    # In memory where the machine offers it: thousands of requests, each committing.
    memory = Path("/dev/shm")  # noqa: S108 (a folder of our own is made in it)
    folder = (
        Path(tempfile.mkdtemp(dir=memory))
        if memory.is_dir() and os.access(memory, os.W_OK)
        else tmp_path_factory.mktemp("live-api")
    )
    database = folder / "api.sqlite3"
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen(
        [sys.executable, "-c", LIVE_SERVER, str(database)],
        cwd=root,
        env=os.environ | {"PYTHONPATH": str(root), "LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # a failed start shows as no port below
        text=True,
    )
    try:
        started = json.loads(server.stdout.readline())
        yield f"http://127.0.0.1:{started['port']}", started["token"]
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


def schemathesis_config(document: dict) -> str:
    """schemathesis.toml: an operation whose document lists refusals the schema cannot
    state (x-refused-beyond-schema: a time before the block, a clash with the stored
    record) may answer such data with a 422; every other operation may not."""
    lines = []
    for methods in document["paths"].values():
        for operation in methods.values():
            if operation.get("x-refused-beyond-schema"):
                statuses = ", ".join(f'"{status}"' for status in [*ACCEPTED, "422"])
                lines += [
                    "[[operations]]",
                    f'include-operation-id = "{operation["operationId"]}"',
                    f"checks.positive_data_acceptance.expected-statuses = [{statuses}]",
                    "",
                ]
    return "\n".join(lines)


def test_schemathesis_with_every_check_and_phase_finds_nothing(live_api, tmp_path):
    base, token = live_api
    with urllib.request.urlopen(f"{base}/api/v1/openapi.json", timeout=30) as answer:  # noqa: S310
        document = json.load(answer)
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_config(document), encoding="utf-8")
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{base}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(CLI_EXAMPLES),
        "--generation-deterministic",  # the same cases on every run (and no database)
        "--request-timeout",
        "30",
    ]
    started = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    # The stateful phase ran and followed links (a block's diary, an entry's correction).
    links = re.search(r"API Links:\s+(\d+) covered", output)
    assert links and int(links.group(1)) > 0, output[-3000:]
    summary = [
        line.strip() for line in output.splitlines() if re.search(r"\(in |Links|generated", line)
    ]
    print(f"schemathesis: {time.monotonic() - started:.1f} s;", "; ".join(summary))  # noqa: T201


def test_an_id_no_record_can_have_is_404_for_every_method(client, world):
    """What GET answers for /blocks/0, every method answers (never a 405 there)."""
    headers = {"Authorization": "Bearer x"}
    for method, url in (
        ("GET", "/api/v1/blocks/0"),
        ("PATCH", "/api/v1/blocks/0"),
        ("POST", "/api/v1/blocks/0/entries"),
        ("PATCH", "/api/v1/blocks/2147483648"),
        ("POST", "/api/v1/blocks/01/link/revoke"),
        ("PATCH", "/api/v1/diary/abc/entries/0"),
    ):
        assert client.open(url, method=method, headers=headers).status_code == 404, url


def test_every_operation_documents_429_and_a_body_413(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert "429" in operation["responses"], (method, path)
            if "requestBody" in operation:
                assert "413" in operation["responses"], (method, path)


def test_a_rate_limited_diary_operation_answers_the_documented_429(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'limits.sqlite3'}",
        RATELIMIT_ENABLED=True,
        DIARY_RATE_LIMIT="2 per minute",
    )
    with app.app_context():
        db.create_all()
        world = World()
        client = app.test_client()
        url = f"/api/v1/diary/{world.block.diary_token}/entries"
        statuses = [client.post(url, json={"pain": 3}).status_code for _ in range(3)]
        document = client.get("/api/v1/openapi.json").get_json()
        db.session.remove()
        db.engine.dispose()
    assert statuses[-1] == 429
    assert "429" in document["paths"]["/diary/{token}/entries"]["post"]["responses"]
