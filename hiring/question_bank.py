"""Question bank files: YAML in, validated plain items out (no Flask, no database).

The format is documented in ``question_bank/README.md``. :func:`read_bank` reads a bank folder
and reports **every** problem at once, each naming the file, the line and the item's id or key
(``questions/ds.yaml:12: ds-ana-001: 'follow_ups' needs at least 2 items, has 1``). The same
validators check what admins type in the app (:func:`validate_question`,
:func:`validate_profile`): the app builds the dict a file would hold and runs it through here.

YAML is read with PyYAML's safe loader in two steps: ``yaml.compose`` gives the node tree with
line marks, and a small converter turns it into plain dicts and lists that remember the line of
each key and list item. Nothing here imports Flask or SQLAlchemy.

The module also holds the other direction (items -> YAML-shaped dicts -> text, for
``bank export``), the content hashes used to detect changes, and the summary tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

FOLDERS = ("competencies", "roles", "domains", "questions")
LEVELS = ("junior", "mid", "senior")
CATEGORIES = ("technical", "domain", "soft")
KINDS = ("technical", "situational", "behavioural", "domain", "work-sample")
WEIGHTS = (1, 3)  # 1 supporting, 2 core, 3 critical
BARS = (1, 4)  # the rating scale
MINUTES = (1, 240)
MAX_MUST_HAVES = 5
MIN_FOLLOW_UPS = 2
MIN_SIGNALS = 3
MIN_RED_FLAGS = 2
PROVENANCE_REQUIRED = ("defined_by", "method", "date", "rationale")
PROVENANCE_OPTIONAL = ("change_reason",)
# libyaml's parser is about twenty times faster and gives the same nodes and marks.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
APP_FILE = "(app)"

COMPETENCY_FIELDS = ("key", "name", "category", "description", "anchors")
DOMAIN_COMPETENCY_FIELDS = (*COMPETENCY_FIELDS, "defaults")
PROFILE_FIELDS = ("key", "name", "summary", "provenance", "levels")
LEVEL_FIELDS = ("summary", "competencies")
ENTRY_FIELDS = ("key", "weight", "bar", "must_have")
DOMAIN_FIELDS = ("key", "name", "description", "competencies")
QUESTION_FIELDS = ("id", "competency", "kind", "levels", "minutes", "prompt", "follow_ups",
                   "signals", "red_flags", "alternate_of")


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True, order=True)
class Problem:
    """One error (or warning) in the bank: where it is, which item, what is wrong.

    ``field`` is the dotted path of the offending field inside the item (``follow_ups``,
    ``levels.mid.competencies.2.bar``) so that forms can show the message next to the field.
    """

    file: str
    line: int
    item: str
    message: str
    field: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.item}: {self.message}"


class _Problems:
    """Collects problems for one file (or one item typed in the app)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, line: int, item: str, message: str, field: str = "") -> None:
        self.items.append(Problem(self.file, line, item or "-", message, field))


# --------------------------------------------------------------------------- YAML with lines


class YMap(dict):  # type: ignore[type-arg]
    """A YAML mapping as a dict that remembers its own line and the line of each key."""

    line: int = 0
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, line: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        self.key_lines = {}


class YList(list):  # type: ignore[type-arg]
    """A YAML sequence as a list that remembers its own line and the line of each item."""

    line: int = 0
    item_lines: list[int]

    def __init__(self, *args: Any, line: int = 0) -> None:
        super().__init__(*args)
        self.line = line
        self.item_lines = []


def _node_line(node: Node) -> int:
    return node.start_mark.line + 1


class _Converter:
    """Turns a composed node tree into :class:`YMap`/:class:`YList`/scalars (safe tags only)."""

    def __init__(self, problems: _Problems) -> None:
        self.problems = problems
        self.constructor = SafeConstructor()
        self._active: set[int] = set()

    def convert(self, node: Node) -> Any:
        if id(node) in self._active:
            self.problems.add(_node_line(node), "-", "recursive YAML alias")
            return None
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node)
            if isinstance(node, SequenceNode):
                result = YList(line=_node_line(node))
                for child in node.value:
                    result.append(self.convert(child))
                    result.item_lines.append(_node_line(child))
                return result
            return self._scalar(node)
        finally:
            self._active.discard(id(node))

    def _mapping(self, node: MappingNode) -> YMap:
        try:
            self.constructor.flatten_mapping(node)  # resolves "<<" merge keys
        except ConstructorError as exc:
            self.problems.add(_node_line(node), "-", f"YAML error: {exc.problem}")
        result = YMap(line=_node_line(node))
        for key_node, value_node in node.value:
            key = self.convert(key_node)
            line = _node_line(key_node)
            try:
                hash(key)
            except TypeError:
                self.problems.add(line, "-", "a mapping key must be a plain value")
                continue
            if key in result:
                self.problems.add(line, "-", f"duplicate key '{key}' in one mapping "
                                             f"(first at line {result.key_lines[key]})")
                continue
            result[key] = self.convert(value_node)
            result.key_lines[key] = line
        return result

    def _scalar(self, node: Node) -> Any:
        if not isinstance(node, ScalarNode):  # pragma: no cover - compose yields only these
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError) as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.problems.add(_node_line(node), "-", f"YAML error: {problem}")
            return None


def _guess_item(text: str, line: int) -> str:
    """The id or key nearest above ``line`` in raw text (syntax errors have no parsed item)."""
    lines = text.splitlines()
    pattern = re.compile(r"^\s*(?:-\s+)?(?:id|key)\s*:\s*['\"]?([A-Za-z0-9_.-]+)")
    for raw in reversed(lines[: max(line, 0)]):
        match = pattern.match(raw)
        if match:
            return match.group(1)
    return "-"


def parse_yaml(text: str, file: str, problems: _Problems) -> Any:
    """Parse one YAML document with line tracking; syntax errors become problems."""
    try:
        node = yaml.compose(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        detail = exc.problem or "syntax error"
        if exc.context:
            detail = f"{exc.context}, {detail}"
        if exc.context_mark is not None and exc.context_mark.line + 1 < line:
            # e.g. an unclosed quote: point at where it starts, say where it was noticed.
            detail = f"{detail} (noticed at line {line})"
            line = exc.context_mark.line + 1
        problems.add(line, _guess_item(text, line), f"YAML syntax error: {detail}")
        return None
    except yaml.YAMLError as exc:
        problems.add(1, "-", f"YAML error: {exc}")
        return None
    if node is None:
        return None
    return _Converter(problems).convert(node)


# --------------------------------------------------------------------------- items


@dataclass
class CompetencySpec:
    """A competency: key, name, category, description and the four anchors (1..4)."""

    key: str
    name: str
    category: str
    description: str
    anchors: tuple[str, str, str, str]
    file: str = APP_FILE
    line: int = 0
    domain: str | None = None

    def content(self) -> dict[str, Any]:
        """The versioned content (a change makes a new competency version)."""
        return {"name": self.name, "description": self.description,
                "anchors": list(self.anchors)}


@dataclass
class EntrySpec:
    """Weight, bar and must-have of one competency at one level of a role profile."""

    key: str
    weight: int
    bar: int
    must_have: bool = False


@dataclass
class LevelSpec:
    """One level of a role profile."""

    summary: str
    entries: list[EntrySpec]


@dataclass
class ProfileSpec:
    """A role profile: brief, provenance and its levels (in ``LEVELS`` order)."""

    key: str
    name: str
    summary: str
    provenance: dict[str, str]
    levels: dict[str, LevelSpec]
    file: str = APP_FILE
    line: int = 0

    def content(self) -> dict[str, Any]:
        """Everything a profile version holds (a change makes a new profile version)."""
        return {
            "name": self.name, "summary": self.summary, "provenance": dict(self.provenance),
            "levels": {
                level: {"summary": spec.summary,
                        "competencies": [[e.key, e.weight, e.bar, e.must_have]
                                         for e in spec.entries]}
                for level, spec in self.levels.items()
            },
        }


@dataclass
class DomainSpec:
    """A domain pack: its competencies (keys) and their default weight and bar per level."""

    key: str
    name: str
    description: str
    competencies: list[str]
    defaults: dict[str, dict[str, tuple[int, int]]]
    file: str = APP_FILE
    line: int = 0

    def content(self) -> dict[str, Any]:
        """The pack's own content (its competencies are versioned on their own)."""
        # Sorted: the order of a pack's competencies is presentation, not content.
        return {"name": self.name, "description": self.description,
                "competencies": sorted(self.competencies),
                "defaults": {key: {level: list(wb) for level, wb in sorted(levels.items())}
                             for key, levels in sorted(self.defaults.items())}}


@dataclass
class QuestionSpec:
    """An interview question."""

    id: str
    competency: str
    kind: str
    levels: list[str]
    minutes: int
    prompt: str
    follow_ups: list[str]
    signals: list[str]
    red_flags: list[str]
    alternate_of: str | None = None
    file: str = APP_FILE
    line: int = 0

    def content(self) -> dict[str, Any]:
        """The versioned content (a change makes a new question version)."""
        return {"kind": self.kind, "levels": list(self.levels), "minutes": self.minutes,
                "prompt": self.prompt, "follow_ups": list(self.follow_ups),
                "signals": list(self.signals), "red_flags": list(self.red_flags)}

    def search_text(self) -> str:
        """The text a full-text search looks at."""
        return "\n".join([self.prompt, *self.follow_ups, *self.signals, *self.red_flags])


def content_hash(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``content`` (change detection)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class Bank:
    """A whole validated bank: items by key or id (first occurrence wins) and all problems."""

    competencies: dict[str, CompetencySpec] = field(default_factory=dict)
    profiles: dict[str, ProfileSpec] = field(default_factory=dict)
    domains: dict[str, DomainSpec] = field(default_factory=dict)
    questions: dict[str, QuestionSpec] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the bank has no errors (warnings do not count)."""
        return not self.problems

    def describe(self) -> str:
        """``84 competencies, 5 role profiles, 6 domain packs, 272 questions``."""
        return (f"{len(self.competencies)} competencies, {len(self.profiles)} role profiles, "
                f"{len(self.domains)} domain packs, {len(self.questions)} questions")


# --------------------------------------------------------------------------- field readers


def _describe_type(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "empty"
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__


_COLON_HINT = " (an unquoted ': ' inside the text? put the text in quotes)"


class _Fields:
    """Typed access to one item's mapping, reporting problems with file, line, item, field."""

    def __init__(self, data: Mapping[str, Any], problems: _Problems, item: str,
                 prefix: str = "", line: int | None = None, context: str = "") -> None:
        self.data = data
        self.problems = problems
        self.item = item
        self.prefix = prefix
        self.base_line = line if line is not None else getattr(data, "line", 0)
        self.context = context  # e.g. "junior, ds-data-analysis" for a profile entry

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def line(self, key: str | None = None) -> int:
        lines = getattr(self.data, "key_lines", {})
        return lines.get(key, self.base_line) if key is not None else self.base_line

    def add(self, key: str | None, message: str, line: int | None = None) -> None:
        if self.context:
            message = f"{self.context}: {message}"
        self.problems.add(line if line is not None else self.line(key), self.item, message,
                          self.path(key) if key else self.prefix)

    def unknown(self, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in self.data:
            if key not in allowed:
                self.add(None, f"unknown field '{key}' (allowed: {', '.join(allowed)})",
                         line=self.line(key))

    def present(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def text(self, key: str, *, required: bool = True) -> str | None:
        if key not in self.data or self.data[key] is None:
            if required:
                self.add(key, f"missing field '{key}'" if key not in self.data
                         else f"'{key}' is empty")
            return None
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float | dt.date):
            hint = _COLON_HINT if isinstance(value, Mapping) else ""
            self.add(key, f"'{key}' must be text, not {_describe_type(value)}{hint}")
            return None
        value = str(value).strip()
        if not value:
            if required:
                self.add(key, f"'{key}' is empty")
            return None
        return value

    def key(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not KEY_PATTERN.match(value):
            self.add(key, f"'{key}' must be kebab-case (lower-case letters, digits and "
                          f"single hyphens), not '{value}'")
            return None
        return value

    def texts(self, key: str, minimum: int) -> list[str] | None:
        if key not in self.data or self.data[key] is None:
            self.add(key, f"missing field '{key}' (at least {minimum} items)"
                     if key not in self.data else f"'{key}' is empty (at least {minimum} items)")
            return None
        value = self.data[key]
        if not isinstance(value, list):
            self.add(key, f"'{key}' must be a list, not {_describe_type(value)}")
            return None
        result: list[str] = []
        ok = True
        lines = getattr(value, "item_lines", [])
        for index, element in enumerate(value):
            line = lines[index] if index < len(lines) else self.line(key)
            if isinstance(element, bool) or not isinstance(element, str | int | float):
                hint = _COLON_HINT if isinstance(element, Mapping) else ""
                self.problems.add(line, self.item, f"'{key}' item {index + 1} must be text, "
                                  f"not {_describe_type(element)}{hint}", self.path(key))
                ok = False
                continue
            text = str(element).strip()
            if not text:
                self.problems.add(line, self.item, f"'{key}' item {index + 1} is empty",
                                  self.path(key))
                ok = False
                continue
            result.append(text)
        if ok and len(result) < minimum:
            self.add(key, f"'{key}' needs at least {minimum} items, has {len(result)}")
            return None
        return result if ok else None

    def integer(self, key: str, bounds: tuple[int, int], what: str) -> int | None:
        low, high = bounds
        if key not in self.data or self.data[key] is None:
            self.add(key, f"missing field '{key}' ({what} {low}-{high})")
            return None
        value = self.data[key]
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(key, f"'{key}' must be a whole number from {low} to {high} ({what}), "
                          f"not {value!r}")
            return None
        return value

    def boolean(self, key: str) -> bool:
        value = self.data.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.add(key, f"'{key}' must be true or false, not {value!r}")
            return False
        return value

    def choice(self, key: str, choices: tuple[str, ...]) -> str | None:
        value = self.text(key)
        if value is not None and value not in choices:
            self.add(key, f"'{key}' must be one of {', '.join(choices)}, not '{value}'")
            return None
        return value

    def mapping(self, key: str) -> Mapping[str, Any] | None:
        if key not in self.data or self.data[key] is None:
            self.add(key, f"missing field '{key}'" if key not in self.data
                     else f"'{key}' is empty")
            return None
        value = self.data[key]
        if not isinstance(value, Mapping):
            self.add(key, f"'{key}' must be a mapping, not {_describe_type(value)}")
            return None
        return value

    def sequence(self, key: str) -> list[Any] | None:
        if key not in self.data or self.data[key] is None:
            self.add(key, f"missing field '{key}'" if key not in self.data
                     else f"'{key}' is empty")
            return None
        value = self.data[key]
        if not isinstance(value, list):
            self.add(key, f"'{key}' must be a list, not {_describe_type(value)}")
            return None
        if not value:
            self.add(key, f"'{key}' is empty")
            return None
        return value

    def child(self, key: str, value: Mapping[str, Any], line: int | None = None) -> _Fields:
        return _Fields(value, self.problems, self.item, self.path(key),
                       line if line is not None else getattr(value, "line", self.line(key)))


def _item_name(data: Any, id_field: str, fallback: str) -> str:
    if isinstance(data, Mapping):
        value = data.get(id_field)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return fallback


def _list_items(value: list[Any]) -> Iterable[tuple[int, Any, int]]:
    lines = getattr(value, "item_lines", [])
    fallback = getattr(value, "line", 0)
    for index, element in enumerate(value):
        yield index, element, lines[index] if index < len(lines) else fallback


# --------------------------------------------------------------------------- item validators


def _competency(data: Any, problems: _Problems, line: int, fallback: str,
                *, in_domain: str | None = None) -> CompetencySpec | None:
    item = _item_name(data, "key", fallback)
    if not isinstance(data, Mapping):
        problems.add(line, item, f"a competency must be a mapping, not {_describe_type(data)}")
        return None
    f = _Fields(data, problems, item, line=getattr(data, "line", line))
    f.unknown(DOMAIN_COMPETENCY_FIELDS if in_domain else COMPETENCY_FIELDS)
    key = f.key("key")
    name = f.text("name")
    category = f.choice("category", CATEGORIES)
    if in_domain and category and category != "domain":
        f.add("category", f"competencies of a domain pack have category 'domain', not "
                          f"'{category}'")
        category = None
    description = f.text("description")
    anchors = _anchors(f)
    if None in (key, name, category, description, anchors):
        return None
    return CompetencySpec(key=key, name=name, category=category,  # type: ignore[arg-type]
                          description=description, anchors=anchors,  # type: ignore[arg-type]
                          file=problems.file, line=f.base_line, domain=in_domain)


def _anchors(f: _Fields) -> tuple[str, str, str, str] | None:
    anchors = f.mapping("anchors")
    if anchors is None:
        return None
    found: dict[int, str] = {}
    present: set[int] = set()
    af = f.child("anchors", anchors)
    ok = True
    for raw_key in anchors:
        rating = raw_key
        if isinstance(raw_key, str) and raw_key.strip().isdigit():
            rating = int(raw_key.strip())
        if isinstance(rating, bool) or rating not in (1, 2, 3, 4):
            af.add(None, f"anchor '{raw_key}' is not a rating (1, 2, 3 or 4)",
                   line=af.line(raw_key))
            ok = False
            continue
        present.add(rating)
        text = af.text(raw_key)
        if text is None:
            ok = False
            continue
        found[rating] = text
    missing = [str(r) for r in (1, 2, 3, 4) if r not in present]
    if missing:
        f.add("anchors", f"needs four anchors (1-4), has {len(present)}: missing "
                         f"{', '.join(missing)}")
        return None
    if not ok:
        return None
    return (found[1], found[2], found[3], found[4])


def _provenance(f: _Fields) -> dict[str, str] | None:
    data = f.mapping("provenance")
    if data is None:
        return None
    pf = f.child("provenance", data)
    pf.unknown(PROVENANCE_REQUIRED + PROVENANCE_OPTIONAL)
    result: dict[str, str] = {}
    ok = True
    for key in PROVENANCE_REQUIRED + PROVENANCE_OPTIONAL:
        required = key in PROVENANCE_REQUIRED
        if key == "date":
            value = _iso_date(pf)
        else:
            value = pf.text(key, required=required)
        if value is None:
            ok = ok and not required
            continue
        result[key] = value
    return result if ok else None


def _iso_date(f: _Fields) -> str | None:
    """``date`` may load as a ``datetime.date`` (unquoted) or a string: both become ISO text."""
    if "date" not in f.data or f.data["date"] is None:
        f.add("date", "missing field 'date' (YYYY-MM-DD)")
        return None
    value = f.data["date"]
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    f.add("date", f"'date' must be a date (YYYY-MM-DD), not {value!r}")
    return None


def _profile(data: Any, problems: _Problems, line: int,
             competencies: Collection[str] | None) -> ProfileSpec | None:
    item = _item_name(data, "key", "role")
    if not isinstance(data, Mapping):
        problems.add(line, item, f"'role' must be a mapping, not {_describe_type(data)}")
        return None
    f = _Fields(data, problems, item, line=getattr(data, "line", line))
    f.unknown(PROFILE_FIELDS)
    key = f.key("key")
    name = f.text("name")
    summary = f.text("summary")
    provenance = _provenance(f)
    levels_data = f.mapping("levels")
    levels: dict[str, LevelSpec] = {}
    ok = True
    if levels_data is not None:
        lf = f.child("levels", levels_data)
        for level in levels_data:
            if level not in LEVELS:
                lf.add(None, f"unknown level '{level}' (levels: {', '.join(LEVELS)})",
                       line=lf.line(level))
                ok = False
        if not any(level in levels_data for level in LEVELS):
            f.add("levels", f"needs at least one level ({', '.join(LEVELS)})")
            ok = False
        listed: dict[str, list[str]] = {}
        for level in LEVELS:
            if level not in levels_data:
                continue
            spec, listed[level] = _level(lf, level, competencies)
            if spec is None:
                ok = False
            else:
                levels[level] = spec
        if not _check_levels_complete(lf, listed):
            ok = False
    if not ok or None in (key, name, summary, provenance, levels_data):
        return None
    return ProfileSpec(key=key, name=name, summary=summary,  # type: ignore[arg-type]
                       provenance=provenance, levels=levels,  # type: ignore[arg-type]
                       file=problems.file, line=f.base_line)


def _level(lf: _Fields, level: str,
           competencies: Collection[str] | None) -> tuple[LevelSpec | None, list[str]]:
    """One level's summary and entries, and the competency keys it lists (even if invalid)."""
    data = lf.mapping(level)
    if data is None:
        return None, []
    f = lf.child(level, data)
    f.unknown(LEVEL_FIELDS)
    summary = f.text("summary")
    entries_data = f.sequence("competencies")
    entries: list[EntrySpec] = []
    ok = entries_data is not None
    seen: dict[str, int] = {}
    for index, raw, line in _list_items(entries_data or []):
        path = f"competencies.{index}"
        if not isinstance(raw, Mapping):
            f.add("competencies", f"level {level}: competency {index + 1} must be a mapping "
                                  f"like {{key: ..., weight: 2, bar: 3}}", line=line)
            ok = False
            continue
        ef = f.child(path, raw, line=line)
        ef.context = f"level {level}, {_item_name(raw, 'key', f'competency {index + 1}')}"
        ef.unknown(ENTRY_FIELDS)
        key = ef.text("key")
        weight = ef.integer("weight", WEIGHTS, "1 supporting, 2 core, 3 critical")
        bar = ef.integer("bar", BARS, "the rating a hire must reach")
        must_have = ef.boolean("must_have")
        if key is not None:
            if key in seen:
                ef.add("key", f"listed twice in this level (first at line {seen[key]})")
                ok = False
            seen.setdefault(key, line)
            if competencies is not None and key not in competencies:
                ef.add("key", f"unknown competency '{key}'")
                ok = False
        if None in (key, weight, bar):
            ok = False
            continue
        entries.append(EntrySpec(key=key, weight=weight, bar=bar,  # type: ignore[arg-type]
                                 must_have=must_have))
    must_haves = sum(1 for raw in entries_data or [] if isinstance(raw, Mapping)
                     and raw.get("must_have") is True)
    if must_haves > MAX_MUST_HAVES:
        lf.add(level, f"level {level} has {must_haves} must-haves; at most {MAX_MUST_HAVES}")
        ok = False
    if not ok or summary is None:
        return None, list(seen)
    return LevelSpec(summary=summary, entries=entries), list(seen)


def _check_levels_complete(lf: _Fields, listed: dict[str, list[str]]) -> bool:
    """Every level lists every competency of the role (each with a weight and a bar)."""
    all_keys: list[str] = []
    for keys in listed.values():
        all_keys.extend(k for k in keys if k not in all_keys)
    ok = True
    for level, keys in listed.items():
        for key in all_keys:
            if key not in keys:
                lf.add(level, f"level {level} has no weight and bar for '{key}' (listed at "
                              f"other levels)")
                ok = False
    return ok


def _domain(data: Any, problems: _Problems, line: int) -> tuple[DomainSpec | None,
                                                                 list[CompetencySpec]]:
    item = _item_name(data, "key", "domain")
    if not isinstance(data, Mapping):
        problems.add(line, item, f"'domain' must be a mapping, not {_describe_type(data)}")
        return None, []
    f = _Fields(data, problems, item, line=getattr(data, "line", line))
    f.unknown(DOMAIN_FIELDS)
    key = f.key("key")
    name = f.text("name")
    description = f.text("description")
    items = f.sequence("competencies")
    competencies: list[CompetencySpec] = []
    defaults: dict[str, dict[str, tuple[int, int]]] = {}
    ok = items is not None
    for index, raw, item_line in _list_items(items or []):
        spec = _competency(raw, problems, item_line, f"competencies[{index + 1}]",
                           in_domain=key or item)
        level_defaults = _domain_defaults(raw, problems, item_line, index)
        if spec is None or level_defaults is None:
            ok = False
            continue
        competencies.append(spec)
        defaults[spec.key] = level_defaults
    if not ok or None in (key, name, description):
        return None, competencies
    return DomainSpec(key=key, name=name, description=description,  # type: ignore[arg-type]
                      competencies=[c.key for c in competencies], defaults=defaults,
                      file=problems.file, line=f.base_line), competencies


def _domain_defaults(raw: Any, problems: _Problems, line: int,
                     index: int) -> dict[str, tuple[int, int]] | None:
    if not isinstance(raw, Mapping):
        return None
    item = _item_name(raw, "key", f"competencies[{index + 1}]")
    f = _Fields(raw, problems, item, line=getattr(raw, "line", line))
    data = f.mapping("defaults")
    if data is None:
        return None
    df = f.child("defaults", data)
    result: dict[str, tuple[int, int]] = {}
    ok = True
    for level in data:
        if level not in LEVELS:
            df.add(None, f"unknown level '{level}' (levels: {', '.join(LEVELS)})",
                   line=df.line(level))
            ok = False
    for level in LEVELS:
        if level not in data:
            df.add(None, f"defaults have no weight and bar for level {level}")
            ok = False
            continue
        value = data[level]
        if not isinstance(value, Mapping):
            df.add(level, f"defaults for {level} must be a mapping like {{weight: 2, bar: 3}}")
            ok = False
            continue
        lf = df.child(level, value)
        lf.context = f"defaults for {level}"
        lf.unknown(("weight", "bar"))
        weight = lf.integer("weight", WEIGHTS, "1 supporting, 2 core, 3 critical")
        bar = lf.integer("bar", BARS, "the rating a hire must reach")
        if weight is None or bar is None:
            ok = False
            continue
        result[level] = (weight, bar)
    return result if ok else None


def _question(data: Any, problems: _Problems, line: int, fallback: str) -> QuestionSpec | None:
    item = _item_name(data, "id", fallback)
    if not isinstance(data, Mapping):
        problems.add(line, item, f"a question must be a mapping, not {_describe_type(data)}")
        return None
    f = _Fields(data, problems, item, line=getattr(data, "line", line))
    f.unknown(QUESTION_FIELDS)
    qid = f.key("id")
    competency = f.text("competency")
    kind = f.choice("kind", KINDS)
    levels = _question_levels(f)
    minutes = f.integer("minutes", MINUTES, "minutes the question takes")
    prompt = f.text("prompt")
    follow_ups = f.texts("follow_ups", MIN_FOLLOW_UPS)
    signals = f.texts("signals", MIN_SIGNALS)
    red_flags = f.texts("red_flags", MIN_RED_FLAGS)
    alternate_of = f.text("alternate_of", required=False)
    if None in (qid, competency, kind, levels, minutes, prompt, follow_ups, signals, red_flags):
        return None
    return QuestionSpec(id=qid, competency=competency, kind=kind,  # type: ignore[arg-type]
                        levels=levels, minutes=minutes, prompt=prompt,  # type: ignore[arg-type]
                        follow_ups=follow_ups, signals=signals,  # type: ignore[arg-type]
                        red_flags=red_flags, alternate_of=alternate_of,  # type: ignore[arg-type]
                        file=problems.file, line=f.base_line)


def _question_levels(f: _Fields) -> list[str] | None:
    value = f.data.get("levels")
    if isinstance(value, str):
        value = [value]
    if "levels" not in f.data or value is None:
        f.add("levels", f"missing field 'levels' ({', '.join(LEVELS)})"
              if "levels" not in f.data else "'levels' is empty")
        return None
    if not isinstance(value, list) or not value:
        f.add("levels", f"'levels' must be a non-empty list of {', '.join(LEVELS)}")
        return None
    bad = [str(v) for v in value if v not in LEVELS]
    if bad:
        f.add("levels", f"unknown level {', '.join(repr(b) for b in bad)} "
                        f"(levels: {', '.join(LEVELS)})")
        return None
    if len(set(value)) != len(value):
        f.add("levels", "'levels' lists a level twice")
        return None
    return [level for level in LEVELS if level in value]


def _check_question_refs(raw: Mapping[str, Any], problems: _Problems, line: int,
                         competencies: Collection[str],
                         question_competency: Mapping[str, str]) -> bool:
    """Competency known; ``alternate_of`` names another known question of the same competency.

    Works on the raw mapping, so references are checked even when other fields are invalid.
    """
    qid = _item_name(raw, "id", "-")
    f = _Fields(raw, problems, qid, line=getattr(raw, "line", line))
    competency = raw.get("competency")
    ok = True
    if isinstance(competency, str) and competency.strip() and \
            competency.strip() not in competencies:
        f.add("competency", f"unknown competency '{competency.strip()}'")
        ok = False
    target = raw.get("alternate_of")
    if isinstance(target, str) and target.strip():
        target = target.strip()
        if target == qid:
            f.add("alternate_of", "'alternate_of' names the question itself")
            ok = False
        elif target not in question_competency:
            f.add("alternate_of", f"'alternate_of' names an unknown question '{target}'")
            ok = False
        elif isinstance(competency, str) and question_competency[target] != competency.strip():
            f.add("alternate_of", f"'alternate_of' names '{target}', a question of another "
                                  f"competency ('{question_competency[target]}'); an alternate "
                                  f"measures the same competency")
            ok = False
    return ok


# --------------------------------------------------------------------------- whole bank


def bank_files(directory: Path) -> list[Path]:
    """The YAML files of a bank folder (``*.yaml``/``*.yml`` in the four folders), sorted."""
    files: list[Path] = []
    for folder in FOLDERS:
        base = directory / folder
        if base.is_dir():
            files.extend(sorted(p for p in base.iterdir()
                                if p.is_file() and p.suffix in (".yaml", ".yml")))
    return files


def read_bank(directory: str | Path) -> Bank:
    """Read and validate every file of the bank in ``directory``."""
    directory = Path(directory)
    documents: list[tuple[str, str]] = []
    problems: list[Problem] = []
    if not directory.is_dir():
        return Bank(problems=[Problem(str(directory), 0, "-", "not a folder")])
    for path in bank_files(directory):
        name = path.relative_to(directory).as_posix()
        try:
            documents.append((name, path.read_text(encoding="utf-8")))
        except UnicodeDecodeError as exc:
            problems.append(Problem(name, 1, "-", f"not UTF-8 text ({exc.reason})"))
        except OSError as exc:
            problems.append(Problem(name, 0, "-", f"cannot read: {exc.strerror}"))
    bank = parse_documents(documents)
    bank.files = [name for name, _ in documents] + [p.file for p in problems]
    bank.problems = sorted(problems + bank.problems)
    if not documents and not problems:
        bank.problems.append(Problem(directory.as_posix(), 0, "-",
                                     f"no YAML files in {', '.join(FOLDERS)}"))
    return bank


def parse_documents(documents: Iterable[tuple[str, str]]) -> Bank:
    """Validate a bank given as ``(file name, YAML text)`` pairs (pure; used by tests too)."""
    bank = Bank()
    competencies: list[CompetencySpec] = []
    profiles: list[ProfileSpec] = []
    domains: list[DomainSpec] = []
    questions: list[QuestionSpec] = []
    raw_profile_entries: list[tuple[str, Any, int]] = []
    problems_by_file: list[_Problems] = []
    seen_texts: dict[str, str] = {}
    # Keys and ids written in the files, valid or not: a reference to an item that exists but
    # has its own errors is not reported a second time as "unknown".
    declared_competencies: set[str] = set()
    declared_questions: dict[str, str] = {}
    # Every key or id as written (valid item or not), for duplicate detection across files.
    occurrences: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    raw_questions: list[tuple[str, Mapping[str, Any], int]] = []

    for name, text in documents:
        problems = _Problems(name)
        problems_by_file.append(problems)
        bank.files.append(name)
        digest = hashlib.sha256(text.strip().encode("utf-8")).hexdigest()
        if digest in seen_texts and text.strip():
            problems.add(1, "-", f"this file is a copy of {seen_texts[digest]} (a duplicated "
                                 f"file: every item in it is defined twice)")
        seen_texts.setdefault(digest, name)
        data = parse_yaml(text, name, problems)
        if data is None:
            if not problems.items:
                problems.add(1, "-", "empty file")
            continue
        if not isinstance(data, Mapping) or len(data) != 1:
            found = ", ".join(map(str, data)) if isinstance(data, Mapping) else \
                _describe_type(data)
            problems.add(getattr(data, "line", 1), "-",
                         f"a bank file has exactly one top-level key (competencies, role, "
                         f"domain or questions), found: {found or 'none'}")
            continue
        (top, value), = data.items()
        line = data.key_lines.get(top, 1) if isinstance(data, YMap) else 1
        if top == "competencies":
            items = _top_list(value, "competencies", problems, line)
            for index, raw, item_line in _list_items(items):
                declared_competencies.add(_item_name(raw, "key", ""))
                occurrences["competency key"].append((_item_name(raw, "key", ""), name,
                                                      getattr(raw, "line", item_line)))
                spec = _competency(raw, problems, item_line, f"competencies[{index + 1}]")
                if spec:
                    competencies.append(spec)
        elif top == "questions":
            items = _top_list(value, "questions", problems, line)
            for index, raw, item_line in _list_items(items):
                declared_questions.setdefault(_item_name(raw, "id", ""),
                                              _item_name(raw, "competency", ""))
                occurrences["question id"].append((_item_name(raw, "id", ""), name,
                                                   getattr(raw, "line", item_line)))
                if isinstance(raw, Mapping):
                    raw_questions.append((name, raw, item_line))
                spec = _question(raw, problems, item_line, f"questions[{index + 1}]")
                if spec:
                    questions.append(spec)
        elif top == "role":
            # Competency references are checked once every competency is known.
            raw_profile_entries.append((name, value, line))
            occurrences["role key"].append((_item_name(value, "key", ""), name,
                                            getattr(value, "line", line)))
        elif top == "domain":
            occurrences["domain key"].append((_item_name(value, "key", ""), name,
                                              getattr(value, "line", line)))
            if isinstance(value, Mapping) and isinstance(value.get("competencies"), list):
                for _index, raw, item_line in _list_items(value["competencies"]):
                    declared_competencies.add(_item_name(raw, "key", ""))
                    occurrences["competency key"].append((_item_name(raw, "key", ""), name,
                                                          getattr(raw, "line", item_line)))
            spec, domain_competencies = _domain(value, problems, line)
            competencies.extend(domain_competencies)
            if spec:
                domains.append(spec)
        else:
            problems.add(line, "-", f"unknown top-level key '{top}' (competencies, role, "
                                    f"domain or questions)")

    _report_duplicates(occurrences, problems_by_file)
    # Items by key or id; the first occurrence wins (later ones were reported above).
    _unique(competencies, "key", bank.competencies)
    known = set(bank.competencies) | declared_competencies

    for name, value, line in raw_profile_entries:
        problems = next(p for p in problems_by_file if p.file == name)
        spec = _profile(value, problems, line, known)
        if spec:
            profiles.append(spec)
    _unique(profiles, "key", bank.profiles)
    _unique(domains, "key", bank.domains)
    _unique(questions, "id", bank.questions)

    question_competency = {**declared_questions,
                           **{q.id: q.competency for q in bank.questions.values()}}
    for file, raw, line in raw_questions:
        problems = next(p for p in problems_by_file if p.file == file)
        if not _check_question_refs(raw, problems, line, known, question_competency):
            spec = bank.questions.get(_item_name(raw, "id", ""))
            if spec is not None and (spec.file, spec.line) == (file, getattr(raw, "line", line)):
                del bank.questions[spec.id]

    for problems in problems_by_file:
        bank.problems.extend(problems.items)
    bank.problems.sort()
    bank.warnings = _warnings(bank)
    return bank


def _top_list(value: Any, top: str, problems: _Problems, line: int) -> list[Any]:
    if value is None:
        problems.add(line, "-", f"'{top}' is empty")
        return []
    if not isinstance(value, list):
        problems.add(line, "-", f"'{top}' must be a list, not {_describe_type(value)}")
        return []
    return value


def _report_duplicates(occurrences: Mapping[str, list[tuple[str, str, int]]],
                       problems_by_file: list[_Problems]) -> None:
    """Report every key or id written a second time (also across files), with the first."""
    by_file = {p.file: p for p in problems_by_file}
    for what, entries in occurrences.items():
        first: dict[str, tuple[str, int]] = {}
        for key, file, line in entries:
            if not key:
                continue
            if key in first:
                where = first[key]
                by_file[file].add(line, key, f"duplicate {what} (first defined at "
                                             f"{where[0]}:{where[1]})",
                                  "id" if what == "question id" else "key")
            else:
                first[key] = (file, line)


def _unique(items: list[Any], attr: str, into: dict[str, Any]) -> None:
    """Keep the first item per key or id."""
    for item in items:
        into.setdefault(getattr(item, attr), item)


def _warnings(bank: Bank) -> list[Problem]:
    """Things worth a content writer's look that do not stop a load."""
    warnings: list[Problem] = []
    asked = Counter(q.competency for q in bank.questions.values())
    used = {e.key for p in bank.profiles.values() for lvl in p.levels.values()
            for e in lvl.entries}
    used |= {key for d in bank.domains.values() for key in d.competencies}
    for competency in bank.competencies.values():
        if "no relevant" not in competency.anchors[0].lower():
            warnings.append(Problem(competency.file, competency.line, competency.key,
                                    "anchor 1 does not cover 'no relevant example after the "
                                    "standard follow-ups'"))
        if not asked[competency.key]:
            warnings.append(Problem(competency.file, competency.line, competency.key,
                                    "no question measures this competency"))
        if competency.key not in used:
            warnings.append(Problem(competency.file, competency.line, competency.key,
                                    "no role profile or domain pack uses this competency"))
    for question in bank.questions.values():
        target = bank.questions.get(question.alternate_of or "")
        if target is not None:
            missing = [lv for lv in target.levels if lv not in question.levels]
            if missing:
                warnings.append(Problem(question.file, question.line, question.id,
                                        f"alternate of {target.id} but cannot replace it at "
                                        f"level {', '.join(missing)} (it suits "
                                        f"{', '.join(question.levels)})"))
    for profile in bank.profiles.values():
        bars: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for level, spec in profile.levels.items():
            for entry in spec.entries:
                bars[entry.key].append((level, entry.bar))
        for key, by_level in bars.items():
            for (low, low_bar), (high, high_bar) in zip(by_level, by_level[1:], strict=False):
                if high_bar < low_bar:
                    warnings.append(Problem(profile.file, profile.line, profile.key,
                                            f"the bar for '{key}' drops from {low_bar} "
                                            f"({low}) to {high_bar} ({high})"))
    return sorted(warnings)


def validate_question(raw: Mapping[str, Any], *, competencies: Collection[str],
                      questions: Mapping[str, str], taken_ids: Collection[str] = (),
                      file: str = APP_FILE, line: int = 0) -> tuple[QuestionSpec | None,
                                                                    list[Problem]]:
    """Validate one question typed in the app with the same rules as the files.

    ``competencies`` are the known competency keys, ``questions`` maps the ids an alternate
    may name to their competency, and ``taken_ids`` are ids already used elsewhere.
    """
    problems = _Problems(file)
    spec = _question(raw, problems, line, "new question")
    qid = _item_name(raw, "id", "")
    if qid and qid in taken_ids:
        problems.add(line, qid, "duplicate question id (already in the bank)", "id")
        spec = None
    if not _check_question_refs(raw, problems, line, competencies, questions):
        spec = None
    return spec, problems.items


def validate_profile(raw: Mapping[str, Any], *, competencies: Collection[str],
                     file: str = APP_FILE, line: int = 0) -> tuple[ProfileSpec | None,
                                                                   list[Problem]]:
    """Validate one role profile built in the app with the same rules as the files."""
    problems = _Problems(file)
    spec = _profile(raw, problems, line, competencies)
    return spec, problems.items


# --------------------------------------------------------------------------- items -> YAML


class FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written in flow style (``{key: x, weight: 3, bar: 2}``)."""


class FlowList(list):  # type: ignore[type-arg]
    """A list written in flow style (``[junior, mid]``)."""


def competency_dict(spec: CompetencySpec, *, defaults: Mapping[str, tuple[int, int]] | None
                    = None) -> dict[str, Any]:
    """A competency as the files hold it (with ``defaults`` inside a domain pack)."""
    data: dict[str, Any] = {"key": spec.key, "name": spec.name, "category": spec.category,
                            "description": spec.description,
                            "anchors": {i + 1: text for i, text in enumerate(spec.anchors)}}
    if defaults is not None:
        data["defaults"] = {level: FlowMap(weight=w, bar=b)
                            for level, (w, b) in defaults.items()}
    return data


def profile_dict(spec: ProfileSpec) -> dict[str, Any]:
    """A role profile as the files hold it."""
    levels: dict[str, Any] = {}
    for level, level_spec in spec.levels.items():
        entries = []
        for e in level_spec.entries:
            entry = FlowMap(key=e.key, weight=e.weight, bar=e.bar)
            if e.must_have:
                entry["must_have"] = True
            entries.append(entry)
        levels[level] = {"summary": level_spec.summary, "competencies": entries}
    provenance: dict[str, Any] = {k: spec.provenance[k]
                                  for k in PROVENANCE_REQUIRED + PROVENANCE_OPTIONAL
                                  if k in spec.provenance}
    try:  # written unquoted, as people write it; it reads back as the same ISO date
        provenance["date"] = dt.date.fromisoformat(provenance["date"])
    except (KeyError, ValueError):
        pass
    return {"key": spec.key, "name": spec.name, "summary": spec.summary,
            "provenance": provenance, "levels": levels}


def domain_dict(spec: DomainSpec, competencies: Mapping[str, CompetencySpec]) -> dict[str, Any]:
    """A domain pack (with its competencies) as the files hold it."""
    return {"key": spec.key, "name": spec.name, "description": spec.description,
            "competencies": [competency_dict(competencies[key], defaults=spec.defaults[key])
                             for key in spec.competencies]}


def question_dict(spec: QuestionSpec) -> dict[str, Any]:
    """A question as the files hold it."""
    data: dict[str, Any] = {"id": spec.id, "competency": spec.competency, "kind": spec.kind,
                            "levels": FlowList(spec.levels), "minutes": spec.minutes,
                            "prompt": spec.prompt, "follow_ups": list(spec.follow_ups),
                            "signals": list(spec.signals), "red_flags": list(spec.red_flags)}
    if spec.alternate_of:
        data["alternate_of"] = spec.alternate_of
    return data


# libyaml's emitter is over ten times faster than PyYAML's; the output is the same YAML.
_SAFE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_SAFE_DUMPER):  # type: ignore[misc,valid-type]
    """Block style, long text folded, short text plain, flow style where the files use it."""

    fold = True


def _represent_str(dumper: _Dumper, value: str) -> yaml.Node:
    style = None
    if "\n" in value:
        style = "|"
    elif dumper.fold and len(value) > 160 and value == value.strip() and "  " not in value:
        style = ">"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow_map(dumper: _Dumper, value: FlowMap) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", value.items(), flow_style=True)


def _represent_flow_list(dumper: _Dumper, value: FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(FlowMap, _represent_flow_map)
_Dumper.add_representer(FlowList, _represent_flow_list)


class _PlainDumper(_Dumper):
    fold = False


def _plain(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def dump_yaml(data: Mapping[str, Any], header: str = "") -> str:
    """YAML text for ``data`` that reads back to exactly ``data`` (checked, not assumed)."""
    options = {"sort_keys": False, "allow_unicode": True, "width": 92,
               "default_flow_style": False}
    text = yaml.dump(data, Dumper=_Dumper, **options)  # noqa: S506 - a SafeDumper subclass
    if yaml.load(text, Loader=SAFE_LOADER) != _plain(data):  # noqa: S506 - safe loader
        # Folding can lose exotic whitespace; plain or quoted scalars never do.
        text = yaml.dump(data, Dumper=_PlainDumper, **options)  # noqa: S506
    prefix = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    return prefix + text


def _group(competency: CompetencySpec, users: Mapping[str, set[str]]) -> str:
    """The file a competency (and its questions) is exported to, when not a domain's."""
    roles = users.get(competency.key, set())
    if competency.domain:
        return competency.domain
    if competency.category == "technical" and len(roles) == 1:
        return next(iter(roles))
    return competency.category


EXPORT_HEADER = ("Exported by `flask --app hiring bank export`. Format: question_bank/README.md.\n"
                 "{what}")


def export_documents(bank: Bank, *, groups_from: Bank | None = None) -> dict[str, str]:
    """The files of a bank folder for ``bank`` (relative path -> YAML text).

    Role profiles go to ``roles/<key>.yaml`` and domain packs (with their competencies) to
    ``domains/<key>.yaml``. Other competencies go to ``competencies/<group>.yaml``, where the
    group is the one role that uses a technical competency, else its category; questions follow
    their competency's group into ``questions/<group>.yaml``. ``groups_from`` is the bank whose
    competencies decide the groups when ``bank`` holds only questions (app-created content).
    """
    context = groups_from or bank
    users: dict[str, set[str]] = defaultdict(set)
    for profile in context.profiles.values():
        for level in profile.levels.values():
            for entry in level.entries:
                users[entry.key].add(profile.key)
    files: dict[str, str] = {}
    for profile in bank.profiles.values():
        files[f"roles/{profile.key}.yaml"] = dump_yaml(
            {"role": profile_dict(profile)}, EXPORT_HEADER.format(what=f"Role: {profile.key}."))
    for domain in bank.domains.values():
        files[f"domains/{domain.key}.yaml"] = dump_yaml(
            {"domain": domain_dict(domain, bank.competencies)},
            EXPORT_HEADER.format(what=f"Domain pack: {domain.key}."))
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    competency_group: dict[str, str] = {}
    for competency in [*context.competencies.values(), *bank.competencies.values()]:
        competency_group[competency.key] = _group(competency, users)
    for competency in bank.competencies.values():
        if competency.domain is None:
            groups[competency_group[competency.key]].append(competency_dict(competency))
    for group, items in groups.items():
        files[f"competencies/{group}.yaml"] = dump_yaml(
            {"competencies": items}, EXPORT_HEADER.format(what=f"Competencies: {group}."))
    question_groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for question in bank.questions.values():
        group = competency_group.get(question.competency, "other")
        question_groups[group].append(question_dict(question))
    for group, items in question_groups.items():
        files[f"questions/{group}.yaml"] = dump_yaml(
            {"questions": items}, EXPORT_HEADER.format(what=f"Questions: {group}."))
    return dict(sorted(files.items()))


# --------------------------------------------------------------------------- summary


@dataclass
class SummaryRow:
    """One row of a summary table."""

    cells: list[str]


@dataclass
class Summary:
    """Counts per role, per competency and per domain (``bank summary``)."""

    roles: list[SummaryRow]
    competencies: list[SummaryRow]
    domains: list[SummaryRow]
    totals: str


ROLE_HEADER = ["role", "competencies", "must-haves (J/M/S)", "questions", "junior", "mid",
               "senior"]
COMPETENCY_HEADER = ["competency", "category", "used by", "questions", "junior", "mid",
                     "senior", "kinds"]
DOMAIN_HEADER = ["domain", "competencies", "questions", "junior", "mid", "senior"]


def summarize(bank: Bank) -> Summary:
    """Count questions per role (via its competencies), per competency and per domain."""
    by_competency: dict[str, list[QuestionSpec]] = defaultdict(list)
    for question in bank.questions.values():
        by_competency[question.competency].append(question)

    def per_level(questions: list[QuestionSpec]) -> list[str]:
        return [str(sum(1 for q in questions if level in q.levels)) for level in LEVELS]

    roles = []
    users: dict[str, list[str]] = defaultdict(list)
    for profile in sorted(bank.profiles.values(), key=lambda p: p.key):
        keys: list[str] = []
        for level in profile.levels.values():
            keys.extend(e.key for e in level.entries if e.key not in keys)
        for key in keys:
            users[key].append(profile.key)
        questions = [q for key in keys for q in by_competency[key]]
        musts = "/".join(str(sum(e.must_have for e in profile.levels[lv].entries))
                         if lv in profile.levels else "-" for lv in LEVELS)
        roles.append(SummaryRow([profile.key, str(len(keys)), musts, str(len(questions)),
                                 *per_level(questions)]))
    for domain in bank.domains.values():
        for key in domain.competencies:
            users[key].append(f"domain {domain.key}")
    competencies = []
    order = {"technical": 0, "soft": 1, "domain": 2}
    for competency in sorted(bank.competencies.values(),
                             key=lambda c: (order.get(c.category, 9), c.key)):
        questions = by_competency[competency.key]
        kinds = Counter(q.kind for q in questions)
        used = users[competency.key]
        used_text = "all roles" if len(used) == len(bank.profiles) and len(used) > 1 and \
            not competency.domain else ", ".join(used) or "-"
        competencies.append(SummaryRow([
            competency.key, competency.category, used_text, str(len(questions)),
            *per_level(questions),
            ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())) or "-",
        ]))
    domains = []
    for domain in sorted(bank.domains.values(), key=lambda d: d.key):
        questions = [q for key in domain.competencies for q in by_competency[key]]
        domains.append(SummaryRow([domain.key, str(len(domain.competencies)),
                                   str(len(questions)), *per_level(questions)]))
    return Summary(roles=roles, competencies=competencies, domains=domains,
                   totals=bank.describe())


def _markdown_table(header: list[str], rows: list[SummaryRow]) -> str:
    numeric = [all(r.cells[i].replace("/", "").isdigit() for r in rows) and bool(rows)
               for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if num else "---" for num in numeric) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r.cells) + " |" for r in rows]
    return "\n".join(lines)


def summary_markdown(summary: Summary) -> str:
    """The summary as Markdown tables (what ``bank summary`` prints and the README shows)."""
    return "\n\n".join([
        f"Totals: {summary.totals}.",
        "Per role (questions: those measuring a competency of the role's profile):\n\n"
        + _markdown_table(ROLE_HEADER, summary.roles),
        "Per competency:\n\n" + _markdown_table(COMPETENCY_HEADER, summary.competencies),
        "Per domain pack:\n\n" + _markdown_table(DOMAIN_HEADER, summary.domains),
    ])
