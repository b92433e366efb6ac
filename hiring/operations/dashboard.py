"""What the dashboard lists for one user: next interviews, overdue scorecards, requisitions and
debriefs waiting. Read-only; plain dataclasses, scoped by the policy module's queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import (
    Application,
    Candidate,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    Requisition,
    RequisitionStatus,
    Stage,
    User,
)
from ..policy import scoped_requisitions
from .interviews import my_interviews
from .requisitions import STATUS_LABELS
from .scorecards import overdue_scorecards

NEXT_INTERVIEWS = 5
LIST_LIMIT = 10


@dataclass(frozen=True)
class InterviewItem:
    """One of the user's next interviews."""

    interview_id: int
    interview_name: str
    starts_at: datetime
    minutes: int
    candidate_name: str
    requisition_title: str


@dataclass(frozen=True)
class OverdueItem:
    """A scorecard not submitted ``overdue_hours`` after its interview ended."""

    interview_id: int
    interview_name: str
    ended_at: datetime
    hours_since_end: int
    interviewer_id: int
    interviewer_name: str
    candidate_name: str
    requisition_title: str


@dataclass(frozen=True)
class RequisitionItem:
    """A requisition the user manages."""

    requisition_id: int
    title: str
    status: str
    status_label: str
    applications: int


@dataclass(frozen=True)
class DebriefItem:
    """An application in the debrief stage the user may open the debrief of."""

    application_id: int
    candidate_name: str
    requisition_title: str


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's lists; ``*_total`` count what the shortened lists leave out."""

    overdue_hours: int
    next_interviews: tuple[InterviewItem, ...] = ()
    past_interviews: int = 0
    my_overdue: tuple[OverdueItem, ...] = ()
    team_overdue: tuple[OverdueItem, ...] = ()
    team_overdue_total: int = 0
    requisitions: tuple[RequisitionItem, ...] = ()
    requisitions_total: int = 0
    debriefs: tuple[DebriefItem, ...] = ()


def _overdue_items(session: Session, rows: list[tuple[Interview, int]], now: datetime
                   ) -> list[OverdueItem]:
    if not rows:
        return []
    names = dict(session.execute(select(User.id, User.name).where(
        User.id.in_({uid for _, uid in rows}))).all())
    out = []
    for interview, uid in rows:
        ended = interview.starts_at + timedelta(minutes=interview.minutes)
        application = interview.application
        out.append(OverdueItem(
            interview.id, interview.step.name, ended, int((now - ended).total_seconds() // 3600),
            uid, names.get(uid, f"User {uid}"), application.candidate.name,
            application.requisition.title))
    return out


def dashboard_for(session: Session, user: Any, *, overdue_hours: int,
                  now: datetime | None = None) -> Dashboard:
    """The dashboard lists for ``user``, one group per role they hold."""
    now = now or datetime.now(UTC)
    roles = user.role_names
    values: dict[str, Any] = {"overdue_hours": overdue_hours}
    if "interviewer" in roles:
        upcoming, past = my_interviews(session, user)
        values["past_interviews"] = len(past)
        values["next_interviews"] = tuple(
            InterviewItem(i.id, i.step.name, i.starts_at, i.minutes,
                          i.application.candidate.name, i.application.requisition.title)
            for i in upcoming[:NEXT_INTERVIEWS])
        values["my_overdue"] = tuple(_overdue_items(session, overdue_scorecards(
            session, hours=overdue_hours, interviewer_id=user.id, now=now), now))
    debrief_ids: set[int] = set()
    if roles & {"recruiter", "hiring_manager"}:
        managed = scoped_requisitions(user)
        if "recruiter" not in roles:  # an admin who is a hiring manager: own requisitions only
            managed = managed.where(Requisition.hiring_manager_id == user.id)
        requisition_ids = list(session.scalars(managed.with_only_columns(Requisition.id)))
        team = _overdue_items(session, overdue_scorecards(
            session, hours=overdue_hours, requisition_ids=requisition_ids, now=now), now)
        values["team_overdue"] = tuple(team[:LIST_LIMIT * 2])
        values["team_overdue_total"] = len(team)
        open_first = (Requisition.status == RequisitionStatus.CLOSED.value)
        rows = session.scalars(managed.order_by(open_first, Requisition.created_at.desc(),
                                                Requisition.id.desc()).limit(LIST_LIMIT)).all()
        counts = dict(session.execute(
            select(Application.requisition_id, func.count(Application.id))
            .where(Application.requisition_id.in_([r.id for r in rows]))
            .group_by(Application.requisition_id)).all()) if rows else {}
        values["requisitions"] = tuple(
            RequisitionItem(r.id, r.title, r.status, STATUS_LABELS.get(r.status, r.status),
                            counts.get(r.id, 0)) for r in rows)
        values["requisitions_total"] = len(requisition_ids)
        debrief_ids.update(session.scalars(
            select(Application.id).where(Application.stage == Stage.DEBRIEF.value,
                                         Application.requisition_id.in_(requisition_ids))))
    # Panel members open the debriefs of candidates they interviewed.
    debrief_ids.update(session.scalars(
        select(Application.id).join(Interview, Interview.application_id == Application.id)
        .join(InterviewAssignment, InterviewAssignment.interview_id == Interview.id)
        .where(Application.stage == Stage.DEBRIEF.value,
               Interview.status == InterviewStatus.SCHEDULED.value,
               InterviewAssignment.interviewer_id == user.id)))
    if debrief_ids and roles & {"recruiter", "hiring_manager", "interviewer"}:
        rows = session.execute(
            select(Application.id, Candidate.name, Requisition.title)
            .join(Candidate, Candidate.id == Application.candidate_id)
            .join(Requisition, Requisition.id == Application.requisition_id)
            .where(Application.id.in_(debrief_ids))
            .order_by(Application.created_at, Application.id).limit(LIST_LIMIT * 2)).all()
        values["debriefs"] = tuple(DebriefItem(*row) for row in rows)
    return Dashboard(**values)
