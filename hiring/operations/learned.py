"""The learned model in the app: history import, training, the card, adoption, bulk scoring.

The arithmetic is the pure :mod:`hiring.scoring.learned` (``train_model``, ``LearnedModel``,
``explain``); this module feeds it from the database and stores what it returns (DESIGN.md
section 6; SECURITY.md AI-2, AI-3, AI-5, DP-1).

Training data
    Hired rows with an outcome, from two sources: imported history (``history_rows``) and hires
    recorded in the app (an :class:`~hiring.models.Outcome`: success = passed probation, or a
    performance rating of 3 or more where there is no probation result). For app hires the
    ratings are those **as at the decision**: submitted scorecards of interviews still on,
    submitted before the hire decision, with amendments made before the debrief (and before the
    decision) applied. Applications in the alternative process are left out (AI-6). Features are
    the competencies of one level of the role's current profile (``--level``, default mid), in
    key order; self-identification (``history_demographics``) is never read here (DP-1).

Versions
    Numbered per role from 1. The card (coefficients and all) is stored as JSON, never pickled.
    The role's adopted model is the version adopted last; adopting needs an admin, a model that
    beats the recalibrated profile fit on the same folds, and (in the app) a fresh
    re-authentication. Adoption re-scores the role's open applications with the new model (rows
    of kind ``learned:<role>:v<version>``); scores of earlier models stay as they were.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from scipy.special import expit
from sqlalchemy import Text, cast, func, insert, select
from sqlalchemy.orm import Session

from ..candidates_csv import RowError, neutralise_cell
from ..history_csv import DEMOGRAPHIC_COLUMNS, parse_history_csv, parse_scoring_csv
from ..models import (
    Application,
    Competency,
    CompetencyRating,
    Decision,
    DecisionKind,
    HistoryBatch,
    HistoryDemographics,
    HistoryRow,
    Interview,
    InterviewStatus,
    Level,
    ModelVersion,
    Outcome,
    ProfileEntry,
    ProfileVersion,
    Requisition,
    RoleProfile,
    Scorecard,
    ScorecardAmendment,
    ScorecardStatus,
    Stage,
    StageChange,
    User,
)
from ..scoring import (
    STATE_OK,
    InsufficientData,
    LearnedModel,
    LevelProfile,
    ModelCard,
    train_model,
)
from ..scoring.learned import N_BOOTSTRAP, PREDICTS
from . import Forbidden, NotFound, OperationError
from .audit import record

DEFAULT_LEVEL = Level.MID.value
LEARNED_REFERENCE = (
    "bar profile: each contribution is coefficient x (evidence - bar) / training standard "
    "deviation, i.e. relative to a candidate exactly at every bar of the profile level; the "
    "baseline is that candidate's logit, and baseline + contributions = logit exactly"
)
PROFILE_FIT_REFERENCE = (
    "bar profile: each contribution is weight x (evidence - bar) / assessed weight, relative to "
    "a candidate exactly at every bar; contributions sum exactly to the fit's distance from the "
    "bar profile"
)


# ---------------------------------------------------------------------------- roles and levels


def role_profile(session: Session, role: str) -> RoleProfile:
    """The active role profile with key ``role``, or :class:`NotFound` naming the known roles."""
    profile = session.scalar(select(RoleProfile).where(RoleProfile.key == role,
                                                       RoleProfile.retired_at.is_(None)))
    if profile is None:
        known = session.scalars(select(RoleProfile.key).where(RoleProfile.retired_at.is_(None))
                                .order_by(RoleProfile.key)).all()
        hint = f" Roles: {', '.join(known)}." if known else " Load the question bank first."
        raise NotFound(f"No role profile {role!r}.{hint}")
    return profile


def _current_versions(session: Session) -> dict[str, int]:
    """Role key -> id of the newest version of each active role profile."""
    newest = (select(ProfileVersion.profile_id, func.max(ProfileVersion.version_no).label("v"))
              .group_by(ProfileVersion.profile_id).subquery())
    rows = session.execute(
        select(RoleProfile.key, ProfileVersion.id)
        .join(ProfileVersion, ProfileVersion.profile_id == RoleProfile.id)
        .join(newest, (newest.c.profile_id == ProfileVersion.profile_id)
              & (newest.c.v == ProfileVersion.version_no))
        .where(RoleProfile.retired_at.is_(None))
    ).all()
    return dict(rows)


def role_competencies(session: Session) -> dict[str, frozenset[str]]:
    """Role key -> the competency keys of its current profile version (every level)."""
    versions = _current_versions(session)
    rows = session.execute(
        select(ProfileEntry.profile_version_id, Competency.key)
        .join(Competency, Competency.id == ProfileEntry.competency_id)
        .where(ProfileEntry.profile_version_id.in_(list(versions.values())))
    ).all() if versions else []
    keys: dict[int, set[str]] = defaultdict(set)
    for version_id, key in rows:
        keys[version_id].add(key)
    return {role: frozenset(keys.get(version_id, set())) for role, version_id in versions.items()}


def current_level(session: Session, role: str, level: str) -> tuple[ProfileVersion, LevelProfile]:
    """The role's current profile version and its ``level`` as a :class:`LevelProfile`.

    Competencies in key order (as stored scores use), must-have flags dropped: the learned model
    and its card use weights and bars only.
    """
    if level not in Level.values():
        raise OperationError(f"{level!r} is not a level; choose junior, mid or senior.")
    profile = role_profile(session, role)
    version = session.scalar(select(ProfileVersion).where(ProfileVersion.profile_id == profile.id)
                             .order_by(ProfileVersion.version_no.desc()).limit(1))
    if version is None:
        raise NotFound(f"The role profile {role!r} has no version yet.")
    rows = session.execute(
        select(Competency.key, ProfileEntry.weight, ProfileEntry.bar)
        .join(Competency, Competency.id == ProfileEntry.competency_id)
        .where(ProfileEntry.profile_version_id == version.id, ProfileEntry.level == level)
        .order_by(Competency.key)
    ).all()
    if not rows:
        raise OperationError(f"The {role} profile (version {version.version_no}) does not define "
                             f"the {level} level.")
    leaked = {key for key, _, _ in rows} & set(DEMOGRAPHIC_COLUMNS)
    if leaked:  # DP-1: a self-identification column can never be a feature
        raise OperationError(f"Competency keys {sorted(leaked)} clash with self-identification "
                             f"columns; rename them in the question bank.")
    return version, LevelProfile.from_rows([(key, weight, bar, False) for key, weight, bar in rows])


# ---------------------------------------------------------------------------- history import


class HistoryInvalid(OperationError):
    """The history file was refused: nothing was written; ``errors`` lists every problem."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the history file; nothing was imported.")
        self.errors = list(errors)


@dataclass
class HistoryImportReport:
    """What one history import wrote."""

    batch_id: int
    rows: int
    hired: int
    outcomes: int
    successes: int
    with_self_identification: int
    roles: Counter[str] = field(default_factory=Counter)
    same_file_batches: list[int] = field(default_factory=list)


def import_history(session: Session, data: bytes, *, filename: str = "",
                   actor: User | None = None) -> HistoryImportReport:
    """Validate a history file and append it as one batch: all rows or none.

    Raises :class:`HistoryInvalid` with every bad row (number and column). Self-identification
    columns go to ``history_demographics`` only. Audited (counts only, no labels).
    """
    parsed = parse_history_csv(data, role_competencies(session))
    if not parsed.ok:
        raise HistoryInvalid(parsed.errors)
    digest = hashlib.sha256(data).hexdigest()
    same = list(session.scalars(select(HistoryBatch.id).where(HistoryBatch.file_hash == digest)
                                .order_by(HistoryBatch.id)))
    batch = HistoryBatch(filename=filename[:255], file_hash=digest, rows=len(parsed.rows),
                         created_by_id=actor.id if actor else None)
    session.add(batch)
    session.flush()
    values = [{"batch_id": batch.id, "row_number": row.row, "label": row.label,
               "role": row.role, "level": row.level, "hired": row.hired,
               "outcome": row.outcome, "ratings": row.ratings} for row in parsed.rows]
    # One executemany; ids are read back by label (unique within a batch), since an ordered
    # RETURNING makes SQLite insert row by row.
    session.execute(insert(HistoryRow.__table__), values)
    ids = dict(session.execute(select(HistoryRow.label, HistoryRow.id)
                               .where(HistoryRow.batch_id == batch.id)).all())
    demographics = [
        {"row_id": ids[row.label], "sex": row.demographics.get("sex"),
         "race_ethnicity": row.demographics.get("race_ethnicity")}
        for row in parsed.rows if row.demographics
    ]
    if demographics:
        session.execute(insert(HistoryDemographics), demographics)
    report = HistoryImportReport(
        batch_id=batch.id, rows=len(parsed.rows),
        hired=sum(row.hired for row in parsed.rows),
        outcomes=sum(row.outcome is not None for row in parsed.rows),
        successes=sum(row.outcome is True for row in parsed.rows),
        with_self_identification=len(demographics),
        roles=Counter(row.role for row in parsed.rows), same_file_batches=same,
    )
    record(session, "history.import", actor_id=actor.id if actor else None,
           subject_type="history_batch", subject_id=batch.id, rows=report.rows,
           hired=report.hired, outcomes=report.outcomes)
    return report


# ---------------------------------------------------------------------------- training data


@dataclass
class TrainingData:
    """Hires' evidence at the decision (``X``, NaN = not assessed) and outcomes (``y``), in
    competency order, plus applicants' evidence for the range-restriction table and where the
    rows came from."""

    competencies: tuple[str, ...]
    X: np.ndarray
    y: np.ndarray
    applicants: np.ndarray
    from_history: int = 0
    from_app: int = 0
    history_batches: list[int] = field(default_factory=list)
    history_imported: tuple[str, str] | None = None
    decisions: tuple[str, str] | None = None
    left_out: dict[str, int] = field(default_factory=dict)


def _matrix(rows: Sequence[Mapping[str, Any]], competencies: Sequence[str]) -> np.ndarray:
    """Rating mappings -> a matrix with one column per competency (None/absent -> NaN)."""
    if not rows:
        return np.empty((0, len(competencies)))
    return np.array([[r.get(key) for key in competencies] for r in rows], dtype=float)


def _latest_labels(session: Session, application_ids: Iterable[int] | None = None
                   ) -> dict[int, bool]:
    """Per application, success (True) or not (False) from its newest informative outcome:
    a probation result wins; otherwise a performance rating of 3+ is success."""
    statement = (select(Outcome.application_id, Outcome.passed_probation, Outcome.performance)
                 .order_by(Outcome.outcome_date.desc(), Outcome.recorded_at.desc(),
                           Outcome.id.desc()))
    if application_ids is not None:
        statement = statement.where(Outcome.application_id.in_(list(application_ids)))
    probation: dict[int, bool] = {}
    performance: dict[int, bool] = {}
    for application_id, passed, rating in session.execute(statement):
        if passed is not None:
            probation.setdefault(application_id, bool(passed))
        elif rating is not None:
            performance.setdefault(application_id, rating >= 3)
    return {**performance, **probation}


def _decision_times(session: Session, application_ids: Sequence[int]) -> dict[int, datetime]:
    """When each application was hired: its latest hire decision, else its first stage change
    to "hired"."""
    times: dict[int, datetime] = {}
    for application_id, at in session.execute(
            select(Decision.application_id, func.max(Decision.at))
            .where(Decision.application_id.in_(list(application_ids)),
                   Decision.kind == DecisionKind.HIRE.value)
            .group_by(Decision.application_id)):
        times[application_id] = at
    missing = [a for a in application_ids if a not in times]
    if missing:
        for application_id, at in session.execute(
                select(StageChange.application_id, func.min(StageChange.at))
                .where(StageChange.application_id.in_(missing),
                       StageChange.to_stage == Stage.HIRED.value)
                .group_by(StageChange.application_id)):
            times[application_id] = at
    return {a: t.replace(tzinfo=UTC) if t.tzinfo is None else t for a, t in times.items()}


def evidence_as_at(session: Session, application_ids: Sequence[int],
                   cutoff: Mapping[int, datetime] | None = None) -> dict[int, dict[str, float]]:
    """Per application, competency key -> mean of its effective ratings (ratings only).

    Submitted scorecards of interviews still on; amendments made before the debrief replace a
    rating (the rule of :func:`hiring.operations.scorecards.effective_ratings`). With ``cutoff``
    (application id -> time) only scorecards submitted, and amendments made, before that time
    count: the evidence as it stood at the decision.
    """
    if not application_ids:
        return {}
    rows = session.execute(
        select(Scorecard.id, Scorecard.submitted_at, Interview.application_id,
               CompetencyRating.competency_id, Competency.key, CompetencyRating.rating)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .join(CompetencyRating, CompetencyRating.scorecard_id == Scorecard.id)
        .join(Competency, Competency.id == CompetencyRating.competency_id)
        .where(Interview.application_id.in_(list(application_ids)),
               Scorecard.status == ScorecardStatus.SUBMITTED.value,
               Interview.status == InterviewStatus.SCHEDULED.value)
        .order_by(Scorecard.id, CompetencyRating.competency_id)
    ).all()
    amendments = session.execute(
        select(ScorecardAmendment.scorecard_id, ScorecardAmendment.changes,
               ScorecardAmendment.created_at, Interview.application_id)
        .join(Scorecard, Scorecard.id == ScorecardAmendment.scorecard_id)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .where(Interview.application_id.in_(list(application_ids)),
               ScorecardAmendment.after_debrief.is_(False))
        .order_by(ScorecardAmendment.created_at, ScorecardAmendment.id)
    ).all()

    def before(application_id: int, at: datetime | None) -> bool:
        if cutoff is None:
            return True
        limit = cutoff.get(application_id)
        if limit is None or at is None:
            return False
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        return at < limit

    latest: dict[tuple[int, int], Any] = {}
    for scorecard_id, changes, created_at, application_id in amendments:
        if not before(application_id, created_at):
            continue
        for key, change in (changes or {}).items():
            if key.isdigit() and isinstance(change, Mapping):
                latest[(scorecard_id, int(key))] = change.get("rating")
    ratings: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for scorecard_id, submitted_at, application_id, competency_id, key, rating in rows:
        if not before(application_id, submitted_at):
            continue
        if (scorecard_id, competency_id) in latest:
            rating = latest[(scorecard_id, competency_id)]
        if rating is not None:
            ratings[application_id][key].append(float(rating))
    return {application_id: {key: math.fsum(values) / len(values)
                             for key, values in by_key.items() if values}
            for application_id, by_key in ratings.items()}


def training_data(session: Session, role: str, competencies: Sequence[str],
                  level: str | None = None) -> TrainingData:
    """Hires with an outcome for ``role`` (and ``level`` when given), from imports and the app.

    Reads ``history_rows`` and the app's outcomes, decisions and scorecards; never
    ``history_demographics`` (DP-1).
    """
    competencies = tuple(competencies)
    left_out: Counter[str] = Counter()
    # Ratings as JSON text, decoded in one call: 50,000 separate decodes cost seconds.
    statement = (select(HistoryRow.batch_id, HistoryRow.hired, HistoryRow.outcome,
                        cast(HistoryRow.ratings, Text))
                 .where(HistoryRow.role == role).order_by(HistoryRow.id))
    if level is not None:
        statement = statement.where(HistoryRow.level == level)
    history = session.execute(statement).all()
    history_X = _matrix(json.loads("[" + ",".join(r[3] for r in history) + "]"), competencies)
    train_index = [i for i, r in enumerate(history) if r.hired and r.outcome is not None]
    train_rows = [history[i] for i in train_index]
    left_out["imported hires without an outcome"] = sum(
        1 for r in history if r.hired and r.outcome is None)
    batches = sorted({r.batch_id for r in train_rows})
    imported = None
    if batches:
        first, last = session.execute(
            select(func.min(HistoryBatch.created_at), func.max(HistoryBatch.created_at))
            .where(HistoryBatch.id.in_(batches))).one()
        imported = (first.date().isoformat(), last.date().isoformat())

    app_statement = (
        select(Application.id)
        .join(Requisition, Requisition.id == Application.requisition_id)
        .join(ProfileVersion, ProfileVersion.id == Requisition.profile_version_id)
        .join(RoleProfile, RoleProfile.id == ProfileVersion.profile_id)
        .where(RoleProfile.key == role, Application.alternative_process.is_(False))
        .order_by(Application.id)
    )
    if level is not None:
        app_statement = app_statement.where(Requisition.level == level)
    app_ids = list(session.scalars(app_statement))
    labels = _latest_labels(session, app_ids) if app_ids else {}
    hired_ids = sorted(labels)
    times = _decision_times(session, hired_ids)
    dated = [a for a in hired_ids if a in times]
    left_out["app hires without a hire decision"] = len(hired_ids) - len(dated)
    at_decision = evidence_as_at(session, dated, times)
    decisions = None
    if dated:
        moments = sorted(times[a] for a in dated)
        decisions = (moments[0].date().isoformat(), moments[-1].date().isoformat())

    X = np.vstack([history_X[train_index],
                   _matrix([at_decision.get(a, {}) for a in dated], competencies)])
    y = np.concatenate([np.array([int(bool(r.outcome)) for r in train_rows], dtype=int),
                        np.array([int(labels[a]) for a in dated], dtype=int)])
    # Applicants for range restriction: every imported row of the role and every application's
    # current evidence (hired or not).
    current = evidence_as_at(session, app_ids)
    applicants = np.vstack([history_X,
                            _matrix([current.get(a, {}) for a in app_ids], competencies)])
    return TrainingData(
        competencies=competencies, X=X, y=y, applicants=applicants,
        from_history=len(train_rows), from_app=len(dated), history_batches=batches,
        history_imported=imported, decisions=decisions,
        left_out={k: v for k, v in left_out.items() if v},
    )


# ---------------------------------------------------------------------------- training


def _json_safe(value: Any) -> Any:
    """Non-finite floats become None (PostgreSQL's JSON has no NaN); containers recursively."""
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class TrainedCard:
    """A freshly trained model card, not stored yet (see :func:`fit_card`)."""

    role: str
    level: str
    profile_version_id: int
    card: dict[str, Any]
    trained_at: datetime


def fit_card(session: Session, role: str, *, level: str | None = None,
             n_bootstrap: int = N_BOOTSTRAP, random_state: int = 0) -> TrainedCard:
    """Read the training data and train (reads only: a read session will do, so that no write
    lock is held while the model trains).

    ``level`` picks the profile level whose weights and bars the model uses and restricts the
    training rows to that level; without it every level's hires count and the mid level's
    profile is used. Raises :class:`OperationError` with the counts when there are fewer than 40
    usable outcomes or fewer than 10 of either class. Deterministic for the same data.
    """
    profile_level = level or DEFAULT_LEVEL
    version, profile = current_level(session, role, profile_level)
    data = training_data(session, role, profile.competencies, level)
    weights = [profile.weights[k] for k in profile.competencies]
    bars = [profile.bars[k] for k in profile.competencies]
    trained_at = datetime.now(UTC)
    metadata = {
        "role": role, "role_name": version.name, "level": profile_level,
        "levels_trained_on": [level] if level else list(Level.values()),
        "profile_version_id": version.id, "profile_version": version.version_no,
        "trained_at": trained_at.isoformat(),
        "sources": {"history_import": data.from_history, "app_outcomes": data.from_app,
                    "history_batches": data.history_batches},
        "history_imported": list(data.history_imported) if data.history_imported else None,
        "decisions": list(data.decisions) if data.decisions else None,
        "left_out": data.left_out,
    }
    try:
        card = train_model(data.X, data.y, profile.competencies, weights, bars,
                           applicants=data.applicants if data.applicants.shape[0] else None,
                           coverage_floor=profile.coverage_floor, random_state=random_state,
                           n_bootstrap=n_bootstrap, metadata=metadata)
    except InsufficientData as exc:
        raise OperationError(
            f"Training refused for {role}: {exc}. Import more history "
            f"(`flask --app hiring history import FILE.csv`) or record more outcomes."
        ) from exc
    return TrainedCard(role=role, level=profile_level, profile_version_id=version.id,
                       card=_json_safe(card.to_json()), trained_at=trained_at)


def store_card(session: Session, trained: TrainedCard, *, actor: User | None = None
               ) -> ModelVersion:
    """Store a trained card as the role's next version (not adopted); audited."""
    role = trained.role
    number = (session.scalar(select(func.max(ModelVersion.version))
                             .where(ModelVersion.role == role)) or 0) + 1
    row = ModelVersion(role=role, version=number, level=trained.level,
                       profile_version_id=trained.profile_version_id, card=trained.card,
                       created_at=trained.trained_at, created_by_id=actor.id if actor else None)
    session.add(row)
    session.flush()
    record(session, "model.train", actor_id=actor.id if actor else None,
           subject_type="model_version", subject_id=row.id, role=role, version=number,
           n_train=trained.card["n_outcomes"],
           beats_profile_fit=trained.card["beats_profile_fit"])
    return row


def train(session: Session, role: str, *, level: str | None = None, actor: User | None = None,
          n_bootstrap: int = N_BOOTSTRAP, random_state: int = 0) -> ModelVersion:
    """Train a new version of ``role``'s learned model and store its card (not adopted):
    :func:`fit_card` then :func:`store_card` in one session."""
    trained = fit_card(session, role, level=level, n_bootstrap=n_bootstrap,
                       random_state=random_state)
    return store_card(session, trained, actor=actor)


# ---------------------------------------------------------------------------- versions


def versions(session: Session, role: str) -> list[ModelVersion]:
    """Every trained version of ``role``, newest first."""
    return list(session.scalars(select(ModelVersion).where(ModelVersion.role == role)
                                .order_by(ModelVersion.version.desc())))


def adopted_version(session: Session, role: str) -> ModelVersion | None:
    """The role's adopted model (the version adopted last), or None."""
    return session.scalar(
        select(ModelVersion).where(ModelVersion.role == role, ModelVersion.adopted_at.is_not(None))
        .order_by(ModelVersion.adopted_at.desc(), ModelVersion.id.desc()).limit(1))


def get_version(session: Session, role: str, version: int) -> ModelVersion:
    """Version ``version`` of ``role``'s model, or :class:`NotFound`."""
    row = session.scalar(select(ModelVersion).where(ModelVersion.role == role,
                                                    ModelVersion.version == version))
    if row is None:
        raise NotFound(f"No version {version} of the {role} model.")
    return row


def default_version(session: Session, role: str) -> ModelVersion | None:
    """The version shown by default: the adopted one, else the latest, else None."""
    adopted = adopted_version(session, role)
    if adopted is not None:
        return adopted
    return session.scalar(select(ModelVersion).where(ModelVersion.role == role)
                          .order_by(ModelVersion.version.desc()).limit(1))


def learned_model(row: ModelVersion) -> LearnedModel:
    """The stored model of a version, rebuilt from its JSON (never unpickled)."""
    return LearnedModel.from_json(row.card)


def model_hash(row: ModelVersion) -> str:
    """SHA-256 of the stored model's canonical JSON (what its scores depend on)."""
    text = json.dumps(row.card["model"], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _person(session: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = session.get(User, user_id)
    return user.name if user else None


def card_view(session: Session, role: str, *, version: int | None = None,
              level: str | None = None) -> dict[str, Any]:
    """The model card as plain data (what ``model show --json`` prints and the page shows).

    The adopted version by default, else the latest, else (no training yet) the profile's
    weights for ``level`` (default mid) with ``version: None``. Raises :class:`NotFound` for an
    unknown role or version.
    """
    role_profile(session, role)
    row = get_version(session, role, version) if version is not None else \
        default_version(session, role)
    adopted = adopted_version(session, role)
    if row is None:
        profile_version, profile = current_level(session, role, level or DEFAULT_LEVEL)
        return {
            "role": role, "role_name": profile_version.name, "level": level or DEFAULT_LEVEL,
            "version": None, "model_version_id": None, "adopted": False, "adopted_at": None,
            "adopted_by": None, "acknowledgement": None, "created_at": None, "created_by": None,
            "predicts": PREDICTS, "scorer": "profile fit",
            "profile_version": profile_version.version_no,
            "n_train": None, "n_successes": None, "n_failures": None,
            "n_excluded_below_coverage": None, "base_rate": None,
            "cv_auc": None, "cv_auc_profile_fit": None, "brier": None,
            "brier_profile_fit": None, "auc_gain": None, "auc_gain_se": None,
            "brier_change": None, "beats_profile_fit": None, "cv": None,
            "intercept": None, "coefficients": {}, "coefficient_intervals": {},
            "profile_weights": {k: profile.weights[k] for k in profile.competencies},
            "bars": {k: profile.bars[k] for k in profile.competencies},
            "competencies": list(profile.competencies),
            "coverage_floor": profile.coverage_floor,
            "reference": PROFILE_FIT_REFERENCE, "baseline": None, "baseline_probability": None,
            "calibration": [], "range_restriction": [], "recommended_min_sample": None,
            "sample_size_warning": None, "disagreements": [], "warnings": [],
            "limitations": [], "library_versions": {}, "training": None, "bootstrap": None,
            "versions": [],
        }
    card = ModelCard.from_json(row.card)
    model = card.model
    keys = model.competencies
    cv = card.cv
    return {
        "role": role, "role_name": card.metadata.get("role_name", role), "level": row.level,
        "version": row.version, "model_version_id": row.id,
        "adopted": adopted is not None and adopted.id == row.id,
        "adopted_at": row.adopted_at.isoformat() if row.adopted_at else None,
        "adopted_by": _person(session, row.adopted_by_id),
        "acknowledgement": row.acknowledgement,
        "created_at": row.created_at.isoformat(), "created_by": _person(session,
                                                                        row.created_by_id),
        "predicts": card.predicts, "scorer": "learned model",
        "profile_version": card.metadata.get("profile_version"),
        "n_train": card.n_outcomes, "n_successes": card.n_successes,
        "n_failures": card.n_failures,
        "n_excluded_below_coverage": card.n_excluded_below_coverage,
        "base_rate": model.base_rate,
        "cv_auc": cv["learned"]["auc"], "cv_auc_profile_fit": cv["profile_fit"]["auc"],
        "brier": cv["learned"]["brier"], "brier_profile_fit": cv["profile_fit"]["brier"],
        "auc_gain": cv.get("auc_gain"), "auc_gain_se": cv.get("auc_gain_se"),
        "brier_change": cv.get("brier_change"), "beats_profile_fit": card.beats_profile_fit,
        "cv": _json_safe(dict(cv)),
        "intercept": model.intercept,
        "coefficients": dict(zip(keys, model.coefficients, strict=True)),
        "coefficient_intervals": {c["competency"]: list(c["interval"])
                                  for c in card.coefficients},
        "profile_weights": dict(zip(keys, model.weights, strict=True)),
        "bars": dict(zip(keys, model.bars, strict=True)),
        "competencies": list(keys), "coverage_floor": model.coverage_floor,
        "reference": LEARNED_REFERENCE, "baseline": model.baseline(),
        "baseline_probability": float(expit(model.baseline())),
        "calibration": list(card.calibration), "range_restriction": list(card.range_restriction),
        "recommended_min_sample": card.recommended_min_sample,
        "sample_size_warning": card.sample_size_warning,
        "disagreements": list(card.disagreements), "warnings": list(card.warnings),
        "limitations": list(card.limitations), "library_versions": dict(card.library_versions),
        "training": dict(card.metadata),
        "bootstrap": {"n": card.n_bootstrap, "method": card.bootstrap_method,
                      "random_state": card.random_state},
        "versions": [{"version": v.version, "created_at": v.created_at.isoformat(),
                      "adopted_at": v.adopted_at.isoformat() if v.adopted_at else None,
                      "n_train": v.card.get("n_outcomes"),
                      "beats_profile_fit": v.card.get("beats_profile_fit")}
                     for v in versions(session, role)],
    }


# ---------------------------------------------------------------------------- adoption


def adoption_impact_check(session: Session, role: str, card: Mapping[str, Any]) -> list[str]:
    """Adverse-impact problems that need an acknowledgement before ``card``'s model is adopted.

    One line per scoring impact ratio under 0.8 (four-fifths rule) of this model over the role's
    applicants of the last 12 months (:func:`hiring.operations.impact.adoption_impact_lines`);
    :func:`adopt` then refuses without ``--acknowledge``. Empty when nobody self-identified.
    """
    from .impact import adoption_impact_lines

    return adoption_impact_lines(session, role, card)


@dataclass
class AdoptionReport:
    """What an adoption did."""

    role: str
    version: int
    kind: str
    rescored: int
    states: Counter[str] = field(default_factory=Counter)
    impact: list[str] = field(default_factory=list)


def adopt(session: Session, role: str, version: int, *, actor: User,
          acknowledgement: str | None = None) -> AdoptionReport:
    """Adopt version ``version`` of ``role``'s model: admins only, and only a model that beats
    the recalibrated profile fit on the same folds.

    Re-scores the role's open applications with it (scores of earlier models stay as they
    were). Impact ratios under 0.8 (:func:`adoption_impact_check`) need ``acknowledgement``,
    which is stored with the version. Audited as ``model.adopt`` (no personal data). The web
    view adds the fresh re-authentication (SECURITY.md AUTH-4).
    """
    if actor is None or not getattr(actor, "active", False) or "admin" not in actor.role_names:
        raise Forbidden("Only an admin can adopt a model.")
    row = get_version(session, role, version)
    card = row.card
    if not card.get("beats_profile_fit"):
        cv = card.get("cv", {})
        raise OperationError(
            f"Version {version} of the {role} model does not beat the recalibrated profile fit "
            f"on the same folds (AUC {_fmt(cv.get('learned', {}).get('auc'))} vs "
            f"{_fmt(cv.get('profile_fit', {}).get('auc'))}, Brier "
            f"{_fmt(cv.get('learned', {}).get('brier'))} vs "
            f"{_fmt(cv.get('profile_fit', {}).get('brier'))}); profile fit stays the score.")
    current = adopted_version(session, role)
    if current is not None and current.id == row.id:
        raise OperationError(f"Version {version} is already the adopted {role} model.")
    acknowledgement = (acknowledgement or "").strip() or None
    impact = adoption_impact_check(session, role, card)
    if impact and not acknowledgement:
        raise OperationError("Adoption needs an acknowledgement of these impact ratios under "
                             "0.8: " + "; ".join(impact))
    row.adopted_at = datetime.now(UTC)
    row.adopted_by_id = actor.id
    row.acknowledgement = acknowledgement
    session.flush()
    from .scoring import learned_kind, store_learned_scores

    kind = learned_kind(role, version)
    summary = store_learned_scores(session, role=role, kind=kind, model_json=card["model"],
                                   model_hash=model_hash(row), trigger="model.adopt",
                                   actor_id=actor.id)
    record(session, "model.adopt", actor_id=actor.id, subject_type="model_version",
           subject_id=row.id, role=role, version=version, rescored=summary.computed,
           acknowledged=acknowledgement is not None,
           previous=current.version if current is not None else None)
    return AdoptionReport(role=role, version=version, kind=kind, rescored=summary.computed,
                          states=summary.states, impact=impact)


def rescore_adopted(session: Session, application_ids: Iterable[int], *, trigger: str,
                    actor_id: int | None = None) -> int:
    """Re-score applications with their role's adopted learned model, where one exists.

    For the code that changes evidence (a scorecard submitted or amended): the adopted model's
    stored rows then follow the evidence as profile fit's do. Closed stages and the alternative
    process are skipped as on adoption. Returns how many rows were computed.
    """
    from .scoring import learned_kind, store_learned_scores

    ids = list(application_ids)
    if not ids:
        return 0
    by_role: dict[str, list[int]] = defaultdict(list)
    for application_id, role in session.execute(
            select(Application.id, RoleProfile.key)
            .join(Requisition, Requisition.id == Application.requisition_id)
            .join(ProfileVersion, ProfileVersion.id == Requisition.profile_version_id)
            .join(RoleProfile, RoleProfile.id == ProfileVersion.profile_id)
            .where(Application.id.in_(ids))):
        by_role[role].append(application_id)
    computed = 0
    for role, role_ids in by_role.items():
        row = adopted_version(session, role)
        if row is None:
            continue
        summary = store_learned_scores(
            session, role=role, kind=learned_kind(role, row.version),
            model_json=row.card["model"], model_hash=model_hash(row), trigger=trigger,
            actor_id=actor_id, application_ids=role_ids)
        computed += summary.computed
    return computed


def _fmt(value: Any) -> str:
    return "n/a" if not isinstance(value, int | float) else f"{value:.3f}"


# ---------------------------------------------------------------------------- bulk scoring


def score_header(model: LearnedModel) -> list[str]:
    """Columns of ``model score`` output."""
    return ["candidate", "probability", "logit", "baseline",
            *[f"contribution:{key}" for key in model.competencies], "status",
            "imputed", "outside_training_range"]


def score_file(session: Session, role: str, data: bytes, *, version: int | None = None) -> str:
    """Score rows in the history format with a trained version (default: the adopted one).

    Returns CSV text: ``candidate``, ``probability``, ``logit``, ``baseline``, one
    ``contribution:<key>`` per competency of the model, ``status`` ("ok", or why there are no
    numbers), then ``imputed`` and ``outside_training_range`` (competency keys, ``;``-separated).
    Numbers are ``repr`` of floats (full precision): ``baseline`` + contributions = ``logit`` and
    ``probability`` = sigmoid(``logit``) exactly. Raises :class:`HistoryInvalid` for a file that
    cannot be read (every problem listed) and :class:`OperationError` without a model.
    """
    role_profile(session, role)
    if version is not None:
        row = get_version(session, role, version)
    else:
        row = adopted_version(session, role)
        if row is None:
            raise OperationError(f"No adopted {role} model: pass --version to score with a "
                                 f"trained one (`flask --app hiring model show {role}`).")
    model = learned_model(row)
    known = role_competencies(session)
    parsed = parse_scoring_csv(data, role, model.competencies,
                               set().union(*known.values()) if known else set())
    if parsed.errors or parsed.X is None:
        raise HistoryInvalid(parsed.errors)
    keys = model.competencies
    scored = model.score(parsed.X)
    baseline = repr(model.baseline())
    n = len(parsed.rows)
    # Plain Python lists once (indexing numpy scalars per cell is slow on 100,000 rows); + 0.0
    # turns -0.0 into 0.0 (the same number, printed without a sign).
    probability = scored["probability"].tolist()
    logit = scored["logit"].tolist()
    contributions = (scored["contributions"] + 0.0).tolist()
    states = scored["states"].tolist()
    coverage = scored["coverage"].tolist()
    flags: dict[str, list[list[str]]] = {}
    for name in ("imputed", "outside_training_range"):
        flags[name] = [[] for _ in range(n)]
        for i, j in zip(*np.nonzero(scored[name]), strict=True):
            flags[name][i].append(keys[j])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(score_header(model))
    empty = [""] * (3 + len(keys))
    for i, item in enumerate(parsed.rows):
        label = neutralise_cell(item.label)
        if item.problems:
            writer.writerow([label, *empty, "cannot score: " + "; ".join(item.problems), "", ""])
        elif states[i] != STATE_OK:
            writer.writerow([label, *empty, _status(model, states[i], coverage[i]), "", ""])
        else:
            writer.writerow([label, repr(probability[i]), repr(logit[i]), baseline,
                             *map(repr, contributions[i]), "ok",
                             ";".join(flags["imputed"][i]),
                             ";".join(flags["outside_training_range"][i])])
    return out.getvalue()


def _status(model: LearnedModel, state: str, coverage: float) -> str:
    if state == "insufficient coverage":
        return (f"insufficient coverage: {coverage:.0%} of the profile's weight assessed; at "
                f"least {model.coverage_floor:.0%} is needed for a score")
    return "cannot score: nothing assessed" if math.isnan(coverage) else f"{state}"
