"""Candidate CSV files: validation of imports, formula-safe exports (pure, IN-3)."""

from __future__ import annotations

import csv
import io

import pytest

from hiring.candidates_csv import (
    COLUMNS,
    neutralise_cell,
    parse_candidates_csv,
    write_csv,
)

HEADER = "name,email,phone,location,source,notes\r\n"


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return (header + "".join(row + "\r\n" for row in rows)).encode("utf-8")


def test_clean_file_parses_every_row_in_order() -> None:
    parsed = parse_candidates_csv(_csv(
        "Ada Lovelace,ada@example.com,+44 20 7946 0000,London,referral,Strong maths",
        'Grace Hopper,grace@example.com,,"Arlington, VA",job board,"Line one\nline two"',
    ))
    assert parsed.ok
    assert parsed.errors == []
    assert [r.name for r in parsed.rows] == ["Ada Lovelace", "Grace Hopper"]
    assert parsed.rows[1].location == "Arlington, VA"
    assert parsed.rows[1].notes == "Line one\nline two"
    assert [r.row for r in parsed.rows] == [1, 2]


def test_utf8_bom_is_accepted_and_header_matches() -> None:
    data = "\ufeffname,email\r\nZoë Ångström,zoe@example.com\r\n".encode()
    parsed = parse_candidates_csv(data)
    assert parsed.ok
    assert parsed.rows[0].name == "Zoë Ångström"


def test_optional_columns_may_be_left_out_and_reordered() -> None:
    parsed = parse_candidates_csv(b"email,name\nx@example.com,X Person\n")
    assert parsed.ok
    assert parsed.rows[0].phone == ""


def test_one_bad_row_among_many_is_named_by_row_and_column() -> None:
    rows = [f"Person {i},person{i}@example.com,,,," for i in range(1, 40)]
    rows[16] = "Person 17,not-an-address,,,,"
    parsed = parse_candidates_csv(_csv(*rows))
    assert not parsed.ok
    assert [(e.row, e.column) for e in parsed.errors] == [(17, "email")]
    assert "Row 17, column email" in str(parsed.errors[0])


def test_every_bad_row_is_listed_not_only_the_first() -> None:
    parsed = parse_candidates_csv(_csv(
        "Good,good@example.com,,,,",
        ",missing-name@example.com,,,,",
        "No Email,,,,,",
        "Bad Email,bad@,,,,",
        "Dup,GOOD@example.com,,,,",
        "Long," + "x" * 250 + "@example.com,,,,",
        "Long phone,lp@example.com," + "1" * 70 + ",,,",
    ))
    found = {(e.row, e.column) for e in parsed.errors}
    assert found == {(2, "name"), (3, "email"), (4, "email"), (5, "email"), (6, "email"),
                     (7, "phone")}
    duplicate = next(e for e in parsed.errors if e.row == 5)
    assert "row 1" in duplicate.message
    assert not parsed.ok


def test_unknown_and_missing_columns_are_errors() -> None:
    parsed = parse_candidates_csv(b"Name,emial,salary\nA,a@example.com,100\n")
    columns = {e.column for e in parsed.errors}
    assert {"Name", "emial", "salary", "name", "email"} <= columns
    assert any("write 'name'" in e.message for e in parsed.errors)
    assert parsed.rows == []


def test_non_utf8_bytes_give_one_message_with_the_line() -> None:
    data = "name,email\nJosé,jose@example.com\n".encode("latin-1")
    parsed = parse_candidates_csv(data)
    assert len(parsed.errors) == 1
    assert "not UTF-8" in parsed.errors[0].message
    assert "line 2" in parsed.errors[0].message


def test_empty_file_and_header_only_are_refused() -> None:
    assert "empty" in parse_candidates_csv(b"").errors[0].message
    assert "no data rows" in parse_candidates_csv(b"name,email\n").errors[0].message


def test_blank_rows_are_skipped_but_keep_their_numbers() -> None:
    parsed = parse_candidates_csv(_csv("A,a@example.com,,,,", ",,,,,", "", "B,b@,,,,"))
    assert [(e.row, e.column) for e in parsed.errors] == [(4, "email")]


def test_wrong_number_of_values_is_reported() -> None:
    parsed = parse_candidates_csv(_csv("A,a@example.com,1,2,3,4,5"))
    assert parsed.errors[0].row == 1
    assert "double quotes" in parsed.errors[0].message


def test_control_characters_and_line_breaks_in_single_line_fields_are_refused() -> None:
    parsed = parse_candidates_csv(_csv("A\x00B,a@example.com,,,,",
                                       '"Two\nlines",b@example.com,,,,'))
    assert {(e.row, e.column) for e in parsed.errors} == {(1, "name"), (2, "name")}


@pytest.mark.parametrize("payload", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                     "\tx", "\rx", "=HYPERLINK(\"http://evil\")"])
def test_formula_like_text_is_neutralised(payload: str) -> None:
    assert neutralise_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", [42, -3, 2.5, -0.125, 10**20])
def test_numbers_stay_numbers(value: object) -> None:
    assert neutralise_cell(value) == value


@pytest.mark.parametrize("text", ["-3", "+44", "-0.5", "1e3"])
def test_plain_numeric_text_is_not_quoted(text: str) -> None:
    assert neutralise_cell(text) == text


def test_written_csv_is_formula_safe_and_keeps_numbers_unquoted() -> None:
    text = write_csv(["name", "n", "x"], [["=cmd()", 7, 0.1], ["Plain", -2, "@x"]])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows == [["name", "n", "x"], ["'=cmd()", "7", "0.1"], ["Plain", "-2", "'@x"]]
    assert "\r\n7," not in text
    assert ",7,0.1" in text


def test_export_quote_is_removed_again_on_import() -> None:
    exported = write_csv(COLUMNS, [["=Evil Name", "evil@example.com", "+44 1", "", "-x", ""]])
    parsed = parse_candidates_csv(exported.encode("utf-8"))
    assert parsed.ok
    assert parsed.rows[0].name == "=Evil Name"
    assert parsed.rows[0].phone == "+44 1"
    assert parsed.rows[0].source == "-x"
