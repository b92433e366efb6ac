"""Requisitions: list, open, settings, status, the plan editor with coverage, kits, scheduling."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from ..db import db_session
from ..forms import (
    ActionForm,
    RequisitionForm,
    RequisitionSettingsForm,
    ScheduleForm,
    StatusForm,
    StepForm,
)
from ..models import (
    Application,
    Candidate,
    DomainPack,
    Interview,
    ProfileVersion,
    Requisition,
    RoleProfile,
    User,
    UserRole,
)
from ..operations import Conflict, OperationError
from ..operations import interviews as interview_ops
from ..operations import requisitions as ops
from ..planning import MINUTES_PER_COMPETENCY
from ..policy import Action, application_for, requires, requisition_for, scoped_requisitions
from . import show_refusal

bp = Blueprint("requisitions", __name__, url_prefix="/requisitions")

PAGE_SIZE = 50  # rows per page of the requisition list and of a requisition's tables


def _page(arg: str, total: int) -> tuple[int, int]:
    """The requested page (clamped) and the number of pages for ``total`` rows."""
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return min(max(request.args.get(arg, 1, type=int) or 1, 1), pages), pages


def _requisition(requisition_id: int) -> Requisition:
    return requisition_for(db_session(), current_user, requisition_id)


def _users_with_role(role: str) -> list[User]:
    return list(db_session().scalars(
        select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True))
        .order_by(User.name)
    ))


@bp.get("")
@requires(Action.MANAGE_REQUISITIONS)
def index() -> str:
    """Requisitions the user may manage, with application counts per stage."""
    session = db_session()
    status = request.args.get("status", "")
    statement = scoped_requisitions(current_user).order_by(Requisition.created_at.desc())
    if status in ops.STATUS_LABELS:
        statement = statement.where(Requisition.status == status)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page, pages = _page("page", total)
    rows = session.scalars(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    counts: dict[int, int] = dict(session.execute(
        select(Application.requisition_id, func.count(Application.id))
        .where(Application.requisition_id.in_([r.id for r in rows]))
        .group_by(Application.requisition_id)
    ).all()) if rows else {}
    profiles = {pv.id: pv for pv in session.scalars(select(ProfileVersion).where(
        ProfileVersion.id.in_({r.profile_version_id for r in rows})))} if rows else {}
    managers = {u.id: u for u in session.scalars(select(User).where(
        User.id.in_({r.hiring_manager_id for r in rows})))} if rows else {}
    return render_template("requisitions/index.html", requisitions=rows, counts=counts,
                           profiles=profiles, managers=managers, status=status,
                           status_labels=ops.STATUS_LABELS, page=page, pages=pages,
                           total=total)


def _fill_requisition_choices(form: RequisitionForm | RequisitionSettingsForm) -> None:
    session = db_session()
    if isinstance(form, RequisitionForm):
        latest = session.execute(
            select(RoleProfile.key, ProfileVersion.name)
            .join(ProfileVersion, ProfileVersion.profile_id == RoleProfile.id)
            .where(RoleProfile.retired_at.is_(None))
            .order_by(RoleProfile.key, ProfileVersion.version_no.desc())
        ).all()
        seen: dict[str, str] = {}
        for key, name in latest:
            seen.setdefault(key, name)
        form.profile.choices = list(seen.items())
        form.domains.choices = [(p.key, p.name) for p in session.scalars(
            select(DomainPack).where(DomainPack.retired_at.is_(None)).order_by(DomainPack.name))]
        managers = _users_with_role("hiring_manager")
        if not current_user.role_names & {"admin", "recruiter"}:
            managers = [m for m in managers if m.id == current_user.id]
        form.hiring_manager.choices = [(m.id, m.name) for m in managers]
    form.team_model.choices = list(ops.TEAM_MODEL_LABELS.items())
    form.visibility.choices = list(ops.VISIBILITY_LABELS.items())


@bp.route("/new", methods=["GET", "POST"])
@requires(Action.MANAGE_REQUISITIONS)
def new() -> str | Response:
    """Open a requisition; its default plan is proposed from the profile."""
    form = RequisitionForm()
    _fill_requisition_choices(form)
    if request.method == "GET":
        form.timezone.data = current_user.timezone or "UTC"
        if current_user.has_role("hiring_manager"):
            form.hiring_manager.data = current_user.id
        # Opened from a role profile page: that profile and level are preselected.
        if request.args.get("profile") in dict(form.profile.choices):
            form.profile.data = request.args["profile"]
        if request.args.get("level") in dict(form.level.choices):
            form.level.data = request.args["level"]
    if not form.profile.choices:
        flash("Load the question bank first: `flask --app hiring bank load`.", "error")
    if form.validate_on_submit():
        session = db_session()
        try:
            requisition = ops.create_requisition(
                session, actor=current_user, title=form.title.data or "",
                profile_key=form.profile.data or "", level=form.level.data or "",
                hiring_manager_id=form.hiring_manager.data, domain_keys=form.domains.data or [],
                team_model=form.team_model.data or "", headcount=form.headcount.data or 1,
                location=form.location.data or "", timezone=form.timezone.data or "UTC",
                retention_days=form.retention_days.data or 365,
                visibility=form.visibility.data or "after_own",
            )
        except OperationError as exc:
            session.rollback()
            form.form_errors.append(str(exc))
        else:
            session.commit()
            flash("Requisition created as a draft with a proposed interview plan. Check the "
                  "plan's coverage, then open it.", "success")
            return redirect(url_for("requisitions.plan", requisition_id=requisition.id))
    return render_template("requisitions/new.html", form=form,
                           visibility_warning=ops.VISIBILITY_WARNING)


def _summary(requisition: Requisition) -> dict[str, Any]:
    session = db_session()
    manager = session.get(User, requisition.hiring_manager_id)
    packs = session.scalars(select(DomainPack).where(
        DomainPack.id.in_([d.domain_id for d in requisition.domains]))).all()
    return {"manager": manager, "packs": packs, "profile": requisition.profile_version}


@bp.get("/<int:requisition_id>")
@requires(Action.MANAGE_REQUISITIONS)
def detail(requisition_id: int) -> str:
    """Overview: settings, the plan's coverage, the pipeline and scheduled interviews."""
    session = db_session()
    requisition = _requisition(requisition_id)
    needs, report = ops.coverage_for(session, requisition)
    stage_counts = dict(session.execute(
        select(Application.stage, func.count(Application.id))
        .where(Application.requisition_id == requisition.id).group_by(Application.stage)
    ).all())
    page, pages = _page("page", sum(stage_counts.values()))
    applications = session.execute(
        select(Application, Candidate).join(Candidate)
        .where(Application.requisition_id == requisition.id)
        .order_by(Application.created_at.desc(), Application.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    of_requisition = select(Interview).join(Application).where(
        Application.requisition_id == requisition.id)
    interview_page, interview_pages = _page("ipage", session.scalar(
        select(func.count()).select_from(of_requisition.subquery())) or 0)
    interviews = session.scalars(
        of_requisition.order_by(Interview.starts_at.desc(), Interview.id.desc())
        .limit(PAGE_SIZE).offset((interview_page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "requisitions/detail.html", requisition=requisition, report=report, needs=needs,
        stage_counts=stage_counts, applications=applications, interviews=interviews,
        page=page, pages=pages, interview_page=interview_page, interview_pages=interview_pages,
        status_form=StatusForm(), status_labels=ops.STATUS_LABELS,
        transitions=ops.STATUS_TRANSITIONS, team_labels=ops.TEAM_MODEL_LABELS,
        visibility_labels=ops.VISIBILITY_LABELS, **_summary(requisition),
    )


@bp.route("/<int:requisition_id>/settings", methods=["GET", "POST"])
@requires(Action.MANAGE_REQUISITIONS)
def settings(requisition_id: int) -> tuple[str, int] | Response:
    """Edit settings; a stale save answers 409 with the input kept."""
    requisition = _requisition(requisition_id)
    form = RequisitionSettingsForm(obj=requisition if request.method == "GET" else None)
    _fill_requisition_choices(form)
    if request.method == "GET":
        form.version.data = str(requisition.version)
    status = 200
    if form.validate_on_submit():
        session = db_session()
        fields = {name: getattr(form, name).data for name in (
            "title", "team_model", "headcount", "location", "timezone", "retention_days",
            "visibility", "hide_scores")}
        try:
            ops.update_settings(session, requisition, actor=current_user,
                                expected_version=int(form.version.data or 0), **fields)
        except Conflict as exc:
            status = show_refusal(session, form, exc, note="Your changes are kept below; the "
                                  "saved values are shown beside them. Save again to overwrite.")
            form.version.data = str(_requisition(requisition_id).version)
        except OperationError as exc:
            # Forbidden (hiding scores is the hiring manager's) is said on the form.
            status = show_refusal(session, form, exc, raise_for=())
        else:
            session.commit()
            flash("Settings saved.", "success")
            return redirect(url_for("requisitions.detail", requisition_id=requisition.id))
    current = _requisition(requisition_id) if status == 409 else None
    return render_template("requisitions/settings.html", form=form, requisition=requisition,
                           current=current, visibility_warning=ops.VISIBILITY_WARNING), status


@bp.post("/<int:requisition_id>/status")
@requires(Action.MANAGE_REQUISITIONS)
def status(requisition_id: int) -> Response:
    """Open, hold or close the requisition (opening checks coverage)."""
    requisition = _requisition(requisition_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    session = db_session()
    try:
        ops.change_status(session, requisition, form.status.data or "", actor=current_user,
                          uncovered_reason=form.uncovered_reason.data or "")
    except OperationError as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("requisitions.plan", requisition_id=requisition_id)
                        if form.status.data == "open" else
                        url_for("requisitions.detail", requisition_id=requisition_id))
    session.commit()
    flash(f"Requisition is now {ops.STATUS_LABELS[requisition.status].lower()}.", "success")
    return redirect(url_for("requisitions.detail", requisition_id=requisition_id))


# ---------------------------------------------------------------------------- plan


def _step_form(requisition: Requisition, needs: list[ops.Need], step: Any = None,
               prefix: str = "") -> StepForm:
    form = StepForm(prefix=prefix, obj=step if request.method == "GET" else None)
    form.focus.choices = [(n.competency_id, n.name) for n in needs]
    if step is not None and request.method == "GET":
        form.focus.data = [f.competency_id for f in step.focus]
        form.version.data = str(step.version)
    return form


@bp.get("/<int:requisition_id>/plan")
@requires(Action.MANAGE_REQUISITIONS)
def plan(requisition_id: int) -> str:
    """The plan editor with the live coverage check."""
    return _render_plan(_requisition(requisition_id))


def _render_plan(requisition: Requisition, *, failed_step: int | None = None,
                 failed_form: StepForm | None = None, status: int = 200) -> Any:
    session = db_session()
    needs, report = ops.coverage_for(session, requisition)
    forms = {}
    for step in requisition.steps:
        if failed_step == step.id and failed_form is not None:
            forms[step.id] = failed_form
        else:
            forms[step.id] = _step_form(requisition, needs, step, prefix=f"s{step.id}")
    new_form = failed_form if failed_step == 0 and failed_form is not None else \
        _step_form(requisition, needs, prefix="new")
    if failed_step != 0:
        new_form.minutes.data = new_form.minutes.data or 45
    kits = {step.id: ops.current_kit(session, step) for step in requisition.steps}
    by_id = {n.competency_id: n for n in needs}
    return render_template(
        "requisitions/plan.html", requisition=requisition, needs=needs, by_id=by_id,
        report=report, forms=forms, new_form=new_form, kits=kits, action_form=ActionForm(),
        status_form=StatusForm(), rate=MINUTES_PER_COMPETENCY, status_labels=ops.STATUS_LABELS,
    ), status


@bp.post("/<int:requisition_id>/plan/steps")
@requires(Action.MANAGE_REQUISITIONS)
def add_step(requisition_id: int) -> Any:
    """Add an interview to the plan."""
    requisition = _requisition(requisition_id)
    needs = ops.requisition_needs(db_session(), requisition)
    form = _step_form(requisition, needs, prefix="new")
    if not form.validate_on_submit():
        return _render_plan(requisition, failed_step=0, failed_form=form, status=400)
    session = db_session()
    try:
        ops.add_step(session, requisition, actor=current_user, name=form.name.data or "",
                     minutes=form.minutes.data or 0, focus_ids=form.focus.data or [])
    except OperationError as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return _render_plan(_requisition(requisition_id), failed_step=0, failed_form=form,
                            status=exc.status)
    session.commit()
    flash("Interview added to the plan, with a proposed kit.", "success")
    return redirect(url_for("requisitions.plan", requisition_id=requisition_id))


@bp.post("/<int:requisition_id>/plan/steps/<int:step_id>")
@requires(Action.MANAGE_REQUISITIONS)
def update_step(requisition_id: int, step_id: int) -> Any:
    """Save an interview's name, minutes and focus."""
    requisition = _requisition(requisition_id)
    needs = ops.requisition_needs(db_session(), requisition)
    form = _step_form(requisition, needs, prefix=f"s{step_id}")
    if not form.validate_on_submit():
        return _render_plan(requisition, failed_step=step_id, failed_form=form, status=400)
    session = db_session()
    try:
        ops.update_step(session, requisition, step_id, actor=current_user,
                        name=form.name.data or "", minutes=form.minutes.data or 0,
                        focus_ids=form.focus.data or [],
                        expected_version=int(form.version.data or 0))
    except OperationError as exc:
        session.rollback()
        form.form_errors.append(str(exc) + (" Your changes are kept below; save again to "
                                            "overwrite." if isinstance(exc, Conflict) else ""))
        if isinstance(exc, Conflict):
            fresh = next((s for s in _requisition(requisition_id).steps if s.id == step_id),
                         None)
            form.version.data = str(fresh.version) if fresh else form.version.data
        return _render_plan(_requisition(requisition_id), failed_step=step_id,
                            failed_form=form, status=exc.status)
    session.commit()
    flash("Interview saved; coverage updated.", "success")
    return redirect(url_for("requisitions.plan", requisition_id=requisition_id,
                            _anchor=f"step-{step_id}"))


@bp.post("/<int:requisition_id>/plan/steps/<int:step_id>/delete")
@requires(Action.MANAGE_REQUISITIONS)
def remove_step(requisition_id: int, step_id: int) -> Response:
    """Remove an interview from the plan."""
    return _plan_action(requisition_id, lambda s, r: ops.remove_step(
        s, r, step_id, actor=current_user), "Interview removed from the plan.")


@bp.post("/<int:requisition_id>/plan/steps/<int:step_id>/move")
@requires(Action.MANAGE_REQUISITIONS)
def move_step(requisition_id: int, step_id: int) -> Response:
    """Move an interview up or down."""
    direction = -1 if request.form.get("direction") == "up" else 1
    return _plan_action(requisition_id, lambda s, r: ops.move_step(
        s, r, step_id, actor=current_user, direction=direction), None)


@bp.post("/<int:requisition_id>/plan/reset")
@requires(Action.MANAGE_REQUISITIONS)
def reset_plan(requisition_id: int) -> Response:
    """Replace the plan with the default proposal (only before any interview is scheduled)."""
    return _plan_action(requisition_id, lambda s, r: ops.apply_default_plan(s, r),
                        "The default plan was proposed again.")


def _plan_action(requisition_id: int, action: Any, message: str | None) -> Response:
    requisition = _requisition(requisition_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db_session()
    try:
        action(session, requisition)
    except OperationError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        session.commit()
        if message:
            flash(message, "success")
    return redirect(url_for("requisitions.plan", requisition_id=requisition_id))


# ---------------------------------------------------------------------------- kits


@bp.get("/<int:requisition_id>/plan/steps/<int:step_id>/kit")
@requires(Action.MANAGE_REQUISITIONS)
def kit(requisition_id: int, step_id: int) -> str:
    """The kit editor: the questions every candidate gets in this interview."""
    session = db_session()
    requisition = _requisition(requisition_id)
    step = next((s for s in requisition.steps if s.id == step_id), None)
    if step is None:
        abort(404)
    current = ops.current_kit(session, step)
    in_kit = {item.question_version_id for item in current.items} if current else set()
    choices = [q for q in ops.kit_question_choices(session, requisition, step)
               if q.id not in in_kit]
    used = session.scalar(select(func.count(Interview.id)).where(
        Interview.kit_version_id == current.id)) if current else 0
    names = {cid: cv.name for cid, cv in ops.latest_competency_versions(
        session, [f.competency_id for f in step.focus]).items()}
    kit_minutes = sum(item.question_version.minutes for item in current.items) if current else 0
    return render_template(
        "requisitions/kit.html", requisition=requisition, step=step, kit=current,
        choices=choices, used=used, names=names, kit_minutes=kit_minutes,
        action_form=ActionForm(),
    )


@bp.post("/<int:requisition_id>/plan/steps/<int:step_id>/kit")
@requires(Action.MANAGE_REQUISITIONS)
def kit_change(requisition_id: int, step_id: int) -> Response:
    """Add or remove a question, or propose the kit again."""
    requisition = _requisition(requisition_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db_session()
    operation = request.form.get("op", "")
    try:
        version_id = int(request.form.get("question_version_id", "0") or 0)
        if operation == "add":
            ops.kit_add_question(session, requisition, step_id, actor=current_user,
                                 question_version_id=version_id)
        elif operation == "remove":
            ops.kit_remove_question(session, requisition, step_id, actor=current_user,
                                    question_version_id=version_id)
        elif operation == "propose":
            ops.kit_repropose(session, requisition, step_id, actor=current_user)
        else:
            abort(400)
    except (OperationError, ValueError) as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        session.commit()
        flash("Kit updated. Interviews already scheduled keep the kit version they were "
              "scheduled with.", "success")
    return redirect(url_for("requisitions.kit", requisition_id=requisition_id, step_id=step_id))


# ---------------------------------------------------------------------------- scheduling


def _schedule_form(requisition: Requisition) -> ScheduleForm:
    form = ScheduleForm()
    form.step.choices = [(s.id, f"{s.position}. {s.name} ({s.minutes} min)")
                         for s in requisition.steps]
    form.interviewers.choices = [(u.id, u.name) for u in _users_with_role("interviewer")]
    return form


@bp.route("/<int:requisition_id>/applications/<int:application_id>/schedule",
          methods=["GET", "POST"])
@requires(Action.MANAGE_CANDIDATES)
def schedule(requisition_id: int, application_id: int) -> Any:
    """Schedule an interview of the loop for one application."""
    session = db_session()
    requisition = _requisition(requisition_id)
    application = application_for(session, current_user, application_id)
    if application.requisition_id != requisition.id:
        abort(404)
    form = _schedule_form(requisition)
    if request.method == "GET":
        wanted = request.args.get("step", type=int)
        step = next((s for s in requisition.steps if s.id == wanted), None) or \
            (requisition.steps[0] if requisition.steps else None)
        if step is not None:
            form.step.data = step.id
            form.minutes.data = step.minutes
    status = 200
    if form.validate_on_submit():
        try:
            starts_at = interview_ops.local_to_utc(form.date.data or "", form.time.data or "",
                                                   current_user.timezone or "UTC")
            interview = interview_ops.schedule_interview(
                session, actor=current_user, application=application, step_id=form.step.data,
                starts_at=starts_at, minutes=form.minutes.data or 0,
                interviewer_ids=form.interviewers.data or [], location=form.location.data or "",
                video_url=form.video_url.data or "",
            )
        except OperationError as exc:
            status = show_refusal(session, form, exc, raise_for=())
        else:
            session.commit()
            interview_ops.send_pending_invitations()
            flash("Interview scheduled; the interviewers have their invitations.", "success")
            return redirect(url_for("interviews.detail", interview_id=interview.id))
    elif request.method == "POST":
        status = 400
    return render_template("requisitions/schedule.html", form=form, requisition=requisition,
                           application=application, tz=current_user.timezone or "UTC"), status

