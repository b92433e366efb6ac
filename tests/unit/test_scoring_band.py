"""Uncertainty bands from pooled error, distinguishability and ranking."""

from __future__ import annotations

import math

import pytest

from hiring.scoring import (
    PRIOR_VARIANCE,
    UNASSESSED_VARIANCE,
    FitResult,
    LevelProfile,
    PooledError,
    distinguishable,
    profile_fit,
    rank,
    to_0_100,
)

TWO_EQUAL = LevelProfile.from_rows([("a", 1, 3, False), ("b", 1, 3, False)])


def _cells(n: int, ratings: list[int], competency: str = "a") -> list[tuple[str, list[int]]]:
    return [(competency, list(ratings)) for _ in range(n)]


def test_prior_and_unassessed_variances_are_the_documented_values():
    assert PRIOR_VARIANCE == 0.35
    assert UNASSESSED_VARIANCE == pytest.approx(9 / 12)
    assert PooledError.prior().variance("anything") == 0.35


def test_prior_is_used_until_thirty_cells_with_two_ratings_exist():
    pooled = PooledError.from_cells(_cells(29, [2, 3]) + _cells(50, [4]))

    assert pooled.cell_counts == {"a": 29}
    assert pooled.raw_variances == {"a": pytest.approx(0.5)}
    assert pooled.variance("a") == 0.35


def test_pooled_variance_is_shrunk_toward_the_prior_from_thirty_cells():
    pooled = PooledError.from_cells(_cells(30, [2, 3]))

    # 30 cells of var 0.5 with 1 df each, against the prior's 30 df.
    assert pooled.variance("a") == pytest.approx((30 * 0.35 + 30 * 0.5) / 60)
    assert pooled.degrees_of_freedom == {"a": 30}
    assert pooled.variance("unseen") == 0.35


def test_pooling_weights_cells_by_their_degrees_of_freedom():
    # 20 cells [2, 3] (ss 0.5, df 1) and 20 cells [3, 3, 3, 4] (ss 0.75, df 3).
    pooled = PooledError.from_cells(_cells(20, [2, 3]) + _cells(20, [3, 3, 3, 4]))

    raw = (20 * 0.5 + 20 * 0.75) / (20 * 1 + 20 * 3)
    assert pooled.raw_variances["a"] == pytest.approx(raw)
    assert pooled.variance("a") == pytest.approx((30 * 0.35 + 80 * raw) / 110)


def test_cells_may_be_keyed_by_application_and_competency():
    pairs = _cells(30, [2, 3]) + _cells(30, [1, 3], "b")
    keyed = {(i, competency): ratings for i, (competency, ratings) in enumerate(pairs)}

    assert PooledError.from_cells(keyed) == PooledError.from_cells(pairs)


def test_non_finite_ratings_are_rejected():
    with pytest.raises(ValueError, match="non-finite"):
        PooledError.from_cells([("a", [3, float("nan")])])


def test_candidate_cell_variance_is_shrunk_with_the_pooled_one():
    pooled = PooledError.prior()

    assert pooled.cell_variance("a", 3, 1.0) == pytest.approx((10 * 0.35 + 2 * 1.0) / 12)
    assert pooled.cell_variance("a", 1, 5.0) == 0.35
    assert pooled.cell_variance("a", 3) == 0.35
    assert pooled.mean_variance("a", 4) == pytest.approx(0.35 / 4)
    with pytest.raises(ValueError, match="at least one rating"):
        pooled.mean_variance("a", 0)


def test_pooled_error_round_trips_through_json():
    pooled = PooledError.from_cells(_cells(40, [2, 4]))

    assert PooledError.from_json(pooled.to_json()) == pooled


def test_band_of_a_weighted_mean_matches_hand_computation():
    result = profile_fit({"a": (3.0, 1), "b": (3.0, 1)}, TWO_EQUAL)

    half = 1.96 * math.sqrt(0.25 * 0.35 + 0.25 * 0.35)
    assert result.band == pytest.approx((3.0 - half, 3.0 + half))
    assert result.band_0_100 == pytest.approx((to_0_100(3.0 - half), to_0_100(3.0 + half)))


def test_unassessed_weight_widens_the_band():
    level = LevelProfile.from_rows([("a", 3, 3, False), ("b", 1, 3, False)])

    result = profile_fit({"a": (3.0, 2)}, level)

    assert result.coverage == 0.75
    half = 1.96 * math.sqrt(0.35 / 2 + UNASSESSED_VARIANCE * (1 / 4) ** 2)
    assert result.band == pytest.approx((3.0 - half, 3.0 + half))


def test_band_is_clipped_to_the_rating_scale():
    result = profile_fit({"a": (4.0, 1), "b": (4.0, 1)}, TWO_EQUAL)

    assert result.band[1] == 4.0
    assert result.band[0] < 4.0
    assert result.competency_bands["a"] == pytest.approx((4.0 - 1.96 * math.sqrt(0.35), 4.0))


def test_band_narrows_with_more_ratings_and_with_a_more_reliable_team():
    one = profile_fit({"a": (3.0, 1), "b": (3.0, 1)}, TWO_EQUAL).band
    four = profile_fit({"a": (3.0, 4), "b": (3.0, 4)}, TWO_EQUAL).band
    reliable = PooledError.from_cells(_cells(200, [3, 3]) + _cells(200, [3, 3], "b"))
    tight = profile_fit({"a": (3.0, 1), "b": (3.0, 1)}, TWO_EQUAL, reliable).band

    assert one[0] < four[0] <= 3.0 <= four[1] < one[1]
    assert one[0] < tight[0]
    assert tight[1] < one[1]


def _ok(mean: float, band: tuple[float, float]) -> FitResult:
    return FitResult(state="ok", input_hash="-", mean=mean, band=band)


def test_bands_that_overlap_or_touch_are_not_distinguishable():
    assert distinguishable((1.0, 2.0), (2.1, 3.0))
    assert distinguishable((2.1, 3.0), (1.0, 2.0))
    assert not distinguishable((1.0, 2.0), (2.0, 3.0))
    assert not distinguishable((1.0, 3.0), (1.5, 2.0))


def test_rank_orders_by_fit_and_groups_overlapping_neighbours():
    results = {
        "d": _ok(2.0, (1.7, 2.3)),
        "b": _ok(3.2, (2.9, 3.5)),
        "a": _ok(3.6, (3.4, 3.8)),
        "c": _ok(3.0, (2.6, 3.3)),
    }

    ranking = rank(results)

    assert [e.key for e in ranking] == ["a", "b", "c", "d"]
    assert [e.position for e in ranking] == [1, 2, 3, 4]
    assert [e.group for e in ranking] == [1, 1, 1, 2]
    assert [e.distinguishable_from_previous for e in ranking] == [None, False, False, True]
    assert [e.distinguishable_from_next for e in ranking] == [False, False, True, None]
    assert [e.value for e in ranking] == [3.6, 3.2, 3.0, 2.0]


def test_rank_by_lower_band_edge_prefers_precise_scores():
    results = [("vague", _ok(3.5, (2.5, 4.0))), ("precise", _ok(3.3, (3.1, 3.5)))]

    assert [e.key for e in rank(results)] == ["vague", "precise"]
    by_lower = rank(results, by="lower")
    assert [e.key for e in by_lower] == ["precise", "vague"]
    assert by_lower[0].value == 3.1


def test_unscored_states_come_last_as_states_never_zeros():
    results = {
        "cannot": FitResult(state="cannot score", input_hash="-"),
        "low": _ok(1.2, (1.0, 1.6)),
        "thin": FitResult(state="insufficient coverage", input_hash="-", coverage=0.4),
        "high": _ok(3.0, (2.5, 3.5)),
    }

    ranking = rank(results)

    assert [(e.key, e.state) for e in ranking] == [
        ("high", "ok"),
        ("low", "ok"),
        ("thin", "insufficient coverage"),
        ("cannot", "cannot score"),
    ]
    assert [(e.position, e.value, e.group) for e in ranking[2:]] == [(None, None, None)] * 2


def test_rank_keeps_input_order_for_ties_and_rejects_unknown_sort_keys():
    results = [("first", _ok(3.0, (2.5, 3.5))), ("second", _ok(3.0, (2.5, 3.5)))]

    assert [e.key for e in rank(results)] == ["first", "second"]
    with pytest.raises(ValueError, match="by must be"):
        rank(results, by="median")
