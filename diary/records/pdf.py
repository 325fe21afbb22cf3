"""A printable page as PDF: WeasyPrint lays out the page's HTML over as many A4 pages as it
takes. Flask-free.

The PDF has a stylesheet of its own, ``static/css/report-pdf.css``: the page's links to the
browser's stylesheets are left out, as their cascade over every cell of a long table was a
quarter of the time (the browser prints with those, their ``@media print`` rules). The
stylesheet is parsed once per process, and each thread keeps its fonts loaded between PDFs.

Nothing is fetched from the network: the page's pictures are inline (``data:`` URLs) or
come from ``static_dir``; any other address is refused.
"""

from __future__ import annotations

import mimetypes
import re
import threading
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from diary.collector import collector_paused

STYLESHEET = "css/report-pdf.css"
LINKED_STYLESHEET = re.compile(r"<link\s+rel=\"stylesheet\"[^>]*>")


class PdfUnavailable(RuntimeError):
    """WeasyPrint's system libraries (Pango) are not installed on this server."""


def html_to_pdf(html: str, static_dir: Path) -> bytes:
    try:
        from weasyprint import HTML
    except OSError as missing:  # the Python package is there, Pango is not
        raise PdfUnavailable(str(missing)) from None
    root = static_dir.resolve()
    with collector_paused():
        page = HTML(
            string=LINKED_STYLESHEET.sub("", html),
            base_url="https://report.invalid/",
            url_fetcher=_fetcher(root),
        )
        body = page.write_pdf(stylesheets=[_stylesheet(root)], font_config=_font_config())
        del page  # most of it freed now, before the collector walks what is left
    return body


@cache
def _stylesheet(root: Path):
    from weasyprint import CSS

    return CSS(filename=str(root / STYLESHEET))


_fonts = threading.local()


def _font_config():
    """This thread's fonts: Pango's font map is not shared between threads."""
    if not hasattr(_fonts, "config"):
        from weasyprint.text.fonts import FontConfiguration

        _fonts.config = FontConfiguration()
    return _fonts.config


def _fetcher(root: Path):
    """A fetcher per PDF (WeasyPrint's keeps the request it is opening): ``data:`` URLs
    and files under ``root``."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

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

    return LocalFetcher(allowed_protocols={"data", "https"})
