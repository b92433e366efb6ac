"""Question bank pages: browse and search questions, competencies, role profiles, domain packs,
comparisons; admins add, edit and retire questions and adjust profiles (each a new version)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import question_bank as qb
from ..bank_forms import (
    QuestionForm,
    entry_changes,
    profile_field_names,
    profile_level_data,
    profile_level_form,
    show_problems,
)
from ..db import db_session
from ..forms import ActionForm
from ..operations import Conflict, NotFound, OperationError
from ..operations import bank as ops
from ..policy import Action, requires
from . import show_refusal

bp = Blueprint("bank", __name__, url_prefix="/bank")

T = TypeVar("T")


def _found(find: Callable[..., T], *args: Any) -> T:
    """What ``find(db_session(), *args)`` returns, or a plain 404 page when it raises NotFound.

    The bank's pages answer an unknown key with ``abort(404)``: :class:`NotFound` itself would
    reach the app's error handler, which records it as a denial.
    """
    try:
        return find(db_session(), *args)
    except NotFound:
        abort(404)


def _filters() -> ops.QuestionFilters:
    args = request.args
    status = args.get("status", "active")
    return ops.QuestionFilters(
        q=args.get("q", "").strip()[:200], role=args.get("role", ""),
        level=args.get("level", "") if args.get("level", "") in qb.LEVELS else "",
        competency=args.get("competency", ""),
        category=args.get("category", "") if args.get("category", "") in qb.CATEGORIES else "",
        kind=args.get("kind", "") if args.get("kind", "") in qb.KINDS else "",
        domain=args.get("domain", ""),
        status=status if status in ("active", "retired", "all") else "active",
    )


@bp.get("/")
@requires(Action.READ_BANK)
def index() -> str:
    """Browse and search questions by role, level, competency, category, kind and text."""
    filters = _filters()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    session = db_session()
    results = ops.search_questions(session, filters, page)
    return render_template("bank/index.html", filters=filters, results=results,
                           options=ops.browse_options(session),
                           empty_bank=ops.bank_is_empty(session))


@bp.get("/questions/<public_id>")
@requires(Action.READ_BANK)
def question(public_id: str) -> str:
    """A question: every field of its newest version, and all its versions."""
    view = _found(ops.question_view, public_id)
    return render_template("bank/question.html", view=view, action_form=ActionForm())


@bp.route("/questions/new", methods=["GET", "POST"])
@requires(Action.EDIT_BANK)
def question_new() -> str | Response | tuple[str, int]:
    """Add a question (owned by the app: `bank load` never touches it)."""
    session = db_session()
    form = QuestionForm()
    if request.method == "GET":
        form = QuestionForm(data={"competency": request.args.get("competency", ""),
                                  "levels": list(qb.LEVELS)})
    form.set_competencies(ops.competency_names(session))
    status = 200
    if form.validate_on_submit():
        try:
            created = ops.create_question(session, form.to_raw(), actor_id=current_user.id)
        except ops.BankInvalid as exc:
            session.rollback()
            show_problems(form, exc.problems)
            status = 400
        except OperationError as exc:
            status = show_refusal(session, form, exc, raise_for=())
        else:
            session.commit()
            flash(f"Question {created.public_id} added.", "success")
            return redirect(url_for("bank.question", public_id=created.public_id))
    elif request.method == "POST":
        status = 400
    return render_template("bank/question_form.html", form=form, question=None,
                           saved=None), status


@bp.route("/questions/<public_id>/edit", methods=["GET", "POST"])
@requires(Action.EDIT_BANK)
def question_edit(public_id: str) -> str | Response | tuple[str, int]:
    """Edit a question: saving makes a new version; a stale form answers 409, input kept."""
    session = db_session()
    question = _found(ops.get_question, public_id)
    latest = _found(ops.latest_question_version, question)
    form = QuestionForm()
    if request.method == "GET":
        form = QuestionForm(data=QuestionForm.data_from_raw(ops.question_raw(session, question),
                                                            latest.version_no))
    status = 200
    saved = None
    if form.validate_on_submit():
        try:
            version = ops.edit_question(session, question, form.to_raw(),
                                        expected_version=int(form.version.data or 0),
                                        actor_id=current_user.id)
        except Conflict as exc:
            status = show_refusal(session, form, exc)
            # Show what is saved now; saving again after review is a deliberate overwrite.
            question = ops.get_question(session, public_id)
            saved = ops.question_raw(session, question)
            form.version.data = str(ops.latest_question_version(session, question).version_no)
        except ops.BankInvalid as exc:
            session.rollback()
            show_problems(form, exc.problems)
            status = 400
        else:
            session.commit()
            if version is None or version.id == latest.id:
                flash("Nothing changed in the text; no new version." if version is None
                      else "Alternate saved; the text is unchanged.", "info")
            else:
                flash(f"Saved as version {version.version_no}; kits keep the versions they "
                      f"use.", "success")
            return redirect(url_for("bank.question", public_id=public_id))
    elif request.method == "POST":
        status = 400
    return render_template("bank/question_form.html", form=form, question=question,
                           saved=saved), status


@bp.post("/questions/<public_id>/retire")
@requires(Action.EDIT_BANK)
def question_retire(public_id: str) -> Response:
    """Retire a question (its versions stay; kits and scorecards keep what they used)."""
    return _question_action(public_id, ops.retire_question, "retired")


@bp.post("/questions/<public_id>/restore")
@requires(Action.EDIT_BANK)
def question_restore(public_id: str) -> Response:
    """Bring a retired question back."""
    return _question_action(public_id, ops.restore_question, "restored")


def _question_action(public_id: str, operation: Callable[..., None], done: str) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    try:
        question = ops.get_question(session, public_id)
        operation(session, question, actor_id=current_user.id)
    except NotFound:
        abort(404)
    except OperationError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        session.commit()
        flash(f"Question {public_id} {done}.", "success")
    return redirect(url_for("bank.question", public_id=public_id))


@bp.get("/competencies")
@requires(Action.READ_BANK)
def competencies() -> str:
    """All competencies by category, with their question counts."""
    return render_template("bank/competencies.html", rows=ops.competency_list(db_session()))


@bp.get("/competencies/<key>")
@requires(Action.READ_BANK)
def competency(key: str) -> str:
    """A competency: description, the four anchors, versions, roles and questions."""
    view = _found(ops.competency_view, key)
    return render_template("bank/competency.html", view=view)


@bp.get("/roles")
@requires(Action.READ_BANK)
def roles() -> str:
    """All role profiles."""
    return render_template("bank/roles.html", rows=ops.profile_list(db_session()))


@bp.get("/roles/<key>")
@requires(Action.READ_BANK)
def role(key: str) -> str:
    """A role profile version: per level weights, bars and must-haves (table and chart)."""
    version = request.args.get("version", type=int)
    view = _found(ops.profile_view, key, version)
    return render_template("bank/role.html", view=view)


@bp.route("/roles/<key>/<level>/edit", methods=["GET", "POST"])
@requires(Action.EDIT_BANK)
def role_edit(key: str, level: str) -> str | Response | tuple[str, int]:
    """Adjust one level's weights, bars and must-haves; saving makes a new profile version."""
    session = db_session()
    view = _found(ops.profile_view, key)
    if level not in view.levels:
        abort(404)
    entries = view.levels[level]
    if request.method == "GET":
        form = profile_level_form(entries, data=profile_level_data(entries,
                                                                   view.version.version_no))
    else:
        form = profile_level_form(entries)
    status = 200
    if form.validate_on_submit():
        try:
            version = ops.adjust_profile(session, view.profile, level,
                                         entry_changes(form, entries), form.reason.data or "",
                                         expected_version=int(form.version.data or 0),
                                         actor_id=current_user.id)
        except Conflict as exc:
            status = show_refusal(session, form, exc)
            view = ops.profile_view(session, key)
            form.version.data = str(view.version.version_no)
        except ops.BankInvalid as exc:
            session.rollback()
            show_problems(form, exc.problems, profile_field_names(level, len(entries)))
            status = 400
        else:
            session.commit()
            if version is None:
                flash("Nothing changed; no new version.", "info")
            else:
                flash(f"Saved as version {version.version_no}. Requisitions stay on the "
                      f"version they use until someone moves them.", "success")
            return redirect(url_for("bank.role", key=key))
    elif request.method == "POST":
        status = 400
    rows = [(entry, form[f"weight_{i}"], form[f"bar_{i}"], form[f"must_{i}"])
            for i, entry in enumerate(entries)]
    return render_template("bank/role_edit.html", view=view, level=level, form=form,
                           rows=rows), status


@bp.get("/compare")
@requires(Action.READ_BANK)
def compare() -> str | tuple[str, int]:
    """Two profiles, or two levels (or versions) of one, side by side."""
    session = db_session()
    profiles = ops.profile_list(session)
    args = request.args
    left_key = args.get("left", profiles[0].key if profiles else "")
    right_key = args.get("right", left_key)
    left_level = args.get("left_level", "mid")
    right_level = args.get("right_level", "senior" if right_key == left_key else left_level)
    left = right = None
    error = None
    if profiles:
        try:
            left = ops.compare_side(session, left_key, left_level,
                                    args.get("left_version", type=int))
            right = ops.compare_side(session, right_key, right_level,
                                     args.get("right_version", type=int))
        except NotFound as exc:
            error = str(exc)
            left = right = None
    rows = ops.compare_rows(left, right) if left and right else []
    choice = {"left": left_key, "right": right_key, "left_level": left_level,
              "right_level": right_level,
              "left_version": args.get("left_version", type=int),
              "right_version": args.get("right_version", type=int)}
    return render_template("bank/compare.html", profiles=profiles, left=left, right=right,
                           rows=rows, choice=choice, error=error,
                           levels=qb.LEVELS), (404 if error else 200)


@bp.get("/domains")
@requires(Action.READ_BANK)
def domains() -> str:
    """All domain packs."""
    return render_template("bank/domains.html", rows=ops.domain_list(db_session()))


@bp.get("/domains/<key>")
@requires(Action.READ_BANK)
def domain(key: str) -> str:
    """A domain pack: its competencies with default weight and bar per level."""
    view = _found(ops.domain_view, key)
    return render_template("bank/domain.html", view=view, levels=qb.LEVELS)
