"""The clinic-wide exports for pipelines: what the exports page downloads, to a bearer
token of the clinic (any clinician may export, as on the page), audited the same way."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from diary.api import schemas
from diary.api.blueprint import api
from diary.api.problems import ApiProblem
from diary.api.spec import CSV, FHIR, JSON_OBJECT, XLSX
from diary.records import downloads

FILTERS = "; the query takes the exports page's filters"


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


def _export_operations(kind: str, what: str):
    """The CSV and the .xlsx of one export, as two operations of one view."""

    def register(view):
        for fmt, answer in (("csv", CSV), ("xlsx", XLSX)):
            api.get(
                f"/exports/{kind}.{fmt}",
                summary=f"{what} ({'CSV' if fmt == 'csv' else 'Excel workbook'}){FILTERS}",
                query=schemas.ExportQuery,
                answers={200: answer},
                endpoint=f"export_{kind}",
                defaults={"kind": kind, "fmt": fmt},
            )(view)
        return view

    return register


@_export_operations("entries", "Every entry of the chosen blocks, one row each")
@_export_operations("blocks", "The chosen blocks, one row each, with their verdicts")
@_export_operations("corrections", "Every correction of the chosen blocks' entries")
def clinic_export(kind: str, fmt: str, query: schemas.ExportQuery):
    return downloads.export_file(kind, fmt, _chosen(query), current_user, _detail())


def _research_operation(name: str):
    return api.get(
        f"/exports/research/{name}.csv",
        summary=f"Research file: {downloads.RESEARCH_FILES[name]}{FILTERS}",
        query=schemas.ExportQuery,
        answers={200: CSV},
        endpoint="research_export",
        defaults={"name": name},
    )


@_research_operation("wide")
@_research_operation("series")
@_research_operation("redcap-dictionary")
@_research_operation("redcap-import")
def research_export(name: str, query: schemas.ExportQuery):
    return downloads.research_file(name, _chosen(query), current_user, _detail())


def _schema_operation(name: str):
    return api.get(
        f"/exports/{name}.schema.json",
        summary=f"The Frictionless Table Schema of /exports/{name}.csv{FILTERS}",
        query=schemas.ExportQuery,
        answers={200: JSON_OBJECT},
        endpoint="export_schema",
        defaults={"name": name},
    )


def _each_schema(view):
    for name in downloads.SCHEMA_FILES:
        _schema_operation(name)(view)
    return view


@_each_schema
def export_schema(name: str, query: schemas.ExportQuery):
    return downloads.table_schema(name, _chosen(query), current_user)


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
    try:
        return downloads.fhir_file(
            _chosen(query), current_user, _detail(), transaction=query.bundle == "transaction"
        )
    except downloads.NoMrnSystem as refused:
        raise ApiProblem(409, str(refused)) from None
