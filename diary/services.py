"""Operations shared by the web pages, the API and the CLI.

Each takes plain values, changes the session and leaves the commit to the caller,
so a view commits once and a failed check writes nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from diary import relief
from diary.agents import describe_agent, windows_from_settings
from diary.export import as_utc
from diary.extensions import db
from diary.models import (
    ApiToken,
    AuditEvent,
    Block,
    Clinic,
    DiaryEntry,
    EntryRevision,
    Patient,
    PatientTerm,
    PushSubscription,
    User,
    utcnow,
)
from diary.passwords import password_problem
from diary.schedule import Compliance, DiarySchedule, compliance, diary_status, next_due, slot_for

# Phones' clocks drift; an entry a little "in the future" is still now.
CLOCK_SKEW = timedelta(minutes=2)
# An entry whose time is this far before it was sent was logged after the fact.
LATE_LOGGING = timedelta(minutes=15)


def N_(message: str) -> str:
    """Marks a message for translation where it is shown (the patient pages)."""
    return message


class EntryRejected(ValueError):
    """An entry that cannot be stored; ``field`` names the input at fault."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


class DiaryClosed(Exception):
    """The diary link has expired or was revoked."""


# --- clinic settings ---------------------------------------------------------------


def analysis_settings(clinic: Clinic) -> relief.AnalysisSettings:
    return relief.AnalysisSettings(
        threshold_pct=clinic.threshold_pct,
        min_baseline_pain=clinic.min_baseline_pain,
        min_entries_in_window=clinic.min_entries_in_window,
        agent_windows=windows_from_settings(clinic.agent_windows),
    )


def diary_schedule(clinic: Clinic) -> DiarySchedule:
    return DiarySchedule.from_settings(clinic.schedule)


@dataclass
class ClinicSettings:
    """What a clinic may change; ``agent_windows`` maps agent -> {minimum_h, maximum_h}."""

    threshold_pct: float
    min_baseline_pain: int
    min_entries_in_window: int
    diary_link_hours: int
    schedule: DiarySchedule
    agent_windows: dict[str, dict[str, float]]
    language: str = "en"
    instructions: dict[str, list[str]] = field(default_factory=dict)


class SettingsRejected(ValueError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def clinic_settings(clinic: Clinic) -> ClinicSettings:
    return ClinicSettings(
        threshold_pct=clinic.threshold_pct,
        min_baseline_pain=clinic.min_baseline_pain,
        min_entries_in_window=clinic.min_entries_in_window,
        diary_link_hours=clinic.diary_link_hours,
        schedule=diary_schedule(clinic),
        agent_windows={
            agent: {"minimum_h": w.minimum_h, "maximum_h": w.maximum_h}
            for agent, w in windows_from_settings(clinic.agent_windows).items()
        },
        language=clinic.language,
        instructions=dict(clinic.instructions or {}),
    )


def update_clinic_settings(clinic: Clinic, values: ClinicSettings, by: User) -> None:
    """Store new settings; raises SettingsRejected naming the first inconsistent value."""
    if values.threshold_pct not in (50.0, 80.0):
        raise SettingsRejected("threshold_pct", "The threshold is 80% or 50%.")
    for agent, window in values.agent_windows.items():
        if window["minimum_h"] > window["maximum_h"]:
            raise SettingsRejected(
                f"{agent}_minimum_h",
                f"For {agent}, the shortest sustained response cannot exceed the maximum.",
            )
    clinic.threshold_pct = values.threshold_pct
    clinic.min_baseline_pain = values.min_baseline_pain
    clinic.min_entries_in_window = values.min_entries_in_window
    clinic.diary_link_hours = values.diary_link_hours
    clinic.schedule = values.schedule.to_settings()
    clinic.agent_windows = values.agent_windows
    clinic.language = values.language
    clinic.instructions = values.instructions or None
    record_audit("clinic.settings", by=by, target=clinic)


# --- patients and blocks -----------------------------------------------------------


@dataclass
class PatientInput:
    display_name: str
    mrn: str | None = None
    birth_year: int | None = None


def create_patient(clinic: Clinic, values: PatientInput, by: User) -> Patient:
    patient = Patient(
        clinic_id=clinic.id,
        display_name=values.display_name.strip(),
        mrn=(values.mrn or "").strip() or None,
        birth_year=values.birth_year,
    )
    db.session.add(patient)
    db.session.flush()
    db.session.add_all(
        PatientTerm(clinic_id=clinic.id, patient_id=patient.id, term=term)
        for term in search_terms(patient.display_name, patient.mrn)
    )
    record_audit("patient.create", by=by, target=patient)
    return patient


def search_terms(display_name: str, mrn: str | None) -> list[str]:
    """What the dashboard finds a patient by: the name, each word of it, the MRN."""
    name = search_text(display_name)
    terms = {name, *re.split(r"[\s,]+", name), search_text(mrn or "")}
    return sorted(term[:100] for term in terms if term)


def search_text(text: str) -> str:
    """Text as patient terms are kept and searched: lowercase, single spaces."""
    return " ".join(text.lower().split())


@dataclass
class BlockInput:
    performed_at: datetime
    region: str
    levels: list[str]
    side: str
    purpose: str
    sequence: str
    agent: str
    concentration: str | None
    agent_other: str | None
    volume_ml_per_level: float
    steroid: bool
    sedation: str
    baseline_pain: int
    activities: list[str] = field(default_factory=list)


def create_block(clinic: Clinic, patient: Patient, values: BlockInput, by: User) -> Block:
    block = Block(
        clinic_id=clinic.id,
        patient_id=patient.id,
        performed_at=values.performed_at,
        region=values.region,
        levels=values.levels,
        side=values.side,
        purpose=values.purpose,
        sequence=values.sequence,
        agent=values.agent,
        concentration=values.concentration or None,
        agent_other=(values.agent_other or "").strip() or None,
        volume_ml_per_level=values.volume_ml_per_level,
        steroid=values.steroid,
        sedation=values.sedation,
        baseline_pain=values.baseline_pain,
        activities=[a.strip() for a in values.activities if a.strip()],
        link_expires_at=values.performed_at + timedelta(hours=clinic.diary_link_hours),
        created_by_id=by.id,
    )
    db.session.add(block)
    db.session.flush()
    record_audit("block.create", by=by, target=block)
    return block


def update_block(block: Block, values: dict, by: User, now: datetime | None = None) -> None:
    """Change a block's recorded details (values as BlockInput's fields)."""
    now = now or utcnow()
    for name, value in values.items():
        if name == "activities":
            value = [a.strip() for a in (value or []) if a.strip()]
        elif name == "agent_other":
            value = (value or "").strip() or None
        setattr(block, name, value)
    if block.agent == "other":
        block.concentration = None
    block.changed_at = now
    record_audit("block.update", by=by, target=block)


def agent_label(block: Block) -> str:
    return describe_agent(block.agent, block.concentration, block.agent_other)


def revoke_link(block: Block, by: User, now: datetime | None = None) -> None:
    now = now or utcnow()
    block.link_revoked_at = now
    block.changed_at = now
    record_audit("link.revoke", by=by, target=block)


def archive_block(block: Block, by: User, now: datetime | None = None) -> None:
    """Take a block off the worklists (its diary link closes); nothing is deleted."""
    now = now or utcnow()
    block.archived_at = now
    block.changed_at = now
    record_audit("block.archive", by=by, target=block)


def restore_block(block: Block, by: User, now: datetime | None = None) -> None:
    block.archived_at = None
    block.changed_at = now or utcnow()
    record_audit("block.restore", by=by, target=block)


def reopen_link(block: Block, by: User, now: datetime | None = None) -> None:
    """Revive the link; an expired link gets a fresh lifetime from now."""
    now = now or utcnow()
    block.link_revoked_at = None
    fresh = now + timedelta(hours=block.clinic.diary_link_hours)
    block.link_expires_at = max(block.link_expires_at, fresh)
    block.changed_at = now
    record_audit("link.reopen", by=by, target=block)


# --- diary entries -----------------------------------------------------------------


@dataclass
class EntryInput:
    pain: int
    recorded_at: datetime | None = None
    made_at: datetime | None = None
    reported_relief_pct: int | None = None
    activity: str | None = None
    note: str | None = None
    client_id: str | None = None


def check_entry_time(block: Block, recorded_at: datetime, now: datetime) -> None:
    if recorded_at < block.performed_at:
        raise EntryRejected("recorded_at", N_("The time cannot be before the procedure."))
    if recorded_at > now + CLOCK_SKEW:
        raise EntryRejected("recorded_at", N_("The time cannot be in the future."))


def record_entry(
    block: Block,
    values: EntryInput,
    now: datetime | None = None,
    transcribed_by: User | None = None,
) -> tuple[DiaryEntry, bool]:
    """Store an entry exactly once per ``client_id``.

    Returns the entry and whether it was new; a repeat of a stored ``client_id``
    returns the stored entry unchanged. Raises DiaryClosed or EntryRejected.
    Staff transcribing a paper diary (``transcribed_by``) may do so whatever the
    state of the diary link.
    """
    now = now or utcnow()
    client_id = values.client_id or uuid.uuid4().hex
    try:
        entry = _new_entry(block, values, client_id, now, transcribed_by)
    except (DiaryClosed, EntryRejected):
        # A resend of an entry stored earlier is answered with it, even if the link
        # has closed since (the phone was offline) or the clock has moved on.
        existing = _entry_by_client_id(block, client_id) if values.client_id else None
        if existing is None:
            raise
        return existing, False
    # The common case is a new entry, so insert at once and let the unique
    # (block, client_id) constraint catch a resend or a concurrent double tap. Plain
    # INSERT ... RETURNING and UPDATE statements: the unit of work's flush would cost
    # more than the statements themselves on this, the busiest write.
    try:
        entry = db.session.scalars(insert(DiaryEntry).returning(DiaryEntry), [entry]).one()
    except IntegrityError:
        db.session.rollback()
        existing = _entry_by_client_id(block, client_id)
        if existing is None:
            raise
        return existing, False
    db.session.execute(
        update(Block).where(Block.id == block.id).values(changed_at=now),
        execution_options={"synchronize_session": False},
    )
    set_committed_value(block, "changed_at", now)
    db.session.expire(block, ["entries"])  # read again, with this entry, when next asked
    if transcribed_by is not None:
        record_audit("entry.transcribe", by=transcribed_by, target=entry, clinic_id=block.clinic_id)
    return entry, True


def _new_entry(
    block: Block, values: EntryInput, client_id: str, now: datetime, transcribed_by: User | None
) -> dict:
    if transcribed_by is None and not block.link_open(now):
        raise DiaryClosed()
    recorded_at = values.recorded_at or now
    check_entry_time(block, recorded_at, now)
    made_at = min(values.made_at or now, now)
    if made_at < recorded_at - CLOCK_SKEW:
        raise EntryRejected("made_at", "The time made cannot be before the time of the pain.")
    due_times = diary_schedule(block.clinic).due_times(block.performed_at, block.agent)
    return dict(
        block_id=block.id,
        client_id=client_id,
        recorded_at=min(recorded_at, now),
        submitted_at=now,
        made_at=made_at,
        due_at=slot_for(due_times, recorded_at),
        pain=values.pain,
        reported_relief_pct=values.reported_relief_pct,
        activity=(values.activity or "").strip() or None,
        note=(values.note or "").strip() or None,
        source="transcribed" if transcribed_by else "patient",
        entered_by_id=transcribed_by.id if transcribed_by else None,
    )


def _entry_by_client_id(block: Block, client_id: str) -> DiaryEntry | None:
    return db.session.execute(
        select(DiaryEntry).filter_by(block_id=block.id, client_id=client_id)
    ).scalar_one_or_none()


def correct_entry(
    entry: DiaryEntry, values: EntryInput, replaced_by: str, now: datetime | None = None
) -> bool:
    """Change an entry, keeping its old values as a revision. False when nothing changed."""
    now = now or utcnow()
    block = entry.block
    recorded_at = values.recorded_at or entry.recorded_at
    check_entry_time(block, recorded_at, now)
    new_values = {
        "recorded_at": recorded_at,
        "pain": values.pain,
        "reported_relief_pct": values.reported_relief_pct,
        "activity": (values.activity or "").strip() or None,
        "note": (values.note or "").strip() or None,
    }
    if all(getattr(entry, name) == value for name, value in new_values.items()):
        return False
    db.session.add(
        EntryRevision(
            entry_id=entry.id,
            recorded_at=entry.recorded_at,
            pain=entry.pain,
            reported_relief_pct=entry.reported_relief_pct,
            activity=entry.activity,
            note=entry.note,
            replaced_at=now,
            replaced_by=replaced_by,
        )
    )
    for name, value in new_values.items():
        setattr(entry, name, value)
    due_times = diary_schedule(block.clinic).due_times(block.performed_at, block.agent)
    entry.due_at = slot_for(due_times, entry.recorded_at)
    entry.updated_at = now
    block.changed_at = now
    record_audit("entry.correct", target=entry, actor=replaced_by, clinic_id=block.clinic_id)
    return True


# --- reading a diary ---------------------------------------------------------------


def block_facts(block: Block) -> relief.BlockFacts:
    return relief.BlockFacts(
        performed_at=block.performed_at,
        baseline_pain=block.baseline_pain,
        purpose=block.purpose,
        agent=block.agent,
        agent_label=agent_label(block),
        steroid=block.steroid,
        sedation=block.sedation,
    )


def diary_points(block: Block, entries=None) -> list[relief.DiaryPoint]:
    """The diary as the analysis reads it; ``entries`` (rows with the entries' names,
    as the export reads them) instead of the block's own if given."""
    return [_diary_point(entry) for entry in (block.entries if entries is None else entries)]


def _diary_point(entry) -> relief.DiaryPoint:
    recorded_at, submitted_at = as_utc(entry.recorded_at), as_utc(entry.submitted_at)
    return relief.DiaryPoint(
        recorded_at=recorded_at,
        pain=entry.pain,
        submitted_at=submitted_at,
        reported_relief_pct=entry.reported_relief_pct,
        entry_id=entry.id,
        edited=entry.edited,
        logged_late=submitted_at - recorded_at > LATE_LOGGING,
    )


def analyse_block(block: Block) -> relief.Analysis:
    return relief.analyse(block_facts(block), diary_points(block), analysis_settings(block.clinic))


def series_of(block: Block) -> list[Block]:
    """The patient's blocks at the same region, side and set of levels, oldest first."""
    return [
        other
        for other in block.patient.blocks
        if other.region == block.region
        and other.side == block.side
        and sorted(other.levels) == sorted(block.levels)
    ]


def analyse_series(blocks: list[Block]) -> relief.SeriesAnalysis:
    return relief.analyse_series(
        [relief.SeriesBlock(b.id, block_facts(b), diary_points(b)) for b in blocks],
        analysis_settings(blocks[0].clinic),
    )


def analysed_series(patient: Patient) -> list[tuple[list[Block], relief.SeriesAnalysis]]:
    """Each of the patient's series with its analysis, as the patient page and report show."""
    return [(blocks, analyse_series(blocks)) for blocks in patient_series(patient)]


def patient_series(patient: Patient) -> list[list[Block]]:
    """The patient's blocks grouped into series, in order of each series' first block."""
    groups: dict[tuple, list[Block]] = {}
    for block in patient.blocks:
        key = (block.region, block.side, tuple(sorted(block.levels)))
        groups.setdefault(key, []).append(block)
    return list(groups.values())


@dataclass
class BlockFilter:
    """Which of a clinic's blocks an export or list covers; None means any."""

    performed_from: datetime | None = None
    performed_before: datetime | None = None
    region: str | None = None
    agent: str | None = None
    verdict: str | None = None


def dashboard_blocks(
    clinic_id: int, search: str, archived: bool, offset: int, limit: int
) -> tuple[list[Block], bool]:
    """A page of the clinic's blocks, newest first, and whether there are more.

    ``search`` matches the start of the patient's name, of a word of it, or of the MRN.
    No count of all rows: the pager only needs to know if there is a next page.
    """
    query = (
        select(Block)
        .where(Block.archived_at.is_not(None) if archived else Block.archived_at.is_(None))
        .options(joinedload(Block.patient))
        .order_by(Block.performed_at.desc(), Block.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    if not search:
        return _page(query.where(Block.clinic_id == clinic_id), limit)
    start = search_text(search)
    # Terms from ``start`` up to ``start`` followed by the last code point: those that
    # begin with it, read off the index.
    matching = select(PatientTerm.patient_id).where(
        PatientTerm.clinic_id == clinic_id,
        PatientTerm.term >= start,
        PatientTerm.term < start + "\U0010ffff",
    )
    # "+ 0" keeps SQLite from walking the clinic's whole date index to skip a sort: the
    # few matching patients' blocks, found by patient, are far fewer.
    query = query.where(Block.patient_id.in_(matching), Block.clinic_id + 0 == clinic_id)
    return _page(query, limit)


def _page(query, limit: int) -> tuple[list[Block], bool]:
    blocks = list(db.session.execute(query).scalars())
    return blocks[:limit], len(blocks) > limit


def diary_statuses(
    blocks: list[Block], summaries: list[relief.BlockSummary], now: datetime
) -> list[str]:
    """Each block's diary status (blocks of one clinic), from its summary's entry count."""
    if not blocks:
        return []
    schedule = diary_schedule(blocks[0].clinic)
    return [
        diary_status(
            schedule.due_times(block.performed_at, block.agent),
            summary.entry_count,
            block.link_open(now),
            now,
        )
        for block, summary in zip(blocks, summaries, strict=True)
    ]


@dataclass(frozen=True)
class DiaryProgress:
    due_times: list[datetime]
    next_due_at: datetime | None
    status: str
    entry_count: int
    compliance: Compliance


def diary_progress(block: Block, now: datetime | None = None) -> DiaryProgress:
    now = now or utcnow()
    due_times = diary_schedule(block.clinic).due_times(block.performed_at, block.agent)
    count = len(block.entries)
    answers = [
        (e.due_at, e.made_at or e.submitted_at) for e in block.entries if e.source == "patient"
    ]
    return DiaryProgress(
        due_times=due_times,
        next_due_at=next_due(due_times, now),
        status=diary_status(due_times, count, block.link_open(now), now),
        entry_count=count,
        compliance=compliance(due_times, answers, now),
    )


# --- Web Push reminders --------------------------------------------------------------


def subscribe_push(block: Block, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Store (or move to this diary) a phone's push subscription."""
    subscription = db.session.execute(
        select(PushSubscription).filter_by(endpoint=endpoint)
    ).scalar_one_or_none()
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint)
        db.session.add(subscription)
    subscription.block_id, subscription.p256dh, subscription.auth = block.id, p256dh, auth
    db.session.flush()
    return subscription


def unsubscribe_push(block: Block, endpoint: str) -> bool:
    subscription = db.session.execute(
        select(PushSubscription).filter_by(endpoint=endpoint, block_id=block.id)
    ).scalar_one_or_none()
    if subscription is None:
        return False
    db.session.delete(subscription)
    return True


# --- clinics and clinicians --------------------------------------------------------


def create_clinic(name: str, timezone: str, diary_link_hours: int) -> Clinic:
    clinic = Clinic(name=name.strip(), timezone=timezone, diary_link_hours=diary_link_hours)
    db.session.add(clinic)
    db.session.flush()
    return clinic


def create_user(clinic: Clinic, email: str, name: str, password: str, role: str) -> User:
    """An account with a password chosen by whoever sets the clinic up (CLI, demo)."""
    user = User(clinic_id=clinic.id, email=email.strip().lower(), name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


# --- clinicians ----------------------------------------------------------------------

LOCKOUT_AFTER = 10
# Short on purpose: a lockout must not let anyone keep a clinician out for long.
LOCKOUT_FOR = timedelta(minutes=15)


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """The active user with these credentials, counting failures towards a short lockout."""
    now = now or utcnow()
    user = db.session.execute(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or not user.active:
        record_audit("login.failed", actor="anonymous", detail={"known_account": False})
        return None
    if user.locked_until is not None and user.locked_until > now:
        record_audit("login.locked", target=user, actor="anonymous", clinic_id=user.clinic_id)
        return None
    if not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= LOCKOUT_AFTER:
            user.locked_until, user.failed_logins = now + LOCKOUT_FOR, 0
        record_audit(
            "login.failed",
            target=user,
            actor="anonymous",
            clinic_id=user.clinic_id,
            detail={"known_account": True},
        )
        return None
    user.failed_logins, user.locked_until = 0, None
    record_audit("login", by=user, target=user)
    return user


class PasswordRejected(ValueError):
    pass


def set_password(user: User, password: str) -> None:
    """Set a password that meets the policy; every other session of the user ends."""
    problem = password_problem(password, user.email, user.name)
    if problem:
        raise PasswordRejected(problem)
    user.set_password(password)
    user.session_version += 1


def create_clinician(
    clinic: Clinic, email: str, name: str, role: str, by: User
) -> tuple[User, str]:
    """An account made by the clinic admin, with a one-time password to hand over."""
    email = email.strip().lower()
    if db.session.execute(select(User).filter_by(email=email)).scalar_one_or_none():
        raise PasswordRejected("An account with this email already exists.")
    user = User(clinic_id=clinic.id, email=email, name=name.strip(), role=role)
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_audit("user.create", by=by, target=user, detail={"role": role})
    return user, password


def sign_out_everywhere(user: User, by: User) -> None:
    """End every sign-in of ``user`` on every host (the caller commits)."""
    from diary.login_sessions import end_all

    user.session_version += 1
    end_all(user)
    record_audit("user.sign_out_everywhere", by=by, target=user)


# --- API tokens --------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new clinic token; the plain value is returned once and never stored."""
    plain = "bd_" + secrets.token_urlsafe(32)
    token = ApiToken(
        clinic_id=user.clinic_id,
        user_id=user.id,
        name=name.strip()[:100],
        token_hash=hash_token(plain),
        prefix=plain[:10],
    )
    db.session.add(token)
    db.session.flush()
    record_audit("token.create", by=user, target=token)
    return token, plain


# "Last used" on the tokens page is kept to the minute: no write on every API call.
TOKEN_USE_PRECISION = timedelta(minutes=1)


def user_for_token(plain: str, now: datetime | None = None) -> User | None:
    """The user behind a valid, unrevoked token (the token also marks its last use)."""
    token = db.session.execute(
        select(ApiToken).filter_by(token_hash=hash_token(plain))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_PRECISION:
        token.last_used_at = now  # the caller commits (the API does, before the view runs)
    return token.user


def revoke_api_token(token: ApiToken, by: User, now: datetime | None = None) -> None:
    token.revoked_at = now or utcnow()
    record_audit("token.revoke", by=by, target=token)


# --- audit -------------------------------------------------------------------------


def record_audit(
    action: str,
    by: User | None = None,
    target: object | None = None,
    actor: str | None = None,
    clinic_id: int | None = None,
    detail: dict | None = None,
    remote_addr: str | None = None,
) -> None:
    """Add an audit row. Holds ids and counts only, never a patient's fields."""
    if remote_addr is None:
        remote_addr = _request_address()
    db.session.add(
        AuditEvent(
            clinic_id=clinic_id or (by.clinic_id if by else getattr(target, "clinic_id", None)),
            user_id=by.id if by else None,
            actor=actor or (f"user:{by.id}" if by else "system"),
            action=action,
            target_type=type(target).__name__.lower() if target is not None else None,
            target_id=getattr(target, "id", None),
            detail=detail,
            remote_addr=remote_addr,
        )
    )


def _request_address() -> str | None:
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None
