"""The next step for each series (pathway.md §4) through the doors: the API, the patient
page, the series report and its PDF; and the limits and switch as clinic settings.

Dates are the clock's (blocks a few days ago, the day asked today or later); the fixed
dates below are refused whatever the day."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from diary.extensions import db
from diary.models import AuditEvent
from diary.services.tokens import create_api_token
from tests.conftest import add_concordant_pair, add_entries, make_block, make_user, needs_pdf
from tests.test_api import Api, assert_problem
from tests.test_verdict_pages import SETTINGS_FORM


def clinic_day(world, moment):
    return moment.astimezone(ZoneInfo(world.clinic.timezone)).date()


def positive_first_block(world):
    """The world's block (right, lumbar L4-L5 L5-S1, lidocaine) with a positive diary."""
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})
    db.session.commit()
    return world.block


@pytest.fixture
def api(client, world):
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    return Api(client, token)


@pytest.fixture
def admin_api(client, world):
    admin = make_user(world.clinic, "admin@a.example", role="admin")
    _, token = create_api_token(admin, "admin")
    db.session.commit()
    return Api(client, token)


def test_one_positive_block_calls_for_a_second_from_14_days_after_it(api, world):
    block = positive_first_block(world)
    answer = api.get(f"/patients/{world.patient.id}/next-steps")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["patient_id"] == world.patient.id
    assert body["on"] == datetime.now(ZoneInfo(world.clinic.timezone)).date().isoformat()
    (step,) = body["series"]
    assert step["region"] == "lumbar" and step["side"] == "right"
    assert step["levels"] == ["L4-L5", "L5-S1"]
    assert step["code"] == "second_block_due" and step["step"] == 6
    second_from = clinic_day(world, block.performed_at + timedelta(days=14))
    assert step["from_date"] == second_from.isoformat()
    assert "Consider a second diagnostic block" in step["reason"]
    assert step["limit"] == {
        "kind": "diagnostic",
        "region_group": "lumbar",
        "count": 1,
        "limit": 4,
        "reached": False,
        "next_possible": body["on"],
        "reason": step["limit"]["reason"],
    }


def test_a_concordant_pair_makes_ablation_eligible_by_the_lcd_with_the_rfa_limit(api, world):
    add_concordant_pair(world)
    (step,) = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    assert step["code"] == "rfa_eligible_lcd"
    assert step["limit"]["kind"] == "rfa" and step["limit"]["count"] == 0


def test_the_day_asked_decides_what_is_known(api, world):
    positive_first_block(world)
    before = clinic_day(world, world.block.performed_at) - timedelta(days=1)
    body = api.get(f"/patients/{world.patient.id}/next-steps?on={before.isoformat()}").get_json()
    assert body["on"] == before.isoformat() and body["series"] == []


def test_a_therapeutic_block_alone_leaves_a_first_diagnostic_block_to_consider(api, world):
    world.block.purpose = "therapeutic"
    db.session.commit()
    (step,) = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    assert step["code"] == "first_block"
    assert step["limit"]["kind"] == "diagnostic"


def test_the_clinics_limit_is_read_and_named_with_the_first_date_another_fits(
    api, admin_api, world
):
    positive_first_block(world)
    changed = admin_api.patch("/clinic/settings", json={"diagnostic_sessions_limit": 1})
    assert changed.status_code == 200 and changed.get_json()["diagnostic_sessions_limit"] == 1
    (step,) = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    assert step["code"] == "second_block_due"
    done = clinic_day(world, world.block.performed_at)
    next_year = done.replace(year=done.year + 1) if (done.month, done.day) != (2, 29) else None
    assert step["limit"]["reached"] is True and step["limit"]["count"] == 1
    if next_year:
        assert step["limit"]["next_possible"] == next_year.isoformat()
    assert "limit reached: 1 diagnostic session at lumbar" in step["reason"]


@pytest.mark.parametrize("on", ["2026-02-30", "tomorrow", "20261201", "1800-01-01"])
def test_a_day_that_is_no_date_is_a_400_saying_so(api, world, on):
    body = assert_problem(api.get(f"/patients/{world.patient.id}/next-steps?on={on}"), 400)
    assert "on" in body["errors"]


def test_another_clinics_patient_is_not_found(api, world):
    assert_problem(api.get(f"/patients/{world.other_patient.id}/next-steps"), 404)


def test_reading_the_next_steps_is_audited(api, world):
    api.get(f"/patients/{world.patient.id}/next-steps")
    event = db.session.query(AuditEvent).filter_by(action="patient.next_steps").one()
    assert event.target_id == world.patient.id


def test_the_patient_page_and_the_series_report_give_the_advice(client, signed_in):
    positive_first_block(signed_in)
    for url in (f"/patients/{signed_in.patient.id}", f"/patients/{signed_in.patient.id}/report"):
        page = client.get(url).get_data(as_text=True)
        assert "Next step for each series" in page, url
        assert "Consider a second diagnostic block" in page, url
        assert "books and blocks nothing" in page, url
        assert "1 diagnostic session at lumbar in the 12 months" in page, url


def test_archived_blocks_make_no_series_and_no_session(api, world):
    world.block.archived_at = datetime.now(UTC)
    db.session.commit()
    assert api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"] == []


def test_a_lumbar_and_a_cervical_series_count_their_limits_apart(api, world):
    positive_first_block(world)
    cervical = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        region="cervical",
        levels=["C5-C6"],
        performed_at=world.block.performed_at - timedelta(days=2),
    )
    add_entries(cervical, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})
    db.session.commit()
    steps = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    assert [(s["region"], s["limit"]["region_group"], s["limit"]["count"]) for s in steps] == [
        ("cervical", "cervical_thoracic", 1),
        ("lumbar", "lumbar", 1),
    ]


@needs_pdf
def test_the_series_pdf_is_built_with_the_advice(client, signed_in, monkeypatch):
    from diary.clinic import blocks as block_pages

    seen, original = {}, block_pages.pdf_response

    def keep(html, name):
        seen["html"] = html
        return original(html, name)

    monkeypatch.setattr(block_pages, "pdf_response", keep)
    positive_first_block(signed_in)
    response = client.get(f"/patients/{signed_in.patient.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Consider a second diagnostic block" in seen["html"]


# --- the limits and the switch as clinic settings ---------------------------------------


def test_settings_api_reads_the_pathway_defaults_and_changes_them_within_range(admin_api, api):
    current = api.get("/clinic/settings").get_json()
    assert {k: current[k] for k in PATHWAY_DEFAULTS} == PATHWAY_DEFAULTS
    changed = admin_api.patch(
        "/clinic/settings",
        json={"rfa_sessions_limit": 3, "stale_rfa_rule": False, "stale_rfa_years": 3},
    ).get_json()
    assert (changed["rfa_sessions_limit"], changed["stale_rfa_rule"]) == (3, False)
    assert changed["stale_rfa_years"] == 3
    assert_problem(admin_api.patch("/clinic/settings", json={"rfa_sessions_limit": 13}), 422)
    assert_problem(admin_api.patch("/clinic/settings", json={"stale_rfa_years": 0}), 422)
    assert_problem(api.patch("/clinic/settings", json={"rfa_sessions_limit": 1}), 403)


PATHWAY_DEFAULTS = {
    "diagnostic_sessions_limit": 4,
    "therapeutic_sessions_limit": 4,
    "rfa_sessions_limit": 2,
    "stale_rfa_rule": True,
    "stale_rfa_years": 2,
}


def test_the_settings_page_shows_and_saves_the_limits_and_the_switch(client, world, auth):
    make_user(world.clinic, "admin@a.example", role="admin")
    db.session.commit()
    auth.login("admin@a.example")
    page = client.get("/settings").get_data(as_text=True)
    assert "Diagnostic block sessions per region group" in page
    (box,) = re.findall(r"<input[^>]*name=\"stale_rfa_rule\"[^>]*>", page)
    assert "checked" in box
    form = SETTINGS_FORM | {"therapeutic_sessions_limit": "2", "stale_rfa_years": "3"}
    del form["stale_rfa_rule"]  # an unticked box is not sent
    assert client.post("/settings", data=form).status_code == 302
    clinic = world.clinic
    db.session.refresh(clinic)
    assert (clinic.therapeutic_sessions_limit, clinic.stale_rfa_years) == (2, 3)
    assert clinic.stale_rfa_rule is False
    refused = client.post("/settings", data=SETTINGS_FORM | {"rfa_sessions_limit": "-1"})
    assert refused.status_code == 400 and "Between 0 and 12." in refused.get_data(as_text=True)


def test_per_side_series_of_pathway_md_left_eligible_right_not(api, world):
    """pathway.md's "per-side series": a left block positive (lidocaine), a bilateral block
    scored apart 15 days later, left positive (bupivacaine, 4 h), right negative."""
    from diary.services.entries import EntryInput, record_entry

    first = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        side="left",
        levels=["L4-L5"],
        performed_at=datetime.now(UTC) - timedelta(days=20),
    )
    add_entries(first, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 6})
    second = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        side="bilateral",
        levels=["L4-L5"],
        agent="bupivacaine",
        concentration="0.5",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=8,
        performed_at=first.performed_at + timedelta(days=15),
    )
    for hours, left, right in (
        (0.25, 1, 7),
        (0.5, 1, 7),
        (1, 1, 8),
        (2, 0, 8),
        (4, 1, 8),
        (5, 6, 8),
    ):
        at = second.performed_at + timedelta(hours=hours)
        record_entry(
            second,
            EntryInput(pain=None, pain_left=left, pain_right=right, recorded_at=at,
                       client_id=f"b-{hours}"),
            now=at,
        )  # fmt: skip
    world.block.archived_at = datetime.now(UTC)
    db.session.commit()
    steps = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    by_side = {(s["side"], tuple(s["levels"])): s["code"] for s in steps}
    assert by_side == {
        ("left", ("L4-L5",)): "rfa_eligible_lcd",
        ("right", ("L4-L5",)): "not_supported",
    }
    worklist = api.get("/worklist").get_json()["items"]
    assert [
        (i["next_step"]["side"], i["next_step"]["code"]) for i in worklist if i["next_step"]
    ] == [("left", "rfa_eligible_lcd")]
