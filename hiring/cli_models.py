"""``flask --app hiring history ...`` and ``model ...``: the learned model's commands.

Thin wrappers over :mod:`hiring.operations.learned`; formats are contracts (README "Commands"):

    flask --app hiring history import FILE.csv
    flask --app hiring model train ROLE [--level L]
    flask --app hiring model show ROLE [--version V] [--json] [--level L]
    flask --app hiring model adopt ROLE VERSION --actor EMAIL [--acknowledge TEXT]
    flask --app hiring model score ROLE FILE.csv [--version V]

Errors go to standard error with a non-zero exit status; nothing is written then.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from .db import read_session, write_session
from .operations import OperationError

history_cli = AppGroup("history", help="Import past applicants and outcomes (hiring history).")
model_cli = AppGroup("model", help="Train, inspect, adopt and run the learned model.")

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_LEVEL = click.Choice(["junior", "mid", "senior"])


def _fail(message: str, details: list[str] | None = None) -> None:
    for line in details or []:
        click.echo(line, err=True)
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
        raise  # pragma: no cover - _fail exits


# ---------------------------------------------------------------------------- history


@history_cli.command("import")
@click.argument("file", type=_FILE)
def history_import(file: Path) -> None:
    """Import a history CSV as one batch (all rows or none; every bad row is listed)."""
    from .operations.learned import HistoryInvalid, import_history

    data = _read(file)
    try:
        with write_session() as session:
            report = import_history(session, data, filename=file.name)
    except HistoryInvalid as exc:
        _fail(str(exc), [f"{file.name}: {error}" for error in exc.errors])
        return
    except OperationError as exc:
        _fail(str(exc))
        return
    roles = ", ".join(f"{role} {n}" for role, n in sorted(report.roles.items()))
    click.echo(f"Imported {report.rows} rows from {file.name} as history batch "
               f"{report.batch_id} ({roles}): {report.hired} hired, {report.outcomes} with an "
               f"outcome ({report.successes} successes).")
    if report.with_self_identification:
        click.echo(f"{report.with_self_identification} rows carried self-identification; it is "
                   "stored apart and never used by training or scoring.")
    if report.same_file_batches:
        click.echo("Warning: the same file was already imported as batch(es) "
                   f"{', '.join(map(str, report.same_file_batches))}; its hires now count "
                   "more than once in training.", err=True)


# ---------------------------------------------------------------------------- model


def _number(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@model_cli.command("train")
@click.argument("role")
@click.option("--level", type=_LEVEL, default=None,
              help="Train on this level's hires with its weights and bars (default: every "
                   "level, mid profile).")
def model_train(role: str, level: str | None) -> None:
    """Train a new model version on hires' outcomes and print its metrics (not adopted)."""
    from .operations.learned import card_view, fit_card, store_card

    try:
        with read_session() as session:  # no write lock while the model trains
            trained = fit_card(session, role, level=level)
        with write_session() as session:
            row = store_card(session, trained)
            card = card_view(session, role, version=row.version)
    except OperationError as exc:
        _fail(str(exc))
        return
    cv = card["cv"]
    click.echo(f"Trained the {role} model, version {card['version']} (v{card['version']}, "
               f"id {card['model_version_id']}), on {card['n_train']} outcomes "
               f"({card['n_successes']} successes, {card['n_failures']} not; "
               f"{card['n_excluded_below_coverage']} left out below the coverage floor).")
    click.echo(f"Predicts: {card['predicts']}; {card['level']} profile, "
               f"{len(card['competencies'])} competencies.")
    click.echo("5-fold cross-validation, same folds:")
    click.echo(f"  {'':28} {'AUC':>7} {'Brier':>7}")
    click.echo(f"  {'learned model':28} {_number(card['cv_auc']):>7} "
               f"{_number(card['brier']):>7}")
    click.echo(f"  {'recalibrated profile fit':28} {_number(card['cv_auc_profile_fit']):>7} "
               f"{_number(card['brier_profile_fit']):>7}")
    click.echo(f"  AUC gain {_number(card['auc_gain'])} (standard error "
               f"{_number(card['auc_gain_se'])}); per fold learned "
               f"{', '.join(_number(v) for v in cv['learned']['auc_folds'])} vs profile fit "
               f"{', '.join(_number(v) for v in cv['profile_fit']['auc_folds'])}.")
    verdict = ("beats the recalibrated profile fit: adoptable" if card["beats_profile_fit"]
               else "does not beat the recalibrated profile fit: not adoptable")
    click.echo(f"Verdict: {verdict}.")
    for line in [card["sample_size_warning"], *card["warnings"], *card["disagreements"]]:
        if line:
            click.echo(f"Note: {line}")
    click.echo(f"Version: {card['version']}")


def _text_card(card: dict[str, Any]) -> list[str]:
    lines = [f"{card['role_name']} ({card['role']}): "
             + (f"learned model version {card['version']}"
                + (" (adopted)" if card["adopted"] else " (not adopted)")
                if card["version"] is not None else "no learned model; profile fit is the score")]
    lines.append(f"Predicts: {card['predicts']}.")
    if card["version"] is None:
        lines.append(f"Profile weights ({card['level']} level, profile version "
                     f"{card['profile_version']}):")
        for key in card["competencies"]:
            lines.append(f"  {key:36} weight {card['profile_weights'][key]}  bar "
                         f"{card['bars'][key]}")
        lines.append(f"Reference: {card['reference']}.")
        return lines
    lines.append(f"Trained {card['created_at'][:10]} on {card['n_train']} outcomes "
                 f"({card['n_successes']} successes, {card['n_failures']} not), "
                 f"{card['level']} profile.")
    lines.append(f"Cross-validated AUC {_number(card['cv_auc'])} vs recalibrated profile fit "
                 f"{_number(card['cv_auc_profile_fit'])}; Brier {_number(card['brier'])} vs "
                 f"{_number(card['brier_profile_fit'])}; "
                 + ("beats profile fit." if card["beats_profile_fit"]
                    else "does not beat profile fit."))
    lines.append(f"Intercept {card['intercept']:+.3f}; baseline (candidate at every bar) "
                 f"{card['baseline']:+.3f}.")
    lines.append(f"  {'competency':36} {'coef':>7} {'95% interval':>17} weight bar")
    for key in card["competencies"]:
        low, high = card["coefficient_intervals"].get(key, [None, None])
        interval = f"{_number(low, 2)} to {_number(high, 2)}"
        lines.append(f"  {key:36} {card['coefficients'][key]:+7.3f} {interval:>17} "
                     f"{card['profile_weights'][key]:>6} {card['bars'][key]:>3}")
    lines.append(f"Reference: {card['reference']}.")
    for line in [card["sample_size_warning"], *card["warnings"], *card["disagreements"]]:
        if line:
            lines.append(f"Note: {line}")
    return lines


@model_cli.command("show")
@click.argument("role")
@click.option("--version", "version", type=int, default=None,
              help="The version to show (default: the adopted one, else the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the card as JSON.")
@click.option("--level", type=_LEVEL, default=None,
              help="Before any training: the profile level whose weights to show (default mid).")
def model_show(role: str, version: int | None, as_json: bool, level: str | None) -> None:
    """Print a model card (before any training: the profile's weights, version null)."""
    from .operations.learned import card_view

    try:
        with read_session() as session:
            card = card_view(session, role, version=version, level=level)
    except OperationError as exc:
        _fail(str(exc))
        return
    if as_json:
        click.echo(json.dumps(card, indent=2, sort_keys=True, allow_nan=False))
        return
    for line in _text_card(card):
        click.echo(line)


@model_cli.command("adopt")
@click.argument("role")
@click.argument("version", type=int)
@click.option("--actor", required=True, help="E-mail address of the admin adopting it.")
@click.option("--acknowledge", default=None,
              help="Acknowledgement of impact ratios under 0.8, stored with the version.")
def model_adopt(role: str, version: int, actor: str, acknowledge: str | None) -> None:
    """Adopt a trained version (admin; refused unless it beats profile fit); re-scores open
    applications."""
    from .operations.accounts import find_user_by_email
    from .operations.learned import adopt

    try:
        with write_session() as session:
            user = find_user_by_email(session, actor)
            if user is None:
                raise OperationError(f"no user with the e-mail address {actor}")
            report = adopt(session, role, version, actor=user, acknowledgement=acknowledge)
    except OperationError as exc:
        _fail(str(exc))
        return
    states = ", ".join(f"{n} {state}" for state, n in sorted(report.states.items()))
    click.echo(f"Adopted the {role} model version {version}; re-scored {report.rescored} open "
               f"applications as {report.kind}" + (f" ({states})" if states else "") + ".")


@model_cli.command("score")
@click.argument("role")
@click.argument("file", type=_FILE)
@click.option("--version", "version", type=int, default=None,
              help="A trained version (default: the adopted one).")
def model_score(role: str, file: Path, version: int | None) -> None:
    """Score a CSV in the history format; CSV with probabilities and contributions to stdout."""
    from .operations.learned import HistoryInvalid, score_file

    data = _read(file)
    try:
        with read_session() as session:
            text = score_file(session, role, data, version=version)
    except HistoryInvalid as exc:
        _fail(str(exc).replace("imported", "scored"),
              [f"{file.name}: {error}" for error in exc.errors])
        return
    except OperationError as exc:
        _fail(str(exc))
        return
    click.echo(text, nl=False)
