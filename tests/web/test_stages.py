"""Application stages: allowed transitions, reasons, history, reopen, the stage board."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from hiring import db as database
from hiring.models import Application, AuditEvent, StageChange, User
from hiring.operations import Forbidden, OperationError
from hiring.operations.stages import ALLOWED_TRANSITIONS, change_stage
from tests.conftest import Factory, login
from tests.web.test_candidates import HOSTILE, reading


@pytest.fixture
def pipeline(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """A requisition of ``hiring_manager`` with one application at applied (with its history)."""
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        requisition = make.requisition(users["hiring_manager"], title="MLOps engineer")
        candidate = make.candidate(name="Dana Stage", email="dana@example.com")
        application = make.application(candidate, requisition, stage="applied")
        session.add(StageChange(application_id=application.id, from_stage=None,
                                to_stage="applied", actor_id=users["recruiter"].id))
        ids = {"requisition": requisition.id, "candidate": candidate.id,
               "application": application.id}
    return ids


def _post_stage(client: Any, application_id: int, kind: str, **fields: str) -> Any:
    data = {f"a{application_id}-{kind}-kind": kind, f"a{application_id}-{kind}-return_to": "board"}
    data.update({f"a{application_id}-{kind}-{name}": value for name, value in fields.items()})
    return client.post(f"/applications/{application_id}/stage", data=data)


def _application(app: Any, application_id: int) -> Any:
    with reading(app) as session:
        application = session.get(Application, application_id)
        changes = list(application.stage_changes)
        return application, changes


def test_allowed_transitions_table_matches_the_documented_one() -> None:
    assert ALLOWED_TRANSITIONS == {
        "applied": ("screen", "rejected", "withdrawn"),
        "screen": ("interviewing", "rejected", "withdrawn"),
        "interviewing": ("debrief", "rejected", "withdrawn"),
        "debrief": ("offer", "interviewing", "rejected", "withdrawn"),
        "offer": ("hired", "rejected", "withdrawn"),
        "hired": (), "rejected": (), "withdrawn": (),
    }


def test_forward_move_is_recorded_with_actor_and_time(app: Any, client: Any, users: Any,
                                                      pipeline: Any) -> None:
    login(client, "recruiter@example.com")
    response = _post_stage(client, pipeline["application"], "move", to_stage="screen",
                           version="1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/requisitions/{pipeline['requisition']}/board")
    application, changes = _application(app, pipeline["application"])
    assert application.stage == "screen"
    assert application.version == 2
    assert application.closed_at is None
    last = changes[-1]
    assert (last.from_stage, last.to_stage, last.actor_id) == ("applied", "screen",
                                                              users["recruiter"].id)
    assert last.at is not None


def test_rejection_is_recorded_with_actor_reason_code_and_text(
    app: Any, client: Any, users: Any, pipeline: Any
) -> None:
    login(client, "hiring_manager@example.com")
    response = _post_stage(client, pipeline["application"], "reject", to_stage="rejected",
                           reason_code="below_bar_must_have",
                           reason_text="Could not explain model monitoring trade-offs.",
                           version="1")
    assert response.status_code == 302
    application, changes = _application(app, pipeline["application"])
    assert application.stage == "rejected"
    assert application.closed_at is not None
    last = changes[-1]
    assert last.actor_id == users["hiring_manager"].id
    assert last.reason_code == "below_bar_must_have"
    assert last.reason_text == "Could not explain model monitoring trade-offs."
    with reading(app) as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "application.stage_changed"))
        assert event.details["reason_code"] == "below_bar_must_have"
        assert "monitoring" not in str(event.details)  # free text never reaches the audit log
    page = client.get(f"/candidates/{pipeline['candidate']}").get_data(as_text=True)
    assert "Below the bar on a must-have competency" in page
    assert "Could not explain model monitoring trade-offs." in page
    assert "Hiring Manager" in page  # who


def test_disallowed_transition_is_refused_naming_both_stages(
    app: Any, client: Any, users: Any, pipeline: Any
) -> None:
    login(client, "recruiter@example.com")
    response = _post_stage(client, pipeline["application"], "move", to_stage="offer",
                           version="1")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Cannot move from Applied to Offer" in page
    assert "Screen, Rejected, Withdrawn" in page
    application, changes = _application(app, pipeline["application"])
    assert application.stage == "applied"
    assert len(changes) == 1


@pytest.mark.parametrize(("code", "text", "message"), [
    ("", "Weak on must-haves", "Choose a rejection reason from the list"),
    ("below_bar_must_have", "", "Describe the rejection reason"),
    ("accepted_other_offer", "x", "Choose a rejection reason from the list"),
])
def test_rejection_without_a_listed_reason_and_text_is_refused_input_kept(
    app: Any, client: Any, users: Any, pipeline: Any, code: str, text: str, message: str
) -> None:
    login(client, "recruiter@example.com")
    response = _post_stage(client, pipeline["application"], "reject", to_stage="rejected",
                           reason_code=code, reason_text=text, version="1")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if text:
        assert text in page  # nothing typed is thrown away
    assert _application(app, pipeline["application"])[0].stage == "applied"


def test_withdrawal_needs_a_withdrawal_reason(app: Any, client: Any, users: Any,
                                              pipeline: Any) -> None:
    login(client, "recruiter@example.com")
    assert _post_stage(client, pipeline["application"], "withdraw", to_stage="withdrawn",
                       reason_code="", reason_text="Took a job elsewhere",
                       version="1").status_code == 400
    assert _post_stage(client, pipeline["application"], "withdraw", to_stage="withdrawn",
                       reason_code="accepted_other_offer", reason_text="Took a job elsewhere",
                       version="1").status_code == 302
    assert _application(app, pipeline["application"])[0].stage == "withdrawn"


def test_stale_stage_form_answers_409(app: Any, client: Any, users: Any,
                                      pipeline: Any) -> None:
    login(client, "recruiter@example.com")
    assert _post_stage(client, pipeline["application"], "move", to_stage="screen",
                       version="1").status_code == 302
    response = _post_stage(client, pipeline["application"], "reject", to_stage="rejected",
                           reason_code="role_filled", reason_text="Typed reason kept",
                           version="1")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed since you loaded the page" in page
    assert "Typed reason kept" in page
    assert _application(app, pipeline["application"])[0].stage == "screen"


def test_final_stage_cannot_move_on(app: Any, client: Any, users: Any, pipeline: Any) -> None:
    login(client, "recruiter@example.com")
    _post_stage(client, pipeline["application"], "reject", to_stage="rejected",
                reason_code="role_filled", reason_text="Filled", version="1")
    response = _post_stage(client, pipeline["application"], "move", to_stage="screen",
                           version="2")
    assert response.status_code == 400
    assert "Rejected is final" in response.get_data(as_text=True)


def test_reopen_only_by_the_hiring_manager_with_a_reason(app: Any, client: Any, users: Any,
                                                         pipeline: Any) -> None:
    login(client, "recruiter@example.com")
    _post_stage(client, pipeline["application"], "move", to_stage="screen", version="1")
    _post_stage(client, pipeline["application"], "reject", to_stage="rejected",
                reason_code="insufficient_evidence", reason_text="Thin screen", version="2")
    aid = pipeline["application"]

    # A recruiter may not reopen.
    response = client.post(f"/applications/{aid}/reopen", data={
        f"a{aid}-reopen-reason_text": "Please reconsider", f"a{aid}-reopen-version": "3"})
    assert response.status_code == 403
    assert _application(app, aid)[0].stage == "rejected"

    manager = app.test_client()
    login(manager, "hiring_manager@example.com")
    page = manager.get(f"/candidates/{pipeline['candidate']}").get_data(as_text=True)
    assert f"/applications/{aid}/reopen" in page
    # Without a reason: refused.
    response = manager.post(f"/applications/{aid}/reopen", data={
        f"a{aid}-reopen-reason_text": "", f"a{aid}-reopen-version": "3"})
    assert response.status_code == 400
    assert "Say why" in response.get_data(as_text=True)
    # With a reason: back to the stage before the rejection.
    response = manager.post(f"/applications/{aid}/reopen", data={
        f"a{aid}-reopen-reason_text": "New work sample changes the picture",
        f"a{aid}-reopen-version": "3", f"a{aid}-reopen-return_to": "candidate"})
    assert response.status_code == 302
    application, changes = _application(app, aid)
    assert application.stage == "screen"
    assert application.closed_at is None
    last = changes[-1]
    assert (last.from_stage, last.to_stage, last.actor_id, last.reason_code) == (
        "rejected", "screen", users["hiring_manager"].id, "reopened")
    assert last.reason_text == "New work sample changes the picture"


def test_reopen_refused_for_an_open_application(app: Any, users: Any, pipeline: Any) -> None:
    manager = app.test_client()
    login(manager, "hiring_manager@example.com")
    aid = pipeline["application"]
    response = manager.post(f"/applications/{aid}/reopen", data={
        f"a{aid}-reopen-reason_text": "Why not", f"a{aid}-reopen-version": "1"})
    assert response.status_code == 400
    assert "Only a rejected or withdrawn application" in response.get_data(as_text=True)


def test_interviewer_and_foreign_manager_cannot_move_stages(app: Any, users: Any,
                                                            pipeline: Any) -> None:
    interviewer = app.test_client()
    login(interviewer, "interviewer@example.com")
    assert _post_stage(interviewer, pipeline["application"], "move", to_stage="screen",
                       version="1").status_code == 403
    with app.app_context(), database.write_session() as session:
        Factory(session).user("hiring_manager", email="hm2@example.com",
                              password="correct horse battery staple")
    other = app.test_client()
    login(other, "hm2@example.com")
    assert _post_stage(other, pipeline["application"], "move", to_stage="screen",
                       version="1").status_code == 404
    assert _application(app, pipeline["application"])[0].stage == "applied"


def test_no_stage_change_without_a_person(app: Any, users: Any, pipeline: Any) -> None:
    with app.app_context(), database.write_session() as session:
        application = session.get(Application, pipeline["application"])
        with pytest.raises(OperationError, match="person"):
            change_stage(session, application, "screen", actor=None)
        auditor = session.get(User, users["auditor"].id)
        with pytest.raises(Forbidden):
            change_stage(session, application, "screen", actor=auditor)


def test_board_shows_columns_and_only_allowed_moves(app: Any, client: Any, users: Any,
                                                    pipeline: Any) -> None:
    login(client, "hiring_manager@example.com")
    page = client.get(f"/requisitions/{pipeline['requisition']}/board").get_data(as_text=True)
    for label in ("Applied", "Screen", "Interviewing", "Debrief", "Offer", "Hired", "Rejected",
                  "Withdrawn"):
        assert f'id="col-{label.lower()}"' in page
    aid = pipeline["application"]
    buttons = re.findall(rf'name="a{aid}-move-to_stage" value="(\w+)"', page)
    assert buttons == ["screen"]
    assert "Rejection reason" in page
    assert "Withdrawal reason" in page
    assert "Below the bar on a must-have competency" in page
    assert "Accepted another offer" in page
    assert "final (the hiring manager can reopen it, with a reason)" in page


def test_board_escapes_hostile_names(app: Any, client: Any, users: Any, pipeline: Any) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        from hiring.models import Requisition

        requisition = session.get(Requisition, pipeline["requisition"])
        make.application(make.candidate(name=HOSTILE, email="h@example.com"), requisition,
                         stage="screen")
    login(client, "recruiter@example.com")
    page = client.get(f"/requisitions/{pipeline['requisition']}/board").get_data(as_text=True)
    assert "<svg onload" not in page
    assert "&lt;svg onload=alert(1)&gt;" in page
