"""Candidates and applications: create, edit (versioned), search, import, export, résumés.

Every function takes the session and the acting user, checks the policy, flushes and leaves the
commit to its caller. Audit events name candidates, applications and documents by id only: no
names, addresses, file names or notes reach the audit log (SECURITY.md LOG-1, LOG-2).

Duplicates are found by e-mail address, case-insensitively (a unique index on
``lower(email)`` backs this up): a person already known who applies to a second requisition gets
a new application on the existing candidate, whose stored details are kept as they are.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from ..candidates_csv import (
    COLUMNS,
    EXPORT_COLUMNS,
    CsvCandidate,
    RowError,
    field_problems,
    normalise_email,
    parse_candidates_csv,
    write_csv,
)
from ..models import (
    Application,
    Candidate,
    CandidateDocument,
    ImportBatch,
    Requisition,
    RequisitionStatus,
    Stage,
    utcnow,
)
from ..policy import (
    Action,
    allows,
    can_manage_candidates_of,
    scoped_applications,
    scoped_candidates,
)
from ..uploads import UploadRejected, check_resume, clean_filename
from . import Conflict, Forbidden, NotFound, OperationError
from .audit import record
from .stages import record_initial_stage, record_initial_stages

PAGE_SIZE = 50
_IN_CHUNK = 500  # ids/addresses per IN (...) query


class CandidateInvalid(OperationError):
    """Candidate fields failed validation; ``problems`` maps each field to its message."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("Please correct: " + "; ".join(
            f"{name} {message}" for name, message in self.problems.items()
        ))


class DuplicateApplication(OperationError):
    """The person has already applied to this requisition."""

    def __init__(self, message: str, candidate_id: int) -> None:
        super().__init__(message)
        self.candidate_id = candidate_id


class StaleCandidate(Conflict):
    """The candidate was saved by someone else since the form was loaded.

    ``current`` holds the stored values now and ``version`` the stored version, so the page can
    show them beside the user's input.
    """

    def __init__(self, current: Mapping[str, str], version: int) -> None:
        super().__init__("Someone else saved this candidate after you opened the form. Your "
                         "input is kept below, beside what is stored now.")
        self.current = dict(current)
        self.version = version


class ImportRefused(OperationError):
    """A CSV import was refused whole; ``errors`` lists every problem by row and column."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"Nothing was imported: the file has {len(errors)} "
                         f"problem{'s' if len(errors) != 1 else ''}.")
        self.errors = errors


class UploadRefused(OperationError):
    """A résumé upload was refused (type by content, or size)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------------------- permissions


def _require_manage(actor: Any, requisition: Requisition) -> None:
    if not can_manage_candidates_of(actor, requisition):
        raise Forbidden("You may not manage candidates of this requisition.")


def _require_accepting(requisition: Requisition) -> None:
    if requisition.status == RequisitionStatus.CLOSED.value:
        raise OperationError("This requisition is closed; it takes no new candidates.")


def can_manage_candidate(session: Session, actor: Any, candidate: Candidate) -> bool:
    """Whether ``actor`` may edit ``candidate`` and add documents.

    Admins and recruiters may; a hiring manager when the candidate applied to one of their
    requisitions. Interviewers only read.
    """
    roles = actor.role_names
    if not allows(roles, Action.MANAGE_CANDIDATES):
        return False
    if "admin" in roles or "recruiter" in roles:
        return True
    owned = session.scalar(
        select(func.count(Application.id))
        .join(Requisition, Requisition.id == Application.requisition_id)
        .where(Application.candidate_id == candidate.id,
               Requisition.hiring_manager_id == actor.id)
    )
    return bool(owned)


def _require_manage_candidate(session: Session, actor: Any, candidate: Candidate) -> None:
    if not can_manage_candidate(session, actor, candidate):
        raise Forbidden("You may not change this candidate.")


# ----------------------------------------------------------------------------- lookups


def find_candidate_by_email(session: Session, email: str) -> Candidate | None:
    """The candidate with ``email`` (case-insensitive), or None."""
    return session.scalar(
        select(Candidate).where(func.lower(Candidate.email) == normalise_email(email))
    )


def visible_applications(session: Session, user: Any, candidate: Candidate) -> list[Application]:
    """The applications of ``candidate`` that ``user`` may see, newest first."""
    return list(session.scalars(
        scoped_applications(user).where(Application.candidate_id == candidate.id)
        .options(selectinload(Application.requisition), selectinload(Application.stage_changes))
        .order_by(Application.created_at.desc(), Application.id.desc())
    ))


def document_for(session: Session, user: Any, stored_name: str) -> CandidateDocument:
    """The document stored as ``stored_name`` if ``user`` may see its candidate, else NotFound."""
    visible = scoped_candidates(user).with_only_columns(Candidate.id)
    document = session.scalar(
        select(CandidateDocument).where(CandidateDocument.stored_name == stored_name,
                                        CandidateDocument.candidate_id.in_(visible))
    )
    if document is None:
        raise NotFound("No such document.")
    return document


# ----------------------------------------------------------------------------- create / edit


def _clean_fields(values: Mapping[str, Any]) -> dict[str, str]:
    cleaned = {name: str(values.get(name) or "").strip() for name in COLUMNS}
    problems = field_problems(cleaned)
    if problems:
        raise CandidateInvalid(problems)
    return cleaned


def _new_application(requisition: Requisition, *, candidate: Candidate | None = None,
                     candidate_id: int | None = None,
                     import_batch_id: int | None = None) -> Application:
    application = Application(requisition_id=requisition.id, stage=Stage.APPLIED.value,
                              import_batch_id=import_batch_id)
    if candidate is not None:
        application.candidate = candidate
    else:
        application.candidate_id = candidate_id  # type: ignore[assignment]
    return application


def create_candidate(
    session: Session,
    *,
    actor: Any,
    requisition: Requisition,
    name: str,
    email: str,
    phone: str = "",
    location: str = "",
    source: str = "",
    notes: str = "",
) -> Application:
    """Add a person to ``requisition``; returns their new application (stage ``applied``).

    A known e-mail address (any case) reuses the existing candidate without changing their
    stored details; the returned application's candidate then has more than one application.
    A person who already applied to ``requisition`` is refused with
    :class:`DuplicateApplication`.
    """
    _require_manage(actor, requisition)
    _require_accepting(requisition)
    fields = _clean_fields({"name": name, "email": email, "phone": phone, "location": location,
                            "source": source, "notes": notes})
    existing = find_candidate_by_email(session, fields["email"])
    if existing is not None:
        already = session.scalar(select(Application).where(
            Application.candidate_id == existing.id,
            Application.requisition_id == requisition.id))
        if already is not None:
            raise DuplicateApplication(
                "This person (same e-mail address) has already applied to this requisition; "
                "nothing was added.", candidate_id=existing.id)
        candidate = existing
        new_candidate = False
    else:
        candidate = Candidate(**fields)
        session.add(candidate)
        new_candidate = True
    application = _new_application(requisition, candidate=candidate)
    session.add(application)
    record_initial_stage(session, application, actor=actor)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another request added the same address or application a moment ago (PostgreSQL;
        # SQLite serialises writers). The caller rolls back.
        raise Conflict("Someone added this person at the same moment; reload and check the "
                       "candidate list.") from exc
    if new_candidate:
        record(session, "candidate.created", actor_id=actor.id, subject_type="candidate",
               subject_id=candidate.id)
    record(session, "application.created", actor_id=actor.id, subject_type="application",
           subject_id=application.id, candidate_id=candidate.id,
           requisition_id=requisition.id, existing_candidate=not new_candidate)
    return application


def candidate_values(candidate: Candidate) -> dict[str, str]:
    """The editable fields of ``candidate`` as stored."""
    return {name: getattr(candidate, name) or "" for name in COLUMNS}


def update_candidate(
    session: Session,
    *,
    actor: Any,
    candidate: Candidate,
    expected_version: int,
    **fields: Any,
) -> Candidate:
    """Save the contact fields of ``candidate`` if nobody saved it since ``expected_version``.

    Only :data:`~hiring.candidates_csv.COLUMNS` are writable; any other keyword is refused (no
    mass assignment). A stale version raises :class:`StaleCandidate` (409) carrying the stored
    values; invalid values :class:`CandidateInvalid`.
    """
    unknown = sorted(set(fields) - set(COLUMNS))
    if unknown:
        raise OperationError(f"Not an editable field: {', '.join(unknown)}.")
    _require_manage_candidate(session, actor, candidate)
    locked = session.scalar(
        select(Candidate).where(Candidate.id == candidate.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFound("No such candidate.")
    candidate = locked
    if candidate.version != expected_version:
        raise StaleCandidate(candidate_values(candidate), candidate.version)
    merged = candidate_values(candidate)
    merged.update({name: value for name, value in fields.items()})
    cleaned = _clean_fields(merged)
    if normalise_email(cleaned["email"]) != normalise_email(candidate.email):
        other = find_candidate_by_email(session, cleaned["email"])
        if other is not None and other.id != candidate.id:
            raise CandidateInvalid({"email": "belongs to another candidate already."})
    changed = sorted(name for name in COLUMNS if cleaned[name] != (getattr(candidate, name) or ""))
    if not changed:
        return candidate
    for name in changed:
        setattr(candidate, name, cleaned[name])
    candidate.version += 1
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("Another candidate was given this e-mail address at the same moment.") \
            from exc
    record(session, "candidate.updated", actor_id=actor.id, subject_type="candidate",
           subject_id=candidate.id, fields=changed)
    return candidate


# ----------------------------------------------------------------------------- search


@dataclass
class CandidateHit:
    """A candidate in a search result with the applications the searcher may see."""

    candidate: Candidate
    applications: list[Application]


@dataclass
class CandidatePage:
    """One page of :func:`search_candidates`."""

    items: list[CandidateHit]
    total: int
    page: int
    pages: int
    query: str


def _like_pattern(query: str) -> str:
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_candidates(session: Session, user: Any, q: str, page: int = 1) -> CandidatePage:
    """Candidates ``user`` may see whose name, e-mail, source or location contains ``q``
    (case-insensitive), ordered by name, :data:`PAGE_SIZE` per page."""
    query = (q or "").strip()[:200]
    page = max(int(page or 1), 1)
    statement = scoped_candidates(user)
    if query:
        like = _like_pattern(query)
        statement = statement.where(or_(*(
            func.lower(column).like(like, escape="\\")
            for column in (Candidate.name, Candidate.email, Candidate.source, Candidate.location)
        )))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    candidates = list(session.scalars(
        statement.order_by(func.lower(Candidate.name), Candidate.id)
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ))
    by_candidate: dict[int, list[Application]] = {c.id: [] for c in candidates}
    if candidates:
        for application in session.scalars(
            scoped_applications(user).where(Application.candidate_id.in_(list(by_candidate)))
            .options(selectinload(Application.requisition)).order_by(Application.id)
        ):
            by_candidate[application.candidate_id].append(application)
    return CandidatePage(items=[CandidateHit(c, by_candidate[c.id]) for c in candidates],
                         total=total, page=page, pages=pages, query=query)


# ----------------------------------------------------------------------------- CSV import


@dataclass
class PreviewRow:
    """A row that will be imported, and whether its person is already known."""

    row: CsvCandidate
    existing_candidate: bool


@dataclass
class ImportPreview:
    """What an import would do, or every reason it cannot."""

    filename: str
    sha256: str
    size: int
    rows: list[PreviewRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0

    @property
    def ok(self) -> bool:
        """True when the file can be imported as it is."""
        return not self.errors and bool(self.rows)

    @property
    def existing_candidates(self) -> int:
        """Rows whose person is already known (they get an application only)."""
        return sum(1 for r in self.rows if r.existing_candidate)

    @property
    def new_candidates(self) -> int:
        """Rows that create a new candidate."""
        return len(self.rows) - self.existing_candidates


@dataclass
class ImportResult:
    """A committed-to-be import: its batch and what it created."""

    batch: ImportBatch
    applications: int
    new_candidates: int
    existing_candidates: int


def file_hash(data: bytes) -> str:
    """SHA-256 of a file's bytes (hex), the identity of an import."""
    return hashlib.sha256(data).hexdigest()


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start:start + _IN_CHUNK]


def _known_candidates(session: Session, emails: list[str]) -> dict[str, Candidate]:
    known: dict[str, Candidate] = {}
    for chunk in _chunks(emails):
        for candidate in session.scalars(
            select(Candidate).where(func.lower(Candidate.email).in_(chunk))
        ):
            known[normalise_email(candidate.email)] = candidate
    return known


def _applied_candidate_ids(session: Session, requisition: Requisition,
                           candidate_ids: list[int]) -> set[int]:
    applied: set[int] = set()
    for chunk in _chunks(candidate_ids):
        applied.update(session.scalars(
            select(Application.candidate_id).where(Application.requisition_id == requisition.id,
                                                   Application.candidate_id.in_(chunk))
        ))
    return applied


def _insert_new_candidates(session: Session, rows: list[CsvCandidate]) -> dict[str, int]:
    """Insert one candidate per row; their ids by normalised e-mail address."""
    if not rows:
        return {}
    now = utcnow()
    ids = session.scalars(
        insert(Candidate).returning(Candidate.id, sort_by_parameter_order=True),
        [{**row.fields(), "created_at": now, "version": 1, "legal_hold": False} for row in rows],
    )
    return {row.email_key: candidate_id for row, candidate_id in zip(rows, ids, strict=True)}


def _sort_key(error: RowError) -> tuple[int, int, int]:
    column = COLUMNS.index(error.column) if error.column in COLUMNS else -1
    return (0 if error.row is None else 1, error.row or 0, column)


def preview_import(session: Session, *, actor: Any, requisition: Requisition, data: bytes,
                   filename: str) -> ImportPreview:
    """Validate an import file completely without writing anything.

    Adds to the file's own checks (:func:`hiring.candidates_csv.parse_candidates_csv`): the same
    file imported into this requisition before (named with its date), and people who already
    applied to this requisition.
    """
    _require_manage(actor, requisition)
    _require_accepting(requisition)
    digest = file_hash(data)
    preview = ImportPreview(filename=filename, sha256=digest, size=len(data))
    earlier = session.scalar(select(ImportBatch).where(
        ImportBatch.requisition_id == requisition.id, ImportBatch.file_hash == digest))
    if earlier is not None:
        preview.errors.append(RowError(None, "", (
            f"This file was already imported into this requisition on "
            f"{earlier.created_at.astimezone(UTC):%Y-%m-%d at %H:%M} UTC ({earlier.rows} "
            f"rows). The same file is never imported twice."
        )))
        return preview
    parsed = parse_candidates_csv(data)
    preview.data_rows = parsed.data_rows
    errors = list(parsed.errors)
    known = _known_candidates(session, sorted({r.email_key for r in parsed.rows}))
    applied = _applied_candidate_ids(session, requisition, [c.id for c in known.values()])
    for row in parsed.rows:
        candidate = known.get(row.email_key)
        if candidate is not None and candidate.id in applied:
            errors.append(RowError(row.row, "email", (
                "this person (same e-mail address) has already applied to this requisition."
            )))
            continue
        preview.rows.append(PreviewRow(row=row, existing_candidate=candidate is not None))
    preview.errors = sorted(errors, key=_sort_key)
    return preview


def import_candidates(session: Session, *, actor: Any, requisition: Requisition, data: bytes,
                      filename: str) -> ImportResult:
    """Import every row of a clean file into ``requisition`` as one unit of work, or nothing.

    Any problem raises :class:`ImportRefused` listing all of them. Each row becomes an
    application at ``applied`` (with its first stage change by ``actor``); known people keep
    their stored details. The batch keeps the file's SHA-256 so the same file is refused later.
    """
    preview = preview_import(session, actor=actor, requisition=requisition, data=data,
                             filename=filename)
    if not preview.ok:
        errors = preview.errors or [RowError(None, "", "The file has no rows to import.")]
        raise ImportRefused(errors)
    batch = ImportBatch(requisition_id=requisition.id, file_hash=preview.sha256,
                        filename=(filename or "")[:255], rows=len(preview.rows),
                        created_by_id=actor.id)
    session.add(batch)
    try:
        session.flush()
        # Bulk inserts (one statement per table, batched by the driver): a 5,000-row file holds
        # the write lock for well under a second, instead of seconds of ORM bookkeeping.
        candidate_ids = _insert_new_candidates(
            session, [p.row for p in preview.rows if not p.existing_candidate])
        candidate_ids.update({key: c.id for key, c in _known_candidates(
            session, [p.row.email_key for p in preview.rows if p.existing_candidate]).items()})
        now = utcnow()
        application_ids = list(session.scalars(
            insert(Application).returning(Application.id, sort_by_parameter_order=True),
            [{"candidate_id": candidate_ids[p.row.email_key], "requisition_id": requisition.id,
              "stage": Stage.APPLIED.value, "import_batch_id": batch.id, "created_at": now,
              "version": 1} for p in preview.rows],
        ))
        record_initial_stages(session, application_ids, actor=actor, at=now)
    except IntegrityError as exc:
        raise Conflict("Some of these people were added by someone else at the same moment, "
                       "or the file is being imported right now; nothing was imported. Upload "
                       "the file again to see what changed.") from exc
    record(session, "candidates.imported", actor_id=actor.id, subject_type="import_batch",
           subject_id=batch.id, requisition_id=requisition.id, rows=len(preview.rows),
           new_candidates=preview.new_candidates,
           existing_candidates=preview.existing_candidates)
    return ImportResult(batch=batch, applications=len(preview.rows),
                        new_candidates=preview.new_candidates,
                        existing_candidates=preview.existing_candidates)


# ----------------------------------------------------------------------------- CSV export


def export_applications_csv(session: Session, requisition: Requisition) -> str:
    """The applications of ``requisition`` as CSV: the import columns plus ``stage`` and
    ``applied_at`` (UTC, ISO 8601), formula-safe (SECURITY.md IN-3).

    The caller checks permissions and audits the export (:func:`record_export`).
    """
    applications = session.scalars(
        select(Application).join(Candidate, Candidate.id == Application.candidate_id)
        .where(Application.requisition_id == requisition.id)
        .options(selectinload(Application.candidate))
        .order_by(func.lower(Candidate.name), Application.id)
    )
    rows = []
    for application in applications:
        candidate = application.candidate
        applied_at = application.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append([*(getattr(candidate, c) or "" for c in COLUMNS), application.stage,
                     applied_at])
    return write_csv(EXPORT_COLUMNS, rows)


def record_export(session: Session, *, actor: Any, requisition: Requisition, rows: int) -> None:
    """Audit a CSV export of ``requisition``'s applications (who, which, how many rows)."""
    record(session, "applications.exported", actor_id=actor.id, subject_type="requisition",
           subject_id=requisition.id, rows=rows)


# ----------------------------------------------------------------------------- documents


def add_document(session: Session, *, actor: Any, candidate: Candidate, filename: str,
                 data: bytes, max_bytes: int) -> CandidateDocument:
    """Store a résumé for ``candidate`` after checking its type by content and its size.

    The stored name is random (it is the download URL); the original name is kept only for
    display, cleaned and with the detected extension.
    """
    _require_manage_candidate(session, actor, candidate)
    try:
        checked = check_resume(data, max_bytes=max_bytes)
    except UploadRejected as exc:
        status = 413 if len(data) > max_bytes else 400
        raise UploadRefused(str(exc), status=status) from exc
    document = CandidateDocument(
        candidate_id=candidate.id, stored_name=secrets.token_urlsafe(24),
        filename=clean_filename(filename, checked.content_type),
        content_type=checked.content_type, size=checked.size, data=data,
        uploaded_by_id=actor.id,
    )
    session.add(document)
    session.flush()
    record(session, "document.uploaded", actor_id=actor.id, subject_type="candidate_document",
           subject_id=document.id, candidate_id=candidate.id, content_type=checked.content_type,
           size=checked.size)
    return document


def record_download(session: Session, *, actor: Any, document: CandidateDocument) -> None:
    """Audit a résumé download (who, which document)."""
    record(session, "document.downloaded", actor_id=actor.id, subject_type="candidate_document",
           subject_id=document.id, candidate_id=document.candidate_id)
