"""The worklist's next steps read only the diagnostic blocks that may call for action
(``Block.may_call_for_action``, indexed): a block the worklist found quiet (relief never
held at 50 % for its agent's shortest sustained response) leaves the scan until anything
about it changes, so a page costs the same in a clinic of 3 blocks as in one of 300; and
no change may leave a block out that should be read again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from diary.extensions import db
from diary.models import Block
from diary.services.blocks import update_block
from diary.services.patients import PatientInput, create_patient
from diary.services.settings import clinic_settings, update_clinic_settings
from tests.conftest import add_entries, make_block
from tests.test_query_counts import counted_queries
from tests.test_worklist import api, rows  # noqa: F401 (the fixture)

POSITIVE = {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5}  # a first block positive at 80 %


def calling(block_id: int) -> bool:
    db.session.expire_all()
    return db.session.execute(
        select(Block.may_call_for_action).where(Block.id == block_id)
    ).scalar_one()


def test_a_quiet_block_leaves_the_scan_and_comes_back_with_any_change(api, world):  # noqa: F811
    block_id = world.block.id
    assert calling(block_id)  # a new block may call for action
    assert rows(api.get("/worklist")) == []
    assert not calling(block_id)  # read: no entry, no relief held

    # An entry posted (the entry post's own UPDATE) brings it back, and the worklist
    # finds the second block due from the new diary.
    add_entries(db.session.get(Block, block_id), POSITIVE)
    db.session.commit()
    assert calling(block_id)
    assert rows(api.get("/worklist")) == [("next_steps", world.patient.id)]
    assert calling(block_id)  # it calls for action: it stays

    # A block edited (its changed_at set through the ORM) is read again.
    other = make_block(
        world.clinic, world.patient, world.clinician, performed_at=world.block.performed_at
    )
    db.session.commit()
    api.get("/worklist")
    assert not calling(other.id)
    update_block(db.session.get(Block, other.id), {"baseline_pain": 7}, by=world.clinician)
    db.session.commit()
    assert calling(other.id)

    # New analysis settings: every block is read again by them.
    api.get("/worklist")
    assert not calling(other.id)
    clinic = world.clinic
    update_clinic_settings(
        clinic, replace(clinic_settings(clinic), threshold_pct=50), by=world.clinician
    )
    db.session.commit()
    assert calling(other.id)


def test_a_mark_made_from_an_old_reading_does_not_hide_a_block_changed_since(api, world):  # noqa: F811
    from diary.services import summaries
    from diary.services.worklist import _QUIET

    def mark_as_read_before(block: Block, key: str, changed_at) -> None:
        mark = {"quiet_id": block.id, "quiet_changed_at": changed_at, "quiet_key": key}
        db.session.connection().execute(_QUIET, [mark])
        db.session.commit()

    api.get("/worklist")  # its summary stored, the block found quiet
    block = db.session.get(Block, world.block.id)
    seen, key = block.changed_at, block.summary_key
    assert not calling(block.id)

    add_entries(block, POSITIVE)  # an entry posted while a worklist read the block
    db.session.commit()
    mark_as_read_before(block, key, seen)
    assert calling(block.id)

    # New settings saved while a worklist read the block by the old ones.
    other = make_block(world.clinic, world.patient, world.clinician, side="left")
    db.session.commit()
    api.get("/worklist")
    other = db.session.get(Block, other.id)
    seen, key = other.changed_at, other.summary_key
    assert key == summaries.summary_key(other, key.split("|")[1]) and not calling(other.id)
    clinic = world.clinic
    update_clinic_settings(
        clinic, replace(clinic_settings(clinic), threshold_pct=50), by=world.clinician
    )
    db.session.commit()
    mark_as_read_before(other, key, seen)
    assert calling(other.id)


def quiet_patients(world, count: int) -> None:
    """``count`` patients, each with a diagnostic block and no diary."""
    for n in range(count):
        patient = create_patient(world.clinic, PatientInput(f"Q{n}"), by=world.clinician)
        make_block(
            world.clinic,
            patient,
            world.clinician,
            performed_at=world.block.performed_at + timedelta(minutes=n + 1),
        )
    db.session.commit()


def second_read_queries(api) -> tuple[int, list]:  # noqa: F811
    api.get("/worklist")  # the first read finds the new blocks quiet
    db.session.expire_all()
    with counted_queries() as statements:
        answer = api.get("/worklist")
    assert answer.status_code == 200
    return len(statements), rows(answer)


def test_a_page_reads_the_same_for_3_and_300_quiet_blocks(api, world):  # noqa: F811
    # The one patient with a next step has the oldest block: every quiet one comes first.
    add_entries(world.block, POSITIVE)
    db.session.commit()
    quiet_patients(world, 3)
    few = second_read_queries(api)
    quiet_patients(world, 297)
    many = second_read_queries(api)
    assert few == many
    assert few[1] == [("next_steps", world.patient.id)]
    listed = db.session.execute(
        select(Block.id).where(Block.clinic_id == world.clinic.id, Block.may_call_for_action)
    ).all()
    assert len(listed) == 1  # the positive block alone is read again


def test_a_patients_kept_next_steps_follow_every_change_of_their_records(api, world):  # noqa: F811
    """The next steps kept per process (diary.services.next_steps) are those of the
    records as they are now: a diary filled in, a block archived, another recorded."""
    from diary.services.blocks import archive_block

    url = f"/patients/{world.patient.id}/next-steps"

    def codes() -> list[str]:
        db.session.expire_all()
        return [step["code"] for step in api.get(url).get_json()["series"]]

    assert codes() == codes() == ["not_supported"]  # an empty diary, asked twice
    add_entries(world.block, POSITIVE)
    db.session.commit()
    assert codes() == ["second_block_due"]
    second = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        performed_at=world.block.performed_at - timedelta(days=20),
        agent="bupivacaine",
        concentration="0.5",
    )
    db.session.commit()
    assert codes() != ["second_block_due"]  # two blocks now: the second is not "due"
    archive_block(db.session.get(Block, second.id), by=world.clinician)
    db.session.commit()
    assert codes() == ["second_block_due"]
    archive_block(db.session.get(Block, world.block.id), by=world.clinician)
    db.session.commit()
    assert codes() == []


def test_a_diary_closed_early_or_expired_or_both_is_counted_and_listed_once(api, world):  # noqa: F811
    from diary.services.blocks import revoke_link
    from tests.test_worklist import finished_block

    closed_early = make_block(world.clinic, world.patient, world.clinician)  # link open
    revoke_link(closed_early, by=world.clinician)
    expired = finished_block(world, days_ago=9)
    both = finished_block(world, days_ago=5)
    revoke_link(both, by=world.clinician)
    db.session.commit()
    answer = api.get("/worklist").get_json()
    assert answer["counts"]["unreviewed_diaries"] == 3
    listed = [item["subject_id"] for item in answer["items"] if item["group"] != "next_steps"]
    # Newest finish first: closed just now (both links), then the one expired 7 days ago.
    assert sorted(listed[:2]) == sorted([closed_early.id, both.id])
    assert listed[2:] == [expired.id]


def test_next_steps_read_in_small_batches_page_as_read_at_once(api, world, monkeypatch):  # noqa: F811
    """Patients with a positive block (some, two series), quiet ones between them: the
    pages read a few blocks at a time list the rows read in one batch, in order."""
    from diary.services import next_steps as next_steps_service
    from diary.services import worklist as worklist_service

    for n in range(7):
        patient = create_patient(world.clinic, PatientInput(f"P{n}"), by=world.clinician)
        at = world.block.performed_at - timedelta(days=3 * n, hours=n)
        positive = make_block(world.clinic, patient, world.clinician, performed_at=at)
        add_entries(positive, POSITIVE)
        make_block(world.clinic, patient, world.clinician, performed_at=at, side="left")
        if n % 2:
            add_entries(
                make_block(world.clinic, patient, world.clinician, performed_at=at, side="left"),
                POSITIVE,
            )
    quiet_patients(world, 5)
    db.session.commit()

    def all_pages() -> list:
        listed, page = [], 1
        while True:
            answer = api.get(f"/worklist?page={page}").get_json()
            listed += [
                (i["subject_id"], i["next_step"]["side"])
                for i in answer["items"]
                if i["group"] == "next_steps"
            ]
            if not answer["has_next"]:
                return listed
            page += 1

    monkeypatch.setattr(worklist_service, "PAGE_SIZE", 3)
    at_once = all_pages()
    assert len(at_once) == 7 + 3  # the left series of three of them call for action too
    monkeypatch.setattr(worklist_service, "FIRST_BATCH", 2)
    monkeypatch.setattr(worklist_service, "LEAST_BATCH", 1)
    assert all_pages() == at_once
    next_steps_service._KEPT.clear()  # worked out afresh, a batch at a time
    assert all_pages() == at_once


def test_the_kept_next_steps_never_pass_their_bounds(api, world, monkeypatch):  # noqa: F811
    """Each cache of next steps holds at most its bound, even for one call's patients (a
    page's batch, every patient with an ablation), and a page read through full caches is
    the page read with none kept."""
    from diary.services import next_steps as next_steps_service
    from diary.services import worklist as worklist_service

    for n in range(6):
        patient = create_patient(world.clinic, PatientInput(f"P{n}"), by=world.clinician)
        at = world.block.performed_at - timedelta(days=3 * n, hours=n)
        add_entries(make_block(world.clinic, patient, world.clinician, performed_at=at), POSITIVE)
    quiet_patients(world, 4)
    db.session.commit()
    next_steps_service._KEPT.clear()
    worklist_service._CANDIDATES_KEPT.clear()
    unbounded = api.get("/worklist").get_json()["items"]
    assert len(next_steps_service._KEPT) >= 6 and len(worklist_service._CANDIDATES_KEPT) >= 10

    monkeypatch.setattr(next_steps_service, "KEPT_MAX", 2)
    monkeypatch.setattr(worklist_service, "CANDIDATES_KEPT_MAX", 3)
    next_steps_service._KEPT.clear()
    worklist_service._CANDIDATES_KEPT.clear()
    for _ in range(3):
        assert api.get("/worklist").get_json()["items"] == unbounded
        assert len(next_steps_service._KEPT) <= 2
        assert len(worklist_service._CANDIDATES_KEPT) <= 3
