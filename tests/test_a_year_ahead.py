"""No test depends on today's date: the tests that handle calendar dates pass with the
clock a year ahead (libfaketime, Debian's `faketime`), and every test file that writes a
fixed date is among them, so a new one cannot slip by."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# Tests that post a date through a form (judged against the clock: "weeks old", "ahead")
# or build records from fixed dates; run on SQLite, whose clock is the process's own.
DATE_SENSITIVE = {
    "test_clinic_pages.py": "record_block or other_agent or refuses_bad_input or another_clinic",
    "test_no_patient_data_in_logs.py": "full_session and sqlite",
    "test_api.py": "create_block or invalid_block or clinic_create or series",
    "test_csv_export.py": "(filters or summary_export) and sqlite",
    "test_fhir.py": "(without_entries or procedures or observations) and sqlite",
    "test_backup_and_migrations.py": "upgrade_from_the_first_migration",
    "test_patient_records.py": "upgrade_refuses_duplicate",
    "test_daily_scores.py": "sqlite or last_due_time",
    "test_entries_csv_bytes.py": "sqlite",
    "test_patient_page_cache.py": "sqlite",
    "test_first_view_pages.py": "sqlite",
    "test_list_pages_bytes.py": "sqlite",
    "test_date_words.py": "",  # fixed days formatted, and a page drawn from the clock
}
# Fixed dates that never meet the clock: pure functions given their own times, a date
# that is refused whatever the day, a comment.
NEVER_MEET_THE_CLOCK = {
    "test_relief.py",
    "test_charts.py",
    "test_schedule.py",
    "test_push.py",
    "test_hostile_input.py",
    "test_languages.py",
    "test_pathway.py",  # the pathway's rules take the day asked as an argument
    "test_next_steps.py",  # only days refused whatever the day (2026-02-30)
    "test_sides_migration.py",  # a block recorded before the migration, read after it
    "test_repeated_fields.py",  # a time sent twice is refused whatever the time
}
FIXED_DATE = re.compile(r"\b20\d\d-\d\d-\d\d|datetime\(20\d\d,|date\(20\d\d,")


def test_every_file_with_a_fixed_date_is_run_a_year_ahead():
    with_dates = {
        path.name
        for path in TESTS.rglob("test_*.py")
        if path.name != Path(__file__).name and FIXED_DATE.search(path.read_text())
    }
    unchecked = with_dates - set(DATE_SENSITIVE) - NEVER_MEET_THE_CLOCK
    assert not unchecked, f"add these to DATE_SENSITIVE (or NEVER_MEET_THE_CLOCK): {unchecked}"


def test_the_date_sensitive_tests_pass_with_the_clock_a_year_ahead():
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("faketime is not installed (apt-get install faketime; make test does it)")
    # -k matches a test's module too: each file with its own selection.
    expression = " or ".join(
        f"({name[:-3]} and ({keywords}))" if keywords else name[:-3]
        for name, keywords in DATE_SENSITIVE.items()
    )
    selections = [str(TESTS / name) for name in DATE_SENSITIVE]
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    done = subprocess.run(
        [faketime, "+400 days", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-x", "-k", expression, *selections],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary


# Pages that show the clinic's time of day next to "now": a due time past midnight there
# is rightly shown with its date, which a test stopping the clock at the real time met
# only at night (two did, at 05:01 and 05:15 UTC).
TIME_OF_DAY_SENSITIVE = [
    "test_patient_diary.py",
    "test_kept_diary_pages.py",
    "test_patient_page_cache.py",
    "test_daily_scores.py",
]


def test_the_patient_page_tests_pass_late_at_night_in_the_clinic():
    faketime = shutil.which("faketime")
    if faketime is None:
        pytest.skip("faketime is not installed (apt-get install faketime; make test does it)")
    # 23:30 in Chicago (the tests' clinics' zone, UTC-6 in winter), tomorrow: the clock
    # ticks on from there.
    late = datetime.now(UTC).replace(hour=5, minute=30, second=0) + timedelta(days=1)
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    done = subprocess.run(
        [faketime, "-f", "@" + late.strftime("%Y-%m-%d %H:%M:%S"), sys.executable, "-m",
         "pytest", "-q", "-p", "no:cacheprovider", "-x",
         *(str(TESTS / name) for name in TIME_OF_DAY_SENSITIVE)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary, summary
