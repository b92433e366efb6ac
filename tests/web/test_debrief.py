"""The debrief, decisions, outcomes, panel unlocks and overdue scorecards (issue 7, items 4, 7-10).

Seeded loop: a mid-level profile with three competencies (modelling: must-have, weight 3, bar 3;
evaluation: weight 2, bar 3; communication: weight 1, bar 2, never a focus: the gap). Interview
"Technical deep-dive" has A (interviewer) and B (interviewer2); "System design" has B alone. The
hiring manager is not on the panel. A has submitted (modelling 4, evaluation 3, yes) with a
unique marker in the evidence; B has not.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from hiring import db as database
from hiring.models import (
    Application,
    AuditEvent,
    Base,
    Decision,
    Interview,
    Outcome,
    PanelUnlock,
    Requisition,
    StageChange,
    User,
)
from tests.conftest import PASSWORD, Factory, login

MARKER = "OKAPI-MARKER-4471"
B_MARKER = "NARWHAL-MARKER-9013"


@pytest.fixture
def loop(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The seeded loop described in the module docstring."""
    with app.app_context(), database.write_session() as session:
        from hiring.models import KitItem, KitVersion, KitVersionFocus

        make = Factory(session)
        c1 = make.competency("ml-modelling")
        c2 = make.competency("ml-evaluation")
        c3 = make.competency("ml-communication", category="soft")
        q1, q2 = make.question(c1), make.question(c2)
        profile = make.profile([(c1, 3, 3, True), (c2, 2, 3, False), (c3, 1, 2, False)])
        requisition = make.requisition(users["hiring_manager"], profile, title="ML engineer")
        application = make.application(make.candidate(name="Grace Hopper"), requisition)
        steps = []
        for name in ("Technical deep-dive", "System design"):
            step = make.plan_step(requisition, [c1, c2], name=name)
            kit = session.scalar(select(KitVersion).where(KitVersion.step_id == step.id))
            kit.focus = [KitVersionFocus(competency_id=c1.id, position=0),
                         KitVersionFocus(competency_id=c2.id, position=1)]
            kit.items = [KitItem(question_version_id=q1.id, position=0),
                         KitItem(question_version_id=q2.id, position=1)]
            steps.append(step)
        first = make.interview(application, steps[0], [users["interviewer"],
                                                        users["interviewer2"]])
        second = make.interview(application, steps[1], [users["interviewer2"]])
        other_hm = make.user("hiring_manager", email="other-hm@example.com", name="Other HM",
                             password=PASSWORD)
        outsider = make.user("interviewer", email="outsider@example.com", name="Outsider",
                             password=PASSWORD)
        ids = {"c1": c1.id, "c2": c2.id, "c3": c3.id, "first": first.id, "second": second.id,
               "application": application.id, "requisition": requisition.id,
               "candidate": application.candidate_id, "other_hm": other_hm.id,
               "outsider": outsider.id}
    submit(app, ids, "interviewer@example.com", ids["first"],
           {ids["c1"]: (4, f"Built a ranking model end to end. {MARKER}"),
            ids["c2"]: (3, "Picked metrics sensibly.")}, "yes")
    return ids


def submit(app: Any, ids: dict[str, Any], email: str, interview_id: int,
           ratings: dict[int, tuple[int | None, str]], recommendation: str,
           reason: str = "") -> None:
    """Submit a scorecard through the operation (ratings: id -> (rating or None, evidence))."""
    from hiring.operations import scorecards as ops
    from hiring.operations.scorecards import RatingInput, ScorecardInput

    with app.app_context(), database.write_session() as session:
        user = session.scalar(select(User).where(User.email == email))
        data = ScorecardInput(
            ratings={cid: RatingInput(rating=r, evidence=text,
                                      not_assessed_reason=None if r else "not_asked_time")
                     for cid, (r, text) in ratings.items()},
            takeaways="Take-aways.", recommendation=recommendation,
            no_decision_reason=reason,
        )
        ops.submit(session, interview_id, user, data, expected_version=None)


def b_submits_both(app: Any, ids: dict[str, Any]) -> None:
    """B: modelling 2 on both interviews (a disagreement with A's 4), a strong yes on the first
    (inconsistent: a must-have below the bar), evaluation not assessed on the second."""
    submit(app, ids, "interviewer2@example.com", ids["first"],
           {ids["c1"]: (2, f"Needed hints on leakage. {B_MARKER}"),
            ids["c2"]: (3, "Fine on metrics.")}, "strong_yes")
    submit(app, ids, "interviewer2@example.com", ids["second"],
           {ids["c1"]: (2, "Struggled with the serving design."),
            ids["c2"]: (None, "")}, "no")


def _as(app: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _url(ids: dict[str, Any], suffix: str = "") -> str:
    return f"/applications/{ids['application']}/debrief{suffix}"


def _section(page: str, section_id: str) -> str:
    """The HTML of one ``<section id=...>`` of the page."""
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def _stage(app: Any, ids: dict[str, Any]) -> str:
    with app.app_context(), database.read_session() as session:
        return session.get(Application, ids["application"]).stage


def _decide(client: Any, ids: dict[str, Any], **data: str) -> Any:
    return client.post(_url(ids, "/decision"),
                       data={f"decision-{k}": v for k, v in data.items()})


# ---------------------------------------------------------------------------- the page


def test_debrief_shows_the_seeded_disagreement_gap_and_inconsistency(app: Any, loop: Any
                                                                      ) -> None:
    b_submits_both(app, loop)
    response = _as(app, "recruiter@example.com").get(_url(loop))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # Content order: matrix first, recommendations tally last.
    order = [page.index(f'id="{s}"') for s in ("matrix", "disagreements", "gaps",
                                               "inconsistencies", "amendments",
                                               "recommendations")]
    assert order == sorted(order)
    matrix = _section(page, "matrix")
    assert "chip-4" in matrix
    assert "chip-2" in matrix
    assert "cell-4" in matrix
    assert "2.67" in matrix  # modelling: (4 + 2 + 2) / 3
    assert '<span class="pos pos-below">below</span>' in matrix
    assert MARKER in matrix
    assert B_MARKER in matrix
    disagreements = _section(page, "disagreements")
    assert "Ml Modelling" in disagreements
    assert "2 points apart" in disagreements
    assert "Ml Evaluation" not in disagreements
    gaps = _section(page, "gaps")
    assert "Ml Communication" in gaps
    assert "Not asked: time" in gaps  # B did not assess evaluation in the second interview
    inconsistencies = _section(page, "inconsistencies")
    assert "Second Interviewer" in inconsistencies
    assert "Strong yes, yet must-have Ml Modelling rated below the bar" in inconsistencies
    recommendations = _section(page, "recommendations")
    assert "Strong yes" in recommendations
    assert "at odds with own ratings" in recommendations
    assert "{% block score %}" not in page


def test_debrief_view_model_is_plain_data_and_computes_positions(app: Any, loop: Any,
                                                                  users: Any) -> None:
    from hiring.operations.debrief import FULL, debrief_view

    b_submits_both(app, loop)
    with app.app_context(), database.read_session() as session:
        viewer = session.get(User, users["recruiter"].id)
        view = debrief_view(session, viewer, session.get(Application, loop["application"]))

    def walk(value: Any) -> None:
        assert not isinstance(value, Base), value
        if dataclasses.is_dataclass(value):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(view)
    assert view.access == FULL
    rows = {r.competency_id: r for r in view.rows}
    assert rows[loop["c1"]].position == "below"
    assert rows[loop["c1"]].count == 3
    assert rows[loop["c2"]].position == "at"
    assert rows[loop["c2"]].count == 2
    assert [g.competency_id for g in view.gaps] == [loop["c3"]]
    assert view.gaps[0].weight == 1
    assert not view.gaps[0].must_have
    assert [d.competency_id for d in view.disagreements] == [loop["c1"]]
    assert {t.recommendation: t.count for t in view.tally} == {"yes": 1, "strong_yes": 1,
                                                               "no": 1}
    assert view.may_decide is False  # the recruiter sees, the hiring manager decides


def test_authz4_panel_member_who_has_not_submitted_sees_no_ratings_on_debrief(
        app: Any, loop: Any) -> None:
    b = _as(app, "interviewer2@example.com")
    response = b.get(_url(loop))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert MARKER not in page
    assert "Built a ranking model" not in page
    assert "Submit your scorecard first" in page
    assert f"/interviews/{loop['first']}/scorecard" in page
    # One of two submitted is not enough (after_own: every own scorecard first).
    submit(app, loop, "interviewer2@example.com", loop["first"],
           {loop["c1"]: (2, "x"), loop["c2"]: (3, "y")}, "no")
    assert MARKER not in b.get(_url(loop)).get_data(as_text=True)
    submit(app, loop, "interviewer2@example.com", loop["second"],
           {loop["c1"]: (2, "x"), loop["c2"]: (3, "y")}, "no")
    assert MARKER in b.get(_url(loop)).get_data(as_text=True)


def test_debrief_is_404_for_outsiders_and_403_for_roles_without_scorecards(
        app: Any, loop: Any) -> None:
    assert _as(app, "outsider@example.com").get(_url(loop)).status_code == 404
    assert _as(app, "other-hm@example.com").get(_url(loop)).status_code == 404
    assert _as(app, "admin@example.com").get(_url(loop)).status_code == 403
    assert _as(app, "auditor@example.com").get(_url(loop)).status_code == 403
    manager = _as(app, "hiring_manager@example.com")
    assert manager.get("/applications/999999/debrief").status_code == 404
    page = manager.get(_url(loop)).get_data(as_text=True)
    assert MARKER in page  # not on the panel: sees submitted scorecards


# ---------------------------------------------------------------------------- decisions


def test_decision_without_rationale_is_refused_and_keeps_the_input(app: Any, loop: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    response = _decide(manager, loop, kind="reject", reason_code="level_mismatch",
                       rationale="   ")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    form = _section(page, "decisions")
    assert "Write the rationale for this decision" in form
    assert re.search(r'<input checked[^>]*value="reject"', form)
    assert re.search(r'<option selected value="level_mismatch"', form)
    assert 'id="decision-rationale-error"' in form  # the message sits next to its field
    # The rationale typed is kept when something else is missing.
    response = _decide(manager, loop, kind="reject", reason_code="",
                       rationale="Evidence shows a junior profile on modelling.")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose a rejection reason." in page
    assert "Evidence shows a junior profile on modelling." in page
    assert _stage(app, loop) == "interviewing"
    with app.app_context(), database.read_session() as session:
        assert session.scalar(select(func.count(Decision.id))) == 0


def test_decision_moves_the_stage_and_records_actor_time_and_reason(app: Any, loop: Any,
                                                                    users: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    before = datetime.now(UTC)
    rationale = "Strong modelling evidence from A; discuss the concerns of B in the debrief."
    response = _decide(manager, loop, kind="advance", to_stage="debrief", rationale=rationale)
    assert response.status_code == 302
    assert _stage(app, loop) == "debrief"
    with app.app_context(), database.read_session() as session:
        decision = session.scalar(select(Decision))
        assert (decision.kind, decision.to_stage, decision.actor_id, decision.rationale) == \
            ("advance", "debrief", users["hiring_manager"].id, rationale)
        # AI-3: the score shown at this moment is kept with the decision (None if none stored).
        from hiring.models import Score

        stored = session.scalar(select(Score).where(Score.application_id == loop["application"],
                                                    Score.kind == "profile_fit"))
        assert (decision.score_shown or {}).get("input_hash") == \
            (stored.input_hash if stored else None)
        assert before - timedelta(seconds=1) <= decision.at <= datetime.now(UTC)
        change = session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
        assert (change.to_stage, change.actor_id, change.reason_text) == \
            ("debrief", users["hiring_manager"].id, rationale)
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "decision.record"))
        assert event.actor_id == users["hiring_manager"].id
        assert rationale not in str(event.details)
        assert "Grace" not in str(event.details)
    # The decision is on the debrief and in the candidate's stage history.
    assert rationale in manager.get(_url(loop)).get_data(as_text=True)
    history = manager.get(f"/candidates/{loop['candidate']}").get_data(as_text=True)
    assert rationale in history
    # Reject with a reason code goes through the same path.
    response = _decide(manager, loop, kind="reject", reason_code="below_bar_must_have",
                       rationale="Modelling below the bar on the whole loop.")
    assert response.status_code == 302
    assert _stage(app, loop) == "rejected"
    with app.app_context(), database.read_session() as session:
        change = session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
        assert change.reason_code == "below_bar_must_have"


def test_stale_decision_answers_409_and_keeps_the_rationale(app: Any, loop: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    with app.app_context(), database.read_session() as session:
        version = session.get(Application, loop["application"]).version
    assert _decide(manager, loop, kind="advance", to_stage="debrief", rationale="First.",
                   version=str(version)).status_code == 302
    stale = _decide(manager, loop, kind="reject", reason_code="other",
                    rationale="Typed in an old tab.", version=str(version))
    assert stale.status_code == 409
    assert "Typed in an old tab." in stale.get_data(as_text=True)
    assert _stage(app, loop) == "debrief"


def test_panel_members_see_the_stage_but_not_rationales(app: Any, loop: Any) -> None:
    b_submits_both(app, loop)
    rationale = "Rationale for the recruiting team only."
    assert _decide(_as(app, "hiring_manager@example.com"), loop, kind="advance",
                   to_stage="debrief", rationale=rationale).status_code == 302
    page = _as(app, "interviewer@example.com").get(_url(loop)).get_data(as_text=True)
    assert MARKER in page
    assert B_MARKER in page
    assert rationale not in page
    assert "Record decision" not in page
    assert rationale in _as(app, "recruiter@example.com").get(_url(loop)).get_data(as_text=True)


def test_advance_only_to_a_stage_the_transition_table_allows(app: Any, loop: Any,
                                                             users: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    response = _decide(manager, loop, kind="advance", to_stage="hired", rationale="Skip it all.")
    assert response.status_code == 400
    assert _stage(app, loop) == "interviewing"
    assert _decide(manager, loop, kind="hire", rationale="Skip it all.").status_code == 400
    assert _stage(app, loop) == "interviewing"
    # The operation refuses on its own too (the form offers only what the table allows).
    from hiring.operations import OperationError
    from hiring.operations.debrief import record_decision

    with app.app_context(), database.write_session() as session:
        actor = session.get(User, users["hiring_manager"].id)
        application = session.get(Application, loop["application"])
        with pytest.raises(OperationError, match="not possible from Interviewing"):
            record_decision(session, application, actor=actor, kind="hire", rationale="x")
        with pytest.raises(OperationError, match="advances to Debrief"):
            record_decision(session, application, actor=actor, kind="advance",
                            to_stage="offer", rationale="x")


def test_only_the_requisitions_hiring_manager_records_decisions(app: Any, loop: Any) -> None:
    data = {"kind": "advance", "to_stage": "debrief", "rationale": "Looks good."}
    assert _decide(_as(app, "recruiter@example.com"), loop, **data).status_code == 403
    assert _decide(_as(app, "admin@example.com"), loop, **data).status_code == 403
    assert _decide(_as(app, "interviewer@example.com"), loop, **data).status_code == 403
    assert _decide(_as(app, "other-hm@example.com"), loop, **data).status_code == 404
    assert _stage(app, loop) == "interviewing"
    recruiter_page = _as(app, "recruiter@example.com").get(_url(loop)).get_data(as_text=True)
    assert "Record decision" not in recruiter_page
    assert "Record decision" in _as(app, "hiring_manager@example.com").get(_url(loop)) \
        .get_data(as_text=True)


def test_hiring_manager_on_the_panel_decides_only_after_submitting(app: Any, loop: Any,
                                                                   users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        from hiring.models import InterviewAssignment, UserRole

        session.add(UserRole(user_id=users["hiring_manager"].id, role="interviewer"))
        session.add(InterviewAssignment(interview_id=loop["second"],
                                        interviewer_id=users["hiring_manager"].id,
                                        short_code="HMHM-0001"))
    manager = _as(app, "hiring_manager@example.com")
    page = manager.get(_url(loop)).get_data(as_text=True)
    assert MARKER not in page
    assert "Submit your scorecard first" in page
    response = _decide(manager, loop, kind="advance", to_stage="debrief", rationale="Go.")
    assert response.status_code == 400
    assert _stage(app, loop) == "interviewing"


# ---------------------------------------------------------------------------- outcomes


def _outcome(client: Any, ids: dict[str, Any], **data: str) -> Any:
    return client.post(_url(ids, "/outcome"), data={f"outcome-{k}": v for k, v in data.items()})


def test_outcomes_only_for_hires(app: Any, loop: Any, users: Any) -> None:
    recruiter = _as(app, "recruiter@example.com")
    data = {"passed_probation": "yes", "performance": "4", "outcome_date": "2026-01-15"}
    refused = _outcome(recruiter, loop, **data)
    assert refused.status_code == 400
    assert "Outcomes are recorded for hires only" in refused.get_data(as_text=True)
    manager = _as(app, "hiring_manager@example.com")
    for kind, stage in (("advance", "debrief"), ("offer", ""), ("hire", "")):
        assert _decide(manager, loop, kind=kind, to_stage=stage,
                       rationale=f"{kind}: the evidence supports it.").status_code == 302
    assert _stage(app, loop) == "hired"
    assert _outcome(_as(app, "interviewer@example.com"), loop, **data).status_code == 403
    assert _outcome(recruiter, loop, **data).status_code == 302
    assert _outcome(manager, loop, passed_probation="unknown", performance="",
                    outcome_date="2026-02-01").status_code == 302
    future = (date.today() + timedelta(days=30)).isoformat()
    assert _outcome(manager, loop, passed_probation="no", outcome_date=future).status_code == 400
    with app.app_context(), database.read_session() as session:
        rows = session.scalars(select(Outcome).order_by(Outcome.id)).all()
        assert [(o.passed_probation, o.performance, o.outcome_date, o.recorded_by_id)
                for o in rows] == [
            (True, 4, date(2026, 1, 15), users["recruiter"].id),
            (None, None, date(2026, 2, 1), users["hiring_manager"].id)]
        assert session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "outcome.record")) == 2
    page = manager.get(_url(loop)).get_data(as_text=True)
    assert "Passed probation" in _section(page, "outcomes")
    assert "Recruiter" in _section(page, "outcomes")


# ---------------------------------------------------------------------------- unlocking


def test_hiring_manager_unlocks_a_panel_member_who_cannot_submit(app: Any, loop: Any,
                                                                 users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        session.get(Requisition, loop["requisition"]).visibility = "after_panel"
    submit(app, loop, "interviewer2@example.com", loop["first"],
           {loop["c1"]: (2, f"Hints needed. {B_MARKER}"), loop["c2"]: (3, "ok")}, "no")
    a = _as(app, "interviewer@example.com")
    page = a.get(_url(loop)).get_data(as_text=True)
    assert B_MARKER not in page
    assert "Waiting for the panel" in page
    manager = _as(app, "hiring_manager@example.com")
    url = _url(loop, f"/unlock/{loop['second']}/{users['interviewer2'].id}")
    prefix = f"unlock-{loop['second']}-{users['interviewer2'].id}"
    refused = manager.post(url, data={f"{prefix}-reason": ""})
    assert refused.status_code == 400
    assert "Say why this panel member cannot submit." in refused.get_data(as_text=True)
    assert a.post(url, data={f"{prefix}-reason": "x"}).status_code == 403
    assert manager.post(url, data={f"{prefix}-reason": "On leave for three months."}) \
        .status_code == 302
    with app.app_context(), database.read_session() as session:
        unlock = session.scalar(select(PanelUnlock))
        assert (unlock.actor_id, unlock.reason) == (users["hiring_manager"].id,
                                                    "On leave for three months.")
    assert B_MARKER in a.get(_url(loop)).get_data(as_text=True)
    panel = _section(manager.get(_url(loop)).get_data(as_text=True), "panel")
    assert "Released by Hiring Manager" in panel
    assert "On leave for three months." in panel
    again = manager.post(url, data={f"{prefix}-reason": "Again."})
    assert again.status_code == 400


# ---------------------------------------------------------------------------- dashboard


def test_overdue_scorecards_on_the_dashboards(app: Any, loop: Any) -> None:
    with app.app_context(), database.write_session() as session:
        interview = session.get(Interview, loop["first"])
        interview.starts_at = datetime.now(UTC) - timedelta(
            hours=app.config["OVERDUE_HOURS"] + 3)
    b_page = _as(app, "interviewer2@example.com").get("/").get_data(as_text=True)
    overdue = _section(b_page, "my-overdue")
    assert f"/interviews/{loop['first']}/scorecard" in overdue
    assert f"/interviews/{loop['second']}/scorecard" not in overdue  # ended 1 h ago: not yet
    assert "my-overdue" not in _as(app, "interviewer@example.com").get("/") \
        .get_data(as_text=True)  # A submitted
    for email in ("recruiter@example.com", "hiring_manager@example.com"):
        team = _section(_as(app, email).get("/").get_data(as_text=True), "team-overdue")
        assert "Second Interviewer" in team
        assert "Grace Hopper" in team
    assert "team-overdue" not in _as(app, "other-hm@example.com").get("/") \
        .get_data(as_text=True)


def test_overdue_with_a_frozen_clock(app: Any, loop: Any) -> None:
    from freezegun import freeze_time

    assert "my-overdue" not in _as(app, "interviewer2@example.com").get("/") \
        .get_data(as_text=True)
    later = datetime.now(UTC) + timedelta(hours=app.config["OVERDUE_HOURS"] + 2)
    with freeze_time(later):  # log in inside the frozen clock: sessions time out too
        page = _as(app, "interviewer2@example.com").get("/").get_data(as_text=True)
    assert f"/interviews/{loop['first']}/scorecard" in _section(page, "my-overdue")


def test_dashboard_lists_next_interviews_and_requisitions(app: Any, loop: Any,
                                                          users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        interview = session.get(Interview, loop["second"])
        interview.starts_at = datetime.now(UTC) + timedelta(days=2)
    b_page = _as(app, "interviewer2@example.com").get("/").get_data(as_text=True)
    mine = _section(b_page, "my-interviews")
    assert f"/interviews/{loop['second']}" in mine
    assert "Grace Hopper" in mine
    assert "No interviews yet" not in mine
    assert "No interviews yet" in _as(app, "outsider@example.com").get("/") \
        .get_data(as_text=True)
    reqs = _section(_as(app, "hiring_manager@example.com").get("/").get_data(as_text=True),
                    "my-reqs")
    assert f"/requisitions/{loop['requisition']}" in reqs
    assert "ML engineer" in reqs
    assert "No requisitions yet" in _as(app, "other-hm@example.com").get("/") \
        .get_data(as_text=True)


def test_amendments_are_listed_and_marked_after_the_debrief(app: Any, loop: Any,
                                                            users: Any) -> None:
    from hiring.models import Scorecard

    with app.app_context(), database.read_session() as session:
        card = session.scalar(select(Scorecard.id).where(
            Scorecard.interviewer_id == users["interviewer"].id))
    a = _as(app, "interviewer@example.com")
    a.post(f"/scorecards/{card}/amend", data={"competency_id": loop["c1"], "rating": "3",
                                              "evidence": "Rechecked my notes.",
                                              "reason": "Misread my notes."})
    manager = _as(app, "hiring_manager@example.com")
    assert _decide(manager, loop, kind="advance", to_stage="debrief",
                   rationale="Loop complete.").status_code == 302
    with app.app_context(), database.write_session() as session:
        # The debrief began a moment ago (amend() compares with the stage change's time).
        change = session.scalars(select(StageChange).order_by(StageChange.id.desc())).first()
        change.at = datetime.now(UTC) - timedelta(minutes=1)
    a.post(f"/scorecards/{card}/amend", data={"competency_id": loop["c1"], "rating": "1",
                                              "evidence": "After hearing the panel.",
                                              "reason": "Changed my mind."})
    page = manager.get(_url(loop)).get_data(as_text=True)
    amendments = _section(page, "amendments")
    assert "Misread my notes." in amendments
    assert "Changed my mind." in amendments
    assert amendments.count("after the debrief: not counted") == 1
    matrix = _section(page, "matrix")
    assert "chip-3" in matrix  # the pre-debrief amendment counts
    assert "chip-1" not in matrix  # the post-debrief one does not
    assert "amended" in matrix


def test_score_on_request_shown_to_hiring_manager_and_hidden_with_hide_scores(
    app: Any, loop: Any
) -> None:
    b_submits_both(app, loop)
    manager = _as(app, "hiring_manager@example.com")
    page = manager.get(_url(loop)).get_data(as_text=True)
    assert "Show the score" in page
    assert "Profile fit" in page
    with app.app_context(), database.write_session() as session:
        from hiring.models import Requisition

        session.get(Requisition, loop["requisition"]).hide_scores = True
    assert "Show the score" not in manager.get(_url(loop)).get_data(as_text=True)
