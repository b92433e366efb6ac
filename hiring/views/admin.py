"""Admin pages: users (list, invite, roles, disable, reset password)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..auth import require_recent_auth
from ..db import db_session
from ..forms import ActionForm, InviteUserForm, RolesForm
from ..models import User
from ..operations import OperationError
from ..operations.accounts import (
    ROLE_LABELS,
    create_user,
    disable_user,
    enable_user,
    get_user,
    reset_password,
    set_roles,
)
from ..policy import Action, requires

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50


@bp.get("/users")
@requires(Action.MANAGE_USERS)
def users() -> str:
    """All users with their roles and status, searchable and paginated."""
    query = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    statement = select(User).order_by(func.lower(User.name))
    if query:
        like = f"%{query.lower()}%"
        statement = statement.where(
            func.lower(User.name).like(like) | func.lower(User.email).like(like)
        )
    session = db_session()
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/users.html", users=rows, query=query, page=page, total=total,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), role_labels=ROLE_LABELS,
        action_form=ActionForm(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
def invite() -> str | Response:
    """Create a user with a one-time password shown once."""
    form = InviteUserForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            created = create_user(session, email=form.email.data or "", name=form.name.data or "",
                                  roles=list(form.roles.data or []), actor_id=current_user.id)
        except OperationError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            return render_template("admin/user_created.html", user=created.user,
                                   password=created.generated_password,
                                   heading="User created")
    return render_template("admin/invite.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Action.MANAGE_USERS)
@require_recent_auth
def user_detail(user_id: int) -> str | Response:
    """One user: change roles (a dangerous action: needs a recent password entry)."""
    session = db_session()
    try:
        user = get_user(session, user_id)
    except OperationError:
        abort(404)
    form = RolesForm()
    if request.method == "GET":
        form.roles.data = sorted(user.role_names)
        form.version.data = str(user.version)
    status = 200
    if form.validate_on_submit():
        try:
            set_roles(session, user, list(form.roles.data or []), actor_id=current_user.id,
                      expected_version=int(form.version.data or 0))
        except OperationError as exc:
            session.rollback()
            status = exc.status
            form.form_errors.append(str(exc))
            user = get_user(session, user_id)
        else:
            session.commit()
            flash(f"Roles of {user.name} saved; their sessions were logged out.", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_detail.html", user=user, form=form,
                           action_form=ActionForm(), role_labels=ROLE_LABELS), status


@bp.post("/users/<int:user_id>/disable")
@requires(Action.MANAGE_USERS)
@require_recent_auth
def disable(user_id: int) -> Response:
    """Disable a user (their sessions end at once)."""
    return _user_action(user_id, "disable")


@bp.post("/users/<int:user_id>/enable")
@requires(Action.MANAGE_USERS)
@require_recent_auth
def enable(user_id: int) -> Response:
    """Re-enable a disabled user."""
    return _user_action(user_id, "enable")


@bp.post("/users/<int:user_id>/reset-password")
@requires(Action.MANAGE_USERS)
@require_recent_auth
def reset(user_id: int) -> str | Response:
    """Give a user a new one-time password, shown once."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    try:
        password = reset_password(session, user_id, actor_id=current_user.id)
        user = get_user(session, user_id)
    except OperationError:
        abort(404)
    session.commit()
    return render_template("admin/user_created.html", user=user, password=password,
                           heading="Password reset")


def _user_action(user_id: int, action: str) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    try:
        user = get_user(session, user_id)
        if action == "disable":
            disable_user(session, user, actor_id=current_user.id)
        else:
            enable_user(session, user, actor_id=current_user.id)
    except OperationError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("admin.users"))
    session.commit()
    flash(f"{user.name} is {'disabled' if action == 'disable' else 'enabled'}.", "success")
    return redirect(url_for("admin.users"))
