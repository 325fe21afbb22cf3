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
