"""Render leases: the PDF concurrency cap shared by every worker process (DESIGN.md section 7)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class RenderLease(Base):
    """One render slot (1..``RENDER_CONCURRENCY``). Free when ``holder`` is NULL or the lease
    has expired; taken with a conditional UPDATE whose row count says who won."""

    __tablename__ = "render_leases"

    slot: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    holder: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<RenderLease {self.slot} {'held' if self.holder else 'free'}>"
