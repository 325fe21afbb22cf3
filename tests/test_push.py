"""Web Push reminders: subscribe, send to a fake push service on loopback, unsubscribe."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from diary.extensions import db
from diary.models import PushSubscription
from diary.reminders.push import KNOWN_PUSH_SERVICES, due_to_announce, generate_vapid_keys
from tests.push_service import FakePushService, b64
from tests.push_service import phone_keys as make_phone_keys

http_ece = pytest.importorskip("http_ece")

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def push_service():
    service = FakePushService()
    yield service
    service.close()


@pytest.fixture
def phone_keys():
    return make_phone_keys()


def test_only_fresh_unannounced_due_times_are_sent():
    due = [START + timedelta(minutes=m) for m in (15, 30, 60)]
    assert due_to_announce(due, None, START + timedelta(minutes=10)) is None
    assert due_to_announce(due, None, START + timedelta(minutes=31)) == due[1]
    assert due_to_announce(due, due[1], START + timedelta(minutes=32)) is None
    assert due_to_announce(due, None, START + timedelta(minutes=50)) is None  # stale


def test_subscribe_and_unsubscribe(client, world, phone_keys):
    url = f"/api/v1/diary/{world.block.diary_token}/push"
    body = {
        "endpoint": "https://push.example/sub/1",
        "keys": {"p256dh": phone_keys[1], "auth": b64(phone_keys[2])},
    }
    assert client.post(url, json=body).status_code == 201
    assert client.post(url, json=body).status_code == 201  # a repeat keeps one row
    assert db.session.execute(select(func.count(PushSubscription.id))).scalar_one() == 1
    assert client.post(url, json={"endpoint": "ftp://x", "keys": {}}).status_code == 422
    other = f"/api/v1/diary/{world.other_block.diary_token}/push"
    assert client.delete(other, json={"endpoint": body["endpoint"]}).status_code == 404
    assert client.delete(url, json={"endpoint": body["endpoint"]}).status_code == 204
    assert db.session.execute(select(func.count(PushSubscription.id))).scalar_one() == 0


def test_send_job_delivers_an_encrypted_reminder_once(app, runner, world, push_service, phone_keys):
    private, public, auth = phone_keys
    vapid_private, vapid_public = generate_vapid_keys()
    app.config.update(
        VAPID_PRIVATE_KEY=vapid_private,
        VAPID_PUBLIC_KEY=vapid_public,
        PUBLIC_URL="https://diary.clinic.example",
    )
    # the block was 3 h ago: the 3-hour reminder is due a minute ago
    world.block.performed_at = datetime.now(UTC) - timedelta(hours=3, minutes=1)
    db.session.commit()
    client = app.test_client()
    client.post(
        f"/api/v1/diary/{world.block.diary_token}/push",
        json={"endpoint": push_service.endpoint, "keys": {"p256dh": public, "auth": b64(auth)}},
    )

    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output
    assert len(push_service.received) == 1
    _, headers, body = push_service.received[0]
    assert headers["content-encoding"] == "aes128gcm"
    assert (
        headers["authorization"].startswith("vapid t=")
        and vapid_public in (headers["authorization"])
    )
    assert int(headers["ttl"]) == 900
    message = json.loads(
        http_ece.decrypt(body, private_key=private, auth_secret=auth, version="aes128gcm")
    )
    assert message["url"] == f"https://diary.clinic.example/d/{world.block.diary_token}"
    assert "score" in message["body"]

    again = runner.invoke(args=["reminders", "send"])
    assert "sent 0" in again.output and len(push_service.received) == 1


def test_a_gone_subscription_is_removed(app, runner, world, push_service, phone_keys):
    app.config.update(VAPID_PRIVATE_KEY=generate_vapid_keys()[0])
    world.block.performed_at = datetime.now(UTC) - timedelta(hours=3, minutes=1)
    db.session.commit()
    app.test_client().post(
        f"/api/v1/diary/{world.block.diary_token}/push",
        json={
            "endpoint": push_service.endpoint,
            "keys": {"p256dh": phone_keys[1], "auth": b64(phone_keys[2])},
        },
    )
    push_service.status = 410
    result = runner.invoke(args=["reminders", "send"])
    assert "gone 1" in result.output
    assert db.session.execute(select(func.count(PushSubscription.id))).scalar_one() == 0


def test_without_vapid_keys_send_says_push_is_off_and_succeeds(runner):
    result = runner.invoke(args=["reminders", "send"])
    assert result.exit_code == 0 and "push reminders are off" in result.output


def test_keys_command_prints_a_usable_pair(runner):
    output = runner.invoke(args=["reminders", "keys"]).output
    assert "VAPID_PRIVATE_KEY=" in output and "VAPID_PUBLIC_KEY=" in output


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:5432/",
        "http://127.0.0.1@fcm.googleapis.com/fcm/send/x",
        "https://user:secret@fcm.googleapis.com/fcm/send/x",
        "https://fcm.googleapis.com@127.0.0.1/x",
        "http://localhost:6379/",
        "https://10.0.0.5/push",
        "https://[::1]/push",
        "https://2130706433/push",
        "https://internal.clinic.example/push",
        "https://fcm.googleapis.com.evil.example/push",
        "https://evilfcm.googleapis.com.example/push",
        "https://fcm.googleapis.com:8443/fcm/send/x",
        "http://fcm.googleapis.com/fcm/send/x",
        "ftp://fcm.googleapis.com/x",
    ],
)
def test_push_endpoints_outside_the_known_services_are_refused(app, client, world, endpoint):
    app.config["PUSH_SERVICE_HOSTS"] = list(KNOWN_PUSH_SERVICES)  # production's default
    url = f"/api/v1/diary/{world.block.diary_token}/push"
    response = client.post(url, json={"endpoint": endpoint, "keys": {"p256dh": "k", "auth": "a"}})
    assert response.status_code == 422, endpoint
    assert "endpoint" in response.get_json()["errors"]
    assert db.session.execute(select(func.count(PushSubscription.id))).scalar_one() == 0


def test_known_push_services_and_their_subdomains_are_accepted(app, client, world):
    app.config["PUSH_SERVICE_HOSTS"] = list(KNOWN_PUSH_SERVICES)
    url = f"/api/v1/diary/{world.block.diary_token}/push"
    for endpoint in (
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx",
        "https://wns2-by3p.notify.windows.com/w/?token=abc",
    ):
        keys = {"p256dh": "k", "auth": "a"}
        assert client.post(url, json={"endpoint": endpoint, "keys": keys}).status_code == 201


def test_a_diary_reminds_five_phones_at_most(client, world):
    url = f"/api/v1/diary/{world.block.diary_token}/push"
    keys = {"p256dh": "k", "auth": "a"}
    for n in range(5):
        body = {"endpoint": f"https://fcm.googleapis.com/fcm/send/{n}", "keys": keys}
        assert client.post(url, json=body).status_code == 201
    sixth = {"endpoint": "https://fcm.googleapis.com/fcm/send/6", "keys": keys}
    refused = client.post(url, json=sixth)
    assert refused.status_code == 422 and "5 phones" in refused.get_json()["detail"]
    again = {"endpoint": "https://fcm.googleapis.com/fcm/send/0", "keys": keys}
    assert client.post(url, json=again).status_code == 201  # a phone already counted
    assert db.session.execute(select(func.count(PushSubscription.id))).scalar_one() == 5
