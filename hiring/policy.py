"""Who may do what: DESIGN.md section 2b as data, object-level checks, and the view decorator.

Every view declares the action it performs with :func:`requires`. A global check (installed by
:func:`init_app`) denies by default: an endpoint that is not public needs a login, and an
endpoint with no declared action is refused to everyone (fail closed). Any exception inside a
check denies, and every denial is logged and audited.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, url_for

from .models import Role

F = TypeVar("F", bound=Callable[..., Any])


class Action(StrEnum):
    """The actions of the policy table."""

    MANAGE_USERS = "manage_users"
    EDIT_BANK = "edit_bank"
    READ_BANK = "read_bank"
    MANAGE_REQUISITIONS = "manage_requisitions"
    MANAGE_CANDIDATES = "manage_candidates"
    SEE_CANDIDATE = "see_candidate"
    FILL_SCORECARD = "fill_scorecard"
    SEE_SCORECARDS = "see_scorecards"
    RANKING = "ranking"
    DECISIONS = "decisions"
    TRAIN_MODELS = "train_models"
    ADOPT_MODEL = "adopt_model"
    RELIABILITY_REPORTS = "reliability_reports"
    IMPACT_REPORTS = "impact_reports"
    DATA_RIGHTS = "data_rights"
    # Any logged-in user (own dashboard, own password, logout).
    ANY_USER = "any_user"


A, R, HM, IV, AU = (Role.ADMIN.value, Role.RECRUITER.value, Role.HIRING_MANAGER.value,
                    Role.INTERVIEWER.value, Role.AUDITOR.value)

# DESIGN.md 2b. "own reqs" (hiring manager) and "own assignments" (interviewer) are role-level
# grants here, narrowed per object by the checks below and by query scoping.
POLICY: dict[Action, frozenset[str]] = {
    Action.MANAGE_USERS: frozenset({A}),
    Action.EDIT_BANK: frozenset({A}),
    Action.READ_BANK: frozenset({A, R, HM, IV, AU}),
    Action.MANAGE_REQUISITIONS: frozenset({A, R, HM}),
    Action.MANAGE_CANDIDATES: frozenset({A, R, HM}),
    Action.SEE_CANDIDATE: frozenset({A, R, HM, IV}),
    Action.FILL_SCORECARD: frozenset({IV}),
    Action.SEE_SCORECARDS: frozenset({R, HM, IV}),
    Action.RANKING: frozenset({A, R, HM}),
    Action.DECISIONS: frozenset({HM}),
    Action.TRAIN_MODELS: frozenset({A}),
    Action.ADOPT_MODEL: frozenset({A}),
    Action.RELIABILITY_REPORTS: frozenset({A, R, HM, AU}),
    Action.IMPACT_REPORTS: frozenset({AU}),
    Action.DATA_RIGHTS: frozenset({A}),
    Action.ANY_USER: frozenset({A, R, HM, IV, AU}),
}

# Actions whose hiring-manager grant is limited to requisitions they manage.
OWN_REQ_ACTIONS = frozenset({Action.MANAGE_REQUISITIONS, Action.MANAGE_CANDIDATES,
                             Action.SEE_CANDIDATE, Action.RANKING, Action.DECISIONS,
                             Action.RELIABILITY_REPORTS})

# Endpoints reachable without logging in (SECURITY.md AUTHZ-1's explicit allow-list).
PUBLIC_ENDPOINTS = frozenset({"static", "main.healthz", "main.readyz", "auth.login",
                              "notice.show", "notice.submit"})


def roles_allowed(action: Action | str) -> frozenset[str]:
    """The roles the table grants ``action`` to."""
    return POLICY[Action(action)]


def allows(roles: Iterable[str], action: Action | str) -> bool:
    """Whether any of ``roles`` is granted ``action`` by the table (no object involved)."""
    try:
        return bool(set(roles) & POLICY[Action(action)])
    except Exception:  # noqa: BLE001 - fail closed on an unknown action or bad input
        current_app.logger.warning("policy check failed closed for action %r", action)
        return False


def user_allows(user: Any, action: Action | str) -> bool:
    """Whether the logged-in ``user`` holds a role granted ``action``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return allows(user.role_names, action)


def manages_requisition(user: Any, requisition: Any) -> bool:
    """Whether ``user`` may act on ``requisition`` as admin, recruiter or its hiring manager."""
    roles = user.role_names
    if A in roles or R in roles:
        return True
    return HM in roles and requisition.hiring_manager_id == user.id


def requires(action: Action | str) -> Callable[[F], F]:
    """Declare the action a view performs; the global check enforces it (deny by default)."""
    action = Action(action)

    def decorate(view: F) -> F:
        view._policy_action = action  # type: ignore[attr-defined]
        return view

    return decorate


def view_action(app: Flask, endpoint: str) -> Action | None:
    """The action declared by the view behind ``endpoint`` (None when undeclared)."""
    view = app.view_functions.get(endpoint)
    return getattr(view, "_policy_action", None) if view else None


def deny(reason: str, status: int = 403) -> None:
    """Log and audit a denial, then abort with ``status``."""
    from flask_login import current_user

    from .operations.audit import record_denial

    user_id = getattr(current_user, "id", None)
    current_app.logger.warning(
        "denied endpoint=%s user=%s reason=%s", request.endpoint, user_id, reason
    )
    record_denial(user_id, request.endpoint or request.path, reason)
    abort(status)


def _check_request() -> Any:
    """The global gate run before every view (AUTHZ-1, AUTHZ-2, AUTHZ-6)."""
    from flask_login import current_user

    endpoint = request.endpoint
    if endpoint is None:
        return None  # 404/405 follow
    if endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    action = view_action(current_app, endpoint)
    if action is None:
        deny("no policy rule for endpoint")
    try:
        allowed = user_allows(current_user, action)
    except Exception:  # noqa: BLE001 - a failing check denies
        current_app.logger.exception("policy check raised; denying")
        deny(f"check for {action} failed")
    if not allowed:
        deny(f"role lacks {action}")
    return None


def init_app(app: Flask) -> None:
    """Install the global policy gate."""
    app.before_request(_check_request)


def wraps_view(view: F) -> F:
    """Keep the declared action when another decorator wraps a view."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    wrapper._policy_action = getattr(view, "_policy_action", None)  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------------------- object level
# Queries are scoped to the user (AUTHZ-3): objects a user may not see answer 404 in every
# channel, so their existence is not disclosed.


def scoped_requisitions(user: Any) -> Any:
    """A ``select(Requisition)`` limited to what ``user`` may manage or read."""
    from sqlalchemy import false, select

    from .models import Requisition

    statement = select(Requisition)
    roles = user.role_names
    if A in roles or R in roles:
        return statement
    if HM in roles:
        return statement.where(Requisition.hiring_manager_id == user.id)
    return statement.where(false())


def assigned_application_ids(user: Any) -> Any:
    """A subquery of the application ids of interviews ``user`` is assigned to."""
    from sqlalchemy import select

    from .models import Interview, InterviewAssignment

    return (
        select(Interview.application_id)
        .join(InterviewAssignment, InterviewAssignment.interview_id == Interview.id)
        .where(InterviewAssignment.interviewer_id == user.id)
    )


def scoped_applications(user: Any) -> Any:
    """A ``select(Application)`` limited to what ``user`` may see (DESIGN.md 2b "see a candidate").

    Admins and recruiters see all; hiring managers their requisitions' applications and those they
    interview; interviewers only the applications of interviews they are assigned to.
    """
    from sqlalchemy import false, or_, select

    from .models import Application, Requisition

    statement = select(Application)
    roles = user.role_names
    if A in roles or R in roles:
        return statement
    conditions = []
    if HM in roles:
        own = select(Requisition.id).where(Requisition.hiring_manager_id == user.id)
        conditions.append(Application.requisition_id.in_(own))
    if IV in roles:
        conditions.append(Application.id.in_(assigned_application_ids(user)))
    if not conditions:
        return statement.where(false())
    return statement.where(or_(*conditions))


def scoped_candidates(user: Any) -> Any:
    """A ``select(Candidate)`` limited to candidates ``user`` may see."""
    from sqlalchemy import select

    from .models import Application, Candidate

    roles = user.role_names
    if A in roles or R in roles:
        return select(Candidate)
    visible = scoped_applications(user).with_only_columns(Application.candidate_id)
    return select(Candidate).where(Candidate.id.in_(visible))


def requisition_for(session: Any, user: Any, requisition_id: int) -> Any:
    """The requisition if ``user`` may manage it, else :class:`NotFound`."""
    from .models import Requisition
    from .operations import NotFound

    statement = scoped_requisitions(user).where(Requisition.id == requisition_id)
    requisition = session.scalar(statement)
    if requisition is None:
        raise NotFound("No such requisition.")
    return requisition


def application_for(session: Any, user: Any, application_id: int) -> Any:
    """The application if ``user`` may see it, else :class:`NotFound`."""
    from .models import Application
    from .operations import NotFound

    application = session.scalar(
        scoped_applications(user).where(Application.id == application_id)
    )
    if application is None:
        raise NotFound("No such application.")
    return application


def candidate_for(session: Any, user: Any, candidate_id: int) -> Any:
    """The candidate if ``user`` may see them, else :class:`NotFound`."""
    from .models import Candidate
    from .operations import NotFound

    candidate = session.scalar(scoped_candidates(user).where(Candidate.id == candidate_id))
    if candidate is None:
        raise NotFound("No such candidate.")
    return candidate


def can_manage_candidates_of(user: Any, requisition: Any) -> bool:
    """Whether ``user`` may import, edit and move candidates of ``requisition``."""
    return manages_requisition(user, requisition) and allows(user.role_names,
                                                             Action.MANAGE_CANDIDATES)
