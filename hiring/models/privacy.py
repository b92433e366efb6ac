"""What survives a candidate's erasure, by design (SECURITY.md DP-2, AI-3).

Erasing a candidate deletes every row about them (the database cascades from ``candidates``).
These tables keep what must outlive them, without personal data and without foreign keys, so that
an erasure never has to touch them again:

* :class:`RetainedCount`: anonymous counters per requisition, added to by each erasure: how many
  applicants, how far they got, how they left, which decisions were made, and the selection
  outcome at each step of the adverse-impact funnel per self-identified category (categories
  only as counts, never per person). Pipeline counts and the adverse-impact report read them
  beside the live rows, so an erasure leaves those aggregates unchanged.
* :class:`RetainedRating`: the independent ratings of erased applications, keyed by the
  (now meaningless) application, interview, interviewer and competency ids, so that reliability
  and calibration statistics do not move when candidates are erased. A rating is a number; no
  evidence, note or name is kept.
* :class:`ScoringInput`: the inputs of scores that fed a decision or an export, content-addressed
  by their input hash, so that the scoring-run record re-scores exactly (AI-3) even after the
  stored score moved on or its application was erased. Evidence numbers and profile weights
  only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class RetainedCount(Base):
    """One anonymous counter of a requisition: ``metric`` / ``key`` -> ``count``.

    Metrics: ``applicants`` (key ``all``), ``furthest_stage`` (a funnel stage), ``final_stage``
    (hired, rejected, withdrawn, or the stage an application was erased in), ``decision`` (a
    decision kind), ``selection`` (key ``step|axis|category|outcome``, the adverse-impact
    funnel; an empty category means unknown), ``score`` (key ``kind|value|sex|race``: one
    stored score and the two self-identification categories, for the report's scoring rates)
    and ``interviewer`` (key ``user id|count``: the calibration report's per-interviewer
    counts, see :data:`hiring.operations.reports.TALLIED`, and ``user id|na:reason``).
    """

    __tablename__ = "retained_counts"
    __table_args__ = (UniqueConstraint("requisition_id", "metric", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int]  # deliberately without a foreign key
    metric: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<RetainedCount r{self.requisition_id} {self.metric}:{self.key}={self.count}>"


class RetainedRating(Base):
    """One independent rating of an erased application (ids without foreign keys)."""

    __tablename__ = "retained_ratings"
    __table_args__ = (Index("ix_retained_ratings_requisition", "requisition_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int]
    application_id: Mapped[int]
    interview_id: Mapped[int]
    interviewer_id: Mapped[int]
    competency_id: Mapped[int]
    rating: Mapped[float]
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<RetainedRating a{self.application_id} c{self.competency_id} {self.rating}>"


class ScoringInput(Base):
    """The inputs of one score (by model kind and input hash) that fed a decision or an export.

    Kept at least as long as the scoring-run records that name it (``keep_until``, moved forward
    when a later record names the same inputs).
    """

    __tablename__ = "scoring_inputs"
    __table_args__ = (UniqueConstraint("model_kind", "input_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_kind: Mapped[str] = mapped_column(String(32))
    input_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    keep_until: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<ScoringInput {self.model_kind} {self.input_hash[:12]}>"
