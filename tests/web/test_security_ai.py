"""People decide, scores are reproducible, opting out is honoured (SECURITY.md AI-1, AI-2, AI-5,
AI-6, DP-1).

Elsewhere: AI-3 in ``tests/web/test_records.py``; AI-4 in ``tests/web/test_security_access.py``
and ``tests/web/test_reports.py``; the scoring arithmetic in ``tests/unit/test_scoring_*.py``.
"""

from __future__ import annotations

import ast
import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hiring import db as database
from hiring.models import Application, AuditEvent, Requisition, Score, ScoringRun, User
from hiring.operations import OperationError
from hiring.operations import scoring as scoring_ops
from hiring.operations.debrief import record_decision
from hiring.operations.ranking import build_ranking, move_candidate
from hiring.operations.stages import change_stage
from hiring.scoring import LevelProfile, PooledError, input_hash, profile_fit
from tests import privacy_world as world
from tests.conftest import login

HIRING = Path(__file__).resolve().parents[2] / "hiring"
# Functions that move an application's stage; each takes the person who does it as ``actor``.
STAGE_MOVERS = {"change_stage", "reopen", "record_initial_stage", "record_initial_stages",
                "record_decision"}


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def test_ai1_every_code_path_that_moves_a_stage_passes_a_person() -> None:
    """A scan of the package: every call of a stage-moving function passes ``actor=`` (never the
    constant None), and nothing but :mod:`hiring.operations.stages` assigns ``.stage``."""
    calls = 0
    for path in sorted(HIRING.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for call in _calls(tree):
            if _name(call) not in STAGE_MOVERS:
                continue
            calls += 1
            actor = next((k.value for k in call.keywords if k.arg == "actor"), None)
            where = f"{path.relative_to(HIRING.parent)}:{call.lineno}"
            assert actor is not None, f"{where}: {_name(call)} without actor="
            assert not (isinstance(actor, ast.Constant) and actor.value is None), where
        if path.name == "stages.py" and path.parent.name == "operations":
            continue
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "stage":
                    raise AssertionError(f"{path.relative_to(HIRING.parent)}:{node.lineno} "
                                         f"sets .stage outside operations/stages.py")
    assert calls >= 8


def test_ai1_moving_a_stage_or_deciding_without_a_person_raises(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
        application = session.get(Application, ids["other_application"])
        for nobody in (None, object()):
            with pytest.raises(OperationError, match="person"):
                change_stage(session, application, "debrief", actor=nobody)
            with pytest.raises(OperationError, match="person"):
                record_decision(session, application, actor=nobody, kind="advance",
                                to_stage="debrief", rationale="x")
        assert application.stage == "interviewing"


def test_ai1_reordering_the_ranking_needs_a_reason_and_scores_can_be_hidden(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
        requisition = session.get(Requisition, ids["requisition"])
        manager = session.get(User, ids["manager"])
        with pytest.raises(OperationError, match="reason"):
            move_candidate(session, requisition, actor=manager,
                           application_id=ids["other_application"], position=1, reason=" ",
                           basis="score")
        application = session.get(Application, ids["application"])
        assert scoring_ops.score_snapshot(session, application) is not None
        requisition.hide_scores = True
        assert scoring_ops.score_snapshot(session, application) is None
        view = build_ranking(session, manager, requisition)
        assert view.hidden
        assert all(row.mean is None for row in view.rows)


def test_ai2_every_stored_score_carries_versions_inputs_and_contributions_that_sum_exactly(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
        requisition = session.get(Requisition, ids["requisition"])
        row = session.scalar(select(Score).where(Score.application_id == ids["application"]))
        assert row.profile_version_id == requisition.profile_version_id
        assert row.scoring_version
        assert row.level == requisition.level
        assert set(row.inputs) >= {"evidence", "profile", "error_model"}
        # The bar profile (baseline) plus the contributions is the score, exactly.
        assert row.bar_mean + sum(row.contributions.values()) == pytest.approx(row.mean,
                                                                              abs=1e-12)
        assert scoring_ops.verify_row(row) is None
        assert scoring_ops.verify_stored(session).ok


def _level() -> LevelProfile:
    return LevelProfile.from_rows([("modelling", 3, 3, True), ("serving", 2, 3, False)])


def test_ai5_scores_are_deterministic_whatever_the_order_of_the_evidence() -> None:
    level, pooled = _level(), PooledError.prior()
    evidence = {"modelling": (3.5, 2, 0.5), "serving": (3.0, 2, 0.0)}
    reordered = {"serving": (3.0, 2, 0.0), "modelling": (3.5, 2, 0.5)}
    first, second = profile_fit(evidence, level, pooled), profile_fit(reordered, level, pooled)
    assert first == second
    assert first.input_hash == input_hash(evidence, level, pooled) == \
        input_hash(reordered, level, pooled)
    assert scoring_ops.result_json(first) == scoring_ops.result_json(second)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 0.0, 4.5, 5, -1, "three",
                                 (3.0, -2), (3.0, math.nan)])
def test_ai5_nan_or_out_of_range_evidence_cannot_be_scored(bad: Any) -> None:
    cell = bad if isinstance(bad, tuple) else (bad, 2)
    result = profile_fit({"modelling": cell, "serving": (3.0, 2)}, _level())
    assert result.state == "cannot score"
    assert result.mean is None
    assert result.score_0_100 is None


def test_ai5_models_are_json_and_nothing_in_the_package_unpickles() -> None:
    from sqlalchemy import JSON

    from hiring.models import ModelVersion

    assert isinstance(ModelVersion.__table__.c.card.type, JSON)
    forbidden = {"pickle", "cPickle", "dill", "cloudpickle", "joblib", "marshal", "shelve"}
    for path in sorted(HIRING.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = [a.name.split(".")[0] for a in node.names] \
                if isinstance(node, ast.Import) else \
                [(node.module or "").split(".")[0]] if isinstance(node, ast.ImportFrom) else []
            assert not set(names) & forbidden, f"{path.name}:{node.lineno} imports {names}"


def test_ai6_notice_is_recorded_and_the_alternative_process_is_never_scored_or_ranked(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
        manager = session.get(User, ids["manager"])
        application = session.get(Application, ids["application"])
        scoring_ops.record_notice(session, application, actor=manager)
        assert application.notice_at is not None
        scoring_ops.set_alternative_process(session, application, actor=manager,
                                            requested=True)
        scoring_ops.recompute_all(session, trigger="test")
        assert session.scalar(select(Score).where(
            Score.application_id == ids["application"])) is None
        view = build_ranking(session, manager, session.get(Requisition, ids["requisition"]))
        assert ids["application"] not in [r.application_id for r in view.rows]
        assert [r.application_id for r in view.people] == [ids["application"]]
        events = {e.action for e in session.scalars(select(AuditEvent).where(
            AuditEvent.subject_id == str(ids["application"])))}
        assert {"application.notice", "application.alternative_process"} <= events
        opted_out_at = session.scalar(select(ScoringRun.id).order_by(ScoringRun.id.desc()))
    client = app.test_client()
    login(client, "recruiter@example.com")
    with client.session_transaction() as state:
        state["reauth_at"] = 10**12
    assert client.get(f"/requisitions/{ids['requisition']}/ranking").status_code == 200
    assert client.get(f"/requisitions/{ids['requisition']}/ranking.csv").status_code == 200
    with app.app_context(), database.read_session() as session:
        later = session.scalars(select(ScoringRun).where(ScoringRun.id > opted_out_at)).all()
    assert later  # the view and the export were logged ...
    for run in later:  # ... and not one of their entries is the opted-out application
        assert ids["application"] not in [e.get("application_id") for e in run.entries]


def test_dp1_self_identification_is_never_a_model_feature(app: Any,
                                                          users: dict[str, Any]) -> None:
    """The scorers' inputs are competency evidence only: a stored score's inputs and the
    scoring code never mention a self-identification field or category (the learned model's
    feature list: ``tests/web/test_notice.py::test_self_identification_is_never_in_any_feature
    _list``)."""
    import inspect

    import hiring.scoring as pure
    from hiring.models.fairness import (
        RACE_ETHNICITY_CHOICES,
        SELF_IDENTIFICATION_FIELDS,
        SEX_CHOICES,
    )

    forbidden = {*SELF_IDENTIFICATION_FIELDS, *SEX_CHOICES, *RACE_ETHNICITY_CHOICES}
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)  # this person self-identified
        row = session.scalar(select(Score).where(Score.application_id == ids["application"]))
        features = set(row.inputs["evidence"]) | set(row.inputs["profile"]["competencies"])
    assert features
    assert not features & forbidden
    assert not any(value in str(row.inputs) for value in ("female", "asian"))
    for module in (pure, scoring_ops):
        assert "SelfIdentification" not in inspect.getsource(module)
