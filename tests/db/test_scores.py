"""Stored scores and the scoring-run record on SQLite and PostgreSQL (issue 8, AI-2, AI-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from hiring import db as database
from hiring.models import CompetencyRating, Score, ScoringRun
from hiring.operations import scoring
from tests.conftest import Factory

pytestmark = pytest.mark.db


def _seed(session: Any) -> dict[str, int]:
    make = Factory(session)
    manager, x, y = make.user("hiring_manager"), make.user("interviewer"), make.user("interviewer")
    m, e = make.competency("modelling"), make.competency("evaluation")
    profile = make.profile([(m, 3, 3, True), (e, 2, 3, False)])
    requisition = make.requisition(manager, profile)
    step = make.plan_step(requisition, [m, e])
    ids = {"requisition": requisition.id}
    for name, ratings in (("a", ((4, 3), (3, 3))), ("b", ((2, 2), (1, None)))):
        application = make.application(make.candidate(), requisition)
        interview = make.interview(application, step, [x, y])
        for person, (rm, re_) in zip((x, y), ratings, strict=True):
            card = make.scorecard(interview, person, status="submitted",
                                  submitted_at=datetime.now(UTC), recommendation="yes")
            for competency, rating in ((m, rm), (e, re_)):
                session.add(CompetencyRating(
                    scorecard_id=card.id, competency_id=competency.id, rating=rating,
                    not_assessed_reason=None if rating else "not_asked_time"))
        ids[name] = application.id
    session.flush()
    return ids


def test_stored_scores_reproduce_exactly_from_their_inputs(db_app: Any) -> None:
    with database.get_database(db_app).session(write=True) as session:
        ids = _seed(session)
        scoring.recompute_requisition(session, ids["requisition"], trigger="test")
        session.commit()
    with database.get_database(db_app).session(write=False) as session:
        report = scoring.verify_stored(session)
        a = session.scalar(select(Score).where(Score.application_id == ids["a"]))
    assert report.checked == 2
    assert report.ok, report.mismatches
    # Weighted mean (3*3.5 + 2*3) / 5 = 3.3; numbers survive the database bit for bit.
    assert a.mean == pytest.approx(3.3, abs=1e-8)
    assert sum(a.contributions.values()) == a.mean - a.bar_mean


def test_scoring_runs_refuse_update_and_early_delete(db_app: Any) -> None:
    db = database.get_database(db_app)
    with db.session(write=True) as session:
        scoring.log_run(session, kind="test", trigger="test", actor_id=None, requisition_id=None,
                        profile_version_ids=[], entries=[])
        old = scoring.log_run(session, kind="test-old", trigger="test", actor_id=None,
                              requisition_id=None, profile_version_ids=[], entries=[])
        session.flush()
        old_id = old.id
        session.commit()
    with db.engine.begin() as connection:  # a record whose six months have passed
        connection.execute(text("DROP TRIGGER IF EXISTS scoring_runs_no_update")
                           if db.dialect == "sqlite" else
                           text("ALTER TABLE scoring_runs DISABLE TRIGGER scoring_runs_guard"))
        connection.execute(update(ScoringRun).where(ScoringRun.id == old_id).values(
            keep_until=datetime.now(UTC) - timedelta(days=1)))
        if db.dialect == "postgresql":
            connection.execute(text("ALTER TABLE scoring_runs ENABLE TRIGGER scoring_runs_guard"))
        else:
            connection.execute(text(
                "CREATE TRIGGER scoring_runs_no_update BEFORE UPDATE ON scoring_runs "
                "BEGIN SELECT RAISE(ABORT, 'scoring_runs is a record: rows are never changed'); "
                "END"))
    for statement in (update(ScoringRun).values(kind="tampered"),
                      delete(ScoringRun).where(ScoringRun.kind == "test")):
        with db.session(write=True) as session:
            with pytest.raises(DBAPIError, match="scoring_runs"):
                session.execute(statement)
            session.rollback()
    with db.session(write=True) as session:
        session.execute(delete(ScoringRun).where(ScoringRun.id == old_id))  # expired: allowed
        session.commit()
        assert session.scalars(select(ScoringRun.kind)).all() == ["test"]
