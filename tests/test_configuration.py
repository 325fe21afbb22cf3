"""Configuration fails closed: named profiles only, and production refuses anything that
would be guessable, split between hosts or unencrypted, with one line saying what to set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from diary import create_app
from diary.config import DEVELOPMENT_SECRET, ConfigError, load_settings, profile_name
from diary.extensions import db
from tests.conftest import PASSWORD, World, make_app

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k" * 64
PRODUCTION = {
    "BLOCK_DIARY_ENV": "production",
    "SECRET_KEY": STRONG,
    "DATABASE_URL": "postgresql://diary@db.internal/block_diary",
    "PUBLIC_URL": "https://diary.clinic.example",
    "RATELIMIT_STORAGE_URI": "redis://redis.internal:6379/0",
}


def production_app(**overrides):
    """A production app from these settings (no database is reached at start-up)."""
    settings = load_settings("production", PRODUCTION, "/nonexistent")
    return create_app({**settings, **overrides, "PROFILE": "production"})


@pytest.mark.parametrize("name", ["prod", "Production", "", "staging", "test"])
def test_an_unknown_profile_name_refuses_to_start(name):
    with pytest.raises(ConfigError, match="BLOCK_DIARY_ENV"):
        profile_name({"BLOCK_DIARY_ENV": name})


def test_an_unset_profile_is_production():
    assert profile_name({}) == "production"


@pytest.mark.parametrize(
    ("missing", "variable"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": DEVELOPMENT_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": "short-secret"}, "SECRET_KEY"),
        ({"DATABASE_URL": None}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:////srv/diary.sqlite3"}, "DATABASE_URL"),
        ({"PUBLIC_URL": None}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "http://diary.clinic.example"}, "PUBLIC_URL"),
        ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
        ({"PROXY_HOPS": "one"}, "PROXY_HOPS"),
        ({"FORWARDED_ALLOW_IPS": "*"}, "FORWARDED_ALLOW_IPS"),
        ({"BLOCK_DIARY_ENV": "prod"}, "BLOCK_DIARY_ENV"),
    ],
)
def test_production_refuses_to_start_with_one_line_naming_the_variable(missing, variable):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k not in ("PROXY_HOPS", "FORWARDED_ALLOW_IPS")
    }
    env.update({k: v for k, v in (PRODUCTION | missing).items() if v is not None})
    started = subprocess.run(
        [sys.executable, "-c", "import app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    lines = started.stderr.strip().splitlines()
    assert len(lines) == 1, started.stderr
    assert variable in lines[0] and "Traceback" not in started.stderr
    assert "export" in lines[0] or "set it" in lines[0] or "whole number" in lines[0]


def test_a_single_worker_may_keep_limits_in_memory():
    app = production_app(RATELIMIT_STORAGE_URI="memory://", WEB_CONCURRENCY=1)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_production_cookies_and_hosts_follow_the_profile():
    app = production_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert app.config["TRUSTED_HOSTS"] == ["diary.clinic.example"]
    assert app.config["PROXY_HOPS"] == 1
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
    assert not app.debug
    development = load_settings("development", {}, "/i")
    assert development["SESSION_COOKIE_SECURE"] is False and development["PROXY_HOPS"] == 0


def test_production_refuses_debug():
    with pytest.raises(ConfigError, match="DEBUG"):
        production_app(DEBUG=True)


def test_a_request_for_another_host_is_refused_in_production():
    app = production_app()
    client = app.test_client()
    assert client.get("/login", base_url="https://evil.example").status_code == 400
    # Health checks carry no link: they answer a container's or balancer's own Host.
    assert client.get("/healthz", base_url="https://evil.example").status_code == 200


def test_extra_trusted_hosts_for_health_checks():
    settings = load_settings("production", PRODUCTION | {"TRUSTED_HOSTS": "10.0.0.5, app1"}, "/")
    assert settings["TRUSTED_HOSTS"] == ["diary.clinic.example", "10.0.0.5", "app1"]


@pytest.mark.parametrize("command", [["demo"], ["synth", "--blocks", "1"]])
def test_made_up_patients_never_go_into_production(command):
    app = production_app()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code != 0 and "production" in result.output


def test_a_rotated_secret_keeps_clinicians_signed_in(tmp_path):
    url = f"sqlite:///{tmp_path}/rotate.sqlite3"
    old_key, new_key = "o" * 40, "n" * 40
    before = make_app(url, SECRET_KEY=old_key)
    with before.app_context():
        db.create_all()
        World()
        client = before.test_client()
        assert client.post("/login", data={"email": "doc@a.example", "password": PASSWORD})
        cookie = client.get_cookie("session").value
    after = make_app(url, SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=[old_key])
    refused = make_app(url, SECRET_KEY=new_key)
    for app, expected in ((after, 200), (refused, 302)):
        with app.app_context():
            client = app.test_client()
            client.set_cookie("session", cookie)
            assert client.get("/").status_code == expected
            db.engine.dispose()
