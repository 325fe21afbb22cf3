"""Copies of the database (`flask backup`, `flask restore`), SQLite or PostgreSQL. Flask-free.

The database holds patients' names and their diary tokens, so a backup is written as a
private file (0600, in a directory only its owner can enter when it is made here, never
over an existing file), and a restore takes only a sound Block Diary database at a
migration this code knows, while nothing serves the app. SQLite's is copied back in
place, keeping a private copy of what it replaces; PostgreSQL's goes into a fresh
database beside the live one, which is never touched, and the operator switches over.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess  # nosec B404
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Tables without which a file is not a Block Diary database.
REQUIRED_TABLES = {"clinic", "user", "patient", "block", "diary_entry", "alembic_version"}


class BackupRefused(RuntimeError):
    """A backup or restore that must not happen; the message says why, in one line."""


@contextmanager
def _private_files() -> Iterator[None]:
    # SQLite's journal beside the copy is created with the process's umask, too.
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _new_private_file(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupRefused(f"{path} exists already: choose a new name") from None


def shared_folder(path: Path) -> bool:
    """Whether other users may enter the folder that holds ``path``."""
    return bool(path.parent.stat().st_mode & 0o077)


def write_backup(live: str, destination: Path) -> str:
    """A consistent copy of the live database at ``destination`` (a new private file);
    returns SQLite's integrity check of the copy ("ok")."""
    _new_private_file(destination)
    with (
        _private_files(),
        sqlite3.connect(live) as source,
        sqlite3.connect(destination) as target,
    ):
        source.backup(target)  # SQLite's online backup API: a consistent snapshot
        return target.execute("PRAGMA integrity_check").fetchone()[0]


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory  # here: alembic is not for start-up

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


def backup_problem(source: Path) -> str | None:
    """Why ``source`` may not replace the database, or None."""
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
            check = backup.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {
                row[0]
                for row in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            revision = None
            if "alembic_version" in tables:
                row = backup.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
    except sqlite3.DatabaseError as error:
        return f"it is not a SQLite database ({error})"
    if check != "ok":
        return f"it fails SQLite's integrity check: {check}"
    missing = REQUIRED_TABLES - tables
    if missing:
        return "it is not a Block Diary database (no " + ", ".join(sorted(missing)) + " table)"
    if revision not in known_revisions():
        return f"its migration {revision!r} is not one this version of Block Diary knows"
    return None


def serving_at(public_url: str) -> bool:
    """Whether something answers at the app's public address (a restore must wait)."""
    parts = urlsplit(public_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def restore(source: Path, live: str, now: datetime | None = None) -> Path:
    """Replace the live database with ``source`` (checked by the caller); returns the
    private copy of what was replaced."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    kept = Path(live).with_name(f"{Path(live).name}.before-restore-{stamp}")
    if write_backup(live, kept) != "ok":
        raise BackupRefused(f"the current database failed its integrity check; kept at {kept}")
    with _private_files(), sqlite3.connect(source) as backup, sqlite3.connect(live) as target:
        backup.backup(target)
    return kept


# --- PostgreSQL: pg_dump's custom format, restored into a fresh database ----------------


def libpq_target(url: str, database: str | None = None) -> tuple[str, dict[str, str]]:
    """The connection URI pg_dump and pg_restore take, without its password (which would
    show in the process list), and the environment that carries the password instead."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None)
    if database:
        plain = plain.set(database=database)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], **options) -> subprocess.CompletedProcess:
    try:
        # pg_dump and pg_restore with argument lists, no shell.
        return subprocess.run(  # noqa: S603  # nosec B603
            command, env=os.environ | env, check=False, **options
        )
    except FileNotFoundError:
        raise BackupRefused(
            f"{command[0]} is not installed: apt-get install postgresql-client "
            "(the server's major version or newer)"
        ) from None


def _last_line(output: bytes | str) -> str:
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def dump_postgres(url: str, destination: Path) -> int:
    """pg_dump's custom format of the live database into ``destination`` (a new private
    file), checked by reading its table of contents back; returns its size in bytes."""
    _new_private_file(destination)
    uri, env = libpq_target(url)
    try:
        with open(destination, "wb") as out:
            dumped = _run(
                ["pg_dump", "--format=custom", f"--dbname={uri}"], env, stdout=out,
                stderr=subprocess.PIPE,
            )  # fmt: skip
        if dumped.returncode != 0:
            raise BackupRefused(f"pg_dump failed: {_last_line(dumped.stderr)}")
        listed = _run(["pg_restore", "--list", str(destination)], {}, capture_output=True)
        if listed.returncode != 0 or b"alembic_version" not in listed.stdout:
            raise BackupRefused(f"the dump does not read back: {_last_line(listed.stderr)}")
    except BackupRefused:
        destination.unlink(missing_ok=True)
        raise
    return destination.stat().st_size


def postgres_dump_problem(source: Path) -> str | None:
    """Why ``source`` is not a pg_dump archive of a Block Diary database, or None."""
    listed = _run(["pg_restore", "--list", str(source)], {}, capture_output=True)
    if listed.returncode != 0:
        return f"it is not a pg_dump custom-format file ({_last_line(listed.stderr)})"
    missing = {
        table
        for table in REQUIRED_TABLES
        if not re.search(rf"TABLE DATA public {table}\b", listed.stdout.decode(errors="replace"))
    }
    if missing:
        return "it is not a Block Diary database (no " + ", ".join(sorted(missing)) + " table)"
    return None


def restored_name(live_database: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d_%H%M%S")
    return f"{live_database[:40]}_restored_{stamp}".lower()


def restore_postgres(source: Path, live_url: str, into: str) -> str:
    """Restore ``source`` into the database ``into`` (created here; if it exists it must
    be empty), all or nothing; returns its migration revision. The live database is not
    touched. Raises BackupRefused, leaving no half-restored database behind."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", into):
        raise BackupRefused(f"{into!r} is not a plain database name (a-z, 0-9, _)")
    server = make_url(live_url)
    if into == server.database:
        raise BackupRefused("restore into a new database, not the live one")
    maintenance = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    created = False
    try:
        with maintenance.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": into}
            ).scalar()
            if not exists:
                connection.execute(text(f'CREATE DATABASE "{into}"'))
                created = True
        target = server.set(database=into)
        if not created:
            probe = create_engine(target)
            try:
                if inspect(probe).get_table_names():
                    raise BackupRefused(f"database {into} is not empty: name a new one")
            finally:
                probe.dispose()
        uri, env = libpq_target(live_url, database=into)
        restored = _run(
            ["pg_restore", "--exit-on-error", "--single-transaction", "--no-owner",
             "--no-privileges", f"--dbname={uri}", str(source)],
            env, capture_output=True,
        )  # fmt: skip
        if restored.returncode != 0:
            raise BackupRefused(f"pg_restore failed: {_last_line(restored.stderr)}")
        check = create_engine(target)
        try:
            with check.connect() as connection:
                revision = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar()
        finally:
            check.dispose()
        if revision not in known_revisions():
            raise BackupRefused(
                f"its migration {revision!r} is not one this version of Block Diary knows"
            )
        return str(revision)
    except BackupRefused:
        if created:
            with maintenance.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{into}" WITH (FORCE)'))
        raise
    finally:
        maintenance.dispose()
