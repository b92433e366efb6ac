"""The base form: whitespace stripped from typed text, never from passwords; no state shared
between instances of one form class."""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict

from hiring.forms import LoginForm
from hiring.scorecard_form import FocusItem, QuestionItem, build_form_class


def _app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="unit-test-secret", WTF_CSRF_ENABLED=False)
    return app


def test_text_is_stripped_and_passwords_are_not() -> None:
    with _app().test_request_context(method="POST"):
        form = LoginForm(MultiDict({"email": "  a@example.com \n", "password": "  pass  "}))
        assert form.email.data == "a@example.com"
        assert form.password.data == "  pass  "


def test_binding_a_form_many_times_does_not_grow_its_filters() -> None:
    # A form class's unbound fields are shared: binding must never add to them (it once
    # appended a filter per instance, so each request made every later one slower).
    form_class = build_form_class(
        [FocusItem(1, "Modelling", "d", ("a", "b", "c", "e"))],
        [QuestionItem(7, 1, "Prompt?", "q-1")])
    with _app().test_request_context(method="POST"):
        counts = [len(form_class(MultiDict()).evidence_1.filters) for _ in range(5)]
        login = [len(LoginForm(MultiDict()).email.filters) for _ in range(5)]
    assert counts == [1] * 5
    assert login == [1] * 5
