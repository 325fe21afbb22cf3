"""Made-up clinics: the demo clinic ``make run`` signs into, and synthetic clinics of any
size for the benchmarks. Nothing here runs in production (the commands refuse)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, select, text

from diary.auth.accounts import create_clinic, create_user
from diary.extensions import db
from diary.models import (
    Block,
    DiaryEntry,
    Patient,
    PatientTerm,
    User,
    new_diary_token,
    utcnow,
)
from diary.services import summaries
from diary.services.blocks import BlockInput, create_block
from diary.services.entries import EntryInput, record_entry
from diary.services.patients import PatientInput, create_patient, search_terms

DEMO_CLINIC = "Demo Spine Clinic"
DEMO_EMAIL = "demo@clinic.example"
DEMO_PASSWORD = "demo-diary-password"  # noqa: S105 (printed for the local demo)
DEMO_TIMEZONE = "America/Chicago"
# 555-01xx numbers are reserved for fiction.
DEMO_CONTACT_LINE = "555-0100, weekdays 8am–6pm; after hours, the doctor on call: 555-0199"
SYNTHETIC_PASSWORD = "synthetic-bench-password"  # noqa: S105 (bench data only)


def seed_demo(now: datetime | None = None) -> bool:
    """The demo clinic with two patients; does nothing if it exists. True if created."""
    if db.session.execute(select(User).filter_by(email=DEMO_EMAIL)).scalar_one_or_none():
        return False
    now = now or utcnow()
    clinic = create_clinic(DEMO_CLINIC, DEMO_TIMEZONE, current_app.config["DIARY_LINK_HOURS"])
    clinic.contact_line = DEMO_CONTACT_LINE  # the safety text tells patients to call it
    clinician = create_user(clinic, DEMO_EMAIL, "Dr Demo", DEMO_PASSWORD, role="admin")

    local_today = now.astimezone(ZoneInfo(DEMO_TIMEZONE)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    yesterday_9am = (local_today - timedelta(days=1)).astimezone(ZoneInfo("UTC"))
    lumbar: dict[str, Any] = dict(
        region="lumbar",
        levels=["L4-L5", "L5-S1"],
        side="right",
        purpose="diagnostic",
        volume_ml_per_level=0.5,
        steroid=False,
        sedation="none",
        activities=["stand up from a chair", "bend forward", "walk 5 minutes"],
    )

    complete = create_patient(clinic, PatientInput("A.B.", "DEMO-001", 1958), by=clinician)
    # A first block five weeks ago with bupivacaine, then a lidocaine block 15 days ago: a
    # comparative pair that meets the criteria, each diary complete (its hours, then a
    # score a day for the clinic's 14 days, the relief gone by day 1, as expected).
    first = create_block(
        clinic,
        complete,
        BlockInput(
            performed_at=yesterday_9am - timedelta(days=34),
            sequence="first",
            agent="bupivacaine",
            concentration="0.5",
            agent_other=None,
            baseline_pain=7,
            **lumbar,
        ),
        by=clinician,
    )
    _demo_entries(
        first,
        {
            0.25: 3,
            0.5: 1,
            1: 1,
            2: 0,
            3: 1,
            4: 1,
            5: 1,
            6: 3,
            7: 5,
            8: 6,
            9: 7,
            10: 7,
            11: 7,
            12: 7,
        },
    )
    second = create_block(
        clinic,
        complete,
        BlockInput(
            performed_at=yesterday_9am - timedelta(days=14),
            sequence="second",
            agent="lidocaine",
            concentration="2",
            agent_other=None,
            baseline_pain=7,
            **lumbar,
        ),
        by=clinician,
    )
    _demo_entries(second, {0.25: 2, 0.5: 1, 1: 1, 2: 1, 3: 3, 4: 5, 5: 6, 6: 7, 7: 7, 8: 7})
    for block in (first, second):
        _demo_entries(block, {24.0 * day: 7 for day in range(1, block.daily_days + 1)})

    in_progress = create_patient(clinic, PatientInput("C.D.", "DEMO-002", 1971), by=clinician)
    ongoing = create_block(
        clinic,
        in_progress,
        BlockInput(
            performed_at=now - timedelta(hours=2, minutes=10),
            region="cervical",
            levels=["C5-C6", "C6-C7"],
            side="left",
            purpose="diagnostic",
            sequence="first",
            agent="bupivacaine",
            concentration="0.5",
            agent_other=None,
            volume_ml_per_level=0.3,
            steroid=False,
            sedation="minimal",
            baseline_pain=8,
            activities=["turn head left", "look up"],
        ),
        by=clinician,
    )
    _demo_entries(ongoing, {0.25: 4, 0.5: 1, 1: 1, 2: 1})
    # A bilateral lumbar block scored left and right apart, its diary running: the left
    # side relieved, the right not (each side its own verdict, both on one chart).
    both_sides = create_block(
        clinic,
        in_progress,
        BlockInput(
            performed_at=now - timedelta(hours=1, minutes=40),
            region="lumbar",
            levels=["L4-L5"],
            side="bilateral",
            purpose="diagnostic",
            sequence="first",
            agent="lidocaine",
            concentration="2",
            agent_other=None,
            volume_ml_per_level=0.5,
            steroid=False,
            sedation="none",
            baseline_pain=None,
            activities=["stand up from a chair", "bend forward"],
            scoring="sides",
            baseline_pain_left=7,
            baseline_pain_right=6,
        ),
        by=clinician,
    )
    for hours, (left, right) in {0.25: (2, 6), 0.5: (1, 5), 1: (1, 6)}.items():
        at = both_sides.performed_at + timedelta(hours=hours)
        record_entry(
            both_sides,
            EntryInput(
                pain_left=left,
                pain_right=right,
                recorded_at=at,
                client_id=f"demo-{both_sides.id}-{hours}",
            ),
            now=at,
        )
    db.session.commit()
    return True


def _demo_entries(block, pain_by_hour: dict[float, int]) -> None:
    """Entries logged on time, as if the patient had tapped at each due time."""
    for hours, pain in pain_by_hour.items():
        at = block.performed_at + timedelta(hours=hours)
        record_entry(
            block,
            EntryInput(pain=pain, recorded_at=at, client_id=f"demo-{block.id}-{hours}"),
            now=at,
        )


def synthetic_clinic(blocks: int, entries: int, seed: int, stale_summaries: bool) -> User:
    """A clinic of ``blocks`` blocks (one patient each) with ``entries`` entries each,
    made with bulk inserts for benchmarks; returns its admin."""
    rng = random.Random(seed)
    now = utcnow()
    clinic = create_clinic(f"Synthetic {blocks}", "UTC", diary_link_hours=24 * 365)
    user = create_user(
        clinic,
        f"synth-{clinic.id}@bench.example",
        "Bench",
        SYNTHETIC_PASSWORD,
        role="admin",
    )
    agents = [("lidocaine", "2"), ("bupivacaine", "0.5"), ("ropivacaine", "0.5")]
    for start in range(0, blocks, 1000):
        count = min(1000, blocks - start)
        patients: list[dict[str, Any]] = [
            {
                "clinic_id": clinic.id,
                "display_name": f"S{start + n:06d}",
                "mrn": f"SYN{start + n:07d}",
                "created_at": now,
            }
            for n in range(count)
        ]
        db.session.execute(insert(Patient), patients)
        first_id = db.session.execute(select(func.max(Patient.id))).scalar_one() - count + 1
        db.session.execute(
            insert(PatientTerm),
            [
                {"clinic_id": clinic.id, "patient_id": first_id + n, "term": term}
                for n, patient in enumerate(patients)
                for term in search_terms(patient["display_name"], patient["mrn"])
            ],
        )
        block_rows: list[dict[str, Any]] = []
        for n in range(count):
            agent, concentration = rng.choice(agents)
            performed = now - timedelta(days=rng.randint(0, 700), minutes=rng.randint(0, 600))
            block_rows.append(
                {
                    "clinic_id": clinic.id,
                    "patient_id": first_id + n,
                    "performed_at": performed,
                    "region": "lumbar",
                    "levels": ["L4-L5", "L5-S1"],
                    "side": "bilateral",
                    "purpose": "diagnostic",
                    "sequence": "first",
                    "agent": agent,
                    "concentration": concentration,
                    "volume_ml_per_level": 0.5,
                    "steroid": False,
                    "sedation": "none",
                    "baseline_pain": rng.randint(4, 10),
                    "activities": [],
                    "diary_token": new_diary_token(),
                    "link_expires_at": now + timedelta(days=365),
                    "created_by_id": user.id,
                    "created_at": performed,
                    "changed_at": performed,
                }
            )
        db.session.execute(insert(Block), block_rows)
        first_block = db.session.execute(select(func.max(Block.id))).scalar_one() - count + 1
        entry_rows = []
        for n, row in enumerate(block_rows):
            for k in range(entries):
                at = row["performed_at"] + timedelta(minutes=15 + 60 * k)
                entry_rows.append(
                    {
                        "block_id": first_block + n,
                        "client_id": f"synth-{k}",
                        "recorded_at": at,
                        "submitted_at": at,
                        "made_at": at,
                        "pain": rng.randint(0, 10),
                        "source": "patient",
                    }
                )
        if entry_rows:
            db.session.execute(insert(DiaryEntry), entry_rows)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # Statistics for the planner, as autovacuum gathers them soon after a bulk load.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    if not stale_summaries:
        summaries.refresh_summaries(clinic)
    return user
