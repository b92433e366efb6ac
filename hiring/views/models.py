"""Model cards: the learned model of each role, how it compares with profile fit, adoption.

Reading needs the ranking permission (admin, recruiter, hiring manager); training is an admin's
action; adopting is an admin's with a fresh re-authentication (SECURITY.md AUTH-4).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length, Optional

from ..auth import require_recent_auth
from ..db import db_session, read_session
from ..forms import BaseForm
from ..models import ModelVersion, RoleProfile
from ..operations import OperationError
from ..operations import learned as ops
from ..operations.scoring import competency_names
from ..policy import Action, requires

bp = Blueprint("models", __name__, url_prefix="/models")

WEIGHT_WORDS = {1: "supporting", 2: "core", 3: "critical"}


class TrainForm(BaseForm):
    """Train a new version (admin)."""

    level = SelectField("Level", choices=[
        SelectChoice("", "Every level (mid profile's weights and bars)"),
        SelectChoice("junior", "Junior"), SelectChoice("mid", "Mid"),
        SelectChoice("senior", "Senior")], default="")
    submit = SubmitField("Train a new version")


class AdoptForm(BaseForm):
    """Adopt a version (admin, fresh re-authentication)."""

    acknowledgement = TextAreaField(
        "Acknowledgement (only needed when impact ratios fall under 0.8)",
        validators=[Optional(), Length(max=2000)],
        description="Stored with the version and shown on its card.")
    submit = SubmitField("Adopt this version")


# ---------------------------------------------------------------------------- charts


def interval_svg(coefficient: float, low: float, high: float, limit: float) -> Markup:
    """A small forest-plot row: the 95 % interval as a line, the coefficient as a dot, zero as
    a dashed axis. Numbers only (no user text); classes for the CSS, no style attributes."""
    width, height, pad = 220.0, 18.0, 6.0
    limit = max(limit, 1e-9)

    def x(value: float) -> float:
        value = max(-limit, min(limit, value))
        return pad + (value + limit) / (2 * limit) * (width - 2 * pad)

    zero = x(0.0)
    kind = "neg" if high < 0 else "pos" if low > 0 else "zero"
    return Markup(  # noqa: S704 - formatted numbers only, no text from users
        f'<svg class="ci ci-{kind}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="coefficient {coefficient:+.2f}, 95 % '
        f'interval {low:+.2f} to {high:+.2f}">'
        f'<line class="ci-axis" x1="{zero:.1f}" y1="1" x2="{zero:.1f}" y2="{height - 1:.1f}" '
        f'stroke="#8a94a3" stroke-dasharray="2 2"/>'
        f'<line class="ci-range" x1="{x(low):.1f}" y1="{height / 2:.1f}" x2="{x(high):.1f}" '
        f'y2="{height / 2:.1f}" stroke="#1f2933" stroke-width="2"/>'
        f'<circle class="ci-point" cx="{x(coefficient):.1f}" cy="{height / 2:.1f}" r="4" '
        f'fill="#1f2933"/></svg>'
    )


def _coefficient_rows(card: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    intervals = card["coefficient_intervals"]
    limit = max([abs(v) for pair in intervals.values() for v in pair] + [0.5])
    for key in card["competencies"]:
        coefficient = card["coefficients"].get(key)
        low, high = intervals.get(key, (None, None))
        weight = card["profile_weights"][key]
        # Words only where the interval excludes a direction; "disagrees" only where it excludes
        # the profile's (every profile weight is positive).
        if coefficient is None or low is None:
            reading = None
        elif high < 0:
            reading = "disagrees"
        elif low > 0:
            reading = "agrees"
        else:
            reading = "unclear"
        rows.append({
            "key": key, "name": names.get(key, key), "weight": weight,
            "weight_word": WEIGHT_WORDS.get(weight, ""), "bar": card["bars"][key],
            "coefficient": coefficient, "low": low, "high": high, "reading": reading,
            "chart": interval_svg(coefficient, low, high, limit) if coefficient is not None
            and low is not None else None,
        })
    return rows


# ---------------------------------------------------------------------------- pages


@bp.get("")
@requires(Action.RANKING)
def index() -> str:
    """Every role with its learned-model versions and which one (if any) is adopted."""
    session = db_session()
    roles = session.scalars(select(RoleProfile).where(RoleProfile.retired_at.is_(None))
                            .order_by(RoleProfile.key)).all()
    rows = []
    all_versions = session.scalars(select(ModelVersion).order_by(ModelVersion.role,
                                                                 ModelVersion.version.desc()))
    by_role: dict[str, list[ModelVersion]] = {}
    for version in all_versions:
        by_role.setdefault(version.role, []).append(version)
    for role in roles:
        versions = by_role.get(role.key, [])
        adopted = ops.adopted_version(session, role.key) if versions else None
        name = role.versions[-1].name if role.versions else role.key
        rows.append({"key": role.key, "name": name, "versions": versions, "adopted": adopted,
                     "latest": versions[0] if versions else None})
    return render_template("models/index.html", rows=rows)


def _render_card(role: str, version: int | None) -> str:
    session = db_session()
    card = ops.card_view(session, role, version=version)
    names = competency_names(session, card["competencies"])
    from ..operations.impact import card_impact_for_version  # issue 11, item 8

    return render_template(
        "models/card.html", card=card, names=names,
        impact=card_impact_for_version(session, role, card["version"]),
        coefficient_rows=_coefficient_rows(card, names) if card["version"] else [],
        train_form=TrainForm(), adopt_form=AdoptForm(), weight_words=WEIGHT_WORDS,
    )


@bp.get("/<role>")
@requires(Action.RANKING)
def card(role: str) -> str:
    """The card of the role's adopted model, else its latest, else the profile's weights."""
    return _render_card(role, None)


@bp.get("/<role>/v<int:version>")
@requires(Action.RANKING)
def version_card(role: str, version: int) -> str:
    """The card of one trained version."""
    return _render_card(role, version)


@bp.post("/<role>/train")
@requires(Action.TRAIN_MODELS)
def train(role: str) -> Response:
    """Train a new version on hires' outcomes (admin); it is not adopted."""
    form = TrainForm()
    if not form.validate_on_submit():
        flash("Choose a level (or every level) and try again.", "error")
        return redirect(url_for("models.card", role=role))
    try:
        # Train on a read session: no write lock is held while the model trains.
        with read_session() as reader:
            trained = ops.fit_card(reader, role, level=form.level.data or None)
    except OperationError as exc:
        if exc.status == 404:
            raise
        flash(str(exc), "error")
        return redirect(url_for("models.card", role=role))
    session = db_session()
    row = ops.store_card(session, trained, actor=current_user)
    session.commit()
    verdict = ("It beats the recalibrated profile fit and can be adopted."
               if row.card.get("beats_profile_fit") else
               "It does not beat the recalibrated profile fit, so it cannot be adopted.")
    flash(f"Trained version {row.version} on {row.card.get('n_outcomes')} outcomes. {verdict}",
          "success")
    return redirect(url_for("models.version_card", role=role, version=row.version))


@bp.post("/<role>/v<int:version>/adopt")
@requires(Action.ADOPT_MODEL)
@require_recent_auth
def adopt(role: str, version: int) -> Response | tuple[str, int]:
    """Adopt a version (admin, password re-entered recently); re-scores open applications."""
    form = AdoptForm()
    session = db_session()
    if not form.validate_on_submit():
        flash("The acknowledgement is too long (at most 2,000 characters).", "error")
        return redirect(url_for("models.version_card", role=role, version=version))
    try:
        report = ops.adopt(session, role, version, actor=current_user,
                           acknowledgement=form.acknowledgement.data or None)
    except OperationError as exc:
        session.rollback()
        if exc.status in (403, 404):
            raise
        flash(str(exc), "error")
        return redirect(url_for("models.version_card", role=role, version=version))
    session.commit()
    flash(f"Adopted version {version}: {report.rescored} open applications were re-scored with "
          f"it. Scores of earlier models stay as they were.", "success")
    return redirect(url_for("models.version_card", role=role, version=version))
