"""The learned model's data: imported hiring history and trained model versions.

History files (``flask --app hiring history import``) land in append-only batches. Ratings and
outcomes go to ``history_rows``; the optional self-identification columns go to
``history_demographics``, a separate table that training and scoring never read (SECURITY.md
DP-1). A trained model is stored as its model card's JSON (coefficients and all), never pickled.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .bank import Level
from .base import Base, check_in, utcnow


class HistoryBatch(Base):
    """One imported history file: an append-only batch with its own id."""

    __tablename__ = "history_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_hash: Mapped[str] = mapped_column(String(64), index=True)
    rows: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<HistoryBatch {self.id} rows={self.rows}>"


class HistoryRow(Base):
    """One past applicant: role, level, hired, outcome (hires only) and competency ratings.

    ``ratings`` maps competency keys to rating means (1-4); a key that is absent was not
    assessed. ``label`` is the file's ``candidate`` column, unique within its batch only.
    """

    __tablename__ = "history_rows"
    __table_args__ = (
        UniqueConstraint("batch_id", "label"),
        CheckConstraint(check_in("level", Level.values()), name="level"),
        CheckConstraint("outcome IS NULL OR hired", name="outcome_only_hired"),
        Index("ix_history_rows_role_level", "role", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("history_batches.id", ondelete="CASCADE"))
    row_number: Mapped[int]
    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(80))
    level: Mapped[str] = mapped_column(String(8))
    hired: Mapped[bool]
    outcome: Mapped[bool | None]
    ratings: Mapped[dict[str, Any]]

    def __repr__(self) -> str:
        return f"<HistoryRow {self.id} {self.role}/{self.level} hired={self.hired}>"


class HistoryDemographics(Base):
    """Self-identification of one history row, stored apart; never a model input (DP-1)."""

    __tablename__ = "history_demographics"

    id: Mapped[int] = mapped_column(primary_key=True)
    row_id: Mapped[int] = mapped_column(
        ForeignKey("history_rows.id", ondelete="CASCADE"), unique=True
    )
    sex: Mapped[str | None] = mapped_column(String(64))
    race_ethnicity: Mapped[str | None] = mapped_column(String(128))

    row: Mapped[HistoryRow] = relationship()

    def __repr__(self) -> str:
        return f"<HistoryDemographics row={self.row_id}>"


class ModelVersion(Base):
    """One trained learned model of a role: its card as JSON, and who adopted it when.

    The role's adopted model is the version with the latest ``adopted_at``; earlier adopted
    versions keep their timestamps and stay recomputable from their stored card.
    """

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("role", "version"),
        CheckConstraint(check_in("level", Level.values()), name="level"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[int]
    level: Mapped[str] = mapped_column(String(8))
    profile_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("profile_versions.id", ondelete="SET NULL")
    )
    card: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    adopted_at: Mapped[datetime | None]
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledgement: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<ModelVersion {self.role} v{self.version}>"
