"""The question bank: competencies, role profiles, domain packs and questions, all versioned.

Versions are append-only: text that was shown in an interview never changes in place. Rows
loaded from ``question_bank/`` files have ``source='file'``; rows created in the app have
``source='app'`` and are never touched by ``bank load``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, StrEnum, check_in, utcnow


class Category(StrEnum):
    """What kind of skill a competency is."""

    TECHNICAL = "technical"
    DOMAIN = "domain"
    SOFT = "soft"


class Level(StrEnum):
    """Seniority levels of a role profile."""

    JUNIOR = "junior"
    MID = "mid"
    SENIOR = "senior"


class QuestionKind(StrEnum):
    """The kinds of interview question."""

    TECHNICAL = "technical"
    SITUATIONAL = "situational"
    BEHAVIOURAL = "behavioural"
    DOMAIN = "domain"
    WORK_SAMPLE = "work-sample"


class Source(StrEnum):
    """Where a bank item is owned: in the files or in the app."""

    FILE = "file"
    APP = "app"


class Competency(Base):
    """One skill assessed; its wording and anchors live in :class:`CompetencyVersion`."""

    __tablename__ = "competencies"
    __table_args__ = (
        CheckConstraint(check_in("category", Category.values()), name="category"),
        CheckConstraint(check_in("source", Source.values()), name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(8), default=Source.FILE.value)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[CompetencyVersion]] = relationship(
        back_populates="competency", order_by="CompetencyVersion.version_no"
    )

    def __repr__(self) -> str:
        return f"<Competency {self.key}>"


class CompetencyVersion(Base):
    """Name, description and the four anchors of a competency at one point in time."""

    __tablename__ = "competency_versions"
    __table_args__ = (UniqueConstraint("competency_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id", ondelete="CASCADE"))
    version_no: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    anchor_1: Mapped[str] = mapped_column(Text)
    anchor_2: Mapped[str] = mapped_column(Text)
    anchor_3: Mapped[str] = mapped_column(Text)
    anchor_4: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    competency: Mapped[Competency] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<CompetencyVersion {self.competency_id} v{self.version_no}>"


class RoleProfile(Base):
    """A role (e.g. ``data-scientist``); its levels live in :class:`ProfileVersion`."""

    __tablename__ = "role_profiles"
    __table_args__ = (CheckConstraint(check_in("source", Source.values()), name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    source: Mapped[str] = mapped_column(String(8), default=Source.FILE.value)
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[ProfileVersion]] = relationship(
        back_populates="profile", order_by="ProfileVersion.version_no"
    )

    def __repr__(self) -> str:
        return f"<RoleProfile {self.key}>"


class ProfileVersion(Base):
    """One version of a role profile: brief, provenance, and per level the weights and bars."""

    __tablename__ = "profile_versions"
    __table_args__ = (UniqueConstraint("profile_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("role_profiles.id", ondelete="CASCADE"))
    version_no: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    level_summaries: Mapped[dict[str, Any]]
    provenance: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    profile: Mapped[RoleProfile] = relationship(back_populates="versions")
    entries: Mapped[list[ProfileEntry]] = relationship(
        back_populates="profile_version", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<ProfileVersion {self.profile_id} v{self.version_no}>"


class ProfileEntry(Base):
    """Weight, bar and must-have flag of one competency at one level of a profile version."""

    __tablename__ = "profile_entries"
    __table_args__ = (
        UniqueConstraint("profile_version_id", "level", "competency_id"),
        CheckConstraint("weight BETWEEN 1 AND 3", name="weight"),
        CheckConstraint("bar BETWEEN 1 AND 4", name="bar"),
        CheckConstraint(check_in("level", Level.values()), name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_version_id: Mapped[int] = mapped_column(
        ForeignKey("profile_versions.id", ondelete="CASCADE")
    )
    level: Mapped[str] = mapped_column(String(8))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id"))
    weight: Mapped[int]
    bar: Mapped[int]
    must_have: Mapped[bool] = mapped_column(default=False)

    profile_version: Mapped[ProfileVersion] = relationship(back_populates="entries")
    competency: Mapped[Competency] = relationship()

    def __repr__(self) -> str:
        return f"<ProfileEntry {self.level} c{self.competency_id} w{self.weight} b{self.bar}>"


class DomainPack(Base):
    """Domain competencies for one industry, with a default weight and bar per level."""

    __tablename__ = "domain_packs"
    __table_args__ = (CheckConstraint(check_in("source", Source.values()), name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(8), default=Source.FILE.value)
    content_hash: Mapped[str] = mapped_column(String(64))
    retired_at: Mapped[datetime | None]

    defaults: Mapped[list[DomainDefault]] = relationship(
        back_populates="domain", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<DomainPack {self.key}>"


class DomainDefault(Base):
    """The weight and bar a domain competency brings to a requisition at one level."""

    __tablename__ = "domain_defaults"
    __table_args__ = (
        UniqueConstraint("domain_id", "competency_id", "level"),
        CheckConstraint("weight BETWEEN 1 AND 3", name="weight"),
        CheckConstraint("bar BETWEEN 1 AND 4", name="bar"),
        CheckConstraint(check_in("level", Level.values()), name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain_packs.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id"))
    level: Mapped[str] = mapped_column(String(8))
    weight: Mapped[int]
    bar: Mapped[int]

    domain: Mapped[DomainPack] = relationship(back_populates="defaults")
    competency: Mapped[Competency] = relationship()

    def __repr__(self) -> str:
        return f"<DomainDefault d{self.domain_id} c{self.competency_id} {self.level}>"


class Question(Base):
    """A stable question identity (``public_id`` such as ``ds-eval-001``) and its versions."""

    __tablename__ = "questions"
    __table_args__ = (CheckConstraint(check_in("source", Source.values()), name="source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(80), unique=True)
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id"))
    source: Mapped[str] = mapped_column(String(8), default=Source.FILE.value)
    alternate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL")
    )
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    competency: Mapped[Competency] = relationship()
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.version_no"
    )

    def __repr__(self) -> str:
        return f"<Question {self.public_id}>"


class QuestionVersion(Base):
    """The full text of a question at one point in time; never updated once written."""

    __tablename__ = "question_versions"
    __table_args__ = (
        UniqueConstraint("question_id", "version_no"),
        CheckConstraint(check_in("kind", QuestionKind.values()), name="kind"),
        CheckConstraint("minutes BETWEEN 1 AND 240", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    version_no: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    levels: Mapped[list[Any]]
    prompt: Mapped[str] = mapped_column(Text)
    follow_ups: Mapped[list[Any]]
    signals: Mapped[list[Any]]
    red_flags: Mapped[list[Any]]
    minutes: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    question: Mapped[Question] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<QuestionVersion {self.question_id} v{self.version_no}>"
