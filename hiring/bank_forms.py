"""Forms for editing the question bank in the app (admins only).

The forms only collect what was typed; the rules are the bank's own: the view builds the dict a
file would hold (:meth:`QuestionForm.to_raw`, :func:`entry_changes`) and the operation runs it
through :mod:`hiring.question_bank`'s validators, whose problems come back to the fields here
(:func:`show_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import Length

from . import question_bank as qb
from .forms import BaseForm, MultiCheckboxField
from .operations.bank import EntryChange, EntryView

MAX_TEXT = 10_000
KIND_LABELS = {"technical": "Technical", "situational": "Situational",
               "behavioural": "Behavioural", "domain": "Domain", "work-sample": "Work sample"}
WEIGHT_LABELS = {1: "1 supporting", 2: "2 core", 3: "3 critical"}
BAR_LABELS = {1: "1 not yet", 2: "2 foundational", 3: "3 proficient", 4: "4 advanced"}
LIST_FIELDS = ("follow_ups", "signals", "red_flags")


def _choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class QuestionForm(BaseForm):
    """Add or edit a question; lists are typed one item per line."""

    public_id = StringField("Id", validators=[Length(max=80)],
                            description="Stable and unique across the bank, kebab-case, e.g. "
                                        "ds-eval-101. It never changes once saved.")
    competency = SelectField("Competency", choices=[], validate_choice=False)
    kind = SelectField("Kind", choices=_choices([("", "Choose a kind"),
                                                 *KIND_LABELS.items()]))
    levels = MultiCheckboxField("Levels it suits",
                                choices=_choices((lv, lv.title()) for lv in qb.LEVELS))
    minutes = StringField("Minutes", validators=[Length(max=4)],
                          description=f"Whole minutes, {qb.MINUTES[0]}-{qb.MINUTES[1]}.")
    prompt = TextAreaField("Prompt", validators=[Length(max=MAX_TEXT)],
                           description="The question as the interviewer asks it.")
    follow_ups = TextAreaField("Follow-ups", validators=[Length(max=MAX_TEXT)],
                               description=f"One per line; at least {qb.MIN_FOLLOW_UPS}.")
    signals = TextAreaField("What a strong answer shows", validators=[Length(max=MAX_TEXT)],
                            description=f"One per line; at least {qb.MIN_SIGNALS}.")
    red_flags = TextAreaField("Red flags", validators=[Length(max=MAX_TEXT)],
                              description=f"One per line; at least {qb.MIN_RED_FLAGS}.")
    alternate_of = StringField("Alternate of (optional)", validators=[Length(max=80)],
                               description="The id of a question of the same competency that "
                                           "this one can replace, e.g. if that one leaked.")
    version = HiddenField()
    submit = SubmitField("Save")

    def set_competencies(self, names: Mapping[str, str]) -> None:
        """Offer the active competencies (key -> name)."""
        self.competency.choices = _choices([("", "Choose a competency"),
                                            *((k, f"{n} ({k})") for k, n in names.items())])

    def to_raw(self) -> dict[str, Any]:
        """The dict a question file would hold for what was typed."""
        raw: dict[str, Any] = {
            "id": self.public_id.data or "",
            "competency": self.competency.data or "",
            "kind": self.kind.data or "",
            "levels": list(self.levels.data or []),
            "minutes": (self.minutes.data or "").strip(),
            "prompt": self.prompt.data or "",
        }
        for name in LIST_FIELDS:
            raw[name] = lines(self[name].data)
        if (self.alternate_of.data or "").strip():
            raw["alternate_of"] = self.alternate_of.data.strip()
        return {key: value for key, value in raw.items() if value not in ("", [])}

    @staticmethod
    def data_from_raw(raw: Mapping[str, Any], version_no: int | None = None) -> dict[str, Any]:
        """Form data (for prefilling on GET) from the dict a file would hold."""
        data = {"public_id": raw.get("id", ""), "competency": raw.get("competency", ""),
                "kind": raw.get("kind", ""), "levels": list(raw.get("levels", [])),
                "minutes": str(raw.get("minutes", "")), "prompt": raw.get("prompt", ""),
                "alternate_of": raw.get("alternate_of") or ""}
        for name in LIST_FIELDS:
            data[name] = "\n".join(raw.get(name, []))
        if version_no is not None:
            data["version"] = str(version_no)
        return data


def lines(text: str | None) -> list[str]:
    """Non-empty, trimmed lines of a text area."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


QUESTION_FIELD_NAMES = {"id": "public_id"}


def show_problems(form: BaseForm, problems: list[qb.Problem],
                  field_names: Mapping[str, str] | None = None) -> None:
    """Put each validator problem next to its field (or at the top of the form)."""
    names = dict(QUESTION_FIELD_NAMES, **(field_names or {}))
    for problem in problems:
        name = names.get(problem.field, problem.field)
        field = form._fields.get(name) if name else None
        if field is not None:
            field.errors = [*list(field.errors or []), problem.message]
        else:
            form.form_errors.append(problem.message)


class ProfileLevelForm(BaseForm):
    """Weights, bars and must-haves of one level of a role profile (fields added per level)."""

    reason = TextAreaField("Why this change", validators=[Length(max=2000)],
                           description="Kept in the profile's provenance with the new version.")
    version = HiddenField()
    submit = SubmitField("Save as a new version")


def profile_level_form(entries: list[EntryView], **kwargs: Any) -> ProfileLevelForm:
    """A :class:`ProfileLevelForm` with ``weight_N``, ``bar_N`` and ``must_N`` per competency."""
    attrs: dict[str, Any] = {}
    for index, _entry in enumerate(entries):
        attrs[f"weight_{index}"] = SelectField(
            "Weight", choices=_choices((str(k), v) for k, v in WEIGHT_LABELS.items()))
        attrs[f"bar_{index}"] = SelectField(
            "Bar", choices=_choices((str(k), v) for k, v in BAR_LABELS.items()))
        attrs[f"must_{index}"] = BooleanField("Must-have")
    form_class = type("ProfileLevelEditForm", (ProfileLevelForm,), attrs)
    return form_class(**kwargs)


def profile_level_data(entries: list[EntryView], version_no: int) -> dict[str, Any]:
    """Form data (GET prefill) from a level's saved entries."""
    data: dict[str, Any] = {"version": str(version_no)}
    for index, entry in enumerate(entries):
        data[f"weight_{index}"] = str(entry.weight)
        data[f"bar_{index}"] = str(entry.bar)
        data[f"must_{index}"] = entry.must_have
    return data


def entry_changes(form: ProfileLevelForm, entries: list[EntryView]) -> list[EntryChange]:
    """What was typed per competency, in the level's order (the validator checks the values)."""
    changes = []
    for index, entry in enumerate(entries):
        weight = form[f"weight_{index}"].data
        bar = form[f"bar_{index}"].data
        changes.append(EntryChange(
            key=entry.key,
            weight=int(weight) if str(weight).isdigit() else weight,
            bar=int(bar) if str(bar).isdigit() else bar,
            must_have=bool(form[f"must_{index}"].data),
        ))
    return changes


def profile_field_names(level: str, count: int) -> dict[str, str]:
    """Validator field paths of one level -> form field names."""
    names = {"provenance.change_reason": "reason"}
    for index in range(count):
        prefix = f"levels.{level}.competencies.{index}"
        names[f"{prefix}.weight"] = f"weight_{index}"
        names[f"{prefix}.bar"] = f"bar_{index}"
        names[f"{prefix}.must_have"] = f"must_{index}"
    return names
