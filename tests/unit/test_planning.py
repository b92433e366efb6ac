"""The default plan, the coverage check and kit proposals (pure functions)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hiring.planning import (
    MINUTES_PER_COMPETENCY,
    CompetencyNeed,
    QuestionOption,
    check_coverage,
    propose_kit,
    propose_plan,
)


def _needs() -> list[CompetencyNeed]:
    return [
        CompetencyNeed("t1", "T1", "technical", 3, must_have=True, has_work_sample=True),
        CompetencyNeed("t2", "T2", "technical", 3, must_have=True),
        CompetencyNeed("t3", "T3", "technical", 2),
        CompetencyNeed("t4", "T4", "technical", 1),
        CompetencyNeed("d1", "D1", "domain", 2),
        CompetencyNeed("communication-non-experts", "Comm", "soft", 2, must_have=True),
        CompetencyNeed("s2", "S2", "soft", 1),
    ]


def test_default_plan_covers_everything_and_must_haves_twice() -> None:
    needs = _needs()
    plan = propose_plan(needs)
    report = check_coverage(needs, [(s.minutes, s.focus) for s in plan])
    assert report.ok, report.problems
    assert not report.overloaded
    assert plan[0].name == "Screen"
    assert "communication-non-experts" in plan[0].focus
    assert any(s.name == "Domain interview" and s.focus == ["d1"] for s in plan)
    assert "t1" in next(s for s in plan if s.name == "Work sample").focus


def test_coverage_reports_uncovered_and_single_must_have() -> None:
    needs = _needs()
    report = check_coverage(needs, [(60, ["t1", "t2", "t3"]), (45, ["t1", "d1"])])
    assert set(report.uncovered) == {"t4", "communication-non-experts", "s2"}
    assert report.must_have_short == {"t2": 1}
    assert not report.ok
    assert report.total_minutes == 105


def test_coverage_flags_overloaded_interview_by_minutes_rate() -> None:
    needs = _needs()
    focus = ["t1", "t2", "t3", "t4"]
    report = check_coverage(needs, [(30, focus)])
    assert report.overloaded == {0: (4, 30 // MINUTES_PER_COMPETENCY)}
    assert "interview 1 has 4 focus competencies" in " ".join(report.problems)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["technical", "domain", "soft"]),
                          st.integers(1, 3), st.booleans(), st.booleans()),
                min_size=1, max_size=20))
def test_default_plan_always_covers_any_profile(rows: list[tuple[str, int, bool, bool]]) -> None:
    needs = [CompetencyNeed(f"c{i}", f"C{i}", cat, w, must, sample)
             for i, (cat, w, must, sample) in enumerate(rows)]
    plan = propose_plan(needs)
    report = check_coverage(needs, [(s.minutes, s.focus) for s in plan])
    assert report.uncovered == []
    assert report.must_have_short == {}


def _option(vid: int, comp: str, kind: str = "technical", minutes: int = 10,
            levels: tuple[str, ...] = ("mid",), alternate_of: str | None = None) -> QuestionOption:
    return QuestionOption(vid, comp, kind, minutes, levels, f"q{vid}", alternate_of)


def test_kit_has_a_question_per_focus_competency_for_the_level_within_minutes() -> None:
    options = [
        _option(1, "a"), _option(2, "a", "situational"), _option(3, "a", "behavioural"),
        _option(4, "b", levels=("senior",)), _option(5, "b"), _option(6, "c", minutes=15),
    ]
    chosen = propose_kit(["a", "b", "c"], 45, "mid", options)
    assert {1, 5, 6} <= set(chosen)
    assert 4 not in chosen  # wrong level
    minutes = {o.version_id: o.minutes for o in options}
    assert sum(minutes[v] for v in chosen) <= 45 - 10


def test_kit_skips_alternates_of_chosen_questions() -> None:
    options = [_option(1, "a"), _option(2, "a", alternate_of="q1"), _option(3, "a", "situational")]
    chosen = propose_kit(["a"], 60, "mid", options)
    assert 1 in chosen
    assert 2 not in chosen


def test_work_sample_step_prefers_work_sample_questions() -> None:
    options = [_option(1, "a"), _option(2, "a", "work-sample", minutes=30)]
    assert propose_kit(["a"], 45, "mid", options, prefer_work_sample=True)[0] == 2


def test_kit_keeps_within_minutes_with_one_work_sample() -> None:
    options = [
        _option(1, "a", "work-sample", minutes=30), _option(2, "a", minutes=10),
        _option(3, "b", "work-sample", minutes=30), _option(4, "b", minutes=10),
        _option(5, "c", "work-sample", minutes=30), _option(6, "c", minutes=10),
    ]
    chosen = propose_kit(["a", "b", "c"], 60, "mid", options, prefer_work_sample=True)
    minutes = {o.version_id: o.minutes for o in options}
    assert chosen[0] == 1
    assert {4, 6} <= set(chosen)
    assert sum(minutes[v] for v in chosen) <= 60 - 10
