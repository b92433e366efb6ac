"""Candidates' data rights: export, erasure, legal hold, retention (SECURITY.md DP-2, DP-3, DP-4).

The database-level proofs on both SQLite and PostgreSQL are in ``tests/db/test_privacy_db.py``;
these run on SQLite through the pages and the commands.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, func, select

from hiring import db as database
from hiring.models import AuditEvent, Base, Candidate, ScoringRun
from hiring.operations import privacy
from tests import privacy_world as world
from tests.conftest import Factory, login


@pytest.fixture
def planted(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The privacy world on the SQLite app, committed."""
    with app.app_context(), database.write_session() as session:
        return world.build(session)


def _admin(app: Any, *, fresh: bool = True) -> Any:
    client = app.test_client()
    login(client, "admin@example.com")
    with client.session_transaction() as session:
        # A password entered "just now", or long ago (logging in counts as entering it).
        session["reauth_at"] = 10**12 if fresh else 0
    return client


def _flatten(node: Any, table: str, out: dict[str, list[dict[str, Any]]],
             owned: set[str]) -> None:
    row = {k: v for k, v in node.items() if not (isinstance(v, list) and k in owned)}
    out[table].append(row)
    for key, value in node.items():
        if key in owned and isinstance(value, list):
            for child in value:
                _flatten(child, key, out, owned)


def _export(app: Any, candidate_id: int) -> dict[str, Any]:
    with app.app_context(), database.read_session() as session:
        return privacy.export_candidate(session, candidate_id)


# ---------------------------------------------------------------------------- DP-3 export


def test_dp3_export_covers_every_column_of_every_table_holding_candidate_data(
        app: Any, planted: dict[str, Any]) -> None:
    """Schema-driven: every table reachable from ``candidates`` by foreign keys (read from the
    metadata), every column of it, must be in the export as stored, or listed as withheld."""
    graph = privacy.candidate_graph(Base.metadata)
    owned = set(graph.names)
    data = _export(app, planted["candidate"])
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    _flatten(data["candidate"], "candidates", rows, owned)
    empty = sorted(owned - {t for t, r in rows.items() if r})
    assert not empty, (f"tables holding candidate data without a row in tests/privacy_world.py "
                       f"(add one, so the export is proven to cover it): {empty}")
    with app.app_context(), database.read_session() as session:
        for table in graph.tables:
            stored = {tuple(r[c.name] for c in table.primary_key.columns): r
                      for r in session.execute(select(table)).mappings()}
            for exported in rows[table.name]:
                key = tuple(exported[c.name] for c in table.primary_key.columns)
                for column in table.columns:
                    assert column.name in exported, \
                        f"{table.name}.{column.name} is not in the candidate export"
                    value = exported[column.name]
                    if (table.name, column.name) in privacy.COLUMN_POLICY:
                        assert value["withheld"] == \
                            privacy.COLUMN_POLICY[(table.name, column.name)]
                        continue
                    assert value == privacy._plain(stored[key][column.name]), \
                        f"{table.name}.{column.name} exported as {value!r}"
    # Readable labels sit beside ids; the document's bytes are described, not included.
    application = rows["applications"][0]
    assert application["requisition_id_label"] == "ML engineer, payments"
    document = rows["candidate_documents"][0]
    assert document["data"]["bytes"] == len(world.PDF)
    assert "Curriculum" not in json.dumps(data)
    assert rows["self_identifications"][0]["sex"] == "female"
    assert any(r["entry"]["application_id"] == planted["application"]
               for r in data["scoring_records"])
    assert any(e["action"] == "application.stage_changed" or e["subject_type"] == "candidate"
               for e in data["audit_events"]) or data["audit_events"] == []


def test_dp3_graph_follows_a_new_table_or_column_from_the_metadata() -> None:
    """A table added later that points at applications is exported (and erased) without any
    change to the export code; its columns are then checked by the test above."""
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("interview_feedback", metadata, Column("id", Integer, primary_key=True),
          Column("application_id", ForeignKey("applications.id", ondelete="CASCADE")),
          Column("comment", String(200)))
    graph = privacy.candidate_graph(metadata)
    assert "interview_feedback" in graph.names
    assert set(privacy.candidate_graph().names) < set(graph.names)


def test_dp3_command_prints_the_json_and_audits_it(app: Any, planted: dict[str, Any]) -> None:
    result = app.test_cli_runner().invoke(args=["candidates", "export",
                                                str(planted["candidate"])])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format"] == privacy.EXPORT_FORMAT
    assert data["candidate"]["email"] == world.EMAIL
    interviews = data["candidate"]["applications"][0]["interviews"]
    scorecard = interviews[0]["scorecards"][0]
    assert {"competency_ratings", "question_notes", "scorecard_amendments"} <= set(scorecard)
    assert scorecard["competency_ratings"][0]["competency_id_label"].startswith("pw-")
    with app.app_context(), database.read_session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.exported"))
    assert event.subject_id == str(planted["candidate"])
    assert world.NAME not in json.dumps(event.details)
    assert world.EMAIL not in str(event.details)
    missing = app.test_cli_runner().invoke(args=["candidates", "export", "999999"])
    assert missing.exit_code == 1
    assert "No such candidate" in missing.output


def test_dp3_export_page_is_admin_only_and_needs_a_recent_password(
        app: Any, planted: dict[str, Any]) -> None:
    url = f"/privacy/candidates/{planted['candidate']}/export"
    recruiter = app.test_client()
    login(recruiter, "recruiter@example.com")
    assert recruiter.post(url).status_code == 403
    stale = _admin(app, fresh=False)
    response = stale.post(url, headers={"Referer": "/privacy"})
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]
    admin = _admin(app)
    page = admin.get(f"/privacy/candidates/{planted['candidate']}")
    assert page.status_code == 200
    assert "Download JSON" in page.get_data(as_text=True)
    response = admin.post(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert json.loads(response.data)["candidate"]["name"] == world.NAME


# ---------------------------------------------------------------------------- DP-4 erasure


def test_dp4_erasure_through_the_page_leaves_no_trace_in_any_text_column(
        app: Any, planted: dict[str, Any]) -> None:
    admin = _admin(app)
    url = f"/privacy/candidates/{planted['candidate']}/erase"
    # The number must be typed again.
    refused = admin.post(url, data={"confirm": "yes"})
    assert refused.status_code == 302
    engine = database.get_database(app).engine
    assert world.search_everywhere(engine, [world.NAME])
    response = admin.post(url, data={"confirm": str(planted["candidate"])})
    assert response.status_code == 302
    assert "Erased candidate" in admin.get(response.headers["Location"]).get_data(as_text=True)
    hits = world.search_everywhere(engine, [world.NAME, world.EMAIL, world.PHONE])
    assert hits == []
    with app.app_context(), database.read_session() as session:
        other = session.get(Candidate, planted["other"])
        assert other.notes == "Referred by [erased] ([erased])."  # another person's notes
        assert other.name == "Bartholomew Ekwueme"  # untouched
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate.erased"))
    assert event.subject_id == str(planted["candidate"])
    assert event.details["reason"] == "request"
    assert event.details["rows"]["scorecards"] == 2
    assert event.details["rows"]["candidate_documents"] == 1
    blob = json.dumps(event.details)
    for needle in (world.NAME, world.EMAIL, world.PHONE, "Zelda"):
        assert needle not in blob


def test_dp4_erased_candidate_is_gone_from_every_candidate_table_and_upload(
        app: Any, planted: dict[str, Any]) -> None:
    result = app.test_cli_runner().invoke(args=["candidates", "erase", str(planted["candidate"]),
                                                "--actor", "admin@example.com"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Erased candidate {planted['candidate']}: ")
    assert world.NAME not in result.output
    assert world.EMAIL not in result.output
    with app.app_context(), database.read_session() as session:
        for table in privacy.candidate_graph().tables:
            # Only the other candidate's rows remain.
            for row in session.execute(select(table)).mappings():
                assert planted["candidate"] not in (row.get("candidate_id"), row.get("id")) \
                    or table.name not in ("candidates", "candidate_documents")
                assert row.get("application_id") not in (planted["application"],
                                                         planted["hired"])
        assert session.scalar(select(func.count()).select_from(
            Base.metadata.tables["candidate_documents"])) == 0
        assert session.scalar(select(func.count()).select_from(
            Base.metadata.tables["pending_forms"])) == 0


def test_dp4_legal_hold_blocks_erasure_with_409_and_is_audited(
        app: Any, planted: dict[str, Any]) -> None:
    admin = _admin(app)
    candidate_id = planted["candidate"]
    assert admin.post(f"/privacy/candidates/{candidate_id}/legal-hold",
                      data={"on": "1"}).status_code == 302
    response = admin.post(f"/privacy/candidates/{candidate_id}/erase",
                          data={"confirm": str(candidate_id)})
    assert response.status_code == 409
    assert "legal hold" in response.get_data(as_text=True)
    cli = app.test_cli_runner().invoke(args=["candidates", "erase", str(candidate_id),
                                             "--actor", "admin@example.com"])
    assert cli.exit_code == 1
    assert "legal hold" in cli.output
    with app.app_context(), database.read_session() as session:
        assert session.get(Candidate, candidate_id) is not None
        refusals = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "candidate.erased")).all()
    assert [e.outcome for e in refusals] == ["refused", "refused"]
    # Lifted: erasure goes through.
    admin.post(f"/privacy/candidates/{candidate_id}/legal-hold", data={"on": "0"})
    assert admin.post(f"/privacy/candidates/{candidate_id}/erase",
                      data={"confirm": str(candidate_id)}).status_code == 302


def test_dp4_only_an_admin_with_a_fresh_password_erases(app: Any,
                                                        planted: dict[str, Any]) -> None:
    url = f"/privacy/candidates/{planted['candidate']}/erase"
    data = {"confirm": str(planted["candidate"])}
    for role in ("recruiter", "hiring_manager", "interviewer", "auditor"):
        client = app.test_client()
        login(client, f"{role}@example.com")
        with client.session_transaction() as session:
            session["reauth_at"] = 10**12
        assert client.post(url, data=data).status_code == 403
    stale = _admin(app, fresh=False)
    assert "/reauth" in stale.post(url, data=data).headers["Location"]
    bad = app.test_cli_runner().invoke(args=["candidates", "erase", str(planted["candidate"]),
                                             "--actor", "recruiter@example.com"])
    assert bad.exit_code == 1
    assert "administrator" in bad.output
    with app.app_context(), database.read_session() as session:
        assert session.get(Candidate, planted["candidate"]) is not None


def test_dp4_sqlite_file_and_log_keep_no_bytes_of_the_erased_person(
        app: Any, planted: dict[str, Any]) -> None:
    """Beyond the rows: deleted content is overwritten (secure_delete) and the WAL truncated."""
    from pathlib import Path

    result = app.test_cli_runner().invoke(args=["candidates", "erase", str(planted["candidate"]),
                                                "--actor", "admin@example.com"])
    assert result.exit_code == 0, result.output
    database.get_database(app).dispose()
    path = Path(app.config["DATABASE_URL"].removeprefix("sqlite:///"))
    blobs = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for needle in (world.EMAIL, world.PHONE, world.NAME):
        assert needle.encode() not in blobs
        assert needle.lower().encode() not in blobs


# ---------------------------------------------------------------------------- DP-2 retention


def _aggregates(app: Any, requisition_ids: list[int], admin_id: int) -> dict[str, Any]:
    from hiring.models import User
    from hiring.operations.impact import impact_report
    from hiring.operations.reports import calibration_report, independent_ratings, report_scope

    with app.app_context(), database.read_session() as session:
        audit = session.scalar(select(func.count(AuditEvent.id)))
        runs = session.scalars(select(ScoringRun.id).order_by(ScoringRun.id)).all()
        impact = []
        for requisition_id in requisition_ids:
            report = impact_report(session, requisition_id=requisition_id)
            impact.append({k: report[k] for k in ("applicants", "self_identified",
                                                  "selection", "scoring")})
        ratings = sorted(independent_ratings(session, requisition_ids))
        calibration = []
        for requisition_id in requisition_ids:
            scope = report_scope(session, session.get(User, admin_id),
                                 requisition_id=requisition_id)
            report = calibration_report(session, scope, overdue_hours=24)
            # Drafts are unfinished work, not an aggregate: erasure lets them go.
            calibration.append([{k: v for k, v in row.items() if k != "drafts"}
                                for row in report["rows"]])
    return {"audit": audit, "runs": runs, "impact": impact, "ratings": ratings,
            "calibration": calibration}


def test_dp2_retention_run_with_a_frozen_clock(app: Any, users: dict[str, Any]) -> None:
    """One expired application erases; two applications erase only when both expired; a legal
    hold is skipped; an open application keeps the person; aggregates stay."""
    with app.app_context(), database.write_session() as session:
        ids = world.build(session, closed_days_ago=10)
        make = Factory(session)
        manager = make.user("hiring_manager", email="retention-hm@example.com")
        short = make.requisition(manager, title="Short retention", retention_days=30)
        long = make.requisition(manager, title="Long retention", retention_days=400)
        start = datetime.now(UTC)

        def closed(person: Any, requisition: Any, days: int, stage: str = "rejected") -> Any:
            application = make.application(person, requisition, stage=stage)
            application.closed_at = start - timedelta(days=days)
            return application

        expired = make.candidate(name="Expired Person")
        closed(expired, short, 31)
        mixed = make.candidate(name="Mixed Person")
        closed(mixed, short, 31)
        closed(mixed, long, 31, stage="withdrawn")  # expires on day 400
        held = make.candidate(name="Held Person", legal_hold=True)
        closed(held, short, 31)
        still_open = make.candidate(name="Open Person")
        closed(still_open, short, 31)
        make.application(still_open, long, stage="interviewing")
        session.flush()
        people = {"expired": expired.id, "mixed": mixed.id, "held": held.id,
                  "open": still_open.id}
        from hiring.operations.scoring import recompute_requisition

        for requisition_id in (ids["requisition"], ids["other_requisition"]):
            recompute_requisition(session, requisition_id, trigger="test")
    before = _aggregates(app, [ids["requisition"], ids["other_requisition"]],
                         users["admin"].id)
    # The world's person has a stored score with self-identification: the scoring rates have
    # something to keep.
    assert any(model["scored"] for report in before["impact"] for model in report["scoring"])

    runner = app.test_cli_runner()
    with freeze_time(start):
        dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"would erase candidate {people['expired']}" in dry.output
    assert "dry run: nothing changed" in dry.output
    with app.app_context(), database.read_session() as session:
        assert session.get(Candidate, people["expired"]) is not None

    with freeze_time(start):
        result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    assert f"erased candidate {people['expired']}:" in result.output
    assert f"skipped candidate {people['held']}: legal hold" in result.output
    assert "Expired Person" not in result.output
    with app.app_context(), database.read_session() as session:
        remaining = set(session.scalars(select(Candidate.id)))
    assert people["expired"] not in remaining
    assert {people["mixed"], people["held"], people["open"], ids["candidate"]} <= remaining

    # A year on, the world's person (closed 10 days before start, kept 365 days) and the mixed
    # person (kept 400 days) are due too; the hold still holds.
    with freeze_time(start + timedelta(days=371)):
        result = runner.invoke(args=["retention", "run"])
    assert result.exit_code == 0, result.output
    with app.app_context(), database.read_session() as session:
        remaining = set(session.scalars(select(Candidate.id)))
        hold_events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "retention.run")).all()
    assert ids["candidate"] not in remaining
    assert people["mixed"] not in remaining
    assert {people["held"], people["open"]} <= remaining
    assert len(hold_events) == 2
    assert all(e.actor_id is None for e in hold_events)

    after = _aggregates(app, [ids["requisition"], ids["other_requisition"]],
                        users["admin"].id)
    assert after["audit"] > before["audit"]  # appended to, never shrunk
    assert after["runs"] == before["runs"]  # scoring records untouched (kept six months)
    assert after["impact"] == before["impact"]  # selection and scoring statistics unchanged
    assert after["ratings"] == before["ratings"]  # reliability inputs unchanged
    assert after["calibration"] == before["calibration"]  # per-interviewer counts unchanged
    assert any(row["submitted"] for rows in before["calibration"] for row in rows)
    with app.app_context(), database.read_session() as session:
        counts = privacy.retained_counts(session, [ids["requisition"]])
    assert counts[ids["requisition"]]["applicants"]["all"] == 1
    assert counts[ids["requisition"]]["final_stage"]["rejected"] == 1
    assert counts[ids["requisition"]]["decision"]["reject"] == 1


def test_dp2_retention_page_previews_and_runs_for_admins(app: Any,
                                                         users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        manager = make.user("hiring_manager", email="retention-page@example.com")
        requisition = make.requisition(manager, retention_days=1)
        person = make.candidate(name="Paged Person")
        application = make.application(person, requisition, stage="withdrawn")
        application.closed_at = datetime.now(UTC) - timedelta(days=3)
        session.flush()
        person_id = person.id
    admin = _admin(app)
    page = admin.get("/privacy/retention").get_data(as_text=True)
    assert f"would erase candidate {person_id}" in page
    assert "Paged Person" not in page
    response = admin.post("/privacy/retention/run")
    assert response.status_code == 200
    assert f"erased candidate {person_id}" in response.get_data(as_text=True)
    auditor = app.test_client()
    login(auditor, "auditor@example.com")
    assert auditor.get("/privacy/retention").status_code == 403
