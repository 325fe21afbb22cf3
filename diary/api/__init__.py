"""The JSON API: its blueprint, and the modules whose operations it serves."""

from diary.api import (  # noqa: F401 (they register their operations)
    clinic,
    diary_link,
    exports,
    followup,
)
from diary.api.blueprint import bp

__all__ = ["bp"]
