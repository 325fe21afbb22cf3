"""gunicorn's settings for Block Diary; `gunicorn app:app` reads this file from the
working directory. Every value can be set from the environment named beside it."""

import ctypes
import multiprocessing
import os

# glibc gives each thread that allocates its own malloc arena (up to 8 per core), and an
# arena keeps what it freed for its thread: a worker's 4 threads each held their own
# leftovers of a report PDF (WeasyPrint's C allocations). Python's own objects come from
# its allocator, under the GIL, so few malloc calls meet in one arena at once. Measured
# with bench/worker_memory.py: a worker after the report PDFs 222-227 -> 202-203 MB
# (bench/profiles/worker_memory_*.txt). Set here, before the app loads and the workers
# fork, it holds for every way gunicorn starts with this file; an operator's
# MALLOC_ARENA_MAX (read by glibc itself) wins.
MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """At most ``arenas`` malloc arenas in this process and the workers it forks; False
    where the C library is not glibc or the operator chose MALLOC_ARENA_MAX."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        glibc = ""
    if "MALLOC_ARENA_MAX" in os.environ or not glibc.startswith("glibc"):
        return False
    # The interpreter's own symbols: glibc's mallopt among them.
    return bool(ctypes.CDLL(None).mallopt(M_ARENA_MAX, arenas))


limit_malloc_arenas()

# glibc raises its mmap threshold to the size of each large block freed (up to 32 MiB),
# and its trim threshold to twice that: after one password check (scrypt's 8 MiB) every
# later block up to 8 MiB came from the heap, and up to 16 MiB of freed heap stayed with
# the worker. Fixed at 1 MiB (trim 2 MiB), a block as large as scrypt's or a chart's
# pixels is mapped on its own and given back when freed, while the CSV export's pieces
# (about 130 kB, thousands a download) keep coming from the heap: at glibc's 128 KiB
# default each was an mmap and munmap of its own. An operator's MALLOC_MMAP_THRESHOLD_,
# MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES (read by glibc itself) win.
MALLOC_MMAP_THRESHOLD = 1 << 20
M_TRIM_THRESHOLD = -1  # glibc's malloc.h
M_MMAP_THRESHOLD = -3


def fix_malloc_thresholds(mmap_threshold: int = MALLOC_MMAP_THRESHOLD) -> bool:
    """Fixed mmap and trim thresholds in this process and the workers it forks; False
    where the C library is not glibc or the operator chose thresholds."""
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError):
        glibc = ""
    chosen = {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"}
    if chosen & os.environ.keys() or not glibc.startswith("glibc"):
        return False
    libc = ctypes.CDLL(None)
    mapped = libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
    return bool(mapped and libc.mallopt(M_TRIM_THRESHOLD, 2 * mmap_threshold))


fix_malloc_thresholds()

# A private address: the app port is for the proxy only (README, "Running a clinic network").
bind = os.environ.get("BIND", "127.0.0.1:8000")
# The proxy's addresses: only from them are X-Forwarded-* believed. The app reads the same
# variable (diary/proxies.py), so the two never disagree about who the client is.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Threaded workers: a slow phone on a weak connection, or a clinic-wide CSV export that
# streams for minutes, holds one thread, not a whole worker, and the worker keeps
# answering the arbiter's heartbeat meanwhile.
worker_class = "gthread"
# Set WEB_CONCURRENCY: the PostgreSQL connections it takes are counted in the README
# ("Sizing"); the fallback only suits a single host.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count(), 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A worker silent this long is stuck, not busy (threads answer the heartbeat for it).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then, so that slow growth of memory never adds up.
max_requests = 5000
max_requests_jitter = 500
# The app is built once in the master: a configuration error stops start-up with its one
# line, instead of every worker failing in turn.
preload_app = True
# The app logs each request itself (JSON, query strings dropped, diary tokens masked);
# gunicorn's own access log would hold raw paths.
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stdout",
        }
    },
    # The app puts its own handler on the root logger (diary/logs.py).
    "root": {"level": "WARNING", "handlers": []},
    "loggers": {
        "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},
    },
}


def post_fork(server, worker):
    """Each worker opens its own database connections, never the master's."""
    from app import app
    from diary.extensions import db

    with app.app_context():
        db.engine.dispose(close=False)
