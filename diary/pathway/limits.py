"""The payer's frequency limits (pathway.md §4): sessions per region group in the rolling
12 months, and the first date another one fits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, tzinfo

from diary import relief
from diary.pathway import words
from diary.pathway.dates import in_rolling_year, leaves_rolling_year, local_date
from diary.pathway.values import (
    REGION_GROUP_LABELS,
    Ablation,
    Block,
    LimitCheck,
    PathwaySettings,
    RegionGroup,
    Session,
    SessionKind,
)
from diary.vocabulary import Region

# The CPT families: 64490–64492 (cervical or thoracic), 64493–64495 (lumbar or sacral).
REGION_GROUPS: dict[str, RegionGroup] = {
    Region.CERVICAL: RegionGroup.CERVICAL_THORACIC,
    Region.THORACIC: RegionGroup.CERVICAL_THORACIC,
    Region.LUMBAR: RegionGroup.LUMBAR,
}

KIND_LABELS = {
    SessionKind.DIAGNOSTIC: "diagnostic",
    SessionKind.THERAPEUTIC: "therapeutic",
    SessionKind.RFA: "RFA",
}


def region_group(region: str) -> RegionGroup:
    try:
        return REGION_GROUPS[region]
    except KeyError:
        raise ValueError(f"not a spinal region: {region!r}") from None


def session_kind(procedure: Block | Ablation) -> SessionKind | None:
    """What a procedure counts as; None for pulsed RF (not an ablation)."""
    if isinstance(procedure, Ablation):
        return SessionKind.RFA if procedure.ablates else None
    if procedure.purpose == relief.THERAPEUTIC:
        return SessionKind.THERAPEUTIC
    return SessionKind.DIAGNOSTIC


def sessions_of(procedures: Iterable[Block | Ablation], zone: tzinfo) -> list[Session]:
    """A patient's sessions: one per procedure date (in the clinic's zone), kind and region
    group, whatever the levels or sides (a bilateral procedure is one session), by date."""
    found = set()
    for procedure in procedures:
        kind = session_kind(procedure)
        if kind is not None:
            found.add(
                Session(
                    kind, region_group(procedure.region), local_date(procedure.performed_at, zone)
                )
            )
    return sorted(found, key=lambda s: (s.on, s.kind, s.region_group))


def limit_check(
    sessions: Iterable[Session],
    kind: SessionKind,
    group: RegionGroup,
    on: date,
    settings: PathwaySettings | None = None,
) -> LimitCheck:
    """Sessions of ``kind`` at ``group`` dated after the same calendar day a year before
    ``on`` (29 February → 28 February) up to ``on``; the limit is reached at the setting's
    count, and ``next_possible`` is the first date from ``on`` when one more fits."""
    settings = settings or PathwaySettings()
    limit = settings.sessions_limit(kind)
    # A session is a procedure date: two procedures that day are one session.
    counted = sorted(
        {
            s.on
            for s in sessions
            if s.kind == kind and s.region_group == group and in_rolling_year(s.on, on)
        }
    )
    count = len(counted)
    since = counted[0] if counted else None
    what = f"{words.plural(count, KIND_LABELS[kind] + ' session')} at {REGION_GROUP_LABELS[group]}"
    if count < limit:
        return LimitCheck(
            kind, group, on, count, limit, False, on, since,
            f"{what} in the 12 months to {words.day(on)}, of {limit} allowed",
        )  # fmt: skip
    if limit == 0:
        return LimitCheck(
            kind, group, on, count, limit, True, None, since,
            f"limit reached: the clinic allows no {KIND_LABELS[kind]} sessions",
        )  # fmt: skip
    # Once the oldest (count − limit + 1) sessions have left the rolling year, one more fits.
    next_possible = leaves_rolling_year(counted[count - limit])
    assert since is not None  # count ≥ limit > 0
    return LimitCheck(
        kind, group, on, count, limit, True, next_possible, since,
        f"limit reached: {what} since {words.day(since)}; "
        f"next possible {words.day(next_possible)}",
    )  # fmt: skip
