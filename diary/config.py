"""Configuration: one of three named profiles, read from the environment, checked so that
production fails closed.

Every problem is a ``ConfigError`` whose message is one line naming the variable and how
to set it; ``app.py`` prints that line and exits instead of serving.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

from diary.reminders.push import KNOWN_PUSH_SERVICES

DEVELOPMENT_SECRET = "development-only-secret-key-change-me"  # noqa: S105 (refused in production)
PROFILES = ("development", "testing", "production")
SHARED_LIMIT_STORES = ("redis://", "rediss://", "redis+sentinel://", "redis+cluster://")
# gunicorn's own default for FORWARDED_ALLOW_IPS: a proxy on the same machine.
LOCAL_PROXY = "127.0.0.1,::1"


class ConfigError(RuntimeError):
    """The app was asked to start with a configuration that is not safe."""


def profile_name(environ: Mapping[str, str]) -> str:
    """BLOCK_DIARY_ENV, production when unset; anything but a named profile is refused."""
    name = environ.get("BLOCK_DIARY_ENV", "production")
    if name not in PROFILES:
        raise ConfigError(
            f"BLOCK_DIARY_ENV={name!r} is not a profile: set it to one of "
            f"{', '.join(PROFILES)} (unset means production)."
        )
    return name


def load_settings(profile: str, environ: Mapping[str, str], instance_path: str) -> dict:
    """The settings of ``profile`` from environment variables (README, "Configuration")."""
    if profile not in PROFILES:
        raise ConfigError(f"Unknown profile {profile!r}: use one of {', '.join(PROFILES)}.")
    production = profile == "production"
    database_uri = database_url(environ.get("DATABASE_URL"), instance_path)
    public_url = environ.get("PUBLIC_URL", "" if production else "http://127.0.0.1:5000")
    return {
        "PROFILE": profile,
        "TESTING": profile == "testing",
        "SECRET_KEY": environ.get("SECRET_KEY", "" if production else DEVELOPMENT_SECRET),
        # Old keys still accepted for signed sessions while a new SECRET_KEY rolls out.
        "SECRET_KEY_FALLBACKS": _list(environ.get("SECRET_KEY_FALLBACKS")),
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_uri, environ),
        "DIARY_LINK_HOURS": _integer(environ, "DIARY_LINK_HOURS", 48, minimum=1),
        # Every link, QR code and reminder is built from this, never from a request's Host.
        "PUBLIC_URL": public_url.rstrip("/"),
        # How many proxies in front of the app set X-Forwarded-*, and the addresses the
        # nearest one connects from: a peer elsewhere has its headers ignored. gunicorn
        # reads the same FORWARDED_ALLOW_IPS (gunicorn.conf.py).
        "PROXY_HOPS": _integer(environ, "PROXY_HOPS", 1 if production else 0, minimum=0),
        "FORWARDED_ALLOW_IPS": proxy_networks(environ.get("FORWARDED_ALLOW_IPS", LOCAL_PROXY)),
        "TRUSTED_HOSTS": trusted_hosts(public_url, environ) if production else None,
        "VAPID_PRIVATE_KEY": environ.get("VAPID_PRIVATE_KEY", ""),
        "VAPID_PUBLIC_KEY": environ.get("VAPID_PUBLIC_KEY", ""),
        "VAPID_SUBJECT": environ.get("VAPID_SUBJECT", "mailto:admin@localhost"),
        "REMINDER_SENDERS": _integer(environ, "REMINDER_SENDERS", 8, minimum=1),
        # Push services a phone's subscription may point at (the reminder job posts there).
        "PUSH_SERVICE_HOSTS": _list(environ.get("PUSH_SERVICE_HOSTS")) or list(KNOWN_PUSH_SERVICES),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "__Host-session" if production else "session",
        # A clinician idle this long must sign in again ...
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=_integer(environ, "IDLE_TIMEOUT_MINUTES", 30, minimum=1)
        ),
        # ... and after this long whatever they do.
        "SESSION_ABSOLUTE_LIFETIME": timedelta(
            hours=_integer(environ, "SESSION_ABSOLUTE_HOURS", 12, minimum=1)
        ),
        # The cookie's expiry moves on when a sign-in's activity is written (once a minute,
        # login_sessions.SEEN_EVERY), not at every answer: signing the cookie again cost
        # every signed-in request as much as a small query.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "RATELIMIT_STORAGE_URI": environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_KEY_PREFIX": "block-diary",
        # Redis down: no silent fallback to per-worker counts. Sign-in and the other security
        # limits refuse (503) while diary entries go on unlimited (diary.extensions).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
        "RATELIMIT_STORAGE_OPTIONS": limit_store_options(
            environ.get("RATELIMIT_STORAGE_URI", "memory://")
        ),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # How long a new API token works.
        "API_TOKEN_DAYS": _integer(environ, "API_TOKEN_DAYS", 90, minimum=1),
        # Wrong current passwords on the account page, per signed-in user.
        "ACCOUNT_PASSWORD_LIMIT": environ.get("ACCOUNT_PASSWORD_LIMIT", "5 per 15 minutes"),
        # New clinician accounts per clinic admin: each refusal of a taken email tells
        # that the address has an account somewhere, so the answers are few.
        "NEW_ACCOUNT_LIMIT": environ.get("NEW_ACCOUNT_LIMIT", "20 per day"),
        # Per diary link: pages, entries, corrections and reminders together.
        "DIARY_RATE_LIMIT": environ.get("DIARY_RATE_LIMIT", "60 per minute;600 per hour"),
        "WEB_CONCURRENCY": _integer(environ, "WEB_CONCURRENCY", 0, minimum=0),
        "LOG_FORMAT": environ.get("LOG_FORMAT", "json" if production else "text"),
        "LOG_LEVEL": environ.get("LOG_LEVEL", "INFO"),
    }


def database_url(url: str | None, instance_path: str) -> str:
    """DATABASE_URL, with the plain ``postgres://`` scheme mapped to psycopg 3."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "block_diary.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def engine_options(database_uri: str, environ: Mapping[str, str]) -> dict:
    """Connection pool settings; SQL parameters (patient data) never reach a log or error."""
    options: dict = {"hide_parameters": True}
    if database_uri.startswith("postgresql"):
        # Pessimistic: a connection the server dropped (a restart, a failover, an idle
        # timeout) is replaced before a request uses it, rather than failing that request
        # (SQLAlchemy, "Dealing with Disconnects"). A SQLite file has no server to lose.
        options.update(
            pool_pre_ping=True,
            pool_size=_integer(environ, "DB_POOL_SIZE", 5, minimum=1),
            max_overflow=_integer(environ, "DB_MAX_OVERFLOW", 5, minimum=0),
            pool_timeout=_integer(environ, "DB_POOL_TIMEOUT", 10, minimum=1),
            pool_recycle=1800,
        )
    return options


def limit_store_options(uri: str) -> dict:
    """Redis answers within a second or counts as down: no retries with back-off (seconds
    each), since every limited request waits for them."""
    if not uri.startswith(("redis://", "rediss://")):
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {"socket_connect_timeout": 1, "socket_timeout": 1, "retry": Retry(NoBackoff(), 0)}


def proxy_networks(raw: str) -> list[str]:
    """FORWARDED_ALLOW_IPS: addresses or networks (10.0.0.10, 10.0.0.0/24), comma-separated.
    gunicorn's ``*`` (any peer) is refused: a host reached directly would believe whatever
    X-Forwarded-For a client sends."""
    networks = []
    for part in _list(raw):
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(
                f"FORWARDED_ALLOW_IPS names {part!r}, which is not an address or network: "
                "list the proxy's addresses (export FORWARDED_ALLOW_IPS=10.0.0.10)."
            ) from None
    return networks


def trusted_hosts(public_url: str, environ: Mapping[str, str]) -> list[str]:
    """The host of PUBLIC_URL and any others named in TRUSTED_HOSTS (health checks)."""
    hosts = [urlsplit(public_url).hostname or ""]
    return [host for host in hosts + _list(environ.get("TRUSTED_HOSTS")) if host]


def check_production(config: Mapping) -> None:
    """Refuse to serve real patients with anything guessable, split or unencrypted."""
    if config.get("PROFILE") != "production":
        return
    if config.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production: unset FLASK_DEBUG.")
    secret = config.get("SECRET_KEY") or ""
    if secret == DEVELOPMENT_SECRET or len(secret) < 32:
        raise ConfigError(
            "SECRET_KEY must be a random value of at least 32 characters in production: "
            "export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\"."
        )
    if any(key == DEVELOPMENT_SECRET for key in config.get("SECRET_KEY_FALLBACKS") or []):
        raise ConfigError("SECRET_KEY_FALLBACKS may not hold the development secret.")
    if not str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        raise ConfigError(
            "DATABASE_URL must name the clinic's PostgreSQL database in production "
            "(export DATABASE_URL=postgresql://user@db-host/block_diary); a per-host SQLite "
            "file would split patient data between hosts."
        )
    public = urlsplit(config.get("PUBLIC_URL") or "")
    if public.scheme != "https" or not public.hostname:
        raise ConfigError(
            "PUBLIC_URL must be the https address patients and clinicians use "
            "(export PUBLIC_URL=https://diary.example.org)."
        )
    store = config.get("RATELIMIT_STORAGE_URI") or ""
    if not store.startswith(SHARED_LIMIT_STORES) and config.get("WEB_CONCURRENCY") != 1:
        raise ConfigError(
            "RATELIMIT_STORAGE_URI must be a shared store when more than one worker or host "
            "can run (export RATELIMIT_STORAGE_URI=redis://redis-host:6379/0), or set "
            "WEB_CONCURRENCY=1 for a single worker on a single host."
        )


def _integer(environ: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be a whole number of at least {minimum}.")
    return value


def _list(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]
