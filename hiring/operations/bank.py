"""The question bank in the database: load from files, export, in-app edits, and page queries.

Rules (issue 4, DESIGN.md section 2):

- ``bank load`` is idempotent and all-or-nothing: the files are validated first (and checked
  against the database: an id owned by the app, a question moved to another competency); any
  problem writes nothing. A second load of the same files changes nothing and says so.
- Rows loaded from files have ``source='file'``; rows created in the app have ``source='app'``
  and are never touched by a load.
- Versions are append-only: a change of a question's text, a competency's anchors or a
  profile's weights makes a new version row; no version row is ever updated or deleted, so
  kits, scorecards and requisitions keep pointing at exactly what they used.
- An item removed from the files is retired (``retired_at``), never deleted; it comes back when
  it reappears in the files. A question an admin retired in the app stays retired (the audit
  log records who retired it).
- An admin's in-app edit of file-owned content (a new version with ``created_by_id`` set) is
  kept by later loads while the files still hold what was last loaded from them; once the files
  change that item, the files win. ``bank export`` writes the in-app edits back to files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import question_bank as qb
from ..models import (
    AuditEvent,
    Competency,
    CompetencyVersion,
    DomainDefault,
    DomainPack,
    KitItem,
    Level,
    ProfileEntry,
    ProfileVersion,
    Question,
    QuestionKind,
    QuestionNote,
    QuestionVersion,
    RoleProfile,
    Source,
    User,
    utcnow,
)
from . import Conflict, NotFound, OperationError
from .audit import record

FILE = Source.FILE.value
APP = Source.APP.value
APP_CREATED_FOLDER = "app-created"


class BankInvalid(OperationError):
    """The bank (or an item typed in the app) has problems; nothing was written."""

    def __init__(self, problems: list[qb.Problem], message: str | None = None) -> None:
        self.problems = problems
        super().__init__(message or f"{len(problems)} problem(s) in the question bank")


# --------------------------------------------------------------------------- database state


@dataclass
class _VersionInfo:
    id: int
    version_no: int
    content_hash: str
    created_by_id: int | None


@dataclass
class _Versions:
    """Latest version and latest file-made version (``created_by_id IS NULL``) per parent."""

    latest: dict[int, _VersionInfo] = field(default_factory=dict)
    last_file: dict[int, _VersionInfo] = field(default_factory=dict)

    def add(self, parent_id: int, info: _VersionInfo) -> None:
        current = self.latest.get(parent_id)
        if current is None or info.version_no > current.version_no:
            self.latest[parent_id] = info
        if info.created_by_id is None:
            current = self.last_file.get(parent_id)
            if current is None or info.version_no > current.version_no:
                self.last_file[parent_id] = info


def _version_infos(session: Session, model: Any, parent: Any,
                   has_creator: bool = True) -> _Versions:
    columns = [parent, model.id, model.version_no, model.content_hash]
    if has_creator:
        columns.append(model.created_by_id)
    versions = _Versions()
    for row in session.execute(select(*columns)):
        versions.add(row[0], _VersionInfo(row[1], row[2], row[3],
                                          row[4] if has_creator else None))
    return versions


@dataclass
class LoadReport:
    """What a load changed (each line names the item) and what it noticed."""

    added: list[str] = field(default_factory=list)
    versioned: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.added or self.versioned or self.updated or self.retired
                    or self.restored)

    def summary(self) -> str:
        """``12 added, 1 new version, ...`` or ``no changes``."""
        parts = [f"{len(items)} {label}" for items, label in (
            (self.added, "added"), (self.versioned, "new versions"), (self.updated, "updated"),
            (self.retired, "retired"), (self.restored, "restored")) if items]
        return ", ".join(parts) if parts else "no changes"


class _Loader:
    """One load: compares the validated files with the database and writes the difference."""

    def __init__(self, session: Session, bank: qb.Bank, actor_id: int | None) -> None:
        self.session = session
        self.bank = bank
        self.actor_id = actor_id
        self.report = LoadReport()
        self.now = utcnow()
        self.audit: list[tuple[str, str, int, dict[str, Any]]] = []
        self.new_questions: set[str] = set()

    # -- reading ----------------------------------------------------------------------------

    def read_state(self) -> None:
        session = self.session
        self.competencies = {c.key: c for c in session.scalars(select(Competency))}
        self.competency_versions = _version_infos(session, CompetencyVersion,
                                                  CompetencyVersion.competency_id,
                                                  has_creator=False)
        self.profiles = {p.key: p for p in session.scalars(select(RoleProfile))}
        self.profile_versions = _version_infos(session, ProfileVersion,
                                               ProfileVersion.profile_id)
        self.domains = {d.key: d for d in session.scalars(
            select(DomainPack).options(selectinload(DomainPack.defaults)))}
        self.questions = {q.public_id: q for q in session.scalars(select(Question))}
        self.question_versions = _version_infos(session, QuestionVersion,
                                                QuestionVersion.question_id)
        self.competency_key = {c.id: c.key for c in self.competencies.values()}

    def conflicts(self) -> list[qb.Problem]:
        """Problems only the database can reveal (checked before anything is written)."""
        problems: list[qb.Problem] = []

        def owned_by_app(rows: Mapping[str, Any], specs: Iterable[Any], attr: str,
                         what: str) -> None:
            for spec in specs:
                row = rows.get(getattr(spec, attr))
                if row is not None and row.source == APP:
                    problems.append(qb.Problem(spec.file, spec.line, getattr(spec, attr),
                                               f"{what} is already used by one created in the "
                                               f"app; choose another", attr))

        owned_by_app(self.competencies, self.bank.competencies.values(), "key",
                     "this competency key")
        owned_by_app(self.profiles, self.bank.profiles.values(), "key", "this role key")
        owned_by_app(self.domains, self.bank.domains.values(), "key", "this domain key")
        owned_by_app(self.questions, self.bank.questions.values(), "id", "this question id")
        for spec in self.bank.questions.values():
            row = self.questions.get(spec.id)
            if row is None or row.source == APP:
                continue
            current = self.competency_key.get(row.competency_id)
            if current != spec.competency:
                problems.append(qb.Problem(
                    spec.file, spec.line, spec.id,
                    f"moved from competency '{current}' to '{spec.competency}'; a question "
                    f"keeps its competency: give it a new id (the old one is then retired)",
                    "competency"))
        return sorted(problems)

    # -- writing ----------------------------------------------------------------------------

    def event(self, action: str, subject_type: str, subject_id: int, **details: Any) -> None:
        self.audit.append((action, subject_type, subject_id, details))

    def apply(self) -> LoadReport:
        self.load_competencies()
        self.load_domains()
        self.load_profiles()
        self.load_questions()
        if self.report.changed:
            for action, subject_type, subject_id, details in self.audit:
                record(self.session, action, actor_id=self.actor_id, subject_type=subject_type,
                       subject_id=subject_id, via="load", **details)
            record(self.session, "bank.load", actor_id=self.actor_id, subject_type="bank",
                   added=len(self.report.added), versioned=len(self.report.versioned),
                   updated=len(self.report.updated), retired=len(self.report.retired),
                   restored=len(self.report.restored))
        self.session.flush()
        return self.report

    def load_competencies(self) -> None:
        new: list[tuple[Competency, qb.CompetencySpec]] = []
        versions: list[CompetencyVersion] = []
        for spec in self.bank.competencies.values():
            row = self.competencies.get(spec.key)
            digest = qb.content_hash(spec.content())
            if row is None:
                row = Competency(key=spec.key, category=spec.category, source=FILE)
                self.session.add(row)
                self.competencies[spec.key] = row
                new.append((row, spec))
                continue
            label = f"competency {spec.key}"
            if row.retired_at is not None:
                row.retired_at = None
                self.report.restored.append(label)
                self.event("bank.competency.restore", "competency", row.id, key=spec.key)
            if row.category != spec.category:
                self.report.updated.append(f"{label}: category {row.category} -> "
                                           f"{spec.category}")
                self.event("bank.competency.update", "competency", row.id, key=spec.key,
                           category=spec.category)
                row.category = spec.category
            latest = self.competency_versions.latest.get(row.id)
            if latest is None or latest.content_hash != digest:
                number = (latest.version_no if latest else 0) + 1
                versions.append(_competency_version(row.id, number, spec, digest))
                self.report.versioned.append(f"{label} (version {number})")
                self.event("bank.competency.version", "competency", row.id, key=spec.key,
                           version_no=number)
        self.session.flush()  # ids for the new competencies
        for row, spec in new:
            versions.append(_competency_version(row.id, 1, spec, qb.content_hash(spec.content())))
            self.report.added.append(f"competency {spec.key}")
            self.event("bank.competency.add", "competency", row.id, key=spec.key)
        self.session.add_all(versions)
        for key, row in self.competencies.items():
            if row.source == FILE and row.retired_at is None and key not in \
                    self.bank.competencies:
                row.retired_at = self.now
                self.report.retired.append(f"competency {key}")
                self.event("bank.competency.retire", "competency", row.id, key=key)
        self.competency_key = {c.id: c.key for c in self.competencies.values()}

    def load_domains(self) -> None:
        competency_id = {key: row.id for key, row in self.competencies.items()}
        new: list[DomainPack] = []
        for spec in self.bank.domains.values():
            digest = qb.content_hash(spec.content())
            row = self.domains.get(spec.key)
            label = f"domain pack {spec.key}"
            if row is None:
                row = DomainPack(key=spec.key, name=spec.name, description=spec.description,
                                 source=FILE, content_hash=digest)
                row.defaults = [
                    DomainDefault(competency_id=competency_id[key], level=level, weight=w, bar=b)
                    for key in spec.competencies for level, (w, b) in spec.defaults[key].items()
                ]
                self.session.add(row)
                self.domains[spec.key] = row
                self.report.added.append(label)
                new.append(row)
                continue
            if row.retired_at is not None:
                row.retired_at = None
                self.report.restored.append(label)
                self.event("bank.domain.restore", "domain_pack", row.id, key=spec.key)
            if row.content_hash == digest:
                continue
            row.name, row.description, row.content_hash = spec.name, spec.description, digest
            # Update defaults in place (delete-then-insert would trip the unique constraint).
            existing = {(d.competency_id, d.level): d for d in row.defaults}
            wanted: set[tuple[int, str]] = set()
            for key in spec.competencies:
                for level, (weight, bar) in spec.defaults[key].items():
                    slot = (competency_id[key], level)
                    wanted.add(slot)
                    if slot in existing:
                        existing[slot].weight, existing[slot].bar = weight, bar
                    else:
                        row.defaults.append(DomainDefault(competency_id=slot[0], level=level,
                                                          weight=weight, bar=bar))
            for slot, default in existing.items():
                if slot not in wanted:
                    row.defaults.remove(default)
            self.report.updated.append(label)
            self.event("bank.domain.update", "domain_pack", row.id, key=spec.key)
        self.session.flush()
        for row in new:
            self.event("bank.domain.add", "domain_pack", row.id, key=row.key)
        for key, row in self.domains.items():
            if row.source == FILE and row.retired_at is None and key not in self.bank.domains:
                row.retired_at = self.now
                self.report.retired.append(f"domain pack {key}")
                self.event("bank.domain.retire", "domain_pack", row.id, key=key)

    def load_profiles(self) -> None:
        competency_id = {key: row.id for key, row in self.competencies.items()}
        new: list[tuple[RoleProfile, qb.ProfileSpec]] = []
        for spec in self.bank.profiles.values():
            digest = qb.content_hash(spec.content())
            row = self.profiles.get(spec.key)
            label = f"role profile {spec.key}"
            if row is None:
                row = RoleProfile(key=spec.key, source=FILE)
                self.session.add(row)
                self.profiles[spec.key] = row
                new.append((row, spec))
                continue
            if row.retired_at is not None:
                row.retired_at = None
                self.report.restored.append(label)
                self.event("bank.profile.restore", "role_profile", row.id, key=spec.key)
            latest = self.profile_versions.latest.get(row.id)
            last_file = self.profile_versions.last_file.get(row.id)
            if latest is not None and latest.content_hash == digest:
                continue
            if latest is not None and last_file is not None and \
                    last_file.content_hash == digest and latest.created_by_id is not None:
                self.report.notes.append(
                    f"{label}: kept the adjustment made in the app (version "
                    f"{latest.version_no}); `bank export` writes it to files")
                continue
            number = (latest.version_no if latest else 0) + 1
            if latest is not None and latest.created_by_id is not None:
                self.report.notes.append(f"{label}: the files changed, so version {number} "
                                         f"replaces the adjustment made in the app")
            self.session.add(_profile_version(row, number, spec, digest, competency_id))
            self.report.versioned.append(f"{label} (version {number})")
            self.event("bank.profile.version", "role_profile", row.id, key=spec.key,
                       version_no=number)
        self.session.flush()
        for row, spec in new:
            self.session.add(_profile_version(row, 1, spec, qb.content_hash(spec.content()),
                                              competency_id))
            self.report.added.append(f"role profile {spec.key}")
            self.event("bank.profile.add", "role_profile", row.id, key=spec.key)
        for key, row in self.profiles.items():
            if row.source == FILE and row.retired_at is None and key not in self.bank.profiles:
                row.retired_at = self.now
                self.report.retired.append(f"role profile {key}")
                self.event("bank.profile.retire", "role_profile", row.id, key=key)

    def load_questions(self) -> None:
        competency_id = {key: row.id for key, row in self.competencies.items()}
        new: list[tuple[Question, qb.QuestionSpec]] = []
        versions: list[QuestionVersion] = []
        retired_in_files = [self.questions[s.id] for s in self.bank.questions.values()
                            if s.id in self.questions
                            and self.questions[s.id].retired_at is not None]
        retired_by_load = _retired_by_load(self.session, [q.id for q in retired_in_files])
        for spec in self.bank.questions.values():
            digest = qb.content_hash(spec.content())
            row = self.questions.get(spec.id)
            label = f"question {spec.id}"
            if row is None:
                row = Question(public_id=spec.id, competency_id=competency_id[spec.competency],
                               source=FILE)
                self.session.add(row)
                self.questions[spec.id] = row
                new.append((row, spec))
                continue
            if row.retired_at is not None:
                if row.id in retired_by_load:
                    row.retired_at = None
                    self.report.restored.append(label)
                    self.event("bank.question.restore", "question", row.id, public_id=spec.id)
                else:
                    self.report.notes.append(f"{label}: retired in the app, so it stays "
                                             f"retired (restore it on its page, or remove it "
                                             f"from {spec.file})")
            latest = self.question_versions.latest.get(row.id)
            last_file = self.question_versions.last_file.get(row.id)
            if latest is not None and latest.content_hash == digest:
                continue
            if latest is not None and last_file is not None and \
                    last_file.content_hash == digest and latest.created_by_id is not None:
                self.report.notes.append(f"{label}: kept the edit made in the app (version "
                                         f"{latest.version_no}); `bank export` writes it to "
                                         f"files")
                continue
            number = (latest.version_no if latest else 0) + 1
            if latest is not None and latest.created_by_id is not None:
                self.report.notes.append(f"{label}: the files changed, so version {number} "
                                         f"replaces the edit made in the app")
            versions.append(_question_version(row.id, number, spec, digest, None))
            self.report.versioned.append(f"{label} (version {number})")
            self.event("bank.question.version", "question", row.id, public_id=spec.id,
                       version_no=number)
        self.session.flush()
        self.new_questions = {spec.id for _, spec in new}
        for row, spec in new:
            versions.append(_question_version(row.id, 1, spec, qb.content_hash(spec.content()),
                                              None))
            self.report.added.append(f"question {spec.id}")
            self.event("bank.question.add", "question", row.id, public_id=spec.id)
        self.session.add_all(versions)
        self.load_alternates()
        for key, row in self.questions.items():
            if row.source == FILE and row.retired_at is None and key not in self.bank.questions:
                row.retired_at = self.now
                self.report.retired.append(f"question {key}")
                self.event("bank.question.retire", "question", row.id, public_id=key)

    def load_alternates(self) -> None:
        by_id = {row.id: row for row in self.questions.values()}
        for spec in self.bank.questions.values():
            row = self.questions[spec.id]
            wanted = self.questions[spec.alternate_of].id if spec.alternate_of else None
            current = row.alternate_of_id
            if wanted == current:
                continue
            # The export leaves out an alternate that was retired; that is no change.
            if wanted is None and current is not None and current in by_id and \
                    by_id[current].retired_at is not None:
                continue
            row.alternate_of_id = wanted
            if spec.id not in self.new_questions:
                self.report.updated.append(f"question {spec.id}: alternate of "
                                           f"{spec.alternate_of or 'none'}")
                self.event("bank.question.update", "question", row.id, public_id=spec.id,
                           alternate_of=spec.alternate_of)


def _retired_by_load(session: Session, question_ids: list[int]) -> set[int]:
    """Of these retired questions, those whose latest retirement was made by a load."""
    if not question_ids:
        return set()
    rows = session.execute(
        select(AuditEvent.subject_id, AuditEvent.details)
        .where(AuditEvent.subject_type == "question",
               AuditEvent.action == "bank.question.retire",
               AuditEvent.subject_id.in_([str(i) for i in question_ids]))
        .order_by(AuditEvent.id)
    ).all()
    last: dict[str, Any] = {}
    for subject_id, details in rows:
        last[subject_id] = details or {}
    return {int(s) for s, details in last.items() if details.get("via") == "load"}


def _competency_version(competency_id: int, number: int, spec: qb.CompetencySpec,
                        digest: str) -> CompetencyVersion:
    a1, a2, a3, a4 = spec.anchors
    return CompetencyVersion(competency_id=competency_id, version_no=number, name=spec.name,
                             description=spec.description, anchor_1=a1, anchor_2=a2,
                             anchor_3=a3, anchor_4=a4, content_hash=digest)


def _profile_version(profile: RoleProfile, number: int, spec: qb.ProfileSpec, digest: str,
                     competency_id: Mapping[str, int],
                     created_by_id: int | None = None) -> ProfileVersion:
    version = ProfileVersion(
        profile_id=profile.id, version_no=number, name=spec.name, summary=spec.summary,
        level_summaries={level: s.summary for level, s in spec.levels.items()},
        provenance=dict(spec.provenance), content_hash=digest, created_by_id=created_by_id,
    )
    version.entries = [
        ProfileEntry(level=level, competency_id=competency_id[e.key], weight=e.weight,
                     bar=e.bar, must_have=e.must_have)
        for level, level_spec in spec.levels.items() for e in level_spec.entries
    ]
    return version


def _question_version(question_id: int, number: int, spec: qb.QuestionSpec, digest: str,
                      created_by_id: int | None) -> QuestionVersion:
    return QuestionVersion(question_id=question_id, version_no=number, kind=spec.kind,
                           levels=list(spec.levels), prompt=spec.prompt,
                           follow_ups=list(spec.follow_ups), signals=list(spec.signals),
                           red_flags=list(spec.red_flags), minutes=spec.minutes,
                           content_hash=digest, created_by_id=created_by_id)


def load_bank(session: Session, bank: qb.Bank, *, actor_id: int | None = None) -> LoadReport:
    """Bring the database in line with the validated ``bank`` (the caller commits).

    Raises :class:`BankInvalid` (having written nothing) when the bank has errors or clashes
    with the database.
    """
    if bank.problems:
        raise BankInvalid(bank.problems)
    loader = _Loader(session, bank, actor_id)
    loader.read_state()
    conflicts = loader.conflicts()
    if conflicts:
        raise BankInvalid(conflicts)
    return loader.apply()


# --------------------------------------------------------------------------- database -> bank


def _latest_versions(session: Session, model: Any, parent: Any,
                     parent_ids: Iterable[int] | None = None) -> dict[int, Any]:
    newest = (select(parent.label("parent_id"), func.max(model.version_no).label("n"))
              .group_by(parent).subquery())
    statement = select(model).join(newest, and_(parent == newest.c.parent_id,
                                                model.version_no == newest.c.n))
    if parent_ids is not None:
        statement = statement.where(parent.in_(list(parent_ids)))
    return {getattr(v, parent.key): v for v in session.scalars(statement)}


def competency_spec(competency: Competency, version: CompetencyVersion,
                    domain: str | None = None) -> qb.CompetencySpec:
    """A competency row and version as the plain item the files describe."""
    return qb.CompetencySpec(key=competency.key, name=version.name,
                             category=competency.category, description=version.description,
                             anchors=(version.anchor_1, version.anchor_2, version.anchor_3,
                                      version.anchor_4), domain=domain)


def profile_spec(profile: RoleProfile, version: ProfileVersion,
                 competency_keys: Mapping[int, str]) -> qb.ProfileSpec:
    """A profile version as the plain item the files describe (entries in stored order)."""
    by_level: dict[str, list[qb.EntrySpec]] = defaultdict(list)
    for entry in sorted(version.entries, key=lambda e: e.id):
        by_level[entry.level].append(qb.EntrySpec(competency_keys[entry.competency_id],
                                                  entry.weight, entry.bar, entry.must_have))
    levels = {level: qb.LevelSpec(summary=(version.level_summaries or {}).get(level, ""),
                                  entries=by_level[level])
              for level in qb.LEVELS if level in by_level}
    return qb.ProfileSpec(key=profile.key, name=version.name, summary=version.summary,
                          provenance=dict(version.provenance or {}), levels=levels)


def question_spec(question: Question, version: QuestionVersion, competency_key: str,
                  alternate_of: str | None) -> qb.QuestionSpec:
    """A question version as the plain item the files describe."""
    return qb.QuestionSpec(id=question.public_id, competency=competency_key, kind=version.kind,
                           levels=list(version.levels), minutes=version.minutes,
                           prompt=version.prompt, follow_ups=list(version.follow_ups),
                           signals=list(version.signals), red_flags=list(version.red_flags),
                           alternate_of=alternate_of)


def database_bank(session: Session, *, source: str | None = FILE) -> qb.Bank:
    """The active bank content of the database (of one ``source``, or all) as a :class:`Bank`."""
    def owned(model: Any) -> Any:
        statement = select(model).where(model.retired_at.is_(None)).order_by(model.id)
        return statement.where(model.source == source) if source else statement

    bank = qb.Bank()
    all_competencies = {c.id: c for c in session.scalars(select(Competency))}
    keys = {cid: c.key for cid, c in all_competencies.items()}
    domains = session.scalars(owned(DomainPack).options(selectinload(DomainPack.defaults))).all()
    domain_of: dict[int, str] = {}
    for domain in domains:
        defaults: dict[str, dict[str, tuple[int, int]]] = {}
        for default in sorted(domain.defaults, key=lambda d: d.id):
            key = keys[default.competency_id]
            domain_of[default.competency_id] = domain.key
            defaults.setdefault(key, {})[default.level] = (default.weight, default.bar)
        defaults = {key: {lv: by_level[lv] for lv in qb.LEVELS if lv in by_level}
                    for key, by_level in defaults.items()}
        bank.domains[domain.key] = qb.DomainSpec(domain.key, domain.name, domain.description,
                                                 list(defaults), defaults)
    competencies = session.scalars(owned(Competency)).all()
    latest_cv = _latest_versions(session, CompetencyVersion, CompetencyVersion.competency_id)
    for competency in competencies:
        if competency.id in latest_cv:
            bank.competencies[competency.key] = competency_spec(
                competency, latest_cv[competency.id], domain_of.get(competency.id))
    profiles = session.scalars(owned(RoleProfile)).all()
    latest_pv = _latest_versions(session, ProfileVersion, ProfileVersion.profile_id)
    for profile in profiles:
        if profile.id in latest_pv:
            bank.profiles[profile.key] = profile_spec(profile, latest_pv[profile.id], keys)
    questions = session.scalars(owned(Question)).all()
    latest_qv = _latest_versions(session, QuestionVersion, QuestionVersion.question_id)
    exported = {q.id for q in questions}
    all_public = dict(session.execute(select(Question.id, Question.public_id)).all())
    active_file = set(session.scalars(select(Question.id).where(Question.retired_at.is_(None),
                                                                Question.source == FILE)))
    for question in questions:
        if question.id not in latest_qv:
            continue
        target = question.alternate_of_id
        # An alternate is written only if its target is written too (or, for app-created
        # questions, is an active file question the bank folder holds).
        if target is not None and not (target in exported or
                                       (source == APP and target in active_file)):
            target = None
        bank.questions[question.public_id] = question_spec(
            question, latest_qv[question.id], keys[question.competency_id],
            all_public.get(target) if target else None)
    return bank


@dataclass
class ExportReport:
    """What ``bank export`` wrote and whether ``check`` would accept it."""

    directory: Path
    files: list[str]
    app_files: list[str]
    counts: str
    app_counts: str
    problems: list[qb.Problem]


def existing_export_files(directory: Path) -> list[Path]:
    """Bank files already in ``directory`` (an export refuses to mix with them)."""
    found = qb.bank_files(directory)
    app = directory / APP_CREATED_FOLDER
    if app.is_dir():
        found += qb.bank_files(app)
    return found


def export_bank(session: Session, directory: Path, *, replace: bool = False,
                actor_id: int | None = None) -> ExportReport:
    """Write the active file-owned content to ``directory`` in the file format, and the
    app-created content to ``directory/app-created/``.

    ``check`` accepts the folder and ``load`` of it changes nothing. Refuses to write into a
    folder that already holds bank files unless ``replace`` (which deletes those files first).
    """
    directory = Path(directory)
    existing = existing_export_files(directory)
    if existing and not replace:
        raise OperationError(f"{directory} already holds bank files ({len(existing)}, e.g. "
                             f"{existing[0].relative_to(directory)}); choose an empty folder "
                             f"or pass --replace")
    file_bank = database_bank(session, source=FILE)
    app_bank = database_bank(session, source=APP)
    documents = qb.export_documents(file_bank)
    app_documents = qb.export_documents(app_bank, groups_from=file_bank) \
        if (app_bank.questions or app_bank.competencies or app_bank.profiles) else {}
    check = qb.parse_documents(documents.items())
    for path in existing:
        path.unlink()
    for name, text in documents.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for name, text in app_documents.items():
        target = directory / APP_CREATED_FOLDER / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    record(session, "bank.export", actor_id=actor_id, subject_type="bank",
           files=len(documents), app_files=len(app_documents))
    return ExportReport(directory=directory, files=list(documents),
                        app_files=[f"{APP_CREATED_FOLDER}/{n}" for n in app_documents],
                        counts=file_bank.describe(), app_counts=app_bank.describe(),
                        problems=check.problems)


# --------------------------------------------------------------------------- in-app editing


def _validation_context(session: Session) -> tuple[set[str], dict[str, str], set[str]]:
    """Active competency keys, active question id -> competency key, and every question id."""
    active = {c.id: c.key for c in session.scalars(
        select(Competency).where(Competency.retired_at.is_(None)))}
    rows = session.execute(select(Question.public_id, Question.competency_id,
                                  Question.retired_at)).all()
    all_keys = dict(session.execute(select(Competency.id, Competency.key)).all())
    questions = {pid: all_keys[cid] for pid, cid, retired in rows if retired is None}
    return set(active.values()), questions, {pid for pid, _, _ in rows}


def get_question(session: Session, public_id: str) -> Question:
    """The question with ``public_id`` or :class:`NotFound`."""
    question = session.scalar(select(Question).where(Question.public_id == public_id))
    if question is None:
        raise NotFound("No such question.")
    return question


def latest_question_version(session: Session, question: Question) -> QuestionVersion:
    """The newest version of ``question``."""
    version = session.scalar(select(QuestionVersion)
                             .where(QuestionVersion.question_id == question.id)
                             .order_by(QuestionVersion.version_no.desc()).limit(1))
    if version is None:
        raise NotFound("This question has no version.")
    return version


def question_raw(session: Session, question: Question) -> dict[str, Any]:
    """The dict a file would hold for the newest version of ``question`` (form prefill)."""
    version = latest_question_version(session, question)
    alternate = session.get(Question, question.alternate_of_id) \
        if question.alternate_of_id else None
    spec = question_spec(question, version, question.competency.key,
                         alternate.public_id if alternate else None)
    return qb.question_dict(spec)


def _flush_or_conflict(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # Two saves raced for the same version number (PostgreSQL; SQLite serialises writers).
        raise Conflict("Someone else saved this meanwhile; review and save again.") from exc


def create_question(session: Session, raw: Mapping[str, Any], *, actor_id: int) -> Question:
    """Add a question made in the app (``source='app'``), validated like the files."""
    competencies, questions, taken = _validation_context(session)
    spec, problems = qb.validate_question(raw, competencies=competencies, questions=questions,
                                          taken_ids=taken)
    if spec is None:
        raise BankInvalid(problems, "The question was not saved; see the problems below.")
    competency = session.scalar(select(Competency).where(Competency.key == spec.competency))
    assert competency is not None  # noqa: S101 - the validator checked it exists
    alternate = session.scalar(select(Question).where(Question.public_id == spec.alternate_of)) \
        if spec.alternate_of else None
    question = Question(public_id=spec.id, competency_id=competency.id, source=APP,
                        alternate_of_id=alternate.id if alternate else None)
    session.add(question)
    _flush_or_conflict(session)
    session.add(_question_version(question.id, 1, spec, qb.content_hash(spec.content()),
                                  actor_id))
    _flush_or_conflict(session)
    record(session, "bank.question.add", actor_id=actor_id, subject_type="question",
           subject_id=question.id, public_id=spec.id, via="app")
    return question


def edit_question(session: Session, question: Question, raw: Mapping[str, Any], *,
                  expected_version: int, actor_id: int) -> QuestionVersion | None:
    """Save an edit as a new version (never changing an old one); None when nothing changed.

    The id and the competency stay as they are. A stale ``expected_version`` raises
    :class:`Conflict`.
    """
    latest = latest_question_version(session, question)
    if latest.version_no != expected_version:
        raise Conflict(f"This question was changed meanwhile (now version "
                       f"{latest.version_no}); your text is kept below: review it against "
                       f"the saved version and save again.")
    competencies, questions, taken = _validation_context(session)
    data = dict(raw, id=question.public_id, competency=question.competency.key)
    questions.pop(question.public_id, None)
    # An alternate may name any other question of the competency, retired ones excepted.
    spec, problems = qb.validate_question(data, competencies=competencies | {data["competency"]},
                                          questions=questions,
                                          taken_ids=taken - {question.public_id})
    if spec is None:
        raise BankInvalid(problems, "The question was not saved; see the problems below.")
    digest = qb.content_hash(spec.content())
    alternate = session.scalar(select(Question).where(Question.public_id == spec.alternate_of)) \
        if spec.alternate_of else None
    alternate_id = alternate.id if alternate else None
    changed_alternate = alternate_id != question.alternate_of_id
    if digest == latest.content_hash and not changed_alternate:
        return None
    version = None
    if changed_alternate:
        question.alternate_of_id = alternate_id
        record(session, "bank.question.update", actor_id=actor_id, subject_type="question",
               subject_id=question.id, public_id=question.public_id, via="app",
               alternate_of=spec.alternate_of)
    if digest != latest.content_hash:
        version = _question_version(question.id, latest.version_no + 1, spec, digest, actor_id)
        session.add(version)
        record(session, "bank.question.version", actor_id=actor_id, subject_type="question",
               subject_id=question.id, public_id=question.public_id, via="app",
               version_no=version.version_no)
    _flush_or_conflict(session)
    return version or latest


def retire_question(session: Session, question: Question, *, actor_id: int) -> None:
    """Retire a question (it stays readable with its versions; kits keep what they used)."""
    if question.retired_at is not None:
        raise OperationError("This question is already retired.")
    question.retired_at = utcnow()
    record(session, "bank.question.retire", actor_id=actor_id, subject_type="question",
           subject_id=question.id, public_id=question.public_id, via="app")


def restore_question(session: Session, question: Question, *, actor_id: int) -> None:
    """Bring a retired question back into use."""
    if question.retired_at is None:
        raise OperationError("This question is not retired.")
    if question.competency.retired_at is not None:
        raise OperationError("Its competency is retired; the question cannot come back alone.")
    question.retired_at = None
    record(session, "bank.question.restore", actor_id=actor_id, subject_type="question",
           subject_id=question.id, public_id=question.public_id, via="app")


def get_profile(session: Session, key: str) -> RoleProfile:
    """The role profile with ``key`` or :class:`NotFound`."""
    profile = session.scalar(select(RoleProfile).where(RoleProfile.key == key))
    if profile is None:
        raise NotFound("No such role profile.")
    return profile


def profile_version(session: Session, profile: RoleProfile,
                    version_no: int | None = None) -> ProfileVersion:
    """A version of ``profile`` (the newest by default) with its entries loaded."""
    statement = (select(ProfileVersion).where(ProfileVersion.profile_id == profile.id)
                 .options(selectinload(ProfileVersion.entries)))
    if version_no is not None:
        statement = statement.where(ProfileVersion.version_no == version_no)
    version = session.scalar(statement.order_by(ProfileVersion.version_no.desc()).limit(1))
    if version is None:
        raise NotFound("No such profile version.")
    return version


@dataclass
class EntryChange:
    """A weight, bar and must-have typed for one competency of a level."""

    key: str
    weight: Any
    bar: Any
    must_have: bool


def adjust_profile(session: Session, profile: RoleProfile, level: str,
                   entries: list[EntryChange], reason: str, *, expected_version: int,
                   actor_id: int) -> ProfileVersion | None:
    """Save new weights, bars and must-haves of one level as a new profile version.

    The whole profile is rebuilt as the dict a file would hold and validated like the files;
    requisitions stay on the version they use. None when nothing changed.
    """
    latest = profile_version(session, profile)
    if latest.version_no != expected_version:
        raise Conflict(f"This profile was changed meanwhile (now version {latest.version_no});"
                       f" your values are kept below: review them and save again.")
    keys = dict(session.execute(select(Competency.id, Competency.key)).all())
    spec = profile_spec(profile, latest, keys)
    if level not in spec.levels:
        raise NotFound("This profile has no such level.")
    current = [e.key for e in spec.levels[level].entries]
    if [e.key for e in entries] != current:
        raise Conflict("The competencies of this level changed meanwhile; reload the page.")
    raw = qb.profile_dict(spec)
    raw["levels"][level]["competencies"] = [
        {"key": e.key, "weight": e.weight, "bar": e.bar, "must_have": e.must_have}
        for e in entries
    ]
    provenance = dict(raw["provenance"])
    provenance["date"] = dt.date.today().isoformat()
    provenance["change_reason"] = reason.strip()
    raw["provenance"] = provenance
    active = set(session.scalars(select(Competency.key).where(Competency.retired_at.is_(None))))
    new_spec, problems = qb.validate_profile(raw, competencies=active | set(current))
    if not reason.strip():
        problems.append(qb.Problem(qb.APP_FILE, 0, profile.key,
                                   "say why the profile changes (kept in its provenance)",
                                   "provenance.change_reason"))
    if new_spec is None or problems:
        raise BankInvalid(problems, "The profile was not saved; see the problems below.")
    old_entries = [(e.weight, e.bar, e.must_have) for e in spec.levels[level].entries]
    new_entries = [(e.weight, e.bar, e.must_have) for e in new_spec.levels[level].entries]
    if old_entries == new_entries:
        return None
    competency_id = {key: cid for cid, key in keys.items()}
    version = _profile_version(profile, latest.version_no + 1, new_spec,
                               qb.content_hash(new_spec.content()), competency_id,
                               created_by_id=actor_id)
    session.add(version)
    _flush_or_conflict(session)
    record(session, "bank.profile.version", actor_id=actor_id, subject_type="role_profile",
           subject_id=profile.id, key=profile.key, version_no=version.version_no, level=level,
           via="app")
    return version


# --------------------------------------------------------------------------- page queries

PAGE_SIZE = 25


@dataclass
class QuestionFilters:
    """Browse and search filters (all optional)."""

    q: str = ""
    role: str = ""
    level: str = ""
    competency: str = ""
    category: str = ""
    kind: str = ""
    domain: str = ""
    status: str = "active"  # active | retired | all

    def active(self) -> dict[str, str]:
        """The filters that are set (for links that keep them)."""
        return {k: v for k, v in self.__dict__.items() if v and not (k == "status"
                                                                       and v == "active")}


@dataclass
class QuestionRow:
    """One line of the browse table."""

    public_id: str
    prompt: str
    competency_key: str
    competency_name: str
    category: str
    kind: str
    levels: list[str]
    minutes: int
    version_no: int
    source: str
    retired: bool


@dataclass
class QuestionPage:
    """One page of search results."""

    rows: list[QuestionRow]
    total: int
    page: int
    pages: int


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _latest_subquery(model: Any, parent: Any) -> Any:
    return (select(parent.label("parent_id"), func.max(model.version_no).label("n"))
            .group_by(parent).subquery())


def _role_competencies(session: Session, role: str, level: str = "") -> Any:
    """A select of the competency ids in the newest version of role profile ``role``."""
    newest = (select(func.max(ProfileVersion.id)).join(RoleProfile)
              .where(RoleProfile.key == role).scalar_subquery())
    statement = select(ProfileEntry.competency_id).where(
        ProfileEntry.profile_version_id == newest)
    if level:
        statement = statement.where(ProfileEntry.level == level)
    return statement


def search_questions(session: Session, filters: QuestionFilters, page: int = 1,
                     per_page: int = PAGE_SIZE) -> QuestionPage:
    """Questions (newest versions) matching ``filters``; full-text search is a LIKE per word
    over id, prompt, follow-ups, signals and red flags, on SQLite and PostgreSQL alike."""
    newest = _latest_subquery(QuestionVersion, QuestionVersion.question_id)
    newest_cv = _latest_subquery(CompetencyVersion, CompetencyVersion.competency_id)
    statement = (
        select(Question, QuestionVersion, Competency, CompetencyVersion.name)
        .join(newest, newest.c.parent_id == Question.id)
        .join(QuestionVersion, and_(QuestionVersion.question_id == Question.id,
                                    QuestionVersion.version_no == newest.c.n))
        .join(Competency, Competency.id == Question.competency_id)
        .join(newest_cv, newest_cv.c.parent_id == Competency.id)
        .join(CompetencyVersion, and_(CompetencyVersion.competency_id == Competency.id,
                                      CompetencyVersion.version_no == newest_cv.c.n))
    )
    if filters.status == "active":
        statement = statement.where(Question.retired_at.is_(None))
    elif filters.status == "retired":
        statement = statement.where(Question.retired_at.is_not(None))
    if filters.kind:
        statement = statement.where(QuestionVersion.kind == filters.kind)
    if filters.category:
        statement = statement.where(Competency.category == filters.category)
    if filters.competency:
        statement = statement.where(Competency.key == filters.competency)
    if filters.level:
        # JSON lists are stored as text on both databases: '["junior", "mid"]'.
        statement = statement.where(cast(QuestionVersion.levels, Text)
                                    .like(f'%"{filters.level}"%'))
    if filters.role:
        statement = statement.where(Question.competency_id.in_(
            _role_competencies(session, filters.role, filters.level)))
    if filters.domain:
        statement = statement.where(Question.competency_id.in_(
            select(DomainDefault.competency_id).join(DomainPack)
            .where(DomainPack.key == filters.domain)))
    for term in filters.q.split()[:8]:
        plain = _like(term)
        # JSON text escapes non-ASCII characters (\u00e9): match that spelling too.
        escaped = _like(json.dumps(term, ensure_ascii=True)[1:-1])
        columns = [func.lower(Question.public_id), func.lower(QuestionVersion.prompt)]
        json_columns = [func.lower(cast(c, Text)) for c in (
            QuestionVersion.follow_ups, QuestionVersion.signals, QuestionVersion.red_flags)]
        conditions = [c.like(plain, escape="\\") for c in columns + json_columns]
        if escaped != plain:
            conditions += [c.like(escaped, escape="\\") for c in json_columns]
        statement = statement.where(or_(*conditions))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(page, 1), pages)
    category_order = case((Competency.category == "technical", 0),
                          (Competency.category == "domain", 1), else_=2)
    rows = session.execute(statement.order_by(category_order, Competency.key, Question.public_id)
                           .limit(per_page).offset((page - 1) * per_page)).all()
    return QuestionPage(
        rows=[QuestionRow(q.public_id, v.prompt, c.key, name, c.category, v.kind,
                          list(v.levels), v.minutes, v.version_no, q.source,
                          q.retired_at is not None) for q, v, c, name in rows],
        total=total, page=page, pages=pages)


@dataclass
class Option:
    """A value and its label for filter menus."""

    value: str
    label: str


@dataclass
class BrowseOptions:
    """Choices of the browse filters."""

    roles: list[Option]
    competencies: list[Option]
    domains: list[Option]
    levels: list[str] = field(default_factory=lambda: Level.values())
    kinds: list[str] = field(default_factory=lambda: QuestionKind.values())
    categories: list[str] = field(default_factory=lambda: list(qb.CATEGORIES))


def competency_names(session: Session, *, active_only: bool = True) -> dict[str, str]:
    """Competency key -> newest name, ordered by key."""
    newest = _latest_subquery(CompetencyVersion, CompetencyVersion.competency_id)
    statement = (select(Competency.key, CompetencyVersion.name)
                 .join(CompetencyVersion, CompetencyVersion.competency_id == Competency.id)
                 .join(newest, and_(newest.c.parent_id == Competency.id,
                                    CompetencyVersion.version_no == newest.c.n))
                 .order_by(Competency.key))
    if active_only:
        statement = statement.where(Competency.retired_at.is_(None))
    return dict(session.execute(statement).all())


def browse_options(session: Session) -> BrowseOptions:
    """Everything the browse page's filter menus offer."""
    newest = _latest_subquery(ProfileVersion, ProfileVersion.profile_id)
    roles = session.execute(
        select(RoleProfile.key, ProfileVersion.name)
        .join(newest, newest.c.parent_id == RoleProfile.id)
        .join(ProfileVersion, and_(ProfileVersion.profile_id == RoleProfile.id,
                                   ProfileVersion.version_no == newest.c.n))
        .where(RoleProfile.retired_at.is_(None)).order_by(RoleProfile.key)).all()
    domains = session.execute(select(DomainPack.key, DomainPack.name)
                              .where(DomainPack.retired_at.is_(None))
                              .order_by(DomainPack.key)).all()
    return BrowseOptions(
        roles=[Option(k, n) for k, n in roles],
        competencies=[Option(k, n) for k, n in competency_names(session).items()],
        domains=[Option(k, n) for k, n in domains],
    )


@dataclass
class VersionView:
    """A question version with who made it and where it is used."""

    version: QuestionVersion
    created_by: str
    kits: int
    notes: int


@dataclass
class QuestionView:
    """Everything the question page shows."""

    question: Question
    latest: QuestionVersion
    versions: list[VersionView]
    competency_name: str
    alternate_of: str | None
    alternates: list[str]
    roles: list[Option]


def question_view(session: Session, public_id: str) -> QuestionView:
    """A question with all its versions (newest first), usage, alternates and roles."""
    question = session.scalar(select(Question).where(Question.public_id == public_id)
                              .options(selectinload(Question.versions),
                                       selectinload(Question.competency)))
    if question is None or not question.versions:
        raise NotFound("No such question.")
    version_ids = [v.id for v in question.versions]
    kits = dict(session.execute(select(KitItem.question_version_id, func.count())
                                .where(KitItem.question_version_id.in_(version_ids))
                                .group_by(KitItem.question_version_id)).all())
    notes = dict(session.execute(select(QuestionNote.question_version_id, func.count())
                                 .where(QuestionNote.question_version_id.in_(version_ids))
                                 .group_by(QuestionNote.question_version_id)).all())
    creators = {v.created_by_id for v in question.versions if v.created_by_id}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(creators)))
                 .all()) if creators else {}
    versions = [VersionView(v, names.get(v.created_by_id, "") if v.created_by_id
                            else "loaded from files", kits.get(v.id, 0), notes.get(v.id, 0))
                for v in sorted(question.versions, key=lambda v: -v.version_no)]
    alternate = session.get(Question, question.alternate_of_id) \
        if question.alternate_of_id else None
    alternates = list(session.scalars(select(Question.public_id)
                                      .where(Question.alternate_of_id == question.id)
                                      .order_by(Question.public_id)))
    name = competency_names(session, active_only=False).get(question.competency.key, "")
    roles = [Option(r.key, r.name) for r in competency_roles(session, question.competency_id)]
    return QuestionView(question, versions[0].version, versions, name,
                        alternate.public_id if alternate else None, alternates,
                        _unique_options(roles))


def _unique_options(options: list[Option]) -> list[Option]:
    seen: dict[str, Option] = {}
    for option in options:
        seen.setdefault(option.value, option)
    return list(seen.values())


@dataclass
class RoleUse:
    """How one role's newest profile weighs a competency at one level."""

    key: str
    name: str
    level: str
    weight: int
    bar: int
    must_have: bool


def competency_roles(session: Session, competency_id: int) -> list[RoleUse]:
    """Where the newest version of each active role profile uses ``competency_id``."""
    newest = _latest_subquery(ProfileVersion, ProfileVersion.profile_id)
    rows = session.execute(
        select(RoleProfile.key, ProfileVersion.name, ProfileEntry)
        .join(newest, newest.c.parent_id == RoleProfile.id)
        .join(ProfileVersion, and_(ProfileVersion.profile_id == RoleProfile.id,
                                   ProfileVersion.version_no == newest.c.n))
        .join(ProfileEntry, ProfileEntry.profile_version_id == ProfileVersion.id)
        .where(ProfileEntry.competency_id == competency_id, RoleProfile.retired_at.is_(None))
        .order_by(RoleProfile.key)).all()
    order = {lv: i for i, lv in enumerate(qb.LEVELS)}
    uses = [RoleUse(key, name, e.level, e.weight, e.bar, e.must_have) for key, name, e in rows]
    return sorted(uses, key=lambda u: (u.key, order.get(u.level, 9)))


@dataclass
class CompetencyView:
    """A competency with its newest wording, anchors, history and uses."""

    competency: Competency
    latest: CompetencyVersion
    versions: list[CompetencyVersion]
    roles: list[RoleUse]
    domain: DomainPack | None
    domain_defaults: list[DomainDefault]
    questions: list[QuestionRow]


def competency_view(session: Session, key: str) -> CompetencyView:
    """Everything the competency page shows."""
    competency = session.scalar(select(Competency).where(Competency.key == key)
                                .options(selectinload(Competency.versions)))
    if competency is None or not competency.versions:
        raise NotFound("No such competency.")
    versions = sorted(competency.versions, key=lambda v: -v.version_no)
    defaults = list(session.scalars(select(DomainDefault)
                                    .where(DomainDefault.competency_id == competency.id)
                                    .order_by(DomainDefault.id)))
    domain = session.get(DomainPack, defaults[0].domain_id) if defaults else None
    questions = search_questions(session, QuestionFilters(competency=key), per_page=200).rows
    return CompetencyView(competency, versions[0], versions,
                          competency_roles(session, competency.id), domain, defaults, questions)


@dataclass
class CompetencyListRow:
    """A row of the competency list."""

    key: str
    name: str
    category: str
    description: str
    questions: int
    domain: str
    retired: bool
    source: str


def competency_list(session: Session) -> list[CompetencyListRow]:
    """All competencies (active first) with question counts, by category and key."""
    newest = _latest_subquery(CompetencyVersion, CompetencyVersion.competency_id)
    counts = dict(session.execute(select(Question.competency_id, func.count())
                                  .where(Question.retired_at.is_(None))
                                  .group_by(Question.competency_id)).all())
    domain_of = dict(session.execute(select(DomainDefault.competency_id, DomainPack.key)
                                     .join(DomainPack)).all())
    rows = session.execute(
        select(Competency, CompetencyVersion)
        .join(newest, newest.c.parent_id == Competency.id)
        .join(CompetencyVersion, and_(CompetencyVersion.competency_id == Competency.id,
                                      CompetencyVersion.version_no == newest.c.n))).all()
    order = {c: i for i, c in enumerate(qb.CATEGORIES)}
    result = [CompetencyListRow(c.key, v.name, c.category, v.description, counts.get(c.id, 0),
                                domain_of.get(c.id, ""), c.retired_at is not None, c.source)
              for c, v in rows]
    return sorted(result, key=lambda r: (r.retired, order.get(r.category, 9), r.key))


@dataclass
class EntryView:
    """One competency of a profile level."""

    key: str
    name: str
    category: str
    weight: int
    bar: int
    must_have: bool


@dataclass
class ProfileView:
    """A role profile version, level by level."""

    profile: RoleProfile
    version: ProfileVersion
    versions: list[tuple[int, str, str]]  # (number, created by, date)
    levels: dict[str, list[EntryView]]
    is_latest: bool


def profile_view(session: Session, key: str, version_no: int | None = None) -> ProfileView:
    """A profile's version (newest by default) with its levels, for the profile page."""
    profile = get_profile(session, key)
    version = profile_version(session, profile, version_no)
    versions_rows = session.execute(
        select(ProfileVersion.version_no, ProfileVersion.created_by_id,
               ProfileVersion.created_at)
        .where(ProfileVersion.profile_id == profile.id)
        .order_by(ProfileVersion.version_no.desc())).all()
    creators = {c for _, c, _ in versions_rows if c}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(creators)))
                 .all()) if creators else {}
    versions = [(n, names.get(c, "") if c else "loaded from files", at.strftime("%Y-%m-%d"))
                for n, c, at in versions_rows]
    return ProfileView(profile, version, versions, _levels(session, version),
                       versions_rows[0][0] == version.version_no)


def _levels(session: Session, version: ProfileVersion) -> dict[str, list[EntryView]]:
    ids = {e.competency_id for e in version.entries}
    newest = _latest_subquery(CompetencyVersion, CompetencyVersion.competency_id)
    info = {cid: (key, name, category) for cid, key, name, category in session.execute(
        select(Competency.id, Competency.key, CompetencyVersion.name, Competency.category)
        .join(CompetencyVersion, CompetencyVersion.competency_id == Competency.id)
        .join(newest, and_(newest.c.parent_id == Competency.id,
                           CompetencyVersion.version_no == newest.c.n))
        .where(Competency.id.in_(ids)))}
    levels: dict[str, list[EntryView]] = {}
    for level in qb.LEVELS:
        entries = [e for e in sorted(version.entries, key=lambda e: e.id) if e.level == level]
        if entries:
            levels[level] = [EntryView(*info[e.competency_id], e.weight, e.bar, e.must_have)
                             for e in entries]
    return levels


@dataclass
class ProfileListRow:
    """A row of the role list."""

    key: str
    name: str
    summary: str
    version_no: int
    levels: list[str]
    competencies: int
    retired: bool


def profile_list(session: Session) -> list[ProfileListRow]:
    """Every role profile with its newest version."""
    latest = _latest_versions(session, ProfileVersion, ProfileVersion.profile_id)
    entries = defaultdict(set)
    levels = defaultdict(set)
    if latest:
        for version_id, competency_id, level in session.execute(
                select(ProfileEntry.profile_version_id, ProfileEntry.competency_id,
                       ProfileEntry.level)
                .where(ProfileEntry.profile_version_id.in_([v.id for v in latest.values()]))):
            entries[version_id].add(competency_id)
            levels[version_id].add(level)
    rows = []
    for profile in session.scalars(select(RoleProfile).order_by(RoleProfile.key)):
        version = latest.get(profile.id)
        if version is None:
            continue
        rows.append(ProfileListRow(profile.key, version.name, version.summary,
                                   version.version_no,
                                   [lv for lv in qb.LEVELS if lv in levels[version.id]],
                                   len(entries[version.id]), profile.retired_at is not None))
    return sorted(rows, key=lambda r: (r.retired, r.key))


@dataclass
class CompareRow:
    """One competency across the two sides of a comparison."""

    key: str
    name: str
    left: EntryView | None
    right: EntryView | None

    @property
    def differs(self) -> bool:
        """Whether weight, bar or must-have differ (or one side lacks the competency)."""
        if self.left is None or self.right is None:
            return True
        return (self.left.weight, self.left.bar, self.left.must_have) != \
            (self.right.weight, self.right.bar, self.right.must_have)


@dataclass
class CompareSide:
    """One side of a comparison: a profile version at a level."""

    key: str
    name: str
    level: str
    version_no: int
    entries: list[EntryView]

    @property
    def label(self) -> str:
        """``Data scientist, senior (v2)``."""
        return f"{self.name}, {self.level} (v{self.version_no})"


def compare_side(session: Session, key: str, level: str,
                 version_no: int | None = None) -> CompareSide:
    """One side of a comparison (:class:`NotFound` for an unknown profile, level or version)."""
    view = profile_view(session, key, version_no)
    if level not in view.levels:
        raise NotFound(f"{view.version.name} has no level {level}.")
    return CompareSide(key, view.version.name, level, view.version.version_no,
                       view.levels[level])


def compare_rows(left: CompareSide, right: CompareSide) -> list[CompareRow]:
    """Competencies of both sides, left's order first, then right's extras."""
    left_by = {e.key: e for e in left.entries}
    right_by = {e.key: e for e in right.entries}
    keys = [e.key for e in left.entries] + [e.key for e in right.entries if e.key not in left_by]
    return [CompareRow(k, (left_by.get(k) or right_by[k]).name, left_by.get(k), right_by.get(k))
            for k in keys]


@dataclass
class DomainView:
    """A domain pack with its competencies, defaults and question counts."""

    domain: DomainPack
    competencies: list[tuple[str, str, dict[str, tuple[int, int]], int]]


def domain_list(session: Session) -> list[tuple[DomainPack, int, int]]:
    """Domain packs with their number of competencies and active questions."""
    packs = session.scalars(select(DomainPack).options(selectinload(DomainPack.defaults))
                            .order_by(DomainPack.retired_at.is_not(None), DomainPack.key)).all()
    counts = dict(session.execute(select(Question.competency_id, func.count())
                                  .where(Question.retired_at.is_(None))
                                  .group_by(Question.competency_id)).all())
    result = []
    for pack in packs:
        ids = {d.competency_id for d in pack.defaults}
        result.append((pack, len(ids), sum(counts.get(i, 0) for i in ids)))
    return result


def domain_view(session: Session, key: str) -> DomainView:
    """Everything the domain pack page shows."""
    pack = session.scalar(select(DomainPack).where(DomainPack.key == key)
                          .options(selectinload(DomainPack.defaults)))
    if pack is None:
        raise NotFound("No such domain pack.")
    names = competency_names(session, active_only=False)
    keys = dict(session.execute(select(Competency.id, Competency.key)).all())
    counts = dict(session.execute(select(Question.competency_id, func.count())
                                  .where(Question.retired_at.is_(None))
                                  .group_by(Question.competency_id)).all())
    by_competency: dict[int, dict[str, tuple[int, int]]] = {}
    for default in sorted(pack.defaults, key=lambda d: d.id):
        by_competency.setdefault(default.competency_id, {})[default.level] = (default.weight,
                                                                              default.bar)
    return DomainView(pack, [(keys[cid], names.get(keys[cid], keys[cid]), defaults,
                              counts.get(cid, 0)) for cid, defaults in by_competency.items()])


def bank_is_empty(session: Session) -> bool:
    """Whether nothing has been loaded yet (pages then say how to load the bank)."""
    return session.scalar(select(func.count(Competency.id))) == 0
