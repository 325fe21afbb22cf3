"""SQLite's writers one at a time, each woken as soon as the one before has committed.

SQLite lets one connection write at a time. A second writer finds the database locked and
sleeps in SQLite's busy handler, in naps of up to 100 ms, whether or not the lock has been
released meanwhile: under the entry post's load (gunicorn's threads in two workers) most of
a post's time was spent asleep. Here the threads of a process queue on a lock and the
processes on an advisory lock on a file beside the database, both of which wake the next
writer at once; the transaction then takes SQLite's write lock as it begins (BEGIN
IMMEDIATE), so it never finds it taken halfway through. Writers that do not come this way
still wait in the busy handler, as before. PostgreSQL needs none of it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, scoped_session

_writers_of_this_process = threading.Lock()
_lock_files: dict[tuple[int, str], int] = {}
_lock_files_guard = threading.Lock()


@contextmanager
def one_writer_at_a_time(session: Session | scoped_session) -> Iterator[None]:
    """Around a write transaction that the block ends with a commit. On SQLite the block
    runs alone among the writers that come this way; if it raises, the transaction is
    rolled back before the next writer goes. Elsewhere it just runs."""
    connection = session.connection()
    # A transaction that has written already holds SQLite's write lock: queueing now
    # could wait on a writer that waits for that lock.
    if (
        connection.dialect.name != "sqlite"
        or connection.connection.driver_connection.in_transaction  # type: ignore[union-attr]
    ):
        yield
        return
    database = connection.engine.url.database
    with _writers_of_this_process:
        lock_file = _lock_file(database) if database and database != ":memory:" else None
        if lock_file is not None:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                session.rollback()
                raise
        finally:
            if lock_file is not None:
                fcntl.flock(lock_file, fcntl.LOCK_UN)


def _lock_file(database: str) -> int:
    """This process's descriptor of the lock file beside ``database``, its own: one
    inherited through a fork (gunicorn's workers) would share its lock with the parent."""
    key = (os.getpid(), os.path.abspath(database) + ".writers")
    with _lock_files_guard:
        if key not in _lock_files:
            _lock_files[key] = os.open(key[1], os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return _lock_files[key]
