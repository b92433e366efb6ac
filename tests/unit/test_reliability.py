"""Reliability coefficients against published worked examples and independent computations."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score

from hiring.analytics.reliability import (
    agreement_band,
    bootstrap_alpha,
    cohen_kappa,
    icc,
    krippendorff_alpha,
)

# Shrout & Fleiss (1979), "Intraclass correlations: uses in assessing rater reliability",
# Psychological Bulletin 86(2), Table 2: 6 targets (rows) rated by 4 judges (columns).
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
# Their Table 4, reported to two decimals.
SHROUT_FLEISS_ICC = {
    "ICC1": 0.17,
    "ICC2": 0.29,
    "ICC3": 0.71,
    "ICC1k": 0.44,
    "ICC2k": 0.62,
    "ICC3k": 0.91,
}

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability" (Annenberg School for
# Communication Departmental Papers 43), section C: 4 observers (rows) x 12 units (columns),
# values 1-5, None where an observer did not code the unit. Unit 12 has one value only and is
# dropped. The paper reports alpha nominal .743, ordinal .815, interval .849, ratio .797.
N = None
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
KRIPPENDORFF_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}


def brute_force_alpha(data: list[list[float | None]], level: str) -> float:
    """Alpha straight from the pairwise definition, written independently of the module.

    D_o averages delta^2 over all ordered pairs of values within a unit (each unit weighted by
    1 / (m_u - 1)); D_e averages delta^2 over all ordered pairs of pairable values in the whole
    data, regardless of unit. alpha = 1 - D_o / D_e. No coincidence matrix is built.
    """
    units = []
    for u in range(len(data[0])):
        values = [row[u] for row in data if row[u] is not None and not math.isnan(row[u])]
        if len(values) >= 2:
            units.append(values)
    pooled = [v for unit in units for v in unit]
    n = len(pooled)
    ranked = sorted(set(pooled))
    frequency = {v: pooled.count(v) for v in ranked}

    def delta2(c: float, k: float) -> float:
        if level == "nominal":
            return 0.0 if c == k else 1.0
        if level == "interval":
            return (c - k) ** 2
        if level == "ratio":
            return 0.0 if c == k else ((c - k) / (c + k)) ** 2
        lo, hi = sorted((ranked.index(c), ranked.index(k)))
        between = sum(frequency[ranked[g]] for g in range(lo, hi + 1))
        return (between - (frequency[c] + frequency[k]) / 2) ** 2

    observed = 0.0
    for unit in units:
        pairs = itertools.permutations(range(len(unit)), 2)
        observed += sum(delta2(unit[i], unit[j]) for i, j in pairs) / (len(unit) - 1)
    observed /= n
    expected = sum(delta2(pooled[i], pooled[j]) for i, j in itertools.permutations(range(n), 2))
    expected /= n * (n - 1)
    return 1 - observed / expected


# ---------------------------------------------------------------------------------- ICC


@pytest.mark.parametrize(("key", "published"), sorted(SHROUT_FLEISS_ICC.items()))
def test_icc_reproduces_shrout_fleiss_table_4(key: str, published: float) -> None:
    assert round(icc(SHROUT_FLEISS)[key], 2) == published


def test_icc_returns_plain_floats_under_the_six_keys() -> None:
    result = icc(SHROUT_FLEISS)
    assert set(result) == set(SHROUT_FLEISS_ICC)
    assert all(type(value) is float for value in result.values())


def test_icc_accepts_a_numpy_array_like_lists() -> None:
    assert icc(np.array(SHROUT_FLEISS, dtype=float)) == pytest.approx(icc(SHROUT_FLEISS))


def test_icc_is_one_when_raters_agree_exactly() -> None:
    result = icc([[1, 1, 1], [2, 2, 2], [4, 4, 4]])
    assert result == pytest.approx(dict.fromkeys(SHROUT_FLEISS_ICC, 1.0))


def test_icc3_ignores_a_rater_who_is_consistently_harsher_but_icc2_does_not() -> None:
    # Rater 2 gives exactly one point less: perfect consistency, imperfect absolute agreement.
    result = icc([[2, 1], [3, 2], [4, 3], [3, 2]])
    assert result["ICC3"] == pytest.approx(1.0)
    assert result["ICC2"] < 1.0


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        ([[1, 2, 3]], "at least two targets"),
        ([[1], [2]], "at least two raters"),
        ([[1, 2], [3]], "complete rows"),
        ([[1, 2], [3, None]], "complete rows"),
        ([[1, 2], [3, float("nan")]], "complete rows"),
        ([[3, 3], [3, 3], [3, 3]], "no variance"),
        ([[1, 2], [2, 1]], "same mean"),
        # ICC(2,1) is exactly -1/(k-1) here, so ICC(2,k) divides by zero.
        ([[1, 1, 1, 1, 2], [1, 1, 1, 3, 1]], "ICC2k is undefined"),
        ([[1, "x"], [2, 3]], "not a number"),
        ([1, 2, 3], "matrix"),
    ],
)
def test_icc_rejects_degenerate_input(ratings: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        icc(ratings)


# ------------------------------------------------------------------ Krippendorff's alpha


@pytest.mark.parametrize(("level", "published"), sorted(KRIPPENDORFF_ALPHA.items()))
def test_alpha_reproduces_krippendorff_2011_example(level: str, published: float) -> None:
    assert round(krippendorff_alpha(KRIPPENDORFF, level), 3) == published


@pytest.mark.parametrize("level", sorted(KRIPPENDORFF_ALPHA))
def test_alpha_matches_brute_force_definition_on_published_data(level: str) -> None:
    assert krippendorff_alpha(KRIPPENDORFF, level) == pytest.approx(
        brute_force_alpha(KRIPPENDORFF, level), abs=1e-12
    )


def test_alpha_defaults_to_interval_and_accepts_nan_for_missing() -> None:
    with_nan = [[math.nan if v is None else v for v in row] for row in KRIPPENDORFF]
    assert krippendorff_alpha(with_nan) == pytest.approx(krippendorff_alpha(KRIPPENDORFF))
    assert krippendorff_alpha(np.array(with_nan)) == pytest.approx(0.849, abs=5e-4)


def test_alpha_nominal_accepts_text_categories() -> None:
    as_text = [[None if v is None else f"c{v}" for v in row] for row in KRIPPENDORFF]
    assert krippendorff_alpha(as_text, "nominal") == pytest.approx(
        krippendorff_alpha(KRIPPENDORFF, "nominal")
    )


def test_alpha_drops_units_with_a_single_value() -> None:
    # Appending a unit only one rater coded changes nothing.
    extended = [row + [4 if r == 0 else None] for r, row in enumerate(KRIPPENDORFF)]
    assert krippendorff_alpha(extended) == krippendorff_alpha(KRIPPENDORFF)


def test_alpha_is_one_for_perfect_agreement() -> None:
    assert krippendorff_alpha([[1, 2, 3, 4], [1, 2, 3, 4]], "ordinal") == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("data", "level", "message"),
    [
        ([[1, 2, 3], [1, 2]], "interval", "mismatched lengths"),
        ([[1, 2], [1, None]], "interval", "at least two units"),
        ([[1, 2, 3]], "interval", "at least two units"),
        ([], "interval", "no raters"),
        ([[2, 2, 2], [2, 2, None]], "nominal", "no variance"),
        ([[1, 2], [1, 2]], "cardinal", "level must be one of"),
        ([[1, -2], [1, 2]], "ratio", "negative"),
        ([[1, "a"], [1, 2]], "interval", "not a number"),
    ],
)
def test_alpha_rejects_degenerate_input(data: list, level: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        krippendorff_alpha(data, level)


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_alpha_is_deterministic_for_a_seed_and_brackets_the_estimate() -> None:
    first = bootstrap_alpha(KRIPPENDORFF, "interval", n_boot=500, seed=7)
    again = bootstrap_alpha(KRIPPENDORFF, "interval", n_boot=500, seed=7)
    other = bootstrap_alpha(KRIPPENDORFF, "interval", n_boot=500, seed=8)
    assert first == again
    assert first != other
    assert first["alpha"] == pytest.approx(krippendorff_alpha(KRIPPENDORFF, "interval"))
    assert first["n_units"] == 11  # unit 12 has one value and is dropped
    assert first["lo"] <= first["alpha"] <= first["hi"] <= 1.0
    assert 0 < first["n_boot"] <= 500
    assert all(type(first[key]) is float for key in ("alpha", "lo", "hi"))


def test_bootstrap_alpha_matches_resampling_units_by_hand() -> None:
    # Independent check of the resampling: draw the same unit indices with the same generator
    # and compute alpha of each resampled matrix with the brute-force definition.
    pairable = [u for u in range(12) if sum(row[u] is not None for row in KRIPPENDORFF) >= 2]
    rng = np.random.default_rng(3)
    replicates = []
    for _ in range(50):
        drawn = rng.integers(0, len(pairable), size=len(pairable))
        resample = [[row[pairable[i]] for i in drawn] for row in KRIPPENDORFF]
        try:
            replicates.append(brute_force_alpha(resample, "interval"))
        except ZeroDivisionError:  # no variance in this resample: left out, as documented
            continue
    lo, hi = np.percentile(replicates, [2.5, 97.5])
    result = bootstrap_alpha(KRIPPENDORFF, "interval", n_boot=50, seed=3)
    assert result["lo"] == pytest.approx(lo)
    assert result["hi"] == pytest.approx(hi)
    assert result["n_boot"] == len(replicates)


@pytest.mark.parametrize("n_boot", [0, -5, 2.5, True])
def test_bootstrap_alpha_rejects_a_bad_replicate_count(n_boot: object) -> None:
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_alpha(KRIPPENDORFF, n_boot=n_boot)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- kappa


def test_kappa_hand_computed_two_by_two() -> None:
    # 50 items: both "yes" 20, A yes/B no 5, A no/B yes 10, both "no" 15.
    # p_o = 35/50 = .70; A says yes .50, B says yes .60; p_e = .5*.6 + .5*.4 = .50;
    # kappa = (.70 - .50) / (1 - .50) = .40.
    a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


RATER_A = [1, 2, 3, 4, 2, 3, 3, 1, 4, 2, 3, 2, 1, 4, 3, 3, 2, 4, 1, 2]
RATER_B = [1, 2, 2, 4, 3, 3, 4, 1, 3, 2, 3, 1, 2, 4, 3, 2, 2, 4, 1, 3]


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_matches_scikit_learn(weights: str | None) -> None:
    expected = cohen_kappa_score(RATER_A, RATER_B, weights=weights)
    assert cohen_kappa(RATER_A, RATER_B, weights=weights) == pytest.approx(expected)


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_kappa_labels_fix_the_scale_for_weighting(weights: str) -> None:
    # Nobody used 3 here: without labels, 2 and 4 would be one step apart instead of two.
    a = [1, 2, 4, 4, 2, 1, 4, 2]
    b = [1, 4, 4, 2, 2, 2, 4, 1]
    fixed = cohen_kappa(a, b, weights=weights, labels=[1, 2, 3, 4])
    assert fixed == pytest.approx(cohen_kappa_score(a, b, weights=weights, labels=[1, 2, 3, 4]))
    assert fixed != pytest.approx(cohen_kappa(a, b, weights=weights))


def test_kappa_unweighted_does_not_depend_on_unused_labels() -> None:
    assert cohen_kappa(RATER_A, RATER_B, labels=[1, 2, 3, 4, 5]) == pytest.approx(
        cohen_kappa(RATER_A, RATER_B)
    )


@pytest.mark.parametrize(
    ("a", "b", "kwargs", "message"),
    [
        ([1, 2, 3], [1, 2], {}, "mismatched lengths"),
        ([], [], {}, "at least one pair"),
        ([2, 2, 2], [2, 2, 2], {}, "no variance"),
        ([2, 2, 2], [2, 2, 2], {"labels": [1, 2, 3, 4], "weights": "linear"}, "no variance"),
        ([1, None], [1, 2], {}, "missing"),
        ([1, 5], [1, 2], {"labels": [1, 2, 3, 4]}, "not one of the labels"),
        ([1, 2], [1, 2], {"labels": [1, 1, 2]}, "duplicates"),
        ([1, 2], [1, 2], {"weights": "cubic"}, "weights must be"),
    ],
)
def test_kappa_rejects_degenerate_input(a: list, b: list, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cohen_kappa(a, b, **kwargs)


# ------------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.95, "reliable"),
        (0.800, "reliable"),
        (0.7999, "tentative"),
        (0.667, "tentative"),
        (0.6669, "unreliable"),
        (-0.2, "unreliable"),
    ],
)
def test_agreement_band_alpha_uses_krippendorffs_thresholds(value: float, band: str) -> None:
    assert agreement_band(value) == band
    assert agreement_band(value, kind="alpha") == band


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.2, "poor"),
        (0.4999, "poor"),
        (0.5, "moderate"),
        (0.7499, "moderate"),
        (0.75, "good"),
        (0.9, "good"),
        (0.9001, "excellent"),
        (1.0, "excellent"),
    ],
)
def test_agreement_band_icc_uses_koo_and_li_2016(value: float, band: str) -> None:
    assert agreement_band(value, kind="icc") == band


def test_agreement_band_labels_the_published_examples() -> None:
    assert agreement_band(krippendorff_alpha(KRIPPENDORFF, "interval")) == "reliable"
    assert agreement_band(krippendorff_alpha(KRIPPENDORFF, "nominal")) == "tentative"
    assert agreement_band(icc(SHROUT_FLEISS)["ICC1"], kind="icc") == "poor"
    assert agreement_band(icc(SHROUT_FLEISS)["ICC3k"], kind="icc") == "excellent"


@pytest.mark.parametrize(("value", "kind"), [(0.5, "kappa"), (math.nan, "alpha"), ("x", "icc")])
def test_agreement_band_rejects_unknown_kind_or_non_numbers(value: object, kind: str) -> None:
    with pytest.raises(ValueError, match="kind must be|needs a number"):
        agreement_band(value, kind=kind)  # type: ignore[arg-type]


# ------------------------------------------------------------------- property tests

ratings_1_to_4 = st.integers(min_value=1, max_value=4)


@st.composite
def paired_ratings(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    size = draw(st.integers(min_value=2, max_value=40))
    a = draw(st.lists(ratings_1_to_4, min_size=size, max_size=size))
    b = draw(st.lists(ratings_1_to_4, min_size=size, max_size=size))
    return a, b


@given(paired_ratings(), st.sampled_from([None, "linear", "quadratic"]))
def test_kappa_is_symmetric_and_at_most_one(
    pair: tuple[list[int], list[int]], weights: str | None
) -> None:
    a, b = pair
    try:
        forward = cohen_kappa(a, b, weights=weights, labels=[1, 2, 3, 4])
    except ValueError:
        # The only degenerate case: both raters used one and the same category throughout.
        assert len(set(a)) == 1
        assert set(a) == set(b)
        return
    assert forward == pytest.approx(cohen_kappa(b, a, weights=weights, labels=[1, 2, 3, 4]))
    assert forward <= 1.0 + 1e-12
    assert forward == pytest.approx(cohen_kappa_score(a, b, weights=weights, labels=[1, 2, 3, 4]))


@st.composite
def reliability_matrices(draw: st.DrawFn) -> list[list[int | None]]:
    raters = draw(st.integers(min_value=2, max_value=4))
    units = draw(st.integers(min_value=2, max_value=8))
    cell = st.one_of(st.none(), ratings_1_to_4)
    return [draw(st.lists(cell, min_size=units, max_size=units)) for _ in range(raters)]


@settings(max_examples=60)
@given(reliability_matrices(), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_agrees_with_brute_force_and_ignores_order(data: list, level: str) -> None:
    try:
        value = krippendorff_alpha(data, level)
    except ValueError:
        return  # too few pairable units or no variance: covered by the explicit tests
    assert value == pytest.approx(brute_force_alpha(data, level), abs=1e-9)
    assert value <= 1.0 + 1e-12
    shuffled = [list(reversed(row)) for row in reversed(data)]
    assert krippendorff_alpha(shuffled, level) == pytest.approx(value)


@settings(max_examples=60)
@given(
    reliability_matrices(),
    st.floats(min_value=0.5, max_value=10),
    st.floats(min_value=-5, max_value=5),
)
def test_interval_alpha_is_unchanged_by_a_linear_rescaling(
    data: list, scale: float, shift: float
) -> None:
    try:
        value = krippendorff_alpha(data, "interval")
    except ValueError:
        return
    rescaled = [[None if v is None else scale * v + shift for v in row] for row in data]
    assert krippendorff_alpha(rescaled, "interval") == pytest.approx(value, abs=1e-9)


@settings(max_examples=60)
@given(
    st.integers(min_value=2, max_value=6).flatmap(
        lambda k: st.lists(
            st.lists(ratings_1_to_4, min_size=k, max_size=k), min_size=2, max_size=10
        )
    ),
    st.integers(min_value=-3, max_value=3),
)
def test_icc_single_forms_at_most_one_k_forms_spearman_brown_and_shift_invariant(
    ratings: list[list[int]], shift: int
) -> None:
    try:
        result = icc(ratings)
    except ValueError:
        return
    k = len(ratings[0])
    for form in ("ICC1", "ICC2", "ICC3"):
        single = result[form]
        assert single <= 1.0 + 1e-9
        # Shrout & Fleiss: each mean-of-k form is the Spearman-Brown step-up of its single form
        # (compared only away from the pole at single = -1/(k-1), where both blow up).
        step_up_denominator = 1 + (k - 1) * single
        if abs(step_up_denominator) > 1e-6:
            assert result[f"{form}k"] == pytest.approx(k * single / step_up_denominator)
    shifted = icc([[v + shift for v in row] for row in ratings])
    assert shifted == pytest.approx(result)
