"""Logs an operator can use and a privacy officer can accept.

One line per event on stdout (JSON in production), each carrying the request's id; one
access line per request with the query string dropped and diary tokens masked. Names,
MRNs, notes and tokens are never logged: app code logs record numbers only, and SQL
parameters are hidden by the engine (``hide_parameters``).
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
ACCESS_LOGGER = "diary.access"
# A diary or follow-up link's token is its only credential: in a logged path it becomes ***.
TOKEN_IN_PATH = re.compile(r"^(/d/|/f/|/api/v1/diary/|/api/v1/followup/)[^/]+")
# What a proxy may hand us as a request id: short and plain, or we make our own.
ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def masked_path(path: str) -> str:
    """The path as it may be logged: no query string, no diary token."""
    return TOKEN_IN_PATH.sub(r"\1***", path.split("?", 1)[0])


class StdoutHandler(logging.StreamHandler):
    """Writes to sys.stdout as it is when a line is logged (a replaced stdout included)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        pass


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _formatter(kind: str) -> logging.Formatter:
    if kind == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def configure_logging(app: Flask) -> None:
    """Send the logs to stdout (the app's from LOG_LEVEL, others' warnings), and log each
    request once."""
    handler = StdoutHandler()
    handler.setFormatter(_formatter(app.config["LOG_FORMAT"]))
    handler.addFilter(RequestIdFilter())
    handler.block_diary = True  # type: ignore[attr-defined]
    # On the root logger, so that libraries' warnings come out in the same form.
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "block_diary", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    logging.getLogger("diary").setLevel(app.config["LOG_LEVEL"])
    # The development server's own request lines hold raw paths: ours replace them.
    logging.getLogger("werkzeug").addFilter(_drop_werkzeug_request_lines)

    access = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def start_request():
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = offered if ACCEPTABLE_REQUEST_ID.match(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
        started = g.get("request_started")
        access.info(
            "%s %s %s",
            request.method,
            masked_path(request.path),
            response.status_code,
            extra={
                "method": request.method,
                "path": masked_path(request.path),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1)
                if started
                else None,
                "client": request.remote_addr,
            },
        )
        return response


WERKZEUG_REQUEST_LINE = re.compile(r"^\S+ - - \[[^\]]*\] ")


def _drop_werkzeug_request_lines(record: logging.LogRecord) -> bool:
    return not (isinstance(record.msg, str) and WERKZEUG_REQUEST_LINE.match(record.msg))
