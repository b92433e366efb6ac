"""The ranking follows the adopted learned model's probability where one exists (DESIGN.md 6)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from hiring import db as database
from hiring.models import ModelVersion, Score
from hiring.operations.ranking import build_ranking
from hiring.operations.scoring import learned_kind
from tests.conftest import Factory


def _score(application_id: int, kind: str, profile_version_id: int, *, mean: float | None,
           probability: float | None = None) -> Score:
    return Score(
        application_id=application_id, kind=kind, state="ok", mean=mean, bar_mean=3.0,
        score_0_100=None if mean is None else (mean - 1) / 3 * 100, bar_0_100=66.7,
        band_lo=None if mean is None else mean - 0.1, band_hi=None if mean is None else
        mean + 0.1, coverage=1.0, meets_profile=True, must_haves={}, contributions={},
        rating_spread=0, input_hash="h" * 64, error_model_hash="e" * 64, inputs={},
        result={} if probability is None else {"probability": probability},
        profile_version_id=profile_version_id, level="mid", scoring_version="test",
        trigger="test",
    )


def test_adopted_learned_model_orders_the_ranking_by_probability(app: Any,
                                                                  users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        competency = make.competency("ds-modelling")
        profile = make.profile([(competency, 3, 3, False)], key="data-scientist")
        requisition = make.requisition(users["hiring_manager"], profile, level="mid")
        apps = [make.application(make.candidate(name=n), requisition) for n in ("A", "B", "C")]
        # Profile fit says A > B > C; the adopted model says C > A > B.
        for app_row, mean, probability in zip(apps, (3.8, 3.0, 2.2), (0.6, 0.3, 0.9),
                                              strict=True):
            session.add(_score(app_row.id, "profile_fit", profile.id, mean=mean))
            session.add(_score(app_row.id, learned_kind("data-scientist", 1), profile.id,
                               mean=None, probability=probability))
        session.add(ModelVersion(role="data-scientist", version=1, level="mid", card={},
                                 adopted_at=datetime.now(UTC)))
        session.flush()
        view = build_ranking(session, session.merge(users["recruiter"]), requisition,
                             sort="score")
        assert view.learned == "learned model v1"
        assert [r.name for r in view.rows] == ["C", "A", "B"]
        assert [r.probability for r in view.rows] == [0.9, 0.6, 0.3]
        # Without an adopted model the same data ranks by profile fit.
        session.execute(update(ModelVersion).values(adopted_at=None))
        view = build_ranking(session, session.merge(users["recruiter"]), requisition,
                             sort="score")
        assert view.learned is None
        assert [r.name for r in view.rows] == ["A", "B", "C"]
