"""The reminder job sends each due reminder once, even when two runs (two hosts' cron at
the same minute) go at the same moment; it reads only open diaries' subscriptions."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from diary.extensions import db
from diary.models import PushSubscription, utcnow
from diary.reminders.job import send_due_reminders
from diary.reminders.push import generate_vapid_keys
from diary.reminders.subscriptions import subscribe_push
from tests.conftest import make_block
from tests.push_service import FakePushService, b64, phone_keys

ROOT = Path(__file__).resolve().parent.parent
FLASK = ROOT / ".venv" / "bin" / "flask"
PHONES = 16


@pytest.fixture
def push_service():
    service = FakePushService(delay=0.2)  # slow enough that two runs overlap
    yield service
    service.close()


@pytest.fixture
def subscribed(app, world, push_service):
    """PHONES diaries whose 3-hour reminder fell due a minute ago, each with a phone."""
    _, p256dh, auth = phone_keys()
    performed = utcnow() - timedelta(hours=3, minutes=1)
    for number in range(PHONES):
        block = make_block(world.clinic, world.patient, world.clinician, performed_at=performed)
        subscribe_push(
            block, f"{push_service.base}/push/{number}", p256dh, b64(auth), ["http://127.0.0.1"]
        )
    db.session.commit()
    app.config.update(VAPID_PRIVATE_KEY=generate_vapid_keys()[0])
    return [f"/push/{number}" for number in range(PHONES)]


def run_at_once(count: int, job) -> list:
    barrier, results = threading.Barrier(count), []

    def go():
        barrier.wait()
        results.append(job())

    threads = [threading.Thread(target=go) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_two_runs_at_the_same_moment_send_each_reminder_once(app, subscribed, push_service):
    def one_run():
        with app.app_context():
            counts = send_due_reminders(
                app.config["VAPID_PRIVATE_KEY"], "mailto:t@example.org", lambda t: t, senders=4
            )
            db.session.remove()
            return counts

    results = run_at_once(2, one_run)
    assert sum(result["sent"] for result in results) == PHONES
    assert sum(result["failed"] for result in results) == 0
    assert Counter(push_service.paths()) == Counter(subscribed)  # each exactly once


def test_two_hosts_cron_jobs_at_the_same_minute_send_each_reminder_once(
    app, database_url, subscribed, push_service
):
    env = dict(
        os.environ,
        BLOCK_DIARY_ENV="development",
        DATABASE_URL=database_url,
        VAPID_PRIVATE_KEY=app.config["VAPID_PRIVATE_KEY"],
        PUBLIC_URL="https://diary.clinic.example",
        REMINDER_SENDERS="4",
        PUSH_SERVICE_HOSTS="http://127.0.0.1",  # the test's push service on loopback
        LOG_FORMAT="json",
    )
    command = [str(FLASK), "--app", "app", "reminders", "send"]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    # Each run says what it did in one JSON line, as the app logs.
    lines = [json.loads(line) for output in outputs for line in output.splitlines()]
    assert [line["logger"] for line in lines] == ["diary.jobs", "diary.jobs"]
    sent = sum(line["sent"] for line in lines)
    assert sent == PHONES, outputs
    assert Counter(push_service.paths()) == Counter(subscribed)


def test_only_open_diaries_are_read_and_sent(app, world, subscribed, push_service):
    closed, expired = db.session.execute(
        db.select(PushSubscription).order_by(PushSubscription.id).limit(2)
    ).scalars()
    closed.block.link_revoked_at = utcnow()
    expired.block.link_expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    counts = send_due_reminders(app.config["VAPID_PRIVATE_KEY"], "mailto:t@x.org", lambda t: t)
    assert counts["sent"] == PHONES - 2
    assert len(push_service.received) == PHONES - 2


def test_a_failed_send_is_tried_again_by_the_next_run(app, subscribed, push_service):
    push_service.status = 500
    first = send_due_reminders(app.config["VAPID_PRIVATE_KEY"], "mailto:t@x.org", lambda t: t)
    assert first == {"sent": 0, "gone": 0, "failed": PHONES}
    push_service.status = 201
    second = send_due_reminders(app.config["VAPID_PRIVATE_KEY"], "mailto:t@x.org", lambda t: t)
    assert second["sent"] == PHONES
    third = send_due_reminders(app.config["VAPID_PRIVATE_KEY"], "mailto:t@x.org", lambda t: t)
    assert third["sent"] == 0


def test_the_job_posts_only_to_allowed_push_services(app, subscribed, push_service):
    # A subscription stored before the check (or a service no longer allowed) is not sent.
    counts = send_due_reminders(
        app.config["VAPID_PRIVATE_KEY"], "mailto:t@x.org", lambda t: t, allowed=["push.example"]
    )
    assert counts["sent"] == 0 and push_service.paths() == []


def test_without_push_keys_the_job_says_push_is_off_and_succeeds(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VAPID", "TEST_", "DATABASE"))
    } | {
        "BLOCK_DIARY_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path}/no-keys.sqlite3",
        "LOG_FORMAT": "json",
    }
    done = subprocess.run(
        [str(FLASK), "--app", "app", "reminders", "send"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [json.loads(text) for text in done.stdout.splitlines()]
    assert "push reminders are off" in line["message"] and line["level"] == "INFO"
    assert done.stderr == ""
