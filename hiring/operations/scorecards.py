"""Scorecards: drafts, the one-time submit, amendments, independence (visibility) and evidence.

Independence (DESIGN.md glossary "Visibility", SECURITY.md AUTHZ-4) is decided here, once, by
:func:`may_see_others`; pages, packets, CSV and JSON all ask it. Panel membership outranks role:
a hiring manager or recruiter who interviews the candidate waits like any interviewer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from ..hygiene import NoteWarning, check_notes
from ..models import (
    Application,
    CompetencyRating,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    KitVersion,
    NotAssessedReason,
    PanelUnlock,
    QuestionNote,
    Recommendation,
    Requisition,
    Scorecard,
    ScorecardAmendment,
    ScorecardStatus,
    Stage,
    StageChange,
    User,
    Visibility,
)
from ..policy import manages_requisition
from . import Conflict, Forbidden, NotFound, OperationError
from .audit import record

RATING_WORDS = {1: "not yet", 2: "foundational", 3: "proficient", 4: "advanced"}
NOT_ASSESSED_LABELS = {
    NotAssessedReason.TIME.value: "Not asked: time",
    NotAssessedReason.OTHER.value: "Not asked: other",
    NotAssessedReason.CUT_SHORT.value: "Interview cut short",
    NotAssessedReason.CONFLICT.value: "Conflict of interest",
}
RECOMMENDATION_LABELS = {
    Recommendation.STRONG_NO.value: "Strong no",
    Recommendation.NO.value: "No",
    Recommendation.YES.value: "Yes",
    Recommendation.STRONG_YES.value: "Strong yes",
    Recommendation.NO_DECISION.value: "No decision",
}
RECOMMENDATION_HELP = {
    Recommendation.STRONG_NO.value: "clear evidence of unsuitability",
    Recommendation.NO.value: "at least one important shortfall",
    Recommendation.YES.value: "supports hiring at this level",
    Recommendation.STRONG_YES.value: "clearly above the bar on what was assessed, no concerns",
    Recommendation.NO_DECISION.value: "needs a reason",
}


@dataclass
class RatingInput:
    """One focus competency as typed: a rating 1-4, or "not assessed" with a reason."""

    rating: int | None = None
    not_assessed_reason: str | None = None
    evidence: str = ""


@dataclass
class ScorecardInput:
    """Everything an interviewer can type on a scorecard (drafts may be incomplete)."""

    ratings: dict[int, RatingInput] = field(default_factory=dict)
    question_notes: dict[int, tuple[str, int | None]] = field(default_factory=dict)
    takeaways: str = ""
    recommendation: str | None = None
    no_decision_reason: str = ""

    def notes_for_hygiene(self, names: dict[int, str]) -> dict[str, str]:
        """Every free-text field, labelled for warnings."""
        notes = {f"Evidence: {names.get(cid, cid)}": r.evidence for cid, r in self.ratings.items()}
        notes.update({f"Question note {qid}": text for qid, (text, _) in
                      self.question_notes.items()})
        notes["Key take-aways"] = self.takeaways
        notes["No-decision reason"] = self.no_decision_reason
        return notes


def focus_ids(interview: Interview) -> list[int]:
    """The interview's focus competencies, frozen with its kit version."""
    return [f.competency_id for f in interview.kit_version.focus]


def question_version_ids(interview: Interview) -> list[int]:
    """The kit questions of the interview, in kit order."""
    return [item.question_version_id for item in interview.kit_version.items]


def assignment_for(interview: Interview, user: User) -> InterviewAssignment | None:
    """The user's place on the interview's panel, if any."""
    return next((a for a in interview.assignments if a.interviewer_id == user.id), None)


def own_scorecard(session: Session, interview: Interview, user: User, *,
                  with_answers: bool = False) -> Scorecard | None:
    """The user's scorecard for the interview (draft or submitted), if one was saved;
    ``with_answers`` loads its ratings and question notes in the same round trip."""
    query = _OWN_SCORECARD_WITH_ANSWERS if with_answers else _OWN_SCORECARD
    return session.scalars(query, {"interview_id": interview.id, "user_id": user.id}
                           ).unique().first()


#: Built once (every scorecard page and save runs them).
_OWN_SCORECARD = select(Scorecard).where(Scorecard.interview_id == bindparam("interview_id"),
                                         Scorecard.interviewer_id == bindparam("user_id"))
_OWN_SCORECARD_WITH_ANSWERS = _OWN_SCORECARD.options(joinedload(Scorecard.ratings),
                                                     joinedload(Scorecard.question_notes))


def _check_input(interview: Interview, data: ScorecardInput) -> None:
    allowed = set(focus_ids(interview))
    questions = set(question_version_ids(interview))
    if set(data.ratings) - allowed or set(data.question_notes) - questions:
        raise OperationError("The form does not match this interview's kit; reload the page.")
    for item in data.ratings.values():
        if item.rating is not None and item.rating not in RATING_WORDS:
            raise OperationError("Ratings are whole points from 1 to 4.")
        if item.not_assessed_reason and item.not_assessed_reason not in NOT_ASSESSED_LABELS:
            raise OperationError("Unknown reason for 'not assessed'.")
    for _, rating in data.question_notes.values():
        if rating is not None and rating not in RATING_WORDS:
            raise OperationError("Question ratings are whole points from 1 to 4.")
    if data.recommendation and data.recommendation not in RECOMMENDATION_LABELS:
        raise OperationError("Unknown recommendation.")


def _write(session: Session, scorecard: Scorecard, data: ScorecardInput) -> None:
    existing = {r.competency_id: r for r in scorecard.ratings}
    for cid, item in data.ratings.items():
        row = existing.get(cid)
        if row is None:
            row = CompetencyRating(scorecard_id=scorecard.id, competency_id=cid)
            scorecard.ratings.append(row)
        row.rating = item.rating
        row.not_assessed_reason = None if item.rating is not None else item.not_assessed_reason
        row.evidence = item.evidence
    notes = {n.question_version_id: n for n in scorecard.question_notes}
    for qid, (text, rating) in data.question_notes.items():
        row = notes.get(qid)
        if row is None:
            row = QuestionNote(scorecard_id=scorecard.id, question_version_id=qid)
            scorecard.question_notes.append(row)
        row.note, row.rating = text, rating
    scorecard.takeaways = data.takeaways
    scorecard.recommendation = data.recommendation or None
    scorecard.no_decision_reason = data.no_decision_reason
    scorecard.updated_at = datetime.now(UTC)


#: Everything _panel_interview's checks and _check_input read, in three round trips, built once:
#: this runs inside the write transaction, which other writers wait for.
_PANEL_INTERVIEW = select(Interview).where(Interview.id == bindparam("interview_id")).options(
    joinedload(Interview.assignments),
    joinedload(Interview.kit_version).selectinload(KitVersion.focus),
    joinedload(Interview.kit_version).selectinload(KitVersion.items),
)


def _panel_interview(session: Session, interview_id: int, user: User) -> Interview:
    interview = session.scalars(_PANEL_INTERVIEW, {"interview_id": interview_id}).unique().first()
    if interview is None or assignment_for(interview, user) is None:
        raise NotFound("No such interview.")
    if interview.status == InterviewStatus.CANCELLED.value:
        raise OperationError("This interview was cancelled; there is no scorecard to fill.")
    return interview


def save_draft(session: Session, interview_id: int, user: User, data: ScorecardInput, *,
               expected_version: int | None) -> Scorecard:
    """Save (or autosave) the user's draft. A stale version raises :class:`Conflict`.

    The hygiene prompts for ``data`` are :func:`note_warnings`' (computed by the caller, after
    the write transaction: other writers wait for it to end)."""
    interview = _panel_interview(session, interview_id, user)
    _check_input(interview, data)
    scorecard = own_scorecard(session, interview, user, with_answers=True)
    if scorecard is None:
        scorecard = Scorecard(interview_id=interview.id, interviewer_id=user.id)
        try:
            # Added inside the savepoint, so that its rollback also drops the pending row
            # (on PostgreSQL two tabs really do race here; SQLite serialises them).
            with session.begin_nested():
                session.add(scorecard)
                session.flush()
        except IntegrityError:
            # Another request created it first (two tabs): use that one.
            scorecard = own_scorecard(session, interview, user)
            if scorecard is None:  # pragma: no cover - the constraint says it exists
                raise
    elif scorecard.status == ScorecardStatus.SUBMITTED.value:
        raise OperationError("This scorecard was submitted; changes are amendments now.")
    elif expected_version is not None and scorecard.version != expected_version:
        raise Conflict("This scorecard was saved from another window or device meanwhile.")
    _write(session, scorecard, data)
    scorecard.version += 1
    session.flush()
    return scorecard


def note_warnings(data: ScorecardInput) -> list[NoteWarning]:
    """Hygiene prompts for the free text of a scorecard as typed."""
    return check_notes(data.notes_for_hygiene({cid: str(cid) for cid in data.ratings}))


def draft_warnings(scorecard: Scorecard) -> list[NoteWarning]:
    """The hygiene prompts for a saved draft's free text, as its save reported them."""
    data = ScorecardInput(
        ratings={r.competency_id: RatingInput(r.rating, r.not_assessed_reason, r.evidence or "")
                 for r in scorecard.ratings},
        question_notes={n.question_version_id: (n.note or "", n.rating)
                        for n in scorecard.question_notes},
        takeaways=scorecard.takeaways or "", no_decision_reason=scorecard.no_decision_reason or "",
    )
    return note_warnings(data)


def completeness_problems(interview: Interview, data: ScorecardInput) -> list[str]:
    """What still blocks submitting (empty when the scorecard is complete)."""
    problems = []
    for cid in focus_ids(interview):
        item = data.ratings.get(cid)
        if item is None or (item.rating is None and not item.not_assessed_reason):
            problems.append(f"competency:{cid}:Give a rating or a reason it was not assessed.")
        elif item.rating is not None and not item.evidence.strip():
            problems.append(f"evidence:{cid}:Write the evidence behind the rating.")
    if not data.recommendation:
        problems.append("recommendation::Choose a recommendation (last).")
    elif data.recommendation == Recommendation.NO_DECISION.value and \
            not data.no_decision_reason.strip():
        problems.append("no_decision_reason::'No decision' needs a reason.")
    return problems


def submit(session: Session, interview_id: int, user: User, data: ScorecardInput, *,
           expected_version: int | None, now: datetime | None = None) -> Scorecard:
    """Submit once: only the assigned interviewer, not before the interview starts, exactly one
    submitted scorecard even under concurrent double submits (conditional update by row count)."""
    now = now or datetime.now(UTC)
    interview = _panel_interview(session, interview_id, user)
    if interview.starts_at > now:
        raise OperationError("You can submit once the interview has started; save a draft "
                             "until then.")
    problems = completeness_problems(interview, data)
    if problems:
        raise OperationError("The scorecard is not complete: "
                             + " ".join(p.split(":", 2)[2] for p in problems))
    scorecard = save_draft(session, interview_id, user, data, expected_version=expected_version)
    result = session.execute(
        update(Scorecard)
        .where(Scorecard.id == scorecard.id, Scorecard.status == ScorecardStatus.DRAFT.value)
        .values(status=ScorecardStatus.SUBMITTED.value, submitted_at=now,
                version=Scorecard.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise OperationError("This scorecard was already submitted.")
    session.refresh(scorecard)
    record(session, "scorecard.submit", actor_id=user.id, subject_type="scorecard",
           subject_id=scorecard.id, interview=interview.id)
    from .scoring import recompute_after_evidence_change  # evidence changed: score again

    recompute_after_evidence_change(session, interview.application_id,
                                    trigger="scorecard.submit", actor_id=user.id)
    return scorecard


def debrief_started_at(session: Session, application_id: int) -> datetime | None:
    """When the application first entered the debrief stage (None if it has not)."""
    return session.scalar(
        select(StageChange.at).where(StageChange.application_id == application_id,
                                     StageChange.to_stage == Stage.DEBRIEF.value)
        .order_by(StageChange.at).limit(1)
    )


def amend(session: Session, scorecard_id: int, user: User, changes: dict[int, RatingInput], *,
          reason: str, takeaways: str | None = None) -> ScorecardAmendment:
    """Amend a submitted scorecard: the original stays; the amendment records what and why."""
    scorecard = session.get(Scorecard, scorecard_id)
    if scorecard is None or scorecard.interviewer_id != user.id:
        raise NotFound("No such scorecard.")
    if scorecard.status != ScorecardStatus.SUBMITTED.value:
        raise OperationError("Only a submitted scorecard is amended; edit the draft instead.")
    if not reason.strip():
        raise OperationError("An amendment needs a reason.")
    allowed = set(focus_ids(scorecard.interview))
    if set(changes) - allowed:
        raise OperationError("Amendments change this interview's focus competencies only.")
    payload: dict[str, Any] = {}
    for cid, item in changes.items():
        if item.rating is not None and item.rating not in RATING_WORDS:
            raise OperationError("Ratings are whole points from 1 to 4.")
        if item.rating is None and item.not_assessed_reason not in NOT_ASSESSED_LABELS:
            raise OperationError("Give a rating or a reason it was not assessed.")
        payload[str(cid)] = {"rating": item.rating,
                             "not_assessed_reason": item.not_assessed_reason,
                             "evidence": item.evidence}
    if takeaways is not None:
        payload["takeaways"] = takeaways
    if not payload:
        raise OperationError("Change at least one rating or the take-aways.")
    started = debrief_started_at(session, scorecard.interview.application_id)
    amendment = ScorecardAmendment(
        scorecard_id=scorecard.id, author_id=user.id, reason=reason.strip(), changes=payload,
        after_debrief=started is not None and started <= datetime.now(UTC),
    )
    session.add(amendment)
    session.flush()
    record(session, "scorecard.amend", actor_id=user.id, subject_type="scorecard",
           subject_id=scorecard.id, after_debrief=amendment.after_debrief)
    from .scoring import recompute_after_evidence_change  # evidence changed: score again

    recompute_after_evidence_change(session, scorecard.interview.application_id,
                                    trigger="scorecard.amend", actor_id=user.id)
    return amendment


# ---------------------------------------------------------------------------- independence


def loop_interviews(session: Session, application_id: int) -> list[Interview]:
    """The application's interviews that are still on."""
    return list(session.scalars(
        select(Interview).where(Interview.application_id == application_id,
                                Interview.status == InterviewStatus.SCHEDULED.value)
    ))


def _submitted_pairs(session: Session, interview_ids: Iterable[int]) -> set[tuple[int, int]]:
    ids = list(interview_ids)
    if not ids:
        return set()
    return set(session.execute(
        select(Scorecard.interview_id, Scorecard.interviewer_id)
        .where(Scorecard.interview_id.in_(ids),
               Scorecard.status == ScorecardStatus.SUBMITTED.value)
    ).all())


def may_see_others(session: Session, user: User, application: Application) -> bool:
    """Whether ``user`` may see other interviewers' ratings and notes on this application.

    Panel members follow the requisition's visibility setting (``after_own`` by default); people
    not on the panel who manage the requisition (recruiter, hiring manager) see submitted
    scorecards; everyone else sees nothing.
    """
    requisition: Requisition = application.requisition
    interviews = loop_interviews(session, application.id)
    panel = {(i.id, a.interviewer_id) for i in interviews for a in i.assignments}
    mine = {pair for pair in panel if pair[1] == user.id}
    if not mine:
        roles = user.role_names
        if roles & {"recruiter", "hiring_manager"} and manages_requisition(user, requisition):
            return True
        return False
    if requisition.visibility == Visibility.ALWAYS.value:
        return True
    submitted = _submitted_pairs(session, [i.id for i in interviews])
    if requisition.visibility == Visibility.AFTER_OWN.value:
        return mine <= submitted
    unlocked = set(session.execute(
        select(PanelUnlock.interview_id, PanelUnlock.interviewer_id)
        .where(PanelUnlock.interview_id.in_([i.id for i in interviews]))
    ).all()) if interviews else set()
    return mine <= submitted and panel <= (submitted | unlocked)


def visible_scorecards(session: Session, user: User, application: Application
                       ) -> list[Scorecard]:
    """The scorecards on ``application`` that ``user`` may read: their own (any state) and,
    when :func:`may_see_others`, everyone's submitted ones."""
    interviews = loop_interviews(session, application.id)
    ids = [i.id for i in interviews]
    if not ids:
        return []
    rows = session.scalars(select(Scorecard).where(Scorecard.interview_id.in_(ids))
                           .order_by(Scorecard.submitted_at, Scorecard.id)).all()
    others = may_see_others(session, user, application)
    return [s for s in rows if s.interviewer_id == user.id or
            (others and s.status == ScorecardStatus.SUBMITTED.value)]


def unlock_panel_member(session: Session, interview_id: int, interviewer_id: int, *,
                        actor: User, reason: str) -> PanelUnlock:
    """The hiring manager releases a panel member who cannot submit (audited)."""
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise NotFound("No such interview.")
    requisition = interview.application.requisition
    if actor.id != requisition.hiring_manager_id:
        raise Forbidden("Only the requisition's hiring manager can unlock a panel.")
    if not reason.strip():
        raise OperationError("Say why this panel member cannot submit.")
    if all(a.interviewer_id != interviewer_id for a in interview.assignments):
        raise OperationError("That person is not on this interview's panel.")
    unlock = PanelUnlock(interview_id=interview_id, interviewer_id=interviewer_id,
                         actor_id=actor.id, reason=reason.strip())
    session.add(unlock)
    session.flush()
    record(session, "panel.unlock", actor_id=actor.id, subject_type="interview",
           subject_id=interview_id, interviewer=interviewer_id)
    return unlock


# ---------------------------------------------------------------------------- evidence


@dataclass
class CellRating:
    """One independent rating of one competency by one interviewer."""

    scorecard_id: int
    interviewer_id: int
    interview_id: int
    rating: int | None
    not_assessed_reason: str | None
    evidence: str
    amended: bool = False


def effective_ratings(session: Session, scorecards: Iterable[Scorecard]
                      ) -> dict[int, list[CellRating]]:
    """Per competency, the ratings of submitted scorecards with pre-debrief amendments applied.

    Amendments made after the debrief began are kept and shown, but never replace the
    independent rating here.
    """
    cards = [s for s in scorecards if s.status == ScorecardStatus.SUBMITTED.value]
    if not cards:
        return {}
    amendments = session.scalars(
        select(ScorecardAmendment).where(
            ScorecardAmendment.scorecard_id.in_([c.id for c in cards]),
            ScorecardAmendment.after_debrief.is_(False))
        .order_by(ScorecardAmendment.created_at, ScorecardAmendment.id)
    ).all()
    latest: dict[tuple[int, int], dict[str, Any]] = {}
    for amendment in amendments:
        for key, change in amendment.changes.items():
            if key.isdigit():
                latest[(amendment.scorecard_id, int(key))] = change
    cells: dict[int, list[CellRating]] = {}
    for card in cards:
        for row in card.ratings:
            change = latest.get((card.id, row.competency_id))
            cell = CellRating(card.id, card.interviewer_id, card.interview_id, row.rating,
                              row.not_assessed_reason, row.evidence)
            if change is not None:
                cell.rating = change.get("rating")
                cell.not_assessed_reason = change.get("not_assessed_reason")
                cell.evidence = change.get("evidence", cell.evidence)
                cell.amended = True
            cells.setdefault(row.competency_id, []).append(cell)
    return cells


def evidence_summary(cells: dict[int, list[CellRating]]) -> dict[int, tuple[float, int]]:
    """Per competency: (mean of ratings, number of ratings), for rated competencies only."""
    out = {}
    for cid, rows in cells.items():
        values = [r.rating for r in rows if r.rating is not None]
        if values:
            out[cid] = (fmean(values), len(values))
    return out


def overdue_scorecards(session: Session, *, hours: int, interviewer_id: int | None = None,
                       requisition_ids: Iterable[int] | None = None,
                       now: datetime | None = None) -> list[tuple[Interview, int]]:
    """(interview, interviewer id) pairs with no submitted scorecard ``hours`` after the end."""
    now = now or datetime.now(UTC)
    statement = (
        select(Interview, InterviewAssignment.interviewer_id)
        .join(InterviewAssignment, InterviewAssignment.interview_id == Interview.id)
        .outerjoin(Scorecard, (Scorecard.interview_id == Interview.id)
                   & (Scorecard.interviewer_id == InterviewAssignment.interviewer_id)
                   & (Scorecard.status == ScorecardStatus.SUBMITTED.value))
        .where(Interview.status == InterviewStatus.SCHEDULED.value, Scorecard.id.is_(None),
               Interview.starts_at < now - timedelta(hours=hours))
        .order_by(Interview.starts_at)
    )
    if interviewer_id is not None:
        statement = statement.where(InterviewAssignment.interviewer_id == interviewer_id)
    if requisition_ids is not None:
        statement = statement.join(Application).where(
            Application.requisition_id.in_(list(requisition_ids)))
    rows = session.execute(statement).all()
    return [(interview, uid) for interview, uid in rows
            if interview.starts_at + timedelta(minutes=interview.minutes + 60 * hours) < now]
