"""Shared fixtures: databases (SQLite and a throwaway PostgreSQL cluster), apps, clients, factories.

Database-backed tests run on migrated databases (Alembic, never ``create_all``). Each test gets
its own copy of a database migrated once per session: a file copy on SQLite, a
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hiring import create_app
from hiring import db as database
from tests.pgcluster import PG_INSTALL_HINT, PostgresCluster
from tests.pgcluster import free_port as _free_port  # noqa: F401 - kept for older imports
from tests.pgcluster import pg_bin as _pg_bin

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# --------------------------------------------------------------------------- PostgreSQL cluster
# The cluster itself lives in tests/pgcluster.py (benchmarks/load.py uses it too).


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL cluster; a missing server fails in CI and skips elsewhere."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        if IN_CI:
            pytest.fail(PG_INSTALL_HINT)
        pytest.skip(PG_INSTALL_HINT)
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    print(f"\n[postgresql] cluster {bin_dir.parent.name} started on 127.0.0.1:{cluster.port}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    """A PostgreSQL database migrated to head once, used as the template for each test."""
    name = "hiring_template"
    pg_cluster.admin(f"CREATE DATABASE {name}")
    database.upgrade(pg_cluster.url(name))
    return name


# --------------------------------------------------------------------------- SQLite template


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database.upgrade(f"sqlite:///{path}")
    return path


def _sqlite_copy(template: Path, target_dir: Path) -> str:
    target = target_dir / "hiring.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


# --------------------------------------------------------------------------- apps


def make_test_config(instance: Path, url: str, **extra: Any) -> dict[str, Any]:
    """The configuration every test app starts from."""
    config: dict[str, Any] = {
        "HIRING_ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": url,
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://127.0.0.1:5000",
    }
    config.update(extra)
    return config


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path) -> Iterator[Any]:
    """An app on its own migrated SQLite database (CSRF off; dedicated tests turn it on)."""
    application = create_app(make_test_config(tmp_path, _sqlite_copy(sqlite_template, tmp_path)))
    yield application
    database.get_database(application).dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database a ``db`` test runs on: every such test runs once on each."""
    return request.param


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh migrated database URL on the parametrized backend."""
    if backend == "sqlite":
        yield _sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database(template=request.getfixturevalue("pg_template"))
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def empty_db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty (never migrated) database URL on the parametrized backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def db_app(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """An app on the parametrized backend."""
    application = create_app(make_test_config(tmp_path, db_url))
    yield application
    database.get_database(application).dispose()


@pytest.fixture
def client(app: Any) -> Any:
    """A test client of the SQLite app."""
    return app.test_client()


def wait_until(predicate: Any, timeout: float = 5.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


# --------------------------------------------------------------------------- factories


@functools.lru_cache(maxsize=16)
def _cached_hash(password: str) -> str:
    """argon2id is slow by design; tests hash each distinct password once per run."""
    from hiring.security import hash_password

    return hash_password(password)


class Factory:
    """Builds rows for tests in one session; every method flushes and returns the row."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._n = itertools.count(1)

    def _add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def user(self, *roles: str, email: str | None = None, name: str | None = None,
             password: str | None = None) -> Any:
        """A user holding ``roles`` (default: interviewer)."""
        import secrets as _secrets

        from hiring.models import User, UserRole

        n = next(self._n)
        password_hash = "$argon2id$unset"
        if password is not None:
            password_hash = _cached_hash(password)
        user = User(
            email=email or f"user{n}@example.com",
            name=name or f"User {n}",
            password_hash=password_hash,
            session_token=_secrets.token_urlsafe(32),
        )
        user.roles = [UserRole(role=r) for r in (roles or ("interviewer",))]
        return self._add(user)

    def competency(self, key: str | None = None, category: str = "technical") -> Any:
        """A competency with one version and four anchors."""
        from hiring.models import Competency, CompetencyVersion

        key = key or f"competency-{next(self._n)}"
        competency = self._add(Competency(key=key, category=category))
        self._add(CompetencyVersion(
            competency_id=competency.id, version_no=1, name=key.replace("-", " ").title(),
            description=f"About {key}", anchor_1="not yet", anchor_2="foundational",
            anchor_3="proficient", anchor_4="advanced", content_hash="0" * 64,
        ))
        return competency

    def profile_version(self, competencies: list[Any], level: str = "mid",
                        key: str | None = None) -> Any:
        """A role profile version weighting ``competencies`` at ``level`` (weight 2, bar 3)."""
        from hiring.models import ProfileEntry, ProfileVersion, RoleProfile

        profile = self._add(RoleProfile(key=key or f"role-{next(self._n)}"))
        version = ProfileVersion(
            profile_id=profile.id, version_no=1, name=profile.key, summary="A role.",
            level_summaries={}, provenance={"defined_by": "tests"}, content_hash="0" * 64,
        )
        version.entries = [
            ProfileEntry(level=level, competency_id=c.id, weight=2, bar=3) for c in competencies
        ]
        return self._add(version)

    def question(self, competency: Any, *, kind: str = "technical", minutes: int = 10,
                 levels: tuple[str, ...] = ("junior", "mid", "senior"),
                 prompt: str | None = None, public_id: str | None = None) -> Any:
        """A bank question with one version; returns the version."""
        from hiring.models import Question, QuestionVersion

        n = next(self._n)
        question = self._add(Question(public_id=public_id or f"q-{n:03d}",
                                      competency_id=competency.id))
        return self._add(QuestionVersion(
            question_id=question.id, version_no=1, kind=kind, levels=list(levels),
            prompt=prompt or f"Question {n} about {competency.key}?",
            follow_ups=["Why?", "What else?"], signals=["a", "b", "c"],
            red_flags=["x", "y"], minutes=minutes, content_hash="0" * 64,
        ))

    def profile(self, spec: list[tuple[Any, int, int, bool]], level: str = "mid",
                key: str | None = None) -> Any:
        """A profile version from (competency, weight, bar, must_have) rows at ``level``."""
        from hiring.models import ProfileEntry, ProfileVersion, RoleProfile

        profile = self._add(RoleProfile(key=key or f"role-{next(self._n)}"))
        version = ProfileVersion(
            profile_id=profile.id, version_no=1, name=profile.key.replace("-", " ").title(),
            summary="Builds and ships models.", level_summaries={level: "Works independently."},
            provenance={"defined_by": "tests"}, content_hash="0" * 64,
        )
        version.entries = [ProfileEntry(level=level, competency_id=c.id, weight=w, bar=b,
                                        must_have=m) for c, w, b, m in spec]
        return self._add(version)

    def requisition(self, hiring_manager: Any, profile_version: Any | None = None,
                    level: str = "mid", **fields: Any) -> Any:
        """A requisition (a profile with one competency is made when none is given)."""
        from hiring.models import Requisition

        if profile_version is None:
            profile_version = self.profile_version([self.competency()], level=level)
        return self._add(Requisition(
            title=fields.pop("title", f"Requisition {next(self._n)}"),
            profile_version_id=profile_version.id, level=level,
            hiring_manager_id=hiring_manager.id, **fields,
        ))

    def candidate(self, name: str | None = None, email: str | None = None, **fields: Any) -> Any:
        """A candidate with fictional contact data."""
        from hiring.models import Candidate

        n = next(self._n)
        return self._add(Candidate(name=name or f"Candidate {n}",
                                   email=email or f"candidate{n}@example.com", **fields))

    def application(self, candidate: Any, requisition: Any, stage: str = "interviewing") -> Any:
        """An application of ``candidate`` to ``requisition``."""
        from hiring.models import Application

        return self._add(Application(candidate_id=candidate.id,
                                     requisition_id=requisition.id, stage=stage))

    def plan_step(self, requisition: Any, focus: list[Any] | None = None,
                  name: str = "Technical deep-dive", minutes: int = 60) -> Any:
        """A plan step with focus competencies and an empty first kit version."""
        from hiring.models import KitVersion, PlanStep, PlanStepFocus

        step = self._add(PlanStep(requisition_id=requisition.id, name=name, minutes=minutes,
                                  position=len(requisition.steps) + 1))
        for competency in focus or []:
            self._add(PlanStepFocus(step_id=step.id, competency_id=competency.id))
        self._add(KitVersion(step_id=step.id, version_no=1))
        return step

    def interview(self, application: Any, step: Any, interviewers: list[Any],
                  starts_at: Any = None) -> Any:
        """An interview of ``application`` in ``step`` with ``interviewers`` assigned."""
        from datetime import UTC, datetime, timedelta

        from sqlalchemy import select

        from hiring.models import Interview, InterviewAssignment, KitVersion

        kit = self.session.scalars(
            select(KitVersion).where(KitVersion.step_id == step.id)
            .order_by(KitVersion.version_no.desc())
        ).first()
        interview = self._add(Interview(
            application_id=application.id, plan_step_id=step.id, kit_version_id=kit.id,
            starts_at=starts_at or datetime.now(UTC) - timedelta(hours=2), minutes=step.minutes,
        ))
        for person in interviewers:
            self._add(InterviewAssignment(interview_id=interview.id, interviewer_id=person.id,
                                          short_code=f"C{next(self._n):06d}"))
        return interview

    def scorecard(self, interview: Any, interviewer: Any, **fields: Any) -> Any:
        """A draft scorecard."""
        from hiring.models import Scorecard

        return self._add(Scorecard(interview_id=interview.id, interviewer_id=interviewer.id,
                                   **fields))


@pytest.fixture
def make(app: Any) -> Iterator[Factory]:
    """A :class:`Factory` on the SQLite app; tests commit with ``make.session.commit()``."""
    with app.app_context():
        session = database.get_database(app).session(write=True)
        try:
            yield Factory(session)
        finally:
            session.close()


PASSWORD = "correct horse battery staple"


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Log ``client`` in (CSRF off in the default test app)."""
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def users(app: Any) -> dict[str, Any]:
    """One committed user per role (password :data:`PASSWORD`) by role, plus ``interviewer2``."""
    with app.app_context():
        session = database.get_database(app).session(write=True)
        make = Factory(session)
        people = {
            role: make.user(role, email=f"{role}@example.com", name=role.replace("_", " ").title(),
                            password=PASSWORD)
            for role in ("admin", "recruiter", "hiring_manager", "interviewer", "auditor")
        }
        people["interviewer2"] = make.user("interviewer", email="interviewer2@example.com",
                                           name="Second Interviewer", password=PASSWORD)
        session.commit()
        session.close()
    return people


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Keep the browser tests and the load tests each on one xdist worker (``--dist loadgroup``):
    their session servers start once, and the two heavy groups run beside the rest."""
    for item in items:
        path = str(item.fspath)
        if "/tests/e2e/" in path:
            item.add_marker(pytest.mark.xdist_group("browser"))
        elif "/tests/load/" in path:
            item.add_marker(pytest.mark.xdist_group("load"))
