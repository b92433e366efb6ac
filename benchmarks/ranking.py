"""Ranking figures (issue 8, item 9). Run: ``.venv/bin/python benchmarks/ranking.py``.

On a throwaway SQLite database migrated with :func:`hiring.db.upgrade`, bulk-inserts a
requisition with 5,000 applications and five submitted scorecards each (five interviews of one
interviewer; eight competencies, three of them must-haves; about one rating in ten "not
assessed"), plus a second requisition with 50 applications made the same way. Then prints:

1. recomputing every score of the 5,000 (:func:`hiring.operations.scoring.recompute_requisition`:
   evidence read in bulk, profile fit per application, rows written, the run recorded) the first
   time (every row inserted) and again (nothing changed: every row compared, none written);
   target under 5 s. Baseline in the same run: the pure :func:`hiring.scoring.profile_fit` on the
   same evidence already in memory, for the ratio (database and bookkeeping overhead);
2. re-scoring every stored row from its own inputs (what ``scores rebuild`` proves);
3. the ranking page at 5,000 (first page of 100 rows; the whole ranking is built and ranked) and
   its CSV export (all 5,000 rows): median of 5; target under 1 s for the page. Baseline: the
   requisition's overview page, through the same test client;
4. the number of SQL statements of the ranking page at 50 and at 5,000 applications, which must
   be equal (no N+1); the exit status is 1 when they differ.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, select  # noqa: E402

from hiring import create_app  # noqa: E402
from hiring import db as database  # noqa: E402
from hiring.models import (  # noqa: E402
    Application,
    Candidate,
    Competency,
    CompetencyRating,
    CompetencyVersion,
    Interview,
    InterviewAssignment,
    KitVersion,
    KitVersionFocus,
    PlanStep,
    PlanStepFocus,
    ProfileEntry,
    ProfileVersion,
    Requisition,
    RoleProfile,
    Scorecard,
    User,
    UserRole,
)
from hiring.operations import scoring  # noqa: E402
from hiring.security import hash_password  # noqa: E402

PASSWORD = secrets.token_urlsafe(16)  # a throwaway instance
COMPETENCIES = [  # key, weight, bar, must-have
    ("modelling", 3, 3, True), ("evaluation", 3, 3, True), ("data-wrangling", 2, 3, True),
    ("ml-systems", 2, 2, False), ("statistics", 2, 3, False), ("communication", 1, 3, False),
    ("product-sense", 1, 2, False), ("collaboration", 1, 2, False),
]
STEPS = [  # focus competencies of the five interviews
    ["modelling", "evaluation", "statistics"], ["data-wrangling", "ml-systems", "modelling"],
    ["evaluation", "communication", "product-sense"], ["collaboration", "communication"],
    ["modelling", "data-wrangling", "evaluation", "statistics"],
]
RECOMMENDATIONS = ["strong_no", "no", "yes", "strong_yes"]


def _seed_bank(conn: Any, now: datetime) -> tuple[int, dict[str, int]]:
    ids = {}
    for key, _, _, _ in COMPETENCIES:
        ids[key] = conn.execute(insert(Competency).values(
            key=key, category="technical", created_at=now)).inserted_primary_key[0]
        conn.execute(insert(CompetencyVersion).values(
            competency_id=ids[key], version_no=1, name=key.replace("-", " ").capitalize(),
            description="", anchor_1="1", anchor_2="2", anchor_3="3", anchor_4="4",
            content_hash="0" * 64, created_at=now))
    role = conn.execute(insert(RoleProfile).values(key="data-scientist", created_at=now)
                        ).inserted_primary_key[0]
    version = conn.execute(insert(ProfileVersion).values(
        profile_id=role, version_no=1, name="Data scientist", summary="", level_summaries={},
        provenance={}, content_hash="0" * 64, created_at=now)).inserted_primary_key[0]
    conn.execute(insert(ProfileEntry), [
        {"profile_version_id": version, "level": "mid", "competency_id": ids[k], "weight": w,
         "bar": b, "must_have": m} for k, w, b, m in COMPETENCIES])
    return version, ids


def _seed_users(conn: Any, now: datetime) -> dict[str, int]:
    hashed = hash_password(PASSWORD)
    users = {}
    for email, role in [("manager@example.com", "hiring_manager"),
                        *((f"interviewer{i}@example.com", "interviewer") for i in range(5))]:
        users[email] = conn.execute(insert(User).values(
            email=email, name=email.split("@")[0], password_hash=hashed,
            session_token=secrets.token_urlsafe(32), created_at=now)).inserted_primary_key[0]
        conn.execute(insert(UserRole).values(user_id=users[email], role=role))
    return users


def _seed_requisition(conn: Any, now: datetime, *, title: str, size: int, version: int,
                      competencies: dict[str, int], users: dict[str, int], rng: random.Random,
                      offset: int) -> int:
    manager = users["manager@example.com"]
    interviewers = [users[f"interviewer{i}@example.com"] for i in range(5)]
    requisition = conn.execute(insert(Requisition).values(
        title=title, profile_version_id=version, level="mid", hiring_manager_id=manager,
        status="open", created_at=now)).inserted_primary_key[0]
    kits = []
    for position, focus in enumerate(STEPS, start=1):
        step = conn.execute(insert(PlanStep).values(
            requisition_id=requisition, position=position, name=f"Interview {position}",
            minutes=45, created_at=now)).inserted_primary_key[0]
        conn.execute(insert(PlanStepFocus), [{"step_id": step, "competency_id": competencies[k]}
                                             for k in focus])
        kit = conn.execute(insert(KitVersion).values(step_id=step, version_no=1, created_at=now)
                           ).inserted_primary_key[0]
        conn.execute(insert(KitVersionFocus), [
            {"kit_version_id": kit, "competency_id": competencies[k], "position": i}
            for i, k in enumerate(focus)])
        kits.append((step, kit, focus))
    conn.execute(insert(Candidate), [
        {"name": f"Candidate {offset + i}", "email": f"c{offset + i}@example.com",
         "created_at": now} for i in range(size)])
    candidate_ids = conn.execute(select(Candidate.id).where(
        Candidate.email.in_([f"c{offset + i}@example.com" for i in range(size)]))
        .order_by(Candidate.id)).scalars().all()
    conn.execute(insert(Application), [
        {"candidate_id": cid, "requisition_id": requisition, "stage": "interviewing",
         "created_at": now + timedelta(seconds=i)} for i, cid in enumerate(candidate_ids)])
    application_ids = conn.execute(select(Application.id).where(
        Application.requisition_id == requisition).order_by(Application.id)).scalars().all()
    interviews, assignments, cards, ratings = [], [], [], []
    next_interview = (conn.execute(select(Interview.id).order_by(Interview.id.desc()).limit(1)
                                   ).scalar() or 0) + 1
    next_card = (conn.execute(select(Scorecard.id).order_by(Scorecard.id.desc()).limit(1)
                              ).scalar() or 0) + 1
    for application_id in application_ids:
        ability = rng.gauss(2.7, 0.6)
        for index, (step, kit, focus) in enumerate(kits):
            interviewer = interviewers[index]
            interviews.append({"id": next_interview, "application_id": application_id,
                               "plan_step_id": step, "kit_version_id": kit,
                               "starts_at": now - timedelta(days=3), "minutes": 45,
                               "created_at": now})
            assignments.append({"interview_id": next_interview, "interviewer_id": interviewer,
                                "short_code": f"B{next_interview:09d}"})
            given = []
            for key in focus:
                if rng.random() < 0.1:
                    ratings.append({"scorecard_id": next_card,
                                    "competency_id": competencies[key], "rating": None,
                                    "not_assessed_reason": "not_asked_time", "evidence": ""})
                    continue
                rating = min(4, max(1, round(ability + rng.gauss(0, 0.6))))
                given.append(rating)
                ratings.append({"scorecard_id": next_card, "competency_id": competencies[key],
                                "rating": rating, "not_assessed_reason": None,
                                "evidence": "Observed in the interview."})
            mean = sum(given) / len(given) if given else 2.5
            cards.append({"id": next_card, "interview_id": next_interview,
                          "interviewer_id": interviewer, "status": "submitted",
                          "recommendation": RECOMMENDATIONS[min(3, max(0, round(mean) - 1))],
                          "created_at": now, "updated_at": now,
                          "submitted_at": now - timedelta(days=2)})
            next_interview += 1
            next_card += 1
    conn.execute(insert(Interview), interviews)
    conn.execute(insert(InterviewAssignment), assignments)
    conn.execute(insert(Scorecard), cards)
    conn.execute(insert(CompetencyRating), ratings)
    return requisition


class Timing:
    """Wall-clock and CPU seconds of this process (CPU time is what a busy machine distorts
    least: the work here is single-threaded and SQLite reads come from the page cache)."""

    def __init__(self, wall: float, cpu: float) -> None:
        self.wall, self.cpu = wall, cpu

    def __str__(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU"

    def ms(self) -> str:
        """As milliseconds."""
        return f"{self.wall * 1000:.0f} ms wall, {self.cpu * 1000:.0f} ms CPU"


def _timed(fn: Callable[[], Any]) -> tuple[Timing, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), value


def _median(fn: Callable[[], Any], runs: int) -> Timing:
    timings = [_timed(fn)[0] for _ in range(runs)]
    return Timing(statistics.median(t.wall for t in timings),
                  statistics.median(t.cpu for t in timings))


def main() -> int:
    """Seed, measure, print; 1 when the query counts differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="applications (default 5000)")
    parser.add_argument("--runs", type=int, default=5, help="page renders to take the median of")
    args = parser.parse_args()
    rng = random.Random(8)
    folder = Path(tempfile.mkdtemp(prefix="hiring-ranking-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    database.upgrade(url)
    app = create_app({"HIRING_ENV": "test", "TESTING": True, "DATABASE_URL": url,
                      "SECRET_KEY": secrets.token_hex(32), "INSTANCE_PATH": str(folder),
                      "WTF_CSRF_ENABLED": False})
    now = datetime.now(UTC)
    seed_start = time.perf_counter()
    with app.app_context():
        engine = database.get_database(app).engine
        with engine.begin() as conn:
            version, competencies = _seed_bank(conn, now)
            users = _seed_users(conn, now)
            big = _seed_requisition(conn, now, title="Data scientist (5,000)", size=args.size,
                                    version=version, competencies=competencies, users=users,
                                    rng=rng, offset=0)
            small = _seed_requisition(conn, now, title="Data scientist (50)", size=50,
                                      version=version, competencies=competencies, users=users,
                                      rng=rng, offset=args.size)
    print(f"Seeded {args.size} + 50 applications, 5 submitted scorecards each, in "
          f"{time.perf_counter() - seed_start:.1f} s ({url}).")

    with app.app_context():
        # Baseline: the pure scorer on the same evidence, already in memory.
        with database.read_session() as session:
            requisition = session.get(Requisition, big)
            level = scoring.level_profile(scoring.requisition_needs(session, requisition))
            pooled = scoring.role_error_model(session, scoring._role_id(session, requisition))
            cells = scoring._effective_cells(session, Application.requisition_id == big)
            ids = list(cells.by_application)
        model = scoring.error_model_for(pooled, level)
        evidence = [scoring.evidence_from_ratings(cells.ratings(i)) for i in ids]
        pure, _ = _timed(lambda: [scoring.profile_fit(e, level, model) for e in evidence])

        def recompute(target: int) -> scoring.RecomputeSummary:
            with database.write_session() as session:
                return scoring.recompute_requisition(session, target, trigger="benchmark")

        first, summary = _timed(lambda: recompute(big))
        again, summary2 = _timed(lambda: recompute(big))
        recompute(small)

        def verify() -> scoring.VerifyReport:
            with database.read_session() as session:
                return scoring.verify_stored(session, requisition_ids=[big])

        verify_time, report = _timed(verify)

    client = app.test_client()
    response = client.post("/login", data={"email": "manager@example.com",
                                           "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    with client.session_transaction() as flask_session:
        flask_session["reauth_at"] = 10**12

    def get(path: str) -> Any:
        page = client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return page

    def count_queries(path: str) -> int:
        statements: list[str] = []

        def listen(*a: Any) -> None:
            statements.append(a[2])

        event.listen(engine, "before_cursor_execute", listen)
        try:
            get(path)
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return len(statements)

    page_url = f"/requisitions/{big}/ranking"
    get(page_url)  # warm-up (templates compiled)
    page_time = _median(lambda: get(page_url), args.runs)
    lower_time = _median(lambda: get(page_url + "?sort=lower&must=met"), args.runs)
    export_time = _median(lambda: get(page_url + ".csv"), max(1, args.runs // 2))
    get(f"/requisitions/{big}")
    baseline_page = _median(lambda: get(f"/requisitions/{big}"), args.runs)
    queries_small = count_queries(f"/requisitions/{small}/ranking")
    queries_big = count_queries(page_url)

    n = args.size
    print()
    print(f"1. Recompute all {n} scores, first time (rows inserted): {first} "
          f"(target < 5 s) - {summary.inserted} added; states {dict(summary.states)}")
    print(f"   Recompute again, nothing changed: {again} - "
          f"{summary2.unchanged} unchanged, {summary2.updated} updated")
    print(f"   Baseline, pure profile_fit on the same evidence in memory: {pure} "
          f"(recompute / baseline = {first.cpu / pure.cpu:.1f}x CPU)")
    print(f"2. Re-score {report.checked} stored rows from their inputs: {verify_time} - "
          f"{report.reproduced} reproduce, {len(report.mismatches)} mismatches")
    print(f"3. Ranking page at {n}, first page of 100 (median of {args.runs}): {page_time.ms()} "
          f"(target < 1000 ms)")
    print(f"   Sorted by the band's lower edge, must-haves met: {lower_time.ms()}")
    print(f"   CSV export of all {n}: {export_time.ms()}")
    print(f"   Baseline, the requisition's overview page: {baseline_page.ms()} "
          f"(ranking / overview = {page_time.cpu / baseline_page.cpu:.1f}x CPU)")
    print(f"4. SQL statements of the ranking page: {queries_small} at 50 applications, "
          f"{queries_big} at {n} - {'equal' if queries_small == queries_big else 'DIFFERENT'}")
    print(f"   (load average {os.getloadavg()[0]:.2f})")
    # Timings are printed against their targets, not asserted (benchmarks are not timed tests).
    return 0 if queries_small == queries_big and report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
