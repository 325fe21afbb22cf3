"""Fixtures: an app per test on SQLite, and again on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_babel
import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

from diary import create_app
from diary.extensions import db
from diary.models import Clinic, User
from diary.reminders.push import KNOWN_PUSH_SERVICES
from diary.services.blocks import BlockInput, create_block
from diary.services.entries import EntryInput, record_entry
from diary.services.patients import PatientInput, create_patient

PASSWORD = "correct horse battery staple"
NO_POSTGRES = (
    "PostgreSQL run skipped: TEST_DATABASE_URL is not set "
    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/block_diary_test; .ci/run sets it)"
)


def pytest_report_header(config):
    if _postgres_url():
        return "database: SQLite and PostgreSQL (TEST_DATABASE_URL)"
    return "database: SQLite only; " + NO_POSTGRES


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


@pytest.fixture(scope="session")
def postgres_url():
    """The PostgreSQL scratch database, reachable and empty, or a skip with the reason."""
    url = _postgres_url()
    if not url:
        pytest.skip(NO_POSTGRES)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        try:
            db.drop_all()
        except sa.exc.OperationalError as error:
            db.engine.dispose()
            pytest.exit(f"TEST_DATABASE_URL is set but cannot be reached: {error}", returncode=3)
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    return url


def _empty_postgres(app) -> None:
    """Every table emptied and every id counting from 1 again, as a new database would be.

    DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new files for 15 tables
    cost 80-230 ms a test against about 10 for DELETE (measured); the speed guard's
    larger clinics still empty in well under a second.
    """
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())
        connection.exec_driver_sql(
            "SELECT setval(s, 1, false) FROM unnest(%(sequences)s::regclass[]) AS s",
            {"sequences": _id_sequences(connection, tables)},
        )


_ID_SEQUENCES: list[str] = []


def _id_sequences(connection, tables) -> list[str]:
    if not _ID_SEQUENCES:
        for table in tables:
            for column in table.primary_key.columns:
                sequence = connection.execute(
                    sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                    {"table": table.name, "column": column.name},
                ).scalar()
                if sequence:
                    _ID_SEQUENCES.append(sequence)
    return _ID_SEQUENCES


@pytest.fixture(scope="session")
def redis():
    """A redis:// URL to a Redis of the tests' own, or a skip with the reason."""
    from tests.redis_server import NO_REDIS, redis_url

    with redis_url() as url:
        if url is None:
            pytest.skip(NO_REDIS)
        yield url


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session: Playwright's sync API allows one running instance."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory) -> Path:
    """An empty SQLite database with the app's tables, made once: a test's own starts as a
    copy of it (well under a millisecond, against about 20 ms for create_all)."""
    path = tmp_path_factory.mktemp("schema") / "empty.sqlite3"
    app = make_app("sqlite:///" + str(path))
    with app.app_context():
        db.create_all()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), path)
        return "sqlite:///" + str(path)
    return request.getfixturevalue("postgres_url")


class RequestScopedClient(FlaskClient):
    """A test client whose requests never see the previous request's signed-in user.

    The tests hold an app context open, which Flask reuses for each request, so
    Flask-Login's and Flask-Babel's per-request caches would otherwise leak between requests.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.pop("_login_user", None)
            g.pop("csrf_token", None)  # Flask-WTF's, signed for the previous one's session
            flask_babel.refresh()
        return super().open(*args, **kwargs)


def _reuse_compiled_url_builders() -> None:
    """Each test makes an app of its own, and Werkzeug compiles each of its ~115 URL rules'
    builders again (ast, then compile: about 50 ms an app, 3 minutes of the suite). A
    builder's code depends only on the rule's parsed parts and the defaults it folds in,
    and is bound to its own rule at call time, so the code compiled for the first app's
    rule serves the same rule in every later app. URL building itself is unchanged."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict = {}

    def reused(rule: Rule, append_unknown: bool = True):
        defaults = rule.defaults or {}
        key = (
            tuple(rule._trace),
            tuple(sorted((name, repr(value)) for name, value in defaults.items())),
            tuple(
                (name, type(converter).__name__, repr(vars(converter) | {"map": None}))
                for name, converter in sorted(rule._converters.items())
            ),
            append_unknown,
        )
        if key not in compiled:
            compiled[key] = compile_builder(rule, append_unknown)
        return compiled[key]

    Rule._compile_builder = reused


_reuse_compiled_url_builders()


def make_app(database_url: str, **extra):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        # Hashing cost is not under test; scrypt's would dominate the suite's time.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # Throttling is tested on its own (tests/test_security.py).
        "RATELIMIT_ENABLED": False,
        # The browsers' services, a made-up one, and the tests' own on loopback.
        "PUSH_SERVICE_HOSTS": [*KNOWN_PUSH_SERVICES, "push.example", "http://127.0.0.1"],
    }
    config.update(extra)
    app = create_app(config)
    app.test_client_class = RequestScopedClient
    return app


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        yield app
        db.session.remove()
        if database_url.startswith("postgresql"):
            _empty_postgres(app)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# A block as the API takes it (add "patient_id").
API_BLOCK = {
    "performed_at": "2026-11-20T09:30:00+00:00",
    "region": "lumbar",
    "levels": ["L4-L5"],
    "side": "left",
    "purpose": "diagnostic",
    "sequence": "first",
    "agent": "lidocaine",
    "concentration": "2",
    "volume_ml_per_level": 0.5,
    "baseline_pain": 7,
}


# An ablation as the API takes it (add "patient_id").
API_ABLATION = {
    "performed_at": "2026-11-20T09:30:00+00:00",
    "region": "lumbar",
    "levels": ["L4-L5", "L5-S1"],
    "side": "right",
    "technique": "conventional",
    "baseline_pain": 7,
}


@contextmanager
def scratch_postgres(postgres_url: str, name: str):
    """A PostgreSQL database of its own beside the suite's (psycopg URL), dropped after."""
    import psycopg

    server = postgres_url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(server + "/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _pdf_works() -> bool:
    try:
        import weasyprint  # noqa: F401 (loads Pango)
    except OSError:
        return False
    return True


PDF_WORKS = _pdf_works()
needs_pdf = pytest.mark.skipif(
    not PDF_WORKS, reason="WeasyPrint needs Pango (apt-get install libpangoft2-1.0-0)"
)


def make_clinic(name: str, timezone: str = "America/Chicago", daily_days: int = 0) -> Clinic:
    """A clinic whose diaries are the hourly window only unless ``daily_days`` is given
    (a new clinic's default is 14: tests of the days after ask for them)."""
    clinic = Clinic(name=name, timezone=timezone, daily_days=daily_days)
    db.session.add(clinic)
    db.session.flush()
    return clinic


def make_user(clinic: Clinic, email: str, role: str = "clinician") -> User:
    user = User(clinic_id=clinic.id, email=email, name=email.split("@")[0], role=role)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.flush()
    return user


def make_block(clinic, patient, user, **overrides):
    values = dict(
        performed_at=datetime.now(UTC) - timedelta(hours=3),
        region="lumbar",
        levels=["L4-L5", "L5-S1"],
        side="right",
        purpose="diagnostic",
        sequence="first",
        agent="lidocaine",
        concentration="2",
        agent_other=None,
        volume_ml_per_level=0.5,
        steroid=False,
        sedation="none",
        baseline_pain=8,
        activities=["stand up", "bend forward"],
    )
    values.update(overrides)
    return create_block(clinic, patient, BlockInput(**values), by=user)


def make_ablation(clinic, patient, user, performed_at, **overrides):
    """An ablation recorded through the service (its follow-up link included)."""
    from diary.services.followup import AblationInput, create_ablation

    values = dict(
        performed_at=performed_at,
        region="lumbar",
        levels=["L4-L5", "L5-S1"],
        side="right",
        technique="conventional",
        baseline_pain=8,
    )
    values.update(overrides)
    return create_ablation(clinic, patient, AblationInput(**values), by=user)


def form_id() -> str:
    """A new one-time id (client_id), as every page draws into the patient's forms: a
    post to them without one is refused (diary.forms.OneTimeIdForm.id_required)."""
    return uuid.uuid4().hex


def add_entries(block, pain_by_hour: dict[float, int]) -> None:
    for hours, pain in pain_by_hour.items():
        at = block.performed_at + timedelta(hours=hours)
        record_entry(
            block,
            EntryInput(pain=pain, recorded_at=at, client_id=f"t-{block.id}-{hours}"),
            now=at,
        )


def block_at(world, offset: timedelta):
    """A block of the world's patient performed ``offset`` from now (negative: ago)."""
    block = make_block(
        world.clinic, world.patient, world.clinician, performed_at=datetime.now(UTC) + offset
    )
    db.session.commit()
    return block


def add_concordant_pair(world):
    """The world's lidocaine block with a positive diary, and a bupivacaine block three
    weeks earlier with a longer one: a concordant pair. Returns the earlier block."""
    earlier = make_block(
        world.clinic,
        world.patient,
        world.clinician,
        agent="bupivacaine",
        concentration="0.5",
        performed_at=world.block.performed_at - timedelta(days=21),
    )
    add_entries(world.block, {0.25: 1, 0.5: 0, 1: 1, 2: 1, 2.5: 5})
    add_entries(earlier, {0.25: 1, 0.5: 1, 1: 1, 2: 0, 4: 1, 5: 6})
    db.session.commit()
    return earlier


class World:
    """Two clinics, each with a clinician, a patient and a block."""

    def __init__(self):
        self.clinic = make_clinic("Clinic A")
        self.clinician = make_user(self.clinic, "doc@a.example")
        self.patient = create_patient(
            self.clinic, PatientInput("J.S.", "MRN-1", 1960), by=self.clinician
        )
        self.block = make_block(self.clinic, self.patient, self.clinician)
        self.other_clinic = make_clinic("Clinic B")
        self.other_clinician = make_user(self.other_clinic, "doc@b.example")
        self.other_patient = create_patient(
            self.other_clinic, PatientInput("Z.Z."), by=self.other_clinician
        )
        self.other_block = make_block(self.other_clinic, self.other_patient, self.other_clinician)
        db.session.commit()


@pytest.fixture
def world(app):
    return World()


def search(client, query: str):
    """The dashboard's search, as the form sends it (posted, then the dashboard)."""
    return client.post("/search", data={"q": query}, follow_redirects=True)


def change_password(client, current: str, new: str):
    """The account page's form, as a clinician fills it in."""
    return client.post(
        "/account",
        data={"current_password": current, "new_password": new, "confirm_password": new},
    )


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email="doc@a.example", password=PASSWORD):
        return self.client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def signed_in(world, auth):
    """A clinician of clinic A, signed in."""
    response = auth.login()
    assert response.status_code == 302
    return world


class Clock:
    """The app's clock, set by a test: ``diary.models.utcnow`` wherever a module took it
    (``from diary.models import utcnow``) and the templates' ``now()``."""

    def __init__(self, monkeypatch, now: datetime):
        import diary.models

        self.now = now
        self.real = diary.models.utcnow
        for module in self._app_modules():
            if getattr(module, "utcnow", None) is self.real:
                monkeypatch.setattr(module, "utcnow", self)

    @staticmethod
    def _app_modules():
        import sys

        return [
            module
            for name, module in list(sys.modules.items())
            if name == "diary" or name.startswith("diary.")
        ]

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, by: timedelta) -> None:
        self.now += by

    def stop(self) -> None:
        """The real clock again, also in the modules first imported while this one ran."""
        for module in self._app_modules():
            if getattr(module, "utcnow", None) is self:
                module.utcnow = self.real


@pytest.fixture
def clock(app, monkeypatch):
    """The app's clock stopped at the real time (the test moves it: ``clock.set``,
    ``clock.advance``)."""
    stopped = Clock(monkeypatch, datetime.now(UTC))
    yield stopped
    stopped.stop()
