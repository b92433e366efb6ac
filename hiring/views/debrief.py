"""The debrief of one application: the evidence, the decision, a hire's outcome, panel unlocks.

Views are thin: each looks the application up through
:func:`hiring.operations.debrief.debrief_application` (404 for anyone who may not open it),
calls one operation, commits and redirects, or re-renders the page with the input kept.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..db import db_session
from ..debrief_forms import DecisionForm, OutcomeForm, UnlockForm
from ..models import Application, Stage, Visibility
from ..operations import Conflict, OperationError, stages
from ..operations import debrief as ops
from ..operations.scorecards import NOT_ASSESSED_LABELS, RATING_WORDS
from ..policy import Action, requires
from . import int_or_none, show_refusal

bp = Blueprint("debrief", __name__)


def _application(application_id: int) -> Application:
    return ops.debrief_application(db_session(), current_user, application_id)


def _decision_form(view: ops.DebriefView, formdata: Any = None) -> DecisionForm:
    form = DecisionForm(formdata=formdata, prefix="decision")
    form.kind.choices = [(kind, ops.DECISION_LABELS[kind]) for kind in view.decision_options]
    advance = view.decision_options.get("advance", ())
    form.to_stage.choices = [("", "Choose a stage"),
                             *((s, stages.stage_label(s)) for s in advance)]
    if formdata is None:
        form.version.data = str(view.application_version)
    return form


def _unlock_prefix(interview_id: int, interviewer_id: int) -> str:
    return f"unlock-{interview_id}-{interviewer_id}"


def _render(application: Application, *, decision_form: DecisionForm | None = None,
            outcome_form: OutcomeForm | None = None,
            unlock_forms: dict[tuple[int, int], UnlockForm] | None = None,
            status: int = 200) -> tuple[str, int]:
    view = ops.debrief_view(db_session(), current_user, application)
    if view.may_decide and decision_form is None:
        decision_form = _decision_form(view)
    if view.may_record_outcome and outcome_form is None:
        outcome_form = OutcomeForm(formdata=None, prefix="outcome")
    forms = dict(unlock_forms or {})
    # Releasing someone matters only where colleagues wait for the whole panel.
    if view.may_unlock and view.visibility == Visibility.AFTER_PANEL.value:
        for seat in view.panel:
            key = (seat.interview_id, seat.interviewer_id)
            if not seat.submitted and not seat.unlocked and key not in forms:
                forms[key] = UnlockForm(formdata=None,
                                        prefix=_unlock_prefix(seat.interview_id,
                                                              seat.interviewer_id))
    # The score on request (issue 7 item 8): read from the stored scores, never computed here,
    # and only for people who see the whole matrix and may see scores at all.
    score = None
    if view.full and current_user.role_names & {"admin", "recruiter", "hiring_manager"}:
        from ..operations.scoring import score_snapshot

        score = score_snapshot(db_session(), application)
    return render_template(
        "debrief/show.html", view=view, score=score, decision_form=decision_form,
        outcome_form=outcome_form,
        unlock_forms=forms, manages=ops.manages_debrief(current_user, application.requisition),
        rating_words=RATING_WORDS, not_assessed_labels=NOT_ASSESSED_LABELS,
        stage_labels=stages.STAGE_LABELS,
        decision_labels=ops.DECISION_LABELS,
    ), status


@bp.get("/applications/<int:application_id>/debrief")
@requires(Action.SEE_SCORECARDS)
def show(application_id: int) -> tuple[str, int]:
    """The debrief: ratings matrix, disagreements, gaps, inconsistencies, amendments, then the
    recommendations; the hiring manager's decision form beside them."""
    return _render(_application(application_id))


@bp.post("/applications/<int:application_id>/debrief/decision")
@requires(Action.DECISIONS)
def decide(application_id: int) -> tuple[str, int] | Response:
    """Record the hiring manager's decision (rationale required) and move the stage."""
    session = db_session()
    application = _application(application_id)
    view = ops.debrief_view(session, current_user, application)
    form = _decision_form(view, formdata=request.form)
    status = 400
    if form.validate_on_submit():
        try:
            decision = ops.record_decision(
                session, application, actor=current_user, kind=form.kind.data or "",
                rationale=form.rationale.data or "", to_stage=form.to_stage.data or "",
                reason_code=form.reason_code.data or "",
                expected_version=int_or_none(form.version.data))
        except Conflict as exc:
            status = show_refusal(session, form, exc, note="Your rationale is kept below; send "
                                  "it again to decide on the current stage.")
            form.version.data = str(_application(application_id).version)
        except OperationError as exc:
            status = show_refusal(session, form, exc)
        else:
            label = stages.stage_label(decision.to_stage)
            session.commit()
            flash(f"Decision recorded: {ops.DECISION_LABELS[decision.kind].lower()}. The "
                  f"application is now in {label}.", "success")
            return redirect(url_for("debrief.show", application_id=application_id,
                                    _anchor="decisions"))
    return _render(_application(application_id), decision_form=form, status=status)


@bp.post("/applications/<int:application_id>/debrief/outcome")
@requires(Action.MANAGE_CANDIDATES)
def outcome(application_id: int) -> tuple[str, int] | Response:
    """Record what became of a hire (a recruiter or the requisition's hiring manager)."""
    session = db_session()
    application = _application(application_id)
    form = OutcomeForm(formdata=request.form, prefix="outcome")
    status = 400
    # Not a hire: the operation's refusal says so, whatever else the form holds.
    if form.validate_on_submit() or application.stage != Stage.HIRED.value:
        choice = form.performance.data or ""
        try:
            ops.record_outcome(session, application, actor=current_user,
                               passed_probation=form.passed_probation.data or "",
                               performance=int(choice) if choice.isdigit() else None,
                               outcome_date=form.outcome_date.data)  # type: ignore[arg-type]
        except OperationError as exc:
            status = show_refusal(session, form, exc)
        else:
            session.commit()
            flash("Outcome recorded.", "success")
            return redirect(url_for("debrief.show", application_id=application_id,
                                    _anchor="outcomes"))
    return _render(_application(application_id), outcome_form=form, status=status)


@bp.post("/applications/<int:application_id>/debrief/unlock/<int:interview_id>/"
         "<int:interviewer_id>")
@requires(Action.DECISIONS)
def unlock(application_id: int, interview_id: int, interviewer_id: int
           ) -> tuple[str, int] | Response:
    """Release a panel member who cannot submit (the hiring manager, with a reason)."""
    session = db_session()
    application = _application(application_id)
    form = UnlockForm(formdata=request.form, prefix=_unlock_prefix(interview_id, interviewer_id))
    status = 400
    if form.validate_on_submit():
        try:
            ops.unlock_seat(session, application, interview_id, interviewer_id,
                            actor=current_user, reason=form.reason.data or "")
        except OperationError as exc:
            status = show_refusal(session, form, exc)
        else:
            session.commit()
            flash("Panel member released: colleagues no longer wait for their scorecard.",
                  "success")
            return redirect(url_for("debrief.show", application_id=application_id,
                                    _anchor="panel"))
    return _render(_application(application_id),
                   unlock_forms={(interview_id, interviewer_id): form}, status=status)
