"""Forms of the debrief page: the decision, a hire's outcome, releasing a panel member.

Choices that depend on the application (which decisions and stages are open) are set by the
view from :func:`hiring.operations.debrief.decision_options`; the operations check again.
"""

from __future__ import annotations

from wtforms import DateField, HiddenField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from .forms import BaseForm
from .operations.debrief import MAX_RATIONALE, PERFORMANCE_LABELS, PROBATION_LABELS
from .operations.stages import REJECTION_REASONS


class DecisionForm(BaseForm):
    """Advance (to a chosen stage), reject (with a reason code), offer or hire, with a required
    rationale. ``kind`` and ``to_stage`` choices are set per application by the view."""

    kind = RadioField("Your decision", choices=[],
                      validators=[InputRequired(message="Choose a decision.")])
    to_stage = SelectField("Advance to", choices=[], validate_choice=False,
                           description="For an advance: the next stage.")
    reason_code = SelectField("Rejection reason",
                              choices=[("", "Choose a reason"), *REJECTION_REASONS.items()],
                              validate_choice=False, description="For a rejection.")
    rationale = TextAreaField(
        "Rationale",
        validators=[DataRequired(message="Write the rationale for this decision: what in the "
                                         "evidence led to it."),
                    Length(max=MAX_RATIONALE)],
        description="Required. What in the evidence led to this decision. It is kept with the "
                    "decision and shown in the candidate's stage history.")
    version = HiddenField()
    submit = SubmitField("Record decision")

    def validate_to_stage(self, field: SelectField) -> None:
        """An advance names one of the stages offered."""
        if self.kind.data == "advance":
            allowed = {value for value, _ in field.choices if value}  # type: ignore[misc]
            if field.data not in allowed:
                raise ValidationError("Choose the stage to advance to.")

    def validate_reason_code(self, field: SelectField) -> None:
        """A rejection names a reason from the list."""
        if self.kind.data == "reject" and field.data not in REJECTION_REASONS:
            raise ValidationError("Choose a rejection reason.")


class OutcomeForm(BaseForm):
    """What became of a hire: probation, an optional 1-5 rating, the date."""

    passed_probation = RadioField(
        "Passed probation", choices=list(PROBATION_LABELS.items()), default="unknown",
        validators=[InputRequired(message="Say whether the hire passed probation.")])
    performance = SelectField(
        "Performance rating (optional)",
        choices=[("", "Not rated"), *((str(k), v) for k, v in PERFORMANCE_LABELS.items())])
    outcome_date = DateField("Date", validators=[InputRequired(message="Give the date.")],
                             description="When probation ended or the rating was given.")
    submit = SubmitField("Record outcome")


class UnlockForm(BaseForm):
    """Release one panel member who cannot submit (the view sets a per-seat prefix)."""

    reason = TextAreaField(
        "Why this panel member cannot submit",
        validators=[DataRequired(message="Say why this panel member cannot submit."),
                    Length(max=2000)])
    submit = SubmitField("Release")
