"""What both blueprints (the clinic's pages and the API) answer with: addresses that
leave the site, a block's chart, CSV downloads.

Absolute addresses (diary links, QR codes, reminders, the API's server URL) are always
built from PUBLIC_URL, never from a request's Host header, which a client chooses.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Response, abort, current_app, g, request, stream_with_context, url_for
from flask_login import current_user

from diary import charts, relief
from diary.access import clinic_block_or_404
from diary.extensions import db
from diary.models import Block, utcnow
from diary.records import export, export_xlsx, pdf
from diary.schedule import RUNNING, diary_status
from diary.services import analysis, summaries
from diary.services.analysis import running as running_diary
from diary.services.audit import record_audit
from diary.services.days import daily_chart
from diary.services.progress import diary_statuses
from diary.services.settings import analysis_settings, block_due_times

chart_cache = charts.ChartCache()


def public_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values, _external=True)`` as seen from PUBLIC_URL."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def id_url(endpoint: str, argument: str) -> Callable[[int], str]:
    """``url_for(endpoint, **{argument: id})`` for many ids, from one address built: a
    page of rows links each row, and building each address cost more than the rest of
    its row."""
    marker = 987_654_321_987_654_321
    values: dict[str, Any] = {argument: marker}
    before, found, after = url_for(endpoint, **values).partition(str(marker))
    if not found:
        raise ValueError(f"{endpoint}'s address does not show its {argument} as is")
    return lambda value: f"{before}{int(value)}{after}"


def diary_url(block: Block) -> str:
    """The link the patient opens: the diary page with the block's token."""
    return public_url("patient.diary", token=block.diary_token)


def followup_url(token: str) -> str:
    """The follow-up link the patient opens: the check-in page with its own token."""
    return public_url("followup.checkin_page", token=token)


def pdf_response(page: str, filename: str) -> Response:
    """A printable page (HTML) as a PDF download, laid out as the browser prints it."""
    try:
        body = pdf.html_to_pdf(page, Path(current_app.static_folder or "static"))
    except pdf.PdfUnavailable:
        abort(503)  # its page says what is missing
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class RowCounter:
    """``groups`` (lists of lines) passed through, counting the lines for the audit row."""

    def __init__(self, groups: Iterable[list[str]]):
        self.groups = groups
        self.rows = 0

    def __iter__(self) -> Iterator[list[str]]:
        for lines in self.groups:
            self.rows += len(lines)
            yield lines


def xlsx_response(
    columns: list[str],
    groups: Iterable[list[str]],
    filename: str,
    action: str,
    detail: dict | None = None,
    target: object | None = None,
) -> Response:
    """The CSV export's rows as a typed Excel workbook (built whole: a spreadsheet's row
    limit bounds it), audited with its row count."""
    counter = RowCounter(groups)

    try:
        body = export_xlsx.workbook(columns, counter, filename.rsplit(".", 1)[0][:31])
    except export_xlsx.TooManyRows as too_many:
        abort(400, str(too_many))
    detail = (detail or {}) | {"rows": counter.rows}
    record_audit(action, by=current_user, target=target, detail=detail)
    db.session.commit()
    return Response(
        body,
        mimetype=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


MAX_CHART_HOURS = 24 * 14


class RecentViews:
    """What this process showed whom in the last minute: a chart (user, block, format),
    a dashboard page (user, the blocks on it). The audit trail says who saw which
    patient's records; the same view again within the minute (a page reloaded, a series
    redrawn) adds nothing to it but a write and, on SQLite, a wait for the disk: it is
    recorded once a minute."""

    def __init__(self, window_s: float = 60.0, max_items: int = 4096):
        self.window_s, self.max_items = window_s, max_items
        self._seen: OrderedDict[tuple, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_in_window(self, key: tuple) -> bool:
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.window_s:
                return False
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_items:
                self._seen.popitem(last=False)
            return True


def recent_views() -> RecentViews:
    """The app's own (a test's app starts with none seen)."""
    return current_app.extensions.setdefault("block_diary_chart_views", RecentViews())


def chart_body(body: bytes, fmt: str) -> Response:
    """A chart's bytes as an answer. An SVG's style attributes need a policy of their own
    (extensions.SVG_CHART_POLICY): under the pages' policy it draws as a black square."""
    g.svg_chart = fmt == "svg"
    return Response(body, mimetype=charts.FORMATS[fmt])


def chart_response(block_id: int, fmt: str) -> Response:
    """The clinic's block's chart (also served by the API), drawn once per change of the
    diary or the clinic's settings: what its stored summary is keyed on too."""
    if fmt not in charts.FORMATS:
        abort(404)
    # Its clinic is the signed-in user's, loaded already by the sign-in check: no join.
    block = clinic_block_or_404(block_id)
    scale = 2 if request.args.get("scale") == "2" and fmt == "png" else 1
    settings = analysis_settings(block.clinic)
    # A series page draws its charts to one end of the time axis (?until=hours).
    until = request.args.get("until", type=float)
    # What a running diary awaits reads the entries' due times only: a chart drawn before
    # (an ETag match, the cache) then needs no entry read, nor any once the diary is over.
    now = utcnow()
    digest = summaries.settings_digest(settings)
    running = None if diary_over(block, digest, now) else analysis.running(block, now)
    view = charts.ChartView(
        onset_limit_h=settings.onset_limit_h,
        awaiting=running.awaiting if running else None,
        until_h=min(max(until, 0.0), MAX_CHART_HOURS) if until is not None else None,
    )
    # A running diary's reasons change as the spans they speak of pass.
    to_come = relief.still_to_come(running, block.agent, settings)
    key = summaries.summary_key(block, digest)
    tag = f"{block.id}:{key}:{fmt}:{scale}:{view}:{to_come}"
    etag = hashlib.sha256(tag.encode()).hexdigest()[:32]
    audited = recent_views().first_in_window((current_user.id, block.id, fmt))
    if audited:
        record_audit("block.chart", by=current_user, target=block, detail={"format": fmt})
    drawn = False
    if etag in request.if_none_match:
        response = Response(status=304, headers={"ETag": f'"{etag}"'})
    else:

        def render() -> bytes:
            nonlocal drawn
            drawn = True
            lines = side_lines(block, now)
            if lines:
                return charts.render_sides_chart(lines, fmt, scale, view)
            reading = analysis.analyse_block(block, now)
            daily = daily_chart(block)
            return charts.render_chart(reading, block.baseline_pain, fmt, scale, view, daily)

        response = chart_body(chart_cache.get_or_render(etag, render), fmt)
        response.set_etag(etag)
    # A chart shows a patient's diary: kept by no cache, the browser's disk included (its
    # ETag still spares the server a drawing for a client that sends If-None-Match).
    response.headers["Cache-Control"] = "no-store"
    if audited or drawn:  # once drawn: a commit first would have the drawing read all again
        db.session.commit()
    return response


def diary_over(block: Block, digest: str, now: datetime) -> bool:
    """Whether the block's diary is over (complete, or its link closed: no longer
    running), read off the block's row alone. False means "read its entries to know":
    its stored summary is out of date, or the diary may still be running."""
    if not block.link_open(now):
        return True  # complete or expired, whatever its entries
    stored = summaries.stored_summary(block, digest)
    if stored is None or not stored.entry_count:
        return False
    # The summary is of the entries as of the block's last change: scored entries there
    # are, and once the last due time has passed the diary is complete.
    status = diary_status(block_due_times(block)[-1:], stored.entry_count, True, now)
    return status not in RUNNING


def side_lines(block: Block, now: datetime | None = None) -> list[charts.SideLine] | None:
    """Each side's line of the chart of a block scored left and right apart, else None."""
    if not block.scored_apart:
        return None
    baselines = {"left": block.baseline_pain_left, "right": block.baseline_pain_right}
    return [
        charts.SideLine(
            str(r.scored_side),
            r.analysis,
            baselines[str(r.scored_side)],
            # That side's days after, in the chart's second panel (pathway.md §2).
            daily_chart(block, r.days_of_relief) if r.days_of_relief else None,
        )
        for r in analysis.block_readings(block, now)
    ]


def commit_keeping_loaded() -> None:
    """Commit, keeping what is loaded: a streamed body is read after this request's
    session has closed (a server streams the response once the view has returned), so
    what its rows are made from must stay loaded."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def print_chart(block: Block, analysis, view: charts.ChartView) -> bytes:
    """The block's chart for a PDF (charts.render_print_png), kept in the chart cache
    under what it depends on, as the served charts are: a diary unchanged since its last
    report is not drawn again."""
    settings = analysis_settings(block.clinic)
    # As the served chart's ETag: a running diary's reasons change as their spans pass.
    to_come = relief.still_to_come(running_diary(block), block.agent, settings)
    key = (
        "print",
        block.id,
        summaries.summary_key(block, summaries.settings_digest(settings)),
        to_come,
    )
    if block.scored_apart:  # each side's readings only when the chart is drawn
        return chart_cache.get_or_render(
            (*key, "sides", view),
            lambda: charts.render_sides_print_png(side_lines(block) or [], view),
        )
    return chart_cache.get_or_render(
        (*key, view),
        lambda: charts.render_print_png(analysis, block.baseline_pain, view, daily_chart(block)),
    )


def csv_response(
    columns: list[str],
    groups: Iterable[list[str]],
    filename: str,
    action: str,
    target: object | None = None,
    detail: dict | None = None,
    bom: bool = True,
) -> Response:
    """Stream ``groups`` (lists of CSV lines) as CSV, audited twice: ``<action>.start``
    before the first byte, then ``action`` with the rows sent, marked ``aborted`` when
    the download stopped half-way (the client went away, or the server failed)."""
    user = current_user._get_current_object()
    detail = detail or {}
    record_audit(f"{action}.start", by=user, target=target, detail=detail)
    commit_keeping_loaded()
    counter = RowCounter(groups)

    def body() -> Iterator[str]:
        outcome: dict = {"aborted": True}
        try:
            yield from export.csv_stream(columns, counter, bom=bom)
            outcome = {}  # the last row is out
        finally:
            detail_now = detail | {"rows": counter.rows} | outcome
            record_audit(action, by=user, target=target, detail=detail_now)
            db.session.commit()

    return Response(
        stream_with_context(body()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def block_csv_response(block: Block) -> Response:
    """The block's diary as CSV, audited with its row count (also served by the API)."""
    settings = analysis_settings(block.clinic)
    summary = summaries.summarise(block, settings)
    sides = summaries.summarise_sides(block, settings)
    (status,) = diary_statuses([block], [summary], utcnow())
    return csv_response(
        export.ENTRY_COLUMNS,
        [
            export.entry_lines(
                block,
                summary,
                map(export.entry_values, block.entries),
                block.clinic.timezone,
                status,
                sides=sides,
            )
        ],
        f"block-{block.id}-diary.csv",
        "export.block_csv",
        target=block,
    )
