"""The clinic-wide downloads as the clinic's pages and the API both serve them (a pipeline
with an API token gets what a signed-in clinician gets): the CSV exports and their
workbooks, the research files, their table schemas and the FHIR bundle. Each is audited
as a download of the user asking.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from itertools import chain

from flask import Response, current_app, stream_with_context
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from diary.extensions import db
from diary.forms import clinic_time_to_utc
from diary.models import Block, Patient, User, utcnow
from diary.records import export, export_queries
from diary.schedule import RUNNING, DiarySchedule
from diary.services.analysis import (
    analyse_block,
    analysed_series,
    block_readings,
    side_analyses_of,
)
from diary.services.audit import record_audit
from diary.services.blocks import agent_label
from diary.services.dashboard import BlockFilter
from diary.services.days import (
    block_days_of_relief,
    block_outcome,
    readings_outcome,
    row_days_of_relief,
    side_days_of_relief,
    sides_outcome,
)
from diary.services.followup import (
    block_fhir_checkins,
    clinic_followed,
    fhir_checkins,
    follow_up_view,
)
from diary.services.settings import diary_schedule
from diary.vocabulary import Scoring
from diary.web import commit_keeping_loaded, csv_response, xlsx_response

EXPORT_COLUMNS = {
    "entries": export.ENTRY_COLUMNS,
    "blocks": export.SUMMARY_COLUMNS,
    "corrections": export.CORRECTION_COLUMNS,
    "ablations": export.ABLATION_COLUMNS,
    "checkins": export.CHECKIN_COLUMNS,
    "therapeutic-blocks": export.THERAPEUTIC_COLUMNS,
}
FOLLOW_UP_FILES = ("ablations", "checkins", "therapeutic-blocks")
RESEARCH_FILES = {
    "wide": "one row per block, a pain column per scheduled time",
    "series": "one row per series: pair status and both ablation criteria",
    "redcap-dictionary": "REDCap data dictionary (upload under Project Setup)",
    "redcap-import": "REDCap import file (Data Import Tool), matching the dictionary",
    "redcap-followup-dictionary": "REDCap data dictionary of the follow-up: a procedure "
    "form, and the check-ins as a repeating instrument (enable “checkin” under Repeating "
    "instruments)",
    "redcap-followup-import": "REDCap import file of the follow-up: each ablation or "
    "therapeutic block, then its check-ins as instances of the repeating instrument",
}
# The follow-up's REDCap files: their audit actions (40 characters at most).
FOLLOWUP_REDCAP = {
    "redcap-followup-dictionary": "export.redcap_followup_dictionary",
    "redcap-followup-import": "export.redcap_followup_import",
}
# Files with a table schema at /exports/<name>.schema.json.
SCHEMA_FILES = (*EXPORT_COLUMNS, "wide", "series", "redcap-import")
NO_MRN_SYSTEM = (
    "Set your clinic's MRN identifier system (Settings → Records) before the first FHIR "
    "export: a FHIR server tells patients apart by it, so each clinic needs its own "
    "(its EHR's URI, or urn:oid:…)."
)


def block_filter(
    tz: str,
    start: date | None = None,
    end: date | None = None,
    region: str | None = None,
    agent: str | None = None,
    verdict: str | None = None,
) -> BlockFilter:
    """The blocks performed from ``start`` to ``end`` (the clinic's dates, both included)
    with the region, agent and verdict given (None: any)."""
    midnight = datetime.min.time()
    return BlockFilter(
        performed_from=clinic_time_to_utc(datetime.combine(start, midnight), tz) if start else None,
        performed_before=clinic_time_to_utc(datetime.combine(end + timedelta(days=1), midnight), tz)
        if end
        else None,
        region=region,
        agent=agent,
        verdict=verdict,
    )


class NoMrnSystem(Exception):
    """The clinic has not set its MRN identifier system: no FHIR export yet."""


def export_rows(
    kind: str, chosen: BlockFilter, user: User, text: Callable = export.text_cell
) -> Iterable[list[str]]:
    """The (lazily read) rows of one clinic-wide export; ``text`` writes free text
    (export.plain_cell for a workbook)."""
    if kind in FOLLOW_UP_FILES:
        return _follow_up_rows(kind, chosen, user, text)
    blocks = export_queries.clinic_export(
        user.clinic, chosen, with_entries=kind == "entries", with_days=kind == "blocks"
    )
    tz = user.clinic.timezone
    if kind == "entries":
        offsets = export.ZoneOffsets(tz)
        return (
            export.entry_lines(block, summary, entries, tz, status, text, offsets=offsets)
            for block, summary, entries, status in blocks
        )
    if kind == "blocks":
        return _summary_lines(blocks, user, text)
    return _correction_lines(blocks, text)


def block_days(blocks, user: User) -> Iterator[tuple]:
    """(block, summary, entries, status, days of relief, outcome, each side's days of
    relief) of an export's blocks (clinic_export's, read ``with_days``): a block scored
    apart has its days per side, and its outcome names both sides."""
    schedule, tz = diary_schedule(user.clinic), user.clinic.timezone
    for block, summary, entries, status in blocks:
        rows = [export_queries.EntryRow._make(entry) for entry in entries]
        days = row_days_of_relief(block, rows, schedule, tz)
        side_days = side_days_of_relief(block, rows, schedule, tz)
        both = sides_outcome(block, export.side_summaries_of(block), side_days)
        outcome = block_outcome(block, summary.verdict, days, both)
        yield block, summary, entries, status, days, outcome, side_days


def fhir_readings(block: Block, analysis, provisional: bool = False) -> dict:
    """What a block's FHIR resources read besides its one analysis: each side's reading
    and days of relief when scored apart, the days of relief, and the outcome (both
    sides' when apart, each marked ``provisional`` while the diary runs), as
    fhir.diary_resources takes them."""
    days = block_days_of_relief(block)
    readings = block_readings(block) if block.scored_apart else []
    return dict(
        provisional=provisional,
        sides=side_analyses_of(readings),
        days=days,
        outcome=(
            readings_outcome(block, readings, provisional)
            if readings
            else block_outcome(block, analysis.verdict, days)
        ),
        side_days={str(r.scored_side): r.days_of_relief for r in readings} or None,
    )


def _summary_lines(blocks, user: User, text: Callable) -> Iterator[list[str]]:
    tz = user.clinic.timezone
    for block, summary, _, status, days, outcome, side_days in block_days(blocks, user):
        yield [
            export.summary_line(
                block, summary, tz, status, text, days=days, outcome=outcome, side_days=side_days
            )
        ]


def _follow_up_rows(kind: str, chosen: BlockFilter, user: User, text: Callable):
    """The ablations or the therapeutic blocks followed up (a row per reading), or the
    check-ins (a row each) of the procedures performed in the filters' dates and region
    (agent and verdict are a block diary's)."""
    tz = user.clinic.timezone
    procedures = clinic_followed(
        user.clinic,
        chosen.performed_from,
        chosen.performed_before,
        chosen.region,
        ablations=kind != "therapeutic-blocks",
        blocks=kind != "ablations",
    )
    for procedure in procedures:
        view = follow_up_view(procedure)
        patient = procedure.record.patient
        if kind != "checkins":
            counted = len(view.rows) - len(view.superseded)
            yield export.ablation_lines(procedure.record, patient, view.follow, tz, counted, text)
            continue
        reliefs = view.reliefs()
        name = "ablation" if procedure.is_ablation else "therapeutic_block"
        yield [
            export.checkin_line(
                row,
                name,
                patient,
                view.dated_on(row),
                reliefs.get(row.id, {}),
                row.id not in view.superseded,
                tz,
                text,
            )
            for row in view.rows
        ]


def _correction_lines(blocks, text: Callable) -> Iterator[list[str]]:
    """The corrections of the chosen blocks (the filters' blocks, read first)."""
    chosen_ids = [block.id for block, _, _, _ in blocks]
    for block_id, revision in export_queries.corrections_of(chosen_ids):
        yield [export.correction_line(block_id, revision, text)]


def export_file(kind: str, fmt: str, chosen: BlockFilter, user: User, detail: dict) -> Response:
    """The entries, blocks or corrections export as CSV or an Excel workbook."""
    columns = EXPORT_COLUMNS[kind]
    # An audit action holds at most 40 characters, ".start" included.
    action = f"export.clinic_{kind.split('-')[0]}_{fmt}"
    if fmt == "xlsx":
        rows = export_rows(kind, chosen, user, export.plain_cell)
        return xlsx_response(columns, rows, f"clinic-{kind}.xlsx", action, detail)
    return csv_response(
        columns,
        export_rows(kind, chosen, user),
        f"clinic-{kind}.csv",
        action,
        detail=detail,
    )


def _chosen_block_ids(chosen: BlockFilter, user: User) -> list[int]:
    return [
        block.id
        for block, _, _, _ in export_queries.clinic_export(user.clinic, chosen, with_entries=False)
    ]


def research_slots(chosen: BlockFilter, user: User) -> tuple[list[int], int]:
    """The wide file's pain columns: the scheduled times of the hours after the block the
    chosen blocks answered, and how many daily slots the most of them ask for."""
    block_ids = _chosen_block_ids(chosen, user)
    return export_queries.answered_slots(block_ids), export_queries.daily_columns(block_ids)


def research_file(name: str, chosen: BlockFilter, user: User, detail: dict) -> Response:
    """The research arm's files, for the blocks the filters choose."""
    from diary.records import research

    action, filename = f"export.research_{name.replace('-', '_')}", f"clinic-{name}.csv"
    if name in FOLLOWUP_REDCAP:
        return _followup_redcap(name, chosen, user, detail)
    if name == "series":
        return csv_response(
            research.SERIES_COLUMNS,
            _series_lines(user, chosen),
            filename,
            action,
            detail=detail,
        )
    slots, days = research_slots(chosen, user)
    if name == "redcap-dictionary":
        lines = [list(research.redcap_dictionary(slots, days))]
        return csv_response(
            research.REDCAP_DICTIONARY_HEADER,
            lines,
            filename,
            action,
            detail=detail,
            bom=False,
        )
    redcap = name == "redcap-import"
    blocks = export_queries.clinic_export(user.clinic, chosen, with_entries=True)
    rows = (
        [
            research.wide_line(
                block,
                summary,
                entries,
                slots,
                status,
                redcap,
                days=days,
                relief_days=relief_days,
                outcome=outcome,
                side_days=side_days,
            )
        ]
        for block, summary, entries, status, relief_days, outcome, side_days in block_days(
            blocks, user
        )
    )
    return csv_response(
        research.wide_columns(slots, redcap, days),
        rows,
        filename,
        action,
        detail=detail,
        bom=not redcap,  # REDCap's importer wants no byte-order mark
    )


def _followup_redcap(name: str, chosen: BlockFilter, user: User, detail: dict) -> Response:
    """The follow-up's REDCap dictionary, or its import file: the procedures and check-ins
    the check-ins CSV reads (the filters' dates and region), no byte-order mark."""
    from diary.records import followup_redcap, research

    action, filename = FOLLOWUP_REDCAP[name], f"clinic-{name}.csv"
    if name == "redcap-followup-dictionary":
        lines = [list(followup_redcap.redcap_dictionary())]
        return csv_response(
            research.REDCAP_DICTIONARY_HEADER, lines, filename, action, detail=detail, bom=False
        )
    return csv_response(
        followup_redcap.import_columns(),
        _followup_import_rows(chosen, user),
        filename,
        action,
        detail=detail,
        bom=False,
    )


def _followup_import_rows(chosen: BlockFilter, user: User) -> Iterator[list[str]]:
    """The follow-up's REDCap import rows, a procedure's at a time. The procedures are read
    as the body streams, as _follow_up_rows reads them: read in the view, they were no
    longer in a session when a server streamed the body (a procedure's clinic, loaded
    lazily, then failed the download half-way: outside trial)."""
    from diary.records import followup_redcap

    for procedure in clinic_followed(
        user.clinic, chosen.performed_from, chosen.performed_before, chosen.region
    ):
        yield followup_redcap.import_lines(
            procedure.record,
            procedure.is_ablation,
            procedure.scoring.value if procedure.scored_apart else Scoring.ONE.value,
            follow_up_view(procedure),
        )


def _series_lines(user: User, chosen: BlockFilter):
    """Each series with a chosen block, patient by patient."""
    from diary.records import research

    chosen_ids = set(_chosen_block_ids(chosen, user))
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


def table_schema(name: str, chosen: BlockFilter, user: User) -> dict:
    """The Frictionless Table Schema of a file in SCHEMA_FILES (the wide and REDCap files'
    columns depend on the blocks the filters choose)."""
    from diary.records import research

    if name in EXPORT_COLUMNS:
        return export.table_schema(EXPORT_COLUMNS[name])
    if name == "series":
        return research.series_schema()
    slots, days = research_slots(chosen, user)
    return research.wide_schema(slots, redcap=name == "redcap-import", days=days)


def fhir_file(chosen: BlockFilter, user: User, detail: dict, transaction: bool) -> Response:
    """The chosen blocks' diaries as one FHIR Bundle (streamed), each patient once;
    NoMrnSystem until the clinic has set its MRN identifier system."""
    from diary.records import fhir

    clinic = user.clinic
    if not clinic.mrn_system:
        raise NoMrnSystem(NO_MRN_SYSTEM)
    block_ids = _chosen_block_ids(chosen, user)
    records = current_app.config["PUBLIC_URL"].rstrip("/")
    mrn_system, now, schedule = clinic.mrn_system, utcnow(), diary_schedule(clinic)
    record_audit("export.clinic_fhir.start", by=user, detail=detail)
    commit_keeping_loaded()
    counted = {"blocks": 0, "ablations": 0}

    def diaries(chunk: int = 50) -> Iterator[list[tuple[str, dict]]]:
        for start in range(0, len(block_ids), chunk):
            blocks = db.session.scalars(
                select(Block)
                .where(Block.id.in_(block_ids[start : start + chunk]))
                .options(selectinload(Block.entries), selectinload(Block.patient))
                .order_by(Block.performed_at, Block.id)
            ).all()
            for block in blocks:
                counted["blocks"] += 1
                analysis = analyse_block(block)
                yield fhir.diary_resources(
                    block,
                    agent_label(block),
                    analysis,
                    now,
                    records=records,
                    mrn_system=mrn_system,
                    **fhir_readings(block, analysis, block_is_provisional(block, schedule, now)),
                    checkins=block_fhir_checkins(block),
                )

    def ablations() -> Iterator[list[tuple[str, dict]]]:
        """The ablations performed in the filters' dates and region, with their check-ins."""
        for procedure in clinic_followed(
            clinic, chosen.performed_from, chosen.performed_before, chosen.region, blocks=False
        ):
            counted["ablations"] += 1
            yield fhir.ablation_resources(
                procedure.record, fhir_checkins(procedure), records, mrn_system
            )

    def body() -> Iterator[str]:
        outcome: dict = {"aborted": True}
        try:
            yield from fhir.bundle_stream(chain(diaries(), ablations()), now, transaction)
            outcome = {}
        finally:
            record_audit("export.clinic_fhir", by=user, detail=detail | counted | outcome)
            db.session.commit()

    return Response(
        stream_with_context(body()),
        mimetype="application/fhir+json",
        headers={"Content-Disposition": 'attachment; filename="clinic-fhir.json"'},
    )


def block_is_provisional(block: Block, schedule: DiarySchedule, now: datetime) -> bool:
    """The block's diary still runs: its verdict may change."""
    status = export_queries.export_status(
        block, schedule, len(block.entries), now, block.clinic.timezone
    )
    return status in RUNNING
