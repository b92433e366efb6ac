"""Every requirement id of SECURITY.md has a test named after it (issue 12 item 1).

The ids are read from ``../shared/SECURITY.md`` (the shared folder beside the clone; CI keeps a
copy at the same relative path): every list item starting with an id such as ``AUTHZ-4``. The L
and F scenarios (a table, tested by ``tests/load/``) are not list items and are not counted. When
the file is missing, the copy in ``tests/security_ids.txt`` is used instead (and the test says so
in its output); when it is present, the copy must match it.

A test is "named after" ``AUTHZ-4`` when its name starts with ``test_authz4_`` (any case): a
function, a method, or a test imported under such a name (a reference to a test kept elsewhere).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SECURITY_MD = TESTS.parent.parent / "shared" / "SECURITY.md"
ID_COPY = TESTS / "security_ids.txt"
ID = re.compile(r"^-\s+((?:AUTH|SESS|AUTHZ|WEB|IN|PDF|LOG|DP|AI)-\d+)\b", re.MULTILINE)


def ids_from_security_md(text: str) -> list[str]:
    """The requirement ids of SECURITY.md, in order."""
    return ID.findall(text)


def ids_from_copy() -> list[str]:
    """The ids kept in ``tests/security_ids.txt``."""
    return [line.strip() for line in ID_COPY.read_text().splitlines()
            if line.strip() and not line.startswith("#")]


def requirement_ids() -> tuple[list[str], str]:
    """The ids and where they came from."""
    if SECURITY_MD.exists():
        return ids_from_security_md(SECURITY_MD.read_text()), str(SECURITY_MD)
    return ids_from_copy(), f"{ID_COPY} (fallback: {SECURITY_MD} is missing)"


def collected_test_names() -> set[str]:
    """Every test name defined or imported in ``tests/`` (lower case)."""
    names: set[str] = set()
    for path in TESTS.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name.lower())
            elif isinstance(node, ast.ImportFrom | ast.Import):
                names.update((a.asname or a.name).lower() for a in node.names)
            elif isinstance(node, ast.Assign):
                names.update(t.id.lower() for t in node.targets if isinstance(t, ast.Name))
    return {n for n in names if n.startswith("test_")}




def prefix(requirement: str) -> str:
    """``AUTHZ-4`` -> ``test_authz4_``."""
    return "test_" + requirement.lower().replace("-", "") + "_"


def test_every_security_id_has_a_test_named_after_it(capsys: pytest.CaptureFixture[str]) -> None:
    ids, source = requirement_ids()
    with capsys.disabled():
        if "fallback" in source:
            print(f"\n[security ids] read from {source}")
    assert len(ids) >= 30, f"too few ids read from {source}: {ids}"
    names = collected_test_names()
    missing = [i for i in ids if not any(n.startswith(prefix(i)) for n in names)]
    assert not missing, (f"SECURITY.md ids without a test named test_<id>_... (read from "
                         f"{source}): {missing}")


def test_the_kept_copy_of_the_ids_matches_security_md() -> None:
    if not SECURITY_MD.exists():
        pytest.skip(f"{SECURITY_MD} is not beside the clone; the copy is what is checked")
    assert ids_from_copy() == ids_from_security_md(SECURITY_MD.read_text()), \
        f"update {ID_COPY} from {SECURITY_MD}"


def test_the_id_parser_reads_list_items_only() -> None:
    sample = ("- AUTH-1 Passwords ...\n  mentions AUTHZ-3 inside text\n"
              "| L1 | table row |\n- AI-6 Notice ...\n")
    assert ids_from_security_md(sample) == ["AUTH-1", "AI-6"]
    assert prefix("AUTHZ-4") == "test_authz4_"
