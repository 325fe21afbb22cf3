"""The worklist (pathway.md §5) through its doors: the page, its counts in the navigation,
the one-click marks (audited, CSRF-protected forms), the API, clinic scoping and paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from diary.extensions import db
from diary.models import AuditEvent, Block, DiaryEntry
from diary.services import worklist as worklist_service
from diary.services.entries import EntryInput, record_entry
from diary.services.tokens import create_api_token
from tests.conftest import PASSWORD, add_entries, make_block
from tests.test_api import Api, assert_problem


def side_effect(block, hours=0.5, effects=("numbness",)) -> DiaryEntry:
    at = block.performed_at + timedelta(hours=hours)
    entry, _ = record_entry(
        block,
        EntryInput(
            pain=3, recorded_at=at, client_id=f"se-{block.id}-{hours}", side_effects=effects
        ),
        now=at,
    )
    db.session.commit()
    return entry


def finished_block(world, days_ago=5, patient=None) -> Block:
    """A block whose diary link has expired (the clinic's 48 h): its diary is finished."""
    block = make_block(
        world.clinic,
        patient or world.patient,
        world.clinician,
        performed_at=datetime.now(UTC) - timedelta(days=days_ago),
        purpose="therapeutic",
    )
    db.session.commit()
    return block


@pytest.fixture
def api(client, world):
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    return Api(client, token)


def rows(api_answer) -> list[tuple[str, int]]:
    return [(item["group"], item["subject_id"]) for item in api_answer.get_json()["items"]]


def test_groups_come_in_the_order_of_pathway_md(api, world):
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})  # a positive first block
    older, newer = finished_block(world, days_ago=9), finished_block(world, days_ago=5)
    first = side_effect(older)
    second = side_effect(newer)
    answer = api.get("/worklist")
    assert answer.status_code == 200
    assert rows(answer) == [
        ("side_effects", second.id),  # newest first within each group
        ("side_effects", first.id),
        ("unreviewed_diaries", newer.id),
        ("unreviewed_diaries", older.id),
        ("next_steps", world.patient.id),
    ]
    body = answer.get_json()
    assert body["counts"] == {
        "side_effects": 2,
        "unreviewed_diaries": 2,
        "overdue_checkins": 0,
        "next_steps": None,
    }
    step = body["items"][-1]["next_step"]
    assert step["code"] == "second_block_due" and step["limit"]["kind"] == "diagnostic"
    assert body["items"][0]["block_id"] == newer.id


def test_a_running_diary_and_a_negative_series_wait_for_nobody(api, world):
    add_entries(world.block, {0.25: 7, 1: 8, 2: 8})  # a running, negative diary
    assert rows(api.get("/worklist")) == []


def test_acknowledging_a_side_effect_is_one_audited_click(client, signed_in):
    entry = side_effect(signed_in.block)
    page = client.get("/worklist").get_data(as_text=True)
    assert "Side effects not yet acknowledged" in page and "numbness" in page
    assert 'title="Side effects not yet acknowledged"' in page  # the count in the navigation
    done = client.post(f"/entries/{entry.id}/acknowledge", data={"page": "1"})
    assert done.status_code == 302 and done.location.endswith("/worklist")
    db.session.refresh(entry)
    assert entry.side_effects_acknowledged_at is not None
    assert entry.side_effects_acknowledged_by_id == signed_in.clinician.id
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "entry.side_effects_acknowledged")
    ).scalar_one()
    assert (event.target_type, event.target_id) == ("diaryentry", entry.id)
    again = client.post(f"/entries/{entry.id}/acknowledge", follow_redirects=True)
    assert "Nothing to acknowledge" in again.get_data(as_text=True)
    assert "nav-count-side_effects" not in again.get_data(as_text=True)


def test_a_mark_with_a_page_that_is_no_number_goes_back_to_the_first_page(client, signed_in):
    entry = side_effect(signed_in.block)
    for page in ("²", "0", "abc", "99999999999"):  # "²" is a digit to Python, not to int()
        done = client.post(f"/entries/{entry.id}/acknowledge", data={"page": page})
        assert done.status_code == 302 and done.location.endswith("/worklist")


def test_marking_a_finished_diary_reviewed_is_one_audited_click(client, signed_in):
    block = finished_block(signed_in)
    assert "nav-count-unreviewed_diaries" in client.get("/").get_data(as_text=True)
    assert client.post(f"/blocks/{block.id}/review", data={"page": "2"}).location.endswith(
        "/worklist?page=2"
    )
    db.session.refresh(block)
    assert block.reviewed_at is not None and block.reviewed_by_id == signed_in.clinician.id
    assert (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "block.reviewed"))
        .scalar_one()
        .target_id
        == block.id
    )
    assert "nav-count-unreviewed_diaries" not in client.get("/").get_data(as_text=True)


def test_a_diary_still_open_is_not_marked_reviewed(client, signed_in, api):
    page = client.post(f"/blocks/{signed_in.block.id}/review", follow_redirects=True)
    assert "still open" in page.get_data(as_text=True)
    assert_problem(api.post(f"/blocks/{signed_in.block.id}/review"), 409)
    db.session.refresh(signed_in.block)
    assert signed_in.block.reviewed_at is None


def test_the_marks_need_the_csrf_token(app, client, signed_in):
    entry = side_effect(signed_in.block)
    block = finished_block(signed_in)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/entries/{entry.id}/acknowledge").status_code == 400
        assert client.post(f"/blocks/{block.id}/review").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.refresh(entry)
    db.session.refresh(block)
    assert entry.side_effects_acknowledged_at is None and block.reviewed_at is None


def test_the_api_marks_once_and_says_when_nothing_changed(api, world):
    entry = side_effect(world.block)
    block = finished_block(world)
    first = api.post(f"/entries/{entry.id}/acknowledge").get_json()
    assert first["changed"] is True and first["at"]
    assert api.post(f"/entries/{entry.id}/acknowledge").get_json()["changed"] is False
    assert api.post(f"/blocks/{block.id}/review").get_json()["changed"] is True
    assert api.post(f"/blocks/{block.id}/review").get_json()["changed"] is False
    assert rows(api.get("/worklist")) == []


def test_another_clinic_sees_and_marks_none_of_it(client, world, api):
    entry = side_effect(world.block)
    block = finished_block(world)
    _, token = create_api_token(world.other_clinician, "other")
    db.session.commit()
    other = Api(client, token)
    assert rows(other.get("/worklist")) == []
    assert other.get("/worklist").get_json()["counts"]["side_effects"] == 0
    assert_problem(other.post(f"/entries/{entry.id}/acknowledge"), 404)
    assert_problem(other.post(f"/blocks/{block.id}/review"), 404)
    client.post("/logout")
    client.post(
        "/login", data={"email": "doc@b.example", "password": "correct horse battery staple"}
    )
    assert client.post(f"/entries/{entry.id}/acknowledge").status_code == 404
    assert client.post(f"/blocks/{block.id}/review").status_code == 404
    assert "nav-count" not in client.get("/worklist").get_data(as_text=True)


def test_pages_follow_one_another_across_the_groups(api, world, monkeypatch):
    monkeypatch.setattr(worklist_service, "PAGE_SIZE", 2)
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})
    blocks = [finished_block(world, days_ago=d) for d in (5, 6, 7)]
    first, second = api.get("/worklist?page=1").get_json(), api.get("/worklist?page=2").get_json()
    assert [i["subject_id"] for i in first["items"]] == [blocks[0].id, blocks[1].id]
    assert first["has_next"] is True and first["per_page"] == 2
    assert [(i["group"], i["subject_id"]) for i in second["items"]] == [
        ("unreviewed_diaries", blocks[2].id),
        ("next_steps", world.patient.id),
    ]
    assert second["has_next"] is False
    assert api.get("/worklist?page=3").get_json()["items"] == []


def test_a_page_that_is_no_number_is_refused(api, client, signed_in):
    assert_problem(api.get("/worklist?page=0"), 400)
    assert client.get("/worklist?page=x").status_code == 400


def test_the_worklist_page_lists_each_group_with_its_links(client, signed_in):
    add_entries(signed_in.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})
    block = finished_block(signed_in)
    page = client.get("/worklist").get_data(as_text=True)
    assert "Finished diaries not yet reviewed" in page and f"/blocks/{block.id}/review" in page
    assert "Next steps that call for action" in page
    assert "Consider a second diagnostic block" in page
    assert f'href="/patients/{signed_in.patient.id}"' in page
    viewed = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "worklist.view")
    ).scalar_one()
    assert signed_in.patient.id in viewed.detail["patient_ids"]


def test_archived_blocks_leave_the_worklist(api, world):
    block = finished_block(world)
    block.archived_at = datetime.now(UTC)
    db.session.commit()
    assert rows(api.get("/worklist")) == []


# --- with the follow-up records: ablations and check-ins ---------------------------------


def ablation_ago(world, days: int, **values):
    from diary.services.followup import AblationInput, create_ablation

    ablation = create_ablation(
        world.clinic,
        world.patient,
        AblationInput(
            performed_at=datetime.now(UTC) - timedelta(days=days),
            region="lumbar",
            levels=["L4-L5", "L5-S1"],
            side="right",
            technique="conventional",
            baseline_pain=8,
            **values,
        ),
        by=world.clinician,
    )
    db.session.commit()
    return ablation


def transcribe(world, record, months: int, pain: int):
    from diary.services.followup import CheckinInput, followed, record_checkin

    due = followed(record).schedule()
    slot = next(s for s in due if s.months == months)
    record_checkin(
        followed(record),
        CheckinInput(pain=pain, made_on=slot.due_on, months=months, client_id=f"t-{months}"),
        transcribed_by=world.clinician,
    )
    db.session.commit()


def test_a_missed_check_in_of_a_therapeutic_block_is_overdue_until_made(api, client, world):
    block = finished_block(world, days_ago=60)  # the 1-month window closed ~9 days ago
    block.reviewed_at = datetime.now(UTC)
    db.session.commit()
    body = api.get("/worklist").get_json()
    assert body["counts"]["overdue_checkins"] == 1
    (item,) = body["items"]
    assert (item["group"], item["subject"], item["subject_id"]) == (
        "overdue_checkins",
        "block",
        block.id,
    )
    assert item["text"].startswith("1-month check-in due ")
    client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
    page = client.get("/worklist").get_data(as_text=True)
    assert "Check-ins overdue" in page and f'href="/blocks/{block.id}"' in page
    assert "nav-count-overdue_checkins" in page
    transcribe(world, block, 1, 3)
    assert api.get("/worklist").get_json()["counts"]["overdue_checkins"] == 0


def test_an_ablation_two_years_old_asks_for_new_blocks_on_the_worklist(api, world):
    world.block.archived_at = datetime.now(UTC)  # no diagnostic block: the ablation decides
    ablation = ablation_ago(world, days=800)
    steps = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    assert [s["code"] for s in steps] == ["repeat_diagnostic_blocks"]
    assert steps[0]["limit"]["kind"] == "diagnostic"
    items = api.get("/worklist").get_json()["items"]
    assert [(i["group"], i["subject_id"]) for i in items if i["group"] == "next_steps"] == [
        ("next_steps", world.patient.id)
    ]
    assert ablation.id


def test_an_ablation_followed_up_is_advice_to_follow_and_not_on_the_worklist(api, world):
    world.block.archived_at = datetime.now(UTC)
    ablation = ablation_ago(world, days=100)  # 1 and 3 months due; 6 months ahead
    transcribe(world, ablation, 1, 2)
    transcribe(world, ablation, 3, 3)
    (step,) = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    assert step["code"] == "follow_up" and "6-month check-in is due" in step["reason"]
    assert step["limit"] is None
    assert [i for i in api.get("/worklist").get_json()["items"] if i["group"] == "next_steps"] == []


def test_relief_below_half_at_3_months_does_not_support_a_repeat_ablation(api, world):
    world.block.archived_at = datetime.now(UTC)
    ablation = ablation_ago(world, days=100)
    transcribe(world, ablation, 1, 2)
    transcribe(world, ablation, 3, 5)  # 37.5%
    (step,) = api.get(f"/patients/{world.patient.id}/next-steps").get_json()["series"]
    assert step["code"] == "repeat_rfa_not_supported"
    assert "below 50% at 3 months (37.5%)" in step["reason"]


def test_a_patient_with_an_ablation_and_new_blocks_is_listed_once_per_series(api, world):
    ablation_ago(world, days=800)
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})  # a new round of blocks
    db.session.commit()
    steps = [i["next_step"] for i in api.get("/worklist").get_json()["items"] if i["next_step"]]
    assert [(s["side"], s["code"]) for s in steps] == [("right", "second_block_due")]
    assert "since the ablation of" in steps[0]["notes"][0]


def test_a_mark_made_through_the_api_clears_the_navigations_count(client, signed_in, api):
    entry = side_effect(signed_in.block)
    assert "nav-count-side_effects" in client.get("/").get_data(as_text=True)
    assert api.post(f"/entries/{entry.id}/acknowledge").get_json()["changed"] is True
    assert "nav-count-side_effects" not in client.get("/").get_data(as_text=True)
