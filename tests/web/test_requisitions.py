"""Requisitions, plans with coverage checks, kits and scheduling through the web (issue 6)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from hiring import db as database
from hiring.models import (
    DomainDefault,
    DomainPack,
    Interview,
    KitVersion,
    OutboxMessage,
    PlanStep,
    Requisition,
)
from tests.conftest import Factory, login


@pytest.fixture
def bank(app: Any) -> dict[str, Any]:
    """A small bank: a 'data-scientist' profile at mid with two must-haves, and a domain pack."""
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        t1, t2, t3 = (make.competency(k) for k in ("ds-modelling", "ds-evaluation", "ds-sql"))
        s1 = make.competency("communication-non-experts", category="soft")
        s2 = make.competency("iterative-mindset", category="soft")
        d1 = make.competency("hc-clinical-data", category="domain")
        for c in (t1, t2, t3, s1, s2, d1):
            make.question(c, kind="technical", minutes=10)
            make.question(c, kind="situational", minutes=10)
        make.question(t1, kind="work-sample", minutes=30)
        make.profile([(t1, 3, 3, True), (t2, 3, 3, True), (t3, 2, 2, False),
                      (s1, 2, 3, False), (s2, 1, 2, False)], level="mid", key="data-scientist")
        pack = DomainPack(key="healthcare", name="Healthcare", description="Clinical data.",
                          content_hash="0" * 64)
        session.add(pack)
        session.flush()
        session.add(DomainDefault(domain_id=pack.id, competency_id=d1.id, level="mid",
                                  weight=2, bar=2))
        ids = {c.key: c.id for c in (t1, t2, t3, s1, s2, d1)}
    return ids


def _create(client: Any, users: dict[str, Any], **extra: Any) -> int:
    data = {"title": "Data scientist, pricing", "profile": "data-scientist", "level": "mid",
            "domains": ["healthcare"], "team_model": "hybrid",
            "hiring_manager": users["hiring_manager"].id, "headcount": 1, "location": "Berlin",
            "timezone": "Europe/Berlin", "retention_days": 365, "visibility": "after_own"}
    data.update(extra)
    response = client.post("/requisitions/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(re.search(r"/requisitions/(\d+)/plan", response.headers["Location"]).group(1))


def _session(app: Any) -> Any:
    return database.get_database(app).session(write=True)


def test_new_requisition_default_plan_covers_profile_and_packs(app: Any, client: Any,
                                                               users: Any, bank: Any) -> None:
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    page = client.get(f"/requisitions/{rid}/plan").get_data(as_text=True)
    assert "Every competency is the focus of an interview" in page
    with app.app_context():
        session = _session(app)
        requisition = session.get(Requisition, rid)
        from hiring.operations.requisitions import coverage_for

        _, report = coverage_for(session, requisition)
        assert report.ok
        assert bank["hc-clinical-data"] in {f.competency_id for s in requisition.steps
                                            for f in s.focus}
        # Every step has a kit with at least one question per focus competency.
        for step in requisition.steps:
            kit = session.scalar(select(KitVersion).where(KitVersion.step_id == step.id))
            kit_competencies = {i.question_version.question.competency_id for i in kit.items}
            assert {f.competency_id for f in step.focus} <= kit_competencies
        session.close()


def test_removing_an_interview_shows_gaps_and_blocks_opening(app: Any, client: Any,
                                                             users: Any, bank: Any) -> None:
    login(client, "recruiter@example.com")
    rid = _create(client, users, domains=[])
    with app.app_context():
        session = _session(app)
        steps = session.scalars(select(PlanStep).where(PlanStep.requisition_id == rid)).all()
        domainless = [s for s in steps if any(f.competency_id == bank["ds-modelling"]
                                              for f in s.focus)]
        session.close()
    for step in domainless:
        client.post(f"/requisitions/{rid}/plan/steps/{step.id}/delete")
    page = client.get(f"/requisitions/{rid}/plan").get_data(as_text=True)
    assert "uncovered" in page
    refused = client.post(f"/requisitions/{rid}/status", data={"status": "open"},
                          follow_redirects=True)
    assert "The plan leaves gaps" in refused.get_data(as_text=True)
    with app.app_context():
        session = _session(app)
        assert session.get(Requisition, rid).status == "draft"
        session.close()
    # A recruiter's reason is not enough: only the hiring manager may open with gaps.
    client.post(f"/requisitions/{rid}/status", data={"status": "open",
                                                     "uncovered_reason": "x"})
    client.post("/logout")
    login(client, "hiring_manager@example.com")
    client.post(f"/requisitions/{rid}/status",
                data={"status": "open", "uncovered_reason": "Modelling is assessed in the "
                                                            "take-home for this role."})
    with app.app_context():
        session = _session(app)
        requisition = session.get(Requisition, rid)
        assert requisition.status == "open"
        assert "take-home" in requisition.uncovered_reason
        session.close()


def test_hiring_manager_only_sees_own_requisitions(app: Any, client: Any, users: Any,
                                                   bank: Any) -> None:
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    client.post("/logout")
    with app.app_context():
        session = _session(app)
        other_manager = Factory(session).user("hiring_manager", email="hm2@example.com",
                                              password="correct horse battery staple")
        session.commit()
        session.close()
    login(client, "hm2@example.com")
    assert client.get(f"/requisitions/{rid}").status_code == 404
    assert client.get(f"/requisitions/{rid}/plan").status_code == 404
    assert "Data scientist, pricing" not in client.get("/requisitions").get_data(as_text=True)
    del other_manager


def _schedule(client: Any, rid: int, aid: int, step_id: int, interviewers: list[int],
              **extra: Any) -> Any:
    data = {"step": step_id, "date": "2030-03-02", "time": "10:30", "minutes": 60,
            "interviewers": interviewers, "location": "Room 4", "video_url": ""}
    data.update(extra)
    return client.post(f"/requisitions/{rid}/applications/{aid}/schedule", data=data)


def test_scheduling_freezes_kit_and_a_later_change_makes_new_version(
    app: Any, client: Any, users: Any, bank: Any
) -> None:
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    with app.app_context():
        session = _session(app)
        make = Factory(session)
        requisition = session.get(Requisition, rid)
        application = make.application(make.candidate(name="Grace Hopper"), requisition,
                                       stage="interviewing")
        step = requisition.steps[1]
        session.commit()
        aid, step_id = application.id, step.id
        session.close()
    response = _schedule(client, rid, aid, step_id, [users["interviewer"].id])
    assert response.status_code == 302
    with app.app_context():
        session = _session(app)
        interview = session.scalar(select(Interview))
        frozen_kit = interview.kit_version_id
        # Stored in UTC: 10:30 in the scheduler's zone (UTC by default in tests).
        assert interview.starts_at == datetime(2030, 3, 2, 10, 30, tzinfo=UTC)
        first_item = session.get(KitVersion, frozen_kit).items[0].question_version_id
        session.close()
    client.post(f"/requisitions/{rid}/plan/steps/{step_id}/kit",
                data={"op": "remove", "question_version_id": first_item})
    with app.app_context():
        session = _session(app)
        versions = session.scalars(select(KitVersion).where(KitVersion.step_id == step_id)
                                   .order_by(KitVersion.version_no)).all()
        assert len(versions) == 2
        assert session.scalar(select(Interview.kit_version_id)) == frozen_kit
        assert first_item in {i.question_version_id for i in versions[0].items}
        assert first_item not in {i.question_version_id for i in versions[1].items}
        # The interviewer got an invitation in the outbox (no SMTP configured).
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1
        session.close()


def test_interviewer_sees_own_interview_kit_and_others_get_404(app: Any, client: Any,
                                                               users: Any, bank: Any) -> None:
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    with app.app_context():
        session = _session(app)
        make = Factory(session)
        requisition = session.get(Requisition, rid)
        application = make.application(make.candidate(name="Ada Lovelace"), requisition)
        session.commit()
        aid, step_id = application.id, requisition.steps[0].id
        session.close()
    _schedule(client, rid, aid, step_id, [users["interviewer"].id])
    client.post("/logout")
    with app.app_context():
        session = _session(app)
        interview_id = session.scalar(select(Interview.id))
        session.close()
    login(client, "interviewer@example.com")
    mine = client.get("/interviews").get_data(as_text=True)
    assert "Ada Lovelace" in mine
    kit_page = client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert "What each rating looks like" in kit_page
    main = kit_page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert not re.search(r"\bbar\b", main, re.IGNORECASE)  # the bar is never shown
    ics = client.get(f"/interviews/{interview_id}/invite.ics")
    assert ics.mimetype == "text/calendar"
    assert "DTSTART:20300302T103000Z" in ics.get_data(as_text=True)
    client.post("/logout")
    login(client, "interviewer2@example.com")
    assert client.get(f"/interviews/{interview_id}").status_code == 404
    assert client.get(f"/interviews/{interview_id}/invite.ics").status_code == 404
    assert "Ada Lovelace" not in client.get("/interviews").get_data(as_text=True)


def test_video_link_must_be_http(app: Any, client: Any, users: Any, bank: Any) -> None:
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    with app.app_context():
        session = _session(app)
        make = Factory(session)
        requisition = session.get(Requisition, rid)
        application = make.application(make.candidate(), requisition)
        session.commit()
        aid, step_id = application.id, requisition.steps[0].id
        session.close()
    response = _schedule(client, rid, aid, step_id, [users["interviewer"].id],
                         video_url="javascript:alert(1)")
    assert response.status_code == 400
    assert "must start with http" in response.get_data(as_text=True)


def test_stale_settings_save_answers_409_and_keeps_input(app: Any, client: Any, users: Any,
                                                         bank: Any) -> None:
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    form = {"title": "First edit", "team_model": "hybrid", "headcount": 2, "location": "Berlin",
            "timezone": "Europe/Berlin", "retention_days": 365, "visibility": "after_own",
            "version": 1}
    assert client.post(f"/requisitions/{rid}/settings", data=form).status_code == 302
    stale = dict(form, title="My stale but precious title")
    response = client.post(f"/requisitions/{rid}/settings", data=stale)
    assert response.status_code == 409
    assert "My stale but precious title" in response.get_data(as_text=True)
    assert "First edit" in response.get_data(as_text=True)


def test_adding_a_focus_competency_keeps_the_existing_ones(app: Any, client: Any, users: Any,
                                                           bank: Any) -> None:
    """Found by the browser journey: saving a step with one more focus competency used to
    fail with a unique-constraint error (the kept row was re-inserted before the delete)."""
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    with app.app_context():
        session = _session(app)
        step = session.get(Requisition, rid).steps[0]
        kept = [f.competency_id for f in step.focus]
        added = next(cid for cid in bank.values() if cid not in kept)
        sid, version, name, minutes = step.id, step.version, step.name, step.minutes
        session.close()
    response = client.post(f"/requisitions/{rid}/plan/steps/{sid}", data={
        f"s{sid}-name": name, f"s{sid}-minutes": minutes, f"s{sid}-version": version,
        f"s{sid}-focus": [*kept, added]})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        session = _session(app)
        focus = {f.competency_id for f in session.get(PlanStep, sid).focus}
        session.close()
    assert focus == {*kept, added}


def test_invitations_are_emailed_when_smtp_is_configured(app: Any, client: Any, users: Any,
                                                         bank: Any, monkeypatch: Any) -> None:
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: int) -> None:
            self.host, self.port = host, port

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: Any) -> None:
            return None

        def starttls(self) -> None:
            return None

        def login(self, user: str, password: str) -> None:
            return None

        def send_message(self, message: Any) -> None:
            sent.append(message)

    import smtplib

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config["SMTP_URL"] = "smtp://127.0.0.1:2525"
    login(client, "recruiter@example.com")
    rid = _create(client, users)
    with app.app_context():
        session = _session(app)
        make = Factory(session)
        requisition = session.get(Requisition, rid)
        application = make.application(make.candidate(), requisition)
        session.commit()
        aid, step_id = application.id, requisition.steps[0].id
        session.close()
    assert _schedule(client, rid, aid, step_id, [users["interviewer"].id]).status_code == 302
    assert len(sent) == 1
    assert sent[0]["To"] == "interviewer@example.com"
    assert any(part.get_content_type() == "text/calendar" for part in sent[0].iter_attachments())
    with app.app_context():
        session = _session(app)
        assert session.scalar(select(OutboxMessage.sent_at)) is not None
        session.close()
