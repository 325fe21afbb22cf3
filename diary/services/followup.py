"""Follow-up after an ablation or a therapeutic block: recording an ablation (with its
history in the audit log, as a block's), the follow-up link, check-ins made once per
phone-made id, and the outcomes. The rules themselves are diary.pathway's; this module
reads records into its plain values and stores what the doors send."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from diary import anatomy, pathway
from diary.extensions import db
from diary.models import Ablation, Block, Checkin, Clinic, Patient, User, new_diary_token, utcnow
from diary.pathway.values import FOLLOW_UP_LINK_DAYS, Scoring, Technique
from diary.relief import BlockFacts
from diary.services.audit import record_audit
from diary.services.rejections import DiaryClosed, InputRejected
from diary.services.settings import pathway_settings
from diary.vocabulary import EntrySource, Purpose, Side


def N_(message: str) -> str:
    """Marks a message for translation where it is shown (the patient pages)."""
    return message


# When a check-in is announced on its due day (clinic time): calendar and push alike.
REMINDER_CLOCK = time(10, 0)
# Phones' clocks drift; a check-in a little "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=2)

NOT_OPEN_NOW = N_("No check-in is open today, so this one was not saved.")
PAIN_REQUIRED = N_("Choose your average pain over the past week: a number from 0 to 10.")
SIDE_PAIN_REQUIRED = N_("Choose your average pain on each side: a number from 0 to 10.")
# Staff record the patient's answer: the same refusals, about the patient (English only,
# as the clinic's pages are).
STAFF_PAIN_REQUIRED = "Choose the patient's average pain over the past week: a number from 0 to 10."
STAFF_SIDE_PAIN_REQUIRED = "Choose the patient's average pain on each side: a number from 0 to 10."


# --- settings ----------------------------------------------------------------------------


def clinic_zone(clinic: Clinic) -> ZoneInfo:
    return ZoneInfo(clinic.timezone or "UTC")


# --- records as the pathway's values ---------------------------------------------------


def plain_checkins(rows: Iterable[Checkin]) -> tuple[pathway.Checkin, ...]:
    """Check-in rows as the pathway reads them (every submission; it picks what counts)."""
    return tuple(
        pathway.Checkin(
            made_on=row.made_on,
            months=row.months,
            pain=row.pain,
            pain_left=row.pain_left,
            pain_right=row.pain_right,
            submitted_at=row.submitted_at,
            reported_relief_pct=row.reported_relief_pct,
            pgic=row.pgic,
            new_treatment=row.new_treatment,
            checkin_id=row.id,
            transcribed=row.transcribed,
        )
        for row in rows
    )


def plain_ablation(
    ablation: Ablation, checkins: Iterable[Checkin] | None = None
) -> pathway.Ablation:
    """An ablation row as the pathway reads it, with its check-ins."""
    return pathway.Ablation(
        ablation_id=ablation.id,
        performed_at=ablation.performed_at,
        region=ablation.region,
        levels=tuple(ablation.levels),
        side=ablation.side,
        technique=Technique(ablation.technique),
        baseline_pain=ablation.baseline_pain,
        scoring=Scoring(ablation.scoring),
        baseline_pain_left=ablation.baseline_pain_left,
        baseline_pain_right=ablation.baseline_pain_right,
        checkins=plain_checkins(ablation.checkins if checkins is None else checkins),
    )


def block_scoring(block: Block) -> Scoring:
    """How a block is scored: one pain unless the block says otherwise (a bilateral block
    scored apart, where the model records it)."""
    return Scoring(getattr(block, "scoring", None) or Scoring.ONE)


def plain_therapeutic_block(block: Block, checkins: Iterable[Checkin]) -> pathway.Block:
    """A therapeutic block as the pathway reads its follow-up (no diary entries needed)."""
    return pathway.Block(
        block_id=block.id,
        facts=BlockFacts(
            performed_at=block.performed_at,
            baseline_pain=block.baseline_pain,
            purpose=block.purpose,
            agent=block.agent,
            agent_label=block.agent,
            steroid=block.steroid,
        ),
        region=block.region,
        levels=tuple(block.levels),
        side=block.side,
        scoring=block_scoring(block),
        baseline_pain_left=getattr(block, "baseline_pain_left", None),
        baseline_pain_right=getattr(block, "baseline_pain_right", None),
        checkins=plain_checkins(checkins),
    )


# --- a followed procedure: an ablation or a therapeutic block ----------------------------


@dataclass
class Followed:
    """What the follow-up link, its pages and the check-ins need of either procedure."""

    record: Ablation | Block

    @property
    def is_ablation(self) -> bool:
        return isinstance(self.record, Ablation)

    @property
    def clinic(self) -> Clinic:
        return self.record.clinic

    @property
    def token(self) -> str | None:
        return self.record.followup_token

    @property
    def performed_at(self) -> datetime:
        return self.record.performed_at

    @property
    def scoring(self) -> Scoring:
        if isinstance(self.record, Ablation):
            return Scoring(self.record.scoring)
        return block_scoring(self.record)

    @property
    def scored_apart(self) -> bool:
        return self.scoring == Scoring.SIDES and self.record.side == Side.BILATERAL

    @property
    def expires_at(self) -> datetime | None:
        if isinstance(self.record, Ablation):
            return self.record.link_expires_at
        return self.record.followup_expires_at

    @property
    def revoked_at(self) -> datetime | None:
        if isinstance(self.record, Ablation):
            return self.record.link_revoked_at
        return self.record.followup_revoked_at

    def link_open(self, now: datetime) -> bool:
        expires = self.expires_at
        return (
            self.token is not None
            and self.revoked_at is None
            and self.record.archived_at is None
            and expires is not None
            and now < expires
        )

    def checkins(self) -> list[Checkin]:
        """Every submission, oldest first (a query: the relationship may predate one)."""
        column = Checkin.ablation_id if self.is_ablation else Checkin.block_id
        return list(
            db.session.scalars(select(Checkin).where(column == self.record.id).order_by(Checkin.id))
        )

    def plain(self, checkins: Iterable[Checkin] | None = None) -> pathway.Ablation | pathway.Block:
        rows = self.checkins() if checkins is None else checkins
        if isinstance(self.record, Ablation):
            return plain_ablation(self.record, rows)
        return plain_therapeutic_block(self.record, rows)

    def follow_up(self, on: date | None = None) -> pathway.FollowUp:
        zone = clinic_zone(self.clinic)
        on = on or pathway.local_date(utcnow(), zone)
        return pathway.follow_up(self.plain(), on, zone, pathway_settings(self.clinic))

    def schedule(self) -> tuple[pathway.ScheduledCheckin, ...]:
        return pathway.schedule_for(
            self.plain(()), clinic_zone(self.clinic), pathway_settings(self.clinic)
        )

    def owner_ids(self) -> dict[str, int]:
        key = "ablation_id" if self.is_ablation else "block_id"
        return {key: self.record.id}


def followed(record: Ablation | Block) -> Followed:
    return Followed(record)


def is_followed_block(block: Block) -> bool:
    return block.purpose == Purpose.THERAPEUTIC


def followed_for_token(token: str) -> Followed | None:
    """The procedure whose follow-up link holds ``token``, or None."""
    ablation = db.session.scalars(
        select(Ablation).where(Ablation.followup_token == token)
    ).one_or_none()
    if ablation is not None:
        return Followed(ablation)
    block = db.session.scalars(select(Block).where(Block.followup_token == token)).one_or_none()
    if block is not None and is_followed_block(block):
        return Followed(block)
    return None


def link_expiry(record: Ablation | Block) -> datetime:
    """The follow-up link is open through the 30th day after the last check-in's due date."""
    plain: pathway.Ablation | pathway.Block = (
        plain_ablation(record, ())
        if isinstance(record, Ablation)
        else plain_therapeutic_block(record, ())
    )
    zone = clinic_zone(record.clinic)
    schedule = pathway.schedule_for(plain, zone, pathway_settings(record.clinic))
    return pathway.follow_up_link_expires_at(schedule, zone)


def ensure_block_followup(block: Block) -> bool:
    """Give a therapeutic block its follow-up link (once); True when one was made."""
    if not is_followed_block(block) or block.followup_token is not None:
        return False
    block.followup_token = new_diary_token()
    block.followup_expires_at = link_expiry(block)
    return True


def refresh_block_followup(block: Block) -> None:
    """After a block's time or purpose changed: the link's expiry follows the schedule."""
    if ensure_block_followup(block) or block.followup_token is None:
        return
    if is_followed_block(block):
        block.followup_expires_at = max(link_expiry(block), block.followup_expires_at or utcnow())


# --- ablations ----------------------------------------------------------------------------


@dataclass
class AblationInput:
    performed_at: datetime
    region: str
    levels: list[str]
    side: str
    technique: str
    baseline_pain: int | None = None
    scoring: str | None = None
    baseline_pain_left: int | None = None
    baseline_pain_right: int | None = None
    repeat_of_id: int | None = None
    note: str | None = None


# What an ablation's change history keeps of the old values (no patient fields).
ABLATION_HISTORY_FIELDS = (
    "performed_at",
    "region",
    "levels",
    "side",
    "technique",
    "scoring",
    "baseline_pain",
    "baseline_pain_left",
    "baseline_pain_right",
    "repeat_of_id",
    "note",
)


def _consistent(values: dict, patient_id: int, ablation_id: int | None = None) -> dict:
    """The values in their stored form; raises InputRejected where they contradict
    themselves (a level outside the region, a baseline missing for the scoring, a repeat
    of another patient's or a later ablation)."""
    levels = values["levels"]
    if not levels:
        raise InputRejected("levels", "must name at least one level")
    try:
        values["levels"] = anatomy.levels_in_spine_order(values["region"], list(levels))
    except ValueError as error:
        raise InputRejected("levels", str(error)) from None
    if values["side"] != Side.BILATERAL:
        values["scoring"] = Scoring.ONE
    elif not values.get("scoring"):
        apart = values.get("baseline_pain_left") is not None
        values["scoring"] = Scoring.SIDES if apart else Scoring.ONE
    if values["scoring"] == Scoring.SIDES:
        for name in ("baseline_pain_left", "baseline_pain_right"):
            if values.get(name) is None:
                raise InputRejected(name, "is required when the sides are scored apart")
        values["baseline_pain"] = None
    else:
        if values.get("baseline_pain") is None:
            raise InputRejected("baseline_pain", "is required when the pain is scored as one")
        values["baseline_pain_left"] = values["baseline_pain_right"] = None
    repeat_of_id = values.get("repeat_of_id")
    if repeat_of_id is not None:
        earlier = db.session.get(Ablation, repeat_of_id)
        if (
            earlier is None
            or earlier.patient_id != patient_id
            or earlier.id == ablation_id
            or earlier.performed_at >= values["performed_at"]
        ):
            raise InputRejected("repeat_of_id", "must be an earlier ablation of the same patient")
        if earlier.region != values["region"] or not set(earlier.levels) & set(values["levels"]):
            raise InputRejected(
                "repeat_of_id", "must be an ablation at the same site (region and a level)"
            )
    note = values.get("note")
    values["note"] = (note or "").strip() or None
    return values


def create_ablation(clinic: Clinic, patient: Patient, values: AblationInput, by: User) -> Ablation:
    stored = _consistent(dict(vars(values)), patient.id)
    ablation = Ablation(
        clinic_id=clinic.id,
        patient_id=patient.id,
        created_by_id=by.id,
        link_expires_at=utcnow(),  # set below, from the schedule
        **stored,
    )
    ablation.clinic = clinic
    db.session.add(ablation)
    ablation.link_expires_at = link_expiry(ablation)
    db.session.flush()
    record_audit("ablation.create", by=by, target=ablation)
    return ablation


def update_ablation(
    ablation: Ablation, changes: dict, by: User, now: datetime | None = None
) -> list[str]:
    """Change an ablation's recorded details (AblationInput's fields); returns the names
    of those that changed. The audit row keeps their old values: the ablation's history."""
    now = now or utcnow()
    before = {name: getattr(ablation, name) for name in ABLATION_HISTORY_FIELDS}
    merged = _consistent(
        {name: changes.get(name, before[name]) for name in ABLATION_HISTORY_FIELDS}
        | ({"scoring": changes["scoring"]} if "scoring" in changes else {}),
        ablation.patient_id,
        ablation.id,
    )
    for name, value in merged.items():
        setattr(ablation, name, value)
    changed = [name for name in ABLATION_HISTORY_FIELDS if getattr(ablation, name) != before[name]]
    if not changed:
        return []
    if "performed_at" in changed:
        # The link lives as long after the procedure as before (a reopened link included).
        ablation.link_expires_at += ablation.performed_at - before["performed_at"]
    ablation.changed_at = now
    record_audit(
        "ablation.update",
        by=by,
        target=ablation,
        detail={"was": {name: _history_value(before[name]) for name in changed}},
    )
    return changed


def _history_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def revoke_followup_link(record: Ablation | Block, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    if isinstance(record, Ablation):
        record.link_revoked_at = now
    else:
        record.followup_revoked_at = now
    record.changed_at = now
    record_audit("followup_link.revoke", by=by, target=record)


def reopen_followup_link(record: Ablation | Block, by: User, now: datetime | None = None) -> None:
    """Revive the link; an expired one is open again for FOLLOW_UP_LINK_DAYS from now."""
    now = now or utcnow()
    fresh = now + timedelta(days=FOLLOW_UP_LINK_DAYS)
    if isinstance(record, Ablation):
        record.link_revoked_at = None
        record.link_expires_at = max(record.link_expires_at, fresh)
    else:
        ensure_block_followup(record)
        record.followup_revoked_at = None
        record.followup_expires_at = max(record.followup_expires_at or fresh, fresh)
    record.changed_at = now
    record_audit("followup_link.reopen", by=by, target=record)


def patient_ablations(patient: Patient) -> list[Ablation]:
    return list(
        db.session.scalars(
            select(Ablation)
            .where(Ablation.patient_id == patient.id)
            .order_by(Ablation.performed_at, Ablation.id)
        )
    )


# --- check-ins ----------------------------------------------------------------------------


@dataclass
class CheckinInput:
    pain: int | None = None
    pain_left: int | None = None
    pain_right: int | None = None
    relief_pct: int | None = None
    pgic: int | None = None
    new_treatment: bool | None = None
    client_id: str | None = None
    made_at: datetime | None = None
    # Staff only: the day it was made (a call, a visit) and the check-in it answers
    # (None: unscheduled).
    made_on: date | None = None
    months: int | None = None


def _pains(procedure: Followed, values: CheckinInput, by_staff: bool) -> dict:
    if procedure.scored_apart:
        for name in ("pain_left", "pain_right"):
            if getattr(values, name) is None:
                said = STAFF_SIDE_PAIN_REQUIRED if by_staff else SIDE_PAIN_REQUIRED
                raise InputRejected(name, said)
        return {"pain": None, "pain_left": values.pain_left, "pain_right": values.pain_right}
    if values.pain is None:
        raise InputRejected("pain", STAFF_PAIN_REQUIRED if by_staff else PAIN_REQUIRED)
    return {"pain": values.pain, "pain_left": None, "pain_right": None}


def _existing(procedure: Followed, client_id: str) -> Checkin | None:
    owner = procedure.owner_ids()
    column = Checkin.ablation_id if "ablation_id" in owner else Checkin.block_id
    return db.session.scalars(
        select(Checkin).where(column == procedure.record.id, Checkin.client_id == client_id)
    ).one_or_none()


def not_open_yet(slot: pathway.ScheduledCheckin) -> str:
    return (
        f"The {slot.months}-month check-in opens on {slot.opens_on:%d %b %Y} (it is due on "
        f"{slot.due_on:%d %b %Y}). To record how the patient is now, choose "
        '"Unscheduled (a visit or a call)".'
    )


def record_checkin(
    procedure: Followed,
    values: CheckinInput,
    now: datetime | None = None,
    transcribed_by: User | None = None,
) -> tuple[Checkin, bool]:
    """Store a check-in once per ``client_id`` (a resend answers the stored one, False).

    From the patient's link: the link must be open and a scheduled check-in open on the
    day it was made (``made_at``, now when not given), which it then answers. From staff
    (``transcribed_by``): any day from the procedure's to today, for the scheduled
    check-in ``months`` or unscheduled (None); marked transcribed and audited."""
    now = now or utcnow()
    client_id = values.client_id or new_diary_token()[:32]
    existing = _existing(procedure, client_id)
    if existing is not None:
        return existing, False
    zone = clinic_zone(procedure.clinic)
    done_on = pathway.local_date(procedure.performed_at, zone)
    today = pathway.local_date(now, zone)
    pains = _pains(procedure, values, by_staff=transcribed_by is not None)
    if transcribed_by is None:
        if not procedure.link_open(now):
            raise DiaryClosed()
        made_at = values.made_at or now
        if made_at > now + CLOCK_SKEW:
            raise InputRejected("made_at", N_("The time cannot be in the future."))
        if made_at < procedure.performed_at:
            raise InputRejected("made_at", N_("The time cannot be before the procedure."))
        made_on = pathway.local_date(made_at, zone)
        slot = pathway.checkin_open_on(procedure.schedule(), made_on)
        if slot is None:
            raise InputRejected("made_at", NOT_OPEN_NOW)
        months: int | None = slot.months
        source = EntrySource.PATIENT
    else:
        made_at = None
        made_on = values.made_on or today
        if made_on > today:
            raise InputRejected("made_on", "The day cannot be in the future.")
        if made_on < done_on:
            raise InputRejected("made_on", "The day cannot be before the procedure.")
        months = values.months
        if months is not None:
            slot = next((s for s in procedure.schedule() if s.months == months), None)
            if slot is None:
                raise InputRejected("months", "is not one of this follow-up's scheduled check-ins")
            # Dated by its due date in every rule: made before its window opens, it would
            # stand for a month not yet reached (a 6-month check-in a month after the
            # ablation read as durable). Late ones may be transcribed (pathway.md §3).
            if made_on < slot.opens_on:
                raise InputRejected("months", not_open_yet(slot))
        source = EntrySource.TRANSCRIBED
    checkin = Checkin(
        clinic_id=procedure.clinic.id,
        client_id=client_id,
        months=months,
        made_on=made_on,
        made_at=made_at,
        submitted_at=now,
        reported_relief_pct=values.relief_pct,
        pgic=values.pgic,
        new_treatment=values.new_treatment,
        source=source,
        entered_by_id=transcribed_by.id if transcribed_by else None,
        **pains,
        **procedure.owner_ids(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(checkin)
    except IntegrityError:  # the same id sent twice at once: the first one stands
        stored = _existing(procedure, client_id)
        if stored is None:
            raise
        return stored, False
    if isinstance(procedure.record, Ablation):
        procedure.record.changed_at = now
    if transcribed_by is not None:
        record_audit(
            "checkin.transcribe",
            by=transcribed_by,
            target=procedure.record,
            detail={"checkin_id": checkin.id, "months": months, "unscheduled": months is None},
        )
    return checkin, True


# --- outcomes, as every door shows them ------------------------------------------------

MADE, OPEN, MISSED, UPCOMING = "made", "open", "missed", "upcoming"


@dataclass(frozen=True)
class SlotStatus:
    slot: pathway.ScheduledCheckin
    status: str  # made, open (may be made today), missed, upcoming
    checkin_id: int | None


@dataclass(frozen=True)
class FollowUpView:
    """A follow-up as the pages, the report and the API show it, as of ``on``."""

    on: date
    follow: pathway.FollowUp
    slots: tuple[SlotStatus, ...]
    rows: tuple[Checkin, ...]
    superseded: frozenset[int]

    @property
    def outcomes(self) -> tuple[pathway.SideOutcome, ...]:
        return self.follow.outcomes

    @property
    def next_checkin(self) -> pathway.ScheduledCheckin | None:
        return self.follow.next_checkin

    @property
    def open_now(self) -> pathway.ScheduledCheckin | None:
        return pathway.checkin_open_on(self.follow.schedule, self.on)

    @property
    def due(self) -> dict[int, date]:
        """Each scheduled check-in's due date, by months."""
        return {slot.months: slot.due_on for slot in self.follow.schedule}

    def dated_on(self, row: Checkin) -> date:
        """The day the rules date a check-in by: its due date, or the day an unscheduled
        one was made."""
        return self.due.get(row.months, row.made_on) if row.months else row.made_on

    def reliefs(self) -> dict[int, dict]:
        """Each counted check-in's CheckinRelief by reading (its side, None for the one
        pain), as every record of the follow-up writes them."""
        found: dict[int, dict] = {}
        for outcome in self.outcomes:
            for item in outcome.reliefs:
                if item.checkin_id is not None:
                    found.setdefault(item.checkin_id, {})[outcome.scored_side] = item
        return found


def follow_up_view(procedure: Followed, on: date | None = None) -> FollowUpView:
    zone = clinic_zone(procedure.clinic)
    on = on or pathway.local_date(utcnow(), zone)
    rows = procedure.checkins()
    follow = pathway.follow_up(procedure.plain(rows), on, zone, pathway_settings(procedure.clinic))
    counted = pathway.counted_checkins(plain_checkins(rows), on)
    made = {c.months: c.checkin_id for c in counted if c.months is not None}
    slots = []
    for slot in follow.schedule:
        if slot.months in made:
            status = MADE
        elif slot.accepts(on):
            status = OPEN
        elif slot.closes_on < on:
            status = MISSED
        else:
            status = UPCOMING
        slots.append(SlotStatus(slot, status, made.get(slot.months)))
    counted_ids = {c.checkin_id for c in counted}
    return FollowUpView(
        on=on,
        follow=follow,
        slots=tuple(slots),
        rows=tuple(rows),
        superseded=frozenset(r.id for r in rows if r.id not in counted_ids and r.made_on <= on),
    )


def side_label(outcome: pathway.SideOutcome) -> str:
    """The reading's side as the pages name sides: the side scored, or the one side a
    unilateral procedure treated ("Right"); "Both sides as one" for a bilateral procedure
    scored as one pain."""
    if outcome.scored_side is None and len(outcome.sides) > 1:
        return "Both sides as one"
    return anatomy.SIDES[outcome.scored_side or outcome.sides[0]]


def outcome_dict(outcome: pathway.SideOutcome) -> dict:
    """One side's outcome in the API's and the CSV's shape."""
    lasted = outcome.relief_lasted
    return {
        "side": outcome.scored_side,
        "sides": list(outcome.sides),
        "checkins": [
            {
                "checkin_id": r.checkin_id,
                "months": r.months,
                "dated_on": r.dated_on,
                "made_on": r.made_on,
                "pain": r.pain,
                "relief_pct": r.relief_pct,
            }
            for r in outcome.reliefs
        ],
        "durability": None
        if outcome.durability is None
        else {"status": outcome.durability.status, "reason": outcome.durability.reason},
        "relief_lasted": None
        if lasted is None
        else {"months": lasted.months, "open": lasted.open, "text": lasted.text},
        "repeat_injection": None
        if outcome.repeat_injection is None
        else {"status": outcome.repeat_injection.status, "reason": outcome.repeat_injection.reason},
    }


def chart_lines(view: FollowUpView, done_on: date) -> list[tuple[str, list[tuple[float, float]]]]:
    """Relief by month per reading, for the follow-up chart: (label, [(months, relief)])."""
    lines = []
    for outcome in view.outcomes:
        points = [
            ((r.dated_on - done_on).days / 30.4375, r.relief_pct)
            for r in outcome.reliefs
            if r.relief_pct is not None
        ]
        lines.append((side_label(outcome), points))
    return lines


# --- the clinic's follow-up settings --------------------------------------------------------

# Each window bound's range in days, and the longest follow-up (months), for every door.
WINDOW_DAYS = (0, 60)
MAX_CHECKIN_MONTHS = 60


@dataclass
class FollowUpSettings:
    rfa_checkin_months: list[int]
    therapeutic_checkin_months: list[int]
    checkin_opens_days_before: int
    checkin_closes_days_after: int


def current_followup_settings(clinic: Clinic) -> FollowUpSettings:
    settings = pathway_settings(clinic)
    return FollowUpSettings(
        rfa_checkin_months=list(settings.rfa_checkin_months),
        therapeutic_checkin_months=list(settings.therapeutic_checkin_months),
        checkin_opens_days_before=settings.checkin_opens_days_before,
        checkin_closes_days_after=settings.checkin_closes_days_after,
    )


def update_followup_settings(clinic: Clinic, values: FollowUpSettings, by: User) -> None:
    """Store the check-in months and windows; raises InputRejected naming the first
    value out of range. Follow-ups read them at once (their links keep their expiry)."""
    for name in ("rfa_checkin_months", "therapeutic_checkin_months"):
        months = getattr(values, name)
        if not months or any(not 1 <= m <= MAX_CHECKIN_MONTHS for m in months):
            raise InputRejected(name, f"List whole months from 1 to {MAX_CHECKIN_MONTHS}.")
        setattr(values, name, sorted(set(months)))
    for name in ("checkin_opens_days_before", "checkin_closes_days_after"):
        if not WINDOW_DAYS[0] <= getattr(values, name) <= WINDOW_DAYS[1]:
            raise InputRejected(name, f"Between {WINDOW_DAYS[0]} and {WINDOW_DAYS[1]} days.")
    was = current_followup_settings(clinic)
    clinic.rfa_checkin_months = values.rfa_checkin_months
    clinic.therapeutic_checkin_months = values.therapeutic_checkin_months
    clinic.checkin_opens_days_before = values.checkin_opens_days_before
    clinic.checkin_closes_days_after = values.checkin_closes_days_after
    changed = {k: v for k, v in vars(was).items() if getattr(values, k) != v}
    if changed:
        extended = _extend_open_links(clinic)
        record_audit(
            "clinic.pathway_settings",
            by=by,
            target=clinic,
            detail={"was": changed, "links_extended": extended},
        )


def _extend_open_links(clinic: Clinic, now: datetime | None = None) -> int:
    """An open follow-up link lives through its schedule as the settings now make it (a
    later check-in added): never shorter than it was. Returns how many were extended."""
    now = now or utcnow()
    extended = 0
    open_ablations = db.session.scalars(
        select(Ablation).where(
            Ablation.clinic_id == clinic.id,
            Ablation.link_revoked_at.is_(None),
            Ablation.archived_at.is_(None),
            Ablation.link_expires_at > now,
        )
    )
    for ablation in open_ablations:
        expiry = link_expiry(ablation)
        if expiry > ablation.link_expires_at:
            ablation.link_expires_at, extended = expiry, extended + 1
    open_blocks = db.session.scalars(
        select(Block).where(
            Block.clinic_id == clinic.id,
            Block.followup_token.is_not(None),
            Block.followup_revoked_at.is_(None),
            Block.archived_at.is_(None),
            Block.followup_expires_at > now,
        )
    )
    for block in open_blocks:
        expiry = link_expiry(block)
        if block.followup_expires_at is not None and expiry > block.followup_expires_at:
            block.followup_expires_at, extended = expiry, extended + 1
    return extended


# --- the clinic-wide files: ablations with their outcomes, and check-ins -------------------


def clinic_followed(
    clinic: Clinic,
    performed_from: datetime | None = None,
    performed_before: datetime | None = None,
    region: str | None = None,
    ablations: bool = True,
    blocks: bool = True,
) -> list[Followed]:
    """The clinic's followed procedures (ablations, therapeutic blocks with a follow-up
    link) performed in the range and region given, oldest first."""
    found: list[Ablation | Block] = []
    for model, extra in (
        (Ablation, () if ablations else (False,)),
        (Block, (Block.followup_token.is_not(None),) if blocks else (False,)),
    ):
        query = select(model).where(model.clinic_id == clinic.id, *extra)
        if performed_from is not None:
            query = query.where(model.performed_at >= performed_from)
        if performed_before is not None:
            query = query.where(model.performed_at < performed_before)
        if region:
            query = query.where(model.region == region)
        found += list(db.session.scalars(query))
    found.sort(key=lambda record: (record.performed_at, isinstance(record, Block), record.id))
    return [Followed(record) for record in found if is_followed(record)]


def is_followed(record: Ablation | Block) -> bool:
    return isinstance(record, Ablation) or is_followed_block(record)


def block_fhir_checkins(block: Block) -> list[tuple[Checkin, date, dict, bool]]:
    """A therapeutic block's counted check-ins for its FHIR (none if it is not followed)."""
    return fhir_checkins(Followed(block)) if is_followed_block(block) else []


def fhir_checkins(procedure: Followed) -> list[tuple[Checkin, date, dict, bool]]:
    """The counted check-ins as the FHIR export writes them: (check-in, the day the rules
    date it by, each reading's CheckinRelief by side (None for the one pain), and whether
    it replaced an earlier answer to the same check-in: ``amended``, as a corrected entry)."""
    view = follow_up_view(procedure)
    reliefs = view.reliefs()
    replaced = {view.dated_on(row) for row in view.rows if row.id in view.superseded}
    return [
        (row, view.dated_on(row), reliefs[row.id], view.dated_on(row) in replaced)
        for row in view.rows
        if row.id in reliefs
    ]
