"""Erasure and retention on SQLite and PostgreSQL (SECURITY.md DP-2, DP-4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import inspect, select

from hiring import db as database
from hiring.models import AuditEvent, Candidate, RetainedCount, RetainedRating, ScoringRun
from hiring.operations import privacy
from tests import privacy_world as world
from tests.conftest import Factory

pytestmark = pytest.mark.db


def test_dp4_every_foreign_key_into_candidate_data_cascades_in_the_database(
        db_app: Any) -> None:
    """Reflected from the migrated database (not the models): every foreign key between tables
    holding candidate data deletes with its parent."""
    engine = database.get_database(db_app).engine
    graph = privacy.candidate_graph()
    owned = set(graph.names)
    inspector = inspect(engine)
    checked = 0
    for table in graph.tables[1:]:
        for fk in inspector.get_foreign_keys(table.name):
            if fk["referred_table"] in owned:
                assert (fk.get("options") or {}).get("ondelete", "").upper() == "CASCADE", \
                    f"{table.name}.{fk['constrained_columns']} -> {fk['referred_table']}"
                checked += 1
    assert checked >= len(graph.tables) - 1


def test_dp4_erasure_cascades_and_no_text_column_mentions_the_person(db_app: Any) -> None:
    db = database.get_database(db_app)
    with db_app.app_context():
        with db.session(write=True) as session:
            admin = Factory(session).user("admin", email="erasing-admin@example.com")
            ids = world.build(session)
            session.commit()
            admin_id = admin.id
        assert world.search_everywhere(db.engine, [world.NAME, world.EMAIL, world.PHONE])
        with db.session(write=True) as session:
            from hiring.models import User

            report = privacy.erase_candidate(session, ids["candidate"],
                                             actor=session.get(User, admin_id))
            session.commit()
        privacy.checkpoint()
    assert report.remaining == []
    assert report.rows["applications"] == 2
    assert report.redacted >= 2  # the other candidate's notes and a ranking move's reason
    assert world.search_everywhere(db.engine, [world.NAME, world.EMAIL, world.PHONE]) == []
    with db.session(write=False) as session:
        assert session.get(Candidate, ids["candidate"]) is None
        assert session.get(Candidate, ids["other"]).name == "Bartholomew Ekwueme"
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erased"))
        assert event.actor_id == admin_id
        assert event.subject_id == str(ids["candidate"])
        # What survives: the scoring record, the anonymous ratings and counts.
        assert session.scalars(select(ScoringRun)).all()
        assert {r.application_id for r in session.scalars(select(RetainedRating))} == \
            {ids["application"]}
        assert session.scalar(select(RetainedCount.count).where(
            RetainedCount.requisition_id == ids["requisition"],
            RetainedCount.metric == "applicants")) == 1


def test_dp4_legal_hold_refuses_erasure_on_each_database(db_app: Any) -> None:
    db = database.get_database(db_app)
    with db_app.app_context(), db.session(write=True) as session:
        admin = Factory(session).user("admin", email="hold-admin@example.com")
        held = Factory(session).candidate(name="Held Person", legal_hold=True)
        session.commit()
        with pytest.raises(privacy.LegalHold):
            privacy.erase_candidate(session, held.id, actor=admin)
        session.rollback()
        assert session.get(Candidate, held.id) is not None


def test_dp2_retention_run_on_each_database(db_app: Any) -> None:
    db = database.get_database(db_app)
    with db_app.app_context():
        with db.session(write=True) as session:
            ids = world.build(session, closed_days_ago=400)
            session.commit()
        with db.session(write=True) as session:
            dry = privacy.run_retention(session, dry_run=True)
            session.rollback()
        assert [i.candidate_id for i in dry.due] == [ids["candidate"]]
        with db.session(write=True) as session:
            report = privacy.run_retention(session, now=datetime.now(UTC) + timedelta(days=1))
            session.commit()
    assert [r.candidate_id for r in report.erased] == [ids["candidate"]]
    assert world.search_everywhere(db.engine, [world.NAME, world.EMAIL, world.PHONE]) == []


def test_log2_erasure_only_appends_to_the_audit_log_which_refuses_changes(db_app: Any) -> None:
    """Audit rows name subjects by type and id, without foreign keys and without personal data:
    erasing a candidate leaves every earlier row exactly as it was and adds one; the database
    refuses UPDATE and DELETE on the table."""
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    from hiring.operations.audit import record

    db = database.get_database(db_app)
    with db_app.app_context():
        with db.session(write=True) as session:
            admin = Factory(session).user("admin", email="log2-admin@example.com")
            ids = world.build(session)
            record(session, "candidate.created", actor_id=admin.id, subject_type="candidate",
                   subject_id=ids["candidate"])
            record(session, "application.created", actor_id=admin.id,
                   subject_type="application", subject_id=ids["application"],
                   candidate_id=ids["candidate"])
            session.commit()
            admin_id = admin.id
        with db.session(write=False) as session:
            before = [(e.id, e.action, e.subject_type, e.subject_id, e.details, e.at)
                      for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        with db.session(write=True) as session:
            from hiring.models import User

            privacy.erase_candidate(session, ids["candidate"],
                                    actor=session.get(User, admin_id))
            session.commit()
    with db.session(write=False) as session:
        after = [(e.id, e.action, e.subject_type, e.subject_id, e.details, e.at)
                 for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert after[:len(before)] == before
    assert [a[1] for a in after[len(before):]] == ["candidate.erased"]
    assert inspect(db.engine).get_foreign_keys("audit_events") == []
    assert world.search_everywhere(db.engine, [world.NAME, world.EMAIL, world.PHONE]) == []
    for statement in (update(AuditEvent).values(details={}), delete(AuditEvent)):
        with db.session(write=True) as session:
            with pytest.raises(DBAPIError, match="append-only"):
                session.execute(statement)
            session.rollback()
