"""The one-page block report as PDF, drawn with matplotlib's PDF backend. Flask-free.

The same facts as the printable HTML report: patient, procedure, verdict with
reasons and warnings, chart, entries, clinician and printed date.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import datetime

from diary.charts import draw_chart
from diary.relief import Analysis, format_hours, format_pct

A4_INCHES = (8.27, 11.69)
MAX_TABLE_ROWS = 24


@dataclass(frozen=True)
class ReportFacts:
    """What the report prints besides the analysis; all text already formatted."""

    patient: str
    procedure: str
    details: list[str]
    clinician: str
    printed_at: str
    entries: list[tuple[str, str, str, str, str]]  # time, hours, pain, relief, edited


def _wrapped(lines: list[str], width: int = 100) -> list[str]:
    out = []
    for line in lines:
        out.extend(textwrap.wrap(line, width) or [""])
    return out


def report_pdf(
    facts: ReportFacts,
    analysis: Analysis,
    baseline_pain: int | None,
    verdict_label: str,
    created: datetime | None = None,
) -> bytes:
    from matplotlib.figure import Figure

    fig = Figure(figsize=A4_INCHES)
    fig.text(0.06, 0.965, "Medial branch block diary report", fontsize=15, weight="bold")
    fig.text(0.06, 0.945, f"{facts.patient} · {facts.procedure}", fontsize=9.5)
    y = 0.925
    for line in _wrapped(facts.details, 110):
        fig.text(0.06, y, line, fontsize=8)
        y -= 0.014
    fig.text(0.06, y - 0.01, f"Verdict: {verdict_label}", fontsize=13, weight="bold")
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
    draw_chart(chart, analysis, baseline_pain)
    table_top = chart_top - 0.37
    rows = facts.entries[:MAX_TABLE_ROWS]
    if rows:
        table_axes = fig.add_axes((0.06, 0.06, 0.88, max(0.05, table_top - 0.06)))
        table_axes.axis("off")
        table = table_axes.table(
            cellText=[list(r) for r in rows],
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
