"""Correcting a block or a patient in the pages: everything that depends on the block's
time follows, unusual times are confirmed, and every change is in the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from diary.extensions import db
from diary.forms import utc_to_clinic_time
from diary.models import AuditEvent, Block
from diary.services.progress import diary_progress
from diary.services.tokens import create_api_token
from tests.conftest import add_entries, block_at, make_block, search

TZ = "America/Chicago"


def block_form(block: Block, performed_at: datetime | None = None, **changes) -> dict:
    """The block form as the edit page fills it, with ``changes`` typed over it."""
    local = utc_to_clinic_time(performed_at or block.performed_at, TZ)
    return {
        "performed_date": local.strftime("%Y-%m-%d"),
        "performed_time": local.strftime("%H:%M"),
        "region": block.region,
        "levels": block.levels,
        "side": block.side,
        "purpose": block.purpose,
        "sequence": block.sequence,
        "agent": f"{block.agent}:{block.concentration or ''}",
        "agent_other": block.agent_other or "",
        "volume_ml_per_level": str(block.volume_ml_per_level),
        "sedation": block.sedation,
        "baseline_pain": str(block.baseline_pain),
        "activities": "\n".join(block.activities),
    } | changes


def on_time(client, block_id) -> str:
    page = client.get(f"/blocks/{block_id}").get_data(as_text=True)
    return re.search(r"On time: <strong>(\d+ of \d+)</strong>", page).group(1)


def test_correcting_a_block_time_moves_due_times_link_and_verdict(client, signed_in):
    world = signed_in
    real = (datetime.now(UTC) - timedelta(hours=10)).replace(second=0, microsecond=0)
    # Recorded 5 h too early: the patient's punctual entries miss every due time.
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=real - timedelta(hours=5)
    )
    add_entries(
        block,
        {h: p for h, p in zip((5.25, 5.5, 6, 7, 8, 9, 10), (1, 0, 1, 1, 5, 7, 8), strict=True)},
    )
    db.session.commit()
    expires = block.link_expires_at
    assert on_time(client, block.id) != "7 of 10"
    assert (
        client.get(f"/api/v1/blocks/{block.id}/analysis").get_json()["verdict"] == "indeterminate"
    )
    page = client.get(f"/blocks/{block.id}/edit").get_data(as_text=True)
    assert utc_to_clinic_time(block.performed_at, TZ).strftime("%H:%M") in page

    asked = client.post(f"/blocks/{block.id}/edit", data=block_form(block, performed_at=real))
    assert asked.status_code == 409
    notice = asked.get_data(as_text=True)
    assert "The verdict would change from <strong>Indeterminate</strong> to" in notice
    db.session.expire_all()
    assert db.session.get(Block, block.id).performed_at == real - timedelta(hours=5)
    key = re.search(r'name="confirm_change" value="([^"]+)"', notice).group(1)
    moved = client.post(
        f"/blocks/{block.id}/edit",
        data=block_form(block, performed_at=real, confirm_change=key),
    )
    assert moved.status_code == 302
    said = client.get(moved.location).get_data(as_text=True)
    assert "Block updated: time. Verdict: Positive (was Indeterminate)." in said
    db.session.expire_all()
    block = db.session.get(Block, block.id)
    assert block.performed_at == real
    assert block.link_expires_at == expires + timedelta(hours=5)
    assert diary_progress(block).compliance.on_time == 7
    assert on_time(client, block.id) == "7 of 10"
    analysis = client.get(f"/api/v1/blocks/{block.id}/analysis").get_json()
    assert analysis["verdict"] == "positive"
    assert client.get("/").status_code == 200  # the dashboard reads the fresh summary
    assert block.summary["verdict"] == "positive"
    change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "block.update")).one()
    was = datetime.fromisoformat(change.detail["was"]["performed_at"])
    assert was == real - timedelta(hours=5) and change.user_id == world.clinician.id


def test_changing_the_agent_through_the_api_moves_the_due_times(client, signed_in):
    world = signed_in
    block = block_at(world, -timedelta(hours=12))  # lidocaine: hourly to 8 h
    add_entries(block, {10: 4})  # answers the 8 h slot, the last lidocaine has
    before = len(diary_progress(block).due_times)
    assert block.entries[0].due_at == block.performed_at + timedelta(hours=8)
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    changed = client.patch(
        f"/api/v1/blocks/{block.id}",
        json={"agent": "bupivacaine", "concentration": "0.5"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert changed.status_code == 200
    db.session.expire_all()
    block = db.session.get(Block, block.id)
    assert len(diary_progress(block).due_times) == before + 4  # hourly to 12 h
    # The entry now answers the 10 h slot bupivacaine's schedule has.
    assert block.entries[0].due_at == block.performed_at + timedelta(hours=10)


def test_an_unusual_block_time_asks_for_confirmation(client, signed_in):
    world = signed_in
    long_ago = datetime.now(UTC) - timedelta(days=60)
    data = block_form(world.block, performed_at=long_ago)
    asked = client.post(f"/blocks/{world.block.id}/edit", data=data)
    assert asked.status_code == 400
    assert "days ago. Check the date, then tick the box" in asked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Block, world.block.id).performed_at > long_ago + timedelta(days=50)
    new = client.post(f"/patients/{world.patient.id}/blocks/new", data=data)
    assert new.status_code == 400 and "tick the box" in new.get_data(as_text=True)
    confirmed = client.post(f"/blocks/{world.block.id}/edit", data=data | {"confirm_time": "y"})
    assert confirmed.status_code == 302
    far_ahead = block_form(world.block, performed_at=datetime.now(UTC) + timedelta(days=5))
    assert client.post(f"/blocks/{world.block.id}/edit", data=far_ahead).status_code == 400


def test_editing_is_for_the_clinic_of_the_block_only(client, signed_in):
    world = signed_in
    assert client.get(f"/blocks/{world.other_block.id}/edit").status_code == 404
    other = client.post(f"/blocks/{world.other_block.id}/edit", data=block_form(world.other_block))
    assert other.status_code == 404
    assert client.get(f"/patients/{world.other_patient.id}/edit").status_code == 404


def test_correcting_a_patient_updates_search_and_keeps_names_out_of_the_log(client, signed_in):
    world = signed_in
    page = client.get(f"/patients/{world.patient.id}/edit").get_data(as_text=True)
    assert 'value="J.S."' in page and 'value="MRN-1"' in page
    saved = client.post(
        f"/patients/{world.patient.id}/edit",
        data={"display_name": "Jane Smith", "mrn": "MRN-1", "birth_year": "1961"},
    )
    assert saved.status_code == 302
    assert "Jane Smith" in search(client, "smith").get_data(as_text=True)
    change = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.update")
    ).one()
    assert change.detail == {"fields": ["display_name", "birth_year"]}
    assert "Smith" not in str(change.detail) and "J.S." not in str(change.detail)
    refused = client.post(f"/patients/{world.patient.id}/edit", data={"display_name": ""})
    assert refused.status_code == 400


def entries_before_the_block(block_id: int) -> int:
    block = db.session.get(Block, block_id)
    return sum(entry.recorded_at < block.performed_at for entry in block.entries)


def test_moving_a_block_past_its_entries_says_what_it_does_before_saving(client, signed_in):
    """08:12 -> 09:30 with entries from 08:27: most fall before the block, the verdict goes."""
    world = signed_in
    performed = (datetime.now(UTC) - timedelta(hours=12)).replace(second=0, microsecond=0)
    block = make_block(world.clinic, world.patient, world.clinician, performed_at=performed)
    hours = (0.25, 0.5, 0.75, 1, 1.25, 2, 3, 4, 5, 6)
    add_entries(block, dict(zip(hours, (1, 0, 1, 1, 1, 1, 5, 7, 8, 8), strict=True)))
    db.session.commit()
    later = performed + timedelta(hours=1, minutes=18)
    data = block_form(block, performed_at=later)
    asked = client.post(f"/blocks/{block.id}/edit", data=data)
    assert asked.status_code == 409
    notice = asked.get_data(as_text=True)
    assert "<strong>5 of 10 entries</strong> would fall before the block" in notice
    assert "from <strong>Positive</strong> to <strong>" in notice
    # Saving again without ticking the box asks again and changes nothing.
    assert client.post(f"/blocks/{block.id}/edit", data=data).status_code == 409
    # A box ticked for another time does not hold for this one.
    key = re.search(r'name="confirm_change" value="([^"]+)"', notice).group(1)
    other = block_form(block, performed_at=later + timedelta(hours=1), confirm_change=key)
    assert client.post(f"/blocks/{block.id}/edit", data=other).status_code == 409
    db.session.expire_all()
    assert db.session.get(Block, block.id).performed_at == performed
    assert entries_before_the_block(block.id) == 0
    saved = client.post(f"/blocks/{block.id}/edit", data=data | {"confirm_change": key})
    assert saved.status_code == 302
    said = client.get(saved.location).get_data(as_text=True)
    assert "5 of 10 entries are now before the block. Verdict:" in said
    db.session.expire_all()
    assert entries_before_the_block(block.id) == 5
    change = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "block.update")).one()
    assert change.detail["effect"]["before_block"] == [0, 5]
    assert change.detail["effect"]["verdict"][0] == "positive"


def test_a_correction_that_leaves_the_diary_as_it_reads_is_saved_at_once(client, signed_in):
    world = signed_in
    add_entries(world.block, {0.25: 1, 0.5: 1, 1: 1})
    db.session.commit()
    saved = client.post(
        f"/blocks/{world.block.id}/edit", data=block_form(world.block, volume_ml_per_level="0.8")
    )
    assert saved.status_code == 302


def test_the_api_applies_a_time_move_and_says_what_it_did(client, signed_in):
    world = signed_in
    performed = (datetime.now(UTC) - timedelta(hours=12)).replace(second=0, microsecond=0)
    block = make_block(world.clinic, world.patient, world.clinician, performed_at=performed)
    add_entries(block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5})
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    moved = client.patch(
        f"/api/v1/blocks/{block.id}",
        json={"performed_at": (performed + timedelta(hours=1, minutes=30)).isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert moved.status_code == 200
    assert moved.headers["Diary-Change"].startswith("3 of 5 entries now before the block")
    assert "verdict positive -> " in moved.headers["Diary-Change"]
    volume = client.patch(
        f"/api/v1/blocks/{block.id}",
        json={"volume_ml_per_level": 0.8},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert volume.status_code == 200 and "Diary-Change" not in volume.headers


def test_a_time_left_as_the_form_shows_it_keeps_its_seconds(client, signed_in):
    """The form shows a block's time to the minute: saving another change leaves the time,
    seconds and all, and does not say the time changed (outside trial: a baseline edit
    moved a 05:23:37 block to 05:23:00 and logged a time change nobody made)."""
    world = signed_in
    world.block.performed_at = world.block.performed_at.replace(second=37, microsecond=250)
    db.session.commit()
    kept = world.block.performed_at
    saved = client.post(
        f"/blocks/{world.block.id}/edit", data=block_form(world.block, baseline_pain="3")
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Block, world.block.id).performed_at == kept
    page = client.get(f"/blocks/{world.block.id}").get_data(as_text=True)
    assert "Block updated: baseline pain." in page
