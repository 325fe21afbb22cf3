"""A clinic's settings: the analysis thresholds, the diary schedule, the agents'
windows, the patient pages' language and instructions. Every door (form, API, CLI)
stores them through ``update_clinic_settings``, which checks every range."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update

from diary import relief
from diary.agents import windows_from_settings
from diary.extensions import db
from diary.models import Block, Clinic, PostedDiary, PostedDiaryClinic, User
from diary.pathway import PathwaySettings
from diary.pathway.days import daily_slots, diary_due_times
from diary.pathway.values import MAX_DAILY_DAYS
from diary.schedule import DiarySchedule
from diary.services.audit import record_audit
from diary.services.rejections import InputRejected
from diary.vocabulary import Language

# The thresholds criteria the verdict may use (docs/verdict-rules.md): 80% (Medicare
# LCD, Spine Intervention Society) or 50% (2020 multisociety consensus).
THRESHOLDS = (80, 50)
# Each setting's range, (lowest, highest), checked here for every door and offered by
# the form and the API from this table.
SETTING_LIMITS: dict[str, tuple[int, int]] = {
    "min_baseline_pain": (0, 10),
    "min_entries_in_window": (1, 24),
    "diary_link_hours": (1, 24 * 14),
    "max_entries_per_diary": (24, 1000),
    "max_corrections_per_entry": (1, 50),
    "max_corrections_per_diary": (10, 1000),
    "hourly_until_h": (1, 48),
    "long_acting_until_h": (1, 48),
    "daily_days": (0, MAX_DAILY_DAYS),
    # The payer's frequency limits (pathway.md §4); 0: the clinic allows none.
    "diagnostic_sessions_limit": (0, 12),
    "therapeutic_sessions_limit": (0, 12),
    "rfa_sessions_limit": (0, 12),
    "stale_rfa_years": (1, 10),
}
# The pathway's settings this module stores (the rest keep PathwaySettings' defaults).
PATHWAY_LIMITS = (
    "diagnostic_sessions_limit",
    "therapeutic_sessions_limit",
    "rfa_sessions_limit",
    "stale_rfa_years",
)
EARLY_MINUTES = (1, 59)
WINDOW_HOURS = (0, 72)


def analysis_settings(clinic: Clinic) -> relief.AnalysisSettings:
    return relief.AnalysisSettings(
        threshold_pct=clinic.threshold_pct,
        min_baseline_pain=clinic.min_baseline_pain,
        min_entries_in_window=clinic.min_entries_in_window,
        agent_windows=windows_from_settings(clinic.agent_windows),
    )


def pathway_settings(clinic: Clinic) -> PathwaySettings:
    """The clinic's settings of pathway.md: the check-in months and windows (§3), the
    limits and the switch of §4 (the rest at their defaults)."""
    return PathwaySettings(
        rfa_checkin_months=tuple(clinic.rfa_checkin_months or (1, 3, 6, 12)),
        therapeutic_checkin_months=tuple(clinic.therapeutic_checkin_months or (1, 3)),
        checkin_opens_days_before=clinic.checkin_opens_days_before,
        checkin_closes_days_after=clinic.checkin_closes_days_after,
        diagnostic_sessions_limit=clinic.diagnostic_sessions_limit,
        therapeutic_sessions_limit=clinic.therapeutic_sessions_limit,
        rfa_sessions_limit=clinic.rfa_sessions_limit,
        stale_rfa_rule=clinic.stale_rfa_rule,
        stale_rfa_years=clinic.stale_rfa_years,
    )


def diary_schedule(clinic: Clinic | PostedDiaryClinic) -> DiarySchedule:
    return DiarySchedule.from_settings(clinic.schedule)


def block_due_times(block: Block | PostedDiary) -> list[datetime]:
    """When the block's diary asks for a score, by its clinic's schedule and its agent:
    the hourly window, then the block's daily slots (pathway.md §2)."""
    return schedule_due_times(block, diary_schedule(block.clinic), block.clinic.timezone)


def schedule_due_times(block, schedule: DiarySchedule, timezone: str) -> list[datetime]:
    """``block_due_times`` of a Block or a row read like one (performed_at, agent,
    daily_days), with the clinic's schedule and zone given: the one rule every page,
    export and reminder reads a diary's due times by."""
    return list(
        _due_times(block.performed_at, block.agent, block.daily_days or 0, schedule, timezone)
    )


# The last of schedule.due_times, without making them all: an export asks it per block.
@lru_cache(maxsize=64)
def _last_offset(schedule: DiarySchedule, agent: str) -> int:
    return schedule.offsets_minutes(agent)[-1]


def last_due_time(block, schedule: DiarySchedule, timezone: str) -> datetime:
    """The diary's last due time (what its status reads), without working out the others:
    the last daily slot, or the hourly window's end without daily scores."""
    hourly_end = block.performed_at + timedelta(minutes=_last_offset(schedule, block.agent))
    days = block.daily_days or 0
    if days:
        return max(hourly_end, daily_slots_after(block.performed_at, timezone, days)[-1])
    return hourly_end


def block_daily_slots(block: Block | PostedDiary) -> list[datetime]:
    """The block's daily slots (UTC), day 1 first; empty when it asks for none."""
    return list(daily_slots_after(block.performed_at, block.clinic.timezone, block.daily_days or 0))


# A diary's due times are read on every page of it, its status on every dashboard row:
# the same few blocks again and again, so their schedules are kept (they are values).
# DUE_TIMES_KEPT blocks a worker: a diary's times are about 0.6 KB kept, so the 4,096 kept
# before held about 2.5 MB once a worker had shown that many diaries.
DUE_TIMES_KEPT = 1024


@lru_cache(maxsize=DUE_TIMES_KEPT)
def daily_slots_after(performed_at: datetime, timezone: str, days: int) -> tuple[datetime, ...]:
    return tuple(daily_slots(performed_at, ZoneInfo(timezone), days))


@lru_cache(maxsize=DUE_TIMES_KEPT)
def _due_times(
    performed_at: datetime, agent: str, days: int, schedule: DiarySchedule, timezone: str
) -> tuple[datetime, ...]:
    return tuple(diary_due_times(performed_at, agent, ZoneInfo(timezone), days, schedule))


@dataclass
class ClinicSettings:
    """What a clinic may change; ``agent_windows`` maps agent -> {minimum_h, maximum_h}."""

    threshold_pct: float
    min_baseline_pain: int
    min_entries_in_window: int
    diary_link_hours: int
    schedule: DiarySchedule
    agent_windows: dict[str, dict[str, float]]
    max_entries_per_diary: int = 200
    max_corrections_per_entry: int = 10
    max_corrections_per_diary: int = 100
    # One score a day for this many days after the hourly window (0–28; 0: none).
    daily_days: int = 14
    language: str = "en"
    instructions: dict[str, list[str]] = field(default_factory=dict)
    require_two_factor: bool = False
    contact_line: str | None = None
    safety_text: dict[str, str] = field(default_factory=dict)
    mrn_system: str | None = None
    # Which wall clock the clinic's times are read and shown in (an IANA name); None keeps it.
    timezone: str | None = None
    # The next step's limits and switch (pathway.md §4), defaults as PathwaySettings'.
    diagnostic_sessions_limit: int = PathwaySettings.diagnostic_sessions_limit
    therapeutic_sessions_limit: int = PathwaySettings.therapeutic_sessions_limit
    rfa_sessions_limit: int = PathwaySettings.rfa_sessions_limit
    stale_rfa_rule: bool = PathwaySettings.stale_rfa_rule
    stale_rfa_years: int = PathwaySettings.stale_rfa_years


def clinic_settings(clinic: Clinic) -> ClinicSettings:
    return ClinicSettings(
        threshold_pct=clinic.threshold_pct,
        min_baseline_pain=clinic.min_baseline_pain,
        min_entries_in_window=clinic.min_entries_in_window,
        diary_link_hours=clinic.diary_link_hours,
        max_entries_per_diary=clinic.max_entries_per_diary,
        max_corrections_per_entry=clinic.max_corrections_per_entry,
        max_corrections_per_diary=clinic.max_corrections_per_diary,
        daily_days=clinic.daily_days,
        schedule=diary_schedule(clinic),
        agent_windows={
            agent: {"minimum_h": w.minimum_h, "maximum_h": w.maximum_h}
            for agent, w in windows_from_settings(clinic.agent_windows).items()
        },
        language=clinic.language,
        instructions=dict(clinic.instructions or {}),
        require_two_factor=clinic.require_two_factor,
        contact_line=clinic.contact_line,
        safety_text=dict(clinic.safety_text or {}),
        mrn_system=clinic.mrn_system,
        timezone=clinic.timezone,
        diagnostic_sessions_limit=clinic.diagnostic_sessions_limit,
        therapeutic_sessions_limit=clinic.therapeutic_sessions_limit,
        rfa_sessions_limit=clinic.rfa_sessions_limit,
        stale_rfa_rule=clinic.stale_rfa_rule,
        stale_rfa_years=clinic.stale_rfa_years,
    )


def known_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def update_clinic_settings(clinic: Clinic, values: ClinicSettings, by: User) -> None:
    """Store new settings; raises InputRejected naming the first inconsistent value."""
    if values.threshold_pct not in THRESHOLDS:
        raise InputRejected("threshold_pct", "The threshold is 80% or 50%.")
    schedule = values.schedule
    numbers = {
        "min_baseline_pain": values.min_baseline_pain,
        "min_entries_in_window": values.min_entries_in_window,
        "diary_link_hours": values.diary_link_hours,
        "max_entries_per_diary": values.max_entries_per_diary,
        "max_corrections_per_entry": values.max_corrections_per_entry,
        "max_corrections_per_diary": values.max_corrections_per_diary,
        "hourly_until_h": schedule.hourly_until_h,
        "long_acting_until_h": schedule.long_acting_until_h,
        "daily_days": values.daily_days,
    } | {name: getattr(values, name) for name in PATHWAY_LIMITS}
    for name, value in numbers.items():
        low, high = SETTING_LIMITS[name]
        if not low <= value <= high:
            raise InputRejected(name, f"Between {low} and {high}.")
    if values.max_corrections_per_entry > values.max_corrections_per_diary:
        raise InputRejected(
            "max_corrections_per_entry",
            "One entry cannot take more corrections than its whole diary.",
        )
    mrn_system = (values.mrn_system or "").strip()
    if mrn_system and not mrn_system.startswith(("http://", "https://", "urn:oid:", "urn:uuid:")):
        raise InputRejected(
            "mrn_system", "An identifier system is a URI: https://…, urn:oid:… or urn:uuid:…"
        )
    if values.timezone is not None and not known_timezone(values.timezone):
        raise InputRejected("timezone", "Choose a time zone from the list (e.g. America/Chicago).")
    if not all(EARLY_MINUTES[0] <= m <= EARLY_MINUTES[1] for m in schedule.early_minutes):
        raise InputRejected("early_minutes", "Early due times are between 1 and 59 minutes.")
    for agent, window in values.agent_windows.items():
        for bound in ("minimum_h", "maximum_h"):
            if not WINDOW_HOURS[0] <= window[bound] <= WINDOW_HOURS[1]:
                raise InputRejected(f"{agent}_{bound}", "Between 0 and 72 hours.")
        if window["minimum_h"] > window["maximum_h"]:
            raise InputRejected(
                f"{agent}_minimum_h",
                f"For {agent}, the shortest sustained response cannot exceed the maximum.",
            )
    analysed_by = analysis_settings(clinic)
    clinic.threshold_pct = values.threshold_pct
    clinic.min_baseline_pain = values.min_baseline_pain
    clinic.min_entries_in_window = values.min_entries_in_window
    clinic.diary_link_hours = values.diary_link_hours
    clinic.max_entries_per_diary = values.max_entries_per_diary
    clinic.max_corrections_per_entry = values.max_corrections_per_entry
    clinic.max_corrections_per_diary = values.max_corrections_per_diary
    # New blocks take it; a recorded block keeps the daily slots it was given.
    clinic.daily_days = values.daily_days
    clinic.schedule = values.schedule.to_settings()
    clinic.agent_windows = values.agent_windows
    clinic.language = Language(values.language)
    clinic.instructions = values.instructions or None
    clinic.require_two_factor = bool(values.require_two_factor)
    for name in PATHWAY_LIMITS:
        setattr(clinic, name, getattr(values, name))
    clinic.stale_rfa_rule = bool(values.stale_rfa_rule)
    clinic.contact_line = (values.contact_line or "").strip() or None
    clinic.mrn_system = mrn_system or None
    clinic.safety_text = {
        language: text.strip() for language, text in values.safety_text.items() if text.strip()
    } or None
    # Every time is stored as a moment (UTC): a new zone changes how each reads, not when.
    if values.timezone is not None and values.timezone != clinic.timezone:
        timezone_was, clinic.timezone = clinic.timezone, values.timezone
        record_audit(
            "clinic.timezone",
            by=by,
            target=clinic,
            detail={"was": timezone_was, "now": clinic.timezone},
        )
    if analysis_settings(clinic) != analysed_by:
        # Every block may call for action again until the worklist has read it by the new
        # settings (the flag was set by the old ones); its summary's key, of the old
        # settings, is cleared, so that a mark made from a reading by them (a worklist read
        # at this moment) finds the block changed and leaves it calling.
        db.session.execute(
            update(Block)
            .where(Block.clinic_id == clinic.id)
            .values(may_call_for_action=True, summary_key=None)
        )
    record_audit("clinic.settings", by=by, target=clinic)
