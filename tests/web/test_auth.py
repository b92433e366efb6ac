"""Accounts and sessions (SECURITY.md AUTH-*, SESS-*, WEB-4)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text

from hiring import create_app
from hiring import db as database
from hiring.models import AuditEvent, User
from tests.conftest import PASSWORD, Factory, login, make_test_config


def _user(app: Any, email: str) -> User:
    with app.app_context(), database.read_session() as session:
        return session.scalar(select(User).where(User.email == email))


def test_auth1_stored_hash_is_argon2id_and_no_plaintext(app: Any, users: dict[str, Any]) -> None:
    user = _user(app, "admin@example.com")
    assert user.password_hash.startswith("$argon2id$")
    with app.app_context(), database.read_session() as session:
        for table in ("users", "audit_events", "login_throttle"):
            dump = str(session.execute(text(f"SELECT * FROM {table}")).fetchall())  # noqa: S608
            assert PASSWORD not in dump


def test_auth1_outdated_hash_is_upgraded_at_login(app: Any, users: dict[str, Any],
                                                  client: Any) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with app.app_context(), database.write_session() as session:
        session.execute(text("UPDATE users SET password_hash = :h WHERE email = :e"),
                        {"h": weak, "e": "recruiter@example.com"})
    assert login(client, "recruiter@example.com").status_code == 302
    assert _user(app, "recruiter@example.com").password_hash != weak


def test_auth2_common_password_refused_and_long_unicode_accepted(app: Any) -> None:
    from hiring.operations import OperationError
    from hiring.operations.accounts import create_user

    with app.app_context(), database.write_session() as session:
        with pytest.raises(OperationError, match="commonly used"):
            create_user(session, email="a@example.com", name="A", roles=["recruiter"],
                        password="password123")
        long_unicode = "ünïcødé-ключ-密码-" * 4
        long_unicode = long_unicode[:64]
        assert len(long_unicode) == 64
        create_user(session, email="b@example.com", name="B", roles=["recruiter"],
                    password=long_unicode)
    client = app.test_client()
    assert login(client, "b@example.com", long_unicode).status_code == 302


def test_login_then_dashboard(client: Any, users: dict[str, Any]) -> None:
    response = login(client, "interviewer@example.com")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "My interviews" in page
    assert "Manage users" not in page


def test_auth3_unknown_user_and_wrong_password_get_same_answer(client: Any,
                                                               users: dict[str, Any]) -> None:
    wrong = login(client, "admin@example.com", "not the password")
    unknown = login(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match an active account" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).replace("admin@example.com", "X") == \
        unknown.get_data(as_text=True).replace("nobody@example.com", "X")


def test_auth3_throttle_holds_across_workers(tmp_path: Any, app: Any,
                                             users: dict[str, Any]) -> None:
    # Two apps on one database stand for two gunicorn workers: the count lives in the database.
    other = create_app(make_test_config(tmp_path / "w2", app.config["DATABASE_URL"]))
    clients = [app.test_client(), other.test_client()]
    limit = app.config["LOGIN_MAX_FAILURES"]
    for attempt in range(limit):
        response = login(clients[attempt % 2], "auditor@example.com", "wrong password!")
    assert response.status_code == 429
    # The right password is refused while locked, on either worker.
    for client in clients:
        refused = login(client, "auditor@example.com")
        assert refused.status_code == 429
        assert "Too many failed attempts" in refused.get_data(as_text=True)
    database.get_database(other).dispose()


def test_auth3_lock_expires_after_window(app: Any, users: dict[str, Any], client: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from freezegun import freeze_time

    start = datetime.now(UTC)
    with freeze_time(start):
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            login(client, "auditor@example.com", "wrong password!")
        assert login(client, "auditor@example.com").status_code == 429
    with freeze_time(start + timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)):
        assert login(client, "auditor@example.com").status_code == 302


def test_sess3_logout_revokes_replayed_cookie(app: Any, client: Any,
                                              users: dict[str, Any]) -> None:
    login(client, "recruiter@example.com")
    cookie = client.get_cookie("session").value
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    response = replay.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_sess3_role_change_and_disable_revoke_sessions(app: Any, users: dict[str, Any]) -> None:
    from hiring.operations.accounts import disable_user, set_roles

    a, b = app.test_client(), app.test_client()
    login(a, "recruiter@example.com")
    login(b, "auditor@example.com")
    with app.app_context(), database.write_session() as session:
        set_roles(session, session.get(User, users["recruiter"].id), ["recruiter", "auditor"],
                  actor_id=users["admin"].id)
        disable_user(session, session.get(User, users["auditor"].id), actor_id=users["admin"].id)
    assert a.get("/").status_code == 302
    assert b.get("/").status_code == 302
    assert login(b, "auditor@example.com").status_code == 401  # disabled: same generic answer


def test_sess2_session_cleared_at_login(client: Any, users: dict[str, Any]) -> None:
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login(client, "recruiter@example.com")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sess4_idle_timeout_logs_out(app: Any, client: Any, users: dict[str, Any]) -> None:
    login(client, "recruiter@example.com")
    with client.session_transaction() as session:
        session["seen_at"] -= 60 * app.config["SESSION_IDLE_MINUTES"] + 1
    assert client.get("/").status_code == 302


def test_sess4_absolute_timeout_logs_out(app: Any, client: Any, users: dict[str, Any]) -> None:
    login(client, "recruiter@example.com")
    with client.session_transaction() as session:
        session["login_at"] -= 3600 * app.config["SESSION_ABSOLUTE_HOURS"] + 1
    assert client.get("/").status_code == 302


def test_sess1_cookie_flags(client: Any, users: dict[str, Any]) -> None:
    response = login(client, "recruiter@example.com")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_sess1_secure_cookie_when_served_over_https(tmp_path: Any, sqlite_template: Any) -> None:
    import shutil

    shutil.copyfile(sqlite_template, tmp_path / "x.db")
    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}",
                                      BASE_URL="https://hire.example.com"))
    with app.app_context(), database.write_session() as session:
        Factory(session).user("recruiter", email="r@example.com", password=PASSWORD)
    response = login(app.test_client(), "r@example.com")
    assert "Secure" in response.headers["Set-Cookie"]


def test_web4_next_only_same_site(client: Any, users: dict[str, Any]) -> None:
    for target in ("https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com"):
        response = client.post("/login", data={"email": "recruiter@example.com",
                                               "password": PASSWORD, "next": target})
        assert response.headers["Location"] == "/"
        client.post("/logout")
    response = client.post("/login", data={"email": "recruiter@example.com",
                                           "password": PASSWORD, "next": "/account/password"})
    assert response.headers["Location"] == "/account/password"


def test_one_time_password_must_be_changed_first(app: Any, client: Any) -> None:
    from hiring.operations.accounts import create_user

    with app.app_context(), database.write_session() as session:
        created = create_user(session, email="new@example.com", name="New Person",
                              roles=["interviewer"])
    assert created.generated_password
    login(client, "new@example.com", created.generated_password)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/password")
    changed = client.post("/account/password", data={
        "current": created.generated_password, "new": "a much better passphrase",
        "confirm": "a much better passphrase"})
    assert changed.status_code == 302
    assert client.get("/").status_code == 200


def test_password_change_refuses_common_password_with_message(client: Any,
                                                              users: dict[str, Any]) -> None:
    login(client, "recruiter@example.com")
    response = client.post("/account/password", data={
        "current": PASSWORD, "new": "password123", "confirm": "password123"})
    assert response.status_code == 200
    assert "commonly used" in response.get_data(as_text=True)


def test_log1_logins_audited_without_secrets(app: Any, client: Any,
                                             users: dict[str, Any]) -> None:
    login(client, "recruiter@example.com", "wrong password!")
    login(client, "recruiter@example.com")
    with app.app_context(), database.read_session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")
                                 .order_by(AuditEvent.id)).all()
    assert [e.outcome for e in events] == ["failed", "ok"]
    assert "recruiter@example.com" not in str([e.details for e in events])
