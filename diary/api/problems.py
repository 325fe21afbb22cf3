"""Errors of the JSON API as RFC 9457 problem details."""

from __future__ import annotations

from flask import Response, json
from flask_babel import gettext

from diary.services.rejections import InputRejected

PROBLEM_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    410: "Gone",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
}


class ApiProblem(Exception):
    """Raised in an API view; answered as a problem document."""

    def __init__(self, status: int, detail: str, errors: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or {}

    @classmethod
    def rejected(cls, rejected: InputRejected) -> ApiProblem:
        """A service's refusal as a 422 naming the field at fault, in the caller's
        language where the message is translated (a patient's phone asks in its own)."""
        message = gettext(rejected.message)
        return cls(422, message, {rejected.field: message})


def problem_response(status: int, detail: str, errors: dict[str, str] | None = None) -> Response:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="block-diary"'
    return response
