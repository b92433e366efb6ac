"""The model card's impact ratios and the acknowledgement they require at adoption (item 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from hiring import db as database
from hiring.models import CompetencyRating, ModelVersion, ProfileVersion, SelfIdentification
from hiring.operations.impact import model_card_impact
from tests.conftest import Factory, login
from tests.web.test_model_cli import (  # noqa: F401 - fixtures
    KEYS,
    ROLE,
    cli,
    roles,
    show_json,
    trained,
)


def _applicants(app: Any, roles: dict[str, Any], groups: list[tuple[str, int]]) -> None:  # noqa: F811
    """One open requisition of ROLE; per (sex, rating) an applicant with that rating on every
    competency and that self-identification."""
    with app.app_context():
        session = database.get_database(app).session(write=True)
        make = Factory(session)
        manager, interviewer = make.user("hiring_manager"), make.user("interviewer")
        requisition = make.requisition(manager, session.get(ProfileVersion, roles["main"]),
                                       status="open")
        step = make.plan_step(requisition)
        for sex, rating in groups:
            application = make.application(make.candidate(), requisition)
            interview = make.interview(application, step, [interviewer])
            card = make.scorecard(interview, interviewer, status="submitted",
                                  submitted_at=datetime.now(UTC) - timedelta(hours=1))
            for key in KEYS:
                session.add(CompetencyRating(scorecard_id=card.id,
                                             competency_id=roles["competencies"][key],
                                             rating=rating))
            session.add(SelfIdentification(application_id=application.id, sex=sex))
        session.commit()
        session.close()


def test_adoption_with_a_ratio_under_four_fifths_needs_an_acknowledgement(
        app: Any, trained: dict[str, Any], users: dict[str, Any],  # noqa: F811
        roles: dict[str, Any]) -> None:  # noqa: F811
    # Women's evidence is lower here, so the model scores them above the median less often.
    _applicants(app, roles, [("female", 2)] * 6 + [("female", 4)] * 2 + [("male", 4)] * 6
                + [("male", 2)] * 2)
    with app.app_context():
        session = database.get_database(app).session(write=False)
        card = session.scalar(select(ModelVersion).where(ModelVersion.role == ROLE)).card
        impact = model_card_impact(session, ROLE, card)
        session.close()
    assert impact["checked"]
    assert impact["scored"] == 16
    sex = impact["axes"]["sex"]["categories"]
    assert sex["Male"]["impact_ratio"] == 1.0
    assert sex["Female"]["impact_ratio"] < 0.8
    assert sex["Female"]["adverse"]
    assert "count" not in sex["Female"]
    assert "scoring_rate" not in sex["Female"]

    refused = cli(app, "model", "adopt", ROLE, "1", "--actor", "admin@example.com")
    assert refused.exit_code != 0
    assert "impact ratios under 0.8" in refused.stderr
    assert "Female" in refused.stderr

    client = app.test_client()
    login(client, "admin@example.com")
    page = client.get(f"/models/{ROLE}/v1").get_data(as_text=True)
    assert "Impact ratios over the last 12 months" in page
    assert "under 0.8" in page
    assert "needs a written acknowledgement" in page

    adopted = cli(app, "model", "adopt", ROLE, "1", "--actor", "admin@example.com",
                  "--acknowledge", "Evidence gap reviewed with the panel leads.")
    assert adopted.exit_code == 0, adopted.output
    assert show_json(app)["acknowledgement"] == "Evidence gap reviewed with the panel leads."
    assert "Evidence gap reviewed" in client.get(f"/models/{ROLE}").get_data(as_text=True)


def test_small_groups_get_no_ratio_on_the_card(app: Any, trained: dict[str, Any],  # noqa: F811
                                               roles: dict[str, Any]) -> None:  # noqa: F811
    _applicants(app, roles, [("female", 3)] * 3 + [("male", 3)] * 8)
    with app.app_context():
        session = database.get_database(app).session(write=False)
        card = session.scalar(select(ModelVersion).where(ModelVersion.role == ROLE)).card
        impact = model_card_impact(session, ROLE, card)
        session.close()
    female = impact["axes"]["sex"]["categories"]["Female"]
    assert female == {"impact_ratio": None, "adverse": False, "suppressed": True}
