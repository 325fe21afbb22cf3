"""JSON API, /api/v1: clinic systems with bearer tokens, and the diary link's phone page.

Clinic endpoints accept a bearer token (Settings → API tokens). A signed-in browser
session may read, but writes from a session must carry the CSRF token
(X-CSRFToken header), so a cookie alone never authorises a change. The operations are
in diary/api/clinic.py and diary/api/diary_link.py; the document at /openapi.json is
generated from them.
"""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from diary.api import spec
from diary.api.problems import ApiProblem, problem_response
from diary.auth.login_sessions import bearer_token
from diary.auth.two_factor import needs_setup
from diary.extensions import csrf
from diary.web import public_url

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = spec.ApiBlueprint(bp)
csrf.exempt(bp)

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
INFO = {
    "title": "Block Diary API",
    "version": "1.0.0",
    "description": "Pain diaries after medial branch blocks. Clinic endpoints take a bearer "
    "token; diary endpoints take the link's token.",
}


@bp.errorhandler(ApiProblem)
def api_problem(problem: ApiProblem):
    return problem_response(problem.status, problem.detail, problem.errors)


@bp.before_request
def authenticate():
    if request.endpoint == "api.openapi" or request.endpoint in api.public_endpoints:
        return None
    if not current_user.is_authenticated:
        return problem_response(401, "Send a clinic API token: Authorization: Bearer <token>.")
    if current_user.must_change_password:
        return problem_response(403, "Choose your own password (Account) before using the API.")
    if not bearer_token() and needs_setup(current_user):
        return problem_response(403, "Set up two-factor sign-in (Account) before using the API.")
    # A call carrying an Authorization header is signed in by it alone (the session
    # cookie is not read then: login_sessions.load_user), so only a token's write goes
    # without the CSRF token.
    if request.method in WRITE_METHODS and not bearer_token():
        csrf.protect()
    return None


@bp.get("/openapi.json")
def openapi():
    return openapi_document()


def openapi_document() -> dict:
    return spec.openapi_document(api, public_url("api.openapi").rsplit("/", 1)[0], INFO)
