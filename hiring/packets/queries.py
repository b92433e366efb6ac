"""Packet view models from the database, with the viewer's permissions applied (SECURITY.md PDF-4).

Every function here answers exactly what the matching page would show the same person, and
raises :class:`~hiring.operations.NotFound` (existence not disclosed) or
:class:`~hiring.operations.Forbidden` otherwise. The web views and the ``flask packet`` commands
both go through these, so the two channels cannot drift apart. Nothing here writes the database;
:func:`record_debrief_export` is the one audit write, for the caller's own short unit of work.

- :func:`interview_packet`: one interview for one of its panel members;
- :func:`blank_kit`: a requisition's plan step without a candidate (requisition managers);
- :func:`debrief_packet`: one application's debrief as :func:`~hiring.operations.debrief.
  debrief_view` builds it for the viewer (the score only where the page shows it);
- :func:`batch`: a loop's or a day's interview packets in one PDF.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import (
    Application,
    Candidate,
    DomainPack,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    RequisitionDomain,
    StageChange,
    User,
)
from ..operations import Conflict, Forbidden, NotFound, stages
from ..operations import debrief as debrief_ops
from ..operations.requisitions import current_kit
from ..operations.scorecards import assignment_for, loop_interviews
from ..policy import Action, allows, manages_requisition, requisition_for
from .viewmodels import (
    Anchor,
    BatchPacket,
    BlankKit,
    DebriefPacket,
    DebriefSummary,
    DecisionEntry,
    Disagreement,
    EvidenceNote,
    FocusCompetency,
    Gap,
    InterviewCover,
    InterviewPacket,
    KitQuestion,
    MatrixCell,
    MatrixRow,
    QuestionGroup,
    RatingsMatrix,
    RecommendationEntry,
    RoleBrief,
    StageEvent,
    local_time,
)

#: Roles that see the score on the debrief page (hiring/views/debrief.py); the packet follows.
SCORE_ROLES = frozenset({"admin", "recruiter", "hiring_manager"})


# ---------------------------------------------------------------------------- helpers


def _require(viewer: Any, action: Action) -> None:
    """The role table's check, for channels without the web gate (the CLI)."""
    if viewer is None or not getattr(viewer, "active", True) or \
            not allows(viewer.role_names, action):
        raise Forbidden("You may not download this packet.")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _zone(tz_name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _now_text(tz_name: str | None) -> str:
    local = datetime.now(UTC).astimezone(_zone(tz_name))
    return f"{local.day} {local:%B %Y}, {local:%H:%M} ({tz_name or 'UTC'})"


def _day_text(moment: datetime | None, tz_name: str | None = None) -> str:
    if moment is None:
        return ""
    local = _aware(moment).astimezone(_zone(tz_name))
    return f"{local.day} {local:%b %Y}"


def _base_url(base_url: str | None) -> str:
    if base_url is None:
        from flask import current_app

        base_url = str(current_app.config["BASE_URL"])
    return base_url.rstrip("/")


def _role_brief(session: Session, requisition: Any) -> RoleBrief:
    profile = requisition.profile_version
    domains = tuple(session.scalars(
        select(DomainPack.name)
        .join(RequisitionDomain, RequisitionDomain.domain_id == DomainPack.id)
        .where(RequisitionDomain.requisition_id == requisition.id).order_by(DomainPack.name)))
    return RoleBrief(
        role_name=profile.name, role_summary=profile.summary or "",
        level_name=requisition.level,
        level_summary=str((profile.level_summaries or {}).get(requisition.level, "")),
        team_model=requisition.team_model or "", domains=domains,
    )


def _kit(session: Session, kit_version: Any
         ) -> tuple[tuple[FocusCompetency, ...], tuple[QuestionGroup, ...]]:
    """Focus competencies (anchors, never bars) and question groups of a frozen kit version."""
    from ..views.interviews import kit_view

    view = kit_view(session, SimpleNamespace(kit_version=kit_version))
    competencies = tuple(
        FocusCompetency(c.key, c.name, c.description,
                        tuple(Anchor(n, text or "") for n, text in enumerate(c.anchors, 1)))
        for c in view)
    groups = tuple(
        QuestionGroup(c.key, c.name, tuple(
            KitQuestion(q.public_id, q.prompt, q.minutes, q.kind, tuple(q.follow_ups),
                        tuple(q.signals), tuple(q.red_flags)) for q in c.questions))
        for c in view if c.questions)
    return competencies, groups


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _build_interview_packet(session: Session, interview: Interview,
                            assignment: InterviewAssignment, person: Any,
                            base_url: str) -> InterviewPacket:
    """``interview``'s packet as ``person`` (holding ``assignment``) holds it."""
    application = interview.application
    requisition = application.requisition
    candidate = session.get(Candidate, application.candidate_id)
    names = _names(session, {a.interviewer_id for a in interview.assignments})
    when, zone = local_time(_aware(interview.starts_at), interview.minutes,
                            person.timezone or "UTC")
    competencies, groups = _kit(session, interview.kit_version)
    cover = InterviewCover(
        requisition_title=requisition.title,
        role_name=requisition.profile_version.name, level_name=requisition.level,
        interview_name=interview.step.name, minutes=interview.minutes,
        candidate_name=candidate.name if candidate else "",
        local_datetime=when, timezone=zone, interviewer_name=person.name,
        panel=tuple(names.get(a.interviewer_id, "") for a in interview.assignments),
        location=interview.location or "",
    )
    return InterviewPacket(
        cover=cover, role_brief=_role_brief(session, requisition), competencies=competencies,
        question_groups=groups, short_code=assignment.short_code,
        scorecard_url=f"{base_url}/s/{assignment.short_code}",
        kit_version=interview.kit_version.version_no,
        generated_at=_now_text(person.timezone),
    )


# ---------------------------------------------------------------------------- interview packet


def interview_packet(session: Session, viewer: Any, interview_id: int, *,
                     base_url: str | None = None) -> InterviewPacket:
    """One interview's packet for ``viewer``, who must be on its panel (else NotFound)."""
    _require(viewer, Action.FILL_SCORECARD)
    interview = session.get(Interview, interview_id)
    assignment = assignment_for(interview, viewer) if interview is not None else None
    if interview is None or assignment is None or \
            interview.status != InterviewStatus.SCHEDULED.value:
        raise NotFound("No such interview.")
    return _build_interview_packet(session, interview, assignment, viewer, _base_url(base_url))


# ---------------------------------------------------------------------------- blank kit


def blank_kit(session: Session, viewer: Any, requisition_id: int, step: int, *,
              by_position: bool = False) -> BlankKit:
    """A plan step's current kit without a candidate, for people who manage the requisition.

    ``step`` is the step's id, or with ``by_position`` its 1-based position in the plan.
    """
    _require(viewer, Action.MANAGE_REQUISITIONS)
    requisition = requisition_for(session, viewer, requisition_id)
    steps = sorted(requisition.steps, key=lambda s: (s.position, s.id))
    if by_position:
        found = steps[step - 1] if 1 <= step <= len(steps) else None
    else:
        found = next((s for s in steps if s.id == step), None)
    if found is None:
        raise NotFound("No such interview in the plan.")
    kit = current_kit(session, found)
    if kit is None:
        raise NotFound("This interview has no kit yet.")
    competencies, groups = _kit(session, kit)
    cover = InterviewCover(
        requisition_title=requisition.title, role_name=requisition.profile_version.name,
        level_name=requisition.level, interview_name=found.name, minutes=found.minutes,
    )
    return BlankKit(cover=cover, role_brief=_role_brief(session, requisition),
                    competencies=competencies, question_groups=groups,
                    kit_version=kit.version_no, generated_at=_now_text(viewer.timezone))


# ---------------------------------------------------------------------------- debrief packet


def debrief_packet(session: Session, viewer: Any, application_id: int) -> DebriefPacket:
    """The debrief as ``viewer`` sees it on the page (NotFound when they may not open it;
    Conflict while the page shows them only "submit first" or "waiting for the panel")."""
    _require(viewer, Action.SEE_SCORECARDS)
    application = debrief_ops.debrief_application(session, viewer, application_id)
    view = debrief_ops.debrief_view(session, viewer, application)
    if not view.full:
        raise Conflict(view.message or "Nothing of this debrief can be shown to you yet.")
    requisition = application.requisition
    tz = viewer.timezone or "UTC"
    manager = debrief_ops.manages_debrief(viewer, requisition)
    hiring_manager = _names(session, {requisition.hiring_manager_id}).get(
        requisition.hiring_manager_id, "")

    interviews: list[str] = []
    for seat in view.panel:
        label = f"{seat.interview_name} ({_day_text(seat.starts_at, tz)})"
        if label not in interviews:
            interviews.append(label)
    summary = DebriefSummary(
        candidate_name=view.candidate_name, requisition_title=view.requisition_title,
        role_name=view.profile_name, level_name=view.level, stage=view.stage_label,
        hiring_manager=hiring_manager, interviews=tuple(interviews),
        submitted=sum(1 for s in view.panel if s.submitted), expected=len(view.panel),
    )

    columns = view.columns
    matrix = RatingsMatrix(
        interviewers=tuple(f"{c.interviewer_name} ({c.interview_name})" for c in columns),
        rows=tuple(MatrixRow(
            row.key, row.name,
            tuple(MatrixCell(rating=cell.rating, not_assessed=cell.not_assessed_reason)
                  if cell is not None else MatrixCell() for cell in row.cells),
            row.mean, row.count, row.position, row.weight, row.must_have)
            for row in view.rows),
    )
    column_name = {c.scorecard_id: c.interviewer_name for c in columns}
    evidence = tuple(
        EvidenceNote(column_name.get(cell.scorecard_id, ""), cell.evidence, row.name, "",
                     cell.rating)
        for row in view.rows for cell in row.cells if cell is not None and cell.evidence)
    gaps = tuple(
        Gap(g.competency_name, "Nobody rated it"
            + (" (must-have)" if g.must_have else "")
            + (f"; not assessed: {', '.join(g.not_assessed_reasons)}"
               if g.not_assessed_reasons else "") + ".")
        for g in view.gaps)
    disagreements = tuple(
        Disagreement(d.competency_name, tuple((r.interviewer_name, r.rating) for r in d.ratings))
        for d in view.disagreements)
    flags = {i.scorecard_id: i.message for i in view.inconsistencies}
    submitted_at = {c.scorecard_id: c.submitted_at for c in columns}
    recommendations = tuple(
        RecommendationEntry(r.interviewer_name, r.recommendation, r.no_decision_reason,
                            _day_text(submitted_at.get(r.scorecard_id), tz),
                            flags.get(r.scorecard_id, ""), r.takeaways)
        for r in view.recommendations)
    decisions = tuple(
        DecisionEntry(_day_text(d.at, tz), d.actor_name,
                      d.kind_label + (f" to {d.to_stage_label}" if d.to_stage_label else ""),
                      d.rationale, _score_shown(d.score_shown))
        for d in view.decisions)
    history: tuple[StageEvent, ...] = ()
    if manager:  # as decisions: stage reasons are for the people who run the requisition
        changes = session.scalars(select(StageChange).where(
            StageChange.application_id == application.id)
            .order_by(StageChange.at, StageChange.id)).all()
        actors = _names(session, {c.actor_id for c in changes})
        history = tuple(StageEvent(_day_text(c.at, tz), stages.stage_label(c.to_stage),
                                   actors.get(c.actor_id, ""), c.reason_text or "")
                        for c in changes)

    score = None
    if viewer.role_names & SCORE_ROLES:  # the page shows the score to these roles only
        from ..operations.ranking import packet_score_block

        score = packet_score_block(session, viewer, application)
    profile = requisition.profile_version
    roles = ", ".join(sorted(r.replace("_", " ") for r in viewer.role_names))
    return DebriefPacket(
        summary=summary, matrix=matrix, stage_history=history, score=score, gaps=gaps,
        disagreements=disagreements, evidence=evidence, recommendations=recommendations,
        decisions=decisions, model_version=score.kind if score is not None else "",
        profile_version=f"{profile.name} v{profile.version_no}, {requisition.level}",
        prepared_for=f"{viewer.name} ({roles})", generated_at=_now_text(tz),
    )


def _score_shown(shown: dict[str, Any] | None) -> str:
    if not shown:
        return ""
    value = shown.get("score_0_100") if isinstance(shown, dict) else None
    if isinstance(value, int | float):
        return f"{value:.0f} of 100"
    state = shown.get("state") if isinstance(shown, dict) else None
    return str(state or "")


def record_debrief_export(session: Session, *, actor: Any, application_id: int,
                          channel: str) -> None:
    """Audit a debrief packet download (an export of personal data); ids only, no names."""
    from ..operations.audit import record

    record(session, "packet.debrief", actor_id=actor.id, subject_type="application",
           subject_id=application_id, channel=channel)


# ---------------------------------------------------------------------------- batches


def batch(session: Session, viewer: Any, *, application_id: int | None = None,
          day: date | None = None, base_url: str | None = None) -> BatchPacket:
    """A loop's packets (``application_id``) or a day's (``day``, the viewer's own interviews
    starting that day in the viewer's time zone) as one batch.

    For a loop, a person who manages the requisition gets every panel member's packet; anyone
    else their own packets of that loop (NotFound when they have none).
    """
    if (application_id is None) == (day is None):
        raise ValueError("give exactly one of application_id and day")
    url = _base_url(base_url)
    if application_id is not None or day is None:
        return _loop_batch(session, viewer, int(application_id or 0), url)
    _require(viewer, Action.FILL_SCORECARD)
    zone = _zone(viewer.timezone)
    rows = session.scalars(
        select(Interview).join(InterviewAssignment)
        .where(InterviewAssignment.interviewer_id == viewer.id,
               Interview.status == InterviewStatus.SCHEDULED.value)
        .order_by(Interview.starts_at, Interview.id)).all()
    mine = [i for i in rows if _aware(i.starts_at).astimezone(zone).date() == day]
    if not mine:
        raise NotFound(f"You have no interviews on {day.isoformat()}.")
    packets = tuple(_build_interview_packet(session, i, assignment_for(i, viewer), viewer, url)
                    for i in mine)
    return BatchPacket(title=f"{day:%A} {day.day} {day:%B %Y}", packets=packets,
                       generated_at=_now_text(viewer.timezone))


def _loop_batch(session: Session, viewer: Any, application_id: int, url: str) -> BatchPacket:
    _require(viewer, Action.SEE_CANDIDATE)
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound("No such application.")
    interviews = sorted(loop_interviews(session, application.id),
                        key=lambda i: (_aware(i.starts_at), i.id))
    manager = manages_requisition(viewer, application.requisition)
    seats = [(i, a) for i in interviews for a in i.assignments
             if manager or a.interviewer_id == viewer.id]
    if not seats:
        raise NotFound("No such application.")
    people = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_({a.interviewer_id for _, a in seats})))}
    packets = tuple(_build_interview_packet(session, i, a, people[a.interviewer_id], url)
                    for i, a in seats)
    candidate = session.get(Candidate, application.candidate_id)
    title = f"{candidate.name if candidate else ''} \u2013 {application.requisition.title}"
    return BatchPacket(title=title, packets=packets, generated_at=_now_text(viewer.timezone))
