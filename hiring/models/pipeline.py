"""Requisitions with their interview plans and kits; candidates, applications and stages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .bank import Competency, Level, ProfileVersion, QuestionVersion
from .base import Base, StrEnum, check_in, utcnow


class TeamModel(StrEnum):
    """How the AI team the hire joins is organised."""

    CENTRALIZED = "centralized"
    DECENTRALIZED = "decentralized"
    HYBRID = "hybrid"


class RequisitionStatus(StrEnum):
    """Lifecycle of a requisition."""

    DRAFT = "draft"
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class Visibility(StrEnum):
    """When a panel member may see other interviewers' ratings and notes (DESIGN.md 2)."""

    AFTER_OWN = "after_own"
    AFTER_PANEL = "after_panel"
    ALWAYS = "always"


class Stage(StrEnum):
    """Stages of an application."""

    APPLIED = "applied"
    SCREEN = "screen"
    INTERVIEWING = "interviewing"
    DEBRIEF = "debrief"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Requisition(Base):
    """An opening: a pinned profile version and level, domain packs, team, panel rules."""

    __tablename__ = "requisitions"
    __table_args__ = (
        CheckConstraint(check_in("level", Level.values()), name="level"),
        CheckConstraint(check_in("team_model", TeamModel.values()), name="team_model"),
        CheckConstraint(check_in("status", RequisitionStatus.values()), name="status"),
        CheckConstraint(check_in("visibility", Visibility.values()), name="visibility"),
        CheckConstraint("headcount >= 1", name="headcount"),
        CheckConstraint("retention_days >= 1", name="retention_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    profile_version_id: Mapped[int] = mapped_column(ForeignKey("profile_versions.id"))
    level: Mapped[str] = mapped_column(String(8))
    team_model: Mapped[str] = mapped_column(String(16), default=TeamModel.HYBRID.value)
    hiring_manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    headcount: Mapped[int] = mapped_column(default=1)
    location: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default=RequisitionStatus.DRAFT.value)
    retention_days: Mapped[int] = mapped_column(default=365)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.AFTER_OWN.value)
    hide_scores: Mapped[bool] = mapped_column(default=False)
    uncovered_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    profile_version: Mapped[ProfileVersion] = relationship()
    steps: Mapped[list[PlanStep]] = relationship(
        back_populates="requisition", order_by="PlanStep.position", cascade="all, delete-orphan"
    )
    domains: Mapped[list[RequisitionDomain]] = relationship(cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Requisition {self.id} {self.level} {self.status}>"


class RequisitionDomain(Base):
    """A domain pack picked by a requisition."""

    __tablename__ = "requisition_domains"
    __table_args__ = (UniqueConstraint("requisition_id", "domain_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id", ondelete="CASCADE"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domain_packs.id"))

    def __repr__(self) -> str:
        return f"<RequisitionDomain r{self.requisition_id} d{self.domain_id}>"


class PlanStep(Base):
    """One interview of a requisition's plan, with its focus competencies and kit."""

    __tablename__ = "plan_steps"
    __table_args__ = (CheckConstraint("minutes BETWEEN 5 AND 480", name="minutes"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    minutes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    requisition: Mapped[Requisition] = relationship(back_populates="steps")
    focus: Mapped[list[PlanStepFocus]] = relationship(cascade="all, delete-orphan")
    kit_versions: Mapped[list[KitVersion]] = relationship(
        back_populates="step", order_by="KitVersion.version_no", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<PlanStep {self.id} {self.name!r}>"


class PlanStepFocus(Base):
    """A focus competency of a plan step."""

    __tablename__ = "plan_step_focus"
    __table_args__ = (UniqueConstraint("step_id", "competency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("plan_steps.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id"))

    competency: Mapped[Competency] = relationship()

    def __repr__(self) -> str:
        return f"<PlanStepFocus s{self.step_id} c{self.competency_id}>"


class KitVersion(Base):
    """The questions every candidate gets in one plan step; frozen once an interview uses it."""

    __tablename__ = "kit_versions"
    __table_args__ = (UniqueConstraint("step_id", "version_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("plan_steps.id", ondelete="CASCADE"))
    version_no: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    step: Mapped[PlanStep] = relationship(back_populates="kit_versions")
    items: Mapped[list[KitItem]] = relationship(
        order_by="KitItem.position", cascade="all, delete-orphan"
    )
    focus: Mapped[list[KitVersionFocus]] = relationship(
        order_by="KitVersionFocus.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<KitVersion s{self.step_id} v{self.version_no}>"


class KitItem(Base):
    """One question version in a kit, in order."""

    __tablename__ = "kit_items"
    __table_args__ = (UniqueConstraint("kit_version_id", "question_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_version_id: Mapped[int] = mapped_column(ForeignKey("kit_versions.id", ondelete="CASCADE"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    position: Mapped[int]

    question_version: Mapped[QuestionVersion] = relationship()

    def __repr__(self) -> str:
        return f"<KitItem k{self.kit_version_id} q{self.question_version_id}>"


class Candidate(Base):
    """A person (personal data). Erasure deletes this row and cascades to everything about them."""

    __tablename__ = "candidates"
    __table_args__ = (Index("uq_candidates_email_lower", func.lower("email"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(64), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    legal_hold: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    applications: Mapped[list[Application]] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", passive_deletes=True
    )
    documents: Mapped[list[CandidateDocument]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Candidate {self.id}>"


class Application(Base):
    """A candidate applying to a requisition, with its current stage."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("candidate_id", "requisition_id"),
        CheckConstraint(check_in("stage", Stage.values()), name="stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id"))
    stage: Mapped[str] = mapped_column(String(16), default=Stage.APPLIED.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL")
    )
    version: Mapped[int] = mapped_column(default=1)
    # SECURITY.md AI-6: when the candidate was told how scores assist the decision, and whether
    # they asked for an alternative process (then never scored or ranked automatically).
    notice_at: Mapped[datetime | None]
    alternative_process: Mapped[bool] = mapped_column(default=False, server_default=false())

    candidate: Mapped[Candidate] = relationship(back_populates="applications")
    requisition: Mapped[Requisition] = relationship()
    stage_changes: Mapped[list[StageChange]] = relationship(
        order_by="StageChange.id", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.stage}>"


class StageChange(Base):
    """Who moved an application from one stage to another, when and why."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        CheckConstraint(check_in("to_stage", Stage.values()), name="to_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    from_stage: Mapped[str | None] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason_code: Mapped[str] = mapped_column(String(64), default="")
    reason_text: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<StageChange a{self.application_id} {self.from_stage}->{self.to_stage}>"


class CandidateDocument(Base):
    """An uploaded file (e.g. a résumé), stored in the database so app hosts stay stateless."""

    __tablename__ = "candidate_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<CandidateDocument {self.id} {self.content_type}>"


class KitVersionFocus(Base):
    """A focus competency frozen with a kit version (what the scorecard of an interview asks)."""

    __tablename__ = "kit_version_focus"
    __table_args__ = (UniqueConstraint("kit_version_id", "competency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_version_id: Mapped[int] = mapped_column(ForeignKey("kit_versions.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id"))
    position: Mapped[int] = mapped_column(default=0)

    competency: Mapped[Competency] = relationship()

    def __repr__(self) -> str:
        return f"<KitVersionFocus k{self.kit_version_id} c{self.competency_id}>"


class ImportBatch(Base):
    """One CSV import into a requisition; the file hash refuses the same file twice."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("requisition_id", "file_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id", ondelete="CASCADE"))
    file_hash: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows: Mapped[int]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} rows={self.rows}>"


class OutboxMessage(Base):
    """An e-mail to a user (interview invitations and changes): sent by SMTP when configured,
    otherwise kept for the development outbox page."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id",
                                                                ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    ics: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} to u{self.to_user_id}>"


class DecisionKind(StrEnum):
    """What a decision does to an application."""

    ADVANCE = "advance"
    REJECT = "reject"
    OFFER = "offer"
    HIRE = "hire"


class Decision(Base):
    """A human decision with its rationale, and the score shown at that moment (AI-1)."""

    __tablename__ = "decisions"
    __table_args__ = (CheckConstraint(check_in("kind", DecisionKind.values()), name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    rationale: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    score_shown: Mapped[dict[str, Any] | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Decision a{self.application_id} {self.kind}>"


class Outcome(Base):
    """What became of a hire: the only labels a learned model may use."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint("performance IS NULL OR performance BETWEEN 1 AND 5", name="performance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    passed_probation: Mapped[bool | None]
    performance: Mapped[int | None]
    outcome_date: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Outcome a{self.application_id}>"
