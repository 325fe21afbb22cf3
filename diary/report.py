"""The one-page block report: its facts, built once here for every format (the printable
HTML page and the PDF), and the PDF drawn with matplotlib's PDF backend. Flask-free.

The facts: patient, procedure, verdict with reasons and warnings, chart, entries,
clinician and printed date.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import datetime

from diary import anatomy
from diary.charts import ChartView, draw_chart, new_figure
from diary.formatting import hours, local_time, pct
from diary.relief import VERDICT_LABELS, Analysis, format_hours, format_pct

A4_INCHES = (8.27, 11.69)
MAX_TABLE_ROWS = 24


@dataclass(frozen=True)
class ReportRow:
    """One diary entry as the report prints it."""

    time: str
    hours: str  # "superseded" for an entry a later one for the same time replaced
    pain: str
    relief: str
    patient_relief: str
    activity: str
    note: str
    edited: str


@dataclass(frozen=True)
class ReportFacts:
    """What the report prints besides the analysis; all text already formatted."""

    patient: str
    patient_details: str
    procedure: str
    details: str
    verdict: str
    clinician: str
    printed_at: str
    entries: list[ReportRow]


def report_facts(
    block,
    analysis: Analysis,
    agent_label: str,
    tz: str,
    now: datetime,
    awaiting: str | None = None,
) -> ReportFacts:
    """The report's facts of ``block`` (a Block record) read in the clinic's time zone;
    ``awaiting`` says what a diary still running waits for (its verdict is provisional)."""
    verdict = VERDICT_LABELS[analysis.verdict]
    if awaiting:
        verdict += f" (provisional: diary still running, {awaiting})"
    points = {p.entry_id: p for p in analysis.relief}
    patient = block.patient
    identity = [f"MRN {patient.mrn}" if patient.mrn else "", _born(patient.birth_year)]
    return ReportFacts(
        patient=patient.display_name,
        patient_details=" · ".join(part for part in identity if part),
        procedure=(
            f"{anatomy.REGIONS[block.region]} medial branch block, {', '.join(block.levels)} "
            f"{anatomy.SIDES[block.side].lower()} · {local_time(block.performed_at, tz)} ({tz})"
        ),
        details=(
            f"{block.purpose.capitalize()} block, {block.sequence} in series; "
            f"{agent_label}, {block.volume_ml_per_level:g} mL per level; "
            f"steroid {'yes' if block.steroid else 'no'}; sedation {block.sedation}; "
            f"baseline pain {block.baseline_pain}/10."
        ),
        verdict=verdict,
        clinician=block.created_by.name if block.created_by else "—",
        printed_at=f"{local_time(now, tz)} ({tz})",
        entries=[
            ReportRow(
                time=local_time(entry.recorded_at, tz, "%d %b %H:%M"),
                hours=hours(points[entry.id].hours) if entry.id in points else "superseded",
                pain=str(entry.pain),
                relief=pct(points[entry.id].relief_pct) if entry.id in points else "",
                patient_relief=pct(entry.reported_relief_pct),
                activity=entry.activity or "",
                note=entry.note or "",
                edited="yes" if entry.edited else "",
            )
            for entry in block.entries
        ],
    )


def _born(year: int | None) -> str:
    return f"born {year}" if year else ""


def _wrapped(lines: list[str], width: int = 100) -> list[str]:
    out = []
    for line in lines:
        out.extend(textwrap.wrap(line, width) or [""])
    return out


def report_pdf(
    facts: ReportFacts,
    analysis: Analysis,
    baseline_pain: int | None,
    created: datetime | None = None,
    view: ChartView | None = None,
) -> bytes:
    fig = new_figure(figsize=A4_INCHES)
    fig.text(0.06, 0.965, "Medial branch block diary report", fontsize=15, weight="bold")
    patient = " · ".join(part for part in (facts.patient, facts.patient_details) if part)
    fig.text(0.06, 0.945, f"{patient} · {facts.procedure}", fontsize=9.5)
    y = 0.925
    for line in _wrapped([facts.details], 110):
        fig.text(0.06, y, line, fontsize=8)
        y -= 0.014
    fig.text(0.06, y - 0.01, f"Verdict: {facts.verdict}", fontsize=13, weight="bold")
    y -= 0.032
    window = (
        f"Threshold ≥{format_pct(analysis.threshold_pct)}; expected window for "
        f"{analysis.agent_label}: {format_hours(analysis.expected_window_h[0])}–"
        f"{format_hours(analysis.expected_window_h[1])}"
    )
    for line in _wrapped([window] + [f"• {r}" for r in analysis.reasons], 105):
        fig.text(0.06, y, line, fontsize=8.5)
        y -= 0.015
    if analysis.warnings:
        fig.text(0.06, y, "Warnings", fontsize=9, weight="bold")
        y -= 0.015
        for line in _wrapped([f"! {w}" for w in analysis.warnings], 105):
            fig.text(0.06, y, line, fontsize=8.5)
            y -= 0.015
    chart_top = y - 0.01
    chart = fig.add_axes((0.1, chart_top - 0.27, 0.78, 0.25))
    draw_chart(chart, analysis, baseline_pain, view)
    table_top = chart_top - 0.37
    rows = facts.entries[:MAX_TABLE_ROWS]
    if rows:
        table_axes = fig.add_axes((0.06, 0.06, 0.88, max(0.05, table_top - 0.06)))
        table_axes.axis("off")
        table = table_axes.table(
            cellText=[[r.time, r.hours, r.pain, r.relief, r.edited] for r in rows],
            colLabels=["Time", "Hours since block", "Pain", "Relief", "Edited"],
            loc="upper center",
            cellLoc="left",
        )
        table.auto_set_font_size(False)
        table.set_fontsize(7.5)
        table.scale(1, 1.15)
        if len(facts.entries) > MAX_TABLE_ROWS:
            fig.text(
                0.06,
                0.045,
                f"{len(facts.entries) - MAX_TABLE_ROWS} more entries in the CSV export.",
                fontsize=7.5,
            )
    fig.text(
        0.06, 0.025, f"Clinician: {facts.clinician} · Printed {facts.printed_at}", fontsize=7.5
    )
    buffer = io.BytesIO()
    fig.savefig(
        buffer, format="pdf", metadata={"Title": "Block diary report", "CreationDate": created}
    )
    return buffer.getvalue()
