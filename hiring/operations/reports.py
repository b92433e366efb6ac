"""Assessment-quality reports: rater agreement, interviewer calibration, question statistics.

Read-only: these functions read the database and hand plain data to the pure statistics of
:mod:`hiring.analytics.reliability` and :mod:`hiring.analytics.calibration`; nothing here writes.

Which ratings count
    Only **independent** ratings: the submitted scorecards of interviews still on, with
    amendments made before the debrief applied and those made after it ignored
    (:func:`hiring.operations.scorecards.effective_ratings`). Applications in the alternative
    process are left out (SECURITY.md AI-6: their ratings feed no automated statistic).

Who sees what (DESIGN.md 2b, ``Action.RELIABILITY_REPORTS``)
    Admins, recruiters and auditors: every requisition and role. Hiring managers: their own
    requisitions only (a role's report then covers only their requisitions of that role).

For the ranking (leniency-adjusted evidence)
    :func:`leniency_offsets` gives each interviewer's shrunk leniency offset for a role;
    :func:`leniency_adjusted_fits` re-scores applications' profile fit with the offsets taken
    out of the ratings, from the stored score's own profile level and error model. Raw stays
    the score of record: the adjusted figures are a labelled second view and are never stored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..analytics.calibration import (
    MIN_CANDIDATES,
    MIN_SHARED_CANDIDATES,
    N_BOOT,
    Rating,
    adjusted_ratings,
    agreement,
    distribution,
    leniency,
    offsets_of,
    question_flags,
)
from ..models import (
    Application,
    Competency,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    KitItem,
    KitVersionFocus,
    ProfileVersion,
    Question,
    QuestionNote,
    QuestionVersion,
    Recommendation,
    Requisition,
    RoleProfile,
    Score,
    Scorecard,
    ScorecardStatus,
    User,
)
from ..scoring import STATE_OK, PooledError, evidence_from_ratings, profile_fit, to_0_100
from . import NotFound
from .requisitions import latest_competency_versions
from .scorecards import NOT_ASSESSED_LABELS, effective_ratings

#: A question asked of this many candidates (all requisitions) is worth rotating to an
#: alternate: past it, its content is likely to circulate among candidates.
EXPOSURE_ROTATE_AFTER = 50

REPORT_ROLES = frozenset({"admin", "recruiter", "auditor"})


# ---------------------------------------------------------------------------- scope


@dataclass
class Scope:
    """What a report covers: one requisition, or a role's requisitions the viewer may see."""

    kind: str  # "requisition" or "role"
    title: str
    requisitions: list[Requisition]
    role_key: str
    role_name: str
    restricted: bool = False  # a hiring manager's role report (own requisitions only)

    @property
    def requisition_ids(self) -> list[int]:
        """The ids of the requisitions covered."""
        return [r.id for r in self.requisitions]

    @property
    def args(self) -> dict[str, Any]:
        """The scope as query arguments (for links between the reports)."""
        if self.kind == "requisition":
            return {"requisition": self.requisitions[0].id}
        return {"role": self.role_key}


def visible_requisitions(session: Session, user: User) -> Any:
    """A ``select(Requisition)`` of what ``user`` may see quality reports for."""
    statement = select(Requisition)
    roles = user.role_names
    if roles & REPORT_ROLES:
        return statement
    if "hiring_manager" in roles:
        return statement.where(Requisition.hiring_manager_id == user.id)
    return statement.where(Requisition.id.is_(None))


def _role_of(session: Session, requisition: Requisition) -> tuple[str, str]:
    row = session.execute(
        select(RoleProfile.key, ProfileVersion.name)
        .join(ProfileVersion, ProfileVersion.profile_id == RoleProfile.id)
        .where(ProfileVersion.id == requisition.profile_version_id)).one()
    return row[0], row[1]


def report_scope(session: Session, user: User, *, requisition_id: int | None = None,
                 role: str | None = None) -> Scope:
    """The requisition or role a report covers, as the viewer may see it; else NotFound."""
    if requisition_id is not None:
        requisition = session.scalar(visible_requisitions(session, user)
                                     .where(Requisition.id == requisition_id))
        if requisition is None:
            raise NotFound("No such requisition.")
        key, name = _role_of(session, requisition)
        return Scope("requisition", requisition.title, [requisition], key, name)
    if role:
        requisitions = list(session.scalars(
            visible_requisitions(session, user)
            .join(ProfileVersion, ProfileVersion.id == Requisition.profile_version_id)
            .join(RoleProfile, RoleProfile.id == ProfileVersion.profile_id)
            .where(RoleProfile.key == role).order_by(Requisition.id)))
        profile = session.scalar(select(RoleProfile).where(RoleProfile.key == role))
        if profile is None or (not requisitions and not user.role_names & REPORT_ROLES):
            raise NotFound("No such role.")
        name = profile.versions[-1].name if profile.versions else role
        return Scope("role", name, requisitions, role, name,
                     restricted=not user.role_names & REPORT_ROLES)
    raise NotFound("Choose a requisition or a role.")


def report_index(session: Session, user: User) -> dict[str, Any]:
    """Requisitions and roles the viewer can open reports for."""
    requisitions = list(session.scalars(visible_requisitions(session, user)
                                        .order_by(Requisition.created_at.desc(),
                                                  Requisition.id.desc())))
    roles: dict[str, str] = {}
    for requisition in requisitions:
        key, name = _role_of(session, requisition)
        roles.setdefault(key, name)
    if user.role_names & REPORT_ROLES:
        for profile in session.scalars(select(RoleProfile).where(RoleProfile.retired_at.is_(None))
                                       .order_by(RoleProfile.key)):
            roles.setdefault(profile.key, profile.versions[-1].name if profile.versions
                             else profile.key)
    return {"requisitions": requisitions, "roles": sorted(roles.items()),
            "all_requisitions": bool(user.role_names & REPORT_ROLES)}


# ---------------------------------------------------------------------------- ratings


def _scorecards(session: Session, requisition_ids: Sequence[int], *,
                submitted_only: bool = True) -> list[Scorecard]:
    """Scorecards of the requisitions' interviews still on (applications in the alternative
    process left out), ratings and interviews loaded."""
    if not requisition_ids:
        return []
    statement = (
        select(Scorecard)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .join(Application, Application.id == Interview.application_id)
        .where(Application.requisition_id.in_(list(requisition_ids)),
               Application.alternative_process.is_(False),
               Interview.status == InterviewStatus.SCHEDULED.value)
        .options(selectinload(Scorecard.ratings), selectinload(Scorecard.interview))
        .order_by(Scorecard.id)
    )
    if submitted_only:
        statement = statement.where(Scorecard.status == ScorecardStatus.SUBMITTED.value)
    return list(session.scalars(statement))


def independent_ratings(session: Session, requisition_ids: Sequence[int],
                        scorecards: Sequence[Scorecard] | None = None) -> list[Rating]:
    """Every independent rating of the requisitions (see the module docstring), as
    :class:`~hiring.analytics.calibration.Rating` tuples keyed by application, interview,
    interviewer and competency id."""
    cards = list(scorecards) if scorecards is not None else _scorecards(session, requisition_ids)
    cards = [c for c in cards if c.status == ScorecardStatus.SUBMITTED.value]
    application_of = {c.id: c.interview.application_id for c in cards}
    out = []
    for competency_id, cells in effective_ratings(session, cards).items():
        for cell in cells:
            if cell.rating is not None:
                out.append(Rating(application_of[cell.scorecard_id], cell.interview_id,
                                  cell.interviewer_id, competency_id, float(cell.rating)))
    if scorecards is None:
        # Erased applications' ratings stay, by id only (SECURITY.md DP-2).
        from .privacy import retained_ratings

        out.extend(retained_ratings(session, requisition_ids))
    out.sort(key=lambda r: (r.candidate, r.interview, r.rater, r.competency))
    return out


def competency_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Display names (newest version) by competency id."""
    ids = list(ids)
    versions = latest_competency_versions(session, ids)
    keys = dict(session.execute(select(Competency.id, Competency.key)
                                .where(Competency.id.in_(ids))).all()) if ids else {}
    return {cid: versions[cid].name if cid in versions else keys.get(cid, str(cid))
            for cid in ids}


def _user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    ids = list(ids)
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


# ---------------------------------------------------------------------------- item 3


def reliability_report(session: Session, scope: Scope, *, n_boot: int = N_BOOT
                       ) -> dict[str, Any]:
    """Per competency, same-interview and cross-interview agreement (alpha with a bootstrap
    interval and n, ICC(1) beside it); nothing under ``MIN_CANDIDATES`` candidates."""
    ratings = independent_ratings(session, scope.requisition_ids)
    result = agreement(ratings, n_boot=n_boot)
    names = competency_names(session, result["competencies"])
    rows = [{"competency_id": cid, "name": names.get(cid, str(cid)), **views}
            for cid, views in result["competencies"].items()]
    rows.sort(key=lambda row: row["name"].lower())
    return {"candidates": result["candidates"], "needed": result["needed"],
            "enough": result["enough"], "minimum": MIN_CANDIDATES, "rows": rows,
            "ratings": len(ratings), "n_boot": n_boot}


# ---------------------------------------------------------------------------- item 4


def _role_requisition_ids(session: Session, role: str) -> list[int]:
    return list(session.scalars(
        select(Requisition.id)
        .join(ProfileVersion, ProfileVersion.id == Requisition.profile_version_id)
        .join(RoleProfile, RoleProfile.id == ProfileVersion.profile_id)
        .where(RoleProfile.key == role)))


def leniency_estimates(session: Session, role: str) -> dict[str, Any]:
    """:func:`hiring.analytics.calibration.leniency` over every independent rating of the
    role's requisitions (more shared candidates than one requisition has)."""
    return leniency(independent_ratings(session, _role_requisition_ids(session, role)))


def leniency_offsets(session: Session, role: str) -> dict[int, float]:
    """Each interviewer's leniency offset for ``role`` (role key), in rating points: positive =
    rates higher than the typical interviewer on the same candidates and competencies.

    Only interviewers linked to co-panelists by at least ``MIN_SHARED_CANDIDATES`` shared
    candidates have an offset; the offsets are shrunk towards 0 (random effects), so a short
    record moves little. Use with :func:`hiring.analytics.calibration.adjusted_ratings`, or
    call :func:`leniency_adjusted_fits` for whole applications.
    """
    return {int(rater): offset
            for rater, offset in offsets_of(leniency_estimates(session, role)).items()}


@dataclass
class AdjustedFit:
    """An application's profile fit with interviewers' leniency taken out (a second view)."""

    application_id: int
    state: str
    mean: float | None
    score_0_100: float | None
    band: tuple[float, float] | None
    raw_mean: float | None
    evidence: dict[str, tuple[float, float, int]] = field(default_factory=dict)

    @property
    def change(self) -> float | None:
        """Adjusted minus raw fit on the 1-4 scale."""
        if self.mean is None or self.raw_mean is None:
            return None
        return self.mean - self.raw_mean


def leniency_adjusted_fits(session: Session, requisition: Requisition,
                           application_ids: Iterable[int],
                           offsets: Mapping[int, float] | None = None) -> dict[int, AdjustedFit]:
    """Profile fit of each application recomputed from leniency-adjusted ratings.

    For the ranking's labelled "leniency-adjusted" view (raw stays the default and the score of
    record; nothing is stored). Each rating is reduced by its interviewer's offset
    (:func:`leniency_offsets` of the requisition's role unless ``offsets`` is given; 0 for
    interviewers without one), kept within 1-4, and the fit is recomputed with the profile level
    and error model stored with the application's profile-fit score, so only the ratings
    differ. Applications without a stored profile-fit row, or in the alternative process, are
    left out. ``evidence`` maps competency keys to ``(raw mean, adjusted mean, n)``.
    """
    ids = list(application_ids)
    if not ids:
        return {}
    if offsets is None:
        offsets = leniency_offsets(session, _role_of(session, requisition)[0])
    stored = {row.application_id: row for row in session.scalars(
        select(Score).join(Application, Application.id == Score.application_id)
        .where(Score.application_id.in_(ids), Score.kind == "profile_fit",
               Application.requisition_id == requisition.id,
               Application.alternative_process.is_(False)))}
    if not stored:
        return {}
    cards = [c for c in _scorecards(session, [requisition.id])
             if c.interview.application_id in stored]
    keys = dict(session.execute(select(Competency.id, Competency.key)).all())
    application_of = {c.id: c.interview.application_id for c in cards}
    pairs: dict[int, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for competency_id, cells in effective_ratings(session, cards).items():
        for cell in cells:
            if cell.rating is not None:
                pairs[application_of[cell.scorecard_id]][keys[competency_id]].append(
                    (cell.interviewer_id, float(cell.rating)))
    from .scoring import level_from_json  # the stored row's own profile level

    out = {}
    for application_id, row in stored.items():
        level = level_from_json(row.inputs["profile"])
        model = PooledError.from_json(row.inputs["error_model"])
        raw = {key: [v for _, v in values] for key, values in pairs[application_id].items()}
        adjusted = {key: adjusted_ratings(values, offsets)
                    for key, values in pairs[application_id].items()}
        in_level = {k: v for k, v in adjusted.items() if k in level.weights}
        result = profile_fit(evidence_from_ratings(in_level), level, model)
        ok = result.state == STATE_OK and result.mean is not None
        out[application_id] = AdjustedFit(
            application_id=application_id, state=result.state,
            mean=result.mean if ok else None,
            score_0_100=to_0_100(result.mean) if ok else None,
            band=tuple(result.band) if ok and result.band is not None else None,  # type: ignore[arg-type]
            raw_mean=row.mean,
            evidence={key: (sum(raw[key]) / len(raw[key]), sum(v) / len(v), len(v))
                      for key, v in adjusted.items() if v},
        )
    return out


def ranking_leniency_panel(session: Session, requisition: Requisition, rows: Sequence[Any], *,
                           enabled: bool) -> dict[str, Any]:
    """What the ranking page's leniency-adjusted view shows: for each row the viewer may see a
    score of (``row.scored``), the raw and the adjusted fit. Off unless ``enabled``; never when
    the requisition hides scores."""
    panel: dict[str, Any] = {"enabled": enabled and not requisition.hide_scores,
                             "available": not requisition.hide_scores, "rows": [],
                             "offsets": 0}
    if not panel["enabled"]:
        return panel
    offsets = leniency_offsets(session, _role_of(session, requisition)[0])
    panel["offsets"] = len(offsets)
    visible = [row for row in rows if getattr(row, "scored", False)]
    fits = leniency_adjusted_fits(session, requisition, [r.application_id for r in visible],
                                  offsets=offsets)
    for row in visible:
        fit = fits.get(row.application_id)
        panel["rows"].append({"application_id": row.application_id, "name": row.name,
                              "raw": row.mean, "bar": row.bar_mean,
                              "adjusted": fit.mean if fit else None,
                              "change": fit.change if fit else None,
                              "state": fit.state if fit else None})
    return panel


#: The per-interviewer counts of the calibration report that erasure keeps.
TALLIED = ("submitted", "focus", "rated", "no_decision", "due", "late")


def interviewer_tallies(session: Session, cards: Sequence[Scorecard],
                        assignments: Iterable[tuple[Interview, int]], *, overdue_hours: int,
                        now: datetime) -> defaultdict[int, dict[str, Any]]:
    """Per interviewer, from ``cards`` and the panel seats ``(interview, interviewer id)``:
    drafts, submitted scorecards, focus competencies and how many were rated or not assessed
    (by reason), no-decision recommendations, and seats due (the interview ended more than
    ``overdue_hours`` before ``now``) and late (submitted after that, or still missing).
    ``values`` is left empty for the caller's ratings."""
    submitted = [c for c in cards if c.status == ScorecardStatus.SUBMITTED.value]
    kit_ids = {c.interview.kit_version_id for c in submitted}
    focus_counts: Counter[int] = Counter(session.scalars(
        select(KitVersionFocus.kit_version_id)
        .where(KitVersionFocus.kit_version_id.in_(kit_ids)))) if kit_ids else Counter()
    people: defaultdict[int, dict[str, Any]] = defaultdict(lambda: {
        "submitted": 0, "drafts": 0, "values": [], "focus": 0, "rated": 0,
        "not_assessed": Counter(), "no_decision": 0, "due": 0, "late": 0})
    for card in cards:
        person = people[card.interviewer_id]
        if card.status != ScorecardStatus.SUBMITTED.value:
            person["drafts"] += 1
            continue
        person["submitted"] += 1
        # The kit's frozen focus competencies (a submitted card has a row for each of them).
        person["focus"] += focus_counts.get(card.interview.kit_version_id) or len(card.ratings)
        if card.recommendation == Recommendation.NO_DECISION.value:
            person["no_decision"] += 1
    for cells in effective_ratings(session, submitted).values():
        for cell in cells:
            person = people[cell.interviewer_id]
            if cell.rating is not None:
                person["rated"] += 1
            elif cell.not_assessed_reason:
                person["not_assessed"][cell.not_assessed_reason] += 1
    submitted_at = {(c.interview_id, c.interviewer_id): c.submitted_at for c in submitted}
    for interview, interviewer_id in assignments:
        deadline = interview.starts_at + timedelta(minutes=interview.minutes, hours=overdue_hours)
        if deadline >= now:
            continue
        person = people[interviewer_id]
        person["due"] += 1
        at = submitted_at.get((interview.id, interviewer_id))
        if at is None or at > deadline:
            person["late"] += 1
    return people


def calibration_report(session: Session, scope: Scope, *, overdue_hours: int,
                       now: datetime | None = None) -> dict[str, Any]:
    """Per interviewer: scorecards, rating distribution, leniency offset (shrunk, with an
    interval; only where linked by ``MIN_SHARED_CANDIDATES`` shared candidates), share of focus
    competencies rated, not-assessed reasons, no-decision recommendations and overdue rate."""
    now = now or datetime.now(UTC)
    ids = scope.requisition_ids
    cards = _scorecards(session, ids, submitted_only=False)
    assignments = list(session.execute(
        select(Interview, InterviewAssignment.interviewer_id)
        .join(InterviewAssignment, InterviewAssignment.interview_id == Interview.id)
        .join(Application, Application.id == Interview.application_id)
        .where(Application.requisition_id.in_(ids), Application.alternative_process.is_(False),
               Interview.status == InterviewStatus.SCHEDULED.value))) if ids else []
    people = interviewer_tallies(session, cards, assignments, overdue_hours=overdue_hours,
                                 now=now)
    # Erased applicants stay in the figures (SECURITY.md DP-2): their counts were kept at
    # erasure and their independent ratings by id.
    from .privacy import retained_interviewer_tallies

    for user_id, kept in retained_interviewer_tallies(session, ids).items():
        person = people[user_id]
        for key, amount in kept.items():
            if key.startswith("na:"):
                person["not_assessed"][key[3:]] += amount
            else:
                person[key] += amount
    ratings = independent_ratings(session, ids)
    estimates = leniency(ratings)
    for rating in ratings:
        people[rating.rater]["values"].append(rating.value)

    names = _user_names(session, people)
    rows = []
    for user_id, person in people.items():
        entry = estimates["raters"].get(user_id)
        assessed = person["rated"] + sum(person["not_assessed"].values())
        rows.append({
            "interviewer_id": user_id, "name": names.get(user_id, f"User {user_id}"),
            "submitted": person["submitted"], "drafts": person["drafts"],
            "distribution": distribution(person["values"]), "ratings": len(person["values"]),
            "mean": (sum(person["values"]) / len(person["values"])) if person["values"] else None,
            "leniency": entry,
            "shared_candidates": entry["shared_candidates"] if entry else 0,
            "focus": person["focus"], "rated": person["rated"],
            "rated_share": person["rated"] / person["focus"] if person["focus"] else None,
            "assessed": assessed,
            "not_assessed": {NOT_ASSESSED_LABELS.get(k, k): n
                             for k, n in sorted(person["not_assessed"].items())},
            "no_decision": person["no_decision"],
            "due": person["due"], "late": person["late"],
            "overdue_rate": person["late"] / person["due"] if person["due"] else None,
        })
    rows.sort(key=lambda row: row["name"].lower())
    return {"rows": rows, "tau2": estimates["tau2"], "sigma2": estimates["sigma2"],
            "min_shared": MIN_SHARED_CANDIDATES, "overdue_hours": overdue_hours,
            "linked": sum(1 for e in estimates["raters"].values() if e["offset"] is not None)}


# ---------------------------------------------------------------------------- item 5


def _question_alternates(session: Session, question_ids: Sequence[int]) -> dict[int, list[str]]:
    """Per question: the public ids of its active alternates (questions marked as an alternate
    of it, of the question it is an alternate of, or of that same question)."""
    rows = session.execute(select(Question.id, Question.public_id, Question.alternate_of_id,
                                  Question.retired_at)).all()
    root = {qid: alt or qid for qid, _, alt, _ in rows}
    by_root: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for qid, public_id, _, retired in rows:
        if retired is None:
            by_root[root[qid]].append((qid, public_id))
    return {qid: sorted(p for other, p in by_root.get(root.get(qid, qid), []) if other != qid)
            for qid in question_ids}


def question_report(session: Session, scope: Scope, *, now: datetime | None = None,
                    rotate_after: int = EXPOSURE_ROTATE_AFTER) -> dict[str, Any]:
    """Per question asked in the scope: times asked, rating distribution (question ratings, or
    the competency rating where the kit had just that one question for it), ceiling and floor
    flags, exposure (distinct candidates asked, every requisition) and a suggestion to rotate
    to an alternate past ``rotate_after``."""
    now = now or datetime.now(UTC)
    ids = scope.requisition_ids
    if not ids:
        return {"rows": [], "rotate_after": rotate_after}
    # Interviews of the scope that have happened, with the questions of their kit.
    asked = session.execute(
        select(Interview.id, Interview.kit_version_id, QuestionVersion.question_id,
               QuestionVersion.id, Question.competency_id)
        .join(Application, Application.id == Interview.application_id)
        .join(KitItem, KitItem.kit_version_id == Interview.kit_version_id)
        .join(QuestionVersion, QuestionVersion.id == KitItem.question_version_id)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(Application.requisition_id.in_(ids),
               Application.alternative_process.is_(False),
               Interview.status == InterviewStatus.SCHEDULED.value,
               Interview.starts_at <= now)).all()
    times: Counter[int] = Counter()
    kit_questions: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    version_question: dict[int, int] = {}
    for _, kit_version_id, question_id, version_id, competency_id in asked:
        times[question_id] += 1
        version_question[version_id] = question_id
        if question_id not in kit_questions[kit_version_id][competency_id]:
            kit_questions[kit_version_id][competency_id].append(question_id)
    if not times:
        return {"rows": [], "rotate_after": rotate_after}

    cards = _scorecards(session, ids)
    notes = session.execute(
        select(QuestionNote.scorecard_id, QuestionNote.question_version_id, QuestionNote.rating)
        .join(Scorecard, Scorecard.id == QuestionNote.scorecard_id)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .join(Application, Application.id == Interview.application_id)
        .where(Application.requisition_id.in_(ids),
               Application.alternative_process.is_(False),
               Interview.status == InterviewStatus.SCHEDULED.value,
               Scorecard.status == ScorecardStatus.SUBMITTED.value,
               QuestionNote.rating.is_not(None))).all()
    values: dict[int, list[float]] = defaultdict(list)
    source: dict[int, set[str]] = defaultdict(set)
    noted: set[tuple[int, int]] = set()
    for scorecard_id, version_id, rating in notes:
        question_id = version_question.get(version_id)
        if question_id is not None:
            values[question_id].append(float(rating))
            source[question_id].add("question")
            noted.add((scorecard_id, question_id))
    kit_of = {c.id: c.interview.kit_version_id for c in cards}
    for competency_id, cells in effective_ratings(session, cards).items():
        for cell in cells:
            only = kit_questions.get(kit_of[cell.scorecard_id], {}).get(competency_id, [])
            if cell.rating is None or len(only) != 1 or (cell.scorecard_id, only[0]) in noted:
                continue
            values[only[0]].append(float(cell.rating))
            source[only[0]].add("competency")

    # Exposure: distinct candidates who were asked the question, in any requisition.
    exposure_counts: Counter[int] = Counter(
        qid for qid, _ in session.execute(
            select(QuestionVersion.question_id, Application.candidate_id)
            .select_from(Interview)
            .join(Application, Application.id == Interview.application_id)
            .join(KitItem, KitItem.kit_version_id == Interview.kit_version_id)
            .join(QuestionVersion, QuestionVersion.id == KitItem.question_version_id)
            .where(QuestionVersion.question_id.in_(list(times)),
                   Interview.status == InterviewStatus.SCHEDULED.value,
                   Interview.starts_at <= now)
            .distinct()))
    questions = {q.id: q for q in session.scalars(
        select(Question).where(Question.id.in_(list(times)))
        .options(selectinload(Question.versions)))}
    names = competency_names(session, {q.competency_id for q in questions.values()})
    alternates = _question_alternates(session, list(times))
    rows = []
    for question_id, count in times.items():
        question = questions[question_id]
        counts = distribution(values.get(question_id, []))
        flags = question_flags(counts)
        exposed = exposure_counts.get(question_id, 0)
        latest = question.versions[-1] if question.versions else None
        rows.append({
            "question_id": question_id, "public_id": question.public_id,
            "prompt": latest.prompt if latest else "",
            "competency": names.get(question.competency_id, ""),
            "asked": count, "distribution": counts, "ratings": sum(counts.values()),
            "mean": (sum(k * n for k, n in counts.items()) / sum(counts.values()))
            if sum(counts.values()) else None,
            "source": sorted(source.get(question_id, set())),
            "ceiling": flags["ceiling"], "floor": flags["floor"],
            "exposure": exposed, "rotate": exposed >= rotate_after,
            "alternates": alternates.get(question_id, []),
            "retired": question.retired_at is not None,
        })
    rows.sort(key=lambda row: (row["competency"].lower(), row["public_id"]))
    return {"rows": rows, "rotate_after": rotate_after}


def role_of(session: Session, requisition: Requisition) -> str:
    """The role key of a requisition's profile."""
    return _role_of(session, requisition)[0]

