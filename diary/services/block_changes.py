"""What correcting a block's details would do to its diary, read before it is saved: how
many entries would fall before the block (shown, no longer counted) and how the verdict
would change. The block form asks for confirmation when either changes; the API applies
the change and reports it (diary/api/clinic.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from diary import relief
from diary.agents import OTHER, describe_agent
from diary.models import Block
from diary.pathway.sides import relief_inputs, scored_sides
from diary.services.analysis import block_facts, diary_points, pathway_block
from diary.services.settings import analysis_settings

# The block's fields the verdict reads.
READ_BY_THE_VERDICT = (
    "performed_at",
    "baseline_pain",
    "purpose",
    "agent",
    "steroid",
    "sedation",
)


@dataclass(frozen=True)
class BlockChangeEffect:
    entries: int  # the entries the analysis reads (a superseded one is not counted)
    before_block_now: int
    before_block_after: int
    verdict_now: str
    verdict_after: str
    performed_at_now: datetime
    performed_at_after: datetime

    @property
    def changes_the_diary(self) -> bool:
        """More entries before the block, or another verdict: worth a second look."""
        return (
            self.before_block_after > self.before_block_now
            or self.verdict_after != self.verdict_now
        )

    @property
    def key(self) -> str:
        """Names this outcome: a confirmation given for it holds for it only (the form
        sends it back; changed values make another outcome, asked about again)."""
        return (
            f"{self.performed_at_after:%Y%m%dT%H%M%S}-{self.before_block_after}-"
            f"{self.verdict_after}"
        )

    def as_detail(self) -> dict:
        """For the audit row and the API's answer."""
        return {
            "entries": self.entries,
            "before_block": [self.before_block_now, self.before_block_after],
            "verdict": [self.verdict_now, self.verdict_after],
        }

    def summary(self) -> str:
        """One line in plain words: "16 of 22 entries now before the block; verdict
        positive -> indeterminate"."""
        parts = []
        if self.before_block_after != self.before_block_now:
            parts.append(
                f"{self.before_block_after} of {self.entries} "
                f"{'entry' if self.entries == 1 else 'entries'} now before the block"
            )
        if self.verdict_after != self.verdict_now:
            parts.append(f"verdict {self.verdict_now} -> {self.verdict_after}")
        return "; ".join(parts) or "no entry moved before the block; verdict unchanged"


def block_change_effect(block: Block, values: dict) -> BlockChangeEffect:
    """The diary read with the block as it would be after ``values`` (BlockInput's
    fields; those left out keep theirs), beside the diary as it reads now. Changes
    nothing."""
    facts = block_facts(block)
    changed = {name: values[name] for name in READ_BY_THE_VERDICT if name in values}
    agent = values.get("agent", block.agent)
    concentration = None if agent == OTHER else values.get("concentration", block.concentration)
    agent_other = values.get("agent_other", block.agent_other)
    after_facts = replace(
        facts, **changed, agent_label=describe_agent(agent, concentration, agent_other)
    )
    settings = analysis_settings(block.clinic)
    if block.scored_apart:
        return _effect_per_side(block, values, after_facts, settings)
    points = diary_points(block)
    now = relief.analyse(facts, points, settings)
    after = relief.analyse(after_facts, points, settings)
    return BlockChangeEffect(
        entries=len(now.relief),
        before_block_now=sum(point.before_block for point in now.relief),
        before_block_after=sum(point.before_block for point in after.relief),
        verdict_now=now.verdict,
        verdict_after=after.verdict,
        performed_at_now=facts.performed_at,
        performed_at_after=after_facts.performed_at,
    )


def _effect_per_side(block: Block, values: dict, after_facts, settings) -> BlockChangeEffect:
    """The effect on a block scored left and right apart: each side read now and after
    (its baseline as ``values`` give it); the verdicts as "Left: positive · Right:
    negative". Its scoring stays once it has entries (services.blocks)."""
    read = pathway_block(block)
    after_block = replace(
        read,
        facts=after_facts,
        baseline_pain_left=values.get("baseline_pain_left", block.baseline_pain_left),
        baseline_pain_right=values.get("baseline_pain_right", block.baseline_pain_right),
    )
    now, after = [], []
    for _, side in scored_sides(read):
        now.append((side, relief.analyse(*relief_inputs(read, side), settings)))
        after.append((side, relief.analyse(*relief_inputs(after_block, side), settings)))

    def verdicts(readings) -> str:
        return " · ".join(f"{str(side).capitalize()}: {a.verdict}" for side, a in readings)

    first_now, first_after = now[0][1], after[0][1]
    return BlockChangeEffect(
        entries=len(first_now.relief),
        before_block_now=sum(point.before_block for point in first_now.relief),
        before_block_after=sum(point.before_block for point in first_after.relief),
        verdict_now=verdicts(now),
        verdict_after=verdicts(after),
        performed_at_now=read.performed_at,
        performed_at_after=after_facts.performed_at,
    )
