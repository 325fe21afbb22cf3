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
# The app's own modules a few downloads or the command line need, loaded then.
OWN_MODULES_ON_FIRST_USE = (
    "diary.records.fhir",
    "diary.records.research",
    "diary.records.followup_redcap",
    "diary.cli",
    "diary.backups",
    "diary.sample_data",
)

REPORT = """
import gc, json, sys
import app
print(json.dumps({
    "loaded": sorted(sys.modules),
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
    loaded = started()["loaded"]
    packages = {name.split(".")[0] for name in loaded}
    assert "diary" in packages and "flask" in packages
    assert packages.isdisjoint(LOADED_ON_FIRST_USE), sorted(packages & set(LOADED_ON_FIRST_USE))
    early = set(loaded) & set(OWN_MODULES_ON_FIRST_USE)
    assert not early, sorted(early)


def test_the_commands_are_all_there_when_the_command_line_asks(app):
    commands = app.cli.list_commands(None)
    assert {"demo", "clinic", "reminders", "backup", "restore", "synth", "merge-patients"} <= set(
        commands
    )
    assert app.cli.get_command(None, "clinic").list_commands(None) == ["create", "summaries"]


def test_the_cycle_collector_runs_again_once_the_app_is_loaded():
    # app.py keeps the collector off while loading, then freezes what start-up made.
    state = started()
    assert state["collecting"] is True
    assert state["frozen"] > 0
