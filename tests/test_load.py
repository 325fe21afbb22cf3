"""A short version of bench/phones.py: phones posting with retries to gunicorn (4 workers,
SQLite WAL), one worker killed with SIGKILL mid-way; nothing acknowledged is lost or doubled."""

from __future__ import annotations

import shutil

import pytest

from bench.phones import run
from tests.conftest import scratch_postgres


@pytest.mark.skipif(not shutil.which("pgrep"), reason="pgrep is needed to find a worker")
def test_acknowledged_entries_survive_load_and_a_killed_worker():
    result = run(phones=12, entries=10, workers=4, kill_worker=True)
    assert result["killed_worker"] is not None and result["server_survived"]
    assert result["acknowledged"] == 120
    assert result["acknowledged_missing"] == []
    assert result["duplicates"] == {}
    assert result["stored"] == 120
    assert result["server_errors"] == 0 and result["locked_errors"] == 0
    assert result["mismatched_repeats"] == 0
    assert result["integrity"] == "ok"


@pytest.mark.skipif(not shutil.which("pgrep"), reason="pgrep is needed to find a worker")
def test_the_same_on_postgresql(postgres_url):
    """On a database of its own, so the rest of the suite's scratch database stays clean."""
    with scratch_postgres(postgres_url, "block_diary_load_test") as url:
        result = run(
            phones=12,
            entries=10,
            workers=4,
            kill_worker=True,
            database_url=url.replace("postgresql://", "postgresql+psycopg://"),
        )
    assert result["acknowledged"] == 120 and result["stored"] == 120
    assert result["acknowledged_missing"] == [] and result["duplicates"] == {}
    assert result["server_errors"] == 0 and result["server_survived"]
