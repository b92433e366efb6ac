"""The minimal wiring: health check, security headers, error pages with a request id."""

from __future__ import annotations

from typing import Any


def test_healthz_answers_without_login(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_security_headers_on_pages_and_error_pages(client: Any) -> None:
    for path in ("/healthz", "/no-such-page"):
        response = client.get(path)
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert response.headers["Cache-Control"] == "no-store"


def test_not_found_page_shows_request_id(client: Any) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    request_id = response.headers["X-Request-Id"]
    assert request_id in response.get_data(as_text=True)


def test_layout_links_follow_the_proxy_prefix_of_each_request(
        tmp_path: Any, sqlite_template: Any) -> None:
    """Behind a proxy that mounts the app under a prefix (HIRING_TRUST_PROXY), the layout's
    links carry that prefix; the remembered links of one prefix never leak into another."""
    from hiring import create_app
    from tests.conftest import _sqlite_copy, make_test_config

    app = create_app(make_test_config(tmp_path, _sqlite_copy(sqlite_template, tmp_path),
                                      TRUST_PROXY=1))
    client = app.test_client()
    prefixed = client.get("/login", headers={"X-Forwarded-Prefix": "/hiring"})
    plain = client.get("/login")
    again = client.get("/login", headers={"X-Forwarded-Prefix": "/hiring"})
    assert 'href="/hiring/static/css/app.css' in prefixed.get_data(as_text=True)
    assert 'href="/static/css/app.css' in plain.get_data(as_text=True)
    assert 'href="/hiring/static/css/app.css' in again.get_data(as_text=True)
