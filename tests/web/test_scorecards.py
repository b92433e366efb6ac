"""Scorecards: independent, anchored, evidence first, never lost (issue 7)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hiring import db as database
from hiring.models import PendingForm, Scorecard, ScorecardAmendment
from tests.conftest import PASSWORD, Factory, login

MARKER = "ZEBRA-MARKER-7731"


@pytest.fixture
def loop(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """One application with two interviews: A (interviewer) and B (interviewer2) on the first,
    the hiring manager and B on the second. Two focus competencies, one kit question each."""
    with app.app_context(), database.write_session() as session:
        from hiring.models import UserRole

        # A hiring manager who interviews holds the interviewer role too (scheduling requires it).
        session.add(UserRole(user_id=users["hiring_manager"].id, role="interviewer"))
        make = Factory(session)
        c1, c2 = make.competency("ds-modelling"), make.competency("ds-evaluation")
        q1, q2 = make.question(c1, prompt="Walk me through a model you shipped."), \
            make.question(c2, prompt="How did you choose the metric?")
        profile = make.profile([(c1, 3, 3, True), (c2, 2, 3, False)], level="mid")
        requisition = make.requisition(users["hiring_manager"], profile, level="mid",
                                       title="ML engineer")
        application = make.application(make.candidate(name="Katherine Johnson"), requisition)
        from hiring.models import KitItem, KitVersionFocus

        steps = []
        from hiring.models import KitVersion

        for name in ("Technical deep-dive", "Hiring-manager interview"):
            step = make.plan_step(requisition, [c1, c2], name=name)
            kit = session.scalar(select(KitVersion).where(KitVersion.step_id == step.id))
            kit.focus = [KitVersionFocus(competency_id=c1.id, position=0),
                         KitVersionFocus(competency_id=c2.id, position=1)]
            kit.items = [KitItem(question_version_id=q1.id, position=0),
                         KitItem(question_version_id=q2.id, position=1)]
            steps.append(step)
        first = make.interview(application, steps[0], [users["interviewer"], users["interviewer2"]])
        second = make.interview(application, steps[1],
                                [users["hiring_manager"], users["interviewer2"]])
        ids = {"c1": c1.id, "c2": c2.id, "q1": q1.id, "q2": q2.id, "first": first.id,
               "second": second.id, "application": application.id,
               "requisition": requisition.id}
        session.flush()
        ids["codes"] = {(a.interview_id, a.interviewer_id): a.short_code
                        for i in (first, second) for a in i.assignments}
    return ids


def complete(loop: dict[str, Any], note: str = "Solid reasoning.", **extra: Any) -> dict[str, Any]:
    data = {
        f"qnote_{loop['q1']}": note, f"qrating_{loop['q1']}": "3",
        f"qnote_{loop['q2']}": "Chose PR-AUC for the rare class.", f"qrating_{loop['q2']}": "4",
        f"evidence_{loop['c1']}": f"Shipped a churn model; {note}", f"rating_{loop['c1']}": "3",
        f"evidence_{loop['c2']}": "Explained threshold costs.", f"rating_{loop['c2']}": "4",
        "takeaways": "Strong evaluator.", "recommendation": "yes", "action": "submit",
    }
    data.update(extra)
    return data


def _as(app: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_authz4_marker_in_a_note_hidden_from_b_until_b_submits(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    b = _as(app, "interviewer2@example.com")
    assert a.post(f"/interviews/{loop['first']}/scorecard",
                  data=complete(loop, MARKER)).status_code == 302
    with app.app_context(), database.read_session() as session:
        a_card = session.scalar(select(Scorecard.id).where(Scorecard.status == "submitted"))
    # B has not submitted: nothing of A's is reachable.
    for url in (f"/scorecards/{a_card}", f"/interviews/{loop['first']}",
                f"/interviews/{loop['first']}/scorecard", "/interviews"):
        response = b.get(url)
        assert MARKER not in response.get_data(as_text=True), url
    assert b.get(f"/scorecards/{a_card}").status_code == 404
    # B submits both of their scorecards; now A's note is visible to B.
    for interview in (loop["first"], loop["second"]):
        assert b.post(f"/interviews/{interview}/scorecard",
                      data=complete(loop)).status_code == 302
    assert MARKER in b.get(f"/scorecards/{a_card}").get_data(as_text=True)


def test_authz4_hiring_manager_on_panel_waits_too(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop, MARKER))
    with app.app_context(), database.read_session() as session:
        a_card = session.scalar(select(Scorecard.id).where(Scorecard.status == "submitted"))
    manager = _as(app, "hiring_manager@example.com")
    assert manager.get(f"/scorecards/{a_card}").status_code == 404
    manager.post(f"/interviews/{loop['second']}/scorecard", data=complete(loop))
    assert MARKER in manager.get(f"/scorecards/{a_card}").get_data(as_text=True)


def test_recruiter_not_on_panel_sees_submitted_but_never_drafts(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    draft = complete(loop, MARKER, action="save")
    a.post(f"/interviews/{loop['first']}/scorecard", data=draft)
    with app.app_context(), database.read_session() as session:
        card = session.scalar(select(Scorecard.id))
    recruiter = _as(app, "recruiter@example.com")
    assert recruiter.get(f"/scorecards/{card}").status_code == 404
    a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop, MARKER))
    assert MARKER in recruiter.get(f"/scorecards/{card}").get_data(as_text=True)


def test_l3_eight_simultaneous_submits_leave_one(app: Any, loop: Any) -> None:
    clients = [_as(app, "interviewer@example.com") for _ in range(8)]
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def go(client: Any) -> None:
        barrier.wait(timeout=10)
        statuses.append(client.post(f"/interviews/{loop['first']}/scorecard",
                                    data=complete(loop)).status_code)

    threads = [threading.Thread(target=go, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 8
    assert all(s < 500 for s in statuses), statuses
    with app.app_context(), database.read_session() as session:
        assert session.scalar(select(func.count(Scorecard.id)).where(
            Scorecard.status == "submitted")) == 1


def test_stale_save_answers_409_and_keeps_typed_text(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    url = f"/interviews/{loop['first']}/scorecard"
    a.post(url, data=complete(loop, "first", action="save", version=""))
    with app.app_context(), database.read_session() as session:
        version = session.scalar(select(Scorecard.version))
    a.post(url, data=complete(loop, "second window", action="save", version=version))
    stale = a.post(url, data=complete(loop, "my precious typed words", action="save",
                                      version=version))
    assert stale.status_code == 409
    assert "my precious typed words" in stale.get_data(as_text=True)


def test_submit_refused_before_interview_starts(app: Any, loop: Any) -> None:
    with app.app_context(), database.write_session() as session:
        from hiring.models import Interview

        session.get(Interview, loop["first"]).starts_at = datetime.now(UTC) + timedelta(days=1)
    a = _as(app, "interviewer@example.com")
    response = a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop))
    assert response.status_code == 400
    assert "once the interview has started" in response.get_data(as_text=True)


def test_incomplete_scorecard_refused_and_errors_named(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    data = complete(loop)
    data[f"rating_{loop['c2']}"] = "na"  # not assessed without a reason
    del data["recommendation"]
    response = a.post(f"/interviews/{loop['first']}/scorecard", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give a rating or a reason it was not assessed." in body
    assert "Choose a recommendation" in body
    assert "Solid reasoning." in body  # typed text kept


def test_not_on_panel_gets_404_for_scorecard(app: Any, loop: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    assert manager.get(f"/interviews/{loop['first']}/scorecard").status_code == 404
    assert manager.post(f"/interviews/{loop['first']}/scorecard",
                        data=complete(loop)).status_code == 404


def test_amendment_keeps_original_and_after_debrief_is_marked(app: Any, loop: Any,
                                                              users: Any) -> None:
    a = _as(app, "interviewer@example.com")
    a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop))
    with app.app_context(), database.read_session() as session:
        card = session.scalar(select(Scorecard.id))
    a.post(f"/scorecards/{card}/amend", data={"competency_id": loop["c1"], "rating": "2",
                                              "evidence": "Rechecked my notes.",
                                              "reason": "Misread my notes."})
    with app.app_context(), database.write_session() as session:
        from hiring.models import StageChange
        from hiring.operations.scorecards import effective_ratings

        scorecard = session.get(Scorecard, card)
        original = {r.competency_id: r.rating for r in scorecard.ratings}
        assert original[loop["c1"]] == 3  # the original is untouched
        assert effective_ratings(session, [scorecard])[loop["c1"]][0].rating == 2
        session.add(StageChange(application_id=loop["application"], from_stage="interviewing",
                                to_stage="debrief", actor_id=users["hiring_manager"].id,
                                at=datetime.now(UTC) - timedelta(minutes=1)))
    a.post(f"/scorecards/{card}/amend", data={"competency_id": loop["c1"], "rating": "4",
                                              "evidence": "After hearing the panel.",
                                              "reason": "Changed my mind."})
    with app.app_context(), database.read_session() as session:
        from hiring.operations.scorecards import effective_ratings

        rows = session.scalars(select(ScorecardAmendment).order_by(ScorecardAmendment.id)).all()
        assert [r.after_debrief for r in rows] == [False, True]
        # The post-debrief amendment is shown but not counted as independent evidence.
        assert effective_ratings(session, [session.get(Scorecard, card)])[loop["c1"]][0] \
            .rating == 2
    page = a.get(f"/scorecards/{card}").get_data(as_text=True)
    assert "not counted as independent evidence" in page


def test_amendment_needs_reason(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop))
    with app.app_context(), database.read_session() as session:
        card = session.scalar(select(Scorecard.id))
    response = a.post(f"/scorecards/{card}/amend", data={
        "competency_id": loop["c1"], "rating": "2", "evidence": "x", "reason": ""},
        follow_redirects=True)
    assert "An amendment needs a reason." in response.get_data(as_text=True)


def test_note_hygiene_warns_without_blocking(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    data = complete(loop, "Good culture fit, seems he has young kids", action="save")
    url = f"/interviews/{loop['first']}/scorecard"
    response = a.post(url, data=data)
    # Saved all the same: the save answers with the page of the saved version, which warns.
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{url}?saved=")
    with app.app_context(), database.read_session() as session:
        assert session.scalar(select(func.count(Scorecard.id))) == 1
    body = a.get(response.headers["Location"]).get_data(as_text=True)
    assert "Draft saved." in body
    assert "Check your notes" in body
    assert "culture fit" in body
    # The prompt belongs to that save; the plain page does not repeat it.
    assert "Check your notes" not in a.get(url).get_data(as_text=True)


def test_short_code_opens_own_scorecard_others_and_wrong_codes_get_same_404(
    app: Any, loop: Any, users: Any
) -> None:
    a = _as(app, "interviewer@example.com")
    own = loop["codes"][(loop["first"], users["interviewer"].id)]
    other = loop["codes"][(loop["first"], users["interviewer2"].id)]
    response = a.post("/code", data={"code": own.replace("-", "").lower()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/interviews/{loop['first']}/scorecard")
    wrong = a.post("/code", data={"code": "ZZZZ-ZZZZ"})
    theirs = a.post("/code", data={"code": other})
    assert wrong.status_code == theirs.status_code == 404
    assert wrong.get_data(as_text=True).replace("ZZZZ-ZZZZ", "") == \
        theirs.get_data(as_text=True).replace(other, "")
    assert a.get(f"/s/{own}").status_code == 302


def test_short_code_attempts_are_throttled(app: Any, loop: Any, users: Any) -> None:
    a = _as(app, "interviewer@example.com")
    for _ in range(10):
        a.post("/code", data={"code": "WRNG-CODE"})
    own = loop["codes"][(loop["first"], users["interviewer"].id)]
    assert a.post("/code", data={"code": own}).status_code == 429


def test_autosave_returns_saved_time_and_version(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    response = a.post(f"/interviews/{loop['first']}/scorecard/autosave",
                      data=complete(loop, "typing...", action="save"))
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True
    assert body["version"] >= 2
    assert body["saved_at"]


def test_expired_session_keeps_input_and_restores_it_after_login(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    with a.session_transaction() as session:
        session["seen_at"] -= 60 * app.config["SESSION_IDLE_MINUTES"] + 5
    response = a.post(f"/interviews/{loop['first']}/scorecard",
                      data=complete(loop, "typed while the session died", action="save"))
    assert response.status_code == 302
    assert "resume%3D" in response.headers["Location"] or "resume=" in response.headers[
        "Location"]
    with app.app_context(), database.read_session() as session:
        pending = session.scalar(select(PendingForm))
        assert pending is not None
        token = pending.token
    after_login = a.post("/login", data={"email": "interviewer@example.com",
                                         "password": PASSWORD,
                                         "next": f"/interviews/{loop['first']}/scorecard"
                                                 f"?resume={token}"})
    page = a.get(after_login.headers["Location"]).get_data(as_text=True)
    assert "typed while the session died" in page


def test_scorecard_shows_a_newer_competency_version_once_the_cache_lets_go(
        app: Any, loop: Any, monkeypatch: Any) -> None:
    """The kit is cached per process; a competency edited in the bank (a new version) reaches the
    scorecard's anchors after COMPETENCY_VERSIONS_TTL_S, not never."""
    from hiring.models import CompetencyVersion
    from hiring.views import scorecards as view

    a = _as(app, "interviewer@example.com")
    url = f"/interviews/{loop['first']}/scorecard"
    assert "proficient" in a.get(url).get_data(as_text=True)  # now cached
    with app.app_context(), database.write_session() as session:
        session.add(CompetencyVersion(
            competency_id=loop["c1"], version_no=2, name="Ds Modelling", description="Edited",
            anchor_1="not yet", anchor_2="foundational", anchor_3="ships it end to end",
            anchor_4="advanced", content_hash="1" * 64))
    page = a.get(url).get_data(as_text=True)
    assert "ships it end to end" not in page  # within the time-to-live: the cached anchors
    monkeypatch.setattr(view, "COMPETENCY_VERSIONS_TTL_S", 0.0)
    page = a.get(url).get_data(as_text=True)
    assert "ships it end to end" in page
    assert "proficient" in page  # the other competency keeps its own anchors
