"""Web Push reminders: which due times to announce, and sending one. Flask-free.

Sending is done by `flask reminders send`, run every minute (cron or a systemd
timer): each subscribed phone gets one notification when a due time arrives.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

# A reminder later than this after its due time is no longer useful.
FRESH_FOR = timedelta(minutes=15)


class SubscriptionGone(Exception):
    """The push service says this subscription no longer exists (404 or 410)."""


@dataclass(frozen=True)
class PushTarget:
    endpoint: str
    p256dh: str
    auth: str


def due_to_announce(
    due_times: list[datetime], reminded_through: datetime | None, now: datetime
) -> datetime | None:
    """The latest due time that has arrived, is still fresh and was not announced yet."""
    arrived = [
        due
        for due in due_times
        if due <= now
        and now - due <= FRESH_FOR
        and (reminded_through is None or due > reminded_through)
    ]
    return max(arrived, default=None)


def send_reminder(
    target: PushTarget,
    title: str,
    body: str,
    url: str,
    vapid_private_key: str,
    vapid_subject: str,
    timeout: float = 10,
) -> int:
    """Send one notification; returns the push service's status. Raises SubscriptionGone."""
    from pywebpush import WebPushException, webpush

    payload = json.dumps({"title": title, "body": body, "url": url})
    try:
        response = webpush(
            {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}},
            data=payload,
            vapid_private_key=vapid_private_key,
            vapid_claims={"sub": vapid_subject},
            ttl=15 * 60,
            timeout=timeout,
        )
    except WebPushException as error:
        status = getattr(error.response, "status_code", None)
        if status in (404, 410):
            raise SubscriptionGone(target.endpoint) from None
        raise
    return response.status_code


def generate_vapid_keys() -> tuple[str, str]:
    """(private key, public key) as base64url, the forms configuration and browsers take."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64(private), _b64(public)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
