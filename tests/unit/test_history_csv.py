"""History CSV parsing (pure): the import format and the bulk-scoring variant."""

from __future__ import annotations

import math

from hiring.history_csv import DEMOGRAPHIC_COLUMNS, parse_history_csv, parse_scoring_csv

ROLES = {"data-scientist": frozenset({"stats", "coding"}), "pm": frozenset({"planning"})}


def test_valid_file_with_bom_gives_rows_ratings_and_demographics_apart() -> None:
    data = ("\ufeffcandidate,role,level,hired,outcome,stats,coding,sex,race_ethnicity,\n"
            "a,data-scientist,mid,1,1,3.5,,female,group-1,\n"
            "\n"
            "b,data-scientist,senior,0,,2,4,,,\n").encode()

    parsed = parse_history_csv(data, ROLES)

    assert parsed.ok, parsed.errors
    first, second = parsed.rows
    assert (first.row, first.hired, first.outcome, first.ratings) == (1, True, True,
                                                                      {"stats": 3.5})
    assert first.demographics == {"sex": "female", "race_ethnicity": "group-1"}
    assert second.row == 3  # the empty row keeps its number
    assert second.outcome is None
    assert second.ratings == {"stats": 2.0, "coding": 4.0}
    assert second.demographics == {}


def test_every_problem_is_reported_by_row_and_column() -> None:
    data = (b"candidate,role,level,hired,outcome,stats,planning\n"
            b"a,data-scientist,mid,1,1,nan,\n"
            b"b,pm,mid,1,,1e1,3\n"
            b"c,data-scientist,mid,1,,0.5,\n")

    parsed = parse_history_csv(data, ROLES)

    found = {(e.row, e.column) for e in parsed.errors}
    assert found == {(1, "stats"), (2, "stats"), (3, "stats")}
    assert not parsed.rows


def test_self_identification_columns_are_never_ratings_even_if_a_competency_shares_the_name(
) -> None:
    roles = {"r": frozenset({"sex", "x"})}
    data = b"candidate,role,level,hired,sex,x\na,r,mid,0,female,2\n"

    parsed = parse_history_csv(data, roles)

    assert parsed.ok, parsed.errors
    assert parsed.rows[0].ratings == {"x": 2.0}
    assert not set(parsed.rows[0].ratings) & set(DEMOGRAPHIC_COLUMNS)


def test_scoring_parse_ignores_history_only_columns_and_marks_bad_ratings() -> None:
    data = (b"candidate,hired,outcome,sex,coding,stats,planning\n"
            b"a,1,1,male,3,2.5,4\n"
            b"b,,,,9,3,\n")

    parsed = parse_scoring_csv(data, "data-scientist", ("stats", "coding"),
                               {"stats", "coding", "planning"})

    assert not parsed.errors
    assert parsed.X is not None
    assert parsed.X.tolist()[0] == [2.5, 3.0]  # the model's order; planning ignored
    assert parsed.rows[1].problems == ("coding: '9' is not a rating 1-4",)
    assert math.isnan(parsed.X[1, 1])


def test_scoring_parse_refuses_rows_of_another_role_and_unknown_columns() -> None:
    other = parse_scoring_csv(b"candidate,role,stats\na,pm,3\n", "data-scientist", ("stats",),
                              {"stats"})
    unknown = parse_scoring_csv(b"candidate,statz\na,3\n", "data-scientist", ("stats",),
                                {"stats"})

    assert [(e.row, e.column) for e in other.errors] == [(1, "role")]
    assert [e.column for e in unknown.errors] == ["statz"]
