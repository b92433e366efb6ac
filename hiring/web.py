"""Web wiring: request ids, security headers, error pages, blueprints and template helpers."""

from __future__ import annotations

import secrets
import time

from flask import Flask, Response, g, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from .operations import OperationError

# Content Security Policy: our own scripts and styles only; no inline script or style attributes.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Changed meanwhile",
    413: "Too large",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Busy, try again shortly",
}


def _start_request() -> None:
    """Give each request an id (shown on error pages, logged, sent as X-Request-Id)."""
    g.request_id = secrets.token_hex(8)
    g.request_started = time.perf_counter()
    _limit_unsized_body()


def _limit_unsized_body() -> None:
    """A body sent without a Content-Length (chunked) is read here up to the limit, so that one
    byte more answers 413 like a declared length (SECURITY.md IN-1); Werkzeug would otherwise
    cut such a body off silently at the limit and parse the truncated rest."""
    import io

    from flask import abort, current_app

    environ = request.environ
    if request.method in ("GET", "HEAD", "OPTIONS") or environ.get("CONTENT_LENGTH") or \
            not environ.get("wsgi.input_terminated"):
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def _security_headers(response: Response) -> Response:
    """Headers on every response, error pages included (SECURITY.md WEB-3)."""
    # A view may set a stricter policy (résumé downloads: "default-src 'none'; sandbox").
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.endpoint != "static":
        # Pages may hold personal data; nothing of ours should sit in a shared cache.
        response.headers["Cache-Control"] = "no-store"
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-Id"] = request_id
    return response


def _log_request(response: Response) -> Response:
    """One structured line per request: id, user id, method, endpoint, status, duration."""
    started = g.get("request_started")
    if started is not None and request.endpoint != "static":
        from flask import current_app
        from flask_login import current_user

        user_id = getattr(current_user, "id", None) if current_user else None
        current_app.logger.info(
            "request id=%s user=%s method=%s endpoint=%s status=%s ms=%.1f",
            g.get("request_id"), user_id, request.method, request.endpoint,
            response.status_code, (time.perf_counter() - started) * 1000,
        )
    return response


def error_page(code: int, message: str | None = None) -> tuple[str, int]:
    """Render the generic error page for ``code`` with the request id."""
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=ERROR_TITLES.get(code, "Error"),
            message=message,
            request_id=g.get("request_id", ""),
        ),
        code,
    )


def _handle_http_error(exc: HTTPException) -> tuple[str, int] | Response:
    code = exc.code or 500
    if code in (301, 302, 303, 307, 308):
        return exc.get_response()
    response_message = exc.description if code in (400, 409, 413, 429, 503) else None
    body, status = error_page(code, response_message)
    response = Response(body, status=status, mimetype="text/html")
    original = exc.get_response()
    for header in ("Retry-After", "Allow", "WWW-Authenticate"):
        if header in original.headers:
            response.headers[header] = original.headers[header]
    return response


def _handle_operation_error(exc: OperationError) -> tuple[str, int]:
    """A rule refused the change and the view did not handle it: show its message."""
    if exc.status in (403, 404):
        from flask_login import current_user

        from .operations.audit import record_denial

        # A POST's own write transaction (BEGIN IMMEDIATE on SQLite) must end first, or the
        # denial's separate unit of work waits out the busy timeout behind it.
        request_session = g.get("hiring_session")
        if request_session is not None:
            request_session.rollback()
        record_denial(getattr(current_user, "id", None), request.endpoint or request.path,
                      f"{exc.status}: {exc}"[:200])
        return error_page(exc.status)  # no detail: do not disclose what exists
    return error_page(exc.status, str(exc))


def _handle_unexpected(exc: Exception) -> tuple[str, int] | Response:
    if isinstance(exc, HTTPException):
        return _handle_http_error(exc)
    from flask import current_app

    current_app.logger.exception("unhandled error request_id=%s", g.get("request_id"))
    return error_page(500)


def _handle_render_busy(exc: Exception) -> Response:
    """Every PDF render slot is taken (SECURITY.md PDF-3): 503 with Retry-After."""
    body, status = error_page(503, "Several PDFs are being prepared right now. Try again in a "
                                   "few seconds.")
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Retry-After"] = str(getattr(exc, "retry_after", 5))
    return response


def _handle_render_timeout(exc: Exception) -> tuple[str, int]:
    """A PDF render ran past its time limit and was stopped."""
    from flask import current_app

    current_app.logger.warning("packet render timed out request_id=%s", g.get("request_id"))
    return error_page(503, "This PDF took too long to prepare and was stopped. Try again; if it "
                           "keeps happening, tell an administrator.")


#: Seconds a client is told to wait after the database stayed locked past the busy timeout.
DATABASE_BUSY_RETRY_AFTER = 5


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether ``exc`` means "the write lock stayed taken too long", not a broken database.

    SQLite: ``database is locked`` / ``database is busy`` after ``busy_timeout``; PostgreSQL:
    SQLSTATE 55P03 (``lock_timeout``), should a deployment set one.
    """
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "55P03":
        return True
    message = str(orig if orig is not None else exc).lower()
    return "database is locked" in message or "database is busy" in message


def _handle_database_error(exc: Exception) -> tuple[str, int] | Response:
    """A write waited out the busy timeout (SECURITY.md F2): 503 + Retry-After, input kept.

    The posted fields are rendered back (never passwords or files) with a fresh CSRF token and a
    "send again" button, as after a CSRF failure; JSON callers (autosave) get JSON. Any other
    database error is an ordinary 500.
    """
    if not is_lock_timeout(exc):
        return _handle_unexpected(exc)
    from flask import current_app, jsonify

    request_session = g.get("hiring_session")
    if request_session is not None:
        request_session.rollback()
    current_app.logger.warning("database busy request_id=%s endpoint=%s",
                               g.get("request_id"), request.endpoint)
    message = ("The database is busy with other changes; nothing was saved yet. Try again in a "
               "few seconds.")
    response: Response
    if request.method in ("GET", "HEAD") or not request.form and not request.is_json:
        body, status = error_page(503, message)
        response = Response(body, status=status, mimetype="text/html")
    elif request.is_json or request.accept_mimetypes.best == "application/json" or \
            (request.endpoint or "").endswith("autosave"):
        response = jsonify(ok=False, busy=True, message=message)
        response.status_code = 503
    else:
        body = render_template("errors/busy.html", fields=resendable_fields(),
                               action=request.path,
                               request_id=g.get("request_id", ""))
        response = Response(body, status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(DATABASE_BUSY_RETRY_AFTER)
    return response


def init_web(app: Flask) -> None:
    """Register hooks, error handlers and blueprints on ``app``."""
    app.before_request(_start_request)
    app.after_request(_security_headers)
    app.after_request(_log_request)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(OperationError, _handle_operation_error)
    app.register_error_handler(Exception, _handle_unexpected)
    from sqlalchemy.exc import OperationalError

    app.register_error_handler(OperationalError, _handle_database_error)

    from .packets.pool import RenderBusy, RenderTimeout

    app.register_error_handler(RenderBusy, _handle_render_busy)
    app.register_error_handler(RenderTimeout, _handle_render_timeout)

    from flask_wtf.csrf import CSRFError, CSRFProtect

    from . import auth, policy

    CSRFProtect(app)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    auth.init_app(app)
    policy.init_app(app)
    app.context_processor(_template_globals)
    app.add_template_filter(http_url, "http_url")

    from .views.admin import bp as admin_bp
    from .views.auth import bp as auth_bp
    from .views.bank import bp as bank_bp
    from .views.candidates import bp as candidates_bp
    from .views.debrief import bp as debrief_bp
    from .views.interviews import bp as interviews_bp
    from .views.main import bp as main_bp
    from .views.models import bp as models_bp
    from .views.notice import bp as notice_bp
    from .views.packets import bp as packets_bp
    from .views.privacy import bp as privacy_bp
    from .views.ranking import bp as ranking_bp
    from .views.reports import bp as reports_bp
    from .views.requisitions import bp as requisitions_bp
    from .views.scorecards import bp as scorecards_bp

    for blueprint in (main_bp, auth_bp, admin_bp, requisitions_bp, interviews_bp,
                      candidates_bp, scorecards_bp, bank_bp, debrief_bp, ranking_bp,
                      models_bp, reports_bp, notice_bp, privacy_bp, packets_bp):
        app.register_blueprint(blueprint)


def resendable_fields() -> list[tuple[str, str]]:
    """The posted fields a "send again" page carries back: everything but the CSRF token and
    passwords (the password forms' fields are ``current``, ``new`` and ``confirm``)."""
    return [(name, value) for name, value in request.form.items(multi=True)
            if name != "csrf_token" and "password" not in name
            and name not in {"current", "new", "confirm"}]


def _handle_csrf_error(exc: Exception) -> tuple[str, int]:
    """Re-render what was sent with a fresh token so nothing typed is lost (WEB-1).

    Password fields are not carried over; everything else is shown and re-sent as is.
    """
    return (
        render_template("errors/csrf.html", fields=resendable_fields(), action=request.path,
                        request_id=g.get("request_id", "")),
        400,
    )


def http_url(value: object) -> str:
    """``value`` when it is an ``http(s)://`` URL, else "" (WEB-2: links from users are only ever
    http or https, whatever reached the database)."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else ""


LAYOUT_URLS_MAX = 1024


def layout_url(endpoint: str, **values: str) -> str:
    """``url_for`` for the layout's fixed links (navigation, style sheets), remembered per app
    and script root: every page renders about fifteen of them, and they never change."""
    from flask import current_app

    cache: dict[tuple[str, ...], str] = current_app.extensions.setdefault("hiring.layout_urls", {})
    key = (request.script_root, endpoint, *sorted(f"{k}={v}" for k, v in values.items()))
    url = cache.get(key)
    if url is None:
        if len(cache) >= LAYOUT_URLS_MAX:  # script roots come from (proxy) headers: stay bounded
            cache.clear()
        url = cache[key] = url_for(endpoint, **values)
    return url


def _template_globals() -> dict[str, object]:
    from flask_login import current_user

    from .operations.accounts import ROLE_LABELS
    from .policy import user_allows

    def can(action: str) -> bool:
        try:
            return user_allows(current_user, action)
        except Exception:  # noqa: BLE001 - fail closed: hide what cannot be checked
            return False

    from flask import current_app

    return {"can": can, "role_labels": ROLE_LABELS, "layout_url": layout_url,
            "url_map_endpoints": current_app.view_functions}
