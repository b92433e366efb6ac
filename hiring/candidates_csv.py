"""Candidate CSV files: parse and validate imports, write formula-safe exports (pure).

No Flask, no session: bytes in, rows and errors out; rows in, text out. The operations in
:mod:`hiring.operations.candidates` add the checks that need the database (an e-mail address
already applied to the requisition, the same file imported before) and write the rows.

Import format
-------------
- UTF-8, with or without a byte-order mark; comma-separated; values with commas, quotes or line
  breaks in double quotes (what every spreadsheet writes as "CSV UTF-8").
- The first line is the header. Column names are exact (lower case): ``name`` and ``email`` are
  required, ``phone``, ``location``, ``source`` and ``notes`` optional, in any order. Any other
  column is an error (a misspelt ``emial`` would otherwise be dropped silently).
- Rows are numbered from 1 at the first data row: the header is not counted, so row 1 is line 2
  of a spreadsheet. Completely empty rows are skipped but keep their number.
- Every row is checked before anything is written; the result lists every problem by row and
  column.

Export (SECURITY.md IN-3): user-supplied text cells that start with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return get a leading single quote, so a spreadsheet shows them as text
instead of running them as formulas. Numbers stay numbers: numeric values, and text that is
nothing but a plain decimal number (``-3``, ``+44``), are written unchanged because they cannot
hold a formula. On import the quote added by an export is removed again, so an exported file can
be imported into another requisition unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

COLUMNS: tuple[str, ...] = ("name", "email", "phone", "location", "source", "notes")
REQUIRED_COLUMNS: tuple[str, ...] = ("name", "email")
EXPORT_COLUMNS: tuple[str, ...] = (*COLUMNS, "stage", "applied_at")

# The column sizes of the candidates table (hiring/models/pipeline.py); notes is free text but
# capped so that one row cannot carry a novel.
MAX_LENGTHS: dict[str, int] = {"name": 200, "email": 254, "phone": 64, "location": 200,
                               "source": 120, "notes": 5000}
SINGLE_LINE = frozenset({"name", "email", "phone", "location", "source"})

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# The WHATWG "valid e-mail address" with at least one dot in the domain.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

ROW_NUMBERING_NOTE = ("Rows are numbered from 1 at the first data row; the header is not "
                      "counted (row 1 is line 2 in a spreadsheet).")


@dataclass(frozen=True)
class RowError:
    """One problem in a file: a data row (1-based, header not counted) and column, or the file."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        if self.row is None:
            where = f"Column {self.column}" if self.column else "File"
            return f"{where}: {self.message}"
        return f"Row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class CsvCandidate:
    """One valid data row."""

    row: int
    name: str
    email: str
    phone: str = ""
    location: str = ""
    source: str = ""
    notes: str = ""

    @property
    def email_key(self) -> str:
        """The address as compared for duplicates (case-insensitive)."""
        return normalise_email(self.email)

    def fields(self) -> dict[str, str]:
        """The candidate fields of this row."""
        return {column: getattr(self, column) for column in COLUMNS}


@dataclass
class ParsedCsv:
    """The outcome of :func:`parse_candidates_csv`: valid rows and every problem found."""

    rows: list[CsvCandidate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0

    @property
    def ok(self) -> bool:
        """True when the file has at least one row and no problem."""
        return not self.errors and bool(self.rows)


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased address: candidates are matched case-insensitively by e-mail."""
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    """Whether ``email`` looks like a deliverable address (``someone@example.com``)."""
    return bool(_EMAIL.fullmatch(email))


def field_problems(values: Mapping[str, str]) -> dict[str, str]:
    """Problems of candidate ``values`` by column (empty when valid); shared with the forms.

    ``values`` holds trimmed strings for some of :data:`COLUMNS`; missing ones count as empty.
    """
    problems: dict[str, str] = {}
    for column in COLUMNS:
        value = values.get(column, "") or ""
        if column in REQUIRED_COLUMNS and not value:
            problems[column] = "is required and empty."
            continue
        if len(value) > MAX_LENGTHS[column]:
            problems[column] = (f"is too long ({len(value)} characters; at most "
                                f"{MAX_LENGTHS[column]}).")
        elif _CONTROL.search(value):
            problems[column] = "contains a control character (e.g. NUL); remove it."
        elif column in SINGLE_LINE and ("\n" in value or "\r" in value):
            problems[column] = "contains a line break; keep it on one line."
        elif column == "email" and not is_valid_email(value):
            problems[column] = (f"{value[:80]!r} is not a valid e-mail address "
                                f"(expected something like name@example.com).")
    return problems


# Text an export quotes although it starts with a quote: one or more quotes before a formula
# character, so that "'=x" typed by someone survives export and import unchanged.
_QUOTED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def _unquote_exported(value: str) -> str:
    """Undo the quote :func:`neutralise_cell` puts before a formula-like value."""
    if _QUOTED_FORMULA.match(value):
        return value[1:]
    return value


def csv_text(data: bytes, *, empty: str, advice: str, line_note: str = "") -> str | RowError:
    """The text of an uploaded CSV file, or the file-level error that refuses it.

    UTF-8 with or without a byte-order mark is read; anything else is refused naming the first
    bad byte, its position and its line (counting the header; ``line_note`` follows the line
    number), then ``advice``. A file of nothing but white space is refused with ``empty``.
    Shared by the candidate and the hiring-history formats.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return RowError(None, "", (
            f"The file is not UTF-8 text: byte 0x{data[exc.start]:02x} at position {exc.start} "
            f"(line {line}{line_note}, counting the header) is not valid UTF-8. {advice}"
        ))
    if not text.strip():
        return RowError(None, "", empty)
    return text


def _check_header(header: Sequence[str]) -> list[RowError]:
    errors: list[RowError] = []
    seen: set[str] = set()
    allowed = ", ".join(COLUMNS)
    for name in header:
        if name in seen:
            errors.append(RowError(None, name, "appears twice in the header."))
        seen.add(name)
        if name not in COLUMNS and name not in EXPORT_COLUMNS:  # an export's extras are ignored
            hint = ""
            if name.strip().lower() in COLUMNS:
                hint = f" Column names are exact: write {name.strip().lower()!r}."
            shown = repr(name) if name else "(an empty header cell)"
            errors.append(RowError(None, name or "(empty)", (
                f"unknown column {shown}.{hint} Allowed columns: {allowed}."
            )))
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            errors.append(RowError(None, required, "required column is missing from the header."))
    return errors


def parse_candidates_csv(data: bytes) -> ParsedCsv:
    """Parse and validate an import file; every problem is reported, none stops at the first.

    File-level problems (not UTF-8, no header, unknown or missing columns) are reported with
    ``row=None``; row problems with the 1-based data row number (header not counted) and the
    column. Duplicate e-mail addresses within the file are errors on every repeat.
    """
    result = ParsedCsv()
    text = csv_text(
        data, line_note=" of the file",
        advice='In your spreadsheet choose "CSV UTF-8" when saving, then upload it again.',
        empty=("The file is empty: it needs a header line (" + ",".join(COLUMNS)
               + ") and at least one row."))
    if isinstance(text, RowError):
        result.errors.append(text)
        return result

    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    first_email_row: dict[str, int] = {}
    row_number = 0
    try:
        header = next(reader, [])
        while header and not header[-1].strip():
            header = header[:-1]  # trailing empty header cells a spreadsheet may add
        header_errors = _check_header(header)
        if header_errors:
            result.errors.extend(header_errors)
            return result
        for record in reader:
            row_number += 1
            if not any(cell.strip() for cell in record):
                continue  # an empty row (also ",,,,," from a spreadsheet): skipped, still counted
            result.data_rows += 1
            if len(record) > len(header) and not any(c.strip() for c in record[len(header):]):
                record = record[: len(header)]
            if len(record) != len(header):
                result.errors.append(RowError(row_number, "(all)", (
                    f"has {len(record)} values but the header has {len(header)} columns; a "
                    f"value containing a comma must be in double quotes."
                )))
                continue
            values = {name: _unquote_exported(cell.strip()) for name, cell in zip(header, record,
                                                                               strict=True)}
            problems = field_problems(values)
            for column in COLUMNS:
                if column in problems:
                    result.errors.append(RowError(row_number, column, problems[column]))
            if "email" not in problems:
                key = normalise_email(values["email"])
                if key in first_email_row:
                    result.errors.append(RowError(row_number, "email", (
                        f"the same e-mail address as row {first_email_row[key]}; each person "
                        f"appears once per file."
                    )))
                    continue
                first_email_row[key] = row_number
            if problems:
                continue
            result.rows.append(CsvCandidate(row=row_number, **{c: values.get(c, "")
                                                                for c in COLUMNS}))
    except csv.Error as exc:
        result.errors.append(RowError(None, "", (
            f"The file cannot be read as CSV from line {reader.line_num} on (counting the "
            f"header): {exc}. Check the double quotes around that line."
        )))
        return result
    if result.data_rows == 0 and not result.errors:
        result.errors.append(RowError(None, "", "The file has a header but no data rows."))
    return result


# ---------------------------------------------------------------------------------- export


def neutralise_cell(value: object) -> object:
    """A cell value a spreadsheet will not run as a formula (SECURITY.md IN-3).

    Numbers (int, float, Decimal) are returned unchanged; ``None`` becomes an empty cell; text
    starting with ``= + - @``, a tab or a carriage return gets a leading single quote unless it is
    a plain decimal number.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(text) or \
            _QUOTED_FORMULA.match(text):
        return "'" + text
    return text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text (with a UTF-8 byte-order mark so spreadsheets pick the right encoding).

    Every cell goes through :func:`neutralise_cell`; numbers are written unquoted at full
    precision (``repr`` of a float round-trips).
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(header))
    for row in rows:
        writer.writerow([_cell_text(neutralise_cell(cell)) for cell in row])
    return buffer.getvalue()


def _cell_text(value: object) -> object:
    if isinstance(value, float):
        return repr(value)
    return value
