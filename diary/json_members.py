"""A JSON object naming a member twice (``{"pain": 3, "pain": 7}``): JSON parsers keep one
of the two unsaid (Python's and pydantic's the last), so a request holding one is refused,
on the API and on a form posted as JSON alike. Flask-free."""

from __future__ import annotations

import json
from typing import Any


class _Repeated(Exception):
    def __init__(self, key: str):
        self.key = key


def _members_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members (json's ``object_pairs_hook``), none named twice."""
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Repeated(key)
            seen.add(key)
    return members


def repeated_member(text: bytes | str) -> str | None:
    """The first member named twice in an object of the JSON ``text``, at any depth; None
    when there is none, or when the text is not JSON (its parser says what is wrong).
    Too deep a nesting raises RecursionError, as json.loads does."""
    try:
        json.loads(text, object_pairs_hook=_members_once)
    except _Repeated as repeated:
        return repeated.key
    except ValueError:
        return None
    return None
