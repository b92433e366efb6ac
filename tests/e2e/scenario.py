"""Journey data added on top of ``demo load``: situations the demo does not leave open.

The demo's past loops are fully submitted and its open loops lie in the future, so the journeys
that need "a held interview whose scorecard is still to fill" or "a debrief with a known
disagreement and gap" get them here, built through the same operations the pages use. Each
journey owns its own application, so the journeys run in any order against one server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hiring.models import Requisition
from hiring.operations.accounts import find_user_by_email
from hiring.operations.candidates import create_candidate
from hiring.operations.interviews import schedule_interview
from hiring.operations.requisitions import latest_competency_versions
from hiring.operations.scorecards import RatingInput, ScorecardInput, save_draft, submit
from hiring.operations.stages import change_stage

# A long name on purpose: headings, breadcrumbs and matrix headers must not break on it.
LONG_NAME = "Maximiliana Featherstonehaugh-Oyelaran y Castellanos"


def _requisition(session: Any, title: str) -> Requisition:
    requisition = session.scalar(select(Requisition).where(Requisition.title == title))
    if requisition is None:
        raise RuntimeError(f"demo requisition {title!r} is missing; did `demo load` change?")
    return requisition


def _to_interviewing(session: Any, application: Any, recruiter: Any) -> None:
    change_stage(session, application, "screen", actor=recruiter,
                 reason_text="Profile matches the role.")
    change_stage(session, application, "interviewing", actor=recruiter,
                 reason_text="Screen passed.")


def _submit(session: Any, interview: Any, person: Any, ratings: dict[int, int | None],
            recommendation: str, now: datetime) -> None:
    names = {cid: v.name for cid, v in latest_competency_versions(
        session, list(ratings)).items()}
    data = ScorecardInput()
    for cid, rating in ratings.items():
        if rating is None:
            data.ratings[cid] = RatingInput(None, "not_asked_time", "")
        else:
            data.ratings[cid] = RatingInput(
                rating, None, f"Rated {rating} on {names[cid].lower()}: a worked example from "
                              "their last project, with numbers.")
    for item in interview.kit_version.items:
        data.question_notes[item.question_version_id] = ("Answered with an example.", None)
    data.recommendation = recommendation
    data.takeaways = "See the evidence per competency."
    save_draft(session, interview.id, person, data, expected_version=None)
    submit(session, interview.id, person, data, expected_version=None, now=now)


def _code(interview: Any, person: Any) -> str:
    return next(a.short_code for a in interview.assignments if a.interviewer_id == person.id)


def build(session: Any, now: datetime | None = None) -> dict[str, Any]:
    """Add the journeys' applications; returns what the journeys need to know (JSON-able)."""
    now = now or datetime.now(UTC)
    recruiter = find_user_by_email(session, "recruiter@example.com")
    ingrid = find_user_by_email(session, "interviewer@example.com")
    ivan = find_user_by_email(session, "interviewer2@example.com")
    held = (now - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    # Interviewer journey: a held interview; Ivan has submitted, Ingrid has not.
    fraud = _requisition(session, "ML engineer, fraud platform")
    application = create_candidate(
        session, actor=recruiter, requisition=fraud, name=LONG_NAME,
        email="maximiliana.castellanos@example.com", source="referral")
    _to_interviewing(session, application, recruiter)
    # The interview with the most focus competencies: the fullest scorecard to fill.
    step = max(fraud.steps, key=lambda s: (len(s.focus), -s.position))
    interview = schedule_interview(
        session, actor=recruiter, application=application, step_id=step.id, starts_at=held,
        minutes=step.minutes, interviewer_ids=[ingrid.id, ivan.id], location="Room Turing")
    focus = [f.competency_id for f in interview.kit_version.focus]
    _submit(session, interview, ivan, {cid: 3 for cid in focus}, "yes", now)
    keyboard = {"interview_id": interview.id, "application_id": application.id,
                "candidate": LONG_NAME, "colleague": ivan.name,
                "focus": len(focus), "questions": len(interview.kit_version.items)}

    # Paper journey: a held interview Ingrid noted on paper; she types the printed code.
    other = create_candidate(session, actor=recruiter, requisition=fraud, name="Tomas Eriksen",
                             email="tomas.eriksen@example.com", source="meetup")
    _to_interviewing(session, other, recruiter)
    paper_step = next(s for s in fraud.steps if s.id != step.id)
    paper_interview = schedule_interview(
        session, actor=recruiter, application=other, step_id=paper_step.id,
        starts_at=held - timedelta(hours=3), minutes=paper_step.minutes,
        interviewer_ids=[ingrid.id])
    paper = {"interview_id": paper_interview.id, "candidate": "Tomas Eriksen",
             "code": _code(paper_interview, ingrid)}

    # Hiring manager journey: two interviews that share one competency, rated 1 and 4 (a
    # disagreement); the rest of the plan is never held, so other competencies are gaps.
    pricing = _requisition(session, "Senior data scientist, pricing")
    steps = list(pricing.steps)
    pair, shared = None, None
    for i, a in enumerate(steps):
        for b in steps[i + 1:]:
            common = {f.competency_id for f in a.focus} & {f.competency_id for f in b.focus}
            if common:
                pair, shared = (a, b), min(common)
                break
        if pair:
            break
    if pair is None or shared is None:
        raise RuntimeError("no two interviews of the pricing plan share a competency")
    debrief_app = create_candidate(session, actor=recruiter, requisition=pricing,
                                   name="Leonie Adebayo", email="leonie.adebayo@example.com",
                                   source="conference")
    _to_interviewing(session, debrief_app, recruiter)
    for offset, (plan_step, person, rating, recommendation) in enumerate(
            [(pair[0], ingrid, 1, "no"), (pair[1], ivan, 4, "strong_yes")]):
        held_at = held - timedelta(days=2 - offset)
        loop_interview = schedule_interview(
            session, actor=recruiter, application=debrief_app, step_id=plan_step.id,
            starts_at=held_at, minutes=plan_step.minutes, interviewer_ids=[person.id])
        ids = [f.competency_id for f in loop_interview.kit_version.focus]
        _submit(session, loop_interview, person,
                {cid: (rating if cid == shared else 3) for cid in ids}, recommendation, now)
    manager = find_user_by_email(session, "manager@example.com")
    change_stage(session, debrief_app, "debrief", actor=manager,
                 reason_text="Two interviews held; debrief to settle the disagreement.")
    shared_name = latest_competency_versions(session, [shared])[shared].name
    debrief = {"application_id": debrief_app.id, "candidate": "Leonie Adebayo",
               "requisition": pricing.title, "disagreement": shared_name}
    return {"keyboard": keyboard, "paper": paper, "debrief": debrief,
            "fraud_requisition_id": fraud.id, "pricing_requisition_id": pricing.id}
