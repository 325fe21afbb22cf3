"""Issue 25 items 1–3: ablations as procedures, their follow-up link and check-ins
(and a therapeutic block's), and the outcomes the pathway reads from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from diary import pathway
from diary.extensions import db
from diary.models import Ablation, Checkin
from diary.services.followup import followup_settings, plain_ablation


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
    follow = pathway.follow_up(plain, made_on, world_zone(world), followup_settings(world.clinic))
    # The later submission counts: pain 2 of 8 is 75 % relief.
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
    settings = followup_settings(world.clinic)
    assert settings.rfa_checkin_months == (1, 3, 6, 12)
    assert settings.therapeutic_checkin_months == (1, 3)
    assert (settings.checkin_opens_days_before, settings.checkin_closes_days_after) == (7, 21)
    world.clinic.rfa_checkin_months = [3, 6]
    world.clinic.checkin_closes_days_after = 14
    db.session.commit()
    settings = followup_settings(world.clinic)
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
