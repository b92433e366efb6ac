"""WTForms (via Flask-WTF): one base form; only the fields a role may write exist on a form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .operations.accounts import ROLE_LABELS
from .security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem


def strip_text(value: object) -> object:
    """Surrounding whitespace off typed text (other values as they are)."""
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Base of every form: CSRF (global), and a place for shared behaviour."""

    class Meta:
        # Strip surrounding whitespace from text input, never from passwords. The class's
        # unbound field is shared by every instance: the filter goes to this binding only.
        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            if unbound_field.field_class is not PasswordField:
                options = {**options, "filters": [*unbound_field.kwargs.get("filters", ()),
                                                  strip_text]}
            return unbound_field.bind(form=form, **options)


class ActionForm(BaseForm):
    """A form with nothing but its CSRF token (logout, disable, ...)."""

    submit = SubmitField("Confirm")


class LoginForm(BaseForm):
    """E-mail and password."""

    # autocomplete names the purpose of each field (WCAG 1.3.5): password managers fill them.
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField("Password", validators=[DataRequired(),
                                                     Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField("Log in")


class ReauthForm(BaseForm):
    """Re-enter the password before a dangerous action."""

    password = PasswordField("Your password", validators=[DataRequired(),
                                                          Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()
    submit = SubmitField("Confirm it's you")


class ChangePasswordForm(BaseForm):
    """The user's current password and a new one, typed twice."""

    current = PasswordField("Current password", validators=[DataRequired()],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a long phrase is best. "
                    "Common passwords are refused.",
    )
    confirm = PasswordField("New password again", validators=[DataRequired()],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Change password")

    def validate_new(self, field: PasswordField) -> None:
        """Refuse common passwords with the same rule as the server-side operation."""
        problem = password_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_confirm(self, field: PasswordField) -> None:
        """Both new passwords must match."""
        if field.data != self.new.data:
            raise ValidationError("The two new passwords differ.")


class MultiCheckboxField(SelectMultipleField):
    """A set of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


ROLE_CHOICES = list(ROLE_LABELS.items())


class InviteUserForm(BaseForm):
    """Create a user with a one-time password."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES,
                               validators=[DataRequired(message="Choose at least one role.")])
    submit = SubmitField("Create user")


class RolesForm(BaseForm):
    """Change a user's roles."""

    roles = MultiCheckboxField("Roles", choices=ROLE_CHOICES,
                               validators=[DataRequired(message="Choose at least one role.")])
    version = HiddenField()
    submit = SubmitField("Save roles")


# ---------------------------------------------------------------------------- requisitions


LEVEL_CHOICES = [("junior", "Junior"), ("mid", "Mid"), ("senior", "Senior")]


class RequisitionForm(BaseForm):
    """Open a requisition. Choices for profile, packs and hiring manager are set by the view."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)],
                        description="As candidates and interviewers will see it, e.g. "
                                    "'Senior data scientist, pricing'.")
    profile = SelectField("Role profile", validators=[DataRequired()])
    level = SelectField("Level", choices=LEVEL_CHOICES, validators=[DataRequired()])
    domains = MultiCheckboxField("Domain packs", validators=[Optional()],
                                 description="Domain competencies join the plan and its "
                                             "coverage check.")
    team_model = SelectField("Team model", validators=[DataRequired()])
    hiring_manager = SelectField("Hiring manager", coerce=int, validators=[DataRequired()])
    headcount = IntegerField("Headcount", default=1,
                             validators=[DataRequired(), NumberRange(min=1, max=500)])
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    timezone = StringField("Time zone", default="UTC", validators=[DataRequired(),
                                                                   Length(max=64)],
                           description="IANA name, e.g. Europe/Berlin or America/New_York.")
    retention_days = IntegerField(
        "Keep candidate data for (days after the final decision)", default=365,
        validators=[DataRequired(), NumberRange(min=1, max=3650)])
    visibility = SelectField("Scorecard visibility", validators=[DataRequired()])
    submit = SubmitField("Create requisition")


class RequisitionSettingsForm(BaseForm):
    """Edit a requisition's settings (profile and level stay pinned)."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    team_model = SelectField("Team model", validators=[DataRequired()])
    headcount = IntegerField("Headcount", validators=[DataRequired(), NumberRange(min=1,
                                                                                  max=500)])
    location = StringField("Location", validators=[Optional(), Length(max=200)])
    timezone = StringField("Time zone", validators=[DataRequired(), Length(max=64)])
    retention_days = IntegerField("Keep candidate data for (days after the final decision)",
                                  validators=[DataRequired(), NumberRange(min=1, max=3650)])
    visibility = SelectField("Scorecard visibility", validators=[DataRequired()])
    hide_scores = BooleanField("Hide scores for this requisition (hiring manager only)")
    version = HiddenField()
    submit = SubmitField("Save settings")


class StepForm(BaseForm):
    """One interview of the plan: name, minutes, focus competencies (choices set by the view)."""

    name = StringField("Interview", validators=[DataRequired(), Length(max=120)])
    minutes = IntegerField("Minutes", validators=[DataRequired(), NumberRange(min=5, max=480)])
    focus = MultiCheckboxField("Focus competencies", coerce=int, validators=[Optional()])
    version = HiddenField()
    submit = SubmitField("Save interview")


class StatusForm(BaseForm):
    """Open, hold or close a requisition; a reason when opening with coverage gaps."""

    status = HiddenField(validators=[DataRequired()])
    uncovered_reason = TextAreaField(
        "Why this requisition may open with gaps (hiring manager)",
        validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Change status")


class ScheduleForm(BaseForm):
    """Schedule (or reschedule) an interview; times are in the scheduler's time zone."""

    step = SelectField("Interview", coerce=int, validators=[DataRequired()])
    date = StringField("Date", validators=[DataRequired()], description="YYYY-MM-DD",
                       render_kw={"type": "date"})
    time = StringField("Start time", validators=[DataRequired()], description="HH:MM",
                       render_kw={"type": "time"})
    minutes = IntegerField("Minutes", validators=[DataRequired(), NumberRange(min=5, max=480)])
    interviewers = MultiCheckboxField("Interviewers", coerce=int,
                                      validators=[DataRequired(message="Choose at least one "
                                                                       "interviewer.")])
    location = StringField("Room or place", validators=[Optional(), Length(max=200)])
    video_url = StringField("Video link", validators=[Optional(), Length(max=500)],
                            description="https://... (optional)")
    version = HiddenField()
    submit = SubmitField("Schedule")
