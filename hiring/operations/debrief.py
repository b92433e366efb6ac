"""The debrief of one application: who may open it, what they see, and the decisions made there.

:func:`debrief_view` builds a plain view model (frozen dataclasses, no ORM objects, no Flask)
that already applies the viewer's permissions; the web page renders it and the debrief packet
reuses it. Only scorecards the viewer may read (:func:`.scorecards.visible_scorecards`) feed it,
so independence (SECURITY.md AUTHZ-4) holds in every channel built on it.

Who may open a debrief (DESIGN.md 2b, glossary "Visibility"):

- the requisition's hiring manager and recruiters (an admin only through one of these roles:
  admins do not read scorecards otherwise);
- panel members of the application's loop, per the requisition's visibility setting. Panel
  membership outranks role: a hiring manager or recruiter who interviews the candidate waits
  like anyone. A panel member who has not submitted sees only a request to submit first;
- nobody else (:class:`NotFound`, so existence is not disclosed).

Decisions (advance, reject, offer, hire) are the requisition's hiring manager's alone, need a
rationale and move the stage through :func:`.stages.change_stage` with the same actor. Outcomes
are recorded for hires only, by a recruiter or the requisition's hiring manager.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    Application,
    Candidate,
    Competency,
    Decision,
    DecisionKind,
    Interview,
    Outcome,
    PanelUnlock,
    Recommendation,
    Requisition,
    Scorecard,
    ScorecardAmendment,
    ScorecardStatus,
    Stage,
    User,
)
from ..policy import POLICY, Action
from . import Forbidden, NotFound, OperationError, stages
from . import scorecards as cards
from .audit import record
from .requisitions import Need, latest_competency_versions, requisition_needs

# What the viewer of a debrief gets to see.
FULL = "full"  # the evidence, as far as the visibility rule allows
SUBMIT_FIRST = "submit_first"  # a panel member with a scorecard still to submit
WAITING_FOR_PANEL = "waiting_for_panel"  # submitted, but "after_panel" and others are pending

BELOW, AT, ABOVE = "below", "at", "above"
POSITION_LABELS = {BELOW: "below the bar", AT: "at the bar", ABOVE: "above the bar"}

DECISION_LABELS = {
    DecisionKind.ADVANCE.value: "Advance",
    DecisionKind.REJECT.value: "Reject",
    DecisionKind.OFFER.value: "Make an offer",
    DecisionKind.HIRE.value: "Hire",
}
# Stages reached by their own decision kind (or not by a decision at all).
_OWN_KIND_STAGES = {Stage.OFFER.value, Stage.HIRED.value, Stage.REJECTED.value,
                    Stage.WITHDRAWN.value}
_KIND_STAGE = {DecisionKind.REJECT.value: Stage.REJECTED.value,
               DecisionKind.OFFER.value: Stage.OFFER.value,
               DecisionKind.HIRE.value: Stage.HIRED.value}

PROBATION_LABELS = {"yes": "Passed probation", "no": "Did not pass probation",
                    "unknown": "Probation result not known yet"}
PERFORMANCE_LABELS = {1: "1 well below expectations", 2: "2 below expectations",
                      3: "3 meets expectations", 4: "4 exceeds expectations",
                      5: "5 far exceeds expectations"}

# The order of the recommendations tally: from the strongest yes to "no decision".
TALLY_ORDER = (Recommendation.STRONG_YES.value, Recommendation.YES.value, Recommendation.NO.value,
               Recommendation.STRONG_NO.value, Recommendation.NO_DECISION.value)

MAX_RATIONALE = stages.MAX_REASON_TEXT


# ---------------------------------------------------------------------------- view model


@dataclass(frozen=True)
class Column:
    """A column of the matrix: one submitted scorecard (an interviewer in one interview)."""

    scorecard_id: int
    interviewer_id: int
    interviewer_name: str
    interview_id: int
    interview_name: str
    submitted_at: datetime | None


@dataclass(frozen=True)
class Cell:
    """One interviewer's rating of one competency, or why it was not assessed.

    ``amended`` means a pre-debrief amendment replaced the original (amendments after the debrief
    never do; they are listed under :attr:`DebriefView.amendments`).
    """

    scorecard_id: int
    rating: int | None
    word: str
    not_assessed_reason: str | None
    not_assessed_label: str
    evidence: str
    amended: bool
    position: str | None


@dataclass(frozen=True)
class CompetencyRow:
    """A competency: its cells (aligned with :attr:`DebriefView.columns`; None where the
    interview did not focus on it), mean and count of ratings, and the mean's computed position
    against the level's bar. ``in_profile`` is False for a competency outside the requisition's
    profile and domain packs (no weight, no bar, no position)."""

    competency_id: int
    key: str
    name: str
    category: str
    weight: int | None
    bar: int | None
    must_have: bool
    in_profile: bool
    cells: tuple[Cell | None, ...]
    mean: float | None
    count: int
    position: str | None


@dataclass(frozen=True)
class RatingBy:
    """A rating with who gave it (for disagreements)."""

    interviewer_name: str
    interview_name: str
    rating: int


@dataclass(frozen=True)
class Disagreement:
    """Ratings of one competency two or more points apart."""

    competency_id: int
    competency_name: str
    ratings: tuple[RatingBy, ...]
    spread: int


@dataclass(frozen=True)
class Gap:
    """A competency of the profile (or a chosen domain pack) that nobody rated."""

    competency_id: int
    competency_name: str
    weight: int
    must_have: bool
    not_assessed_reasons: tuple[str, ...]


@dataclass(frozen=True)
class NotAssessed:
    """A focus competency an interviewer did not assess, and why."""

    competency_name: str
    interviewer_name: str
    interview_name: str
    reason: str


@dataclass(frozen=True)
class Inconsistency:
    """A recommendation at odds with the same interviewer's own ratings (flagged, never
    blocked)."""

    scorecard_id: int
    interviewer_name: str
    interview_name: str
    recommendation_label: str
    message: str


@dataclass(frozen=True)
class AmendmentChange:
    """One field an amendment changed."""

    what: str
    rating: int | None = None
    not_assessed_label: str = ""
    text: str = ""


@dataclass(frozen=True)
class AmendmentEntry:
    """An amendment to a submitted scorecard, kept beside the original."""

    scorecard_id: int
    interviewer_name: str
    interview_name: str
    at: datetime
    reason: str
    after_debrief: bool
    changes: tuple[AmendmentChange, ...]


@dataclass(frozen=True)
class RecommendationEntry:
    """One submitted scorecard's overall recommendation."""

    scorecard_id: int
    interviewer_name: str
    interview_name: str
    recommendation: str | None
    label: str
    no_decision_reason: str
    takeaways: str
    flagged: bool


@dataclass(frozen=True)
class TallyLine:
    """How many scorecards gave one recommendation."""

    recommendation: str
    label: str
    count: int


@dataclass(frozen=True)
class PanelSeat:
    """An interviewer on one interview of the loop: submitted or not, released or not."""

    interview_id: int
    interview_name: str
    starts_at: datetime
    interviewer_id: int
    interviewer_name: str
    submitted: bool
    is_viewer: bool
    unlocked_by: str = ""
    unlocked_at: datetime | None = None
    unlock_reason: str = ""

    @property
    def unlocked(self) -> bool:
        """Whether the hiring manager released this seat."""
        return self.unlocked_at is not None


@dataclass(frozen=True)
class DecisionEntry:
    """A decision made by a person, with the rationale and the score shown at the time."""

    id: int
    kind: str
    kind_label: str
    to_stage: str
    to_stage_label: str
    rationale: str
    actor_name: str
    at: datetime
    score_shown: dict[str, Any] | None


@dataclass(frozen=True)
class OutcomeEntry:
    """What became of a hire."""

    id: int
    passed_probation: bool | None
    probation_label: str
    performance: int | None
    performance_label: str
    outcome_date: date
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class DebriefView:
    """Everything the debrief shows one viewer, permissions applied.

    With ``access`` other than :data:`FULL`, the evidence fields (columns to decisions) are empty
    and ``message`` says why; ``own_pending`` lists the viewer's scorecards still to submit.
    ``decisions`` and ``outcomes`` are filled for recruiters and the requisition's hiring manager
    only. ``decision_options`` (kind -> stages) is filled for the hiring manager only.
    """

    application_id: int
    application_version: int
    candidate_id: int
    candidate_name: str
    requisition_id: int
    requisition_title: str
    profile_name: str
    level: str
    visibility: str
    stage: str
    stage_label: str
    access: str
    message: str = ""
    on_panel: bool = False
    own_pending: tuple[PanelSeat, ...] = ()
    panel: tuple[PanelSeat, ...] = ()
    columns: tuple[Column, ...] = ()
    rows: tuple[CompetencyRow, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    gaps: tuple[Gap, ...] = ()
    not_assessed: tuple[NotAssessed, ...] = ()
    inconsistencies: tuple[Inconsistency, ...] = ()
    amendments: tuple[AmendmentEntry, ...] = ()
    recommendations: tuple[RecommendationEntry, ...] = ()
    tally: tuple[TallyLine, ...] = ()
    decisions: tuple[DecisionEntry, ...] = ()
    outcomes: tuple[OutcomeEntry, ...] = ()
    may_decide: bool = False
    may_unlock: bool = False
    may_record_outcome: bool = False
    decision_options: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def full(self) -> bool:
        """Whether the viewer sees the evidence."""
        return self.access == FULL


# ---------------------------------------------------------------------------- who may


def is_hiring_manager_of(user: Any, requisition: Requisition) -> bool:
    """Whether ``user`` holds the hiring-manager role and manages ``requisition``."""
    return "hiring_manager" in user.role_names and requisition.hiring_manager_id == user.id


def manages_debrief(user: Any, requisition: Requisition) -> bool:
    """Recruiters and the requisition's hiring manager (an admin role alone never counts)."""
    return "recruiter" in user.role_names or is_hiring_manager_of(user, requisition)


def _panel_seats(session: Session, application: Application) -> list[tuple[Interview, int]]:
    interviews = sorted(cards.loop_interviews(session, application.id),
                        key=lambda i: (i.starts_at, i.id))
    return [(i, a.interviewer_id) for i in interviews for a in i.assignments]


def debrief_application(session: Session, viewer: Any, application_id: int) -> Application:
    """The application if ``viewer`` may open its debrief, else :class:`NotFound`."""
    application = session.get(Application, application_id)
    if application is None or not may_open_debrief(session, viewer, application):
        raise NotFound("No such application.")
    return application


def may_open_debrief(session: Session, viewer: Any, application: Application) -> bool:
    """Whether ``viewer`` may open the debrief of ``application`` (see the module docstring)."""
    if viewer is None or getattr(viewer, "id", None) is None:
        return False
    roles = viewer.role_names
    if not roles & POLICY[Action.SEE_SCORECARDS]:
        return False
    if manages_debrief(viewer, application.requisition):
        return True
    return any(uid == viewer.id for _, uid in _panel_seats(session, application))


def decision_options(stage: str) -> dict[str, tuple[str, ...]]:
    """Decision kinds open from ``stage`` and the stage each leads to (advance: a choice).

    Read from :data:`.stages.ALLOWED_TRANSITIONS`, so the form follows the transition table.
    """
    allowed = stages.allowed_next(stage)
    options: dict[str, tuple[str, ...]] = {}
    advance = tuple(s for s in allowed if s not in _OWN_KIND_STAGES)
    if advance:
        options[DecisionKind.ADVANCE.value] = advance
    for kind, target in _KIND_STAGE.items():
        if target in allowed:
            options[kind] = (target,)
    return options


# ---------------------------------------------------------------------------- building the view


def position(value: float, bar: int) -> str:
    """Where a rating or a mean stands against ``bar``: below it; at it (from the bar to under
    half a point above); above it (half a point or more above). Computed, never chosen."""
    if value < bar:
        return BELOW
    if value < bar + 0.5:
        return AT
    return ABOVE


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _competency_info(session: Session, ids: set[int], needs: dict[int, Need]
                     ) -> dict[int, tuple[str, str, str]]:
    """(key, name, category) per competency id, from the needs or the newest version."""
    info = {cid: (n.key, n.name, n.category) for cid, n in needs.items()}
    missing = [cid for cid in ids if cid not in info]
    if missing:
        versions = latest_competency_versions(session, missing)
        for competency in session.scalars(select(Competency).where(Competency.id.in_(missing))):
            version = versions.get(competency.id)
            info[competency.id] = (competency.key, version.name if version else competency.key,
                                   competency.category)
    return info


def _inconsistency(recommendation: str | None, cells: list[tuple[Need | None, cards.CellRating,
                                                                 str]]) -> str:
    """Why ``recommendation`` contradicts the interviewer's own ratings ("" when it does not).

    ``cells`` holds (need, rating, competency name) for the scorecard's rated competencies.
    """
    rated = [(need, cell, name) for need, cell, name in cells
             if need is not None and cell.rating is not None]
    if not recommendation or not rated:
        return ""
    below = [(need, cell, name) for need, cell, name in rated if cell.rating < need.bar]
    below_must = [name for need, _, name in below if need.must_have]
    if recommendation == Recommendation.STRONG_YES.value:
        if below_must:
            return (f"Strong yes, yet must-have {_join(below_must)} rated below the bar.")
        if below:
            return (f"Strong yes (clearly above the bar, no concerns), yet "
                    f"{_join([n for _, _, n in below])} rated below the bar.")
    if recommendation == Recommendation.YES.value and below_must:
        return f"Yes, yet must-have {_join(below_must)} rated below the bar."
    if recommendation == Recommendation.STRONG_NO.value and not below:
        return "Strong no, yet every rating is at or above the bar."
    if recommendation == Recommendation.NO.value and not below:
        return ("No (at least one important shortfall), yet every rating is at or above the "
                "bar.")
    return ""


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _submitted(session: Session, interview_ids: list[int]) -> set[tuple[int, int]]:
    """(interview id, interviewer id) pairs with a submitted scorecard."""
    if not interview_ids:
        return set()
    return {(row[0], row[1]) for row in session.execute(
        select(Scorecard.interview_id, Scorecard.interviewer_id)
        .where(Scorecard.interview_id.in_(interview_ids),
               Scorecard.status == ScorecardStatus.SUBMITTED.value))}


def _seats(session: Session, viewer: Any, application: Application,
           names: dict[int, str]) -> list[PanelSeat]:
    seats = _panel_seats(session, application)
    interview_ids = list({i.id for i, _ in seats})
    submitted = _submitted(session, interview_ids)
    unlocks = {(u.interview_id, u.interviewer_id): u for u in session.scalars(
        select(PanelUnlock).where(PanelUnlock.interview_id.in_(interview_ids)))
    } if interview_ids else {}
    names.update(_names(session, {u.actor_id for u in unlocks.values()} - set(names)))
    out = []
    for interview, uid in seats:
        unlock = unlocks.get((interview.id, uid))
        out.append(PanelSeat(
            interview.id, interview.step.name, interview.starts_at, uid,
            names.get(uid, f"User {uid}"), (interview.id, uid) in submitted, uid == viewer.id,
            names.get(unlock.actor_id, "") if unlock else "",
            unlock.created_at if unlock else None, unlock.reason if unlock else "",
        ))
    return out


def debrief_view(session: Session, viewer: Any, application: Application) -> DebriefView:
    """The debrief of ``application`` as ``viewer`` may see it (raises :class:`NotFound` when
    they may not open it at all). Plain data only: pages and packets render it as is."""
    if not may_open_debrief(session, viewer, application):
        raise NotFound("No such application.")
    requisition: Requisition = application.requisition
    candidate = session.get(Candidate, application.candidate_id)
    seat_ids = {uid for _, uid in _panel_seats(session, application)}
    names = _names(session, seat_ids | {viewer.id})
    seats = _seats(session, viewer, application, names)
    mine = [s for s in seats if s.is_viewer]
    own_pending = tuple(s for s in mine if not s.submitted)
    hiring_manager = is_hiring_manager_of(viewer, requisition)

    base: dict[str, Any] = {
        "application_id": application.id, "application_version": application.version,
        "candidate_id": application.candidate_id,
        "candidate_name": candidate.name if candidate else "",
        "requisition_id": requisition.id, "requisition_title": requisition.title,
        "profile_name": requisition.profile_version.name, "level": requisition.level,
        "visibility": requisition.visibility, "stage": application.stage,
        "stage_label": stages.stage_label(application.stage), "on_panel": bool(mine),
        "own_pending": own_pending,
    }
    if mine and not cards.may_see_others(session, viewer, application):
        if own_pending:
            return DebriefView(**base, access=SUBMIT_FIRST, message=(
                "Submit your own scorecard first. Colleagues' ratings and notes stay hidden "
                "until you have submitted, so that every rating is independent."))
        return DebriefView(**base, access=WAITING_FOR_PANEL, panel=tuple(seats),
                           may_unlock=hiring_manager, message=(
                               "Thank you for submitting. On this requisition colleagues' "
                               "scorecards appear once every panel member has submitted (or "
                               "the hiring manager has released someone who cannot)."))

    visible = [c for c in cards.visible_scorecards(session, viewer, application)
               if c.status == ScorecardStatus.SUBMITTED.value]
    evidence = cards.effective_ratings(session, visible)
    needs = {n.competency_id: n for n in requisition_needs(session, requisition)}
    info = _competency_info(session, set(evidence) | set(needs), needs)
    interview_names = {c.interview_id: c.interview.step.name for c in visible}
    visible.sort(key=lambda c: (c.interview.starts_at, c.interview_id,
                                names.get(c.interviewer_id, ""), c.id))
    columns = tuple(Column(c.id, c.interviewer_id, names.get(c.interviewer_id, ""),
                           c.interview_id, interview_names[c.interview_id], c.submitted_at)
                    for c in visible)
    column_of = {col.scorecard_id: n for n, col in enumerate(columns)}
    card_of = {c.id: c for c in visible}

    def who(cell: cards.CellRating) -> tuple[str, str]:
        return (names.get(cell.interviewer_id, ""), interview_names.get(cell.interview_id, ""))

    rows: list[CompetencyRow] = []
    disagreements: list[Disagreement] = []
    not_assessed: list[NotAssessed] = []
    per_card: dict[int, list[tuple[Need | None, cards.CellRating, str]]] = {}
    order = [cid for cid in needs if cid in evidence] + sorted(
        (cid for cid in evidence if cid not in needs), key=lambda cid: info[cid][1].lower())
    for cid in order:
        need = needs.get(cid)
        key, name, category = info[cid]
        cells: list[Cell | None] = [None] * len(columns)
        for cell in evidence[cid]:
            per_card.setdefault(cell.scorecard_id, []).append((need, cell, name))
            cells[column_of[cell.scorecard_id]] = Cell(
                cell.scorecard_id, cell.rating, cards.RATING_WORDS.get(cell.rating or 0, ""),
                cell.not_assessed_reason,
                cards.NOT_ASSESSED_LABELS.get(cell.not_assessed_reason or "", ""),
                cell.evidence, cell.amended,
                position(cell.rating, need.bar) if need and cell.rating is not None else None,
            )
            if cell.rating is None and cell.not_assessed_reason:
                interviewer, interview = who(cell)
                not_assessed.append(NotAssessed(
                    name, interviewer, interview,
                    cards.NOT_ASSESSED_LABELS.get(cell.not_assessed_reason,
                                                  cell.not_assessed_reason)))
        summary = cards.evidence_summary({cid: evidence[cid]}).get(cid)
        mean, count = summary if summary else (None, 0)
        rows.append(CompetencyRow(
            cid, key, name, category, need.weight if need else None,
            need.bar if need else None, bool(need and need.must_have), need is not None,
            tuple(cells), mean, count,
            position(mean, need.bar) if need and mean is not None else None,
        ))
        rated = sorted(((c.rating, column_of[c.scorecard_id], c) for c in evidence[cid]
                        if c.rating is not None), key=lambda item: item[:2])
        if rated and rated[-1][0] - rated[0][0] >= 2:
            disagreements.append(Disagreement(
                cid, name, tuple(RatingBy(*who(c), value) for value, _, c in rated),
                rated[-1][0] - rated[0][0]))

    gaps = tuple(
        Gap(cid, need.name, need.weight, need.must_have, tuple(sorted({
            cards.NOT_ASSESSED_LABELS.get(c.not_assessed_reason, c.not_assessed_reason)
            for c in evidence.get(cid, []) if c.not_assessed_reason})))
        for cid, need in needs.items()
        if not any(c.rating is not None for c in evidence.get(cid, []))
    )

    recommendations: list[RecommendationEntry] = []
    inconsistencies: list[Inconsistency] = []
    for column in columns:
        card = card_of[column.scorecard_id]
        label = cards.RECOMMENDATION_LABELS.get(card.recommendation or "", "None given")
        message = _inconsistency(card.recommendation, per_card.get(card.id, []))
        if message:
            inconsistencies.append(Inconsistency(card.id, column.interviewer_name,
                                                 column.interview_name, label, message))
        recommendations.append(RecommendationEntry(
            card.id, column.interviewer_name, column.interview_name, card.recommendation, label,
            card.no_decision_reason, card.takeaways, bool(message)))
    counts = Counter(r.recommendation for r in recommendations if r.recommendation)
    tally = tuple(TallyLine(rec, cards.RECOMMENDATION_LABELS[rec], counts[rec])
                  for rec in TALLY_ORDER if counts[rec])

    amendments = _amendments(session, card_of, interview_names, names, info)
    # Rationales and a hire's outcomes (a colleague's performance) are for the people who run
    # the requisition; panel members see where the application stands through its stage.
    manager = manages_debrief(viewer, requisition)
    decisions = _decisions(session, application) if manager else ()
    outcomes = _outcomes(session, application) if manager else ()
    may_record = application.stage == Stage.HIRED.value and manager
    return DebriefView(
        **base, access=FULL, panel=tuple(seats), columns=columns, rows=tuple(rows),
        disagreements=tuple(disagreements), gaps=gaps, not_assessed=tuple(not_assessed),
        inconsistencies=tuple(inconsistencies), amendments=amendments,
        recommendations=tuple(recommendations), tally=tally, decisions=decisions,
        outcomes=outcomes, may_decide=hiring_manager, may_unlock=hiring_manager,
        may_record_outcome=may_record,
        decision_options=decision_options(application.stage) if hiring_manager else {},
    )


def _amendments(session: Session, card_of: dict[int, Scorecard], interview_names: dict[int, str],
                names: dict[int, str], info: dict[int, tuple[str, str, str]]
                ) -> tuple[AmendmentEntry, ...]:
    if not card_of:
        return ()
    rows = session.scalars(
        select(ScorecardAmendment).where(ScorecardAmendment.scorecard_id.in_(list(card_of)))
        .order_by(ScorecardAmendment.created_at, ScorecardAmendment.id)
    ).all()
    missing = {int(k) for a in rows for k in a.changes if k.isdigit()} - set(info)
    if missing:
        info = {**info, **_competency_info(session, missing, {})}
    out = []
    for amendment in rows:
        card = card_of[amendment.scorecard_id]
        changes = []
        for key, change in amendment.changes.items():
            if key.isdigit():
                change = change or {}
                changes.append(AmendmentChange(
                    info.get(int(key), ("", f"Competency {key}", ""))[1], change.get("rating"),
                    cards.NOT_ASSESSED_LABELS.get(change.get("not_assessed_reason") or "", ""),
                    change.get("evidence") or ""))
            elif key == "takeaways":
                changes.append(AmendmentChange("Key take-aways", text=str(change or "")))
            elif key == "recommendation":
                changes.append(AmendmentChange("Recommendation", text=cards.RECOMMENDATION_LABELS
                                               .get(str(change), str(change))))
        out.append(AmendmentEntry(
            card.id, names.get(card.interviewer_id, ""), interview_names.get(card.interview_id, ""),
            amendment.created_at, amendment.reason, amendment.after_debrief, tuple(changes)))
    return tuple(out)


def _decisions(session: Session, application: Application) -> tuple[DecisionEntry, ...]:
    rows = session.scalars(select(Decision).where(Decision.application_id == application.id)
                           .order_by(Decision.at, Decision.id)).all()
    names = _names(session, {d.actor_id for d in rows})
    return tuple(DecisionEntry(
        d.id, d.kind, DECISION_LABELS.get(d.kind, d.kind), d.to_stage,
        stages.stage_label(d.to_stage), d.rationale, names.get(d.actor_id, f"User {d.actor_id}"),
        d.at, d.score_shown) for d in rows)


def _probation_key(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _outcomes(session: Session, application: Application) -> tuple[OutcomeEntry, ...]:
    rows = session.scalars(select(Outcome).where(Outcome.application_id == application.id)
                           .order_by(Outcome.outcome_date, Outcome.id)).all()
    names = _names(session, {o.recorded_by_id for o in rows})
    return tuple(OutcomeEntry(
        o.id, o.passed_probation, PROBATION_LABELS[_probation_key(o.passed_probation)],
        o.performance, PERFORMANCE_LABELS.get(o.performance or 0, ""), o.outcome_date,
        names.get(o.recorded_by_id, f"User {o.recorded_by_id}"), o.recorded_at) for o in rows)


# ---------------------------------------------------------------------------- decisions


def record_decision(session: Session, application: Application, *, actor: Any, kind: str,
                    rationale: str, to_stage: str = "", reason_code: str = "",
                    expected_version: int | None = None) -> Decision:
    """Record the hiring manager's decision and move the stage accordingly.

    ``advance`` goes to ``to_stage`` (one the transition table allows, other than offer, hire
    and the ways out); ``reject`` needs a rejection ``reason_code``; ``offer`` and ``hire`` move
    to their stage. The rationale is required and becomes the stage change's reason. The score
    shown at this moment is stored on the decision and its scoring runs are logged
    (:func:`hiring.operations.records.record_decision_scores`).
    """
    if actor is None or getattr(actor, "id", None) is None:
        raise OperationError("A decision needs the person who makes it.")
    requisition = application.requisition
    if not is_hiring_manager_of(actor, requisition):
        raise Forbidden("Only the requisition's hiring manager records decisions.")
    # Panel membership outranks role: a hiring manager who interviewed decides only once the
    # visibility rule lets them read the others' scorecards, like any panel member.
    seats = [(i.id, uid) for i, uid in _panel_seats(session, application) if uid == actor.id]
    if seats and not cards.may_see_others(session, actor, application):
        if not set(seats) <= _submitted(session, [i for i, _ in seats]):
            raise OperationError("Submit your own scorecard for this candidate before deciding.")
        raise OperationError("Decide once you can read the panel's scorecards: every panel "
                             "member must submit first, or be released.")
    rationale = (rationale or "").strip()
    if not rationale:
        raise OperationError("Write the rationale for this decision.")
    if len(rationale) > MAX_RATIONALE:
        raise OperationError(f"The rationale is too long ({len(rationale)} characters; at most "
                             f"{MAX_RATIONALE}).")
    if kind not in DECISION_LABELS:
        raise OperationError("Choose a decision: advance, reject, offer or hire.")
    options = decision_options(application.stage)
    if kind not in options:
        raise OperationError(
            f"{DECISION_LABELS[kind]} is not possible from {stages.stage_label(application.stage)}."
        )
    if kind == DecisionKind.ADVANCE.value:
        target = (to_stage or "").strip()
        if target not in options[kind]:
            raise OperationError(
                f"From {stages.stage_label(application.stage)} an application advances to "
                f"{', '.join(stages.stage_label(s) for s in options[kind])}.")
    else:
        target = options[kind][0]
    code = (reason_code or "").strip() if kind == DecisionKind.REJECT.value else ""
    if kind == DecisionKind.REJECT.value and code not in stages.REJECTION_REASONS:
        raise OperationError("Choose a rejection reason from the list.")
    change = stages.change_stage(session, application, target, actor=actor, reason_code=code,
                                 reason_text=rationale, expected_version=expected_version)
    decision = Decision(application_id=application.id, kind=kind, to_stage=target,
                        rationale=rationale, actor_id=actor.id, score_shown=None, at=change.at)
    session.add(decision)
    session.flush()
    # AI-3: the score shown now is stored on the decision and the runs that fed it are logged.
    from .records import record_decision_scores

    record_decision_scores(session, application, decision, actor=actor)
    record(session, "decision.record", actor_id=actor.id, subject_type="application",
           subject_id=application.id, decision=decision.id, kind=kind, to_stage=target,
           reason_code=code)
    return decision


# ---------------------------------------------------------------------------- outcomes


def record_outcome(session: Session, application: Application, *, actor: Any,
                   passed_probation: str, performance: int | None, outcome_date: date,
                   today: date | None = None) -> Outcome:
    """Record what became of a hire: passed probation (yes, no, unknown), an optional 1-5
    performance rating and the date. Hires only; a recruiter or the requisition's hiring
    manager records it. These are the only labels a learned model may use."""
    if actor is None or getattr(actor, "id", None) is None:
        raise OperationError("An outcome needs the person who records it.")
    if not manages_debrief(actor, application.requisition):
        raise Forbidden("Only a recruiter or the requisition's hiring manager records outcomes.")
    if application.stage != Stage.HIRED.value:
        raise OperationError(
            f"Outcomes are recorded for hires only; this application is in "
            f"{stages.stage_label(application.stage)}.")
    if passed_probation not in PROBATION_LABELS:
        raise OperationError("Say whether the hire passed probation: yes, no or not known yet.")
    if performance is not None and performance not in PERFORMANCE_LABELS:
        raise OperationError("The performance rating is a whole number from 1 to 5.")
    if outcome_date is None:
        raise OperationError("Give the date of the outcome.")
    if outcome_date > (today or datetime.now(UTC).date()):
        raise OperationError("The outcome's date cannot be in the future.")
    outcome = Outcome(
        application_id=application.id,
        passed_probation=None if passed_probation == "unknown" else passed_probation == "yes",
        performance=performance, outcome_date=outcome_date, recorded_by_id=actor.id,
    )
    session.add(outcome)
    session.flush()
    record(session, "outcome.record", actor_id=actor.id, subject_type="application",
           subject_id=application.id, outcome=outcome.id)
    return outcome


# ---------------------------------------------------------------------------- unlocking a panel


def unlock_seat(session: Session, application: Application, interview_id: int,
                interviewer_id: int, *, actor: Any, reason: str) -> PanelUnlock:
    """Release a panel member of this application's loop who cannot submit (the requisition's
    hiring manager, with a reason; audited by :func:`.scorecards.unlock_panel_member`)."""
    if not is_hiring_manager_of(actor, application.requisition):
        raise Forbidden("Only the requisition's hiring manager can unlock a panel.")
    seats = {(i.id, uid) for i, uid in _panel_seats(session, application)}
    if (interview_id, interviewer_id) not in seats:
        raise OperationError("That person is not on this candidate's panel.")
    if (interview_id, interviewer_id) in _submitted(session, [interview_id]):
        raise OperationError("This panel member has already submitted; there is nothing to "
                             "unlock.")
    existing = session.scalar(select(PanelUnlock).where(
        PanelUnlock.interview_id == interview_id, PanelUnlock.interviewer_id == interviewer_id))
    if existing is not None:
        raise OperationError("This panel member was already released.")
    try:
        with session.begin_nested():
            return cards.unlock_panel_member(session, interview_id, interviewer_id, actor=actor,
                                             reason=reason)
    except IntegrityError as exc:  # released from another window at the same moment
        raise OperationError("This panel member was already released.") from exc
