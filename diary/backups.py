"""Copies of a SQLite database (`flask backup`, `flask restore`). Flask-free.

The database holds patients' names and their diary tokens, so a backup is written as a
private file (0600, in a directory only its owner can enter when it is made here), and a
restore takes only a sound Block Diary database at a migration this code knows, while
nothing serves the app, keeping a private copy of what it replaces.
"""

from __future__ import annotations

import os
import socket
import sqlite3
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
