"""A candidate with a row in every table that holds candidate data, for the data-rights tests.

:func:`build` fills every table reachable from ``candidates`` by foreign keys (the export and
erasure tests fail, naming the table, when a new one is not filled here) and plants mentions of
the person in *other* records: another candidate's notes, a ranking move's reason, an unsent form.
Works on SQLite and PostgreSQL sessions.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hiring.models import (
    CandidateDocument,
    CompetencyRating,
    Decision,
    NoticeLink,
    OutboxMessage,
    Outcome,
    PanelUnlock,
    PendingForm,
    QuestionNote,
    RankingMove,
    ScorecardAmendment,
    SelfIdentification,
    StageChange,
)
from tests.conftest import Factory

NAME = "Zelda Quintrell-Oyelaran"
EMAIL = "zelda.quintrell@example.org"
PHONE = "+44 20 7946 0958"
PDF = b"%PDF-1.4\n% Curriculum vitae of Zelda Quintrell-Oyelaran\n%%EOF\n"

_n = itertools.count(1)


def _flow(session: Any, application: Any, actor: Any, stages: list[str], at: datetime) -> None:
    previous = None
    for index, stage in enumerate(stages):
        session.add(StageChange(application_id=application.id, from_stage=previous,
                                to_stage=stage, actor_id=actor.id,
                                reason_code="below_bar_overall" if stage == "rejected" else "",
                                reason_text="Below the bar on modelling." if stage == "rejected"
                                else "", at=at + timedelta(hours=index)))
        previous = stage
    application.stage = stages[-1]


def build(session: Any, *, closed_days_ago: int = 10, suffix: str = "") -> dict[str, Any]:
    """The world; returns ids. ``closed_days_ago`` dates the final decisions."""
    from hiring.operations.scoring import recompute_application

    make = Factory(session)
    tag = f"{next(_n)}{suffix}"
    manager = make.user("hiring_manager", email=f"pw-manager{tag}@example.com")
    first = make.user("interviewer", email=f"pw-iv-a{tag}@example.com")
    second = make.user("interviewer", email=f"pw-iv-b{tag}@example.com")
    modelling = make.competency(f"pw-modelling-{tag}")
    serving = make.competency(f"pw-serving-{tag}")
    profile = make.profile([(modelling, 3, 3, True), (serving, 2, 3, False)])
    requisition = make.requisition(manager, profile, title="ML engineer, payments",
                                   retention_days=365)
    other_requisition = make.requisition(manager, profile, title="ML engineer, search",
                                         retention_days=365)
    step = make.plan_step(requisition, [modelling, serving], name="Modelling deep-dive")
    question = make.question(modelling, prompt="Walk me through a model you shipped.")
    closed = datetime.now(UTC) - timedelta(days=closed_days_ago)

    person = make.candidate(name=NAME, email=EMAIL, phone=PHONE, location="Lisbon",
                            source="Conference", notes="Prefers remote work.")
    application = make.application(person, requisition, stage="applied")
    _flow(session, application, manager,
          ["applied", "screen", "interviewing", "debrief", "rejected"], closed - timedelta(3))
    application.closed_at = closed
    application.notice_at = closed - timedelta(days=20)
    hired = make.application(person, other_requisition, stage="applied")
    _flow(session, hired, manager, ["applied", "screen", "interviewing", "debrief", "offer",
                                    "hired"], closed - timedelta(2))
    hired.closed_at = closed
    session.add(CandidateDocument(candidate_id=person.id, stored_name=f"pw-doc-{tag}",
                                  filename="zelda-cv.pdf", content_type="application/pdf",
                                  size=len(PDF), data=PDF, uploaded_by_id=manager.id))

    interview = make.interview(application, step, [first, second],
                               starts_at=closed - timedelta(days=5))
    cards = []
    for person_, rating, text in ((first, 4, "Built a fraud model end to end."),
                                  (second, 3, "Explained feature leakage clearly.")):
        card = make.scorecard(interview, person_, status="submitted", recommendation="yes",
                              submitted_at=closed - timedelta(days=5),
                              takeaways=f"{NAME} would do well here.")
        session.add(CompetencyRating(scorecard_id=card.id, competency_id=modelling.id,
                                     rating=rating, evidence=text))
        session.add(CompetencyRating(scorecard_id=card.id, competency_id=serving.id,
                                     rating=3, evidence="Solid on serving."))
        session.add(QuestionNote(scorecard_id=card.id, question_version_id=question.id,
                                 note=f"Asked {NAME} about drift.", rating=rating))
        cards.append(card)
    session.add(ScorecardAmendment(scorecard_id=cards[0].id, author_id=first.id,
                                   reason="Typo in the evidence.",
                                   changes={str(serving.id): {"rating": 3,
                                                              "not_assessed_reason": None,
                                                              "evidence": "Solid on serving, "
                                                                          "with caching."}}))
    session.add(PanelUnlock(interview_id=interview.id, interviewer_id=second.id,
                            actor_id=manager.id, reason="Left the company."))
    session.add(OutboxMessage(to_user_id=first.id, interview_id=interview.id,
                              subject=f"Interview with {NAME}",
                              body=f"You interview {NAME} ({EMAIL}, {PHONE}).", ics="BEGIN"))
    session.add(Decision(application_id=application.id, kind="reject", to_stage="rejected",
                         rationale="Modelling below the bar across the loop.",
                         actor_id=manager.id, score_shown={"mean": 3.1}, at=closed))
    session.add(Outcome(application_id=hired.id, passed_probation=True, performance=4,
                        outcome_date=date.today() - timedelta(days=closed_days_ago),
                        recorded_by_id=manager.id))
    session.add(SelfIdentification(application_id=application.id, sex="female",
                                   race_ethnicity="asian"))
    session.add(SelfIdentification(application_id=hired.id, sex="female",
                                   race_ethnicity="asian"))
    session.add(NoticeLink(application_id=application.id, nonce=f"pw-nonce-{tag}",
                           issued_by_id=manager.id, expires_at=closed + timedelta(days=30),
                           responded_at=closed - timedelta(days=19)))
    session.flush()
    recompute_application(session, application.id, trigger="test")

    # Someone else, whose records mention the person.
    other = make.candidate(name="Bartholomew Ekwueme", email=f"bart{tag}@example.net",
                           phone="+1 555 0100 222",
                           notes=f"Referred by {NAME} ({EMAIL}).")
    other_application = make.application(other, requisition, stage="interviewing")
    session.add(StageChange(application_id=other_application.id, from_stage=None,
                            to_stage="interviewing", actor_id=manager.id))
    session.add(RankingMove(requisition_id=requisition.id, application_id=application.id,
                            actor_id=manager.id, from_position=2, to_position=1, basis="score",
                            reason="Stronger modelling evidence than the others.",
                            order_ids=[application.id, other_application.id]))
    session.add(RankingMove(requisition_id=requisition.id, application_id=other_application.id,
                            actor_id=manager.id, from_position=2, to_position=1, basis="manual",
                            reason=f"Ahead of {NAME} on serving.",
                            order_ids=[other_application.id, application.id]))
    session.add(PendingForm(token=f"pw-pending-{tag}", user_id=first.id,
                            path=f"/interviews/{interview.id}/scorecard",
                            data={"takeaways": ["Typed before the session ended."]}))
    session.add(PendingForm(token=f"pw-pending-other-{tag}", user_id=manager.id,
                            path=f"/candidates/{other.id}/edit",
                            data={"notes": [f"Call {PHONE} first."]}))
    session.flush()
    return {"candidate": person.id, "application": application.id, "hired": hired.id,
            "interview": interview.id, "scorecards": [c.id for c in cards],
            "requisition": requisition.id, "other_requisition": other_requisition.id,
            "other": other.id, "other_application": other_application.id,
            "manager": manager.id, "interviewers": [first.id, second.id],
            "competencies": [modelling.id, serving.id], "step": step.id}


def search_everywhere(engine: Any, needles: list[str]) -> list[str]:
    """Every (table, column, value excerpt) of the whole database whose text holds a needle.

    Independent of the code under test: reflects the live schema (every table, migrations'
    own included) and reads every text-like column (VARCHAR, TEXT, JSON ...) in Python,
    case-insensitively and in JSON-escaped form too.
    """
    import json

    from sqlalchemy import JSON, String, Text, inspect, select
    from sqlalchemy import MetaData as _MetaData

    forms = set()
    for needle in needles:
        forms.add(needle.casefold())
        forms.add(json.dumps(needle)[1:-1].casefold())
    import warnings

    metadata = _MetaData()
    with warnings.catch_warnings():  # expression indexes (lower(email)) are not reflected
        warnings.simplefilter("ignore")
        metadata.reflect(engine)
    hits = []
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns
                       if isinstance(c.type, String | Text | JSON)
                       or type(c.type).__name__.upper() in {"JSON", "JSONB", "TEXT", "VARCHAR"}]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value)
                    folded = text.casefold()
                    if any(form in folded for form in forms):
                        hits.append(f"{table.name}.{column.name}: {text[:80]!r}")
    assert inspect(engine).get_table_names()  # the reflection saw a real schema
    return hits
