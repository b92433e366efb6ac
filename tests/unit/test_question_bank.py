"""Validation of the question bank files (hiring/question_bank.py): every fault of issue 4 item 2
in a broken copy of the shipped bank, each reported with file, line and item id, all at once."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

from hiring import PROJECT_ROOT
from hiring import question_bank as qb

SHIPPED = PROJECT_ROOT / "question_bank"
ITEM_LINE = re.compile(r"^\s*(?:-\s+)?(?:id|key):\s*(\S+)")


@pytest.fixture(scope="module")
def shipped() -> qb.Bank:
    """The shipped bank, validated once."""
    return qb.read_bank(SHIPPED)


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """A fresh copy of the shipped bank's four folders, ready to be broken."""
    target = tmp_path / "bank"
    for folder in qb.FOLDERS:
        shutil.copytree(SHIPPED / folder, target / folder)
    return target


def first_file(bank_dir: Path, folder: str) -> Path:
    return sorted((bank_dir / folder).glob("*.yaml"))[0]


def edit(path: Path, pattern: str, replacement: str, occurrence: int = 0) -> tuple[int, str]:
    """Replace ``pattern`` on the ``occurrence``-th line matching it.

    Returns the 1-based line number and the id or key of the item the line belongs to.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    matches = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    index = matches[occurrence]
    lines[index] = re.sub(pattern, replacement, lines[index], count=1)
    path.write_text("".join(lines), encoding="utf-8")
    return index + 1, item_at(lines, index)


def item_at(lines: list[str], index: int) -> str:
    for line in reversed(lines[: index + 1]):
        match = ITEM_LINE.match(line)
        if match:
            return match.group(1)
    raise AssertionError("no item above")


def line_of(path: Path, pattern: str, occurrence: int = 0) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines) if re.search(pattern, line)][occurrence] + 1


def messages(bank: qb.Bank) -> list[str]:
    return [str(p) for p in bank.problems]


def assert_reported(bank: qb.Bank, where: str, fragment: str) -> None:
    """One problem starts with ``where`` (``file:line: id:``) and mentions ``fragment``."""
    found = [m for m in messages(bank) if m.startswith(where) and fragment in m]
    assert found, f"no problem at {where!r} mentioning {fragment!r}; got:\n" + \
        "\n".join(messages(bank))


# --------------------------------------------------------------------------- the shipped bank


def test_shipped_bank_passes_check(shipped: qb.Bank) -> None:
    assert messages(shipped) == []
    assert len(shipped.profiles) == 5
    assert set(shipped.profiles) == {"project-manager", "data-engineer", "data-scientist",
                                     "ml-engineer", "mlops-engineer"}
    assert len(shipped.domains) == 6
    assert len(shipped.questions) > 100
    # Every competency of every role has at least one question for each level it is used at.
    for profile in shipped.profiles.values():
        for level, spec in profile.levels.items():
            for entry in spec.entries:
                assert any(q.competency == entry.key and level in q.levels
                           for q in shipped.questions.values()), (profile.key, level, entry.key)


def test_shipped_bank_normalises_provenance_dates_to_iso_text(shipped: qb.Bank) -> None:
    for profile in shipped.profiles.values():
        date = profile.provenance["date"]
        assert isinstance(date, str)
        assert dt.date.fromisoformat(date).isoformat() == date


def test_shipped_bank_loads_fast(shipped: qb.Bank) -> None:
    import time

    started = time.perf_counter()
    qb.read_bank(SHIPPED)
    assert time.perf_counter() - started < 2.0


# --------------------------------------------------------------------------- faults (item 2)


def test_yaml_syntax_error_names_file_line_and_nearest_item(bank_dir: Path) -> None:
    path = first_file(bank_dir, "questions")
    line, item = edit(path, r"^(\s+)kind: (\S+)$", r"\1kind: \2: oops")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{path.name}:{line}: {item}:", "YAML syntax error")
    assert not bank.ok


def test_unclosed_quote_points_at_where_it_starts(bank_dir: Path) -> None:
    path = bank_dir / "questions" / "zz-extra.yaml"
    path.write_text('questions:\n  - id: zz-001\n    prompt: "never closed\n  - id: zz-002\n',
                    encoding="utf-8")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, "questions/zz-extra.yaml:3: zz-001:", "YAML syntax error")


def test_unknown_competency_in_a_question(bank_dir: Path) -> None:
    path = first_file(bank_dir, "questions")
    line, item = edit(path, r"^(\s+)competency: \S+$", r"\1competency: no-such-competency")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{path.name}:{line}: {item}:",
                    "unknown competency 'no-such-competency'")


def test_unknown_competency_in_a_role_profile(bank_dir: Path) -> None:
    path = first_file(bank_dir, "roles")
    line, role = edit(path, r"\{key: [a-z0-9-]+,", "{key: no-such-competency,")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"roles/{path.name}:{line}: {role}:",
                    "unknown competency 'no-such-competency'")


def test_duplicate_question_id_across_files(bank_dir: Path, shipped: qb.Bank) -> None:
    files = sorted((bank_dir / "questions").glob("*.yaml"))
    first_id = item_at(files[0].read_text().splitlines(), line_of(files[0], r"^\s+- id: ") - 1)
    first_line = line_of(files[0], r"^\s+- id: ")
    line, _ = edit(files[1], r"^(\s+)- id: \S+$", rf"\1- id: {first_id}")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{files[1].name}:{line}: {first_id}:",
                    f"duplicate question id (first defined at questions/{files[0].name}:"
                    f"{first_line})")


def test_duplicate_competency_key_across_files(bank_dir: Path) -> None:
    files = sorted((bank_dir / "competencies").glob("*.yaml"))
    first_line = line_of(files[0], r"^\s+- key: ")
    first_key = item_at(files[0].read_text().splitlines(), first_line - 1)
    line, _ = edit(files[1], r"^(\s+)- key: \S+$", rf"\1- key: {first_key}")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"competencies/{files[1].name}:{line}: {first_key}:",
                    "duplicate competency key")


def test_whole_file_duplicated_reports_every_item(bank_dir: Path) -> None:
    original = first_file(bank_dir, "questions")
    copy = original.with_name("zz-copy-of-" + original.name)
    shutil.copyfile(original, copy)
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{copy.name}:1: -:", f"copy of questions/{original.name}")
    text = copy.read_text().splitlines()
    id_lines = [i for i, line in enumerate(text) if re.match(r"^\s+- id: ", line)]
    assert id_lines
    for index in id_lines:
        qid = item_at(text, index)
        assert_reported(bank, f"questions/{copy.name}:{index + 1}: {qid}:",
                        f"duplicate question id (first defined at questions/{original.name}:"
                        f"{index + 1})")


def test_missing_field(bank_dir: Path) -> None:
    path = first_file(bank_dir, "questions")
    item_line = line_of(path, r"^\s+- id: ")
    line, item = edit(path, r"^(\s+)signals:", r"\1signal:")
    bank = qb.read_bank(bank_dir)
    assert item_at(path.read_text().splitlines(), item_line - 1) == item
    assert_reported(bank, f"questions/{path.name}:{item_line}: {item}:", "missing field 'signals'")
    assert_reported(bank, f"questions/{path.name}:{line}: {item}:", "unknown field 'signal'")


def test_empty_field(bank_dir: Path) -> None:
    path = first_file(bank_dir, "competencies")
    line, key = edit(path, r"^(\s+)name: .+$", r'\1name: ""')
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"competencies/{path.name}:{line}: {key}:", "'name' is empty")


@pytest.mark.parametrize(("pattern", "replacement", "fragment"), [
    (r"weight: \d", "weight: 5", "'weight' must be a whole number from 1 to 3"),
    (r"weight: \d", "weight: 0", "'weight' must be a whole number from 1 to 3"),
    (r"bar: \d", "bar: 5", "'bar' must be a whole number from 1 to 4"),
    (r"bar: \d", "bar: two", "'bar' must be a whole number from 1 to 4"),
])
def test_weight_or_bar_out_of_range(bank_dir: Path, pattern: str, replacement: str,
                                    fragment: str) -> None:
    path = first_file(bank_dir, "roles")
    line, role = edit(path, pattern, replacement)
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"roles/{path.name}:{line}: {role}:", fragment)


def test_more_than_five_must_haves_in_a_level(bank_dir: Path) -> None:
    path = first_file(bank_dir, "roles")
    text = path.read_text().splitlines(keepends=True)
    level_line = line_of(path, r"^\s+junior:\s*$")
    role = item_at(text, level_line - 1)
    # Make every competency of the junior level a must-have.
    in_junior = False
    for index, line in enumerate(text):
        if re.match(r"^\s+junior:\s*$", line):
            in_junior = True
        elif re.match(r"^\s+(mid|senior):\s*$", line):
            in_junior = False
        elif in_junior and "{key:" in line and "must_have" not in line:
            text[index] = line.replace("}", ", must_have: true}")
    path.write_text("".join(text))
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"roles/{path.name}:{level_line}: {role}:", "must-haves; at most 5")


def test_level_missing_a_competency(bank_dir: Path) -> None:
    path = first_file(bank_dir, "roles")
    mid_line = line_of(path, r"^\s+mid:\s*$")
    lines = path.read_text().splitlines(keepends=True)
    entry_index = next(i for i in range(mid_line, len(lines)) if "{key:" in lines[i])
    removed = re.search(r"\{key: ([a-z0-9-]+)", lines[entry_index]).group(1)
    role = item_at(lines, entry_index)
    del lines[entry_index]
    path.write_text("".join(lines))
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"roles/{path.name}:{mid_line}: {role}:",
                    f"level mid has no weight and bar for '{removed}'")


def test_entry_without_a_bar(bank_dir: Path) -> None:
    path = first_file(bank_dir, "roles")
    line, role = edit(path, r", bar: \d", "")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"roles/{path.name}:{line}: {role}:", "missing field 'bar'")


def test_fewer_than_four_anchors(bank_dir: Path) -> None:
    path = first_file(bank_dir, "competencies")
    anchors_line = line_of(path, r"^\s+anchors:")
    line, key = edit(path, r"^(\s+)4: ", r"\g<1>5: ")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"competencies/{path.name}:{anchors_line}: {key}:",
                    "needs four anchors (1-4), has 3: missing 4")
    assert_reported(bank, f"competencies/{path.name}:{line}: {key}:", "not a rating")


@pytest.mark.parametrize(("pattern", "replacement", "fragment"), [
    (r"^(\s+)kind: \S+$", r"\1kind: oral", "'kind' must be one of"),
    (r"^(\s+)levels: .+$", r"\1levels: [junior, expert]", "unknown level 'expert'"),
    (r"^(\s+)levels: .+$", r"\1levels: []", "'levels' must be a non-empty list"),
    (r"^(\s+)minutes: \d+$", r"\1minutes: 500", "'minutes' must be a whole number from 1 to 240"),
    (r"^(\s+)minutes: \d+$", r"\1minutes: 0", "'minutes' must be a whole number from 1 to 240"),
])
def test_bad_kind_levels_or_minutes(bank_dir: Path, pattern: str, replacement: str,
                                    fragment: str) -> None:
    path = first_file(bank_dir, "questions")
    line, item = edit(path, pattern, replacement)
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{path.name}:{line}: {item}:", fragment)


def test_alternate_of_unknown_question(bank_dir: Path) -> None:
    path = next(p for p in sorted((bank_dir / "questions").glob("*.yaml"))
                if "alternate_of:" in p.read_text())
    line, item = edit(path, r"alternate_of: \S+", "alternate_of: nope-999")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{path.name}:{line}: {item}:",
                    "'alternate_of' names an unknown question 'nope-999'")


def test_alternate_of_question_of_another_competency(bank_dir: Path, shipped: qb.Bank) -> None:
    path = next(p for p in sorted((bank_dir / "questions").glob("*.yaml"))
                if "alternate_of:" in p.read_text())
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "alternate_of:" in line)
    own = shipped.questions[item_at(lines, index)]
    other = next(q for q in shipped.questions.values() if q.competency != own.competency)
    line, item = edit(path, r"alternate_of: \S+", f"alternate_of: {other.id}")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{path.name}:{line}: {item}:",
                    f"'alternate_of' names '{other.id}', a question of another competency")


def test_too_few_follow_ups_signals_and_red_flags(bank_dir: Path, shipped: qb.Bank) -> None:
    competency = next(iter(shipped.competencies))
    (bank_dir / "questions" / "zz-short.yaml").write_text(
        "questions:\n"
        "  - id: zz-short-001\n"
        f"    competency: {competency}\n"
        "    kind: technical\n"
        "    levels: [mid]\n"
        "    minutes: 10\n"
        "    prompt: What would you do?\n"
        "    follow_ups:\n"
        "      - Why?\n"
        "    signals: [Clear, Correct]\n"
        "    red_flags: [Vague]\n", encoding="utf-8")
    bank = qb.read_bank(bank_dir)
    where = "questions/zz-short.yaml:{}: zz-short-001:"
    assert_reported(bank, where.format(8), "'follow_ups' needs at least 2 items, has 1")
    assert_reported(bank, where.format(10), "'signals' needs at least 3 items, has 2")
    assert_reported(bank, where.format(11), "'red_flags' needs at least 2 items, has 1")


def test_unquoted_colon_in_a_list_item_is_explained(bank_dir: Path, shipped: qb.Bank) -> None:
    path = first_file(bank_dir, "questions")
    lines = path.read_text().splitlines()
    follow = next(i for i, line in enumerate(lines) if line.strip() == "follow_ups:")
    line, item = edit(path, r"^(\s+)- .*$", r"\1- Ask this: then that", occurrence=sum(
        1 for i, ln in enumerate(lines[:follow + 1]) if re.search(r"^(\s+)- .*$", ln)))
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{path.name}:{line}: {item}:", "put the text in quotes")


def test_all_errors_are_reported_at_once(bank_dir: Path) -> None:
    questions = first_file(bank_dir, "questions")
    roles = first_file(bank_dir, "roles")
    competencies = first_file(bank_dir, "competencies")
    edit(questions, r"^(\s+)kind: \S+$", r"\1kind: oral")
    edit(roles, r"weight: \d", "weight: 9")
    edit(competencies, r"^(\s+)name: .+$", r'\1name: ""')
    edit(questions, r"^(\s+)kind: (\S+)$", r"\1kind: \2: oops", occurrence=3)
    bank = qb.read_bank(bank_dir)
    files = {p.file for p in bank.problems}
    assert {f"questions/{questions.name}", f"roles/{roles.name}",
            f"competencies/{competencies.name}"} <= files
    assert any("YAML syntax error" in m for m in messages(bank))


def test_top_level_key_and_empty_files(bank_dir: Path) -> None:
    (bank_dir / "roles" / "zz-empty.yaml").write_text("# nothing yet\n")
    (bank_dir / "roles" / "zz-odd.yaml").write_text("profile:\n  key: x\n")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, "roles/zz-empty.yaml:1: -:", "empty file")
    assert_reported(bank, "roles/zz-odd.yaml:1: -:", "unknown top-level key 'profile'")


def test_duplicate_key_inside_one_mapping(bank_dir: Path) -> None:
    path = first_file(bank_dir, "questions")
    line, item = edit(path, r"^(\s+)minutes: (\d+)$", r"\1minutes: \2\n\1minutes: 5")
    bank = qb.read_bank(bank_dir)
    assert_reported(bank, f"questions/{path.name}:{line + 1}: -:", "duplicate key 'minutes'")


# --------------------------------------------------------------------------- details


def test_provenance_date_may_be_a_date_or_text() -> None:
    def role(date: str) -> str:
        return (
            "role:\n  key: r\n  name: R\n  summary: S\n"
            f"  provenance: {{defined_by: A, method: B, date: {date}, rationale: C}}\n"
            "  levels:\n    mid:\n      summary: M\n      competencies:\n"
            "        - {key: c-one, weight: 2, bar: 3}\n")

    competencies = ("competencies:\n  - key: c-one\n    name: One\n    category: technical\n"
                    "    description: D\n    anchors: {1: a, 2: b, 3: c, 4: d}\n")
    for date in ("2026-11-27", "'2026-11-27'"):
        bank = qb.parse_documents([("competencies/c.yaml", competencies),
                                   ("roles/r.yaml", role(date))])
        assert bank.ok, messages(bank)
        assert bank.profiles["r"].provenance["date"] == "2026-11-27"
    bank = qb.parse_documents([("competencies/c.yaml", competencies),
                               ("roles/r.yaml", role("next week"))])
    assert any("'date' must be a date" in m for m in messages(bank))


def test_export_documents_round_trip_to_the_same_content(shipped: qb.Bank) -> None:
    documents = qb.export_documents(shipped)
    again = qb.parse_documents(documents.items())
    assert again.ok, messages(again)[:5]
    for attr in ("competencies", "profiles", "domains", "questions"):
        before, after = getattr(shipped, attr), getattr(again, attr)
        assert set(before) == set(after)
        for key, item in before.items():
            assert qb.content_hash(item.content()) == qb.content_hash(after[key].content())


def test_validate_question_uses_the_file_rules() -> None:
    raw = {"id": "app-001", "competency": "c-one", "kind": "technical", "levels": ["mid"],
           "minutes": "15", "prompt": "Explain.", "follow_ups": ["Why?"],
           "signals": ["a", "b", "c"], "red_flags": ["x", "y"], "alternate_of": "other-001"}
    spec, problems = qb.validate_question(raw, competencies={"c-one"},
                                          questions={"other-001": "c-two"})
    assert spec is None
    fields = {p.field for p in problems}
    assert {"follow_ups", "alternate_of"} <= fields
    raw["follow_ups"] = ["Why?", "How?"]
    raw.pop("alternate_of")
    spec, problems = qb.validate_question(raw, competencies={"c-one"}, questions={},
                                          taken_ids={"app-001"})
    assert spec is None
    assert problems[0].field == "id"
    spec, problems = qb.validate_question(raw, competencies={"c-one"}, questions={})
    assert problems == []
    assert spec is not None
    assert spec.minutes == 15


def test_summary_markdown_counts(shipped: qb.Bank) -> None:
    text = qb.summary_markdown(qb.summarize(shipped))
    assert "| role | competencies |" in text
    assert "| data-scientist |" in text
    assert "| competency | category |" in text
    assert "| domain | competencies |" in text
    assert f"{len(shipped.questions)} questions" in text
