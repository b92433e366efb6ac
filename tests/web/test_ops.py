"""Ready to operate: /healthz and /readyz, the structured request log, and a busy database.

SECURITY.md F2: when another connection holds SQLite's write lock past the busy timeout, a
write answers 503 with Retry-After and the user's input kept (never a traceback), while reads
go on. These tests shorten the busy timeout so they do not wait five seconds per request.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import MultiDict

from hiring import create_app
from hiring import db as database
from hiring.web import is_lock_timeout
from tests.conftest import PASSWORD, login, make_test_config

# ----------------------------------------------------------------------------- health


def test_healthz_needs_no_database(tmp_path: Path) -> None:
    app = create_app(make_test_config(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_ok_when_database_answers_at_migration_head(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "dialect": "sqlite"}


def test_readyz_503_when_migrations_are_pending(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    database.upgrade(url, "0002_pipeline")
    app = create_app(make_test_config(tmp_path, url))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "migrations pending"}
    database.get_database(app).dispose()


def test_readyz_503_when_database_unreachable(tmp_path: Path) -> None:
    app = create_app(make_test_config(tmp_path, "postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}
    assert "nobody" not in response.get_data(as_text=True)  # no connection details leak


@pytest.mark.db
def test_readyz_ok_on_each_database(db_app: Any, backend: str) -> None:
    response = db_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["dialect"] == backend


# ----------------------------------------------------------------------------- request log

LOG_LINE = re.compile(
    r"^request id=(?P<id>[0-9a-f]{16}) user=(?P<user>\d+|None) method=(?P<method>[A-Z]+) "
    r"endpoint=(?P<endpoint>\S+) status=(?P<status>\d{3}) ms=(?P<ms>\d+\.\d)$"
)


def _request_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    return [m for r in caplog.records if (m := LOG_LINE.match(r.getMessage()))]


def test_request_log_line_has_request_id_user_id_and_duration(
    client: Any, users: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    login(client, "recruiter@example.com")
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.get("/")
    lines = _request_lines(caplog)
    assert len(lines) == 1
    line = lines[0]
    assert line["id"] == response.headers["X-Request-Id"]
    assert line["user"] == str(users["recruiter"].id)
    assert (line["method"], line["endpoint"], line["status"]) == ("GET", "main.home", "200")
    assert float(line["ms"]) >= 0


def test_request_log_holds_no_personal_data(client: Any, users: dict[str, Any],
                                            caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        client.post("/login", data={"email": "recruiter@example.com", "password": "wrong one!"})
        login(client, "recruiter@example.com")
        client.get("/candidates?q=Katherine+Johnson")
        client.get("/requisitions")
    assert len(_request_lines(caplog)) >= 4
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("recruiter@example.com", "Recruiter", PASSWORD, "wrong one!", "Katherine"):
        assert secret not in text


def test_anonymous_requests_are_logged_with_no_user(client: Any,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        client.get("/healthz")
    (line,) = _request_lines(caplog)
    assert (line["user"], line["endpoint"], line["status"]) == ("None", "main.healthz", "200")


# ----------------------------------------------------------------------------- busy database (F2)

BUSY_TIMEOUT_MS = 200


@pytest.fixture
def busy_app(app: Any, users: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The SQLite app with a 0.2 s busy timeout (connections are rebuilt with it)."""
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", BUSY_TIMEOUT_MS)
    database.get_database(app).dispose()
    return app


@contextmanager
def write_lock_held(app: Any) -> Iterator[None]:
    """Another connection holds the database's write lock (BEGIN IMMEDIATE)."""
    path = make_url(app.config["DATABASE_URL"]).database
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_f2_write_waits_then_503_with_retry_after_and_input_kept(busy_app: Any) -> None:
    client = busy_app.test_client()
    login(client, "admin@example.com")
    with write_lock_held(busy_app):
        response = client.post("/admin/users/new", data={
            "name": "Kept Name", "email": "kept@example.com", "roles": "recruiter"})
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "Kept Name" in body
    assert "kept@example.com" in body
    assert "Send again" in body
    assert response.headers["X-Request-Id"] in body
    assert "Traceback" not in body
    assert "database is locked" not in body


def test_f2_kept_input_sent_again_after_the_lock_is_gone_is_saved(busy_app: Any) -> None:
    client = busy_app.test_client()
    login(client, "admin@example.com")
    with write_lock_held(busy_app):
        busy = client.post("/admin/users/new", data={
            "name": "Second Try", "email": "second@example.com", "roles": "recruiter"})
    assert busy.status_code == 503
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                        busy.get_data(as_text=True))
    again = client.post("/admin/users/new", data=MultiDict(
        [(k, v) for k, v in fields if k != "csrf_token"]))
    assert again.status_code in (200, 302)
    with busy_app.app_context(), database.read_session() as session:
        from hiring.operations.accounts import find_user_by_email

        assert find_user_by_email(session, "second@example.com") is not None


def test_f2_login_while_locked_keeps_email_never_password(busy_app: Any) -> None:
    client = busy_app.test_client()
    with write_lock_held(busy_app):
        response = client.post("/login", data={"email": "admin@example.com",
                                               "password": PASSWORD})
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "admin@example.com" in body
    assert PASSWORD not in body


def test_f2_json_callers_get_503_json(busy_app: Any) -> None:
    client = busy_app.test_client()
    login(client, "admin@example.com")
    with write_lock_held(busy_app):
        response = client.post("/admin/users/new", headers={"Accept": "application/json"},
                               data={"name": "Json", "email": "json@example.com",
                                     "roles": "recruiter"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json() == {"ok": False, "busy": True, "message": (
        "The database is busy with other changes; nothing was saved yet. Try again in a few "
        "seconds.")}


def test_f2_reads_keep_working_while_the_write_lock_is_held(busy_app: Any) -> None:
    client = busy_app.test_client()
    login(client, "admin@example.com")
    with write_lock_held(busy_app):
        for path in ("/", "/admin/users", "/readyz"):
            assert client.get(path).status_code == 200, path


def test_other_database_errors_stay_a_generic_500(app: Any) -> None:
    from hiring.web import _handle_database_error

    broken = OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))
    with app.test_request_context("/x", method="POST", data={"name": "x"}):
        app.preprocess_request()
        body, status = _handle_database_error(broken)
    assert status == 500
    assert "disk I/O error" not in body
    assert "Something went wrong" in body


def test_lock_timeout_recognised_on_both_databases() -> None:
    class PgLockTimeout(Exception):
        sqlstate = "55P03"

    assert is_lock_timeout(OperationalError("x", {}, sqlite3.OperationalError(
        "database is locked")))
    assert is_lock_timeout(OperationalError("x", {}, PgLockTimeout("lock timeout")))
    assert not is_lock_timeout(OperationalError("x", {}, sqlite3.OperationalError(
        "no such table: users")))


def test_render_refusal_needs_no_write_lock(busy_app: Any) -> None:
    """L5 on SQLite: when every render slot is taken, refusing costs a read, so a burst of
    refused packet downloads never queues for the write lock that scorecard saves need."""
    from hiring.packets.pool import RenderBusy, acquire_lease, release_lease

    db = database.get_database(busy_app)
    held = [acquire_lease(db, concurrency=2, ttl_seconds=90) for _ in range(2)]
    with write_lock_held(busy_app), pytest.raises(RenderBusy) as busy:
        acquire_lease(db, concurrency=2, ttl_seconds=90)
    assert 1 <= busy.value.retry_after <= 5
    for lease in held:
        release_lease(db, lease)
