"""Profile fit: hand-computed values, states, must-haves, exact contributions, estimator API."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import (
    check_do_not_raise_errors_in_init_or_set_params,
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from hiring.scoring import (
    Counterfactual,
    FitResult,
    LevelProfile,
    PooledError,
    ProfileFit,
    counterfactual_must_have,
    evidence_from_ratings,
    evidence_matrix,
    profile_fit,
)

# a: critical, bar 3, must-have; b: core, bar 3; c: supporting, bar 2. Total weight 6.
LEVEL = LevelProfile(
    competencies=("a", "b", "c"),
    weights={"a": 3, "b": 2, "c": 1},
    bars={"a": 3, "b": 3, "c": 2},
    must_have=frozenset({"a"}),
)
# Half-width of a single rating's band under the prior: 1.96 * sqrt(0.35) = 1.1596.
ONE_RATING_HALF_WIDTH = 1.96 * math.sqrt(0.35)


def test_fit_on_full_coverage_matches_hand_computation():
    result = profile_fit({"a": (3.5, 2), "b": (3.0, 3), "c": (2.0, 1)}, LEVEL)

    assert result.state == "ok"
    assert result.coverage == 1.0
    # (3 * 3.5 + 2 * 3 + 1 * 2) / 6 and (3 * 3 + 2 * 3 + 1 * 2) / 6
    assert result.mean == pytest.approx(18.5 / 6, abs=1e-9)
    assert result.bar_mean == pytest.approx(17 / 6, abs=1e-9)
    assert result.score_0_100 == pytest.approx((18.5 / 6 - 1) / 3 * 100, abs=1e-7)
    assert result.bar_0_100 == pytest.approx((17 / 6 - 1) / 3 * 100, abs=1e-7)
    assert result.contributions == {"a": 0.25, "b": 0.0, "c": 0.0}
    assert result.contributions_0_100["a"] == pytest.approx(0.25 * 100 / 3, abs=1e-9)
    assert result.assessed == ("a", "b", "c")
    assert result.meets_profile is True


def test_unassessed_competency_is_left_out_of_both_fit_and_bar_profile():
    result = profile_fit({"a": (3.5, 2), "b": (3.0, 3)}, LEVEL)

    assert result.state == "ok"
    assert result.coverage == pytest.approx(5 / 6)
    assert result.mean == pytest.approx((3 * 3.5 + 2 * 3.0) / 5, abs=1e-9)
    assert result.bar_mean == pytest.approx(3.0, abs=1e-9)
    assert result.contributions == {"a": pytest.approx(0.3, abs=1e-9), "b": 0.0}
    assert result.assessed == ("a", "b")


def test_contribution_is_weight_times_distance_from_bar_over_assessed_weight():
    result = profile_fit({"a": (2.0, 1), "b": (4.0, 2), "c": (3.0, 1)}, LEVEL)

    assert result.contributions["a"] == pytest.approx(3 * (2.0 - 3) / 6, abs=1e-9)
    assert result.contributions["b"] == pytest.approx(2 * (4.0 - 3) / 6, abs=1e-9)
    assert result.contributions["c"] == pytest.approx(1 * (3.0 - 2) / 6, abs=1e-9)


def test_contributions_sum_exactly_to_distance_from_bar_profile_on_both_scales():
    result = profile_fit({"a": (10 / 3, 3), "b": (2.5, 2), "c": (4.0, 1)}, LEVEL)

    assert sum(result.contributions.values()) == result.mean - result.bar_mean
    assert math.fsum(result.contributions.values()) == result.mean - result.bar_mean
    assert sum(reversed(list(result.contributions.values()))) == result.mean - result.bar_mean
    assert sum(result.contributions_0_100.values()) == result.score_0_100 - result.bar_0_100


def test_coverage_below_floor_is_a_state_without_numbers():
    result = profile_fit({"b": (3.0, 2), "c": (2.0, 1)}, LEVEL)

    assert result.state == "insufficient coverage"
    assert result.coverage == pytest.approx(0.5)
    assert result.mean is None
    assert result.score_0_100 is None
    assert result.bar_mean is None
    assert result.band is None
    assert result.contributions == {}
    assert result.meets_profile is None
    assert "50%" in result.reason
    # Must-have states are still useful to a reader: "a" was not assessed.
    assert result.must_haves == {"a": "unclear"}


def test_coverage_exactly_at_floor_is_scored():
    level = LevelProfile(
        competencies=("a", "b", "c", "d"),
        weights={"a": 3, "b": 3, "c": 1, "d": 3},
        bars={"a": 3, "b": 3, "c": 2, "d": 2},
    )

    result = profile_fit({"a": (3.0, 1), "b": (3.0, 1), "c": (2.0, 1)}, level)

    assert result.coverage == 0.7
    assert result.state == "ok"


@pytest.mark.parametrize(
    "evidence",
    [
        pytest.param({}, id="nothing-assessed"),
        pytest.param({"a": (float("nan"), 0)}, id="only-nan"),
        pytest.param({"a": (4.5, 2), "b": (3.0, 1)}, id="above-4"),
        pytest.param({"a": (0.5, 2), "b": (3.0, 1)}, id="below-1"),
        pytest.param({"a": (float("inf"), 2), "b": (3.0, 1)}, id="infinite"),
        pytest.param({"a": (float("nan"), 2), "b": (3.0, 1)}, id="nan-with-ratings"),
        pytest.param({"a": (3.0, 0), "b": (3.0, 1)}, id="mean-without-ratings"),
        pytest.param({"a": (3.0, -1), "b": (3.0, 1)}, id="negative-count"),
        pytest.param({"a": ("3", "x"), "b": (3.0, 1)}, id="junk"),
        pytest.param({"a": (3.0,), "b": (3.0, 1)}, id="short-tuple"),
        pytest.param({"a": (3.0, 2, float("inf")), "b": (3.0, 1)}, id="infinite-variance"),
    ],
)
def test_invalid_or_empty_evidence_cannot_be_scored(evidence):
    result = profile_fit(evidence, LEVEL)

    assert result.state == "cannot score"
    assert result.mean is None
    assert result.coverage is None
    assert result.reason


def test_nan_with_zero_ratings_means_not_assessed():
    result = profile_fit({"a": (3.0, 1), "b": (3.0, 1), "c": (float("nan"), 0)}, LEVEL)

    assert result.state == "ok"
    assert result.assessed == ("a", "b")


def test_keys_outside_the_profile_are_ignored_and_listed():
    result = profile_fit({"a": (3.0, 1), "b": (3.0, 1), "zz": (4.0, 1)}, LEVEL)

    assert result.state == "ok"
    assert result.ignored == ("zz",)
    assert "zz" not in result.contributions


@pytest.mark.parametrize(
    ("evidence", "expected"),
    [
        # One rating of 4 on a bar of 3: band 4 - 1.16 = 2.84 lies above 2.5.
        pytest.param((4.0, 1), "met", id="one-rating-above-bar"),
        # One rating at the bar: the band reaches down to 1.84.
        pytest.param((3.0, 1), "unclear", id="one-rating-at-bar"),
        # Three ratings of 1: band 1 + 1.96 * sqrt(0.35 / 3) = 1.67 lies below 2.5.
        pytest.param((1.0, 3), "not met", id="three-ratings-far-below"),
        pytest.param((2.0, 1), "unclear", id="one-rating-below-bar"),
        pytest.param((3.5, 2), "met", id="two-ratings-above-bar"),
    ],
)
def test_must_have_state_compares_band_with_the_bars_lower_rounding_edge(evidence, expected):
    result = profile_fit({"a": evidence, "b": (3.0, 2), "c": (2.0, 1)}, LEVEL)

    assert result.must_haves == {"a": expected}


def test_unassessed_must_have_is_unclear_and_fails_the_profile():
    level = LevelProfile(
        competencies=("a", "b", "c"),
        weights={"a": 1, "b": 3, "c": 3},
        bars={"a": 3, "b": 2, "c": 2},
        must_have=frozenset({"a"}),
    )

    result = profile_fit({"b": (4.0, 2), "c": (4.0, 2)}, level)

    assert result.state == "ok"
    assert result.must_haves == {"a": "unclear"}
    assert result.meets_profile is False


def test_must_have_band_uses_the_candidates_own_spread():
    # Same mean (3.25) and count; only the interviewers' agreement differs.
    agreeing = profile_fit(evidence_from_ratings({"a": [3, 3, 3, 4], "b": [3]}), LEVEL)
    split = profile_fit(evidence_from_ratings({"a": [4, 4, 1, 4], "b": [3]}), LEVEL)

    assert agreeing.must_haves == {"a": "met"}
    assert split.must_haves == {"a": "unclear"}


def test_meets_profile_needs_fit_at_or_above_bar_profile():
    below = profile_fit({"a": (4.0, 1), "b": (1.0, 2), "c": (1.0, 1)}, LEVEL)

    assert below.must_haves == {"a": "met"}
    assert below.mean < below.bar_mean
    assert below.meets_profile is False


def test_input_hash_is_stable_and_tracks_every_input():
    evidence = {"a": (3.0, 2), "b": (3.0, 1)}
    base = profile_fit(evidence, LEVEL).input_hash

    assert profile_fit({"b": (3.0, 1), "a": (3.0, 2)}, LEVEL).input_hash == base
    assert profile_fit({"a": (3, np.int64(2)), "b": (3.0, 1.0)}, LEVEL).input_hash == base
    assert profile_fit({"a": (3.5, 2), "b": (3.0, 1)}, LEVEL).input_hash != base
    assert profile_fit({"a": (3.0, 3), "b": (3.0, 1)}, LEVEL).input_hash != base
    other_level = LevelProfile(
        competencies=LEVEL.competencies,
        weights={"a": 3, "b": 2, "c": 2},
        bars=LEVEL.bars,
        must_have=LEVEL.must_have,
    )
    assert profile_fit(evidence, other_level).input_hash != base
    assert profile_fit(evidence, LEVEL, PooledError.prior(0.5)).input_hash != base


def test_fit_result_round_trips_through_json():
    result = profile_fit({"a": (3.5, 2), "b": (3.0, 3), "c": (2.0, 1)}, LEVEL)

    restored = FitResult.from_json(json.loads(json.dumps(result.to_json())))

    assert restored == result


def test_evidence_from_ratings_gives_mean_count_and_sample_variance():
    evidence = evidence_from_ratings({"a": [3, 4, 4], "b": [2], "c": []})

    assert evidence["a"] == (pytest.approx(11 / 3), 3, pytest.approx(1 / 3))
    assert evidence["b"] == (2.0, 1, 0.0)
    assert "c" not in evidence


def test_evidence_matrix_aligns_columns_with_profile_order():
    means, counts = evidence_matrix(
        [{"b": (3.0, 2), "a": (2.0, 1)}, {"c": (4.0, 1), "zz": (1.0, 1)}], LEVEL.competencies
    )

    np.testing.assert_array_equal(means, [[2.0, 3.0, np.nan], [np.nan, np.nan, 4.0]])
    np.testing.assert_array_equal(counts, [[1, 2, 0], [0, 0, 1]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"weights": {"a": 4, "b": 2, "c": 1}}, "weight", id="weight-4"),
        pytest.param({"bars": {"a": 0, "b": 3, "c": 2}}, "bar", id="bar-0"),
        pytest.param({"bars": {"a": 2.5, "b": 3, "c": 2}}, "bar", id="bar-fraction"),
        pytest.param({"weights": {"a": True, "b": 2, "c": 1}}, "weight", id="weight-bool"),
        pytest.param({"must_have": frozenset({"zz"})}, "unknown", id="unknown-must-have"),
        pytest.param({"weights": {"a": 3, "b": 2}}, "weight", id="missing-weight"),
        pytest.param({"coverage_floor": 0}, "coverage_floor", id="floor-0"),
    ],
)
def test_level_profile_rejects_invalid_definitions(kwargs, message):
    values = {
        "competencies": ("a", "b", "c"),
        "weights": {"a": 3, "b": 2, "c": 1},
        "bars": {"a": 3, "b": 3, "c": 2},
    } | kwargs

    with pytest.raises(ValueError, match=message):
        LevelProfile(**values)


def test_level_profile_allows_at_most_five_must_haves():
    keys = [f"k{i}" for i in range(6)]

    with pytest.raises(ValueError, match="at most 5"):
        LevelProfile.from_rows([(key, 2, 3, True) for key in keys])


# -- the estimator -------------------------------------------------------------------------------


def _estimator() -> ProfileFit:
    return ProfileFit.from_level(LEVEL)


def test_estimator_exposes_the_profile_as_parameters():
    estimator = _estimator()

    assert estimator.get_params() == {
        "competencies": ("a", "b", "c"),
        "weights": (3, 2, 1),
        "bars": (3, 3, 2),
        "must_have": (True, False, False),
        "coverage_floor": 0.7,
    }
    estimator.set_params(coverage_floor=0.8)
    assert estimator.coverage_floor == 0.8
    cloned = clone(estimator)
    assert cloned is not estimator
    assert cloned.get_params() == estimator.get_params()


@pytest.mark.parametrize(
    "check",
    [
        check_get_params_invariance,
        check_set_params,
        check_no_attributes_set_in_init,
        check_estimator_cloneable,
        check_estimator_repr,
        check_do_not_raise_errors_in_init_or_set_params,
        check_parameters_default_constructible,
    ],
)
def test_estimator_passes_scikit_learn_api_checks(check):
    check("ProfileFit", _estimator())


def test_fit_returns_self_and_predicting_before_fit_raises():
    estimator = _estimator()

    with pytest.raises(NotFittedError):
        estimator.decision_function([[3.0, 3.0, 2.0]])
    assert estimator.fit([[3.0, 3.0, 2.0]]) is estimator
    assert estimator.n_features_in_ == 3


def test_fit_rejects_a_matrix_that_does_not_match_the_profile():
    with pytest.raises(ValueError, match="3 competencies"):
        _estimator().fit([[3.0, 3.0]])
    with pytest.raises(ValueError, match="weight"):
        ProfileFit(competencies=("a",), weights=(5,), bars=(3,)).fit([[3.0]])


def test_estimator_agrees_with_profile_fit_function():
    rows = [
        {"a": (3.5, 2), "b": (3.0, 3), "c": (2.0, 1)},
        {"a": (2.0, 1), "b": (4.0, 2)},
        {"b": (3.0, 2), "c": (2.0, 1)},
        {"a": (5.0, 1), "b": (3.0, 1)},
    ]
    X, _ = evidence_matrix(rows, LEVEL.competencies)
    estimator = _estimator().fit(X)
    results = [profile_fit(row, LEVEL) for row in rows]

    assert list(estimator.states(X)) == [r.state for r in results]
    fits = estimator.decision_function(X)
    assert fits[0] == results[0].mean
    assert fits[1] == results[1].mean
    assert np.isnan(fits[2:]).all()
    np.testing.assert_array_equal(
        estimator.contributions(X)[0], [results[0].contributions[k] for k in "abc"]
    )
    assert estimator.bar_reference(X)[0] == results[0].bar_mean


def test_transform_gives_one_fit_column_for_pipelines():
    X = np.array([[4.0, 4.0, 3.0], [2.0, 2.0, 2.0], [3.5, 3.0, np.nan], [1.0, 1.5, 1.0]] * 5)
    y = np.array([1, 0, 1, 0] * 5)
    pipeline = Pipeline([("fit", _estimator()), ("logistic", LogisticRegression())]).fit(X, y)

    assert _estimator().fit_transform(X).shape == (20, 1)
    assert pipeline.predict_proba(X).shape == (20, 2)
    assert pipeline[:-1].get_feature_names_out().tolist() == ["profile_fit"]
    assert pipeline.named_steps["logistic"].coef_[0, 0] > 0


def test_predict_is_the_point_hurdle_check():
    X = np.array(
        [
            [3.0, 3.0, 2.0],  # at every bar: meets
            [4.0, 4.0, 4.0],  # above: meets
            [2.0, 4.0, 4.0],  # must-have below its bar: fails
            [3.0, 1.0, 1.0],  # must-have met, fit below bar profile: fails
            [np.nan, 4.0, 4.0],  # must-have unassessed (and coverage too low): fails
            [9.0, 3.0, 3.0],  # cannot score: fails, not an error
        ]
    )

    assert _estimator().fit(X).predict(X).tolist() == [1, 1, 0, 0, 0, 0]


scores = st.integers(min_value=0, max_value=12).map(lambda i: 1 + i / 4)


@st.composite
def profiles_and_rows(draw):
    k = draw(st.integers(min_value=1, max_value=12))
    weights = draw(st.lists(st.sampled_from([1, 2, 3]), min_size=k, max_size=k))
    bars = draw(st.lists(st.sampled_from([1, 2, 3, 4]), min_size=k, max_size=k))
    row = draw(
        st.lists(
            st.one_of(st.just(float("nan")), st.floats(min_value=1, max_value=4)),
            min_size=k,
            max_size=k,
        )
    )
    return weights, bars, row


@settings(max_examples=200, deadline=None)
@given(profiles_and_rows())
def test_contributions_always_sum_exactly_and_fit_stays_true_to_definition(data):
    weights, bars, row = data
    keys = tuple(f"k{i}" for i in range(len(weights)))
    estimator = ProfileFit(keys, weights, bars, coverage_floor=0.01).fit([row])

    fit = estimator.decision_function([row])[0]
    if np.isnan(row).all():
        assert np.isnan(fit)
        return
    reference = estimator.bar_reference([row])[0]
    contributions = estimator.contributions([row])[0]
    assert sum(contributions.tolist()) == fit - reference
    assert math.fsum(contributions) == fit - reference
    assessed = ~np.isnan(row)
    w = np.asarray(weights, float)[assessed]
    exact = math.fsum(w * np.asarray(row)[assessed]) / w.sum()
    assert abs(fit - exact) < 1e-8


@settings(max_examples=200, deadline=None)
@given(profiles_and_rows(), st.data())
def test_fit_never_falls_when_a_rating_rises(data, more):
    weights, bars, row = data
    assessed = [j for j, value in enumerate(row) if not math.isnan(value)]
    if not assessed:
        return
    j = more.draw(st.sampled_from(assessed))
    raised = list(row)
    raised[j] = more.draw(st.floats(min_value=row[j], max_value=4))
    keys = tuple(f"k{i}" for i in range(len(weights)))
    estimator = ProfileFit(keys, weights, bars, coverage_floor=0.01).fit([row])

    before, after = estimator.decision_function([row, raised])

    assert after >= before


# -- counterfactual ------------------------------------------------------------------------------


def test_counterfactual_for_a_met_must_have_is_the_smallest_drop_that_unsettles_it():
    change = counterfactual_must_have({"a": (3.5, 2), "b": (3.0, 3), "c": (2.0, 1)}, LEVEL)

    assert change == Counterfactual(
        competency="a",
        kind="lower",
        points=-1,
        current_state="met",
        new_state="unclear",
        current_mean=3.5,
        new_mean=3.0,
        n_ratings=2,
        description=change.description,
    )
    assert "1 rating point less" in change.description


def test_counterfactual_for_an_unclear_must_have_is_the_smallest_rise_that_meets_it():
    change = counterfactual_must_have({"a": (2.5, 2), "b": (3.0, 3), "c": (2.0, 1)}, LEVEL)

    # Mean 3.0 over two ratings still straddles 2.5 (half-width 0.82); 3.5 does not.
    assert (change.kind, change.points, change.new_mean, change.new_state) == (
        "raise",
        2,
        3.5,
        "met",
    )
    after = profile_fit({"a": (3.5, 2), "b": (3.0, 3), "c": (2.0, 1)}, LEVEL)
    assert after.must_haves == {"a": "met"}


def test_counterfactual_for_an_unassessed_must_have_names_the_single_rating_needed():
    change = counterfactual_must_have({"b": (3.0, 3), "c": (2.0, 1)}, LEVEL)

    assert (change.kind, change.points, change.n_ratings) == ("assess", 4, 0)
    assert 4 - ONE_RATING_HALF_WIDTH >= 2.5 > 3 - ONE_RATING_HALF_WIDTH


def test_no_single_change_when_two_must_haves_fail_or_none_exist():
    two = LevelProfile.from_rows([("a", 3, 3, True), ("b", 3, 3, True), ("c", 1, 2, False)])
    none = LevelProfile.from_rows([("a", 3, 3, False), ("b", 3, 3, False)])

    assert counterfactual_must_have({"a": (1.0, 2), "b": (1.0, 2), "c": (2.0, 1)}, two) is None
    assert counterfactual_must_have({"a": (3.0, 2), "b": (3.0, 2)}, none) is None
    assert counterfactual_must_have({"a": (9.0, 2)}, LEVEL) is None
