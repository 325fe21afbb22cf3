"""The clinic-wide CSV exports and their Table Schemas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import (
    abort,
    render_template,
    request,
)
from flask_login import current_user
from sqlalchemy import select

from diary.clinic.blueprint import bp
from diary.clinic.forms import (
    ExportFilterForm,
)
from diary.extensions import db
from diary.forms import clinic_time_to_utc
from diary.models import Block, Patient
from diary.records import export, export_queries, research
from diary.services.analysis import analysed_series
from diary.services.dashboard import BlockFilter
from diary.services.settings import diary_schedule
from diary.web import csv_response, xlsx_response


def _export_filter() -> tuple[ExportFilterForm, BlockFilter | None]:
    form = ExportFilterForm(request.args)
    if not form.validate():
        return form, None
    tz = current_user.clinic.timezone
    midnight = datetime.min.time()
    return form, BlockFilter(
        performed_from=clinic_time_to_utc(datetime.combine(form.start.data, midnight), tz)
        if form.start.data
        else None,
        performed_before=clinic_time_to_utc(
            datetime.combine(form.end.data + timedelta(days=1), midnight), tz
        )
        if form.end.data
        else None,
        region=form.region.data or None,
        agent=form.agent.data or None,
        verdict=form.verdict.data or None,
    )


@bp.get("/exports")
def exports():
    form, chosen = _export_filter()
    status = 400 if chosen is None and request.args else 200
    return _exports_page(form, status)


def _exports_page(form: ExportFilterForm, status: int):
    return render_template("clinic/exports.html", form=form, research_files=RESEARCH_FILES), status


def _export_rows(kind: str, chosen: BlockFilter, user) -> tuple[list[str], Iterable[list[str]]]:
    """The columns and the (lazily read) rows of one clinic-wide export."""
    blocks = export_queries.clinic_export(user.clinic, chosen, with_entries=kind == "entries")
    rows: Iterable[list[str]]
    if kind == "entries":
        columns = export.ENTRY_COLUMNS
        rows = (
            export.entry_lines(block, summary, entries, user.clinic.timezone)
            for block, summary, entries in blocks
        )
    elif kind == "blocks":
        columns = export.SUMMARY_COLUMNS
        rows = (
            [export.summary_line(block, summary, user.clinic.timezone)]
            for block, summary, _ in blocks
        )
    else:
        columns = export.CORRECTION_COLUMNS
        rows = _correction_lines(blocks)
    return columns, rows


@bp.get("/exports/<any(entries, blocks, corrections):kind>.<any(csv, xlsx):fmt>")
def clinic_export(kind: str, fmt: str):
    form, chosen = _export_filter()
    if chosen is None:
        return _exports_page(form, 400)
    user = current_user._get_current_object()
    columns, rows = _export_rows(kind, chosen, user)
    detail = {"filters": {k: v for k, v in request.args.items() if v}}
    if fmt == "xlsx":
        return xlsx_response(
            columns, rows, f"clinic-{kind}.xlsx", f"export.clinic_{kind}_xlsx", detail
        )
    return csv_response(
        columns,
        rows,
        f"clinic-{kind}.csv",
        f"export.clinic_{kind}_csv",
        detail=detail,
    )


RESEARCH_FILES = {
    "wide": "one row per block, a pain column per scheduled time",
    "series": "one row per series: pair status and both ablation criteria",
    "redcap-dictionary": "REDCap data dictionary (upload under Project Setup)",
    "redcap-import": "REDCap import file (Data Import Tool), matching the dictionary",
}


@bp.get("/exports/research/<any(wide, series, 'redcap-dictionary', 'redcap-import'):name>.csv")
def research_export(name: str):
    """The research arm's files, for the blocks the filters choose."""
    form, chosen = _export_filter()
    if chosen is None:
        return _exports_page(form, 400)
    user = current_user._get_current_object()
    slots = research.wide_slots(diary_schedule(user.clinic))
    detail = {"filters": {k: v for k, v in request.args.items() if v}}
    action, filename = f"export.research_{name.replace('-', '_')}", f"clinic-{name}.csv"
    if name == "redcap-dictionary":
        lines = [list(research.redcap_dictionary(slots))]
        return csv_response(
            research.REDCAP_DICTIONARY_HEADER, lines, filename, action, detail=detail, bom=False
        )
    if name == "series":
        return csv_response(
            research.SERIES_COLUMNS, _series_lines(user, chosen), filename, action, detail=detail
        )
    blocks = export_queries.clinic_export(user.clinic, chosen, with_entries=True)
    rows = (
        [research.wide_line(block, summary, entries, slots)] for block, summary, entries in blocks
    )
    return csv_response(
        research.wide_columns(slots), rows, filename, action, detail=detail, bom=name == "wide"
    )


def _series_lines(user, chosen: BlockFilter):
    """Each series with a chosen block, patient by patient."""
    chosen_ids = {
        block.id
        for block, _, _ in export_queries.clinic_export(user.clinic, chosen, with_entries=False)
    }
    patient_ids = (
        db.session.scalars(
            select(Block.patient_id)
            .where(Block.id.in_(chosen_ids))
            .distinct()
            .order_by(Block.patient_id)
        ).all()
        if chosen_ids
        else []
    )
    for patient_id in patient_ids:
        patient = db.session.get_one(Patient, patient_id)
        for blocks, result in analysed_series(patient):
            if any(block.id in chosen_ids for block in blocks):
                yield [research.series_line(patient, blocks, result)]


def _correction_lines(blocks):
    """The corrections of the chosen blocks (the filters' blocks, read first)."""
    chosen_ids = [block.id for block, _, _ in blocks]
    for block_id, revision in export_queries.corrections_of(chosen_ids):
        yield [export.correction_line(block_id, revision)]


@bp.get("/exports/<kind>.schema.json")
def csv_schema(kind: str):
    columns = {
        "entries": export.ENTRY_COLUMNS,
        "blocks": export.SUMMARY_COLUMNS,
        "corrections": export.CORRECTION_COLUMNS,
    }.get(kind)
    if columns is None:
        abort(404)
    return export.table_schema(columns)


@bp.get("/exports/research/series.schema.json")
def research_series_schema():
    return research.series_table_schema()
