"""``flask --app hiring report ...``: reports for auditors, from the command line.

Contract (README "Commands")::

    flask --app hiring report impact [--requisition ID | --role ROLE] [--from D --to D] --json

``--json`` prints the adverse-impact report exactly as the auditor's page computes it, with the
raw counts (no small-cell suppression: this is an export for an auditor, and recorded as one);
without it a short text summary is printed. Errors go to standard error with exit status 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from flask.cli import AppGroup

from .db import read_session, write_session
from .operations import OperationError

report_cli = AppGroup("report", help="Reports for auditors (adverse impact).")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _ratio(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _summary(report: dict[str, Any]) -> list[str]:
    scope = report["scope"]
    where = (f"requisition {scope['requisition']}" if scope["kind"] == "requisition"
             else f"role {scope['role']} ({len(scope['requisitions'])} requisitions)")
    lines = [f"Adverse impact, {where}, applied {scope['from'] or 'any time'} to "
             f"{scope['to'] or 'today'}: {report['applicants']} applicants."]
    for step in report["selection"]:
        lines.append(f"{step['label']}: {step['decided']} decided.")
        for axis, data in step["axes"].items():
            parts = [f"{c} {e['selected']}/{e['applicants']} ratio {_ratio(e.get('impact_ratio'))}"
                     + (" ADVERSE" if e.get("adverse") else "")
                     for c, e in data["categories"].items()]
            lines.append(f"  {report['axes'][axis]}: " + ("; ".join(parts) or "no known group")
                         + f"; unknown {data['unknown']['applicants']}")
    for model in report["scoring"]:
        lines.append(f"{model['label']}: {model['scored']} scored.")
        for axis, data in model["axes"].items():
            parts = [f"{c} {e['above']}/{e['count']} ratio {_ratio(e.get('impact_ratio'))}"
                     + (" ADVERSE" if e.get("adverse") else "")
                     for c, e in data["categories"].items()]
            lines.append(f"  {report['axes'][axis]}: " + ("; ".join(parts) or "no known group")
                         + f"; unknown {data['unknown']}")
    return lines


@report_cli.command("impact")
@click.option("--requisition", "requisition_id", type=int, default=None,
              help="One requisition's applicants.")
@click.option("--role", default=None, help="Every requisition of a role (pooled).")
@click.option("--from", "date_from", default=None, metavar="D",
              help="Applications from this date (YYYY-MM-DD, inclusive).")
@click.option("--to", "date_to", default=None, metavar="D",
              help="Applications until this date (YYYY-MM-DD, inclusive).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
def report_impact(requisition_id: int | None, role: str | None, date_from: str | None,
                  date_to: str | None, as_json: bool) -> None:
    """Selection and scoring impact by self-identified group (raw counts; audited)."""
    from .operations.impact import impact_report, record_export

    if requisition_id is not None and role:
        _fail("choose --requisition or --role, not both")
    if requisition_id is None and not role:
        _fail("choose --requisition ID or --role ROLE")
    try:
        with read_session() as session:
            report = impact_report(session, requisition_id=requisition_id, role=role,
                                   date_from=date_from, date_to=date_to)
        with write_session() as session:
            record_export(session, report, actor=None, channel="cli")
    except OperationError as exc:
        _fail(str(exc))
        return
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True, allow_nan=False))
        return
    for line in _summary(report):
        click.echo(line)
