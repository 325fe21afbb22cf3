"""The next steps kept per process (diary.services.next_steps' ``_KEPT``, the worklist's
``_CANDIDATES_KEPT`` and ``_STEPS_KEPT``) follow a write made by another worker: each is
keyed by the patient's records' version (next_steps.records_versions), read from the
database at every call, and nothing else tells them of a change. The writes here are made
in a forked process, so no code path of this one can have cleared or refreshed them."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from diary.extensions import db
from diary.models import Ablation, Block, Clinic, Patient, User
from diary.services import next_steps
from diary.services import worklist as worklist_service
from tests.conftest import add_entries, make_block
from tests.test_worklist import api  # noqa: F401 (the fixture)

POSITIVE = {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5}  # a first block positive at 80 %

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def as_another_worker(app, write) -> None:
    """``write()`` and a commit in a forked process, in an app context and a database
    connection of its own (the parent's connections are left untouched)."""
    db.session.commit()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child)
        code = 1
        try:
            db.engine.dispose(close=False)
            with app.app_context():
                write()
                db.session.commit()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the other worker's write failed"
    db.session.expire_all()


def quiet_block(world) -> int:
    """The world's patient with one diagnostic block, 3 days old (its diary over: next
    steps read from a running diary are not kept), with an empty diary."""
    world.block.archived_at = datetime.now(UTC)
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        performed_at=datetime.now(UTC) - timedelta(days=3),
    )
    db.session.commit()
    return block.id


def post_entries(block_id: int):
    return lambda: add_entries(db.session.get(Block, block_id), POSITIVE)


def record_ablation(world, days_ago: int):
    clinic_id, patient_id, user_id = world.clinic.id, world.patient.id, world.clinician.id

    def write() -> None:
        from diary.services.followup import AblationInput, create_ablation

        create_ablation(
            db.session.get(Clinic, clinic_id),
            db.session.get(Patient, patient_id),
            AblationInput(
                performed_at=datetime.now(UTC) - timedelta(days=days_ago),
                region="lumbar",
                levels=["L4-L5", "L5-S1"],
                side="right",
                technique="conventional",
                baseline_pain=8,
            ),
            by=db.session.get(User, user_id),
        )

    return write


def move_ablation(world, days_ago: int):
    patient_id, user_id = world.patient.id, world.clinician.id

    def write() -> None:
        from sqlalchemy import select

        from diary.services.followup import update_ablation

        ablation = db.session.execute(
            select(Ablation).where(Ablation.patient_id == patient_id)
        ).scalar_one()
        when = datetime.now(UTC) - timedelta(days=days_ago)
        update_ablation(ablation, {"performed_at": when}, by=db.session.get(User, user_id))

    return write


def test_a_patients_kept_steps_follow_another_workers_block_and_ablation(app, api, world):  # noqa: F811
    block_id = quiet_block(world)
    url = f"/patients/{world.patient.id}/next-steps"
    key = (world.clinic.id, world.patient.id)

    def series() -> list[dict]:
        db.session.expire_all()
        return api.get(url).get_json()["series"]

    assert [step["code"] for step in series()] == ["not_supported"]
    kept = next_steps._KEPT[key]
    assert series() == series() and next_steps._KEPT[key] is kept  # asked again: kept

    as_another_worker(app, post_entries(block_id))  # a block's write: its diary filled in
    steps = series()
    assert [step["code"] for step in steps] == ["second_block_due"]
    assert next_steps._KEPT[key] is not kept
    assert not any("since the ablation of" in note for note in steps[0]["notes"])

    kept = next_steps._KEPT[key]
    as_another_worker(app, record_ablation(world, days_ago=800))  # an ablation's write
    steps = series()
    assert next_steps._KEPT[key] is not kept
    assert [step["code"] for step in steps] == ["second_block_due"]
    assert "since the ablation of" in steps[0]["notes"][0]


def test_the_worklists_kept_steps_follow_another_workers_block_and_ablation(app, api, world):  # noqa: F811
    block_id = quiet_block(world)
    key = (world.clinic.id, world.patient.id)

    def listed() -> list[str]:
        db.session.expire_all()
        items = api.get("/worklist").get_json()["items"]
        return [item["next_step"]["code"] for item in items if item["group"] == "next_steps"]

    assert listed() == listed() == []  # the empty diary: no candidate, and kept so
    assert worklist_service._CANDIDATES_KEPT[key][1] is False

    as_another_worker(app, post_entries(block_id))  # a block's write
    assert listed() == ["second_block_due"]
    assert worklist_service._CANDIDATES_KEPT[key][1] is True

    # An ablation two years old, then moved by another worker to 100 days ago: followed
    # up now, so no repeat of the blocks is asked for (the steps kept under the ablation's
    # first version would still ask).
    db.session.get(Block, block_id).archived_at = datetime.now(UTC)
    db.session.commit()
    as_another_worker(app, record_ablation(world, days_ago=800))
    assert listed() == ["repeat_diagnostic_blocks"]
    kept = next_steps._KEPT[key]
    assert listed() == ["repeat_diagnostic_blocks"] and next_steps._KEPT[key] is kept
    as_another_worker(app, move_ablation(world, days_ago=100))  # an ablation's write
    assert listed() == []
    assert next_steps._KEPT[key] is not kept
