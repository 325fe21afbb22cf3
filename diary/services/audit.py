"""The audit trail: who did what to which record, by id, never a patient's fields."""

from __future__ import annotations

from diary.extensions import db
from diary.models import (
    AuditEvent,
    User,
)


def record_audit(
    action: str,
    by: User | None = None,
    target: object | None = None,
    actor: str | None = None,
    clinic_id: int | None = None,
    detail: dict | None = None,
    remote_addr: str | None = None,
) -> None:
    """Add an audit row. Holds ids and counts only, never a patient's fields."""
    if remote_addr is None:
        remote_addr = _request_address()
    db.session.add(
        AuditEvent(
            clinic_id=clinic_id or (by.clinic_id if by else getattr(target, "clinic_id", None)),
            user_id=by.id if by else None,
            actor=actor or (f"user:{by.id}" if by else "system"),
            action=action,
            target_type=type(target).__name__.lower() if target is not None else None,
            target_id=getattr(target, "id", None),
            detail=detail,
            remote_addr=remote_addr,
        )
    )


def _request_address() -> str | None:
    from flask import has_request_context, request

    return request.remote_addr if has_request_context() else None
