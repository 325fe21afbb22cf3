"""gunicorn's settings (gunicorn.conf.py's, unchanged) with a probe for bench/worker_memory.py:
on SIGUSR2 a worker writes what its memory is made of to $WORKER_MEMORY_DIR/<pid>.json.

Not for production: the probe reads the worker's own /proc files and, when the process was
started with PYTHONTRACEMALLOC, walks tracemalloc's snapshot (seconds, in the worker's main
thread, between requests' bytecodes).
"""

from __future__ import annotations

import collections
import gc
import json
import os
import re
import signal
import sys
from pathlib import Path

_settings = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_settings.read_text(), str(_settings), "exec"))  # noqa: S102 (our own file)


def mapping_group(path: str) -> str:
    """What a mapping of /proc/<pid>/smaps belongs to: "anonymous" (Python's objects and
    malloc's arenas), the heap, the stack, or the library (a site-packages package by name)."""
    if not path:
        return "anonymous"
    if path.startswith("["):
        return path
    if "site-packages/" in path:
        return "lib " + path.split("site-packages/", 1)[1].split("/", 1)[0]
    return "lib " + path.rsplit("/", 1)[-1].split(".so", 1)[0].split(".cpython", 1)[0]


def smaps_rss_kb(pid: int | str = "self") -> dict[str, int]:
    groups: collections.Counter[str] = collections.Counter()
    group = ""
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(None, 5)
                group = mapping_group(parts[5].strip() if len(parts) > 5 else "")
            elif line.startswith("Rss:"):
                groups[group] += int(line.split()[1])
    return dict(groups)


def status_kb(pid: int | str = "self") -> dict[str, int]:
    text = Path(f"/proc/{pid}/status").read_text()
    return {k: int(v) for k, v in re.findall(r"^(Vm\w+|Rss\w+):\s+(\d+) kB", text, re.M)}


def package_of(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/diary/" in filename or filename.endswith("app.py"):
        return "diary: " + filename.rsplit("/diary/", 1)[-1]
    return filename.rsplit("/", 1)[-1]


def traced_by_package(limit: int = 25) -> list[tuple[str, int]]:
    import tracemalloc

    if not tracemalloc.is_tracing():
        return []
    by: collections.Counter[str] = collections.Counter()
    for stat in tracemalloc.take_snapshot().statistics("filename"):
        by[package_of(stat.traceback[0].filename)] += stat.size
    return by.most_common(limit)


def app_caches() -> dict[str, object]:
    """The per-worker caches the pages fill: items and the bytes they hold."""
    found: dict[str, object] = {}
    web = sys.modules.get("diary.web")
    if web is not None:
        items = web.chart_cache._items
        found["chart_cache"] = {"items": len(items), "bytes": sum(map(len, items.values()))}
    entry = sys.modules.get("app")
    saved = entry.app.extensions.get("diary_saved_lists") if entry is not None else None
    if saved is not None:
        items = list(saved._items.values())
        found["saved_lists"] = {
            "items": len(items),
            "html_chars": sum(len(markup) for _, markup, _ in items),
        }
    kept = entry.app.extensions.get("diary_kept_pages") if entry is not None else None
    if kept is not None:
        found["kept_pages"] = {"items": len(kept), "bytes": kept.chars}
    return found


def report(path: Path) -> None:
    tops: collections.Counter[str] = collections.Counter(
        name.split(".", 1)[0] for name in list(sys.modules)
    )
    data = {
        "pid": os.getpid(),
        "status_kb": status_kb(),
        "smaps_rss_kb": smaps_rss_kb(),
        "modules": len(sys.modules),
        "packages": dict(tops),
        "gc_objects": len(gc.get_objects()),
        "gc_frozen": gc.get_freeze_count(),
        "traced": traced_by_package(),
        "caches": app_caches(),
    }
    path.write_text(json.dumps(data))


def post_worker_init(worker):
    folder = Path(os.environ["WORKER_MEMORY_DIR"])

    def on_signal(signum, frame):
        report(folder / f"{os.getpid()}.json")

    signal.signal(signal.SIGUSR2, on_signal)
