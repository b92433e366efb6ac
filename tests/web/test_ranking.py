"""Profile fit stored and ranked, explanations, cross-role fit (issue 8).

The seeded requisition (fixture ``ranked``) has three competencies at the mid level:

=============  ======  ===  =========
competency     weight  bar  must-have
=============  ======  ===  =========
modelling      3       3    yes
evaluation     2       3    no
communication  1       2    no
=============  ======  ===  =========

and two interviewers X and Y rating these applications (recommendations in brackets)::

    Ada  X: m4 e3 c3 (strong yes)  Y: m4 e3 (yes)
    Bob  X: m3 e3 c2 (yes)         Y: m3 (no)          -> recommendations disagree
    Cy   X: m1 e1 c1 (no)          Y: m1 e1 (strong no)
    Di   X: c1 (no)                Y: c3 (no)          -> ratings 2 apart; 1/6 of the weight
    Eve  no scorecard
    Fay  X: m4 (yes), asked for an alternative process
    Gus  X: m4 (yes)               Y: e3 (yes)         -> 5/6 of the weight

By hand (W = 6; every cell stays below 30 two-rating cells, so the prior error 0.35 applies):

* Ada: fit (3*4 + 2*3 + 1*3) / 6 = 3.5, bar profile (9 + 6 + 2) / 6 = 17/6, contributions
  modelling 3*(4-3)/6 = 0.5, evaluation 0, communication 1*(3-2)/6 = 1/6; 0-100: 250/3.
  Band: var = (3/6)^2 (10*0.35/11)/2 + (2/6)^2 (10*0.35/11)/2 + (1/6)^2 0.35 = 0.067172,
  so 3.5 +/- 1.96*0.25918 = [2.992, 4] (clipped). Modelling band [3.22, 4] >= 2.5: met.
* Bob: fit 17/6 = bar profile, contributions 0; band [2.251, 3.416]; modelling [2.22, 3.78]
  straddles 2.5: unclear.
* Cy: fit 1.0; band [1, 1.508]; modelling band below 2.5: not met.
* Di: coverage 1/6 < 70 %: "insufficient coverage", no number; modelling unassessed: unclear.
* Gus: fit (3*4 + 2*3) / 5 = 3.6, bar profile (9 + 6) / 5 = 3.0, coverage 5/6; band
  var = (3/5)^2 0.35 + (2/5)^2 0.35 + 0.75 (1/6)^2 = 0.20283 -> [2.717, 4].

Order by fit: Gus 3.6, Ada 3.5, Bob 2.83, Cy 1.0; Gus-Ada and Ada-Bob overlap (one group of
three), Bob-Cy do not. By the band's lower edge: Ada 2.99, Gus 2.72, Bob 2.25, Cy 1.0.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from hiring import db as database
from hiring.models import (
    Application,
    AuditEvent,
    CompetencyRating,
    Decision,
    Interview,
    RankingMove,
    Requisition,
    Score,
    Scorecard,
    ScoringRun,
)
from hiring.operations import scoring
from tests.conftest import PASSWORD, Factory, login
from tests.web.test_scorecards import complete, loop  # noqa: F401 - the loop fixture

SPEC: dict[str, tuple[dict[str, int], dict[str, int], str | None, str | None]] = {
    "Ada": ({"m": 4, "e": 3, "c": 3}, {"m": 4, "e": 3}, "strong_yes", "yes"),
    "Bob": ({"m": 3, "e": 3, "c": 2}, {"m": 3}, "yes", "no"),
    "Cy": ({"m": 1, "e": 1, "c": 1}, {"m": 1, "e": 1}, "no", "strong_no"),
    "Di": ({"c": 1}, {"c": 3}, "no", "no"),
    "Eve": ({}, {}, None, None),
    "Fay": ({"m": 4}, {}, "yes", None),
    "Gus": ({"m": 4}, {"e": 3}, "yes", "yes"),
}


def _add_application(make: Factory, requisition: Any, step: Any, name: str,
                     x_ratings: dict[str, int], y_ratings: dict[str, int], x_rec: str | None,
                     y_rec: str | None, competencies: dict[str, Any], people: list[Any],
                     **candidate: Any) -> Any:
    application = make.application(make.candidate(name=name, **candidate), requisition)
    if not (x_ratings or y_ratings):
        return application
    interview = make.interview(application, step, people)
    for person, ratings, recommendation in ((people[0], x_ratings, x_rec),
                                            (people[1], y_ratings, y_rec)):
        if not ratings:
            continue
        card = make.scorecard(interview, person, status="submitted",
                              submitted_at=datetime.now(UTC), recommendation=recommendation)
        for key, competency in competencies.items():
            rating = ratings.get(key)
            make.session.add(CompetencyRating(
                scorecard_id=card.id, competency_id=competency.id, rating=rating,
                not_assessed_reason=None if rating is not None else "not_asked_time",
                evidence="Observed." if rating is not None else ""))
    make.session.flush()
    return application


@pytest.fixture
def ranked(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """The requisition of the module docstring, scored; ids by name."""
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        competencies = {"m": make.competency("modelling"), "e": make.competency("evaluation"),
                        "c": make.competency("communication", category="soft")}
        profile = make.profile([(competencies["m"], 3, 3, True), (competencies["e"], 2, 3, False),
                                (competencies["c"], 1, 2, False)], level="mid", key="ml-role")
        requisition = make.requisition(users["hiring_manager"], profile, level="mid",
                                       title="ML engineer")
        step = make.plan_step(requisition, list(competencies.values()), name="Deep-dive")
        people = [users["interviewer"], users["interviewer2"]]
        ids: dict[str, Any] = {"requisition": requisition.id, "profile": profile.id,
                               "competencies": {k: c.id for k, c in competencies.items()}}
        for name, (x, y, x_rec, y_rec) in SPEC.items():
            application = _add_application(make, requisition, step, name, x, y, x_rec, y_rec,
                                           competencies, people)
            if name == "Fay":
                application.alternative_process = True
            ids[name] = application.id
            ids[f"{name}_candidate"] = application.candidate_id
        session.flush()
        scoring.recompute_requisition(session, requisition.id, trigger="test")
    return ids


def _as(app: Any, email: str, *, recent: bool = False) -> Any:
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302
    if recent:
        with client.session_transaction() as flask_session:
            flask_session["reauth_at"] = 10**12
    return client


def _scores(app: Any) -> dict[int, Score]:
    with app.app_context(), database.read_session() as session:
        return {s.application_id: s for s in session.scalars(select(Score))}


def _order(body: str, names: list[str]) -> list[str]:
    positions = {name: body.find(f">{name}</a>") for name in names}
    assert all(p >= 0 for p in positions.values()), positions
    return sorted(names, key=positions.__getitem__)


# ---------------------------------------------------------------------------- values by hand


def test_fit_values_coverage_and_contributions_match_hand_computation(app: Any,
                                                                      ranked: Any) -> None:
    scores = _scores(app)
    ada, bob, gus = scores[ranked["Ada"]], scores[ranked["Bob"]], scores[ranked["Gus"]]
    assert ada.state == "ok"
    assert ada.mean == pytest.approx(3.5, abs=1e-8)
    assert ada.bar_mean == pytest.approx(17 / 6, abs=1e-8)
    assert ada.score_0_100 == pytest.approx(250 / 3, abs=1e-6)
    assert ada.coverage == 1.0
    assert ada.contributions == {"modelling": pytest.approx(0.5, abs=1e-8),
                                 "evaluation": 0.0,
                                 "communication": pytest.approx(1 / 6, abs=1e-8)}
    assert (ada.band_lo, ada.band_hi) == (pytest.approx(3.5 - 1.96 * 0.067172 ** 0.5, abs=1e-4),
                                          4.0)
    assert bob.mean == pytest.approx(17 / 6, abs=1e-8)
    assert bob.mean == bob.bar_mean
    assert gus.mean == pytest.approx(3.6, abs=1e-8)
    assert gus.bar_mean == pytest.approx(3.0, abs=1e-8)
    assert gus.coverage == pytest.approx(5 / 6)
    assert gus.band_lo == pytest.approx(3.6 - 1.96 * 0.2028333 ** 0.5, abs=1e-4)
    assert scores[ranked["Cy"]].mean == pytest.approx(1.0, abs=1e-8)


def test_contributions_sum_exactly_to_distance_from_bar_profile(app: Any, ranked: Any) -> None:
    scored = [s for s in _scores(app).values() if s.state == "ok"]
    assert len(scored) == 4
    for score in scored:
        assert sum(score.contributions.values()) == score.mean - score.bar_mean
        result = score.result
        assert sum(result["contributions_0_100"].values()) == \
            result["score_0_100"] - result["bar_0_100"]


def test_must_have_states_and_coverage_states_by_hand(app: Any, ranked: Any) -> None:
    scores = _scores(app)
    states = {name: scores[ranked[name]].must_haves["modelling"]
              for name in ("Ada", "Bob", "Cy", "Di", "Gus")}
    assert states == {"Ada": "met", "Bob": "unclear", "Cy": "not met", "Di": "unclear",
                      "Gus": "met"}
    di = scores[ranked["Di"]]
    assert di.state == "insufficient coverage"
    assert di.coverage == pytest.approx(1 / 6)
    assert di.mean is None
    assert di.score_0_100 is None
    assert ranked["Eve"] not in scores  # no rating yet: "not scored yet", no row


def test_ranking_page_orders_by_fit_and_groups_overlapping_bands(app: Any, ranked: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    response = manager.get(f"/requisitions/{ranked['requisition']}/ranking")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert _order(body, ["Gus", "Ada", "Bob", "Cy", "Di", "Eve"]) == \
        ["Gus", "Ada", "Bob", "Cy", "Di", "Eve"]
    assert "3.5, bar profile 2.8" in body
    assert "group 1: not distinguishable from 2 neighbours" in body
    assert "group 2" not in body  # Cy stands alone: no "not distinguishable" mark
    assert "Insufficient coverage" in body
    assert "Not scored yet" in body
    assert 'class="fitstrip"' in body
    assert "style=" not in body  # CSP: classes, never inline styles
    lower = manager.get(f"/requisitions/{ranked['requisition']}/ranking?sort=lower")
    assert _order(lower.get_data(as_text=True), ["Gus", "Ada", "Bob", "Cy"]) == \
        ["Ada", "Gus", "Bob", "Cy"]


def test_filters_by_stage_must_haves_and_coverage(app: Any, ranked: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    url = f"/requisitions/{ranked['requisition']}/ranking"
    met = manager.get(url + "?must=met").get_data(as_text=True)
    assert ">Ada</a>" in met
    assert ">Gus</a>" in met
    assert ">Bob</a>" not in met
    assert ">Cy</a>" not in met
    full = manager.get(url + "?coverage=100").get_data(as_text=True)
    assert ">Gus</a>" not in full
    assert ">Di</a>" not in full
    assert ">Ada</a>" in full
    with app.app_context(), database.write_session() as session:
        session.execute(update(Application).where(Application.id == ranked["Bob"])
                        .values(stage="rejected"))
    active = manager.get(url + "?stage=active").get_data(as_text=True)
    assert ">Bob</a>" not in active
    assert ">Ada</a>" in active


def test_recommendation_tally_and_disagreement_flag(app: Any, ranked: Any) -> None:
    with app.app_context(), database.read_session() as session:
        from hiring.models import User
        from hiring.operations.ranking import build_ranking

        manager = session.scalar(select(User).where(User.email == "hiring_manager@example.com"))
        view = build_ranking(session, manager, session.get(Requisition, ranked["requisition"]))
        rows = {r.name: r for r in view.rows}
    assert rows["Ada"].tally == {"strong_yes": 1, "yes": 1}
    assert not rows["Ada"].disagreement
    assert rows["Bob"].disagreement  # a yes and a no
    assert rows["Di"].disagreement  # ratings 1 and 3 of one competency
    assert not rows["Cy"].disagreement


# ---------------------------------------------------------------------------- when computed


def test_scores_recomputed_on_submit_and_amendment(app: Any, loop: Any) -> None:  # noqa: F811
    # loop: c1 weight 3 bar 3 must-have, c2 weight 2 bar 3; complete() rates c1 3 and c2 4.
    a = _as(app, "interviewer@example.com")
    assert _scores(app) == {}
    assert a.post(f"/interviews/{loop['first']}/scorecard",
                  data=complete(loop)).status_code == 302
    score = _scores(app)[loop["application"]]
    assert score.trigger == "scorecard.submit"
    assert score.mean == pytest.approx((3 * 3 + 2 * 4) / 5, abs=1e-8)
    with app.app_context(), database.read_session() as session:
        card = session.scalar(select(Scorecard.id))
        runs = session.scalars(select(ScoringRun).where(ScoringRun.kind == "recompute")).all()
    assert runs
    assert runs[-1].entries[0]["input_hash"] == score.input_hash
    a.post(f"/scorecards/{card}/amend", data={"competency_id": loop["c1"], "rating": "2",
                                              "evidence": "Rechecked.", "reason": "Misread."})
    amended = _scores(app)[loop["application"]]
    assert amended.trigger == "scorecard.amend"
    assert amended.mean == pytest.approx((3 * 2 + 2 * 4) / 5, abs=1e-8)


def test_get_requests_never_write_scores(app: Any, ranked: Any) -> None:
    before = {k: (s.computed_at, s.input_hash) for k, s in _scores(app).items()}
    manager = _as(app, "hiring_manager@example.com")
    manager.get(f"/requisitions/{ranked['requisition']}/ranking")
    manager.get(f"/applications/{ranked['Ada']}/explanation")
    manager.get(f"/candidates/{ranked['Ada_candidate']}")
    assert {k: (s.computed_at, s.input_hash) for k, s in _scores(app).items()} == before


def test_bulk_evidence_matches_effective_ratings_with_amendments(app: Any, loop: Any,  # noqa: F811
                                                                 users: Any) -> None:
    a = _as(app, "interviewer@example.com")
    a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop))
    b = _as(app, "interviewer2@example.com")
    b.post(f"/interviews/{loop['first']}/scorecard", data=complete(
        loop, **{f"rating_{loop['c2']}": "2"}))
    with app.app_context(), database.read_session() as session:
        card = session.scalar(select(Scorecard.id).where(
            Scorecard.interviewer_id == users["interviewer"].id))
    a.post(f"/scorecards/{card}/amend", data={"competency_id": loop["c1"], "rating": "1",
                                              "evidence": "x", "reason": "Misread."})
    with app.app_context(), database.read_session() as session:
        from hiring.operations.scorecards import effective_ratings

        cards = session.scalars(select(Scorecard)).all()
        by_book = effective_ratings(session, cards)
        bulk = scoring._effective_cells(session, Application.id == loop["application"])
        keys = {loop["c1"]: "ds-modelling", loop["c2"]: "ds-evaluation"}
        expected = {keys[cid]: sorted(c.rating for c in rows if c.rating is not None)
                    for cid, rows in by_book.items()}
        got = {k: sorted(v) for k, v in bulk.ratings(loop["application"]).items()}
    assert got == expected == {"ds-modelling": [1, 3], "ds-evaluation": [2, 4]}


# ---------------------------------------------------------------------------- hidden scores


def test_hidden_scores_absent_from_page_csv_explanation_and_snapshot(app: Any, ranked: Any,
                                                                     users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        session.get(Requisition, ranked["requisition"]).hide_scores = True
    manager = _as(app, "hiring_manager@example.com", recent=True)
    url = f"/requisitions/{ranked['requisition']}/ranking"
    page = manager.get(url).get_data(as_text=True)
    assert "Scores are hidden for this requisition" in page
    for leak in ("bar profile 2.8", "3.5,", "fitstrip", "83 ·", "Must-haves</th>", "group 1"):
        assert leak not in page, leak
    assert ">Ada</a>" in page
    assert ">Cy</a>" in page
    # Listed in the order they applied, never by score.
    assert _order(page, ["Ada", "Bob", "Cy", "Gus"]) == ["Ada", "Bob", "Cy", "Gus"]
    exported = manager.get(url + ".csv").get_data(as_text=True)
    header = next(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert not {"profile_fit", "score_0_100", "band_low", "coverage_share",
                "must_haves"} & set(header)
    assert "3.5" not in exported
    explanation = manager.get(f"/applications/{ranked['Ada']}/explanation")
    body = explanation.get_data(as_text=True)
    assert "Scores are hidden" in body
    assert "hchart" not in body
    assert "3.5," not in body
    with app.app_context(), database.read_session() as session:
        ada = session.get(Application, ranked["Ada"])
        assert scoring.score_snapshot(session, ada) is None
        from hiring.operations.ranking import cross_role_panel

        assert cross_role_panel(session, session.merge(users["hiring_manager"]), ada) is None


# ---------------------------------------------------------------------------- AI-6


def test_alternative_process_never_scored_and_listed_separately(app: Any, ranked: Any) -> None:
    scores = _scores(app)
    assert ranked["Fay"] not in scores
    manager = _as(app, "hiring_manager@example.com")
    url = f"/requisitions/{ranked['requisition']}/ranking"
    body = manager.get(url).get_data(as_text=True)
    ranked_part, people_part = body.split('id="people"')
    assert ">Fay</a>" not in ranked_part
    assert ">Fay</a>" in people_part
    # Ada asks for the alternative process: her score goes, she moves to the people's list.
    recruiter = _as(app, "recruiter@example.com")
    assert recruiter.post(f"/applications/{ranked['Ada']}/alternative-process",
                          data={"requested": "yes"}).status_code == 302
    assert ranked["Ada"] not in _scores(app)
    ranked_part, people_part = manager.get(url).get_data(as_text=True).split('id="people"')
    assert ">Ada</a>" not in ranked_part
    assert ">Ada</a>" in people_part
    with app.app_context(), database.read_session() as session:
        model = scoring.role_error_model(session, scoring._role_id(
            session, session.get(Requisition, ranked["requisition"])))
        # Ada's two-rating cells (modelling, evaluation) left the pool with her: Bob's and Cy's
        # modelling, Cy's evaluation and Di's communication remain.
        assert dict(model.cell_counts) == {"modelling": 2, "evaluation": 1, "communication": 1}
        assert scoring.score_snapshot(session, session.get(Application, ranked["Ada"])) is None
    recruiter.post(f"/applications/{ranked['Ada']}/alternative-process",
                   data={"requested": "no"})
    assert _scores(app)[ranked["Ada"]].mean == pytest.approx(3.5, abs=1e-8)


# ---------------------------------------------------------------------------- manual moves


def test_reorder_requires_a_reason_and_shows_it(app: Any, ranked: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    url = f"/requisitions/{ranked['requisition']}/ranking"
    refused = manager.post(url + "/move", data={"application_id": ranked["Cy"], "position": "1",
                                                "reason": "  ", "basis": "score"})
    assert refused.status_code == 400
    assert "Say why you move this candidate" in refused.get_data(as_text=True)
    with app.app_context(), database.read_session() as session:
        assert session.scalar(select(func.count(RankingMove.id))) == 0
    reason = "Referred by the team lead; strongest portfolio we saw"
    moved = manager.post(url + "/move", data={"application_id": ranked["Cy"], "position": "1",
                                              "reason": reason, "basis": "score"})
    assert moved.status_code == 302
    page = manager.get(url).get_data(as_text=True)  # the manual order is now the default
    assert reason in page
    assert _order(page, ["Gus", "Ada", "Bob", "Cy"]) == ["Cy", "Gus", "Ada", "Bob"]
    assert "Manual order" in page
    by_score = manager.get(url + "?sort=score").get_data(as_text=True)
    assert _order(by_score, ["Gus", "Ada", "Bob", "Cy"]) == ["Gus", "Ada", "Bob", "Cy"]
    with app.app_context(), database.read_session() as session:
        move = session.scalar(select(RankingMove))
        assert (move.from_position, move.to_position, move.reason) == (4, 1, reason)
        event_ = session.scalar(select(AuditEvent).where(AuditEvent.action == "ranking.move"))
        assert event_.details["to_position"] == 1
        assert reason not in str(event_.details)


# ---------------------------------------------------------------------------- records, export


def test_ranking_view_and_export_log_runs_and_audit_without_personal_data(app: Any,
                                                                          ranked: Any) -> None:
    with app.app_context(), database.write_session() as session:
        from hiring.models import Candidate

        session.get(Candidate, ranked["Ada_candidate"]).name = "=HYPERLINK(\"x\")"
    manager = _as(app, "hiring_manager@example.com", recent=True)
    url = f"/requisitions/{ranked['requisition']}/ranking"
    assert manager.get(url).status_code == 200
    exported = manager.get(url + ".csv")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    by_name = {r["candidate"]: r for r in rows}
    assert "'=HYPERLINK(\"x\")" in by_name  # formula-safe
    ada = by_name["'=HYPERLINK(\"x\")"]
    assert float(ada["profile_fit"]) == pytest.approx(3.5, abs=1e-8)
    assert ada["must_haves"] == "met"
    assert ada["recommendations_strong_yes"] == "1"
    assert by_name["Di"]["profile_fit"] == ""
    assert by_name["Di"]["state"] == \
        "insufficient coverage"
    assert by_name["Fay"]["state"] == "reviewed by people"
    assert by_name["Fay"]["position"] == ""
    text = exported.get_data(as_text=True)
    assert ',3.5,' in text or ',3.5000000' in text  # numbers unquoted
    with app.app_context(), database.read_session() as session:
        runs = {r.kind: r for r in session.scalars(select(ScoringRun))}
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["ranking.view", "ranking.export"]))).all()
    # Every scored application's input hash and state, numbers where there are any.
    assert runs["ranking.export"].entry_count == 5
    assert {e["application_id"] for e in runs["ranking.view"].entries} == {
        ranked["Ada"], ranked["Bob"], ranked["Cy"], ranked["Di"], ranked["Gus"]}
    assert runs["ranking.view"].library_versions["scikit-learn"]
    assert runs["ranking.view"].keep_until > runs["ranking.view"].at
    assert {e.action for e in events} == {"ranking.view", "ranking.export"}
    for event_ in events:
        assert event_.details["profile_version"] == ranked["profile"]
        assert "HYPERLINK" not in str(event_.details)
        assert "Ada" not in str(event_.details)


def test_ranking_query_count_does_not_grow_with_applications(app: Any, users: Any) -> None:
    sizes = (3, 30)
    requisitions = {}
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        for size in sizes:
            comps = {k: make.competency(f"{k}-{size}") for k in ("m", "e", "c")}
            profile = make.profile([(comps["m"], 3, 3, True), (comps["e"], 2, 3, False),
                                    (comps["c"], 1, 2, False)], key=f"role-{size}")
            requisition = make.requisition(users["hiring_manager"], profile)
            step = make.plan_step(requisition, list(comps.values()))
            for i in range(size):
                _add_application(make, requisition, step, f"P{size}-{i}", {"m": 1 + i % 4},
                                 {"e": 1 + (i * 3) % 4, "c": 2}, "yes", "no", comps,
                                 [users["interviewer"], users["interviewer2"]])
            session.flush()
            scoring.recompute_requisition(session, requisition.id, trigger="test")
            requisitions[size] = requisition.id
    client = _as(app, "hiring_manager@example.com")
    engine = database.get_database(app).engine
    counts = {}
    for size in sizes:
        statements: list[str] = []

        def count(*args: Any, _seen: list[str] = statements) -> None:
            _seen.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(f"/requisitions/{requisitions[size]}/ranking")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        assert f">P{size}-{size - 1}</a>" in response.get_data(as_text=True)
        counts[size] = len(statements)
    assert counts[3] == counts[30], counts


# ---------------------------------------------------------------------------- rebuild


def test_scores_rebuild_reproduces_and_reports_tampering(app: Any, ranked: Any) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scores", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "5 stored scores re-scored from their own inputs, 5 reproduce exactly, " \
           "0 mismatches" in result.output
    assert "5 unchanged" in result.output
    with app.app_context(), database.write_session() as session:
        session.execute(update(Score).where(Score.application_id == ranked["Ada"])
                        .values(mean=3.9))
    checked = runner.invoke(args=["scores", "rebuild", "--check"])
    assert checked.exit_code == 1
    assert f"application {ranked['Ada']}: mean differs" in checked.output
    repaired = runner.invoke(args=["scores", "rebuild"])
    assert repaired.exit_code == 1  # the mismatch found before is reported as a failure
    assert "After: 5 stored scores re-scored from their own inputs, 5 reproduce exactly" \
        in repaired.output
    assert runner.invoke(args=["scores", "rebuild", "--check"]).exit_code == 0
    assert _scores(app)[ranked["Ada"]].mean == pytest.approx(3.5, abs=1e-8)


def test_stale_stored_score_is_updated_by_rebuild(app: Any, ranked: Any) -> None:
    with app.app_context(), database.write_session() as session:
        session.execute(update(CompetencyRating).where(
            CompetencyRating.scorecard_id.in_(select(Scorecard.id).where(
                Scorecard.interview_id.in_(select(Interview.id).where(
                    Interview.application_id == ranked["Cy"])))),
            CompetencyRating.rating.is_not(None)).values(rating=2))
    result = app.test_cli_runner().invoke(args=["scores", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "4 unchanged, 1 updated" in result.output
    assert _scores(app)[ranked["Cy"]].mean == pytest.approx(2.0, abs=1e-8)


# ---------------------------------------------------------------------------- explanation


def test_explanation_shows_chart_strengths_shortfalls_and_evidence(app: Any, ranked: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    body = manager.get(f"/applications/{ranked['Ada']}/explanation").get_data(as_text=True)
    assert 'class="hchart"' in body
    assert "3.5, bar profile 2.8" in body
    assert "Modelling: 4.0 from 2 ratings (Deep-dive), above the bar of 3 on a critical " \
           "competency (weight 3); +0.50 against the bar profile." in body
    assert "No competency lies below its bar." in body
    assert "What would have changed" not in body  # only after a decision
    cy = manager.get(f"/applications/{ranked['Cy']}/explanation").get_data(as_text=True)
    assert "Modelling: 1.0 from 2 ratings (Deep-dive), below the bar of 3" in cy
    assert "not met" in cy


def test_counterfactual_only_after_a_decision(app: Any, ranked: Any, users: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    url = f"/applications/{ranked['Bob']}/explanation"
    assert "What would have changed the must-have status" not in manager.get(url).get_data(
        as_text=True)
    with app.app_context(), database.write_session() as session:
        session.add(Decision(application_id=ranked["Bob"], kind="reject", to_stage="rejected",
                             rationale="Not enough depth.", actor_id=users["hiring_manager"].id))
    body = manager.get(url).get_data(as_text=True)
    assert "What would have changed the must-have status" in body
    # Bob's modelling (3, 3) is unclear; two more rating points make it met.
    assert "modelling would be met with" in body


def test_explanation_and_ranking_404_for_unknown_or_foreign_ids(app: Any, ranked: Any) -> None:
    manager = _as(app, "hiring_manager@example.com")
    assert manager.get("/requisitions/99999/ranking").status_code == 404
    assert manager.get("/applications/99999/explanation").status_code == 404
    with app.app_context(), database.write_session() as session:
        other = Factory(session).user("hiring_manager", email="other-hm@example.com",
                                      password=PASSWORD)
        assert other.id
    stranger = _as(app, "other-hm@example.com")
    assert stranger.get(f"/requisitions/{ranked['requisition']}/ranking").status_code == 404
    assert stranger.get(f"/applications/{ranked['Ada']}/explanation").status_code == 404
    assert stranger.post(f"/requisitions/{ranked['requisition']}/ranking/move", data={
        "application_id": ranked["Cy"], "position": "1", "reason": "x"}).status_code == 404
    interviewer = _as(app, "interviewer@example.com")
    assert interviewer.get(f"/requisitions/{ranked['requisition']}/ranking").status_code == 403


def test_panel_member_sees_no_score_until_they_submit(app: Any, loop: Any) -> None:  # noqa: F811
    a = _as(app, "interviewer@example.com")
    a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop))
    manager = _as(app, "hiring_manager@example.com")  # on the second interview's panel
    page = manager.get(f"/requisitions/{loop['requisition']}/ranking").get_data(as_text=True)
    assert "Withheld until you submit" in page
    assert "bar profile 3.0" not in page
    explanation = manager.get(f"/applications/{loop['application']}/explanation")
    assert "Withheld until you submit" in explanation.get_data(as_text=True)
    manager.post(f"/interviews/{loop['second']}/scorecard", data=complete(loop))
    page = manager.get(f"/requisitions/{loop['requisition']}/ranking").get_data(as_text=True)
    assert "Withheld until you submit" not in page
    assert "3.4, bar profile 3.0" in page


# ---------------------------------------------------------------------------- cross-role fit


def test_cross_role_fit_names_a_clearly_better_role(app: Any, ranked: Any, users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        from hiring.models import Competency

        make = Factory(session)
        comps = {c.key: c for c in session.scalars(select(Competency))}
        # Same weights, every bar at 1: Ada's evidence clears it by far more.
        make.profile([(comps["modelling"], 3, 1, False), (comps["evaluation"], 2, 1, False),
                      (comps["communication"], 1, 1, False)], level="mid", key="data-analyst")
        # Same bars as the requisition's role: not clearly better.
        make.profile([(comps["modelling"], 3, 3, False), (comps["evaluation"], 2, 3, False),
                      (comps["communication"], 1, 2, False)], level="mid", key="ml-twin")
    with app.app_context(), database.read_session() as session:
        rows = scoring.cross_role_fit(session, session.get(Application, ranked["Ada"]))
    by_key = {row.role_key: row for row in rows}
    assert rows[0].is_own_role
    assert rows[0].role_key == "ml-role"
    assert by_key["data-analyst"].clearly_better
    assert by_key["data-analyst"].margin == pytest.approx(3.5 - 1.0, abs=1e-8)
    assert not by_key["ml-twin"].clearly_better
    manager = _as(app, "hiring_manager@example.com")
    page = manager.get(f"/candidates/{ranked['Ada_candidate']}").get_data(as_text=True)
    assert "Clearly better suited:" in page
    assert "Data Analyst" in page
    interviewer = _as(app, "interviewer@example.com")
    seen = interviewer.get(f"/candidates/{ranked['Ada_candidate']}")
    assert "Fit against other roles" not in seen.get_data(as_text=True)


# ---------------------------------------------------------------------------- profile move


def test_moving_the_profile_version_recomputes_every_score(app: Any, ranked: Any) -> None:
    with app.app_context(), database.write_session() as session:
        from hiring.models import Competency, ProfileEntry, ProfileVersion

        old = session.get(ProfileVersion, ranked["profile"])
        comps = {c.key: c for c in session.scalars(select(Competency))}
        newer = ProfileVersion(profile_id=old.profile_id, version_no=2, name=old.name,
                               summary=old.summary, level_summaries={}, provenance={},
                               content_hash="1" * 64)
        newer.entries = [ProfileEntry(level="mid", competency_id=comps[k].id, weight=w, bar=b,
                                      must_have=m) for k, w, b, m in
                         (("modelling", 3, 2, True), ("evaluation", 2, 2, False),
                          ("communication", 1, 2, False))]
        session.add(newer)
        session.flush()
        newer_id = newer.id
    manager = _as(app, "hiring_manager@example.com")
    url = f"/requisitions/{ranked['requisition']}/ranking"
    assert "Use profile version 2" in manager.get(url).get_data(as_text=True)
    assert manager.post(url + "/profile", data={"profile_version_id": newer_id}).status_code == 302
    scores = _scores(app)
    assert {s.profile_version_id for s in scores.values()} == {newer_id}
    assert scores[ranked["Ada"]].bar_mean == pytest.approx(2.0, abs=1e-8)
    assert scores[ranked["Ada"]].trigger == "profile.move"
    with app.app_context(), database.read_session() as session:
        assert session.scalar(select(AuditEvent).where(
            AuditEvent.action == "requisition.profile_move")).details["to_version"] == newer_id


def test_cancelling_an_interview_takes_its_ratings_out_of_the_score(app: Any, ranked: Any,
                                                                    users: Any) -> None:
    from hiring.models import User
    from hiring.operations.interviews import cancel_interview

    with app.app_context(), database.write_session() as session:
        interview = session.scalar(select(Interview).where(
            Interview.application_id == ranked["Gus"]))
        cancel_interview(session, interview, actor=session.get(User, users["recruiter"].id))
    assert ranked["Gus"] not in _scores(app)  # no rating left: not scored yet
    assert _scores(app)[ranked["Ada"]].mean == pytest.approx(3.5, abs=1e-8)


def test_packet_score_block_follows_the_same_rules_as_the_pages(app: Any, ranked: Any,
                                                                users: Any) -> None:
    from hiring.models import User
    from hiring.operations.ranking import packet_score_block

    with app.app_context(), database.write_session() as session:
        manager = session.get(User, users["hiring_manager"].id)
        block = packet_score_block(session, manager, session.get(Application, ranked["Ada"]))
        assert block.state == "scored"
        assert block.headline.startswith("3.5 on the rating scale (bar profile 2.8): 83 of 100")
        assert block.band[1] == pytest.approx(100.0)
        assert sum(block.contributions.values()) == pytest.approx(3.5 - 17 / 6, abs=1e-8)
        di = packet_score_block(session, manager, session.get(Application, ranked["Di"]))
        assert di.state == "insufficient_coverage"
        assert di.score_0_100 is None
        assert packet_score_block(session, manager, session.get(Application, ranked["Fay"])) \
            is None
        session.get(Requisition, ranked["requisition"]).hide_scores = True
        assert packet_score_block(session, manager, session.get(Application, ranked["Ada"])) \
            is None


def test_moves_need_the_csrf_token(app: Any, ranked: Any, tmp_path: Any) -> None:
    import re

    from hiring import create_app
    from tests.conftest import make_test_config

    csrf_app = create_app(make_test_config(tmp_path / "csrf", app.config["DATABASE_URL"],
                                           WTF_CSRF_ENABLED=True))
    client = csrf_app.test_client()

    def token(html: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    client.post("/login", data={"email": "hiring_manager@example.com", "password": PASSWORD,
                                "csrf_token": token(client.get("/login").get_data(as_text=True))})
    url = f"/requisitions/{ranked['requisition']}/ranking"
    form = {"application_id": ranked["Cy"], "position": "1", "reason": "Portfolio.",
            "basis": "score"}
    assert client.post(url + "/move", data=form).status_code == 400
    page = client.get(url).get_data(as_text=True)
    assert client.post(url + "/move", data={**form, "csrf_token": token(page)}).status_code == 302
    with csrf_app.app_context(), database.read_session() as session:
        assert session.scalar(select(func.count(RankingMove.id))) == 1
    database.get_database(csrf_app).dispose()
