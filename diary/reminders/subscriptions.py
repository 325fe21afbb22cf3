"""Phones subscribed to a diary's reminders (the job that sends them:
diary/reminders/job.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from diary.extensions import db
from diary.models import (
    Block,
    PushSubscription,
)
from diary.reminders.push import MAX_PHONES_PER_DIARY, endpoint_problem
from diary.services.rejections import InputRejected


def subscribe_push(
    block: Block, endpoint: str, p256dh: str, auth: str, allowed: Sequence[str]
) -> PushSubscription:
    """Store (or move to this diary) a phone's push subscription; ``allowed``: the push
    services (PUSH_SERVICE_HOSTS) an endpoint may point at."""
    problem = endpoint_problem(endpoint, allowed)
    if problem:
        raise InputRejected("endpoint", f"The endpoint {problem}.")
    subscription = db.session.execute(
        select(PushSubscription).filter_by(endpoint=endpoint)
    ).scalar_one_or_none()
    if subscription is None or subscription.block_id != block.id:
        phones = db.session.execute(
            select(func.count(PushSubscription.id)).filter_by(block_id=block.id)
        ).scalar_one()
        if phones >= MAX_PHONES_PER_DIARY:
            raise InputRejected(
                "endpoint",
                f"This diary already reminds {MAX_PHONES_PER_DIARY} phones; "
                "turn reminders off on one of them first.",
            )
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint)
        db.session.add(subscription)
    subscription.block_id, subscription.p256dh, subscription.auth = block.id, p256dh, auth
    db.session.flush()
    return subscription


def unsubscribe_push(block: Block, endpoint: str) -> bool:
    subscription = db.session.execute(
        select(PushSubscription).filter_by(endpoint=endpoint, block_id=block.id)
    ).scalar_one_or_none()
    if subscription is None:
        return False
    db.session.delete(subscription)
    return True
