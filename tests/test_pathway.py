"""The pathway against docs/pathway-rules.md (pathway.md): every worked example, then the
edges (month ends, 29 February, the bridge at the end, a missing day 1, a stale ablation
exactly at 2 years, limits on the boundary day). Pure and fast: no app, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary import pathway
from diary.pathway import (
    Ablation,
    Block,
    Checkin,
    Entry,
    NextStepCode,
    PathwaySettings,
    RegionGroup,
    Scoring,
    SeriesKey,
    Session,
    SessionKind,
    Technique,
    WorklistGroup,
    WorklistItem,
)
from diary.pathway.dates import in_rolling_year, leaves_rolling_year, rolling_year_start
from diary.relief import BlockFacts

ZONE = ZoneInfo("America/Chicago")
# 09:00 in Chicago (UTC−6 until the clocks change on 8 March 2026).
BLOCK_TIME = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LEVELS = ("L4-L5", "L5-S1")
LABELS = {"lidocaine": "lidocaine 2%", "bupivacaine": "bupivacaine 0.5%"}


def make_block(
    block_id=1,
    *,
    at=BLOCK_TIME,
    side="left",
    scoring=Scoring.ONE,
    baseline=8,
    left=None,
    right=None,
    agent="lidocaine",
    purpose="diagnostic",
    steroid=False,
    entries=(),
    region="lumbar",
    levels=LEVELS,
    checkins=(),
) -> Block:
    apart = side == "bilateral" and scoring == Scoring.SIDES
    return Block(
        block_id=block_id,
        facts=BlockFacts(
            performed_at=at,
            baseline_pain=None if apart else baseline,
            purpose=purpose,
            agent=agent,
            agent_label=LABELS[agent],
            steroid=steroid,
        ),
        region=region,
        levels=levels,
        side=side,
        scoring=scoring,
        baseline_pain_left=left,
        baseline_pain_right=right,
        entries=tuple(entries),
        checkins=tuple(checkins),
    )


def hourly(pain_by_hour: dict[float, int], start=BLOCK_TIME) -> list[Entry]:
    return [Entry(recorded_at=start + timedelta(hours=h), pain=p) for h, p in pain_by_hour.items()]


def hourly_sides(pains: dict[float, tuple[int, int]], start=BLOCK_TIME) -> list[Entry]:
    return [
        Entry(recorded_at=start + timedelta(hours=h), pain_left=left, pain_right=right)
        for h, (left, right) in pains.items()
    ]


def daily(pain_by_day: dict[int, int], start=BLOCK_TIME, days=14) -> list[Entry]:
    """Scores made at each day's slot (the block's clock time, k days later)."""
    slots = pathway.daily_slots(start, ZONE, days)
    return [Entry(recorded_at=slots[day - 1], pain=p) for day, p in pain_by_day.items()]


# The diagnostic window of the first worked example of criteria.md: positive, D = 1.75 h.
LIDOCAINE_POSITIVE = {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5, 4: 7, 6: 8}


def ablation(
    ablation_id=1,
    *,
    at=BLOCK_TIME,
    baseline=8,
    side="left",
    checkins=(),
    technique=Technique.CONVENTIONAL,
    region="lumbar",
    levels=LEVELS,
    **more,
) -> Ablation:
    return Ablation(
        ablation_id=ablation_id,
        performed_at=at,
        region=region,
        levels=levels,
        side=side,
        technique=technique,
        baseline_pain=baseline,
        checkins=tuple(checkins),
        **more,
    )


def checkins_at(pain_by_months: dict[int, int], at=BLOCK_TIME) -> list[Checkin]:
    """Check-ins made on their due dates."""
    done_on = pathway.local_date(at, ZONE)
    return [
        Checkin(made_on=pathway.add_months(done_on, m), months=m, pain=p, checkin_id=m)
        for m, p in pain_by_months.items()
    ]


def only_step(blocks=(), ablations=(), on=date(2026, 3, 3), **kw):
    steps = pathway.next_steps(list(blocks), list(ablations), on, ZONE, **kw)
    assert len(steps) == 1, steps
    return steps[0]


# --- pathway.md's worked examples -----------------------------------------------------------


def test_worked_example_bilateral_apart_reads_each_side_with_its_baseline():
    block = make_block(
        side="bilateral",
        scoring=Scoring.SIDES,
        left=8,
        right=6,
        entries=hourly_sides({0.25: (1, 5), 0.5: (0, 5), 1: (1, 6), 2: (1, 6), 3: (6, 6)}),
    )
    reading = pathway.read_block(block, ZONE)
    left, right = reading.for_side("left"), reading.for_side("right")
    assert left is not None and right is not None and left is not right
    assert left.analysis.verdict == "positive"
    assert [p.relief_pct for p in left.analysis.relief] == [87.5, 100.0, 87.5, 87.5, 25.0]
    assert (left.analysis.response_start_h, left.analysis.response_end_h) == (0.25, 2.0)
    assert left.analysis.response_duration_h == 1.75
    assert right.analysis.verdict == "negative"
    assert right.analysis.peak_relief_pct == 16.7
    assert reading.verdict_text == "Left: positive · Right: negative"
    assert (left.sides, right.sides) == (("left",), ("right",))


def test_worked_example_bilateral_as_one_counts_one_verdict_for_both_series():
    block = make_block(side="bilateral", scoring=Scoring.ONE, entries=hourly(LIDOCAINE_POSITIVE))
    reading = pathway.read_block(block, ZONE)
    assert len(reading.readings) == 1
    assert reading.for_side("left") is reading.for_side("right")
    assert reading.readings[0].sides == ("left", "right")
    assert reading.verdict_text == "positive"
    keys = pathway.series_keys(block)
    assert [k.side for k in keys] == ["left", "right"]
    for key in keys:
        series = pathway.analyse_side_series([block], key)
        assert series.block_ids == (1,)
        assert series.analysis.pair_status == "single"
        assert series.analysis.analyses[1].verdict == "positive"


def per_side_series_blocks():
    first = make_block(1, side="left", entries=hourly(LIDOCAINE_POSITIVE))
    second_at = BLOCK_TIME + timedelta(days=15)
    second = make_block(
        2,
        at=second_at,
        side="bilateral",
        scoring=Scoring.SIDES,
        left=8,
        right=6,
        agent="bupivacaine",
        entries=hourly_sides(
            {
                0.5: (1, 5),
                1: (0, 5),
                2: (0, 6),
                3: (1, 6),
                4: (1, 6),
                4.5: (1, 6),
                5: (6, 6),
                6: (7, 6),
                8: (8, 6),
            },
            start=second_at,
        ),
    )
    return first, second


def test_worked_example_per_side_series():
    first, second = per_side_series_blocks()
    left_key = SeriesKey("lumbar", "left", LEVELS)
    right_key = SeriesKey("lumbar", "right", LEVELS)
    assert pathway.series_of_patient([first, second]) == [left_key, right_key]

    left = pathway.analyse_side_series([first, second], left_key)
    assert left.block_ids == (1, 2)
    assert left.analysis.analyses[2].response_duration_h == 4.0
    assert left.analysis.pair_status == "concordant"
    assert left.analysis.ablation_criteria["lcd"].met
    right = pathway.analyse_side_series([first, second], right_key)
    assert right.block_ids == (2,)
    assert right.analysis.pair_status == "single"
    assert right.analysis.analyses[2].verdict == "negative"

    on = date(2026, 3, 18)
    steps = {s.series.side: s for s in pathway.next_steps([first, second], [], on, ZONE)}
    assert steps["left"].code == NextStepCode.RFA_ELIGIBLE_LCD
    assert steps["left"].from_date == date(2026, 3, 17)
    assert steps["left"].reason.startswith(
        "Radiofrequency ablation may be considered: the Medicare LCD criteria are met"
    )
    assert steps["left"].limit is not None
    assert (steps["left"].limit.kind, steps["left"].limit.count) == (SessionKind.RFA, 0)
    assert steps["right"].code == NextStepCode.NOT_SUPPORTED
    assert steps["right"].limit is None
    assert "no diagnostic block gave sustained ≥50% relief" in steps["right"].reason


def test_a_bilateral_block_is_one_procedure_date_for_the_limits():
    first, second = per_side_series_blocks()
    sessions = pathway.sessions_of([first, second], ZONE)
    assert [s.on for s in sessions] == [date(2026, 3, 2), date(2026, 3, 17)]


def test_worked_example_daily_tail_of_a_therapeutic_block():
    pains = {day: 2 if day % 2 else 3 for day in range(1, 10)}
    pains |= {10: 7, 11: 7, 12: 8, 13: 7, 14: 8}
    block = make_block(
        purpose="therapeutic", steroid=True, entries=hourly({0.5: 3, 1: 2, 2: 2}) + daily(pains)
    )
    reading = pathway.read_block(block, ZONE).readings[0]
    assert reading.analysis.verdict == "not_diagnostic"
    days = reading.days_of_relief
    assert days is not None
    assert (days.days, days.open, days.relief_class) == (9, False, "weeks")
    assert days.text == "9 days"
    assert days.to_dict() == {"days": 9, "open": False, "class": "weeks"}
    assert [s.relief_pct for s in days.scores][8:10] == [75.0, 12.5]


def test_worked_example_bridged_day():
    block = make_block(entries=daily({1: 2, 2: 2, 3: 2, 5: 3, 6: 6}))
    days = pathway.read_block(block, ZONE).readings[0].days_of_relief
    assert days is not None
    assert (days.days, days.open, days.bridged_days) == (5, False, (4,))
    assert days.scores[5].relief_pct == 25.0
    assert days.relief_class == "short"


def test_worked_example_open_days():
    block = make_block(entries=daily({day: 1 + day % 3 for day in range(1, 15)}))
    days = pathway.read_block(block, ZONE).readings[0].days_of_relief
    assert days is not None
    assert (days.days, days.open, days.relief_class) == (14, True, "weeks")
    assert days.text == "at least 14 days"


def test_worked_example_rfa_durable():
    rfa = ablation(baseline=7, checkins=checkins_at({1: 2, 3: 3, 6: 3}))
    follow = pathway.follow_up(rfa, date(2026, 9, 20), ZONE)
    outcome = follow.for_side("left")
    assert outcome is not None
    assert [r.relief_pct for r in outcome.reliefs] == [71.4, 57.1, 57.1]
    assert outcome.durability is not None and outcome.durability.status == "durable"
    assert outcome.durability.reason == "≥50% at every check-in to 6 months, 57.1% at 6 months"
    assert outcome.relief_lasted == pathway.ReliefLasted(6, open=True)
    assert outcome.relief_lasted.text == "at least 6 months"
    assert follow.next_checkin is not None and follow.next_checkin.months == 12


def test_worked_example_rfa_not_durable():
    rfa = ablation(checkins=checkins_at({1: 2, 3: 5}))
    outcome = pathway.follow_up(rfa, date(2026, 6, 10), ZONE).for_side("left")
    assert outcome is not None and outcome.durability is not None
    assert outcome.reliefs[1].relief_pct == 37.5
    assert outcome.durability.status == "not_durable"
    assert outcome.durability.reason == "below 50% at 3 months (37.5%)"
    assert outcome.relief_lasted == pathway.ReliefLasted(1, open=False)


def test_worked_example_rfa_undetermined_when_the_6_month_check_in_is_missed():
    rfa = ablation(checkins=checkins_at({1: 2}))
    # The 6-month check-in was due 2 September 2026; its window closed on 23 September.
    follow = pathway.follow_up(rfa, date(2026, 9, 24), ZONE)
    outcome = follow.for_side("left")
    assert outcome is not None and outcome.durability is not None
    assert outcome.durability.status == "undetermined"
    assert outcome.durability.reason == "the 6-month check-in, due 2026-09-02, was missed"
    assert [slot.months for slot in follow.overdue] == [3, 6]


def test_worked_example_repeat_rfa_after_durable_relief_and_pain_returned():
    rfa_at = datetime(2025, 2, 10, 15, 0, tzinfo=UTC)
    rfa = ablation(at=rfa_at, checkins=checkins_at({1: 2, 3: 3, 6: 3, 12: 7}, at=rfa_at))
    step = only_step(ablations=[rfa], on=date(2026, 3, 12))
    assert step.code == NextStepCode.REPEAT_RFA_ELIGIBLE
    assert step.from_date == date(2026, 2, 10)
    assert "pain has returned (12.5% at 12 months)" in step.reason
    assert step.limit is not None
    assert (step.limit.kind, step.limit.count, step.limit.reached) == (SessionKind.RFA, 0, False)


def test_worked_example_limit_reached_names_the_next_possible_date():
    sessions = [
        Session(SessionKind.DIAGNOSTIC, RegionGroup.LUMBAR, date(2026, m, d))
        for m, d in ((1, 10), (3, 1), (5, 20), (9, 1))
    ]
    check = pathway.limit_check(
        sessions, SessionKind.DIAGNOSTIC, RegionGroup.LUMBAR, date(2026, 10, 15)
    )
    assert (check.count, check.reached, check.next_possible) == (4, True, date(2027, 1, 10))
    assert check.reason == (
        "limit reached: 4 diagnostic sessions at lumbar since 2026-01-10; next possible 2027-01-10"
    )
    assert check.to_dict() == {
        "kind": "diagnostic",
        "count": 4,
        "reached": True,
        "next_possible": date(2027, 1, 10),
    }


def test_worked_example_limit_through_the_next_step():
    blocks = [
        make_block(i, at=datetime(2026, m, d, 15, tzinfo=UTC), entries=hourly({0.5: 8, 1: 8, 2: 8}))
        for i, (m, d) in enumerate(((1, 10), (3, 1), (5, 20), (9, 1)), start=1)
    ]
    therapeutic_elsewhere = make_block(
        9, region="cervical", levels=("C4-C5",), purpose="therapeutic"
    )
    steps = pathway.next_steps([*blocks, therapeutic_elsewhere], [], date(2026, 10, 15), ZONE)
    lumbar = next(s for s in steps if s.series.region == "lumbar")
    assert lumbar.code == NextStepCode.NOT_SUPPORTED and lumbar.limit is None
    cervical = next(s for s in steps if s.series.region == "cervical")
    assert cervical.code == NextStepCode.FIRST_BLOCK
    assert cervical.limit is not None and cervical.limit.count == 0


def test_worked_example_region_groups_count_cervical_and_thoracic_together():
    cervical = make_block(
        1, at=datetime(2026, 2, 1, 15, tzinfo=UTC), region="cervical", levels=("C4-C5",)
    )
    thoracic = make_block(
        2, at=datetime(2026, 3, 1, 15, tzinfo=UTC), region="thoracic", levels=("T4-T5",)
    )
    lumbar = make_block(3, at=datetime(2026, 3, 5, 15, tzinfo=UTC))
    sessions = pathway.sessions_of([cervical, thoracic, lumbar], ZONE)
    on = date(2026, 3, 10)
    group = pathway.limit_check(sessions, SessionKind.DIAGNOSTIC, RegionGroup.CERVICAL_THORACIC, on)
    assert (group.count, group.reached, group.next_possible) == (2, False, on)
    assert pathway.limit_check(sessions, SessionKind.DIAGNOSTIC, RegionGroup.LUMBAR, on).count == 1
    assert pathway.region_group("thoracic") == pathway.region_group("cervical")


def test_worked_example_stale_rfa_means_repeat_diagnostic_blocks():
    rfa_at = datetime(2024, 1, 10, 15, 0, tzinfo=UTC)
    rfa = ablation(at=rfa_at, checkins=checkins_at({1: 2, 3: 2, 6: 3, 12: 3}, at=rfa_at))
    on = date(2026, 3, 10)  # 26 months after
    assert pathway.follow_up(rfa, on, ZONE).outcomes[0].durability.status == "durable"
    step = only_step(ablations=[rfa], on=on)
    assert step.code == NextStepCode.REPEAT_DIAGNOSTIC_BLOCKS
    assert step.from_date == date(2026, 1, 11)
    assert step.reason.startswith(
        "Consider repeating the diagnostic blocks before another ablation"
    )
    assert step.limit is not None and step.limit.kind == SessionKind.DIAGNOSTIC


# --- §1 sides ---------------------------------------------------------------------------------


def test_unilateral_block_counts_for_its_side_only():
    right = make_block(side="right", entries=hourly(LIDOCAINE_POSITIVE))
    assert pathway.counted_sides(right) == ("right",)
    assert [k.side for k in pathway.series_keys(right)] == ["right"]
    assert not pathway.in_series(right, SeriesKey("lumbar", "left", LEVELS))


def test_series_are_per_region_and_set_of_levels():
    one = make_block(1, levels=("L5-S1", "L4-L5"))
    other_levels = make_block(2, levels=("L3-L4", "L4-L5"))
    bilateral = make_block(3, side="bilateral", levels=("L4-L5", "L5-S1"))
    key = SeriesKey("lumbar", "left", ("L4-L5", "L5-S1"))
    assert [b.block_id for b in pathway.series_blocks([one, other_levels, bilateral], key)] == [
        1,
        3,
    ]


def test_a_side_without_its_score_in_an_entry_reads_only_the_entries_that_have_it():
    block = make_block(
        side="bilateral",
        scoring=Scoring.SIDES,
        left=8,
        right=8,
        entries=[
            *hourly_sides({0.5: (1, 2), 1: (1, 2), 2: (1, 2)}),
            Entry(BLOCK_TIME, pain_left=8),
        ],
    )
    reading = pathway.read_block(block, ZONE)
    assert len(reading.for_side("left").analysis.relief) == 4
    assert len(reading.for_side("right").analysis.relief) == 3


def test_a_block_time_without_zone_is_refused():
    block = make_block(at=datetime(2026, 3, 2, 9, 0), entries=hourly({0.5: 1}))
    with pytest.raises(ValueError, match="zone"):
        pathway.read_block(block, ZONE)


# --- §2 the days after ----------------------------------------------------------------------


def test_daily_slots_keep_the_clock_time_across_the_clocks_changing():
    slots = pathway.daily_slots(BLOCK_TIME, ZONE, 14)
    assert len(slots) == 14
    assert slots[0] == BLOCK_TIME + timedelta(hours=24)  # day 1: 24 h later
    local = [s.astimezone(ZONE) for s in slots]
    assert {(t.hour, t.minute) for t in local} == {(9, 0)}
    assert [t.day for t in local[:7]] == [3, 4, 5, 6, 7, 8, 9]
    # Clocks go forward on 8 March: from then on, 09:00 is 14:00 UTC.
    assert slots[6] == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_a_daily_slot_the_clock_skips_lands_an_hour_later():
    at = datetime(2026, 3, 7, 2, 30, tzinfo=ZONE).astimezone(UTC)
    day1 = pathway.daily_slots(at, ZONE, 1)[0]
    assert day1.astimezone(ZONE).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 30)


def test_daily_days_zero_turns_the_daily_scores_off_and_28_is_the_most():
    assert pathway.daily_slots(BLOCK_TIME, ZONE, 0) == []
    assert pathway.diary_link_expires_at(BLOCK_TIME, ZONE, 0) is None
    block = make_block(entries=hourly({0.5: 1, 1: 1, 2: 1}))
    assert pathway.read_block(block, ZONE, daily_days=0).readings[0].days_of_relief is None
    assert len(pathway.daily_slots(BLOCK_TIME, ZONE, 28)) == 28
    with pytest.raises(ValueError):
        pathway.daily_slots(BLOCK_TIME, ZONE, 29)
    with pytest.raises(ValueError):
        PathwaySettings(daily_days=29)


def test_the_link_stays_open_24_h_after_the_last_daily_slot():
    expires = pathway.diary_link_expires_at(BLOCK_TIME, ZONE, 14)
    assert expires is not None
    # 15 days after the block on the clinic's clock (one hour less in UTC: clocks went forward).
    assert expires.astimezone(ZONE).replace(tzinfo=None) == datetime(2026, 3, 17, 9, 0)


def test_the_diary_asks_hourly_then_daily():
    due = pathway.diary_due_times(BLOCK_TIME, "lidocaine", ZONE, 14)
    hours = [(d - BLOCK_TIME).total_seconds() / 3600 for d in due]
    assert hours[:10] == [0.25, 0.5, 1, 2, 3, 4, 5, 6, 7, 8]
    assert len(due) == 10 + 14


def test_a_daily_entry_answers_the_nearest_slot():
    # 20 h after the block is nearer day 1 (24 h) than the 8 h slot; 14 h is nearer 8 h.
    block = make_block(entries=hourly({0.5: 1, 1: 1, 2: 1, 14: 1, 20: 2}))
    days = pathway.read_block(block, ZONE).readings[0].days_of_relief
    assert days is not None and days.scores[0].pain == 2
    late_hourly = make_block(entries=hourly({0.5: 1, 1: 1, 2: 1, 14: 1}))
    days = pathway.read_block(late_hourly, ZONE).readings[0].days_of_relief
    assert days is not None and days.scores[0].pain is None and days.days == 0


def test_a_days_score_is_the_last_entry_answering_its_slot():
    slot3 = pathway.daily_slots(BLOCK_TIME, ZONE, 3)[2]
    entries = daily({1: 2, 2: 2}) + [
        Entry(slot3 - timedelta(hours=2), pain=2, entry_id=10),
        Entry(slot3 + timedelta(hours=1), pain=7, entry_id=11),
    ]
    days = pathway.read_block(make_block(entries=entries), ZONE).readings[0].days_of_relief
    assert days is not None
    assert (days.scores[2].pain, days.scores[2].entry_id) == (7, 11)
    assert (days.days, days.open) == (2, False)


def test_of_two_daily_entries_at_the_same_time_the_later_sent_counts():
    slot1 = pathway.daily_slots(BLOCK_TIME, ZONE, 1)[0]
    sent = slot1 + timedelta(minutes=5)
    entries = [
        Entry(slot1, pain=7, submitted_at=sent + timedelta(minutes=1), entry_id=1),
        Entry(slot1, pain=2, submitted_at=sent, entry_id=2),
    ]
    days = pathway.read_block(make_block(entries=entries), ZONE, daily_days=1).readings[0]
    assert days.days_of_relief is not None and days.days_of_relief.scores[0].pain == 7


def test_days_of_relief_are_per_side_when_scored_apart():
    slots = pathway.daily_slots(BLOCK_TIME, ZONE, 3)
    entries = [Entry(s, pain_left=1, pain_right=5) for s in slots]
    block = make_block(side="bilateral", scoring=Scoring.SIDES, left=8, right=6, entries=entries)
    reading = pathway.read_block(block, ZONE, daily_days=3)
    assert reading.for_side("left").days_of_relief.days == 3
    assert reading.for_side("right").days_of_relief.days == 0
    assert reading.for_side("right").days_of_relief.relief_class == "no_relief"


@pytest.mark.parametrize(
    ("pains", "expected"),
    [
        # The bridge at the end: day 14 missing after 13 days of relief; nothing after it.
        ({d: 2 for d in range(1, 14)}, (13, True, ())),
        # Day 13 missing, day 14 relieved: bridged, and the last score still relieved.
        ({d: 2 for d in range(1, 13)} | {14: 2}, (14, True, (13,))),
        # A missing day 1 is bridged by day 2…
        ({2: 2, 3: 2, 4: 8}, (3, False, (1,))),
        # …but not when day 2 is below 50%.
        ({2: 6, 3: 2}, (0, False, ())),
        ({1: 6, 2: 2}, (0, False, ())),
        # Two missing days end the count; a later score closes it.
        ({1: 2, 2: 2, 5: 2}, (2, False, ())),
        # Two missing days and nothing after: the diary stopped in relief.
        ({1: 2, 2: 2}, (2, True, ())),
        # Exactly 50% counts.
        ({1: 4, 2: 4, 3: 5}, (2, False, ())),
        # One bridge after another.
        ({1: 2, 3: 2, 5: 2, 6: 7}, (5, False, (2, 4))),
        # No daily score yet.
        ({}, (0, False, ())),
    ],
)
def test_days_of_relief_edges(pains, expected):
    block = make_block(entries=daily(pains))
    days = pathway.read_block(block, ZONE).readings[0].days_of_relief
    assert days is not None
    assert (days.days, days.open, days.bridged_days) == expected


def test_days_of_relief_need_a_baseline():
    block = make_block(baseline=None, entries=daily({1: 2}))
    assert pathway.read_block(block, ZONE).readings[0].days_of_relief is None


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, "no_relief"), (1, "short"), (6, "short"), (7, "weeks"), (28, "weeks")],
)
def test_days_class(days, expected):
    assert pathway.days_class(days) == expected


relief_days = st.lists(st.one_of(st.none(), st.floats(-100, 100)), max_size=28)


@given(relief_days)
def test_count_days_counts_only_relief_and_single_gaps(reliefs):
    days, is_open, bridged = pathway.count_days(reliefs)
    assert 0 <= days <= len(reliefs)
    counted = reliefs[:days]
    assert all(r is None or r >= 50 for r in counted)
    assert [i + 1 for i, r in enumerate(counted) if r is None] == list(bridged)
    assert all(b + 1 <= days and counted[b] is not None for b in bridged)  # the next day scored
    assert is_open == (days > 0 and all(r is None for r in reliefs[days:]))
    if days < len(reliefs):  # the count stopped for a reason
        stop = reliefs[days]
        assert (stop is not None and stop < 50) or (
            stop is None and (days + 1 == len(reliefs) or not (reliefs[days + 1] or -1) >= 50)
        )


@given(relief_days, st.integers(0, 27))
def test_more_relief_never_shortens_the_count(reliefs, index):
    if index >= len(reliefs):
        return
    better = list(reliefs)
    better[index] = 100.0
    assert pathway.count_days(better)[0] >= pathway.count_days(reliefs)[0]


# --- §3 check-ins ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 1, 31), 6, date(2026, 7, 31)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), -12, date(2027, 2, 28)),
    ],
)
def test_a_month_is_the_same_day_clamped_at_the_months_end(start, months, expected):
    assert pathway.add_months(start, months) == expected


@given(st.dates(date(1950, 1, 1), date(2150, 12, 31)), st.integers(-240, 240))
def test_add_months_keeps_the_day_or_the_months_last(start, months):
    later = pathway.add_months(start, months)
    assert (later.year * 12 + later.month) - (start.year * 12 + start.month) == months
    assert later.day == start.day or (
        later.day < start.day and (later + timedelta(days=1)).day == 1
    )


def test_check_in_schedule_after_an_ablation_on_31_january_in_the_clinics_zone():
    # 21:00 on 31 January in Chicago is 1 February in UTC: the clinic's day counts.
    at = datetime(2026, 2, 1, 3, 0, tzinfo=UTC)
    schedule = pathway.schedule_for(ablation(at=at), ZONE)
    assert [(s.months, s.due_on) for s in schedule] == [
        (1, date(2026, 2, 28)),
        (3, date(2026, 4, 30)),
        (6, date(2026, 7, 31)),
        (12, date(2027, 1, 31)),
    ]
    first = schedule[0]
    assert (first.opens_on, first.closes_on) == (date(2026, 2, 21), date(2026, 3, 21))
    assert pathway.checkin_open_on(schedule, date(2026, 2, 20)) is None
    assert pathway.checkin_open_on(schedule, date(2026, 2, 21)) is first
    assert pathway.checkin_open_on(schedule, date(2026, 3, 21)) is first
    assert pathway.checkin_open_on(schedule, date(2026, 3, 22)) is None
    expires = pathway.follow_up_link_expires_at(schedule, ZONE)
    assert expires == datetime(2027, 3, 3, 0, 0, tzinfo=ZONE)  # through 2 March (30 days)


def test_a_therapeutic_block_is_followed_at_1_and_3_months_and_a_diagnostic_one_not():
    therapeutic = make_block(purpose="therapeutic")
    assert [s.months for s in pathway.schedule_for(therapeutic, ZONE)] == [1, 3]
    assert pathway.schedule_for(make_block(), ZONE) == ()
    with pytest.raises(ValueError):
        pathway.follow_up(make_block(), date(2026, 4, 1), ZONE)


def test_a_check_in_made_twice_counts_the_later_submission():
    sent = datetime(2026, 4, 2, 15, 0, tzinfo=UTC)
    rfa = ablation(
        checkins=[
            Checkin(date(2026, 4, 2), months=1, pain=7, submitted_at=sent + timedelta(hours=1)),
            Checkin(date(2026, 4, 2), months=1, pain=2, submitted_at=sent),
        ]
    )
    outcome = pathway.follow_up(rfa, date(2026, 4, 3), ZONE).outcomes[0]
    assert [(r.pain, r.relief_pct) for r in outcome.reliefs] == [(7, 12.5)]
    assert outcome.relief_lasted == pathway.ReliefLasted(0, open=False)


def test_check_ins_made_after_the_day_asked_are_not_known_yet():
    rfa = ablation(checkins=checkins_at({1: 2, 3: 6}))
    outcome = pathway.follow_up(rfa, date(2026, 5, 1), ZONE).outcomes[0]
    assert [r.months for r in outcome.reliefs] == [1]


def test_an_unscheduled_check_in_counts_by_the_day_it_was_made():
    rfa = ablation(
        checkins=[*checkins_at({1: 2}), Checkin(date(2026, 5, 15), pain=6, checkin_id=9)]
    )
    outcome = pathway.follow_up(rfa, date(2026, 5, 20), ZONE).outcomes[0]
    assert [r.dated_on for r in outcome.reliefs] == [date(2026, 4, 2), date(2026, 5, 15)]
    assert outcome.durability.status == "not_durable"
    assert outcome.durability.reason == (
        "below 50% at an unscheduled check-in on 2026-05-15 (25.0%)"
    )
    # Not the last check-in made: the 1-month relief no longer runs open.
    assert outcome.relief_lasted == pathway.ReliefLasted(1, open=False)


def test_a_scheduled_check_in_made_early_is_dated_by_its_due_date():
    rfa = ablation(checkins=[Checkin(date(2026, 8, 27), months=6, pain=3)])
    reliefs = pathway.follow_up(rfa, date(2026, 8, 28), ZONE).outcomes[0].reliefs
    assert (reliefs[0].made_on, reliefs[0].dated_on) == (date(2026, 8, 27), date(2026, 9, 2))


def test_durability_is_undetermined_before_the_6_month_check_in():
    rfa = ablation(checkins=checkins_at({1: 2, 3: 3}))
    outcome = pathway.follow_up(rfa, date(2026, 6, 10), ZONE).outcomes[0]
    assert outcome.durability.status == "undetermined"
    assert (
        outcome.durability.reason == "the 6-month check-in, due 2026-09-02, has not been made yet"
    )
    assert outcome.relief_lasted == pathway.ReliefLasted(3, open=True)


def test_relief_lasted_stops_at_a_missed_check_in():
    rfa = ablation(checkins=checkins_at({1: 2, 6: 2, 12: 2}))
    outcome = pathway.follow_up(rfa, date(2027, 3, 10), ZONE).outcomes[0]
    assert outcome.relief_lasted == pathway.ReliefLasted(1, open=False)
    # Durable needs the 6-month check-in and nothing below before it: a missed one is not below.
    assert outcome.durability.status == "durable"


def test_relief_lasted_is_not_known_before_the_first_check_in():
    rfa = ablation()
    follow = pathway.follow_up(rfa, date(2026, 3, 20), ZONE)
    assert follow.outcomes[0].relief_lasted is None
    assert follow.next_checkin.months == 1 and follow.overdue == ()
    missed = pathway.follow_up(rfa, date(2026, 4, 24), ZONE)
    assert missed.outcomes[0].relief_lasted == pathway.ReliefLasted(0, open=False)
    assert [s.months for s in missed.overdue] == [1]


def test_a_bilateral_ablation_scored_apart_is_followed_per_side():
    done_on = date(2026, 3, 2)
    rfa = ablation(
        side="bilateral",
        scoring=Scoring.SIDES,
        baseline=None,
        baseline_pain_left=8,
        baseline_pain_right=6,
        checkins=[
            Checkin(pathway.add_months(done_on, m), months=m, pain_left=2, pain_right=5)
            for m in (1, 3, 6)
        ],
    )
    follow = pathway.follow_up(rfa, date(2026, 9, 5), ZONE)
    assert follow.for_side("left").durability.status == "durable"
    assert follow.for_side("right").durability.status == "not_durable"
    assert follow.for_side("right").durability.reason == "below 50% at 1 month (16.7%)"


def test_pulsed_rf_is_followed_but_is_not_an_ablation():
    pulsed = ablation(technique=Technique.PULSED, checkins=checkins_at({1: 2}))
    follow = pathway.follow_up(pulsed, date(2026, 4, 5), ZONE)
    assert follow.outcomes[0].durability is None
    assert follow.outcomes[0].relief_lasted == pathway.ReliefLasted(1, open=True)
    assert pathway.sessions_of([pulsed], ZONE) == []
    assert pathway.next_steps([], [pulsed], date(2026, 4, 5), ZONE) == []


NOT_MADE = "the 3-month check-in, due 2026-06-02, has not been made yet"
HELD_TO_3 = "≥50% at every check-in to 3 months, 62.5% at 3 months"


@pytest.mark.parametrize(
    ("pains", "on", "status", "reason"),
    [
        ({1: 2, 3: 3}, date(2026, 6, 5), "yes", HELD_TO_3),
        ({1: 5, 3: 2}, date(2026, 6, 5), "no", "below 50% at 1 month (37.5%)"),
        ({1: 2}, date(2026, 5, 5), "undetermined", NOT_MADE),
        (
            {1: 2},
            date(2026, 6, 24),
            "undetermined",
            NOT_MADE.replace("has not been made yet", "was missed"),
        ),
    ],
)
def test_a_therapeutic_block_supports_a_repeat_injection(pains, on, status, reason):
    block = make_block(purpose="therapeutic", steroid=True, checkins=checkins_at(pains))
    outcome = pathway.follow_up(block, on, ZONE).outcomes[0]
    assert outcome.durability is None
    assert (outcome.repeat_injection.status, outcome.repeat_injection.reason) == (status, reason)


# --- §4 limits ---------------------------------------------------------------------------------


def lumbar_diagnostic(*days: date) -> list[Session]:
    return [Session(SessionKind.DIAGNOSTIC, RegionGroup.LUMBAR, d) for d in days]


def test_the_rolling_year_starts_after_the_same_day_a_year_before():
    on = date(2026, 10, 15)
    check = pathway.limit_check(
        lumbar_diagnostic(
            date(2025, 10, 15), date(2025, 10, 16), date(2026, 10, 15), date(2026, 10, 16)
        ),
        SessionKind.DIAGNOSTIC,
        RegionGroup.LUMBAR,
        on,
    )
    # 15 Oct 2025 is a year before (out); 16 Oct 2026 is after the day asked (not yet).
    assert (check.count, check.since) == (2, date(2025, 10, 16))


def test_limits_on_the_boundary_day():
    sessions = lumbar_diagnostic(
        date(2026, 1, 10), date(2026, 3, 1), date(2026, 5, 20), date(2026, 9, 1)
    )
    day_before = pathway.limit_check(
        sessions, SessionKind.DIAGNOSTIC, RegionGroup.LUMBAR, date(2027, 1, 9)
    )
    on_the_day = pathway.limit_check(
        sessions, SessionKind.DIAGNOSTIC, RegionGroup.LUMBAR, date(2027, 1, 10)
    )
    assert (day_before.count, day_before.reached, day_before.next_possible) == (
        4,
        True,
        date(2027, 1, 10),
    )
    assert (on_the_day.count, on_the_day.reached, on_the_day.next_possible) == (
        3,
        False,
        date(2027, 1, 10),
    )
    assert (
        on_the_day.reason
        == "3 diagnostic sessions at lumbar in the 12 months to 2027-01-10, of 4 allowed"
    )


def test_29_february_in_the_rolling_year():
    assert rolling_year_start(date(2028, 2, 29)) == date(2027, 2, 28)
    assert not in_rolling_year(date(2027, 2, 28), date(2028, 2, 29))
    assert in_rolling_year(date(2027, 3, 1), date(2028, 2, 29))
    # A session on 29 February leaves the rolling year on 1 March of the next year.
    assert leaves_rolling_year(date(2028, 2, 29)) == date(2029, 3, 1)
    assert in_rolling_year(date(2028, 2, 29), date(2029, 2, 28))
    sessions = [
        Session(SessionKind.RFA, RegionGroup.LUMBAR, d)
        for d in (date(2028, 2, 29), date(2028, 6, 1))
    ]
    check = pathway.limit_check(sessions, SessionKind.RFA, RegionGroup.LUMBAR, date(2028, 12, 1))
    assert (check.reached, check.next_possible) == (True, date(2029, 3, 1))


@given(
    st.lists(st.dates(date(2023, 1, 1), date(2029, 12, 31)), max_size=8),
    st.dates(date(2024, 1, 1), date(2029, 12, 31)),
    st.integers(0, 5),
)
def test_next_possible_is_the_first_day_another_session_fits(days, on, limit):
    sessions = lumbar_diagnostic(*days)
    settings = PathwaySettings(diagnostic_sessions_limit=limit)
    check = pathway.limit_check(sessions, SessionKind.DIAGNOSTIC, RegionGroup.LUMBAR, on, settings)
    known = {d for d in days if d <= on}
    assert check.count == sum(1 for d in known if in_rolling_year(d, on))
    assert check.reached == (check.count >= limit)
    if limit == 0:
        assert check.next_possible is None
        return
    assert check.next_possible is not None

    def fits(day: date) -> bool:
        return sum(1 for d in known if in_rolling_year(d, day)) < limit

    assert fits(check.next_possible)
    day = on
    while day < check.next_possible:
        assert not fits(day)
        day += timedelta(days=1)


@given(st.dates(date(1950, 1, 1), date(2150, 12, 31)))
def test_a_session_leaves_the_rolling_year_on_the_first_day_that_excludes_it(day):
    leaves = leaves_rolling_year(day)
    assert not in_rolling_year(day, leaves)
    assert in_rolling_year(day, leaves - timedelta(days=1))


def test_each_kind_has_its_limit():
    settings = PathwaySettings()
    assert [settings.sessions_limit(k) for k in SessionKind] == [4, 4, 2]
    sessions = [
        Session(SessionKind.RFA, RegionGroup.LUMBAR, d)
        for d in (date(2026, 1, 5), date(2026, 7, 5))
    ]
    check = pathway.limit_check(sessions, SessionKind.RFA, RegionGroup.LUMBAR, date(2026, 8, 1))
    assert check.reason == (
        "limit reached: 2 RFA sessions at lumbar since 2026-01-05; next possible 2027-01-05"
    )


# --- §4 the next step ------------------------------------------------------------------------


def stale_ablation(at: datetime) -> Ablation:
    return ablation(at=at, checkins=checkins_at({1: 2, 3: 2, 6: 2, 12: 2}, at=at))


def test_a_stale_ablation_exactly_at_two_years_is_not_stale_yet():
    at = datetime(2024, 3, 10, 15, 0, tzinfo=UTC)
    on_the_day = only_step(ablations=[stale_ablation(at)], on=date(2026, 3, 10))
    assert on_the_day.code == NextStepCode.FOLLOW_UP
    assert on_the_day.reason.startswith("Follow-up of the ablation of 2024-03-10 is complete")
    assert on_the_day.limit is None and on_the_day.next_checkin is None
    day_after = only_step(ablations=[stale_ablation(at)], on=date(2026, 3, 11))
    assert day_after.code == NextStepCode.REPEAT_DIAGNOSTIC_BLOCKS
    assert day_after.from_date == date(2026, 3, 11)


def test_a_stale_ablation_on_29_february_is_stale_from_1_march():
    at = datetime(2024, 2, 29, 15, 0, tzinfo=UTC)
    assert only_step(ablations=[stale_ablation(at)], on=date(2026, 2, 28)).code == "follow_up"
    step = only_step(ablations=[stale_ablation(at)], on=date(2026, 3, 1))
    assert (step.code, step.from_date) == (NextStepCode.REPEAT_DIAGNOSTIC_BLOCKS, date(2026, 3, 1))


def test_the_stale_ablation_rule_can_be_switched_off():
    at = datetime(2024, 1, 10, 15, 0, tzinfo=UTC)
    settings = PathwaySettings(stale_rfa_rule=False)
    step = only_step(ablations=[stale_ablation(at)], on=date(2026, 3, 10), settings=settings)
    assert step.code == NextStepCode.FOLLOW_UP


def test_not_durable_ablation_does_not_support_a_repeat():
    rfa = ablation(checkins=checkins_at({1: 2, 3: 5}))
    step = only_step(ablations=[rfa], on=date(2026, 6, 10))
    assert step.code == NextStepCode.REPEAT_RFA_NOT_SUPPORTED
    assert step.from_date == date(2026, 6, 2)
    assert "below 50% at 3 months (37.5%)" in step.reason
    assert step.limit is None


def test_follow_up_names_the_next_check_in():
    rfa = ablation(checkins=checkins_at({1: 2}))
    step = only_step(ablations=[rfa], on=date(2026, 4, 10))
    assert step.code == NextStepCode.FOLLOW_UP
    assert step.next_checkin is not None and step.next_checkin.months == 3
    assert step.from_date == date(2026, 6, 2)
    assert "the 3-month check-in is due 2026-06-02" in step.reason


def test_durable_relief_going_on_is_followed_up():
    rfa = ablation(checkins=checkins_at({1: 2, 3: 2, 6: 2}))
    step = only_step(ablations=[rfa], on=date(2026, 9, 10))
    assert step.code == NextStepCode.FOLLOW_UP
    assert "durability: durable" in step.reason and "relief lasted at least 6 months" in step.reason


def test_a_bilateral_ablation_scored_apart_advises_each_side_on_its_own_outcome():
    done_on = date(2026, 3, 2)
    rfa = ablation(
        side="bilateral",
        scoring=Scoring.SIDES,
        baseline=None,
        baseline_pain_left=8,
        baseline_pain_right=8,
        checkins=[
            Checkin(pathway.add_months(done_on, m), months=m, pain_left=2, pain_right=6)
            for m in (1, 3)
        ],
    )
    steps = {s.series.side: s.code for s in pathway.next_steps([], [rfa], date(2026, 6, 10), ZONE)}
    assert steps == {"left": NextStepCode.FOLLOW_UP, "right": NextStepCode.REPEAT_RFA_NOT_SUPPORTED}


def test_one_positive_block_calls_for_a_second_from_14_days_after():
    block = make_block(entries=hourly(LIDOCAINE_POSITIVE))
    step = only_step([block], on=date(2026, 3, 3))
    assert step.code == NextStepCode.SECOND_BLOCK_DUE
    assert step.from_date == date(2026, 3, 16)
    # relief's LCD check counts 14 × 24 h: the clocks went forward on 8 March, so 10:00.
    assert "from 2026-03-16 10:00, 14 days after the first" in step.reason
    assert step.reason.endswith("the 2020 consensus criterion is already met")
    assert step.limit is not None and (step.limit.kind, step.limit.count) == ("diagnostic", 1)


def test_consensus_met_without_the_lcd_says_what_the_lcd_lacks():
    first = make_block(1, entries=hourly(LIDOCAINE_POSITIVE))
    ten_days = BLOCK_TIME + timedelta(days=10)
    second = make_block(2, at=ten_days, entries=hourly(LIDOCAINE_POSITIVE, start=ten_days))
    step = only_step([first, second], on=date(2026, 3, 13))
    assert step.code == NextStepCode.RFA_ELIGIBLE_CONSENSUS
    assert step.from_date == date(2026, 3, 2)
    assert (
        "the Medicare LCD criteria are not met: the second block was 10 days after" in step.reason
    )
    assert step.limit is not None and step.limit.kind == SessionKind.RFA


def test_one_block_partial_at_80_but_positive_at_50_is_eligible_by_consensus():
    partial = make_block(entries=hourly({0.5: 3, 1: 3, 2: 4, 3: 7}))  # peak 62.5%
    assert only_step([partial]).code == NextStepCode.RFA_ELIGIBLE_CONSENSUS


def test_no_diagnostic_block_positive_at_50_is_not_supported():
    negative = make_block(entries=hourly({0.5: 6, 1: 7, 2: 8}))
    step = only_step([negative])
    assert (step.code, step.from_date, step.limit) == (
        NextStepCode.NOT_SUPPORTED,
        date(2026, 3, 2),
        None,
    )


def test_a_series_with_only_a_therapeutic_block_needs_a_first_diagnostic_block():
    step = only_step([make_block(purpose="therapeutic")], on=date(2026, 3, 5))
    assert (step.code, step.from_date) == (NextStepCode.FIRST_BLOCK, date(2026, 3, 5))
    assert step.reason.startswith("Consider a first diagnostic medial branch block")
    assert step.limit is not None and step.limit.kind == SessionKind.DIAGNOSTIC
    assert step.step == 9


def test_diagnostic_blocks_after_an_ablation_start_a_new_round():
    rfa_at = datetime(2023, 11, 1, 15, 0, tzinfo=UTC)
    old_block = make_block(
        1, at=datetime(2023, 10, 1, 15, tzinfo=UTC), entries=hourly(LIDOCAINE_POSITIVE)
    )
    new_at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    new_block = make_block(2, at=new_at, entries=hourly(LIDOCAINE_POSITIVE, start=new_at))
    step = only_step([old_block, new_block], [stale_ablation(rfa_at)], on=date(2026, 3, 5))
    # Only the new block counts: one positive block, so a second is due (the old one
    # would have made the LCD's pair).
    assert step.code == NextStepCode.SECOND_BLOCK_DUE
    assert step.notes == ("read from the diagnostic blocks since the ablation of 2023-11-01",)


def test_an_ablation_still_followed_up_comes_before_blocks_done_since():
    # pathway.md §4: step 4 (an RFA in follow-up) comes before steps 5–8, so a positive
    # diagnostic block a month after an ablation does not make another ablation advisable.
    rfa_at = datetime(2026, 2, 1, 15, 0, tzinfo=UTC)
    running = ablation(at=rfa_at, checkins=checkins_at({1: 2}, at=rfa_at))
    new_at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    new_block = make_block(2, at=new_at, entries=hourly(LIDOCAINE_POSITIVE, start=new_at))
    step = only_step([new_block], [running], on=date(2026, 3, 5))
    assert step.code == NextStepCode.FOLLOW_UP
    assert step.notes == ()


def test_a_limit_reached_is_said_in_the_advice():
    blocks = [
        make_block(i, at=datetime(2026, m, 2, 15, tzinfo=UTC), purpose="therapeutic")
        for i, m in enumerate((1, 2, 3, 4), start=1)
    ] + [
        make_block(10 + i, at=datetime(2026, m, 2, 15, tzinfo=UTC), side="right")
        for i, m in enumerate((1, 2, 3, 4), start=1)
    ]
    steps = pathway.next_steps(blocks, [], date(2026, 5, 1), ZONE)
    left = next(s for s in steps if s.series.side == "left")
    assert left.code == NextStepCode.FIRST_BLOCK
    assert left.limit.reached and left.limit.next_possible == date(2027, 1, 2)
    assert left.reason.endswith(
        "(limit reached: 4 diagnostic sessions at lumbar since 2026-01-02; "
        "next possible 2027-01-02)"
    )


def test_procedures_after_the_day_asked_are_not_known():
    later = make_block(at=datetime(2026, 4, 1, 15, tzinfo=UTC), entries=hourly(LIDOCAINE_POSITIVE))
    assert pathway.next_steps([later], [], date(2026, 3, 31), ZONE) == []


def test_next_step_as_the_api_gives_it():
    block = make_block(entries=hourly(LIDOCAINE_POSITIVE))
    value = only_step([block]).to_dict()
    assert value["region"] == "lumbar" and value["side"] == "left"
    assert value["levels"] == ["L4-L5", "L5-S1"]
    assert (value["code"], value["from_date"]) == ("second_block_due", date(2026, 3, 16))
    assert value["limit"] == {
        "kind": "diagnostic",
        "count": 1,
        "reached": False,
        "next_possible": date(2026, 3, 3),
    }


def test_action_codes_are_the_worklists():
    assert {str(c) for c in pathway.ACTION_CODES} == {
        "second_block_due",
        "rfa_eligible_lcd",
        "rfa_eligible_consensus",
        "repeat_rfa_eligible",
        "repeat_diagnostic_blocks",
    }
    assert [c.value for c in NextStepCode][0] == "repeat_diagnostic_blocks"


# --- §5 the worklist ---------------------------------------------------------------------------


def test_worklist_groups_in_order_newest_first():
    t = datetime(2026, 3, 2, 12, tzinfo=UTC)
    items = [
        WorklistItem(WorklistGroup.NEXT_STEPS, date(2026, 3, 1), "series", 1, 1),
        WorklistItem(WorklistGroup.OVERDUE_CHECKINS, date(2026, 2, 1), "checkin", 2, 1),
        WorklistItem(WorklistGroup.SIDE_EFFECTS, t, "entry", 3, 1),
        WorklistItem(WorklistGroup.UNREVIEWED_DIARIES, t, "block", 4, 2),
        WorklistItem(WorklistGroup.SIDE_EFFECTS, t + timedelta(hours=1), "entry", 5, 2),
        WorklistItem(WorklistGroup.NEXT_STEPS, date(2026, 3, 5), "series", 6, 3),
    ]
    ordered = pathway.order_worklist(items)
    assert [i.subject_id for i in ordered] == [5, 3, 4, 2, 6, 1]
    assert pathway.worklist_counts(items) == {
        WorklistGroup.SIDE_EFFECTS: 2,
        WorklistGroup.UNREVIEWED_DIARIES: 1,
        WorklistGroup.OVERDUE_CHECKINS: 1,
        WorklistGroup.NEXT_STEPS: 2,
    }


@given(
    st.lists(
        st.builds(
            WorklistItem,
            group=st.sampled_from(list(WorklistGroup)),
            at=st.datetimes(timezones=st.just(UTC)),
            subject=st.just("x"),
            subject_id=st.integers(1, 10**6),
            patient_id=st.just(1),
        ),
        max_size=12,
    )
)
def test_worklist_order_is_by_group_then_newest(items):
    ordered = pathway.order_worklist(items)
    assert sorted(ordered, key=id) == sorted(items, key=id)
    order = list(WorklistGroup)
    for a, b in zip(ordered, ordered[1:], strict=False):
        assert order.index(a.group) <= order.index(b.group)
        if a.group == b.group:
            assert a.at >= b.at


def test_worklist_counts_every_group():
    assert pathway.worklist_counts([]) == dict.fromkeys(WorklistGroup, 0)


# --- settings ---------------------------------------------------------------------------------


def test_the_settings_defaults_are_pathway_mds():
    settings = PathwaySettings()
    assert settings.bilateral_scoring == "sides"
    assert settings.daily_days == 14
    assert settings.rfa_checkin_months == (1, 3, 6, 12)
    assert settings.therapeutic_checkin_months == (1, 3)
    assert (settings.checkin_opens_days_before, settings.checkin_closes_days_after) == (7, 21)
    assert (settings.stale_rfa_rule, settings.stale_rfa_years) == (True, 2)
    assert (
        settings.diagnostic_sessions_limit,
        settings.therapeutic_sessions_limit,
        settings.rfa_sessions_limit,
    ) == (4, 4, 2)


@pytest.mark.parametrize(
    "bad",
    [
        {"daily_days": -1},
        {"rfa_checkin_months": (3, 1)},
        {"therapeutic_checkin_months": ()},
        {"rfa_sessions_limit": -1},
        {"stale_rfa_years": 0},
    ],
)
def test_settings_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        PathwaySettings(**bad)


def test_a_link_closing_at_the_start_of_a_day_was_last_open_the_day_before():
    from zoneinfo import ZoneInfo

    from diary.pathway.dates import last_open_day, start_of_day

    for name in ("America/Los_Angeles", "UTC", "Asia/Tokyo"):
        zone = ZoneInfo(name)
        closes = start_of_day(date(2027, 12, 21), zone)
        assert last_open_day(closes, zone) == date(2027, 12, 20)
    # Closing in the middle of a day (a link reopened for 48 h): open on that day.
    la = ZoneInfo("America/Los_Angeles")
    assert last_open_day(datetime(2027, 3, 1, 5, 0, tzinfo=UTC), la) == date(2027, 2, 28)
    assert last_open_day(datetime(2027, 3, 1, 9, 0, tzinfo=UTC), la) == date(2027, 3, 1)
