"""Checking JSON bodies field by field, collecting every error before refusing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from diary.api.problems import ApiProblem

MISSING = object()


class JsonFields:
    """Read typed fields from a JSON object; ``finish()`` raises one 422 with all errors."""

    def __init__(self, body: Any, allowed: set[str]):
        if not isinstance(body, dict):
            raise ApiProblem(400, "The request body must be a JSON object.")
        self.body = body
        self.errors: dict[str, str] = {}
        for name in sorted(set(body) - allowed):
            self.errors[name] = "is not a known field"

    def has(self, name: str) -> bool:
        return name in self.body

    def _get(self, name: str, required: bool):
        value = self.body.get(name, MISSING)
        if value is MISSING or value is None:
            if required:
                self.errors[name] = "is required"
            return MISSING
        return value

    def integer(self, name: str, low: int, high: int, required: bool = True) -> int | None:
        value = self._get(name, required)
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = f"must be a whole number from {low} to {high}"
            return None
        if not low <= value <= high:
            self.errors[name] = f"must be from {low} to {high}"
            return None
        return value

    def number(self, name: str, low: float, high: float, required: bool = True) -> float | None:
        value = self._get(name, required)
        if value is MISSING:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.errors[name] = f"must be a number from {low:g} to {high:g}"
            return None
        if not low <= value <= high:
            self.errors[name] = f"must be from {low:g} to {high:g}"
            return None
        return float(value)

    def text(self, name: str, max_length: int, required: bool = True) -> str | None:
        value = self._get(name, required)
        if value is MISSING:
            return None
        if not isinstance(value, str):
            self.errors[name] = "must be text"
            return None
        if len(value) > max_length:
            self.errors[name] = f"must be at most {max_length} characters"
            return None
        if required and not value.strip():
            self.errors[name] = "must not be empty"
            return None
        return value

    def choice(self, name: str, choices, required: bool = True) -> str | None:
        value = self._get(name, required)
        if value is MISSING:
            return None
        if not isinstance(value, str) or value not in choices:
            self.errors[name] = "must be one of: " + ", ".join(sorted(choices))
            return None
        return value

    def boolean(self, name: str, required: bool = True) -> bool | None:
        value = self._get(name, required)
        if value is MISSING:
            return None
        if not isinstance(value, bool):
            self.errors[name] = "must be true or false"
            return None
        return value

    def moment(self, name: str, required: bool = True) -> datetime | None:
        """An ISO 8601 date-time that states its UTC offset."""
        value = self._get(name, required)
        if value is MISSING:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.errors[name] = "must be an ISO 8601 date-time, e.g. 2026-11-24T09:30:00+00:00"
            return None
        if parsed.tzinfo is None:
            self.errors[name] = "must include its UTC offset, e.g. +00:00"
            return None
        if not 1900 <= parsed.year <= 2200:
            self.errors[name] = "must be a date between 1900 and 2200"
            return None
        return parsed

    def text_list(
        self, name: str, max_items: int, max_length: int, required: bool = True
    ) -> list[str] | None:
        value = self._get(name, required)
        if value is MISSING:
            return None
        if (
            not isinstance(value, list)
            or len(value) > max_items
            or not all(isinstance(item, str) and len(item) <= max_length for item in value)
        ):
            self.errors[name] = (
                f"must be a list of at most {max_items} texts of up to {max_length} characters"
            )
            return None
        return value

    def fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def finish(self) -> None:
        if self.errors:
            raise ApiProblem(422, "Some fields are not valid.", self.errors)
