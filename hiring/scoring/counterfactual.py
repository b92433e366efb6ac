"""The "what would change the outcome" counterfactual for must-haves.

Shown only after a decision (DESIGN.md 6: before it, it invites lobbying for one point). The
must-have status is "all met" or not; this module finds the smallest change to the evidence of one
must-have competency that flips it, measured in whole rating points:

* when every must-have is met: the fewest points taken from one must-have's ratings that leave it
  no longer met;
* when exactly one must-have is not met (or unclear): the fewest points added to its ratings that
  make it met, or, if it was not assessed, the lowest single rating that would;
* when two or more are not met, no single-competency change flips the status: ``None``.

Ratings stay whole points in 1-4, so a change that would need a mean outside 1-4 is impossible.
The band's width is held at its current value (the candidate's own spread is not re-estimated),
which is what a reader asking "one point more?" has in mind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hiring.scoring.band import PooledError, clipped_band
from hiring.scoring.features import Evidence
from hiring.scoring.profile import RATING_MAX, RATING_MIN, LevelProfile
from hiring.scoring.profile_fit import (
    MUST_HAVE_MET,
    STATE_CANNOT_SCORE,
    _parse_evidence,
    must_have_state,
    profile_fit,
)

# Means of whole-point ratings are ratios of integers; this absorbs float noise in ``mean * n``.
_EPSILON = 1e-9


@dataclass(frozen=True)
class Counterfactual:
    """The smallest change to one must-have competency that flips the must-have status.

    ``kind`` is "raise" or "lower" (``points`` whole rating points added to or taken from the
    competency's ``n_ratings`` ratings in total; negative when lowering) or "assess" (the
    competency was not assessed; ``points`` is the single rating that would do it).
    """

    competency: str
    kind: str
    points: int
    current_state: str
    new_state: str
    current_mean: float | None
    new_mean: float
    n_ratings: int
    description: str


def _state_at(mean: float, sd: float, bar: int) -> str:
    return must_have_state(clipped_band(mean, sd), bar)


def counterfactual_must_have(
    evidence: Evidence,
    level: LevelProfile,
    pooled: PooledError | None = None,
) -> Counterfactual | None:
    """The smallest single-competency change that would flip the must-have status, or None.

    Same inputs as :func:`hiring.scoring.profile_fit`. Returns ``None`` when the profile has no
    must-haves, the evidence cannot be scored, two or more must-haves are not met, or no change
    within 1-4 flips the status. Ties go to the competency listed first in the profile.
    """
    pooled = pooled if pooled is not None else PooledError.prior()
    result = profile_fit(evidence, level, pooled)
    if result.state == STATE_CANNOT_SCORE or not result.must_haves:
        return None
    parsed = _parse_evidence(evidence, level)
    all_met = all(state == MUST_HAVE_MET for state in result.must_haves.values())
    if all_met:
        targets = list(result.must_haves)
    else:
        targets = [key for key, state in result.must_haves.items() if state != MUST_HAVE_MET]
        if len(targets) > 1:
            return None

    options: list[Counterfactual] = []
    for key in targets:
        j = level.competencies.index(key)
        bar = level.bars[key]
        current = result.must_haves[key]
        n = int(parsed.counts[j])
        if n == 0:
            option = _assess(key, bar, current, pooled)
        else:
            mean = float(parsed.means[j])
            sd = math.sqrt(pooled.mean_variance(key, n, parsed.variances[j]))
            option = _shift(key, bar, current, mean, n, sd, lower=all_met)
        if option is not None:
            options.append(option)
    if not options:
        return None
    # min() keeps the first of equals, i.e. profile order.
    return min(options, key=lambda option: abs(option.points))


def _assess(key: str, bar: int, current: str, pooled: PooledError) -> Counterfactual | None:
    sd = math.sqrt(pooled.mean_variance(key, 1))
    for rating in range(RATING_MIN, RATING_MAX + 1):
        if _state_at(rating, sd, bar) == MUST_HAVE_MET:
            return Counterfactual(
                competency=key,
                kind="assess",
                points=rating,
                current_state=current,
                new_state=MUST_HAVE_MET,
                current_mean=None,
                new_mean=float(rating),
                n_ratings=0,
                description=(
                    f"{key} was not assessed; a single rating of {rating} would make this "
                    "must-have met, and with it every must-have."
                ),
            )
    return None


def _shift(
    key: str, bar: int, current: str, mean: float, n: int, sd: float, *, lower: bool
) -> Counterfactual | None:
    total = mean * n
    step = -1 if lower else 1
    points = step
    while True:
        new_mean = (total + points) / n
        if new_mean < RATING_MIN - _EPSILON or new_mean > RATING_MAX + _EPSILON:
            return None
        new_mean = min(max(new_mean, float(RATING_MIN)), float(RATING_MAX))
        new_state = _state_at(new_mean, sd, bar)
        if (new_state == MUST_HAVE_MET) != lower:
            break
        points += step
    size = abs(points)
    unit = "rating point" if size == 1 else "rating points"
    if lower:
        text = (
            f"{key} would no longer be met with {size} {unit} less in total (mean {mean:.2f} -> "
            f"{new_mean:.2f} over {n} ratings): it would be {new_state}."
        )
    else:
        text = (
            f"{key} would be met with {size} more {unit} in total (mean {mean:.2f} -> "
            f"{new_mean:.2f} over {n} ratings), and with it every must-have."
        )
    return Counterfactual(
        competency=key,
        kind="lower" if lower else "raise",
        points=points,
        current_state=current,
        new_state=new_state,
        current_mean=mean,
        new_mean=new_mean,
        n_ratings=n,
        description=text,
    )
