"""Reports on seeded data: rater agreement, calibration, question statistics, adverse impact.

The seed is a requisition whose candidates each have two interviews with two interviewers each;
interviewer "Lenient" rates one point above the truth on every candidate's first interview.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from hiring import db as database
from hiring.analytics.reliability import krippendorff_alpha
from hiring.models import (
    AuditEvent,
    CompetencyRating,
    KitItem,
    KitVersion,
    QuestionNote,
    ScorecardAmendment,
    SelfIdentification,
    StageChange,
)
from hiring.operations import reports as ops
from tests.conftest import Factory, login

KEYS = ("modelling", "coding", "communication")
NOISE = {"modelling": 0.25, "coding": 0.6, "communication": None}  # None: pure noise


def seed_panel(app: Any, users: dict[str, Any], *, candidates: int = 40, seed: int = 7,
               role: str = "ml-engineer", questions: bool = False) -> dict[str, Any]:
    """A requisition of ``role`` with ``candidates`` applications, each interviewed twice by
    two interviewers (submitted scorecards). Returns ids and the ratings as seeded."""
    rng = np.random.default_rng(seed)
    with app.app_context():
        session = database.get_database(app).session(write=True)
        make = Factory(session)
        competencies = [make.competency(key) for key in KEYS]
        version = make.profile([(c, 2, 3, False) for c in competencies], key=role)
        requisition = make.requisition(users["hiring_manager"], version, status="open",
                                       title="Seeded ML engineer")
        steps = [make.plan_step(requisition, competencies, name="Technical"),
                 make.plan_step(requisition, competencies, name="Systems")]
        kit_questions = []
        if questions:
            kit = session.scalar(select(KitVersion).where(KitVersion.step_id == steps[0].id))
            for position, competency in enumerate(competencies):
                question = make.question(competency)
                kit_questions.append(question)
                session.add(KitItem(kit_version_id=kit.id, question_version_id=question.id,
                                    position=position))
            session.flush()
        lenient = make.user("interviewer", name="Lenient Rater")
        others = [make.user("interviewer", name=f"Rater {c}") for c in "ABCD"]
        seeded: list[dict[str, Any]] = []
        application_ids = []
        start = datetime.now(UTC) - timedelta(days=20)
        for i in range(candidates):
            application = make.application(make.candidate(name=f"Seed Person {i}"),
                                           requisition)
            application_ids.append(application.id)
            truth = {key: float(rng.normal(2.5, 0.8)) for key in KEYS}
            for position, step in enumerate(steps):
                pair = rng.choice(len(others), 2, replace=False)
                panel = [lenient, others[pair[0]]] if position == 0 else \
                    [others[pair[0]], others[pair[1]]]
                at = start + timedelta(hours=i * 3 + position)
                interview = make.interview(application, step, panel, starts_at=at)
                for person in panel:
                    card = make.scorecard(interview, person, status="submitted",
                                          submitted_at=at + timedelta(hours=2),
                                          recommendation="yes")
                    for competency in competencies:
                        noise = NOISE[competency.key]
                        bias = 1 if person.id == lenient.id else 0
                        if noise is None:
                            value = min(4, int(rng.integers(1, 5)) + bias)
                        else:
                            value = int(np.clip(round(truth[competency.key] + bias
                                                      + rng.normal(0, noise)), 1, 4))
                        session.add(CompetencyRating(scorecard_id=card.id,
                                                     competency_id=competency.id,
                                                     rating=value, evidence="seen"))
                        seeded.append({"interview": interview.id, "rater": person.id,
                                       "key": competency.key, "value": value,
                                       "scorecard": card.id, "competency": competency.id})
                    if position == 0 and kit_questions:
                        for question in kit_questions:
                            session.add(QuestionNote(scorecard_id=card.id,
                                                     question_version_id=question.id,
                                                     rating=4 if question is kit_questions[0]
                                                     else int(rng.integers(1, 5))))
        session.commit()
        ids = {"requisition": requisition.id, "lenient": lenient.id,
               "others": [o.id for o in others], "applications": application_ids,
               "ratings": seeded, "role": role,
               "questions": [q.question.public_id for q in kit_questions]}
        session.close()
    return ids


def _get(app: Any, email: str, url: str) -> Any:
    client = app.test_client()
    login(client, email)
    return client.get(url)


# ---------------------------------------------------------------------------- item 3


def test_reliability_alpha_matches_krippendorff_on_the_seeded_ratings(
        app: Any, users: dict[str, Any]) -> None:
    seeded = seed_panel(app, users)
    with app.app_context():
        session = database.get_database(app).session(write=False)
        scope = ops.report_scope(session, users["recruiter"],
                                 requisition_id=seeded["requisition"])
        report = ops.reliability_report(session, scope, n_boot=200)
        session.close()
    assert report["enough"]
    assert report["candidates"] == 40
    rows = {row["name"].lower(): row for row in report["rows"]}
    units: dict[int, list[float]] = {}
    for r in seeded["ratings"]:
        if r["key"] == "modelling":
            units.setdefault(r["interview"], []).append(r["value"])
    expected = krippendorff_alpha([[u[0] for u in units.values()],
                                   [u[1] for u in units.values()]])
    same = rows["modelling"]["same"]
    assert same["alpha"] == pytest.approx(expected, abs=1e-12)
    assert same["units"] == 80
    assert same["lo"] <= same["alpha"] <= same["hi"]
    # Low rater noise: reliable-ish; pure noise: the interval sits around 0.
    assert same["alpha"] > 0.6
    assert rows["communication"]["same"]["alpha"] == pytest.approx(0.0, abs=0.3)
    assert "unreliable" in rows["communication"]["same"]["band"]
    assert rows["modelling"]["cross"]["units"] == 40


def test_reliability_page_ignores_amendments_after_the_debrief(
        app: Any, users: dict[str, Any]) -> None:
    seeded = seed_panel(app, users)
    url = f"/reports/reliability?requisition={seeded['requisition']}"
    before = _get(app, "recruiter@example.com", url)
    assert before.status_code == 200
    with app.app_context():
        session = database.get_database(app).session(write=True)
        for r in seeded["ratings"][:60]:
            session.add(ScorecardAmendment(
                scorecard_id=r["scorecard"], author_id=r["rater"], reason="after debrief",
                changes={str(r["competency"]): {"rating": 1, "not_assessed_reason": None,
                                                "evidence": "changed"}},
                after_debrief=True))
        session.commit()
        session.close()
    after = _get(app, "recruiter@example.com", url)
    body = before.get_data(as_text=True)
    assert "Agreement per competency" in body
    assert body.split('id="table"')[1] == after.get_data(as_text=True).split('id="table"')[1]


def test_nothing_is_shown_under_thirty_candidates(app: Any, users: dict[str, Any]) -> None:
    seeded = seed_panel(app, users, candidates=27)
    response = _get(app, "auditor@example.com",
                    f"/reports/reliability?requisition={seeded['requisition']}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing is shown under 30 candidates" in body
    assert "27 candidates have" in body
    assert "3 more are needed" in body
    assert "Agreement per competency" not in body


def test_role_report_pools_requisitions_and_hiring_managers_see_their_own_only(
        app: Any, users: dict[str, Any]) -> None:
    seeded = seed_panel(app, users, candidates=12)
    with app.app_context():
        session = database.get_database(app).session(write=True)
        make = Factory(session)
        other_manager = make.user("hiring_manager")
        competency = make.competency()
        other = make.requisition(other_manager, make.profile([(competency, 2, 3, False)]),
                                 title="Someone else's opening")
        session.commit()
        other_id = other.id
        session.close()
    manager = app.test_client()
    login(manager, "hiring_manager@example.com")
    assert manager.get(f"/reports/reliability?requisition={other_id}").status_code == 404
    own = manager.get(f"/reports/calibration?role={seeded['role']}")
    assert own.status_code == 200
    assert "(yours only)" in own.get_data(as_text=True)
    index = manager.get("/reports").get_data(as_text=True)
    assert "Seeded ML engineer" in index
    assert "Someone else" not in index
    assert "Adverse impact" not in index


# ---------------------------------------------------------------------------- item 4


def test_calibration_recovers_the_planted_lenient_rater(app: Any, users: dict[str, Any]) -> None:
    seeded = seed_panel(app, users)
    with app.app_context():
        session = database.get_database(app).session(write=False)
        scope = ops.report_scope(session, users["admin"], requisition_id=seeded["requisition"])
        report = ops.calibration_report(session, scope, overdue_hours=24)
        offsets = ops.leniency_offsets(session, seeded["role"])
        session.close()
    rows = {row["interviewer_id"]: row for row in report["rows"]}
    lenient = rows[seeded["lenient"]]
    assert lenient["shared_candidates"] == 40
    # One point above the truth, less what the top of the scale clips off (about 0.8).
    assert lenient["leniency"]["offset"] == pytest.approx(0.8, abs=0.25)
    assert lenient["leniency"]["lo"] > 0.3
    for other in seeded["others"]:
        assert abs(rows[other]["leniency"]["offset"]) < 0.3
    assert offsets[seeded["lenient"]] == lenient["leniency"]["offset"]
    assert lenient["rated_share"] == 1.0
    assert lenient["focus"] == 120
    assert lenient["overdue_rate"] == 0.0
    assert lenient["due"] == 40
    assert sum(lenient["distribution"].values()) == 120

    page = _get(app, "hiring_manager@example.com",
                f"/reports/calibration?requisition={seeded['requisition']}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Lenient Rater" in body
    assert "+0." in body


def test_leniency_needs_ten_shared_candidates(app: Any, users: dict[str, Any]) -> None:
    seeded = seed_panel(app, users, candidates=4)
    with app.app_context():
        session = database.get_database(app).session(write=False)
        scope = ops.report_scope(session, users["admin"], requisition_id=seeded["requisition"])
        report = ops.calibration_report(session, scope, overdue_hours=24)
        session.close()
    lenient = next(r for r in report["rows"] if r["interviewer_id"] == seeded["lenient"])
    assert lenient["shared_candidates"] == 4
    assert lenient["leniency"]["offset"] is None
    page = _get(app, "recruiter@example.com",
                f"/reports/calibration?requisition={seeded['requisition']}")
    assert "not linked yet" in page.get_data(as_text=True)


def test_ranking_shows_leniency_adjusted_fit_beside_the_raw_only_on_request(
        app: Any, users: dict[str, Any]) -> None:
    from hiring.operations.scoring import recompute_requisition

    seeded = seed_panel(app, users)
    with app.app_context():
        session = database.get_database(app).session(write=True)
        recompute_requisition(session, seeded["requisition"], trigger="test")
        session.commit()
        from hiring.models import Requisition

        requisition = session.get(Requisition, seeded["requisition"])
        fits = ops.leniency_adjusted_fits(session, requisition, seeded["applications"])
        session.close()
    assert fits
    # The lenient rater's ratings come down, so adjusted fits are lower on average.
    changes = [f.change for f in fits.values() if f.change is not None]
    assert sum(changes) / len(changes) < 0
    client = app.test_client()
    login(client, "recruiter@example.com")
    raw = client.get(f"/requisitions/{seeded['requisition']}/ranking").get_data(as_text=True)
    assert "Show leniency-adjusted fit" in raw
    assert "Leniency-adjusted fit</th>" not in raw
    adjusted = client.get(f"/requisitions/{seeded['requisition']}/ranking?leniency=1")
    assert adjusted.status_code == 200
    assert "Leniency-adjusted fit</th>" in adjusted.get_data(as_text=True)


# ---------------------------------------------------------------------------- item 5


def test_question_statistics_flag_a_ceiling_and_suggest_rotation(
        app: Any, users: dict[str, Any], monkeypatch: Any) -> None:
    seeded = seed_panel(app, users, candidates=30, questions=True)
    monkeypatch.setattr(ops, "EXPOSURE_ROTATE_AFTER", 25)
    with app.app_context():
        session = database.get_database(app).session(write=False)
        scope = ops.report_scope(session, users["admin"], requisition_id=seeded["requisition"])
        report = ops.question_report(session, scope, rotate_after=25)
        session.close()
    rows = {row["public_id"]: row for row in report["rows"]}
    first = rows[seeded["questions"][0]]
    assert first["asked"] == 30
    assert first["distribution"] == {1: 0, 2: 0, 3: 0, 4: 60}
    assert first["ceiling"] is True
    assert first["floor"] is False
    assert first["exposure"] == 30
    assert first["rotate"] is True
    page = _get(app, "recruiter@example.com",
                f"/reports/questions?requisition={seeded['requisition']}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "ceiling" in body
    assert seeded["questions"][0] in body


# ---------------------------------------------------------------------------- item 7


def _identify(app: Any, application_ids: list[int], answers: list[tuple[str | None, str | None]]
              ) -> None:
    with app.app_context():
        session = database.get_database(app).session(write=True)
        for application_id, (sex, race) in zip(application_ids, answers, strict=False):
            session.add(SelfIdentification(application_id=application_id, sex=sex,
                                           race_ethnicity=race))
        session.commit()
        session.close()


def _stage(app: Any, application_ids: list[int], paths: list[list[str]], actor_id: int) -> None:
    """Move each application from "applied" along its path of stages (recorded changes)."""
    from hiring.models import Application

    with app.app_context():
        session = database.get_database(app).session(write=True)
        for application_id, path in zip(application_ids, paths, strict=True):
            application = session.get(Application, application_id)
            previous = "applied"
            for stage in path:
                session.add(StageChange(application_id=application_id, from_stage=previous,
                                        to_stage=stage, actor_id=actor_id))
                previous = stage
            application.stage = previous
        session.commit()
        session.close()


@pytest.fixture
def impact_seed(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """40 applicants: 25 female, 3 male, 12 unknown (4 said "prefer not to say"); the screen
    passes 15 of 25 women, 2 of 3 men and 4 of the unknown; 8 unknown are still at the screen."""
    seeded = seed_panel(app, users, candidates=40)
    ids = seeded["applications"]
    _identify(app, ids, [("female", "asian")] * 25 + [("male", "white")] * 3
              + [("prefer_not_to_say", None)] * 4)
    passed = ["screen", "interviewing"]
    paths = [[*passed, "debrief", "offer"]] * 15 + [["screen", "rejected"]] * 10 \
        + [passed] * 2 + [["screen", "rejected"]] + [passed] * 4 + [["screen"]] * 8
    _stage(app, ids, paths, users["recruiter"].id)
    return seeded


def test_impact_report_is_for_auditors_only(app: Any, users: dict[str, Any],
                                            impact_seed: dict[str, Any]) -> None:
    url = f"/reports/impact?requisition={impact_seed['requisition']}"
    for role in ("interviewer", "recruiter", "hiring_manager", "admin"):
        assert _get(app, f"{role}@example.com", url).status_code == 403, role
        assert _get(app, f"{role}@example.com", url.replace("impact", "impact.csv")
                    ).status_code == 403, role
    assert _get(app, "auditor@example.com", url).status_code == 200
    # ... and an auditor sees no candidate.
    candidate_id = 1
    assert _get(app, "auditor@example.com", f"/candidates/{candidate_id}").status_code == 403


def test_impact_page_suppresses_small_cells_and_the_export_has_raw_counts(
        app: Any, users: dict[str, Any], impact_seed: dict[str, Any]) -> None:
    client = app.test_client()
    login(client, "auditor@example.com")
    page = client.get(f"/reports/impact?requisition={impact_seed['requisition']}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "&lt;5" in body
    assert "Female" in body
    assert "Male" in body
    assert "Seed Person" not in body  # aggregates only

    csv_url = f"/reports/impact.csv?requisition={impact_seed['requisition']}"
    with client.session_transaction() as session:
        session["reauth_at"] = 0
    assert client.get(csv_url).status_code == 302  # a fresh password first
    with client.session_transaction() as session:
        session["reauth_at"] = 10**12
    export = client.get(csv_url)
    assert export.status_code == 200
    assert export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    screen_male = next(r for r in rows if r["section"] == "selection" and r["item"] == "screen"
                       and r["axis"] == "sex" and r["category"] == "Male")
    assert screen_male["people"] == "3"
    assert screen_male["selected_or_above"] == "2"
    screen_female = next(r for r in rows if r["section"] == "selection"
                         and r["item"] == "screen" and r["axis"] == "sex"
                         and r["category"] == "Female")
    assert screen_female["people"] == "25"
    assert screen_female["selected_or_above"] == "15"
    unknown = next(r for r in rows if r["section"] == "selection" and r["item"] == "screen"
                   and r["axis"] == "sex" and r["category"] == "(unknown)")
    assert unknown["people"] == "4"  # 12 unknown, 8 of them still waiting at the screen
    with app.app_context():
        session = database.get_database(app).session(write=False)
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "report.impact.export")).all()
        session.close()
    assert len(events) == 1
    assert events[0].actor_id == users["auditor"].id


def test_impact_cli_prints_the_report_as_json(app: Any, users: dict[str, Any],
                                              impact_seed: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "impact", "--requisition",
                                 str(impact_seed["requisition"]), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"scope", "axes", "applicants", "self_identified", "selection",
                           "scoring", "history"}
    assert report["scope"]["kind"] == "requisition"
    assert report["applicants"] == 40
    assert [s["step"] for s in report["selection"]] == ["screen", "offer", "hire", "overall"]
    screen = report["selection"][0]["axes"]
    assert set(screen) == {"sex", "race_ethnicity", "intersection"}
    female = screen["sex"]["categories"]["Female"]
    assert female["applicants"] == 25
    assert female["selected"] == 15
    assert {"rate", "impact_ratio", "adverse", "p_value", "ci_low", "ci_high", "shortfall",
            "withdrawn", "small", "share"} <= set(female)
    assert screen["sex"]["unknown"]["applicants"] == 4
    assert screen["intersection"]["categories"]["Female / Asian"]["applicants"] == 25

    role = runner.invoke(args=["report", "impact", "--role", impact_seed["role"], "--from",
                               "2000-01-01", "--to", "2999-12-31", "--json"])
    assert role.exit_code == 0, role.output
    assert json.loads(role.stdout)["scope"]["kind"] == "role"
    both = runner.invoke(args=["report", "impact", "--requisition", "1", "--role", "x"])
    assert both.exit_code == 1
    bad = runner.invoke(args=["report", "impact", "--role", impact_seed["role"], "--from",
                              "yesterday", "--json"])
    assert bad.exit_code == 1
    assert "YYYY-MM-DD" in bad.stderr


def test_scoring_impact_covers_stored_profile_fit_scores(app: Any, users: dict[str, Any],
                                                         impact_seed: dict[str, Any]) -> None:
    from hiring.operations.impact import impact_report
    from hiring.operations.scoring import recompute_requisition

    with app.app_context():
        session = database.get_database(app).session(write=True)
        recompute_requisition(session, impact_seed["requisition"], trigger="test")
        session.commit()
        report = impact_report(session, requisition_id=impact_seed["requisition"])
        session.close()
    profile = next(m for m in report["scoring"] if m["model"] == "profile_fit")
    assert profile["scored"] == 40
    sex = profile["axes"]["sex"]
    assert sex["unknown"] == 12
    assert sex["categories"]["Female"]["count"] == 25
    assert {"scoring_rate", "impact_ratio", "p_value", "ci_low", "shortfall"} <= set(
        sex["categories"]["Female"])
