"""Issue 24, item 4: the migration that brings left and right scores leaves every block
already recorded, bilateral ones included, scored as one, with every figure unchanged
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from diary import create_app
from diary.extensions import db
from tests.conftest import scratch_postgres

BEFORE = "f25a1b2c3d4e"  # the head before left and right
PERFORMED = datetime(2026, 5, 1, 14, tzinfo=UTC)


def _old_bilateral_block() -> None:
    """A bilateral block with one baseline and one score per entry, as before."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO clinic (id, name, timezone, threshold_pct, min_baseline_pain, "
                "min_entries_in_window, diary_link_hours, created_at) "
                "VALUES (1, 'Old', 'UTC', 80, 4, 3, 48, '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO patient (id, clinic_id, display_name, created_at) "
                "VALUES (1, 1, 'O.L.', '2026-01-01 00:00:00')"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO block (id, clinic_id, patient_id, performed_at, region, levels,"
                " side, purpose, sequence, agent, concentration, volume_ml_per_level,"
                " steroid, sedation, baseline_pain, activities, diary_token,"
                " link_expires_at, created_at, changed_at)"
                " VALUES (1, 1, 1, '2026-05-01 14:00:00', 'lumbar', '[\"L4-L5\"]',"
                " 'bilateral', 'diagnostic', 'first', 'lidocaine', '2', 0.5, false, 'none', 8,"
                " '[]', 'tok', '2026-05-03 14:00:00', '2026-05-01 14:00:00',"
                " '2026-05-01 14:00:00')"
            )
        )
        for n, (hours, pain) in enumerate({0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 6}.items()):
            at = (PERFORMED + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")
            connection.execute(
                sa.text(
                    "INSERT INTO diary_entry (block_id, client_id, recorded_at, submitted_at,"
                    " pain, source) VALUES (1, :client_id, :at, :at, :pain, 'patient')"
                ),
                {"client_id": f"old-{n}", "at": at, "pain": pain},
            )


def _check_upgrade(url: str) -> None:
    from diary.models import Block
    from diary.services.analysis import analyse_block, block_readings

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision=BEFORE)
        _old_bilateral_block()
        upgrade()
        block = db.session.get(Block, 1)
        assert block.scoring == "one" and not block.scored_apart
        assert block.baseline_pain == 8
        assert (block.baseline_pain_left, block.baseline_pain_right) == (None, None)
        assert [e.pain for e in block.entries] == [1, 0, 1, 1, 6]
        assert all(e.pain_left is None and e.pain_right is None for e in block.entries)
        analysis = analyse_block(block)
        assert analysis.verdict == "positive"
        assert analysis.response_duration_h == 1.75
        # One reading, counted for both sides.
        readings = block_readings(block)
        assert [(r.sides, r.scored_side) for r in readings] == [(("left", "right"), None)]
        assert readings[0].analysis == analysis
        db.session.remove()
        # Back down and up again: nothing scored apart, so the way back is open.
        downgrade(revision=BEFORE)
        upgrade()
        db.session.remove()
        db.engine.dispose()


def test_sqlite_upgrade_scores_existing_bilateral_blocks_as_one(tmp_path):
    _check_upgrade(f"sqlite:///{tmp_path}/sides.db")


def test_postgres_upgrade_scores_existing_bilateral_blocks_as_one(postgres_url):
    with scratch_postgres(postgres_url, "block_diary_sides_migration") as url:
        _check_upgrade(url.replace("postgresql://", "postgresql+psycopg://"))


def test_downgrade_refuses_while_a_block_is_scored_apart(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"})
    with app.app_context():
        upgrade(revision=BEFORE)
        _old_bilateral_block()
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(sa.text("UPDATE block SET scoring = 'sides' WHERE id = 1"))
        # Flask-Migrate logs the migration's refusal and exits.
        with pytest.raises(SystemExit):
            downgrade(revision=BEFORE)
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT scoring FROM block")).scalar() == "sides"
        db.session.remove()
        db.engine.dispose()
