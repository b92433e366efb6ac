"""`flask --app hiring demo load`: users printed once, a living pipeline, idempotent, refused in
production."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hiring import create_app
from hiring import db as database
from hiring.models import Interview, Requisition, Scorecard
from tests.conftest import make_test_config


def test_demo_load_builds_pipeline_prints_users_and_is_idempotent(app: Any) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "admin@example.com" in first.output
    assert "interviewer2@example.com" in first.output
    with app.app_context(), database.read_session() as session:
        statuses = set(session.scalars(select(Requisition.status)))
        assert {"open", "draft", "on_hold"} <= statuses
        assert session.scalar(select(func.count(Interview.id))) > 20
        assert session.scalar(select(func.count(Scorecard.id)).where(
            Scorecard.status == "submitted")) > 20
        counts = (session.scalar(select(func.count(Scorecard.id))),
                  session.scalar(select(func.count(Interview.id))))
        _spring_round_feeds_the_reports(session)
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert "already loaded" in second.output
    with app.app_context(), database.read_session() as session:
        assert (session.scalar(select(func.count(Scorecard.id))),
                session.scalar(select(func.count(Interview.id)))) == counts


def test_demo_load_refused_in_production(tmp_path: Any, app: Any) -> None:
    production = create_app(make_test_config(
        tmp_path / "prod", app.config["DATABASE_URL"], HIRING_ENV="production",
        SECRET_KEY="p" * 40))
    result = production.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "refused when HIRING_ENV=production" in result.output


def _spring_round_feeds_the_reports(session: Any) -> None:
    """The closed spring round gives the reliability report its 30 candidates, and calibration
    finds the interviewer the demo made lenient (Ivan, about half a point high)."""
    from hiring.demo import PAST_ROUND, PAST_ROUND_CANDIDATES
    from hiring.models import User
    from hiring.operations.reports import leniency_offsets, reliability_report, report_scope

    spring = session.scalar(select(Requisition).where(Requisition.title == PAST_ROUND[0]))
    assert spring is not None
    assert spring.status == "closed"
    recruiter = session.scalar(select(User).where(User.email == "recruiter@example.com"))
    report = reliability_report(session, report_scope(session, recruiter,
                                                      requisition_id=spring.id), n_boot=50)
    assert report["enough"], report["candidates"]
    assert report["candidates"] >= PAST_ROUND_CANDIDATES >= report["minimum"]
    assert report["rows"]
    offsets = leniency_offsets(session, "data-scientist")
    names = {u.id: u.email for u in session.scalars(select(User))}
    by_email = {names[uid]: offset for uid, offset in offsets.items()}
    assert by_email["interviewer2@example.com"] > by_email["interviewer@example.com"] + 0.2
