"""`flask` commands: the demo clinic, and creating a clinic from nothing."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask, current_app
from sqlalchemy import func, insert, select, text

from diary import summaries
from diary.extensions import db
from diary.models import Clinic, User, utcnow
from diary.public_urls import public_url
from diary.push import generate_vapid_keys
from diary.reminder_job import send_due_reminders
from diary.services.accounts import create_clinic, create_user
from diary.services.blocks import BlockInput, create_block
from diary.services.entries import EntryInput, record_entry
from diary.services.patients import PatientInput, create_patient, search_terms
from diary.services.tokens import create_api_token

DEMO_CLINIC = "Demo Spine Clinic"
DEMO_EMAIL = "demo@clinic.example"
DEMO_PASSWORD = "demo-diary-password"  # noqa: S105 (printed for the local demo)
DEMO_TIMEZONE = "America/Chicago"


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(clinic_group)
    app.cli.add_command(reminders_group)
    register_backup(app)
    app.cli.add_command(synth_command)


def refuse_in_production(command: str) -> None:
    """Made-up patients never go into a production database."""
    if current_app.config["PROFILE"] == "production":
        raise click.ClickException(
            f"{command} makes made-up patients and does not run in production "
            "(BLOCK_DIARY_ENV=production); use BLOCK_DIARY_ENV=development for a trial."
        )


@click.group("reminders")
def reminders_group() -> None:
    """Web Push reminders."""


@reminders_group.command("keys")
def reminder_keys_command() -> None:
    """Print a new VAPID key pair for the configuration."""
    private, public = generate_vapid_keys()
    click.echo(f"VAPID_PRIVATE_KEY={private}")
    click.echo(f"VAPID_PUBLIC_KEY={public}")


@reminders_group.command("send")
def send_reminders_command() -> None:
    """Send the reminders that are due now; run it every minute."""
    private = current_app.config["VAPID_PRIVATE_KEY"]
    if not private:
        raise click.ClickException("VAPID_PRIVATE_KEY is not set (flask reminders keys)")
    counts = send_due_reminders(
        private,
        current_app.config["VAPID_SUBJECT"],
        lambda token: public_url("patient.diary", token=token),
        senders=current_app.config["REMINDER_SENDERS"],
    )
    click.echo(f"sent {counts['sent']}, gone {counts['gone']}, failed {counts['failed']}")


@click.group("clinic")
def clinic_group() -> None:
    """Manage clinics."""


@clinic_group.command("create")
@click.option("--name", required=True, help="The clinic's name.")
@click.option("--admin-email", required=True, help="Sign-in email of the first admin.")
@click.option("--admin-name", default="Clinic admin", show_default=True)
@click.option(
    "--timezone",
    "tz_name",
    default="UTC",
    show_default=True,
    help="IANA time zone, e.g. America/Chicago.",
)
def create_clinic_command(name: str, admin_email: str, admin_name: str, tz_name: str) -> None:
    """Create a clinic, its first admin and an API token; print the password and token."""
    try:
        ZoneInfo(tz_name)
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        raise click.BadParameter(
            f"unknown time zone {tz_name!r}", param_hint="--timezone"
        ) from None
    email = admin_email.strip().lower()
    if db.session.execute(select(User).filter_by(email=email)).scalar_one_or_none():
        raise click.BadParameter(f"{email} already has an account", param_hint="--admin-email")
    clinic = create_clinic(name, tz_name, current_app.config["DIARY_LINK_HOURS"])
    password = secrets.token_urlsafe(12)
    admin = create_user(clinic, email, admin_name, password, role="admin")
    _, token = create_api_token(admin, "created with the clinic")
    db.session.commit()
    click.echo(f"Clinic {clinic.id}: {clinic.name} ({tz_name})")
    click.echo(f"Admin: {email}  password: {password}")
    click.echo(f"API token: {token}")


@clinic_group.command("summaries")
def refresh_summaries_command() -> None:
    """Bring every block's stored summary up to date (say, after a change of settings).

    Pages and exports are right without it; they only read faster afterwards.
    """
    for clinic in db.session.execute(select(Clinic)).scalars().all():
        count = summaries.refresh_summaries(clinic)
        click.echo(f"clinic {clinic.id}: {count} summaries brought up to date")


@click.command("demo")
def demo_command() -> None:
    """Create the demo clinic (once) and print its sign-in."""
    refuse_in_production("flask demo")
    created = seed_demo()
    click.echo(("Created" if created else "Kept") + f" the demo clinic '{DEMO_CLINIC}'.")
    click.echo(
        f"Sign in at {public_url('auth.login')} as {DEMO_EMAIL} with password {DEMO_PASSWORD}"
    )


def seed_demo(now: datetime | None = None) -> bool:
    """The demo clinic with two patients; does nothing if it exists. True if created."""
    if db.session.execute(select(User).filter_by(email=DEMO_EMAIL)).scalar_one_or_none():
        return False
    now = now or utcnow()
    clinic = create_clinic(
        DEMO_CLINIC, DEMO_TIMEZONE, current_app.config["DIARY_LINK_HOURS"]
    )
    clinician = create_user(clinic, DEMO_EMAIL, "Dr Demo", DEMO_PASSWORD, role="admin")

    local_today = now.astimezone(ZoneInfo(DEMO_TIMEZONE)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    yesterday_9am = (local_today - timedelta(days=1)).astimezone(ZoneInfo("UTC"))
    lumbar = dict(
        region="lumbar",
        levels=["L4-L5", "L5-S1"],
        side="right",
        purpose="diagnostic",
        volume_ml_per_level=0.5,
        steroid=False,
        sedation="none",
        activities=["stand up from a chair", "bend forward", "walk 5 minutes"],
    )

    complete = create_patient(
        clinic, PatientInput("A.B.", "DEMO-001", 1958), by=clinician
    )
    # A first block three weeks ago with bupivacaine, then a lidocaine block yesterday:
    # a comparative pair that meets the criteria, with a complete 8-hour diary.
    first = create_block(
        clinic,
        complete,
        BlockInput(
            performed_at=yesterday_9am - timedelta(days=20),
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
            performed_at=yesterday_9am,
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

    in_progress = create_patient(
        clinic, PatientInput("C.D.", "DEMO-002", 1971), by=clinician
    )
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


def register_backup(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _sqlite_path() -> str:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException(
            "backup and restore copy a SQLite database; for PostgreSQL use pg_dump and "
            "pg_restore (see README)"
        )
    return url.database


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
def backup_command(destination: str) -> None:
    """Write a consistent copy of the SQLite database, even while the app runs."""
    import sqlite3

    with sqlite3.connect(_sqlite_path()) as source, sqlite3.connect(destination) as target:
        source.backup(target)  # SQLite's online backup API: a consistent snapshot
        check = target.execute("PRAGMA integrity_check").fetchone()[0]
    if check != "ok":
        raise click.ClickException(f"the copy failed its integrity check: {check}")
    click.echo(f"Backed up to {destination} (integrity ok)")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
def restore_command(source: str, yes: bool) -> None:
    """Replace the SQLite database with a backup (stop the app's workers first)."""
    import sqlite3

    with sqlite3.connect(source) as backup:
        check = backup.execute("PRAGMA integrity_check").fetchone()[0]
    if check != "ok":
        raise click.ClickException(f"{source} is not a sound database: {check}")
    if not yes:
        click.confirm("Replace the current database with this backup?", abort=True)
    db.engine.dispose()
    with sqlite3.connect(source) as backup, sqlite3.connect(_sqlite_path()) as target:
        backup.backup(target)
    click.echo(f"Restored from {source}")


@click.command("synth")
@click.option("--blocks", default=1000, show_default=True, help="Blocks (one patient each).")
@click.option("--entries", default=10, show_default=True, help="Entries per block.")
@click.option("--seed", default=1, show_default=True, help="Random seed (repeatable data).")
@click.option(
    "--stale-summaries",
    is_flag=True,
    help="Leave every block's summary to be computed when first read.",
)
def synth_command(blocks: int, entries: int, seed: int, stale_summaries: bool) -> None:
    """Create a synthetic clinic of any size, for benchmarks (bulk inserts)."""
    refuse_in_production("flask synth")
    import random

    from diary.models import Block, DiaryEntry, Patient, PatientTerm, new_diary_token

    rng = random.Random(seed)
    now = utcnow()
    clinic = create_clinic(f"Synthetic {blocks}", "UTC", diary_link_hours=24 * 365)
    user = create_user(
        clinic,
        f"synth-{clinic.id}@bench.example",
        "Bench",
        "synthetic-bench-password",
        role="admin",
    )
    agents = [("lidocaine", "2"), ("bupivacaine", "0.5"), ("ropivacaine", "0.5")]
    for start in range(0, blocks, 1000):
        count = min(1000, blocks - start)
        patients = [
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
        block_rows = []
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
    click.echo(
        f"clinic {clinic.id}: {blocks} blocks, {blocks * entries} entries; "
        f"sign in as {user.email} / synthetic-bench-password"
    )
