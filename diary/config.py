"""Configuration: defaults, then the environment, then checks that fail fast in production."""

from __future__ import annotations

import os
from datetime import timedelta

DEVELOPMENT_SECRET = "development-only-secret-key-change-me"  # noqa: S105 (refused in production)


class ConfigError(RuntimeError):
    """The app was asked to start with a configuration that is not safe."""


def from_environment(instance_path: str) -> dict:
    """Settings read from environment variables (see README, "Configuration")."""
    environment = os.environ.get("BLOCK_DIARY_ENV", "production")
    return {
        "ENV_NAME": environment,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"), instance_path),
        "DIARY_LINK_HOURS": int(os.environ.get("DIARY_LINK_HOURS", "48")),
        # Where patients reach the app; links in push reminders are built from it.
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000"),
        # Web Push (optional): `flask reminders keys` prints a pair.
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY", ""),
        "VAPID_PUBLIC_KEY": os.environ.get("VAPID_PUBLIC_KEY", ""),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT", "mailto:admin@localhost"),
        "SESSION_COOKIE_SECURE": environment == "production"
        and os.environ.get("SESSION_COOKIE_SECURE", "1") != "0",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # A clinician idle this long must sign in again.
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("IDLE_TIMEOUT_MINUTES", "30"))
        ),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
    }


def database_url(url: str | None, instance_path: str) -> str:
    """DATABASE_URL, with the plain ``postgres://`` scheme mapped to psycopg 3."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "block_diary.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def check_production(config: dict) -> None:
    """Refuse to serve real patients with a guessable secret or the debugger on."""
    if config.get("TESTING") or config.get("ENV_NAME") != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEVELOPMENT_SECRET or len(secret) < 32:
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters in "
            "production (for example: python -c 'import secrets; print(secrets.token_hex(32))'), "
            "or set BLOCK_DIARY_ENV=development for a local trial."
        )
    if config.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production.")
