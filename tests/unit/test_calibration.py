"""Pure calibration statistics: agreement views, leniency with shrinkage, bands, flags."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hiring.analytics.calibration import (
    Rating,
    adjusted_ratings,
    agreement,
    distribution,
    interval_band,
    leniency,
    offsets_of,
    pairable_candidates,
    question_flags,
)
from hiring.analytics.reliability import krippendorff_alpha


def _panel(n_candidates: int, *, lenient: float = 1.0, noise: float = 0.3, seed: int = 3,
           shared_by_new: int = 0) -> list[Rating]:
    """Candidates rated on 3 competencies by a panel of three: rater "L" (biased by
    ``lenient``) on every even candidate, two of A-D otherwise; "N" joins
    ``shared_by_new`` candidates."""
    rng = np.random.default_rng(seed)
    out = []
    for c in range(n_candidates):
        panel = ["L", *rng.choice(list("ABCD"), 2, replace=False)] if c % 2 == 0 else \
            list(rng.choice(list("ABCD"), 3, replace=False))
        if c < shared_by_new:
            panel.append("N")
        for comp in ("x", "y", "z"):
            truth = rng.normal(2.5, 0.7)
            for rater in panel:
                value = truth + (lenient if rater == "L" else 0.0) + rng.normal(0, noise)
                out.append(Rating(c, (c, 0), rater, comp, float(np.clip(value, 1, 4))))
    return out


def test_leniency_recovers_a_planted_lenient_rater_and_keeps_the_others_near_zero() -> None:
    result = leniency(_panel(60))
    raters = result["raters"]
    assert raters["L"]["shared_candidates"] == 30
    assert raters["L"]["offset"] == pytest.approx(1.0, abs=0.2)
    assert raters["L"]["lo"] < raters["L"]["offset"] < raters["L"]["hi"]
    for name in "ABCD":
        assert abs(raters[name]["offset"]) < 0.2
    assert result["tau2"] > 0


def test_leniency_shrinks_and_needs_ten_shared_candidates() -> None:
    result = leniency(_panel(60, shared_by_new=9))
    new = result["raters"]["N"]
    assert new["shared_candidates"] == 9
    assert new["linked"] is False
    assert new["offset"] is None
    assert new["lo"] is None
    lenient = result["raters"]["L"]
    # Shrinkage pulls towards 0: |offset| <= |raw|, strictly when tau^2 is finite.
    assert 0 < lenient["shrinkage"] < 1
    assert abs(lenient["offset"]) < abs(lenient["raw"])
    assert "N" not in offsets_of(result)


def test_leniency_without_shared_cells_is_empty() -> None:
    ratings = [Rating(1, 1, "A", "x", 3.0), Rating(2, 2, "B", "x", 2.0)]
    assert leniency(ratings) == {"tau2": None, "sigma2": None, "raters": {}}


def test_adjusted_ratings_subtract_offsets_and_stay_on_the_scale() -> None:
    assert adjusted_ratings([("L", 4), ("L", 2), ("A", 1), ("X", 3)],
                            {"L": 0.8, "A": -0.5}) == [3.2, 1.2, 1.5, 3.0]
    assert adjusted_ratings([("S", 1)], {"S": 0.5}) == [1.0]
    assert adjusted_ratings([("G", 4)], {"G": -0.5}) == [4.0]


def test_agreement_shows_nothing_under_thirty_candidates_and_says_how_many_more() -> None:
    ratings = _panel(29)
    assert len(pairable_candidates(ratings)) == 29
    result = agreement(ratings, n_boot=50)
    assert result == {"candidates": 29, "needed": 1, "enough": False, "competencies": {}}


def test_agreement_same_interview_alpha_is_krippendorffs_on_the_units() -> None:
    rng = np.random.default_rng(5)
    ratings = []
    units: list[list[float]] = []
    for c in range(40):
        truth = int(rng.integers(1, 5))
        values = [float(truth), float(np.clip(truth + rng.choice([-1, 0, 0, 0, 1]), 1, 4))]
        units.append(values)
        ratings += [Rating(c, ("i", c), f"r{k}", "x", v) for k, v in enumerate(values)]
    result = agreement(ratings, n_boot=200)
    same = result["competencies"]["x"]["same"]
    expected = krippendorff_alpha([[u[0] for u in units], [u[1] for u in units]])
    assert same["alpha"] == pytest.approx(expected, abs=1e-12)
    assert same["units"] == 40
    assert same["lo"] <= same["alpha"] <= same["hi"]
    assert same["icc1"] is not None
    # One interview per candidate: nothing to compare across interviews.
    assert result["competencies"]["x"]["cross"]["alpha"] is None


def test_cross_interview_agreement_compares_interview_means() -> None:
    ratings = []
    for c in range(30):
        base = 1 + c % 4
        ratings += [Rating(c, ("a", c), "p", "x", float(base)),
                    Rating(c, ("a", c), "q", "x", float(base)),
                    Rating(c, ("b", c), "r", "x", float(base))]
    cross = agreement(ratings, n_boot=50)["competencies"]["x"]["cross"]
    assert cross["alpha"] == pytest.approx(1.0)
    assert cross["band"] == "reliable"
    assert cross["units"] == 30


def test_interval_band_names_one_band_or_the_span() -> None:
    assert interval_band(0.81, 0.95) == "reliable"
    assert interval_band(0.60, 0.70) == "unreliable to tentative"
    assert interval_band(0.70, 0.85) == "tentative to reliable"
    assert interval_band(0.40, 0.60, "icc") == "poor to moderate"


def test_question_flags_need_ten_ratings_and_half_at_an_extreme() -> None:
    assert question_flags({1: 0, 2: 1, 3: 3, 4: 5}) == {"ceiling": False, "floor": False}
    assert question_flags({1: 0, 2: 2, 3: 3, 4: 5}) == {"ceiling": True, "floor": False}
    assert question_flags({1: 6, 2: 2, 3: 2, 4: 0}) == {"ceiling": False, "floor": True}
    assert distribution([1, 4, 4, 2.0]) == {1: 1, 2: 1, 3: 0, 4: 2}
    assert math.isclose(sum(distribution([3] * 7).values()), 7)
