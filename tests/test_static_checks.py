"""Static checks in ``make test`` (SECURITY.md WEB-2; issue 12 item 4).

* Templates never mark text safe (``|safe``, ``{% autoescape false %}``) and the Python code
  builds markup (``Markup(...)``) only in the allow-listed places below, each of which is
  app-built markup (server-side SVG charts, QR codes) made from numbers and escaped text.
* ruff with the security rules (``S``) runs in ``make test`` (the Makefile's ``test`` target
  runs ``ruff check .``; ``pyproject.toml`` selects ``S``).
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: (file, enclosing function) -> (number of ``Markup(`` calls, why they are safe).
MARKUP_ALLOWED: dict[tuple[str, str], tuple[int, str]] = {
    ("hiring/packets/charts.py", "contribution_chart_svg"):
        (1, "SVG bar chart: coordinates are formatted numbers, labels pass through escape()"),
    ("hiring/packets/charts.py", "qr_svg"):
        (1, "QR code SVG from segno: geometry only, the URL is encoded into modules"),
    ("hiring/packets/viewmodels.py", "chart_svg"):
        (1, "Markup('') for an empty chart"),
    ("hiring/ranking_charts.py", "fit_strip_svg"):
        (2, "score strip SVG from numbers and escaped labels; Markup('') when there is none"),
    ("hiring/views/models.py", "interval_svg"):
        (1, "forest-plot row SVG from formatted numbers only"),
}


def _markup_calls() -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for path in sorted((ROOT / "hiring").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name != "Markup":
                continue
            scope: ast.AST = node
            while scope in parents and not isinstance(scope, ast.FunctionDef |
                                                      ast.AsyncFunctionDef):
                scope = parents[scope]
            found[(str(path.relative_to(ROOT)), getattr(scope, "name", "<module>"))] += 1
    return found


def test_web2_markup_is_built_only_in_the_allow_listed_chart_functions() -> None:
    found = _markup_calls()
    unexpected = {key: n for key, n in found.items()
                  if key not in MARKUP_ALLOWED or n > MARKUP_ALLOWED[key][0]}
    assert not unexpected, (
        f"Markup(...) outside the allow-list (user text must be escaped, not marked safe; if "
        f"this is app-built markup, add it to MARKUP_ALLOWED with why it is safe): {unexpected}")


def test_web2_no_template_marks_text_safe() -> None:
    patterns = [re.compile(r"\|\s*safe\b"), re.compile(r"autoescape\s+(false|off)", re.I),
                re.compile(r"Markup\s*\("), re.compile(r"\|\s*(?:xmlattr|urlize)\b")]
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix not in {".html", ".svg", ".txt", ".xml", ".css"}:
            continue
        text = path.read_text()
        for pattern in patterns:
            for match in pattern.finditer(text):
                line = text[:match.start()].count("\n") + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert offenders == []


def test_web2_python_never_renders_templates_from_strings() -> None:
    """``render_template_string`` or ``Template(...)`` on text would bypass the files' autoescape
    and could run user text as a template (the packet renderer's sandbox reads files only)."""
    for path in sorted((ROOT / "hiring").rglob("*.py")):
        source = path.read_text()
        assert "render_template_string" not in source, path
        assert not re.search(r"\bfrom_string\(", source), path


def test_ruff_security_rules_run_in_make_test() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "S" in config["tool"]["ruff"]["lint"]["select"]
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check ." in target
    # Only tests and benchmarks relax some S rules; the application code gets all of them.
    ignores = config["tool"]["ruff"]["lint"].get("per-file-ignores", {})
    assert set(ignores) <= {"tests/**", "benchmarks/**"}
