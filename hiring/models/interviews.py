"""Interviews (an application x a plan step at a time) and their interviewers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, StrEnum, check_in, utcnow
from .pipeline import Application, KitVersion, PlanStep


class InterviewStatus(StrEnum):
    """Whether an interview is still on."""

    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Interview(Base):
    """One interview of a loop; ``kit_version`` is frozen when it is scheduled."""

    __tablename__ = "interviews"
    __table_args__ = (
        CheckConstraint(check_in("status", InterviewStatus.values()), name="status"),
        CheckConstraint("minutes BETWEEN 5 AND 480", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    plan_step_id: Mapped[int] = mapped_column(ForeignKey("plan_steps.id"))
    kit_version_id: Mapped[int] = mapped_column(ForeignKey("kit_versions.id"))
    starts_at: Mapped[datetime]
    minutes: Mapped[int]
    location: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=InterviewStatus.SCHEDULED.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    application: Mapped[Application] = relationship()
    step: Mapped[PlanStep] = relationship()
    kit_version: Mapped[KitVersion] = relationship()
    assignments: Mapped[list[InterviewAssignment]] = relationship(
        back_populates="interview", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Interview {self.id} {self.status}>"


class InterviewAssignment(Base):
    """An interviewer on an interview, with the short code printed on their packet."""

    __tablename__ = "interview_assignments"
    __table_args__ = (UniqueConstraint("interview_id", "interviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    short_code: Mapped[str] = mapped_column(String(16), unique=True)

    interview: Mapped[Interview] = relationship(back_populates="assignments")

    def __repr__(self) -> str:
        return f"<InterviewAssignment i{self.interview_id} u{self.interviewer_id}>"


class ScorecardStatus(StrEnum):
    """A scorecard is a draft until submitted, once."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


class Recommendation(StrEnum):
    """The overall recommendation, filled last (DESIGN.md section 2)."""

    STRONG_NO = "strong_no"
    NO = "no"
    YES = "yes"
    STRONG_YES = "strong_yes"
    NO_DECISION = "no_decision"


class NotAssessedReason(StrEnum):
    """Why a focus competency has no rating."""

    TIME = "not_asked_time"
    OTHER = "not_asked_other"
    CUT_SHORT = "interview_cut_short"
    CONFLICT = "conflict_of_interest"


class Scorecard(Base):
    """One interviewer's scorecard for one interview (exactly one per pair)."""

    __tablename__ = "scorecards"
    __table_args__ = (
        UniqueConstraint("interview_id", "interviewer_id"),
        CheckConstraint(check_in("status", ScorecardStatus.values()), name="status"),
        CheckConstraint(
            "recommendation IS NULL OR " + check_in("recommendation", Recommendation.values()),
            name="recommendation",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=ScorecardStatus.DRAFT.value)
    recommendation: Mapped[str | None] = mapped_column(String(16))
    no_decision_reason: Mapped[str] = mapped_column(Text, default="")
    takeaways: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    interview: Mapped[Interview] = relationship()
    ratings: Mapped[list[CompetencyRating]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    question_notes: Mapped[list[QuestionNote]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Scorecard {self.id} {self.status}>"


class CompetencyRating(Base):
    """A rating 1-4 with evidence, or "not assessed" with a reason, for one focus competency."""

    __tablename__ = "competency_ratings"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "competency_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 4", name="rating"),
        CheckConstraint(
            "not_assessed_reason IS NULL OR "
            + check_in("not_assessed_reason", NotAssessedReason.values()),
            name="not_assessed_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competencies.id"))
    rating: Mapped[int | None]
    not_assessed_reason: Mapped[str | None] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<CompetencyRating s{self.scorecard_id} c{self.competency_id} {self.rating}>"


class QuestionNote(Base):
    """The interviewer's note (and optional 1-4 rating) on one kit question."""

    __tablename__ = "question_notes"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "question_version_id"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 4", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    rating: Mapped[int | None]

    def __repr__(self) -> str:
        return f"<QuestionNote s{self.scorecard_id} q{self.question_version_id}>"




class ScorecardAmendment(Base):
    """A change to a submitted scorecard, kept beside the original with its reason.

    ``changes`` maps competency ids (as strings) to ``{"rating", "not_assessed_reason",
    "evidence"}`` and may hold ``"takeaways"`` and ``"recommendation"``. Amendments made after the
    debrief began are marked and never count as independent evidence.
    """

    __tablename__ = "scorecard_amendments"

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]]
    after_debrief: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ScorecardAmendment s{self.scorecard_id} after_debrief={self.after_debrief}>"


class PanelUnlock(Base):
    """A hiring manager releasing a panel member who cannot submit (``after_panel`` visibility)."""

    __tablename__ = "panel_unlocks"
    __table_args__ = (UniqueConstraint("interview_id", "interviewer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<PanelUnlock i{self.interview_id} u{self.interviewer_id}>"
