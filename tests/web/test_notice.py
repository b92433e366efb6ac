"""The candidate notice (AI-6): signed links, the public page, the alternative process, and
voluntary self-identification stored apart and never a model input (DP-1)."""

from __future__ import annotations

import importlib
import inspect
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hiring import create_app
from hiring import db as database
from hiring.models import (
    Application,
    AuditEvent,
    NoticeLink,
    Requisition,
    Score,
    ScoringRun,
    SelfIdentification,
)
from hiring.models.fairness import RACE_ETHNICITY_CHOICES, SELF_IDENTIFICATION_FIELDS, SEX_CHOICES
from hiring.operations import notice as notice_ops
from tests.conftest import PASSWORD, Factory, login, make_test_config
from tests.web.test_reports import seed_panel


def _issue(app: Any, application_id: int, email: str = "recruiter@example.com") -> str:
    """Issue a link as ``email`` through the candidate page's form; returns the link's path."""
    client = app.test_client()
    login(client, email)
    response = client.post(f"/applications/{application_id}/notice-link")
    assert response.status_code == 200, response.status_code
    match = re.search(r'value="(http[^"]+/notice/[^"]+)"', response.get_data(as_text=True))
    assert match, "the link is shown once to copy"
    return "/notice/" + match.group(1).rsplit("/notice/", 1)[1]


@pytest.fixture
def one_application(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    with app.app_context():
        session = database.get_database(app).session(write=True)
        make = Factory(session)
        requisition = make.requisition(users["hiring_manager"], title="Data Engineer (Lisbon)")
        candidate = make.candidate(name="Noor Example")
        application = make.application(candidate, requisition)
        session.commit()
        ids = {"application": application.id, "candidate": candidate.id,
               "requisition": requisition.id}
        session.close()
    return ids


def test_recruiter_issues_a_link_from_the_candidate_page_and_notice_date_is_recorded(
        app: Any, users: dict[str, Any], one_application: dict[str, Any]) -> None:
    client = app.test_client()
    login(client, "recruiter@example.com")
    page = client.get(f"/candidates/{one_application['candidate']}").get_data(as_text=True)
    assert "Issue a notice link" in page
    path = _issue(app, one_application["application"])
    with app.app_context():
        session = database.get_database(app).session(write=False)
        application = session.get(Application, one_application["application"])
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "notice.issue"))
        session.close()
    assert application.notice_at is not None
    assert event.actor_id == users["recruiter"].id
    assert path.rsplit("/", 1)[1] not in str(event.details)  # never the token

    anonymous = app.test_client()
    response = anonymous.get(path)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Data Engineer (Lisbon)" in body
    assert "structured scores" in body.lower()
    assert "alternative process" in body.lower()
    assert "Prefer not to say" in body
    assert "Hispanic or Latino" in body
    assert "Noor Example" not in body  # nothing personal on a page opened by link


def test_interviewers_and_auditors_cannot_issue_links(
        app: Any, users: dict[str, Any], one_application: dict[str, Any]) -> None:
    for role in ("interviewer", "auditor"):
        client = app.test_client()
        login(client, f"{role}@example.com")
        assert client.post(f"/applications/{one_application['application']}/notice-link"
                           ).status_code == 403


@pytest.mark.parametrize("mangle", ["garbage", "flip", "other-key"])
def test_bad_tokens_answer_404_and_say_nothing(app: Any, users: dict[str, Any],
                                               one_application: dict[str, Any],
                                               mangle: str) -> None:
    path = _issue(app, one_application["application"])
    token = path.rsplit("/", 1)[1]
    if mangle == "garbage":
        token = "not-a-token"
    elif mangle == "flip":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    else:
        from itsdangerous import URLSafeTimedSerializer

        token = URLSafeTimedSerializer("another-secret", salt=notice_ops.SALT).dumps(
            [one_application["application"], "0" * 32])
    client = app.test_client()
    for response in (client.get(f"/notice/{token}"),
                     client.post(f"/notice/{token}", data={"review": "alternative"})):
        assert response.status_code == 404
        assert "Data Engineer (Lisbon)" not in response.get_data(as_text=True)
    with app.app_context():
        session = database.get_database(app).session(write=False)
        assert session.get(Application, one_application["application"]).alternative_process \
            is False
        session.close()


def test_expired_and_revoked_links_answer_404(app: Any, users: dict[str, Any],
                                              one_application: dict[str, Any]) -> None:
    secret = app.config["SECRET_KEY"]
    with app.app_context():
        session = database.get_database(app).session(write=True)
        application = session.get(Application, one_application["application"])
        _, expired = notice_ops.issue_link(
            session, application, actor=users["recruiter"], secret_key=secret, days=1,
            now=datetime.now(UTC) - timedelta(days=3))
        session.commit()
        session.close()
    client = app.test_client()
    assert client.get(f"/notice/{expired}").status_code == 404

    first = _issue(app, one_application["application"])
    assert client.get(first).status_code == 200
    second = _issue(app, one_application["application"])
    assert client.get(first).status_code == 404  # a new link revokes the older one
    assert client.get(second).status_code == 200


def test_the_candidate_answers_without_logging_in_and_answers_are_stored_apart(
        app: Any, users: dict[str, Any], one_application: dict[str, Any]) -> None:
    path = _issue(app, one_application["application"])
    anonymous = app.test_client()
    response = anonymous.post(path, data={"review": "standard", "sex": "female",
                                          "race_ethnicity": "hispanic_latino"})
    assert response.status_code == 302
    assert "Your voluntary answers are stored apart" in anonymous.get(path).get_data(
        as_text=True)
    # Leaving a question at "No answer" keeps the earlier answer.
    anonymous.post(path, data={"review": "standard", "sex": "prefer_not_to_say"})
    with app.app_context():
        session = database.get_database(app).session(write=False)
        row = session.get(SelfIdentification, one_application["application"])
        link = session.scalar(select(NoticeLink))
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "notice.response")).all()
        session.close()
    assert (row.sex, row.race_ethnicity) == ("prefer_not_to_say", "hispanic_latino")
    assert link.responded_at is not None
    assert all("hispanic" not in str(e.details) and e.actor_id is None for e in events)
    # Nobody reads them per person: not the recruiter, not the hiring manager.
    for email in ("recruiter@example.com", "hiring_manager@example.com"):
        client = app.test_client()
        login(client, email)
        page = client.get(f"/candidates/{one_application['candidate']}").get_data(as_text=True)
        assert "Hispanic" not in page
        assert "Prefer not to say" not in page
    refused = anonymous.post(path, data={"review": "standard", "sex": "unknown-code"})
    assert refused.status_code == 400


@pytest.fixture
def csrf_app(tmp_path: Path, sqlite_template: Path) -> Any:
    shutil.copyfile(sqlite_template, tmp_path / "c.db")
    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'c.db'}",
                                      WTF_CSRF_ENABLED=True))
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        recruiter = make.user("recruiter", email="recruiter@example.com", password=PASSWORD)
        manager = make.user("hiring_manager")
        application = make.application(make.candidate(), make.requisition(manager))
        application_id = application.id
        recruiter_id = recruiter.id
    with app.app_context(), database.write_session() as session:
        from hiring.models import User

        application = session.get(Application, application_id)
        _, token = notice_ops.issue_link(session, application,
                                         actor=session.get(User, recruiter_id),
                                         secret_key=app.config["SECRET_KEY"], days=30)
    app.config["TEST_NOTICE"] = {"token": token, "application": application_id}
    return app


def test_the_public_post_needs_the_csrf_token_from_the_page(csrf_app: Any) -> None:
    token = csrf_app.config["TEST_NOTICE"]["token"]
    client = csrf_app.test_client()
    page = client.get(f"/notice/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert csrf, "the public page carries a CSRF token"
    refused = client.post(f"/notice/{token}", data={"review": "alternative"})
    assert refused.status_code == 400
    accepted = client.post(f"/notice/{token}", data={"review": "alternative",
                                                     "csrf_token": csrf.group(1)})
    assert accepted.status_code == 302
    with csrf_app.app_context():
        session = database.get_database(csrf_app).session(write=False)
        application = session.get(Application, csrf_app.config["TEST_NOTICE"]["application"])
        session.close()
    assert application.alternative_process is True


# ---------------------------------------------------------------------------- AI-6


def test_an_opted_out_candidate_is_absent_from_every_scoring_run(
        app: Any, users: dict[str, Any]) -> None:
    from hiring.operations.scoring import recompute_all, recompute_requisition

    seeded = seed_panel(app, users, candidates=6)
    opted = seeded["applications"][2]
    with app.app_context():
        session = database.get_database(app).session(write=True)
        recompute_requisition(session, seeded["requisition"], trigger="test")
        session.commit()
        assert session.scalar(select(Score).where(Score.application_id == opted)) is not None
        session.close()
    path = _issue(app, opted)
    opted_at = datetime.now(UTC)
    response = app.test_client().post(path, data={"review": "alternative"})
    assert response.status_code == 302
    with app.app_context():
        session = database.get_database(app).session(write=True)
        recompute_requisition(session, seeded["requisition"], trigger="test.again")
        recompute_all(session, trigger="test.all")
        session.commit()
        scores = session.scalars(select(Score).where(Score.application_id == opted)).all()
        runs = session.scalars(select(ScoringRun).where(ScoringRun.at >= opted_at)).all()
        others = session.scalars(select(Score.application_id)).all()
        session.close()
    assert scores == []
    assert runs, "the recomputations were recorded"
    assert all(entry["application_id"] != opted for run in runs for entry in run.entries)
    assert set(seeded["applications"]) - {opted} <= set(others)

    client = app.test_client()
    login(client, "recruiter@example.com")
    ranking = client.get(f"/requisitions/{seeded['requisition']}/ranking").get_data(
        as_text=True)
    people = ranking.split('id="people"', 1)[1]
    assert "Seed Person 2<" in people
    assert "Seed Person 2<" not in ranking.split('id="people"', 1)[0]

    # Withdrawing the request scores the candidate again.
    app.test_client().post(path, data={"review": "standard"})
    with app.app_context():
        session = database.get_database(app).session(write=False)
        assert session.scalar(select(Score).where(Score.application_id == opted)) is not None
        session.close()


# ---------------------------------------------------------------------------- DP-1


def test_self_identification_is_never_in_any_feature_list(app: Any, users: dict[str, Any],
                                                          one_application: dict[str, Any]
                                                          ) -> None:
    from hiring.models.fairness import SelfIdentification as Model
    from hiring.operations import learned, scoring
    from hiring.operations.requisitions import requisition_needs

    columns = {c.name for c in Model.__table__.columns} - {"application_id", "recorded_at"}
    assert columns == set(SELF_IDENTIFICATION_FIELDS)
    forbidden = columns | set(SEX_CHOICES) | set(RACE_ETHNICITY_CHOICES) | {
        "self_identification", "race", "ethnicity", "gender"}

    seeded = seed_panel(app, users, candidates=3, role="data-scientist")
    with app.app_context():
        session = database.get_database(app).session(write=False)
        requisition = session.get(Requisition, seeded["requisition"])
        profile_features = set(scoring.level_profile(requisition_needs(session,
                                                                       requisition)).competencies)
        _, level = learned.current_level(session, "data-scientist", "mid")
        learned_features = set(level.competencies)
        session.close()
    assert profile_features
    assert learned_features
    assert not profile_features & forbidden
    assert not learned_features & forbidden
    # The scorers' code never reads the table.
    for module in (scoring, learned):
        source = inspect.getsource(module)
        assert "SelfIdentification" not in source
        assert "self_identifications" not in source
    for name in ("features", "profile_fit", "learned", "band", "profile"):
        source = inspect.getsource(importlib.import_module(f"hiring.scoring.{name}"))
        assert "self_identification" not in source.lower()


def test_self_identification_does_not_change_a_score(app: Any, users: dict[str, Any]) -> None:
    from hiring.operations.scoring import recompute_requisition

    seeded = seed_panel(app, users, candidates=3)
    target = seeded["applications"][0]
    with app.app_context():
        session = database.get_database(app).session(write=True)
        recompute_requisition(session, seeded["requisition"], trigger="test")
        session.commit()
        before = session.scalar(select(Score.input_hash).where(Score.application_id == target))
        session.add(SelfIdentification(application_id=target, sex="male", race_ethnicity="asian"))
        session.commit()
        recompute_requisition(session, seeded["requisition"], trigger="test")
        session.commit()
        after = session.scalar(select(Score.input_hash).where(Score.application_id == target))
        session.close()
    assert before == after


def test_erasing_a_candidate_takes_their_self_identification_and_links_along(
        app: Any, users: dict[str, Any], one_application: dict[str, Any]) -> None:
    from hiring.models import Candidate

    path = _issue(app, one_application["application"])
    app.test_client().post(path, data={"review": "standard", "sex": "female"})
    with app.app_context():
        session = database.get_database(app).session(write=True)
        session.delete(session.get(Candidate, one_application["candidate"]))
        session.commit()
        left = (session.scalars(select(SelfIdentification)).all(),
                session.scalars(select(NoticeLink)).all())
        session.close()
    assert left == ([], [])
