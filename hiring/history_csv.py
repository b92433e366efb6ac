"""Hiring-history CSV files: parse and validate them (pure: bytes in, rows and errors out).

Teams moving from spreadsheets bring their past applicants with this format; the learned model
trains on the hired rows' outcomes (``flask --app hiring history import``), and bulk scoring reads
the same format (``flask --app hiring model score``).

Format
------
- UTF-8, with or without a byte-order mark; comma-separated; quoted as spreadsheets write it.
- The first line is the header; column names are exact and case-sensitive:
  ``candidate`` (a label, unique within the file), ``role`` (a role key), ``level`` (junior, mid
  or senior), ``hired`` (1 or 0), ``outcome`` (1 success, 0 not; blank when not hired or not yet
  known; only on hired rows), one column per competency key (ratings 1-4, decimals allowed
  because they are means, blank = not assessed), and optionally ``sex`` and ``race_ethnicity``.
- Self-identification (``sex``, ``race_ethnicity``) is returned apart from the ratings
  (:attr:`HistoryInput.demographics`) so that it is stored apart and never reaches a model.
- Rows are numbered from 1 at the first data row (the header is not counted: row 1 is line 2 of
  a spreadsheet). Completely empty rows are skipped but keep their number. Every problem is
  reported by row and column; nothing is written unless there are none.

For bulk scoring (:func:`parse_scoring_csv`) ``hired``, ``outcome``, ``sex`` and
``race_ethnicity`` are optional and ignored (not even read), ``role`` and ``level`` optional; a
rating that is not a number in 1-4 makes that row "cannot score" instead of failing the file.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .candidates_csv import RowError, csv_text

CANDIDATE = "candidate"
ROLE = "role"
LEVEL = "level"
HIRED = "hired"
OUTCOME = "outcome"
SEX = "sex"
RACE_ETHNICITY = "race_ethnicity"

REQUIRED_COLUMNS: tuple[str, ...] = (CANDIDATE, ROLE, LEVEL, HIRED)
OPTIONAL_COLUMNS: tuple[str, ...] = (OUTCOME, SEX, RACE_ETHNICITY)
FIXED_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
# Self-identification: stored with self-identification data, never read by training or scoring.
DEMOGRAPHIC_COLUMNS: tuple[str, ...] = (SEX, RACE_ETHNICITY)
LEVELS: tuple[str, ...] = ("junior", "mid", "senior")
RATING_MIN, RATING_MAX = 1.0, 4.0
MAX_LABEL = 200
MAX_DEMOGRAPHIC = {SEX: 64, RACE_ETHNICITY: 128}
# A plain decimal number: digits with an optional fraction (no exponents, no "nan", no "1,5").
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MISSING = object()
_UTF8_ADVICE = 'Save it as "CSV UTF-8".'


@dataclass(frozen=True)
class HistoryInput:
    """One valid row of a history file."""

    row: int
    label: str
    role: str
    level: str
    hired: bool
    outcome: bool | None
    ratings: dict[str, float]
    demographics: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoringInput:
    """One row of a file to score: its number and label (``problems`` make it "cannot score");
    its ratings are the same row of :attr:`ParsedScoring.X`."""

    row: int
    label: str
    problems: tuple[str, ...] = ()


@dataclass
class ParsedHistory:
    """The outcome of a parse: valid rows and every problem found."""

    rows: list[HistoryInput] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0
    competency_columns: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the file has at least one row and no problem."""
        return not self.errors and bool(self.rows)


@dataclass
class ParsedScoring:
    """Rows of a file to score (``X``: one row each, the model's competencies as columns, NaN =
    not assessed), and the problems that refuse the whole file."""

    rows: list[ScoringInput] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    competency_columns: tuple[str, ...] = ()
    X: np.ndarray | None = None


def _check_header(header: list[str], known_competencies: set[str], *,
                  required: tuple[str, ...], allowed_fixed: tuple[str, ...]) -> list[RowError]:
    errors: list[RowError] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            errors.append(RowError(None, name, "appears twice in the header."))
        seen.add(name)
        if name in allowed_fixed or name in known_competencies:
            continue
        shown = repr(name) if name else "(an empty header cell)"
        exact = [c for c in (*allowed_fixed, *sorted(known_competencies))
                 if c.lower() == name.strip().lower()]
        hint = f" Column names are exact and case-sensitive: write {exact[0]!r}." if exact else ""
        errors.append(RowError(None, name or "(empty)", (
            f"unknown column {shown}: neither one of {', '.join(allowed_fixed)} nor the key of "
            f"a competency of any role profile.{hint}"
        )))
    for name in required:
        if name not in seen:
            errors.append(RowError(None, name, "required column is missing from the header."))
    return errors


def _rating(value: str) -> float | None:
    """A rating mean from its text, or None when it is not a plain decimal number."""
    if not _NUMBER.fullmatch(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None  # 400 digits overflow to inf


def _split(text: str, errors: list[RowError]
           ) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """The header and an iterator of ``(row number, {column: value})`` over non-empty data rows;
    rows with the wrong number of values are reported in ``errors`` and skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader, [])
    while header and not header[-1].strip():
        header = header[:-1]  # trailing empty header cells a spreadsheet may add

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        row_number = 0
        for record in reader:
            row_number += 1
            if not "".join(record).strip():
                continue
            if len(record) > len(header) and not "".join(record[len(header):]).strip():
                record = record[: len(header)]
            if len(record) != len(header):
                errors.append(RowError(row_number, "(all)", (
                    f"has {len(record)} values but the header has {len(header)} columns; a "
                    f"value containing a comma must be in double quotes."
                )))
                continue
            yield row_number, {name: cell.strip()
                               for name, cell in zip(header, record, strict=True)}

    return header, rows()


def _split_lists(text: str, errors: list[RowError]
                 ) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Like :func:`_split`, yielding each row's cells as a list (unstripped)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = list(next(reader, []))
    while header and not header[-1].strip():
        header = header[:-1]
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        row_number = 0
        for record in reader:
            row_number += 1
            if len(record) != width:
                if not "".join(record).strip():
                    continue
                if len(record) > width and not "".join(record[width:]).strip():
                    record = record[:width]
                else:
                    errors.append(RowError(row_number, "(all)", (
                        f"has {len(record)} values but the header has {width} columns; a "
                        f"value containing a comma must be in double quotes.")))
                    continue
            elif not "".join(record).strip():
                continue
            yield row_number, record

    return header, rows()


def _add_problem(problems: list[RowError], row: int, column: str, message: str) -> None:
    problems.append(RowError(row, column, message))


def _label_problem(label: str) -> str | None:
    if not label:
        return "is required and empty."
    if len(label) > MAX_LABEL:
        return f"is too long ({len(label)} characters; at most {MAX_LABEL})."
    if _CONTROL.search(label) or "\n" in label or "\r" in label:
        return "contains a control character or line break."
    return None


def parse_history_csv(data: bytes, roles: Mapping[str, frozenset[str] | set[str]]
                      ) -> ParsedHistory:
    """Parse and validate a history file against ``roles`` (role key -> its competency keys).

    Every problem is reported, none stops at the first: file-level ones with ``row=None``, row
    ones with the 1-based data row number and the column.
    """
    result = ParsedHistory()
    text = csv_text(data, advice=_UTF8_ADVICE,
                    empty=("The file is empty: it needs a header line ("
                           + ",".join(REQUIRED_COLUMNS) + ", competency keys ...) and at least "
                           "one row."))
    if isinstance(text, RowError):
        result.errors.append(text)
        return result
    known = set().union(*roles.values()) if roles else set()
    first_row: dict[str, int] = {}
    cache: dict[str, Any] = {}  # rating text -> value: files repeat the same few ratings
    try:
        header, records = _split(text, result.errors)
        header_errors = _check_header(header, known, required=REQUIRED_COLUMNS,
                                      allowed_fixed=FIXED_COLUMNS)
        if header_errors:
            result.errors.extend(header_errors)
            return result
        competency_columns = tuple(name for name in header if name not in FIXED_COLUMNS)
        result.competency_columns = competency_columns
        for row_number, values in records:
            result.data_rows += 1
            problems: list[RowError] = []
            bad = functools.partial(_add_problem, problems, row_number)

            label = values[CANDIDATE]
            label_problem = _label_problem(label)
            if label_problem:
                bad(CANDIDATE, label_problem)
            elif label in first_row:
                bad(CANDIDATE, f"the same label {label[:60]!r} as row {first_row[label]}; each "
                               f"candidate appears once per file.")
            else:
                first_row[label] = row_number

            role = values[ROLE]
            role_competencies = roles.get(role)
            if role_competencies is None:
                bad(ROLE, (f"unknown role {role[:80]!r}; roles: {', '.join(sorted(roles))}."
                           if role else "is required and empty."))

            level = values[LEVEL]
            if level not in LEVELS:
                bad(LEVEL, f"{level[:40]!r} is not a level; write junior, mid or senior.")

            hired_text = values[HIRED]
            hired: bool | None = {"1": True, "0": False}.get(hired_text)
            if hired is None:
                bad(HIRED, f"{hired_text[:40]!r} is not 1 (hired) or 0 (not hired).")

            outcome_text = values.get(OUTCOME, "")
            outcome: bool | None = None
            if outcome_text:
                outcome = {"1": True, "0": False}.get(outcome_text)
                if outcome is None:
                    bad(OUTCOME, f"{outcome_text[:40]!r} is not 1 (success), 0 (not) or blank.")
                elif hired is False:
                    bad(OUTCOME, "an outcome on a row not hired: only hires have outcomes; "
                                 "leave it blank.")

            ratings: dict[str, float] = {}
            for column in competency_columns:
                text_value = values[column]
                if not text_value:
                    continue
                if role_competencies is not None and column not in role_competencies:
                    bad(column, f"{column!r} is not a competency of the role {role!r}; leave "
                                f"it blank on this row.")
                    continue
                number = cache.get(text_value, _MISSING)
                if number is _MISSING:
                    number = cache[text_value] = _rating(text_value)
                if number is None:
                    bad(column, f"{text_value[:40]!r} is not a number (ratings are 1-4, "
                                f"decimals with a point, e.g. 2.5).")
                elif not RATING_MIN <= number <= RATING_MAX:
                    bad(column, f"rating {text_value[:40]} is out of range: ratings are 1-4.")
                else:
                    ratings[column] = number

            demographics: dict[str, str] = {}
            for column in DEMOGRAPHIC_COLUMNS:
                value = values.get(column, "")
                if not value:
                    continue
                if len(value) > MAX_DEMOGRAPHIC[column]:
                    bad(column, f"is too long ({len(value)} characters; at most "
                                f"{MAX_DEMOGRAPHIC[column]}).")
                elif _CONTROL.search(value):
                    bad(column, "contains a control character.")
                else:
                    demographics[column] = value

            if problems:
                result.errors.extend(problems)
                continue
            result.rows.append(HistoryInput(
                row=row_number, label=label, role=role, level=level, hired=bool(hired),
                outcome=outcome, ratings=ratings, demographics=demographics,
            ))
    except csv.Error as exc:
        result.errors.append(RowError(None, "", (
            f"The file cannot be read as CSV: {exc}. Check the double quotes."
        )))
        return result
    if result.data_rows == 0 and not result.errors:
        result.errors.append(RowError(None, "", "The file has a header but no data rows."))
    return result


def parse_scoring_csv(data: bytes, role: str, competencies: Sequence[str],
                      known_competencies: frozenset[str] | set[str]) -> ParsedScoring:
    """Parse a file to score for ``role`` (rows in the history format) into a matrix.

    ``competencies`` are the model's, in its order: ``X`` has one column per competency (NaN
    where blank or absent). ``candidate`` is required and unique; ``role`` and ``level`` are
    optional (a row of another role is an error); ``hired``, ``outcome`` and self-identification
    columns are ignored. Other columns must be competency keys (``known_competencies``: a
    misspelt key would silently lower coverage); keys the model does not use are ignored. A
    rating that is not a number in 1-4 makes its row "cannot score" (``problems``).
    Built for 100,000-row files: one pass, cells converted once per distinct text.
    """
    result = ParsedScoring()
    text = csv_text(data, advice=_UTF8_ADVICE, empty="The file is empty.")
    if isinstance(text, RowError):
        result.errors.append(text)
        return result
    competencies = tuple(competencies)
    known = set(known_competencies) | set(competencies)
    first_row: dict[str, int] = {}
    labels: list[str] = []
    rows: list[list[float]] = []
    cache: dict[str, float | None] = {"": math.nan}
    try:
        header, records = _split_lists(text, result.errors)
        header_errors = _check_header(header, known, required=(CANDIDATE,),
                                      allowed_fixed=FIXED_COLUMNS)
        if header_errors:
            result.errors.extend(header_errors)
            return result
        result.competency_columns = tuple(name for name in header if name not in FIXED_COLUMNS)
        label_at = header.index(CANDIDATE)
        role_at = header.index(ROLE) if ROLE in header else None
        used = [(j, header.index(key)) for j, key in enumerate(competencies) if key in header]
        for row_number, record in records:
            label = record[label_at].strip()
            label_problem = _label_problem(label)
            if label_problem:
                result.errors.append(RowError(row_number, CANDIDATE, label_problem))
                continue
            if label in first_row:
                result.errors.append(RowError(row_number, CANDIDATE, (
                    f"the same label {label[:60]!r} as row {first_row[label]}; each candidate "
                    f"appears once per file.")))
                continue
            first_row[label] = row_number
            row_role = record[role_at].strip() if role_at is not None else ""
            if row_role and row_role != role:
                result.errors.append(RowError(row_number, ROLE, (
                    f"this row is for {row_role[:80]!r}, but the file is scored with the "
                    f"{role!r} model.")))
                continue
            values = [math.nan] * len(competencies)
            problems: list[str] = []
            for j, at in used:
                cell = record[at]
                number = cache.get(cell, _MISSING)
                if number is _MISSING:
                    number = _rating(cell.strip())
                    if number is not None and not RATING_MIN <= number <= RATING_MAX:
                        number = None
                    cache[cell] = number
                if number is None:
                    problems.append(f"{competencies[j]}: {cell.strip()[:40]!r} is not a "
                                    f"rating 1-4")
                else:
                    values[j] = number  # type: ignore[assignment]
            result.rows.append(ScoringInput(row=row_number, label=label,
                                            problems=tuple(problems)))
            labels.append(label)
            rows.append(values)
    except csv.Error as exc:
        result.errors.append(RowError(None, "", (
            f"The file cannot be read as CSV: {exc}. Check the double quotes."
        )))
        return result
    result.X = (np.array(rows, dtype=float) if rows
                else np.empty((0, len(competencies)), dtype=float))
    return result
