"""Scheduling interviews: schedule, reschedule, cancel; invitations (.ics, e-mail or outbox)."""

from __future__ import annotations

import secrets
import smtplib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..ics import interview_invitation
from ..models import (
    Application,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    OutboxMessage,
    PlanStep,
    Requisition,
    Role,
    Stage,
    User,
)
from ..policy import manages_requisition
from . import Conflict, NotFound, OperationError
from .audit import record
from .requisitions import current_kit

# Unambiguous characters for printed short codes (no 0/O, 1/I/L).
SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SHORT_CODE_LENGTH = 8
_CLOSED_STAGES = {Stage.HIRED.value, Stage.REJECTED.value, Stage.WITHDRAWN.value}


def new_short_code() -> str:
    """A random printed code for one (interview, interviewer), e.g. ``K7MX-3QPA``."""
    raw = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def check_link(url: str) -> str:
    """A video or location link must be http(s) (WEB-2)."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise OperationError("The video link must start with http:// or https://.")
    return url


def local_to_utc(date_text: str, time_text: str, tz_name: str) -> datetime:
    """Read a date and time typed in ``tz_name`` as an aware UTC datetime."""
    try:
        naive = datetime.strptime(f"{date_text} {time_text}", "%Y-%m-%d %H:%M")
    except ValueError as exc:
        raise OperationError("Give the date as YYYY-MM-DD and the time as HH:MM.") from exc
    return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def _interviewers(session: Session, ids: Sequence[int]) -> list[User]:
    unique = list(dict.fromkeys(ids))
    if not unique:
        raise OperationError("Choose at least one interviewer.")
    people = session.scalars(select(User).where(User.id.in_(unique))).all()
    valid = [p for p in people if p.active and Role.INTERVIEWER.value in p.role_names]
    if len(valid) != len(unique):
        raise OperationError("Interviewers must be active users holding the interviewer role.")
    order = {uid: i for i, uid in enumerate(unique)}
    return sorted(valid, key=lambda p: order[p.id])


def _require(actor: User, requisition: Requisition) -> None:
    if not manages_requisition(actor, requisition):
        raise NotFound("No such requisition.")


def schedule_interview(
    session: Session, *, actor: User, application: Application, step_id: int,
    starts_at: datetime, minutes: int, interviewer_ids: Sequence[int], location: str = "",
    video_url: str = "",
) -> Interview:
    """Schedule one interview of the loop; the step's current kit version is frozen on it."""
    requisition = application.requisition
    _require(actor, requisition)
    if application.stage in _CLOSED_STAGES:
        raise OperationError("This application is closed; reopen it before scheduling.")
    step = session.get(PlanStep, step_id)
    if step is None or step.requisition_id != requisition.id:
        raise OperationError("Choose an interview from this requisition's plan.")
    kit = current_kit(session, step)
    if kit is None or not kit.focus:
        raise OperationError("This interview has no focus competencies yet; edit the plan first.")
    if not 5 <= minutes <= 480:
        raise OperationError("Minutes must be between 5 and 480.")
    people = _interviewers(session, interviewer_ids)
    interview = Interview(
        application_id=application.id, plan_step_id=step.id, kit_version_id=kit.id,
        starts_at=starts_at, minutes=minutes, location=location.strip(),
        video_url=check_link(video_url),
    )
    interview.assignments = [
        InterviewAssignment(interviewer_id=p.id, short_code=new_short_code()) for p in people
    ]
    session.add(interview)
    session.flush()
    record(session, "interview.schedule", actor_id=actor.id, subject_type="interview",
           subject_id=interview.id, kit_version=kit.id, interviewers=[p.id for p in people])
    _queue_invitations(session, interview, people, change="scheduled")
    return interview


def reschedule_interview(
    session: Session, interview: Interview, *, actor: User, starts_at: datetime, minutes: int,
    interviewer_ids: Sequence[int], location: str, video_url: str, expected_version: int,
) -> Interview:
    """Move an interview or change its panel; the kit version stays as scheduled."""
    _require(actor, interview.application.requisition)
    if interview.version != expected_version:
        raise Conflict("This interview was changed by someone else meanwhile.")
    if interview.status == InterviewStatus.CANCELLED.value:
        raise OperationError("A cancelled interview cannot be rescheduled; schedule a new one.")
    people = _interviewers(session, interviewer_ids)
    before = {a.interviewer_id for a in interview.assignments}
    removed = before - {p.id for p in people}
    interview.starts_at = starts_at
    interview.minutes = minutes
    interview.location = location.strip()
    interview.video_url = check_link(video_url)
    interview.assignments = [a for a in interview.assignments if a.interviewer_id not in removed]
    for person in people:
        if person.id not in before:
            interview.assignments.append(
                InterviewAssignment(interviewer_id=person.id, short_code=new_short_code())
            )
    interview.version += 1
    session.flush()
    record(session, "interview.reschedule", actor_id=actor.id, subject_type="interview",
           subject_id=interview.id)
    _queue_invitations(session, interview, people, change="changed")
    gone = session.scalars(select(User).where(User.id.in_(removed))).all() if removed else []
    _queue_invitations(session, interview, gone, change="cancelled")
    return interview


def cancel_interview(session: Session, interview: Interview, *, actor: User) -> None:
    """Cancel an interview; its interviewers are told."""
    _require(actor, interview.application.requisition)
    if interview.status == InterviewStatus.CANCELLED.value:
        return
    interview.status = InterviewStatus.CANCELLED.value
    interview.version += 1
    record(session, "interview.cancel", actor_id=actor.id, subject_type="interview",
           subject_id=interview.id)
    from .scoring import recompute_after_evidence_change  # its ratings stop counting

    recompute_after_evidence_change(session, interview.application_id,
                                    trigger="interview.cancel", actor_id=actor.id)
    people = session.scalars(select(User).where(
        User.id.in_([a.interviewer_id for a in interview.assignments]))).all()
    _queue_invitations(session, interview, people, change="cancelled")


def invitation_ics(interview: Interview, *, base_url: str) -> str:
    """The .ics text for ``interview`` (no candidate contact data; a link back to the app)."""
    step = interview.step
    return interview_invitation(
        uid=f"interview-{interview.id}@hiring",
        sequence=interview.version,
        starts_at=interview.starts_at,
        minutes=interview.minutes,
        summary=f"Interview: {step.name} ({interview.application.requisition.title})",
        description=f"Your kit, packet and scorecard: {base_url.rstrip('/')}"
                    f"/interviews/{interview.id}",
        location=interview.video_url or interview.location,
        url=f"{base_url.rstrip('/')}/interviews/{interview.id}",
        cancelled=interview.status == InterviewStatus.CANCELLED.value,
    )


def _queue_invitations(session: Session, interview: Interview, people: Sequence[User],
                       *, change: str) -> None:
    base_url = current_app.config["BASE_URL"]
    ics = invitation_ics(interview, base_url=base_url)
    for person in people:
        local = interview.starts_at.astimezone(ZoneInfo(person.timezone or "UTC"))
        subject = {
            "scheduled": "Interview scheduled",
            "changed": "Interview changed",
            "cancelled": "Interview cancelled",
        }[change] + f": {interview.step.name}, {local:%a %d %b %Y %H:%M} {local.tzname()}"
        body = (
            f"Hello {person.name},\n\n{subject}.\n"
            f"Requisition: {interview.application.requisition.title}\n"
            f"Length: {interview.minutes} minutes\n"
            + (f"Where: {interview.video_url or interview.location}\n"
               if interview.video_url or interview.location else "")
            + f"\nKit, packet and scorecard: {base_url.rstrip('/')}/interviews/{interview.id}\n"
        )
        session.add(OutboxMessage(to_user_id=person.id, interview_id=interview.id,
                                  subject=subject, body=body, ics=ics))


def deliver_outbox(session: Session, smtp_url: str, sender: str = "hiring@localhost") -> int:
    """Send unsent messages by SMTP (``smtp://user:pass@host:port``); returns how many were sent.

    Without ``smtp_url`` nothing is sent: messages stay on the development outbox page.
    """
    if not smtp_url:
        return 0
    parts = urlsplit(smtp_url)
    pending = session.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                              .limit(100)).all()
    sent = 0
    if not pending:
        return 0
    with smtplib.SMTP(parts.hostname or "localhost", parts.port or 25, timeout=10) as smtp:
        if parts.scheme == "smtps" or parts.port == 587:
            smtp.starttls()
        if parts.username:
            smtp.login(parts.username, parts.password or "")
        for message in pending:
            user = session.get(User, message.to_user_id)
            email = EmailMessage()
            email["From"], email["To"], email["Subject"] = sender, user.email, message.subject
            email.set_content(message.body)
            if message.ics:
                email.add_attachment(message.ics.encode(), maintype="text", subtype="calendar",
                                     filename="interview.ics")
            try:
                smtp.send_message(email)
                message.sent_at = datetime.now(UTC)
                sent += 1
            except smtplib.SMTPException as exc:
                message.error = str(exc)[:500]
    return sent


def my_interviews(session: Session, user: User) -> tuple[list[Interview], list[Interview]]:
    """The user's scheduled interviews: (upcoming, past), nearest first."""
    rows = session.scalars(
        select(Interview).join(InterviewAssignment)
        .where(InterviewAssignment.interviewer_id == user.id,
               Interview.status == InterviewStatus.SCHEDULED.value)
        .order_by(Interview.starts_at)
    ).all()
    now = datetime.now(UTC)
    upcoming = [i for i in rows if i.starts_at + timedelta(minutes=i.minutes) >= now]
    past = [i for i in rows if i.starts_at + timedelta(minutes=i.minutes) < now]
    past.reverse()
    return upcoming, past


def interview_for(session: Session, user: User, interview_id: int,
                  statement: Select[Any] | None = None) -> Interview:
    """The interview if ``user`` is on its panel or manages its requisition, else NotFound.

    ``statement``: a prebuilt query for one interview by the ``interview_id`` bind parameter
    (with the eager loads a busy page needs); by default a plain primary-key load."""
    interview = session.get(Interview, interview_id) if statement is None else \
        session.scalars(statement, {"interview_id": interview_id}).unique().first()
    if interview is None:
        raise NotFound("No such interview.")
    on_panel = any(a.interviewer_id == user.id for a in interview.assignments)
    if not on_panel and not manages_requisition(user, interview.application.requisition):
        raise NotFound("No such interview.")
    return interview


def send_pending_invitations() -> int:
    """After a scheduling change has committed: e-mail waiting invitations when SMTP is set.

    A mail failure never undoes the change; it is logged and the message stays on the outbox
    page with its error.
    """
    from ..db import write_session

    smtp_url = current_app.config.get("SMTP_URL", "")
    if not smtp_url:
        return 0
    try:
        with write_session() as session:
            return deliver_outbox(session, smtp_url)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not send interview invitations")
        return 0
