"""Hostile input (SECURITY.md WEB-2, IN-1, IN-3, IN-4): XSS payloads in every text field a user
can write, checked on every page; reflected input; malformed files refused whole.

The crawl plants ``"><svg onload=alert(N)>`` (a different N per field) in every user-writable text
field, then fetches every GET route of the URL map as every role, with the ids of the planted
records, and asserts that no HTML page contains the payload unescaped, that every field was
seen escaped somewhere, and that the candidate name (SECURITY.md's example) is escaped on every
page that shows it. PDFs: ``tests/unit/test_packets_render.py`` (hostile text prints literally).
Oversized bodies: ``tests/web/test_security_web.py`` (IN-1, on gunicorn too).
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from hiring import create_app
from hiring import db as database
from hiring.models import (
    Candidate,
    CandidateDocument,
    CompetencyRating,
    Decision,
    KitItem,
    PanelUnlock,
    QuestionNote,
    QuestionVersion,
    RankingMove,
    ScorecardAmendment,
    StageChange,
)
from tests.conftest import PASSWORD, Factory, login, make_test_config

ROLES = ("admin", "recruiter", "hiring_manager", "interviewer", "interviewer2", "auditor")
FIELDS = ("candidate name", "candidate notes", "candidate location", "candidate source",
          "requisition title", "requisition location", "plan step name", "scorecard takeaways",
          "rating evidence", "question note", "question prompt (admin editor)",
          "decision rationale", "stage change reason", "ranking move reason",
          "amendment reason", "panel unlock reason", "interview location", "user name",
          "document file name")
PAYLOADS = {field: f'"><svg onload=alert({n})>' for n, field in enumerate(FIELDS, start=1)}
RAW = re.compile(r"<svg\s+onload", re.IGNORECASE)
EXPECTED_NAME_PAGES = {"candidates.detail", "candidates.index", "candidates.board",
                       "ranking.index", "ranking.explanation", "debrief.show",
                       "interviews.detail", "interviews.mine", "scorecards.show",
                       "privacy.candidate", "requisitions.detail"}


def _escaped(payload: str) -> str:
    return payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")[
        payload.index("<") + 3:].split("&gt;")[0]


def _seen(body: str, payload: str) -> bool:
    number = re.search(r"alert\((\d+)\)", payload).group(1)
    return f"&lt;svg onload=alert({number})&gt;" in body


@pytest.fixture
def hostile(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Every user-writable text field holds its payload; both panel members submitted."""
    p = PAYLOADS
    admin = app.test_client()
    login(admin, "admin@example.com")
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        competency = make.competency("hostile-modelling")
        profile = make.profile([(competency, 3, 3, True)], key="hostile-role")
    created = admin.post("/bank/questions/new", data={
        "public_id": "hostile-q-1", "competency": "hostile-modelling", "kind": "technical",
        "levels": ["mid"], "minutes": "10", "prompt": p["question prompt (admin editor)"] + " How?",
        "follow_ups": "Why?\nWhat else?", "signals": "a\nb\nc", "red_flags": "x\ny"})
    assert created.status_code == 302, re.findall(r'class="error[^>]*>([^<]*)',
                                                  created.get_data(as_text=True))
    public_id = created.headers["Location"].rsplit("/", 1)[1]
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        requisition = make.requisition(users["hiring_manager"], profile,
                                       title=p["requisition title"],
                                       location=p["requisition location"], status="open")
        step = make.plan_step(requisition, [competency], name=p["plan step name"])
        question = session.scalar(select(QuestionVersion).join(QuestionVersion.question)
                                  .where(text("questions.public_id = :p")).params(p=public_id))
        kit = step.kit_versions[0]
        session.add(KitItem(kit_version_id=kit.id, question_version_id=question.id,
                            position=1))
        person = make.candidate(name=p["candidate name"], notes=p["candidate notes"],
                                location=p["candidate location"], source=p["candidate source"])
        application = make.application(person, requisition, stage="debrief")
        session.add(StageChange(application_id=application.id, from_stage="applied",
                                to_stage="debrief", actor_id=users["hiring_manager"].id,
                                reason_text=p["stage change reason"]))
        session.add(Decision(application_id=application.id, kind="advance",
                             to_stage="debrief", rationale=p["decision rationale"],
                             actor_id=users["hiring_manager"].id))
        other = make.application(make.candidate(name="Plain Person"), requisition,
                                 stage="rejected")
        session.add(StageChange(application_id=other.id, from_stage="applied",
                                to_stage="rejected", actor_id=users["recruiter"].id,
                                reason_code="other", reason_text="Not this time."))
        odd = make.user("interviewer", email="odd@example.com", name=p["user name"],
                        password=PASSWORD)
        interview = make.interview(application, step,
                                   [users["interviewer"], users["interviewer2"], odd],
                                   starts_at=datetime.now(UTC) - timedelta(days=1))
        interview.location = p["interview location"]
        interview.video_url = "javascript:alert('video')"
        cards = []
        for person_ in (users["interviewer"], users["interviewer2"]):
            card = make.scorecard(interview, person_, status="submitted",
                                  submitted_at=datetime.now(UTC), recommendation="yes",
                                  takeaways=p["scorecard takeaways"])
            session.add(CompetencyRating(scorecard_id=card.id, competency_id=competency.id,
                                         rating=3, evidence=p["rating evidence"]))
            session.add(QuestionNote(scorecard_id=card.id, question_version_id=question.id,
                                     note=p["question note"], rating=3))
            cards.append(card)
        session.add(ScorecardAmendment(scorecard_id=cards[0].id,
                                       author_id=users["interviewer"].id,
                                       reason=p["amendment reason"],
                                       changes={str(competency.id): {
                                           "rating": 3, "not_assessed_reason": None,
                                           "evidence": p["rating evidence"]}}))
        session.add(PanelUnlock(interview_id=interview.id, interviewer_id=odd.id,
                                actor_id=users["hiring_manager"].id,
                                reason=p["panel unlock reason"]))
        session.add(RankingMove(requisition_id=requisition.id, application_id=application.id,
                                actor_id=users["hiring_manager"].id, from_position=2,
                                to_position=1, basis="score", reason=p["ranking move reason"],
                                order_ids=[application.id, other.id]))
        session.add(CandidateDocument(candidate_id=person.id, stored_name="hostile-doc",
                                      filename=p["document file name"][:200] + ".pdf",
                                      content_type="application/pdf", size=9,
                                      data=b"%PDF-1.4\n", uploaded_by_id=users["recruiter"].id))
        session.flush()
        from hiring.operations.scoring import recompute_application

        recompute_application(session, application.id, trigger="test")
        code = session.scalar(text("SELECT short_code FROM interview_assignments WHERE "
                                   "interviewer_id = :u"), {"u": users["interviewer"].id})
        from hiring.models import User
        from hiring.operations.notice import issue_link

        _, token = issue_link(session, application, actor=session.get(User, users["recruiter"].id),
                              secret_key=app.config["SECRET_KEY"], days=7)
        return {"requisition_id": requisition.id, "application_id": application.id,
                "candidate_id": person.id, "interview_id": interview.id,
                "scorecard_id": cards[0].id, "step_id": step.id, "user_id": odd.id,
                "public_id": public_id, "stored_name": "hostile-doc", "code": code,
                "token": token, "level": "mid", "version": 1,
                "key": {"bank.competency": "hostile-modelling", "bank.role": "hostile-role",
                        "bank.domain": "none"},
                "role": "hostile-role"}


def _urls(app: Any, values: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or \
                rule.rule.endswith((".pdf", ".csv", ".ics", ".json")):
            continue  # not HTML (PDFs: the packet tests print hostile text literally)
        url = rule.rule
        for name in rule.arguments:
            value = values.get(name)
            if isinstance(value, dict):
                value = value.get(rule.endpoint)
            if value is None:
                break
            url = re.sub(r"<(?:[^:<>]+:)?" + name + r">", str(value), url)
        else:
            out.append((rule.endpoint, url))
    return out


def test_web2_payloads_in_every_text_field_are_escaped_on_every_page(
        app: Any, hostile: dict[str, Any]) -> None:
    urls = _urls(app, hostile)
    probes = [(endpoint, url) for endpoint, url in urls] + [
        (endpoint, f"{url}?q={PAYLOADS['candidate name']}&next={PAYLOADS['user name']}")
        for endpoint, url in urls]
    seen: dict[str, set[str]] = {field: set() for field in FIELDS}
    checked = 0
    for role in ROLES:
        client = app.test_client()
        login(client, f"{role}@example.com" if role != "interviewer2" else
              "interviewer2@example.com")
        with client.session_transaction() as session:
            session["reauth_at"] = 10**12
        for endpoint, url in probes:
            response = client.get(url)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            body = response.get_data(as_text=True)
            checked += 1
            assert not RAW.search(body), f"{role} {url}: an unescaped payload"
            assert 'href="javascript:' not in body.lower(), f"{role} {url}: javascript: link"
            for field, payload in PAYLOADS.items():
                if _seen(body, payload):
                    seen[field].add(endpoint)
    assert checked > 150
    missing = [field for field, pages in seen.items() if not pages]
    assert not missing, f"fields never shown on any page: {missing}"
    name_pages = seen["candidate name"]
    expected = {e for e in EXPECTED_NAME_PAGES if e in app.view_functions}
    assert expected <= name_pages, sorted(expected - name_pages)


def test_web2_posted_input_is_escaped_when_forms_come_back(
        tmp_path: Path, sqlite_template: Path) -> None:
    """Re-rendered forms, the CSRF failure page and the session-expired page put posted text back
    on the page: escaped, every time."""
    shutil.copyfile(sqlite_template, tmp_path / "h.db")
    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'h.db'}",
                                      WTF_CSRF_ENABLED=True))
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        manager = make.user("hiring_manager", email="hm@example.com", password=PASSWORD)
        make.user("recruiter", email="r@example.com", password=PASSWORD)
        requisition = make.requisition(manager, status="open")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    payload = PAYLOADS["candidate name"]
    reflected = client.post("/login", data={"email": payload, "password": "x",
                                            "csrf_token": token})
    assert not RAW.search(reflected.get_data(as_text=True))
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": "r@example.com", "password": PASSWORD,
                                "csrf_token": token})
    no_token = client.post(f"/requisitions/{requisition.id}/candidates/new",
                           data={"name": payload, "email": "not an address",
                                 "notes": payload})
    assert no_token.status_code == 400
    body = no_token.get_data(as_text=True)
    assert _seen(body, payload)
    assert not RAW.search(body)
    form = client.get(f"/requisitions/{requisition.id}/candidates/new").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    invalid = client.post(f"/requisitions/{requisition.id}/candidates/new",
                          data={"name": payload, "email": "not an address", "notes": payload,
                                "csrf_token": token})
    assert invalid.status_code in (200, 400)
    body = invalid.get_data(as_text=True)
    assert _seen(body, payload)
    assert not RAW.search(body)


# ---------------------------------------------------------------------------- malformed files


def _count(app: Any, model: Any) -> int:
    with app.app_context(), database.read_session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(("content", "message"), [
    (b"name,email\nAda,ada@example.com\nBad,\x00nul@example.com\n", "control character"),
    (b"name,email\n\xff\xfeAda,ada@example.com\n", "not UTF-8"),
    (b'name,email\n"Ada,ada@example.com\n', "double quotes"),
    (b"name,email,password\nAda,ada@example.com,x\n", "unknown column"),
    (b"name,email\nAda,ada@example.com\nBob,not-an-address\nCyd,cyd@example.com\n",
     "not a valid e-mail"),
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "UTF-8"),
])
def test_in3_malformed_csv_is_refused_whole_with_a_clear_message(
        app: Any, users: dict[str, Any], content: bytes, message: str) -> None:
    with app.app_context(), database.write_session() as session:
        requisition = Factory(session).requisition(users["hiring_manager"], status="open")
    before = _count(app, Candidate)
    client = app.test_client()
    login(client, "recruiter@example.com")
    response = client.post(f"/requisitions/{requisition.id}/import",
                           data={"file": (io.BytesIO(content), "people.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert message.lower() in response.get_data(as_text=True).lower()
    assert _count(app, Candidate) == before


@pytest.mark.parametrize(("content", "name"), [
    (b"", "empty.pdf"),
    (b"%PDF", "truncated.pdf"),
    (b"PK\x03\x04garbage-not-a-zip", "broken.docx"),
    (b"GIF89a" + b"\x00" * 32, "picture.pdf"),
    (b"#!/bin/sh\nrm -rf /\n", "script.pdf"),
])
def test_in2_malformed_uploads_are_refused_with_a_message_and_nothing_stored(
        app: Any, users: dict[str, Any], content: bytes, name: str) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        requisition = make.requisition(users["hiring_manager"], status="open")
        person = make.candidate()
        make.application(person, requisition)
    client = app.test_client()
    login(client, "recruiter@example.com")
    response = client.post(f"/candidates/{person.id}/documents",
                           data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 400, name
    body = response.get_data(as_text=True)
    assert re.search(r"PDF|Word|empty|file", body)
    assert _count(app, CandidateDocument) == 0


def test_in4_malformed_yaml_in_the_bank_is_refused_and_nothing_stored(app: Any,
                                                                       tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    for folder in ("competencies", "roles", "domains", "questions"):
        (bank / folder).mkdir(parents=True)
    (bank / "competencies" / "a.yaml").write_text(
        "competencies:\n  - &loop\n    key: looping\n    name: *loop\n")
    (bank / "questions" / "b.yaml").write_text("questions: !!binary aGVsbG8=\n")
    (bank / "roles" / "c.yaml").write_text("roles:\n  - key: r\n    key: r2\n")
    result = app.test_cli_runner().invoke(args=["bank", "load", str(bank)])
    assert result.exit_code == 1
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        assert re.search(rf"{name}:\d+: ", result.output), name
    from hiring.models import Competency

    assert _count(app, Competency) == 0
