"""The scorecard form, one WTForms class built per interview from its frozen kit.

Field order is the order of the printed packet: notes per kit question (with an optional 1-4
rating), then per focus competency the evidence and the rating (anchors beside the choices;
never the bar) or "not assessed" with a reason, then key take-aways, and last the
recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wtforms import HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from .forms import BaseForm
from .operations.scorecards import (
    NOT_ASSESSED_LABELS,
    RATING_WORDS,
    RECOMMENDATION_LABELS,
    RatingInput,
    ScorecardInput,
)

MAX_NOTE = 20_000


@dataclass(frozen=True)
class FocusItem:
    """A focus competency on the form, with its anchors."""

    competency_id: int
    name: str
    description: str
    anchors: tuple[str, str, str, str]


@dataclass(frozen=True)
class QuestionItem:
    """A kit question on the form."""

    version_id: int
    competency_id: int
    prompt: str
    public_id: str


class ScorecardFormBase(BaseForm):
    """Fields every scorecard has; per-interview fields are added by :func:`build_form_class`."""

    takeaways = TextAreaField("Key take-aways", validators=[Optional(), Length(max=MAX_NOTE)],
                              description="What the panel should know first: the strongest "
                                          "evidence for and against, in a few lines.")
    recommendation = RadioField(
        "Recommendation", validators=[Optional()],
        choices=list(RECOMMENDATION_LABELS.items()),
        description="About this interview's evidence only. Filled last; it never feeds a score.",
    )
    no_decision_reason = TextAreaField("Reason for 'no decision'",
                                       validators=[Optional(), Length(max=MAX_NOTE)])
    version = HiddenField()


def build_form_class(focus: list[FocusItem], questions: list[QuestionItem]) -> type[BaseForm]:
    """A form class for one interview's kit."""
    attrs: dict[str, Any] = {}
    rating_choices = [(str(n), f"{n} {word}") for n, word in RATING_WORDS.items()]
    for q in questions:
        attrs[f"qnote_{q.version_id}"] = TextAreaField(
            "Notes", validators=[Optional(), Length(max=MAX_NOTE)])
        attrs[f"qrating_{q.version_id}"] = RadioField(
            "Rating for this question (optional)", choices=rating_choices,
            validators=[Optional()])
    for item in focus:
        attrs[f"evidence_{item.competency_id}"] = TextAreaField(
            "Evidence", validators=[Optional(), Length(max=MAX_NOTE)],
            description="What the candidate said or did: quotes, steps, numbers.")
        attrs[f"rating_{item.competency_id}"] = RadioField(
            f"Rating: {item.name}", validators=[Optional()],
            choices=[*rating_choices, ("na", "Not assessed")])
        attrs[f"reason_{item.competency_id}"] = SelectField(
            "Why not assessed", validators=[Optional()],
            choices=[("", "Choose a reason"), *NOT_ASSESSED_LABELS.items()])
    return type("ScorecardForm", (ScorecardFormBase,), attrs)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "", "na") else None
    except (TypeError, ValueError):
        return None


def form_to_input(form: Any, focus: list[FocusItem], questions: list[QuestionItem]
                  ) -> ScorecardInput:
    """Read a submitted form into a :class:`ScorecardInput`."""
    data = ScorecardInput()
    for q in questions:
        note = getattr(form, f"qnote_{q.version_id}").data or ""
        rating = _int_or_none(getattr(form, f"qrating_{q.version_id}").data)
        data.question_notes[q.version_id] = (note, rating)
    for item in focus:
        choice = getattr(form, f"rating_{item.competency_id}").data
        reason = getattr(form, f"reason_{item.competency_id}").data or None
        data.ratings[item.competency_id] = RatingInput(
            rating=_int_or_none(choice),
            not_assessed_reason=reason if choice == "na" else None,
            evidence=getattr(form, f"evidence_{item.competency_id}").data or "",
        )
    data.takeaways = form.takeaways.data or ""
    data.recommendation = form.recommendation.data or None
    data.no_decision_reason = form.no_decision_reason.data or ""
    return data


def prefill(form: Any, scorecard: Any, focus: list[FocusItem],
            questions: list[QuestionItem]) -> None:
    """Fill ``form`` from a saved scorecard; competency ratings not yet chosen are suggested
    from the rounded mean of that competency's question ratings (the interviewer confirms)."""
    notes = {n.question_version_id: n for n in scorecard.question_notes} if scorecard else {}
    ratings = {r.competency_id: r for r in scorecard.ratings} if scorecard else {}
    for q in questions:
        note = notes.get(q.version_id)
        if note is not None:
            getattr(form, f"qnote_{q.version_id}").data = note.note
            getattr(form, f"qrating_{q.version_id}").data = str(note.rating) if note.rating \
                else None
    for item in focus:
        row = ratings.get(item.competency_id)
        if row is not None:
            getattr(form, f"evidence_{item.competency_id}").data = row.evidence
            if row.rating is not None:
                getattr(form, f"rating_{item.competency_id}").data = str(row.rating)
            elif row.not_assessed_reason:
                getattr(form, f"rating_{item.competency_id}").data = "na"
                getattr(form, f"reason_{item.competency_id}").data = row.not_assessed_reason
        if getattr(form, f"rating_{item.competency_id}").data in (None, ""):
            suggested = suggested_rating([
                notes[q.version_id].rating for q in questions
                if q.competency_id == item.competency_id and q.version_id in notes
            ])
            if suggested:
                getattr(form, f"rating_{item.competency_id}").data = str(suggested)
    if scorecard is not None:
        form.takeaways.data = scorecard.takeaways
        form.recommendation.data = scorecard.recommendation
        form.no_decision_reason.data = scorecard.no_decision_reason
        form.version.data = str(scorecard.version)


def suggested_rating(question_ratings: list[int | None]) -> int | None:
    """The rounded mean (half up) of the question ratings given, or None."""
    values = [r for r in question_ratings if r]
    if not values:
        return None
    mean = sum(values) / len(values)
    return min(4, max(1, int(mean + 0.5)))
