"""Users, their roles, and login throttling state (kept in the database for all workers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, StrEnum, check_in, utcnow


class Role(StrEnum):
    """The roles a user may hold (DESIGN.md section 2b)."""

    ADMIN = "admin"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    INTERVIEWER = "interviewer"
    AUDITOR = "auditor"


class User(Base):
    """A person who logs in. ``session_token`` is what Flask-Login stores; rotating it revokes
    every session of the user on every worker."""

    __tablename__ = "users"
    __table_args__ = (Index("uq_users_email_lower", func.lower("email"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    session_token: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login's user protocol. The id handed to the session is the rotating token.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        """Disabled users cannot log in or keep a session."""
        return bool(self.active)

    def get_id(self) -> str:
        """The per-user session token (rotated to revoke every session)."""
        return self.session_token

    def has_role(self, role: str) -> bool:
        """Whether the user holds ``role``."""
        return role in self.role_names

    @property
    def role_names(self) -> set[str]:
        """The user's roles as plain strings."""
        return {r.role for r in self.roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {sorted(self.role_names)}>"


class UserRole(Base):
    """One role held by one user."""

    __tablename__ = "user_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(check_in("role", Role.values()), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="roles")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role}>"


class LoginThrottle(Base):
    """Failed login attempts per normalised e-mail address, shared by every worker.

    Keyed by the address typed (known or not), so an unknown user and a wrong password are
    throttled, and answered, alike.
    """

    __tablename__ = "login_throttle"

    email_key: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<LoginThrottle failures={self.failures}>"



class PendingForm(Base):
    """Form input kept when a session expired mid-submit, restored after the user logs in again.

    Only the owner may resume it (by its random token); rows are removed once resumed.
    """

    __tablename__ = "pending_forms"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<PendingForm u{self.user_id} {self.path}>"
