"""Application stages: the allowed transitions, reasons, and the only code that moves a stage.

Allowed transitions (also shown on each requisition's stage board)::

    applied       -> screen | rejected | withdrawn
    screen        -> interviewing | rejected | withdrawn
    interviewing  -> debrief | rejected | withdrawn
    debrief       -> offer | interviewing | rejected | withdrawn
    offer         -> hired | rejected | withdrawn
    hired, rejected, withdrawn: final

``debrief -> interviewing`` exists because a debrief may ask for one more interview. A final
application changes only through :func:`reopen`: the requisition's hiring manager, with a
reason, takes a rejected or withdrawn application back to the stage it was in before.

Rules kept here (SECURITY.md AI-1, DESIGN.md glossary "application"):

- a person makes every change: there is no code path without an ``actor``;
- every change is a :class:`~hiring.models.StageChange` row: who, when, from, to, why;
- rejection and withdrawal need a reason code from :data:`REJECTION_REASONS` or
  :data:`WITHDRAWAL_REASONS` plus free text; reason codes go to the audit log, free text never;
- each change bumps the application's version, so a stale form answers 409;
- final stages set ``closed_at``; reopening clears it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..models import Application, Stage, StageChange, utcnow
from ..policy import can_manage_candidates_of
from . import Conflict, Forbidden, OperationError
from .audit import record

STAGE_LABELS: dict[str, str] = {
    Stage.APPLIED.value: "Applied",
    Stage.SCREEN.value: "Screen",
    Stage.INTERVIEWING.value: "Interviewing",
    Stage.DEBRIEF.value: "Debrief",
    Stage.OFFER.value: "Offer",
    Stage.HIRED.value: "Hired",
    Stage.REJECTED.value: "Rejected",
    Stage.WITHDRAWN.value: "Withdrawn",
}

# Board order: the pipeline left to right, then the two ways out.
STAGE_ORDER: tuple[str, ...] = tuple(Stage.values())

ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Stage.APPLIED.value: (Stage.SCREEN.value, Stage.REJECTED.value, Stage.WITHDRAWN.value),
    Stage.SCREEN.value: (Stage.INTERVIEWING.value, Stage.REJECTED.value, Stage.WITHDRAWN.value),
    Stage.INTERVIEWING.value: (Stage.DEBRIEF.value, Stage.REJECTED.value,
                               Stage.WITHDRAWN.value),
    Stage.DEBRIEF.value: (Stage.OFFER.value, Stage.INTERVIEWING.value, Stage.REJECTED.value,
                          Stage.WITHDRAWN.value),
    Stage.OFFER.value: (Stage.HIRED.value, Stage.REJECTED.value, Stage.WITHDRAWN.value),
    Stage.HIRED.value: (),
    Stage.REJECTED.value: (),
    Stage.WITHDRAWN.value: (),
}

FINAL_STAGES = frozenset({Stage.HIRED.value, Stage.REJECTED.value, Stage.WITHDRAWN.value})
REOPENABLE_STAGES = frozenset({Stage.REJECTED.value, Stage.WITHDRAWN.value})

# Why the organisation said no. Codes are stable (stored, audited, reported); labels may change.
REJECTION_REASONS: dict[str, str] = {
    "below_bar_must_have": "Below the bar on a must-have competency",
    "below_bar_overall": "Below the bar across several core competencies",
    "insufficient_evidence": "Insufficient evidence after the full loop",
    "level_mismatch": "Better suited to a different level",
    "role_mismatch": "Better suited to a different role",
    "role_filled": "Role filled by another candidate",
    "role_closed": "Requisition closed or put on hold",
    "compensation_mismatch": "Compensation expectations could not be met",
    "location_or_authorisation": "Location or work authorisation requirements not met",
    "failed_checks": "Did not pass reference or background checks",
    "other": "Other (explain below)",
}

# Why the candidate left the process.
WITHDRAWAL_REASONS: dict[str, str] = {
    "accepted_other_offer": "Accepted another offer",
    "compensation": "Compensation or benefits",
    "timing": "Timing or process length",
    "role_not_a_fit": "Role not a fit for them",
    "location_or_remote": "Location or remote-work policy",
    "personal": "Personal circumstances",
    "stayed_current_employer": "Stayed with current employer (counter-offer)",
    "no_response": "Stopped responding",
    "other": "Other (explain below)",
}

REASONS_BY_STAGE: dict[str, dict[str, str]] = {
    Stage.REJECTED.value: REJECTION_REASONS,
    Stage.WITHDRAWN.value: WITHDRAWAL_REASONS,
}

REOPEN_REASON_CODE = "reopened"
MAX_REASON_TEXT = 2000


class ReasonMissing(OperationError):
    """A rejection or withdrawal lacks its reason; ``field`` names what is missing
    (``reason_code`` or ``reason_text``) so a form can show the message beside it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def stage_label(stage: str | None) -> str:
    """The display name of ``stage`` ("(new)" for the first entry of a history)."""
    if stage is None:
        return "(new)"
    return STAGE_LABELS.get(stage, stage)


def allowed_next(stage: str) -> tuple[str, ...]:
    """The stages an application in ``stage`` may move to (empty for final stages)."""
    return ALLOWED_TRANSITIONS.get(stage, ())


def reason_label(to_stage: str, code: str) -> str:
    """The label of reason ``code`` for a move to ``to_stage`` (the code itself if unknown)."""
    if code == REOPEN_REASON_CODE:
        return "Reopened"
    return REASONS_BY_STAGE.get(to_stage, {}).get(code, code)


def _require_actor(actor: Any) -> None:
    # AI-1: a person makes every stage change; nothing moves a stage on its own.
    if actor is None or getattr(actor, "id", None) is None:
        raise OperationError("A stage change needs the person who makes it.")


def _lock(session: Session, application: Application) -> Application:
    """Re-read ``application`` with a row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE suffices)."""
    locked = session.scalar(
        select(Application).where(Application.id == application.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:  # pragma: no cover - deleted between load and lock
        raise Conflict("This application no longer exists.")
    return locked


def _check_version(application: Application, expected_version: int | None) -> None:
    if expected_version is not None and application.version != expected_version:
        raise Conflict(
            f"This application changed since you loaded the page: it is now in "
            f"{stage_label(application.stage)}. Check its history and try again."
        )


def _clean_reason_text(reason_text: str) -> str:
    text = (reason_text or "").strip()
    if len(text) > MAX_REASON_TEXT:
        raise OperationError(f"The reason is too long ({len(text)} characters; at most "
                             f"{MAX_REASON_TEXT}).")
    if "\x00" in text:
        raise OperationError("The reason contains a NUL character.")
    return text


def _add_change(session: Session, application: Application, *, from_stage: str | None,
                to_stage: str, actor: Any, reason_code: str, reason_text: str) -> StageChange:
    change = StageChange(from_stage=from_stage, to_stage=to_stage, actor_id=actor.id,
                         reason_code=reason_code, reason_text=reason_text, at=utcnow())
    application.stage_changes.append(change)
    return change


def record_initial_stage(session: Session, application: Application, *, actor: Any) -> StageChange:
    """The first history entry of a new application: (new) -> applied, by ``actor``."""
    _require_actor(actor)
    application.stage = Stage.APPLIED.value
    change = StageChange(from_stage=None, to_stage=Stage.APPLIED.value, actor_id=actor.id,
                         reason_code="", reason_text="", at=utcnow())
    application.stage_changes.append(change)
    return change


def record_initial_stages(session: Session, application_ids: list[int], *, actor: Any,
                          at: datetime | None = None) -> None:
    """The first history entry, (new) -> applied by ``actor``, for many new applications at
    once (CSV imports; one bulk insert)."""
    _require_actor(actor)
    if not application_ids:
        return
    at = at or utcnow()
    session.execute(insert(StageChange), [
        {"application_id": application_id, "from_stage": None, "to_stage": Stage.APPLIED.value,
         "actor_id": actor.id, "reason_code": "", "reason_text": "", "at": at}
        for application_id in application_ids
    ])


def change_stage(
    session: Session,
    application: Application,
    to_stage: str,
    *,
    actor: Any,
    reason_code: str = "",
    reason_text: str = "",
    expected_version: int | None = None,
) -> StageChange:
    """Move ``application`` to ``to_stage`` on behalf of ``actor`` and record who, when, why.

    Refuses a move the transition table does not allow (naming both stages), a rejection or
    withdrawal without a listed reason code and free text, and a stale ``expected_version``
    (:class:`Conflict`). The actor must manage candidates of the application's requisition
    (:class:`Forbidden`).
    """
    _require_actor(actor)
    if not can_manage_candidates_of(actor, application.requisition):
        raise Forbidden("You may not move candidates of this requisition.")
    application = _lock(session, application)
    _check_version(application, expected_version)

    from_stage = application.stage
    to_stage = (to_stage or "").strip()
    if to_stage not in STAGE_LABELS:
        raise OperationError(f"{to_stage or 'An empty value'!r} is not a stage.")
    if to_stage == from_stage:
        raise OperationError(f"The application is already in {stage_label(from_stage)}.")
    allowed = allowed_next(from_stage)
    if to_stage not in allowed:
        if not allowed:
            raise OperationError(
                f"Cannot move from {stage_label(from_stage)} to {stage_label(to_stage)}: "
                f"{stage_label(from_stage)} is final. A rejected or withdrawn application can be "
                f"reopened by the requisition's hiring manager."
            )
        raise OperationError(
            f"Cannot move from {stage_label(from_stage)} to {stage_label(to_stage)}. From "
            f"{stage_label(from_stage)} an application can move to "
            f"{', '.join(stage_label(s) for s in allowed)}."
        )

    reason_code = (reason_code or "").strip()
    reason_text = _clean_reason_text(reason_text)
    reasons = REASONS_BY_STAGE.get(to_stage)
    if reasons is not None:
        what = "rejection" if to_stage == Stage.REJECTED.value else "withdrawal"
        if reason_code not in reasons:
            raise ReasonMissing(f"Choose a {what} reason from the list.", "reason_code")
        if not reason_text:
            raise ReasonMissing(f"Describe the {what} reason in a few words as well.",
                                "reason_text")
    elif reason_code:
        raise OperationError(f"A move to {stage_label(to_stage)} takes no reason code.")

    change = _add_change(session, application, from_stage=from_stage, to_stage=to_stage,
                         actor=actor, reason_code=reason_code, reason_text=reason_text)
    application.stage = to_stage
    application.version += 1
    application.closed_at = change.at if to_stage in FINAL_STAGES else None
    session.flush()
    record(session, "application.stage_changed", actor_id=actor.id,
           subject_type="application", subject_id=application.id,
           requisition_id=application.requisition_id, from_stage=from_stage, to_stage=to_stage,
           reason_code=reason_code)
    return change


def previous_stage(application: Application) -> str:
    """The stage ``application`` was in before its current one (``applied`` if unknown)."""
    for change in sorted(application.stage_changes, key=lambda c: c.id, reverse=True):
        if change.to_stage == application.stage:
            if change.from_stage and change.from_stage not in FINAL_STAGES:
                return change.from_stage
            break
    return Stage.APPLIED.value


def reopen(session: Session, application: Application, *, actor: Any,
           reason_text: str, expected_version: int | None = None) -> StageChange:
    """Take a rejected or withdrawn application back to the stage before, with a reason.

    Only the requisition's hiring manager may do this (a recruiter or admin cannot).
    """
    _require_actor(actor)
    requisition = application.requisition
    if not ("hiring_manager" in actor.role_names and requisition.hiring_manager_id == actor.id):
        raise Forbidden("Only the requisition's hiring manager can reopen an application.")
    application = _lock(session, application)
    _check_version(application, expected_version)
    if application.stage not in REOPENABLE_STAGES:
        raise OperationError(
            f"Only a rejected or withdrawn application can be reopened; this one is in "
            f"{stage_label(application.stage)}."
        )
    reason_text = _clean_reason_text(reason_text)
    if not reason_text:
        raise ReasonMissing("Say why the application is reopened.", "reason_text")
    from_stage = application.stage
    to_stage = previous_stage(application)
    change = _add_change(session, application, from_stage=from_stage, to_stage=to_stage,
                         actor=actor, reason_code=REOPEN_REASON_CODE, reason_text=reason_text)
    application.stage = to_stage
    application.version += 1
    application.closed_at = None
    session.flush()
    record(session, "application.reopened", actor_id=actor.id, subject_type="application",
           subject_id=application.id, requisition_id=application.requisition_id,
           from_stage=from_stage, to_stage=to_stage)
    return change
