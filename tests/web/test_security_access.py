"""Access control beyond the role table (SECURITY.md AUTH-4, AUTHZ-3, AUTHZ-5, PDF-4, AI-4, DP-1).

The role x action table itself is swept over every route in ``tests/web/test_policy.py``
(AUTHZ-1, AUTHZ-2, AUTHZ-6); independence (AUTHZ-4) in ``tests/web/test_scorecards.py`` and
``tests/web/test_debrief.py``; the state-machine property test in
``tests/web/test_authz_properties.py``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text

from hiring import db as database
from hiring.auth import require_recent_auth
from hiring.models import (
    CandidateDocument,
    CompetencyRating,
    QuestionNote,
    Scorecard,
    User,
)
from tests.conftest import PASSWORD, Factory, login

MARKER = "owned-by-a-7f3c"
OBJECT_PARAMS = {"requisition_id", "application_id", "candidate_id", "interview_id",
                 "scorecard_id", "step_id", "interviewer_id", "stored_name", "code"}
# Tables whose rows an outsider's request must leave exactly as they were.
WATCHED = ("candidates", "applications", "stage_changes", "interviews", "interview_assignments",
           "scorecards", "competency_ratings", "question_notes", "scorecard_amendments",
           "decisions", "outcomes", "candidate_documents", "requisitions", "plan_steps",
           "kit_versions", "panel_unlocks", "notice_links", "scores", "ranking_moves",
           "self_identifications", "users", "user_roles")


@pytest.fixture
def owned(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Interviewer A's interview of a candidate (with a draft scorecard holding a marker) on the
    hiring manager's requisition; interviewer B has an interview of someone else."""
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        competency = make.competency("sec-modelling")
        profile = make.profile([(competency, 2, 3, False)])
        requisition = make.requisition(users["hiring_manager"], profile, title="Owned req")
        step = make.plan_step(requisition, [competency])
        question = make.question(competency)
        person = make.candidate(name="Alice Owned")
        application = make.application(person, requisition)
        interview = make.interview(application, step, [users["interviewer"]])
        card = make.scorecard(interview, users["interviewer"], takeaways=MARKER)
        session.add(CompetencyRating(scorecard_id=card.id, competency_id=competency.id,
                                     rating=3, evidence=MARKER))
        session.add(QuestionNote(scorecard_id=card.id, question_version_id=question.id,
                                 note=MARKER))
        document = CandidateDocument(candidate_id=person.id, stored_name="sec-doc-a",
                                     filename="a.pdf", content_type="application/pdf", size=9,
                                     data=b"%PDF-1.4\n", uploaded_by_id=users["recruiter"].id)
        session.add(document)
        other_requisition = make.requisition(users["hiring_manager"], profile)
        other_step = make.plan_step(other_requisition, [competency])
        other = make.application(make.candidate(name="Bob Other"), other_requisition)
        make.interview(other, other_step, [users["interviewer2"]])
        session.flush()
        short_code = session.scalar(text(
            "SELECT short_code FROM interview_assignments WHERE interview_id = :i"),
            {"i": interview.id})
        foreign = make.user("hiring_manager", email="foreign-hm@example.com",
                            password=PASSWORD)
        return {"requisition_id": requisition.id, "application_id": application.id,
                "candidate_id": person.id, "interview_id": interview.id,
                "scorecard_id": card.id, "step_id": step.id,
                "interviewer_id": users["interviewer"].id, "stored_name": "sec-doc-a",
                "code": short_code, "foreign": foreign.id}


def _snapshot(app: Any) -> dict[str, list[Any]]:
    with app.app_context(), database.read_session() as session:
        return {table: [tuple(r) for r in session.execute(
            text(f"SELECT * FROM {table} ORDER BY 1"))]  # noqa: S608 - fixed table names
            for table in WATCHED}


def _object_routes(app: Any, values: dict[str, Any]) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        arguments = set(rule.arguments)
        if not arguments or not arguments <= OBJECT_PARAMS:
            continue
        url = rule.rule
        for name in arguments:
            url = re.sub(r"<(?:[^:<>]+:)?" + name + r">", str(values[name]), url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, url))
    return routes


@pytest.mark.parametrize("outsider", ["interviewer2@example.com", "foreign-hm@example.com"])
def test_authz3_outsiders_get_403_or_404_on_every_object_route_and_nothing_changes(
        app: Any, owned: dict[str, Any], outsider: str) -> None:
    """An IDOR sweep generated from the URL map: interviewer B (and a hiring manager of other
    requisitions) asks for A's interview, scorecard, candidate, document, short code, packet...
    by id, with every method; each answer is 403 or 404, never A's data, and no row changes."""
    before = _snapshot(app)
    client = app.test_client()
    login(client, outsider)
    with client.session_transaction() as session:
        session["reauth_at"] = 10**12  # a fresh password: only ownership may stop them
    routes = _object_routes(app, owned)
    assert len(routes) >= 25
    form = {"takeaways": "overwritten", "reason": "x", "rationale": "x", "kind": "reject",
            "to_stage": "rejected", "reason_code": "other", "reason_text": "x", "confirm": "1",
            "name": "Mallory", "email": "m@example.com", "recommendation": "yes",
            "action": "submit", "position": "1", "requested": "1", "on": "1",
            "competency_id": "1", "rating": "4", "evidence": "x"}
    missing = {name: ("ZZZZ-ZZZZ" if name == "code" else "no-such-document"
                      if name == "stored_name" else 999999) for name in OBJECT_PARAMS}
    ghosts = {(e, m): u for e, m, u in _object_routes(app, missing)}

    def body(response: Any, values: dict[str, Any]) -> str:
        page = re.sub(r"[0-9a-f]{16}", "", response.get_data(as_text=True))  # request ids
        for value in values.values():
            page = page.replace(str(value), "")
        return page

    for endpoint, method, url in routes:
        response = client.open(url, method=method, data=form if method == "POST" else None)
        assert MARKER not in response.get_data(as_text=True)
        if response.status_code in (403, 404):
            continue
        # Otherwise the answer must be exactly the one for an id that does not exist.
        ghost = client.open(ghosts[(endpoint, method)], method=method,
                            data=form if method == "POST" else None)
        names = next(r.arguments for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        assert (response.status_code, body(response, {n: owned[n] for n in names})) == \
            (ghost.status_code, body(ghost, {n: missing[n] for n in names})), \
            f"{outsider} {method} {url} ({endpoint}) answered {response.status_code}"
    assert _snapshot(app) == before


def test_authz5_access_deciding_fields_come_from_the_server_never_the_request(
        app: Any, owned: dict[str, Any], users: dict[str, Any]) -> None:
    """Posted interviewer, status, submitted_at, candidate, role and hold fields are ignored."""
    client = app.test_client()
    login(client, "interviewer@example.com")
    response = client.post(f"/interviews/{owned['interview_id']}/scorecard", data={
        "action": "save", "takeaways": "Saved by A.",
        "interviewer_id": str(users["interviewer2"].id), "status": "submitted",
        "submitted_at": "2020-01-01T00:00:00", "interview_id": "999", "id": "999",
        "version": "", "recommendation": ""})
    assert response.status_code == 302, response.status_code  # saved: on to the saved page
    assert "saved=" in response.headers["Location"]
    with app.app_context(), database.read_session() as session:
        card = session.get(Scorecard, owned["scorecard_id"])
        assert (card.interviewer_id, card.status, card.submitted_at, card.interview_id) == \
            (users["interviewer"].id, "draft", None, owned["interview_id"])
        assert card.takeaways == "Saved by A."
    recruiter = app.test_client()
    login(recruiter, "recruiter@example.com")
    edit = recruiter.get(f"/candidates/{owned['candidate_id']}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', edit).group(1)
    recruiter.post(f"/candidates/{owned['candidate_id']}/edit", data={
        "name": "Alice Owned", "email": "alice@example.com", "version": version,
        "legal_hold": "1", "created_at": "2000-01-01", "id": "1"})
    own = app.test_client()
    login(own, "auditor@example.com")
    own.post("/account/password", data={"current": PASSWORD, "new": PASSWORD + "!",
                                        "confirm": PASSWORD + "!", "roles": "admin",
                                        "role": "admin", "active": "0"})
    with app.app_context(), database.read_session() as session:
        from hiring.models import Candidate

        person = session.get(Candidate, owned["candidate_id"])
        assert person.legal_hold is False
        assert person.created_at.year > 2000
        auditor = session.get(User, users["auditor"].id)
        assert auditor.role_names == {"auditor"}
        assert auditor.active


DANGEROUS = {"admin.user_detail", "admin.disable", "admin.enable", "admin.reset",
             "candidates.export_csv", "ranking.export", "models.adopt", "privacy.export",
             "privacy.erase", "privacy.legal_hold", "privacy.retention_run"}


def test_auth4_dangerous_actions_need_a_password_entered_within_the_limit(
        app: Any, owned: dict[str, Any], users: dict[str, Any]) -> None:
    """Erasure, exports, role changes and model adoption are wrapped in the re-authentication
    check, which reads a stored timestamp: logging in counts, N+1 minutes later it does not."""
    marker = require_recent_auth(lambda: None).__code__
    wrapped = {endpoint for endpoint, view in app.view_functions.items()
               if getattr(view, "__code__", None) is marker}
    assert wrapped >= DANGEROUS
    assert {"reports.impact_csv"} <= wrapped  # auditors' export too
    limit = app.config["REAUTH_MINUTES"]
    start = datetime.now(UTC)
    client = app.test_client()
    with freeze_time(start):
        login(client, "admin@example.com")
        url = f"/admin/users/{users['recruiter'].id}"
        assert client.get(url).status_code == 200  # the login itself was the password entry
    with freeze_time(start + timedelta(minutes=limit + 1)):
        response = client.get(url)
        assert response.status_code == 302
        assert "/reauth" in response.headers["Location"]
        refused = client.post("/reauth", data={"password": "wrong password", "next": url})
        assert refused.status_code == 200
        assert "not right" in refused.get_data(as_text=True)
        confirmed = client.post("/reauth", data={"password": PASSWORD, "next": url})
        assert confirmed.headers["Location"] == url
        assert client.get(url).status_code == 200


def test_auth4_no_built_in_accounts_and_the_first_admin_comes_from_the_command(
        app: Any) -> None:
    with app.app_context(), database.read_session() as session:
        assert session.scalars(select(User)).all() == []  # a migrated database has no users
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "first@example.org",
                                 "--name", "First Admin", "--role", "admin"])
    assert result.exit_code == 0, result.output
    one_time = result.output.rsplit(": ", 1)[1].strip()
    client = app.test_client()
    assert login(client, "first@example.org", one_time).status_code == 302
    assert client.get("/").headers["Location"].endswith("/account/password")
    app.config["HIRING_ENV"] = "production"
    refused = runner.invoke(args=["demo", "load"])
    assert refused.exit_code == 1
    assert "refused" in refused.output


def test_pdf4_packets_follow_the_pages_permissions(app: Any, owned: dict[str, Any],
                                                   users: dict[str, Any]) -> None:
    """Packet downloads are object routes like any other (swept by the AUTHZ-3 test above for
    outsiders: 403/404 on someone else's interview, debrief and loop packets); the score block of
    a debrief packet is withheld exactly where pages withhold it: from a panel member who has not
    submitted (AUTHZ-4) and when scores are hidden. Notes in the PDF itself:
    ``tests/web/test_packets_web.py::test_authz4_debrief_packet_hides_a_note_until_b_submits``."""
    from hiring.models import Application, Requisition
    from hiring.operations.ranking import packet_score_block
    from hiring.operations.scoring import recompute_application

    with app.app_context(), database.write_session() as session:
        card = session.get(Scorecard, owned["scorecard_id"])
        card.status, card.submitted_at, card.recommendation = "submitted", datetime.now(UTC), \
            "yes"
        session.flush()
        recompute_application(session, owned["application_id"], trigger="test")
        make = Factory(session)
        late = make.user("interviewer", email="late-panel@example.com")
        from hiring.models import Interview, InterviewAssignment

        interview = session.get(Interview, owned["interview_id"])
        session.add(InterviewAssignment(interview_id=interview.id, interviewer_id=late.id,
                                        short_code="LATE0001"))
        session.flush()
        application = session.get(Application, owned["application_id"])
        manager = session.get(User, users["hiring_manager"].id)
        assert packet_score_block(session, manager, application) is not None
        assert packet_score_block(session, session.get(User, late.id), application) is None
        session.get(Requisition, owned["requisition_id"]).hide_scores = True
        assert packet_score_block(session, manager, application) is None
        session.rollback()
    packet_routes = [r for r in app.url_map.iter_rules() if r.rule.endswith(".pdf")]
    assert packet_routes
    for rule in packet_routes:  # object routes (swept above), or the user's own day
        assert set(rule.arguments) <= OBJECT_PARAMS, rule.rule
        assert rule.arguments or rule.endpoint == "packets.day", rule.rule


def test_ai4_adverse_impact_report_is_auditor_only_and_exports_for_an_independent_auditor(
        app: Any, users: dict[str, Any], owned: dict[str, Any]) -> None:
    from hiring.models import SelfIdentification

    with app.app_context(), database.write_session() as session:
        session.add(SelfIdentification(application_id=owned["application_id"], sex="female"))
    for role in ("admin", "recruiter", "hiring_manager", "interviewer"):
        client = app.test_client()
        login(client, f"{role}@example.com")
        with client.session_transaction() as session:
            session["reauth_at"] = 10**12
        for url in ("/reports/impact", "/reports/impact.csv"):
            assert client.get(url).status_code == 403, (role, url)
    auditor = app.test_client()
    login(auditor, "auditor@example.com")
    page = auditor.get(f"/reports/impact?requisition={owned['requisition_id']}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Alice Owned" not in body  # aggregates only, never a person
    with auditor.session_transaction() as session:
        session["reauth_at"] = 10**12
    export = auditor.get(f"/reports/impact.csv?requisition={owned['requisition_id']}")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    result = app.test_cli_runner().invoke(args=["report", "impact", "--requisition",
                                                str(owned["requisition_id"]), "--json"])
    assert result.exit_code == 0, result.output
    assert '"selection"' in result.output
    assert "Alice Owned" not in result.output


def test_dp1_no_special_category_column_outside_the_self_identification_table() -> None:
    """Candidate, application and scorecard tables (everything holding candidate data) carry no
    sex, race, religion, health or similar column; self-identification is its own table,
    referenced by nothing."""
    from hiring.models import Base
    from hiring.operations.privacy import candidate_graph

    special = {"sex", "gender", "race", "ethnicity", "ethnic", "religion", "belief", "health",
               "disability", "disabled", "pregnancy", "sexual", "orientation", "union",
               "biometric", "genetic", "nationality", "birth", "birthdate", "dob", "age",
               "marital", "veteran", "demographics", "self"}
    for table in candidate_graph().tables:
        if table.name == "self_identifications":
            continue
        for column in table.columns:
            tokens = set(column.name.lower().split("_"))
            assert not tokens & special, f"{table.name}.{column.name}"
    referring = [t.name for t in Base.metadata.sorted_tables
                 for fk in t.foreign_keys if fk.column.table.name == "self_identifications"]
    assert referring == []


def test_dp1_self_identification_is_read_in_aggregate_by_auditors_only(app: Any) -> None:
    from hiring.policy import POLICY, Action

    assert POLICY[Action.IMPACT_REPORTS] == frozenset({"auditor"})
    # The only views reading it are the auditor's report pages and the candidate's own
    # notice form (public by token, write-only: it never shows stored answers).
    import inspect

    import hiring.views as views_package

    readers = []
    for module_name in ("admin", "auth", "bank", "candidates", "debrief", "interviews", "main",
                        "models", "notice", "privacy", "ranking", "reports", "requisitions",
                        "scorecards"):
        module = __import__(f"{views_package.__name__}.{module_name}", fromlist=["x"])
        if "SelfIdentification" in inspect.getsource(module):
            readers.append(module_name)
    assert set(readers) <= {"notice", "reports"}
