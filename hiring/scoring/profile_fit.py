"""Profile fit: the default score, needing no training data.

Definitions (DESIGN.md section 6), for one application with assessed competencies ``A`` (weights
``w_a``, bars ``b_a``, evidence ``e_a`` = mean rating) and ``W_A = sum_a w_a``:

* **profile fit** ``mean = sum_a w_a e_a / W_A`` on the rating metric 1-4, and on 0-100 as
  ``(mean - 1) / 3 * 100`` (a position on the scale, never a "%");
* **bar profile** ``bar_mean = sum_a w_a b_a / W_A``: the fit of a candidate exactly at every bar,
  over the *same* assessed competencies, so missing evidence never moves the reference;
* **contribution** of ``a``: ``w_a (e_a - b_a) / W_A``, i.e. weight x (evidence - bar), normalised
  by the assessed weight so that contributions add up to ``mean - bar_mean``;
* **coverage** ``W_A / W``: the share of the profile's weight assessed. Below the floor (0.7) the
  state is "insufficient coverage" and there is no number; a row with nothing assessed, or any
  evidence that is not a finite number in 1-4, is "cannot score".

Exactness: contributions and ``bar_mean`` are rounded to multiples of ``2**-30`` (see
:func:`hiring.scoring.profile.quantize`) and ``mean`` is *defined* as
``bar_mean + sum(contributions)``. All three are then exact binary fractions whose sums are
exact, so ``sum(contributions.values()) == mean - bar_mean`` holds with ``==`` in any summation
order. The reported ``mean`` differs from the unrounded weighted mean by less than
``(k + 1) * 2**-31`` for ``k`` competencies (1e-8 for twenty). The 0-100 figures are built the
same way on their own scale: ``sum(contributions_0_100.values()) == score_0_100 - bar_0_100``
exactly, and ``score_0_100`` equals ``(mean - 1) / 3 * 100`` to within 1e-7.

Must-haves: a must-have competency is **met** when its whole band (evidence +/- 1.96 sd, see
:mod:`hiring.scoring.band`) lies at or above ``bar - 0.5``, **not met** when the whole band lies
below it, and **unclear** when the band straddles it or the competency was not assessed. Ratings
are whole points, so a true level of ``bar - 0.5`` or more is one interviewers would round to the
bar. Comparing the band with the bar itself would leave a must-have rated exactly at the bar
"unclear" however many interviewers agreed, and make a bar of 3 or 4 impossible to meet on one
rating (with the prior error, one rating's band is +/- 1.16 points).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from hiring.scoring.band import UNASSESSED_VARIANCE, Band, PooledError, clipped_band
from hiring.scoring.features import Evidence
from hiring.scoring.profile import (
    DEFAULT_COVERAGE_FLOOR,
    RATING_MAX,
    RATING_MIN,
    LevelProfile,
    quantize,
    to_0_100,
    validate_profile,
)

STATE_OK = "ok"
STATE_INSUFFICIENT_COVERAGE = "insufficient coverage"
STATE_CANNOT_SCORE = "cannot score"
STATES = (STATE_OK, STATE_INSUFFICIENT_COVERAGE, STATE_CANNOT_SCORE)

MUST_HAVE_MET = "met"
MUST_HAVE_NOT_MET = "not met"
MUST_HAVE_UNCLEAR = "unclear"
# A whole-point bar b is reached by a true level that rounds to b or more (see module docstring).
MUST_HAVE_MARGIN = 0.5

# Bumped whenever the arithmetic changes, so stored input hashes force a recomputation.
SCORING_VERSION = "profile-fit/1"

_SCALE_0_100 = 100.0 / (RATING_MAX - RATING_MIN)


@dataclass(frozen=True)
class _RowScores:
    """Vectorised profile-fit arithmetic for a matrix of evidence (one row per application)."""

    states: np.ndarray
    coverage: np.ndarray
    assessed: np.ndarray
    mean: np.ndarray
    bar_mean: np.ndarray
    contributions: np.ndarray
    score_0_100: np.ndarray
    bar_0_100: np.ndarray
    contributions_0_100: np.ndarray


def _score_rows(
    evidence: np.ndarray, weights: np.ndarray, bars: np.ndarray, coverage_floor: float
) -> _RowScores:
    """Score every row of ``evidence`` (NaN = not assessed); the single source of the arithmetic."""
    is_nan = np.isnan(evidence)
    finite = np.isfinite(evidence)
    in_range = finite & (evidence >= RATING_MIN) & (evidence <= RATING_MAX)
    cannot = ((~is_nan) & (~in_range)).any(axis=1) | is_nan.all(axis=1)
    assessed = in_range & ~cannot[:, None]

    total_weight = weights.sum()
    assessed_weight = (weights * assessed).sum(axis=1)
    coverage = np.where(cannot, np.nan, assessed_weight / total_weight)
    ok = ~cannot & (assessed_weight / total_weight >= coverage_floor)

    states = np.full(evidence.shape[0], STATE_INSUFFICIENT_COVERAGE, dtype=object)
    states[ok] = STATE_OK
    states[cannot] = STATE_CANNOT_SCORE

    # Filling unassessed cells with the bar makes their raw contribution exactly 0 and keeps NaN
    # out of the arithmetic; the divisor is guarded for rows that are not scored anyway.
    filled = np.where(assessed, evidence, bars)
    divisor = np.where(assessed_weight > 0, assessed_weight, 1.0)[:, None]
    raw = weights * (filled - bars) / divisor
    use = assessed & ok[:, None]
    contributions = np.where(use, quantize(raw), 0.0)
    contributions_0_100 = np.where(use, quantize(raw * _SCALE_0_100), 0.0)

    # Integers times weights sum exactly; the one division is the only rounding before quantize.
    raw_bar_mean = (weights * bars * assessed).sum(axis=1) / divisor[:, 0]
    bar_mean = np.where(ok, quantize(raw_bar_mean), np.nan)
    bar_0_100 = np.where(ok, quantize((raw_bar_mean - RATING_MIN) * _SCALE_0_100), np.nan)
    mean = bar_mean + contributions.sum(axis=1)
    score_0_100 = bar_0_100 + contributions_0_100.sum(axis=1)
    nan_rows = ~ok
    contributions[nan_rows] = np.nan
    contributions_0_100[nan_rows] = np.nan
    return _RowScores(
        states=states,
        coverage=coverage,
        assessed=assessed,
        mean=mean,
        bar_mean=bar_mean,
        contributions=contributions,
        score_0_100=score_0_100,
        bar_0_100=bar_0_100,
        contributions_0_100=contributions_0_100,
    )


class ProfileFit(TransformerMixin, BaseEstimator):
    """The role profile as a scikit-learn estimator with fixed, not learned, parameters.

    Parameters are the profile level's ``competencies`` (column order of ``X``), aligned
    ``weights`` (1-3), ``bars`` (1-4) and ``must_have`` flags, and ``coverage_floor``. ``X`` has one
    row per application and one column per competency, NaN meaning "not assessed".

    ``fit`` only validates the parameters and the shape of ``X`` (nothing is learned) and returns
    ``self``. ``decision_function`` returns the profile fit on the 1-4 metric (NaN for rows that
    are "insufficient coverage" or "cannot score"); ``transform`` returns the same as a single
    column so that ``Pipeline([ProfileFit, LogisticRegression])`` is a recalibrated profile fit.

    ``predict`` is the hurdle check: 1 when the row can be scored, every must-have has point
    evidence at or above its bar, and the fit is at or above the bar profile; 0 otherwise,
    including rows that cannot be scored (use :meth:`states` to tell why). It uses point evidence
    because ``X`` carries no rating counts; :func:`profile_fit` adds bands and "unclear".
    """

    def __init__(
        self,
        competencies: Sequence[str] = (),
        weights: Sequence[int] = (),
        bars: Sequence[int] = (),
        must_have: Sequence[bool] = (),
        coverage_floor: float = DEFAULT_COVERAGE_FLOOR,
    ) -> None:
        self.competencies = competencies
        self.weights = weights
        self.bars = bars
        self.must_have = must_have
        self.coverage_floor = coverage_floor

    @classmethod
    def from_level(cls, level: LevelProfile) -> ProfileFit:
        """An estimator for one profile level (parameters as tuples in profile order)."""
        return cls(
            competencies=tuple(level.competencies),
            weights=tuple(level.weights[key] for key in level.competencies),
            bars=tuple(level.bars[key] for key in level.competencies),
            must_have=tuple(key in level.must_have for key in level.competencies),
            coverage_floor=level.coverage_floor,
        )

    def fit(self, X: Any, y: Any = None) -> ProfileFit:
        """Validate the fixed parameters and record the input shape; nothing is learned."""
        must_have = self.must_have if len(self.must_have) else [False] * len(self.competencies)
        validate_profile(self.competencies, self.weights, self.bars, must_have, self.coverage_floor)
        X = validate_data(self, X, reset=True, dtype=np.float64, ensure_all_finite=False)
        if X.shape[1] != len(self.competencies):
            raise ValueError(
                f"X has {X.shape[1]} columns but the profile has {len(self.competencies)} "
                "competencies"
            )
        names = getattr(self, "feature_names_in_", None)
        if names is not None and list(names) != list(self.competencies):
            raise ValueError("X's column names must be the profile's competencies, in order")
        self.weights_ = np.asarray(self.weights, dtype=float)
        self.bars_ = np.asarray(self.bars, dtype=float)
        self.must_have_ = np.asarray(must_have, dtype=bool)
        return self

    def _scores(self, X: Any) -> tuple[np.ndarray, _RowScores]:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64, ensure_all_finite=False)
        return X, _score_rows(X, self.weights_, self.bars_, self.coverage_floor)

    def states(self, X: Any) -> np.ndarray:
        """Per row: "ok", "insufficient coverage" or "cannot score" (object array)."""
        return self._scores(X)[1].states

    def coverage(self, X: Any) -> np.ndarray:
        """Per row: share of the profile's weight assessed (NaN for "cannot score")."""
        return self._scores(X)[1].coverage

    def decision_function(self, X: Any) -> np.ndarray:
        """Per row: profile fit on the 1-4 metric; NaN where the state is not "ok"."""
        return self._scores(X)[1].mean

    def bar_reference(self, X: Any) -> np.ndarray:
        """Per row: the bar profile over the row's assessed competencies; NaN if not "ok"."""
        return self._scores(X)[1].bar_mean

    def contributions(self, X: Any) -> np.ndarray:
        """Per row and competency: ``w (e - b) / W_A``; 0 where not assessed, NaN rows if not ok.

        Each row sums exactly to ``decision_function - bar_reference``.
        """
        return self._scores(X)[1].contributions

    def transform(self, X: Any) -> np.ndarray:
        """The profile fit as one column (for pipelines)."""
        return self.decision_function(X).reshape(-1, 1)

    def predict(self, X: Any) -> np.ndarray:
        """1 where the row meets the profile (see the class docstring), else 0."""
        X, scores = self._scores(X)
        with np.errstate(invalid="ignore"):
            must_met = ~self.must_have_ | (scores.assessed & (X >= self.bars_))
        meets = (scores.states == STATE_OK) & must_met.all(axis=1)
        with np.errstate(invalid="ignore"):
            meets &= scores.mean >= scores.bar_mean
        return meets.astype(int)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The single output column's name."""
        check_is_fitted(self)
        return np.asarray(["profile_fit"], dtype=object)

    def __sklearn_tags__(self) -> Any:
        """NaN means "not assessed", so it is allowed input."""
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


@dataclass(frozen=True)
class FitResult:
    """Profile fit of one application, as the app stores and shows it.

    ``state`` is "ok", "insufficient coverage" or "cannot score"; numbers exist only when it is
    "ok" (``None`` otherwise, never 0). ``contributions`` (rating metric) and
    ``contributions_0_100`` hold one entry per *assessed* competency, in profile order, and satisfy
    ``sum(contributions.values()) == mean - bar_mean`` and
    ``sum(contributions_0_100.values()) == score_0_100 - bar_0_100`` exactly. ``must_haves`` maps
    each must-have competency to "met", "not met" or "unclear" (also given for "insufficient
    coverage"). ``band``/``band_0_100`` are the 95 % uncertainty band of the fit;
    ``competency_bands`` the band of each assessed competency's evidence. ``meets_profile`` is
    True when every must-have is met and ``mean >= bar_mean``. ``input_hash`` identifies the
    inputs (evidence, profile, error model, arithmetic version).
    """

    state: str
    input_hash: str
    coverage: float | None = None
    mean: float | None = None
    score_0_100: float | None = None
    bar_mean: float | None = None
    bar_0_100: float | None = None
    contributions: dict[str, float] = field(default_factory=dict)
    contributions_0_100: dict[str, float] = field(default_factory=dict)
    must_haves: dict[str, str] = field(default_factory=dict)
    band: Band | None = None
    band_0_100: Band | None = None
    competency_bands: dict[str, Band] = field(default_factory=dict)
    meets_profile: bool | None = None
    assessed: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (tuples become lists); :meth:`from_json` restores an equal result."""
        data = asdict(self)
        for key in ("band", "band_0_100", "assessed", "ignored"):
            if data[key] is not None:
                data[key] = list(data[key])
        data["competency_bands"] = {k: list(v) for k, v in self.competency_bands.items()}
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FitResult:
        """Rebuild a result stored with :meth:`to_json`."""
        values = dict(data)
        for key in ("band", "band_0_100"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        for key in ("assessed", "ignored"):
            values[key] = tuple(values.get(key, ()))
        values["competency_bands"] = {
            k: tuple(v) for k, v in values.get("competency_bands", {}).items()
        }
        return cls(**values)


@dataclass(frozen=True)
class _ParsedEvidence:
    means: np.ndarray
    counts: np.ndarray
    variances: list[float | None]
    problems: list[str]
    ignored: tuple[str, ...]


def _parse_evidence(evidence: Evidence, level: LevelProfile) -> _ParsedEvidence:
    """Evidence mapping -> aligned arrays, collecting every reason it cannot be scored."""
    k = len(level.competencies)
    means = np.full(k, np.nan)
    counts = np.zeros(k, dtype=int)
    variances: list[float | None] = [None] * k
    problems: list[str] = []
    for j, key in enumerate(level.competencies):
        value = evidence.get(key)
        if value is None:
            continue
        try:
            if len(value) not in (2, 3):
                raise TypeError
            mean = float(value[0])
            n = value[1]
            if isinstance(n, bool) or not float(n).is_integer() or n < 0:
                raise TypeError
            n = int(n)
            variance = float(value[2]) if len(value) == 3 else None
        except (TypeError, ValueError, OverflowError):
            problems.append(f"evidence for {key!r} is not (mean, n[, variance]): {value!r}")
            continue
        if n == 0:
            if not math.isnan(mean):
                problems.append(f"evidence for {key!r} has a mean but no ratings")
            continue
        if not math.isfinite(mean) or not RATING_MIN <= mean <= RATING_MAX:
            problems.append(f"evidence for {key!r} is not a rating mean in 1-4: {mean!r}")
            continue
        if variance is not None and not math.isnan(variance):
            if not math.isfinite(variance) or variance < 0:
                problems.append(f"variance for {key!r} is not a finite non-negative number")
                continue
            variances[j] = variance
        means[j] = mean
        counts[j] = n
    if not problems and np.isnan(means).all():
        problems.append("no competency of the profile was assessed")
    ignored = tuple(sorted(key for key in evidence if key not in level.weights))
    return _ParsedEvidence(means, counts, variances, problems, ignored)


def input_hash(evidence: Evidence, level: LevelProfile, pooled: PooledError) -> str:
    """SHA-256 over the canonical JSON of everything a profile-fit result depends on."""
    canonical = {
        "version": SCORING_VERSION,
        "profile": level.to_json(),
        "evidence": {
            key: _canonical_evidence(value)
            for key, value in sorted(evidence.items(), key=lambda item: str(item[0]))
        },
        "error_model": pooled.to_json(),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical_evidence(value: Any) -> Any:
    # 3 and 3.0, or numpy and Python integers, are the same input and must hash the same.
    if value is None:
        return None
    try:
        count = float(value[1])
        numbers: list[Any] = [float(value[0]), int(count) if count.is_integer() else count]
        numbers.extend(float(extra) for extra in value[2:])
    except (TypeError, ValueError, IndexError, OverflowError):
        return repr(value)
    return numbers


def must_have_state(band: Band | None, bar: float) -> str:
    """The state of a must-have ("met", "not met", "unclear") given its band (None = unassessed)."""
    if band is None:
        return MUST_HAVE_UNCLEAR
    threshold = bar - MUST_HAVE_MARGIN
    if band[0] >= threshold:
        return MUST_HAVE_MET
    if band[1] < threshold:
        return MUST_HAVE_NOT_MET
    return MUST_HAVE_UNCLEAR


def _band_0_100(band: Band) -> Band:
    return (to_0_100(band[0]), to_0_100(band[1]))


def profile_fit(
    evidence: Evidence,
    level: LevelProfile,
    pooled: PooledError | None = None,
) -> FitResult:
    """Score one application against one profile level.

    ``evidence`` maps competency -> ``(mean rating, number of ratings)`` or
    ``(mean, n, sample variance)`` (see :func:`hiring.scoring.evidence_from_ratings`); missing
    keys, ``None`` and ``(nan, 0)`` mean "not assessed"; keys outside the profile are listed in
    ``ignored``. ``pooled`` is the error model for bands (the documented prior when ``None``).
    Never raises for bad evidence: it returns the "cannot score" state with a ``reason``.
    """
    pooled = pooled if pooled is not None else PooledError.prior()
    digest = input_hash(evidence, level, pooled)
    parsed = _parse_evidence(evidence, level)
    if parsed.problems:
        return FitResult(
            state=STATE_CANNOT_SCORE,
            input_hash=digest,
            ignored=parsed.ignored,
            reason="; ".join(parsed.problems),
        )

    weights, bars = level.weight_vector, level.bar_vector
    scores = _score_rows(parsed.means[None, :], weights, bars, level.coverage_floor)
    state = str(scores.states[0])
    assessed_idx = [j for j in range(len(level.competencies)) if scores.assessed[0, j]]
    assessed = tuple(level.competencies[j] for j in assessed_idx)

    mean_variances: dict[int, float] = {}
    competency_bands: dict[str, Band] = {}
    for j in assessed_idx:
        key = level.competencies[j]
        mean_variances[j] = pooled.mean_variance(key, int(parsed.counts[j]), parsed.variances[j])
        competency_bands[key] = clipped_band(float(parsed.means[j]), math.sqrt(mean_variances[j]))
    must_haves = {
        key: must_have_state(competency_bands.get(key), level.bars[key])
        for key in level.competencies
        if key in level.must_have
    }
    coverage = float(scores.coverage[0])

    if state != STATE_OK:
        return FitResult(
            state=state,
            input_hash=digest,
            coverage=coverage,
            must_haves=must_haves,
            competency_bands=competency_bands,
            assessed=assessed,
            ignored=parsed.ignored,
            reason=(
                f"{coverage:.0%} of the profile's weight assessed; "
                f"at least {level.coverage_floor:.0%} is needed for a score"
            ),
        )

    assessed_weight = math.fsum(weights[j] for j in assessed_idx)
    total_weight = math.fsum(weights)
    variance = math.fsum(
        (weights[j] / assessed_weight) ** 2 * mean_variances[j] for j in assessed_idx
    )
    variance += UNASSESSED_VARIANCE * math.fsum(
        (weights[j] / total_weight) ** 2
        for j in range(len(level.competencies))
        if j not in mean_variances
    )
    mean = float(scores.mean[0])
    bar_mean = float(scores.bar_mean[0])
    band = clipped_band(mean, math.sqrt(variance))
    return FitResult(
        state=STATE_OK,
        input_hash=digest,
        coverage=coverage,
        mean=mean,
        score_0_100=float(scores.score_0_100[0]),
        bar_mean=bar_mean,
        bar_0_100=float(scores.bar_0_100[0]),
        contributions={
            level.competencies[j]: float(scores.contributions[0, j]) for j in assessed_idx
        },
        contributions_0_100={
            level.competencies[j]: float(scores.contributions_0_100[0, j]) for j in assessed_idx
        },
        must_haves=must_haves,
        band=band,
        band_0_100=_band_0_100(band),
        competency_bands=competency_bands,
        meets_profile=all(s == MUST_HAVE_MET for s in must_haves.values()) and mean >= bar_mean,
        assessed=assessed,
        ignored=parsed.ignored,
    )
