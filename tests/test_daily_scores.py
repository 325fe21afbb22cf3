"""The days after (pathway.md §2, issue 24 items 5–9): after the hourly window the diary
asks for one score a day (clinic setting ``daily_days``), at the block's clock time in the
clinic's zone; the link stays open 24 h after the last daily slot; each entry says which
kind of slot it answers; and days of relief are shown wherever the diary is read."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.extensions import db
from diary.models import Clinic, DiaryEntry, utcnow
from diary.services.blocks import update_block
from diary.services.entries import EntryInput, record_entry
from diary.services.patients import PatientInput, create_patient
from diary.services.progress import diary_progress
from diary.services.tokens import create_api_token
from diary.web import diary_url
from tests.conftest import make_block, make_clinic, make_user, needs_pdf
from tests.test_api import Api
from tests.test_verdict_pages import SETTINGS_FORM


class DailyWorld:
    """A clinic that asks for 14 daily scores, its clinician and patient."""

    def __init__(self, timezone: str = "UTC", daily_days: int = 14):
        self.clinic = make_clinic("Daily clinic", timezone=timezone, daily_days=daily_days)
        self.clinician = make_user(self.clinic, "daily@a.example")
        self.patient = create_patient(self.clinic, PatientInput("D.D."), by=self.clinician)
        db.session.commit()

    def block(self, ago: timedelta, **overrides):
        block = make_block(
            self.clinic,
            self.patient,
            self.clinician,
            performed_at=utcnow() - ago,
            **overrides,
        )
        db.session.commit()
        return block


@pytest.fixture
def daily(app):
    return DailyWorld()


def score(block, at: datetime, pain: int, name: str) -> DiaryEntry:
    entry, _ = record_entry(
        block, EntryInput(pain=pain, recorded_at=at, client_id=f"{name}-{block.id}"), now=at
    )
    db.session.commit()
    return entry


# --- the setting -------------------------------------------------------------------------


def test_a_new_clinic_asks_for_fourteen_daily_scores(app):
    clinic = Clinic(name="New")
    db.session.add(clinic)
    db.session.commit()
    assert clinic.daily_days == 14


def test_settings_page_changes_daily_days_and_refuses_out_of_range(client, world, auth):
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    auth.login("admin@a.example")
    assert 'name="daily_days"' in client.get("/settings").get_data(as_text=True)
    assert client.post("/settings", data=SETTINGS_FORM | {"daily_days": "7"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Clinic, world.clinic.id).daily_days == 7
    refused = client.post("/settings", data=SETTINGS_FORM | {"daily_days": "29"})
    assert refused.status_code == 400 and "Between 0 and 28 days." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Clinic, world.clinic.id).daily_days == 7


def test_api_settings_read_and_change_daily_days(client, world):
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    _, token = create_api_token(admin, "admin")
    db.session.commit()
    api = Api(client, token)
    assert api.get("/clinic/settings").get_json()["daily_days"] == 0
    changed = api.patch("/clinic/settings", json={"daily_days": 21})
    assert changed.status_code == 200 and changed.get_json()["daily_days"] == 21
    for wrong in (29, -1, None, "14"):
        refused = api.patch("/clinic/settings", json={"daily_days": wrong})
        assert refused.status_code == 422, wrong
        assert "daily_days" in refused.get_json()["errors"]
    assert api.get("/clinic/settings").get_json()["daily_days"] == 21


# --- the schedule and the link -----------------------------------------------------------


def test_daily_slots_follow_the_hourly_window_at_the_blocks_clock_time(daily):
    block = daily.block(timedelta(hours=3))
    progress = diary_progress(block)
    assert len(progress.daily_slots) == 14
    assert progress.hourly_due_times[-1] == block.performed_at + timedelta(hours=8)
    assert list(progress.daily_slots) == [
        block.performed_at + timedelta(days=day) for day in range(1, 15)
    ]
    assert progress.due_times == progress.hourly_due_times + list(progress.daily_slots)
    # 14 daily scores: the link is open until 15 days after the block
    assert block.daily_days == 14
    assert block.link_expires_at == block.performed_at + timedelta(days=15)


def test_daily_slots_keep_the_clinics_wall_clock(app):
    chicago = DailyWorld("America/Chicago")
    block = chicago.block(timedelta(hours=1))
    zone = ZoneInfo("America/Chicago")
    clock = block.performed_at.astimezone(zone).time()
    for day, due in enumerate(diary_progress(block).daily_slots, start=1):
        local = due.astimezone(zone)
        assert local.time() == clock or local.time().hour == (clock.hour + 1) % 24  # skipped hour
        assert (local.date() - block.performed_at.astimezone(zone).date()).days == day


def test_without_daily_days_the_diary_is_the_hourly_window_and_the_usual_link(app):
    off = DailyWorld(daily_days=0)
    block = off.block(timedelta(hours=3))
    assert diary_progress(block).daily_slots == ()
    assert block.link_expires_at == block.performed_at + timedelta(hours=48)


def test_a_daily_entry_answers_the_nearest_daily_slot(daily):
    block = daily.block(timedelta(days=3, hours=2))
    hourly = score(block, block.performed_at + timedelta(hours=2), 1, "h")
    day_two = score(block, block.performed_at + timedelta(days=2, hours=3), 2, "d2")
    assert (hourly.slot, hourly.due_at) == ("hourly", block.performed_at + timedelta(hours=2))
    assert (day_two.slot, day_two.due_at) == ("daily", block.performed_at + timedelta(days=2))


def test_the_diary_runs_until_the_last_daily_slot(daily):
    block = daily.block(timedelta(hours=20))
    for hours in (0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8):
        score(block, block.performed_at + timedelta(hours=hours), 1, f"h{hours}")
    progress = diary_progress(block)
    assert progress.status == "in_progress" and progress.daily_phase
    assert progress.awaiting == "awaiting the day 1 entry"
    assert progress.next_due_at == block.performed_at + timedelta(days=1)
    assert not progress.window_over
    # the clinic's pages read the same rule: the verdict is provisional
    assert block.link_open(utcnow())
    # The last daily slot passed, its score is asked for ("due now") for 30 minutes more.
    last = block.performed_at + timedelta(days=14)
    asked = diary_progress(block, now=last + timedelta(minutes=1))
    assert asked.due_now_at == last and asked.status == "in_progress"
    assert asked.awaiting == "awaiting the day 14 entry"
    finished = diary_progress(block, now=last + timedelta(minutes=31))
    assert finished.due_now_at is None
    assert finished.status == "complete" and finished.awaiting is None


def test_a_changed_block_time_moves_the_daily_slots_the_link_and_the_entries(daily):
    block = daily.block(timedelta(days=2, hours=1))
    entry = score(block, block.performed_at + timedelta(days=1, hours=2), 3, "d1")
    assert entry.slot == "daily"
    earlier = block.performed_at - timedelta(hours=5)
    update_block(block, {"performed_at": earlier}, by=daily.clinician)
    db.session.commit()
    assert block.link_expires_at == earlier + timedelta(days=15)
    assert diary_progress(block).daily_slots[0] == earlier + timedelta(days=1)
    # 1 day 7 h after the new time: still nearest the day 1 slot
    assert (entry.slot, entry.due_at) == ("daily", earlier + timedelta(days=1))
    later = earlier + timedelta(hours=20)
    update_block(block, {"performed_at": later}, by=daily.clinician)
    db.session.commit()
    # now 11 h after the new time: the last hourly slot (8 h) is nearer than day 1
    assert (entry.slot, entry.due_at) == ("hourly", later + timedelta(hours=8))
    assert block.link_expires_at == later + timedelta(days=15)


def test_a_recorded_block_keeps_its_daily_slots_when_the_setting_changes(daily):
    block = daily.block(timedelta(hours=3))
    daily.clinic.daily_days = 0
    db.session.commit()
    assert len(diary_progress(block).daily_slots) == 14
    assert daily.block(timedelta(hours=3)).link_expires_at - utcnow() < timedelta(hours=46)


# --- the patient's page, the calendar file, push reminders --------------------------------


def test_patient_page_after_the_hourly_window_asks_for_the_daily_score(client, daily):
    block = daily.block(timedelta(hours=12))
    for hours in (0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8):
        score(block, block.performed_at + timedelta(hours=hours), 1, f"h{hours}")
    page = client.get(diary_url(block)).get_data(as_text=True)
    assert "Now one score a day, at the time of the block." in page
    assert "Next daily score (day 1): " in page
    assert "The diary window is over" not in page
    assert "10 of 24 scheduled scores done." in page


def test_patient_page_says_todays_score_is_due_now(client, daily):
    block = daily.block(timedelta(days=3, hours=1))
    page = client.get(diary_url(block)).get_data(as_text=True)
    assert "Today's score (day 3) is due now." in page
    assert "Next daily score (day 4): " in page
    assert "Now one score a day" not in page  # the score due says so itself


def test_patient_page_in_spanish_asks_for_the_daily_score(client, daily):
    block = daily.block(timedelta(hours=12))
    page = client.get(diary_url(block), headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Ahora, una al día, a la hora del bloqueo." in page
    assert "Próxima puntuación diaria (día 1): " in page


def test_calendar_file_includes_the_daily_slots(client, daily):
    from icalendar import Calendar

    block = daily.block(timedelta(hours=3))
    calendar = Calendar.from_ical(client.get(diary_url(block) + "/reminders.ics").get_data())
    events = calendar.walk("VEVENT")
    starts = sorted(event["dtstart"].dt for event in events)
    # 4..8 h still ahead, then 14 daily scores
    assert len(events) == 5 + 14
    assert starts[-1] == (block.performed_at + timedelta(days=14)).replace(microsecond=0)
    summaries = [str(event["summary"]) for event in events]
    assert "Pain diary: today's score (day 14 after the block)" in summaries


def test_push_reminders_announce_a_daily_slot(app, daily):
    from diary.reminders.job import claim_due_reminders
    from diary.reminders.subscriptions import subscribe_push

    block = daily.block(timedelta(days=2, minutes=1))
    subscribe_push(block, "https://push.example/1", "key", "auth", ["push.example"])
    db.session.commit()
    claims = claim_due_reminders(utcnow())
    assert [claim.due for claim in claims] == [block.performed_at + timedelta(days=2)]


def test_an_old_block_without_daily_days_keeps_its_expiry(app, daily):
    """What the migration leaves: daily_days 0 on a recorded block, its link as it was."""
    block = daily.block(timedelta(hours=3))
    block.daily_days = 0
    block.link_expires_at = block.performed_at + timedelta(hours=48)
    db.session.commit()
    progress = diary_progress(block, now=block.performed_at + timedelta(hours=9))
    assert progress.daily_slots == () and progress.window_over and not progress.daily_phase
    entry = score(block, block.performed_at + timedelta(days=1), 2, "late")
    assert (entry.slot, entry.due_at) == ("hourly", block.performed_at + timedelta(hours=8))
    assert block.link_expires_at == block.performed_at + timedelta(hours=48)


# --- days of relief (pathway.md §2) on every door -----------------------------------------

# pathway.md's "daily tail": days 1–9 pain 2–3, day 10 pain 7, days 11–14 pain 7–8.
DAILY_TAIL = {
    1: 2,
    2: 3,
    3: 2,
    4: 3,
    5: 2,
    6: 3,
    7: 2,
    8: 3,
    9: 2,
    10: 7,
    11: 7,
    12: 8,
    13: 7,
    14: 8,
}


def therapeutic_block(world: DailyWorld, pains: dict[int, int], **overrides):
    """A steroid therapeutic block 15 days ago with an hourly diary and these daily scores
    (day -> pain), each made an hour after its slot."""
    values = dict(purpose="therapeutic", steroid=True, agent="bupivacaine", concentration="0.5")
    block = world.block(timedelta(days=15, hours=2), **(values | overrides))
    for hours in (0.5, 1, 2, 4):
        score(block, block.performed_at + timedelta(hours=hours), 1, f"h{hours}")
    for day, pain in pains.items():
        score(block, block.performed_at + timedelta(days=day, hours=1), pain, f"day{day}")
    return block


def test_block_page_shows_a_therapeutic_blocks_days_of_relief_as_its_outcome(client, daily, auth):
    block = therapeutic_block(daily, DAILY_TAIL)
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert 'Outcome: <span class="outcome outcome-weeks">9 days of relief (weeks)</span>' in page
    assert f'<h2 id="verdict-{block.id}">Verdict' not in page
    assert "<dt>Days of relief (≥50%)</dt><dd>9 days of relief (weeks)</dd>" in page
    assert "Daily scores (14 of 14 days)" in page


def test_a_diagnostic_block_keeps_its_verdict_and_shows_days_of_relief_beside_it(
    client, daily, auth
):
    block = therapeutic_block(daily, {1: 1, 2: 2, 3: 2, 5: 3, 6: 6}, purpose="diagnostic")
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert f'<h2 id="verdict-{block.id}">Verdict: ' in page and "Outcome: " not in page
    # pathway.md's "bridged day": day 4 missing, day 6 at 25 %
    assert "5 days of relief (short); day 4 without a score, bridged" in page


def test_report_shows_the_outcome(client, daily, auth):
    block = therapeutic_block(daily, {day: 2 for day in range(1, 15)})
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert "at least 14 days of relief (weeks)" in page


def test_api_analysis_gives_days_of_relief_and_the_outcome(client, daily):
    block = therapeutic_block(daily, DAILY_TAIL)
    _, token = create_api_token(daily.clinician, "tests")
    db.session.commit()
    api = Api(client, token)
    value = api.get(f"/blocks/{block.id}/analysis").get_json()
    assert value["days_of_relief"] == {"days": 9, "open": False, "class": "weeks"}
    assert value["verdict"] == "not_diagnostic"
    assert value["outcome"] == "9 days of relief (weeks)"
    entries = api.get(f"/blocks/{block.id}/entries").get_json()["items"]
    assert [e["slot"] for e in entries] == ["hourly"] * 4 + ["daily"] * 14
    assert api.get(f"/blocks/{block.id}").get_json()["daily_days"] == 14


def test_days_of_relief_are_unknown_until_day_one_is_due(client, daily):
    # Before day 1's score is due nothing is known (not "0 days, no relief"); once days
    # 1 and 2 have passed without a score, pathway.md §2 gives 0 days.
    fresh = daily.block(timedelta(hours=2), purpose="therapeutic")
    past = daily.block(timedelta(days=3, hours=2), purpose="therapeutic")
    _, token = create_api_token(daily.clinician, "tests")
    db.session.commit()
    api = Api(client, token)
    assert api.get(f"/blocks/{fresh.id}/analysis").get_json()["days_of_relief"] is None
    days = api.get(f"/blocks/{past.id}/analysis").get_json()["days_of_relief"]
    assert days == {"days": 0, "open": False, "class": "no_relief"}


def test_api_analysis_without_daily_scores_has_no_days_of_relief(client, world):
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    value = Api(client, token).get(f"/blocks/{world.block.id}/analysis").get_json()
    assert value["days_of_relief"] is None and value["outcome"] == value["verdict"]


@needs_pdf
def test_report_pdf_carries_the_outcome(client, daily, auth):
    pypdf = pytest.importorskip("pypdf")
    block = therapeutic_block(daily, DAILY_TAIL)
    auth.login("daily@a.example")
    response = client.get(f"/blocks/{block.id}/report.pdf")
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Outcome: 9 days of relief (weeks)" in text


# --- records ------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    body = response.get_data().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def test_entries_csv_says_each_entrys_slot(client, daily, auth):
    block = therapeutic_block(daily, {1: 2, 2: 3})
    auth.login("daily@a.example")
    rows = read_csv(client.get(f"/blocks/{block.id}/entries.csv"))
    assert [row["slot"] for row in rows] == ["hourly"] * 4 + ["daily"] * 2
    clinic_wide = read_csv(client.get("/exports/entries.csv"))
    assert [row["slot"] for row in clinic_wide] == ["hourly"] * 4 + ["daily"] * 2


def test_summary_csv_and_workbook_give_days_of_relief_and_the_outcome(client, daily, auth):
    tail = therapeutic_block(daily, DAILY_TAIL)
    daily.clinic.daily_days = 0
    db.session.commit()
    hourly_only = daily.block(timedelta(hours=30))
    auth.login("daily@a.example")
    rows = {int(r["block_id"]): r for r in read_csv(client.get("/exports/blocks.csv"))}
    assert rows[tail.id]["days_of_relief"] == "9"
    assert rows[tail.id]["days_of_relief_open"] == "false"
    assert rows[tail.id]["days_of_relief_class"] == "weeks"
    assert rows[tail.id]["outcome"] == "9 days of relief (weeks)"
    assert rows[tail.id]["verdict"] == "not_diagnostic"
    empty = rows[hourly_only.id]
    assert (empty["days_of_relief"], empty["days_of_relief_class"]) == ("", "")
    assert empty["outcome"] == empty["verdict"]
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(client.get("/exports/blocks.xlsx").get_data()))
    sheet = list(book.active.iter_rows(values_only=True))
    header = list(sheet[0])
    first = dict(zip(header, sheet[1], strict=True))
    assert first["days_of_relief"] == 9 and first["days_of_relief_open"] is False
    assert first["outcome"] == "9 days of relief (weeks)"


def test_table_schemas_describe_the_new_columns(client, daily, auth):
    auth.login("daily@a.example")
    entries = client.get("/exports/entries.schema.json").get_json()
    slot = next(f for f in entries["fields"] if f["name"] == "slot")
    assert slot["constraints"]["enum"] == ["hourly", "daily"]
    summary = client.get("/exports/blocks.schema.json").get_json()
    fields = {f["name"]: f for f in summary["fields"]}
    assert fields["days_of_relief"]["type"] == "integer"
    assert fields["days_of_relief_open"]["type"] == "boolean"
    assert fields["days_of_relief_class"]["constraints"]["enum"] == ["no_relief", "short", "weeks"]


@pytest.mark.parametrize("days", [0, 1, 14, 28])
@pytest.mark.parametrize("hourly_until_h", [8, 48])
def test_the_status_reads_the_same_last_due_time_as_the_schedule(days, hourly_until_h):
    from types import SimpleNamespace

    from diary.schedule import DiarySchedule
    from diary.services.settings import last_due_time, schedule_due_times

    schedule = DiarySchedule(hourly_until_h=hourly_until_h)
    for zone in ("UTC", "America/Chicago", "Australia/Lord_Howe"):
        for month in range(1, 13):
            block = SimpleNamespace(
                performed_at=datetime(2026, month, 20, 14, 30, tzinfo=ZoneInfo("UTC")),
                agent="lidocaine",
                daily_days=days,
            )
            due = schedule_due_times(block, schedule, zone)
            assert last_due_time(block, schedule, zone) == due[-1]
            assert len(due) == len(set(due)) and due == sorted(due)


def test_wide_and_redcap_files_have_a_column_per_daily_slot_and_days_of_relief(client, daily, auth):
    from tests.redcap_rules import dictionary_errors, import_errors
    from tests.test_research_exports import header_of, read

    tail = therapeutic_block(daily, {1: 2, 2: 3, 3: 2, 5: 2, 6: 7})
    auth.login("daily@a.example")
    (row,) = read(client.get("/exports/research/wide.csv"))
    assert row["pain_30m"] == "1" and row["pain_4h"] == "1"
    assert [row[f"pain_day{day}"] for day in range(1, 15)] == [
        "2", "3", "2", "", "2", "7", *[""] * 8
    ]  # fmt: skip
    assert "pain_24h" not in row and "pain_day15" not in row
    assert (row["days_of_relief"], row["days_of_relief_open"]) == ("5", "false")
    assert (row["days_of_relief_class"], row["outcome"]) == ("short", "5 days of relief (short)")
    dictionary_response = client.get("/exports/research/redcap-dictionary.csv")
    dictionary = read(dictionary_response, bom=False)
    assert dictionary_errors(header_of(dictionary_response), dictionary) == []
    import_response = client.get("/exports/research/redcap-import.csv")
    records = read(import_response, bom=False)
    assert import_errors(dictionary, header_of(import_response), records) == []
    (record,) = records
    assert record["record_id"] == str(tail.id)
    assert (record["pain_day6"], record["days_of_relief_open"]) == ("7", "0")
    schema = client.get("/exports/wide.schema.json").get_json()
    fields = {field["name"]: field for field in schema["fields"]}
    assert fields["pain_day14"]["constraints"] == {"minimum": 0, "maximum": 10}
    assert fields["days_of_relief"]["constraints"] == {"minimum": 0, "maximum": 28}


def test_fhir_gives_days_of_relief_and_a_therapeutic_blocks_outcome(client, daily):
    from fhirclient.models.bundle import Bundle

    from tests.fhir_r4 import assert_valid_r4

    block = therapeutic_block(daily, DAILY_TAIL)
    daily.clinic.mrn_system = "urn:oid:1.2.3"
    _, token = create_api_token(daily.clinician, "tests")
    db.session.commit()
    bundle = Api(client, token).get(f"/blocks/{block.id}/fhir").get_json()
    assert_valid_r4(bundle)
    Bundle(bundle, strict=True)
    resources = [entry["resource"] for entry in bundle["entry"]]
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    (days,) = [o for o in observations if o["code"]["coding"][0]["code"] == "days-of-relief"]
    assert days["valueQuantity"]["value"] == 9 and days["valueQuantity"]["code"] == "d"
    assert days["component"][0]["valueBoolean"] is False
    assert days["component"][1]["valueCodeableConcept"]["coding"][0]["code"] == "weeks"
    (report,) = [r for r in resources if r["resourceType"] == "DiagnosticReport"]
    assert report["conclusion"].startswith("9 days of relief (weeks); verdict not_diagnostic")
    codes = [c["coding"][0]["code"] for c in report["conclusionCode"]]
    assert codes == ["not_diagnostic", "days-of-relief-weeks"]
    clinic_wide = client.get("/api/v1/exports/fhir", headers=Api(client, token).headers)
    assert b"days-of-relief-weeks" in clinic_wide.get_data()


# --- the chart ----------------------------------------------------------------------------


def test_chart_keeps_the_hours_readable_and_draws_the_days_in_a_second_panel(client, daily, auth):
    from PIL import Image

    from diary import charts
    from diary.services.analysis import analyse_block
    from diary.services.days import daily_chart

    block = therapeutic_block(daily, DAILY_TAIL)
    panel = daily_chart(block)
    assert panel is not None and panel.days.days == 9
    assert 8 < panel.split_h < 24  # between the last hourly slot (12 h) and day 1
    analysis = analyse_block(block)
    figure = charts._chart_figure(analysis, block.baseline_pain, None, 100, panel)
    hours_ax, days_ax = figure.axes
    assert hours_ax.get_xlim()[1] < 13  # the hours as today: 14 days would squash them
    assert hours_ax.get_xlabel() == "Hours since the block"
    assert days_ax.get_xlabel() == "Days since the block"
    assert days_ax.get_xlim() == (0.5, 14.5)
    halves = [line for line in days_ax.get_lines() if line.get_label().startswith("50% relief")]
    assert halves and halves[0].get_ydata()[0] == 4.0  # pain 4 of baseline 8
    png = charts.render_chart(analysis, block.baseline_pain, "png", 1, None, panel)
    assert Image.open(io.BytesIO(png)).size == (640, 730)
    plain = charts.render_chart(analysis, block.baseline_pain, "png")
    assert Image.open(io.BytesIO(plain)).size == (640, 440)
    auth.login("daily@a.example")
    svg = client.get(f"/blocks/{block.id}/chart.svg").get_data(as_text=True)
    assert "Days since the block" in svg and "Days of relief (≥50%): 9 days (weeks)" in svg
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "A second panel shows the 14 daily scores (14 made)" in page


def test_a_diary_without_daily_scores_keeps_its_one_panel_chart(client, world, auth):
    auth.login()
    svg = client.get(f"/blocks/{world.block.id}/chart.svg").get_data(as_text=True)
    assert "Hours since the block" in svg and "Days since the block" not in svg


def test_lists_show_a_therapeutic_blocks_outcome_in_its_verdicts_place(client, daily, auth):
    block = therapeutic_block(daily, DAILY_TAIL)
    auth.login("daily@a.example")
    dashboard = client.get("/").get_data(as_text=True)
    assert '<span class="outcome">9 days of relief (weeks)</span>' in dashboard
    patient = client.get(f"/patients/{block.patient_id}").get_data(as_text=True)
    assert 'Outcome: <span class="outcome">9 days of relief (weeks)</span>' in patient
    assert 'height="730"' in patient
    report = client.get(f"/patients/{block.patient_id}/report").get_data(as_text=True)
    assert "9 days of relief (weeks)" in report


def test_the_openapi_document_names_the_days_after_and_stays_valid(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    validate(document)
    schemas = document["components"]["schemas"]
    assert schemas["Settings"]["properties"]["daily_days"]["type"] == "integer"
    changes = schemas["SettingsChanges"]["properties"]["daily_days"]
    assert (changes["minimum"], changes["maximum"]) == (0, 28)
    assert "daily_days" in schemas["Block"]["properties"]
    assert schemas["Entry"]["properties"]["slot"]["enum"] == ["hourly", "daily"]
    days = schemas["DaysOfRelief"]
    assert set(days["properties"]) == {"days", "open", "class"}
    assert days["properties"]["class"]["enum"] == ["no_relief", "short", "weeks"]
    analysis = schemas["BlockAnalysis"]["properties"]
    assert "days_of_relief" in analysis and "outcome" in analysis


def test_a_block_recorded_after_its_daily_link_closed_says_how_long_it_stayed_open(
    client, signed_in
):
    from tests.test_clinic_pages import CLINIC_ZONE, VALID_BLOCK

    signed_in.clinic.daily_days = 14
    db.session.commit()
    twenty_days_ago = (datetime.now(CLINIC_ZONE) - timedelta(days=20)).date().isoformat()
    saved = client.post(
        f"/patients/{signed_in.patient.id}/blocks/new",
        data=VALID_BLOCK | {"performed_date": twenty_days_ago, "confirm_time": "y"},
        follow_redirects=True,
    )
    page = saved.get_data(as_text=True)
    # 15 days (give or take the hour of a change of clocks)
    assert any(
        f"Its diary link has already expired ({hours} h after the procedure)" in page
        for hours in (359, 360, 361)
    )


def test_reopening_a_daily_diarys_link_keeps_it_open_past_the_last_daily_slot(client, daily, auth):
    block = daily.block(timedelta(days=2))
    block.link_expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    auth.login("daily@a.example")
    client.post(f"/blocks/{block.id}/link/reopen")
    db.session.refresh(block)
    assert block.link_expires_at == block.performed_at + timedelta(days=15)


def test_api_series_gives_each_block_its_outcome(client, daily):
    block = therapeutic_block(daily, DAILY_TAIL)
    _, token = create_api_token(daily.clinician, "tests")
    db.session.commit()
    value = Api(client, token).get(f"/patients/{block.patient_id}/series").get_json()
    (series,) = value["series"]
    (only,) = series["blocks"]
    assert only["outcome"] == "9 days of relief (weeks)"
    assert only["analysis"]["verdict"] == "not_diagnostic"


# --- per side (pathway.md §1 with §2): each side's days of relief -------------------------


def test_a_block_scored_apart_has_days_of_relief_per_side(client, daily, auth):
    block = daily.block(
        timedelta(days=15, hours=2),
        purpose="therapeutic",
        steroid=True,
        agent="bupivacaine",
        concentration="0.5",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    assert block.scored_apart
    # left: days 1–9 relieved (pain 2 of 8), then pain 7; right: never below 50 % (pain 5 of 6)
    for day in range(1, 15):
        at = block.performed_at + timedelta(days=day, hours=1)
        record_entry(
            block,
            EntryInput(
                pain_left=2 if day <= 9 else 7, pain_right=5, recorded_at=at, client_id=f"d{day}"
            ),
            now=at,
        )
    db.session.commit()
    _, token = create_api_token(daily.clinician, "tests")
    db.session.commit()
    value = Api(client, token).get(f"/blocks/{block.id}/analysis").get_json()
    assert value["sides"]["left"]["days_of_relief"] == {"days": 9, "open": False, "class": "weeks"}
    assert value["sides"]["left"]["outcome"] == "9 days of relief (weeks)"
    assert value["sides"]["right"]["days_of_relief"] == {
        "days": 0,
        "open": False,
        "class": "no_relief",
    }
    assert value["sides"]["right"]["outcome"] == "0 days of relief (no relief)"
    auth.login("daily@a.example")
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert 'Left side: <span class="outcome outcome-weeks">9 days of relief (weeks)' in page
    assert 'Right side: <span class="outcome outcome-no_relief">0 days of relief' in page


def test_summary_csv_gives_each_sides_days_of_relief(client, daily, auth):
    block = daily.block(
        timedelta(days=15, hours=2),
        purpose="therapeutic",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    for day in range(1, 15):
        at = block.performed_at + timedelta(days=day, hours=1)
        values = EntryInput(pain_left=2, pain_right=5 if day > 2 else 1, recorded_at=at)
        values.client_id = f"d{day}"
        record_entry(block, values, now=at)
    db.session.commit()
    auth.login("daily@a.example")
    (row,) = read_csv(client.get("/exports/blocks.csv"))
    assert (row["days_of_relief_left"], row["days_of_relief_open_left"]) == ("14", "true")
    assert row["days_of_relief_class_left"] == "weeks"
    assert (row["days_of_relief_right"], row["days_of_relief_class_right"]) == ("2", "short")
    assert row["days_of_relief"] == ""  # no one pain to count by
    schema = client.get("/exports/blocks.schema.json").get_json()
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["days_of_relief_open_right"]["type"] == "boolean"


def test_wide_and_redcap_files_give_each_sides_daily_scores_and_days(client, daily, auth):
    from tests.redcap_rules import dictionary_errors, import_errors
    from tests.test_research_exports import header_of, read

    block = daily.block(
        timedelta(days=15, hours=2),
        purpose="therapeutic",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    for day in range(1, 15):
        at = block.performed_at + timedelta(days=day, hours=1)
        values = EntryInput(pain_left=2, pain_right=5 if day > 2 else 1, recorded_at=at)
        values.client_id = f"d{day}"
        record_entry(block, values, now=at)
    db.session.commit()
    auth.login("daily@a.example")
    (row,) = read(client.get("/exports/research/wide.csv"))
    assert (row["pain_day1_left"], row["pain_day1_right"], row["pain_day3_right"]) == (
        "2",
        "1",
        "5",
    )
    assert (row["days_of_relief_left"], row["days_of_relief_open_left"]) == ("14", "true")
    assert (row["days_of_relief_right"], row["days_of_relief_class_right"]) == ("2", "short")
    dictionary_response = client.get("/exports/research/redcap-dictionary.csv")
    dictionary = read(dictionary_response, bom=False)
    assert dictionary_errors(header_of(dictionary_response), dictionary) == []
    import_response = client.get("/exports/research/redcap-import.csv")
    assert (
        import_errors(dictionary, header_of(import_response), read(import_response, bom=False))
        == []
    )


def test_the_chart_of_a_block_scored_apart_draws_each_sides_days(client, daily, auth):
    block = daily.block(
        timedelta(days=15, hours=2),
        purpose="therapeutic",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    for hours in (0.5, 1, 2):
        at = block.performed_at + timedelta(hours=hours)
        values = EntryInput(pain_left=1, pain_right=5, recorded_at=at)
        values.client_id = f"h{hours}"
        record_entry(block, values, now=at)
    for day in range(1, 15):
        at = block.performed_at + timedelta(days=day, hours=1)
        values = EntryInput(pain_left=2, pain_right=5 if day > 2 else 1, recorded_at=at)
        values.client_id = f"d{day}"
        record_entry(block, values, now=at)
    db.session.commit()
    auth.login("daily@a.example")
    svg = client.get(f"/blocks/{block.id}/chart.svg").get_data(as_text=True)
    assert "Days since the block" in svg and "Hours since the block" in svg
    assert "Days of relief (≥50%): Left: at least 14 days (weeks)" in svg  # the title,
    assert "Right: ≥50% relief 2 days" in svg  # each side's days in the panel
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert 'height="730"' in page
    assert "A second panel shows the 14 daily scores" in page  # each side's


def test_lists_show_each_sides_outcome_of_a_therapeutic_block_scored_apart(client, daily, auth):
    block = daily.block(
        timedelta(days=15, hours=2),
        purpose="therapeutic",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    for day in range(1, 15):
        at = block.performed_at + timedelta(days=day, hours=1)
        values = EntryInput(pain_left=2, pain_right=5 if day > 2 else 1, recorded_at=at)
        values.client_id = f"d{day}"
        record_entry(block, values, now=at)
    db.session.commit()
    auth.login("daily@a.example")
    dashboard = client.get("/").get_data(as_text=True)
    assert "Left: at least 14 days of relief (weeks) · Right: 2 days of relief (short)" in dashboard


def test_fhir_gives_each_sides_days_of_relief_with_its_laterality(client, daily):
    from fhirclient.models.bundle import Bundle

    from tests.fhir_r4 import assert_valid_r4

    block = daily.block(
        timedelta(days=15, hours=2),
        purpose="therapeutic",
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    for day in range(1, 15):
        at = block.performed_at + timedelta(days=day, hours=1)
        values = EntryInput(pain_left=2, pain_right=5 if day > 2 else 1, recorded_at=at)
        values.client_id = f"d{day}"
        record_entry(block, values, now=at)
    daily.clinic.mrn_system = "urn:oid:1.2.3"
    _, token = create_api_token(daily.clinician, "tests")
    db.session.commit()
    bundle = Api(client, token).get(f"/blocks/{block.id}/fhir").get_json()
    assert_valid_r4(bundle)
    Bundle(bundle, strict=True)
    observations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    days = [o for o in observations if o["code"]["coding"][0]["code"] == "days-of-relief"]
    assert [(o["bodySite"]["text"], o["valueQuantity"]["value"]) for o in days] == [
        ("left side", 14),
        ("right side", 2),
    ]


@pytest.mark.parametrize("ago", [timedelta(hours=12), timedelta(days=3, hours=1)])
@pytest.mark.parametrize("language", ["en", "es"])
def test_the_daily_step_keeps_the_patient_page_under_30_kb(client, daily, ago, language):
    import re

    page = client.get(diary_url(daily.block(ago)), headers={"Accept-Language": language})
    html = page.get_data(as_text=True)
    total = len(page.get_data())
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(asset) as response:
            total += len(response.get_data())
    assert total < 30 * 1024, total
