"""The deployment recipes in deploy/ stay in step with the code they run."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from diary.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def test_compose_runs_every_part_of_the_network():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "app1", "app2", "reminders", "proxy"} <= set(services)
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]
    for host in ("app1", "app2"):
        waits_for = services[host]["depends_on"]["migrate"]["condition"]
        assert waits_for == "service_completed_successfully"
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", _nginx_template()))
    assert placeholders <= set(services["proxy"]["environment"])


def test_the_example_environment_names_every_production_setting():
    example = (DEPLOY / "env.example").read_text()
    named = dict(re.findall(r"^([A-Z_]+)=(.*)$", example, flags=re.MULTILINE))
    settings = load_settings("production", named, "/i")
    # Everything the production check asks for is there (or set by compose itself).
    for variable in ("SECRET_KEY", "PUBLIC_URL", "VAPID_PRIVATE_KEY", "WEB_CONCURRENCY"):
        assert variable in named
    assert settings["PUBLIC_URL"].startswith("https://")


def test_the_dockerfile_copies_what_exists_and_runs_as_a_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", dockerfile, flags=re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), source
    assert re.search(r"^USER diary$", dockerfile, flags=re.MULTILINE)


def test_systemd_units_run_what_the_readme_runs():
    units = {path.name: path.read_text() for path in (DEPLOY / "systemd").iterdir()}
    assert "gunicorn app:app" in units["block-diary.service"]
    assert "db upgrade" in units["block-diary-migrate.service"]
    assert "reminders send" in units["block-diary-reminders.service"]
    assert "OnCalendar=*-*-* *:*:00" in units["block-diary-reminders.timer"]


def _nginx_template() -> str:
    return (DEPLOY / "nginx" / "block-diary.conf.template").read_text()
