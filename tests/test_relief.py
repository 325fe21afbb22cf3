"""The analysis against docs/verdict-rules.md: worked examples, each verdict and warning,
boundaries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary import relief
from diary.agents import AgentWindow
from diary.relief import AnalysisSettings, BlockFacts, DiaryPoint, SeriesBlock, analyse

BLOCK_TIME = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LABELS = {
    "lidocaine": "lidocaine 2%",
    "bupivacaine": "bupivacaine 0.5%",
    "ropivacaine": "ropivacaine 0.5%",
    "other": "mepivacaine",
}


def facts(baseline=8, agent="lidocaine", purpose="diagnostic", performed_at=BLOCK_TIME, **more):
    return BlockFacts(
        performed_at=performed_at,
        baseline_pain=baseline,
        purpose=purpose,
        agent=agent,
        agent_label=LABELS[agent],
        **more,
    )


def points(pain_by_hour: dict[float, int], start=BLOCK_TIME, **more) -> list[DiaryPoint]:
    return [
        DiaryPoint(recorded_at=start + timedelta(hours=h), pain=p, **more)
        for h, p in pain_by_hour.items()
    ]


def verdict_of(pain_by_hour, **fact_args):
    return analyse(facts(**fact_args), points(pain_by_hour))


# --- docs/verdict-rules.md's worked examples (baseline 8, lidocaine 2%, diagnostic) -----------


def test_worked_example_positive_with_closed_run():
    result = verdict_of({0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5, 4: 7, 6: 8})
    assert result.verdict == "positive"
    assert [p.relief_pct for p in result.relief] == [87.5, 100.0, 87.5, 87.5, 37.5, 12.5, 0.0]
    assert result.response_duration_h == 1.75
    assert (result.response_start_h, result.response_end_h) == (0.25, 2.0)
    assert result.response_open is False
    assert result.duration_class == "consistent"
    assert result.onset_h == 0.25
    assert result.peak_relief_pct == 100.0 and result.peak_at_h == 0.5
    assert result.expected_window_h == (0.5, 3.0)
    assert "consistent with lidocaine 2% (expected 0.5–3 h)" in result.reasons[1]
    assert result.warnings == []


def test_worked_example_single_qualifying_entry_is_partial():
    result = verdict_of({0.5: 1, 1: 6, 2: 8, 3: 8})
    assert result.verdict == "partial"
    assert result.response_duration_h == 0
    assert result.duration_class == "shorter"
    assert "lasted only 0.0 h" in result.reasons[1]


def test_worked_example_peak_below_threshold_is_partial():
    result = verdict_of({0.5: 3, 1: 3, 2: 4, 3: 7})
    assert result.verdict == "partial"
    assert result.peak_relief_pct == 62.5
    assert result.duration_class is None
    assert "below the 80% threshold" in result.reasons[1]


def test_worked_example_negative():
    result = verdict_of({0.5: 6, 1: 7, 2: 8})
    assert result.verdict == "negative"
    assert result.peak_relief_pct == 25.0


def test_worked_example_open_run_is_positive_lower_bound():
    result = verdict_of({0.5: 1, 1: 0, 2: 0})
    assert result.verdict == "positive"
    assert result.response_open is True
    assert result.response_duration_h == 1.5
    assert result.duration_class == "consistent"
    assert "at least 1.5 h" in result.reasons[1]


def test_worked_example_no_entry_in_first_hour_is_indeterminate():
    result = verdict_of({2: 0, 3: 0, 4: 1})
    assert result.verdict == "indeterminate"
    assert any("first 1.0 h" in reason for reason in result.reasons)


def test_worked_example_low_baseline_is_indeterminate():
    result = verdict_of({0.25: 0, 0.5: 0, 1: 0, 2: 0}, baseline=3)
    assert result.verdict == "indeterminate"
    assert "baseline pain 3/10 is below 4/10" in result.reasons[0]


def test_worked_example_prolonged_relief_is_positive_with_warning():
    result = verdict_of({0.5: 0, 1: 0, 2: 0, 4: 0, 8: 0, 24: 0})
    assert result.verdict == "positive"
    assert result.response_duration_h == 23.5
    assert result.duration_class == "longer"
    assert any("longer than the 3.0 h expected" in w for w in result.warnings)


# --- boundaries -----------------------------------------------------------------------


def test_exactly_the_threshold_qualifies():
    # baseline 10, pain 2: exactly 80.0% relief
    result = verdict_of({0.25: 2, 0.5: 2, 1: 2, 2: 5}, baseline=10)
    assert [p.relief_pct for p in result.relief][:3] == [80.0, 80.0, 80.0]
    assert result.verdict == "positive"
    assert result.response_duration_h == 0.75


def test_just_below_the_threshold_does_not_qualify():
    # baseline 9, pain 2: 77.8%
    result = verdict_of({0.25: 2, 0.5: 2, 1: 2, 2: 5}, baseline=9)
    assert result.relief[0].relief_pct == 77.8
    assert result.verdict == "partial"


def test_minimum_duration_is_inclusive():
    result = verdict_of({0.5: 0, 1: 0, 1.5: 6})
    assert result.response_duration_h == 0.5
    assert result.verdict == "positive"


def test_baseline_zero_gives_no_relief_and_indeterminate():
    result = verdict_of({0.25: 0, 0.5: 0, 1: 0}, baseline=0)
    assert result.verdict == "indeterminate"
    assert all(p.relief_pct is None for p in result.relief)
    assert result.peak_relief_pct is None


def test_missing_baseline_is_indeterminate():
    result = verdict_of({0.25: 0, 0.5: 0, 1: 0}, baseline=None)
    assert result.verdict == "indeterminate"
    assert "no baseline pain" in result.reasons[0]


def test_single_entry_is_indeterminate_for_too_few_entries():
    result = verdict_of({0.5: 0})
    assert result.verdict == "indeterminate"
    assert any("only 1 entry" in r for r in result.reasons)


def test_no_entries_at_all():
    result = verdict_of({})
    assert result.verdict == "indeterminate"
    assert result.relief == [] and result.peak_relief_pct is None


def test_entries_before_the_block_are_flagged_and_ignored():
    result = verdict_of({-0.5: 0, 0.25: 6, 0.5: 6, 1: 7})
    assert result.relief[0].before_block is True
    assert result.relief[0].hours == -0.5
    assert result.verdict == "negative"
    assert result.peak_relief_pct == 25.0


def test_unsorted_entries_are_read_in_time_order():
    shuffled = {2: 1, 0.25: 1, 3: 5, 0.5: 0, 1: 1}
    result = verdict_of(shuffled)
    assert [p.hours for p in result.relief] == [0.25, 0.5, 1, 2, 3]
    assert result.response_duration_h == 1.75


def test_same_time_entries_later_submitted_wins():
    at = BLOCK_TIME + timedelta(hours=0.5)
    entries = points({0.25: 1, 1: 1, 2: 1, 3: 6}) + [
        DiaryPoint(recorded_at=at, pain=1, submitted_at=at, entry_id=10),
        DiaryPoint(recorded_at=at, pain=7, submitted_at=at + timedelta(minutes=5), entry_id=11),
    ]
    result = analyse(facts(), entries)
    at_half = [p for p in result.relief if p.hours == 0.5]
    assert len(at_half) == 1 and at_half[0].pain == 7 and at_half[0].entry_id == 11
    # the dip at 0.5 h breaks the run: 0.25 alone, then 1.0–2.0
    assert result.response_start_h == 0.25 and result.response_duration_h == 0


def test_relief_that_returns_after_a_dip_starts_a_late_run():
    result = verdict_of({0.25: 1, 0.5: 1, 1: 6, 2: 1, 3: 1, 4: 7})
    assert result.response_duration_h == 0.25
    assert result.verdict == "partial"
    assert any(w.startswith("late relief: ≥80% from 2.0 h") for w in result.warnings)


def test_relief_only_after_onset_limit_is_partial_late():
    result = verdict_of({0.5: 6, 1: 5, 1.5: 1, 2: 1, 3: 6})
    assert result.verdict == "partial"
    assert result.onset_h == 1.5
    assert result.response_start_h is None
    assert "after the 1.0 h onset limit" in result.reasons[1]


def test_open_run_shorter_than_minimum_is_undetermined_and_indeterminate():
    result = verdict_of({0.25: 6, 0.5: 6, 1: 1})
    assert result.duration_class == "undetermined"
    assert result.verdict == "indeterminate"
    assert any("cannot be judged" in r for r in result.reasons)


def test_negative_relief_is_kept():
    result = verdict_of({0.25: 10, 0.5: 9, 1: 8}, baseline=5)
    assert [p.relief_pct for p in result.relief] == [-100.0, -80.0, -60.0]
    assert result.verdict == "negative"


def test_peak_ignores_relief_long_after_the_window():
    # lidocaine max 3 h + 2 h: relief at 6 h is not the block's
    result = verdict_of({0.25: 6, 0.5: 6, 1: 6, 6: 0})
    assert result.peak_relief_pct == 25.0
    assert result.verdict == "negative"


def test_therapeutic_block_is_not_diagnostic_but_still_reported():
    result = verdict_of({0.25: 1, 0.5: 0, 1: 1, 2: 1}, purpose="therapeutic")
    assert result.verdict == "not_diagnostic"
    assert result.peak_relief_pct == 100.0
    assert result.response_duration_h == 1.75


def test_threshold_is_a_setting():
    entries = {0.25: 3, 0.5: 3, 1: 3, 2: 6}  # 62.5% relief
    assert analyse(facts(), points(entries)).verdict == "partial"
    at_50 = analyse(facts(), points(entries), AnalysisSettings(threshold_pct=50))
    assert at_50.verdict == "positive" and at_50.threshold_pct == 50


def test_agent_window_is_a_setting():
    windows = dict(AnalysisSettings().agent_windows, lidocaine=AgentWindow(2.0, 4.0))
    result = analyse(
        facts(),
        points({0.25: 0, 0.5: 0, 1: 0, 1.5: 0, 3: 7}),
        AnalysisSettings(agent_windows=windows),
    )
    assert result.expected_window_h == (2.0, 4.0)
    assert result.verdict == "partial" and result.duration_class == "shorter"


def test_durations_at_50_and_80_are_both_reported():
    result = verdict_of({0.25: 1, 0.5: 1, 1: 3, 2: 3, 3: 6})
    at_50, at_80 = result.sustained_at(50), result.sustained_at(80)
    assert at_50.duration_h == 1.75
    assert at_80.duration_h == 0.25


@pytest.mark.parametrize(
    "agent, minimum, maximum",
    [("lidocaine", 0.5, 3), ("bupivacaine", 1, 8), ("ropivacaine", 1, 6), ("other", 0.5, 8)],
)
def test_agent_table_matches_criteria(agent, minimum, maximum):
    assert verdict_of({0.5: 1}, agent=agent).expected_window_h == (minimum, maximum)


def test_bupivacaine_needs_an_hour():
    result = verdict_of({0.25: 1, 0.5: 1, 1: 1, 1.5: 7, 2: 7}, agent="bupivacaine")
    assert result.response_duration_h == 0.75
    assert result.verdict == "partial" and result.duration_class == "shorter"


# --- warnings -------------------------------------------------------------------------

POSITIVE_DIARY = {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5}


def test_steroid_warning_keeps_verdict():
    result = verdict_of(POSITIVE_DIARY, steroid=True)
    assert result.verdict == "positive"
    assert any("steroid" in w for w in result.warnings)


def test_moderate_sedation_warning_only_for_moderate():
    assert any("sedation" in w for w in verdict_of(POSITIVE_DIARY, sedation="moderate").warnings)
    assert verdict_of(POSITIVE_DIARY, sedation="minimal").warnings == []


def test_gap_inside_window_warning():
    result = verdict_of({0.25: 1, 0.5: 1, 1: 1, 3.5: 7})
    assert result.coverage.longest_gap_h == 2.5
    assert any("gap of 2.5 h" in w for w in result.warnings)


def test_gap_after_the_window_is_not_warned():
    result = verdict_of({0.25: 1, 0.5: 1, 1: 1, 2: 1, 3: 6, 8: 8})
    assert not any("gap" in w for w in result.warnings)


def test_reported_relief_disagreeing_with_scores_is_warned():
    entries = points({0.25: 1, 0.5: 0, 1: 1}) + [
        DiaryPoint(recorded_at=BLOCK_TIME + timedelta(hours=2), pain=1, reported_relief_pct=40)
    ]
    result = analyse(facts(), entries)
    assert result.verdict == "positive"
    assert any("reported 40% relief" in w and "87.5%" in w for w in result.warnings)


def test_reported_relief_within_30_points_is_not_warned():
    entries = [
        DiaryPoint(recorded_at=BLOCK_TIME + timedelta(hours=h), pain=1, reported_relief_pct=60)
        for h in (0.25, 0.5, 1)
    ]
    assert analyse(facts(), entries).warnings == []


def test_to_dict_has_the_api_field_names():
    value = verdict_of(POSITIVE_DIARY).to_dict()
    for name in (
        "verdict",
        "threshold_pct",
        "peak_relief_pct",
        "onset_h",
        "response_duration_h",
        "response_open",
        "duration_class",
        "expected_window_h",
        "relief",
        "reasons",
        "warnings",
    ):
        assert name in value
    assert set(value["relief"][0]) >= {"hours", "pain", "relief_pct"}
    assert value["expected_window_h"] == [0.5, 3.0]


# --- property-based -------------------------------------------------------------------

entry_lists = st.lists(
    st.tuples(
        st.integers(-120, 48 * 60), st.integers(0, 10), st.one_of(st.none(), st.integers(0, 100))
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    entries=entry_lists,
    baseline=st.one_of(st.none(), st.integers(0, 10)),
    agent=st.sampled_from(sorted(LABELS)),
    purpose=st.sampled_from(["diagnostic", "therapeutic"]),
    threshold=st.sampled_from([50.0, 80.0]),
)
def test_analysis_never_crashes_and_stays_in_range(entries, baseline, agent, purpose, threshold):
    diary = [
        DiaryPoint(recorded_at=BLOCK_TIME + timedelta(minutes=m), pain=p, reported_relief_pct=r)
        for m, p, r in entries
    ]
    result = analyse(
        facts(baseline=baseline, agent=agent, purpose=purpose),
        diary,
        AnalysisSettings(threshold_pct=threshold),
    )
    assert result.verdict in relief.VERDICTS
    for point in result.relief:
        if point.relief_pct is not None:
            assert -900.0 <= point.relief_pct <= 100.0
    if result.peak_relief_pct is not None:
        assert result.peak_relief_pct <= 100.0
    assert result.response_duration_h >= 0
    if result.verdict == "positive":
        assert result.response_start_h <= 1.0
        assert result.duration_class in ("consistent", "longer")
    assert result.reasons


# --- a series ---------------------------------------------------------------------------

POSITIVE_LIDO = {0.25: 1, 0.5: 0, 1: 1, 2: 1, 3: 5}  # D 1.75 h
POSITIVE_BUPI = {0.25: 1, 0.5: 0, 1: 1, 2: 1, 4: 1, 5: 6}  # D 3.75 h


def series_block(block_id, days, agent, diary, purpose="diagnostic", baseline=8):
    start = BLOCK_TIME + timedelta(days=days)
    return SeriesBlock(
        block_id,
        facts(baseline=baseline, agent=agent, purpose=purpose, performed_at=start),
        points(diary, start=start),
    )


def test_series_concordant_pair_meets_both_rules():
    result = relief.analyse_series(
        [
            series_block(1, 0, "bupivacaine", POSITIVE_BUPI),
            series_block(2, 21, "lidocaine", POSITIVE_LIDO),
        ]
    )
    assert result.pair_status == "concordant"
    assert result.ablation_criteria["lcd"].met is True
    assert result.ablation_criteria["consensus_2020"].met is True
    assert result.compared_block_ids == [1, 2]


def test_series_discordant_when_short_agent_lasts_longer():
    result = relief.analyse_series(
        [
            series_block(1, 0, "lidocaine", POSITIVE_BUPI),
            series_block(2, 21, "bupivacaine", POSITIVE_LIDO),
        ]
    )
    assert result.pair_status == "discordant"
    assert "not a negative result" in result.pair_reason


def test_series_equal_durations_are_discordant():
    result = relief.analyse_series(
        [
            series_block(1, 0, "lidocaine", POSITIVE_LIDO),
            series_block(2, 21, "bupivacaine", POSITIVE_LIDO),
        ]
    )
    assert result.pair_status == "discordant"


def test_series_same_agent_is_confirmed():
    result = relief.analyse_series(
        [
            series_block(1, 0, "lidocaine", POSITIVE_LIDO),
            series_block(2, 21, "lidocaine", POSITIVE_LIDO),
        ]
    )
    assert result.pair_status == "confirmed"
    assert result.ablation_criteria["lcd"].met is True


def test_series_single_block():
    result = relief.analyse_series([series_block(1, 0, "lidocaine", POSITIVE_LIDO)])
    assert result.pair_status == "single"
    assert result.ablation_criteria["lcd"].met is False
    assert "two diagnostic blocks are needed" in result.ablation_criteria["lcd"].reason
    assert result.ablation_criteria["consensus_2020"].met is True


def test_series_not_confirmed_when_one_is_negative():
    result = relief.analyse_series(
        [
            series_block(1, 0, "lidocaine", POSITIVE_LIDO),
            series_block(2, 21, "bupivacaine", {0.5: 6, 1: 7, 2: 8}),
        ]
    )
    assert result.pair_status == "not_confirmed"
    assert "second block is negative" in result.ablation_criteria["lcd"].reason


def test_series_lcd_requires_fourteen_days():
    result = relief.analyse_series(
        [
            series_block(1, 0, "bupivacaine", POSITIVE_BUPI),
            series_block(2, 10, "lidocaine", POSITIVE_LIDO),
        ]
    )
    assert result.pair_status == "concordant"
    lcd = result.ablation_criteria["lcd"]
    assert lcd.met is False and "10 days after the first; at least 14 days" in lcd.reason


def test_series_interval_is_shown_exactly_and_pair_results_read_as_words():
    nearly = relief.analyse_series(
        [
            series_block(1, 0, "bupivacaine", POSITIVE_BUPI),
            series_block(2, 13.8, "lidocaine", POSITIVE_LIDO),
        ]
    )
    lcd = nearly.ablation_criteria["lcd"]
    assert lcd.met is False
    assert "the second block was 13 days 19 h after the first; at least 14 days" in lcd.reason
    both_short = relief.analyse_series(
        [series_block(1, 0, "lidocaine", {2: 0}), series_block(2, 20, "lidocaine", {2: 0})]
    )
    assert both_short.pair_status == "not_confirmed"
    assert "of the two most recent diagnostic blocks, both were indeterminate" in (
        both_short.pair_reason
    )


def test_series_lcd_requires_consistent_duration():
    prolonged = {0.5: 0, 1: 0, 2: 0, 4: 0, 8: 0, 24: 0}
    result = relief.analyse_series(
        [
            series_block(1, 0, "bupivacaine", POSITIVE_BUPI),
            series_block(2, 21, "lidocaine", prolonged),
        ]
    )
    lcd = result.ablation_criteria["lcd"]
    assert lcd.met is False and "not consistent with the agent" in lcd.reason


def test_series_lcd_uses_80_percent_whatever_the_clinic_threshold():
    at_62 = {0.25: 3, 0.5: 3, 1: 3, 2: 3, 3: 6}  # 62.5% relief
    clinic_50 = AnalysisSettings(threshold_pct=50)
    result = relief.analyse_series(
        [series_block(1, 0, "lidocaine", at_62), series_block(2, 21, "lidocaine", at_62)], clinic_50
    )
    assert result.pair_status == "confirmed"  # positive at the clinic's 50%
    assert result.ablation_criteria["lcd"].met is False
    assert result.ablation_criteria["consensus_2020"].met is True


def test_series_ignores_therapeutic_blocks_for_the_pair():
    result = relief.analyse_series(
        [
            series_block(1, 0, "lidocaine", POSITIVE_LIDO),
            series_block(2, 21, "lidocaine", {0.5: 6, 1: 7, 2: 8}, purpose="therapeutic"),
        ]
    )
    assert result.pair_status == "single"
    assert result.compared_block_ids == [1]


def test_series_consensus_not_met_without_50_percent():
    result = relief.analyse_series([series_block(1, 0, "lidocaine", {0.5: 6, 1: 7, 2: 8})])
    assert result.ablation_criteria["consensus_2020"].met is False


def test_settings_replace_keeps_agent_table():
    base = AnalysisSettings()
    assert replace(base, threshold_pct=50).agent_windows == base.agent_windows


# --- a diary still running ----------------------------------------------------------------

EARLY = relief.Running("awaiting the 1 h entry", elapsed_h=40 / 60)


def test_early_reasons_say_what_is_awaited_not_what_is_missing():
    """40 minutes after a block nothing in the first hour or the window is missing yet."""
    early = analyse(facts(), [], running=EARLY)
    assert early.verdict == "indeterminate"
    assert early.reasons == [
        "awaiting an entry in the first 1.0 h after the block: "
        "the onset of relief is not observed yet",
        "awaiting entries up to 3 h after the block: at least 3 are needed within "
        "0–3 h of the block, 0 so far",
    ]
    assert not any("no entry" in r or "only 0" in r for r in early.reasons)
    # The same diary once final reads as missing data, with the same verdict.
    final = analyse(facts(), [])
    assert final.verdict == early.verdict
    assert final.reasons[0].startswith("no entry in the first 1.0 h")
    assert final.reasons[1].startswith("only 0 entries within 0–3 h")


def test_a_running_diary_past_its_first_hour_misses_that_hour():
    late = relief.Running("awaiting the 2 h entry", elapsed_h=1.6)
    result = analyse(facts(), points({1.5: 1}), running=late)
    assert result.reasons[0].startswith("no entry in the first 1.0 h")
    assert result.reasons[1].startswith("awaiting entries up to 3 h after the block")


def test_relief_still_going_in_a_running_diary_is_awaited():
    running = relief.Running("awaiting the 30 min entry", elapsed_h=0.3)
    result = analyse(facts(), points({0.25: 0}), running=running)
    assert any(
        r.startswith("≥80% relief continues at the latest entry, 0.0 h so far")
        and r.endswith("awaiting later entries to judge its duration")
        for r in result.reasons
    )
    positive = analyse(facts(), points({0.25: 1, 0.5: 0, 1: 1, 2: 1}), running=running)
    assert positive.verdict == "positive"
    assert "(relief continues at the latest entry)" in positive.reasons[1]
    negative = analyse(facts(), points({0.25: 6, 0.5: 7, 1: 7, 2: 8}), running=running)
    assert negative.verdict == "negative"
    assert negative.reasons[1] == (
        "relief has not reached 50% so far: awaiting entries up to 5.0 h after the block"
    )


def running_block(block_id, days, agent, diary, awaiting="awaiting the 3 h entry"):
    block = series_block(block_id, days, agent, diary)
    return replace(
        block, running=relief.Running(awaiting, 2.5), name=f"the day {days} block ({agent})"
    )


def test_a_pair_resting_on_a_running_diary_is_provisional_and_says_which():
    result = relief.analyse_series(
        [
            series_block(1, 0, "bupivacaine", POSITIVE_BUPI),
            running_block(2, 21, "lidocaine", POSITIVE_LIDO),
        ]
    )
    waits = "the diary of the day 21 block (lidocaine), awaiting the 3 h entry"
    assert result.pair_status == "concordant"
    assert result.pair_provisional is True and result.pair_awaiting == waits
    lcd, consensus = result.ablation_criteria["lcd"], result.ablation_criteria["consensus_2020"]
    assert lcd.met is True and lcd.provisional is True and lcd.awaiting == waits
    # A finished diary meets the consensus already: the running one cannot undo it.
    assert consensus.met is True and consensus.provisional is False
    assert result.provisional is True and result.awaiting == waits
    blocks = {b["block_id"]: b for b in result.to_dict()["blocks"]}
    assert blocks[2]["provisional"] is True and blocks[2]["awaiting"] == "awaiting the 3 h entry"
    assert blocks[1]["provisional"] is False and blocks[1]["awaiting"] is None


def test_a_running_diary_alone_meeting_the_consensus_leaves_it_provisional():
    result = relief.analyse_series(
        [
            series_block(1, 0, "lidocaine", {0.5: 6, 1: 7, 2: 8}),
            running_block(2, 21, "lidocaine", {0.25: 3, 0.5: 3, 1: 3, 2: 3}),
        ]
    )
    consensus = result.ablation_criteria["consensus_2020"]
    assert consensus.met is True and consensus.provisional is True
    # The first block, finished and negative, decides the pair and the LCD now.
    assert result.pair_status == "not_confirmed" and result.pair_provisional is False
    assert result.ablation_criteria["lcd"].provisional is False


def test_a_pair_not_confirmed_only_by_a_running_diary_waits_for_it():
    result = relief.analyse_series(
        [
            series_block(1, 0, "bupivacaine", POSITIVE_BUPI),
            running_block(2, 21, "lidocaine", {0.25: 1}),  # 15 minutes in: indeterminate
        ]
    )
    assert result.pair_status == "not_confirmed" and result.pair_provisional is True
    lcd = result.ablation_criteria["lcd"]
    assert lcd.met is False and lcd.provisional is True and "day 21 block" in lcd.awaiting
    too_soon = relief.analyse_series(
        [
            series_block(1, 0, "bupivacaine", POSITIVE_BUPI),
            running_block(2, 10, "lidocaine", {0.25: 1}),
        ]
    )
    # Ten days apart: not met whatever the running diary shows.
    assert too_soon.ablation_criteria["lcd"].provisional is False
