"""The patient pages' addresses, each built once per process: the diary page links a dozen
(its static files, and the diary's own addresses, which differ only by the token), and
building each with ``url_for`` cost more than the rest of its line of the page.

An address of a diary's token is built once with a marker in its place and the token put
there (a token is URL-safe, as ``url_for`` writes it); any other is built once as it is.
Each is kept under its endpoint, its other values and the request's script root, all an
address of this app's fixed URL map depends on while no URL default is registered
(one is not, else every address is built by ``url_for``).
"""

from __future__ import annotations

import string
from collections.abc import Callable

from flask import current_app, request, url_for

from diary.lru import BoundedLRU

# Stands for the token in an address built once (found there once, else built each time).
TOKEN_MARK = "zzTOKENzzMARKzz"  # noqa: S105
URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_")


def keep_page_urls(app) -> None:
    # A few per endpoint and script root: a dozen endpoints, their static files.
    app.extensions["patient_page_urls"] = BoundedLRU(max_items=512)


def page_url_builder() -> Callable[..., str]:
    """``page_url_for`` with this request's app and script root looked up once (a page's
    template builds a dozen addresses)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    kept = app.extensions["patient_page_urls"]
    script_root = request.script_root

    def page_url_for(endpoint: str, **values) -> str:
        token = values.pop("token", None)
        if (
            endpoint.startswith(".")
            or any(name.startswith("_") for name in values)
            or (token is not None and not (isinstance(token, str) and URL_SAFE.issuperset(token)))
            or app.url_default_functions
        ):
            if token is not None:
                values["token"] = token
            return url_for(endpoint, **values)
        key = (script_root, endpoint, token is not None, tuple(sorted(values.items())))

        def build() -> tuple[str, ...]:
            if token is None:
                return (url_for(endpoint, **values),)
            built = url_for(endpoint, token=TOKEN_MARK, **values)
            before, found, after = built.partition(TOKEN_MARK)
            # An address that does not show its token once as is: built each time.
            return (before, after) if found and TOKEN_MARK not in after else ()

        parts = kept.get_or_make(key, build)
        if token is None:
            return parts[0]
        if not parts:
            return url_for(endpoint, token=token, **values)
        return f"{parts[0]}{token}{parts[1]}"

    return page_url_for


def page_url_for(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)``, built once per endpoint and values other than the
    diary's ``token``. Relative endpoints, ``_`` options and unusual tokens are built by
    ``url_for`` each time."""
    return page_url_builder()(endpoint, **values)
