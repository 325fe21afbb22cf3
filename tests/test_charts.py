"""The relief chart: decodable PNG and SVG of the right size, rendered once per diary change."""

from __future__ import annotations

import gc
import io
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest
from PIL import Image

from diary import charts, pathway, relief
from diary.extensions import db
from diary.web import chart_cache
from tests.conftest import add_entries, form_id

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


def sample_analysis(**fact_changes):
    facts = relief.BlockFacts(
        **{
            "performed_at": START,
            "baseline_pain": 8,
            "purpose": "diagnostic",
            "agent": "lidocaine",
            "agent_label": "lidocaine 2%",
            **fact_changes,
        }
    )
    entries = [
        relief.DiaryPoint(
            recorded_at=START + timedelta(hours=h), pain=p, edited=h == 1, logged_late=h == 2
        )
        for h, p in {-0.25: 8, 0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5, 4: 7}.items()
    ]
    return relief.analyse(facts, entries)


def test_png_decodes_at_1x_and_2x():
    analysis = sample_analysis()
    for scale, size in ((1, (640, 440)), (2, (1280, 880))):
        image = Image.open(io.BytesIO(charts.render_chart(analysis, 8, "png", scale)))
        image.load()
        assert image.format == "PNG" and image.size == size


def test_svg_is_well_formed_and_titled():
    svg = charts.render_chart(sample_analysis(), 8, "svg")
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.decode()
    assert "Positive" in text  # the verdict is the title
    assert "relief expected within 3 h" in text and "baseline 8/10" in text


def test_chart_marks_each_kind_of_entry_and_the_relief_scale():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    charts.draw_chart(ax, sample_analysis(), 8)
    markers = {line.get_label(): len(line.get_xdata()) for line in ax.lines if line.get_marker()}
    markers = {label: n for label, n in markers.items() if label in ("entry", "corrected entry")}
    # One line of markers per kind: 7 entries, one corrected, one logged later, one before.
    assert markers == {"entry": 4, "corrected entry": 1}
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert {"logged later", "before the block (ignored)"} <= set(legend)
    right = {text.get_text(): text.get_position()[1] for text in ax.texts}
    assert right["0"] == 8 and right["50"] == 4 and right["100"] == 0
    assert abs(right["80"] - 1.6) < 1e-9
    assert "Relief from baseline (%)" in right


def test_chart_without_baseline_or_entries_still_renders():
    facts = relief.BlockFacts(
        performed_at=START,
        baseline_pain=None,
        purpose="diagnostic",
        agent="bupivacaine",
        agent_label="bupivacaine 0.5%",
    )
    body = charts.render_chart(relief.analyse(facts, []), None, "png")
    assert Image.open(io.BytesIO(body)).size == (640, 440)


def test_title_and_alt_text_state_verdict_and_figures():
    analysis = sample_analysis()
    assert charts.chart_title(analysis) == "Positive: peak 100% relief, ≥80% for 1.75 h"
    alt = charts.chart_alt_text(analysis, 8)
    assert "Verdict: Positive" in alt and "Baseline pain 8/10" in alt
    assert "0.5 to 3 hours" in alt and "from 0.25 h to 2.00 h" in alt


def test_chart_is_served_with_etag_and_304(client, signed_in):
    add_entries(signed_in.block, {0.25: 1, 0.5: 0, 1: 1})
    db.session.commit()
    url = f"/blocks/{signed_in.block.id}/chart.png"
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "image/png"
    etag = first.headers["ETag"]
    repeat = client.get(url, headers={"If-None-Match": etag})
    assert repeat.status_code == 304 and repeat.get_data() == b""
    assert client.get(url + "?scale=2").headers["ETag"] != etag
    svg = client.get(f"/blocks/{signed_in.block.id}/chart.svg")
    assert svg.mimetype == "image/svg+xml"
    assert client.get(f"/blocks/{signed_in.block.id}/chart.gif").status_code == 404


def test_chart_is_rendered_once_until_the_diary_changes(client, signed_in):
    block = signed_in.block
    add_entries(block, {0.25: 1, 0.5: 0})
    db.session.commit()
    url = f"/blocks/{block.id}/chart.png"
    renders = chart_cache.renders
    body = client.get(url).get_data()
    assert client.get(url).get_data() == body
    assert chart_cache.renders == renders + 1

    etag = client.get(url).headers["ETag"]
    client.post(f"/d/{block.diary_token}/entries", data={"client_id": form_id(), "pain": "6"})
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert after.get_data() != body
    assert chart_cache.renders == renders + 2


def test_cache_evicts_oldest():
    cache = charts.ChartCache(max_items=2)
    for key in "abc":
        cache.get_or_render(key, lambda key=key: key.encode())
    assert cache.get_or_render("a", lambda: b"again") == b"again"
    assert cache.renders == 4


def test_a_chart_asked_for_by_two_threads_at_once_is_drawn_once():
    """A worker's threads asking for one new chart together drew it each (a figure each
    at once, issue 23's worker peak): the second waits for the first's bytes; another
    key's chart is not held up by it."""
    cache = charts.ChartCache()
    drawing, second_drawn, done = threading.Event(), threading.Event(), threading.Event()

    def slow() -> bytes:
        if drawing.is_set():
            second_drawn.set()
            return b"again"
        drawing.set()
        assert done.wait(5)
        return b"chart"

    bodies: list[bytes] = []
    first = threading.Thread(target=lambda: bodies.append(cache.get_or_render("k", slow)))
    first.start()
    assert drawing.wait(5)
    second = threading.Thread(target=lambda: bodies.append(cache.get_or_render("k", slow)))
    second.start()
    assert cache.get_or_render("other", lambda: b"other") == b"other"  # not held up
    drawn_twice = second_drawn.wait(0.5)
    done.set()
    first.join(5)
    second.join(5)
    assert not drawn_twice and bodies == [b"chart", b"chart"]
    assert cache.renders == 2 and not cache._making  # "k" once, "other" once


def test_dollar_signs_in_names_are_drawn_as_text_not_parsed_as_math():
    # An unknown TeX command between dollars made mathtext raise: the chart answered 500.
    analysis = sample_analysis(agent_label=r"other: Lido $\nosuchcommand{$ 1%")
    svg = charts.render_chart(analysis, 8, "svg").decode()
    assert "nosuchcommand" in svg
    assert charts.render_chart(analysis, 8, "png")[:4] == b"\x89PNG"


def legend_of(ax) -> list[str]:
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_the_legend_explains_every_line_and_the_window_is_not_a_range():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    charts.draw_chart(ax, sample_analysis(), 8, charts.ChartView(onset_limit_h=1.0))
    legend = legend_of(ax)
    assert "onset limit, 1.0 h" in legend
    assert "lidocaine 2%: relief expected within 3 h" in legend
    assert not any("0.5–3" in label for label in legend)  # not an axis range
    assert {"baseline 8/10", "50% relief (pain 4.0)", "80% relief (pain 1.6)"} <= set(legend)
    assert "≥80% relief (1.75 h)" in legend
    # Every line drawn but the one joining the entries has its entry in the legend.
    drawn = {line.get_label() for line in ax.lines} | {p.get_label() for p in ax.patches}
    assert {label for label in drawn if not label.startswith("_")} <= set(legend)
    assert all(t.get_fontsize() >= 8 for t in ax.get_legend().get_texts())
    onset = [line for line in ax.lines if line.get_label() == "onset limit, 1.0 h"][0]
    assert list(onset.get_xdata()) == [1.0, 1.0]


def lidocaine_facts() -> relief.BlockFacts:
    return relief.BlockFacts(
        performed_at=START,
        baseline_pain=8,
        purpose="diagnostic",
        agent="lidocaine",
        agent_label="lidocaine 2%",
    )


def test_an_indeterminate_or_provisional_chart_says_why_in_its_title():
    facts = lidocaine_facts()
    late = relief.analyse(
        facts, [relief.DiaryPoint(recorded_at=START + timedelta(hours=h), pain=1) for h in (2, 3)]
    )
    assert charts.chart_title(late).startswith("Indeterminate: no entry in the first 1.0 h")
    assert charts.chart_title(sample_analysis(), "awaiting the 5 h entry").startswith(
        "Positive (provisional, awaiting the 5 h entry): peak 100% relief"
    )


def test_paper_diary_entries_are_not_drawn_as_logged_later():
    from matplotlib.figure import Figure

    facts = lidocaine_facts()
    copied = [
        relief.DiaryPoint(
            recorded_at=START + timedelta(hours=h),
            pain=1,
            transcribed=True,
            submitted_at=START + timedelta(days=2),
        )
        for h in (0.5, 1, 2)
    ]
    ax = Figure().add_subplot()
    charts.draw_chart(ax, relief.analyse(facts, copied), 8)
    legend = legend_of(ax)
    assert "from the paper diary" in legend and "logged later" not in legend


def test_a_series_draws_its_charts_to_one_end_of_the_time_axis(client, signed_in):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    charts.draw_chart(ax, sample_analysis(), 8, charts.ChartView(until_h=12.25))
    assert ax.get_xlim()[1] == 12.25
    world = signed_in
    from tests.conftest import make_block

    make_block(
        world.clinic,
        world.patient,
        world.clinician,
        agent="bupivacaine",
        concentration="0.5",
        performed_at=world.block.performed_at - timedelta(days=20),
    )
    db.session.commit()
    import re

    page = client.get(f"/patients/{world.patient.id}").get_data(as_text=True)
    ends = re.findall(r"chart\.png\?until=([0-9.]+)", page)
    assert len(ends) == 2 and len(set(ends)) == 1
    assert float(ends[0]) == 8.25  # bupivacaine's expected 8 h window
    chart = client.get(f"/blocks/{world.block.id}/chart.png?until={ends[0]}")
    assert chart.status_code == 200
    assert (
        chart.headers["ETag"] != client.get(f"/blocks/{world.block.id}/chart.png").headers["ETag"]
    )


def test_a_drawn_chart_leaves_no_figure_for_the_cycle_collector():
    """A figure's artists refer to each other: left to the collector's schedule, a worker
    held every chart drawn since its last full collection, pixels included (2-4 MB each).
    Automatic collection is off here, so only the renderers' own collection frees them."""
    from matplotlib.figure import Figure

    def figures() -> int:
        return sum(isinstance(o, Figure) for o in gc.get_objects())

    analysis = sample_analysis()
    gc.collect()
    gc.disable()
    try:
        charts.render_chart(analysis, 8, "png", 2)
        charts.render_chart(analysis, 8, "svg")
        charts.render_print_png(analysis, 8)
        charts.render_follow_up_chart([("Relief", [(1.0, 60.0), (3.0, 40.0)])], "Ablation")
        assert figures() == 0
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("side", "scoring", "labels"),
    [
        ("left", pathway.Scoring.ONE, ["Left"]),
        ("right", pathway.Scoring.ONE, ["Right"]),
        ("bilateral", pathway.Scoring.ONE, ["Both sides as one"]),
        ("bilateral", pathway.Scoring.SIDES, ["Left", "Right"]),
    ],
)
def test_the_follow_up_chart_names_the_side_of_each_line(side, scoring, labels):
    """A one-sided ablation is followed for its side only (pathway.md §1): its line is
    named by that side, as the pages name sides, never "Both sides as one"."""
    from diary.services.followup import FollowUpView, chart_lines

    done_on, one_month = date(2026, 3, 2), date(2026, 4, 2)
    ablation = pathway.Ablation(
        ablation_id=1,
        performed_at=START,
        region="lumbar",
        levels=("L4-L5",),
        side=side,
        technique=pathway.Technique.CONVENTIONAL,
        scoring=scoring,
        baseline_pain=8,
        baseline_pain_left=8,
        baseline_pain_right=6,
        checkins=(pathway.Checkin(made_on=one_month, months=1, pain=2, pain_left=2, pain_right=3),),
    )
    follow = pathway.follow_up(ablation, one_month, UTC)
    view = FollowUpView(one_month, follow, slots=(), rows=(), superseded=frozenset())
    lines = chart_lines(view, done_on)
    assert [label for label, _ in lines] == labels
    svg = charts.render_follow_up_chart(lines, "Relief by month", "svg").decode()
    assert all(f"<!-- {label} -->" in svg for label in labels)  # the legend's texts
    assert ("Both sides as one" in svg) == (labels == ["Both sides as one"])
