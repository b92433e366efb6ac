"""Packet downloads (DESIGN.md 7): interview packet, blank kit, debrief, loop and day batches.

Views are thin: a query of :mod:`hiring.packets.queries` builds the view model with the viewer's
permissions (404 for anything they may not open), the read transaction ends, the pool renders
under the shared cap (:class:`~hiring.packets.pool.RenderBusy` becomes 503 + Retry-After in
:mod:`hiring.web`) and the PDF goes out as a no-store attachment. A GET writes nothing but the
render lease (the pool's business) and, for a debrief, one audit row in its own short unit.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, request
from flask_login import current_user
from werkzeug.wrappers import Response

from ..db import db_session, write_session
from ..packets import pool, queries
from ..policy import Action, requires

bp = Blueprint("packets", __name__)


def _send(packet: object, filename: str) -> Response:
    # The view model is plain data: end the read transaction before the (slow) render.
    db_session().rollback()
    pdf = pool.render_packet(packet, app=current_app._get_current_object())  # type: ignore[arg-type,attr-defined]
    return pool.pdf_response(pdf, filename)


@bp.get("/interviews/<int:interview_id>/packet.pdf")
@requires(Action.FILL_SCORECARD)
def interview(interview_id: int) -> Response:
    """The interview packet of one of the viewer's own interviews."""
    packet = queries.interview_packet(db_session(), current_user, interview_id)
    return _send(packet, f"interview-{interview_id}-packet.pdf")


@bp.get("/requisitions/<int:requisition_id>/plan/steps/<int:step_id>/blank.pdf")
@requires(Action.MANAGE_REQUISITIONS)
def blank(requisition_id: int, step_id: int) -> Response:
    """A plan step's kit without a candidate, for people who manage the requisition."""
    packet = queries.blank_kit(db_session(), current_user, requisition_id, step_id)
    return _send(packet, f"requisition-{requisition_id}-step-{step_id}-blank-kit.pdf")


@bp.get("/applications/<int:application_id>/debrief.pdf")
@requires(Action.SEE_SCORECARDS)
def debrief(application_id: int) -> Response:
    """The debrief packet: what the viewer sees on the debrief page; audited as an export."""
    packet = queries.debrief_packet(db_session(), current_user, application_id)
    response = _send(packet, f"application-{application_id}-debrief.pdf")
    with write_session() as audit_session:
        queries.record_debrief_export(audit_session, actor=current_user,
                                      application_id=application_id, channel="web")
        if getattr(packet, "score", None) is not None:  # AI-3: a score left in an export
            from ..operations.records import record_export_scores

            record_export_scores(audit_session, [application_id], actor=current_user,
                                 kind="packet.debrief")
    return response


@bp.get("/applications/<int:application_id>/packets.pdf")
@requires(Action.SEE_CANDIDATE)
def loop(application_id: int) -> Response:
    """A loop's interview packets in one PDF: the viewer's own, or every panel member's for a
    person who manages the requisition."""
    packet = queries.batch(db_session(), current_user, application_id=application_id)
    return _send(packet, f"application-{application_id}-packets.pdf")


@bp.get("/packets/day.pdf")
@requires(Action.FILL_SCORECARD)
def day() -> Response:
    """The viewer's interview packets of one day (``?date=YYYY-MM-DD``, their time zone)."""
    try:
        when = date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        abort(400, "Give the day as ?date=YYYY-MM-DD.")
    packet = queries.batch(db_session(), current_user, day=when)
    return _send(packet, f"interviews-{when.isoformat()}.pdf")
