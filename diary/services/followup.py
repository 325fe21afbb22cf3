"""Follow-up after an ablation or a therapeutic block: the clinic's check-in settings,
and the records read as the pathway's plain values (diary.pathway decides the rules)."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from diary import pathway
from diary.models import Ablation, Block, Checkin, Clinic


def followup_settings(clinic: Clinic) -> pathway.PathwaySettings:
    """The clinic's check-in months and windows, with pathway.md's defaults for the rest."""
    return pathway.PathwaySettings(
        rfa_checkin_months=tuple(clinic.rfa_checkin_months or (1, 3, 6, 12)),
        therapeutic_checkin_months=tuple(clinic.therapeutic_checkin_months or (1, 3)),
        checkin_opens_days_before=clinic.checkin_opens_days_before,
        checkin_closes_days_after=clinic.checkin_closes_days_after,
    )


def clinic_zone(clinic: Clinic) -> ZoneInfo:
    return ZoneInfo(clinic.timezone or "UTC")


def plain_checkins(rows: Iterable[Checkin]) -> tuple[pathway.Checkin, ...]:
    """Check-in rows as the pathway reads them (every submission; it picks what counts)."""
    return tuple(
        pathway.Checkin(
            made_on=row.made_on,
            months=row.months,
            pain=row.pain,
            pain_left=row.pain_left,
            pain_right=row.pain_right,
            submitted_at=row.submitted_at,
            reported_relief_pct=row.reported_relief_pct,
            pgic=row.pgic,
            new_treatment=row.new_treatment,
            checkin_id=row.id,
            transcribed=row.transcribed,
        )
        for row in rows
    )


def plain_ablation(
    ablation: Ablation, checkins: Iterable[Checkin] | None = None
) -> pathway.Ablation:
    """An ablation row as the pathway reads it, with its check-ins."""
    return pathway.Ablation(
        ablation_id=ablation.id,
        performed_at=ablation.performed_at,
        region=ablation.region,
        levels=tuple(ablation.levels),
        side=ablation.side,
        technique=pathway.Technique(ablation.technique),
        baseline_pain=ablation.baseline_pain,
        scoring=pathway.Scoring(ablation.scoring),
        baseline_pain_left=ablation.baseline_pain_left,
        baseline_pain_right=ablation.baseline_pain_right,
        checkins=plain_checkins(ablation.checkins if checkins is None else checkins),
    )


def block_checkins(block: Block) -> list[Checkin]:
    from diary.extensions import db

    return list(
        db.session.scalars(
            db.select(Checkin).where(Checkin.block_id == block.id).order_by(Checkin.id)
        )
    )
