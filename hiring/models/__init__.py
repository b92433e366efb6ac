"""All models, one module per domain, re-exported here."""

from .accounts import LoginThrottle, Role, User, UserRole
from .audit import AuditEvent
from .bank import (
    Category,
    Competency,
    CompetencyVersion,
    DomainDefault,
    DomainPack,
    Level,
    ProfileEntry,
    ProfileVersion,
    Question,
    QuestionKind,
    QuestionVersion,
    RoleProfile,
    Source,
)
from .base import Base, utcnow
from .interviews import (
    CompetencyRating,
    Interview,
    InterviewAssignment,
    InterviewStatus,
    NotAssessedReason,
    QuestionNote,
    Recommendation,
    Scorecard,
    ScorecardStatus,
)
from .pipeline import (
    Application,
    Candidate,
    CandidateDocument,
    KitItem,
    KitVersion,
    PlanStep,
    PlanStepFocus,
    Requisition,
    RequisitionDomain,
    RequisitionStatus,
    Stage,
    StageChange,
    TeamModel,
    Visibility,
)

__all__ = [
    "Application", "AuditEvent", "Base", "Candidate", "CandidateDocument", "Category",
    "Competency", "CompetencyRating", "CompetencyVersion", "DomainDefault", "DomainPack",
    "Interview", "InterviewAssignment", "InterviewStatus", "KitItem", "KitVersion", "Level",
    "LoginThrottle", "NotAssessedReason", "PlanStep", "PlanStepFocus", "ProfileEntry",
    "ProfileVersion", "Question", "QuestionKind", "QuestionNote", "QuestionVersion",
    "Recommendation", "Requisition", "RequisitionDomain", "RequisitionStatus", "Role",
    "RoleProfile", "Scorecard", "ScorecardStatus", "Source", "Stage", "StageChange", "TeamModel",
    "User", "UserRole", "Visibility", "utcnow",
]
