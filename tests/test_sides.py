"""Issue 24, left and right: a bilateral block scored apart has a baseline and a score
per side, each side read on its own by criteria.md, series per side (pathway.md §1,
worked examples), at every door (services, API)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from diary.extensions import db
from diary.models import Block, EntryRevision
from diary.services.analysis import (
    analyse_block,
    analyse_series,
    block_readings,
    patient_series,
    verdict_text,
)
from diary.services.entries import EntryInput, correct_entry, record_entry
from diary.services.rejections import InputRejected
from diary.services.tokens import create_api_token
from tests.conftest import API_BLOCK, make_block
from tests.test_api import Api, assert_problem

# pathway.md, worked example "bilateral apart": left baseline 8, right 6, lidocaine.
APART_ENTRIES = {0.25: (1, 5), 0.5: (0, 5), 1: (1, 6), 2: (1, 6), 3: (6, 6)}


def apart_block(world, **overrides) -> Block:
    values = dict(
        side="bilateral",
        scoring="sides",
        baseline_pain=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
        performed_at=datetime.now(UTC) - timedelta(hours=4),
    )
    return make_block(world.clinic, world.patient, world.clinician, **(values | overrides))


def add_side_entries(block: Block, scores: dict[float, tuple[int, int]]) -> None:
    for hours, (left, right) in scores.items():
        at = block.performed_at + timedelta(hours=hours)
        record_entry(
            block,
            EntryInput(
                pain_left=left, pain_right=right, recorded_at=at, client_id=f"s-{block.id}-{hours}"
            ),
            now=at,
        )


@pytest.fixture
def api(client, world):
    _, token = create_api_token(world.clinician, "tests")
    db.session.commit()
    return Api(client, token)


# --- the block and its entries (items 1, 8) ----------------------------------------------


def test_a_new_bilateral_block_is_scored_apart_by_default(world):
    block = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        side="bilateral",
        baseline_pain=None,
        baseline_pain_left=7,
        baseline_pain_right=5,
    )
    assert block.scoring == "sides" and block.scored_apart
    assert block.baseline_pain is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"baseline_pain_right": None}, "baseline_pain_right"),
        ({"baseline_pain_left": None}, "baseline_pain_left"),
        ({"baseline_pain": 7}, "baseline_pain"),
        ({"baseline_pain_left": 11}, "baseline_pain_left"),
        ({"side": "left"}, "scoring"),
    ],
)
def test_a_block_scored_apart_needs_both_baselines_and_no_other(world, overrides, field):
    with pytest.raises(InputRejected) as refused:
        apart_block(world, **overrides)
    assert refused.value.field == field


def test_each_side_is_read_on_its_own(world):
    """pathway.md: left positive (87.5–100 % from 0.25 to 2 h, 1.75 h); right negative
    (peak 16.7 %)."""
    block = apart_block(world)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    readings = block_readings(block)
    assert [(r.sides, r.scored_side) for r in readings] == [
        (("left",), "left"),
        (("right",), "right"),
    ]
    left, right = (r.analysis for r in readings)
    assert left.verdict == "positive" and left.response_duration_h == 1.75
    assert [p.relief_pct for p in left.relief][:4] == [87.5, 100.0, 87.5, 87.5]
    assert right.verdict == "negative" and right.peak_relief_pct == 16.7
    assert verdict_text(readings) == "Left: positive · Right: negative"
    # The block's one reading says each side has its own.
    assert analyse_block(block).verdict == "indeterminate"
    assert "each side has its own verdict" in analyse_block(block).reasons[0]


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"pain_left": 1}, "pain_right"),
        ({"pain_right": 1}, "pain_left"),
        ({"pain": 1}, "pain"),
        ({"pain": 1, "pain_left": 1, "pain_right": 1}, "pain"),
        ({"pain_left": -1, "pain_right": 1}, "pain_left"),
    ],
)
def test_an_entry_of_a_block_scored_apart_needs_both_scores(world, scores, field):
    block = apart_block(world)
    with pytest.raises(InputRejected) as refused:
        record_entry(block, EntryInput(**scores))
    assert refused.value.field == field


def test_an_entry_of_a_block_scored_as_one_takes_no_side_scores(world):
    with pytest.raises(InputRejected) as refused:
        record_entry(world.block, EntryInput(pain=2, pain_left=2))
    assert refused.value.field == "pain_left"


def test_a_correction_keeps_both_sides_in_its_history(world):
    block = apart_block(world)
    add_side_entries(block, {0.5: (1, 5)})
    entry = block.entries[0]
    assert correct_entry(entry, EntryInput(pain_left=2, pain_right=4), replaced_by="patient")
    db.session.commit()
    revision = db.session.query(EntryRevision).filter_by(entry_id=entry.id).one()
    assert (revision.pain, revision.pain_left, revision.pain_right) == (None, 1, 5)
    assert (entry.pain_left, entry.pain_right) == (2, 4)


# --- series per side (item 3) -------------------------------------------------------------


def test_series_are_per_side(world):
    """pathway.md, "per-side series": left 1st block positive (lidocaine 1.75 h), bilateral
    2nd block 15 days later: left positive (bupivacaine 4 h), right negative → left
    concordant with the LCD met; right single."""
    second_at = datetime.now(UTC) - timedelta(hours=6)
    # The world's own block (right, L4-L5 L5-S1) is archived out of the way.
    world.block.archived_at = datetime.now(UTC)
    first = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        side="left",
        levels=["L4-L5"],
        performed_at=second_at - timedelta(days=15),
    )
    for hours, pain in {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 6}.items():
        at = first.performed_at + timedelta(hours=hours)
        record_entry(
            first, EntryInput(pain=pain, recorded_at=at, client_id=f"f{hours}xxxxxx"), now=at
        )
    second = apart_block(
        world,
        levels=["L4-L5"],
        agent="bupivacaine",
        concentration="0.5",
        sequence="second",
        performed_at=second_at,
    )
    add_side_entries(
        second, {0.5: (1, 5), 1: (0, 5), 2: (1, 6), 3: (1, 6), 4.5: (1, 6), 5.5: (6, 6)}
    )
    db.session.commit()
    series = patient_series(world.patient)
    assert [(s.side, [b.id for b in s]) for s in series] == [
        ("left", [first.id, second.id]),
        ("right", [second.id]),
    ]
    left, right = (analyse_series(s) for s in series)
    assert left.pair_status == "concordant"
    assert left.ablation_criteria["lcd"].met
    assert right.pair_status == "single"
    assert not right.ablation_criteria["consensus_2020"].met


# --- the API (item 8) -----------------------------------------------------------------------


def test_api_creates_a_block_scored_apart_and_refuses_a_missing_side(api, world):
    body = API_BLOCK | {
        "patient_id": world.patient.id,
        "side": "bilateral",
        "scoring": "sides",
        "baseline_pain": None,
        "baseline_pain_left": 7,
    }
    refused = assert_problem(api.post("/blocks", json=body), 422)
    assert "baseline_pain_right" in refused["errors"]
    created = api.post("/blocks", json=body | {"baseline_pain_right": 4})
    assert created.status_code == 201
    answer = created.get_json()
    assert answer["scoring"] == "sides"
    assert (
        answer["baseline_pain"],
        answer["baseline_pain_left"],
        answer["baseline_pain_right"],
    ) == (
        None,
        7,
        4,
    )
    # The one baseline only, as before: scored as one.
    legacy = api.post(
        "/blocks", json=API_BLOCK | {"patient_id": world.patient.id, "side": "bilateral"}
    )
    assert legacy.get_json()["scoring"] == "one"
    unilateral = api.post(
        "/blocks", json=API_BLOCK | {"patient_id": world.patient.id, "scoring": "sides"}
    )
    assert "scoring" in assert_problem(unilateral, 422)["errors"]


def test_api_block_editing_changes_the_scoring_until_the_diary_has_scores(api, world):
    block = make_block(world.clinic, world.patient, world.clinician, side="bilateral")
    db.session.commit()
    assert block.scoring == "one"
    changed = api.patch(
        f"/blocks/{block.id}",
        json={"scoring": "sides", "baseline_pain_left": 6, "baseline_pain_right": 3},
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["baseline_pain"] is None
    add_side_entries(block, {0.5: (1, 1)})
    db.session.commit()
    refused = assert_problem(
        api.patch(f"/blocks/{block.id}", json={"scoring": "one", "baseline_pain": 5}), 422
    )
    assert "scoring" in refused["errors"]


def test_api_entries_and_analysis_per_side(api, client, world):
    block = apart_block(world)
    db.session.commit()
    url = f"/api/v1/diary/{block.diary_token}/entries"
    at = block.performed_at + timedelta(minutes=15)
    refused = assert_problem(
        client.post(url, json={"pain_left": 1, "recorded_at": at.isoformat()}), 422
    )
    assert refused["errors"] == {"pain_right": "Choose a score for the right side."}
    refused = assert_problem(client.post(url, json={"pain": 1}), 422)
    assert "pain_left and pain_right" in refused["errors"]["pain"]
    for hours, (left, right) in APART_ENTRIES.items():
        at = block.performed_at + timedelta(hours=hours)
        stored = client.post(
            url, json={"pain_left": left, "pain_right": right, "recorded_at": at.isoformat()}
        )
        assert stored.status_code == 201
    entry = stored.get_json()
    assert (entry["pain"], entry["pain_left"], entry["pain_right"]) == (None, 6, 6)
    assert (entry["relief_pct"], entry["relief_pct_left"], entry["relief_pct_right"]) == (
        None,
        25.0,
        0.0,
    )
    # Staff transcription takes the same scores.
    transcribed = api.post(
        f"/blocks/{block.id}/entries",
        json={
            "pain_left": 2,
            "pain_right": 6,
            "recorded_at": (block.performed_at + timedelta(hours=3.5)).isoformat(),
        },
    )
    assert transcribed.status_code == 201
    analysis = api.get(f"/blocks/{block.id}/analysis").get_json()
    assert analysis["sides"]["left"]["verdict"] == "positive"
    assert analysis["sides"]["right"]["verdict"] == "negative"
    assert analysis["sides"]["right"]["peak_relief_pct"] == 16.7
    assert analysis["verdict"] == "indeterminate"
    one = api.get(f"/blocks/{world.block.id}/analysis").get_json()
    assert one["sides"] is None


def test_api_series_have_a_side(api, world):
    block = make_block(world.clinic, world.patient, world.clinician, side="bilateral")
    db.session.commit()
    series = api.get(f"/patients/{world.patient.id}/series").get_json()["series"]
    sides = sorted((s["side"], [b["block_id"] for b in s["blocks"]]) for s in series)
    assert sides == [("left", [block.id]), ("right", [world.block.id, block.id])]


def test_correcting_a_side_baseline_says_how_that_sides_verdict_changes(api, client, world):
    block = apart_block(world)
    add_side_entries(block, APART_ENTRIES)
    db.session.commit()
    changed = api.patch(f"/blocks/{block.id}", json={"baseline_pain_left": 3})
    assert changed.status_code == 200
    assert changed.headers["Diary-Change"] == (
        "verdict Left: positive · Right: negative -> Left: indeterminate · Right: negative"
    )
    # The block form asks first, in the same words.
    from tests.conftest import AuthActions

    AuthActions(client).login()
    page = client.get(f"/blocks/{block.id}/edit").get_data(as_text=True)
    form = {
        name: value
        for name, value in re.findall(r'<input checked name="(\w+)"[^>]* value="(\d+)"', page)
    }
    assert form["baseline_pain_left"] == "3"


def test_the_diary_link_tells_the_phone_which_scores_to_send(client, world):
    block = apart_block(world)
    db.session.commit()
    answer = client.get(f"/api/v1/diary/{block.diary_token}").get_json()
    assert answer["scoring"] == "sides"
    assert client.get(f"/api/v1/diary/{world.block.diary_token}").get_json()["scoring"] == "one"
