"""Candidate notice links and voluntary self-identification (SECURITY.md AI-6, DP-1).

* :class:`NoticeLink`: a link the recruiting team issued so that a candidate can read, without
  logging in, how structured scores assist the decision, ask for an alternative process and
  self-identify. The URL carries a signed, expiring token naming the application and this row's
  ``nonce``; issuing a new link for the same application revokes the older ones.
* :class:`SelfIdentification`: the candidate's voluntary answers, **stored apart**: keyed by the
  application id (``ON DELETE CASCADE``, so erasure takes it along), referenced by no other
  table, read only in aggregate by auditors (the adverse-impact report) and never by training or
  scoring. Only fixed category codes are stored, never free text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, check_in, utcnow

#: Answer code for "prefer not to say" (counted as unknown in every report).
PREFER_NOT_TO_SAY = "prefer_not_to_say"

#: Sex, as in the EEO-1 report, plus "prefer not to say". Code -> label.
SEX_CHOICES: dict[str, str] = {
    "female": "Female",
    "male": "Male",
    PREFER_NOT_TO_SAY: "Prefer not to say",
}

#: Race/ethnicity in the EEO-1 categories (Hispanic or Latino first, then race for everyone
#: else, "two or more races"), plus "prefer not to say". Code -> label.
RACE_ETHNICITY_CHOICES: dict[str, str] = {
    "hispanic_latino": "Hispanic or Latino",
    "white": "White",
    "black": "Black or African American",
    "native_hawaiian_pacific_islander": "Native Hawaiian or Other Pacific Islander",
    "asian": "Asian",
    "american_indian_alaska_native": "American Indian or Alaska Native",
    "two_or_more": "Two or More Races",
    PREFER_NOT_TO_SAY: "Prefer not to say",
}

#: The self-identification fields; a test checks that no scorer ever has one as a feature (DP-1).
SELF_IDENTIFICATION_FIELDS: tuple[str, ...] = ("sex", "race_ethnicity")


class SelfIdentification(Base):
    """One application's voluntary self-identification; ``None`` = not answered."""

    __tablename__ = "self_identifications"
    __table_args__ = (
        CheckConstraint("sex IS NULL OR " + check_in("sex", list(SEX_CHOICES)), name="sex"),
        CheckConstraint("race_ethnicity IS NULL OR "
                        + check_in("race_ethnicity", list(RACE_ETHNICITY_CHOICES)),
                        name="race_ethnicity"),
    )

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    sex: Mapped[str | None] = mapped_column(String(40))
    race_ethnicity: Mapped[str | None] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SelfIdentification a{self.application_id}>"


class NoticeLink(Base):
    """A candidate notice link issued for an application (the newest one is the valid one)."""

    __tablename__ = "notice_links"
    __table_args__ = (Index("ix_notice_links_application", "application_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # When the candidate last sent the page's form (GET requests never write).
    responded_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<NoticeLink {self.id} a{self.application_id}>"
