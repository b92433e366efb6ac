"""The ranking of a requisition, manual moves with reasons, and per-application explanations.

Everything here reads stored scores (:mod:`hiring.operations.scoring`); nothing recomputes one.
Rules applied for every channel (page and CSV alike):

* a requisition whose hiring manager hides scores shows candidates without any score, band,
  coverage or must-have state, never ordered by score (AI-1);
* applications in the alternative process are never ranked: they are listed apart, "reviewed by
  people" (AI-6);
* independence (AUTHZ-4): a viewer on an application's interview panel who may not yet see the
  other interviewers' ratings (:func:`hiring.operations.scorecards.may_see_others`) sees neither
  its score nor its recommendation tally, since both are made of those ratings;
* "insufficient coverage", "cannot score" and "not scored yet" are states, never zeros, and come
  after the scored candidates;
* neighbours whose uncertainty bands overlap are marked as a group the evidence cannot order.

The page's query count does not depend on the number of applications (see
``benchmarks/ranking.py``): every list is read with one query for the whole requisition.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from ..candidates_csv import write_csv
from ..models import (
    Application,
    Candidate,
    Decision,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    PanelUnlock,
    PlanStep,
    ProfileVersion,
    RankingMove,
    Requisition,
    Score,
    Scorecard,
    ScorecardStatus,
    Stage,
    User,
    Visibility,
)
from ..policy import manages_requisition
from ..scoring import (
    STATE_OK,
    Counterfactual,
    FitResult,
    LevelProfile,
    PooledError,
    counterfactual_must_have,
    rank,
    to_0_100,
)
from . import NotFound, OperationError
from .audit import record
from .requisitions import Need, requisition_needs
from .scorecards import RECOMMENDATION_LABELS, effective_ratings, may_see_others
from .scoring import (
    MODEL_PROFILE_FIT,
    level_from_json,
    log_run,
    newer_profile_version,
    run_entry,
    stored_score,
)
from .stages import STAGE_LABELS

PAGE_SIZE = 100
SORTS = {"score": "Profile fit", "lower": "Lower edge of the band", "manual": "Manual order"}
MUST_FILTERS = {"": "Any", "met": "All must-haves met", "unclear": "None failed, some unclear",
                "not_met": "Some must-have not met"}
COVERAGE_FILTERS = {0: "Any coverage", 70: "70 % or more", 80: "80 % or more",
                    90: "90 % or more", 100: "Complete"}
STAGE_FILTERS = {"": "All stages", "active": "Active (not closed)",
                 **{stage: label for stage, label in STAGE_LABELS.items()}}
CLOSED_STAGES = {Stage.HIRED.value, Stage.REJECTED.value, Stage.WITHDRAWN.value}
# Not a stored state: the application has no stored score yet (no submitted scorecard).
STATE_NOT_SCORED = "not scored yet"
# Not a stored state: the viewer is on the panel and has not submitted (AUTHZ-4).
STATE_WITHHELD = "withheld until you submit"
RECOMMENDATION_ORDER = ("strong_yes", "yes", "no", "strong_no", "no_decision")
WEIGHT_WORDS = {1: "supporting", 2: "core", 3: "critical"}


@dataclass
class RankingFilters:
    """Filters of the ranking page (also applied to its CSV export)."""

    stage: str = ""
    must: str = ""
    coverage: int = 0

    @classmethod
    def parse(cls, args: Any) -> RankingFilters:
        """From request arguments; anything unknown falls back to "any"."""
        stage = args.get("stage", "")
        must = args.get("must", "")
        try:
            coverage = int(args.get("coverage", 0) or 0)
        except (TypeError, ValueError):
            coverage = 0
        return cls(stage=stage if stage in STAGE_FILTERS else "",
                   must=must if must in MUST_FILTERS else "",
                   coverage=coverage if coverage in COVERAGE_FILTERS else 0)

    def as_args(self) -> dict[str, Any]:
        """The filters as query arguments (empty ones left out)."""
        args: dict[str, Any] = {}
        if self.stage:
            args["stage"] = self.stage
        if self.must:
            args["must"] = self.must
        if self.coverage:
            args["coverage"] = self.coverage
        return args


@dataclass
class RankingRow:
    """One application on the ranking page."""

    application_id: int
    candidate_id: int
    name: str
    stage: str
    applied_at: datetime
    state: str = STATE_NOT_SCORED
    reason: str | None = None
    mean: float | None = None
    bar_mean: float | None = None
    score_0_100: float | None = None
    bar_0_100: float | None = None
    band: tuple[float, float] | None = None
    coverage: float | None = None
    must_haves: dict[str, str] = field(default_factory=dict)
    meets_profile: bool | None = None
    input_hash: str | None = None
    rating_spread: int | None = None
    tally: dict[str, int] = field(default_factory=dict)
    tally_hidden: bool = False
    disagreement: bool = False
    position: int | None = None
    group: int | None = None
    group_size: int = 0
    new_group: bool = False
    moved: RankingMove | None = None
    # The adopted learned model's probability of success given hired (None without a model).
    probability: float | None = None

    @property
    def scored(self) -> bool:
        """Whether the row carries numbers."""
        return self.state == STATE_OK and self.mean is not None

    @property
    def band_0_100(self) -> tuple[float, float] | None:
        """The band on the 0-100 scale."""
        return None if self.band is None else (to_0_100(self.band[0]), to_0_100(self.band[1]))

    @property
    def must_summary(self) -> str | None:
        """"met" when every must-have is met, "not met" when one is not, else "unclear"."""
        if self.state not in (STATE_OK, "insufficient coverage"):
            return None
        values = set(self.must_haves.values())
        if "not met" in values:
            return "not met"
        if "unclear" in values:
            return "unclear"
        return "met"


@dataclass
class RankingView:
    """Everything the ranking page and its export show."""

    requisition: Requisition
    hidden: bool
    sort: str
    filters: RankingFilters
    rows: list[RankingRow]
    people: list[RankingRow]
    needs: list[Need]
    must_names: dict[str, str]
    moves: list[tuple[RankingMove, str]]
    manual: RankingMove | None
    newer_profile: ProfileVersion | None
    total: int
    counts: Counter[str]
    learned: str | None = None  # e.g. "learned model v3": the ranking follows its probability

    def page(self, number: int) -> tuple[list[RankingRow], int, int]:
        """The rows of page ``number`` (1-based, clamped), the page number and the page count."""
        pages = max(1, -(-len(self.rows) // PAGE_SIZE))
        number = min(max(number, 1), pages)
        start = (number - 1) * PAGE_SIZE
        return self.rows[start:start + PAGE_SIZE], number, pages


def _require_ranking(user: User, requisition: Requisition) -> None:
    if not user.role_names & {"admin", "recruiter", "hiring_manager"} or \
            not manages_requisition(user, requisition):
        raise NotFound("No such requisition.")


def withheld_applications(session: Session, user: User, requisition: Requisition) -> set[int]:
    """Applications of ``requisition`` whose ratings ``user`` may not see yet (AUTHZ-4), in three
    queries whatever their number; the same rule as :func:`may_see_others`."""
    mine = (select(Interview.application_id)
            .join(InterviewAssignment, InterviewAssignment.interview_id == Interview.id)
            .join(Application, Application.id == Interview.application_id)
            .where(InterviewAssignment.interviewer_id == user.id,
                   Interview.status == InterviewStatus.SCHEDULED.value,
                   Application.requisition_id == requisition.id))
    panel = session.execute(
        select(Interview.application_id, Interview.id, InterviewAssignment.interviewer_id)
        .join(InterviewAssignment, InterviewAssignment.interview_id == Interview.id)
        .where(Interview.application_id.in_(mine),
               Interview.status == InterviewStatus.SCHEDULED.value)).all()
    submitted = set(session.execute(
        select(Scorecard.interview_id, Scorecard.interviewer_id)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .where(Interview.application_id.in_(mine),
               Scorecard.status == ScorecardStatus.SUBMITTED.value)).all())
    unlocked = set(session.execute(
        select(PanelUnlock.interview_id, PanelUnlock.interviewer_id)
        .join(Interview, Interview.id == PanelUnlock.interview_id)
        .where(Interview.application_id.in_(mine))).all())
    pairs: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for application_id, interview_id, interviewer_id in panel:
        pairs[application_id].add((interview_id, interviewer_id))
    withheld = set()
    for application_id, all_pairs in pairs.items():
        own = {pair for pair in all_pairs if pair[1] == user.id}
        if not own or requisition.visibility == Visibility.ALWAYS.value:
            continue
        if requisition.visibility == Visibility.AFTER_OWN.value:
            allowed = own <= submitted
        else:
            allowed = own <= submitted and all_pairs <= (submitted | unlocked)
        if not allowed:
            withheld.add(application_id)
    return withheld


def _base_rows(session: Session, requisition: Requisition) -> list[RankingRow]:
    rows = session.execute(
        select(Application.id, Application.candidate_id, Candidate.name, Application.stage,
               Application.created_at, Application.alternative_process)
        .join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.requisition_id == requisition.id)
        .order_by(Application.created_at, Application.id)).all()
    out = []
    for app_id, candidate_id, name, stage, created_at, alternative in rows:
        row = RankingRow(app_id, candidate_id, name, stage, created_at)
        row.state = "alternative" if alternative else STATE_NOT_SCORED
        out.append(row)
    return out


def _load_scores(session: Session, requisition: Requisition) -> dict[int, Any]:
    return {r.application_id: r for r in session.execute(
        select(Score.application_id, Score.state, Score.mean, Score.bar_mean, Score.score_0_100,
               Score.bar_0_100, Score.band_lo, Score.band_hi, Score.coverage, Score.must_haves,
               Score.meets_profile, Score.input_hash, Score.rating_spread)
        .join(Application, Application.id == Score.application_id)
        .where(Application.requisition_id == requisition.id,
               Score.kind == MODEL_PROFILE_FIT)).all()}


def _load_tallies(session: Session, requisition: Requisition) -> dict[int, dict[str, int]]:
    tallies: dict[int, dict[str, int]] = defaultdict(dict)
    for app_id, recommendation, count in session.execute(
            select(Interview.application_id, Scorecard.recommendation, func.count(Scorecard.id))
            .join(Interview, Interview.id == Scorecard.interview_id)
            .join(Application, Application.id == Interview.application_id)
            .where(Application.requisition_id == requisition.id,
                   Interview.status == InterviewStatus.SCHEDULED.value,
                   Scorecard.status == ScorecardStatus.SUBMITTED.value)
            .group_by(Interview.application_id, Scorecard.recommendation)).all():
        if recommendation:
            tallies[app_id][recommendation] = count
    return tallies


def _moves(session: Session, requisition: Requisition, limit: int = 50
           ) -> list[tuple[RankingMove, str]]:
    return [(move, name) for move, name in session.execute(
        select(RankingMove, User.name).join(User, User.id == RankingMove.actor_id)
        .where(RankingMove.requisition_id == requisition.id)
        .order_by(RankingMove.id.desc()).limit(limit)).all()]


def disagreement(tally: dict[str, int], rating_spread: int | None) -> bool:
    """Interviewers disagree: some competency's ratings lie 2 or more points apart, or the
    recommendations hold both a yes and a no."""
    yes = tally.get("yes", 0) + tally.get("strong_yes", 0)
    no = tally.get("no", 0) + tally.get("strong_no", 0)
    return bool((rating_spread or 0) >= 2 or (yes and no))


def _learned_probabilities(session: Session, requisition: Requisition
                           ) -> tuple[str | None, dict[int, float]]:
    """The adopted learned model of the requisition's role and its stored probabilities.

    DESIGN.md 6: the ranking orders by the adopted model's probability where one exists, else by
    profile fit. One query for all applications (no N+1).
    """
    from .learned import adopted_version
    from .scoring import learned_kind

    role = requisition.profile_version.profile.key
    adopted = adopted_version(session, role)
    if adopted is None:
        return None, {}
    kind = learned_kind(role, adopted.version)
    rows = session.execute(
        select(Score.application_id, Score.result)
        .join(Application, Application.id == Score.application_id)
        .where(Application.requisition_id == requisition.id, Score.kind == kind)).all()
    probabilities = {
        app_id: float(result["probability"]) for app_id, result in rows
        if isinstance(result, dict) and isinstance(result.get("probability"), int | float)
    }
    return f"learned model v{adopted.version}", probabilities


def _fill(row: RankingRow, stored: Any) -> None:
    row.state = stored.state
    row.mean, row.bar_mean = stored.mean, stored.bar_mean
    row.score_0_100, row.bar_0_100 = stored.score_0_100, stored.bar_0_100
    row.band = None if stored.band_lo is None else (stored.band_lo, stored.band_hi)
    row.coverage = stored.coverage
    row.must_haves = dict(stored.must_haves or {})
    row.meets_profile = stored.meets_profile
    row.input_hash = stored.input_hash
    row.rating_spread = stored.rating_spread


def _passes(row: RankingRow, filters: RankingFilters, hidden: bool) -> bool:
    if filters.stage == "active" and row.stage in CLOSED_STAGES:
        return False
    if filters.stage and filters.stage != "active" and row.stage != filters.stage:
        return False
    if hidden:
        return True
    if filters.must:
        wanted = {"met": "met", "unclear": "unclear", "not_met": "not met"}[filters.must]
        if row.must_summary != wanted:
            return False
    if filters.coverage:
        if row.coverage is None or row.coverage * 100 + 1e-9 < filters.coverage:
            return False
    return True


_STATE_ORDER = {STATE_OK: 0, "insufficient coverage": 1, "cannot score": 2,
                STATE_NOT_SCORED: 3, STATE_WITHHELD: 4}


def _score_order(rows: list[RankingRow], by: str) -> list[RankingRow]:
    """Scored rows ranked (positions, overlap groups), then the states, then withheld rows."""
    scored = [r for r in rows if r.scored]
    entries = rank([(index, FitResult(state=STATE_OK, input_hash=r.input_hash or "",
                                      mean=r.mean, band=r.band or (r.mean, r.mean)))
                    for index, r in enumerate(scored)], by="lower" if by == "lower" else "mean")
    ordered: list[RankingRow] = []
    sizes = Counter(e.group for e in entries)
    previous_group = None
    for entry in entries:
        row = scored[entry.key]  # type: ignore[index]
        row.position, row.group = entry.position, entry.group
        row.group_size = sizes[entry.group]
        row.new_group = entry.group != previous_group
        previous_group = entry.group
        ordered.append(row)
    rest = [r for r in rows if not r.scored]
    rest.sort(key=lambda r: _STATE_ORDER.get(r.state, 5))  # stable: application order within
    return ordered + rest


def _manual_order(rows: list[RankingRow], manual: RankingMove) -> list[RankingRow]:
    by_id = {r.application_id: r for r in rows}
    ordered = [by_id.pop(app_id) for app_id in manual.order_ids if app_id in by_id]
    # Applications that arrived after the last move follow, in the order they came.
    ordered.extend(r for r in rows if r.application_id in by_id)
    for index, row in enumerate(ordered, start=1):
        row.position, row.group, row.group_size, row.new_group = index, None, 0, False
    return ordered


def build_ranking(session: Session, user: User, requisition: Requisition, *, sort: str = "",
                  filters: RankingFilters | None = None) -> RankingView:
    """The ranking of ``requisition`` as ``user`` may see it (see the module docstring)."""
    _require_ranking(user, requisition)
    filters = filters or RankingFilters()
    hidden = bool(requisition.hide_scores)
    needs = requisition_needs(session, requisition)
    rows = _base_rows(session, requisition)
    stored = {} if hidden else _load_scores(session, requisition)
    learned, probabilities = (None, {}) if hidden else _learned_probabilities(session,
                                                                             requisition)
    tallies = _load_tallies(session, requisition)
    withheld = withheld_applications(session, user, requisition)
    moves = _moves(session, requisition)
    manual = moves[0][0] if moves else None
    last_move: dict[int, RankingMove] = {}
    for move, _ in reversed(moves):
        last_move[move.application_id] = move
    counts: Counter[str] = Counter()
    ranked, people = [], []
    for row in rows:
        row.moved = last_move.get(row.application_id)
        if row.state == "alternative":
            row.state = "reviewed by people"
            row.tally = {} if row.application_id in withheld else tallies.get(row.application_id,
                                                                                {})
            row.tally_hidden = row.application_id in withheld
            people.append(row)
            continue
        if row.application_id in withheld:
            row.state, row.tally_hidden = STATE_WITHHELD, True
        else:
            row.tally = tallies.get(row.application_id, {})
            if not hidden and row.application_id in stored:
                _fill(row, stored[row.application_id])
                row.probability = probabilities.get(row.application_id)
            row.disagreement = disagreement(row.tally, None if hidden else row.rating_spread)
        counts[row.state] += 1
        if _passes(row, filters, hidden):
            ranked.append(row)
    if sort not in SORTS or (sort == "manual" and manual is None) or \
            (hidden and sort != "manual"):
        sort = "manual" if manual is not None else ("applied" if hidden else "score")
    if sort == "manual" and manual is not None:
        ordered = _manual_order(ranked, manual)
    elif hidden:
        ordered = ranked  # never by score: in the order applications arrived
        for index, row in enumerate(ordered, start=1):
            row.position = index
    else:
        ordered = _score_order(ranked, sort)
        if learned and sort == "score":
            ordered = _probability_order(ordered)
    must_names = {n.key: n.name for n in needs if n.must_have}
    return RankingView(
        requisition=requisition, hidden=hidden, sort=sort, filters=filters, rows=ordered,
        people=people, needs=needs, must_names=must_names, moves=moves, manual=manual,
        newer_profile=newer_profile_version(session, requisition), total=len(rows) - len(people),
        counts=counts, learned=learned,
    )


def _probability_order(rows: list[RankingRow]) -> list[RankingRow]:
    """Scored rows with a learned probability first, highest first; the rest keep their order.

    Profile-fit bands do not apply to the learned model's order, so overlap groups are dropped.
    """
    with_p = [r for r in rows if r.scored and r.probability is not None]
    with_p.sort(key=lambda r: -(r.probability or 0.0))
    rest = [r for r in rows if not (r.scored and r.probability is not None)]
    for index, row in enumerate(with_p, start=1):
        row.position, row.group, row.group_size, row.new_group = index, None, 0, False
    return with_p + rest


# ---------------------------------------------------------------------------- record keeping


def _entries(rows: Iterable[RankingRow]) -> list[dict[str, Any]]:
    return [run_entry(r.application_id, r.input_hash or "", r.state, r.mean, r.score_0_100)
            for r in rows if r.input_hash]


def record_ranking_run(session: Session, view: RankingView, *, actor: User, kind: str,
                       rows: list[RankingRow]) -> None:
    """Log a ranking view or export: a scoring-run record (AI-3) and an audit event (LOG-1)
    naming the profile version, never a person."""
    requisition = view.requisition
    entries = [] if view.hidden else _entries(rows)
    run = log_run(session, kind=kind, trigger=kind, actor_id=actor.id,
                  requisition_id=requisition.id,
                  profile_version_ids=[requisition.profile_version_id], entries=entries)
    if kind == "ranking.export" and entries:
        # AI-3: the inputs of scores that feed an export are kept, so the record re-scores.
        from .records import keep_run_inputs

        session.flush()
        keep_run_inputs(session, run)
    record(session, kind, actor_id=actor.id, subject_type="requisition",
           subject_id=requisition.id, profile_version=requisition.profile_version_id,
           model=MODEL_PROFILE_FIT, sort=view.sort, rows=len(rows), scores_hidden=view.hidden)


# ---------------------------------------------------------------------------- manual moves


def move_candidate(session: Session, requisition: Requisition, *, actor: User,
                   application_id: int, position: int, reason: str, basis: str) -> RankingMove:
    """Move one candidate to ``position`` in the requisition's order, with a reason (AI-1).

    The order moved is the current manual order when there is one, else the ranking by ``basis``
    ("score" or "lower"; the order applications arrived when scores are hidden). The whole
    resulting order is stored with the reason, which the ranking page shows; audited without
    the reason's text.
    """
    _require_ranking(actor, requisition)
    reason = reason.strip()
    if not reason:
        raise OperationError("Say why you move this candidate: the reason is shown with the "
                             "ranking.")
    view = build_ranking(session, actor, requisition,
                         sort="manual" if basis == "manual" else basis)
    order = [r.application_id for r in view.rows]
    if application_id not in order:
        raise OperationError("That candidate is not in this ranking.")
    if not 1 <= position <= len(order):
        raise OperationError(f"Choose a position from 1 to {len(order)}.")
    from_position = order.index(application_id) + 1
    if from_position == position:
        raise OperationError(f"The candidate is already at position {position}.")
    order.remove(application_id)
    order.insert(position - 1, application_id)
    move = RankingMove(requisition_id=requisition.id, application_id=application_id,
                       actor_id=actor.id, from_position=from_position, to_position=position,
                       basis=view.sort, reason=reason, order_ids=order)
    session.add(move)
    session.flush()
    record(session, "ranking.move", actor_id=actor.id, subject_type="requisition",
           subject_id=requisition.id, application=application_id, from_position=from_position,
           to_position=position, basis=view.sort)
    return move


# ---------------------------------------------------------------------------- export


def _fmt_must(view: RankingView, row: RankingRow) -> str:
    return "; ".join(f"{view.must_names.get(k, k)}: {v}" for k, v in sorted(row.must_haves.items()))


def ranking_csv(view: RankingView) -> str:
    """The whole ranking (every page, filters applied) as CSV: numbers as numbers, text made
    formula-safe. Hidden scores leave out every score column."""
    tally_header = [f"recommendations_{key}" for key in RECOMMENDATION_ORDER]
    if view.hidden:
        header = ["position", "candidate", "stage", "state", *tally_header, "disagreement",
                  "moved_reason"]
    else:
        header = ["position", "group", "candidate", "stage", "state", "profile_fit",
                  "bar_profile", "score_0_100", "bar_profile_0_100", "band_low", "band_high",
                  "band_low_0_100", "band_high_0_100", "coverage_share", "must_haves",
                  "must_have_detail", *tally_header, "disagreement", "moved_reason",
                  "input_hash", "profile_version_id", "model"]
    lines = []
    for ranked, row in [*((True, r) for r in view.rows), *((False, r) for r in view.people)]:
        tally = ["" if row.tally_hidden else row.tally.get(key, 0) for key in RECOMMENDATION_ORDER]
        moved = row.moved.reason if row.moved else ""
        common = [row.name, STAGE_LABELS.get(row.stage, row.stage), row.state]
        position = row.position if ranked else None
        if view.hidden:
            lines.append([position, *common, *tally, "yes" if row.disagreement else "no",
                          moved])
            continue
        band = row.band or (None, None)
        band_100 = row.band_0_100 or (None, None)
        lines.append([
            position, row.group, *common, row.mean,
            row.bar_mean, row.score_0_100, row.bar_0_100, band[0], band[1], band_100[0],
            band_100[1], row.coverage, row.must_summary, _fmt_must(view, row), *tally,
            "yes" if row.disagreement else "no", moved, row.input_hash,
            view.requisition.profile_version_id if row.input_hash else None,
            MODEL_PROFILE_FIT if row.input_hash else None,
        ])
    return write_csv(header, lines)


# ---------------------------------------------------------------------------- explanation


@dataclass
class CompetencyLine:
    """One competency of the requisition in an explanation."""

    key: str
    name: str
    category: str
    weight: int
    bar: int
    must_have: bool
    mean: float | None = None
    n: int = 0
    interviews: list[str] = field(default_factory=list)
    contribution: float | None = None
    must_state: str | None = None
    band: tuple[float, float] | None = None

    @property
    def weight_word(self) -> str:
        """supporting, core or critical."""
        return WEIGHT_WORDS.get(self.weight, str(self.weight))

    @property
    def sentence(self) -> str:
        """The line in words: evidence against the bar and what it adds to the score."""
        if self.mean is None:
            return f"{self.name} was not assessed."
        ratings = "rating" if self.n == 1 else "ratings"
        where = f" ({', '.join(self.interviews)})" if self.interviews else ""
        side = "at"
        if self.mean > self.bar:
            side = "above"
        elif self.mean < self.bar:
            side = "below"
        text = (f"{self.name}: {self.mean:.1f} from {self.n} {ratings}{where}, {side} the bar "
                f"of {self.bar} on a {self.weight_word} competency (weight {self.weight})")
        if self.contribution is not None:
            signed = f"{self.contribution:+.2f}".replace("-", "\u2212")
            text += f"; {signed} against the bar profile"
        return text + "."


@dataclass
class Explanation:
    """Everything the explanation page shows about one application's score."""

    application: Application
    candidate_name: str
    requisition: Requisition
    hidden: bool
    alternative: bool
    withheld: bool
    score: Score | None
    lines: list[CompetencyLine]
    strengths: list[CompetencyLine]
    shortfalls: list[CompetencyLine]
    unassessed: list[CompetencyLine]
    decision: Decision | None
    counterfactual: Counterfactual | None
    labels: dict[str, str]
    error_model_cells: dict[str, int]

    @property
    def shows_score(self) -> bool:
        """Whether any score may be shown."""
        return not (self.hidden or self.alternative or self.withheld) and self.score is not None

    @property
    def band_0_100(self) -> tuple[float, float] | None:
        """The stored band on 0-100."""
        if self.score is None or self.score.band_lo is None:
            return None
        return (to_0_100(self.score.band_lo), to_0_100(self.score.band_hi))


def _interview_names(session: Session, application: Application
                     ) -> tuple[dict[int, list[tuple[int, int | None]]], dict[int, str]]:
    cards = session.scalars(
        select(Scorecard).join(Interview, Interview.id == Scorecard.interview_id)
        .where(Interview.application_id == application.id,
               Interview.status == InterviewStatus.SCHEDULED.value,
               Scorecard.status == ScorecardStatus.SUBMITTED.value)
        .options(selectinload(Scorecard.ratings))).all()
    cells = effective_ratings(session, cards)
    names = dict(session.execute(
        select(Interview.id, PlanStep.name).join(PlanStep, PlanStep.id == Interview.plan_step_id)
        .where(Interview.application_id == application.id)).all())
    return ({cid: [(c.interview_id, c.rating) for c in rows] for cid, rows in cells.items()},
            names)


def build_explanation(session: Session, user: User, application: Application) -> Explanation:
    """The explanation of one application's stored profile fit (see the module docstring)."""
    requisition = application.requisition
    _require_ranking(user, requisition)
    hidden = bool(requisition.hide_scores)
    alternative = bool(application.alternative_process)
    withheld = not may_see_others(session, user, application)
    needs = requisition_needs(session, requisition)
    labels = {n.key: n.name for n in needs}
    score = None if (hidden or alternative or withheld) else stored_score(session,
                                                                           application.id)
    decision = session.scalar(select(Decision).where(Decision.application_id == application.id)
                              .order_by(Decision.at.desc(), Decision.id.desc()).limit(1))
    lines: list[CompetencyLine] = []
    counterfactual = None
    cells_count: dict[str, int] = {}
    if score is not None:
        cells, names = _interview_names(session, application)
        result = FitResult.from_json(score.result)
        evidence = score.inputs.get("evidence", {})
        cells_count = dict(score.inputs.get("error_model_cells", {}))
        for need in needs:
            line = CompetencyLine(need.key, need.name, need.category, need.weight, need.bar,
                                  need.must_have)
            if need.key in evidence:
                mean, n = evidence[need.key][0], int(evidence[need.key][1])
                line.mean, line.n = float(mean), n
                seen = dict.fromkeys(names.get(i, "interview") for i, rating in
                                     cells.get(need.competency_id, []) if rating is not None)
                line.interviews = list(seen)
                line.band = result.competency_bands.get(need.key)
            line.contribution = result.contributions.get(need.key)
            line.must_state = result.must_haves.get(need.key)
            lines.append(line)
        if decision is not None:
            level: LevelProfile = level_from_json(score.inputs["profile"])
            counterfactual = counterfactual_must_have(
                {k: tuple(v) for k, v in evidence.items()}, level,
                PooledError.from_json(score.inputs["error_model"]))
    contributing = [line for line in lines if line.contribution is not None]
    strengths = sorted((x for x in contributing if x.contribution > 0),  # type: ignore[operator]
                       key=lambda x: -x.contribution)[:3]  # type: ignore[operator]
    shortfalls = sorted((x for x in contributing if x.contribution < 0),  # type: ignore[operator]
                        key=lambda x: x.contribution)[:3]  # type: ignore[arg-type,return-value]
    candidate_name = session.scalar(select(Candidate.name)
                                    .where(Candidate.id == application.candidate_id)) or ""
    return Explanation(
        application=application, candidate_name=candidate_name, requisition=requisition,
        hidden=hidden, alternative=alternative, withheld=withheld, score=score, lines=lines,
        strengths=strengths, shortfalls=shortfalls,
        unassessed=[line for line in lines if line.mean is None], decision=decision,
        counterfactual=counterfactual, labels=labels, error_model_cells=cells_count,
    )


def explanation_application(session: Session, user: User, application_id: int) -> Application:
    """The application if ``user`` may see its ranking and explanation, else :class:`NotFound`."""
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound("No such application.")
    _require_ranking(user, application.requisition)
    return application


def recommendation_label(key: str) -> str:
    """Display label of a recommendation value."""
    return RECOMMENDATION_LABELS.get(key, key)


def cross_role_panel(session: Session, user: User, application: Application
                     ) -> dict[str, Any] | None:
    """Cross-role fit for the candidate page, or None when ``user`` may not see it.

    Shown to people who may see this requisition's ranking, unless its scores are hidden, the
    candidate is in the alternative process, or the viewer is on the panel and may not see the
    other interviewers' ratings yet.
    """
    from ..policy import Action, user_allows
    from .scoring import cross_role_fit

    requisition = application.requisition
    if not user_allows(user, Action.RANKING) or not manages_requisition(user, requisition):
        return None
    if requisition.hide_scores or application.alternative_process:
        return None
    if not may_see_others(session, user, application):
        return None
    rows = cross_role_fit(session, application)
    if not rows:
        return None
    return {"application_id": application.id, "level": requisition.level, "rows": rows,
            "own": rows[0], "better": [row for row in rows[1:] if row.clearly_better]}


_PACKET_STATES = {STATE_OK: "scored", "insufficient coverage": "insufficient_coverage",
                  "cannot score": "cannot_score"}


def packet_score_block(session: Session, user: User, application: Application) -> Any:
    """The stored profile fit as a debrief packet's :class:`~hiring.packets.viewmodels.ScoreBlock`,
    or None when no score may be shown to ``user``: hidden for the requisition, alternative
    process, the viewer on the panel before submitting (AUTHZ-4), or nothing stored yet.

    Numbers on 0-100 (band too) as the packet prints them; contributions on the rating metric,
    as on the explanation page, so the chart is the same SVG.
    """
    from ..packets.viewmodels import MustHave, ScoreBlock

    requisition = application.requisition
    if requisition.hide_scores or application.alternative_process:
        return None
    if not may_see_others(session, user, application):
        return None
    score = stored_score(session, application.id)
    if score is None:
        return None
    needs = requisition_needs(session, requisition)
    labels = {n.key: n.name for n in needs}
    version = requisition.profile_version
    kind = f"Profile fit (profile {version.name} v{version.version_no}, {requisition.level})"
    musts = tuple(MustHave(labels.get(k, k), v) for k, v in sorted(score.must_haves.items()))
    cells = score.inputs.get("error_model_cells", {})
    note = ("Band from the rating error pooled over this role "
            + ("(the prior until 30 cells with two or more ratings exist)."
               if not cells or min(cells.values()) < 30 else "."))
    if score.state != STATE_OK or score.mean is None:
        coverage = "" if score.coverage is None else f" ({score.coverage:.0%} of the weight)"
        return ScoreBlock(kind=kind, state=_PACKET_STATES.get(score.state, "cannot_score"),
                          headline=f"{score.state.capitalize()}{coverage}",
                          coverage=score.coverage, must_haves=musts, labels=labels,
                          notes=(score.result.get("reason") or "",))
    headline = (f"{score.mean:.1f} on the rating scale (bar profile {score.bar_mean:.1f}): "
                f"{score.score_0_100:.0f} of 100, bar profile {score.bar_0_100:.0f}")
    return ScoreBlock(
        kind=kind, state="scored", headline=headline, contributions=dict(score.contributions),
        labels=labels, score_0_100=score.score_0_100, bar_0_100=score.bar_0_100,
        band=(to_0_100(score.band_lo), to_0_100(score.band_hi)), coverage=score.coverage,
        must_haves=musts, notes=(note,),
    )
