"""Accounts: creating users, roles, passwords, disabling, login with throttling, revocation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import LoginThrottle, Role, User, UserRole, utcnow
from ..security import (
    burn_verification_time,
    generate_password,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from . import Conflict, NotFound, OperationError
from .audit import record

ROLE_LABELS = {
    Role.ADMIN.value: "Admin",
    Role.RECRUITER.value: "Recruiter",
    Role.HIRING_MANAGER.value: "Hiring manager",
    Role.INTERVIEWER.value: "Interviewer",
    Role.AUDITOR.value: "Auditor",
}


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased e-mail address (addresses are compared case-insensitively)."""
    return email.strip().lower()


def parse_roles(roles: list[str]) -> list[str]:
    """Validated, de-duplicated role names (``hiring-manager`` is read as ``hiring_manager``)."""
    cleaned: list[str] = []
    for raw in roles:
        role = raw.strip().lower().replace("-", "_").replace(" ", "_")
        if role not in Role.values():
            raise OperationError(
                f"Unknown role {raw!r}; choose from {', '.join(Role.values())}."
            )
        if role not in cleaned:
            cleaned.append(role)
    if not cleaned:
        raise OperationError("A user needs at least one role.")
    return cleaned


def new_session_token() -> str:
    """A fresh per-user token; changing it revokes every session of the user."""
    return secrets.token_urlsafe(32)


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with ``email`` (case-insensitive), or None."""
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def get_user(session: Session, user_id: int) -> User:
    """The user with ``user_id`` or :class:`NotFound`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


@dataclass
class CreatedUser:
    """A new user and, when generated, the one-time password to hand over."""

    user: User
    generated_password: str | None


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    roles: list[str],
    password: str | None = None,
    actor_id: int | None = None,
    must_change_password: bool | None = None,
    timezone: str = "UTC",
) -> CreatedUser:
    """Create a user. Without ``password`` one is generated and must be changed at first login."""
    email = email.strip()
    name = name.strip()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise OperationError(f"{email!r} is not an e-mail address.")
    if not name:
        raise OperationError("A user needs a name.")
    role_list = parse_roles(roles)
    generated = None
    if password is None:
        generated = password = generate_password()
        if must_change_password is None:
            must_change_password = True
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise OperationError(problem)
    password_hash = hash_password(password)  # before the first statement: no lock held
    if find_user_by_email(session, email) is not None:
        raise OperationError(f"A user with the e-mail address {email} already exists.")
    user = User(
        email=email,
        name=name,
        password_hash=password_hash,
        session_token=new_session_token(),
        must_change_password=bool(must_change_password),
        password_changed_at=utcnow(),
        timezone=timezone,
    )
    user.roles = [UserRole(role=r) for r in role_list]
    session.add(user)
    session.flush()
    record(session, "user.create", actor_id=actor_id, subject_type="user", subject_id=user.id,
           roles=role_list)
    return CreatedUser(user, generated)


def set_roles(session: Session, user: User, roles: list[str], *, actor_id: int | None,
              expected_version: int | None = None) -> None:
    """Replace the user's roles; revokes their sessions (SESS-3)."""
    role_list = parse_roles(roles)
    if expected_version is not None and user.version != expected_version:
        raise Conflict("This user was changed by someone else meanwhile; review and try again.")
    if actor_id == user.id and Role.ADMIN.value in user.role_names and \
            Role.ADMIN.value not in role_list:
        raise OperationError("You cannot remove your own admin role.")
    before = sorted(user.role_names)
    user.roles = [r for r in user.roles if r.role in role_list]
    have = user.role_names
    user.roles.extend(UserRole(role=r) for r in role_list if r not in have)
    user.session_token = new_session_token()
    user.version += 1
    session.flush()
    record(session, "user.roles", actor_id=actor_id, subject_type="user", subject_id=user.id,
           before=before, after=sorted(role_list))


def disable_user(session: Session, user: User, *, actor_id: int | None) -> None:
    """Disable a user and revoke every session."""
    if actor_id == user.id:
        raise OperationError("You cannot disable your own account.")
    user.active = False
    user.session_token = new_session_token()
    user.version += 1
    record(session, "user.disable", actor_id=actor_id, subject_type="user", subject_id=user.id)


def enable_user(session: Session, user: User, *, actor_id: int | None) -> None:
    """Re-enable a disabled user."""
    user.active = True
    user.version += 1
    record(session, "user.enable", actor_id=actor_id, subject_type="user", subject_id=user.id)


def reset_password(session: Session, user_id: int, *, actor_id: int | None,
                   password: str | None = None) -> str | None:
    """Set a new password (generated when none given, then to be changed at next login).

    Revokes every session of the user. Returns the generated password, if any. The hash is
    computed before the first statement, so no write lock is held while hashing.
    """
    generated = None
    if password is None:
        generated = password = generate_password()
    new_hash = hash_password(password)
    user = get_user(session, user_id)
    problem = password_problem(password, email=user.email, name=user.name)
    if problem:
        raise OperationError(problem)
    user.password_hash = new_hash
    user.must_change_password = generated is not None
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    user.version += 1
    session.execute(
        LoginThrottle.__table__.delete().where(
            LoginThrottle.email_key == normalise_email(user.email)
        )
    )
    record(session, "user.reset_password", actor_id=actor_id, subject_type="user",
           subject_id=user.id)
    return generated


def change_own_password(session: Session, user_id: int, current_hash: str, current: str,
                        new: str) -> User:
    """The user changes their password; every session gets a new token.

    The hash checks run before the first statement, so no write lock is held while hashing.
    """
    if not verify_password(current_hash, current):
        raise OperationError("The current password is not right.")
    if current == new:
        raise OperationError("Choose a password different from the current one.")
    new_hash = hash_password(new)
    user = get_user(session, user_id)
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        raise OperationError(problem)
    user.password_hash = new_hash
    user.must_change_password = False
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    user.version += 1
    record(session, "user.change_password", actor_id=user.id, subject_type="user",
           subject_id=user.id)
    return user


def logout_everywhere(session: Session, user_id: int) -> None:
    """Rotate the session token: every device's session of this user stops working."""
    user = get_user(session, user_id)
    user.session_token = new_session_token()
    record(session, "auth.logout", actor_id=user.id, subject_type="user", subject_id=user.id)


# ---------------------------------------------------------------------------- login


@dataclass
class LoginResult:
    """Outcome of a login attempt; ``user`` only when ``ok``."""

    ok: bool
    user: User | None = None
    locked: bool = False
    minutes_left: int = 0


def _throttle_state(session: Session, email_key: str, window: timedelta) -> LoginThrottle | None:
    throttle = session.get(LoginThrottle, email_key)
    if throttle is not None and throttle.window_started_at < utcnow() - window and (
        throttle.locked_until is None or throttle.locked_until <= utcnow()
    ):
        return None  # an old window no longer counts
    return throttle


def authenticate(
    read: Session, write_factory: object, email: str, password: str, *,
    max_failures: int, window_minutes: int,
) -> LoginResult:
    """Check a login. Unknown users and wrong passwords get the same answer and the same delay.

    The lookup runs in the read session ``read``; the (slow) hash check runs outside any
    transaction; throttle and audit updates run in a short write unit from ``write_factory``
    (a callable returning a context manager yielding a session), so no write lock is held while
    hashing (DESIGN.md section 5).
    """
    email_key = normalise_email(email)[:254]
    window = timedelta(minutes=window_minutes)
    throttle = _throttle_state(read, email_key, window)
    if throttle is not None and throttle.locked_until and throttle.locked_until > utcnow():
        left = int((throttle.locked_until - utcnow()).total_seconds() // 60) + 1
        read.rollback()
        with write_factory() as session:  # type: ignore[operator]
            record(session, "auth.login", actor_id=None, subject_type="login",
                   outcome="locked")
        return LoginResult(ok=False, locked=True, minutes_left=left)
    user = find_user_by_email(read, email_key)
    read.rollback()  # end the read transaction before hashing

    if user is not None and user.active:
        ok = verify_password(user.password_hash, password)
    else:
        burn_verification_time(password)
        ok = False
    # Any rehash happens here too, before the write transaction starts.
    new_hash = hash_password(password) if ok and user and needs_rehash(user.password_hash) else None

    with write_factory() as session:  # type: ignore[operator]
        if ok:
            fresh = session.get(User, user.id) if user is not None else None
            if fresh is None:  # deleted between the read and now: treat as a failure
                return LoginResult(ok=False)
            session.execute(
                LoginThrottle.__table__.delete().where(LoginThrottle.email_key == email_key)
            )
            if new_hash:
                fresh.password_hash = new_hash
            record(session, "auth.login", actor_id=fresh.id, subject_type="user",
                   subject_id=fresh.id)
            return LoginResult(ok=True, user=fresh)
        row = _throttle_state(session, email_key, window)
        if row is None:
            row = session.get(LoginThrottle, email_key)
            if row is None:
                row = LoginThrottle(email_key=email_key, failures=0, window_started_at=utcnow())
                session.add(row)
            row.failures = 0
            row.window_started_at = utcnow()
            row.locked_until = None
        row.failures += 1
        locked = row.failures >= max_failures
        if locked:
            row.locked_until = utcnow() + window
        record(session, "auth.login", actor_id=None, subject_type="login",
               outcome="locked" if locked else "failed")
    return LoginResult(ok=False, locked=locked, minutes_left=window_minutes if locked else 0)


# ---------------------------------------------------------------------------- short codes

def _code_key(user_id: int) -> str:
    return f"code:{user_id}"


def code_attempts_locked(session: Session, user_id: int, window_minutes: int) -> bool:
    """Whether the user entered too many wrong packet codes lately (throttle in the database)."""
    row = _throttle_state(session, _code_key(user_id), timedelta(minutes=window_minutes))
    return bool(row and row.locked_until and row.locked_until > utcnow())


def authenticate_code_attempt(session: Session, user_id: int, *, ok: bool, max_failures: int,
                              window_minutes: int) -> None:
    """Count a wrong packet code (a right one needs no write)."""
    if ok:
        return
    key = _code_key(user_id)
    row = _throttle_state(session, key, timedelta(minutes=window_minutes))
    if row is None:
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(email_key=key, failures=0, window_started_at=utcnow())
            session.add(row)
        row.failures, row.window_started_at, row.locked_until = 0, utcnow(), None
    row.failures += 1
    if row.failures >= max_failures:
        row.locked_until = utcnow() + timedelta(minutes=window_minutes)
    record(session, "scorecard.code", actor_id=user_id, subject_type="user", subject_id=user_id,
           outcome="failed")
