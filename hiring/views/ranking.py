"""Ranking per requisition, its CSV export, manual moves with reasons, and explanations.

Pages only read stored scores. Viewing or exporting a ranking writes a record of what was shown
(a scoring run, SECURITY.md AI-3, and an audit event) in its own short unit of work, as the other
exports do; no GET changes a score, a stage or an order.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..auth import require_recent_auth
from ..db import db_session, write_session
from ..forms import ActionForm, BaseForm
from ..operations import OperationError
from ..operations import ranking as ops
from ..operations import scoring as scoring_ops
from ..packets.charts import contribution_chart_svg
from ..policy import Action, requires, requisition_for
from ..ranking_charts import fit_strip_svg

bp = Blueprint("ranking", __name__)

REASON_REQUIRED = "Say why you move this candidate: the reason is shown with the ranking."


class MoveForm(BaseForm):
    """Move one candidate to another position, with the reason (shown with the ranking)."""

    application_id = SelectField("Candidate", coerce=int, validators=[InputRequired()])
    position = IntegerField("New position", validators=[InputRequired(), NumberRange(min=1)])
    reason = TextAreaField("Why (shown with the ranking)",
                           validators=[DataRequired(message=REASON_REQUIRED), Length(max=2000)])
    basis = HiddenField()


class ProfileMoveForm(BaseForm):
    """Move the requisition to a newer version of its role profile."""

    profile_version_id = HiddenField(validators=[DataRequired()])


class AlternativeForm(BaseForm):
    """The candidate asked for (or withdrew a request for) an alternative process."""

    requested = HiddenField(validators=[DataRequired()])


def _sort_arg() -> str:
    return request.values.get("sort", "")


def _page_arg() -> int:
    try:
        return int(request.args.get("page", 1))
    except ValueError:
        return 1


def _render_index(requisition: Any, view: ops.RankingView, *, form: MoveForm | None = None,
                  status: int = 200) -> tuple[str, int]:
    rows, page, pages = view.page(_page_arg())
    if form is None:
        form = MoveForm()
        form.basis.data = view.sort
    if not form.application_id.choices:
        form.application_id.choices = [(r.application_id, r.name) for r in rows]
    names = {r.application_id: r.name for r in [*view.rows, *view.people]}
    strips = {r.application_id: fit_strip_svg(r.score_0_100, r.band_0_100, r.bar_0_100)
              for r in rows if r.scored}
    if request.method == "POST":
        # The request's own write transaction (rolled back above) records what was shown;
        # a second writer would wait behind it on SQLite.
        session = db_session()
        ops.record_ranking_run(session, view, actor=current_user, kind="ranking.view", rows=rows)
        session.commit()
    else:
        with write_session() as record_session:
            ops.record_ranking_run(record_session, view, actor=current_user,
                                   kind="ranking.view", rows=rows)
    args = {"sort": view.sort, **view.filters.as_args()}
    from ..operations.reports import ranking_leniency_panel  # labelled second view (issue 11)

    leniency = ranking_leniency_panel(db_session(), requisition, rows,
                                      enabled=request.args.get("leniency") == "1")
    return render_template(
        "ranking/index.html", requisition=requisition, view=view, rows=rows, page=page,
        leniency=leniency,
        pages=pages, strips=strips, form=form, names=names, args=args,
        profile_form=ProfileMoveForm(), sorts=ops.SORTS, stage_filters=ops.STAGE_FILTERS,
        must_filters=ops.MUST_FILTERS, coverage_filters=ops.COVERAGE_FILTERS,
        stage_labels=ops.STAGE_LABELS, recommendation_order=ops.RECOMMENDATION_ORDER,
        recommendation_label=ops.recommendation_label, page_size=ops.PAGE_SIZE,
        can_manage=current_user.role_names & {"admin", "recruiter", "hiring_manager"},
    ), status


@bp.get("/requisitions/<int:requisition_id>/ranking")
@requires(Action.RANKING)
def index(requisition_id: int) -> tuple[str, int]:
    """The requisition's candidates ranked by profile fit, with bands, coverage, must-haves,
    recommendations and disagreement; filters, sort options, manual moves with reasons."""
    session = db_session()
    requisition = requisition_for(session, current_user, requisition_id)
    view = ops.build_ranking(session, current_user, requisition, sort=_sort_arg(),
                             filters=ops.RankingFilters.parse(request.args))
    return _render_index(requisition, view)


@bp.get("/requisitions/<int:requisition_id>/ranking.csv")
@requires(Action.RANKING)
@require_recent_auth
def export(requisition_id: int) -> Response:
    """The whole ranking (all pages, current filters and sort) as CSV; logged (AI-3)."""
    session = db_session()
    requisition = requisition_for(session, current_user, requisition_id)
    view = ops.build_ranking(session, current_user, requisition, sort=_sort_arg(),
                             filters=ops.RankingFilters.parse(request.args))
    text = ops.ranking_csv(view)
    with write_session() as record_session:
        ops.record_ranking_run(record_session, view, actor=current_user, kind="ranking.export",
                               rows=view.rows)
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="requisition-{requisition.id}-ranking.csv"')
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/requisitions/<int:requisition_id>/ranking/move")
@requires(Action.RANKING)
def move(requisition_id: int) -> Response | tuple[str, int]:
    """Move a candidate to another position; the reason is required and shown."""
    session = db_session()
    requisition = requisition_for(session, current_user, requisition_id)
    form = MoveForm()
    basis = form.basis.data or ""
    view = ops.build_ranking(session, current_user, requisition, sort=basis)
    form.application_id.choices = [(r.application_id, r.name) for r in view.rows]
    if form.validate_on_submit():
        try:
            ops.move_candidate(session, requisition, actor=current_user,
                               application_id=form.application_id.data,
                               position=form.position.data or 0, reason=form.reason.data or "",
                               basis=view.sort)
        except OperationError as exc:
            session.rollback()
            if exc.status == 404:
                raise
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash("Moved. The reason is shown with the ranking.", "success")
            return redirect(url_for("ranking.index", requisition_id=requisition_id,
                                    sort="manual"))
    session.rollback()
    view = ops.build_ranking(session, current_user, requisition, sort=view.sort)
    return _render_index(requisition, view, form=form, status=400)


@bp.post("/requisitions/<int:requisition_id>/ranking/profile")
@requires(Action.MANAGE_REQUISITIONS)
def move_profile(requisition_id: int) -> Response:
    """Move the requisition to the current version of its role profile; every score is
    recomputed."""
    session = db_session()
    requisition = requisition_for(session, current_user, requisition_id)
    form = ProfileMoveForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        summary = scoring_ops.move_profile_version(
            session, requisition, actor=current_user,
            profile_version_id=int(form.profile_version_id.data or 0))
    except (OperationError, ValueError) as exc:
        session.rollback()
        if isinstance(exc, OperationError) and exc.status in (403, 404):
            raise
        flash(str(exc), "error")
    else:
        session.commit()
        flash(f"The requisition now uses profile version "
              f"{requisition.profile_version.version_no}; {summary.computed} scores were "
              "recomputed.", "success")
    return redirect(url_for("ranking.index", requisition_id=requisition_id))


@bp.get("/applications/<int:application_id>/explanation")
@requires(Action.RANKING)
def explanation(application_id: int) -> str:
    """Why the score is what it is: contributions, strengths and shortfalls with their evidence,
    and after a decision the smallest change that would have changed the must-have status."""
    session = db_session()
    application = ops.explanation_application(session, current_user, application_id)
    view = ops.build_explanation(session, current_user, application)
    chart = None
    strip = None
    if view.shows_score and view.score is not None:
        if view.score.contributions:
            chart = contribution_chart_svg(view.score.contributions, view.labels)
        strip = fit_strip_svg(view.score.score_0_100, view.band_0_100, view.score.bar_0_100)
    return render_template("ranking/explanation.html", view=view, chart=chart, strip=strip,
                           alternative_form=AlternativeForm(), notice_form=ActionForm(),
                           stage_labels=ops.STAGE_LABELS)


@bp.post("/applications/<int:application_id>/alternative-process")
@requires(Action.MANAGE_CANDIDATES)
def alternative_process(application_id: int) -> Response:
    """Record that the candidate asked for an alternative process (or withdrew the request)."""
    session = db_session()
    application = ops.explanation_application(session, current_user, application_id)
    form = AlternativeForm()
    if not form.validate_on_submit() or form.requested.data not in ("yes", "no"):
        abort(400)
    requested = form.requested.data == "yes"
    scoring_ops.set_alternative_process(session, application, actor=current_user,
                                        requested=requested)
    session.commit()
    flash("Recorded: this candidate is reviewed by people only and never scored."
          if requested else "Recorded: this candidate is scored and ranked again.", "success")
    return redirect(url_for("ranking.explanation", application_id=application_id))


@bp.post("/applications/<int:application_id>/notice")
@requires(Action.MANAGE_CANDIDATES)
def notice(application_id: int) -> Response:
    """Record that the candidate was told how scores assist the decision (now)."""
    session = db_session()
    application = ops.explanation_application(session, current_user, application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    scoring_ops.record_notice(session, application, actor=current_user)
    session.commit()
    flash("Recorded that the candidate was told how scores assist the decision.", "success")
    return redirect(url_for("ranking.explanation", application_id=application_id))
