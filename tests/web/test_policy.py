"""Deny by default and the role x action table, generated from the URL map (AUTHZ-1, -2, -6)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hiring.policy import POLICY, PUBLIC_ENDPOINTS, Action, view_action
from tests.conftest import login

ROLES = ("admin", "recruiter", "hiring_manager", "interviewer", "auditor")


def _concrete_url(rule: Any) -> str:
    """A URL for ``rule`` with every converter filled with a plausible value."""
    url = rule.rule
    for name, converter in rule._converters.items():
        value = "1" if type(converter).__name__ in {"IntegerConverter", "NumberConverter"} else "x"
        url = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + r">", value, url)
    return url


def _routes(app: Any) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, _concrete_url(rule)))
    return routes


def test_authz1_every_non_public_route_redirects_anonymous_to_login(app: Any) -> None:
    client = app.test_client()
    checked = 0
    for endpoint, method, url in _routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
        assert "/login" in response.headers["Location"], f"{method} {url}"
        checked += 1
    assert checked >= 5


def test_authz2_every_route_declares_a_policy_action(app: Any) -> None:
    undeclared = [e for e, _, _ in _routes(app)
                  if e not in PUBLIC_ENDPOINTS and view_action(app, e) is None]
    assert undeclared == []


def test_authz6_route_without_rule_is_refused_and_logged(app: Any, users: dict[str, Any],
                                                         caplog: Any) -> None:
    @app.get("/undeclared-test-route")
    def undeclared() -> str:
        return "should never be shown"

    client = app.test_client()
    login(client, "admin@example.com")
    response = client.get("/undeclared-test-route")
    assert response.status_code == 403
    assert "should never be shown" not in response.get_data(as_text=True)
    assert any("no policy rule" in r.getMessage() for r in caplog.records)


def test_authz6_exception_in_check_denies(app: Any, users: dict[str, Any],
                                          monkeypatch: Any) -> None:
    import hiring.policy as policy

    def broken(*args: Any, **kwargs: Any) -> bool:
        raise RuntimeError("policy store unavailable")

    client = app.test_client()
    login(client, "admin@example.com")
    monkeypatch.setattr(policy, "user_allows", broken)
    assert client.get("/admin/users").status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_authz2_each_role_reaches_exactly_the_get_routes_its_table_allows(
    app: Any, users: dict[str, Any], role: str
) -> None:
    client = app.test_client()
    login(client, f"{role}@example.com")
    with client.session_transaction() as session:
        session["reauth_at"] = 10**12  # recent enough for dangerous pages, for this sweep
    for endpoint, method, url in _routes(app):
        if method != "GET" or endpoint in PUBLIC_ENDPOINTS:
            continue
        action = view_action(app, endpoint)
        allowed = role in POLICY[Action(action)]
        status = client.get(url).status_code
        if allowed:
            assert status != 403, f"{role} refused {url}"
        else:
            assert status == 403, f"{role} reached {url} ({status})"


def test_interviewer_cannot_reach_admin_pages(client: Any, users: dict[str, Any]) -> None:
    login(client, "interviewer@example.com")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data={"name": "X", "email": "x@example.com",
                                                 "roles": ["admin"]}).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_authz2_each_role_is_refused_every_state_change_its_table_denies(
    app: Any, users: dict[str, Any], role: str
) -> None:
    """The POST/PUT/PATCH/DELETE half of the sweep above: a role the table does not grant an
    endpoint's action gets 403 before the view runs (so nothing changes), fresh password or not."""
    client = app.test_client()
    login(client, f"{role}@example.com")
    with client.session_transaction() as session:
        session["reauth_at"] = 10**12
    checked = 0
    for endpoint, method, url in _routes(app):
        if method == "GET" or endpoint in PUBLIC_ENDPOINTS:
            continue
        if role in POLICY[Action(view_action(app, endpoint))]:
            continue
        assert client.open(url, method=method).status_code == 403, f"{role} {method} {url}"
        checked += 1
    assert checked or role == "admin"


def test_authz2_every_action_of_the_table_is_used_by_a_route(app: Any) -> None:
    """The table and the routes stay in step: no action without a route, none undeclared."""
    used = {view_action(app, e) for e in app.view_functions if e not in PUBLIC_ENDPOINTS}
    assert None not in used
    assert set(Action) == used
    assert set(POLICY) == set(Action)
