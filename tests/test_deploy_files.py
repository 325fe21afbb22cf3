"""The deployment recipes in deploy/ stay in step with the code they run."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest
import yaml

from diary.config import ConfigError, check_production, load_settings

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
        assert "/readyz" in " ".join(services[host]["healthcheck"]["test"])
        assert "ports" not in services[host]  # the app port is for the proxy only
    for job in ("migrate", "reminders"):
        assert "healthcheck" not in services[job]
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", _nginx_template()))
    assert placeholders <= set(services["proxy"]["environment"])
    proxy_address = services["proxy"]["networks"]["backend"]["ipv4_address"]
    assert services["app1"]["environment"]["FORWARDED_ALLOW_IPS"] == proxy_address
    for server in services["proxy"]["environment"]["APP_SERVERS"].split(";")[:-1]:
        assert "max_fails=" in server and "fail_timeout=" in server


def test_a_database_password_with_url_special_characters_stays_out_of_urls():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    url = services["app1"]["environment"]["DATABASE_URL"]
    assert "@" in url and ":" not in url.split("//")[1].split("@")[0]  # user only
    assert "PGPASSWORD" in services["postgres"]["environment"]["POSTGRES_PASSWORD"]
    named = _example()
    assert "PGPASSWORD" in named and ":" not in named["DATABASE_URL"].split("//")[1].split("@")[0]


def _example() -> dict[str, str]:
    example = (DEPLOY / "env.example").read_text()
    return dict(re.findall(r"^([A-Z_]+)=(.*)$", example, flags=re.MULTILINE))


def test_the_example_environment_holds_every_variable_a_host_needs():
    named = _example()
    for variable in (
        "DATABASE_URL",
        "RATELIMIT_STORAGE_URI",
        "SECRET_KEY",
        "PUBLIC_URL",
        "BIND",
        "FORWARDED_ALLOW_IPS",
        "WEB_CONCURRENCY",
        "VAPID_PRIVATE_KEY",
    ):
        assert variable in named, variable  # fmt: skip
    # Filled in where it says "set", it passes the production check as it stands.
    filled = named | {"SECRET_KEY": "s" * 64}
    settings = load_settings("production", filled, "/i")
    check_production(settings)
    assert settings["PUBLIC_URL"].startswith("https://")
    assert ipaddress.ip_address(named["BIND"].rsplit(":", 1)[0]).is_private
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        check_production(load_settings("production", named, "/i"))


def test_the_nginx_template_redirects_http_and_takes_failing_hosts_out():
    template = _nginx_template()
    assert re.search(r"^\s*http2 on;$", template, flags=re.MULTILINE)
    assert "ssl http2" not in template  # the syntax nginx 1.25.1 deprecated
    assert re.search(r"listen \$\{HTTP_LISTEN\};\s+server_name [^;]+;\s+access_log [^;]+;"
                     r"\s+return 301 https://\$host\$request_uri;", template)  # fmt: skip
    for line in re.findall(r"proxy_next_upstream (.+);", template):
        assert {"error", "timeout", "http_502", "http_503", "http_504"} <= set(line.split())


def test_the_dockerfile_copies_what_exists_and_runs_as_a_user():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for line in re.findall(r"^COPY (.+)$", dockerfile, flags=re.MULTILINE):
        for source in line.split()[:-1]:
            assert (ROOT / source).exists(), source
    assert re.search(r"^USER diary$", dockerfile, flags=re.MULTILINE)


def test_systemd_units_run_what_the_readme_runs():
    units = {path.name: path.read_text() for path in (DEPLOY / "systemd").iterdir()}
    assert "gunicorn app:app" in units["block-diary.service"]
    assert "BIND=" not in units["block-diary.service"]  # the env file's private address
    assert "ExecReload" not in units["block-diary.service"]  # restart, not reload
    assert "db upgrade" in units["block-diary-migrate.service"]
    assert "reminders send" in units["block-diary-reminders.service"]
    assert "OnCalendar=*-*-* *:*:00" in units["block-diary-reminders.timer"]


def test_the_dockerfile_has_no_health_check_of_its_own():
    # Every service of compose runs this image; only the app hosts serve /readyz.
    assert "HEALTHCHECK" not in (DEPLOY / "Dockerfile").read_text()


def test_make_install_installs_the_app_without_the_test_tools():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ninstall:\n", 1)[1].split("\n\n", 1)[0]
    assert "-e ." in recipe and "[test]" not in recipe


def _nginx_template() -> str:
    return (DEPLOY / "nginx" / "block-diary.conf.template").read_text()


def _readme_block(marker: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    block = readme.split(f"<!-- {marker}:", 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    joined = block.replace("\\\n", " ")
    return [line.split("#", 1)[0].strip() for line in joined.splitlines() if line.strip()]


def test_the_readme_systemd_steps_install_every_unit_for_the_user_they_run_as():
    commands = _readme_block("systemd-commands")
    units = {path.name: path.read_text() for path in (DEPLOY / "systemd").iterdir()}
    installed = next(line for line in commands if line.startswith("install "))
    assert set(units) == {
        name.rsplit("/", 1)[1] for name in installed.split() if "deploy/systemd/" in name
    }
    created = next(line for line in commands if line.startswith("useradd "))
    for name, text in units.items():
        user = re.search(r"^User=(\S+)$", text, flags=re.MULTILINE)
        assert user is None or created.split()[-1] == user.group(1), name
    writable = re.search(r"^ReadWritePaths=(\S+)$", units["block-diary.service"], re.MULTILINE)
    assert any(line.startswith("chown ") and writable.group(1) in line for line in commands)
    enabled = next(line for line in commands if line.startswith("systemctl enable"))
    assert "block-diary-reminders.timer" in enabled and "block-diary " in enabled + " "
    started = [line for line in commands if line.startswith("systemctl start")]
    assert started == ["systemctl start block-diary-migrate"]  # before enable --now
    assert commands.index(started[0]) < commands.index(enabled)


@pytest.mark.skipif(
    not Path("/usr/bin/systemd-analyze").exists(), reason="systemd-analyze not installed"
)
def test_systemd_accepts_the_units(tmp_path):
    import subprocess

    checkout = tmp_path / "srv"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    for program in ("flask", "gunicorn"):
        (checkout / ".venv" / "bin" / program).write_text("#!/bin/sh\n")
        (checkout / ".venv" / "bin" / program).chmod(0o755)
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text().replace("/srv/block-diary", str(checkout))
        (tmp_path / unit.name).write_text(text)
    names = sorted(str(path) for path in tmp_path.glob("block-diary*"))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *names],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    about_ours = [line for line in result.stderr.splitlines() if "block-diary" in line]
    assert result.returncode == 0 and not about_ours, result.stderr  # "Unknown key" only warns
