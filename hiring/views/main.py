"""Health checks and the per-role dashboard."""

from __future__ import annotations

import functools

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import func, select, text

from ..db import db_session, get_database
from ..models import User
from ..policy import Action, requires

bp = Blueprint("main", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Process liveness: answers without touching the database or needing a login."""
    return {"status": "ok"}, 200


@functools.cache
def _code_head() -> str:
    """The migration head of the code this process runs, read once per process: migration
    files that appear on disk later belong to the next deployment (and re-reading every script
    on every probe would cost the probe more than the query does)."""
    from .. import db as database

    return database.head_revision()


@bp.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """Readiness: the database answers and its schema is at the code's migration head."""
    try:
        session = db_session()
        session.execute(text("SELECT 1"))
        current = session.scalar(text("SELECT version_num FROM alembic_version"))
        head = _code_head()
    except Exception:  # noqa: BLE001 - any failure means not ready
        return {"status": "unavailable", "database": "unreachable"}, 503
    if current != head:
        return {"status": "unavailable", "database": "migrations pending"}, 503
    return {"status": "ok", "dialect": get_database().dialect}, 200


@bp.get("/")
@requires(Action.ANY_USER)
def home() -> str:
    """The dashboard: one section per role the user holds."""
    roles = current_user.role_names
    stats = {}
    if "admin" in roles:
        session = db_session()
        stats["users"] = session.scalar(select(func.count(User.id))) or 0
        stats["active_users"] = session.scalar(
            select(func.count(User.id)).where(User.active.is_(True))
        ) or 0
    from ..operations.dashboard import dashboard_for  # issue 7: overdue, interviews, reqs

    board = dashboard_for(db_session(), current_user,
                          overdue_hours=int(current_app.config["OVERDUE_HOURS"]))
    return render_template("main/home.html", roles=roles, stats=stats, board=board)
