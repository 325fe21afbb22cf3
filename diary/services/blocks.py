"""Blocks (procedures) and their diary links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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
from diary.pathway.days import diary_link_expires_at
from diary.schedule import slot_for, slot_kind
from diary.services.audit import record_audit
from diary.services.followup import ensure_block_followup, refresh_block_followup
from diary.services.rejections import InputRejected
from diary.services.settings import block_daily_slots, block_due_times
from diary.vocabulary import Scoring, Side


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
    baseline_pain: int | None
    activities: list[str] = field(default_factory=list)
    # "one" or "sides" (bilateral only); None: "sides" for a bilateral block given a
    # baseline per side or none at all, else "one".
    scoring: str | None = None
    baseline_pain_left: int | None = None
    baseline_pain_right: int | None = None


# A block recorded this long before it happened, or this far ahead, is more often a
# mistyped date than a real one: the form asks the clinician to confirm it.
USUAL_PAST = timedelta(days=14)
USUAL_FUTURE = timedelta(days=1)


def unusual_time(performed_at: datetime, now: datetime | None = None) -> str | None:
    """Why ``performed_at`` needs a second look, or None when it is an everyday time."""
    now = now or utcnow()
    if performed_at < now - USUAL_PAST:
        return f"That is {(now - performed_at).days} days ago."
    if performed_at > now + USUAL_FUTURE:
        return f"That is {(performed_at - now).days + 1} days ahead."
    return None


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


SIDE_BASELINES = ("baseline_pain_left", "baseline_pain_right")


def _score(name: str, value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise InputRejected(name, "must be a whole number from 0 to 10")
    return value


def scoring_and_baselines(
    side: str,
    scoring: str | None,
    baseline_pain: int | None,
    baseline_pain_left: int | None,
    baseline_pain_right: int | None,
) -> dict:
    """How a block is scored and its baselines (docs/pathway-rules.md, "Left and right"):
    a bilateral block scored apart has a baseline per side (both required) and no one
    baseline; any other block has the one baseline only. Raises InputRejected naming
    the field at fault."""
    one = _score("baseline_pain", baseline_pain)
    left = _score("baseline_pain_left", baseline_pain_left)
    right = _score("baseline_pain_right", baseline_pain_right)
    if scoring not in (None, *Scoring):
        raise InputRejected("scoring", "must be one or sides")
    if side != Side.BILATERAL:
        if scoring == Scoring.SIDES:
            raise InputRejected("scoring", "can be sides only for a bilateral block")
        scoring = Scoring.ONE
    elif scoring is None:
        # The default for a new bilateral block is left and right apart, unless the input
        # gives the one baseline only (as before scoring existed).
        apart = one is None or left is not None or right is not None
        scoring = Scoring.SIDES if apart else Scoring.ONE
    if scoring == Scoring.SIDES:
        if one is not None:
            raise InputRejected(
                "baseline_pain",
                "is not used when scored left and right apart: "
                "give baseline_pain_left and baseline_pain_right",
            )
        for name, value in zip(SIDE_BASELINES, (left, right), strict=True):
            if value is None:
                raise InputRejected(name, "is required when scored left and right apart")
    else:
        if one is None:
            raise InputRejected("baseline_pain", "is required")
        for name, value in zip(SIDE_BASELINES, (left, right), strict=True):
            if value is not None:
                raise InputRejected(
                    name, "is only for a bilateral block scored left and right apart"
                )
    return {
        "scoring": Scoring(scoring),
        "baseline_pain": one,
        "baseline_pain_left": left,
        "baseline_pain_right": right,
    }


def link_expiry(performed_at: datetime, clinic: Clinic, daily_days: int) -> datetime:
    """When a new diary link closes: the clinic's link lifetime after the block, or 24 h
    after the last daily slot when that is later (pathway.md §2: 14 daily scores keep it
    open 15 days after the block)."""
    kept = performed_at + timedelta(hours=clinic.diary_link_hours)
    daily = diary_link_expires_at(performed_at, ZoneInfo(clinic.timezone), daily_days)
    return max(kept, daily) if daily else kept


def create_block(clinic: Clinic, patient: Patient, values: BlockInput, by: User) -> Block:
    levels = consistent_levels(
        values.region, values.levels, values.agent, values.concentration, values.agent_other
    )
    scored = scoring_and_baselines(
        values.side,
        values.scoring,
        values.baseline_pain,
        values.baseline_pain_left,
        values.baseline_pain_right,
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
        **scored,
        activities=[a.strip() for a in values.activities if a.strip()],
        daily_days=clinic.daily_days,
        link_expires_at=link_expiry(values.performed_at, clinic, clinic.daily_days),
        created_by_id=by.id,
    )
    db.session.add(block)
    db.session.flush()
    ensure_block_followup(block)  # a therapeutic block's check-ins at 1 and 3 months
    record_audit("block.create", by=by, target=block)
    return block


# What a block's change history keeps of the old values: the procedure's details, which
# identify no one (the patient's own fields are never copied into the audit log).
HISTORY_FIELDS = (
    "performed_at",
    "region",
    "levels",
    "side",
    "purpose",
    "sequence",
    "agent",
    "concentration",
    "agent_other",
    "volume_ml_per_level",
    "steroid",
    "sedation",
    "baseline_pain",
    "activities",
    "scoring",
    "baseline_pain_left",
    "baseline_pain_right",
)


def update_block(
    block: Block,
    values: dict,
    by: User,
    now: datetime | None = None,
    effect: dict | None = None,
) -> list[str]:
    """Change a block's recorded details (values as BlockInput's fields) and everything
    that follows from its time and agent: the link's expiry, each entry's due time (so
    its on-time status). Returns the names of the fields that changed; the audit row
    keeps their old values and, given, the ``effect`` on the diary
    (services.block_changes)."""
    now = now or utcnow()
    before = {name: getattr(block, name) for name in HISTORY_FIELDS}
    merged = {
        name: values.get(name, getattr(block, name))
        for name in ("region", "levels", "agent", "concentration", "agent_other")
    }
    if merged["agent"] == OTHER:
        merged["concentration"] = None
    values = {**values, "levels": consistent_levels(**merged), **_rescored(block, values)}
    for name, value in values.items():
        if name == "activities":
            value = [a.strip() for a in (value or []) if a.strip()]
        elif name == "agent_other":
            value = (value or "").strip() or None
        setattr(block, name, value)
    if block.agent == "other":
        block.concentration = None
    changed = [name for name in HISTORY_FIELDS if getattr(block, name) != before[name]]
    if not changed:
        return []
    if block.performed_at != before["performed_at"]:
        # The link lives as long after the procedure as before (a reopened link included),
        # and past the moved daily slots (their clock time may cross a change of clocks).
        block.link_expires_at += block.performed_at - before["performed_at"]
        block.link_expires_at = max(
            block.link_expires_at, link_expiry(block.performed_at, block.clinic, block.daily_days)
        )
    if {"performed_at", "agent"} & set(changed):
        reslot_entries(block)
    if {"performed_at", "purpose"} & set(changed):
        refresh_block_followup(block)
    block.changed_at = now  # the stored summary is analysed afresh
    record_audit(
        "block.update",
        by=by,
        target=block,
        detail={"was": {name: _history_value(before[name]) for name in changed}}
        | ({"effect": effect} if effect else {}),
    )
    return changed


def _rescored(block: Block, values: dict) -> dict:
    """The scoring and baselines after a change of some of them (or of the side). The
    baselines of the other kind than the block ends up scored by are dropped unless
    given; once its diary has scores a block's scoring stays (they were given as asked)."""
    names = ("side", "scoring", "baseline_pain", *SIDE_BASELINES)
    if not set(names) & set(values):
        return {}
    side = values.get("side", block.side)
    if "scoring" in values:
        scoring = values["scoring"]
    elif side == Side.BILATERAL and block.side == Side.BILATERAL:
        scoring = block.scoring
    else:
        scoring = None
    kept = {name: values.get(name, getattr(block, name)) for name in names[2:]}
    if scoring is None and side == Side.BILATERAL:
        scoring = Scoring.ONE if kept["baseline_pain"] is not None else Scoring.SIDES
    apart = side == Side.BILATERAL and scoring == Scoring.SIDES
    for name in (*SIDE_BASELINES,) if not apart else ("baseline_pain",):
        if name not in values:
            kept[name] = None
    scored = scoring_and_baselines(side, scoring, **kept)
    if scored["scoring"] != block.scoring and block.entries:
        raise InputRejected(
            "scoring", "cannot change once the diary has scores (they were given as it asked)"
        )
    return scored


def reslot_entries(block: Block) -> None:
    """Each entry answers the slot nearest its time again, hourly or daily (after the
    block's time or agent changed)."""
    due_times, daily = block_due_times(block), block_daily_slots(block)
    for entry in block.entries:
        entry.due_at = slot_for(due_times, entry.recorded_at)
        entry.slot = slot_kind(entry.due_at, daily)


def _history_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


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
    block.link_expires_at = max(
        block.link_expires_at,
        fresh,
        link_expiry(block.performed_at, block.clinic, block.daily_days),
    )
    block.changed_at = now
    record_audit("link.reopen", by=by, target=block)
