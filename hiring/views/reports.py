"""Reports: rater agreement, interviewer calibration, question statistics (admin, recruiter,
hiring manager for own requisitions, auditor) and the adverse-impact report (auditor only).

Views are thin: parse the scope from the query string, call one read-only function of
:mod:`hiring.operations.reports` or :mod:`hiring.operations.impact`, render. The impact report's
CSV export (raw counts, for an independent auditor) needs a recent password entry and is audited
as an export.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..analytics.impact import display_count
from ..auth import require_recent_auth
from ..db import db_session, write_session
from ..forms import BaseForm
from ..models import ProfileVersion, Requisition, RoleProfile
from ..operations import OperationError
from ..operations import impact as impact_ops
from ..operations import reports as ops
from ..policy import Action, requires

bp = Blueprint("reports", __name__, url_prefix="/reports")

REPORTS = {"reliability": "Rater agreement", "calibration": "Interviewer calibration",
           "questions": "Question statistics"}


class ImpactFilterForm(BaseForm):
    """Scope and date range of the adverse-impact report (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    requisition = SelectField("Requisition", coerce=str, validate_choice=False,
                              validators=[Optional()])
    role = SelectField("or a whole role (pooled across its requisitions)", coerce=str,
                       validate_choice=False, validators=[Optional()])
    date_from = DateField("Applied from", validators=[Optional()],
                          description="Application date, inclusive (blank: from the start).")
    date_to = DateField("Applied until", validators=[Optional()],
                        description="Inclusive (blank: until today).")


def _scope_args() -> tuple[int | None, str | None]:
    raw = request.args.get("requisition", "")
    requisition_id = int(raw) if raw.isdigit() else None
    role = request.args.get("role", "").strip() or None
    return requisition_id, role


def _scope_or_redirect() -> ops.Scope | Response:
    requisition_id, role = _scope_args()
    if requisition_id is None and role is None:
        flash("Choose a requisition or a role first.", "info")
        return redirect(url_for("reports.index"))
    return ops.report_scope(db_session(), current_user, requisition_id=requisition_id,
                            role=None if requisition_id is not None else role)


def _render(template: str, scope: ops.Scope, report: str, **context: Any) -> str:
    return render_template(template, scope=scope, report=report, reports=REPORTS,
                           display=display_count, **context)


@bp.get("")
@requires(Action.RELIABILITY_REPORTS)
def index() -> str:
    """Every requisition and role the viewer can open quality reports for; auditors also get
    the adverse-impact report."""
    data = ops.report_index(db_session(), current_user)
    return render_template("reports/index.html", reports=REPORTS, **data)


@bp.get("/reliability")
@requires(Action.RELIABILITY_REPORTS)
def reliability() -> str | Response:
    """Per competency: same- and cross-interview agreement (alpha with a 95 % interval, n and
    ICC(1)), independent ratings only; nothing under 30 candidates."""
    scope = _scope_or_redirect()
    if isinstance(scope, Response):
        return scope
    data = ops.reliability_report(db_session(), scope)
    return _render("reports/reliability.html", scope, "reliability", data=data)


@bp.get("/calibration")
@requires(Action.RELIABILITY_REPORTS)
def calibration() -> str | Response:
    """Per interviewer: scorecards, rating distribution, shrunk leniency offset with an
    interval, focus competencies rated, not-assessed and no-decision counts, overdue rate."""
    scope = _scope_or_redirect()
    if isinstance(scope, Response):
        return scope
    data = ops.calibration_report(db_session(), scope,
                                  overdue_hours=int(current_app.config["OVERDUE_HOURS"]))
    return _render("reports/calibration.html", scope, "calibration", data=data)


@bp.get("/questions")
@requires(Action.RELIABILITY_REPORTS)
def questions() -> str | Response:
    """Per question: times asked, rating distribution, ceiling and floor flags, exposure and
    a suggestion to rotate to an alternate."""
    scope = _scope_or_redirect()
    if isinstance(scope, Response):
        return scope
    data = ops.question_report(db_session(), scope)
    return _render("reports/questions.html", scope, "questions", data=data)


# ---------------------------------------------------------------------------- impact (auditor)


def _impact_form() -> ImpactFilterForm:
    session = db_session()
    form = ImpactFilterForm(request.args)
    form.requisition.choices = [("", "—")] + [
        (str(r.id), f"{r.title} (#{r.id})")
        for r in session.scalars(select(Requisition).order_by(Requisition.id.desc()))]
    roles = session.execute(
        select(RoleProfile.key, ProfileVersion.name)
        .join(ProfileVersion, ProfileVersion.profile_id == RoleProfile.id)
        .order_by(RoleProfile.key, ProfileVersion.version_no)).all()
    form.role.choices = [("", "—")] + list(dict(roles).items())
    return form


def _impact_args(form: ImpactFilterForm) -> dict[str, Any]:
    raw = form.requisition.data or ""
    return {"requisition_id": int(raw) if raw.isdigit() else None,
            "role": None if raw.isdigit() else (form.role.data or None),
            "date_from": form.date_from.data, "date_to": form.date_to.data}


def _query(form: ImpactFilterForm) -> dict[str, str]:
    args = _impact_args(form)
    query = {}
    if args["requisition_id"] is not None:
        query["requisition"] = str(args["requisition_id"])
    elif args["role"]:
        query["role"] = args["role"]
    if args["date_from"]:
        query["date_from"] = args["date_from"].isoformat()
    if args["date_to"]:
        query["date_to"] = args["date_to"].isoformat()
    return query


@bp.get("/impact")
@requires(Action.IMPACT_REPORTS)
def impact() -> tuple[str, int]:
    """The adverse-impact report (auditor): selection impact per stage transition and scoring
    impact per model, by sex, race/ethnicity and their intersection; cells under 5 people are
    shown as "<5" (the CSV export has the raw counts)."""
    form = _impact_form()
    report = error = None
    status = 200
    args = _impact_args(form)
    if form.validate() and (args["requisition_id"] is not None or args["role"]):
        try:
            raw = impact_ops.impact_report(db_session(), **args)
        except OperationError as exc:
            if exc.status == 404:
                raise
            error, status = str(exc), 400
        else:
            report = impact_ops.display_report(raw)
    elif request.args and not form.errors:
        error = "Choose a requisition or a role."
    return render_template("reports/impact.html", form=form, report=report, error=error,
                           query=_query(form), reports=REPORTS), status


@bp.get("/impact.csv")
@requires(Action.IMPACT_REPORTS)
@require_recent_auth
def impact_csv() -> Response:
    """The adverse-impact report with raw counts as CSV (formula-safe), for an independent
    auditor; needs a recent password entry and is audited as an export."""
    form = _impact_form()
    args = _impact_args(form)
    if not form.validate() or (args["requisition_id"] is None and not args["role"]):
        flash("Choose a requisition or a role before exporting.", "error")
        return redirect(url_for("reports.impact"))
    try:
        report = impact_ops.impact_report(db_session(), **args)
    except OperationError as exc:
        if exc.status == 404:
            raise
        flash(str(exc), "error")
        return redirect(url_for("reports.impact", **_query(form)))
    text = impact_ops.report_csv(report)
    with write_session() as session:
        impact_ops.record_export(session, report, actor=current_user, channel="csv")
    scope = report["scope"]
    name = (f"requisition-{scope['requisition']}" if scope["kind"] == "requisition"
            else f"role-{scope['role']}")
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="impact-{name}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
