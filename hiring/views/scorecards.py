"""The scorecard: fill, autosave, submit once, amend; paper re-entry by short code."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
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
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from ..db import db_session, short_writes, write_session
from ..forms import BaseForm
from ..hygiene import NoteWarning
from ..models import (
    Application,
    Candidate,
    CompetencyVersion,
    Interview,
    InterviewAssignment,
    KitItem,
    KitVersion,
    PendingForm,
    QuestionVersion,
    Scorecard,
    ScorecardAmendment,
    User,
)
from ..operations import Conflict, OperationError
from ..operations import scorecards as ops
from ..operations.interviews import interview_for
from ..operations.requisitions import latest_competency_version_ids
from ..policy import Action, requires
from ..scorecard_form import (
    MAX_NOTE,
    FocusItem,
    QuestionItem,
    RatingInput,
    build_form_class,
    form_to_input,
    prefill,
)

bp = Blueprint("scorecards", __name__)

CODE_MAX_FAILURES = 10
#: How long a scorecard may show a competency's anchors after a newer version was saved.
COMPETENCY_VERSIONS_TTL_S = 10.0
CODE_WINDOW_MINUTES = 15


class _Kits:
    """Per-app, per-process cache of scorecard kits: a kit version is frozen once an interview
    uses it and a competency version is never changed, so the key below names the content
    exactly. Bounded (least recently used goes first) and safe across threads."""

    SIZE = 256

    def __init__(self) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.SIZE:
                self._items.popitem(last=False)
        return value

    def recent(self, key: Hashable, build: Callable[[], Any], seconds: float) -> Any:
        """Like :meth:`get` for a value that may change: built again once ``seconds`` old."""
        now = time.monotonic()
        built_at, value = self.get(key, lambda: (now, build()))
        if now - built_at > seconds:
            with self._lock:
                self._items.pop(key, None)
            built_at, value = self.get(key, lambda: (now, build()))
        return value


@dataclass(frozen=True)
class Kit:
    """What an interview's scorecard shows and accepts: focus competencies with their anchors,
    kit questions, and the form class built from them."""

    focus: list[FocusItem]
    questions: list[QuestionItem]
    form_class: type[BaseForm]


def _kits() -> _Kits:
    return current_app.extensions.setdefault("hiring.scorecard_kits", _Kits())


def _kit(interview: Any) -> Kit:
    """The interview's kit; cached, it costs no query (the competencies' newest versions are
    looked up again every COMPETENCY_VERSIONS_TTL_S)."""
    session = db_session()
    kits = _kits()
    kit_id = interview.kit_version_id

    def frozen() -> tuple[list[int], list[QuestionItem]]:
        kit = session.scalars(select(KitVersion).where(KitVersion.id == kit_id).options(
            selectinload(KitVersion.focus),
            selectinload(KitVersion.items).joinedload(KitItem.question_version)
            .joinedload(QuestionVersion.question))).one()
        return ([f.competency_id for f in kit.focus],
                [QuestionItem(i.question_version.id, i.question_version.question.competency_id,
                              i.question_version.prompt, i.question_version.question.public_id)
                 for i in kit.items])

    focus_ids, questions = kits.get(("kit", kit_id), frozen)
    # A bank edit makes a new competency version; pages show its anchors within seconds.
    versions = kits.recent(("versions", kit_id),
                           lambda: latest_competency_version_ids(session, focus_ids),
                           COMPETENCY_VERSIONS_TTL_S)

    def build() -> Kit:
        rows = {row.competency_id: row for row in session.scalars(select(CompetencyVersion)
                .where(CompetencyVersion.id.in_(list(versions.values()))))}
        focus = [FocusItem(cid, rows[cid].name, rows[cid].description,
                           (rows[cid].anchor_1, rows[cid].anchor_2, rows[cid].anchor_3,
                            rows[cid].anchor_4))
                 for cid in focus_ids if cid in rows]
        return Kit(focus, questions, build_form_class(focus, questions))

    return kits.get(("form", kit_id, tuple(sorted(versions.items()))), build)


#: The interview with its panel (built once: saves are busy) ...
_INTERVIEW = select(Interview).where(Interview.id == bindparam("interview_id")).options(
    joinedload(Interview.assignments))
#: ... and with what the scorecard page shows of it.
_PAGE_INTERVIEW = _INTERVIEW.options(
    joinedload(Interview.step),
    joinedload(Interview.application).joinedload(Application.candidate),
)


def _panel_interview(interview_id: int, statement: Any = _PAGE_INTERVIEW) -> Any:
    interview = interview_for(db_session(), current_user, interview_id, statement)
    if ops.assignment_for(interview, current_user) is None:
        abort(404)  # managers read scorecards on the debrief; only the panel fills them
    return interview


def _render(interview: Any, form: Any, kit: Kit, scorecard: Any, *, status: int = 200,
            warnings: list[NoteWarning] | None = None, conflict: Any = None) -> tuple[str, int]:
    return render_template(
        "scorecards/form.html", interview=interview, form=form, focus=kit.focus,
        questions=kit.questions, scorecard=scorecard, candidate=interview.application.candidate,
        warnings=warnings or [], conflict=conflict,
        assignment=ops.assignment_for(interview, current_user),
        labels=ops.RECOMMENDATION_HELP, rating_words=ops.RATING_WORDS, max_note=MAX_NOTE,
    ), status


@bp.route("/interviews/<int:interview_id>/scorecard", methods=["GET", "POST"])
@requires(Action.FILL_SCORECARD)
@short_writes
def fill(interview_id: int) -> Any:
    """Fill in, save or submit your scorecard for an interview.

    A save or submit answers with a redirect (the page is then read without holding the
    database's write lock); hygiene prompts follow the saved draft's version in the URL."""
    session = db_session()
    reading = request.method == "GET"
    interview = _panel_interview(interview_id, _PAGE_INTERVIEW if reading else _INTERVIEW)
    kit = _kit(interview)
    scorecard = ops.own_scorecard(session, interview, current_user, with_answers=reading)
    if scorecard is not None and scorecard.status == "submitted":
        return redirect(url_for("scorecards.show", scorecard_id=scorecard.id))
    if reading:
        form = kit.form_class(formdata=None)
        prefill(form, scorecard, kit.focus, kit.questions)
        warnings: list[NoteWarning] = []
        if scorecard is not None and request.args.get("saved") == str(scorecard.version):
            # Just saved (the save redirected here): say so, with the save's hygiene prompts.
            flash("Draft saved.", "success")
            warnings = ops.draft_warnings(scorecard)
        resumed = _resume_pending(request.args.get("resume", ""))
        if resumed is not None:
            form = kit.form_class(formdata=resumed)
            flash("Your session had ended; the input you sent is restored below. Nothing "
                  "was saved yet: save or submit it now.", "info")
        return _render(interview, form, kit, scorecard, warnings=warnings)

    form = kit.form_class()
    if not form.validate():
        return _render(interview, form, kit, scorecard, status=400)
    data = form_to_input(form, kit.focus, kit.questions)
    expected = int(form.version.data) if (form.version.data or "").isdigit() else None
    action = request.form.get("action", "save")
    if action == "submit":
        problems = ops.completeness_problems(interview, data)
        if problems:
            _attach_problems(form, problems)
            return _render(interview, form, kit, scorecard, status=400)
    try:
        with write_session() as writer:
            if action == "submit":
                ops.submit(writer, interview.id, current_user, data,
                           expected_version=expected)
            else:
                saved = ops.save_draft(writer, interview.id, current_user, data,
                                       expected_version=expected)
                version = saved.version
    except Conflict:
        session.rollback()  # a fresh snapshot: the copy saved meanwhile
        current = ops.own_scorecard(session, interview, current_user, with_answers=True)
        form.version.data = str(current.version) if current else ""
        form.form_errors.append("This scorecard was saved from another window or device since "
                                "you opened it. Your input is kept below; the saved version "
                                "is shown beside it. Save again to keep yours.")
        return _render(interview, form, kit, scorecard, status=409, conflict=current)
    except OperationError as exc:
        form.form_errors.append(str(exc))
        return _render(interview, form, kit, scorecard, status=exc.status)
    if action == "submit":
        flash("Scorecard submitted. Colleagues' scorecards appear on the debrief as the "
              "requisition's visibility rule allows.", "success")
        return redirect(url_for("interviews.detail", interview_id=interview.id))
    # No flash here: the save then changes nothing in the session cookie; the page says it.
    return redirect(url_for("scorecards.fill", interview_id=interview.id, saved=version))


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
@short_writes
def autosave(interview_id: int) -> Any:
    """Save the draft in the background (JSON in and out; the CSRF token comes in a header)."""
    interview = _panel_interview(interview_id, _INTERVIEW)
    kit = _kit(interview)
    form = kit.form_class()
    if not form.validate():
        return jsonify(ok=False, errors=form.errors), 400
    data = form_to_input(form, kit.focus, kit.questions)
    expected = int(form.version.data) if (form.version.data or "").isdigit() else None
    try:
        with write_session() as writer:
            saved = ops.save_draft(writer, interview.id, current_user, data,
                                   expected_version=expected)
    except Conflict:
        return jsonify(ok=False, conflict=True, message=(
            "Saved from another window meanwhile: save with the button to compare.")), 409
    except OperationError as exc:
        return jsonify(ok=False, message=str(exc)), exc.status
    warnings = ops.note_warnings(data)  # after the write transaction, not inside it
    names = {f"Evidence: {f.competency_id}": f"Evidence: {f.name}" for f in kit.focus}
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
    kit = _kit(scorecard.interview)
    author = session.get(User, scorecard.interviewer_id)
    amendments = session.scalars(select(ScorecardAmendment).where(
        ScorecardAmendment.scorecard_id == scorecard.id).order_by(ScorecardAmendment.id)).all()
    candidate = session.get(Candidate, application.candidate_id)
    return render_template(
        "scorecards/show.html", scorecard=scorecard, focus=kit.focus, questions=kit.questions,
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

