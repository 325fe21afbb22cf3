"""FHIR R4 validation with ``fhir.resources`` 6.1.0, the last release of its R4 models (6.2
and later are R4B, 7 and later R5). It needs pydantic 1, which the app cannot share, so
it lives in a venv of its own (``.venv/fhir-r4``, made once) and reads bundles on stdin.
A test that needs it is skipped, with the reason, when that venv cannot be made (no
registry to install from)."""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

PACKAGES = ["fhir.resources==6.1.0", "pydantic<2"]
VENV = Path(sys.prefix) / "fhir-r4"
PYTHON = VENV / "bin" / "python"
# Reads a JSON list of bundles; prints a JSON list of each one's errors (empty: valid).
VALIDATE = """
import json, sys
from fhir.resources.bundle import Bundle
errors = []
for bundle in json.load(sys.stdin):
    try:
        Bundle.parse_obj(bundle)
        errors.append([])
    except Exception as error:
        errors.append([str(error)])
print(json.dumps(errors))
"""
_unavailable: list[str] = []


def _installed() -> bool:
    check = [str(PYTHON), "-c", "import fhir.resources, pydantic; assert pydantic.VERSION < '2'"]
    return PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0


def r4_python() -> Path:
    """The R4 venv's Python, made on first use; skips the test when it cannot be."""
    if _unavailable:
        pytest.skip(_unavailable[0])
    if not _installed():
        venv.create(VENV, with_pip=True, clear=True)
        install = subprocess.run(
            [str(PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PACKAGES],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if install.returncode != 0 or not _installed():
            _unavailable.append(
                "fhir.resources 6.1.0 (FHIR R4) could not be installed in "
                f"{VENV}: {install.stderr.strip()[-300:]}"
            )
            pytest.skip(_unavailable[0])
    return PYTHON


def r4_errors(*bundles: dict) -> list[list[str]]:
    """Each bundle's validation errors under fhir.resources 6.1.0 (R4)."""
    result = subprocess.run(
        [str(r4_python()), "-c", VALIDATE],
        input=json.dumps(bundles),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def assert_valid_r4(*bundles: dict) -> None:
    errors = r4_errors(*bundles)
    assert errors == [[] for _ in bundles], errors
