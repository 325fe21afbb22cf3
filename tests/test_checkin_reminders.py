"""Check-in reminders (issue 25, item 6): the reminder job tells each phone subscribed to
a follow-up once when a check-in falls due, even when two runs go at the same moment; a
check-in already made is not announced, and a closed link is not read."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from diary.extensions import db
from diary.reminders.checkins import (
    checkin_due_times,
    send_due_checkin_reminders,
    subscribe_checkin_push,
)
from diary.reminders.push import generate_vapid_keys
from diary.services.followup import CheckinInput, followed, record_checkin
from tests.conftest import make_ablation
from tests.push_service import FakePushService, b64, phone_keys
from tests.test_reminder_job import run_at_once

PHONES = 8


@pytest.fixture
def push_service():
    service = FakePushService(delay=0.2)  # slow enough that two runs overlap
    yield service
    service.close()


@pytest.fixture
def followed_phones(app, world, push_service):
    """PHONES ablations a month ago, each with a phone subscribed to its follow-up."""
    _, p256dh, auth = phone_keys()
    ablations = []
    for number in range(PHONES):
        ablation = make_ablation(
            world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=30)
        )
        subscribe_checkin_push(
            followed(ablation),
            f"{push_service.base}/push/{number}",
            p256dh,
            b64(auth),
            ["http://127.0.0.1"],
        )
        ablations.append(ablation)
    db.session.commit()
    app.config.update(VAPID_PRIVATE_KEY=generate_vapid_keys()[0])
    # A minute after the 1-month check-in fell due (10:00 on its day, clinic time).
    app.due_now = checkin_due_times(followed(ablations[0]))[0] + timedelta(minutes=1)
    return ablations


def _run(app, **options):
    return send_due_checkin_reminders(
        app.config["VAPID_PRIVATE_KEY"], "mailto:t@example.org", lambda t: f"/f/{t}", **options
    )


def test_two_runs_at_the_same_moment_announce_each_checkin_once(app, followed_phones, push_service):
    def one_run():
        with app.app_context():
            counts = _run(app, senders=4, now=app.due_now)
            db.session.remove()
            return counts

    results = run_at_once(2, one_run)
    assert sum(result["sent"] for result in results) == PHONES
    assert Counter(push_service.paths()) == Counter(f"/push/{n}" for n in range(PHONES))
    assert _run(app, now=app.due_now + timedelta(minutes=1))["sent"] == 0


def test_a_checkin_made_or_a_closed_link_is_not_announced(
    app, world, followed_phones, push_service
):
    made, closed = followed_phones[:2]
    record_checkin(
        followed(made),
        CheckinInput(pain=2, months=1, made_on=datetime.now(UTC).date() - timedelta(days=1)),
        transcribed_by=world.clinician,
    )
    closed.link_revoked_at = datetime.now(UTC)
    db.session.commit()
    assert _run(app, now=app.due_now)["sent"] == PHONES - 2
    assert "/push/0" not in push_service.paths() and "/push/1" not in push_service.paths()


def test_the_page_offers_reminders_on_this_phone_and_the_api_subscribes(app, client, world):
    app.config.update(VAPID_PUBLIC_KEY="BPublicKeyForTheTest")
    ablation = make_ablation(
        world.clinic, world.patient, world.clinician, datetime.now(UTC) - timedelta(days=30)
    )
    db.session.commit()
    page = client.get(f"/f/{ablation.followup_token}").get_data(as_text=True)
    assert 'id="push-button"' in page and f"/api/v1/followup/{ablation.followup_token}/push" in page
    url = f"/api/v1/followup/{ablation.followup_token}/push"
    body = {"endpoint": "https://push.example/phone", "keys": {"p256dh": "k", "auth": "a"}}
    app.config.update(PUSH_SERVICE_HOSTS=["push.example"])
    assert client.post(url, json=body).status_code == 201
    gone = client.delete(url, json={"endpoint": "https://push.example/phone"})
    assert gone.status_code == 204
