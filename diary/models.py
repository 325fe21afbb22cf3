"""Database tables. Times are stored in UTC and always come back timezone-aware."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from diary.extensions import Base, db
from diary.pathway.values import Technique
from diary.vocabulary import (
    Agent,
    EntrySource,
    Language,
    Purpose,
    Region,
    Role,
    Scoring,
    Sedation,
    Sequence,
    Side,
)

# Type checkers cannot follow a base class made at run time (Model); they read the
# declarative base it is made from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC, also on SQLite (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a timezone-aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else read_as_utc(value)


def read_as_utc(value: datetime) -> datetime:
    """A time as the database gives it (naive UTC on SQLite), made aware in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_as_value(enum: type[StrEnum], length: int = 20) -> Enum:
    """A column holding one of ``enum``'s values as plain text, read back as the member.

    No database enum type and no CHECK constraint: a new value needs no migration. The
    type refuses a value outside the enum before it reaches the database.
    """
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def new_diary_token() -> str:
    # 32 bytes = 256 bits, URL-safe: unguessable and fine in a QR code.
    return secrets.token_urlsafe(32)


class Clinic(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    threshold_pct: Mapped[float] = mapped_column(Float, default=80.0)
    min_baseline_pain: Mapped[int] = mapped_column(Integer, default=4)
    min_entries_in_window: Mapped[int] = mapped_column(Integer, default=3)
    diary_link_hours: Mapped[int] = mapped_column(Integer, default=48)
    # After the hourly window, one score a day for this many days (pathway.md §2; 0: none).
    daily_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    # A diary takes no more entries than this: enough for hourly scores over days, and a
    # bound on what one link can make the clinic's pages read.
    max_entries_per_diary: Mapped[int] = mapped_column(Integer, default=200, server_default="200")
    # Corrections kept per entry and per diary: a patient fixes a slip once or twice; a
    # bound on the history one link can make the block page and the report carry.
    max_corrections_per_entry: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    max_corrections_per_diary: Mapped[int] = mapped_column(
        Integer, default=100, server_default="100"
    )
    # Language of the patient pages when the phone's language is not offered.
    language: Mapped[Language] = mapped_column(
        stored_as_value(Language, length=8), default=Language.ENGLISH, server_default="en"
    )
    # {"en": ["...", ...], "es": [...]}: the clinic's own instructions, if it wrote any.
    instructions: Mapped[dict | None] = mapped_column(JSON, default=None)
    # How patients reach the clinic ("Spine Center · 555-0100, 8am–6pm"), on every diary.
    contact_line: Mapped[str | None] = mapped_column(String(200))
    # {"en": "...", "es": "..."}: what to do about warning signs; the standard text if unset.
    safety_text: Mapped[dict | None] = mapped_column(JSON, default=None)
    # The identifier system of the clinic's MRNs in FHIR exports (its EHR's URI or OID).
    mrn_system: Mapped[str | None] = mapped_column(String(200))
    # {"early_minutes": [15, 30], "hourly_until_h": 8, "long_acting_until_h": 12}
    schedule: Mapped[dict | None] = mapped_column(JSON, default=None)
    # {"lidocaine": {"minimum_h": 0.5, "maximum_h": 3}, ...}: overrides of the defaults
    agent_windows: Mapped[dict | None] = mapped_column(JSON, default=None)
    # Follow-up check-ins (pathway.md §3): months after an ablation and after a
    # therapeutic block, and each check-in's window around its due date, in days.
    rfa_checkin_months: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [1, 3, 6, 12], server_default="[1, 3, 6, 12]"
    )
    therapeutic_checkin_months: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [1, 3], server_default="[1, 3]"
    )
    checkin_opens_days_before: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    checkin_closes_days_after: Mapped[int] = mapped_column(Integer, default=21, server_default="21")
    # Every clinician must sign in with a code from an authenticator app as well.
    require_two_factor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The payer's frequency limits (pathway.md §4): sessions per region group in a rolling
    # 12 months. Defaults: diary/pathway/values.py (PathwaySettings).
    diagnostic_sessions_limit: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    therapeutic_sessions_limit: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    rfa_sessions_limit: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # Repeat the diagnostic blocks when the last ablation is older than this (a
    # contractors' checklist, not the coverage text: a clinic may switch it off).
    stale_rfa_rule: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    stale_rfa_years: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="clinic")


# One hash of a random password per hashing method: what a sign-in with no account checks.
_STAND_IN_HASHES: dict[str, str] = {}
# scrypt at OWASP's password-storage minimum (N=2^13, r=8, p=10: 8 MiB, about 180 ms of
# CPU here). Werkzeug's own default, N=2^15 with p=1, is below that minimum and takes
# 32 MiB a check. Hashes made with other parameters still verify (they carry their own).
PASSWORD_HASH_METHOD = "scrypt:8192:8:10"  # noqa: S105 (a method, not a password)


class User(UserMixin, Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(stored_as_value(Role), default=Role.CLINICIAN)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the password is one an admin handed over: changed at the first sign-in.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Part of every session's id: raising it signs the user out everywhere.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The authenticator app's shared secret (base32), while two-factor sign-in is on.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last time step whose code signed in: a code is good once, not for its 30 s.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    clinic: Mapped[Clinic] = relationship(back_populates="users")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", PASSWORD_HASH_METHOD)
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def check_no_password(password: str) -> None:
        """The same hash work as check_password, for a sign-in with no account to check,
        so the time taken does not tell which emails have accounts."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", PASSWORD_HASH_METHOD)
        if method not in _STAND_IN_HASHES:
            _STAND_IN_HASHES[method] = generate_password_hash(secrets.token_hex(16), method)
        check_password_hash(_STAND_IN_HASHES[method], password)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        """May change the clinic's settings, clinicians and API tokens."""
        return self.role == Role.ADMIN


class LoginSession(Model):
    """One sign-in of a clinician: the server-side half of the session cookie.

    The cookie holds a random key; this row (its hash) is what makes the cookie worth
    anything, on every host. Signing out deletes it, so a copy of the cookie is refused.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What this sign-in keeps between pages, here rather than in the cookie (signed, not
    # encrypted: whoever holds it reads it): the dashboard's search term (a name or
    # MRN), and a two-factor secret shown as a QR code and not yet confirmed.
    dashboard_search: Mapped[str | None] = mapped_column(String(100))
    pending_totp_secret: Mapped[str | None] = mapped_column(String(64))


class RecoveryCode(Model):
    """A single-use code that stands in for the authenticator app (a lost phone);
    only its hash is kept, and the clinician sees the codes once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Patient(Model):
    # An MRN names one patient of a clinic whatever its case ("demo-001" is "DEMO-001");
    # patients without one are not compared. Services store it without surrounding spaces.
    __table_args__ = (
        Index("ix_patient_clinic_mrn_folded", "clinic_id", text("lower(mrn)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(100))
    mrn: Mapped[str | None] = mapped_column(String(64))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    clinic: Mapped[Clinic] = relationship()
    blocks: Mapped[list[Block]] = relationship(
        back_populates="patient", order_by="Block.performed_at"
    )


class PatientTerm(Model):
    """A word a patient is found by on the dashboard (lowercased): the whole name, each
    word of it, the MRN. Searching matches the start of a term through the index."""

    __table_args__ = (Index("ix_patient_term_clinic_term", "clinic_id", "term"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    # Byte order on PostgreSQL too, so that a range of terms is a range of prefixes.
    term: Mapped[str] = mapped_column(
        String(100).with_variant(String(100, collation="C"), "postgresql")
    )


# The blocks of ix_block_may_call_for_action besides the flag (a query names the purpose
# as a literal, not a parameter, for SQLite to see that the index holds its rows).
DIAGNOSTIC_IN_SERIES = "purpose = 'diagnostic' AND archived_at IS NULL"


class Block(Model):
    """One medial branch block procedure and its diary link."""

    # The dashboard lists a clinic's blocks newest first; exports filter by date.
    __table_args__ = (
        Index("ix_block_clinic_performed", "clinic_id", "performed_at"),
        # The worklist's finished diaries not yet reviewed: only those blocks are indexed,
        # with both ends of a link (counted from the index alone, on every clinic page).
        Index(
            "ix_block_unreviewed",
            "clinic_id",
            "link_expires_at",
            "link_revoked_at",
            sqlite_where=text("reviewed_at IS NULL AND archived_at IS NULL"),
            postgresql_where=text("reviewed_at IS NULL AND archived_at IS NULL"),
        ),
        # The same blocks by their link's closing: finished diaries whose link was closed
        # early are read off it without walking the clinic's diaries still open.
        Index(
            "ix_block_unreviewed_revoked",
            "clinic_id",
            "link_revoked_at",
            "link_expires_at",
            sqlite_where=text("reviewed_at IS NULL AND archived_at IS NULL"),
            postgresql_where=text("reviewed_at IS NULL AND archived_at IS NULL"),
        ),
        # The worklist's overdue check-ins: therapeutic blocks followed up, read on every
        # clinic page (the navigation's count) without walking the clinic's other blocks.
        Index(
            "ix_block_followed",
            "clinic_id",
            "followup_expires_at",
            sqlite_where=text("followup_token IS NOT NULL AND archived_at IS NULL"),
            postgresql_where=text("followup_token IS NOT NULL AND archived_at IS NULL"),
        ),
        # The worklist's next steps: only the diagnostic blocks that may call for action
        # are indexed, newest first, so a page reads those and not the clinic's others.
        # The purpose is a column too: equal in the query, it makes SQLite (without
        # statistics) prefer this index to ix_block_clinic_performed, which would walk
        # every block of the clinic.
        Index(
            "ix_block_may_call_for_action",
            "clinic_id",
            "purpose",
            "performed_at",
            sqlite_where=text(f"may_call_for_action = 1 AND {DIAGNOSTIC_IN_SERIES}"),
            postgresql_where=text(f"may_call_for_action AND {DIAGNOSTIC_IN_SERIES}"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    region: Mapped[Region] = mapped_column(stored_as_value(Region))
    levels: Mapped[list[str]] = mapped_column(JSON)
    side: Mapped[Side] = mapped_column(stored_as_value(Side))
    purpose: Mapped[Purpose] = mapped_column(stored_as_value(Purpose))
    sequence: Mapped[Sequence] = mapped_column(stored_as_value(Sequence))
    agent: Mapped[Agent] = mapped_column(stored_as_value(Agent))
    concentration: Mapped[str | None] = mapped_column(String(10))
    agent_other: Mapped[str | None] = mapped_column(String(100))
    volume_ml_per_level: Mapped[float] = mapped_column(Float)
    steroid: Mapped[bool] = mapped_column(Boolean, default=False)
    sedation: Mapped[Sedation] = mapped_column(stored_as_value(Sedation), default=Sedation.NONE)
    # The one baseline; None when a bilateral block is scored left and right apart, which
    # then has a baseline per side (docs/pathway-rules.md, "Left and right").
    baseline_pain: Mapped[int | None] = mapped_column(Integer)
    # "one" (one pain), or "sides" (a bilateral block scored left and right apart).
    scoring: Mapped[Scoring] = mapped_column(
        stored_as_value(Scoring, length=8), default=Scoring.ONE, server_default="one"
    )
    baseline_pain_left: Mapped[int | None] = mapped_column(Integer)
    baseline_pain_right: Mapped[int | None] = mapped_column(Integer)
    activities: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The daily scores this block's diary asks for (the clinic's setting when it was
    # recorded): a later change of the setting leaves its schedule and link as they are.
    daily_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    diary_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_diary_token)
    link_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    link_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Archived blocks leave the worklists; nothing is deleted.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped whenever the block or its diary changes: the chart cache key and ETag.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # relief.BlockSummary of the diary as of ``summary_key`` (changed_at and the clinic's
    # analysis settings): lists and exports read it instead of analysing every diary.
    summary: Mapped[dict | None] = mapped_column(JSON)
    summary_key: Mapped[str | None] = mapped_column(String(100))
    # A clinician reviewed the finished diary (the worklist's second group, pathway.md §5).
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # A therapeutic block's follow-up link (check-ins at 1 and 3 months): its own token,
    # made when the block is therapeutic; NULL for a diagnostic block.
    followup_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    followup_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followup_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whether this diagnostic block may bring its patient onto the worklist's next steps:
    # False only once the worklist found, by its summary as of ``changed_at``, that relief
    # did not hold at 50 % for its agent's shortest sustained response (every next step
    # calling for action needs a block that did). Any change of the block sets it again
    # (``changed_at``'s listener below, and the entry post's UPDATE); so does a change of
    # the clinic's analysis settings.
    may_call_for_action: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    patient: Mapped[Patient] = relationship(back_populates="blocks")
    clinic: Mapped[Clinic] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys="Block.created_by_id")
    entries: Mapped[list[DiaryEntry]] = relationship(
        back_populates="block", order_by="DiaryEntry.recorded_at"
    )

    @property
    def scored_apart(self) -> bool:
        """Scored left and right apart: a baseline and a score per side."""
        return self.side == Side.BILATERAL and self.scoring == Scoring.SIDES

    def link_open(self, now: datetime) -> bool:
        return (
            self.link_revoked_at is None and self.archived_at is None and now < self.link_expires_at
        )


@dataclass(frozen=True)
class PostedDiaryClinic:
    """What an entry post reads of the diary's clinic (PostedDiary.clinic)."""

    timezone: str
    schedule: dict | None
    max_entries_per_diary: int


@dataclass(frozen=True)
class PostedDiary:
    """A block as the patient's entry post reads it: the columns of the block and of its
    clinic that storing an entry and answering it use, read as one plain row. Loading a
    Block and its Clinic (65 columns) through the ORM cost more than the statement, on the
    busiest write. Its rules are Block's own."""

    id: int
    clinic_id: int
    performed_at: datetime
    side: Side
    scoring: Scoring
    agent: Agent
    daily_days: int
    baseline_pain: int | None
    baseline_pain_left: int | None
    baseline_pain_right: int | None
    link_expires_at: datetime
    link_revoked_at: datetime | None
    archived_at: datetime | None
    clinic: PostedDiaryClinic

    @property
    def scored_apart(self) -> bool:
        return Block.scored_apart.fget(self)  # type: ignore[attr-defined]

    def link_open(self, now: datetime) -> bool:
        return Block.link_open(self, now)  # type: ignore[arg-type]


@event.listens_for(Block.changed_at, "set")
def _may_call_for_action_again(block: Block, value, old, initiator) -> None:
    """A block changed may call for action again: the worklist reads it afresh."""
    block.may_call_for_action = True


class DiaryEntry(Model):
    """A pain score the patient (or staff, from a paper diary) recorded."""

    __table_args__ = (
        UniqueConstraint("block_id", "client_id"),
        # A block's entries are always read in time order.
        Index("ix_diary_entry_block_recorded", "block_id", "recorded_at"),
        # The dashboard flags blocks with side effects: only those entries are indexed.
        Index(
            "ix_diary_entry_side_effects",
            "block_id",
            sqlite_where=text("side_effects IS NOT NULL"),
            postgresql_where=text("side_effects IS NOT NULL"),
        ),
        # The worklist's side effects not yet acknowledged.
        Index(
            "ix_diary_entry_side_effects_unacknowledged",
            "block_id",
            sqlite_where=text("side_effects IS NOT NULL AND side_effects_acknowledged_at IS NULL"),
            postgresql_where=text(
                "side_effects IS NOT NULL AND side_effects_acknowledged_at IS NULL"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), index=True)
    # Chosen by the submitting page, so a retried or double-tapped post is stored once.
    client_id: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the patient tapped Save (differs from submitted_at when sent later from offline).
    made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The schedule slot this entry answers.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which kind of slot ``due_at`` is: "hourly" (the hours after the block) or "daily".
    slot: Mapped[str] = mapped_column(String(10), default="hourly", server_default="hourly")
    # The one score; None when the block is scored left and right apart.
    pain: Mapped[int | None] = mapped_column(Integer)
    pain_left: Mapped[int | None] = mapped_column(Integer)
    pain_right: Mapped[int | None] = mapped_column(Integer)
    reported_relief_pct: Mapped[int | None] = mapped_column(Integer)
    activity: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # What the patient ticked (SideEffect values), NULL when nothing: staff look at these.
    side_effects: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    side_effect_note: Mapped[str | None] = mapped_column(String(500))
    # A clinician acknowledged the side effects reported (the worklist's first group).
    side_effects_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    side_effects_acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "patient" from the diary link, or "transcribed" by staff from a paper diary.
    source: Mapped[EntrySource] = mapped_column(
        stored_as_value(EntrySource), default=EntrySource.PATIENT, server_default="patient"
    )
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    block: Mapped[Block] = relationship(back_populates="entries")
    revisions: Mapped[list[EntryRevision]] = relationship(
        back_populates="entry", order_by="EntryRevision.id"
    )

    @property
    def edited(self) -> bool:
        return self.updated_at is not None


class EntryRevision(Model):
    """The values an entry had before a correction."""

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("diary_entry.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pain: Mapped[int | None] = mapped_column(Integer)
    pain_left: Mapped[int | None] = mapped_column(Integer)
    pain_right: Mapped[int | None] = mapped_column(Integer)
    reported_relief_pct: Mapped[int | None] = mapped_column(Integer)
    activity: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    replaced_by: Mapped[str] = mapped_column(String(40))

    entry: Mapped[DiaryEntry] = relationship(back_populates="revisions")


class Ablation(Model):
    """A radiofrequency procedure (conventional or cooled ablation, or pulsed RF) and its
    follow-up link. Edits keep their history in the audit log ("ablation.update" with the
    old values), as a block's do."""

    __table_args__ = (Index("ix_ablation_clinic_performed", "clinic_id", "performed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    performed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    region: Mapped[Region] = mapped_column(stored_as_value(Region))
    levels: Mapped[list[str]] = mapped_column(JSON)
    side: Mapped[Side] = mapped_column(stored_as_value(Side))
    technique: Mapped[Technique] = mapped_column(stored_as_value(Technique))
    # "one" pain, or "sides": a bilateral ablation scored left and right apart, which then
    # has baseline_pain_left/right instead of baseline_pain.
    scoring: Mapped[Scoring] = mapped_column(
        stored_as_value(Scoring), default=Scoring.ONE, server_default="one"
    )
    baseline_pain: Mapped[int | None] = mapped_column(Integer)
    baseline_pain_left: Mapped[int | None] = mapped_column(Integer)
    baseline_pain_right: Mapped[int | None] = mapped_column(Integer)
    # The earlier ablation at that site this one repeats, if any.
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("ablation.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    followup_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_diary_token)
    link_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    link_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    patient: Mapped[Patient] = relationship()
    clinic: Mapped[Clinic] = relationship()
    created_by: Mapped[User | None] = relationship()
    repeat_of: Mapped[Ablation | None] = relationship(remote_side="Ablation.id")
    checkins: Mapped[list[Checkin]] = relationship(back_populates="ablation", order_by="Checkin.id")

    def link_open(self, now: datetime) -> bool:
        return (
            self.link_revoked_at is None and self.archived_at is None and now < self.link_expires_at
        )


class Checkin(Model):
    """A follow-up check-in of an ablation or of a therapeutic block (exactly one of
    ablation_id, block_id). Every submission is kept: of a check-in made twice (the same
    ``months``, or two unscheduled ones on one day) the later one counts and the earlier
    is superseded (diary.pathway.counted_checkins decides)."""

    __table_args__ = (
        CheckConstraint("(ablation_id IS NULL) <> (block_id IS NULL)", name="one_procedure"),
        # Chosen by the submitting page, so a retried or double-tapped post is stored once.
        UniqueConstraint("ablation_id", "client_id"),
        UniqueConstraint("block_id", "client_id"),
        Index("ix_checkin_clinic_made", "clinic_id", "made_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"))
    ablation_id: Mapped[int | None] = mapped_column(ForeignKey("ablation.id"), index=True)
    block_id: Mapped[int | None] = mapped_column(ForeignKey("block.id"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    # The scheduled check-in it answers (1, 3, 6, 12 months); NULL: unscheduled (staff).
    months: Mapped[int | None] = mapped_column(Integer)
    # The day it was made in the clinic's zone (an unscheduled one is dated by it).
    made_on: Mapped[date] = mapped_column(Date)
    # When the patient tapped Save (differs from submitted_at when sent later from offline).
    made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Average pain over the past week, 0–10: ``pain`` scored as one, else per side.
    pain: Mapped[int | None] = mapped_column(Integer)
    pain_left: Mapped[int | None] = mapped_column(Integer)
    pain_right: Mapped[int | None] = mapped_column(Integer)
    reported_relief_pct: Mapped[int | None] = mapped_column(Integer)
    # Patient Global Impression of Change, 1 (very much better) – 7 (very much worse).
    pgic: Mapped[int | None] = mapped_column(Integer)
    # A new procedure or new regular pain medicine since the procedure.
    new_treatment: Mapped[bool | None] = mapped_column(Boolean)
    # "patient" from the follow-up link, or "transcribed" by staff (a call, a visit).
    source: Mapped[EntrySource] = mapped_column(
        stored_as_value(EntrySource), default=EntrySource.PATIENT, server_default="patient"
    )
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    ablation: Mapped[Ablation | None] = relationship(back_populates="checkins")
    block: Mapped[Block | None] = relationship()
    entered_by: Mapped[User | None] = relationship()

    @property
    def unscheduled(self) -> bool:
        return self.months is None

    @property
    def transcribed(self) -> bool:
        return self.source == EntrySource.TRANSCRIBED


class PushSubscription(Model):
    """A phone's Web Push subscription for a diary's reminders."""

    id: Mapped[int] = mapped_column(primary_key=True)
    block_id: Mapped[int] = mapped_column(ForeignKey("block.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The latest due time a reminder was sent for.
    reminded_through: Mapped[datetime | None] = mapped_column(UTCDateTime)

    block: Mapped[Block] = relationship()


class FollowUpSubscription(Model):
    """A phone's Web Push subscription for a follow-up's check-in reminders (of an
    ablation, or of a therapeutic block: exactly one of ablation_id, block_id)."""

    __table_args__ = (
        CheckConstraint("(ablation_id IS NULL) <> (block_id IS NULL)", name="one_procedure"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ablation_id: Mapped[int | None] = mapped_column(ForeignKey("ablation.id"), index=True)
    block_id: Mapped[int | None] = mapped_column(ForeignKey("block.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The latest check-in due time a reminder was sent for.
    reminded_through: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(Model):
    """A clinic's bearer token for the JSON API. Only its SHA-256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def usable(self, now: datetime) -> bool:
        expired = self.expires_at is not None and self.expires_at <= now
        return self.revoked_at is None and not expired and self.user.active


class AuditEvent(Model):
    """Who saw, changed or exported what, and when. Holds ids, never patient fields."""

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict | None] = mapped_column(JSON)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
