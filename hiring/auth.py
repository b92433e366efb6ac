"""Login sessions: Flask-Login wiring, revocable tokens, time-outs, re-authentication, ``next=``.

``User.get_id()`` returns the user's ``session_token``; rotating the token (logout, password or
role change, disable) makes every copy of every session cookie useless on every worker.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from .db import db_session, read_session, request_writes
from .models import User

F = TypeVar("F", bound=Callable[..., Any])

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
login_manager.session_protection = None  # our token rotation and time-outs do this job

#: How precisely the idle time-out is tracked (seconds).
SEEN_AT_RESOLUTION_S = 30

# Endpoints a user who must change their password may still reach.
_PASSWORD_CHANGE_ENDPOINTS = frozenset({"auth.change_password", "auth.logout", "static",
                                        "main.healthz", "main.readyz"})


#: Built once (every request runs it): the roles come joined, in the same round trip.
_USER_BY_TOKEN = select(User).where(User.session_token == bindparam("token")).options(
    joinedload(User.roles))


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    if not token:
        return None
    params = {"token": token}
    if not request_writes():
        # A read request: the request's own (read) session serves, one connection per request.
        user = db_session().scalars(_USER_BY_TOKEN, params).unique().first()
    else:
        # A short read of its own: a POST's write transaction starts only when its work does.
        with read_session() as session:
            user = session.scalars(_USER_BY_TOKEN, params).unique().first()
    if user is None or not user.active:
        return None
    return user


def is_safe_next(target: str | None) -> bool:
    """Whether ``target`` is a same-site path (no scheme, no host, no ``//``) (WEB-4)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def start_session(user: User) -> None:
    """Log ``user`` in on a cleared session (no fixation, no pre-login CSRF token reuse)."""
    session.clear()
    login_user(user)
    now = time.time()
    session["login_at"] = now
    session["seen_at"] = now
    session["reauth_at"] = now


def end_session() -> None:
    """Log out this browser and clear everything kept in its session."""
    logout_user()
    session.clear()


def mark_reauthenticated() -> None:
    """Record a password re-entry for dangerous actions (AUTH-4)."""
    session["reauth_at"] = time.time()


def recently_authenticated() -> bool:
    """Whether the password was entered within ``REAUTH_MINUTES``."""
    at = session.get("reauth_at")
    limit = 60 * int(current_app.config["REAUTH_MINUTES"])
    return isinstance(at, int | float) and time.time() - at <= limit


def require_recent_auth(view: F) -> F:
    """Send the user to re-enter their password first when the last entry is too old."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not recently_authenticated():
            flash("Please confirm your password to continue.", "info")
            target = request.full_path.rstrip("?") if request.method == "GET" else request.referrer
            return redirect(url_for("auth.reauth", next=target or url_for("main.home")))
        return view(*args, **kwargs)

    wrapper._policy_action = getattr(view, "_policy_action", None)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _enforce_timeouts_and_password_change() -> Any:
    if not current_user.is_authenticated:
        return None
    now = time.time()
    idle = 60 * int(current_app.config["SESSION_IDLE_MINUTES"])
    absolute = 3600 * int(current_app.config["SESSION_ABSOLUTE_HOURS"])
    login_at = session.get("login_at", 0)
    seen_at = session.get("seen_at", 0)
    if now - seen_at > idle or now - login_at > absolute:
        resume = _keep_pending_form(current_user.id) if request.method == "POST" else None
        end_session()
        flash("Your session timed out; please log in again.", "info")
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if resume:
            return redirect(url_for("auth.login", next=f"{request.path}?resume={resume}"))
        return redirect(url_for("auth.login"))
    if now - seen_at >= SEEN_AT_RESOLUTION_S:
        # Kept in the cookie (GET requests never write the database), refreshed at most every
        # SEEN_AT_RESOLUTION_S so that most answers need not sign and send a new cookie.
        session["seen_at"] = now
    if current_user.must_change_password and request.endpoint not in _PASSWORD_CHANGE_ENDPOINTS:
        flash("Choose your own password before you continue.", "info")
        return redirect(url_for("auth.change_password"))
    return None


def _keep_pending_form(user_id: int) -> str | None:
    """Keep a POST's form data when its session has just expired, so nothing typed is lost.

    The owner gets it back (by a random token in the login's ``next``) after logging in again.
    Password and CSRF fields are never kept.
    """
    import secrets

    from .db import write_session
    from .models import PendingForm

    data: dict[str, list[str]] = {}
    for key in request.form:
        if key == "csrf_token" or "password" in key:
            continue
        data[key] = request.form.getlist(key)
    if not data:
        return None
    token = secrets.token_urlsafe(24)
    with write_session() as session:
        session.add(PendingForm(token=token, user_id=user_id, path=request.path, data=data))
    return token


def init_app(app: Flask) -> None:
    """Install Flask-Login and the session checks (before the policy gate runs)."""
    login_manager.init_app(app)
    app.before_request(_enforce_timeouts_and_password_change)
