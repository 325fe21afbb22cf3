"""The clinic-wide exports for pipelines: what the exports page downloads, to a bearer
token of the clinic (any clinician may export, as on the page), audited the same way."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from diary import downloads
from diary.api import schemas
from diary.api.blueprint import api
from diary.api.problems import ApiProblem
from diary.api.spec import CSV, FHIR, JSON_OBJECT, XLSX

FILTERS = "; the query takes the exports page's filters"


def _any(words) -> str:
    """A rule's choice of words, as Flask's ``any`` converter reads it."""
    return "any(" + ", ".join(f"'{word}'" for word in words) + ")"


def _chosen(query: schemas.ExportQuery):
    return downloads.block_filter(
        current_user.clinic.timezone,
        start=query.start,
        end=query.end,
        region=query.region,
        agent=query.agent,
        verdict=query.verdict,
    )


def _detail() -> dict:
    return {"filters": {k: v for k, v in request.args.items() if v}}


@api.get(
    f"/exports/<{_any(downloads.EXPORT_COLUMNS)}:kind>.<any(csv, xlsx):fmt>",
    summary="Every entry of the chosen blocks (entries), the blocks with their verdicts "
    "(blocks), the entries' corrections (corrections), the ablations and the therapeutic "
    "blocks followed up with their outcomes (ablations, therapeutic-blocks) or their "
    f"check-ins (checkins), as CSV or an Excel workbook{FILTERS}",
    query=schemas.ExportQuery,
    answers={200: [CSV, XLSX]},
    problems=(404,),
    notes={404: "No such export"},
)
def clinic_export(kind: str, fmt: str, query: schemas.ExportQuery):
    user = current_user._get_current_object()
    return downloads.export_file(kind, fmt, _chosen(query), user, _detail())


@api.get(
    f"/exports/research/<{_any(downloads.RESEARCH_FILES)}:name>.csv",
    summary="The research files: wide (a row per block, a pain column per scheduled time), "
    f"series, the REDCap data dictionary with its import file, and the follow-up's REDCap "
    f"project (redcap-followup-dictionary, redcap-followup-import: check-ins as a repeating "
    f"instrument){FILTERS}",
    query=schemas.ExportQuery,
    answers={200: CSV},
    problems=(404,),
    notes={404: "No such file"},
)
def research_export(name: str, query: schemas.ExportQuery):
    user = current_user._get_current_object()
    return downloads.research_file(name, _chosen(query), user, _detail())


@api.get(
    f"/exports/<{_any(downloads.SCHEMA_FILES)}:name>.schema.json",
    summary="The Frictionless Table Schema of an export (the wide and REDCap files' columns "
    f"depend on the chosen blocks){FILTERS}",
    query=schemas.ExportQuery,
    answers={200: JSON_OBJECT},
    problems=(404,),
    notes={404: "No such file"},
)
def export_schema(name: str, query: schemas.ExportQuery):
    user = current_user._get_current_object()
    return downloads.table_schema(name, _chosen(query), user)


@api.get(
    "/exports/fhir",
    summary="The chosen blocks' diaries as one FHIR R4 Bundle, each patient once "
    f"(?bundle=transaction to load it into a server){FILTERS}",
    query=schemas.FhirExportQuery,
    answers={200: FHIR},
    problems=(409,),
    notes={409: "The clinic has not set its MRN identifier system (Settings → Records)"},
)
def fhir_export(query: schemas.FhirExportQuery):
    user = current_user._get_current_object()
    try:
        return downloads.fhir_file(
            _chosen(query), user, _detail(), transaction=query.bundle == "transaction"
        )
    except downloads.NoMrnSystem as refused:
        raise ApiProblem(409, str(refused)) from None
