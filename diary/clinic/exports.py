"""The clinic-wide exports page and its downloads (diary/downloads.py builds them)."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from diary import downloads
from diary.clinic.blueprint import bp
from diary.clinic.forms import (
    ExportFilterForm,
)
from diary.downloads import EXPORT_COLUMNS, RESEARCH_FILES, SCHEMA_FILES
from diary.services.dashboard import BlockFilter


def _export_filter() -> tuple[ExportFilterForm, BlockFilter | None]:
    form = ExportFilterForm(request.args)
    if not form.validate():
        return form, None
    return form, downloads.block_filter(
        current_user.clinic.timezone,
        start=form.start.data,
        end=form.end.data,
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
    return render_template(
        "clinic/exports.html", form=form, research_files=RESEARCH_FILES, schema_files=SCHEMA_FILES
    ), status


def _filters() -> dict:
    return {"filters": {k: v for k, v in request.args.items() if v}}


@bp.get(
    "/exports/<any(" + ", ".join(f"'{n}'" for n in EXPORT_COLUMNS) + "):kind>.<any(csv, xlsx):fmt>"
)
def clinic_export(kind: str, fmt: str):
    form, chosen = _export_filter()
    if chosen is None:
        return _exports_page(form, 400)
    user = current_user._get_current_object()
    return downloads.export_file(kind, fmt, chosen, user, _filters())


@bp.get("/exports/research/<any(" + ", ".join(f"'{n}'" for n in RESEARCH_FILES) + "):name>.csv")
def research_export(name: str):
    """The research arm's files, for the blocks the filters choose."""
    form, chosen = _export_filter()
    if chosen is None:
        return _exports_page(form, 400)
    user = current_user._get_current_object()
    return downloads.research_file(name, chosen, user, _filters())


@bp.get("/exports/fhir.json")
def fhir_export():
    """The chosen blocks' diaries as one FHIR R4 Bundle (?bundle=transaction to load it
    into a server)."""
    form, chosen = _export_filter()
    if chosen is None:
        return _exports_page(form, 400)
    user = current_user._get_current_object()
    try:
        return downloads.fhir_file(
            chosen, user, _filters(), transaction=request.args.get("bundle") == "transaction"
        )
    except downloads.NoMrnSystem:
        flash(_no_mrn_system_notice(), "error")
        return _exports_page(form, 409)


def _no_mrn_system_notice() -> Markup:
    """The refusal with "Settings → Records" a link to it for an admin; the settings are
    admin-only, so anyone else is told who sets it."""
    notice = Markup.escape(downloads.NO_MRN_SYSTEM)
    if not current_user.is_admin:
        return notice + " An admin of your clinic sets it."
    link = Markup('<a href="{}">Settings → Records</a>').format(
        url_for("clinic.settings", _anchor="records")
    )
    return notice.replace("Settings → Records", link)


@bp.get("/exports/<any(" + ", ".join(f"'{n}'" for n in SCHEMA_FILES) + "):kind>.schema.json")
def csv_schema(kind: str):
    """A file's Frictionless Table Schema (the wide and REDCap files' for the filters)."""
    form, chosen = _export_filter()
    if chosen is None:
        return _exports_page(form, 400)
    return downloads.table_schema(kind, chosen, current_user._get_current_object())
