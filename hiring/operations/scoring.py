"""Scores in the app: evidence -> profile fit -> a stored row, the run record, cross-role fit.

The arithmetic lives in the pure package :mod:`hiring.scoring`; this module feeds it from the
database and stores what it returns (DESIGN.md section 6, SECURITY.md AI-2, AI-3, AI-5, AI-6).

When scores are computed
    :func:`recompute_application` runs inside the unit of work that changed the evidence: a
    scorecard submit or amendment (:mod:`hiring.operations.scorecards`), a change of the
    candidate's alternative-process choice; :func:`recompute_requisition` when a requisition's
    profile version is moved (:func:`move_profile_version`); :func:`recompute_all` from
    ``flask --app hiring scores rebuild``. Pages and exports only read the stored rows.

Evidence
    Per application and competency: the submitted ratings of the application's interviews that
    are still on, with amendments made before the debrief applied (the same rule as
    :func:`hiring.operations.scorecards.effective_ratings`, read in bulk here), summarised as
    ``(mean, n, sample variance)``. Only the competencies of the requisition's needs (profile
    level plus domain packs, :func:`hiring.operations.requisitions.requisition_needs`) count.

Error model (the uncertainty band)
    Pooled over every application x competency cell with two or more ratings **across the
    requisition's role** (all versions and levels of the role profile, every requisition using
    it), since a rating's error belongs to the competency and the interviewers rather than to one
    opening, and one requisition rarely has the 30 cells the pure package asks for before it
    trusts a team's own error. Applications in the alternative process are left out of the pool
    too (AI-6: their data feeds no automated score). The model used for a requisition keeps only
    its own competencies and rounds each pooled variance to two decimals, so that it, and with it
    every input hash, moves when the team's error does rather than with every rating. When it
    moves, every stored score that used the previous model is recomputed in the same unit of work.

Reproducibility
    Each :class:`~hiring.models.Score` row stores its inputs (evidence, profile level, error model)
    and the whole result; :func:`verify_stored` re-scores from the row and compares the input hash
    and every number exactly. Each computation is also logged as a
    :class:`~hiring.models.ScoringRun` with the library versions (kept at least six months).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import platform
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select, update
from sqlalchemy.orm import Session

from ..models import (
    Application,
    Competency,
    CompetencyRating,
    DomainDefault,
    Interview,
    InterviewStatus,
    ProfileEntry,
    ProfileVersion,
    Requisition,
    RoleProfile,
    Score,
    Scorecard,
    ScorecardAmendment,
    ScorecardStatus,
    ScoringRun,
    User,
)
from ..policy import manages_requisition
from ..scoring import (
    SCORING_VERSION,
    STATE_OK,
    FitResult,
    LevelProfile,
    PooledError,
    evidence_from_ratings,
    input_hash,
    profile_fit,
)
from . import Forbidden, NotFound, OperationError
from .audit import record
from .requisitions import Need, latest_competency_versions, requisition_needs

log = logging.getLogger(__name__)

MODEL_PROFILE_FIT = "profile_fit"
# SECURITY.md AI-3: "kept at least six months".
RECORD_KEEP_DAYS = 183
# Pooled variances are rounded to this many decimals before use (see the module docstring).
ERROR_MODEL_DECIMALS = 2


def library_versions() -> dict[str, str]:
    """The versions a score depends on (stored with every run, AI-3)."""
    import numpy
    import scipy
    import sklearn

    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
            "scoring": SCORING_VERSION}


# ---------------------------------------------------------------------------- profile level


def level_profile(needs: Sequence[Need]) -> LevelProfile:
    """The requisition's needs as a :class:`LevelProfile`, competencies in key order.

    Key order (not display order) keeps the input hash independent of competency names.
    Raises ``ValueError`` for a level the pure package refuses (no competency, > 5 must-haves).
    """
    rows = sorted(((n.key, n.weight, n.bar, n.must_have) for n in needs), key=lambda r: r[0])
    return LevelProfile.from_rows(rows)


def level_from_json(data: Mapping[str, Any]) -> LevelProfile:
    """Rebuild a :class:`LevelProfile` from :meth:`LevelProfile.to_json` output."""
    keys = tuple(data["competencies"])
    return LevelProfile(
        competencies=keys,
        weights=dict(zip(keys, data["weights"], strict=True)),
        bars=dict(zip(keys, data["bars"], strict=True)),
        must_have=frozenset(data["must_have"]),
        coverage_floor=data["coverage_floor"],
    )


def _role_id(session: Session, requisition: Requisition) -> int:
    return session.scalar(select(ProfileVersion.profile_id)
                          .where(ProfileVersion.id == requisition.profile_version_id))  # type: ignore[return-value]


# ---------------------------------------------------------------------------- evidence (bulk)


@dataclass
class _Cells:
    """Effective ratings per application: ``{application_id: {competency key: [(interview,
    rating)]}}`` (ratings only; "not assessed" is no rating)."""

    by_application: dict[int, dict[str, list[tuple[int, int]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def ratings(self, application_id: int) -> dict[str, list[int]]:
        return {key: [r for _, r in rows]
                for key, rows in self.by_application.get(application_id, {}).items() if rows}


def _effective_cells(session: Session, condition: ColumnElement[bool]) -> _Cells:
    """Effective ratings of submitted scorecards of interviews still on, for the applications
    matching ``condition`` (a clause on :class:`Application`), in two queries.

    Same rule as :func:`hiring.operations.scorecards.effective_ratings`: the newest amendment made
    before the debrief replaces a rating; later ones never count. Applications in the alternative
    process are left out.
    """
    base = (
        select(Scorecard.id)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .join(Application, Application.id == Interview.application_id)
        .where(Scorecard.status == ScorecardStatus.SUBMITTED.value,
               Interview.status == InterviewStatus.SCHEDULED.value,
               Application.alternative_process.is_(False), condition)
    )
    rows = session.execute(
        base.add_columns(Interview.id, Interview.application_id, CompetencyRating.competency_id,
                         Competency.key, CompetencyRating.rating)
        .join(CompetencyRating, CompetencyRating.scorecard_id == Scorecard.id)
        .join(Competency, Competency.id == CompetencyRating.competency_id)
        .order_by(Scorecard.id, CompetencyRating.competency_id)
    ).all()
    amendments = session.execute(
        base.add_columns(ScorecardAmendment.changes)
        .join(ScorecardAmendment, ScorecardAmendment.scorecard_id == Scorecard.id)
        .where(ScorecardAmendment.after_debrief.is_(False))
        .order_by(ScorecardAmendment.created_at, ScorecardAmendment.id)
    ).all()
    latest: dict[tuple[int, int], Any] = {}
    for scorecard_id, changes in amendments:
        for key, change in (changes or {}).items():
            if key.isdigit() and isinstance(change, Mapping):
                latest[(scorecard_id, int(key))] = change.get("rating")
    cells = _Cells()
    for scorecard_id, interview_id, application_id, competency_id, key, rating in rows:
        if (scorecard_id, competency_id) in latest:
            rating = latest[(scorecard_id, competency_id)]
        if rating is not None:
            cells.by_application[application_id][key].append((interview_id, int(rating)))
    return cells


def _role_condition(role_id: int) -> ColumnElement[bool]:
    return Application.requisition_id.in_(
        select(Requisition.id).join(ProfileVersion,
                                    ProfileVersion.id == Requisition.profile_version_id)
        .where(ProfileVersion.profile_id == role_id))


def role_error_model(session: Session, role_id: int) -> PooledError:
    """The error model pooled over every cell with two or more ratings of the role."""
    return _role_pool(session, role_id)[0]


def _role_pool(session: Session, role_id: int) -> tuple[PooledError, _Cells]:
    """The role's error model and the effective ratings it was pooled from (every application
    of the role, so a requisition's recomputation needs no second read)."""
    cells = _effective_cells(session, _role_condition(role_id))
    return _pool(cells), cells


def _pool(cells: _Cells) -> PooledError:
    return PooledError.from_cells({
        (application_id, key): [r for _, r in rows]
        for application_id, by_key in cells.by_application.items()
        for key, rows in by_key.items()
    })


def error_model_for(pooled: PooledError, level: LevelProfile) -> PooledError:
    """The role's error model reduced to ``level``'s competencies, variances rounded."""
    variances = {}
    for key in level.competencies:
        value = pooled.variances.get(key)
        if value is None:
            continue
        value = round(value, ERROR_MODEL_DECIMALS)
        if value != pooled.prior_variance:
            variances[key] = value
    return PooledError(variances=variances, prior_variance=pooled.prior_variance,
                       min_cells=pooled.min_cells, prior_df=pooled.prior_df)


def _digest(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------------------- results


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _pair(value: Any) -> list[float] | None:
    return None if value is None else [_finite(float(value[0])), _finite(float(value[1]))]


def result_json(result: FitResult) -> dict[str, Any]:
    """:meth:`FitResult.to_json` without ``asdict``'s deep copies (5,000 rows in a rebuild),
    non-finite numbers as ``None`` (PostgreSQL's JSON has no NaN)."""
    return {
        "state": result.state,
        "input_hash": result.input_hash,
        "coverage": _finite(result.coverage),
        "mean": _finite(result.mean),
        "score_0_100": _finite(result.score_0_100),
        "bar_mean": _finite(result.bar_mean),
        "bar_0_100": _finite(result.bar_0_100),
        "contributions": dict(result.contributions),
        "contributions_0_100": dict(result.contributions_0_100),
        "must_haves": dict(result.must_haves),
        "band": _pair(result.band),
        "band_0_100": _pair(result.band_0_100),
        "competency_bands": {k: _pair(v) for k, v in result.competency_bands.items()},
        "meets_profile": result.meets_profile,
        "assessed": list(result.assessed),
        "ignored": list(result.ignored),
        "reason": result.reason,
    }


@dataclass(frozen=True)
class _Computed:
    """One application's score, ready to store."""

    application_id: int
    result: FitResult
    values: dict[str, Any]


def _level_evidence(ratings: Mapping[str, list[int]], level: LevelProfile
                    ) -> tuple[dict[str, tuple[float, int, float]],
                               dict[str, tuple[float, int, float]]]:
    """Evidence of the level's competencies (scored, hashed) and of any others (kept aside)."""
    return (evidence_from_ratings({k: v for k, v in ratings.items() if k in level.weights}),
            evidence_from_ratings({k: v for k, v in ratings.items() if k not in level.weights}))


def _compute(application_id: int, ratings: Mapping[str, list[int]], level: LevelProfile,
             model: PooledError, model_hash: str, cell_counts: Mapping[str, int]) -> _Computed:
    evidence, other = _level_evidence(ratings, level)
    result = profile_fit(evidence, level, model)
    spreads = [max(v) - min(v) for k, v in ratings.items() if k in level.weights and len(v) > 1]
    band = result.band
    values = {
        "application_id": application_id,
        "kind": MODEL_PROFILE_FIT,
        "state": result.state,
        "mean": _finite(result.mean),
        "bar_mean": _finite(result.bar_mean),
        "score_0_100": _finite(result.score_0_100),
        "bar_0_100": _finite(result.bar_0_100),
        "band_lo": None if band is None else _finite(band[0]),
        "band_hi": None if band is None else _finite(band[1]),
        "coverage": _finite(result.coverage),
        "meets_profile": result.meets_profile,
        "must_haves": dict(result.must_haves),
        "contributions": dict(result.contributions),
        "rating_spread": max(spreads) if spreads else None,
        "input_hash": result.input_hash,
        "error_model_hash": model_hash,
        "inputs": {
            "evidence": {k: list(v) for k, v in evidence.items()},
            "profile": level.to_json(),
            "error_model": model.to_json(),
            # Not part of the hash: context for readers and for cross-role fit.
            "other_evidence": {k: list(v) for k, v in other.items()},
            "error_model_cells": {k: cell_counts[k] for k in level.competencies
                                  if k in cell_counts},
        },
        "result": result_json(result),
    }
    return _Computed(application_id, result, values)


def rescore(inputs: Mapping[str, Any]) -> FitResult:
    """Score again from a stored row's ``inputs`` (evidence, profile level, error model)."""
    evidence = {key: tuple(value) for key, value in inputs["evidence"].items()}
    return profile_fit(evidence, level_from_json(inputs["profile"]),
                       PooledError.from_json(inputs["error_model"]))


# ---------------------------------------------------------------------------- store and record


@dataclass
class RecomputeSummary:
    """What one recomputation did."""

    requisitions: int = 0
    computed: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    states: Counter[str] = field(default_factory=Counter)

    def add(self, other: RecomputeSummary) -> None:
        """Add ``other``'s counts to these."""
        for name in ("requisitions", "computed", "inserted", "updated", "unchanged", "removed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.states.update(other.states)


def log_run(session: Session, *, kind: str, trigger: str, actor_id: int | None,
            requisition_id: int | None, profile_version_ids: Iterable[int],
            entries: list[dict[str, Any]], model_kind: str = MODEL_PROFILE_FIT,
            model_version: str = SCORING_VERSION) -> ScoringRun:
    """Append one scoring-run record (SECURITY.md AI-3) to ``session``."""
    now = datetime.now(UTC)
    run = ScoringRun(
        at=now, keep_until=now + timedelta(days=RECORD_KEEP_DAYS), kind=kind, trigger=trigger,
        actor_id=actor_id, requisition_id=requisition_id, model_kind=model_kind,
        model_version=model_version, profile_version_ids=sorted(set(profile_version_ids)),
        library_versions=library_versions(), entries=entries, entry_count=len(entries),
    )
    session.add(run)
    return run


def run_entry(application_id: int, input_hash: str, state: str, mean: float | None,
              score_0_100: float | None) -> dict[str, Any]:
    """One application in a scoring-run record."""
    return {"application_id": application_id, "input_hash": input_hash, "state": state,
            "mean": mean, "score_0_100": score_0_100}


def _existing(session: Session, application_ids: Sequence[int]) -> dict[int, Any]:
    """Stored profile-fit rows (key columns only) by application id."""
    existing: dict[int, Any] = {}
    for chunk in _chunks(application_ids, 900):
        existing.update({row.application_id: row for row in session.execute(
            select(Score.id, Score.application_id, Score.input_hash, Score.error_model_hash,
                   Score.profile_version_id, Score.state, Score.mean, Score.score_0_100)
            .where(Score.kind == MODEL_PROFILE_FIT, Score.application_id.in_(chunk)))})
    return existing


def _store(session: Session, requisition: Requisition, computed: list[_Computed],
           existing: Mapping[int, Any], trigger: str, now: datetime) -> tuple[int, int]:
    """Insert or update the computed rows; returns (inserted, updated)."""
    inserts, updates = [], []
    for item in computed:
        values = dict(item.values, profile_version_id=requisition.profile_version_id,
                      level=requisition.level, scoring_version=SCORING_VERSION,
                      trigger=trigger, computed_at=now)
        found = existing.get(item.application_id)
        if found is None:
            inserts.append(values)
        else:
            updates.append(dict(values, id=found.id))
    if inserts:
        session.execute(insert(Score), inserts)
    if updates:
        session.execute(update(Score), updates)
    return len(inserts), len(updates)


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _lock_applications(session: Session, condition: ColumnElement[bool]) -> None:
    # PostgreSQL: concurrent recomputations of the same applications wait for each other, and the
    # later one then reads the earlier one's committed evidence (READ COMMITTED takes a snapshot
    # per statement). SQLite serialises writers with BEGIN IMMEDIATE and ignores FOR UPDATE.
    session.execute(select(Application.id).where(condition).with_for_update()).all()


def _recompute(session: Session, requisition: Requisition, *, pooled: PooledError,
               application_ids: Sequence[int] | None, trigger: str, actor_id: int | None,
               force: frozenset[int] = frozenset(), cells: _Cells | None = None,
               ) -> RecomputeSummary:
    """Score the requisition's applications (all, or ``application_ids``) and store the rows;
    rows whose inputs did not change are left alone unless their application is in ``force``."""
    if application_ids is None:
        condition: ColumnElement[bool] = Application.requisition_id == requisition.id
    else:
        condition = Application.id.in_(list(application_ids))
    _lock_applications(session, condition)
    apps = session.execute(select(Application.id, Application.alternative_process)
                           .where(condition).order_by(Application.id)).all()
    scored_ids = [app_id for app_id, alternative in apps if not alternative]
    people_ids = [app_id for app_id, alternative in apps if alternative]
    removed = 0
    if people_ids:  # AI-6: never scored; drop anything stored before they asked
        removed = session.execute(delete(Score).where(Score.application_id.in_(people_ids))
                                  ).rowcount or 0
    try:
        level = level_profile(requisition_needs(session, requisition))
    except ValueError as exc:
        log.warning("requisition %s cannot be scored: %s", requisition.id, exc)
        removed += session.execute(delete(Score).where(
            Score.application_id.in_(scored_ids), Score.kind == MODEL_PROFILE_FIT)).rowcount or 0
        return RecomputeSummary(requisitions=1, removed=removed)
    model = error_model_for(pooled, level)
    model_hash = _digest(model.to_json())
    if cells is None:
        cells = _effective_cells(session, condition)
    existing = _existing(session, scored_ids)
    summary = RecomputeSummary(requisitions=1, removed=removed, computed=len(scored_ids))
    computed, entries, unrated = [], [], []
    for app_id in scored_ids:
        ratings = cells.ratings(app_id)
        found = existing.get(app_id)
        if not ratings:
            # No rating at all yet: nothing to score ("not scored yet" on the pages); a stored
            # row from before (e.g. a cancelled interview) goes.
            summary.computed -= 1
            if found is not None:
                unrated.append(found.id)
            continue
        if (found is not None and app_id not in force and found.error_model_hash == model_hash
                and found.profile_version_id == requisition.profile_version_id):
            # Same inputs, same result (AI-5): the hash alone proves it, no need to score again.
            digest = input_hash(_level_evidence(ratings, level)[0], level, model)
            if digest == found.input_hash:
                summary.unchanged += 1
                summary.states[found.state] += 1
                entries.append(run_entry(app_id, digest, found.state, found.mean,
                                         found.score_0_100))
                continue
        item = _compute(app_id, ratings, level, model, model_hash, pooled.cell_counts)
        summary.states[item.result.state] += 1
        computed.append(item)
        entries.append(run_entry(app_id, item.result.input_hash, item.result.state,
                                 item.values["mean"], item.values["score_0_100"]))
    if unrated:
        summary.removed += session.execute(delete(Score).where(Score.id.in_(unrated))
                                           ).rowcount or 0
    summary.inserted, summary.updated = _store(session, requisition, computed, existing,
                                               trigger, datetime.now(UTC))
    if entries:
        log_run(session, kind="recompute", trigger=trigger, actor_id=actor_id,
                requisition_id=requisition.id,
                profile_version_ids=[requisition.profile_version_id], entries=entries)
    session.flush()
    return summary


def _refresh_role(session: Session, role_id: int, pooled: PooledError, *, trigger: str,
                  actor_id: int | None) -> RecomputeSummary:
    """Recompute every requisition of the role whose stored scores used another error model."""
    summary = RecomputeSummary()
    requisitions = session.scalars(
        select(Requisition).join(ProfileVersion,
                                 ProfileVersion.id == Requisition.profile_version_id)
        .where(ProfileVersion.profile_id == role_id).order_by(Requisition.id)).all()
    for requisition in requisitions:
        try:
            level = level_profile(requisition_needs(session, requisition))
        except ValueError:
            continue
        model_hash = _digest(error_model_for(pooled, level).to_json())
        stale = session.scalar(
            select(func.count(Score.id)).join(Application, Application.id == Score.application_id)
            .where(Application.requisition_id == requisition.id,
                   Score.kind == MODEL_PROFILE_FIT, Score.error_model_hash != model_hash))
        if stale:
            # Evidence is read again after locking these applications (no stale overwrite of
            # a concurrent change on PostgreSQL); this cascade is rare.
            summary.add(_recompute(session, requisition, pooled=pooled, application_ids=None,
                                   trigger=f"{trigger}:error-model", actor_id=actor_id))
    return summary


def recompute_application(session: Session, application_id: int, *, trigger: str,
                          actor_id: int | None = None) -> Score | None:
    """Score one application from its current evidence and store the row (with its inputs).

    Called inside the unit of work that changed the evidence. An application in the alternative
    process is never scored (its stored rows are removed) and ``None`` is returned. When the new
    evidence moves the role's error model, the role's other stored scores are recomputed too.
    """
    application = session.get(Application, application_id)
    if application is None:
        raise NotFound("No such application.")
    requisition = application.requisition
    # Lock before reading, so that a concurrent change to the same application is read in full.
    _lock_applications(session, Application.id == application_id)
    role_id = _role_id(session, requisition)
    pooled, cells = _role_pool(session, role_id)
    _recompute(session, requisition, pooled=pooled, application_ids=[application_id],
               trigger=trigger, actor_id=actor_id, cells=cells)
    _refresh_role(session, role_id, pooled, trigger=trigger, actor_id=actor_id)
    if application.alternative_process:
        return None
    return stored_score(session, application_id)


def recompute_after_evidence_change(session: Session, application_id: int, *, trigger: str,
                                    actor_id: int | None = None) -> None:
    """:func:`recompute_application` that never fails the change that called it.

    A submitted scorecard must never be lost to a scoring bug: on an error the score is left as it
    was (``scores rebuild`` reports and repairs it) and the error is logged.
    """
    try:
        with session.begin_nested():
            recompute_application(session, application_id, trigger=trigger, actor_id=actor_id)
            # The adopted learned model's score follows the evidence as profile fit's does.
            from .learned import rescore_adopted

            rescore_adopted(session, [application_id], trigger=trigger, actor_id=actor_id)
    except Exception:  # noqa: BLE001 - see the docstring
        log.exception("could not recompute the score of application %s", application_id)


def recompute_requisition(session: Session, requisition_id: int, *, trigger: str,
                          actor_id: int | None = None) -> RecomputeSummary:
    """Score every application of a requisition (one error model, bulk reads and writes)."""
    requisition = session.get(Requisition, requisition_id)
    if requisition is None:
        raise NotFound("No such requisition.")
    _lock_applications(session, Application.requisition_id == requisition_id)
    role_id = _role_id(session, requisition)
    pooled, cells = _role_pool(session, role_id)
    summary = _recompute(session, requisition, pooled=pooled, application_ids=None,
                         trigger=trigger, actor_id=actor_id, cells=cells)
    summary.add(_refresh_role(session, role_id, pooled, trigger=trigger, actor_id=actor_id))
    return summary


def recompute_all(session: Session, *, trigger: str, actor_id: int | None = None,
                  requisition_ids: Iterable[int] | None = None,
                  force: Iterable[int] = ()) -> RecomputeSummary:
    """Score every application of every requisition (or of ``requisition_ids``).

    Stored rows whose inputs did not change are kept, except for the applications in ``force``
    (e.g. rows that failed :func:`verify_stored`), which are rewritten.
    """
    forced = frozenset(force)
    statement = select(Requisition, ProfileVersion.profile_id).join(
        ProfileVersion, ProfileVersion.id == Requisition.profile_version_id).order_by(
        Requisition.id)
    if requisition_ids is not None:
        statement = statement.where(Requisition.id.in_(list(requisition_ids)))
        _lock_applications(session, Application.requisition_id.in_(list(requisition_ids)))
    else:
        _lock_applications(session, Application.id.is_not(None))
    summary = RecomputeSummary()
    pools: dict[int, tuple[PooledError, _Cells]] = {}
    for requisition, role_id in session.execute(statement).all():
        if role_id not in pools:
            pools[role_id] = _role_pool(session, role_id)
        pooled, cells = pools[role_id]
        summary.add(_recompute(session, requisition, pooled=pooled, application_ids=None,
                               trigger=trigger, actor_id=actor_id, force=forced, cells=cells))
    return summary


# ---------------------------------------------------------------------------- verify


@dataclass
class VerifyReport:
    """Stored scores re-scored from their own inputs."""

    checked: int = 0
    reproduced: int = 0
    mismatches: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every stored score reproduced exactly."""
        return not self.mismatches


_COLUMNS = ("state", "mean", "bar_mean", "score_0_100", "bar_0_100", "coverage",
            "meets_profile", "must_haves", "contributions", "input_hash")


def verify_row(row: Score) -> str | None:
    """``None`` when the stored row reproduces exactly from its inputs, else what differs."""
    try:
        result = rescore(row.inputs)
    except Exception as exc:  # noqa: BLE001 - a row that cannot even be re-scored is a mismatch
        return f"inputs cannot be re-scored: {exc}"
    fresh = result_json(result)
    if result.input_hash != row.input_hash:
        return "input hash differs"
    if fresh != row.result:
        return "stored result differs"
    band = fresh["band"] or [None, None]
    expected = dict(fresh, band_lo=band[0], band_hi=band[1])
    for name in (*_COLUMNS, "band_lo", "band_hi"):
        if getattr(row, name) != expected[name]:
            return f"{name} differs"
    return None


def verify_stored(session: Session, *, requisition_ids: Iterable[int] | None = None,
                  batch: int = 500) -> VerifyReport:
    """Re-score every stored profile-fit row from its own inputs; compare hash and numbers."""
    statement = select(Score).where(Score.kind == MODEL_PROFILE_FIT).order_by(Score.id)
    if requisition_ids is not None:
        statement = statement.join(Application, Application.id == Score.application_id).where(
            Application.requisition_id.in_(list(requisition_ids)))
    report = VerifyReport()
    for row in session.scalars(statement.execution_options(yield_per=batch)):
        report.checked += 1
        problem = verify_row(row)
        if problem is None:
            report.reproduced += 1
        else:
            report.mismatches.append((row.application_id, problem))
    return report


# ---------------------------------------------------------------------------- reads


def stored_score(session: Session, application_id: int) -> Score | None:
    """The stored profile-fit row of an application (None when never scored)."""
    return session.scalar(select(Score).where(Score.application_id == application_id,
                                              Score.kind == MODEL_PROFILE_FIT))


def scores_hidden(application: Application) -> bool:
    """Whether no score may be shown for this application (hidden, or alternative process)."""
    return bool(application.requisition.hide_scores or application.alternative_process)


def score_snapshot(session: Session, application: Application) -> dict[str, Any] | None:
    """The score as shown now, for ``Decision.score_shown`` (and packets): None when no score may
    be shown (hidden for the requisition, alternative process) or none is stored.

    The snapshot carries what AI-3 asks of a run that feeds a decision: model and profile
    versions, library versions, the input hash and the numbers.
    """
    if scores_hidden(application):
        return None
    row = stored_score(session, application.id)
    if row is None:
        return None
    return {
        "model_kind": row.kind,
        "model_version": row.scoring_version,
        "state": row.state,
        "mean": row.mean,
        "bar_mean": row.bar_mean,
        "score_0_100": row.score_0_100,
        "bar_0_100": row.bar_0_100,
        "band": None if row.band_lo is None else [row.band_lo, row.band_hi],
        "coverage": row.coverage,
        "must_haves": dict(row.must_haves),
        "meets_profile": row.meets_profile,
        "contributions": dict(row.contributions),
        "input_hash": row.input_hash,
        "profile_version_id": row.profile_version_id,
        "level": row.level,
        "computed_at": row.computed_at.isoformat(),
        "library_versions": library_versions(),
    }


# ---------------------------------------------------------------------------- changes


def _require_manager(actor: User, requisition: Requisition) -> None:
    roles = actor.role_names
    if not roles & {"admin", "recruiter", "hiring_manager"} or \
            not manages_requisition(actor, requisition):
        raise Forbidden("You may not change this requisition's scoring.")


def newer_profile_version(session: Session, requisition: Requisition) -> ProfileVersion | None:
    """The current version of the requisition's role profile when it is newer than the pinned one
    (and defines the requisition's level)."""
    pinned = requisition.profile_version
    latest = session.scalar(
        select(ProfileVersion).where(ProfileVersion.profile_id == pinned.profile_id)
        .order_by(ProfileVersion.version_no.desc()).limit(1))
    if latest is None or latest.version_no <= pinned.version_no:
        return None
    has_level = session.scalar(select(func.count(ProfileEntry.id)).where(
        ProfileEntry.profile_version_id == latest.id, ProfileEntry.level == requisition.level))
    return latest if has_level else None


def move_profile_version(session: Session, requisition: Requisition, *, actor: User,
                         profile_version_id: int) -> RecomputeSummary:
    """Move the requisition to another version of its role profile and recompute every score.

    Only versions of the same role that define the requisition's level; audited.
    """
    _require_manager(actor, requisition)
    target = session.get(ProfileVersion, profile_version_id)
    current = requisition.profile_version
    if target is None or target.profile_id != current.profile_id:
        raise OperationError("Choose a version of this requisition's own role profile.")
    if target.id == current.id:
        raise OperationError("The requisition already uses that profile version.")
    if not session.scalar(select(func.count(ProfileEntry.id)).where(
            ProfileEntry.profile_version_id == target.id,
            ProfileEntry.level == requisition.level)):
        raise OperationError(f"Profile version {target.version_no} does not define the "
                             f"{requisition.level} level.")
    requisition.profile_version_id = target.id
    requisition.version += 1
    session.flush()
    session.expire(requisition, ["profile_version"])
    record(session, "requisition.profile_move", actor_id=actor.id, subject_type="requisition",
           subject_id=requisition.id, from_version=current.id, to_version=target.id)
    return recompute_requisition(session, requisition.id, trigger="profile.move",
                                 actor_id=actor.id)


def set_alternative_process(session: Session, application: Application, *, actor: User,
                            requested: bool) -> None:
    """Record that the candidate asked for (or withdrew a request for) an alternative process.

    In the alternative process an application is never scored or ranked automatically (AI-6):
    its stored scores are removed and its ratings leave the pooled error model; it is listed
    apart, "reviewed by people". Audited.
    """
    _require_manager(actor, application.requisition)
    if application.alternative_process == requested:
        return
    application.alternative_process = requested
    application.version += 1
    session.flush()
    record(session, "application.alternative_process", actor_id=actor.id,
           subject_type="application", subject_id=application.id, requested=requested)
    recompute_application(session, application.id, trigger="alternative_process",
                          actor_id=actor.id)


def record_notice(session: Session, application: Application, *, actor: User,
                  at: datetime | None = None) -> None:
    """Record when the candidate was told how scores assist the decision (AI-6). Audited."""
    _require_manager(actor, application.requisition)
    application.notice_at = at or datetime.now(UTC)
    application.version += 1
    record(session, "application.notice", actor_id=actor.id, subject_type="application",
           subject_id=application.id)


# ---------------------------------------------------------------------------- cross-role fit


@dataclass(frozen=True)
class CrossRoleFit:
    """The application's evidence against one role profile at the requisition's level.

    ``margin`` is the fit's distance from that role's bar profile (``mean - bar_mean``) and
    ``margin_band`` its 95 % band; comparing margins, not raw means, compares how far each role's
    own bar is cleared. ``clearly_better`` (see :func:`cross_role_fit`) marks a role the evidence
    suits clearly better than the requisition's own.
    """

    role_key: str
    role_name: str
    profile_version_id: int
    version_no: int
    is_own_role: bool
    state: str
    mean: float | None
    bar_mean: float | None
    score_0_100: float | None
    bar_0_100: float | None
    band: tuple[float, float] | None
    coverage: float | None
    margin: float | None
    margin_band: tuple[float, float] | None
    must_haves: dict[str, str]
    clearly_better: bool = False


def _level_profiles(session: Session, version_ids: Sequence[int], level: str,
                    pack_ids: Sequence[int]) -> dict[int, LevelProfile]:
    """Per profile version: its entries at ``level`` plus the domain packs' defaults (profile
    wins on overlap, pack competencies are never must-haves), as in ``requisition_needs``."""
    entries = session.execute(
        select(ProfileEntry.profile_version_id, Competency.key, ProfileEntry.weight,
               ProfileEntry.bar, ProfileEntry.must_have)
        .join(Competency, Competency.id == ProfileEntry.competency_id)
        .where(ProfileEntry.profile_version_id.in_(list(version_ids)),
               ProfileEntry.level == level)).all()
    defaults = session.execute(
        select(Competency.key, DomainDefault.weight, DomainDefault.bar)
        .join(Competency, Competency.id == DomainDefault.competency_id)
        .where(DomainDefault.domain_id.in_(list(pack_ids)), DomainDefault.level == level)
        .order_by(DomainDefault.id)).all() if pack_ids else []
    rows: dict[int, dict[str, tuple[str, int, int, bool]]] = defaultdict(dict)
    for version_id, key, weight, bar, must in entries:
        rows[version_id][key] = (key, weight, bar, must)
    out = {}
    for version_id, by_key in rows.items():
        for key, weight, bar in defaults:
            by_key.setdefault(key, (key, weight, bar, False))
        try:
            out[version_id] = LevelProfile.from_rows(sorted(by_key.values()))
        except ValueError:
            continue
    return out


def _cross_entry(result: FitResult, *, role_key: str, role_name: str, version: ProfileVersion,
                 own: bool) -> CrossRoleFit:
    margin = margin_band = None
    if result.state == STATE_OK and result.mean is not None and result.bar_mean is not None:
        margin = result.mean - result.bar_mean
        if result.band is not None:
            margin_band = (result.band[0] - result.bar_mean, result.band[1] - result.bar_mean)
    return CrossRoleFit(
        role_key=role_key, role_name=role_name, profile_version_id=version.id,
        version_no=version.version_no, is_own_role=own, state=result.state, mean=result.mean,
        bar_mean=result.bar_mean, score_0_100=result.score_0_100, bar_0_100=result.bar_0_100,
        band=result.band, coverage=result.coverage, margin=margin, margin_band=margin_band,
        must_haves=dict(result.must_haves),
    )


def cross_role_fit(session: Session, application: Application) -> list[CrossRoleFit]:
    """The application's stored evidence against every active role profile at the requisition's
    level (the requisition's domain packs added to each), own role first, then best margin first.

    Reads only stored data: the evidence and error model of the application's stored score and
    the profiles (the requisition's pinned version for its own role, the current version for the
    others). Empty for an application without a stored score or in the alternative process.

    **Clearly better suited**: another role is marked ``clearly_better`` when both fits are
    scored ("ok"), none of that role's must-haves is "not met", and the two margin bands do not
    overlap with the other role's entirely above: its band's lower edge, measured from its own
    bar profile, exceeds the upper edge of the requisition's band measured from the requisition's
    bar profile. Touching bands are not "clearly".
    """
    if application.alternative_process:
        return []
    row = stored_score(session, application.id)
    if row is None:
        return []
    requisition = application.requisition
    own_version = requisition.profile_version
    evidence = {k: tuple(v) for k, v in row.inputs.get("other_evidence", {}).items()}
    evidence.update({k: tuple(v) for k, v in row.inputs["evidence"].items()})
    model = PooledError.from_json(row.inputs["error_model"])
    latest = (select(ProfileVersion.profile_id, func.max(ProfileVersion.version_no).label("v"))
              .group_by(ProfileVersion.profile_id).subquery())
    versions = session.execute(
        select(RoleProfile, ProfileVersion)
        .join(ProfileVersion, ProfileVersion.profile_id == RoleProfile.id)
        .join(latest, (latest.c.profile_id == ProfileVersion.profile_id)
              & (latest.c.v == ProfileVersion.version_no))
        .where(RoleProfile.retired_at.is_(None), RoleProfile.id != own_version.profile_id)
        .order_by(RoleProfile.key)).all()
    levels = _level_profiles(session, [v.id for _, v in versions], requisition.level,
                             [d.domain_id for d in requisition.domains])
    own_role = session.get(RoleProfile, own_version.profile_id)
    own_result = FitResult.from_json(row.result)
    own = _cross_entry(own_result, role_key=own_role.key if own_role else "",
                       role_name=own_version.name, version=own_version, own=True)
    others = []
    for role, version in versions:
        level = levels.get(version.id)
        if level is None:
            continue
        entry = _cross_entry(profile_fit(evidence, level, model), role_key=role.key,
                             role_name=version.name, version=version, own=False)
        if (own.margin_band is not None and entry.margin_band is not None
                and "not met" not in entry.must_haves.values()
                and entry.margin_band[0] > own.margin_band[1]):
            entry = replace(entry, clearly_better=True)
        others.append(entry)
    others.sort(key=lambda e: (e.margin is None, -(e.margin or 0.0), e.role_key))
    return [own, *others]


def competency_names(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Display names (newest version) of competencies by key."""
    rows = session.execute(select(Competency.id, Competency.key)
                           .where(Competency.key.in_(list(keys)))).all()
    names = latest_competency_versions(session, [cid for cid, _ in rows])
    return {key: names[cid].name if cid in names else key for cid, key in rows}


# ---------------------------------------------------------------------------- learned model
# Written for the learned-model issue (hiring/operations/learned.py calls it on adoption); kept
# apart from the profile-fit code above, which it only reads (evidence, the run record).

LEARNED_SCORING_VERSION = "learned-model/1"
# The application stages a newly adopted model re-scores (only hires have outcomes).
LEARNED_OPEN_STAGES = ("applied", "screen", "interviewing", "debrief", "offer")


def learned_kind(role: str, version: int) -> str:
    """The ``Score.kind`` of a learned model's rows: ``learned:<role>:v<version>``."""
    kind = f"learned:{role}:v{version}"
    if len(kind) > 32:  # the width of scores.kind and scoring_runs.model_kind
        raise OperationError(f"The role key {role!r} is too long to store learned scores.")
    return kind


def store_learned_scores(session: Session, *, role: str, kind: str, model_json: Mapping[str, Any],
                         model_hash: str, trigger: str, actor_id: int | None,
                         application_ids: Iterable[int] | None = None) -> RecomputeSummary:
    """Score the role's open applications (or ``application_ids``) with a stored learned model
    and store one row of ``kind`` per application, with a scoring-run record per requisition.

    Rows of other kinds (profile fit, earlier learned versions) are never touched; a row of the
    same kind is updated only when its input hash changed. Applications in the alternative
    process are never scored (AI-6). Learned rows leave the 1-4 columns (``mean`` ...) empty: the
    probability, logit, baseline and contributions are in ``result`` (the pure ``explain``
    output), with ``baseline + sum(contributions) == logit`` exactly; ``contributions`` holds the
    same per-competency values; ``error_model_hash`` holds the model's hash; ``inputs`` holds the
    evidence and the model's identity, so the row alone re-scores with
    ``explain(<model JSON of that version>, inputs["evidence"])``.
    """
    from ..scoring import explain

    summary = RecomputeSummary()
    condition = (
        Application.requisition_id.in_(
            select(Requisition.id)
            .join(ProfileVersion, ProfileVersion.id == Requisition.profile_version_id)
            .join(RoleProfile, RoleProfile.id == ProfileVersion.profile_id)
            .where(RoleProfile.key == role, Requisition.status != "closed"))
        & Application.stage.in_(LEARNED_OPEN_STAGES)
        & Application.alternative_process.is_(False)
    )
    if application_ids is not None:
        condition = condition & Application.id.in_(list(application_ids))
    apps = session.execute(select(Application.id, Application.requisition_id,
                                  Requisition.profile_version_id, Requisition.level)
                           .join(Requisition, Requisition.id == Application.requisition_id)
                           .where(condition).order_by(Application.id)).all()
    if not apps:
        return summary
    cells = _effective_cells(session, Application.id.in_([a.id for a in apps]))
    existing = {row[0]: (row[1], row[2]) for row in session.execute(
        select(Score.application_id, Score.id, Score.input_hash)
        .where(Score.kind == kind, Score.application_id.in_([a.id for a in apps])))}
    now = datetime.now(UTC)
    inserts, updates = [], []
    entries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    profiles: dict[int, int] = {}
    for app in apps:
        evidence = evidence_from_ratings(cells.ratings(app.id))
        explained = explain(model_json, {k: v[0] for k, v in evidence.items()})
        digest = _digest({"model": model_hash,
                          "evidence": {k: list(v) for k, v in sorted(evidence.items())}})
        summary.computed += 1
        summary.states[explained["state"]] += 1
        values = {
            "application_id": app.id, "kind": kind, "state": explained["state"],
            "mean": None, "bar_mean": None, "score_0_100": None, "bar_0_100": None,
            "band_lo": None, "band_hi": None, "coverage": _finite(explained["coverage"]),
            "meets_profile": None, "must_haves": {},
            "contributions": dict(explained["contributions"]), "rating_spread": None,
            "input_hash": digest, "error_model_hash": model_hash,
            "inputs": {"evidence": {k: list(v) for k, v in evidence.items()},
                       "model": {"kind": kind, "role": role, "hash": model_hash}},
            "result": {k: (_finite(v) if isinstance(v, float) else v)
                       for k, v in explained.items()},
            "profile_version_id": app.profile_version_id, "level": app.level,
            "scoring_version": LEARNED_SCORING_VERSION, "trigger": trigger, "computed_at": now,
        }
        found = existing.get(app.id)
        if found is None:
            inserts.append(values)
        elif found[1] != digest:
            updates.append(dict(values, id=found[0]))
        else:
            summary.unchanged += 1
        entries[app.requisition_id].append({
            "application_id": app.id, "input_hash": digest, "state": explained["state"],
            "probability": _finite(explained["probability"]), "logit": explained["logit"]})
        profiles[app.requisition_id] = app.profile_version_id
    if inserts:
        session.execute(insert(Score), inserts)
    if updates:
        session.execute(update(Score), updates)
    summary.inserted, summary.updated = len(inserts), len(updates)
    summary.requisitions = len(entries)
    for requisition_id, rows in entries.items():
        log_run(session, kind="recompute", trigger=trigger, actor_id=actor_id,
                requisition_id=requisition_id, profile_version_ids=[profiles[requisition_id]],
                entries=rows, model_kind=kind, model_version=f"{kind}:{model_hash[:16]}")
    session.flush()
    return summary
