"""The learned model's tables on SQLite and PostgreSQL: import, training, adoption, scores."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from scipy.special import expit
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from hiring import db as database
from hiring.models import (
    CompetencyRating,
    HistoryDemographics,
    HistoryRow,
    ModelVersion,
    Score,
    ScoringRun,
)
from hiring.operations import learned as ops
from tests.conftest import Factory

pytestmark = pytest.mark.db

KEYS = ("comp-a", "comp-b", "comp-c")


def _history(n: int = 240) -> bytes:
    rng = np.random.default_rng(3)
    X = np.clip(np.round(rng.normal(2.7, 0.7, (n, 3)) * 2) / 2, 1, 4)
    y = rng.random(n) < expit((X - 2.7) @ np.array([2.0, 0.0, -1.0]))
    out = io.StringIO()
    out.write("candidate,role,level,hired,outcome," + ",".join(KEYS) + ",sex,race_ethnicity\n")
    for i in range(n):
        out.write(f"p{i},data-scientist,mid,1,{int(y[i])}," + ",".join(f"{v:g}" for v in X[i])
                  + f",{'female' if i % 2 else 'male'},\n")
    return out.getvalue().encode()


def test_history_training_and_adoption_work_on_both_databases(db_app: Any) -> None:
    db = database.get_database(db_app)
    with db_app.app_context(), db.session(write=True) as session:
        make = Factory(session)
        competencies = [make.competency(key) for key in KEYS]
        version = make.profile([(c, 2, 3, False) for c in competencies], key="data-scientist")
        admin = make.user("admin")
        manager, interviewer = make.user("hiring_manager"), make.user("interviewer")
        requisition = make.requisition(manager, version, status="open")
        application = make.application(make.candidate(), requisition)
        interview = make.interview(application, make.plan_step(requisition), [interviewer])
        card = make.scorecard(interview, interviewer, status="submitted",
                              submitted_at=datetime.now(UTC) - timedelta(hours=1))
        for competency, rating in zip(competencies, (4, 3, 2), strict=True):
            session.add(CompetencyRating(scorecard_id=card.id, competency_id=competency.id,
                                         rating=rating))
        session.commit()

        report = ops.import_history(session, _history(), filename="h.csv")
        row = ops.train(session, "data-scientist", n_bootstrap=30)
        session.commit()
        assert report.rows == 240
        assert report.with_self_identification == 240
        # Stored as JSON without NaN (PostgreSQL's JSON has none) and read back whole.
        stored = session.scalar(select(ModelVersion))
        assert json.loads(json.dumps(stored.card, allow_nan=False)) == stored.card
        assert stored.card["beats_profile_fit"] is True

        adopted = ops.adopt(session, "data-scientist", row.version, actor=admin)
        session.commit()
        assert adopted.rescored == 1
        score = session.scalar(select(Score).where(Score.application_id == application.id))
        assert score.kind == "learned:data-scientist:v1"
        assert score.result["baseline"] + sum(score.result["contributions"].values()) \
            == score.result["logit"]
        run = session.scalar(select(ScoringRun).where(ScoringRun.model_kind == score.kind))
        assert run.entries[0]["application_id"] == application.id
        assert session.scalar(select(func.count(HistoryDemographics.id))) == 240


def test_history_rows_refuse_an_outcome_on_a_row_not_hired(db_app: Any) -> None:
    db = database.get_database(db_app)
    with db.session(write=True) as session:
        session.execute(text("INSERT INTO history_batches (filename, file_hash, rows, created_at) "
                             "VALUES ('x', 'h', 1, CURRENT_TIMESTAMP)"))
        batch_id = session.scalar(text("SELECT max(id) FROM history_batches"))
        session.commit()
        session.add(HistoryRow(batch_id=batch_id, row_number=1, label="a", role="r",
                               level="mid", hired=False, outcome=True, ratings={}))
        with pytest.raises(IntegrityError):
            session.flush()
