"""Candidates: search, detail, add, edit, résumés, CSV import and export, the stage board.

Views are thin: they parse a form, call one operation from :mod:`hiring.operations.candidates`
or :mod:`hiring.operations.stages`, commit and redirect, or render. Objects are looked up through
the policy's scoped queries, so anything a user may not see answers 404.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import (
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth import require_recent_auth
from ..candidates_csv import COLUMNS, MAX_LENGTHS, ROW_NUMBERING_NOTE, is_valid_email
from ..db import db_session, write_session
from ..forms import BaseForm
from ..models import Application, Candidate, CandidateDocument, Requisition, User
from ..operations import Forbidden, NotFound, OperationError, stages
from ..operations import candidates as ops
from ..operations.ranking import cross_role_panel
from ..policy import (
    Action,
    application_for,
    can_manage_candidates_of,
    candidate_for,
    requires,
    requisition_for,
)
from . import int_or_none, show_refusal

bp = Blueprint("candidates", __name__)

MOVE, REJECT, WITHDRAW = "move", "reject", "withdraw"
STAGE_FORM_KINDS = (MOVE, REJECT, WITHDRAW)
RETURN_TARGETS = ("board", "candidate")
PREVIEW_ROWS_SHOWN = 200


# ----------------------------------------------------------------------------- forms


class CandidateForm(BaseForm):
    """A person's contact details (the same fields as the CSV import)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=MAX_LENGTHS["name"])])
    email = EmailField("E-mail address",
                       validators=[DataRequired(), Length(max=MAX_LENGTHS["email"])],
                       description="People are matched by e-mail address, in any case: a known "
                                   "address adds an application to the existing candidate.")
    phone = StringField("Phone", validators=[Length(max=MAX_LENGTHS["phone"])])
    location = StringField("Location", validators=[Length(max=MAX_LENGTHS["location"])],
                           description="City and country, or remote.")
    source = StringField("Source", validators=[Length(max=MAX_LENGTHS["source"])],
                         description="Where they came from: referral, job board, event, ...")
    notes = TextAreaField("Notes", validators=[Length(max=MAX_LENGTHS["notes"])],
                          description="Recruiting notes. Never health, religion, ethnicity or "
                                      "other special-category data.")
    submit = SubmitField("Add candidate")

    def validate_email(self, field: EmailField) -> None:
        """Same rule as the operation and the CSV import."""
        if field.data and not is_valid_email(field.data):
            raise ValidationError("Enter an address like name@example.com.")


class EditCandidateForm(CandidateForm):
    """Edit contact details; ``version`` detects a stale save."""

    version = HiddenField()
    submit = SubmitField("Save")


class StageForm(BaseForm):
    """Move an application: forward (buttons carry the stage), reject or withdraw."""

    kind = HiddenField()
    to_stage = HiddenField()
    reason_code = SelectField("Reason", choices=[], validate_choice=False)
    reason_text = TextAreaField("In a few words",
                                validators=[Length(max=stages.MAX_REASON_TEXT)])
    version = HiddenField()
    return_to = HiddenField()


class ReopenForm(BaseForm):
    """Reopen a rejected or withdrawn application (hiring manager only)."""

    reason_text = TextAreaField("Why reopen", validators=[
        DataRequired(message="Say why the application is reopened."),
        Length(max=stages.MAX_REASON_TEXT)])
    version = HiddenField()
    return_to = HiddenField()


class UploadForm(BaseForm):
    """One résumé file."""

    file = FileField("Résumé (PDF or Word .docx)",
                     validators=[FileRequired(message="Choose a file to upload.")])


class ImportForm(BaseForm):
    """A CSV file to preview."""

    file = FileField("CSV file", validators=[FileRequired(message="Choose a CSV file.")])


class ConfirmImportForm(BaseForm):
    """The previewed file again (compressed, base64) and its hash, to import."""

    payload = HiddenField()
    sha256 = HiddenField()
    filename = HiddenField()


def _stage_form(application: Application, kind: str, *, return_to: str,
                formdata: Any = None) -> StageForm:
    """A :class:`StageForm` whose field ids are unique on a page with many applications."""
    form = StageForm(formdata=formdata, prefix=f"a{application.id}-{kind}")
    if kind == REJECT:
        form.reason_code.choices = [("", "Choose a reason"),
                                    *stages.REJECTION_REASONS.items()]
        form.reason_code.label.text = "Rejection reason"
    elif kind == WITHDRAW:
        form.reason_code.choices = [("", "Choose a reason"),
                                    *stages.WITHDRAWAL_REASONS.items()]
        form.reason_code.label.text = "Withdrawal reason"
    if formdata is None:
        form.kind.data = kind
        form.version.data = str(application.version)
        form.return_to.data = return_to
        if kind == REJECT:
            form.to_stage.data = "rejected"
        elif kind == WITHDRAW:
            form.to_stage.data = "withdrawn"
    return form


def _stage_forms(application: Application, return_to: str) -> dict[str, Any]:
    allowed = stages.allowed_next(application.stage)
    forms: dict[str, Any] = {"forward": [s for s in allowed if s not in stages.REASONS_BY_STAGE]}
    forms[MOVE] = _stage_form(application, MOVE, return_to=return_to)
    if "rejected" in allowed:
        forms[REJECT] = _stage_form(application, REJECT, return_to=return_to)
    if "withdrawn" in allowed:
        forms[WITHDRAW] = _stage_form(application, WITHDRAW, return_to=return_to)
    if application.stage in stages.REOPENABLE_STAGES and _is_hiring_manager_of(application):
        forms["reopen"] = _reopen_form(application, return_to=return_to)
    return forms


def _reopen_form(application: Application, *, return_to: str,
                 formdata: Any = None) -> ReopenForm:
    form = ReopenForm(formdata=formdata, prefix=f"a{application.id}-reopen")
    if formdata is None:
        form.version.data = str(application.version)
        form.return_to.data = return_to
    return form


def _is_hiring_manager_of(application: Application) -> bool:
    return ("hiring_manager" in current_user.role_names
            and application.requisition.hiring_manager_id == current_user.id)


# ----------------------------------------------------------------------------- helpers


def _user_names(session: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _requisition(requisition_id: int) -> Requisition:
    """The requisition if the current user may manage its candidates, else 404."""
    requisition = requisition_for(db_session(), current_user, requisition_id)
    if not can_manage_candidates_of(current_user, requisition):
        raise NotFound("No such requisition.")
    return requisition


def _return_url(application: Application, target: str | None) -> str:
    if target == "board":
        return url_for("candidates.board", requisition_id=application.requisition_id)
    return url_for("candidates.detail", candidate_id=application.candidate_id)


def _return_target(form: StageForm | ReopenForm) -> str:
    """Where the sent form asks to go back to: one of :data:`RETURN_TARGETS`, else the candidate."""
    return form.return_to.data if form.return_to.data in RETURN_TARGETS else "candidate"


def _stage_saved(session: Any, application: Application, target: str, done: str) -> Response:
    """Commit a stage change, say "<candidate> <done> <stage>." and go back to ``target``."""
    label = stages.stage_label(application.stage)
    name = application.candidate.name
    session.commit()
    flash(f"{name} {done} {label}.", "success")
    return redirect(_return_url(application, target))


# ----------------------------------------------------------------------------- search


@bp.get("/candidates")
@requires(Action.MANAGE_CANDIDATES)
def index() -> str:
    """Candidates the user may see, searchable by name, e-mail, source and location."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    result = ops.search_candidates(db_session(), current_user, request.args.get("q", ""), page)
    return render_template("candidates/index.html", result=result,
                           stage_labels=stages.STAGE_LABELS)


# ----------------------------------------------------------------------------- detail


def _render_detail(candidate: Candidate, *, upload_form: UploadForm | None = None,
                   status: int = 200) -> tuple[str, int]:
    session = db_session()
    applications = ops.visible_applications(session, current_user, candidate)
    can_edit = ops.can_manage_candidate(session, current_user, candidate)
    rows = []
    actor_ids: set[int] = set()
    for application in applications:
        manages = can_manage_candidates_of(current_user, application.requisition)
        forms = None
        if manages:
            forms = _stage_forms(application, "candidate")
            actor_ids.update(c.actor_id for c in application.stage_changes)
        rows.append({"application": application, "manages": manages, "forms": forms,
                     "cross_role": cross_role_panel(session, current_user, application)})
    documents = session.scalars(
        select(CandidateDocument).where(CandidateDocument.candidate_id == candidate.id)
        .order_by(CandidateDocument.uploaded_at.desc(), CandidateDocument.id.desc())
    ).all()
    actor_ids.update(d.uploaded_by_id for d in documents)
    return render_template(
        "candidates/detail.html", candidate=candidate, rows=rows, can_edit=can_edit,
        documents=documents, upload_form=upload_form or UploadForm(),
        names=_user_names(session, actor_ids), stage_labels=stages.STAGE_LABELS,
        reason_label=stages.reason_label,
        max_resume_mb=current_app.config["MAX_RESUME_MB"],
    ), status


@bp.get("/candidates/<int:candidate_id>")
@requires(Action.SEE_CANDIDATE)
def detail(candidate_id: int) -> tuple[str, int]:
    """One candidate: contact details (for the recruiting team), applications with their full
    stage history, résumés; stage forms where the user manages the requisition."""
    candidate = candidate_for(db_session(), current_user, candidate_id)
    return _render_detail(candidate)


@bp.route("/candidates/<int:candidate_id>/edit", methods=["GET", "POST"])
@requires(Action.MANAGE_CANDIDATES)
def edit(candidate_id: int) -> tuple[str, int] | Response:
    """Edit contact details; a stale save answers 409 with the input kept beside the stored
    values."""
    session = db_session()
    candidate = candidate_for(session, current_user, candidate_id)
    if not ops.can_manage_candidate(session, current_user, candidate):
        raise Forbidden("You may not change this candidate.")
    form = EditCandidateForm(obj=None if request.method == "POST" else candidate)
    if request.method == "GET":
        form.version.data = str(candidate.version)
    status = 200
    conflict: dict[str, str] | None = None
    if form.validate_on_submit():
        try:
            ops.update_candidate(
                session, actor=current_user, candidate=candidate,
                expected_version=int_or_none(form.version.data) or 0,
                **{name: getattr(form, name).data or "" for name in COLUMNS},
            )
        except ops.StaleCandidate as exc:
            status = show_refusal(session, form, exc)
            conflict = exc.current
            # Saving again now overwrites the newer values deliberately, with them in view.
            form.version.data = str(exc.version)
        except ops.CandidateInvalid as exc:
            session.rollback()
            status = 400
            for name, message in exc.problems.items():
                getattr(form, name).errors = [*getattr(form, name).errors, message]
        except OperationError as exc:
            status = show_refusal(session, form, exc)
        else:
            session.commit()
            flash("Candidate saved.", "success")
            return redirect(url_for("candidates.detail", candidate_id=candidate_id))
        candidate = candidate_for(session, current_user, candidate_id)
    elif request.method == "POST":
        status = 400
    typed = {name: getattr(form, name).data or "" for name in COLUMNS}
    differences = None
    if conflict is not None:
        differences = [(name, getattr(form, name).label.text, conflict[name], typed[name])
                       for name in COLUMNS if conflict[name] != typed[name]]
    return render_template("candidates/edit.html", candidate=candidate, form=form,
                           differences=differences), status


# ----------------------------------------------------------------------------- new


@bp.route("/requisitions/<int:requisition_id>/candidates/new", methods=["GET", "POST"])
@requires(Action.MANAGE_CANDIDATES)
def new(requisition_id: int) -> tuple[str, int] | Response:
    """Add one person to a requisition (a known e-mail address reuses the candidate)."""
    session = db_session()
    requisition = _requisition(requisition_id)
    form = CandidateForm()
    status = 200
    existing_id: int | None = None
    if form.validate_on_submit():
        try:
            application = ops.create_candidate(
                session, actor=current_user, requisition=requisition,
                **{name: form[name].data or "" for name in COLUMNS},
            )
        except ops.DuplicateApplication as exc:
            status = show_refusal(session, form, exc)
            existing_id = exc.candidate_id
        except ops.CandidateInvalid as exc:
            session.rollback()
            status = 400
            for name, message in exc.problems.items():
                form[name].errors = [*form[name].errors, message]
        except OperationError as exc:
            status = show_refusal(session, form, exc)
        else:
            candidate = application.candidate
            others = len(candidate.applications) - 1
            session.commit()
            if others:
                flash(f"{candidate.name} was already known (same e-mail address, "
                      f"{others} other application{'s' if others != 1 else ''}): a new "
                      f"application to {requisition.title} was added to the existing candidate. "
                      f"Their stored details were kept as they were; edit the candidate to "
                      f"change them.", "info")
            else:
                flash(f"{candidate.name} added to {requisition.title}.", "success")
            return redirect(url_for("candidates.detail", candidate_id=candidate.id))
        requisition = _requisition(requisition_id)
    elif request.method == "POST":
        status = 400
    return render_template("candidates/new.html", requisition=requisition, form=form,
                           existing_id=existing_id), status


# ----------------------------------------------------------------------------- documents


@bp.post("/candidates/<int:candidate_id>/documents")
@requires(Action.MANAGE_CANDIDATES)
def upload_document(candidate_id: int) -> tuple[str, int] | Response:
    """Store a résumé (PDF or DOCX by content, size-capped) in the database."""
    session = db_session()
    candidate = candidate_for(session, current_user, candidate_id)
    if not ops.can_manage_candidate(session, current_user, candidate):
        raise Forbidden("You may not change this candidate.")
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_detail(candidate, upload_form=form, status=400)
    storage = form.file.data
    data = storage.read()
    try:
        document = ops.add_document(
            session, actor=current_user, candidate=candidate, filename=storage.filename or "",
            data=data, max_bytes=int(current_app.config["MAX_RESUME_MB"]) * 1024 * 1024,
        )
    except ops.UploadRefused as exc:
        session.rollback()
        form.file.errors = [*form.file.errors, str(exc)]
        candidate = candidate_for(session, current_user, candidate_id)
        return _render_detail(candidate, upload_form=form, status=exc.status)
    name = document.filename
    session.commit()
    flash(f"Uploaded {name}.", "success")
    return redirect(url_for("candidates.detail", candidate_id=candidate_id) + "#documents")


@bp.get("/documents/<stored_name>")
@requires(Action.SEE_CANDIDATE)
def download_document(stored_name: str) -> Response:
    """A résumé, only as a download (never rendered), to people who may see the candidate."""
    document = ops.document_for(db_session(), current_user, stored_name)
    with write_session() as session:
        ops.record_download(session, actor=current_user, document=document)
    response = send_file(io.BytesIO(document.data), mimetype=document.content_type,
                         as_attachment=True, download_name=document.filename,
                         conditional=False, etag=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Belt and braces: even if something rendered it, it could run nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# ----------------------------------------------------------------------------- stages


@bp.post("/applications/<int:application_id>/stage")
@requires(Action.MANAGE_CANDIDATES)
def change_stage(application_id: int) -> tuple[str, int] | Response:
    """Move an application (the allowed transitions only; reasons for reject and withdraw)."""
    session = db_session()
    application = application_for(session, current_user, application_id)
    # Each small form on a page has its own field prefix; the one that was sent names itself.
    kinds = [k for k in STAGE_FORM_KINDS if f"a{application_id}-{k}-kind" in request.form]
    if len(kinds) != 1:
        abort(400)
    kind = kinds[0]
    form = _stage_form(application, kind, return_to="candidate", formdata=request.form)
    target = _return_target(form)
    status = 400
    if form.validate_on_submit():
        try:
            stages.change_stage(
                session, application, form.to_stage.data or "", actor=current_user,
                reason_code=form.reason_code.data or "", reason_text=form.reason_text.data or "",
                expected_version=int_or_none(form.version.data),
            )
        except stages.ReasonMissing as exc:
            session.rollback()
            status = exc.status
            field = getattr(form, exc.field)
            field.errors = [*field.errors, str(exc)]
        except OperationError as exc:
            status = show_refusal(session, form, exc)
        else:
            return _stage_saved(session, application, target, "moved to")
    return _render_stage_page(application_id, form=form, kind=kind, target=target,
                              status=status)


@bp.post("/applications/<int:application_id>/reopen")
@requires(Action.MANAGE_CANDIDATES)
def reopen(application_id: int) -> tuple[str, int] | Response:
    """Reopen a rejected or withdrawn application (its hiring manager, with a reason)."""
    session = db_session()
    application = application_for(session, current_user, application_id)
    form = _reopen_form(application, return_to="candidate", formdata=request.form)
    target = _return_target(form)
    status = 400
    if form.validate_on_submit():
        try:
            stages.reopen(session, application, actor=current_user,
                          reason_text=form.reason_text.data or "",
                          expected_version=int_or_none(form.version.data))
        except stages.ReasonMissing as exc:
            session.rollback()
            status = exc.status
            form.reason_text.errors = [*form.reason_text.errors, str(exc)]
        except OperationError as exc:
            # Forbidden (not this requisition's hiring manager) is said on the form.
            status = show_refusal(session, form, exc, raise_for=(NotFound,))
        else:
            return _stage_saved(session, application, target, "reopened: back in")
    return _render_stage_page(application_id, form=form, kind="reopen", target=target,
                              status=status)


def _render_stage_page(application_id: int, *, form: Any, kind: str, target: str,
                       status: int) -> tuple[str, int]:
    """The application's stage and history with the failed form, its input kept."""
    session = db_session()
    application = application_for(session, current_user, application_id)
    if status == 409:
        # The page now shows the current stage; sending again acts on it knowingly.
        form.version.data = str(application.version)
    forms = _stage_forms(application, target)
    forms[kind] = form
    names = _user_names(session, {c.actor_id for c in application.stage_changes})
    return render_template(
        "candidates/stage.html", application=application, forms=forms, kind=kind,
        target=target, names=names, stage_labels=stages.STAGE_LABELS,
        reason_label=stages.reason_label,
    ), status


# ----------------------------------------------------------------------------- board


@bp.get("/requisitions/<int:requisition_id>/board")
@requires(Action.MANAGE_CANDIDATES)
def board(requisition_id: int) -> str:
    """The requisition's applications in one column per stage, each with its move forms."""
    session = db_session()
    requisition = _requisition(requisition_id)
    applications = session.scalars(
        select(Application).where(Application.requisition_id == requisition.id)
        .options(selectinload(Application.candidate), selectinload(Application.stage_changes))
        .order_by(Application.created_at, Application.id)
    ).all()
    columns: dict[str, list[dict[str, Any]]] = {stage: [] for stage in stages.STAGE_ORDER}
    actor_ids: set[int] = set()
    for application in applications:
        last = application.stage_changes[-1] if application.stage_changes else None
        if last is not None:
            actor_ids.add(last.actor_id)
        columns.setdefault(application.stage, []).append({
            "application": application, "last": last,
            "forms": _stage_forms(application, "board"),
        })
    return render_template(
        "candidates/board.html", requisition=requisition, columns=columns,
        stage_labels=stages.STAGE_LABELS, transitions=stages.ALLOWED_TRANSITIONS,
        names=_user_names(session, actor_ids), reason_label=stages.reason_label,
        total=len(applications),
    )


# ----------------------------------------------------------------------------- import


def _pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def _unpack(payload: str, limit: int) -> bytes | None:
    """The file sent back by the confirm form, or None when damaged or larger than ``limit``."""
    try:
        compressed = base64.b64decode(payload.encode("ascii"), validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(compressed, limit + 1)
    except (binascii.Error, ValueError, UnicodeEncodeError, zlib.error):
        return None
    if len(data) > limit or inflater.unconsumed_tail or not inflater.eof:
        return None
    return data


@bp.record_once
def _install_confirm_form_limit(state: Any) -> None:
    # The confirm step sends the previewed file back in a form field. Flask-WTF's CSRF check
    # reads request.form in an app-level before_request hook, before any blueprint hook runs,
    # so the larger per-field limit for that one endpoint must be set by a hook that runs first.
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_confirm_form_limit)


def _raise_confirm_form_limit() -> None:
    if request.endpoint == "candidates.import_confirm" and request.method == "POST":
        request.max_form_memory_size = current_app.config["MAX_CONTENT_LENGTH"]


def _render_import(requisition: Requisition, *, form: ImportForm | None = None,
                   preview: ops.ImportPreview | None = None, data: bytes | None = None,
                   refused: list[Any] | None = None, status: int = 200) -> tuple[str, int]:
    confirm = None
    if preview is not None and preview.ok and data is not None:
        confirm = ConfirmImportForm(formdata=None)
        confirm.payload.data = _pack(data)
        confirm.sha256.data = preview.sha256
        confirm.filename.data = preview.filename
    errors = refused if refused is not None else (preview.errors if preview else [])
    return render_template(
        "candidates/import.html", requisition=requisition, form=form or ImportForm(),
        preview=preview, confirm=confirm, errors=errors, columns=COLUMNS,
        max_lengths=MAX_LENGTHS, numbering_note=ROW_NUMBERING_NOTE,
        shown=PREVIEW_ROWS_SHOWN,
        max_upload_mb=current_app.config["MAX_UPLOAD_MB"],
    ), status


@bp.route("/requisitions/<int:requisition_id>/import", methods=["GET", "POST"])
@requires(Action.MANAGE_CANDIDATES)
def import_csv(requisition_id: int) -> tuple[str, int]:
    """Upload a CSV file and see exactly what it would import, or every bad row."""
    session = db_session()
    requisition = _requisition(requisition_id)
    form = ImportForm()
    if request.method == "GET":
        return _render_import(requisition, form=form)
    if not form.validate_on_submit():
        return _render_import(requisition, form=form, status=400)
    storage = form.file.data
    data = storage.read()
    filename = (storage.filename or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1][:255]
    try:
        preview = ops.preview_import(session, actor=current_user, requisition=requisition,
                                     data=data, filename=filename)
    except (Forbidden, NotFound):
        raise
    except OperationError as exc:
        form.form_errors.append(str(exc))
        return _render_import(requisition, form=form, status=exc.status)
    session.rollback()  # nothing was written; end the transaction before rendering
    return _render_import(requisition, form=form, preview=preview, data=data,
                          status=200 if preview.ok else 400)


@bp.post("/requisitions/<int:requisition_id>/import/confirm")
@requires(Action.MANAGE_CANDIDATES)
def import_confirm(requisition_id: int) -> tuple[str, int] | Response:
    """Import the previewed file: every row in one transaction, or nothing."""
    session = db_session()
    requisition = _requisition(requisition_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    data = _unpack(form.payload.data or "", limit)
    upload = ImportForm(formdata=None)
    if data is None or ops.file_hash(data) != (form.sha256.data or ""):
        upload.form_errors.append("The confirmed file did not arrive intact; upload it again.")
        return _render_import(requisition, form=upload, status=400)
    filename = (form.filename.data or "upload.csv")[:255]
    try:
        result = ops.import_candidates(session, actor=current_user, requisition=requisition,
                                       data=data, filename=filename)
    except ops.ImportRefused as exc:
        session.rollback()
        upload.form_errors.append(str(exc))
        return _render_import(requisition, form=upload, refused=exc.errors, status=400)
    except (Forbidden, NotFound):
        session.rollback()
        raise
    except OperationError as exc:
        session.rollback()
        upload.form_errors.append(str(exc))
        return _render_import(requisition, form=upload, status=exc.status)
    session.commit()
    known = (f"; {result.existing_candidates} of them were already known and got a new "
             f"application (their stored details were kept)" if result.existing_candidates
             else "")
    flash(f"Imported {result.applications} candidate{'s' if result.applications != 1 else ''} "
          f"from {filename} into {requisition.title}{known}.", "success")
    return redirect(url_for("candidates.board", requisition_id=requisition_id))


# ----------------------------------------------------------------------------- export


@bp.get("/requisitions/<int:requisition_id>/applications.csv")
@requires(Action.MANAGE_CANDIDATES)
@require_recent_auth
def export_csv(requisition_id: int) -> Response:
    """The requisition's applications as CSV (formula-safe); audited; needs a recent password."""
    session = db_session()
    requisition = _requisition(requisition_id)
    text = ops.export_applications_csv(session, requisition)
    rows = session.scalar(select(func.count(Application.id))
                          .where(Application.requisition_id == requisition.id)) or 0
    with write_session() as audit_session:
        ops.record_export(audit_session, actor=current_user, requisition=requisition, rows=rows)
    response = Response(text.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="requisition-{requisition.id}-applications.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
