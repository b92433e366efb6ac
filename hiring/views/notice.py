"""The candidate notice page (public, by signed link) and issuing its link (recruiting team).

``notice.show`` and ``notice.submit`` are on the policy's public allow-list: the candidate has no
account. The token is the only key; a bad, expired or revoked one answers the ordinary 404 page
and nothing else. The page's form carries a CSRF token like every other form.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import RadioField, SubmitField
from wtforms.validators import InputRequired

from ..db import db_session
from ..forms import ActionForm, BaseForm
from ..models.fairness import PREFER_NOT_TO_SAY, RACE_ETHNICITY_CHOICES, SEX_CHOICES
from ..operations import OperationError
from ..operations import notice as ops
from ..policy import Action, application_for, requires

bp = Blueprint("notice", __name__)

STANDARD, ALTERNATIVE = "standard", "alternative"
NO_ANSWER = ""


def _choices(options: dict[str, str]) -> list[tuple[str, str]]:
    """No answer first, the categories, "prefer not to say" last."""
    rest = [(k, v) for k, v in options.items() if k != PREFER_NOT_TO_SAY]
    return [(NO_ANSWER, "No answer"), *rest, (PREFER_NOT_TO_SAY, options[PREFER_NOT_TO_SAY])]


class NoticeForm(BaseForm):
    """The candidate's choices: how the application is reviewed, and voluntary answers."""

    review = RadioField(
        "How would you like your application to be reviewed?",
        choices=[(STANDARD, "With structured scores assisting the people who decide"),
                 (ALTERNATIVE, "Alternative process: people review my interviews without "
                               "automated scores or ranking")],
        default=STANDARD, validators=[InputRequired()])
    sex = RadioField("Sex", choices=_choices(SEX_CHOICES), default=NO_ANSWER)
    race_ethnicity = RadioField("Race/ethnicity", choices=_choices(RACE_ETHNICITY_CHOICES),
                                default=NO_ANSWER)
    submit = SubmitField("Send")


def _resolve(token: str) -> ops.ResolvedNotice:
    resolved = ops.resolve(db_session(), token, secret_key=current_app.config["SECRET_KEY"],
                           days=int(current_app.config["NOTICE_LINK_DAYS"]))
    if resolved is None:
        abort(404)
    return resolved


def _render(token: str, resolved: ops.ResolvedNotice, form: NoticeForm,
            status: int = 200) -> tuple[str, int]:
    application = resolved.application
    return render_template("notice/show.html", form=form, token=token,
                           title=application.requisition.title,
                           alternative=application.alternative_process,
                           expires_at=resolved.link.expires_at), status


@bp.get("/notice/<token>")
def show(token: str) -> tuple[str, int]:
    """How structured scores assist the decision, in plain words; the alternative process and
    voluntary self-identification. No login; the signed link is the key."""
    resolved = _resolve(token)
    form = NoticeForm(data={"review": ALTERNATIVE if resolved.application.alternative_process
                            else STANDARD})
    return _render(token, resolved, form)


@bp.post("/notice/<token>")
def submit(token: str) -> tuple[str, int] | Response:
    """Store the candidate's choices (CSRF-protected like every form)."""
    resolved = _resolve(token)
    form = NoticeForm()
    if not form.validate_on_submit():
        return _render(token, resolved, form, 400)
    session = db_session()
    try:
        result = ops.record_response(session, resolved, alternative=form.review.data ==
                                     ALTERNATIVE, sex=form.sex.data or None,
                                     race_ethnicity=form.race_ethnicity.data or None)
    except OperationError as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return _render(token, resolved, form, 400)
    session.commit()
    message = "Thank you: your choices are saved."
    if form.review.data == ALTERNATIVE:
        message += (" Your application will be reviewed by people, without automated scores or "
                    "ranking.")
    if result["self_identified"]:
        message += " Your voluntary answers are stored apart from your application."
    flash(message, "success")
    return redirect(url_for("notice.show", token=token))


@bp.post("/applications/<int:application_id>/notice-link")
@requires(Action.MANAGE_CANDIDATES)
def issue(application_id: int) -> tuple[str, int]:
    """Issue a new notice link for the application (older ones stop working) and show it once,
    to copy into a message to the candidate."""
    session = db_session()
    application = application_for(session, current_user, application_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    days = int(current_app.config["NOTICE_LINK_DAYS"])
    link, token = ops.issue_link(session, application, actor=current_user,
                                 secret_key=current_app.config["SECRET_KEY"], days=days)
    session.commit()
    url = url_for("notice.show", token=token, _external=True)
    return render_template("notice/issued.html", application=application, url=url,
                           expires_at=link.expires_at, days=days), 200
