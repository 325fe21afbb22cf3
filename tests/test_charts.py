"""The relief chart: decodable PNG and SVG of the right size, rendered once per diary change."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from PIL import Image

from diary import charts, relief
from diary.extensions import db
from diary.web import chart_cache
from tests.conftest import add_entries

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
    for scale, size in ((1, (640, 380)), (2, (1280, 760))):
        image = Image.open(io.BytesIO(charts.render_chart(analysis, 8, "png", scale)))
        image.load()
        assert image.format == "PNG" and image.size == size


def test_svg_is_well_formed_and_titled():
    svg = charts.render_chart(sample_analysis(), 8, "svg")
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = svg.decode()
    assert "Positive" in text  # the verdict is the title
    assert "expected window" in text and "baseline 8/10" in text


def test_chart_marks_each_kind_of_entry_and_the_relief_scale():
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    charts.draw_chart(ax, sample_analysis(), 8)
    markers = {line.get_label(): len(line.get_xdata()) for line in ax.lines if line.get_marker()}
    markers = {label: n for label, n in markers.items() if label in ("entry", "corrected entry")}
    # One line of markers per kind: 7 entries, one corrected, one logged later, one before.
    assert markers == {"entry": 4, "corrected entry": 1}
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert {"logged later", "before the block (not counted)"} <= set(legend)
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
    assert Image.open(io.BytesIO(body)).size == (640, 380)


def test_title_and_alt_text_state_verdict_and_figures():
    analysis = sample_analysis()
    assert charts.chart_title(analysis) == "Positive: peak 100% relief, ≥80% for 1.75 h"
    alt = charts.chart_alt_text(analysis, 8)
    assert "Verdict: Positive" in alt and "Baseline pain 8/10" in alt
    assert "0.5 to 3 hours" in alt and "from 0.25 h to 2.0 h" in alt


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
    client.post(f"/d/{block.diary_token}/entries", data={"pain": "6"})
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


def test_dollar_signs_in_names_are_drawn_as_text_not_parsed_as_math():
    # An unknown TeX command between dollars made mathtext raise: the chart answered 500.
    analysis = sample_analysis(agent_label=r"other: Lido $\nosuchcommand{$ 1%")
    svg = charts.render_chart(analysis, 8, "svg").decode()
    assert "nosuchcommand" in svg
    assert charts.render_chart(analysis, 8, "png")[:4] == b"\x89PNG"
