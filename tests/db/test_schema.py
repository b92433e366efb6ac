"""Schema and migrations on SQLite and PostgreSQL (each test runs on both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from hiring import db as database
from hiring.models import (
    Application,
    AuditEvent,
    Candidate,
    Scorecard,
    StageChange,
)
from tests.conftest import Factory

pytestmark = pytest.mark.db


def test_migrations_upgrade_empty_database_to_head(empty_db_url: str) -> None:
    database.upgrade(empty_db_url)
    assert database.current_revision(empty_db_url) == database.head_revision()
    engine = database.build_engine(empty_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    for table in ("users", "competencies", "question_versions", "requisitions", "candidates",
                  "applications", "stage_changes", "interviews", "scorecards", "audit_events"):
        assert table in tables


def test_migrations_downgrade_one_step_and_back(empty_db_url: str) -> None:
    database.upgrade(empty_db_url)
    head = database.current_revision(empty_db_url)
    database.downgrade(empty_db_url, "-1")
    assert database.current_revision(empty_db_url) != head
    database.upgrade(empty_db_url)
    assert database.current_revision(empty_db_url) == head


def test_migrations_have_exactly_one_head() -> None:
    assert database.head_revision()


def test_audit_table_refuses_update_and_delete(db_app: Any) -> None:
    db = database.get_database(db_app)
    with db.session(write=True) as session:
        session.add(AuditEvent(action="test.event", subject_type="thing", subject_id="1"))
        session.commit()
    for statement in (update(AuditEvent).values(action="tampered"), delete(AuditEvent)):
        with db.session(write=True) as session:
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(statement)
            session.rollback()
    with db.session(write=False) as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions == ["test.event"]


def test_audit_table_has_no_foreign_keys(db_app: Any) -> None:
    engine = database.get_database(db_app).engine
    assert inspect(engine).get_foreign_keys("audit_events") == []


def test_candidate_email_unique_case_insensitively(db_app: Any) -> None:
    with database.get_database(db_app).session(write=True) as session:
        make = Factory(session)
        make.candidate(email="Ada.Lovelace@example.com")
        session.commit()
        with pytest.raises(IntegrityError):
            make.candidate(email="ada.lovelace@EXAMPLE.com")


def test_one_scorecard_per_interview_and_interviewer(db_app: Any) -> None:
    with database.get_database(db_app).session(write=True) as session:
        make = Factory(session)
        manager, interviewer = make.user("hiring_manager"), make.user("interviewer")
        requisition = make.requisition(manager)
        application = make.application(make.candidate(), requisition)
        interview = make.interview(application, make.plan_step(requisition), [interviewer])
        make.scorecard(interview, interviewer)
        session.commit()
        with pytest.raises(IntegrityError):
            make.scorecard(interview, interviewer)


def test_deleting_candidate_cascades_to_applications_and_scorecards(db_app: Any) -> None:
    with database.get_database(db_app).session(write=True) as session:
        make = Factory(session)
        manager, interviewer = make.user("hiring_manager"), make.user("interviewer")
        requisition = make.requisition(manager)
        candidate = make.candidate()
        application = make.application(candidate, requisition)
        session.add(StageChange(application_id=application.id, from_stage="applied",
                                to_stage="interviewing", actor_id=manager.id, reason_text="x"))
        interview = make.interview(application, make.plan_step(requisition), [interviewer])
        make.scorecard(interview, interviewer, takeaways="strong on SQL")
        session.add(AuditEvent(action="candidate.create", subject_type="candidate",
                               subject_id=str(candidate.id)))
        session.commit()

        # Delete through SQL so the database's cascades, not the ORM, do the work.
        session.execute(delete(Candidate).where(Candidate.id == candidate.id))
        session.commit()
        assert session.scalar(select(Application.id)) is None
        assert session.scalar(select(StageChange.id)) is None
        assert session.scalar(select(Scorecard.id)) is None
        # The audit trail survives erasure untouched.
        assert session.scalar(select(AuditEvent.subject_id)) == str(candidate.id)


def test_check_constraints_refuse_out_of_range_rating(db_app: Any) -> None:
    with database.get_database(db_app).session(write=True) as session:
        with pytest.raises(IntegrityError):
            session.execute(text(
                "INSERT INTO user_roles (user_id, role) VALUES (1, 'superuser')"
            ))
