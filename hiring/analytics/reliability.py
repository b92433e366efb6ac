"""Inter-rater reliability: do interviewers agree?

Three coefficients, each written from its published definition:

- :func:`icc`: the six intraclass correlations of Shrout & Fleiss (1979), "Intraclass
  correlations: uses in assessing rater reliability", Psychological Bulletin 86(2), 420-428.
  Input is **targets x raters** (one row per candidate, one column per interviewer), complete.
- :func:`krippendorff_alpha`: Krippendorff's alpha from the coincidence matrix, as in
  Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability". Input is **raters x units**
  (the other way round from :func:`icc`, following Krippendorff's reliability data matrix), with
  ``None`` or NaN where a rater did not rate a unit.
- :func:`cohen_kappa`: Cohen's (1960) kappa for two raters, and the weighted kappa of Cohen
  (1968) with linear or quadratic disagreement weights.

:func:`bootstrap_alpha` adds a percentile interval and :func:`agreement_band` the usual verbal
labels. Degenerate input (no variance, a single unit, mismatched lengths, incomplete rows)
raises :class:`ValueError` saying what is wrong rather than returning NaN, so a report never
shows a meaningless number.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from numbers import Real
from typing import Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS: tuple[str | None, ...] = (None, "linear", "quadratic")

# Krippendorff (2004, 2011): alpha >= .800 to rely on the data, .667 <= alpha < .800 only for
# tentative conclusions.
ALPHA_RELIABLE = 0.800
ALPHA_TENTATIVE = 0.667
# Koo & Li (2016), "A Guideline of Selecting and Reporting Intraclass Correlation Coefficients
# for Reliability Research", J Chiropr Med 15(2): <.5 poor, .5-.75 moderate, .75-.9 good,
# >.9 excellent.
ICC_MODERATE = 0.5
ICC_GOOD = 0.75
ICC_EXCELLENT = 0.9


def _is_missing(value: object) -> bool:
    """True for ``None`` and for float NaN (numpy's included), the two spellings of missing."""
    if value is None:
        return True
    if isinstance(value, Real) and not isinstance(value, bool):
        return math.isnan(float(value))
    return False


def _rows(data: Sequence[Sequence[object]], what: str) -> list[list[object]]:
    """Copy a matrix-like argument into lists, with a readable error for a flat sequence."""
    try:
        rows = [list(row) for row in data]
    except TypeError as exc:
        raise ValueError(f"{what} must be a sequence of rows (a matrix)") from exc
    return rows


def _number(value: object, where: str) -> float:
    """A finite float, or a ValueError naming where the bad value is."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{where}: {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{where}: {value!r} is not finite")
    return number


# --------------------------------------------------------------------------- ICC


def icc(ratings: Sequence[Sequence[float]]) -> dict[str, float]:
    """The six intraclass correlations of Shrout & Fleiss (1979).

    ``ratings`` is **targets x raters**: one row per target (candidate), one column per rater,
    every row complete. The keys follow Shrout & Fleiss: ``ICC1`` (one-way random, each target
    rated by a different random set of raters), ``ICC2`` (two-way random, raters a sample of a
    larger population, absolute agreement), ``ICC3`` (two-way mixed, these raters only,
    consistency); the ``k`` forms are the reliability of the mean of the k raters.

    Values are what the formulas give: a negative ICC means raters agree less than chance and
    reads as no reliability; where a single form falls below -1/(k-1) its k form (the
    Spearman-Brown step-up) can even land outside [-1, 1].

    Raises ValueError for fewer than two targets or raters, ragged or missing ratings, no
    variance at all, or targets whose means are all equal (the k forms divide by that variance).
    """
    rows = _rows(ratings, "ratings")
    n = len(rows)
    if n < 2:
        raise ValueError(f"icc needs at least two targets (rows), got {n}")
    k = len(rows[0])
    if k < 2:
        raise ValueError(f"icc needs at least two raters (columns), got {k}")
    for i, row in enumerate(rows):
        if len(row) != k:
            raise ValueError(
                f"icc needs complete rows: row {i} has {len(row)} ratings, row 0 has {k}"
            )
        for j, value in enumerate(row):
            if _is_missing(value):
                raise ValueError(f"icc needs complete rows: row {i}, rater {j} is missing")
    x = np.array(
        [
            [_number(v, f"row {i}, rater {j}") for j, v in enumerate(row)]
            for i, row in enumerate(rows)
        ]
    )

    if np.ptp(x) == 0:
        raise ValueError("icc is undefined: every rating is the same (no variance)")
    grand = x.mean()
    ss_total = float(((x - grand) ** 2).sum())
    ss_rows = k * float(((x.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((x.mean(axis=0) - grand) ** 2).sum())
    # Relative tolerance: equal row means can leave a rounding residue instead of an exact 0.
    if ss_rows <= 1e-12 * ss_total:
        raise ValueError(
            "icc is undefined: all targets have the same mean rating (no between-target variance)"
        )
    ss_error = max(ss_total - ss_rows - ss_cols, 0.0)

    # Mean squares of Shrout & Fleiss Table 1: BMS between targets, WMS within targets,
    # JMS between judges, EMS residual.
    bms = ss_rows / (n - 1)
    wms = (ss_cols + ss_error) / (n * (k - 1))
    jms = ss_cols / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))

    # Scale for "is this denominator zero": mean squares carry the squared rating unit.
    scale = bms + wms + jms + ems

    def ratio(name: str, numerator: float, denominator: float) -> float:
        if abs(denominator) <= 1e-12 * scale:
            raise ValueError(
                f"{name} is undefined: its denominator is zero (raters disagree with each "
                "other far more than the targets differ)"
            )
        return float(numerator / denominator)

    return {
        "ICC1": ratio("ICC1", bms - wms, bms + (k - 1) * wms),
        "ICC2": ratio("ICC2", bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n),
        "ICC3": ratio("ICC3", bms - ems, bms + (k - 1) * ems),
        "ICC1k": ratio("ICC1k", bms - wms, bms),
        "ICC2k": ratio("ICC2k", bms - ems, bms + (jms - ems) / n),
        "ICC3k": ratio("ICC3k", bms - ems, bms),
    }


# --------------------------------------------------------------- Krippendorff's alpha


class _Coincidences:
    """Pairable units of a reliability data matrix, kept as per-unit value counts.

    A unit with value counts ``n_u`` (over the distinct values) and ``m_u`` values contributes
    ``(n_u n_u^T - diag(n_u)) / (m_u - 1)`` to the coincidence matrix (Krippendorff 2011,
    eq. for o_ck). Keeping the counts lets the bootstrap re-weight units without re-reading
    the data.
    """

    def __init__(self, data: Sequence[Sequence[object]], level: str) -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        self.level = level
        rows = _rows(data, "data")
        if not rows:
            raise ValueError("krippendorff_alpha needs a raters x units matrix, got no raters")
        n_units = len(rows[0])
        for r, row in enumerate(rows):
            if len(row) != n_units:
                raise ValueError(
                    f"mismatched lengths: rater {r} has {len(row)} units, rater 0 has {n_units}"
                )

        units: list[list[Hashable]] = []
        for u in range(n_units):
            values: list[Hashable] = []
            for r, row in enumerate(rows):
                value = row[u]
                if _is_missing(value):
                    continue
                if level == "nominal":
                    if not isinstance(value, Hashable):
                        raise ValueError(f"rater {r}, unit {u}: {value!r} cannot be a category")
                    values.append(value)
                else:
                    number = _number(value, f"rater {r}, unit {u}")
                    if level == "ratio" and number < 0:
                        raise ValueError(
                            f"rater {r}, unit {u}: ratio data cannot be negative ({value!r})"
                        )
                    values.append(number)
            # Units with fewer than two values carry no information about agreement.
            if len(values) >= 2:
                units.append(values)
        if len(units) < 2:
            raise ValueError(
                "krippendorff_alpha needs at least two units rated by two or more raters "
                f"(units with fewer values are dropped), got {len(units)}"
            )

        distinct = set().union(*units)
        try:
            self.values: list[Hashable] = sorted(distinct)  # type: ignore[type-var]
        except TypeError:
            # Mixed, unorderable nominal categories: order is irrelevant for nominal data.
            self.values = list(distinct)
        index = {value: i for i, value in enumerate(self.values)}
        self.counts = np.zeros((len(units), len(self.values)))
        for u, values in enumerate(units):
            for value in values:
                self.counts[u, index[value]] += 1
        self.pairable = self.counts.sum(axis=1)

    @property
    def n_units(self) -> int:
        return int(self.counts.shape[0])

    def matrix(self, unit_weights: np.ndarray | None = None) -> np.ndarray:
        """The coincidence matrix, each unit counted ``unit_weights[u]`` times (default once)."""
        w = np.ones(self.n_units) if unit_weights is None else unit_weights
        scale = w / (self.pairable - 1)
        weighted = self.counts * scale[:, None]
        return self.counts.T @ weighted - np.diag(weighted.sum(axis=0))

    def delta2(self, marginals: np.ndarray) -> np.ndarray:
        """Squared difference function for the level (Krippendorff 2011, section on metrics)."""
        size = len(self.values)
        if self.level == "nominal":
            return 1.0 - np.eye(size)
        v = np.asarray(self.values, dtype=float)
        if self.level == "interval":
            return (v[:, None] - v[None, :]) ** 2
        if self.level == "ratio":
            total = v[:, None] + v[None, :]
            diff = v[:, None] - v[None, :]
            # c = k = 0 is the only way the sum can be 0 (negatives are refused): no difference.
            safe = np.where(total == 0, 1.0, total)
            return np.where(total == 0, 0.0, (diff / safe) ** 2)
        # ordinal: (sum of n_g from c to k, minus half of n_c and n_k)^2 over the ranked values,
        # so the distance between two ranks grows with how many values lie between them.
        i = np.arange(size)
        lo = np.minimum(i[:, None], i[None, :])
        hi = np.maximum(i[:, None], i[None, :])
        cum = np.cumsum(marginals)
        between = cum[hi] - cum[lo] + marginals[lo]
        return (between - (marginals[lo] + marginals[hi]) / 2.0) ** 2

    def alpha(self, unit_weights: np.ndarray | None = None) -> float | None:
        """Alpha = 1 - D_o / D_e, or None when the expected disagreement is zero."""
        o = self.matrix(unit_weights)
        marginals = o.sum(axis=1)
        n = marginals.sum()
        d2 = self.delta2(marginals)
        # One distinct value leaves nothing to disagree about. Values absent from a bootstrap
        # resample have marginals of exactly 0.0 (sums of zero products), so this is exact.
        if np.count_nonzero(marginals > 0) < 2:
            return None
        observed = float((o * d2).sum())
        expected = float((np.outer(marginals, marginals) * d2).sum())
        return float(1.0 - (n - 1) * observed / expected)


def krippendorff_alpha(
    data: Sequence[Sequence[float | None]], level: Level | str = "interval"
) -> float:
    """Krippendorff's alpha for a **raters x units** reliability data matrix.

    ``data[r][u]`` is rater r's value for unit u, ``None`` or NaN when missing. ``level`` is
    ``"nominal"`` (any hashable categories), ``"ordinal"``, ``"interval"`` or ``"ratio"``
    (non-negative numbers). Units with fewer than two values are dropped, as in Krippendorff's
    definition. Raises ValueError for rows of different lengths, fewer than two pairable units,
    or no variance among the pairable values.
    """
    coincidences = _Coincidences(data, level)
    value = coincidences.alpha()
    if value is None:
        raise ValueError(
            "krippendorff_alpha is undefined: all pairable values are the same (no variance)"
        )
    return value


def bootstrap_alpha(
    data: Sequence[Sequence[float | None]],
    level: Level | str = "interval",
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, float | int]:
    """Alpha with a 95 % percentile bootstrap interval, resampling units.

    Units (columns with two or more values) are drawn with replacement, so the ratings of one
    candidate stay together; this is the cluster bootstrap, not the pair-resampling scheme of
    Hayes & Krippendorff (2007). Replicates in which alpha is undefined (no variance in the
    resample) are left out; ``n_boot`` in the result counts the replicates used.

    Returns ``{"alpha", "lo", "hi", "n_units", "n_boot"}``. The same seed gives the same
    interval. Raises ValueError where :func:`krippendorff_alpha` would, for ``n_boot < 1``, or
    when no replicate has variance.
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    coincidences = _Coincidences(data, level)
    point = coincidences.alpha()
    if point is None:
        raise ValueError(
            "krippendorff_alpha is undefined: all pairable values are the same (no variance)"
        )
    units = coincidences.n_units
    rng = np.random.default_rng(seed)
    replicates: list[float] = []
    for _ in range(n_boot):
        drawn = rng.integers(0, units, size=units)
        weights = np.bincount(drawn, minlength=units).astype(float)
        value = coincidences.alpha(weights)
        if value is not None:
            replicates.append(value)
    if not replicates:
        raise ValueError("bootstrap_alpha: no resample had any variance; too few units")
    lo, hi = np.percentile(replicates, [2.5, 97.5])
    return {
        "alpha": point,
        "lo": float(lo),
        "hi": float(hi),
        "n_units": units,
        "n_boot": len(replicates),
    }


# ------------------------------------------------------------------------ kappa


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    weights: Literal["linear", "quadratic"] | None = None,
    labels: Sequence[Hashable] | None = None,
) -> float:
    """Cohen's kappa between two raters' paired ratings ``a`` and ``b``.

    ``weights`` None gives Cohen's (1960) kappa; ``"linear"`` or ``"quadratic"`` give the
    weighted kappa (Cohen 1968) with disagreement weights |i - j| or (i - j)^2, where i and j
    are the positions of the categories in ``labels``. ``labels`` fixes the category set and
    its order (e.g. ``[1, 2, 3, 4]`` for the rating scale) so the weights do not depend on which
    ratings happened to occur; without it the categories are the sorted distinct ratings.

    Raises ValueError for mismatched lengths, no ratings, missing ratings, ratings outside
    ``labels``, or no variance (both raters used one and the same category, so chance
    agreement is already perfect).
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be None, 'linear' or 'quadratic', got {weights!r}")
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"mismatched lengths: a has {len(a)} ratings, b has {len(b)}")
    if not a:
        raise ValueError("cohen_kappa needs at least one pair of ratings")
    for name, seq in (("a", a), ("b", b)):
        for i, value in enumerate(seq):
            if _is_missing(value):
                raise ValueError(f"{name}[{i}] is missing; drop incomplete pairs first")

    if labels is None:
        try:
            categories = sorted(set(a) | set(b))  # type: ignore[type-var]
        except TypeError as exc:
            raise ValueError("ratings of mixed types cannot be ordered; pass labels") from exc
    else:
        categories = list(labels)
        if len(set(categories)) != len(categories):
            raise ValueError(f"labels contain duplicates: {categories!r}")
    index = {category: i for i, category in enumerate(categories)}
    for name, seq in (("a", a), ("b", b)):
        for i, value in enumerate(seq):
            if value not in index:
                raise ValueError(f"{name}[{i}] = {value!r} is not one of the labels")

    size = len(categories)
    observed = np.zeros((size, size))
    np.add.at(observed, ([index[v] for v in a], [index[v] for v in b]), 1.0)
    observed /= len(a)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))

    positions = np.arange(size)
    distance = np.abs(positions[:, None] - positions[None, :]).astype(float)
    if weights is None:
        w = (distance > 0).astype(float)
    elif weights == "linear":
        w = distance
    else:
        w = distance**2
    # Normalising the weights (dividing by (K-1) or (K-1)^2) would cancel in the ratio.
    chance = float((w * expected).sum())
    if chance <= 0.0:
        raise ValueError(
            "cohen_kappa is undefined: both raters used one and the same category (no variance)"
        )
    return float(1.0 - float((w * observed).sum()) / chance)


# ------------------------------------------------------------------------ bands


def agreement_band(value: float, kind: Literal["alpha", "icc"] = "alpha") -> str:
    """The verbal band for a reliability coefficient.

    ``kind="alpha"`` (Krippendorff): ``"reliable"`` from 0.800, ``"tentative"`` from 0.667,
    otherwise ``"unreliable"``. ``kind="icc"`` (Koo & Li 2016): ``"poor"`` below 0.5,
    ``"moderate"`` from 0.5, ``"good"`` from 0.75 up to and including 0.9, ``"excellent"`` above
    0.9 (Koo & Li say "greater than 0.90"; each band includes its lower edge).
    """
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(float(value)):
        raise ValueError(f"agreement_band needs a number, got {value!r}")
    value = float(value)
    if kind == "alpha":
        if value >= ALPHA_RELIABLE:
            return "reliable"
        if value >= ALPHA_TENTATIVE:
            return "tentative"
        return "unreliable"
    if kind == "icc":
        if value > ICC_EXCELLENT:
            return "excellent"
        if value >= ICC_GOOD:
            return "good"
        if value >= ICC_MODERATE:
            return "moderate"
        return "poor"
    raise ValueError(f"kind must be 'alpha' or 'icc', got {kind!r}")
