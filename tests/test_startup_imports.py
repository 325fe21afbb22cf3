"""Start-up stays light: the libraries only a few requests need (PDF, spreadsheet, chart,
FHIR, push, QR code, calendar file, migrations) are imported where they are used, not by
`import app`, which gunicorn, `flask` and every worker's master run first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each of these costs tens to hundreds of milliseconds to import.
LOADED_ON_FIRST_USE = (
    "weasyprint",  # PDF reports
    "pydyf",
    "fontTools",
    "openpyxl",  # spreadsheets
    "matplotlib",  # charts
    "numpy",
    "PIL",
    "fhir",  # FHIR resources (the tests' validation)
    "pywebpush",  # Web Push reminders
    "http_ece",
    "py_vapid",
    "cryptography",
    "requests",
    "qrcode",  # a diary link's QR code
    "icalendar",  # calendar files
    "alembic",  # migrations
    "flask_migrate",
    "jsonschema",
    "hypothesis",
    "pytest",
)

REPORT = """
import gc, json, sys
import app
print(json.dumps({
    "loaded": sorted({name.split(".")[0] for name in sys.modules}),
    "collecting": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


def started() -> dict:
    env = dict(os.environ, BLOCK_DIARY_ENV="development")
    # Not inherited from the test run (pytest has imported much of the list already).
    run = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_import_app_leaves_the_heavy_libraries_unloaded():
    loaded = set(started()["loaded"])
    assert "diary" in loaded and "flask" in loaded
    assert loaded.isdisjoint(LOADED_ON_FIRST_USE), sorted(loaded & set(LOADED_ON_FIRST_USE))


def test_the_cycle_collector_runs_again_once_the_app_is_loaded():
    # app.py keeps the collector off while loading, then freezes what start-up made.
    state = started()
    assert state["collecting"] is True
    assert state["frozen"] > 0
