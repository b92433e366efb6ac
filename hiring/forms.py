"""WTForms (via Flask-WTF): one base form; only the fields a role may write exist on a form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .operations.accounts import ROLE_LABELS
from .security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem


class BaseForm(FlaskForm):
    """Base of every form: CSRF (global), and a place for shared behaviour."""

    class Meta:
        # Strip surrounding whitespace from text input, never from passwords.
        def bind_field(self, form, unbound_field, options):  # type: ignore[no-untyped-def]
            if unbound_field.field_class not in (PasswordField,):
                filters = list(unbound_field.kwargs.get("filters", []))
                filters.append(lambda value: value.strip() if isinstance(value, str) else value)
                unbound_field.kwargs["filters"] = filters
            return unbound_field.bind(form=form, **options)


class ActionForm(BaseForm):
    """A form with nothing but its CSRF token (logout, disable, ...)."""

    submit = SubmitField("Confirm")


class LoginForm(BaseForm):
    """E-mail and password."""

    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(),
                                                     Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()
    submit = SubmitField("Log in")


class ReauthForm(BaseForm):
    """Re-enter the password before a dangerous action."""

    password = PasswordField("Your password", validators=[DataRequired(),
                                                          Length(max=MAX_PASSWORD_LENGTH)])
    next = HiddenField()
    submit = SubmitField("Confirm it's you")


class ChangePasswordForm(BaseForm):
    """The user's current password and a new one, typed twice."""

    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField(
        "New password",
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH)],
        description=f"At least {MIN_PASSWORD_LENGTH} characters; a long phrase is best. "
                    "Common passwords are refused.",
    )
    confirm = PasswordField("New password again", validators=[DataRequired()])
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
