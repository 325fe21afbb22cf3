"""Issue 25 items 1–3: ablations as procedures, their follow-up link and check-ins
(and a therapeutic block's), and the outcomes the pathway reads from them."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from diary import pathway
from diary.extensions import db
from diary.models import Ablation, Checkin
from diary.services.followup import plain_ablation
from diary.services.settings import pathway_settings
from tests.conftest import form_id


def _ablation(world, **overrides) -> Ablation:
    values = dict(
        clinic_id=world.clinic.id,
        patient_id=world.patient.id,
        performed_at=datetime.now(UTC) - timedelta(days=40),
        region="lumbar",
        levels=["L4-L5", "L5-S1"],
        side="right",
        technique="conventional",
        baseline_pain=8,
        link_expires_at=datetime.now(UTC) + timedelta(days=400),
        created_by_id=world.clinician.id,
    )
    values.update(overrides)
    ablation = Ablation(**values)
    db.session.add(ablation)
    db.session.flush()
    return ablation


def test_an_ablation_and_its_checkins_are_stored_and_read_by_the_pathway(world):
    ablation = _ablation(world)
    made_on = (ablation.performed_at + timedelta(days=31)).date()
    for client_id, pain in (("a", 5), ("b", 2)):
        db.session.add(
            Checkin(
                clinic_id=world.clinic.id,
                ablation_id=ablation.id,
                client_id=client_id,
                months=1,
                made_on=made_on,
                pain=pain,
                pgic=2,
                new_treatment=False,
            )
        )
    db.session.commit()
    assert len(ablation.followup_token) >= 40 and ablation.scoring == "one"
    assert [c.pain for c in ablation.checkins] == [5, 2]
    assert not ablation.checkins[0].unscheduled and not ablation.checkins[0].transcribed

    plain = plain_ablation(ablation)
    assert plain.technique == pathway.Technique.CONVENTIONAL and plain.ablates
    follow = pathway.follow_up(plain, made_on, world_zone(world), pathway_settings(world.clinic))
    # The later submission counts: pain 2 of 8 is 75% relief.
    (outcome,) = follow.outcomes
    assert [r.relief_pct for r in outcome.reliefs] == [75.0]
    assert [s.months for s in follow.schedule] == [1, 3, 6, 12]


def world_zone(world):
    from zoneinfo import ZoneInfo

    return ZoneInfo(world.clinic.timezone)


def test_a_checkin_is_stored_once_per_client_id_and_belongs_to_one_procedure(world):
    ablation = _ablation(world)
    day = datetime.now(UTC).date()
    db.session.add(
        Checkin(
            clinic_id=world.clinic.id, ablation_id=ablation.id, client_id="x", made_on=day, pain=3
        )
    )
    db.session.commit()
    db.session.add(
        Checkin(
            clinic_id=world.clinic.id, ablation_id=ablation.id, client_id="x", made_on=day, pain=4
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(Checkin(clinic_id=world.clinic.id, client_id="y", made_on=day, pain=4))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_clinic_sets_the_checkin_months_and_windows(world):
    settings = pathway_settings(world.clinic)
    assert settings.rfa_checkin_months == (1, 3, 6, 12)
    assert settings.therapeutic_checkin_months == (1, 3)
    assert (settings.checkin_opens_days_before, settings.checkin_closes_days_after) == (7, 21)
    world.clinic.rfa_checkin_months = [3, 6]
    world.clinic.checkin_closes_days_after = 14
    db.session.commit()
    settings = pathway_settings(world.clinic)
    assert settings.rfa_checkin_months == (3, 6) and settings.checkin_closes_days_after == 14


# --- the clinic's pages -------------------------------------------------------------------


def _ablation_form(performed_at: datetime, tz: str, **overrides) -> dict:
    from zoneinfo import ZoneInfo

    local = performed_at.astimezone(ZoneInfo(tz))
    data = {
        "performed_date": local.strftime("%Y-%m-%d"),
        "performed_time": local.strftime("%H:%M"),
        "region": "lumbar",
        "levels": ["L4-L5", "L5-S1"],
        "side": "bilateral",
        "technique": "cooled",
        "scoring": "sides",
        "baseline_pain_left": "8",
        "baseline_pain_right": "6",
        "confirm_time": "y",
    }
    data.update(overrides)
    return data


def test_a_clinician_records_an_ablation_and_sees_it_beside_the_blocks(client, signed_in):
    world = signed_in
    performed = datetime.now(UTC) - timedelta(days=2)
    response = client.post(
        f"/patients/{world.patient.id}/ablations/new",
        data=_ablation_form(performed, world.clinic.timezone),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    ablation = db.session.scalars(sa.select(Ablation)).one()
    assert (ablation.scoring, ablation.baseline_pain_left, ablation.baseline_pain_right) == (
        "sides",
        8,
        6,
    )
    assert ablation.baseline_pain is None and ablation.technique == "cooled"
    page = client.get(response.location).get_data(as_text=True)
    assert "Follow-up" in page and ablation.followup_token in page
    assert "1 month" in page and "Check-ins due" in page
    patient_page = client.get(f"/patients/{world.patient.id}").get_data(as_text=True)
    listed = patient_page[patient_page.index("Procedures in time order") :]
    # The block (3 h ago) after the ablation (2 days ago): time order.
    assert listed.index(f"/ablations/{ablation.id}") < listed.index(f"/blocks/{world.block.id}")


def test_a_bilateral_ablation_scored_apart_needs_both_baselines(client, signed_in):
    world = signed_in
    data = _ablation_form(datetime.now(UTC) - timedelta(hours=2), world.clinic.timezone)
    del data["baseline_pain_right"]
    response = client.post(f"/patients/{world.patient.id}/ablations/new", data=data)
    assert response.status_code == 400
    assert "right side&#39;s baseline pain" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(Ablation)).first() is None


def test_staff_record_an_unscheduled_checkin_marked_and_audited(client, signed_in):
    from zoneinfo import ZoneInfo

    from diary.models import AuditEvent
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=50)
    )
    db.session.commit()
    today = datetime.now(ZoneInfo(world.clinic.timezone)).date()
    response = client.post(
        f"/ablations/{ablation.id}/checkins",
        data={"made_on": today.isoformat(), "months": "", "pain": "3", "pgic": "2"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    (checkin,) = db.session.scalars(sa.select(Checkin)).all()
    assert checkin.unscheduled and checkin.transcribed and checkin.pgic == 2
    assert checkin.entered_by_id == world.clinician.id
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "checkin.transcribe")
    ).one()
    assert event.detail == {"checkin_id": checkin.id, "months": None, "unscheduled": True}
    page = client.get(f"/ablations/{ablation.id}").get_data(as_text=True)
    assert "unscheduled" in page and "staff (transcribed)" in page


def test_a_staff_checkin_sent_again_is_stored_once(client, signed_in):
    """The check-in form carries a one-time id drawn with the page, as the paper diary's
    does: the same form resubmitted stores one check-in (the later one would count)."""
    from tests.conftest import make_ablation
    from tests.test_repeated_staff_fields import drawn_form, filled, post

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=30)
    )
    db.session.commit()
    url = f"/ablations/{ablation.id}/checkins"
    pairs = filled(drawn_form(client, f"/ablations/{ablation.id}", url), {"pain": "3"})
    first, again = post(client, url, pairs), post(client, url, pairs)
    assert (first.status_code, again.status_code) == (302, 302)
    assert first.headers["Location"] == again.headers["Location"]
    assert len(db.session.scalars(sa.select(Checkin)).all()) == 1
    following = drawn_form(client, f"/ablations/{ablation.id}", url)
    assert dict(following)["client_id"] != dict(pairs)["client_id"]


# --- outcomes: pathway.md's worked examples, through the records and every door ---------


def _bearer(world):
    from diary.services.tokens import create_api_token

    _, key = create_api_token(world.clinician, "follow-up")
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def _transcribe(world, ablation, pains: dict, **fields):
    """Scheduled check-ins as staff copy them from calls: {months: pain} (or a dict of
    per-side pains), each made on its due date."""
    from diary.services.followup import CheckinInput, followed, record_checkin

    procedure = followed(ablation)
    due = {slot.months: slot.due_on for slot in procedure.schedule()}
    for months, pain in pains.items():
        values = pain if isinstance(pain, dict) else {"pain": pain}
        record_checkin(
            procedure,
            CheckinInput(made_on=due[months], months=months, **values, **fields),
            transcribed_by=world.clinician,
        )
    db.session.commit()


def test_rfa_durable_worked_example_on_the_page_the_api_and_the_report(client, signed_in):
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic,
        world.patient,
        world.clinician,
        datetime.now(UTC) - timedelta(days=200),
        baseline_pain=7,
    )
    _transcribe(world, ablation, {1: 2, 3: 3, 6: 3})
    answer = client.get(f"/api/v1/ablations/{ablation.id}", headers=_bearer(world)).get_json()
    (outcome,) = answer["follow_up"]["outcomes"]
    assert [c["relief_pct"] for c in outcome["checkins"]] == [71.4, 57.1, 57.1]
    assert outcome["durability"]["status"] == "durable"
    assert outcome["relief_lasted"] == {"months": 6, "open": True, "text": "at least 6 months"}
    assert outcome["repeat_injection"] is None
    assert [s["status"] for s in answer["follow_up"]["schedule"]][:3] == ["made"] * 3
    page = client.get(f"/ablations/{ablation.id}").get_data(as_text=True)
    assert "Durability at 6 months: durable" in page and "at least 6 months" in page
    report = client.get(f"/ablations/{ablation.id}/report").get_data(as_text=True)
    assert "Durability at 6 months: durable" in report and "71.4%" in report


def test_rfa_not_durable_names_the_first_checkin_below_50(client, signed_in):
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=120)
    )
    _transcribe(world, ablation, {1: 2, 3: 5})
    page = client.get(f"/ablations/{ablation.id}").get_data(as_text=True)
    assert "Durability at 6 months: not durable" in page
    assert "below 50% at 3 months (37.5%)" in page


def test_relief_gone_by_the_first_checkin_lasted_less_than_a_month(client, signed_in):
    """Not "0 months": relief below 50% at the 1-month check-in lasted less than that,
    on the page, its report, the API and the next step's advice alike."""
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=45)
    )
    _transcribe(world, ablation, {1: 7})
    for url in (f"/ablations/{ablation.id}", f"/ablations/{ablation.id}/report"):
        page = client.get(url).get_data(as_text=True)
        assert "Relief lasted: <strong>less than a month</strong>" in page, url
        assert "0 months" not in page, url
    answer = client.get(f"/api/v1/ablations/{ablation.id}", headers=_bearer(world)).get_json()
    (outcome,) = answer["follow_up"]["outcomes"]
    assert outcome["relief_lasted"] == {"months": 0, "open": False, "text": "less than a month"}
    patient = client.get(f"/patients/{world.patient.id}").get_data(as_text=True)
    assert "relief lasted less than a month" in patient and "0 months" not in patient


def test_relief_lasted_in_words():
    assert pathway.ReliefLasted(0, open=False).text == "less than a month"
    assert pathway.ReliefLasted(0, open=False, first_months=3).text == "less than 3 months"
    assert pathway.ReliefLasted(1, open=False).text == "1 month"
    assert pathway.ReliefLasted(6, open=True).text == "at least 6 months"


def test_a_bilateral_ablation_is_judged_per_side(client, signed_in):
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic,
        world.patient,
        world.clinician,
        datetime.now(UTC) - timedelta(days=200),
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    _transcribe(
        world,
        ablation,
        {
            1: {"pain_left": 1, "pain_right": 2},
            3: {"pain_left": 2, "pain_right": 5},
            6: {"pain_left": 2, "pain_right": 5},
        },
    )
    answer = client.get(f"/api/v1/ablations/{ablation.id}", headers=_bearer(world)).get_json()
    left, right = answer["follow_up"]["outcomes"]
    assert (left["side"], left["durability"]["status"]) == ("left", "durable")
    assert (right["side"], right["durability"]["status"]) == ("right", "not_durable")
    assert right["durability"]["reason"] == "below 50% at 3 months (16.7%)"
    page = client.get(f"/ablations/{ablation.id}").get_data(as_text=True)
    assert "<h4>Left</h4>" in page and "<h4>Right</h4>" in page


def test_pulsed_rf_is_followed_without_durability(client, signed_in):
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic,
        world.patient,
        world.clinician,
        datetime.now(UTC) - timedelta(days=200),
        technique="pulsed",
    )
    _transcribe(world, ablation, {1: 2})
    answer = client.get(f"/api/v1/ablations/{ablation.id}", headers=_bearer(world)).get_json()
    (outcome,) = answer["follow_up"]["outcomes"]
    assert outcome["durability"] is None and outcome["checkins"][0]["relief_pct"] == 75.0


def test_the_chart_draws_relief_by_month_with_the_50_line_and_the_6_month_mark(client, signed_in):
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=200)
    )
    _transcribe(world, ablation, {1: 2, 3: 3})
    svg = client.get(f"/ablations/{ablation.id}/chart.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert "50% relief" in text and "6 months" in text and "Months since the procedure" in text
    assert svg.headers["Cache-Control"] == "no-store"
    # What it draws: the relief of each check-in (baseline 8: pain 2 -> 75%, 3 -> 62.5%)
    # at its month, and nothing of the kind for an ablation without check-ins.
    from diary.services.followup import chart_lines, clinic_zone, follow_up_view, followed

    view = follow_up_view(followed(ablation))
    done_on = pathway.local_date(ablation.performed_at, clinic_zone(world.clinic))
    ((_, points),) = chart_lines(view, done_on)
    assert [(round(m), r) for m, r in points] == [(1, 75.0), (3, 62.5)]
    bare = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=200)
    )
    assert client.get(f"/ablations/{bare.id}/chart.svg").get_data(as_text=True).count(
        "<path"
    ) < text.count("<path")
    png = client.get(f"/ablations/{ablation.id}/chart.png")
    assert png.status_code == 200 and png.data[:4] == b"\x89PNG"


def test_the_report_pdf_is_a_pdf(client, signed_in):
    from tests.conftest import PDF_WORKS, make_ablation

    if not PDF_WORKS:
        pytest.skip("WeasyPrint needs Pango")
    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=40)
    )
    db.session.commit()
    response = client.get(f"/ablations/{ablation.id}/report.pdf")
    assert response.status_code == 200 and response.data[:5] == b"%PDF-"


# --- the ablation API ---------------------------------------------------------------------


def test_the_api_records_reads_and_corrects_an_ablation_with_its_history(client, world):
    from diary.models import AuditEvent
    from tests.conftest import API_ABLATION

    headers = _bearer(world)
    body = API_ABLATION | {
        "patient_id": world.patient.id,
        "performed_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
    }
    created = client.post("/api/v1/ablations", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert created.headers["Location"].endswith(f"/api/v1/ablations/{answer['id']}")
    follow = answer["follow_up"]
    assert [s["months"] for s in follow["schedule"]] == [1, 3, 6, 12]
    assert follow["link_open"] and follow["followup_url"].endswith("/f/" + follow["followup_token"])
    assert follow["next_checkin"]["months"] == 1
    changed = client.patch(
        f"/api/v1/ablations/{answer['id']}", json={"baseline_pain": 8}, headers=headers
    )
    assert changed.status_code == 200 and changed.get_json()["baseline_pain"] == 8
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "ablation.update")
    ).one()
    assert event.detail == {"was": {"baseline_pain": 7}}
    assert client.get(f"/api/v1/ablations/{answer['id']}", headers=headers).status_code == 200


def test_the_api_refuses_what_contradicts_itself(client, world):
    from tests.conftest import API_ABLATION, make_ablation

    headers = _bearer(world)
    base = API_ABLATION | {"patient_id": world.patient.id}
    wrong_level = client.post(
        "/api/v1/ablations", json=base | {"levels": ["C5-C6"]}, headers=headers
    )
    assert wrong_level.status_code == 422 and "levels" in wrong_level.get_json()["errors"]
    one_side = client.post(
        "/api/v1/ablations",
        json=base
        | {"side": "bilateral", "scoring": "sides", "baseline_pain_left": 7, "baseline_pain": None},
        headers=headers,
    )
    assert one_side.status_code == 422
    assert "baseline_pain_right" in one_side.get_json()["errors"]
    theirs = make_ablation(
        world.other_clinic,
        world.other_patient,
        world.other_clinician,
        datetime.now(UTC) - timedelta(days=400),
    )
    db.session.commit()
    repeat = client.post(
        "/api/v1/ablations", json=base | {"repeat_of_id": theirs.id}, headers=headers
    )
    assert repeat.status_code == 422 and "repeat_of_id" in repeat.get_json()["errors"]
    cervical = make_ablation(
        world.clinic,
        world.patient,
        world.clinician,
        datetime.now(UTC) - timedelta(days=400),
        region="cervical",
        levels=["C5-C6"],
    )
    earlier = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=400)
    )
    db.session.commit()
    now = datetime.now(UTC).isoformat()
    elsewhere = client.post(
        "/api/v1/ablations",
        json=base | {"repeat_of_id": cervical.id, "performed_at": now},
        headers=headers,
    )
    assert elsewhere.status_code == 422 and "same site" in elsewhere.get_json()["detail"]
    repeat = client.post(
        "/api/v1/ablations",
        json=base | {"repeat_of_id": earlier.id, "performed_at": datetime.now(UTC).isoformat()},
        headers=headers,
    )
    assert repeat.status_code == 201 and repeat.get_json()["repeat_of_id"] == earlier.id
    other = client.get(f"/api/v1/ablations/{theirs.id}", headers=headers)
    assert other.status_code == 404


# --- the patient's follow-up link ---------------------------------------------------------


def _open_ablation(world, **overrides):
    """An ablation 30 days ago: its 1-month check-in is open today."""
    from tests.conftest import make_ablation

    ablation = make_ablation(
        world.clinic,
        world.patient,
        world.clinician,
        datetime.now(UTC) - timedelta(days=30),
        **overrides,
    )
    db.session.commit()
    return ablation


def test_the_checkin_page_asks_the_four_questions_and_says_what_is_next(client, world):
    ablation = _open_ablation(world)
    page = client.get(f"/f/{ablation.followup_token}", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "Your 1-month check-in is open until" in text
    assert "Your average pain over the past week" in text
    assert "How much relief have you had since the procedure?" in text
    assert "how has your pain changed overall?" in text and "Very much better" in text
    assert "new regular pain medicine" in text
    assert "Your next check-in, the 3-month one, is due on" in text
    assert world.clinic.name in text
    spanish = client.get(f"/f/{ablation.followup_token}", headers={"Accept-Language": "es"})
    words = spanish.get_data(as_text=True)
    assert "Su seguimiento" in words and "Su dolor promedio durante la última semana" in words
    assert "Muchísimo mejor" in words and "Your follow-up" not in words


def test_a_checkin_is_stored_exactly_once_and_answers_the_open_checkin(client, world):
    ablation = _open_ablation(world)
    url = f"/api/v1/followup/{ablation.followup_token}/checkins"
    body = {"client_id": "phone-check-in-1", "pain": 3, "pgic": 2, "new_treatment": False}
    first = client.post(url, json=body)
    again = client.post(url, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert first.get_json()["months"] == 1 and first.get_json()["source"] == "patient"
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 1
    read = client.get(f"/api/v1/followup/{ablation.followup_token}").get_json()
    assert read["open_now"] == 1 and read["schedule"][0]["status"] == "made"
    assert "display_name" not in str(read) and read["next_checkin"]["months"] == 3
    # A second answer to the same check-in counts instead of the first.
    client.post(url, json={"client_id": "phone-check-in-2", "pain": 1})
    read = client.get(f"/api/v1/followup/{ablation.followup_token}").get_json()
    assert [c["superseded"] for c in read["checkins"]] == [True, False]


def test_no_checkin_is_taken_outside_its_window_from_the_patient(client, world):
    from tests.conftest import make_ablation

    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=5)
    )
    db.session.commit()
    refused = client.post(
        f"/api/v1/followup/{ablation.followup_token}/checkins",
        json={"pain": 3},
        headers={"Accept-Language": "es"},
    )
    assert refused.status_code == 422
    assert (
        refused.get_json()["detail"]
        == "Hoy no hay ningún control abierto, así que este no se guardó."
    )
    page = client.get(f"/f/{ablation.followup_token}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert "No check-in is open today." in text and "Your next check-in, the 1-month one" in text
    assert '<form method="post" action="/f/' not in text


def test_a_bilateral_ablation_scored_apart_asks_each_side(client, world):
    ablation = _open_ablation(
        world,
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    url = f"/api/v1/followup/{ablation.followup_token}/checkins"
    missing = client.post(url, json={"pain_left": 2})
    assert missing.status_code == 422 and "pain_right" in missing.get_json()["errors"]
    assert client.post(url, json={"pain_left": 2, "pain_right": 5}).status_code == 201
    text = client.get(f"/f/{ablation.followup_token}").get_data(as_text=True)
    assert "Left side: your average pain" in text and "Right side: your average pain" in text


def test_the_form_without_javascript_stores_the_checkin(client, world):
    ablation = _open_ablation(world)
    posted = client.post(
        f"/f/{ablation.followup_token}/checkins",
        data={
            "pain": "2",
            "relief_pct": "60",
            "pgic": "2",
            "new_treatment": "no",
            "client_id": "form-check-in-1",
        },
    )
    assert posted.status_code == 302
    checkin = db.session.scalars(sa.select(Checkin)).one()
    assert (checkin.pain, checkin.reported_relief_pct, checkin.pgic, checkin.new_treatment) == (
        2,
        60,
        2,
        False,
    )
    # Opened at its notice, the first line of <main> (not at the check-ins below it).
    assert posted.location.endswith("#main")
    text = client.get(posted.location).get_data(as_text=True)
    assert "your 1-month check-in is done" in text
    opened_at = text.split('<main id="main">', 1)[1].lstrip()
    assert opened_at.startswith('<p class="flash flash-success" role="status">Saved. Thank you.')


def test_a_closed_follow_up_link_names_the_clinic(client, world):
    ablation = _open_ablation(world)
    ablation.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    page = client.get(f"/f/{ablation.followup_token}")
    assert page.status_code == 410 and world.clinic.name in page.get_data(as_text=True)
    assert "This follow-up link is closed" in page.get_data(as_text=True)
    api = client.post(f"/api/v1/followup/{ablation.followup_token}/checkins", json={"pain": 2})
    assert api.status_code == 410
    assert client.get("/f/no-such-token").status_code == 404


def test_the_calendar_file_holds_one_event_per_checkin(client, world):
    ablation = _open_ablation(world)
    response = client.get(f"/f/{ablation.followup_token}/reminders.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert text.count("BEGIN:VEVENT") == 4
    for months in (1, 3, 6, 12):
        assert f"your {months}-month check-in" in text


def test_the_follow_up_link_shares_the_diary_links_rate_limit(tmp_path):
    from tests.conftest import make_ablation
    from tests.test_security import throttled_app

    with throttled_app(tmp_path, DIARY_RATE_LIMIT="3 per minute") as (app, world):
        ablation = make_ablation(
            world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=30)
        )
        db.session.commit()
        client = app.test_client()
        token = ablation.followup_token
        assert client.get(f"/f/{token}").status_code == 200
        assert client.get(f"/api/v1/followup/{token}").status_code == 200
        assert client.get(f"/f/{token}/reminders.ics").status_code == 200
        assert client.get(f"/api/v1/followup/{token}").status_code == 429
        assert client.get(f"/f/{token}").status_code == 429


# --- a therapeutic block's follow-up ------------------------------------------------------


def test_a_therapeutic_block_gets_a_follow_up_and_a_repeat_injection_answer(client, signed_in):
    from diary.services.followup import CheckinInput, followed, record_checkin
    from tests.conftest import make_block

    world = signed_in
    assert world.block.followup_token is None  # a diagnostic block has no follow-up
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        purpose="therapeutic",
        steroid=True,
        performed_at=datetime.now(UTC) - timedelta(days=100),
    )
    db.session.commit()
    assert block.followup_token and block.followup_expires_at > datetime.now(UTC)
    procedure = followed(block)
    assert [s.months for s in procedure.schedule()] == [1, 3]
    due = {s.months: s.due_on for s in procedure.schedule()}
    for months, pain in ((1, 2), (3, 3)):
        record_checkin(
            procedure,
            CheckinInput(pain=pain, months=months, made_on=due[months]),
            transcribed_by=world.clinician,
        )
    db.session.commit()
    page = client.get(f"/blocks/{block.id}").get_data(as_text=True)
    assert "Follow-up" in page and block.followup_token in page
    assert "Repeat therapeutic injection: supported" in page
    report = client.get(f"/blocks/{block.id}/report").get_data(as_text=True)
    assert "Repeat therapeutic injection: supported" in report and "75%" in report
    listed = client.get(f"/patients/{world.patient.id}").get_data(as_text=True)
    assert "repeat injection supported" in listed
    diagnostic = client.get(f"/blocks/{world.block.id}").get_data(as_text=True)
    assert "followup-heading" not in diagnostic


def test_a_merged_record_brings_its_ablations(client, signed_in):
    from diary.services.patients import PatientInput, create_patient, merge_patients
    from tests.conftest import make_ablation

    world = signed_in
    duplicate = create_patient(world.clinic, PatientInput("J.S.", None, 1960), by=world.clinician)
    ablation = make_ablation(
        world.clinic, duplicate, world.clinician, datetime.now(UTC) - timedelta(days=10)
    )
    db.session.commit()
    merge_patients(world.patient, duplicate, by=world.clinician)
    db.session.commit()
    assert db.session.get(Ablation, ablation.id).patient_id == world.patient.id


def test_a_follow_up_token_never_reaches_the_logs():
    from diary.logs import masked_path

    assert masked_path("/f/abc_DEF-123/checkins") == "/f/***/checkins"
    assert masked_path("/api/v1/followup/abc/checkins?x=1") == "/api/v1/followup/***/checkins"


def test_staff_record_checkins_through_the_api_and_read_a_blocks_follow_up(client, world):
    from zoneinfo import ZoneInfo

    from tests.conftest import make_block

    headers = _bearer(world)
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        purpose="therapeutic",
        steroid=True,
        performed_at=datetime.now(UTC) - timedelta(days=40),
    )
    db.session.commit()
    today = datetime.now(ZoneInfo(world.clinic.timezone)).date().isoformat()
    url = f"/api/v1/blocks/{block.id}/follow-up/checkins"
    body = {"made_on": today, "months": 1, "pain": 2, "client_id": "call-2026-a"}
    stored = client.post(url, json=body, headers=headers)
    assert stored.status_code == 201, stored.get_json()
    assert stored.get_json()["source"] == "transcribed" and stored.get_json()["months"] == 1
    assert client.post(url, json=body, headers=headers).status_code == 200
    number = client.post(url, json=body | {"made_on": 20260101}, headers=headers)
    assert number.status_code == 422 and "made_on" in number.get_json()["errors"]
    answer = client.get(f"/api/v1/blocks/{block.id}/follow-up", headers=headers).get_json()
    (outcome,) = answer["outcomes"]
    assert outcome["repeat_injection"]["status"] == "undetermined"
    assert outcome["checkins"][0]["relief_pct"] == 75.0
    diagnostic = client.get(f"/api/v1/blocks/{world.block.id}/follow-up", headers=headers)
    assert diagnostic.status_code == 404


def test_the_clinic_changes_its_checkin_months_through_the_page_and_the_api(client, world):
    from tests.conftest import PASSWORD, make_ablation, make_user

    admin = make_user(world.clinic, "admin@a.example", role="admin")
    ablation = make_ablation(
        world.clinic, world.patient, admin, datetime.now(UTC) - timedelta(days=10)
    )
    db.session.commit()
    assert ablation.link_expires_at < datetime.now(UTC) + timedelta(days=400)
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    saved = client.post(
        "/settings/follow-up",
        data={
            "rfa_checkin_months": "12, 1, 3, 6, 24",
            "therapeutic_checkin_months": "1, 3",
            "checkin_opens_days_before": "5",
            "checkin_closes_days_after": "30",
        },
    )
    assert saved.status_code == 302
    assert world.clinic.rfa_checkin_months == [1, 3, 6, 12, 24]
    assert world.clinic.checkin_closes_days_after == 30
    # An open follow-up link now lives through the 24-month check-in.
    assert ablation.link_expires_at > datetime.now(UTC) + timedelta(days=700)
    from diary.services.tokens import create_api_token

    _, key = create_api_token(admin, "settings")
    db.session.commit()
    headers = {"Authorization": f"Bearer {key}"}
    changed = client.patch(
        "/api/v1/clinic/follow-up-settings",
        json={"therapeutic_checkin_months": [1, 3, 6]},
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.get_json()["therapeutic_checkin_months"] == [1, 3, 6]
    assert changed.get_json()["rfa_checkin_months"] == [1, 3, 6, 12, 24]
    refused = client.patch(
        "/api/v1/clinic/follow-up-settings",
        json={"checkin_opens_days_before": 99},
        headers=headers,
    )
    assert refused.status_code == 422


def test_correcting_an_ablation_keeps_what_it_replaced_on_its_page(client, signed_in):
    from tests.conftest import make_ablation

    world = signed_in
    performed = datetime.now(UTC) - timedelta(days=3)
    ablation = make_ablation(world.clinic, world.patient, world.clinician, performed)
    db.session.commit()
    form = client.get(f"/ablations/{ablation.id}/edit").get_data(as_text=True)
    assert 'value="L4-L5"' in form and "Correct the ablation" in form
    data = _ablation_form(
        performed,
        world.clinic.timezone,
        side="right",
        technique="conventional",
        scoring="one",
        baseline_pain="6",
    )
    saved = client.post(f"/ablations/{ablation.id}/edit", data=data)
    assert saved.status_code == 302
    assert ablation.baseline_pain == 6
    page = client.get(f"/ablations/{ablation.id}").get_data(as_text=True)
    assert "corrected: baseline pain (was 8)" in page


def test_a_block_corrected_to_therapeutic_gets_its_follow_up_link(client, signed_in):
    from diary.services.blocks import update_block

    world = signed_in
    assert world.block.followup_token is None
    update_block(world.block, {"purpose": "therapeutic", "steroid": True}, by=world.clinician)
    db.session.commit()
    assert world.block.followup_token and world.block.followup_expires_at
    assert client.get(f"/f/{world.block.followup_token}").status_code == 200
    update_block(world.block, {"purpose": "diagnostic"}, by=world.clinician)
    db.session.commit()
    assert client.get(f"/f/{world.block.followup_token}").status_code == 404


# --- records: the ablations and check-ins files ------------------------------------------


def test_the_ablations_and_checkins_files_validate_against_their_schemas(
    client, signed_in, tmp_path
):
    import csv
    import io

    from tests.test_csv_export import frictionless_errors

    world = signed_in
    from tests.conftest import make_ablation

    apart = make_ablation(
        world.clinic,
        world.patient,
        world.clinician,
        datetime.now(UTC) - timedelta(days=200),
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
    )
    _transcribe(
        world,
        apart,
        {1: {"pain_left": 1, "pain_right": 2}, 3: {"pain_left": 2, "pain_right": 5}},
    )
    _transcribe(world, apart, {3: {"pain_left": 3, "pain_right": 5}})  # a second answer
    for kind in ("ablations", "checkins"):
        body = client.get(f"/exports/{kind}.csv").get_data()
        schema = client.get(f"/exports/{kind}.schema.json").get_json()
        assert frictionless_errors(tmp_path, kind, body, schema) == [], kind
        xlsx = client.get(f"/exports/{kind}.xlsx")
        assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    ablations = list(
        csv.DictReader(io.StringIO(client.get("/exports/ablations.csv").get_data(as_text=True)))
    )
    assert [(r["reading_sides"], r["reading_baseline_pain"]) for r in ablations] == [
        ("left", "8"),
        ("right", "6"),
    ]
    assert ablations[1]["durability"] == "not_durable" and ablations[0]["checkins_counted"] == "2"
    checkins = list(
        csv.DictReader(io.StringIO(client.get("/exports/checkins.csv").get_data(as_text=True)))
    )
    assert [(r["months"], r["counts"]) for r in checkins] == [
        ("1", "true"),
        ("3", "false"),
        ("3", "true"),
    ]
    assert checkins[1]["not_counted_because"] == "replaced by a later answer to the same check-in"
    assert (checkins[0]["relief_pct_left"], checkins[0]["relief_pct_right"]) == ("87.5", "66.7")
    assert checkins[0]["source"] == "transcribed" and checkins[0]["procedure"] == "ablation"


def test_an_ablation_as_fhir_r4_procedures_and_checkin_observations(client, signed_in):
    from tests.conftest import make_ablation
    from tests.fhir_r4 import assert_valid_r4

    world = signed_in
    world.clinic.mrn_system = "urn:oid:1.2.3.4"
    ablation = make_ablation(
        world.clinic,
        world.patient,
        world.clinician,
        datetime.now(UTC) - timedelta(days=200),
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
        levels=["L3-L4", "L4-L5", "L5-S1"],
    )
    _transcribe(world, ablation, {1: {"pain_left": 1, "pain_right": 2}}, pgic=2)
    bundle = client.get(f"/api/v1/ablations/{ablation.id}/fhir", headers=_bearer(world))
    assert bundle.status_code == 200 and bundle.mimetype == "application/fhir+json"
    resources = [entry["resource"] for entry in bundle.get_json()["entry"]]
    procedures = [r for r in resources if r["resourceType"] == "Procedure"]
    codes = [[c["code"] for c in p["code"]["coding"]] for p in procedures]
    assert codes == [["64635", "50"], ["64636", "50"], ["64636", "50"]]
    assert procedures[0]["bodySite"][1]["coding"][0]["code"] == "51440002"  # right and left
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    assert [o["bodySite"]["text"] for o in observations] == ["left", "right"]
    assert all(o["code"]["coding"][0]["code"] == "72514-3" for o in observations)
    assert all(o["partOf"][0]["reference"].startswith("urn:uuid:") for o in observations)
    left = {c["code"]["coding"][0]["code"]: c for c in observations[0]["component"]}
    assert left["relief-pct"]["valueQuantity"]["value"] == 87.5
    assert left["pgic"]["valueInteger"] == 2
    assert_valid_r4(bundle.get_json())


def test_the_clinic_wide_fhir_export_holds_the_ablations_too(client, signed_in):
    from tests.conftest import make_ablation
    from tests.fhir_r4 import assert_valid_r4

    world = signed_in
    world.clinic.mrn_system = "urn:oid:1.2.3.4"
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=40)
    )
    _transcribe(world, ablation, {1: 2})
    response = client.get("/exports/fhir.json?bundle=transaction")
    assert response.status_code == 200
    import json

    bundle = json.loads(response.get_data())
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds.count("Patient") == 1  # the block's and the ablation's patient, once
    codes = [
        coding["code"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Procedure"
        for coding in entry["resource"]["code"].get("coding", [])
    ]
    assert "64635" in codes and "64636" in codes
    assert_valid_r4(bundle)


def test_a_therapeutic_blocks_checkins_travel_with_its_fhir_diary(client, signed_in):
    from diary.services.followup import CheckinInput, followed, record_checkin
    from tests.conftest import make_block
    from tests.fhir_r4 import assert_valid_r4

    world = signed_in
    world.clinic.mrn_system = "urn:oid:1.2.3.4"
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        purpose="therapeutic",
        steroid=True,
        performed_at=datetime.now(UTC) - timedelta(days=40),
    )
    db.session.commit()
    procedure = followed(block)
    due = procedure.schedule()[0].due_on
    record_checkin(
        procedure, CheckinInput(pain=4, months=1, made_on=due), transcribed_by=world.clinician
    )
    db.session.commit()
    bundle = client.get(
        f"/api/v1/blocks/{block.id}/fhir?bundle=transaction", headers=_bearer(world)
    ).get_json()
    checkins = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["identifier"][0]["system"].endswith("/checkins")
    ]
    assert len(checkins) == 1 and checkins[0]["valueInteger"] == 4
    assert checkins[0]["effectiveDateTime"] == due.isoformat()
    procedure_url = next(
        e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
    )
    assert checkins[0]["partOf"] == [{"reference": procedure_url}]
    assert_valid_r4(bundle)


def test_the_clinic_names_each_pgic_answer_in_the_words_the_patient_tapped(client, world, auth):
    """One wording per answer: the patient's check-in, the clinic's ablation page (the
    check-in and the staff form) and the REDCap dictionary."""
    ablation = _open_ablation(world)
    patient_page = client.get(f"/f/{ablation.followup_token}", headers={"Accept-Language": "en"})
    tapped = dict(
        re.findall(
            r'<input[^>]*name="pgic"[^>]*value="(\d)"[^>]*>\s*([^<]+?)\s*</label>',
            patient_page.get_data(as_text=True),
        )
    )
    assert tapped["2"] == "Much better" and len(tapped) == 7
    url = f"/api/v1/followup/{ablation.followup_token}/checkins"
    body = {"client_id": "phone-pgic", "pain": 3, "pgic": 2, "new_treatment": False}
    assert client.post(url, json=body).status_code == 201
    auth.login()
    page = html.unescape(client.get(f"/ablations/{ablation.id}").get_data(as_text=True))
    assert "<td>2 · Much better</td>" in page
    for value, words in tapped.items():
        assert f">{value} · {words}</option>" in page or f"{value} · {words}</label>" in page
    dictionary = client.get("/exports/research/redcap-followup-dictionary.csv").get_data(True)
    assert " | ".join(f"{n}, {tapped[str(n)]}" for n in range(1, 8)) in dictionary


def test_a_broken_checkin_id_is_said_in_spanish_on_the_checkin_page(client, world):
    """The check-in page's form, like the diary's: a malformed one-time id gets a message
    in the page's language, not a bare 400."""
    ablation = _open_ablation(world)
    refused = client.post(
        f"/f/{ablation.followup_token}/checkins",
        data={"pain": "3", "client_id": "no!"},
        headers={"Accept-Language": "es"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Este formulario estaba desactualizado, así que no se guardó nada." in page
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 0


@pytest.mark.parametrize("sent_id", [None, ""], ids=["missing", "empty"])
def test_a_checkin_without_its_one_time_id_is_refused_as_a_broken_one(client, world, sent_id):
    """The check-in page's form, like the diary's (outside trial): a post with no one-time
    id, or an empty one, is refused with the same message and nothing stored, since a
    resend of it could not be told from a new check-in."""
    ablation = _open_ablation(world)
    url = f"/f/{ablation.followup_token}/checkins"
    data = {"pain": "3"} | ({} if sent_id is None else {"client_id": sent_id})
    refused = client.post(url, data=data, headers={"Accept-Language": "es"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Este formulario estaba desactualizado, así que no se guardó nada." in page
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 0
    fresh = re.search(r'name="client_id" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    for _ in range(2):  # with the id drawn on the refusal's page: stored once
        assert client.post(url, data={"pain": "3", "client_id": fresh}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Checkin.id))) == 1


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "The check-in you just sent was not saved."),
        ("es", "El control que acaba de enviar no se guardó."),
    ],
)
def test_a_check_in_sent_to_a_closed_link_is_said_not_saved(client, world, language, said):
    """As the diary's closed page: answering a post, it says the check-in was not saved."""
    ablation = _open_ablation(world)
    ablation.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    url, headers = f"/f/{ablation.followup_token}", {"Accept-Language": language}
    posted = client.post(
        f"{url}/checkins", data={"client_id": form_id(), "pain": "2"}, headers=headers
    )
    page = posted.get_data(as_text=True)
    assert posted.status_code == 410
    assert f'<p class="flash flash-error" role="alert">{said}</p>' in page
    assert world.clinic.name in page
    assert said not in client.get(url, headers=headers).get_data(as_text=True)
    assert db.session.scalars(sa.select(Checkin)).first() is None


@pytest.mark.parametrize(
    ("language", "not_saved", "link"),
    [
        ("en", "Your check-in was not saved. ", "Go to the question"),
        ("es", "Su control no se guardó. ", "Ir a la pregunta"),
    ],
)
def test_a_check_in_refused_without_script_is_said_at_the_top_with_a_link(
    client, world, language, not_saved, link
):
    """As the diary's page (outside trial): without script the refused page opens at its
    top, and the reason beside the scale may be a screen down, so the first reason is said
    at the top too, in the page's language, with a link to its question."""
    ablation = _open_ablation(world)
    url, headers = f"/f/{ablation.followup_token}", {"Accept-Language": language}
    refused = client.post(
        f"{url}/checkins", data={"client_id": form_id(), "relief_pct": "40"}, headers=headers
    )
    page = refused.get_data(as_text=True)
    top = page[page.index('<main id="main">') : page.index("<h1")]
    notice = re.search(r'<p class="flash flash-error" role="status">(.*?)</p>', top, re.S)
    assert refused.status_code == 400 and notice is not None
    assert notice.group(1).startswith(not_saved)
    assert notice.group(1).endswith(f'<a href="#pain-question">{link}</a>')
    assert page.count('<div id="pain-question">') == 1
    assert db.session.scalars(sa.select(Checkin)).first() is None
    relief = client.post(
        f"{url}/checkins",
        data={"client_id": form_id(), "pain": "3", "relief_pct": "150"},
        headers=headers,
    ).get_data(as_text=True)
    assert '<a href="#relief_pct">' in relief[: relief.index("<h1")]
    assert 'id="pain-question"' not in client.get(url, headers=headers).get_data(as_text=True)


def test_staff_cannot_record_a_scheduled_checkin_before_its_window_opens(client, signed_in):
    """Dated by its due date in every rule, a 6-month check-in recorded a month after the
    ablation read as durable relief at 6 months (outside trial). Refused, said at the top of
    the page with a link to the field, and nothing stored; an unscheduled one is taken."""
    from zoneinfo import ZoneInfo

    from diary.services.followup import followed
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=30)
    )
    db.session.commit()
    six = next(s for s in followed(ablation).schedule() if s.months == 6)
    today = datetime.now(ZoneInfo(world.clinic.timezone)).date()
    url = f"/ablations/{ablation.id}/checkins"
    sent = {"made_on": today.isoformat(), "pain": "1", "months": "6"}

    response = client.post(url, data=sent)

    assert response.status_code == 400
    assert db.session.scalars(sa.select(Checkin)).all() == []
    page = html.unescape(response.get_data(as_text=True))
    reason = f"The 6-month check-in opens on {six.opens_on:%d %b %Y} (it is due on"
    top = page.index('class="flash flash-error"')
    assert page.index(reason) > top and top < page.index("followup-heading")
    assert '<a href="#months-error">Go to the field</a>' in page
    assert 'id="months-error"' in page and page.count(reason) == 2
    assert "durable" not in client.get(f"/ablations/{ablation.id}").get_data(as_text=True)

    response = client.post(url, data=sent | {"months": ""})

    assert response.status_code == 302
    (checkin,) = db.session.scalars(sa.select(Checkin)).all()
    assert checkin.unscheduled and checkin.made_on == today


def test_staff_may_transcribe_a_scheduled_checkin_late_or_within_its_window(client, signed_in):
    from zoneinfo import ZoneInfo

    from diary.services.followup import followed
    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=200)
    )
    db.session.commit()
    today = datetime.now(ZoneInfo(world.clinic.timezone)).date()
    one = next(s for s in followed(ablation).schedule() if s.months == 1)
    url = f"/ablations/{ablation.id}/checkins"
    for day, client_id in ((one.opens_on, uuid.uuid4().hex), (today, uuid.uuid4().hex)):
        response = client.post(
            url,
            data={"made_on": day.isoformat(), "pain": "2", "months": "1", "client_id": client_id},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    assert [c.months for c in db.session.scalars(sa.select(Checkin))] == [1, 1]


def test_staff_refusals_speak_of_the_patient_and_a_decimal_relief_says_what_to_enter(
    client, signed_in
):
    """Outside trial: a staff check-in without a pain score said "Choose your average
    pain", words for the patient; a relief of 37.5 said WTForms' "Not a valid integer
    value.". Both refused, nothing stored, each said in the page's own words."""
    from zoneinfo import ZoneInfo

    from tests.conftest import make_ablation

    world = signed_in
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=30)
    )
    db.session.commit()
    today = datetime.now(ZoneInfo(world.clinic.timezone)).date()
    url = f"/ablations/{ablation.id}/checkins"
    sent = {"client_id": form_id(), "made_on": today.isoformat(), "months": ""}

    no_pain = html.unescape(client.post(url, data=sent).get_data(as_text=True))
    decimal = client.post(url, data=sent | {"pain": "4", "relief_pct": "37.5"})
    said = html.unescape(decimal.get_data(as_text=True))

    assert "Choose the patient's average pain over the past week" in no_pain
    assert "Choose your average pain" not in no_pain
    assert decimal.status_code == 400
    assert (
        "The check-in was not recorded: Relief is a whole number from 0 to 100, without "
        'decimals. <a href="#relief_pct-error">Go to the field</a>'
    ) in said
    assert "Not a valid integer value" not in said
    assert db.session.scalars(sa.select(Checkin)).all() == []


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Relief is a whole number from 0 to 100, without decimals."),
        ("es", "El alivio es un número entero del 0 al 100, sin decimales."),
    ],
)
def test_a_patients_decimal_relief_is_refused_in_the_pages_words(client, world, language, said):
    """The patient's check-in page: 37.5 is refused in the page's language, not WTForms'."""
    ablation = _open_ablation(world)
    url, headers = f"/f/{ablation.followup_token}", {"Accept-Language": language}
    refused = client.post(
        f"{url}/checkins",
        data={"client_id": form_id(), "pain": "3", "relief_pct": "37.5"},
        headers=headers,
    )
    assert refused.status_code == 400
    assert said in html.unescape(refused.get_data(as_text=True))
    assert db.session.scalars(sa.select(Checkin)).first() is None
