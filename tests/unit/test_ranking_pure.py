"""Pure pieces of the ranking: the 0-100 strip, result serialisation, the disagreement rule."""

from __future__ import annotations

import re

from hiring.operations.ranking import disagreement
from hiring.operations.scoring import result_json
from hiring.ranking_charts import fit_strip_svg
from hiring.scoring import LevelProfile, PooledError, profile_fit

LEVEL = LevelProfile.from_rows([("a", 3, 3, True), ("b", 2, 3, False), ("c", 1, 2, False)])


def test_strip_draws_band_score_and_bar_profile_without_inline_styles() -> None:
    svg = str(fit_strip_svg(75.0, (60.0, 90.0), 66.7))
    assert svg.startswith("<svg")
    assert 'class="fitstrip"' in svg
    assert "fitstrip-band" in svg
    assert "fitstrip-score" in svg
    assert "fitstrip-bar" in svg
    assert "style" not in svg
    assert "75 on 0-100, band 60 to 90; bar profile 67" in svg
    assert "%" not in svg  # a position on the scale, never a percentage
    # The score dot sits at 75 % of the drawable width (4..136).
    assert re.search(r'cx="103"', svg)


def test_strip_is_empty_for_states_never_a_zero() -> None:
    assert str(fit_strip_svg(None, None, None)) == ""
    assert str(fit_strip_svg(float("nan"), (1.0, 2.0), 50.0)) == ""


def test_result_json_equals_the_packages_own_serialisation() -> None:
    for evidence in ({"a": (4.0, 2, 0.0), "b": (3.0, 1, 0.0), "c": (2.5, 2, 0.5)},
                     {"c": (3.0, 1, 0.0)}, {}):
        result = profile_fit(evidence, LEVEL, PooledError.prior())
        assert result_json(result) == result.to_json()


def test_disagreement_is_a_two_point_gap_or_a_split_recommendation() -> None:
    assert disagreement({"yes": 2}, 2)
    assert disagreement({"strong_yes": 1, "no": 1}, 0)
    assert not disagreement({"yes": 1, "strong_yes": 1}, 1)
    assert not disagreement({}, None)
