"""Candidates' data rights: export everything held about one person, erase it, and retention.

Which tables hold a candidate's data
    Every table reachable from ``candidates`` through foreign keys (applications, their stage
    history, decisions, outcomes, scores, self-identification, notice links, ranking moves,
    interviews with their assignments, invitations and scorecards, ratings, notes, amendments,
    documents, and whatever a later revision adds). :func:`candidate_graph` reads that list from
    the SQLAlchemy metadata, so a new table or column is exported and erased without touching
    this module; ``tests/web/test_privacy.py`` fails when a column is not covered.

Export (SECURITY.md DP-3)
    :func:`export_candidate` returns plain JSON data: the candidate and, nested under each row,
    the rows that point to it, every column as stored, plus readable labels for the things they
    refer to (requisition title, plan step, competency, question). Three columns are withheld or
    transformed (:data:`COLUMN_POLICY`): a document's bytes (its SHA-256 and size are given; the
    files themselves are downloaded one by one from the data-rights page), an interviewer's
    scorecard access code and the secret part of the candidate's own notice link. People on the
    hiring side appear by user id, never by name. The scoring-run records and audit events about
    the candidate's applications are listed too (they hold ids and numbers only).

Erasure (DP-4)
    :func:`erase_candidate` deletes the ``candidates`` row and lets the database cascade through
    every table above (``ON DELETE CASCADE``; SQLite with ``foreign_keys=ON``); résumés are rows
    too, so uploads go with it. Before that it keeps what must survive, without personal data
    (:mod:`hiring.models.privacy`): anonymous counters per requisition (scores by category
    among them) and the independent ratings by id, so pipeline counts, the adverse-impact
    selection and scoring figures and reliability statistics do not change; it replaces
    mentions of the person's name, e-mail address and phone number in other candidates' free
    text with ``[erased]`` and drops unsent form input that mentions them. A legal hold refuses
    erasure (409). The audit event names the candidate by id with counts, never personal data.
    On SQLite, deleted content is overwritten (``secure_delete``) and the write-ahead log is
    checkpointed afterwards.

Retention (DP-2)
    A candidate is due for erasure when every one of their applications is closed (hired,
    rejected or withdrawn) and each has been closed for longer than its requisition's
    ``retention_days``; a candidate without applications is due ``DEFAULT_RETENTION_DAYS`` after
    being added. Legal holds are skipped. :func:`run_retention` erases the due candidates (each
    in its own savepoint) and says what it did, by id only.

What survives erasure
    The audit log, the scoring-run records (kept at least six months, AI-3) and the scoring
    inputs they name, model versions with their cards, the imported history, requisitions and
    the question bank, and the retained counters and ratings above.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKeyConstraint,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, selectinload

from ..analytics.impact import STEPS, furthest_stage, step_outcome
from ..models import (
    Application,
    AuditEvent,
    Base,
    Candidate,
    Decision,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    PendingForm,
    Requisition,
    RetainedCount,
    RetainedRating,
    Score,
    Scorecard,
    ScorecardStatus,
    ScoringRun,
    StageChange,
    User,
)
from ..models.fairness import SelfIdentification
from ..policy import Action, allows
from . import Conflict, Forbidden, NotFound, OperationError
from .audit import record
from .impact import categories, score_value

EXPORT_FORMAT = "hiring.candidate-export/1"
ROOT_TABLE = "candidates"
FINAL_STAGES = frozenset({"hired", "rejected", "withdrawn"})
#: Days after being added that a candidate without any application is kept.
DEFAULT_RETENTION_DAYS = 365
REDACTED = "[erased]"
#: Names shorter than this are not searched for or redacted elsewhere (too many false hits).
MIN_NAME_LENGTH = 4
#: Phone numbers with fewer digits than this are not searched for or redacted elsewhere.
MIN_PHONE_DIGITS = 6

#: Columns of candidate-owned tables that the export withholds or transforms, and why. Every
#: other column is exported as stored.
COLUMN_POLICY: dict[tuple[str, str], str] = {
    ("candidate_documents", "data"): "file content: replaced by its SHA-256 and size in bytes; "
                                     "the files are downloaded one by one from the data-rights "
                                     "page",
    ("interview_assignments", "short_code"): "an interviewer's access code to their own "
                                             "scorecard, not information about the candidate",
    ("notice_links", "nonce"): "the secret part of a link already sent to the candidate",
}

#: Readable labels added beside foreign keys to tables outside the candidate's own data.
_LABELS: dict[str, str] = {
    "requisitions": "title",
    "plan_steps": "name",
    "competencies": "key",
    "question_versions": "prompt",
    "profile_versions": "name",
}
# Identity columns of other candidates are never redacted (two people may share a name or a
# phone); every other text column of candidate-owned tables is.
_IDENTITY_COLUMNS = frozenset({("candidates", "name"), ("candidates", "email"),
                               ("candidates", "phone")})
# Tables never written by an erasure: append-only or immutable records (they hold no personal
# data by design) and the migration bookkeeping.
_NEVER_TOUCHED = frozenset({"audit_events", "scoring_runs", "alembic_version"})


class LegalHold(Conflict):
    """The candidate is under a legal hold: erasure is refused (409)."""


# ---------------------------------------------------------------------------- the table graph


@dataclass(frozen=True)
class Link:
    """A foreign key from ``child`` to ``parent``, both candidate-owned tables."""

    child: Table
    parent: Table
    constraint: ForeignKeyConstraint

    @property
    def pairs(self) -> list[tuple[Column[Any], Column[Any]]]:
        """(child column, parent column) pairs of the foreign key."""
        return [(element.parent, element.column) for element in self.constraint.elements]


@dataclass(frozen=True)
class CandidateGraph:
    """The candidate-owned tables (``candidates`` first) and the foreign keys between them."""

    tables: tuple[Table, ...]
    links: tuple[Link, ...]

    def children(self, table: Table) -> list[Link]:
        """Foreign keys pointing at ``table`` from candidate-owned tables."""
        return [link for link in self.links if link.parent is table]

    @property
    def names(self) -> list[str]:
        """The table names, ``candidates`` first, then in discovery order."""
        return [t.name for t in self.tables]


def candidate_graph(metadata: Any = None) -> CandidateGraph:
    """Every table reachable from ``candidates`` by following foreign keys backwards (tables
    whose rows point, directly or through others, at a candidate), read from the metadata."""
    metadata = metadata if metadata is not None else Base.metadata
    root = metadata.tables[ROOT_TABLE]
    tables: list[Table] = [root]
    links: list[Link] = []
    frontier = [root]
    while frontier:
        parent = frontier.pop(0)
        for table in metadata.sorted_tables:
            for constraint in sorted(table.foreign_key_constraints, key=lambda c: c.name or ""):
                if constraint.referred_table is not parent:
                    continue
                links.append(Link(table, parent, constraint))
                if table not in tables:
                    tables.append(table)
                    frontier.append(table)
    return CandidateGraph(tuple(tables), tuple(links))


# ---------------------------------------------------------------------------- plain values


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a stored value."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row_dict(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        policy = COLUMN_POLICY.get((table.name, column.name))
        value = row[column.name]
        if policy is not None:
            if isinstance(value, bytes | bytearray | memoryview):
                out[column.name] = {"withheld": policy, **_plain(value)}
            else:
                out[column.name] = {"withheld": policy}
            continue
        out[column.name] = _plain(value)
    return out


# ---------------------------------------------------------------------------- export


def _labels(session: Session, graph: CandidateGraph, rows: dict[str, list[dict[str, Any]]]
            ) -> None:
    """Add ``<column>_label`` beside foreign keys to requisitions, steps, competencies,
    questions and profile versions (read in one query per referred table)."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    targets: list[tuple[str, str, str]] = []  # (table, column, referred table)
    owned = {t.name for t in graph.tables}
    for table in graph.tables:
        for constraint in table.foreign_key_constraints:
            referred = constraint.referred_table.name
            if referred in owned or referred not in _LABELS or len(constraint.columns) != 1:
                continue
            column = next(iter(constraint.columns)).name
            targets.append((table.name, column, referred))
            for row in rows.get(table.name, []):
                if row.get(column) is not None:
                    wanted[referred].add(row[column])
    found: dict[str, dict[Any, Any]] = {}
    for referred, ids in wanted.items():
        table = Base.metadata.tables[referred]
        label = table.c[_LABELS[referred]]
        pk = next(iter(table.primary_key.columns))
        found[referred] = dict(session.execute(select(pk, label).where(pk.in_(sorted(ids))))
                               .all())
    for table_name, column, referred in targets:
        for row in rows.get(table_name, []):
            if row.get(column) is not None:
                row[f"{column}_label"] = found.get(referred, {}).get(row[column])


def _collect(session: Session, graph: CandidateGraph, candidate_id: int
             ) -> dict[str, list[dict[str, Any]]]:
    """Every candidate-owned row, by table, as stored (policy applied), breadth first."""
    root = graph.tables[0]
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    raw: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    found = session.execute(select(root).where(root.c.id == candidate_id)).mappings().all()
    raw[root.name] = list(found)
    seen: dict[str, set[Any]] = defaultdict(set)
    for mapping in found:
        seen[root.name].add(tuple(mapping[c.name] for c in root.primary_key.columns))
    queue = [root]
    while queue:
        parent = queue.pop(0)
        for link in graph.children(parent):
            pairs = link.pairs
            if len(pairs) != 1:  # pragma: no cover - composite keys do not occur in this schema
                raise OperationError(f"composite foreign key on {link.child.name}")
            child_column, parent_column = pairs[0]
            values = sorted({r[parent_column.name] for r in raw[parent.name]
                             if r[parent_column.name] is not None})
            if not values:
                continue
            children = session.execute(
                select(link.child).where(child_column.in_(values))).mappings().all()
            added = False
            for mapping in children:
                key = tuple(mapping[c.name] for c in link.child.primary_key.columns)
                if key in seen[link.child.name]:
                    continue
                seen[link.child.name].add(key)
                raw[link.child.name].append(mapping)
                added = True
            if added and link.child not in queue:
                queue.append(link.child)
    for table in graph.tables:
        rows[table.name] = [_row_dict(table, r) for r in raw.get(table.name, [])]
    return rows


def _nest(graph: CandidateGraph, rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The flat rows nested under the rows they point to (a row pointing at two owned parents
    appears under each)."""

    def attach(table: Table, row: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        out = dict(row)
        for link in graph.children(table):
            if link.child.name in path:
                continue
            child_column, parent_column = link.pairs[0]
            name = link.child.name
            if sum(1 for other in graph.children(table) if other.child is link.child) > 1:
                name = f"{name}_by_{child_column.name}"
            out[name] = [attach(link.child, child, (*path, link.child.name))
                         for child in rows.get(link.child.name, [])
                         if child.get(child_column.name) == row.get(parent_column.name)]
        return out

    root = graph.tables[0]
    candidates = [attach(root, r, (root.name,)) for r in rows.get(root.name, [])]
    return candidates[0] if candidates else {}


def _scoring_records(session: Session, application_ids: Sequence[int],
                     requisition_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The scoring-run record entries about these applications (ids and numbers only)."""
    if not application_ids:
        return []
    wanted = set(application_ids)
    out = []
    runs = session.execute(
        select(ScoringRun).where(ScoringRun.requisition_id.in_(list(requisition_ids)))
        .order_by(ScoringRun.id).execution_options(yield_per=200)).scalars()
    for run in runs:
        for entry in run.entries or []:
            if isinstance(entry, Mapping) and entry.get("application_id") in wanted:
                out.append({"run": run.id, "at": _plain(run.at), "kind": run.kind,
                            "trigger": run.trigger, "actor_id": run.actor_id,
                            "model_kind": run.model_kind, "model_version": run.model_version,
                            "profile_version_ids": run.profile_version_ids,
                            "library_versions": run.library_versions,
                            "keep_until": _plain(run.keep_until), "entry": _plain(entry)})
    return out


def _audit_trail(session: Session, ids: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Audit events whose subject is one of the candidate's rows (who did what, when)."""
    conditions = [
        (AuditEvent.subject_type == subject_type)
        & AuditEvent.subject_id.in_([str(v) for v in values])
        for subject_type, values in ids.items() if values
    ]
    if not conditions:
        return []
    events = session.scalars(select(AuditEvent).where(or_(*conditions))
                             .order_by(AuditEvent.id)).all()
    return [{"at": _plain(e.at), "actor_id": e.actor_id, "action": e.action,
             "subject_type": e.subject_type, "subject_id": e.subject_id,
             "outcome": e.outcome, "details": _plain(e.details)} for e in events]


def candidate_rows(session: Session, candidate_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every candidate-owned row by table (the flat form of the export)."""
    graph = candidate_graph()
    rows = _collect(session, graph, candidate_id)
    if not rows.get(ROOT_TABLE):
        raise NotFound("No such candidate.")
    return rows


def export_candidate(session: Session, candidate_id: int) -> dict[str, Any]:
    """Everything held about one candidate as plain JSON data (see the module docstring).

    The caller checks permissions and audits the export (:func:`record_export`).
    """
    graph = candidate_graph()
    rows = _collect(session, graph, candidate_id)
    if not rows.get(ROOT_TABLE):
        raise NotFound("No such candidate.")
    _labels(session, graph, rows)
    application_ids = [r["id"] for r in rows.get("applications", [])]
    requisition_ids = sorted({r["requisition_id"] for r in rows.get("applications", [])})
    subjects = {
        "candidate": [candidate_id],
        "application": application_ids,
        "candidate_document": [r["id"] for r in rows.get("candidate_documents", [])],
        "interview": [r["id"] for r in rows.get("interviews", [])],
        "scorecard": [r["id"] for r in rows.get("scorecards", [])],
    }
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _plain(datetime.now(UTC)),
        "about": (
            "Everything this hiring system holds about one candidate: the candidate, and under "
            "each record the records that refer to it, every column as stored. People on the "
            "hiring side appear by user id. Withheld or transformed columns are listed in "
            "'withheld'. Times are UTC."),
        "withheld": [{"table": t, "column": c, "why": why}
                     for (t, c), why in sorted(COLUMN_POLICY.items())],
        "tables": graph.names,
        "candidate": _nest(graph, rows),
        "scoring_records": _scoring_records(session, application_ids, requisition_ids),
        "audit_events": _audit_trail(session, subjects),
    }


def record_export(session: Session, candidate_id: int, *, actor_id: int | None,
                  channel: str) -> None:
    """Audit an export of one candidate's data (who, which candidate, how)."""
    record(session, "candidate.exported", actor_id=actor_id, subject_type="candidate",
           subject_id=candidate_id, channel=channel)


def held_counts(rows: Mapping[str, Sequence[Any]]) -> dict[str, int]:
    """Rows per table in a :func:`candidate_rows` result (tables with none left out)."""
    return {table: len(items) for table, items in rows.items() if items}


# ---------------------------------------------------------------------------- mentions


@dataclass(frozen=True)
class Identity:
    """What identifies an erased person in free text: name, e-mail address, phone number."""

    name: str
    email: str
    phone: str

    @classmethod
    def of(cls, candidate: Candidate) -> Identity:
        """The identity of ``candidate``."""
        return cls(name=(candidate.name or "").strip(), email=(candidate.email or "").strip(),
                   phone=(candidate.phone or "").strip())

    def needles(self) -> list[str]:
        """The strings searched for (short names and phone numbers are left out)."""
        out = []
        if len(self.name) >= MIN_NAME_LENGTH:
            out.append(self.name)
        if self.email:
            out.append(self.email)
        if sum(ch.isdigit() for ch in self.phone) >= MIN_PHONE_DIGITS:
            out.append(self.phone)
        return out


@dataclass(frozen=True)
class Mention:
    """A text column of a row that contains one of the searched strings."""

    table: str
    column: str
    key: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{self.table}.{self.column} {'/'.join(str(k) for k in self.key)}"


def _is_text(column: Column[Any]) -> bool:
    return isinstance(column.type, String | Text | JSON) and \
        not isinstance(column.type, LargeBinary)


def _json_escaped(needle: str) -> str:
    import json

    return json.dumps(needle)[1:-1]


def _pattern(needle: str) -> re.Pattern[str]:
    # Word boundaries for names (so "Ann" never matches "Annual"), plain for the others.
    escaped = re.escape(needle)
    if "@" in needle or any(ch.isdigit() for ch in needle):
        return re.compile(escaped, re.IGNORECASE)
    return re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)


def _contains(value: Any, patterns: Sequence[re.Pattern[str]]) -> bool:
    if value is None:
        return False
    if isinstance(value, Mapping):
        return any(_contains(k, patterns) or _contains(v, patterns) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains(v, patterns) for v in value)
    if isinstance(value, str):
        return any(p.search(value) for p in patterns)
    return False


def _candidate_rows_matching(session: Session, table: Table, column: Column[Any],
                             needles: Sequence[str]) -> Iterator[Mapping[str, Any]]:
    """Rows whose ``column`` may contain a needle (a case-insensitive SQL prefilter; the caller
    confirms in Python)."""
    text = func.lower(sql_cast(column, Text())) if isinstance(column.type, JSON) \
        else func.lower(column)
    conditions = []
    for needle in needles:
        for form in {needle.lower(), _json_escaped(needle).lower()}:
            conditions.append(text.contains(form, autoescape=True))
    statement = select(table).where(or_(*conditions))
    yield from session.execute(statement).mappings()


def find_mentions(session: Session, identity: Identity, *,
                  tables: Iterable[Table] | None = None) -> list[Mention]:
    """Every text (and JSON) column of every table that still mentions ``identity``."""
    needles = identity.needles()
    if not needles:
        return []
    patterns = [_pattern(n) for n in needles]
    found = []
    for table in tables if tables is not None else Base.metadata.sorted_tables:
        for column in table.columns:
            if not _is_text(column):
                continue
            for row in _candidate_rows_matching(session, table, column, needles):
                if _contains(row[column.name], patterns):
                    found.append(Mention(table.name, column.name,
                                         tuple(row[c.name] for c in table.primary_key.columns)))
    return found


def _redact_value(value: Any, patterns: Sequence[re.Pattern[str]]) -> Any:
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, Mapping):
        return {_redact_value(k, patterns): _redact_value(v, patterns) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v, patterns) for v in value]
    return value


def _redact_mentions(session: Session, identity: Identity, graph: CandidateGraph) -> int:
    """Replace the person's name, e-mail address and phone number with ``[erased]`` in the text
    columns of candidate-owned tables (other candidates' notes, reasons, rationales, invitations
    ...), never in another candidate's own name, e-mail or phone. Returns the cells changed."""
    needles = identity.needles()
    if not needles:
        return 0
    patterns = [_pattern(n) for n in needles]
    changed = 0
    for table in graph.tables:
        pk = list(table.primary_key.columns)
        for column in table.columns:
            if not _is_text(column) or (table.name, column.name) in _IDENTITY_COLUMNS:
                continue
            for row in list(_candidate_rows_matching(session, table, column, needles)):
                value = row[column.name]
                if not _contains(value, patterns):
                    continue
                new = _redact_value(value, patterns)
                length = getattr(column.type, "length", None)
                if isinstance(new, str) and length and len(new) > length:
                    new = new[:length]
                condition = [c == row[c.name] for c in pk]
                session.execute(update(table).where(*condition).values({column.name: new}))
                changed += 1
    return changed


def _drop_pending_forms(session: Session, identity: Identity, rows: Mapping[str, Sequence[Any]]
                        ) -> int:
    """Form input kept after an expired session that belongs to this person's records (by the
    page it was typed on) or mentions them."""
    paths = [f"/candidates/{r['id']}/" for r in rows.get("candidates", [])]
    paths += [f"/applications/{r['id']}/" for r in rows.get("applications", [])]
    paths += [f"/interviews/{r['id']}/" for r in rows.get("interviews", [])]
    paths += [f"/scorecards/{r['id']}/" for r in rows.get("scorecards", [])]
    doomed: set[str] = set()
    for token, path in session.execute(select(PendingForm.token, PendingForm.path)).all():
        if any((path + "/").startswith(p) for p in paths):
            doomed.add(token)
    table = PendingForm.__table__
    for mention in find_mentions(session, identity, tables=[table]):  # type: ignore[list-item]
        doomed.add(mention.key[0])
    if doomed:
        session.execute(delete(PendingForm).where(PendingForm.token.in_(sorted(doomed))))
    return len(doomed)


# ---------------------------------------------------------------------------- what survives


def _bump(session: Session, counts: Counter[tuple[int, str, str]]) -> None:
    """Add ``counts`` to the retained counters (insert or increment)."""
    for (requisition_id, metric, key), amount in sorted(counts.items()):
        updated = session.execute(
            update(RetainedCount)
            .where(RetainedCount.requisition_id == requisition_id,
                   RetainedCount.metric == metric, RetainedCount.key == key)
            .values(count=RetainedCount.count + amount)).rowcount
        if not updated:
            session.add(RetainedCount(requisition_id=requisition_id, metric=metric, key=key,
                                      count=amount))
            session.flush()


def _retain(session: Session, applications: Sequence[Application], now: datetime) -> None:
    """Keep the anonymous aggregates of ``applications`` before they are erased."""
    from .reports import independent_ratings

    if not applications:
        return
    ids = [a.id for a in applications]
    visited: dict[int, list[str]] = defaultdict(list)
    for application_id, from_stage, to_stage in session.execute(
            select(StageChange.application_id, StageChange.from_stage, StageChange.to_stage)
            .where(StageChange.application_id.in_(ids))).all():
        visited[application_id].extend(s for s in (from_stage, to_stage) if s)
    answers = {row.application_id: categories(row.sex, row.race_ethnicity)
               for row in session.scalars(select(SelfIdentification)
                                          .where(SelfIdentification.application_id.in_(ids)))}
    none = categories(None, None)
    counts: Counter[tuple[int, str, str]] = Counter()
    for application in applications:
        rid = application.requisition_id
        furthest = furthest_stage(application.stage, visited[application.id])
        counts[(rid, "applicants", "all")] += 1
        counts[(rid, "furthest_stage", furthest)] += 1
        counts[(rid, "final_stage", application.stage)] += 1
        for step in STEPS:
            outcome = step_outcome(step, application.stage, furthest)
            if outcome is None:
                continue
            for axis, category in answers.get(application.id, none).items():
                counts[(rid, "selection", f"{step.key}|{axis}|{category or ''}|{outcome}")] += 1
    for application_id, kind in session.execute(
            select(Decision.application_id, Decision.kind)
            .where(Decision.application_id.in_(ids))).all():
        rid = next(a.requisition_id for a in applications if a.id == application_id)
        counts[(rid, "decision", kind)] += 1
    # Scores by category only, for the adverse-impact report's scoring rates: the number as
    # stored (repr keeps every digit, so the median does not move) and the two answers.
    for application_id, kind, state, mean, result in session.execute(
            select(Score.application_id, Score.kind, Score.state, Score.mean, Score.result)
            .where(Score.application_id.in_(ids))).all():
        value = score_value(kind, state, mean, result)
        if value is None:
            continue
        answer = answers.get(application_id, none)
        rid = next(a.requisition_id for a in applications if a.id == application_id)
        counts[(rid, "score", f"{kind}|{value!r}|{answer['sex'] or ''}|"
                f"{answer['race_ethnicity'] or ''}")] += 1
    _bump(session, counts)

    cards = list(session.scalars(
        select(Scorecard)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .join(Application, Application.id == Interview.application_id)
        .where(Application.id.in_(ids), Application.alternative_process.is_(False),
               Interview.status == InterviewStatus.SCHEDULED.value,
               Scorecard.status == ScorecardStatus.SUBMITTED.value)
        .options(selectinload(Scorecard.ratings), selectinload(Scorecard.interview))
        .order_by(Scorecard.id)))
    requisition_of = {a.id: a.requisition_id for a in applications}
    _retain_interviewer_tallies(session, ids, cards, requisition_of, now)
    for rating in independent_ratings(session, [], scorecards=cards):
        session.add(RetainedRating(
            requisition_id=requisition_of[rating.candidate], application_id=rating.candidate,
            interview_id=rating.interview, interviewer_id=rating.rater,
            competency_id=rating.competency, rating=float(rating.value), erased_at=now))


def _retain_interviewer_tallies(session: Session, ids: Sequence[int],
                                cards: Sequence[Scorecard], requisition_of: Mapping[int, int],
                                now: datetime) -> None:
    """Keep the calibration report's per-interviewer counts of the erased applications, per
    requisition: metric ``interviewer``, key ``<user id>|<count>`` or ``<user id>|na:<reason>``
    (drafts are not kept: only submitted work counts)."""
    from flask import current_app, has_app_context

    from .reports import TALLIED, interviewer_tallies

    overdue_hours = int(current_app.config.get("OVERDUE_HOURS", 24)) if has_app_context() \
        else 24
    seats = list(session.execute(
        select(Interview, InterviewAssignment.interviewer_id, Application.requisition_id)
        .join(InterviewAssignment, InterviewAssignment.interview_id == Interview.id)
        .join(Application, Application.id == Interview.application_id)
        .where(Application.id.in_(ids), Application.alternative_process.is_(False),
               Interview.status == InterviewStatus.SCHEDULED.value)))
    counts: Counter[tuple[int, str, str]] = Counter()
    for requisition_id in sorted(set(requisition_of.values())):
        mine = [c for c in cards if requisition_of[c.interview.application_id] == requisition_id]
        people = interviewer_tallies(
            session, mine, [(i, uid) for i, uid, rid in seats if rid == requisition_id],
            overdue_hours=overdue_hours, now=now)
        for user_id, person in people.items():
            for name in TALLIED:
                if person[name]:
                    counts[(requisition_id, "interviewer", f"{user_id}|{name}")] += person[name]
            for reason, amount in person["not_assessed"].items():
                counts[(requisition_id, "interviewer", f"{user_id}|na:{reason}")] += amount
    _bump(session, counts)


def retained_interviewer_tallies(session: Session, requisition_ids: Iterable[int]
                                 ) -> dict[int, dict[str, int]]:
    """The calibration counts kept from erased applications: interviewer -> count -> amount
    (``na:<reason>`` for not-assessed reasons), summed over the requisitions."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for metrics in retained_counts(session, requisition_ids).values():
        for key, amount in metrics.get("interviewer", {}).items():
            user_id, name = key.split("|", 1)
            out[int(user_id)][name] += amount
    return {k: dict(v) for k, v in out.items()}


def retained_counts(session: Session, requisition_ids: Iterable[int]
                    ) -> dict[int, dict[str, dict[str, int]]]:
    """The retained counters of erased applications: requisition -> metric -> key -> count."""
    ids = list(requisition_ids)
    out: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    if not ids:
        return {}
    for row in session.scalars(select(RetainedCount)
                               .where(RetainedCount.requisition_id.in_(ids))):
        out[row.requisition_id][row.metric][row.key] = row.count
    return {k: dict(v) for k, v in out.items()}


@dataclass
class RetainedOutcomes:
    """Erased applicants of some requisitions, as the adverse-impact report counts them."""

    applicants: int
    selection: dict[tuple[str, str], list[tuple[int, str | None, str]]]
    #: score kind -> ``(categories, value)`` per erased person with a score
    scores: dict[str, list[tuple[dict[str, str | None], float]]] = field(default_factory=dict)

    def people(self, step: str, axis: str) -> list[tuple[int, str | None, str]]:
        """``(requisition id, category or None, outcome)`` per erased person at ``step``."""
        return self.selection.get((step, axis), [])

    def identified(self, axis: str) -> int:
        """Erased applicants with a known category on ``axis`` (every applicant enters the
        bottom-line step)."""
        return sum(1 for _, category, _ in self.people("overall", axis) if category)


def retained_outcomes(session: Session, requisition_ids: Iterable[int]) -> RetainedOutcomes:
    """The erased applicants of these requisitions for the adverse-impact report."""
    counts = retained_counts(session, requisition_ids)
    selection: dict[tuple[str, str], list[tuple[int, str | None, str]]] = defaultdict(list)
    scores: dict[str, list[tuple[dict[str, str | None], float]]] = defaultdict(list)
    applicants = 0
    for requisition_id, metrics in sorted(counts.items()):
        applicants += metrics.get("applicants", {}).get("all", 0)
        for key, count in sorted(metrics.get("selection", {}).items()):
            parts = key.split("|")
            if len(parts) == 4:
                selection[(parts[0], parts[1])].extend(
                    [(requisition_id, parts[2] or None, parts[3])] * count)
        for key, count in sorted(metrics.get("score", {}).items()):
            kind, value, sex, race = key.split("|")
            scores[kind].extend([(categories(sex or None, race or None), float(value))] * count)
    return RetainedOutcomes(applicants=applicants, selection=dict(selection),
                            scores=dict(scores))


def retained_ratings(session: Session, requisition_ids: Iterable[int]) -> list[Any]:
    """The erased applications' independent ratings as report ``Rating`` tuples."""
    from ..analytics.calibration import Rating

    ids = list(requisition_ids)
    if not ids:
        return []
    rows = session.scalars(select(RetainedRating)
                           .where(RetainedRating.requisition_id.in_(ids))
                           .order_by(RetainedRating.id))
    return [Rating(r.application_id, r.interview_id, r.interviewer_id, r.competency_id,
                   float(r.rating)) for r in rows]


# ---------------------------------------------------------------------------- erasure


def require_data_rights(actor: Any) -> None:
    """Only an active admin exercises candidates' data rights (DESIGN.md 2b)."""
    if actor is None or getattr(actor, "id", None) is None or \
            not getattr(actor, "active", False) or \
            not allows(actor.role_names, Action.DATA_RIGHTS):
        raise Forbidden("Only an administrator can export or erase a candidate's data.")


def find_actor(session: Session, email: str) -> User:
    """The active admin with this e-mail address (for commands' ``--actor``)."""
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None:
        raise NotFound(f"No user with the e-mail address {email}.")
    require_data_rights(user)
    return user


@dataclass
class ErasureReport:
    """What an erasure did (ids and counts only)."""

    candidate_id: int
    applications: list[int]
    rows: dict[str, int]
    redacted: int
    pending_forms: int
    remaining: list[Mention] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        """Rows deleted across every table."""
        return sum(self.rows.values())

    def sentence(self) -> str:
        """:meth:`describe` as a sentence."""
        text = self.describe()
        return text[:1].upper() + text[1:] + "."

    def describe(self) -> str:
        """One line, ids and counts only (no personal data)."""
        tables = ", ".join(f"{n} {t}" for t, n in sorted(self.rows.items()))
        text = (f"erased candidate {self.candidate_id}: {self.total_rows} rows ({tables})")
        if self.redacted:
            text += f"; {self.redacted} mentions in other records replaced with {REDACTED}"
        if self.pending_forms:
            text += f"; {self.pending_forms} kept form inputs dropped"
        return text


def _secure_delete(session: Session, on: bool) -> None:
    # SQLite keeps deleted content in free pages unless told to overwrite it.
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql(f"PRAGMA secure_delete={'ON' if on else 'OFF'}")


def checkpoint() -> None:
    """After an erasure is committed on SQLite: copy the write-ahead log into the database and
    truncate it, so older copies of erased pages do not linger there (best effort: a reader may
    keep some frames until it finishes). Needs an app context."""
    from ..db import get_database

    database = get_database()
    if database.dialect != "sqlite":
        return
    try:
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except Exception:  # noqa: BLE001, S110 - best effort; the erasure itself is committed
        pass


def erase_candidate(session: Session, candidate_id: int, *, actor: Any,
                    reason: str = "request", now: datetime | None = None) -> ErasureReport:
    """Erase one candidate and everything about them (see the module docstring).

    ``actor`` is the admin who asked (``reason="request"``); the retention run passes ``None``
    with ``reason="retention"``. Raises :class:`LegalHold` (409) for a candidate under a legal
    hold and :class:`NotFound` for an unknown one. The caller commits, then calls
    :func:`checkpoint`.
    """
    if reason != "retention":
        require_data_rights(actor)
    now = now or datetime.now(UTC)
    candidate = session.scalar(select(Candidate).where(Candidate.id == candidate_id)
                               .with_for_update().execution_options(populate_existing=True))
    if candidate is None:
        raise NotFound("No such candidate.")
    if candidate.legal_hold:
        raise LegalHold("This candidate is under a legal hold: their data cannot be erased "
                        "until the hold is lifted.")
    identity = Identity.of(candidate)
    graph = candidate_graph()
    rows = _collect(session, graph, candidate_id)
    counts = held_counts(rows)
    applications = list(session.scalars(select(Application)
                                        .where(Application.candidate_id == candidate_id)
                                        .order_by(Application.id)))
    application_ids = [a.id for a in applications]

    _retain(session, applications, now)
    redacted = _redact_mentions(session, identity, graph)
    dropped = _drop_pending_forms(session, identity, rows)
    session.flush()
    _secure_delete(session, True)
    try:
        session.execute(delete(Candidate).where(Candidate.id == candidate_id))
    finally:
        _secure_delete(session, False)
    owned = set(graph.names)
    for instance in list(session.identity_map.values()):
        # Nothing stale of the erased person stays in this session.
        if getattr(type(instance), "__tablename__", None) in owned:
            session.expunge(instance)
    record(session, "candidate.erased", actor_id=getattr(actor, "id", None),
           subject_type="candidate", subject_id=candidate_id, reason=reason,
           applications=application_ids, rows=counts, redacted=redacted,
           pending_forms=dropped)
    session.flush()
    remaining = find_mentions(session, identity)
    return ErasureReport(candidate_id=candidate_id, applications=application_ids, rows=counts,
                         redacted=redacted, pending_forms=dropped, remaining=remaining)


def record_refusal(session: Session, candidate_id: int, *, actor_id: int | None,
                   why: str) -> None:
    """Audit a refused erasure (e.g. a legal hold)."""
    record(session, "candidate.erased", actor_id=actor_id, subject_type="candidate",
           subject_id=candidate_id, outcome="refused", reason=why)


def set_legal_hold(session: Session, candidate_id: int, *, actor: Any, on: bool) -> Candidate:
    """Place or lift a legal hold (erasure and retention leave a held candidate alone)."""
    require_data_rights(actor)
    candidate = session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound("No such candidate.")
    if candidate.legal_hold == on:
        return candidate
    candidate.legal_hold = on
    candidate.version += 1
    session.flush()
    record(session, "candidate.legal_hold", actor_id=actor.id, subject_type="candidate",
           subject_id=candidate_id, on=on)
    return candidate


# ---------------------------------------------------------------------------- retention


@dataclass
class RetentionItem:
    """One candidate's retention state."""

    candidate_id: int
    status: str  # "due", "held", "open" (an application still open) or "kept" (not yet)
    applications: list[int]
    due_at: datetime | None

    @property
    def due(self) -> bool:
        """Whether the candidate is erased by the next run."""
        return self.status == "due"


def retention_plan(session: Session, now: datetime | None = None) -> list[RetentionItem]:
    """Every candidate's retention state at ``now`` (due first, then by id)."""
    now = now or datetime.now(UTC)
    last_change = dict(session.execute(
        select(StageChange.application_id, func.max(StageChange.at))
        .group_by(StageChange.application_id)).all())
    by_candidate: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
            select(Application.id, Application.candidate_id, Application.stage,
                   Application.closed_at, Application.created_at, Requisition.retention_days)
            .join(Requisition, Requisition.id == Application.requisition_id)
            .order_by(Application.id)).all():
        by_candidate[row.candidate_id].append(row)
    items = []
    for candidate_id, held, created_at in session.execute(
            select(Candidate.id, Candidate.legal_hold, Candidate.created_at)
            .order_by(Candidate.id)).all():
        apps = by_candidate.get(candidate_id, [])
        ids = [a.id for a in apps]
        if not apps:
            due_at: datetime | None = _aware(created_at) + timedelta(days=DEFAULT_RETENTION_DAYS)
            open_ = False
        else:
            open_ = any(a.stage not in FINAL_STAGES for a in apps)
            due_at = None if open_ else max(
                _aware(a.closed_at or last_change.get(a.id) or a.created_at)
                + timedelta(days=int(a.retention_days)) for a in apps)
        if held:
            status = "held"
        elif open_:
            status = "open"
        elif due_at is not None and due_at < now:
            status = "due"
        else:
            status = "kept"
        items.append(RetentionItem(candidate_id, status, ids, due_at))
    items.sort(key=lambda i: (not i.due, i.candidate_id))
    return items


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class RetentionReport:
    """What a retention run did, or would do (``dry_run``)."""

    at: datetime
    dry_run: bool
    erased: list[ErasureReport] = field(default_factory=list)
    due: list[RetentionItem] = field(default_factory=list)
    held: list[RetentionItem] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    open: int = 0
    kept: int = 0
    next_due: datetime | None = None

    def lines(self) -> list[str]:
        """The report as lines of text (ids and counts, never names)."""
        verb = "would erase" if self.dry_run else "erased"
        out = [f"Retention run at {self.at.isoformat(timespec='seconds')}"
               f"{' (dry run: nothing changed)' if self.dry_run else ''}: "
               f"{len(self.due)} candidate(s) past their retention period, {verb} "
               f"{len(self.due) if self.dry_run else len(self.erased)}; "
               f"{len(self.held)} on legal hold skipped; {self.open} with an open application; "
               f"{self.kept} kept until their retention period ends."]
        if self.dry_run:
            for item in self.due:
                out.append(f"  would erase candidate {item.candidate_id} (applications "
                           f"{', '.join(map(str, item.applications)) or 'none'}; due "
                           f"{item.due_at.date().isoformat() if item.due_at else '?'})")
        for report in self.erased:
            out.append(f"  {report.describe()}")
            for mention in report.remaining[:20]:
                out.append(f"    still mentioned in {mention} (not a candidate record: check "
                           f"it by hand)")
        for item in self.held:
            out.append(f"  skipped candidate {item.candidate_id}: legal hold")
        for candidate_id, why in self.failed:
            out.append(f"  FAILED candidate {candidate_id}: {why}")
        if self.next_due is not None:
            out.append(f"Next candidate due: {self.next_due.date().isoformat()}.")
        out.append("Aggregates kept: audit log, scoring-run records, model cards, and the "
                   "anonymous counts and ratings of erased applications.")
        return out


def run_retention(session: Session, *, now: datetime | None = None, dry_run: bool = False,
                  actor: Any = None, channel: str = "cli") -> RetentionReport:
    """Erase every candidate past their retention period (see the module docstring).

    Each erasure runs in its own savepoint: one failure is reported and the others go on. The
    caller commits (and then calls :func:`checkpoint`).
    """
    if actor is not None:
        require_data_rights(actor)
    now = now or datetime.now(UTC)
    plan = retention_plan(session, now)
    report = RetentionReport(at=now, dry_run=dry_run)
    report.due = [i for i in plan if i.due]
    report.held = [i for i in plan if i.status == "held"]
    report.open = sum(1 for i in plan if i.status == "open")
    report.kept = sum(1 for i in plan if i.status == "kept")
    upcoming = [i.due_at for i in plan if i.status == "kept" and i.due_at is not None]
    report.next_due = min(upcoming) if upcoming else None
    if dry_run:
        return report
    for item in report.due:
        try:
            with session.begin_nested():
                report.erased.append(erase_candidate(session, item.candidate_id, actor=None,
                                                     reason="retention", now=now))
        except OperationError as exc:
            report.failed.append((item.candidate_id, str(exc)))
    record(session, "retention.run", actor_id=getattr(actor, "id", None),
           subject_type="retention", subject_id=now.date().isoformat(), channel=channel,
           erased=[r.candidate_id for r in report.erased], held=len(report.held),
           failed=[c for c, _ in report.failed])
    session.flush()
    return report
