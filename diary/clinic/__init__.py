"""The clinic's pages, by feature: patients (with the dashboard), blocks, exports, admin,
the worklist."""

from diary.clinic import admin, blocks, exports, patients, worklist  # noqa: F401 (they add their pages)
from diary.clinic.blueprint import bp

__all__ = ["bp"]
