"""Authorization as a state machine (hypothesis.stateful): SECURITY.md AUTHZ-2, AUTHZ-3, AUTHZ-4.

Random users with roles (one or two), requisitions with a visibility rule, applications,
interview assignments, draft and submitted scorecards, and page requests in any order. Every
candidate name, draft and submitted note carries a unique marker; after every request the
machine checks the response against a model of DESIGN.md 2b and the visibility rules: a marker
may appear only where the model allows it (no leak), and a page the model says the user may open
shows what it should (the model is not vacuous).
"""

from __future__ import annotations

import itertools
import shutil
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import select

from hiring import create_app
from hiring import db as database
from hiring.models import InterviewAssignment, Scorecard
from tests.conftest import Factory, make_test_config

ROLE_SETS = (("admin",), ("recruiter",), ("hiring_manager",), ("interviewer",), ("auditor",),
             ("hiring_manager", "interviewer"), ("recruiter", "interviewer"))
PAGES = ("candidate", "debrief", "scorecard", "interview", "candidates", "board", "ranking",
         "mine", "home")


def make_machine(template: Path, workdir: Path) -> type[RuleBasedStateMachine]:
    runs = itertools.count(1)

    class Authorization(RuleBasedStateMachine):
        """Users, requisitions, applications, panels, scorecards and requests."""

        def __init__(self) -> None:
            super().__init__()
            run = next(runs)
            folder = workdir / f"run{run}"
            folder.mkdir()
            shutil.copyfile(template, folder / "a.db")
            self.app = create_app(make_test_config(folder, f"sqlite:///{folder / 'a.db'}"))
            self.n = itertools.count(1)
            self.users: list[dict[str, Any]] = []
            self.reqs: list[dict[str, Any]] = []
            self.apps: list[dict[str, Any]] = []
            self.cards: list[dict[str, Any]] = []  # {id, app, interview, author, marker, status}
            self.requests = 0
            self.seen = 0
            with self.app.app_context(), database.write_session() as session:
                competency = Factory(session).competency(f"sm-{run}")
                self.competency_id = competency.id
                self.profile_id = Factory(session).profile_version([competency],
                                                                   key=f"sm-role-{run}").id

        def teardown(self) -> None:
            database.get_database(self.app).dispose()

        def _marker(self, kind: str) -> str:
            return f"{kind}MARK{next(self.n):04d}Z"

        # ------------------------------------------------------------------ world

        @initialize(visibilities=st.lists(st.sampled_from(["after_own", "after_panel",
                                                           "always"]), min_size=2, max_size=2),
                    data=st.data())
        def seed(self, visibilities: list[str], data: Any) -> None:
            """Someone of every role, two requisitions, three applications, panels, scorecards."""
            for roles in ROLE_SETS:
                self.add_user(roles)
            for visibility in visibilities:
                self.add_requisition(data, visibility)
            for _ in range(3):
                self.add_application(data)
            for _ in range(4):
                self.assign(data)
            for submit in data.draw(st.lists(st.booleans(), min_size=2, max_size=4)):
                self.write_scorecard(data, submit)

        @rule(roles=st.sampled_from(ROLE_SETS))
        def add_user(self, roles: tuple[str, ...]) -> None:
            with self.app.app_context(), database.write_session() as session:
                user = Factory(session).user(*roles, email=f"u{next(self.n)}@example.com",
                                             name=f"User {next(self.n)}")
                self.users.append({"id": user.id, "roles": set(roles),
                                   "token": user.session_token})

        @precondition(lambda self: any("hiring_manager" in u["roles"] for u in self.users))
        @rule(data=st.data(), visibility=st.sampled_from(["after_own", "after_panel",
                                                          "always"]))
        def add_requisition(self, data: Any, visibility: str) -> None:
            manager = data.draw(st.sampled_from(
                [u for u in self.users if "hiring_manager" in u["roles"]]))
            with self.app.app_context(), database.write_session() as session:
                from hiring.models import ProfileVersion

                make = Factory(session)
                requisition = make.requisition(
                    type("U", (), {"id": manager["id"]})(),
                    session.get(ProfileVersion, self.profile_id), visibility=visibility,
                    status="open")
                step = make.plan_step(requisition, [])
                self.reqs.append({"id": requisition.id, "manager": manager["id"],
                                  "visibility": visibility, "step": step.id})

        @precondition(lambda self: self.reqs)
        @rule(data=st.data())
        def add_application(self, data: Any) -> None:
            requisition = data.draw(st.sampled_from(self.reqs))
            marker = self._marker("CAND")
            with self.app.app_context(), database.write_session() as session:
                make = Factory(session)
                person = make.candidate(name=f"Person {marker}",
                                        email=f"{marker.lower()}@example.com")
                application = make.application(person, type("R", (), {"id": requisition["id"]}),
                                               stage="interviewing")
                self.apps.append({"id": application.id, "candidate": person.id,
                                  "req": requisition, "marker": marker, "interview": None,
                                  "panel": set()})

        @precondition(lambda self: self.apps and any("interviewer" in u["roles"]
                                                     for u in self.users))
        @rule(data=st.data())
        def assign(self, data: Any) -> None:
            application = data.draw(st.sampled_from(self.apps))
            person = data.draw(st.sampled_from(
                [u for u in self.users if "interviewer" in u["roles"]]))
            if person["id"] in application["panel"]:
                return
            with self.app.app_context(), database.write_session() as session:
                from datetime import UTC, datetime, timedelta

                from hiring.models import Interview, KitVersion

                if application["interview"] is None:
                    kit = session.scalar(select(KitVersion.id).where(
                        KitVersion.step_id == application["req"]["step"]))
                    interview = Interview(application_id=application["id"],
                                          plan_step_id=application["req"]["step"],
                                          kit_version_id=kit, minutes=60,
                                          starts_at=datetime.now(UTC) - timedelta(hours=2))
                    session.add(interview)
                    session.flush()
                    application["interview"] = interview.id
                session.add(InterviewAssignment(interview_id=application["interview"],
                                                interviewer_id=person["id"],
                                                short_code=f"SM{next(self.n):06d}"))
            application["panel"].add(person["id"])

        def _own_card(self, application: dict[str, Any], person: int) -> dict[str, Any] | None:
            return next((c for c in self.cards
                         if c["app"] is application and c["author"] == person), None)

        @precondition(lambda self: any(a["panel"] for a in self.apps))
        @rule(data=st.data(), submit=st.booleans())
        def write_scorecard(self, data: Any, submit: bool) -> None:
            application = data.draw(st.sampled_from([a for a in self.apps if a["panel"]]))
            person = data.draw(st.sampled_from(sorted(application["panel"])))
            card = self._own_card(application, person)
            if card is not None and card["status"] == "submitted":
                return
            marker = self._marker("NOTE" if submit else "DRAFT")
            status = "submitted" if submit else "draft"
            with self.app.app_context(), database.write_session() as session:
                from datetime import UTC, datetime

                if card is None:
                    row = Scorecard(interview_id=application["interview"], interviewer_id=person,
                                    status=status, takeaways=marker,
                                    recommendation="yes" if submit else None,
                                    submitted_at=datetime.now(UTC) if submit else None)
                    session.add(row)
                    session.flush()
                    card = {"id": row.id, "app": application, "author": person}
                    self.cards.append(card)
                else:
                    row = session.get(Scorecard, card["id"])
                    row.status, row.takeaways = status, marker
                    row.recommendation = "yes" if submit else None
                    row.submitted_at = datetime.now(UTC) if submit else None
            card.update(marker=marker, status=status)

        # ------------------------------------------------------------------ the model

        def _user(self, user_id: int) -> dict[str, Any]:
            return next(u for u in self.users if u["id"] == user_id)

        def sees_candidate(self, user: dict[str, Any], application: dict[str, Any]) -> bool:
            roles = user["roles"]
            if roles & {"admin", "recruiter"}:
                return True
            if "hiring_manager" in roles and application["req"]["manager"] == user["id"]:
                return True
            return "interviewer" in roles and user["id"] in application["panel"]

        def sees_others(self, user: dict[str, Any], application: dict[str, Any]) -> bool:
            roles = user["roles"]
            if user["id"] not in application["panel"]:
                if "recruiter" in roles:
                    return True
                return "hiring_manager" in roles and \
                    application["req"]["manager"] == user["id"]
            visibility = application["req"]["visibility"]
            if visibility == "always":
                return True
            submitted = {c["author"] for c in self.cards
                         if c["app"] is application and c["status"] == "submitted"}
            if user["id"] not in submitted:
                return False
            return visibility == "after_own" or application["panel"] <= submitted

        def may_read(self, user: dict[str, Any], card: dict[str, Any]) -> bool:
            if card["author"] == user["id"]:
                return True
            if card["status"] != "submitted":
                return False
            return bool(user["roles"] & {"recruiter", "hiring_manager", "interviewer"}) and \
                self.sees_others(user, card["app"])

        # ------------------------------------------------------------------ requests

        @precondition(lambda self: self.users)
        @rule(data=st.data(), page=st.sampled_from(PAGES))
        def request(self, data: Any, page: str) -> None:
            user = data.draw(st.sampled_from(self.users))
            client = self.app.test_client()
            with client.session_transaction() as state:
                now = time.time()
                state.update({"_user_id": user["token"], "_fresh": True, "login_at": now,
                              "seen_at": now, "reauth_at": now})
            application = data.draw(st.sampled_from(self.apps)) if self.apps else None
            card = data.draw(st.sampled_from(self.cards)) if self.cards else None
            urls = {
                "candidate": application and f"/candidates/{application['candidate']}",
                "debrief": application and f"/applications/{application['id']}/debrief",
                "scorecard": card and f"/scorecards/{card['id']}",
                "interview": application and application["interview"] and
                f"/interviews/{application['interview']}",
                "candidates": "/candidates?q=MARK",
                "board": application and f"/requisitions/{application['req']['id']}/board",
                "ranking": application and f"/requisitions/{application['req']['id']}/ranking",
                "mine": "/interviews",
                "home": "/",
            }
            url = urls[page]
            if not url:
                return
            response = client.get(url)
            self.requests += 1
            assert response.status_code in (200, 403, 404), (url, response.status_code)
            body = response.get_data(as_text=True)
            self.seen += sum(1 for o in [*self.apps, *self.cards] if o.get("marker", "@")
                             in body)
            for other in self.apps:
                if other["marker"] in body:
                    assert self.sees_candidate(user, other), \
                        f"{sorted(user['roles'])} user {user['id']} saw {other['marker']} on {url}"
            for other in self.cards:
                if other.get("marker") and other["marker"] in body:
                    assert self.may_read(user, other), \
                        f"{sorted(user['roles'])} user {user['id']} read {other['marker']} " \
                        f"({other['status']}) on {url}"
            # Not vacuous: what the model allows on the object's own page is there.
            if page == "candidate" and self.sees_candidate(user, application):
                assert response.status_code == 200, url
                assert application["marker"] in body, url
            if page == "scorecard" and card.get("marker") and \
                    card["status"] == "submitted" and self.may_read(user, card) and \
                    user["roles"] & {"recruiter", "hiring_manager", "interviewer"} and \
                    (self.sees_candidate(user, card["app"]) or card["author"] == user["id"]):
                assert response.status_code == 200, url
                assert card["marker"] in body, url

        @precondition(lambda self: self.users)
        @rule(data=st.data(), page=st.sampled_from(PAGES))
        def another_request(self, data: Any, page: str) -> None:
            self.request(data, page)

        @precondition(lambda self: self.apps and any("interviewer" in u["roles"]
                                                     for u in self.users))
        @rule(data=st.data())
        def another_assignment(self, data: Any) -> None:
            self.assign(data)

        @precondition(lambda self: any(a["panel"] for a in self.apps))
        @rule(data=st.data(), submit=st.booleans())
        def another_scorecard(self, data: Any, submit: bool) -> None:
            self.write_scorecard(data, submit)

        @invariant()
        def drafts_are_drafts(self) -> None:
            assert all(c["status"] in ("draft", "submitted") for c in self.cards)

    return Authorization


def test_authz3_authz4_random_users_and_requests_never_see_more_than_the_policy_allows(
        sqlite_template: Path, tmp_path: Path) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    machine = make_machine(sqlite_template, tmp_path)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=12, stateful_step_count=40, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
