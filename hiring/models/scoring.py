"""Stored scores, the scoring-run record (SECURITY.md AI-2, AI-3) and manual ranking moves (AI-1).

* :class:`Score`: one application's score of one model kind ("profile_fit" now; the learned model
  adds its own kind), with the inputs it was computed from, so re-scoring from the row reproduces it
  exactly (``flask --app hiring scores rebuild`` proves it).
* :class:`ScoringRun`: the record of every scoring run that computed, showed or exported scores
  (who or what triggered it, model and profile versions, library versions, per application the
  input hash and the score). Kept at least six months: a trigger refuses UPDATE always and DELETE
  before ``keep_until``. No foreign keys, so erasing a candidate never touches it; it holds
  application ids and numbers, never names or note text.
* :class:`RankingMove`: a person moving a candidate in a requisition's ranking, with the reason and
  the whole resulting order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, check_in, utcnow

SCORE_STATES = ["ok", "insufficient coverage", "cannot score"]


class Score(Base):
    """The stored score of one application for one model kind (pages only read these rows)."""

    __tablename__ = "scores"
    __table_args__ = (
        UniqueConstraint("application_id", "kind"),
        CheckConstraint(check_in("state", SCORE_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    # On the 1-4 rating metric; None unless the state is "ok" (a state is never a zero).
    mean: Mapped[float | None]
    bar_mean: Mapped[float | None]
    score_0_100: Mapped[float | None]
    bar_0_100: Mapped[float | None]
    band_lo: Mapped[float | None]
    band_hi: Mapped[float | None]
    coverage: Mapped[float | None]
    meets_profile: Mapped[bool | None]
    must_haves: Mapped[dict[str, Any]]
    contributions: Mapped[dict[str, Any]]
    # Largest gap between two interviewers' ratings of one competency (disagreement flag).
    rating_spread: Mapped[int | None]
    input_hash: Mapped[str] = mapped_column(String(64))
    error_model_hash: Mapped[str] = mapped_column(String(64))
    # Everything the score was computed from (evidence, profile level, error model) and the whole
    # result, so that the row alone reproduces the score.
    inputs: Mapped[dict[str, Any]]
    result: Mapped[dict[str, Any]]
    profile_version_id: Mapped[int] = mapped_column(ForeignKey("profile_versions.id"))
    level: Mapped[str] = mapped_column(String(8))
    scoring_version: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Score a{self.application_id} {self.kind} {self.state}>"


class ScoringRun(Base):
    """One scoring run: a recomputation, a rebuild, a ranking view or export, a decision."""

    __tablename__ = "scoring_runs"
    __table_args__ = (Index("ix_scoring_runs_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    keep_until: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None]  # a user id, deliberately without a foreign key
    requisition_id: Mapped[int | None]  # likewise
    model_kind: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(64))
    profile_version_ids: Mapped[list[Any]]
    library_versions: Mapped[dict[str, Any]]
    # [{"application_id", "input_hash", "state", "mean", "score_0_100"}, ...]
    entries: Mapped[list[Any]]
    entry_count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<ScoringRun {self.id} {self.kind} n={self.entry_count}>"


class RankingMove(Base):
    """A person moved a candidate in a ranking: the reason, and the whole order that resulted.

    The newest row of a requisition is its current manual order. Rows go with the application
    they move (the reason may name the candidate), so erasure leaves nothing behind.
    """

    __tablename__ = "ranking_moves"
    __table_args__ = (
        CheckConstraint("to_position >= 1", name="to_position"),
        Index("ix_ranking_moves_requisition", "requisition_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requisition_id: Mapped[int] = mapped_column(ForeignKey("requisitions.id", ondelete="CASCADE"))
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    from_position: Mapped[int]
    to_position: Mapped[int]
    basis: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    order_ids: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<RankingMove r{self.requisition_id} a{self.application_id} -> {self.to_position}>"
