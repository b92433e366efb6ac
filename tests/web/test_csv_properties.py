"""The candidate CSV importer round-trips (SECURITY.md IN-3), as properties (hypothesis).

Any valid set of candidate rows, written as an import file, imported into one requisition,
exported (formula-safe) and imported into another requisition, gives back exactly the rows it
started from; and no exported text cell starts with a formula character.

The other property of issue 12 item 3, "profile fit never falls when a rating with positive weight
rises", is ``tests/unit/test_scoring_profile_fit.py::test_fit_never_falls_when_a_rating_rises``.
"""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hiring import db as database
from hiring.candidates_csv import COLUMNS, FORMULA_PREFIXES, parse_candidates_csv, write_csv
from hiring.models import Application, Candidate, User
from hiring.operations.candidates import export_applications_csv, import_candidates
from tests.conftest import Factory

_LINE = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")),
                max_size=40).map(str.strip)
_FORMULAISH = st.sampled_from(["=1+1", "+44 20 7946 0958", "-2", "@SUM(A1)", "=HYPERLINK(\"x\")",
                               "'=quoted", "'plain", "-", "+", "3.5", "1e9"])
_NOTES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
                 max_size=80).map(str.strip).filter(
    lambda s: not any(ord(c) < 32 and c not in "\n\t" or c == "\x7f" for c in s))


@st.composite
def candidate_rows(draw: Any) -> list[dict[str, str]]:
    count = draw(st.integers(min_value=1, max_value=5))
    rows = []
    for index in range(count):
        name = draw(st.one_of(_LINE, _FORMULAISH).filter(bool))
        rows.append({
            "name": name,
            "email": f"person{index}.{draw(st.integers(0, 10**6))}@example.org",
            "phone": draw(st.one_of(st.just(""), _FORMULAISH, _LINE)),
            "location": draw(st.one_of(_LINE, _FORMULAISH)),
            "source": draw(st.one_of(_LINE, _FORMULAISH)),
            "notes": draw(st.one_of(_NOTES, _FORMULAISH)),
        })
    return rows


def _file(rows: list[dict[str, str]]) -> bytes:
    return write_csv(COLUMNS, [[row[c] for c in COLUMNS] for row in rows]).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(candidate_rows())
def test_in3_file_round_trip_reproduces_rows_and_neutralises_formulas(
        rows: list[dict[str, str]]) -> None:
    data = _file(rows)
    parsed = parse_candidates_csv(data)
    assert parsed.errors == []
    assert [r.fields() for r in parsed.rows] == rows
    for record in itertools.islice(csv.reader(io.StringIO(data.decode("utf-8-sig"))), 1, None):
        for cell in record:
            assert not cell.startswith(FORMULA_PREFIXES) or cell.lstrip("+-").replace(
                ".", "", 1).replace("e", "", 1).isdigit()


_counter = itertools.count(1)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=candidate_rows())
def test_in3_export_then_import_into_another_requisition_reproduces_the_rows(
        app: Any, users: dict[str, Any], rows: list[dict[str, str]]) -> None:
    tag = next(_counter)
    rows = [dict(r, email=r["email"].replace("@", f".t{tag}@")) for r in rows]
    with app.app_context(), database.write_session() as session:
        actor = session.get(User, users["recruiter"].id)
        make = Factory(session)
        profile = make.profile_version([make.competency(f"csv-competency-{tag}")],
                                       key=f"csv-role-{tag}")
        first = make.requisition(users["hiring_manager"], profile, title=f"First {tag}",
                                 status="open")
        second = make.requisition(users["hiring_manager"], profile, title=f"Second {tag}",
                                  status="open")
        import_candidates(session, actor=actor, requisition=first, data=_file(rows),
                          filename="in.csv")
        exported = export_applications_csv(session, first).encode("utf-8")
        result = import_candidates(session, actor=actor, requisition=second, data=exported,
                                   filename="out.csv")
        assert result.applications == len(rows)
        people = session.execute(
            select(Candidate).join(Application, Application.candidate_id == Candidate.id)
            .where(Application.requisition_id == second.id)).scalars().all()
        got = sorted(({c: getattr(p, c) for c in COLUMNS} for p in people),
                     key=lambda r: r["email"])
        assert got == sorted(rows, key=lambda r: r["email"])
        reparsed = parse_candidates_csv(exported)
        assert sorted((r.fields() for r in reparsed.rows), key=lambda r: r["email"]) == got
