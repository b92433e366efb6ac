"""``flask --app hiring ...`` commands: thin wrappers over operations, each with one-line help."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
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
    from .demo import DemoAlreadyLoaded, demo_summary, load_demo

    if current_app.config["HIRING_ENV"] == "production":
        _fail("demo data is refused when HIRING_ENV=production")
    try:
        with write_session() as session:
            credentials = load_demo(session)
            summary = demo_summary(session)
    except DemoAlreadyLoaded:
        click.echo("Demo data is already loaded; nothing changed. Passwords were printed the "
                   "first time; `flask --app hiring users reset-password --email E` makes a "
                   "new one.")
        return
    click.echo("Demo data loaded: " + ", ".join(f"{n} {k}" for k, n in summary.items()) + ".")
    click.echo("Demo users (shown once; fictional people):")
    width = max(len(c.email) for c in credentials)
    for c in credentials:
        click.echo(f"  {c.email.ljust(width)}  {c.password}  ({', '.join(c.roles)})")


# ---------------------------------------------------------------------------- backup, restore


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
def backup_command(file: Path, overwrite: bool) -> None:
    """Back up the SQLite database to FILE (online backup API, checked); PostgreSQL: pg_dump."""
    from .backup import BackupError, backup_sqlite, pg_dump_command

    url = current_app.config["DATABASE_URL"]
    if make_url(url).get_backend_name() != "sqlite":
        click.echo("This instance runs on PostgreSQL: back it up with pg_dump, e.g.\n  "
                   + pg_dump_command(url, str(file)), err=True)
        sys.exit(2)
    try:
        report = backup_sqlite(url, file, overwrite=overwrite)
    except BackupError as exc:
        _fail(str(exc))
        return
    click.echo(f"Backed up {_safe_url(url)} to {report.path} ({report.size} bytes, "
               f"{report.total_rows} rows, revision {report.revision}); integrity_check: "
               f"{report.integrity}.")


@click.command("restore")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def restore_command(file: Path) -> None:
    """Restore a backup FILE into this instance's empty SQLite database (refused if it has data)."""
    from .backup import BackupError, pg_restore_command, restore_sqlite

    url = current_app.config["DATABASE_URL"]
    if make_url(url).get_backend_name() != "sqlite":
        click.echo("This instance runs on PostgreSQL: restore a pg_dump file with pg_restore "
                   "into an empty database, e.g.\n  " + pg_restore_command(url, str(file)),
                   err=True)
        sys.exit(2)
    try:
        report = restore_sqlite(file, url)
    except BackupError as exc:
        _fail(str(exc))
        return
    head = database.head_revision()
    click.echo(f"Restored {file} into {_safe_url(url)} ({report.total_rows} rows, revision "
               f"{report.revision}); integrity_check: {report.integrity}.")
    if report.revision != head:
        click.echo(f"The backup is at revision {report.revision}; run `flask --app hiring db "
                   f"upgrade` to bring it to {head}.")


def register_commands(app: Flask) -> None:
    """Attach every command group to ``app``."""
    for group in (db_cli, users_cli, demo_cli, bank_cli, scores_cli):
        app.cli.add_command(group)
    from .cli_models import history_cli, model_cli  # the learned model's commands

    for group in (history_cli, model_cli):
        app.cli.add_command(group)
    for group in (candidates_cli, retention_cli):  # candidates' data rights (issue 12)
        app.cli.add_command(group)
    from .cli_reports import report_cli  # issue 11: report impact

    app.cli.add_command(report_cli)
    from .cli_packets import packet_cli  # issue 10: printed packets

    app.cli.add_command(packet_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


# ---------------------------------------------------------------------------- bank

bank_cli = AppGroup("bank", help="Check, load, export and summarise the question bank.")
_BANK_DIR = click.Path(file_okay=False, path_type=str)
# Printing every change of a first load (hundreds of lines) helps no one; --verbose does.
_BANK_MAX_LISTED = 30


def _bank_dir(directory: str | None) -> tuple[Path, str]:
    """The bank folder (default: question_bank/ at the project root) and how to show it."""
    from . import PROJECT_ROOT

    path = Path(directory) if directory else PROJECT_ROOT / "question_bank"
    shown = os.path.relpath(path)
    return path, (str(path) if shown.startswith("..") else shown)


def _echo_problems(problems: list[Any], shown: str, *, warning: bool = False) -> None:
    for problem in problems:
        where = f"{shown}/{problem.file}" if problem.file != "(app)" else problem.file
        label = "warning: " if warning else ""
        click.echo(f"{where}:{problem.line}: {problem.item}: {label}{problem.message}",
                   err=not warning)


def _fail_problems(problems: list[Any], shown: str, what: str) -> None:
    _echo_problems(problems, shown)
    files = len({p.file for p in problems})
    _fail(f"{len(problems)} error(s) in {files} file(s); {what}")


@bank_cli.command("check")
@click.argument("directory", required=False, type=_BANK_DIR)
def bank_check(directory: str | None) -> None:
    """Validate the bank files and report every error (the database is not touched)."""
    from .question_bank import read_bank

    path, shown = _bank_dir(directory)
    bank = read_bank(path)
    _echo_problems(bank.warnings, shown, warning=True)
    if bank.problems:
        _fail_problems(bank.problems, shown, "nothing is loadable until they are fixed.")
    click.echo(f"{shown}: {bank.describe()}; no errors.")


@bank_cli.command("load")
@click.argument("directory", required=False, type=_BANK_DIR)
@click.option("--verbose", is_flag=True, help="List every change, however many.")
def bank_load(directory: str | None, verbose: bool) -> None:
    """Load the bank files into the database in one transaction (all or nothing)."""
    from .operations.bank import BankInvalid, load_bank
    from .question_bank import read_bank

    path, shown = _bank_dir(directory)
    bank = read_bank(path)
    if bank.problems:
        _fail_problems(bank.problems, shown, "nothing was written.")
    try:
        with write_session() as session:
            report = load_bank(session, bank)
    except BankInvalid as exc:
        _fail_problems(exc.problems, shown, "nothing was written.")
        return
    for note in report.notes:
        click.echo(f"note: {note}")
    if not report.changed:
        click.echo(f"No changes: the database already matches {shown} ({bank.describe()}).")
        return
    click.echo(f"Loaded {shown} ({bank.describe()}): {report.summary()}.")
    lines = ([f"  + {x}" for x in report.added] + [f"  ~ {x}" for x in report.versioned]
             + [f"  ~ {x}" for x in report.updated] + [f"  - {x} (retired)" for x in
                                                       report.retired]
             + [f"  + {x} (restored)" for x in report.restored])
    if verbose or len(lines) <= _BANK_MAX_LISTED:
        for line in lines:
            click.echo(line)
    else:
        click.echo(f"  ({len(lines)} changes; --verbose lists them)")


@bank_cli.command("export")
@click.argument("directory", type=_BANK_DIR)
@click.option("--replace", is_flag=True,
              help="Delete the bank files already in DIRECTORY before writing.")
def bank_export(directory: str, replace: bool) -> None:
    """Write the loaded bank to DIRECTORY as files; app-created content to DIRECTORY/app-created."""
    from .operations.bank import export_bank

    path, shown = _bank_dir(directory)
    try:
        with write_session() as session:
            report = export_bank(session, path, replace=replace)
    except OperationError as exc:
        _fail(str(exc))
        return
    click.echo(f"Wrote {len(report.files)} files to {shown} ({report.counts}).")
    if report.app_files:
        click.echo(f"Wrote {len(report.app_files)} files of app-created content to "
                   f"{shown}/app-created ({report.app_counts}); `bank check` and `bank load` "
                   f"do not read that folder.")
    if report.problems:
        _fail_problems(report.problems, shown, "the export does not pass `bank check`.")


@bank_cli.command("summary")
@click.argument("directory", required=False, type=_BANK_DIR)
@click.option("--database", "from_database", is_flag=True,
              help="Summarise what is loaded (files and app-created) instead of the files.")
def bank_summary(directory: str | None, from_database: bool) -> None:
    """Print question counts per role, competency and domain pack as Markdown tables."""
    from .question_bank import read_bank, summarize, summary_markdown

    if from_database:
        from .db import read_session
        from .operations.bank import database_bank

        with read_session() as session:
            bank = database_bank(session, source=None)
    else:
        path, shown = _bank_dir(directory)
        bank = read_bank(path)
        if bank.problems:
            _fail_problems(bank.problems, shown, "fix them first (`bank check`).")
    click.echo(summary_markdown(summarize(bank)))


# ---------------------------------------------------------------------------- scores

scores_cli = AppGroup("scores", help="Recompute stored scores and prove they reproduce.")


def _print_verify(label: str, report: Any) -> None:
    click.echo(f"{label}: {report.checked} stored scores re-scored from their own inputs, "
               f"{report.reproduced} reproduce exactly, {len(report.mismatches)} mismatches.")
    for application_id, problem in report.mismatches[:50]:
        click.echo(f"  mismatch: application {application_id}: {problem}")


@scores_cli.command("rebuild")
@click.option("--requisition", "requisition_ids", type=int, multiple=True,
              help="Only this requisition (repeatable); default: all.")
@click.option("--check", is_flag=True, help="Only verify the stored scores; change nothing.")
def scores_rebuild(requisition_ids: tuple[int, ...], check: bool) -> None:
    """Recompute every score from the evidence and prove the stored values reproduce."""
    from .db import read_session
    from .operations.scoring import recompute_all, verify_stored

    ids = list(requisition_ids) or None
    if check:
        with read_session() as session:
            report = verify_stored(session, requisition_ids=ids)
        _print_verify("Checked", report)
        if not report.ok:
            sys.exit(1)
        return
    with write_session() as session:
        before = verify_stored(session, requisition_ids=ids)
        _print_verify("Before", before)
        summary = recompute_all(session, trigger="cli.rebuild", requisition_ids=ids,
                                force=[app_id for app_id, _ in before.mismatches])
        states = ", ".join(f"{n} {state}" for state, n in sorted(summary.states.items()))
        click.echo(f"Recomputed {summary.computed} applications in {summary.requisitions} "
                   f"requisitions: {summary.unchanged} unchanged, {summary.updated} updated, "
                   f"{summary.inserted} added, {summary.removed} removed"
                   f"{f' ({states})' if states else ''}.")
        session.flush()
        after = verify_stored(session, requisition_ids=ids)
        _print_verify("After", after)
    if not (before.ok and after.ok):
        sys.exit(1)


# ---------------------------------------------------------------------------- data rights

candidates_cli = AppGroup("candidates", help="Candidates' data rights: export and erasure.")
retention_cli = AppGroup("retention", help="Erase candidates past their retention period.")


@candidates_cli.command("export")
@click.argument("candidate_id", type=int)
def candidates_export(candidate_id: int) -> None:
    """Print everything held about one candidate as JSON (audited)."""
    import json

    from .operations.privacy import export_candidate, record_export

    try:
        with write_session() as session:
            data = export_candidate(session, candidate_id)
            record_export(session, candidate_id, actor_id=None, channel="cli")
    except OperationError as exc:
        _fail(str(exc))
        return
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))


@candidates_cli.command("erase")
@click.argument("candidate_id", type=int)
@click.option("--actor", required=True, help="E-mail address of the admin who erases.")
def candidates_erase(candidate_id: int, actor: str) -> None:
    """Erase one candidate and everything about them (refused under a legal hold)."""
    from .operations.privacy import (
        LegalHold,
        checkpoint,
        erase_candidate,
        find_actor,
        record_refusal,
    )

    try:
        with write_session() as session:
            user = find_actor(session, actor)
            actor_id = user.id
            report = erase_candidate(session, candidate_id, actor=user)
    except LegalHold as exc:
        with write_session() as session:
            record_refusal(session, candidate_id, actor_id=actor_id, why="legal_hold")
        _fail(str(exc))
        return
    except OperationError as exc:
        _fail(str(exc))
        return
    checkpoint()
    click.echo(report.sentence())
    for mention in report.remaining[:50]:
        click.echo(f"warning: still mentioned in {mention} (not a candidate record: check it "
                   f"by hand)", err=True)


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only say who would be erased; change nothing.")
def retention_run(dry_run: bool) -> None:
    """Erase candidates whose requisitions' retention period has passed since the final decision."""
    from .operations.privacy import checkpoint, run_retention

    with write_session() as session:
        report = run_retention(session, dry_run=dry_run, channel="cli")
        if dry_run:
            session.rollback()
    if not dry_run and report.erased:
        checkpoint()
    for line in report.lines():
        click.echo(line)
    if report.failed:
        sys.exit(1)
