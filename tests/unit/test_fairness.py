"""Adverse-impact statistics against published examples, hand computations and properties."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hiring.analytics.fairness import (
    intersect,
    mantel_haenszel,
    scoring_impact,
    selection_impact,
)

Z = stats.norm.ppf(0.975)


def katz(x1: float, n1: float, x2: float, n2: float) -> tuple[float, float]:
    """Katz et al. (1978) log interval of (x1/n1)/(x2/n2), written out for the test."""
    centre = math.log((x1 / n1) / (x2 / n2))
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return math.exp(centre - Z * se), math.exp(centre + Z * se)


# --------------------------------------------------------------------- selection impact

# The four-fifths example of the EEOC/OFCCP Questions and Answers on the Uniform Guidelines on
# Employee Selection Procedures (29 CFR 1607.4(D)): 80 white applicants, 48 selected (60 %);
# 40 Black applicants, 12 selected (30 %); 30 / 60 = 50 %, below four-fifths: adverse impact.
EEOC = {"white": (80, 48), "Black": (40, 12)}


def test_eeoc_questions_and_answers_example_is_adverse() -> None:
    result = selection_impact(EEOC)
    assert result["white"]["rate"] == pytest.approx(0.6)
    assert result["Black"]["rate"] == pytest.approx(0.3)
    assert result["white"]["impact_ratio"] == 1.0
    assert result["Black"]["impact_ratio"] == 0.5
    assert result["Black"]["adverse"] is True
    assert result["white"]["adverse"] is False
    assert result["white"]["reference"] is True
    assert result["Black"]["reference"] is False


def test_eeoc_example_shares_shortfall_and_flips() -> None:
    black = selection_impact(EEOC)["Black"]
    assert black["share"] == pytest.approx(40 / 120)
    assert black["small"] is False
    # Four-fifths of 60 % is 48 %; 48 % of 40 applicants is 19.2, so 20 selections: 8 more.
    assert black["shortfall"] == 8
    assert black["flips"] is False
    assert selection_impact({"white": (80, 48), "Black": (40, 19)})["Black"]["flips"] is True
    assert selection_impact({"white": (80, 48), "Black": (40, 20)})["Black"]["adverse"] is False


def test_eeoc_example_tests_against_the_highest_rate_category() -> None:
    black = selection_impact(EEOC)["Black"]
    # Fisher's exact test by its definition: the total probability, under the hypergeometric
    # null (120 applicants, 60 selected, 40 Black), of tables no more likely than the observed.
    null = stats.hypergeom(120, 60, 40)
    observed = null.pmf(12)
    p_value = sum(null.pmf(k) for k in range(0, 41) if null.pmf(k) <= observed * (1 + 1e-7))
    assert black["p_value"] == pytest.approx(p_value, rel=1e-9)
    # Pooled z: p = 60/120 = .5; se = sqrt(.25 * (1/40 + 1/80)); z = (.3 - .6) / se.
    assert black["z"] == pytest.approx((0.3 - 0.6) / math.sqrt(0.25 * (1 / 40 + 1 / 80)))
    assert (black["ci_low"], black["ci_high"]) == pytest.approx(katz(12, 40, 48, 80))
    assert black["ci_low"] == pytest.approx(0.3014, abs=1e-4)
    assert black["ci_high"] == pytest.approx(0.8294, abs=1e-4)
    white = selection_impact(EEOC)["white"]
    assert white["p_value"] is white["z"] is white["ci_low"] is white["ci_high"] is None


def test_exactly_four_fifths_is_not_adverse() -> None:
    result = selection_impact({"a": (100, 50), "b": (100, 40)})
    assert result["b"]["impact_ratio"] == pytest.approx(0.8)
    assert result["b"]["adverse"] is False
    assert result["b"]["shortfall"] == 0


def test_four_fifths_boundary_is_decided_exactly_not_in_floating_point() -> None:
    # 4 of 7 against 5 of 7 is exactly 4/5, but floating point lands just below it:
    assert (4 / 7) / (5 / 7) == 0.7999999999999999
    result = selection_impact({"top": (7, 5), "other": (7, 4)})
    assert result["other"]["adverse"] is False
    assert result["other"]["shortfall"] == 0
    # One fewer selection would be adverse, so the flag is fragile.
    assert result["other"]["flips"] is True
    assert selection_impact({"top": (7, 5), "other": (7, 3)})["other"]["adverse"] is True


def test_56_percent_against_70_percent_is_exactly_four_fifths() -> None:
    # Here double precision errs the other way (0.56 / 0.7 == 0.8000000000000002), and an
    # epsilon-tolerant float comparison would be wrong on one side or the other; exact
    # fractions are right on both.
    assert 0.56 / 0.7 != 0.8
    result = selection_impact({"top": (100, 70), "other": (100, 56)})
    assert result["other"]["adverse"] is False
    assert result["other"]["flips"] is True
    assert selection_impact({"top": (100, 70), "other": (100, 55)})["other"]["adverse"] is True


def test_category_without_applicants_has_no_rate_and_is_left_out_of_the_maximum() -> None:
    result = selection_impact({"a": (10, 5), "b": (10, 2), "c": (0, 0)})
    assert result["c"]["rate"] is None
    assert result["c"]["impact_ratio"] is None
    assert result["c"]["adverse"] is False
    assert result["c"]["p_value"] is None
    assert result["c"]["share"] == 0.0
    assert result["a"]["impact_ratio"] == 1.0
    assert result["b"]["impact_ratio"] == pytest.approx(0.4)


def test_ties_at_the_top_all_get_one_and_the_larger_group_is_the_reference() -> None:
    result = selection_impact({"a": (10, 5), "b": (40, 20), "c": (20, 4)})
    assert result["a"]["impact_ratio"] == result["b"]["impact_ratio"] == 1.0
    assert result["b"]["reference"] is True
    assert result["a"]["reference"] is False
    # a is tested against the reference b like any other category; equal rates: p = 1, z = 0.
    assert result["a"]["p_value"] == pytest.approx(1.0)
    assert result["a"]["z"] == pytest.approx(0.0)
    assert result["c"]["p_value"] == pytest.approx(stats.fisher_exact([[4, 16], [20, 20]]).pvalue)


def test_ties_of_equal_size_pick_the_first_label_whatever_the_input_order() -> None:
    forward = selection_impact({"b": (10, 5), "a": (10, 5), "c": (10, 1)})
    backward = selection_impact({"c": (10, 1), "a": (10, 5), "b": (10, 5)})
    assert forward["a"]["reference"] is backward["a"]["reference"] is True
    assert forward == backward


def test_nobody_selected_leaves_impact_ratios_undefined_and_not_adverse() -> None:
    result = selection_impact({"a": (10, 0), "b": (20, 0)})
    for entry in result.values():
        assert entry["impact_ratio"] is None
        assert entry["adverse"] is False
        assert entry["shortfall"] == 0
    assert result["a"]["p_value"] == pytest.approx(1.0)
    assert result["a"]["z"] == 0.0


def test_zero_cell_gets_half_added_to_every_cell_for_the_interval() -> None:
    result = selection_impact({"a": (30, 12), "b": (25, 0)})["b"]
    assert result["impact_ratio"] == 0.0
    low, high = katz(0.5, 26, 12.5, 31)
    assert result["ci_low"] == pytest.approx(low)
    assert result["ci_high"] == pytest.approx(high)
    assert 0 < result["ci_low"] < result["ci_high"] < 1


def test_share_under_two_percent_is_small_and_exactly_two_percent_is_not() -> None:
    result = selection_impact({"big": (97, 40), "two": (2, 1), "one": (1, 1)})
    assert result["one"]["small"] is True
    assert result["two"]["small"] is False
    assert result["two"]["share"] == pytest.approx(0.02)


def test_a_top_category_can_flip_because_the_maximum_is_recomputed() -> None:
    # a leads with 2/2. With one fewer (1/2) b's 9/10 becomes the maximum and a sits at
    # 0.5 / 0.9 = 0.56: adverse. b at 0.9 stays above four-fifths either way (8/10 is 0.8 / 1).
    result = selection_impact({"a": (2, 2), "b": (10, 9)})
    assert result["a"]["reference"] is True
    assert result["a"]["adverse"] is False
    assert result["a"]["flips"] is True
    assert result["b"]["flips"] is False


def test_results_are_plain_python_numbers() -> None:
    for entry in selection_impact(EEOC).values():
        for key in ("rate", "impact_ratio", "share", "p_value", "z", "ci_low", "ci_high"):
            assert entry[key] is None or type(entry[key]) is float
        assert type(entry["shortfall"]) is int
        assert type(entry["adverse"]) is bool


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ({"a": (10, 11)}, "selected out of only"),
        ({"a": (-1, 0)}, "cannot be negative"),
        ({"a": (10.5, 1)}, "whole number"),
        ({"a": (10,)}, "expected"),
        ({"a": (0, 0), "b": (0, 0)}, "at least one category with applicants"),
        ({}, "at least one category with applicants"),
        ([("a", (1, 1))], "must map"),
    ],
)
def test_selection_impact_rejects_bad_counts(groups: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        selection_impact(groups)  # type: ignore[arg-type]


# ----------------------------------------------------------------------- scoring impact

# An NYC Local Law 144 style scoring-rate table (6 RCNY 5-300: scoring rate = share of a
# category scoring above the median of the sample), worked by hand below.
MALE = [10, 20, 30, 40, 50, 60]
FEMALE = [15, 25, 38, 45]
SCORES = MALE + FEMALE + [100, 101]
CATEGORIES = ["male"] * 6 + ["female"] * 4 + [None, None]


def test_scoring_impact_ll144_example_with_known_categories_median() -> None:
    # Known scores sorted: 10 15 20 25 30 38 40 45 50 60; median (30 + 38) / 2 = 34.
    # male above 34: 40, 50, 60 = 3/6; female above: 38, 45 = 2/4. Equal rates, ratio 1.
    result = scoring_impact(SCORES, CATEGORIES)
    assert result["median"] == 34.0
    assert result["unknown"] == 2
    assert set(result["categories"]) == {"male", "female"}
    male, female = result["categories"]["male"], result["categories"]["female"]
    assert male["scoring_rate"] == female["scoring_rate"] == 0.5
    assert female["impact_ratio"] == 1.0
    assert female["adverse"] is False
    assert male["share"] == pytest.approx(0.6)
    assert female["share"] == pytest.approx(0.4)


def test_scoring_impact_full_sample_median_includes_unknowns() -> None:
    # All twelve scores: median (38 + 40) / 2 = 39. male above: 40, 50, 60 = 1/2;
    # female above: 45 = 1/4; impact ratio 1/2: adverse.
    result = scoring_impact(SCORES, CATEGORIES, use_full_sample_median=True)
    assert result["median"] == 39.0
    assert result["unknown"] == 2
    female = result["categories"]["female"]
    assert female["scoring_rate"] == 0.25
    assert female["impact_ratio"] == 0.5
    assert female["adverse"] is True


def test_scoring_rate_counts_strictly_above_the_median() -> None:
    # Median 3 is itself a score; the person scoring 3 is not above it.
    result = scoring_impact([1, 2, 3, 4, 5], ["a", "a", "b", "b", "b"])
    assert result["median"] == 3.0
    assert result["categories"]["b"]["scoring_rate"] == pytest.approx(2 / 3)
    assert result["categories"]["a"]["scoring_rate"] == 0.0
    assert result["categories"]["a"]["impact_ratio"] == 0.0
    assert result["categories"]["a"]["adverse"] is True


def test_unknown_categories_are_excluded_from_rates_and_shares() -> None:
    with_unknowns = scoring_impact([1, 2, 3, 4, 99, 98, 97], ["a", "b", "a", "b", None, None, None])
    without = scoring_impact([1, 2, 3, 4], ["a", "b", "a", "b"])
    assert with_unknowns["unknown"] == 3
    assert with_unknowns["categories"] == without["categories"]
    assert with_unknowns["median"] == without["median"] == 2.5


def test_scoring_impact_boundary_is_exact() -> None:
    # Eleven zeros and nine tens: median 0. Above it: a 5 of 5, b 4 of 5, c 0 of 10.
    # b's ratio is exactly 4/5 (not adverse); c's is 0 (adverse).
    scores = [10] * 5 + [10] * 4 + [0] + [0] * 10
    categories = ["a"] * 5 + ["b"] * 5 + ["c"] * 10
    result = scoring_impact(scores, categories)["categories"]
    assert result["b"]["impact_ratio"] == pytest.approx(0.8)
    assert result["b"]["adverse"] is False
    assert result["c"]["adverse"] is True
    # The float trap of 4/7 against 5/7 in scoring rates (fifteen zeros, nine tens: median 0):
    # exactly 4/5, not adverse.
    trap = scoring_impact(
        [10] * 4 + [0] * 3 + [10] * 5 + [0] * 2 + [0] * 10, ["x"] * 7 + ["y"] * 7 + ["z"] * 10
    )
    assert trap["median"] == 0.0
    assert trap["categories"]["x"]["scoring_rate"] == pytest.approx(4 / 7)
    assert trap["categories"]["x"]["adverse"] is False


def test_scoring_impact_flags_small_categories() -> None:
    result = scoring_impact(list(range(100)), ["a"] * 98 + ["b", "c"])
    assert result["categories"]["b"]["small"] is True
    assert result["categories"]["a"]["small"] is False


def test_scoring_impact_nobody_above_the_median_leaves_ratios_undefined() -> None:
    result = scoring_impact([3, 3, 3, 3], ["a", "b", "a", "b"])
    assert result["categories"]["a"]["impact_ratio"] is None
    assert result["categories"]["a"]["adverse"] is False


@pytest.mark.parametrize(
    ("scores", "categories", "message"),
    [
        ([1, 2], ["a"], "mismatched lengths"),
        ([], [], "at least one score"),
        ([1, 2], [None, None], "known category"),
        ([1, float("nan")], ["a", "b"], "not a finite number"),
        ([1, None], ["a", "b"], "not a finite number"),
    ],
)
def test_scoring_impact_rejects_bad_input(scores: list, categories: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scoring_impact(scores, categories)


# ---------------------------------------------------------------------- Mantel-Haenszel

# Agresti (1990), pp. 231-237, penicillin and rabbits, as in the example of R's
# mantelhaen.test: per penicillin level, rabbits (n, cured) with immediate vs 1.5 h delayed
# injection. R's help page reports p = 0.047 for the corrected Mantel-Haenszel test.
RABBITS = [
    {"immediate": (6, 0), "delayed": (5, 0)},
    {"immediate": (6, 3), "delayed": (6, 0)},
    {"immediate": (6, 6), "delayed": (6, 2)},
    {"immediate": (6, 5), "delayed": (6, 6)},
    {"immediate": (2, 2), "delayed": (5, 5)},
]


def test_mantel_haenszel_penicillin_and_rabbits() -> None:
    result = mantel_haenszel(RABBITS, focal="immediate", reference="delayed")
    # By hand: sum(ad/n) = 18/12 + 24/12 = 3.5, sum(bc/n) = 6/12 = .5, OR = 7.
    assert result["odds_ratio"] == pytest.approx(7.0)
    # sum(a(c+d)/n) = 59/7, sum(c(a+b)/n) = 38/7: rate ratio 59/38.
    assert result["rate_ratio"] == pytest.approx(59 / 38)
    # sum a = 16, sum E(a) = 13, sum Var(a) = 35/22: (|3| - 1/2)^2 / (35/22) = 3.9286.
    assert result["chi2"] == pytest.approx(6.25 * 22 / 35)
    assert round(result["p_value"], 3) == 0.047
    assert result["n_strata"] == 5


# Bickel, Hammel & O'Connell (1975), UC Berkeley graduate admissions 1973 by department, as in
# R's UCBAdmissions data: (applicants, admitted) for men and women. R's
# mantelhaen.test(UCBAdmissions) gives X-squared = 1.4269 (p = 0.2323) with the continuity
# correction and a common odds ratio of 0.9046968 (odds of admission, men vs women).
UCB = [
    {"men": (825, 512), "women": (108, 89)},
    {"men": (560, 353), "women": (25, 17)},
    {"men": (325, 120), "women": (593, 202)},
    {"men": (417, 138), "women": (375, 131)},
    {"men": (191, 53), "women": (393, 94)},
    {"men": (373, 22), "women": (341, 24)},
]


def test_mantel_haenszel_berkeley_admissions() -> None:
    result = mantel_haenszel(UCB, focal="men", reference="women")
    assert result["odds_ratio"] == pytest.approx(0.9046968, abs=1e-7)
    assert result["chi2"] == pytest.approx(1.4269, abs=1e-4)
    assert result["p_value"] == pytest.approx(0.2323, abs=1e-4)
    assert result["n_strata"] == 6


def test_mantel_haenszel_drops_strata_lacking_a_group() -> None:
    extra = [
        *RABBITS,
        {"immediate": (4, 2)},
        {"delayed": (3, 1)},
        {"immediate": (0, 0), "delayed": (2, 1)},
        {"immediate": (1, 1), "delayed": (1, 0), "other": (9, 9)},
    ]
    pooled = mantel_haenszel(extra, focal="immediate", reference="delayed")
    assert pooled["n_strata"] == 6
    assert pooled["odds_ratio"] != pytest.approx(7.0)  # the last stratum does count


def test_mantel_haenszel_single_stratum_reduces_to_the_crude_ratios() -> None:
    result = mantel_haenszel([{"f": (40, 12), "r": (80, 48)}], focal="f", reference="r")
    assert result["odds_ratio"] == pytest.approx((12 * 32) / (28 * 48))
    assert result["rate_ratio"] == pytest.approx(0.5)


def test_mantel_haenszel_swapping_groups_inverts_the_ratios() -> None:
    forward = mantel_haenszel(UCB, "men", "women")
    backward = mantel_haenszel(UCB, "women", "men")
    assert backward["odds_ratio"] == pytest.approx(1 / forward["odds_ratio"])
    assert backward["rate_ratio"] == pytest.approx(1 / forward["rate_ratio"])
    assert backward["chi2"] == pytest.approx(forward["chi2"])


def test_mantel_haenszel_undefined_statistics_are_none() -> None:
    everyone = mantel_haenszel([{"f": (5, 5), "r": (4, 4)}], "f", "r")
    assert everyone["odds_ratio"] is None
    assert everyone["chi2"] is None
    assert everyone["p_value"] is None
    assert everyone["rate_ratio"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("strata", "focal", "reference", "message"),
    [
        (RABBITS, "immediate", "immediate", "must be different"),
        ([{"a": (3, 1)}, {"b": (2, 1)}], "a", "b", "at least one stratum"),
        ([], "a", "b", "at least one stratum"),
        ([{"a": (3, 4), "b": (2, 1)}], "a", "b", "stratum 0"),
    ],
)
def test_mantel_haenszel_rejects_unusable_input(
    strata: list, focal: str, reference: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        mantel_haenszel(strata, focal=focal, reference=reference)


# ---------------------------------------------------------------------------- intersect


def test_intersect_builds_labels_and_keeps_unknowns_unknown() -> None:
    assert intersect("female", "Black or African American") == (
        "female / Black or African American"
    )
    assert intersect(None, "Asian") is None
    assert intersect("male", None) is None


def test_intersection_is_its_own_axis_with_its_own_maximum() -> None:
    people = [
        ("female", "A", True),
        ("female", "B", False),
        ("male", "A", True),
        ("male", "B", True),
        ("female", "A", True),
        ("male", "B", False),
    ]
    axis: dict[str, list[int]] = {}
    for sex, race, chosen in people:
        label = intersect(sex, race)
        counts = axis.setdefault(label, [0, 0])
        counts[0] += 1
        counts[1] += chosen
    result = selection_impact({k: (n, x) for k, (n, x) in axis.items()})
    assert result["female / A"]["impact_ratio"] == 1.0
    assert result["female / B"]["impact_ratio"] == 0.0
    assert result["male / B"]["impact_ratio"] == 0.5


# ------------------------------------------------------------------- property tests


@st.composite
def axes(draw: st.DrawFn) -> dict[str, tuple[int, int]]:
    labels = draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=5, unique=True))
    groups = {}
    for label in labels:
        applicants = draw(st.integers(min_value=0, max_value=120))
        groups[label] = (applicants, draw(st.integers(min_value=0, max_value=applicants)))
    if all(n == 0 for n, _ in groups.values()):
        groups[labels[0]] = (1, draw(st.integers(min_value=0, max_value=1)))
    return groups


@settings(max_examples=150, deadline=None)
@given(axes())
def test_selection_impact_properties(groups: dict[str, tuple[int, int]]) -> None:
    result = selection_impact(groups)
    rates = {c: Fraction(x, n) for c, (n, x) in groups.items() if n}
    top = max(rates.values())
    assert sum(entry["share"] for entry in result.values()) == pytest.approx(1.0)
    assert sum(entry["reference"] for entry in result.values()) == 1
    for category, entry in result.items():
        n, x = groups[category]
        if not n or top == 0:
            assert entry["impact_ratio"] is None
            assert entry["adverse"] is False
            continue
        ratio = rates[category] / top
        assert 0.0 <= entry["impact_ratio"] <= 1.0
        assert entry["adverse"] is (ratio < Fraction(4, 5))
        if rates[category] == top:
            assert entry["impact_ratio"] == 1.0
        if entry["p_value"] is not None:
            assert 0.0 <= entry["p_value"] <= 1.0
            assert entry["ci_low"] <= entry["ci_high"]
        # The shortfall is enough, and one less would not be.
        if entry["adverse"]:
            s = entry["shortfall"]
            assert not selection_impact({**groups, category: (n, x + s)})[category]["adverse"]
            assert selection_impact({**groups, category: (n, x + s - 1)})[category]["adverse"]
        else:
            assert entry["shortfall"] == 0
        flipped = any(
            selection_impact({**groups, category: (n, x + d)})[category]["adverse"]
            is not entry["adverse"]
            for d in (1, -1)
            if 0 <= x + d <= n
        )
        assert entry["flips"] is flipped


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=100),
            st.sampled_from(["a", "b", "c", None]),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_scoring_impact_properties(rows: list[tuple[int, str | None]]) -> None:
    scores = [s for s, _ in rows]
    categories = [c for _, c in rows]
    if all(c is None for c in categories):
        return
    result = scoring_impact(scores, categories)
    assert result["unknown"] == categories.count(None)
    entries = result["categories"].values()
    assert sum(entry["share"] for entry in entries) == pytest.approx(1.0)
    ratios = [entry["impact_ratio"] for entry in entries]
    if any(ratio is not None for ratio in ratios):
        assert max(ratios) == 1.0
        assert all(0.0 <= ratio <= 1.0 for ratio in ratios)
    for entry in entries:
        assert 0.0 <= entry["scoring_rate"] <= 1.0


@settings(max_examples=100, deadline=None)
@given(st.lists(axes(), min_size=1, max_size=6))
def test_mantel_haenszel_swap_symmetry(strata: list[dict[str, tuple[int, int]]]) -> None:
    try:
        forward = mantel_haenszel(strata, "a", "b")
    except ValueError:
        return
    backward = mantel_haenszel(strata, "b", "a")
    assert forward["n_strata"] == backward["n_strata"]
    if forward["chi2"] is not None:
        assert backward["chi2"] == pytest.approx(forward["chi2"])
        assert 0.0 <= forward["p_value"] <= 1.0
    if forward["odds_ratio"] and backward["odds_ratio"]:
        assert forward["odds_ratio"] * backward["odds_ratio"] == pytest.approx(1.0)
