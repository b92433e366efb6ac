"""Record keeping of scores that feed a decision or an export (SECURITY.md AI-3).

The run record itself (six months, no UPDATE, no early DELETE on either database) is proven by
``tests/db/test_scores.py::test_scoring_runs_refuse_update_and_early_delete``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from hiring import db as database
from hiring.models import (
    Application,
    CompetencyRating,
    Decision,
    Score,
    ScoringInput,
    ScoringRun,
    User,
)
from hiring.operations import privacy, records
from hiring.operations.debrief import record_decision
from hiring.operations.scoring import RECORD_KEEP_DAYS, recompute_application
from tests import privacy_world as world
from tests.conftest import login


def test_ai3_decision_logs_its_run_and_the_record_re_scores_after_changes_and_erasure(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
        # Reopen the loop for a decision: the application back at the debrief.
        application = session.get(Application, ids["application"])
        application.stage, application.closed_at = "debrief", None
        session.execute(update(Decision).values(score_shown=None))
    with app.app_context(), database.write_session() as session:
        manager = session.get(User, ids["manager"])
        application = session.get(Application, ids["application"])
        decision = record_decision(session, application, actor=manager, kind="reject",
                                   reason_code="below_bar_overall",
                                   rationale="Below the bar on serving.")
        decision_id = decision.id
    with app.app_context(), database.read_session() as session:
        decision = session.get(Decision, decision_id)
        score = session.scalar(select(Score).where(Score.application_id == ids["application"],
                                                   Score.kind == "profile_fit"))
        run = session.scalar(select(ScoringRun).where(ScoringRun.kind == "decision"))
        assert decision.score_shown["input_hash"] == score.input_hash
        assert decision.score_shown["mean"] == score.mean
        assert run.actor_id == ids["manager"]
        assert run.model_kind == "profile_fit"
        assert run.profile_version_ids
        assert set(run.library_versions) >= {"python", "numpy", "scikit-learn"}
        assert run.entries == [{"application_id": ids["application"],
                                "input_hash": score.input_hash, "state": score.state,
                                "mean": score.mean, "score_0_100": score.score_0_100}]
        assert run.keep_until - run.at >= timedelta(days=RECORD_KEEP_DAYS)
        assert session.scalar(select(ScoringInput.keep_until).where(
            ScoringInput.input_hash == score.input_hash)) >= run.keep_until
        assert records.verify_run(session, run) == []
        old_hash, run_id = score.input_hash, run.id

    # New evidence moves the stored score on; the record still re-scores to its own numbers.
    with app.app_context(), database.write_session() as session:
        session.execute(update(CompetencyRating).where(CompetencyRating.rating == 4)
                        .values(rating=1))
        recompute_application(session, ids["application"], trigger="test")
    with app.app_context(), database.read_session() as session:
        live = session.scalar(select(Score.input_hash).where(
            Score.application_id == ids["application"], Score.kind == "profile_fit"))
        assert live != old_hash
        assert records.verify_run(session, session.get(ScoringRun, run_id)) == []

    # The candidate is erased: the record and its inputs stay, and still reproduce.
    with app.app_context(), database.write_session() as session:
        privacy.erase_candidate(session, ids["candidate"],
                                actor=session.get(User, users["admin"].id))
    with app.app_context(), database.read_session() as session:
        run = session.get(ScoringRun, run_id)
        assert run is not None
        assert records.verify_run(session, run) == []
        # A tampered copy of the entry is caught (the row itself cannot be changed).
        entry = dict(run.entries[0], mean=run.entries[0]["mean"] + 0.25)
        problems = records.verify_run(session, ScoringRun(model_kind=run.model_kind,
                                                          entries=[entry]))
    assert problems
    assert "mean" in problems[0]


def test_ai3_ranking_export_is_logged_with_inputs_that_re_score_exactly(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
    client = app.test_client()
    login(client, "recruiter@example.com")
    with client.session_transaction() as session:
        session["reauth_at"] = 10**12
    response = client.get(f"/requisitions/{ids['requisition']}/ranking.csv")
    assert response.status_code == 200
    with app.app_context(), database.read_session() as session:
        run = session.scalar(select(ScoringRun).where(ScoringRun.kind == "ranking.export"))
        assert run.actor_id == users["recruiter"].id
        assert [e["application_id"] for e in run.entries] == [ids["application"]]
        assert session.scalar(select(ScoringInput).where(
            ScoringInput.input_hash == run.entries[0]["input_hash"])) is not None
        assert records.verify_run(session, run) == []
        # Views are logged too, but only exports and decisions keep inputs.
        assert run.keep_until > datetime.now(UTC) + timedelta(days=180)


def test_ai3_a_debrief_packet_with_a_score_is_logged_as_an_export_that_re_scores(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
        manager = session.get(User, ids["manager"])
        manager.email = "packet-manager@example.com"
        from tests.conftest import PASSWORD, _cached_hash

        manager.password_hash = _cached_hash(PASSWORD)
    client = app.test_client()
    login(client, "packet-manager@example.com")
    response = client.get(f"/applications/{ids['application']}/debrief.pdf")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    with app.app_context(), database.read_session() as session:
        run = session.scalar(select(ScoringRun).where(ScoringRun.kind == "packet.debrief"))
        assert run is not None
        assert run.actor_id == ids["manager"]
        assert [e["application_id"] for e in run.entries] == [ids["application"]]
        assert records.verify_run(session, run) == []
