"""The next step for each series (pathway.md §4, steps 1–9 in order), worded as advice
for the physician, with the frequency limit beside every step that means another
procedure. It never books or blocks anything."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta, tzinfo

from diary import relief
from diary.pathway import words
from diary.pathway.dates import add_years, local_date
from diary.pathway.followup import follow_up
from diary.pathway.limits import limit_check, region_group, sessions_of
from diary.pathway.sides import (
    analyse_side_series,
    in_series,
    relief_inputs,
    scored_apart,
    series_blocks,
    series_of_patient,
)
from diary.pathway.values import (
    DURABLE,
    DURABLE_AT_MONTHS,
    NOT_DURABLE,
    RELIEF_PCT,
    Ablation,
    Block,
    CheckinRelief,
    NextStep,
    PathwaySettings,
    SeriesKey,
    Session,
    SessionKind,
)
from diary.pathway.values import NextStepCode as Code

# Codes that bring a patient onto the staff's worklist (pathway.md §5).
ACTION_CODES = frozenset(
    {
        Code.SECOND_BLOCK_DUE,
        Code.RFA_ELIGIBLE_LCD,
        Code.RFA_ELIGIBLE_CONSENSUS,
        Code.REPEAT_RFA_ELIGIBLE,
        Code.REPEAT_DIAGNOSTIC_BLOCKS,
    }
)


def next_steps(
    blocks: Sequence[Block],
    ablations: Sequence[Ablation],
    on: date,
    zone: tzinfo,
    *,
    settings: PathwaySettings | None = None,
    analysis_settings: relief.AnalysisSettings | None = None,
) -> list[NextStep]:
    """The next step of each of a patient's series (region, side, levels) on the day ``on``,
    in the order the series began. Procedures after ``on`` and check-ins made after it are
    not known yet; pulsed RF makes no series."""
    settings = settings or PathwaySettings()
    blocks = [b for b in blocks if local_date(b.performed_at, zone) <= on]
    ablations = [a for a in ablations if local_date(a.performed_at, zone) <= on]
    sessions = sessions_of([*blocks, *ablations], zone)
    procedures: list[Block | Ablation] = sorted(
        [*blocks, *(a for a in ablations if a.ablates)], key=lambda p: p.performed_at
    )
    return [
        next_step(
            key,
            blocks,
            ablations,
            on,
            zone,
            sessions=sessions,
            settings=settings,
            analysis_settings=analysis_settings,
        )
        for key in series_of_patient(procedures)
    ]


def next_step(
    key: SeriesKey,
    blocks: Sequence[Block],
    ablations: Sequence[Ablation],
    on: date,
    zone: tzinfo,
    *,
    sessions: Sequence[Session] | None = None,
    settings: PathwaySettings | None = None,
    analysis_settings: relief.AnalysisSettings | None = None,
) -> NextStep:
    """The first of pathway.md §4's nine steps that applies to the series ``key``.

    ``blocks`` and ``ablations``: the patient's (all regions: the limits count them all).
    When diagnostic blocks were done in the series after its last ablation, they start a
    new round unless that ablation is still followed up (step 4): steps 1–3 (about that
    ablation) give way, and steps 5–9 read only those blocks.
    """
    settings = settings or PathwaySettings()
    blocks = [b for b in blocks if local_date(b.performed_at, zone) <= on]
    if sessions is None:
        sessions = sessions_of(
            [*blocks, *(a for a in ablations if local_date(a.performed_at, zone) <= on)], zone
        )
    step = _Step(key, on, zone, sessions, settings)
    members = series_blocks(blocks, key)
    rfas = sorted(
        (
            a
            for a in ablations
            if a.ablates and in_series(a, key) and local_date(a.performed_at, zone) <= on
        ),
        key=lambda a: a.performed_at,
    )
    notes: tuple[str, ...] = ()
    if rfas:
        last_rfa = rfas[-1]
        after = _after_ablation(step, last_rfa)
        since = [b for b in members if b.performed_at > last_rfa.performed_at]
        # An ablation still followed up (step 4) comes first whatever was done since: a
        # diagnostic block a month after an ablation does not make another one advisable.
        if after.code == Code.FOLLOW_UP or not any(b.purpose == relief.DIAGNOSTIC for b in since):
            return after
        members = since
        notes = (
            "read from the diagnostic blocks since the ablation of "
            f"{words.day(local_date(last_rfa.performed_at, zone))}",
        )
    found = _from_blocks(step, members, analysis_settings or relief.AnalysisSettings())
    return _provisional(replace(found, notes=notes + found.notes), members, zone)


def _provisional(found: NextStep, members: Sequence[Block], zone: tzinfo) -> NextStep:
    """Advice read from a diagnostic block whose diary still runs says so, and what the
    diary waits for: its verdict, and the advice with it, may change."""
    running = [b for b in members if b.purpose == relief.DIAGNOSTIC and b.running is not None]
    if not running:
        return found
    waits = "; ".join(
        f"the diary of the block of {words.day(local_date(b.performed_at, zone))} is still "
        f"running ({b.running.awaiting})"
        for b in running
        if b.running is not None
    )
    return replace(
        found,
        provisional=True,
        reason=f"{found.reason}. Provisional: {waits}; the verdict behind this advice may change",
    )


class _Step:
    """What every step needs to write itself: the series, the day, the limits."""

    def __init__(
        self,
        key: SeriesKey,
        on: date,
        zone: tzinfo,
        sessions: Sequence[Session],
        settings: PathwaySettings,
    ) -> None:
        self.key, self.on, self.zone = key, on, zone
        self.sessions, self.settings = sessions, settings

    def make(
        self,
        code: Code,
        from_date: date | None,
        reason: str,
        procedure: SessionKind | None = None,
        **more,
    ) -> NextStep:
        limit = None
        if procedure is not None:
            limit = limit_check(
                self.sessions, procedure, region_group(self.key.region), self.on, self.settings
            )
            if limit.reached:
                reason = f"{reason} ({limit.reason})"
        return NextStep(self.key, code, from_date, reason, limit, **more)


def _after_ablation(step: _Step, rfa: Ablation) -> NextStep:
    """Steps 1–4: the series' last ablation decides."""
    done_on = local_date(rfa.performed_at, step.zone)
    years = step.settings.stale_rfa_years
    stale_after = add_years(done_on, years)
    if step.settings.stale_rfa_rule and step.on > stale_after:
        return step.make(
            Code.REPEAT_DIAGNOSTIC_BLOCKS,
            stale_after + timedelta(days=1),
            f"Consider repeating the diagnostic blocks before another ablation: the last "
            f"ablation here ({words.day(done_on)}) was more than {words.plural(years, 'year')} "
            "ago (contractors' checklists for the Medicare LCD ask for new blocks then)",
            SessionKind.DIAGNOSTIC,
        )
    followed = follow_up(rfa, step.on, step.zone, step.settings)
    outcome = followed.for_side(step.key.side)
    assert outcome is not None and outcome.durability is not None  # an ablation in the series
    durability = outcome.durability
    six = next((s for s in followed.schedule if s.months == DURABLE_AT_MONTHS), None)
    if durability.status == NOT_DURABLE:
        assert six is not None  # a check-in below 50 % at or before it was found
        first_below = _first_below(outcome.reliefs, until=six.due_on)
        return step.make(
            Code.REPEAT_RFA_NOT_SUPPORTED,
            first_below.dated_on if first_below else None,
            f"The follow-up does not support a repeat ablation: after the ablation of "
            f"{words.day(done_on)} "
            f"relief was {durability.reason}; the Medicare LCD asks for ≥{words.threshold()} "
            f"relief for at least {words.months(DURABLE_AT_MONTHS)}",
        )
    if durability.status == DURABLE:
        assert six is not None
        returned = _first_below(outcome.reliefs, after=six.due_on)
        if returned is not None:
            assert returned.relief_pct is not None
            return step.make(
                Code.REPEAT_RFA_ELIGIBLE,
                returned.dated_on,
                f"A repeat ablation may be considered: relief after the ablation of "
                f"{words.day(done_on)} was durable ({durability.reason}) and pain has "
                f"returned ({words.pct(returned.relief_pct)} at {returned.label})",
                SessionKind.RFA,
            )
    state = f"durability: {durability.status.replace('_', ' ')} ({durability.reason})"
    if outcome.relief_lasted is not None:
        state += f"; relief lasted {outcome.relief_lasted.text}"
    upcoming = followed.next_checkin
    if upcoming is None:
        return step.make(
            Code.FOLLOW_UP,
            followed.schedule[-1].due_on,
            f"Follow-up of the ablation of {words.day(done_on)} is complete; {state}",
        )
    return step.make(
        Code.FOLLOW_UP,
        upcoming.due_on,
        f"Follow the ablation of {words.day(done_on)}: the {upcoming.months}-month "
        f"check-in is due {words.day(upcoming.due_on)} (open {words.day(upcoming.opens_on)} to "
        f"{words.day(upcoming.closes_on)}); {state}",
        next_checkin=upcoming,
    )


def _first_below(
    reliefs: Sequence[CheckinRelief], *, until: date | None = None, after: date | None = None
) -> CheckinRelief | None:
    return next(
        (
            r
            for r in reliefs
            if r.relief_pct is not None
            and r.relief_pct < RELIEF_PCT
            and (until is None or r.dated_on <= until)
            and (after is None or r.dated_on > after)
        ),
        None,
    )


def _from_blocks(
    step: _Step, members: list[Block], analysis_settings: relief.AnalysisSettings
) -> NextStep:
    """Steps 5–9: the series' diagnostic blocks decide."""
    diagnostic = [b for b in members if b.purpose == relief.DIAGNOSTIC]
    if not diagnostic:
        return step.make(
            Code.FIRST_BLOCK,
            step.on,
            "Consider a first diagnostic medial branch block: this series has none yet",
            SessionKind.DIAGNOSTIC,
        )
    series = analyse_side_series(members, step.key, analysis_settings).analysis
    lcd = series.ablation_criteria["lcd"]
    consensus = series.ablation_criteria["consensus_2020"]
    last_on = local_date(diagnostic[-1].performed_at, step.zone)
    if lcd.met:
        return step.make(
            Code.RFA_ELIGIBLE_LCD,
            last_on,
            f"Radiofrequency ablation may be considered: the Medicare LCD criteria are met "
            f"({lcd.reason})",
            SessionKind.RFA,
        )
    if len(diagnostic) == 1 and _positive_at(
        diagnostic[0], step.key, analysis_settings, relief.LCD_THRESHOLD_PCT
    ):
        earliest = diagnostic[0].performed_at + timedelta(days=relief.LCD_MIN_DAYS_BETWEEN)
        local = earliest.astimezone(step.zone)
        beside = "; the 2020 consensus criterion is already met" if consensus.met else ""
        return step.make(
            Code.SECOND_BLOCK_DUE,
            local.date(),
            f"Consider a second diagnostic block from {local:%Y-%m-%d %H:%M}, "
            f"{relief.LCD_MIN_DAYS_BETWEEN} days after the first (positive at ≥80%), as "
            f"contractors' checklists for the Medicare LCD ask{beside}",
            SessionKind.DIAGNOSTIC,
        )
    if consensus.met:
        first_positive = next(
            b
            for b in diagnostic
            if _positive_at(b, step.key, analysis_settings, relief.CONSENSUS_THRESHOLD_PCT)
        )
        return step.make(
            Code.RFA_ELIGIBLE_CONSENSUS,
            local_date(first_positive.performed_at, step.zone),
            "Radiofrequency ablation may be considered under the 2020 consensus guidelines "
            f"({consensus.reason}); the Medicare LCD criteria are not met: {lcd.reason}",
            SessionKind.RFA,
        )
    return step.make(
        Code.NOT_SUPPORTED,
        last_on,
        f"The blocks so far do not support radiofrequency ablation: {consensus.reason} "
        f"({words.plural(len(diagnostic), 'diagnostic block')} in this series)",
    )


def _positive_at(
    block: Block, key: SeriesKey, analysis_settings: relief.AnalysisSettings, threshold: float
) -> bool:
    facts, points = relief_inputs(block, key.side if scored_apart(block) else None)
    at = replace(analysis_settings, threshold_pct=threshold)
    return relief.analyse(facts, points, at).verdict == relief.POSITIVE
