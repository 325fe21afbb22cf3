"""Where left and right meet the days after (issue 24): a bilateral block scored apart
with daily scores has days of relief per side (pathway.md §2), on every door."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from diary.extensions import db
from diary.services.entries import EntryInput, record_entry
from diary.services.tokens import create_api_token
from tests.conftest import form_id, needs_pdf
from tests.test_api import Api
from tests.test_daily_scores import DAILY_TAIL, DailyWorld

# The left side follows pathway.md's "daily tail" (9 days, weeks); the right side's
# relief ends on day 3 (pain 5 of 6 is 16.7 %): 2 days, short.
RIGHT_DAYS = {1: 2, 2: 3, 3: 5} | {day: 6 for day in range(4, 15)}
LEFT_TEXT, RIGHT_TEXT = "9 days of relief (weeks)", "2 days of relief (short)"
BOTH = f"Left: {LEFT_TEXT} · Right: {RIGHT_TEXT}"


@pytest.fixture
def daily(app):
    return DailyWorld()


def side_score(block, at, left: int, right: int, name: str):
    entry, _ = record_entry(
        block,
        EntryInput(
            pain_left=left, pain_right=right, recorded_at=at, client_id=f"{name}-{block.id}"
        ),
        now=at,
    )
    db.session.commit()
    return entry


def bilateral_block(
    world: DailyWorld, purpose: str = "therapeutic", days=None, ago=timedelta(days=15, hours=2)
):
    """A bilateral block scored apart (left baseline 8, right 6) 15 days ago, with an
    hourly diary and daily scores per side (the left DAILY_TAIL, the right RIGHT_DAYS)."""
    values = dict(
        purpose=purpose,
        steroid=purpose == "therapeutic",
        agent="bupivacaine",
        concentration="0.5",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    block = world.block(ago, **values)
    for hours in (0.5, 1, 2, 4):
        side_score(block, block.performed_at + timedelta(hours=hours), 1, 5, f"h{hours}")
    for day in DAILY_TAIL if days is None else days:
        at = block.performed_at + timedelta(days=day, hours=1)
        side_score(block, at, DAILY_TAIL[day], RIGHT_DAYS[day], f"day{day}")
    return block


def api_for(world: DailyWorld, client) -> Api:
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    return Api(client, token)


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"), newline="")))


# --- the service: one function per reading --------------------------------------------------


def test_each_sides_days_come_from_that_sides_scores_and_baseline(daily):
    from diary.services.analysis import block_readings
    from diary.services.days import readings_outcome, side_days_of_relief

    block = bilateral_block(daily)
    readings = block_readings(block)
    days = {r.scored_side: r.days_of_relief for r in readings}
    assert (days["left"].days, days["left"].open, days["left"].relief_class) == (9, False, "weeks")
    assert (days["right"].days, days["right"].relief_class) == (2, "short")
    assert side_days_of_relief(block) == days
    assert readings_outcome(block, readings) == BOTH


def test_a_diagnostic_block_scored_apart_reads_its_verdicts_per_side(daily):
    from diary.services.analysis import block_readings, verdict_text
    from diary.services.days import readings_outcome

    block = bilateral_block(daily, purpose="diagnostic")
    readings = block_readings(block)
    assert readings_outcome(block, readings) == verdict_text(readings)
    assert readings_outcome(block, readings).startswith("Left: ")


# --- the API ---------------------------------------------------------------------------------


def test_api_analysis_gives_each_sides_days_of_relief_and_outcome(client, daily):
    block = bilateral_block(daily)
    value = api_for(daily, client).get(f"/blocks/{block.id}/analysis").get_json()
    left, right = value["sides"]["left"], value["sides"]["right"]
    assert left["days_of_relief"] == {"days": 9, "open": False, "class": "weeks"}
    assert right["days_of_relief"] == {"days": 2, "open": False, "class": "short"}
    assert (left["outcome"], right["outcome"]) == (LEFT_TEXT, RIGHT_TEXT)
    assert left["verdict"] == right["verdict"] == "not_diagnostic"
    assert value["outcome"] == BOTH and value["days_of_relief"] is None


# --- the block page, the report and its PDF ---------------------------------------------------


def test_block_page_shows_each_sides_days_of_relief_and_both_outcomes(client, daily, auth):
    block = bilateral_block(daily)
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert f"<strong>Outcome: {BOTH}</strong>" in page
    assert "Verdict: Left: not diagnostic" not in page
    assert f'Left side: <span class="outcome outcome-weeks">{LEFT_TEXT}</span>' in page
    assert f'Right side: <span class="outcome outcome-short">{RIGHT_TEXT}</span>' in page
    assert f"<dt>Days of relief (≥50%)</dt><dd>{LEFT_TEXT}</dd>" in page
    assert f"<dt>Days of relief (≥50%)</dt><dd>{RIGHT_TEXT}</dd>" in page
    assert page.count("Daily scores (14 of 14 days)") == 2


def test_a_diagnostic_block_scored_apart_keeps_its_verdicts_with_days_beside(client, daily, auth):
    block = bilateral_block(daily, purpose="diagnostic")
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "<strong>Verdict: Left: " in page and "Outcome: " not in page
    assert f"<dt>Days of relief (≥50%)</dt><dd>{LEFT_TEXT}</dd>" in page
    assert f"<dt>Days of relief (≥50%)</dt><dd>{RIGHT_TEXT}</dd>" in page


def test_report_shows_each_sides_days_of_relief(client, daily, auth):
    block = bilateral_block(daily)
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert f"Outcome: {BOTH}" in page
    assert f"<dd>{LEFT_TEXT}</dd>" in page and f"<dd>{RIGHT_TEXT}</dd>" in page


@needs_pdf
def test_report_pdf_carries_each_sides_days_of_relief(client, daily, auth):
    pypdf = pytest.importorskip("pypdf")
    block = bilateral_block(daily)
    auth.login("daily@a.example")
    response = client.get(f"/blocks/{block.id}/report.pdf")
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert f"Outcome: {BOTH}" in text
    assert f"Left side: {LEFT_TEXT}" in text and f"Right side: {RIGHT_TEXT}" in text


# --- the files -------------------------------------------------------------------------------

SIDE_DAYS_COLUMNS = [
    f"days_of_relief{part}_{side}" for side in ("left", "right") for part in ("", "_open", "_class")
]


def test_summary_csv_ends_with_each_sides_days_of_relief(client, daily, auth):
    bilateral_block(daily)
    auth.login("daily@a.example")
    response = client.get("/exports/blocks.csv")
    header = next(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert header[-6:] == SIDE_DAYS_COLUMNS and header[-7] == "outcome"
    (row,) = read_csv(response)
    assert [row[c] for c in SIDE_DAYS_COLUMNS] == ["9", "false", "weeks", "2", "false", "short"]
    assert row["outcome"] == BOTH
    assert (row["days_of_relief"], row["verdict_left"]) == ("", "not_diagnostic")


def test_a_block_scored_as_one_leaves_the_side_days_empty(client, daily, auth):
    from tests.test_daily_scores import therapeutic_block

    therapeutic_block(daily, DAILY_TAIL)
    auth.login("daily@a.example")
    (row,) = read_csv(client.get("/exports/blocks.csv"))
    assert row["days_of_relief"] == "9" and [row[c] for c in SIDE_DAYS_COLUMNS] == [""] * 6


def test_workbook_and_table_schema_type_each_sides_days(client, daily, auth):
    import openpyxl

    bilateral_block(daily)
    auth.login("daily@a.example")
    book = openpyxl.load_workbook(io.BytesIO(client.get("/exports/blocks.xlsx").get_data()))
    header, first = list(book.active.iter_rows(values_only=True))[:2]
    row = dict(zip(header, first, strict=True))
    assert (row["days_of_relief_left"], row["days_of_relief_open_left"]) == (9, False)
    assert (row["days_of_relief_right"], row["days_of_relief_class_right"]) == (2, "short")
    assert row["outcome"] == BOTH
    schema = client.get("/exports/blocks.schema.json").get_json()
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["days_of_relief_left"]["type"] == "integer"
    assert fields["days_of_relief_right"]["constraints"] == {"minimum": 0, "maximum": 28}
    assert fields["days_of_relief_open_right"]["type"] == "boolean"
    assert fields["days_of_relief_class_left"]["constraints"]["enum"] == [
        "no_relief",
        "short",
        "weeks",
    ]


def test_wide_and_redcap_files_have_each_sides_daily_scores_and_days(client, daily, auth):
    from tests.redcap_rules import dictionary_errors, import_errors
    from tests.test_research_exports import header_of, read

    block = bilateral_block(daily, days=[1, 2, 3, 5, 6])
    auth.login("daily@a.example")
    (row,) = read(client.get("/exports/research/wide.csv"))
    assert [row[f"pain_day{d}_left"] for d in range(1, 8)] == ["2", "3", "2", "", "2", "3", ""]
    assert [row[f"pain_day{d}_right"] for d in range(1, 8)] == ["2", "3", "5", "", "6", "6", ""]
    assert row["pain_day1"] == "" and row["pain_30m_left"] == "1"
    assert (row["days_of_relief_left"], row["days_of_relief_open_left"]) == ("6", "true")
    assert (row["days_of_relief_right"], row["days_of_relief_class_right"]) == ("2", "short")
    assert row["outcome"] == "Left: at least 6 days of relief (short) · Right: " + RIGHT_TEXT
    dictionary_response = client.get("/exports/research/redcap-dictionary.csv")
    dictionary = read(dictionary_response, bom=False)
    assert dictionary_errors(header_of(dictionary_response), dictionary) == []
    names = [v["Variable / Field Name"] for v in dictionary]
    assert names[-6:] == SIDE_DAYS_COLUMNS and "pain_day14_right" in names
    import_response = client.get("/exports/research/redcap-import.csv")
    records = read(import_response, bom=False)
    assert import_errors(dictionary, header_of(import_response), records) == []
    (record,) = records
    assert record["record_id"] == str(block.id)
    assert (record["pain_day3_right"], record["days_of_relief_open_left"]) == ("5", "1")
    schema = client.get("/exports/wide.schema.json").get_json()
    fields = {field["name"]: field for field in schema["fields"]}
    assert fields["pain_day14_left"]["constraints"] == {"minimum": 0, "maximum": 10}
    assert fields["days_of_relief_right"]["constraints"] == {"minimum": 0, "maximum": 28}


def test_fhir_gives_a_days_of_relief_observation_per_side_with_its_laterality(client, daily):
    from fhirclient.models.bundle import Bundle

    from tests.fhir_r4 import assert_valid_r4

    block = bilateral_block(daily)
    daily.clinic.mrn_system = "urn:oid:1.2.3"
    api = api_for(daily, client)
    bundle = api.get(f"/blocks/{block.id}/fhir").get_json()
    assert_valid_r4(bundle)
    Bundle(bundle, strict=True)
    resources = [entry["resource"] for entry in bundle["entry"]]
    days = {
        o["bodySite"]["text"].split()[0]: o
        for o in resources
        if o["resourceType"] == "Observation" and o["code"]["coding"][0]["code"] == "days-of-relief"
    }
    assert sorted(days) == ["left", "right"]
    assert days["left"]["valueQuantity"]["value"] == 9
    assert days["right"]["valueQuantity"]["value"] == 2
    assert days["left"]["bodySite"]["coding"][0]["code"] == "7771000"  # SNOMED CT left
    (report,) = [r for r in resources if r["resourceType"] == "DiagnosticReport"]
    assert report["conclusion"].startswith(f"{BOTH}; verdict Left: not_diagnostic")
    codes = [(c["coding"][0]["code"], c.get("text")) for c in report["conclusionCode"]]
    assert ("days-of-relief-weeks", "left") in codes and ("days-of-relief-short", "right") in codes
    clinic_wide = client.get("/api/v1/exports/fhir", headers=api.headers).get_data(as_text=True)
    assert clinic_wide.count('"days-of-relief-short"') == 1
    assert f'"value":"{block.id}/right"' in clinic_wide


# --- the chart -------------------------------------------------------------------------------


def test_chart_of_both_sides_draws_the_days_in_a_second_panel(client, daily, auth):
    from PIL import Image

    from diary import charts
    from diary.web import side_lines

    block = bilateral_block(daily)
    lines = side_lines(block)
    assert [line.daily.days.days for line in lines] == [9, 2]
    figure = charts._sides_figure(lines, None, 100)
    hours_ax, days_ax = figure.axes
    assert hours_ax.get_xlim()[1] < 13  # the hours as today: 14 days would squash them
    assert hours_ax.get_xlabel() == "Hours since the block"
    assert days_ax.get_xlabel() == "Days since the block" and days_ax.get_xlim() == (0.5, 14.5)
    drawn = {line.get_label(): line for line in days_ax.get_lines()}
    # Told apart as in the hours' panel: dashes and markers, not colour.
    left, right = drawn["Left daily score"], drawn["Right daily score"]
    assert (left.get_marker(), right.get_marker()) == ("o", "s")
    assert left.get_linestyle() != right.get_linestyle()
    assert list(left.get_ydata())[:10] == [2, 3, 2, 3, 2, 3, 2, 3, 2, 7]
    assert drawn["Left 50% relief (pain 4.0)"].get_ydata()[0] == 4.0
    assert drawn["Right 50% relief (pain 3.0)"].get_ydata()[0] == 3.0
    assert days_ax.get_title(loc="left").replace("\n", " ") == (
        "Days of relief (≥50%): Left: 9 days (weeks) · Right: 2 days (short)"
    )
    png = charts.render_sides_chart(lines, "png")
    assert Image.open(io.BytesIO(png)).size == (640, 730)
    auth.login("daily@a.example")
    svg = client.get(f"/blocks/{block.id}/chart.svg").get_data(as_text=True)
    assert "Days since the block" in svg and "Right daily score" in svg
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert 'height="730"' in page
    assert page.count("A second panel shows the 14 daily scores (14 made)") == 2


def test_chart_of_both_sides_without_daily_scores_keeps_one_panel(client, daily, auth):
    from diary import charts
    from diary.web import side_lines

    daily.clinic.daily_days = 0
    db.session.commit()
    block = bilateral_block(daily, days=[], ago=timedelta(hours=10))
    lines = side_lines(block)
    assert [line.daily for line in lines] == [None, None]
    assert len(charts._sides_figure(lines, None, 100).axes) == 1
    auth.login("daily@a.example")
    assert 'height="440"' in client.get(f"/blocks/{block.id}").get_data(as_text=True)


# --- the patient's page after the hourly window -----------------------------------------------


def test_the_daily_step_of_a_block_scored_apart_asks_both_sides_with_one_save(client, daily):
    from diary.models import DiaryEntry
    from diary.web import diary_url

    block = bilateral_block(daily, days=[1, 2], ago=timedelta(days=3, hours=1))
    url = diary_url(block)
    page = client.get(url).get_data(as_text=True)
    assert "Today's score (day 3) is due now" in page
    assert page.count('name="pain_left"') == 11 and page.count('name="pain_right"') == 11
    assert 'name="pain"' not in page and page.count(">Save<") == 1
    spanish = client.get(url, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Toca la puntuación de hoy (día 3)" in spanish and "Lado izquierdo" in spanish
    path = f"/d/{block.diary_token}/entries"
    refused = client.post(path, data={"client_id": form_id(), "pain_left": "3"})
    assert refused.status_code == 400
    assert (
        client.post(
            path, data={"client_id": form_id(), "pain_left": "3", "pain_right": "5"}
        ).status_code
        == 302
    )
    entry = db.session.scalars(
        db.select(DiaryEntry).filter_by(block_id=block.id).order_by(DiaryEntry.id.desc())
    ).first()
    assert (entry.pain, entry.pain_left, entry.pain_right, entry.slot) == (None, 3, 5, "daily")
    assert entry.due_at == block.performed_at + timedelta(days=3)
    assert "Left 3/10 · Right 5/10" in client.get(url).get_data(as_text=True)


# --- every place that reads a verdict says the same ------------------------------------------


def test_every_page_shows_both_sides_outcomes_of_a_therapeutic_block_scored_apart(
    client, daily, auth
):
    block = bilateral_block(daily)
    auth.login("daily@a.example")
    dashboard = client.get("/").get_data(as_text=True)
    assert f'<span class="outcome">{BOTH}</span>' in dashboard
    assert "Left: <span" not in dashboard  # not the per-side verdict badges
    patient = client.get(f"/patients/{block.patient_id}").get_data(as_text=True)
    # in the left and the right series alike
    assert patient.count(f'Outcome: <span class="outcome">{BOTH}</span>') == 2
    assert 'height="730"' in patient
    series = client.get(f"/patients/{block.patient_id}/report").get_data(as_text=True)
    assert BOTH in series
    for url in (f"/blocks/{block.id}", f"/blocks/{block.id}/report"):
        assert f"Outcome: {BOTH}" in client.get(url).get_data(as_text=True)
    value = api_for(daily, client).get(f"/blocks/{block.id}/analysis").get_json()
    assert value["outcome"] == BOTH
    (row,) = read_csv(client.get("/exports/blocks.csv"))
    assert row["outcome"] == BOTH


def test_a_running_therapeutic_block_scored_apart_marks_each_sides_outcome(client, daily, auth):
    """Ten days in (daily scores to day 14): each side's outcome says it is provisional,
    on the block page, its report, the dashboard, the patient's page and series report."""
    block = bilateral_block(daily, days=range(1, 10), ago=timedelta(days=10, hours=2))
    auth.login("daily@a.example")
    both = re.compile(
        r"Left: [^<·]*of relief \([a-z ]+\) \(provisional\) · "
        r"Right: [^<·]*of relief \([a-z ]+\) \(provisional\)(?! <span class=\"provisional\">)"
    )
    for url in (
        f"/blocks/{block.id}",
        f"/blocks/{block.id}/report",
        "/",
        f"/patients/{block.patient_id}",
        f"/patients/{block.patient_id}/report",
    ):
        page = client.get(url).get_data(as_text=True)
        assert both.search(page), url
        assert "(provisional) (provisional)" not in page, url
