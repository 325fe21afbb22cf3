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
