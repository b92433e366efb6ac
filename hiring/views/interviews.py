"""My interviews, an interview's kit, invitations (.ics), rescheduling and the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..db import db_session
from ..forms import ActionForm, ScheduleForm
from ..models import (
    Candidate,
    Competency,
    OutboxMessage,
    ProfileVersion,
    Question,
    Scorecard,
    User,
    UserRole,
)
from ..operations import Conflict, OperationError
from ..operations import interviews as ops
from ..operations.requisitions import latest_competency_versions
from ..policy import Action, manages_requisition, requires

bp = Blueprint("interviews", __name__)

PAST_PAGE_SIZE = 25  # past interviews per page of "My interviews"


def local_time(moment: datetime, tz_name: str | None) -> datetime:
    """``moment`` in the viewer's time zone."""
    return moment.astimezone(ZoneInfo(tz_name or "UTC"))


@bp.app_template_filter("localtime")
def _localtime_filter(moment: datetime | None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """Format an aware UTC datetime in the current user's time zone, with the zone's name."""
    if moment is None:
        return ""
    tz = getattr(current_user, "timezone", None) or "UTC"
    local = local_time(moment, tz)
    return f"{local.strftime(fmt)} {local.tzname()}"


@bp.get("/interviews")
@requires(Action.FILL_SCORECARD)
def mine() -> str:
    """My interviews: upcoming and past, each opening its kit."""
    session = db_session()
    upcoming, past = ops.my_interviews(session, current_user)
    # Past interviews only grow: newest first, a page at a time.
    pages = max((len(past) + PAST_PAGE_SIZE - 1) // PAST_PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    past = past[(page - 1) * PAST_PAGE_SIZE:page * PAST_PAGE_SIZE]
    ids = [i.id for i in upcoming + past]
    submitted = set(session.scalars(select(Scorecard.interview_id).where(
        Scorecard.interview_id.in_(ids), Scorecard.interviewer_id == current_user.id,
        Scorecard.status == "submitted"))) if ids else set()
    return render_template("interviews/mine.html", upcoming=upcoming, past=past,
                           submitted=submitted, page=page, pages=pages)


@dataclass
class KitQuestion:
    """A kit question as shown to interviewers."""

    public_id: str
    kind: str
    minutes: int
    prompt: str
    follow_ups: list[str]
    signals: list[str]
    red_flags: list[str]


@dataclass
class KitCompetency:
    """A focus competency with its anchors (never its bar) and its kit questions."""

    key: str
    name: str
    description: str
    anchors: list[str]
    questions: list[KitQuestion]


def kit_view(session: Any, interview: Any) -> list[KitCompetency]:
    """The frozen kit of ``interview`` grouped by focus competency (anchors, no bars)."""
    kit = interview.kit_version
    focus_ids = [f.competency_id for f in kit.focus]
    versions = latest_competency_versions(session, focus_ids)
    keys = {c.id: c.key for c in session.scalars(select(Competency).where(
        Competency.id.in_(focus_ids)))} if focus_ids else {}
    public = {q.id: q for q in session.scalars(select(Question).where(
        Question.id.in_([i.question_version.question_id for i in kit.items])))}
    groups: dict[int, KitCompetency] = {}
    for cid in focus_ids:
        cv = versions.get(cid)
        groups[cid] = KitCompetency(
            keys.get(cid, ""), cv.name if cv else keys.get(cid, ""),
            cv.description if cv else "",
            [cv.anchor_1, cv.anchor_2, cv.anchor_3, cv.anchor_4] if cv else [], [],
        )
    for item in kit.items:
        qv = item.question_version
        question = public.get(qv.question_id)
        if question is None or question.competency_id not in groups:
            continue
        groups[question.competency_id].questions.append(KitQuestion(
            question.public_id, qv.kind, qv.minutes, qv.prompt, list(qv.follow_ups),
            list(qv.signals), list(qv.red_flags)))
    return list(groups.values())


@bp.get("/interviews/<int:interview_id>")
@requires(Action.SEE_CANDIDATE)
def detail(interview_id: int) -> str:
    """The interview's kit: role brief, focus competencies with anchors, questions (no bars)."""
    session = db_session()
    interview = ops.interview_for(session, current_user, interview_id)
    requisition = interview.application.requisition
    profile: ProfileVersion = requisition.profile_version
    panel = session.scalars(select(User).where(User.id.in_(
        [a.interviewer_id for a in interview.assignments]))).all()
    assignment = next((a for a in interview.assignments if a.interviewer_id == current_user.id),
                      None)
    candidate = session.get(Candidate, interview.application.candidate_id)
    return render_template(
        "interviews/detail.html", interview=interview, requisition=requisition,
        profile=profile, level_summary=(profile.level_summaries or {}).get(requisition.level, ""),
        kit=kit_view(session, interview), panel=panel, assignment=assignment,
        candidate=candidate, manages=manages_requisition(current_user, requisition),
        action_form=ActionForm(),
    )


@bp.get("/interviews/<int:interview_id>/invite.ics")
@requires(Action.SEE_CANDIDATE)
def invitation(interview_id: int) -> Response:
    """The interview as an iCalendar file for the viewer's calendar."""
    interview = ops.interview_for(db_session(), current_user, interview_id)
    text = ops.invitation_ics(interview, base_url=current_app.config["BASE_URL"])
    return Response(text, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="interview-{interview.id}.ics"'})


@bp.route("/interviews/<int:interview_id>/edit", methods=["GET", "POST"])
@requires(Action.MANAGE_CANDIDATES)
def edit(interview_id: int) -> Any:
    """Reschedule or change the panel (the kit version stays as scheduled)."""
    session = db_session()
    interview = ops.interview_for(session, current_user, interview_id)
    requisition = interview.application.requisition
    if not manages_requisition(current_user, requisition):
        abort(404)
    form = ScheduleForm()
    form.step.choices = [(interview.plan_step_id, interview.step.name)]
    form.interviewers.choices = [(u.id, u.name) for u in session.scalars(
        select(User).join(UserRole).where(UserRole.role == "interviewer",
                                          User.active.is_(True)).order_by(User.name))]
    tz = current_user.timezone or "UTC"
    if request.method == "GET":
        local = local_time(interview.starts_at, tz)
        form.step.data = interview.plan_step_id
        form.date.data, form.time.data = local.strftime("%Y-%m-%d"), local.strftime("%H:%M")
        form.minutes.data = interview.minutes
        form.interviewers.data = [a.interviewer_id for a in interview.assignments]
        form.location.data, form.video_url.data = interview.location, interview.video_url
        form.version.data = str(interview.version)
    status = 200
    if form.validate_on_submit():
        try:
            ops.reschedule_interview(
                session, interview, actor=current_user,
                starts_at=ops.local_to_utc(form.date.data or "", form.time.data or "", tz),
                minutes=form.minutes.data or 0, interviewer_ids=form.interviewers.data or [],
                location=form.location.data or "", video_url=form.video_url.data or "",
                expected_version=int(form.version.data or 0))
        except OperationError as exc:
            session.rollback()
            status = exc.status
            form.form_errors.append(str(exc) + (" Your input is kept; save again to overwrite."
                                                if isinstance(exc, Conflict) else ""))
            if isinstance(exc, Conflict):
                form.version.data = str(ops.interview_for(session, current_user,
                                                          interview_id).version)
        else:
            session.commit()
            ops.send_pending_invitations()
            flash("Interview updated; the panel has been told.", "success")
            return redirect(url_for("interviews.detail", interview_id=interview_id))
    return render_template("interviews/edit.html", form=form, interview=interview,
                           requisition=requisition, tz=tz), status


@bp.post("/interviews/<int:interview_id>/cancel")
@requires(Action.MANAGE_CANDIDATES)
def cancel(interview_id: int) -> Response:
    """Cancel an interview."""
    session = db_session()
    interview = ops.interview_for(session, current_user, interview_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ops.cancel_interview(session, interview, actor=current_user)
    session.commit()
    ops.send_pending_invitations()
    flash("Interview cancelled; the panel has been told.", "success")
    return redirect(url_for("interviews.detail", interview_id=interview_id))


@bp.get("/outbox")
@requires(Action.ANY_USER)
def outbox() -> str:
    """Invitations addressed to you (in development, instead of e-mail)."""
    messages = db_session().scalars(
        select(OutboxMessage).where(OutboxMessage.to_user_id == current_user.id)
        .order_by(OutboxMessage.created_at.desc()).limit(100)
    ).all()
    return render_template("interviews/outbox.html", messages=messages,
                           smtp=bool(current_app.config["SMTP_URL"]), now=datetime.now(UTC))
