"""`flask` commands: the demo clinic, and creating a clinic from nothing."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask import Flask, current_app
from sqlalchemy import select

from diary import backups
from diary.auth.accounts import create_clinic, create_user
from diary.extensions import db
from diary.models import Clinic, Patient, User
from diary.reminders.checkins import send_due_checkin_reminders
from diary.reminders.job import send_due_reminders
from diary.reminders.push import generate_vapid_keys
from diary.sample_data import (
    DEMO_CLINIC,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    SYNTHETIC_PASSWORD,
    seed_demo,
    synthetic_clinic,
)
from diary.services import summaries
from diary.services.patients import merge_patients
from diary.services.rejections import InputRejected
from diary.web import public_url

# Job output (reminders) as the app's log lines: JSON in production.
log = logging.getLogger("diary.jobs")


def register(app: Flask) -> None:
    app.cli.add_command(demo_command)
    app.cli.add_command(clinic_group)
    app.cli.add_command(reminders_group)
    register_backup(app)
    app.cli.add_command(synth_command)
    app.cli.add_command(merge_patients_command)


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
        # Push is optional: without keys phones are offered calendar reminders only.
        log.info("push reminders are off (no VAPID_PRIVATE_KEY): nothing to send")
        return
    counts = send_due_reminders(
        private,
        current_app.config["VAPID_SUBJECT"],
        lambda token: public_url("patient.diary", token=token),
        senders=current_app.config["REMINDER_SENDERS"],
        allowed=current_app.config["PUSH_SERVICE_HOSTS"],
    )
    # The follow-up check-ins after an ablation or a therapeutic block, likewise once each.
    checkins = send_due_checkin_reminders(
        private,
        current_app.config["VAPID_SUBJECT"],
        lambda token: public_url("followup.checkin_page", token=token),
        senders=current_app.config["REMINDER_SENDERS"],
        allowed=current_app.config["PUSH_SERVICE_HOSTS"],
    )
    counts = {name: counts[name] + checkins[name] for name in counts}
    log.info(
        "reminders sent %s, gone %s, failed %s",
        counts["sent"],
        counts["gone"],
        counts["failed"],
        extra=counts,
    )


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
    """Create a clinic and its first admin; print a one-time password, which must be
    changed at the first sign-in."""
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
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    admin = create_user(clinic, email, admin_name, password, role="admin")
    # Printed in a terminal (and perhaps its scrollback): good for the first sign-in only.
    admin.must_change_password = True
    db.session.commit()
    click.echo(f"Clinic {clinic.id}: {clinic.name} ({tz_name})")
    click.echo(f"Admin: {email}  one-time password: {password}")
    click.echo(
        f"Sign in at {public_url('auth.login')}: the password must be changed there first; "
        "API tokens are then made under API tokens."
    )


@clinic_group.command("summaries")
def refresh_summaries_command() -> None:
    """Bring every block's stored summary up to date (say, after a change of settings).

    Pages and exports are right without it; they only read faster afterwards.
    """
    for clinic in db.session.execute(select(Clinic)).scalars().all():
        count = summaries.refresh_summaries(clinic)
        click.echo(f"clinic {clinic.id}: {count} summaries brought up to date")


@click.command("merge-patients")
@click.argument("keep_id", type=int)
@click.argument("duplicate_id", type=int)
def merge_patients_command(keep_id: int, duplicate_id: int) -> None:
    """Move every block of patient DUPLICATE_ID to KEEP_ID (the same person's other
    record, same clinic) and remove DUPLICATE_ID; recorded in the audit log."""
    keep, duplicate = db.session.get(Patient, keep_id), db.session.get(Patient, duplicate_id)
    if keep is None or duplicate is None:
        raise click.ClickException("No patient with that id.")
    try:
        moved = merge_patients(keep, duplicate, by=None)
    except InputRejected as rejected:
        raise click.ClickException(rejected.message) from None
    db.session.commit()
    click.echo(f"Moved {len(moved)} blocks to patient {keep_id}; patient {duplicate_id} removed.")


@click.command("demo")
def demo_command() -> None:
    """Create the demo clinic (once) and print its sign-in."""
    refuse_in_production("flask demo")
    created = seed_demo()
    click.echo(("Created" if created else "Kept") + f" the demo clinic '{DEMO_CLINIC}'.")
    click.echo(
        f"Sign in at {public_url('auth.login')} as {DEMO_EMAIL} with password {DEMO_PASSWORD}"
    )


def register_backup(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _sqlite_path() -> str | None:
    """The SQLite file, or None on PostgreSQL."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        return None
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException("backup and restore handle SQLite and PostgreSQL only")
    return url.database


@click.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
def backup_command(destination: str) -> None:
    """Write a consistent copy of the database, even while the app runs (SQLite's online
    backup, or pg_dump's custom format on PostgreSQL), as a new private file."""
    target = Path(destination)
    live = _sqlite_path()
    try:
        if live is None:
            size = backups.dump_postgres(current_app.config["SQLALCHEMY_DATABASE_URI"], target)
            click.echo(
                f"Backed up to {destination} (pg_dump custom format, {size} bytes, read back "
                "with pg_restore --list; readable by its owner only)"
            )
        else:
            check = backups.write_backup(live, target)
            if check != "ok":
                raise click.ClickException(f"the copy failed its integrity check: {check}")
            click.echo(f"Backed up to {destination} (integrity ok; readable by its owner only)")
    except backups.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    if backups.shared_folder(target):
        click.echo(
            f"Note: other users may enter {target.parent}; keep backups in a private folder."
        )


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Go ahead without asking.")
@click.option(
    "--into",
    help="PostgreSQL: the new database to restore into (default: <live name>_restored_<time>).",
)
def restore_command(source: str, yes: bool, into: str | None) -> None:
    """Put a backup back, while nothing serves the app: SQLite's file is replaced (the old
    one kept); PostgreSQL's goes into a fresh database, and the command says how to switch."""
    live = _sqlite_path()
    try:
        if live is None:
            problem = backups.postgres_dump_problem(Path(source))
        else:
            problem = backups.backup_problem(Path(source))
    except backups.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    if problem:
        raise click.ClickException(f"{source} cannot be restored: {problem}")
    public_url = current_app.config["PUBLIC_URL"]
    if backups.serving_at(public_url):
        raise click.ClickException(
            f"Block Diary is serving at {public_url}: stop it before restoring (every app "
            "host and the reminder job), or entries made meanwhile would be lost"
        )
    if live is None:
        _restore_postgres(Path(source), yes, into)
        return
    if not yes:
        click.confirm("Replace the current database with this backup?", abort=True)
    db.engine.dispose()
    try:
        kept = backups.restore(Path(source), live)
    except backups.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Restored from {source}; the database it replaced is kept at {kept}")


def _restore_postgres(source: Path, yes: bool, into: str | None) -> None:
    from sqlalchemy.engine import make_url

    from diary.health import migration_head

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    name = into or backups.restored_name(url.database or "block_diary")
    if not yes:
        click.confirm(f"Restore into a new database {name}?", abort=True)
    db.engine.dispose()
    try:
        revision = backups.restore_postgres(source, url.render_as_string(hide_password=False), name)
    except backups.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    new_url = url.set(drivername="postgresql", database=name).render_as_string()
    click.echo(f"Restored {source} into the new database {name} (migration {revision}).")
    click.echo(f"The live database {url.database} was not touched. To switch over:")
    step = 1
    if revision != migration_head():
        click.echo(
            f"  {step}. DATABASE_URL={new_url} flask --app app db upgrade   (the backup is "
            "from an older version)"
        )
        step += 1
    click.echo(f"  {step}. set DATABASE_URL={new_url} in every host's env file")
    click.echo(f"  {step + 1}. start the app hosts and the reminder job again")
    click.echo(
        f"  {step + 2}. keep {url.database} until you are sure; then drop it "
        f"(dropdb {url.database})"
    )


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
    user = synthetic_clinic(blocks, entries, seed, stale_summaries)
    click.echo(
        f"clinic {user.clinic_id}: {blocks} blocks, {blocks * entries} entries; "
        f"sign in as {user.email} / {SYNTHETIC_PASSWORD}"
    )
