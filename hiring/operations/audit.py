"""Writing audit events: who, what, when, outcome; never personal data or note text."""

from __future__ import annotations

from typing import Any

from flask import g, has_app_context
from sqlalchemy.orm import Session

from ..models import AuditEvent

# Keys that must never reach the audit log, whatever a caller passes (LOG-1).
_FORBIDDEN_DETAIL_KEYS = {"password", "token", "note", "notes", "evidence", "email", "name",
                          "phone", "text", "takeaways"}


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    subject_type: str = "",
    subject_id: int | str = "",
    outcome: str = "ok",
    **details: Any,
) -> AuditEvent:
    """Append one audit event to ``session`` (committed with the caller's unit of work)."""
    leaked = _FORBIDDEN_DETAIL_KEYS.intersection(details)
    if leaked:
        raise ValueError(f"audit details must not hold {sorted(leaked)}")
    request_id = g.get("request_id", "") if has_app_context() else ""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=str(subject_id),
        outcome=outcome,
        details=details,
        request_id=request_id,
    )
    session.add(event)
    return event


def record_denial(actor_id: int | None, target: str, reason: str) -> None:
    """Audit a denied request in its own short unit of work (the request's may roll back)."""
    from ..db import write_session

    try:
        with write_session() as session:
            record(session, "access.denied", actor_id=actor_id, subject_type="endpoint",
                   subject_id=target[:64], outcome="denied", reason=reason[:200])
    except Exception:  # noqa: BLE001 - a failed audit write must not turn a 403 into a 500
        from flask import current_app

        current_app.logger.exception("could not audit a denial")
