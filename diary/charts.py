"""The relief chart, drawn with matplotlib's object API (thread-safe; never pyplot). Flask-free.

matplotlib is imported inside the drawing function so that starting the app,
and every request that draws nothing, does not pay for it.
"""

from __future__ import annotations

import functools
import gc
import io
import textwrap
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from diary.lru import BoundedLRU
from diary.pathway.values import DAYS_CLASS_LABELS, DaysOfRelief, each_side
from diary.relief import (
    VERDICT_LABELS,
    Analysis,
    ReliefPoint,
    format_hours,
    format_hours_alike,
    format_pct,
)

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
P = ParamSpec("P")
R = TypeVar("R")
TITLE_CHARS = 68  # a 10 pt title line from the axes to the right edge
WIDTH_IN, HEIGHT_IN, BASE_DPI = 6.4, 4.4, 100


def chart_title(analysis: Analysis, awaiting: str | None = None) -> str:
    """The verdict and its figures; an indeterminate verdict says why, a provisional one
    what the diary still waits for."""
    title = VERDICT_LABELS.get(analysis.verdict, analysis.verdict)
    if awaiting:
        title += f" (provisional, {awaiting})"
    if analysis.verdict == "indeterminate" and analysis.reasons:
        return f"{title}: {analysis.reasons[0]}"
    details = []
    if analysis.peak_relief_pct is not None:
        details.append(f"peak {format_pct(analysis.peak_relief_pct)} relief")
    if analysis.response_start_h is not None:
        prefix = "≥" if analysis.response_open else ""
        details.append(
            f"≥{format_pct(analysis.threshold_pct)} for {prefix}"
            f"{format_hours(analysis.response_duration_h)}"
        )
    return title + (": " + ", ".join(details) if details else "")


@dataclass(frozen=True)
class DailyChart:
    """The days after the hourly window (pathway.md §2), drawn in a panel of their own:
    ``days`` (each day's score and the days of relief) and ``split_h``, the hour after
    the block from which an entry answers a daily slot rather than an hourly one (the
    hours' panel ends there)."""

    days: DaysOfRelief
    split_h: float


def days_title(days: DaysOfRelief) -> str:
    """ "Days of relief (≥50 %): at least 9 days (weeks)"."""
    return f"Days of relief (≥50%): {days.text} ({DAYS_CLASS_LABELS[days.relief_class]})"


def chart_alt_text(
    analysis: Analysis, baseline_pain: int | None, daily: DailyChart | None = None
) -> str:
    """A text alternative stating what the chart shows."""
    low, high = analysis.expected_window_h
    parts = [
        f"Chart of pain over hours since the block. Verdict: {chart_title(analysis)}.",
        f"Baseline pain {baseline_pain}/10." if baseline_pain is not None else "No baseline pain.",
        f"{len(analysis.relief)} entries.",
        f"Expected relief window for {analysis.agent_label}: {low:g} to {high:g} hours.",
    ]
    if analysis.response_start_h is not None and analysis.response_end_h is not None:
        start, end = format_hours_alike(analysis.response_start_h, analysis.response_end_h)
        parts.append(
            f"Relief of at least {format_pct(analysis.threshold_pct)} from {start} to {end}."
        )
    if daily is not None:
        scored = [s for s in daily.days.scores if s.pain is not None]
        parts.append(
            f"A second panel shows the {len(daily.days.scores)} daily scores "
            f"({len(scored)} made) on a day axis with the 50% relief line. "
            f"{days_title(daily.days)}."
        )
    return " ".join(parts)


def _marker_for(point: ReliefPoint) -> tuple[str, str, str]:
    """(matplotlib marker, face colour, legend label): shapes differ so print in grey works."""
    if point.before_block:
        return "x", "black", "before the block (ignored)"
    if point.edited:
        return "s", "white", "corrected entry"
    if point.transcribed:
        return "D", "0.6", "from the paper diary"
    if point.logged_late:
        return "^", "white", "logged later"
    return "o", "black", "entry"


def figure_freed(render: Callable[P, R]) -> Callable[P, R]:
    """Free the figure ``render`` drew as soon as it returns. A Figure, its canvas, axes
    and artists refer to each other, so only the cycle collector frees them, with the Agg
    renderer's pixels (1.1 MB at 1x, 4.5 at 2x): left to its schedule, a worker held
    every chart drawn since the last full collection (2-4 MB each, 40 MB after 20 charts
    in bench). A young-generation collection, as pyplot's own close does, frees them for
    no measurable CPU (test_charts.py)."""

    @functools.wraps(render)
    def freed(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return render(*args, **kwargs)
        finally:
            gc.collect(1)

    return freed


def new_figure(**options):
    """A matplotlib Figure whose text is drawn as written: names and agents come from
    users, and ``$…$`` in them would otherwise go to the math parser (and fail)."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams["text.parse_math"] = False  # the same value every time: no race
    return Figure(**options)


@figure_freed
def render_chart(
    analysis: Analysis,
    baseline_pain: int | None,
    fmt: str = "png",
    scale: int = 1,
    view: ChartView | None = None,
    daily: DailyChart | None = None,
) -> bytes:
    """The block's chart as PNG (``scale`` 1 or 2 for high-density screens) or SVG bytes;
    with ``daily``, the days after the hourly window in a second panel."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    fig = _chart_figure(analysis, baseline_pain, view, BASE_DPI * scale, daily)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


PRINT_DPI = 150


@figure_freed
def render_print_png(
    analysis: Analysis,
    baseline_pain: int | None,
    view: ChartView | None = None,
    daily: DailyChart | None = None,
) -> bytes:
    """The chart for a PDF: an opaque PNG at print resolution. WeasyPrint re-encodes each
    PNG it embeds, a transparent one twice (colours and alpha apart), and draws an SVG's
    every glyph as a path in Python: this is the cheapest picture for it to place."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig = _chart_figure(analysis, baseline_pain, view, PRINT_DPI, daily)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    opaque = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buffer = io.BytesIO()
    # Grey only (no colour is used, see SIDE_STYLES): a third of the bytes to re-encode.
    opaque.convert("L").save(buffer, format="PNG", compress_level=1)  # re-encoded anyway
    return buffer.getvalue()


# The days' panel below the hours': this much taller (inches).
DAILY_HEIGHT_IN = 2.9


def _chart_figure(
    analysis: Analysis, baseline_pain: int | None, view, dpi: float, daily: DailyChart | None = None
):
    if daily is None:
        fig = new_figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=dpi)
        fig.subplots_adjust(left=0.1, right=0.88, top=0.87, bottom=0.36)
        draw_chart(fig.add_subplot(), analysis, baseline_pain, view)
        return fig
    # The hours keep their own panel and scale (as without daily scores); the days below.
    height = HEIGHT_IN + DAILY_HEIGHT_IN
    fig = new_figure(figsize=(WIDTH_IN, height), dpi=dpi)
    # The hours' axes where the one-panel chart has them, in inches from the top (its title
    # above, its legend below); the days' axes below with their own title and legend.
    top_in, hours_in = HEIGHT_IN * (1 - 0.87), HEIGHT_IN * (0.87 - 0.36)
    hours_ax = fig.add_axes((0.1, 1 - (top_in + hours_in) / height, 0.78, hours_in / height))
    days_ax = fig.add_axes((0.1, 0.85 / height, 0.78, 1.6 / height))
    draw_chart(hours_ax, analysis, baseline_pain, view, hours_end_h=daily.split_h)
    draw_days(days_ax, daily.days, baseline_pain)
    return fig


@dataclass(frozen=True)
class ChartView:
    """What a chart shows besides its analysis: the onset limit (a clinic setting), what a
    running diary awaits, and a shared end of the time axis (a series' charts line up)."""

    onset_limit_h: float = 1.0
    awaiting: str | None = None
    until_h: float | None = None


def chart_end_h(analysis: Analysis) -> float:
    """Where the chart's time axis ends by itself: the expected window or the last entry."""
    last_hour = max((p.hours for p in analysis.relief), default=0.0)
    return max(analysis.expected_window_h[1], last_hour) + 0.25


def draw_chart(
    ax,
    analysis: Analysis,
    baseline_pain: int | None,
    view: ChartView | None = None,
    hours_end_h: float | None = None,
) -> None:
    """Draw the relief chart on a matplotlib Axes (also used by the PDF report).
    ``hours_end_h``: the hours after the block it shows at most (the daily scores after
    it have a panel of their own, draw_days)."""
    view = view or ChartView()
    low, high = analysis.expected_window_h
    points = analysis.relief
    if hours_end_h is not None:
        points = [p for p in points if p.hours < hours_end_h]
        last_hour = max((p.hours for p in points), default=0.0)
        x_end = max(high, last_hour, min(view.until_h or 0.0, hours_end_h)) + 0.25
    else:
        x_end = max(chart_end_h(analysis), view.until_h or 0.0)
    x_start = min(0.0, min((p.hours for p in points), default=0.0)) - 0.1

    ax.axvspan(
        0,
        high,
        facecolor="0.93",
        linewidth=0,
        label=f"{analysis.agent_label}: relief expected within {high:g} h",
    )
    ax.axvline(
        view.onset_limit_h,
        color="0.35",
        linewidth=1,
        linestyle=(0, (4, 2, 1, 2)),
        label=f"onset limit, {format_hours(view.onset_limit_h)}",
    )
    if analysis.response_start_h is not None:
        end = analysis.response_end_h
        if end == analysis.response_start_h:
            end += 0.05  # a single qualifying entry still shows as a sliver
        ax.axvspan(
            analysis.response_start_h,
            end,
            facecolor="0.75",
            edgecolor="black",
            hatch="///",
            linewidth=0,
            alpha=0.6,
            label=f"≥{format_pct(analysis.threshold_pct)} relief "
            f"({format_hours(analysis.response_duration_h)})",
        )

    if baseline_pain:
        ax.axhline(
            baseline_pain,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"baseline {baseline_pain}/10",
        )
        for level, style in ((50, "-."), (80, ":")):
            pain_at_level = baseline_pain * (1 - level / 100)
            ax.axhline(
                pain_at_level,
                color="0.3",
                linestyle=style,
                linewidth=1,
                label=f"{level}% relief (pain {pain_at_level:.1f})",
            )
        # The relief scale on the right, as labels at the heights of 0, 50, 80 and 100%
        # relief: a secondary axis would cost a third of the drawing time.
        at_right = ax.get_yaxis_transform()
        for pct in (0, 50, 80, 100):
            pain = baseline_pain * (1 - pct / 100)
            ax.text(1.01, pain, f"{pct}", transform=at_right, va="center", fontsize=9)
        ax.text(
            1.08,
            0.5,
            "Relief from baseline (%)",
            transform=ax.transAxes,
            rotation=90,
            va="center",
            fontsize=9,
        )

    if points:
        ax.plot([p.hours for p in points], [p.pain for p in points], color="0.35", linewidth=1.2)
    # One line of markers per kind of entry (not one per entry: each is an artist to draw).
    kinds: dict[tuple[str, str, str], list[ReliefPoint]] = {}
    for point in points:
        kinds.setdefault(_marker_for(point), []).append(point)
    for (marker, face, label), kind_points in kinds.items():
        ax.plot(
            [p.hours for p in kind_points],
            [p.pain for p in kind_points],
            linestyle="none",
            marker=marker,
            markersize=7,
            markerfacecolor=face,
            markeredgecolor="black",
            label=label,
        )

    ax.set_xlim(x_start, x_end)
    ax.set_ylim(-0.3, 10.3)
    ax.set_yticks(range(0, 11, 2))
    ax.set_xlabel("Hours since the block", fontsize=9)
    ax.set_ylabel("Pain (0–10)", fontsize=9)
    ax.grid(True, color="0.85", linewidth=0.6)
    title = chart_title(analysis, view.awaiting)
    # Wrapped here, by characters: matplotlib's own wrapping measures the text at every
    # draw (a tenth of the chart's time).
    ax.set_title(
        textwrap.fill(title, TITLE_CHARS), fontsize=10 if len(title) > 60 else 11, loc="left"
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize=8, frameon=False)


def draw_days(ax, days: DaysOfRelief, baseline_pain: int | None) -> None:
    """The daily scores on a day axis (day 1 = 24 h after the block), with the baseline
    and the 50 % relief line, the days of relief shaded and a bridged day marked."""
    count = len(days.scores)
    scored = [s for s in days.scores if s.pain is not None]
    if days.days:
        ax.axvspan(
            0.5,
            days.days + 0.5,
            facecolor="0.75",
            edgecolor="black",
            hatch="///",
            linewidth=0,
            alpha=0.6,
            label=f"≥50% relief: {days.text}",
        )
    if baseline_pain:
        ax.axhline(
            baseline_pain,
            color="black",
            linestyle="--",
            linewidth=1.2,
            label=f"baseline {baseline_pain}/10",
        )
        half = baseline_pain * 0.5
        ax.axhline(
            half, color="0.3", linestyle="-.", linewidth=1, label=f"50% relief (pain {half:.1f})"
        )
    if scored:
        ax.plot(
            [s.day for s in scored],
            [s.pain for s in scored],
            color="0.35",
            linewidth=1.2,
            marker="o",
            markersize=6,
            markerfacecolor="black",
            markeredgecolor="black",
            label="daily score",
        )
    for day in days.bridged_days:
        ax.annotate(
            "no score",
            (day, 0.2),
            ha="center",
            fontsize=7,
            rotation=90,
            va="bottom",
        )
    ax.set_xlim(0.5, count + 0.5)
    ax.set_xticks(range(1, count + 1))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylim(-0.3, 10.3)
    ax.set_yticks(range(0, 11, 2))
    ax.set_xlabel("Days since the block", fontsize=9)
    ax.set_ylabel("Pain (0–10)", fontsize=9)
    ax.grid(True, color="0.85", linewidth=0.6)
    ax.set_title(days_title(days), fontsize=10, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=4, fontsize=8, frameon=False)


class ChartCache(BoundedLRU[bytes]):
    """Rendered charts, keyed by what the chart depends on; counts its renders. A chart
    not yet kept is drawn by one thread at a time (BoundedLRU.get_or_make)."""

    def __init__(self, max_items: int = 256):
        super().__init__(max_items)
        self.renders = 0

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        def counted() -> bytes:
            body = render()
            self.renders += 1
            return body

        return self.get_or_make(key, counted)


# --- follow-up after an ablation: relief by month ------------------------------------------

# Each reading (left, right, or the one pain) drawn in its own line style and marker, so
# that print in grey tells them apart.
FOLLOW_UP_STYLES = (("-", "o", "black"), ("--", "s", "0.45"), (":", "^", "0.25"))


def follow_up_chart_alt_text(lines: list[tuple[str, list[tuple[float, float]]]]) -> str:
    parts = []
    for label, points in lines:
        values = ", ".join(
            f"{format_pct(relief)} at {months:.1f} months" for months, relief in points
        )
        parts.append(f"{label}: {values or 'no check-in yet'}")
    return "Relief by month since the procedure. " + "; ".join(parts) + "."


@figure_freed
def render_follow_up_chart(
    lines: list[tuple[str, list[tuple[float, float]]]],
    title: str,
    fmt: str = "png",
    last_month: int = 12,
    dpi: float = BASE_DPI,
) -> bytes:
    """Relief (%) at each check-in by months since the procedure, one line per reading,
    with the 50 % line and the 6-month mark (pathway.md §3)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    fig = new_figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=dpi)
    fig.subplots_adjust(left=0.11, right=0.97, top=0.87, bottom=0.3)
    ax = fig.add_subplot()
    x_end = max([last_month, *(m for _, points in lines for m, _ in points)]) + 0.5
    ax.axhline(50, color="0.3", linestyle="-.", linewidth=1, label="50% relief")
    # The 6-month mark dotted and paler: never the 50 % line's dash-dot.
    ax.axvline(6, color="0.55", linewidth=2, linestyle=":", label="6 months")
    for (label, points), (style, marker, colour) in zip(lines, FOLLOW_UP_STYLES, strict=False):
        ax.plot(
            [m for m, _ in points],
            [r for _, r in points],
            linestyle=style,
            marker=marker,
            color=colour,
            markersize=7,
            markerfacecolor="white" if marker == "s" else colour,
            markeredgecolor="black",
            label=label,
        )
    ax.set_xlim(0, x_end)
    low = min([0.0, *(r for _, points in lines for _, r in points)])
    ax.set_ylim(low - 5, 105)
    ax.set_xticks([m for m in (0, 1, 3, 6, 9, 12, 18, 24) if m <= x_end])
    ax.set_xlabel("Months since the procedure", fontsize=9)
    ax.set_ylabel("Relief from baseline (%)", fontsize=9)
    ax.grid(True, color="0.85", linewidth=0.6)
    ax.set_title(textwrap.fill(title, TITLE_CHARS), fontsize=11, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=4, fontsize=8, frameon=False)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


# --- a bilateral block scored left and right apart: both sides on the same axes --------


@dataclass(frozen=True)
class SideLine:
    """One side's reading of a block scored apart, as the chart draws it."""

    side: str  # "left" or "right"
    analysis: Analysis
    baseline_pain: int | None
    daily: DailyChart | None = None  # that side's days after, from its daily scores


# Told apart by more than colour (none is used): the line's dashes, the marker's shape and
# fill, the hatching of the relief span, the baseline's dashes.
SIDE_STYLES: dict[str, dict[str, Any]] = {
    "left": {"line": "-", "marker": "o", "face": "black", "hatch": "///", "baseline": "--"},
    "right": {
        "line": (0, (5, 3)),
        "marker": "s",
        "face": "white",
        "hatch": "\\\\\\",
        "baseline": ":",
    },
}


def sides_title(lines: list[SideLine], awaiting: str | None = None) -> str:
    """ "Left: positive · Right: negative"; a running diary's both marked provisional,
    then what it waits for ("Left: positive (provisional) · Right: negative (provisional);
    awaiting the 2 h entry")."""
    title = each_side(
        ((line.side, VERDICT_LABELS.get(line.analysis.verdict, "").lower()) for line in lines),
        provisional=bool(awaiting),
    )
    return title + (f"; {awaiting}" if awaiting else "")


def sides_alt_text(lines: list[SideLine]) -> str:
    """A text alternative stating what the chart of both sides shows."""
    drawn = {"left": "solid line, round markers", "right": "dashed line, square markers"}
    return " ".join(
        f"{line.side.capitalize()} side ({drawn[line.side]}): "
        + chart_alt_text(line.analysis, line.baseline_pain, line.daily)
        for line in lines
    )


def sides_days_title(lines: list[SideLine]) -> str:
    """ "Days of relief (≥50%): Left: 9 days (weeks) · Right: 2 days (short)"."""
    return "Days of relief (≥50%): " + " · ".join(
        f"{line.side.capitalize()}: {line.daily.days.text} "
        f"({DAYS_CLASS_LABELS[line.daily.days.relief_class]})"
        for line in lines
        if line.daily is not None
    )


@figure_freed
def render_sides_chart(
    lines: list[SideLine], fmt: str = "png", scale: int = 1, view: ChartView | None = None
) -> bytes:
    """Both sides' chart as PNG or SVG bytes (see render_chart)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}")
    fig = _sides_figure(lines, view, BASE_DPI * scale)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    fig.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


@figure_freed
def render_sides_print_png(lines: list[SideLine], view: ChartView | None = None) -> bytes:
    """Both sides' chart for a PDF (see render_print_png)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    fig = _sides_figure(lines, view, PRINT_DPI)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    opaque = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buffer = io.BytesIO()
    opaque.convert("L").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _sides_figure(lines: list[SideLine], view, dpi: float):
    daily = [line.daily for line in lines if line.daily is not None]
    if not daily:
        fig = new_figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=dpi)
        fig.subplots_adjust(left=0.1, right=0.95, top=0.87, bottom=0.36)
        draw_sides_chart(fig.add_subplot(), lines, view)
        return fig
    # As the one-score chart with daily scores (_chart_figure): the hours' panel as
    # without them, the days' panel below, both sides on each.
    height = HEIGHT_IN + DAILY_HEIGHT_IN
    fig = new_figure(figsize=(WIDTH_IN, height), dpi=dpi)
    top_in, hours_in = HEIGHT_IN * (1 - 0.87), HEIGHT_IN * (0.87 - 0.36)
    hours_ax = fig.add_axes((0.1, 1 - (top_in + hours_in) / height, 0.85, hours_in / height))
    days_ax = fig.add_axes((0.1, 0.85 / height, 0.85, 1.6 / height))
    draw_sides_chart(hours_ax, lines, view, hours_end_h=min(d.split_h for d in daily))
    draw_sides_days(days_ax, lines)
    return fig


def draw_sides_days(ax, lines: list[SideLine]) -> None:
    """Each side's daily scores on the day axis, told apart as in the hours' panel (the
    line's dashes, the marker's shape and fill, the hatching of its days of relief), with
    each side's 50 % relief line."""
    count = max(len(line.daily.days.scores) for line in lines if line.daily is not None)
    for line in lines:
        if line.daily is None:
            continue
        days, style, name = line.daily.days, SIDE_STYLES[line.side], line.side.capitalize()
        if days.days:
            ax.axvspan(
                0.5, days.days + 0.5, facecolor="none", edgecolor="black",
                hatch=style["hatch"], linewidth=0, alpha=0.6,
                label=f"{name}: ≥50% relief {days.text}",
            )  # fmt: skip
        if line.baseline_pain:
            half = line.baseline_pain * 0.5
            ax.axhline(
                half, color="0.3", linestyle=style["baseline"], linewidth=1,
                label=f"{name} 50% relief (pain {half:.1f})",
            )  # fmt: skip
        scored = [s for s in days.scores if s.pain is not None]
        ax.plot(
            [s.day for s in scored], [s.pain for s in scored], color="black",
            linestyle=style["line"], linewidth=1.2, marker=style["marker"], markersize=6,
            markerfacecolor=style["face"], markeredgecolor="black", label=f"{name} daily score",
        )  # fmt: skip
    ax.set_xlim(0.5, count + 0.5)
    ax.set_xticks(range(1, count + 1))
    ax.tick_params(axis="x", labelsize=8)
    ax.set_ylim(-0.3, 10.3)
    ax.set_yticks(range(0, 11, 2))
    ax.set_xlabel("Days since the block", fontsize=9)
    ax.set_ylabel("Pain (0–10)", fontsize=9)
    ax.grid(True, color="0.85", linewidth=0.6)
    title = sides_days_title(lines)
    ax.set_title(textwrap.fill(title, TITLE_CHARS), fontsize=10, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=3, fontsize=8, frameon=False)


def draw_sides_chart(
    ax, lines: list[SideLine], view: ChartView | None = None, hours_end_h: float | None = None
) -> None:
    """Draw each side's pain, baseline and relief span on one Axes, the legend naming
    which is which. ``hours_end_h``: the hours it shows at most (as draw_chart's)."""
    view = view or ChartView()
    first = lines[0].analysis
    high = first.expected_window_h[1]
    every_point = [p for line in lines for p in line.analysis.relief]
    x_end = max(max(chart_end_h(line.analysis) for line in lines), view.until_h or 0.0)
    if hours_end_h is not None:
        every_point = [p for p in every_point if p.hours < hours_end_h]
        last_hour = max((p.hours for p in every_point), default=0.0)
        x_end = max(high, last_hour, min(view.until_h or 0.0, hours_end_h)) + 0.25
    x_start = min(0.0, min((p.hours for p in every_point), default=0.0)) - 0.1
    ax.axvspan(
        0, high, facecolor="0.93", linewidth=0,
        label=f"{first.agent_label}: relief expected within {high:g} h",
    )  # fmt: skip
    ax.axvline(
        view.onset_limit_h, color="0.35", linewidth=1, linestyle=(0, (4, 2, 1, 2)),
        label=f"onset limit, {format_hours(view.onset_limit_h)}",
    )  # fmt: skip
    for line in lines:
        style, name, analysis = SIDE_STYLES[line.side], line.side.capitalize(), line.analysis
        if analysis.response_start_h is not None:
            end = analysis.response_end_h
            if end == analysis.response_start_h:
                end += 0.05
            ax.axvspan(
                analysis.response_start_h, end, facecolor="none", edgecolor="black",
                hatch=style["hatch"], linewidth=0, alpha=0.6,
                label=f"{name}: ≥{format_pct(analysis.threshold_pct)} relief "
                f"({format_hours(analysis.response_duration_h)})",
            )  # fmt: skip
        if line.baseline_pain:
            ax.axhline(
                line.baseline_pain, color="0.2", linestyle=style["baseline"], linewidth=1.2,
                label=f"{name} baseline {line.baseline_pain}/10",
            )  # fmt: skip
        points = [p for p in analysis.relief if hours_end_h is None or p.hours < hours_end_h]
        ax.plot(
            [p.hours for p in points], [p.pain for p in points], color="black",
            linestyle=style["line"], linewidth=1.2, marker=style["marker"], markersize=7,
            markerfacecolor=style["face"], markeredgecolor="black", label=f"{name} side",
        )  # fmt: skip
    ax.set_xlim(x_start, x_end)
    ax.set_ylim(-0.3, 10.3)
    ax.set_yticks(range(0, 11, 2))
    ax.set_xlabel("Hours since the block", fontsize=9)
    ax.set_ylabel("Pain (0–10)", fontsize=9)
    ax.grid(True, color="0.85", linewidth=0.6)
    title = sides_title(lines, view.awaiting)
    ax.set_title(
        textwrap.fill(title, TITLE_CHARS), fontsize=10 if len(title) > 60 else 11, loc="left"
    )
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize=8, frameon=False)
