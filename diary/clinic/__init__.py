"""The clinic's pages, by feature: patients (with the dashboard), blocks, exports, admin,
the worklist."""

from diary.clinic import (  # noqa: F401 (they add their pages)
    admin,
    blocks,
    exports,
    followup,
    patients,
    worklist,
)
from diary.clinic.blueprint import bp

__all__ = ["bp"]
