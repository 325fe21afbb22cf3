"""The reminder job (`flask reminders send`, every minute): each subscribed phone gets
one notification per due time, even when the job runs on several hosts at once.

A run claims what it will send in one short transaction (rows locked with SKIP LOCKED on
PostgreSQL, so a concurrent run passes them by; a conditional update, so only one run can
move a subscription's ``reminded_through`` to a due time), commits, then sends through a
bounded pool of threads with no lock held. A send that fails gives its claim back for the
next run while the due time is still fresh; a phone whose subscription is gone is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import CursorResult

from diary.extensions import db
from diary.models import Block, Clinic, FollowUpSubscription, PushSubscription, utcnow
from diary.reminders import push
from diary.schedule import DiarySchedule
from diary.services.settings import schedule_due_times

SENT, GONE, FAILED = "sent", "gone", "failed"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    subscription_id: int
    target: push.PushTarget
    due: datetime
    previous: datetime | None
    diary_token: str


def claim_due_reminders(now: datetime, allowed: Sequence[str] | None = None) -> list[Claim]:
    """Move each open diary's subscription to its newly arrived due time; the caller
    commits. Only subscriptions of diaries whose link is open are read, and only those
    pointing at a push service in ``allowed`` (all, when None) are claimed."""
    rows = db.session.execute(
        select(
            PushSubscription.id,
            PushSubscription.endpoint,
            PushSubscription.p256dh,
            PushSubscription.auth,
            PushSubscription.reminded_through,
            Block.diary_token,
            Block.performed_at,
            Block.agent,
            Block.daily_days,
            Clinic.schedule,
            Clinic.timezone,
        )
        .join(Block, Block.id == PushSubscription.block_id)
        .join(Clinic, Clinic.id == Block.clinic_id)
        .where(
            Block.link_revoked_at.is_(None),
            Block.archived_at.is_(None),
            Block.link_expires_at > now,
            Block.performed_at <= now,
        )
        .order_by(PushSubscription.id)
        .with_for_update(of=PushSubscription, skip_locked=True)
    ).all()
    claims = []
    for row in rows:
        if allowed is not None and push.endpoint_problem(row.endpoint, allowed):
            continue  # stored before the check, or the allowed services changed since
        # The hourly window, then the daily slots (pathway.md §2), by the rule every page reads.
        due_times = schedule_due_times(row, DiarySchedule.from_settings(row.schedule), row.timezone)
        due = push.due_to_announce(due_times, row.reminded_through, now)
        if due is None:
            continue
        claimed = cast(
            CursorResult,
            db.session.execute(
                update(PushSubscription)
                .where(
                    PushSubscription.id == row.id,
                    or_(
                        PushSubscription.reminded_through.is_(None),
                        PushSubscription.reminded_through < due,
                    ),
                )
                .values(reminded_through=due)
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if claimed:
            target = push.PushTarget(row.endpoint, row.p256dh, row.auth)
            claims.append(Claim(row.id, target, due, row.reminded_through, row.diary_token))
    return claims


def send_due_reminders(
    private_key: str,
    subject: str,
    diary_url_for: Callable[[str], str],
    senders: int = 8,
    now: datetime | None = None,
    allowed: Sequence[str] | None = None,
) -> dict[str, int]:
    """Announce every due time that has just arrived, once per subscribed phone.

    ``diary_url_for`` turns a diary token into the link the notification opens.
    """
    now = now or utcnow()
    claims = claim_due_reminders(now, allowed)
    db.session.commit()  # the claims are visible to every other run before anything is sent

    urls = [diary_url_for(claim.diary_token) for claim in claims]  # needs the app: not in threads
    return send_claims(
        claims,
        urls,
        PushSubscription,
        ("Pain diary", "Time to score your usual pain."),
        (private_key, subject),
        senders,
        "reminder",
    )


def send_claims(
    claims: Sequence,
    urls: Sequence[str],
    subscriptions: type[PushSubscription] | type[FollowUpSubscription],
    message: tuple[str, str],
    vapid: tuple[str, str],
    senders: int,
    what: str,
) -> dict[str, int]:
    """Send each claimed reminder (``message``: title and body) to its phone at its url, in
    ``senders`` threads; a phone that is gone loses its subscription (a row of
    ``subscriptions``), a failed send gives its claim back for the next run. Commits."""
    private_key, subject = vapid

    def send(claim, url: str) -> str:
        try:
            push.send_reminder(claim.target, *message, url, private_key, subject)
        except push.SubscriptionGone:
            return GONE
        except Exception as error:  # noqa: BLE001 - one unreachable phone must not stop the others
            log.warning(
                "%s for subscription %s failed: %s",
                what,
                claim.subscription_id,
                type(error).__name__,
            )
            return FAILED
        return SENT

    with ThreadPoolExecutor(max_workers=senders) as pool:
        outcomes = list(pool.map(send, claims, urls))
    counts = {SENT: 0, GONE: 0, FAILED: 0}
    for claim, outcome in zip(claims, outcomes, strict=True):
        counts[outcome] += 1
        if outcome == GONE:
            db.session.execute(
                delete(subscriptions).where(subscriptions.id == claim.subscription_id)
            )
        elif outcome == FAILED:
            db.session.execute(
                update(subscriptions)
                .where(
                    subscriptions.id == claim.subscription_id,
                    subscriptions.reminded_through == claim.due,
                )
                .values(reminded_through=claim.previous)
                .execution_options(synchronize_session=False)
            )
    db.session.commit()
    return counts
