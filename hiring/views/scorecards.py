"""The scorecard: fill, autosave, submit once, amend; paper re-entry by short code."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..db import db_session
from ..hygiene import NoteWarning
from ..models import (
    Candidate,
    InterviewAssignment,
    PendingForm,
    Question,
    Scorecard,
    ScorecardAmendment,
    User,
)
from ..operations import Conflict, OperationError
from ..operations import scorecards as ops
from ..operations.interviews import interview_for
from ..operations.requisitions import latest_competency_versions
from ..policy import Action, requires
from ..scorecard_form import (
    FocusItem,
    QuestionItem,
    RatingInput,
    build_form_class,
    form_to_input,
    prefill,
)

bp = Blueprint("scorecards", __name__)

CODE_MAX_FAILURES = 10
CODE_WINDOW_MINUTES = 15


def _kit_items(interview: Any) -> tuple[list[FocusItem], list[QuestionItem]]:
    session = db_session()
    ids = ops.focus_ids(interview)
    versions = latest_competency_versions(session, ids)
    focus = [
        FocusItem(cid, versions[cid].name, versions[cid].description,
                  (versions[cid].anchor_1, versions[cid].anchor_2, versions[cid].anchor_3,
                   versions[cid].anchor_4))
        for cid in ids if cid in versions
    ]
    questions = []
    public = {q.id: q for q in session.scalars(select(Question).where(Question.id.in_(
        [i.question_version.question_id for i in interview.kit_version.items])))}
    for item in interview.kit_version.items:
        qv = item.question_version
        question = public[qv.question_id]
        questions.append(QuestionItem(qv.id, question.competency_id, qv.prompt,
                                      question.public_id))
    return focus, questions


def _panel_interview(interview_id: int) -> Any:
    interview = interview_for(db_session(), current_user, interview_id)
    if ops.assignment_for(interview, current_user) is None:
        abort(404)  # managers read scorecards on the debrief; only the panel fills them
    return interview


def _render(interview: Any, form: Any, focus: list[FocusItem], questions: list[QuestionItem],
            scorecard: Any, *, status: int = 200, warnings: list[NoteWarning] | None = None,
            conflict: Any = None) -> tuple[str, int]:
    session = db_session()
    candidate = session.get(Candidate, interview.application.candidate_id)
    return render_template(
        "scorecards/form.html", interview=interview, form=form, focus=focus,
        questions=questions, scorecard=scorecard, candidate=candidate,
        warnings=warnings or [], conflict=conflict,
        assignment=ops.assignment_for(interview, current_user),
        labels=ops.RECOMMENDATION_HELP, rating_words=ops.RATING_WORDS,
    ), status


@bp.route("/interviews/<int:interview_id>/scorecard", methods=["GET", "POST"])
@requires(Action.FILL_SCORECARD)
def fill(interview_id: int) -> Any:
    """Fill in, save or submit your scorecard for an interview."""
    session = db_session()
    interview = _panel_interview(interview_id)
    focus, questions = _kit_items(interview)
    form_class = build_form_class(focus, questions)
    scorecard = ops.own_scorecard(session, interview, current_user)
    if scorecard is not None and scorecard.status == "submitted":
        return redirect(url_for("scorecards.show", scorecard_id=scorecard.id))
    if request.method == "GET":
        form = form_class(formdata=None)
        prefill(form, scorecard, focus, questions)
        resumed = _resume_pending(request.args.get("resume", ""))
        if resumed is not None:
            form = form_class(formdata=resumed)
            flash("Your session had ended; the input you sent is restored below. Nothing "
                  "was saved yet: save or submit it now.", "info")
        return _render(interview, form, focus, questions, scorecard)

    form = form_class()
    if not form.validate():
        return _render(interview, form, focus, questions, scorecard, status=400)
    data = form_to_input(form, focus, questions)
    expected = int(form.version.data) if (form.version.data or "").isdigit() else None
    action = request.form.get("action", "save")
    try:
        if action == "submit":
            problems = ops.completeness_problems(interview, data)
            if problems:
                _attach_problems(form, problems)
                return _render(interview, form, focus, questions, scorecard, status=400)
            ops.submit(session, interview.id, current_user, data, expected_version=expected)
            session.commit()
            flash("Scorecard submitted. Colleagues' scorecards appear on the debrief as the "
                  "requisition's visibility rule allows.", "success")
            return redirect(url_for("interviews.detail", interview_id=interview.id))
        saved, warnings = ops.save_draft(session, interview.id, current_user, data,
                                         expected_version=expected)
        session.commit()
    except Conflict:
        session.rollback()
        current = ops.own_scorecard(session, interview, current_user)
        form.version.data = str(current.version) if current else ""
        form.form_errors.append("This scorecard was saved from another window or device since "
                                "you opened it. Your input is kept below; the saved version "
                                "is shown beside it. Save again to keep yours.")
        return _render(interview, form, focus, questions, scorecard, status=409,
                       conflict=current)
    except OperationError as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return _render(interview, form, focus, questions, scorecard, status=exc.status)
    form.version.data = str(saved.version)
    flash("Draft saved.", "success")
    return _render(interview, form, focus, questions, saved, warnings=warnings)


def _attach_problems(form: Any, problems: list[str]) -> None:
    for problem in problems:
        kind, cid, message = problem.split(":", 2)
        name = {"competency": f"rating_{cid}", "evidence": f"evidence_{cid}",
                "recommendation": "recommendation",
                "no_decision_reason": "no_decision_reason"}[kind]
        field = getattr(form, name)
        field.errors = [*list(field.errors), message]


def _resume_pending(token: str) -> Any:
    """The form data kept when the user's session ended mid-submit (their own only)."""
    if not token:
        return None
    pending = db_session().get(PendingForm, token[:64])
    if pending is None or pending.user_id != current_user.id or pending.path != request.path:
        return None
    from werkzeug.datastructures import MultiDict

    return MultiDict([(k, v) for k, values in pending.data.items() for v in values])


@bp.post("/interviews/<int:interview_id>/scorecard/autosave")
@requires(Action.FILL_SCORECARD)
def autosave(interview_id: int) -> Any:
    """Save the draft in the background (JSON in and out; the CSRF token comes in a header)."""
    session = db_session()
    interview = _panel_interview(interview_id)
    focus, questions = _kit_items(interview)
    form = build_form_class(focus, questions)()
    if not form.validate():
        return jsonify(ok=False, errors=form.errors), 400
    data = form_to_input(form, focus, questions)
    expected = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        saved, warnings = ops.save_draft(session, interview.id, current_user, data,
                                         expected_version=expected)
        session.commit()
    except Conflict:
        session.rollback()
        return jsonify(ok=False, conflict=True, message=(
            "Saved from another window meanwhile: save with the button to compare.")), 409
    except OperationError as exc:
        session.rollback()
        return jsonify(ok=False, message=str(exc)), exc.status
    names = {f"Evidence: {f.competency_id}": f"Evidence: {f.name}" for f in focus}
    return jsonify(ok=True, version=saved.version,
                   saved_at=saved.updated_at.isoformat(),
                   warnings=[{"field": names.get(w.field, w.field), "message": w.message}
                             for w in warnings])


@bp.get("/scorecards/<int:scorecard_id>")
@requires(Action.SEE_SCORECARDS)
def show(scorecard_id: int) -> str:
    """A scorecard, read-only: yours, or a colleague's once the visibility rule allows."""
    session = db_session()
    scorecard = session.get(Scorecard, scorecard_id)
    if scorecard is None:
        abort(404)
    application = scorecard.interview.application
    if scorecard not in ops.visible_scorecards(session, current_user, application):
        abort(404)
    focus, questions = _kit_items(scorecard.interview)
    author = session.get(User, scorecard.interviewer_id)
    amendments = session.scalars(select(ScorecardAmendment).where(
        ScorecardAmendment.scorecard_id == scorecard.id).order_by(ScorecardAmendment.id)).all()
    candidate = session.get(Candidate, application.candidate_id)
    return render_template(
        "scorecards/show.html", scorecard=scorecard, focus=focus, questions=questions,
        author=author, amendments=amendments, candidate=candidate,
        ratings={r.competency_id: r for r in scorecard.ratings},
        notes={n.question_version_id: n for n in scorecard.question_notes},
        labels=ops.RECOMMENDATION_LABELS, reasons=ops.NOT_ASSESSED_LABELS,
        rating_words=ops.RATING_WORDS, mine=scorecard.interviewer_id == current_user.id,
    )


@bp.post("/scorecards/<int:scorecard_id>/amend")
@requires(Action.FILL_SCORECARD)
def amend(scorecard_id: int) -> Response:
    """Amend one competency of your submitted scorecard, with a reason."""
    session = db_session()
    try:
        competency_id = int(request.form.get("competency_id", ""))
        choice = request.form.get("rating", "")
        change = RatingInput(
            rating=int(choice) if choice.isdigit() else None,
            not_assessed_reason=request.form.get("reason_code") or None,
            evidence=request.form.get("evidence", "")[:20_000],
        )
        ops.amend(session, scorecard_id, current_user, {competency_id: change},
                  reason=request.form.get("reason", "")[:2000])
    except ValueError:
        session.rollback()
        flash("Choose the competency to amend.", "error")
    except OperationError as exc:
        session.rollback()
        if exc.status == 404:
            abort(404)
        flash(str(exc), "error")
    else:
        session.commit()
        flash("Amendment saved beside the original.", "success")
    return redirect(url_for("scorecards.show", scorecard_id=scorecard_id))


# ---------------------------------------------------------------------------- paper re-entry


def _assignment_by_code(code: str) -> InterviewAssignment | None:
    cleaned = code.strip().upper().replace(" ", "")
    if len(cleaned) == 8 and "-" not in cleaned:
        cleaned = f"{cleaned[:4]}-{cleaned[4:]}"
    return db_session().scalar(select(InterviewAssignment).where(
        InterviewAssignment.short_code == cleaned))


@bp.route("/code", methods=["GET", "POST"])
@requires(Action.FILL_SCORECARD)
def enter_code() -> Any:
    """Type the short code printed on a packet to open that scorecard (throttled)."""
    from ..operations.accounts import authenticate_code_attempt, code_attempts_locked

    code = request.values.get("code", "")
    if request.method == "GET":
        return render_template("scorecards/code.html", code=code)
    from ..forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    session = db_session()
    if code_attempts_locked(session, current_user.id, CODE_WINDOW_MINUTES):
        return render_template("scorecards/code.html", code=code, locked=True), 429
    assignment = _assignment_by_code(code)
    if assignment is None or assignment.interviewer_id != current_user.id:
        # A wrong code and someone else's code get the same answer.
        authenticate_code_attempt(session, current_user.id, ok=False,
                                  max_failures=CODE_MAX_FAILURES,
                                  window_minutes=CODE_WINDOW_MINUTES)
        session.commit()
        return render_template("scorecards/code.html", code=code, not_found=True), 404
    return redirect(url_for("scorecards.fill", interview_id=assignment.interview_id))


@bp.get("/s/<code>")
@requires(Action.FILL_SCORECARD)
def qr(code: str) -> Any:
    """The QR code's target: your own code opens the scorecard; anything else asks to confirm."""
    assignment = _assignment_by_code(code)
    if assignment is not None and assignment.interviewer_id == current_user.id:
        return redirect(url_for("scorecards.fill", interview_id=assignment.interview_id))
    return render_template("scorecards/code.html", code=code), 200


def overdue_hours() -> int:
    """Hours after an interview's end before its scorecard counts as overdue."""
    return int(current_app.config["OVERDUE_HOURS"])

