"""Record keeping for scores that feed a decision or an export (SECURITY.md AI-3).

Every scoring run is logged as a :class:`~hiring.models.ScoringRun` (actor, model and profile
versions, library versions, per application the input hash and the score; kept at least six
months, see :mod:`hiring.operations.scoring`). For the runs that **feed a decision or an
export**, this module also keeps the inputs each score was computed from, content-addressed by
input hash in :class:`~hiring.models.ScoringInput`, so that the record alone re-scores exactly:
:func:`verify_run` recomputes every entry of a run from the kept inputs (and, for a learned
model, the model version stored as JSON) and compares the numbers bit for bit, even after the
stored score moved on with new evidence or the candidate was erased.

A decision (:func:`record_decision_scores`) stores the score shown at that moment on the
decision (``Decision.score_shown``) and logs one run per score kind shown; nothing is logged when
no score may be shown (scores hidden for the requisition, or the alternative process).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..models import Application, Decision, Score, ScoringInput, ScoringRun
from .scoring import (
    MODEL_PROFILE_FIT,
    RECORD_KEEP_DAYS,
    log_run,
    rescore,
    run_entry,
    score_snapshot,
    scores_hidden,
)


def keep_inputs(session: Session, model_kind: str, application_ids: Sequence[int], *,
                keep_until: datetime | None = None) -> int:
    """Keep the inputs of the stored ``model_kind`` scores of these applications (by input hash;
    a hash kept before has its ``keep_until`` moved forward). Returns how many were added."""
    keep_until = keep_until or datetime.now(UTC) + timedelta(days=RECORD_KEEP_DAYS)
    rows = session.execute(
        select(Score.input_hash, Score.inputs)
        .where(Score.kind == model_kind, Score.application_id.in_(list(application_ids)))
    ).all() if application_ids else []
    by_hash = {digest: inputs for digest, inputs in rows if digest}
    if not by_hash:
        return 0
    known = set(session.scalars(select(ScoringInput.input_hash).where(
        ScoringInput.model_kind == model_kind,
        ScoringInput.input_hash.in_(sorted(by_hash)))))
    if known:
        session.execute(update(ScoringInput)
                        .where(ScoringInput.model_kind == model_kind,
                               ScoringInput.input_hash.in_(sorted(known)),
                               ScoringInput.keep_until < keep_until)
                        .values(keep_until=keep_until))
    added = 0
    for digest in sorted(set(by_hash) - known):
        session.add(ScoringInput(model_kind=model_kind, input_hash=digest,
                                 inputs=by_hash[digest], keep_until=keep_until))
        added += 1
    session.flush()
    return added


def keep_run_inputs(session: Session, run: ScoringRun) -> int:
    """Keep the inputs of every entry of ``run`` (for runs that feed a decision or export)."""
    ids = [e["application_id"] for e in run.entries or []
           if isinstance(e, Mapping) and e.get("application_id") is not None]
    return keep_inputs(session, run.model_kind, ids, keep_until=run.keep_until)


def _learned_entry(row: Score) -> dict[str, Any]:
    result = row.result or {}
    return {"application_id": row.application_id, "input_hash": row.input_hash,
            "state": row.state, "probability": result.get("probability"),
            "logit": result.get("logit")}


def record_decision_scores(session: Session, application: Application, decision: Decision, *,
                           actor: Any) -> list[ScoringRun]:
    """Store the score shown at a decision on it and log the runs that fed it (AI-3).

    One run per stored score kind of the application (profile fit, and a learned model's where
    one scored it), each with its inputs kept. Nothing when scores may not be shown.
    """
    if scores_hidden(application):
        return []
    decision.score_shown = score_snapshot(session, application)
    runs = []
    rows = session.scalars(select(Score).where(Score.application_id == application.id)
                           .order_by(Score.kind)).all()
    requisition = application.requisition
    for row in rows:
        if row.kind == MODEL_PROFILE_FIT:
            entry = run_entry(row.application_id, row.input_hash, row.state, row.mean,
                              row.score_0_100)
            model_version = row.scoring_version
        else:
            entry = _learned_entry(row)
            model_version = f"{row.kind}:{row.error_model_hash[:16]}"
        run = log_run(session, kind="decision", trigger=f"decision:{decision.kind}",
                      actor_id=actor.id, requisition_id=requisition.id,
                      profile_version_ids=[row.profile_version_id], entries=[entry],
                      model_kind=row.kind, model_version=model_version)
        session.flush()
        keep_run_inputs(session, run)
        runs.append(run)
    return runs


# ---------------------------------------------------------------------------- verification


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def rescore_entry(session: Session, run: ScoringRun, entry: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """The entry's numbers computed again from the kept inputs (``KeyError`` when none kept)."""
    kept = session.scalar(select(ScoringInput).where(
        ScoringInput.model_kind == run.model_kind,
        ScoringInput.input_hash == entry["input_hash"]))
    if kept is None:
        raise KeyError(f"no kept inputs for {run.model_kind} {entry['input_hash'][:12]}")
    if run.model_kind == MODEL_PROFILE_FIT:
        result = rescore(kept.inputs)
        return {"input_hash": result.input_hash, "state": result.state,
                "mean": None if result.mean is None or not math.isfinite(result.mean)
                else result.mean,
                "score_0_100": None if result.score_0_100 is None
                or not math.isfinite(result.score_0_100) else result.score_0_100}
    return _rescore_learned(session, run.model_kind, kept.inputs)


def _rescore_learned(session: Session, kind: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    from ..models import ModelVersion
    from ..scoring import explain
    from .learned import model_hash
    from .scoring import _digest

    _, role, version = kind.split(":")
    row = session.scalar(select(ModelVersion).where(ModelVersion.role == role,
                                                    ModelVersion.version == int(version[1:])))
    if row is None or model_hash(row) != inputs["model"]["hash"]:
        raise KeyError(f"model {kind} is not stored as it was")
    evidence = {k: tuple(v) for k, v in inputs["evidence"].items()}
    explained = explain(row.card["model"], {k: v[0] for k, v in evidence.items()})
    digest = _digest({"model": inputs["model"]["hash"],
                      "evidence": {k: list(v) for k, v in sorted(evidence.items())}})
    probability = explained["probability"]
    return {"input_hash": digest, "state": explained["state"],
            "probability": probability if isinstance(probability, float)
            and math.isfinite(probability) else None, "logit": explained["logit"]}


def verify_run(session: Session, run: ScoringRun) -> list[str]:
    """Re-score every entry of ``run`` from the kept inputs; what differs (empty: all equal)."""
    problems = []
    for entry in run.entries or []:
        try:
            fresh = rescore_entry(session, run, entry)
        except KeyError as exc:
            problems.append(f"application {entry.get('application_id')}: {exc}")
            continue
        for name, value in fresh.items():
            if name in entry and not _same(entry[name], value):
                problems.append(f"application {entry.get('application_id')}: {name} "
                                f"{entry[name]!r} != {value!r}")
    return problems


def record_export_scores(session: Session, application_ids: Sequence[int], *, actor: Any,
                         kind: str, requisition_id: int | None = None) -> ScoringRun | None:
    """Log the stored profile-fit scores that went out in an export (a debrief packet, ...) as a
    scoring run, with their inputs kept (AI-3). Nothing when none of them has a stored score."""
    rows = session.scalars(select(Score).where(Score.kind == MODEL_PROFILE_FIT,
                                               Score.application_id.in_(list(application_ids)))
                           .order_by(Score.application_id)).all() if application_ids else []
    if not rows:
        return None
    if requisition_id is None:
        requisition_id = session.scalar(select(Application.requisition_id)
                                        .where(Application.id == rows[0].application_id))
    run = log_run(session, kind=kind, trigger=kind, actor_id=getattr(actor, "id", None),
                  requisition_id=requisition_id,
                  profile_version_ids=[r.profile_version_id for r in rows],
                  entries=[run_entry(r.application_id, r.input_hash, r.state, r.mean,
                                     r.score_0_100) for r in rows])
    session.flush()
    keep_run_inputs(session, run)
    return run
