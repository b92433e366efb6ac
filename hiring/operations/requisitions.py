"""Requisitions, their interview plans (with the coverage check) and kits (versioned).

A requisition is pinned to the profile version current when it opens. Its plan is proposed from
the profile level and the chosen domain packs and stays editable. A kit version holds the focus
competencies and questions every candidate of a plan step gets; once an interview uses a kit
version it is frozen, and the next change makes a new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session

from ..models import (
    Competency,
    CompetencyVersion,
    DomainDefault,
    DomainPack,
    Interview,
    KitItem,
    KitVersion,
    KitVersionFocus,
    Level,
    PlanStep,
    PlanStepFocus,
    ProfileEntry,
    ProfileVersion,
    Question,
    QuestionVersion,
    Requisition,
    RequisitionDomain,
    RequisitionStatus,
    Role,
    RoleProfile,
    TeamModel,
    User,
    Visibility,
)
from ..planning import (
    CompetencyNeed,
    CoverageReport,
    QuestionOption,
    check_coverage,
    propose_kit,
    propose_plan,
)
from ..policy import manages_requisition
from . import Conflict, Forbidden, NotFound, OperationError
from .audit import record

STATUS_TRANSITIONS = {
    RequisitionStatus.DRAFT.value: {RequisitionStatus.OPEN.value, RequisitionStatus.CLOSED.value},
    RequisitionStatus.OPEN.value: {RequisitionStatus.ON_HOLD.value,
                                   RequisitionStatus.CLOSED.value},
    RequisitionStatus.ON_HOLD.value: {RequisitionStatus.OPEN.value,
                                      RequisitionStatus.CLOSED.value},
    RequisitionStatus.CLOSED.value: set(),
}
STATUS_LABELS = {"draft": "Draft", "open": "Open", "on_hold": "On hold", "closed": "Closed"}
VISIBILITY_LABELS = {
    Visibility.AFTER_OWN.value: "After submitting your own scorecard (recommended)",
    Visibility.AFTER_PANEL.value: "After the whole panel has submitted",
    Visibility.ALWAYS.value: "Always (discouraged)",
}
VISIBILITY_WARNING = (
    "Seeing colleagues' ratings before writing your own anchors you to theirs: the panel then "
    "agrees more but is right less often, and the reliability report overstates agreement. "
    "Choose 'always' only for a panel that cannot work otherwise."
)
TEAM_MODEL_LABELS = {
    TeamModel.CENTRALIZED.value: "Centralized (core ML group)",
    TeamModel.DECENTRALIZED.value: "Decentralized (cross-functional product team)",
    TeamModel.HYBRID.value: "Hybrid",
}


# ---------------------------------------------------------------------------- lookups


def current_profile_version(session: Session, profile_key: str) -> ProfileVersion:
    """The newest version of an active role profile."""
    version = session.scalar(
        select(ProfileVersion).join(RoleProfile)
        .where(RoleProfile.key == profile_key, RoleProfile.retired_at.is_(None))
        .order_by(ProfileVersion.version_no.desc()).limit(1)
    )
    if version is None:
        raise OperationError(f"No role profile {profile_key!r}; load the question bank first.")
    return version


def _newest_only(query: Select[Any], competency_ids: Any) -> Select[Any]:
    """``query`` (on competency versions) narrowed to each competency's newest version."""
    newest = (
        select(CompetencyVersion.competency_id, func.max(CompetencyVersion.version_no).label("v"))
        .where(CompetencyVersion.competency_id.in_(competency_ids))
        .group_by(CompetencyVersion.competency_id).subquery()
    )
    return query.join(newest, (CompetencyVersion.competency_id == newest.c.competency_id)
                      & (CompetencyVersion.version_no == newest.c.v))


#: Built once: every scorecard page and save runs it.
_NEWEST_VERSION_IDS = _newest_only(
    select(CompetencyVersion.competency_id, CompetencyVersion.id),
    bindparam("competency_ids", expanding=True))


def latest_competency_versions(session: Session, competency_ids: Sequence[int]
                               ) -> dict[int, CompetencyVersion]:
    """The newest version of each competency, by competency id."""
    if not competency_ids:
        return {}
    rows = session.scalars(_newest_only(select(CompetencyVersion), competency_ids)).all()
    return {row.competency_id: row for row in rows}


def latest_competency_version_ids(session: Session, competency_ids: Sequence[int]
                                  ) -> dict[int, int]:
    """The id of the newest version of each competency, by competency id (one light query)."""
    if not competency_ids:
        return {}
    rows = session.execute(_NEWEST_VERSION_IDS, {"competency_ids": list(competency_ids)})
    return {cid: vid for cid, vid in rows}


@dataclass(frozen=True)
class Need:
    """A competency the requisition's plan must cover, with its weight, bar and names."""

    competency_id: int
    key: str
    name: str
    category: str
    weight: int
    bar: int
    must_have: bool
    source: str  # "profile" or the domain pack key


def requisition_needs(session: Session, requisition: Requisition) -> list[Need]:
    """The profile level's competencies plus the chosen domain packs' (profile wins on overlap)."""
    entries = session.execute(
        select(ProfileEntry, Competency)
        .join(Competency, Competency.id == ProfileEntry.competency_id)
        .where(ProfileEntry.profile_version_id == requisition.profile_version_id,
               ProfileEntry.level == requisition.level)
    ).all()
    pack_ids = [d.domain_id for d in requisition.domains]
    defaults = session.execute(
        select(DomainDefault, Competency, DomainPack.key)
        .join(Competency, Competency.id == DomainDefault.competency_id)
        .join(DomainPack, DomainPack.id == DomainDefault.domain_id)
        .where(DomainDefault.domain_id.in_(pack_ids), DomainDefault.level == requisition.level)
    ).all() if pack_ids else []
    ids = [c.id for _, c in entries] + [c.id for _, c, _ in defaults]
    names = latest_competency_versions(session, ids)
    needs: dict[int, Need] = {}
    for entry, competency in entries:
        needs[competency.id] = Need(
            competency.id, competency.key, names[competency.id].name if competency.id in names
            else competency.key, competency.category, entry.weight, entry.bar, entry.must_have,
            "profile",
        )
    for default, competency, pack_key in defaults:
        if competency.id not in needs:
            needs[competency.id] = Need(
                competency.id, competency.key, names[competency.id].name
                if competency.id in names else competency.key, competency.category,
                default.weight, default.bar, False, pack_key,
            )
    return sorted(needs.values(), key=lambda n: ({"technical": 0, "domain": 1, "soft": 2}
                                                 .get(n.category, 3), -n.weight, n.name))


def _work_sample_competencies(session: Session, competency_ids: Sequence[int]) -> set[int]:
    rows = session.execute(
        select(Question.competency_id).join(QuestionVersion)
        .where(Question.competency_id.in_(competency_ids), Question.retired_at.is_(None),
               QuestionVersion.kind == "work-sample")
    ).all()
    return {row[0] for row in rows}


def current_kit(session: Session, step: PlanStep) -> KitVersion | None:
    """The newest kit version of ``step``."""
    return session.scalar(
        select(KitVersion).where(KitVersion.step_id == step.id)
        .order_by(KitVersion.version_no.desc()).limit(1)
    )


def coverage_for(session: Session, requisition: Requisition) -> tuple[list[Need], CoverageReport]:
    """The requisition's needs and the coverage report of its current plan."""
    needs = requisition_needs(session, requisition)
    by_id = {n.competency_id: n.key for n in needs}
    steps = []
    for step in requisition.steps:
        focus_ids = [f.competency_id for f in step.focus]
        keys = [by_id.get(cid, f"#{cid}") for cid in focus_ids]
        steps.append((step.minutes, keys))
    report = check_coverage(
        [CompetencyNeed(n.key, n.name, n.category, n.weight, n.must_have) for n in needs], steps
    )
    return needs, report


# ---------------------------------------------------------------------------- requisitions


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise OperationError(f"Unknown time zone {name!r} (use e.g. Europe/Berlin).") from exc
    return name


def _check_hiring_manager(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or Role.HIRING_MANAGER.value not in user.role_names:
        raise OperationError("The hiring manager must be an active user with the hiring "
                             "manager role.")
    return user


def create_requisition(
    session: Session,
    *,
    actor: User,
    title: str,
    profile_key: str,
    level: str,
    hiring_manager_id: int,
    domain_keys: Sequence[str] = (),
    team_model: str = TeamModel.HYBRID.value,
    headcount: int = 1,
    location: str = "",
    timezone: str = "UTC",
    retention_days: int = 365,
    visibility: str = Visibility.AFTER_OWN.value,
) -> Requisition:
    """Open a draft requisition pinned to the profile's current version, with a default plan."""
    roles = actor.role_names
    if not roles & {Role.ADMIN.value, Role.RECRUITER.value, Role.HIRING_MANAGER.value}:
        raise Forbidden("You may not create requisitions.")
    if not roles & {Role.ADMIN.value, Role.RECRUITER.value} and hiring_manager_id != actor.id:
        raise Forbidden("A hiring manager opens requisitions they manage themselves.")
    title = title.strip()
    if not title:
        raise OperationError("A requisition needs a title.")
    if level not in Level.values():
        raise OperationError(f"Level must be one of {', '.join(Level.values())}.")
    if team_model not in TeamModel.values():
        raise OperationError(f"Team model must be one of {', '.join(TeamModel.values())}.")
    if visibility not in Visibility.values():
        raise OperationError(f"Visibility must be one of {', '.join(Visibility.values())}.")
    if headcount < 1 or retention_days < 1:
        raise OperationError("Headcount and retention period must be at least 1.")
    _check_hiring_manager(session, hiring_manager_id)
    profile_version = current_profile_version(session, profile_key)
    packs = []
    for key in dict.fromkeys(domain_keys):
        pack = session.scalar(select(DomainPack).where(DomainPack.key == key,
                                                       DomainPack.retired_at.is_(None)))
        if pack is None:
            raise OperationError(f"No domain pack {key!r}.")
        packs.append(pack)
    requisition = Requisition(
        title=title, profile_version_id=profile_version.id, level=level,
        team_model=team_model, hiring_manager_id=hiring_manager_id, headcount=headcount,
        location=location.strip(), timezone=_check_timezone(timezone),
        retention_days=retention_days, visibility=visibility, created_by_id=actor.id,
    )
    requisition.domains = [RequisitionDomain(domain_id=p.id) for p in packs]
    session.add(requisition)
    session.flush()
    apply_default_plan(session, requisition)
    record(session, "requisition.create", actor_id=actor.id, subject_type="requisition",
           subject_id=requisition.id, profile_version=profile_version.id, level=level)
    return requisition


def update_settings(
    session: Session, requisition: Requisition, *, actor: User, expected_version: int,
    **fields: object,
) -> None:
    """Change title, headcount, location, time zone, team model, retention, visibility or
    whether scores are hidden. The profile and level stay pinned (a new requisition changes them).
    """
    _require_manager(actor, requisition)
    # Re-read under a row lock so that two saves sent with the same version cannot both pass
    # the check (PostgreSQL; on SQLite BEGIN IMMEDIATE already serialises them).
    session.scalar(select(Requisition).where(Requisition.id == requisition.id)
                   .with_for_update().execution_options(populate_existing=True))
    if requisition.version != expected_version:
        raise Conflict("This requisition was changed by someone else since you opened it.")
    allowed = {"title", "headcount", "location", "timezone", "team_model", "retention_days",
               "visibility", "hide_scores"}
    unknown = set(fields) - allowed
    if unknown:
        raise OperationError(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "hiring_manager_id" in fields:  # pragma: no cover - guarded by ``allowed``
        raise OperationError("The hiring manager is changed by an admin or recruiter.")
    if "hide_scores" in fields and fields["hide_scores"] != requisition.hide_scores and \
            actor.id != requisition.hiring_manager_id:
        raise Forbidden("Only the requisition's hiring manager can hide or show scores.")
    if "visibility" in fields and fields["visibility"] not in Visibility.values():
        raise OperationError("Unknown visibility setting.")
    if "team_model" in fields and fields["team_model"] not in TeamModel.values():
        raise OperationError("Unknown team model.")
    if "timezone" in fields:
        _check_timezone(str(fields["timezone"]))
    if "title" in fields and not str(fields["title"]).strip():
        raise OperationError("A requisition needs a title.")
    changed = []
    for name, value in fields.items():
        if getattr(requisition, name) != value:
            setattr(requisition, name, value)
            changed.append(name)
    if changed:
        requisition.version += 1
        record(session, "requisition.update", actor_id=actor.id, subject_type="requisition",
               subject_id=requisition.id, fields=changed)


def change_status(
    session: Session, requisition: Requisition, to_status: str, *, actor: User,
    uncovered_reason: str = "",
) -> None:
    """Move a requisition between draft, open, on hold and closed.

    Opening checks the plan's coverage: with a competency uncovered (or a must-have covered
    once) it is refused unless the hiring manager records a reason.
    """
    _require_manager(actor, requisition)
    if to_status not in STATUS_TRANSITIONS.get(requisition.status, set()):
        raise OperationError(
            f"A {STATUS_LABELS[requisition.status].lower()} requisition cannot become "
            f"{STATUS_LABELS.get(to_status, to_status).lower()}."
        )
    if to_status == RequisitionStatus.OPEN.value:
        _, report = coverage_for(session, requisition)
        if not report.ok:
            reason = uncovered_reason.strip()
            if not reason:
                raise OperationError(
                    "The plan leaves gaps: " + "; ".join(report.problems[:6])
                    + ". Fix the plan, or the hiring manager records why it may open anyway."
                )
            if actor.id != requisition.hiring_manager_id:
                raise Forbidden("Only the hiring manager can open a requisition with gaps.")
            requisition.uncovered_reason = reason
    requisition.status = to_status
    requisition.version += 1
    record(session, "requisition.status", actor_id=actor.id, subject_type="requisition",
           subject_id=requisition.id, status=to_status,
           with_gaps=bool(requisition.uncovered_reason and to_status == "open"))


def _require_manager(actor: User, requisition: Requisition) -> None:
    if not manages_requisition(actor, requisition):
        raise NotFound("No such requisition.")


# ---------------------------------------------------------------------------- plans


def apply_default_plan(session: Session, requisition: Requisition) -> None:
    """Replace an unused plan with the default proposal for the profile level and packs."""
    needs = requisition_needs(session, requisition)
    samples = _work_sample_competencies(session, [n.competency_id for n in needs])
    drafts = propose_plan([
        CompetencyNeed(n.key, n.name, n.category, n.weight, n.must_have,
                       n.competency_id in samples) for n in needs
    ])
    by_key = {n.key: n.competency_id for n in needs}
    if any(_kit_in_use(session, step) for step in requisition.steps):
        raise OperationError("Interviews are already scheduled on this plan; edit it instead.")
    for step in list(requisition.steps):
        session.delete(step)
    session.flush()
    for position, draft in enumerate(drafts, start=1):
        step = PlanStep(requisition_id=requisition.id, position=position, name=draft.name,
                        minutes=draft.minutes)
        step.focus = [PlanStepFocus(competency_id=by_key[key]) for key in draft.focus]
        session.add(step)
        session.flush()
        _new_kit_version(session, step, requisition, propose=True)
    session.expire(requisition, ["steps"])


def _kit_in_use(session: Session, step: PlanStep) -> bool:
    return session.scalar(
        select(func.count(Interview.id)).where(Interview.plan_step_id == step.id)
    ) > 0


def _question_options(session: Session, competency_ids: Sequence[int]) -> list[QuestionOption]:
    """Newest versions of active questions for ``competency_ids``, as plain options."""
    if not competency_ids:
        return []
    newest = (
        select(QuestionVersion.question_id, func.max(QuestionVersion.version_no).label("v"))
        .group_by(QuestionVersion.question_id).subquery()
    )
    rows = session.execute(
        select(QuestionVersion, Question, Competency.key)
        .join(newest, (QuestionVersion.question_id == newest.c.question_id)
              & (QuestionVersion.version_no == newest.c.v))
        .join(Question, Question.id == QuestionVersion.question_id)
        .join(Competency, Competency.id == Question.competency_id)
        .where(Question.competency_id.in_(competency_ids), Question.retired_at.is_(None))
    ).all()
    public = {q.id: q.public_id for _, q, _ in rows}
    return [
        QuestionOption(
            version_id=version.id, competency=key, kind=version.kind, minutes=version.minutes,
            levels=tuple(version.levels), public_id=question.public_id,
            alternate_of=public.get(question.alternate_of_id) if question.alternate_of_id
            else None,
        )
        for version, question, key in rows
    ]


def _new_kit_version(session: Session, step: PlanStep, requisition: Requisition, *,
                     propose: bool, keep_items: Sequence[int] = ()) -> KitVersion:
    """A new kit version for ``step`` with its current focus; questions kept or proposed."""
    previous = current_kit(session, step)
    kit = KitVersion(step_id=step.id, version_no=(previous.version_no + 1) if previous else 1)
    focus_ids = [f.competency_id for f in step.focus]
    kit.focus = [KitVersionFocus(competency_id=cid, position=i) for i, cid in enumerate(focus_ids)]
    options = _question_options(session, focus_ids)
    key_of = {c.id: c.key for c in session.scalars(
        select(Competency).where(Competency.id.in_(focus_ids)))} if focus_ids else {}
    keep = [vid for vid in keep_items
            if any(o.version_id == vid for o in options)
            or _version_competency(session, vid) in focus_ids]
    if propose:
        proposed = propose_kit([key_of[cid] for cid in focus_ids if cid in key_of], step.minutes,
                               requisition.level, options,
                               prefer_work_sample=step.name.lower().startswith("work sample"))
        covered = {_version_competency(session, vid) for vid in keep}
        extra = [vid for vid in proposed
                 if _version_competency(session, vid) not in covered and vid not in keep]
        keep = [*keep, *extra]
    kit.items = [KitItem(question_version_id=vid, position=i) for i, vid in enumerate(keep)]
    session.add(kit)
    session.flush()
    return kit


def _version_competency(session: Session, version_id: int) -> int | None:
    return session.scalar(
        select(Question.competency_id).join(QuestionVersion)
        .where(QuestionVersion.id == version_id)
    )


def _editable_kit(session: Session, step: PlanStep, requisition: Requisition) -> KitVersion:
    """The kit to edit: the current one if no interview uses it, else a new version (copy)."""
    kit = current_kit(session, step)
    if kit is not None and not session.scalar(
        select(func.count(Interview.id)).where(Interview.kit_version_id == kit.id)
    ):
        return kit
    return _new_kit_version(session, step, requisition, propose=False,
                            keep_items=[i.question_version_id for i in kit.items] if kit else [])


def _step(session: Session, requisition: Requisition, step_id: int) -> PlanStep:
    step = session.get(PlanStep, step_id)
    if step is None or step.requisition_id != requisition.id:
        raise NotFound("No such interview in this plan.")
    return step


def add_step(session: Session, requisition: Requisition, *, actor: User, name: str,
             minutes: int, focus_ids: Sequence[int]) -> PlanStep:
    """Append an interview to the plan and propose its kit."""
    _require_manager(actor, requisition)
    _validate_step(session, requisition, name, minutes, focus_ids)
    step = PlanStep(requisition_id=requisition.id, name=name.strip(), minutes=minutes,
                    position=len(requisition.steps) + 1)
    step.focus = [PlanStepFocus(competency_id=cid) for cid in dict.fromkeys(focus_ids)]
    session.add(step)
    session.flush()
    _new_kit_version(session, step, requisition, propose=True)
    _touch(session, requisition, actor, "plan.add_step", step.id)
    return step


def update_step(session: Session, requisition: Requisition, step_id: int, *, actor: User,
                name: str, minutes: int, focus_ids: Sequence[int],
                expected_version: int) -> PlanStep:
    """Rename, re-time or refocus an interview. A focus change updates the kit (a new kit
    version when interviews already use the current one); kept competencies keep their questions,
    new ones get proposed questions."""
    _require_manager(actor, requisition)
    step = _step(session, requisition, step_id)
    if step.version != expected_version:
        raise Conflict("This interview of the plan was changed by someone else meanwhile.")
    _validate_step(session, requisition, name, minutes, focus_ids)
    new_focus = list(dict.fromkeys(focus_ids))
    old_focus = [f.competency_id for f in step.focus]
    step.name = name.strip()
    step.minutes = minutes
    if new_focus != old_focus:
        keep_items: list[int] = []
        kit = current_kit(session, step)
        if kit is not None:
            keep_items = [i.question_version_id for i in kit.items
                          if _version_competency(session, i.question_version_id) in new_focus]
        # Kept competencies keep their rows: a new row for one would be inserted before the
        # old one is deleted and break the (step, competency) unique constraint.
        existing = {f.competency_id: f for f in step.focus}
        step.focus = [existing.get(cid) or PlanStepFocus(competency_id=cid)
                      for cid in new_focus]
        session.flush()
        if kit is not None and not _kit_in_use(session, step):
            session.delete(kit)
            session.flush()
        _new_kit_version(session, step, requisition, propose=True, keep_items=keep_items)
    step.version += 1
    _touch(session, requisition, actor, "plan.update_step", step.id)
    return step


def remove_step(session: Session, requisition: Requisition, step_id: int, *, actor: User) -> None:
    """Remove an interview from the plan (refused when interviews were scheduled on it)."""
    _require_manager(actor, requisition)
    step = _step(session, requisition, step_id)
    if _kit_in_use(session, step):
        raise OperationError("Interviews were scheduled on this step; cancel them first, or "
                             "keep the step.")
    session.delete(step)
    session.flush()
    for position, other in enumerate(
        sorted((s for s in requisition.steps if s.id != step_id), key=lambda s: s.position), 1
    ):
        other.position = position
    session.expire(requisition, ["steps"])
    _touch(session, requisition, actor, "plan.remove_step", step_id)


def move_step(session: Session, requisition: Requisition, step_id: int, *, actor: User,
              direction: int) -> None:
    """Move an interview one place up (-1) or down (+1) in the plan."""
    _require_manager(actor, requisition)
    steps = sorted(requisition.steps, key=lambda s: s.position)
    index = next((i for i, s in enumerate(steps) if s.id == step_id), None)
    if index is None:
        raise NotFound("No such interview in this plan.")
    target = index + (1 if direction > 0 else -1)
    if 0 <= target < len(steps):
        steps[index], steps[target] = steps[target], steps[index]
        # Two passes: positions are not unique-constrained, but keep them tidy.
        for position, step in enumerate(steps, 1):
            step.position = position
    _touch(session, requisition, actor, "plan.move_step", step_id)


def _validate_step(session: Session, requisition: Requisition, name: str, minutes: int,
                   focus_ids: Sequence[int]) -> None:
    if not name.strip():
        raise OperationError("An interview needs a name.")
    if not 5 <= minutes <= 480:
        raise OperationError("Minutes must be between 5 and 480.")
    allowed = {n.competency_id for n in requisition_needs(session, requisition)}
    unknown = [cid for cid in focus_ids if cid not in allowed]
    if unknown:
        raise OperationError("Focus competencies must come from the profile level or the "
                             "requisition's domain packs.")


def _touch(session: Session, requisition: Requisition, actor: User, action: str,
           step_id: int) -> None:
    requisition.version += 1
    record(session, action, actor_id=actor.id, subject_type="requisition",
           subject_id=requisition.id, step=step_id)


# ---------------------------------------------------------------------------- kits


def kit_add_question(session: Session, requisition: Requisition, step_id: int, *,
                     actor: User, question_version_id: int) -> KitVersion:
    """Add a question (one of the step's focus competencies, suited to the level)."""
    _require_manager(actor, requisition)
    step = _step(session, requisition, step_id)
    focus_ids = {f.competency_id for f in step.focus}
    version = session.get(QuestionVersion, question_version_id)
    if version is None or version.question.competency_id not in focus_ids \
            or version.question.retired_at is not None:
        raise OperationError("Choose a current question on one of this interview's focus "
                             "competencies.")
    kit = _editable_kit(session, step, requisition)
    if any(item.question_version_id == question_version_id for item in kit.items):
        raise OperationError("That question is already in the kit.")
    kit.items.append(KitItem(question_version_id=question_version_id,
                             position=len(kit.items)))
    session.flush()
    _touch(session, requisition, actor, "kit.add_question", step.id)
    return kit


def kit_remove_question(session: Session, requisition: Requisition, step_id: int, *,
                        actor: User, question_version_id: int) -> KitVersion:
    """Remove a question from the step's kit."""
    _require_manager(actor, requisition)
    step = _step(session, requisition, step_id)
    kit = _editable_kit(session, step, requisition)
    remaining = [i for i in kit.items if i.question_version_id != question_version_id]
    if len(remaining) == len(kit.items):
        raise OperationError("That question is not in the kit.")
    kit.items = remaining
    for position, item in enumerate(kit.items):
        item.position = position
    session.flush()
    _touch(session, requisition, actor, "kit.remove_question", step.id)
    return kit


def kit_repropose(session: Session, requisition: Requisition, step_id: int, *,
                  actor: User) -> KitVersion:
    """Replace the step's questions with a fresh proposal from the bank."""
    _require_manager(actor, requisition)
    step = _step(session, requisition, step_id)
    kit = current_kit(session, step)
    if kit is not None and not _kit_in_use(session, step):
        session.delete(kit)
        session.flush()
    new = _new_kit_version(session, step, requisition, propose=True)
    _touch(session, requisition, actor, "kit.repropose", step.id)
    return new


def kit_question_choices(session: Session, requisition: Requisition, step: PlanStep
                         ) -> list[QuestionVersion]:
    """Current questions on the step's focus competencies suited to the requisition's level."""
    options = _question_options(session, [f.competency_id for f in step.focus])
    ids = [o.version_id for o in options if requisition.level in o.levels]
    if not ids:
        return []
    return list(session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids))))
