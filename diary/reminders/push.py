"""Web Push reminders: which due times to announce, and sending one. Flask-free.

Sending is done by `flask reminders send`, run every minute (cron or a systemd
timer): each subscribed phone gets one notification when a due time arrives.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from urllib.parse import urlsplit

# A reminder later than this after its due time is no longer useful.
FRESH_FOR = timedelta(minutes=15)
# The browsers' push services (Chrome and Android, Firefox, Safari, Edge): a phone's
# subscription must point at one of them or a subdomain (PUSH_SERVICE_HOSTS to change).
KNOWN_PUSH_SERVICES = (
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
)
# Phones one diary may have reminded: a patient's own, and a few spares.
MAX_PHONES_PER_DIARY = 5


def endpoint_problem(endpoint: str, allowed: Sequence[str]) -> str | None:
    """Why a phone's push endpoint is refused, or None. The reminder job posts to it, so
    it must be an https address of a known push service: no user name or password, no IP
    address, the standard port. An entry of ``allowed`` with a scheme
    (``http://127.0.0.1``) admits that origin as it is: a local push service for tests."""
    try:
        parts = urlsplit(endpoint)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "is not a web address"
    if not host or parts.scheme not in ("https", "http"):
        return "is not a web address"
    if parts.username is not None or parts.password is not None:
        return "must not carry a user name or password"
    if f"{parts.scheme}://{host}" in allowed:
        return None
    if parts.scheme != "https":
        return "must be an https address"
    try:
        ip_address(host)
    except ValueError:
        pass
    else:
        return "must name a push service, not an IP address"
    if port not in (None, 443):
        return "must use the standard https port"
    services = [entry for entry in allowed if "://" not in entry]
    if not any(host == service or host.endswith("." + service) for service in services):
        return "is not the address of a known push service"
    return None


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
