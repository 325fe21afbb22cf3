"""Page numbers of the clinic's lists, bounded as the API's are."""

from __future__ import annotations

from flask import abort, make_response, render_template, request

# As the API's pages (diary/api/schemas.py, Page): far beyond any list a clinic has, and
# an offset the database's integer holds.
MAX_PAGE = 100_000


def parse_page(raw: str) -> int | None:
    """``raw`` as a page number, a whole number from 1 to MAX_PAGE in ASCII digits (not
    "²"), or None."""
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_PAGE)):
        page = int(raw)
        if 1 <= page <= MAX_PAGE:
            return page
    return None


def page_number() -> int:
    """The request's ``page`` (1 when absent); anything but a whole number from 1 to
    MAX_PAGE is answered with a 400 page saying so."""
    page = parse_page(request.args.get("page", "1"))
    if page is not None:
        return page
    answer = render_template(
        "error.html",
        title="Something in that request was not right",
        message=f"Page numbers are whole numbers from 1 to {MAX_PAGE:,}.",
    )
    abort(make_response(answer, 400))
