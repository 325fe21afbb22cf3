"""Blocks (procedures) and their diary links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from diary import anatomy
from diary.agents import CONCENTRATIONS, OTHER, describe_agent
from diary.extensions import db
from diary.models import (
    Block,
    Clinic,
    Patient,
    User,
    utcnow,
)
from diary.services.audit import record_audit
from diary.services.rejections import InputRejected


@dataclass
class BlockInput:
    performed_at: datetime
    region: str
    levels: list[str]
    side: str
    purpose: str
    sequence: str
    agent: str
    concentration: str | None
    agent_other: str | None
    volume_ml_per_level: float
    steroid: bool
    sedation: str
    baseline_pain: int
    activities: list[str] = field(default_factory=list)


def consistent_levels(
    region: str, levels: list[str], agent: str, concentration: str | None, agent_other: str | None
) -> list[str]:
    """The levels in spine order; raises InputRejected where the block contradicts itself
    (a level outside its region, a concentration the agent is not given at, an unnamed
    other agent)."""
    if not levels:
        raise InputRejected("levels", "must name at least one level")
    try:
        ordered = anatomy.levels_in_spine_order(region, levels)
    except ValueError as error:
        raise InputRejected("levels", str(error)) from None
    if agent == OTHER and not (agent_other or "").strip():
        raise InputRejected("agent_other", "is required when agent is other")
    if agent != OTHER and concentration not in CONCENTRATIONS[agent]:
        raise InputRejected("concentration", "must be one of: " + ", ".join(CONCENTRATIONS[agent]))
    return ordered


def create_block(clinic: Clinic, patient: Patient, values: BlockInput, by: User) -> Block:
    levels = consistent_levels(
        values.region, values.levels, values.agent, values.concentration, values.agent_other
    )
    block = Block(
        clinic_id=clinic.id,
        patient_id=patient.id,
        performed_at=values.performed_at,
        region=values.region,
        levels=levels,
        side=values.side,
        purpose=values.purpose,
        sequence=values.sequence,
        agent=values.agent,
        concentration=values.concentration or None,
        agent_other=(values.agent_other or "").strip() or None,
        volume_ml_per_level=values.volume_ml_per_level,
        steroid=values.steroid,
        sedation=values.sedation,
        baseline_pain=values.baseline_pain,
        activities=[a.strip() for a in values.activities if a.strip()],
        link_expires_at=values.performed_at + timedelta(hours=clinic.diary_link_hours),
        created_by_id=by.id,
    )
    db.session.add(block)
    db.session.flush()
    record_audit("block.create", by=by, target=block)
    return block


def update_block(block: Block, values: dict, by: User, now: datetime | None = None) -> None:
    """Change a block's recorded details (values as BlockInput's fields)."""
    now = now or utcnow()
    merged = {
        name: values.get(name, getattr(block, name))
        for name in ("region", "levels", "agent", "concentration", "agent_other")
    }
    if merged["agent"] == OTHER:
        merged["concentration"] = None
    values = {**values, "levels": consistent_levels(**merged)}
    for name, value in values.items():
        if name == "activities":
            value = [a.strip() for a in (value or []) if a.strip()]
        elif name == "agent_other":
            value = (value or "").strip() or None
        setattr(block, name, value)
    if block.agent == "other":
        block.concentration = None
    block.changed_at = now
    record_audit("block.update", by=by, target=block)


def agent_label(block: Block) -> str:
    return describe_agent(block.agent, block.concentration, block.agent_other)


def revoke_link(block: Block, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    block.link_revoked_at = now
    block.changed_at = now
    record_audit("link.revoke", by=by, target=block)


def archive_block(block: Block, by: User, now: datetime | None = None) -> None:
    """Take a block off the worklists (its diary link closes); nothing is deleted."""
    now = now or utcnow()
    block.archived_at = now
    block.changed_at = now
    record_audit("block.archive", by=by, target=block)


def restore_block(block: Block, by: User, now: datetime | None = None) -> None:
    block.archived_at = None
    block.changed_at = now or utcnow()
    record_audit("block.restore", by=by, target=block)


def reopen_link(block: Block, by: User, now: datetime | None = None) -> None:
    """Revive the link; an expired link gets a fresh lifetime from now."""
    now = now or utcnow()
    block.link_revoked_at = None
    fresh = now + timedelta(hours=block.clinic.diary_link_hours)
    block.link_expires_at = max(block.link_expires_at, fresh)
    block.changed_at = now
    record_audit("link.reopen", by=by, target=block)
