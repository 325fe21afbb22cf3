"""Python's cycle collector paused around work that makes many short-lived objects.

Both the report PDF (WeasyPrint allocates a million small objects) and the export's
chunks of row tuples set off collections that each walk the worker's whole heap. The
pauses count one another across threads, so one ending does not restart the collector
under another still running, and the collector comes back as it was before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_paused = 0
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    global _paused, _was_enabled
    with _lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()
