"""CSRF on every state change, with the input kept on failure (WEB-1)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from hiring import create_app
from hiring import db as database
from tests.conftest import PASSWORD, Factory, make_test_config


@pytest.fixture
def csrf_app(tmp_path: Path, sqlite_template: Path) -> Any:
    shutil.copyfile(sqlite_template, tmp_path / "c.db")
    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'c.db'}",
                                      WTF_CSRF_ENABLED=True))
    with app.app_context(), database.write_session() as session:
        Factory(session).user("admin", email="admin@example.com", password=PASSWORD)
    return app


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_web1_post_without_token_refused_and_input_kept(csrf_app: Any) -> None:
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD,
                                "csrf_token": _token(page)})
    response = client.post("/admin/users/new", data={"name": "Kept Name",
                                                     "email": "kept@example.com",
                                                     "roles": "recruiter"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Kept Name" in body
    assert "kept@example.com" in body
    assert "Send again" in body


def test_web1_logout_is_post_only_and_needs_token(csrf_app: Any) -> None:
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": "admin@example.com", "password": PASSWORD,
                                "csrf_token": _token(page)})
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still logged in
    token = _token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_web1_csrf_token_has_no_time_limit(csrf_app: Any) -> None:
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] is None
