"""Backups of a busy SQLite database, restore, and upgrading old databases with data."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from diary import create_app
from diary.extensions import db
from diary.services.analysis import analyse_block
from tests.conftest import World, add_entries, make_app, scratch_postgres


def test_backup_of_a_busy_database_round_trips(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/live.sqlite3")
    with app.app_context():
        upgrade()  # a database at a known migration, as a real one is
        world = World()
        token = world.block.diary_token
    stop = threading.Event()
    posted = []

    def phone():
        client = app.test_client()
        n = 0
        while not stop.is_set() and n < 400:
            n += 1
            response = client.post(
                f"/api/v1/diary/{token}/entries",
                json={"pain": n % 11, "client_id": f"busy-entry-{n:04d}"},
            )
            if response.status_code in (200, 201):
                posted.append(n)

    writer = threading.Thread(target=phone)
    writer.start()
    runner = app.test_cli_runner()
    while len(posted) < 20:
        time.sleep(0.01)
    with app.app_context():
        result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite3")])
    stop.set()
    writer.join()
    assert result.exit_code == 0, result.output
    assert "integrity ok" in result.output
    assert (tmp_path / "copy.sqlite3").stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        in_copy = copy.execute("SELECT count(*) FROM diary_entry").fetchone()[0]
    assert 20 <= in_copy <= len(posted)

    with app.app_context():
        restored = runner.invoke(args=["restore", "--yes", str(tmp_path / "copy.sqlite3")])
        assert restored.exit_code == 0, restored.output
        kept = list(tmp_path.glob("live.sqlite3.before-restore-*Z"))
        assert len(kept) == 1 and kept[0].stat().st_mode & 0o777 == 0o600
        count = db.session.execute(sa.text("SELECT count(*) FROM diary_entry")).scalar_one()
        assert count == in_copy
        db.engine.dispose()


def test_restore_refuses_a_damaged_file(tmp_path, runner):
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["restore", "--yes", str(damaged)])
    assert result.exit_code != 0


def test_backups_are_private_and_never_overwrite(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/live.sqlite3")
    with app.app_context():
        upgrade()
        runner = app.test_cli_runner()
        copy = tmp_path / "private" / "nightly.sqlite3"
        assert runner.invoke(args=["backup", str(copy)]).exit_code == 0
        assert copy.stat().st_mode & 0o777 == 0o600
        assert copy.parent.stat().st_mode & 0o777 == 0o700
        again = runner.invoke(args=["backup", str(copy)])
        assert again.exit_code != 0 and "exists already" in again.output
        db.engine.dispose()


def test_restore_takes_only_a_block_diary_database_while_nothing_serves(tmp_path):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    app = make_app(f"sqlite:///{tmp_path}/live.sqlite3", PUBLIC_URL=f"http://127.0.0.1:{port}")
    with app.app_context():
        upgrade()
        World()
        runner = app.test_cli_runner()
        assert runner.invoke(args=["backup", str(tmp_path / "good.sqlite3")]).exit_code == 0

        other = tmp_path / "other.sqlite3"
        with sqlite3.connect(other) as connection:
            connection.execute("CREATE TABLE notes (text TEXT)")
        refused = runner.invoke(args=["restore", "--yes", str(other)])
        assert refused.exit_code != 0 and "not a Block Diary database" in refused.output

        future = tmp_path / "future.sqlite3"
        future.write_bytes((tmp_path / "good.sqlite3").read_bytes())
        with sqlite3.connect(future) as connection:
            connection.execute("UPDATE alembic_version SET version_num = 'f00dfeed'")
        refused = runner.invoke(args=["restore", "--yes", str(future)])
        assert refused.exit_code != 0 and "'f00dfeed' is not one" in refused.output

        serving = runner.invoke(args=["restore", "--yes", str(tmp_path / "good.sqlite3")])
        assert serving.exit_code != 0 and "stop it before restoring" in serving.output
        listener.close()
        assert not list(tmp_path.glob("live.sqlite3.before-restore-*"))  # nothing replaced
        restored = runner.invoke(args=["restore", "--yes", str(tmp_path / "good.sqlite3")])
        assert restored.exit_code == 0, restored.output
        db.engine.dispose()


def test_upgrade_from_the_first_migration_keeps_the_data(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/o.db"})
    with app.app_context():
        upgrade(revision="b2b697f93c30")  # the first migration
        performed = datetime(2026, 5, 1, 14, tzinfo=UTC)
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
                    " VALUES (1, 1, 1, '2026-05-01 14:00:00', 'lumbar', '[\"L4-L5\"]', 'left',"
                    " 'diagnostic', 'first', 'lidocaine', '2', 0.5, 0, 'none', 8, '[]', 'tok',"
                    " '2026-05-03 14:00:00', '2026-05-01 14:00:00', '2026-05-01 14:00:00')"
                )
            )
            for n, (hours, pain) in enumerate({0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 6}.items()):
                at = (performed + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S")
                connection.execute(
                    sa.text(
                        "INSERT INTO diary_entry (block_id, client_id, recorded_at, submitted_at,"
                        " pain) VALUES (1, :client_id, :at, :at, :pain)"
                    ),
                    {"client_id": f"old-{n}", "at": at, "pain": pain},
                )
        upgrade()
        from diary.models import Block

        block = db.session.get(Block, 1)
        assert len(block.entries) == 5
        assert all(e.source == "patient" for e in block.entries)
        assert block.clinic.language == "en"
        assert analyse_block(block).verdict == "positive"
        db.session.remove()
        db.engine.dispose()


def test_postgres_backup_is_private_and_restores_into_a_fresh_database(postgres_url, tmp_path):
    """pg_dump while the app could serve; pg_restore only while nothing answers at
    PUBLIC_URL, into a new database beside the untouched live one."""
    import socket

    import psycopg

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    with scratch_postgres(postgres_url, "block_diary_backup_live") as live:
        app = make_app(live, PUBLIC_URL=f"http://127.0.0.1:{port}")
        restored_url = None
        try:
            with app.app_context():
                upgrade()
                world = World()
                add_entries(world.block, {0.25: 2, 0.5: 1, 1: 3})
                db.session.commit()
                runner = app.test_cli_runner()
                dump = tmp_path / "private" / "nightly.dump"
                backed_up = runner.invoke(args=["backup", str(dump)])
                assert backed_up.exit_code == 0, backed_up.output
                assert "pg_dump custom format" in backed_up.output
                assert dump.stat().st_mode & 0o777 == 0o600
                assert dump.read_bytes()[:5] == b"PGDMP"
                again = runner.invoke(args=["backup", str(dump)])
                assert again.exit_code != 0 and "exists already" in again.output

                serving = runner.invoke(args=["restore", "--yes", str(dump)])
                assert serving.exit_code != 0 and "stop it before restoring" in serving.output
                listener.close()
                into_live = runner.invoke(
                    args=["restore", "--yes", "--into", "block_diary_backup_live", str(dump)]
                )
                assert into_live.exit_code != 0 and "not the live one" in into_live.output
                junk = tmp_path / "junk.dump"
                junk.write_bytes(b"not a dump" * 100)
                refused = runner.invoke(args=["restore", "--yes", str(junk)])
                assert refused.exit_code != 0 and "not a pg_dump" in refused.output

                db.session.add(world.clinic)  # a change after the backup: not in it
                world.clinic.name = "Renamed after the backup"
                db.session.commit()
                restored = runner.invoke(args=["restore", "--yes", str(dump)])
                assert restored.exit_code == 0, restored.output
                name = re.search(r"into the new database (\w+)", restored.output).group(1)
                restored_url = live.rsplit("/", 1)[0] + "/" + name
                assert "set DATABASE_URL=postgresql://" in restored.output
                assert "db upgrade" not in restored.output  # the dump is at this code's head
            plain = restored_url.replace("+psycopg", "")
            with psycopg.connect(plain) as copy:
                assert copy.execute("SELECT count(*) FROM diary_entry").fetchone()[0] == 3
                assert copy.execute("SELECT name FROM clinic ORDER BY id").fetchone()[0] == (
                    "Clinic A"
                )
            with psycopg.connect(live.replace("+psycopg", "")) as untouched:
                names = untouched.execute("SELECT name FROM clinic ORDER BY id").fetchone()
                assert names[0] == "Renamed after the backup"
        finally:
            listener.close()
            with app.app_context():
                db.engine.dispose()
            if restored_url:
                server = live.replace("+psycopg", "").rsplit("/", 1)[0]
                with psycopg.connect(server + "/postgres", autocommit=True) as admin:
                    name = restored_url.rsplit("/", 1)[1]
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
