"""A printable page as PDF: WeasyPrint lays out the same HTML and print styles the browser
prints, over as many A4 pages as it takes. Flask-free.

Nothing is fetched from the network: the page's stylesheets come from ``static_dir`` and
its pictures are inline (``data:`` URLs); any other address is refused.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit


class PdfUnavailable(RuntimeError):
    """WeasyPrint's system libraries (Pango) are not installed on this server."""


def html_to_pdf(html: str, static_dir: Path) -> bytes:
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except OSError as missing:  # the Python package is there, Pango is not
        raise PdfUnavailable(str(missing)) from None
    # The stylesheets are the browser's: screen-only rules WeasyPrint does not read
    # (container queries, colour-scheme media) are expected, not worth a warning each.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)

    root = static_dir.resolve()

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = urlsplit(url).path
            if path.startswith("/static/"):
                file = (root / path.removeprefix("/static/")).resolve()
                if file.is_relative_to(root) and file.is_file():
                    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, file.read_bytes(), {"Content-Type": kind}, 200)
            raise ValueError(f"a report fetches nothing from {url!r}")

    fetcher = LocalFetcher(allowed_protocols={"data", "https"})
    return HTML(string=html, base_url="https://report.invalid/", url_fetcher=fetcher).write_pdf()
