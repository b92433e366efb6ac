"""``flask --app hiring ...`` commands: thin wrappers over operations, each with one-line help."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.engine import make_url

from . import db as database
from .db import write_session
from .operations import OperationError
from .operations.accounts import (
    create_user,
    disable_user,
    find_user_by_email,
    reset_password,
    set_roles,
)

db_cli = AppGroup("db", help="Create or migrate the database schema.")
users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the product.")


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


# ---------------------------------------------------------------------------- db


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Create or migrate the schema to REVISION (default: head)."""
    url = current_app.config["DATABASE_URL"]
    database.upgrade(url, revision)
    click.echo(f"Database at revision {database.current_revision(url)} ({_safe_url(url)}).")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the schema down to REVISION (e.g. -1)."""
    url = current_app.config["DATABASE_URL"]
    database.downgrade(url, revision)
    click.echo(f"Database at revision {database.current_revision(url)}.")


@db_cli.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the code's head."""
    url = current_app.config["DATABASE_URL"]
    click.echo(f"database: {database.current_revision(url)}  head: {database.head_revision()}")


# ---------------------------------------------------------------------------- users


def _user_or_fail(session, email: str):  # type: ignore[no-untyped-def]
    user = find_user_by_email(session, email)
    if user is None:
        _fail(f"no user with the e-mail address {email}")
    return user


@users_cli.command("create")
@click.option("--email", required=True, help="E-mail address (the login).")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, recruiter, hiring_manager, interviewer or auditor; repeatable.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a user; prints a generated one-time password unless --password-stdin is given."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with write_session() as session:
            created = create_user(session, email=email, name=name, roles=list(roles),
                                  password=password, must_change_password=password is None)
    except OperationError as exc:
        _fail(str(exc))
        return
    roles_text = ", ".join(sorted(created.user.role_names))
    click.echo(f"Created {created.user.email} with roles {roles_text}.")
    if created.generated_password:
        click.echo("One-time password (must be changed at first login): "
                   + created.generated_password)


@users_cli.command("disable")
@click.option("--email", required=True, help="The user to disable.")
def users_disable(email: str) -> None:
    """Disable a user and end all their sessions."""
    with write_session() as session:
        user = _user_or_fail(session, email)
        disable_user(session, user, actor_id=None)
    click.echo(f"Disabled {email}; their sessions are revoked.")


@users_cli.command("set-role")
@click.option("--email", required=True, help="The user to change.")
@click.option("--role", "roles", multiple=True, required=True, help="The new roles; repeatable.")
def users_set_role(email: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles (their sessions are revoked)."""
    try:
        with write_session() as session:
            user = _user_or_fail(session, email)
            set_roles(session, user, list(roles), actor_id=None)
            now = ", ".join(sorted(user.role_names))
    except OperationError as exc:
        _fail(str(exc))
        return
    click.echo(f"{email} now holds: {now}.")


@users_cli.command("reset-password")
@click.option("--email", required=True, help="The user whose password to reset.")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
def users_reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password (generated and printed unless --password-stdin); sessions end."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        with write_session() as session:
            user = _user_or_fail(session, email)
            generated = reset_password(session, user.id, actor_id=None, password=password)
    except OperationError as exc:
        _fail(str(exc))
        return
    click.echo(f"Password of {email} reset; their sessions are revoked.")
    if generated:
        click.echo(f"One-time password (must be changed at first login): {generated}")


# ---------------------------------------------------------------------------- demo


@demo_cli.command("load")
def demo_load() -> None:
    """Load demo users and data (refused when HIRING_ENV=production)."""
    from .demo import DemoAlreadyLoaded, load_demo

    if current_app.config["HIRING_ENV"] == "production":
        _fail("demo data is refused when HIRING_ENV=production")
    try:
        with write_session() as session:
            credentials = load_demo(session)
    except DemoAlreadyLoaded:
        click.echo("Demo data is already loaded; nothing changed. Passwords were printed the "
                   "first time; `flask --app hiring users reset-password --email E` makes a "
                   "new one.")
        return
    click.echo("Demo users (shown once; fictional people):")
    width = max(len(c.email) for c in credentials)
    for c in credentials:
        click.echo(f"  {c.email.ljust(width)}  {c.password}  ({', '.join(c.roles)})")


def register_commands(app: Flask) -> None:
    """Attach every command group to ``app``."""
    for group in (db_cli, users_cli, demo_cli):
        app.cli.add_command(group)
