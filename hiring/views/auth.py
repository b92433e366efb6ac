"""Log in, log out (POST), re-authenticate, change password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth import end_session, is_safe_next, mark_reauthenticated, start_session
from ..db import db_session, read_session, write_session
from ..forms import ActionForm, ChangePasswordForm, LoginForm, ReauthForm
from ..operations import OperationError
from ..operations.accounts import authenticate, change_own_password, logout_everywhere
from ..policy import Action, requires
from ..security import verify_password

bp = Blueprint("auth", __name__)

GENERIC_LOGIN_ERROR = "That e-mail address and password do not match an active account."


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """The login form; the same answer for an unknown user and a wrong password (AUTH-3)."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        config = current_app.config
        with read_session() as read:
            result = authenticate(
                read, write_session, form.email.data or "", form.password.data or "",
                max_failures=int(config["LOGIN_MAX_FAILURES"]),
                window_minutes=int(config["LOGIN_WINDOW_MINUTES"]),
            )
        if result.ok and result.user is not None:
            start_session(result.user)
            target = form.next.data if is_safe_next(form.next.data) else url_for("main.home")
            return redirect(target)
        if result.locked:
            form.form_errors.append(
                f"Too many failed attempts for this address. Try again in "
                f"{result.minutes_left} minute{'s' if result.minutes_left != 1 else ''}, or ask "
                "an administrator to reset your password."
            )
            status = 429
        else:
            form.form_errors.append(GENERIC_LOGIN_ERROR)
            status = 401
    elif request.method == "POST":
        status = 400
    form.password.data = ""
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@requires(Action.ANY_USER)
def logout() -> Response:
    """Log out on every device: the user's session token is rotated (SESS-3)."""
    form = ActionForm()
    if form.validate_on_submit():
        session = db_session()
        logout_everywhere(session, current_user.id)
        session.commit()
    end_session()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/reauth", methods=["GET", "POST"])
@requires(Action.ANY_USER)
def reauth() -> str | Response:
    """Re-enter the password before a dangerous action (AUTH-4)."""
    form = ReauthForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.password.data or ""):
            mark_reauthenticated()
            target = form.next.data if is_safe_next(form.next.data) else url_for("main.home")
            return redirect(target)
        form.password.errors = ["That password is not right."]
    return render_template("auth/reauth.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@requires(Action.ANY_USER)
def change_password() -> str | Response:
    """Change your own password; your other sessions end, this one continues."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        session = db_session()
        try:
            user = change_own_password(session, current_user.id, current_user.password_hash,
                                       form.current.data or "", form.new.data or "")
        except OperationError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            start_session(user)  # the new token: only this browser stays logged in
            flash("Your password is changed. Other sessions have been logged out.", "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
