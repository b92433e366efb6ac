"""Blueprints: thin views that validate input, call one operation, and render or redirect."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from ..operations import Forbidden, NotFound, OperationError


def int_or_none(value: Any) -> int | None:
    """``value`` as an int (e.g. a form's hidden version field), or None when it is not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def show_refusal(session: Session, form: FlaskForm, exc: OperationError, *, note: str = "",
                 raise_for: tuple[type[OperationError], ...] = (Forbidden, NotFound)) -> int:
    """Handle an operation's refusal in a form view; the status to answer with (``exc.status``).

    The unit of work is rolled back, then ``exc``'s message (and ``note`` after it, e.g. that the
    input is kept) goes above the form, which the view renders again with the input kept. A
    refusal of a ``raise_for`` kind (by default :class:`Forbidden` and :class:`NotFound`) is
    raised again instead: the app's error handler answers it without detail, so the form does
    not disclose what exists.
    """
    session.rollback()
    if isinstance(exc, raise_for):
        raise exc
    form.form_errors.append(f"{exc} {note}" if note else str(exc))
    return exc.status
