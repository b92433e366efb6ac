"""``flask --app hiring packet ...``: printed packets from the command line (issue 10).

Contracts::

    flask --app hiring packet interview INTERVIEW_ID --interviewer EMAIL -o FILE.pdf
    flask --app hiring packet debrief APPLICATION_ID --as EMAIL -o FILE.pdf
    flask --app hiring packet blank REQUISITION_ID STEP -o FILE.pdf [--as EMAIL]
    flask --app hiring packet batch (--application ID | --date YYYY-MM-DD) [--as EMAIL] -o FILE.pdf

Each applies the named person's permissions through :mod:`hiring.packets.queries`, exactly as
the web does. ``blank`` runs as the requisition's hiring manager unless ``--as`` names someone;
``batch --application`` likewise; ``batch --date`` needs ``--as``. A refusal prints an error on
standard error and exits with status 1; nothing is written then.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from .db import read_session, write_session
from .operations import OperationError

packet_cli = AppGroup("packet", help="Printed packets as PDF: interview, debrief, blank, batch.")

_OUT = click.option("-o", "--output", "output", required=True,
                    type=click.Path(dir_okay=False, writable=True, path_type=Path),
                    help="Where to write the PDF.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _person(session: Any, email: str) -> Any:
    from .operations.accounts import find_user_by_email

    user = find_user_by_email(session, email)
    if user is None or not user.active:
        _fail(f"no active user with the e-mail address {email}")
    return user


def _hiring_manager_of(session: Any, requisition_id: int | None) -> Any:
    from .models import Requisition, User

    requisition = session.get(Requisition, requisition_id) if requisition_id else None
    if requisition is None:
        _fail("no such requisition or application; name the person with --as EMAIL")
    return session.get(User, requisition.hiring_manager_id)


def _run(build: Callable[[Any], tuple[Any, Any]], output: Path, *,
         audit: Callable[[Any, Any], None] | None = None) -> None:
    """Build the view model as the named person, render it, write it, audit when asked."""
    from .packets.pool import RenderBusy, RenderFailed, RenderTimeout, render_packet

    try:
        with read_session() as session:
            person, packet = build(session)
            person_id = person.id
    except OperationError as exc:
        _fail(f"refused: {exc}")
    try:
        pdf = render_packet(packet, app=current_app._get_current_object())  # type: ignore[attr-defined]
    except RenderBusy as exc:
        _fail(f"every render slot is busy; try again in {exc.retry_after} seconds")
    except (RenderTimeout, RenderFailed) as exc:
        _fail(f"the PDF could not be rendered: {exc}")
    output.write_bytes(pdf)
    if audit is not None:
        with write_session() as session:
            audit(session, person_id)
    click.echo(f"Wrote {output} ({len(pdf)} bytes).")


@packet_cli.command("interview")
@click.argument("interview_id", type=int)
@click.option("--interviewer", "email", required=True, help="The panel member's e-mail address.")
@_OUT
def packet_interview(interview_id: int, email: str, output: Path) -> None:
    """One interview's packet for one of its panel members."""
    from .packets.queries import interview_packet

    def build(session: Any) -> tuple[Any, Any]:
        person = _person(session, email)
        return person, interview_packet(session, person, interview_id)

    _run(build, output)


@packet_cli.command("debrief")
@click.argument("application_id", type=int)
@click.option("--as", "email", required=True, help="Whose view of the debrief (e-mail).")
@_OUT
def packet_debrief(application_id: int, email: str, output: Path) -> None:
    """An application's debrief as the named person sees it on the page (audited export)."""
    from .packets.queries import debrief_packet, record_debrief_export

    def build(session: Any) -> tuple[Any, Any]:
        person = _person(session, email)
        return person, debrief_packet(session, person, application_id)

    def audit(session: Any, person_id: int) -> None:
        from .models import User

        record_debrief_export(session, actor=session.get(User, person_id),
                              application_id=application_id, channel="cli")

    _run(build, output, audit=audit)


@packet_cli.command("blank")
@click.argument("requisition_id", type=int)
@click.argument("step", type=int)
@click.option("--as", "email", default=None,
              help="Whose permissions (default: the requisition's hiring manager).")
@_OUT
def packet_blank(requisition_id: int, step: int, email: str | None, output: Path) -> None:
    """A requisition's interview kit without a candidate; STEP is its 1-based plan position."""
    from .packets.queries import blank_kit

    def build(session: Any) -> tuple[Any, Any]:
        person = _person(session, email) if email else _hiring_manager_of(session, requisition_id)
        return person, blank_kit(session, person, requisition_id, step, by_position=True)

    _run(build, output)


@packet_cli.command("batch")
@click.option("--application", "application_id", type=int, default=None,
              help="A loop: the application's interview packets.")
@click.option("--date", "day", default=None, metavar="YYYY-MM-DD",
              help="A day: the person's interviews that day (needs --as).")
@click.option("--as", "email", default=None,
              help="Whose permissions (default for --application: the hiring manager).")
@_OUT
def packet_batch(application_id: int | None, day: str | None, email: str | None,
                 output: Path) -> None:
    """Several interview packets in one PDF: a loop's or a day's."""
    from .models import Application
    from .packets.queries import batch

    if (application_id is None) == (day is None):
        _fail("choose --application ID or --date YYYY-MM-DD")
    when = None
    if day is not None:
        if not email:
            _fail("--date needs --as EMAIL (whose interviews)")
        try:
            when = date.fromisoformat(day)
        except ValueError:
            _fail(f"not a date (YYYY-MM-DD): {day}")

    def build(session: Any) -> tuple[Any, Any]:
        if email:
            person = _person(session, email)
        else:
            application = session.get(Application, application_id)
            person = _hiring_manager_of(session, application.requisition_id
                                        if application else None)
        return person, batch(session, person, application_id=application_id, day=when)

    _run(build, output)
