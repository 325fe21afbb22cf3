"""Password rules after NIST SP 800-63B: length, not a known common password, no
composition rules. Flask-free."""

from __future__ import annotations

from functools import cache
from pathlib import Path

MIN_LENGTH = 15  # SP 800-63B-4 for a password used as the only factor
MAX_LENGTH = 128
COMMON = Path(__file__).parent.parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(
        line.strip().lower()
        for line in COMMON.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why ``password`` may not be used, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters; a few words together are easy to remember."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return "That password is too common or too simple; choose another."
    for personal in (email.split("@")[0].lower(), name.lower()):
        if len(personal) >= 4 and personal in lowered:
            return "Do not use your name or email in your password."
    if "blockdiary" in lowered.replace(" ", "").replace("-", ""):
        return "Do not use the name of this service in your password."
    return None
