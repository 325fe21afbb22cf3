"""Phones subscribed to a diary's reminders (the job that sends them:
diary/reminder_job.py)."""

from __future__ import annotations

from sqlalchemy import select

from diary.extensions import db
from diary.models import (
    Block,
    PushSubscription,
)


def subscribe_push(block: Block, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Store (or move to this diary) a phone's push subscription."""
    subscription = db.session.execute(
        select(PushSubscription).filter_by(endpoint=endpoint)
    ).scalar_one_or_none()
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
