"""The JSON API: its blueprint, and the modules whose operations it serves."""

from diary.api import clinic, diary_link, exports  # noqa: F401 (they register their operations)
from diary.api.blueprint import bp

__all__ = ["bp"]
