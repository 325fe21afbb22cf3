"""Check-in reminders by Web Push: phones subscribed to a follow-up link, and the part of
the reminder job (`flask reminders send`) that tells each phone once when a check-in
falls due, even when the job runs on several hosts at once (the claims are made as
diary/reminders/job.py makes them: rows locked with SKIP LOCKED on PostgreSQL, and a
conditional update of ``reminded_through``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import CursorResult

from diary.extensions import db
from diary.models import Ablation, Block, Checkin, FollowUpSubscription, utcnow
from diary.pathway.dates import at_clock_time
from diary.reminders import push
from diary.reminders.job import send_claims
from diary.services.followup import REMINDER_CLOCK, Followed, clinic_zone, followed
from diary.services.rejections import InputRejected

SENT, GONE, FAILED = "sent", "gone", "failed"
log = logging.getLogger(__name__)


def checkin_due_times(procedure: Followed) -> list[datetime]:
    """When each scheduled check-in is announced: its due day at the reminder's clock
    time (10:00 in the clinic's zone)."""
    zone = clinic_zone(procedure.clinic)
    return [at_clock_time(s.due_on, REMINDER_CLOCK, zone) for s in procedure.schedule()]


# --- phones -------------------------------------------------------------------------------


def subscribe_checkin_push(
    procedure: Followed, endpoint: str, p256dh: str, auth: str, allowed: Sequence[str]
) -> FollowUpSubscription:
    """Store (or move to this follow-up) a phone's push subscription."""
    problem = push.endpoint_problem(endpoint, allowed)
    if problem:
        raise InputRejected("endpoint", f"The endpoint {problem}.")
    owner = procedure.owner_ids()
    column = (
        FollowUpSubscription.ablation_id
        if "ablation_id" in owner
        else FollowUpSubscription.block_id
    )
    subscription = db.session.execute(
        select(FollowUpSubscription).filter_by(endpoint=endpoint)
    ).scalar_one_or_none()
    if subscription is None or getattr(subscription, next(iter(owner))) != procedure.record.id:
        phones = db.session.execute(
            select(func.count(FollowUpSubscription.id)).where(column == procedure.record.id)
        ).scalar_one()
        if phones >= push.MAX_PHONES_PER_DIARY:
            raise InputRejected(
                "endpoint",
                f"This follow-up already reminds {push.MAX_PHONES_PER_DIARY} phones; "
                "turn reminders off on one of them first.",
            )
    if subscription is None:
        subscription = FollowUpSubscription(endpoint=endpoint)
        db.session.add(subscription)
    subscription.ablation_id = owner.get("ablation_id")
    subscription.block_id = owner.get("block_id")
    subscription.p256dh, subscription.auth = p256dh, auth
    db.session.flush()
    return subscription


def unsubscribe_checkin_push(procedure: Followed, endpoint: str) -> bool:
    subscription = db.session.execute(
        select(FollowUpSubscription).filter_by(endpoint=endpoint, **procedure.owner_ids())
    ).scalar_one_or_none()
    if subscription is None:
        return False
    db.session.delete(subscription)
    return True


# --- the job ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinClaim:
    subscription_id: int
    target: push.PushTarget
    due: datetime
    previous: datetime | None
    followup_token: str


def _made_months(subscription: FollowUpSubscription) -> set[int]:
    column = Checkin.ablation_id if subscription.ablation_id else Checkin.block_id
    owner = subscription.ablation_id or subscription.block_id
    return set(
        db.session.scalars(
            select(Checkin.months).where(column == owner, Checkin.months.is_not(None))
        )
    )


def claim_due_checkin_reminders(
    now: datetime, allowed: Sequence[str] | None = None
) -> list[CheckinClaim]:
    """Move each open follow-up's subscription to its newly arrived check-in due time
    (one not answered yet); the caller commits."""
    subscriptions = (
        db.session.execute(
            select(FollowUpSubscription)
            .order_by(FollowUpSubscription.id)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    claims = []
    for subscription in subscriptions:
        if allowed is not None and push.endpoint_problem(subscription.endpoint, allowed):
            continue
        record: Ablation | Block | None = (
            db.session.get(Ablation, subscription.ablation_id)
            if subscription.ablation_id
            else db.session.get(Block, subscription.block_id)
        )
        if record is None:
            continue
        procedure = followed(record)
        if not procedure.link_open(now) or procedure.token is None:
            continue
        made = _made_months(subscription)
        schedule = procedure.schedule()
        due_times = [
            due
            for slot, due in zip(schedule, checkin_due_times(procedure), strict=True)
            if slot.months not in made
        ]
        due = push.due_to_announce(due_times, subscription.reminded_through, now)
        if due is None:
            continue
        claimed = cast(
            CursorResult,
            db.session.execute(
                update(FollowUpSubscription)
                .where(
                    FollowUpSubscription.id == subscription.id,
                    or_(
                        FollowUpSubscription.reminded_through.is_(None),
                        FollowUpSubscription.reminded_through < due,
                    ),
                )
                .values(reminded_through=due)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if claimed:
            target = push.PushTarget(subscription.endpoint, subscription.p256dh, subscription.auth)
            claims.append(
                CheckinClaim(
                    subscription.id, target, due, subscription.reminded_through, procedure.token
                )
            )
    return claims


def send_due_checkin_reminders(
    private_key: str,
    subject: str,
    followup_url_for: Callable[[str], str],
    senders: int = 8,
    now: datetime | None = None,
    allowed: Sequence[str] | None = None,
) -> dict[str, int]:
    """Announce every check-in that has just fallen due, once per subscribed phone."""
    now = now or utcnow()
    claims = claim_due_checkin_reminders(now, allowed)
    db.session.commit()  # the claims are visible to every other run before anything is sent

    urls = [followup_url_for(claim.followup_token) for claim in claims]
    return send_claims(
        claims,
        urls,
        FollowUpSubscription,
        ("Follow-up", "Your check-in is due: four questions about your pain."),
        (private_key, subject),
        senders,
        "check-in reminder",
    )
