"""The clinic's pages, by feature: patients (with the dashboard), blocks, exports, admin."""

from diary.clinic import admin, blocks, exports, followup, patients  # noqa: F401 (they add pages)
from diary.clinic.blueprint import bp

__all__ = ["bp"]
