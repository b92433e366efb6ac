"""Candidates' data rights for admins: find a candidate, see what is held, export it as JSON,
erase it, place a legal hold, and the retention run (SECURITY.md DP-2, DP-3, DP-4).

Every page needs ``Action.DATA_RIGHTS`` (admins); export, erasure, legal holds and the retention
run also need the password re-entered within ``HIRING_REAUTH_MINUTES`` (AUTH-4). The operations
are in :mod:`hiring.operations.privacy`; the commands ``flask --app hiring candidates export|erase``
and ``retention run`` call the same ones.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..auth import require_recent_auth
from ..db import db_session, write_session
from ..forms import ActionForm, BaseForm
from ..models import Application, Candidate, CandidateDocument
from ..operations import NotFound
from ..operations import privacy as ops
from ..policy import Action, requires

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

PAGE_SIZE = 50
STATUS_LABELS = {"due": "Due for erasure", "held": "Legal hold", "open": "Application open",
                 "kept": "Kept until its retention period ends"}


class EraseForm(BaseForm):
    """Erasure needs the candidate's number typed again: it cannot be undone."""

    confirm = StringField("Type the candidate's number to confirm",
                          validators=[DataRequired(), Length(max=20)])
    submit = SubmitField("Erase everything about this candidate")


class LegalHoldForm(BaseForm):
    """Place (``on=1``) or lift (``on=0``) a legal hold."""

    on = HiddenField()
    submit = SubmitField("Save")


def _candidate(candidate_id: int) -> Candidate:
    candidate = db_session().get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound("No such candidate.")
    return candidate


@bp.get("")
@requires(Action.DATA_RIGHTS)
def index() -> str:
    """Find a candidate by number, name or e-mail address; the retention summary."""
    session = db_session()
    query = request.args.get("q", "").strip()[:200]
    rows: list[Any] = []
    if query:
        statement = select(Candidate).order_by(func.lower(Candidate.name), Candidate.id)
        conditions = [func.lower(Candidate.name).contains(query.lower(), autoescape=True),
                      func.lower(Candidate.email).contains(query.lower(), autoescape=True)]
        if query.isdigit():
            conditions.append(Candidate.id == int(query))
        rows = list(session.scalars(statement.where(or_(*conditions)).limit(PAGE_SIZE)))
    plan = ops.retention_plan(session)
    summary = {status: sum(1 for i in plan if i.status == status) for status in STATUS_LABELS}
    return render_template("privacy/index.html", query=query, rows=rows, summary=summary,
                           status_labels=STATUS_LABELS, page_title="Data rights")


@bp.get("/candidates/<int:candidate_id>")
@requires(Action.DATA_RIGHTS)
def candidate(candidate_id: int) -> str:
    """What is held about one candidate, and the export, erasure and legal-hold actions."""
    session = db_session()
    person = _candidate(candidate_id)
    counts = ops.held_counts(ops.candidate_rows(session, candidate_id))
    documents = session.scalars(select(CandidateDocument)
                                .where(CandidateDocument.candidate_id == candidate_id)
                                .order_by(CandidateDocument.id)).all()
    applications = session.scalars(select(Application)
                                   .where(Application.candidate_id == candidate_id)
                                   .order_by(Application.id)).all()
    item = next((i for i in ops.retention_plan(session) if i.candidate_id == candidate_id), None)
    return render_template(
        "privacy/candidate.html", candidate=person, counts=counts, documents=documents,
        applications=applications, item=item, status_labels=STATUS_LABELS,
        erase_form=EraseForm(), export_form=ActionForm(), hold_form=LegalHoldForm(),
        withheld=sorted(ops.COLUMN_POLICY.items()))


@bp.post("/candidates/<int:candidate_id>/export")
@requires(Action.DATA_RIGHTS)
@require_recent_auth
def export(candidate_id: int) -> Response:
    """Download everything held about the candidate as JSON (audited)."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash("That did not work; try again.", "error")
        return redirect(url_for("privacy.candidate", candidate_id=candidate_id))
    ops.require_data_rights(current_user)
    session = db_session()
    data = ops.export_candidate(session, candidate_id)
    ops.record_export(session, candidate_id, actor_id=current_user.id, channel="web")
    session.commit()
    body = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="candidate-{candidate_id}-export.json"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/candidates/<int:candidate_id>/erase")
@requires(Action.DATA_RIGHTS)
@require_recent_auth
def erase(candidate_id: int) -> Response | tuple[str, int]:
    """Erase the candidate after the number is typed again; 409 under a legal hold."""
    session = db_session()
    form = EraseForm()
    if not form.validate_on_submit() or (form.confirm.data or "").strip() != str(candidate_id):
        flash("Type the candidate's number exactly to confirm the erasure; nothing was erased.",
              "error")
        return redirect(url_for("privacy.candidate", candidate_id=candidate_id))
    try:
        report = ops.erase_candidate(session, candidate_id, actor=current_user)
    except ops.LegalHold as exc:
        session.rollback()
        with write_session() as audit:
            ops.record_refusal(audit, candidate_id, actor_id=current_user.id, why="legal_hold")
        from ..web import error_page

        return error_page(409, str(exc))
    session.commit()
    ops.checkpoint()
    message = report.sentence()
    if report.remaining:
        message += (f" {len(report.remaining)} mention(s) remain outside candidate records "
                    f"(e.g. {report.remaining[0]}): check them by hand.")
    flash(message, "info")
    return redirect(url_for("privacy.index"))


@bp.post("/candidates/<int:candidate_id>/legal-hold")
@requires(Action.DATA_RIGHTS)
@require_recent_auth
def legal_hold(candidate_id: int) -> Response:
    """Place or lift a legal hold (audited)."""
    session = db_session()
    form = LegalHoldForm()
    if form.validate_on_submit():
        on = form.on.data == "1"
        ops.set_legal_hold(session, candidate_id, actor=current_user, on=on)
        session.commit()
        flash("Legal hold placed: this candidate cannot be erased." if on else
              "Legal hold lifted.", "info")
    return redirect(url_for("privacy.candidate", candidate_id=candidate_id))


@bp.get("/retention")
@requires(Action.DATA_RIGHTS)
def retention() -> str:
    """Who the next retention run would erase (a dry run), and the button that runs it."""
    session = db_session()
    report = ops.run_retention(session, dry_run=True, channel="web")
    session.rollback()
    return render_template("privacy/retention.html", report=report, form=ActionForm(),
                           lines=None, page_title="Retention")


@bp.post("/retention/run")
@requires(Action.DATA_RIGHTS)
@require_recent_auth
def retention_run() -> str | Response:
    """Run retention now: erase every candidate past their retention period."""
    session = db_session()
    form = ActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("privacy.retention"))
    report = ops.run_retention(session, actor=current_user, channel="web")
    session.commit()
    if report.erased:
        ops.checkpoint()
    return render_template("privacy/retention.html", report=report, form=ActionForm(),
                           lines=report.lines(), page_title="Retention")
