"""Adverse impact: impact ratios, the four-fifths rule, and the tests that go with them.

Sources: the Uniform Guidelines on Employee Selection Procedures (29 CFR 1607.4(D), the
four-fifths rule, and the EEOC/OFCCP Questions and Answers on them); New York City Local Law 144
of 2021 and its rules (6 RCNY 5-300 ff.: impact ratios for selection rates and, for scores, the
"scoring rate" of each category above the sample median); Katz et al. (1978) for the interval
of a ratio of proportions; Mantel & Haenszel (1959) for pooling 2x2 tables across strata.

**Impact ratios are computed per axis, never against a global maximum.** An axis is one way of
grouping the same people: sex, race/ethnicity, or their intersection (build intersection labels
with :func:`intersect`, e.g. ``"female / Black or African American"``, and pass them as a third
axis). Each call of :func:`selection_impact` or :func:`scoring_impact` is one axis, and each
category is compared with the highest rate *on that axis*; mixing axes would compare a
category with a group it overlaps.

**Exact arithmetic for the rule.** Counts are integers, so rates and ratios are held as
:class:`fractions.Fraction` and the four-fifths comparison is made on those; a ratio of exactly
4/5 is not adverse even where floating point gives 0.7999999999999999 (e.g. (4/7) / (5/7)). The
floats in the result are for display only.

**Ties at the top.** Every category whose rate equals the highest rate has an impact ratio of
exactly 1 and is never adverse. The significance tests and the interval need one comparison
group, the *reference*: among the tied categories, the one with the most applicants (the most
precise rate), then the first label in sorted order, so the choice does not depend on the order
of the input. It is marked ``reference: True``; its own tests are ``None`` (a category is not
compared with itself). A tied non-reference category is tested against the reference as usual.

Nothing here decides anything: a flag is a prompt to look closer (the Guidelines themselves
call the rule a rule of thumb), and small categories are flagged so a reader can weigh them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from fractions import Fraction
from numbers import Integral, Real
from typing import Any

from scipy import stats

FOUR_FIFTHS = Fraction(4, 5)
# NYC LL144 rules let an auditor leave out categories under 2 % of the data; we only flag them.
SMALL_SHARE = Fraction(1, 50)
# Two-sided 95 %: the normal quantile 0.975.
Z_95 = float(stats.norm.ppf(0.975))

Counts = tuple[int, int]


def intersect(a: str | None, b: str | None) -> str | None:
    """The intersection label of two axes' categories, e.g. ``"female / Asian"``.

    ``None`` (unknown) on either axis makes the intersection unknown, so it is counted with the
    unknowns rather than forming a category of its own. Use it per person, then pass the labels
    as one more axis: ``[intersect(s, r) for s, r in zip(sexes, races)]``.
    """
    if a is None or b is None:
        return None
    return f"{a} / {b}"


# ------------------------------------------------------------------------ helpers


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} cannot be negative, got {value!r}")
    return int(value)


def _counts(groups: Mapping[str, Sequence[int]], where: str = "") -> dict[str, Counts]:
    """Validated ``{category: (applicants, selected)}``."""
    if not isinstance(groups, Mapping):
        raise ValueError(f"{where}groups must map a category to (applicants, selected)")
    result: dict[str, Counts] = {}
    for category, pair in groups.items():
        try:
            applicants, selected = pair
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{where}{category!r}: expected (applicants, selected), got {pair!r}"
            ) from exc
        applicants = _count(applicants, f"{where}{category!r} applicants")
        selected = _count(selected, f"{where}{category!r} selected")
        if selected > applicants:
            raise ValueError(
                f"{where}{category!r}: {selected} selected out of only {applicants} applicants"
            )
        result[category] = (applicants, selected)
    return result


def _reference(counts: Mapping[str, Counts]) -> str:
    """The comparison category: highest rate, then most applicants, then first sorted label."""
    candidates = [c for c, (n, _) in counts.items() if n > 0]
    if not candidates:
        raise ValueError("selection_impact needs at least one category with applicants")
    return min(
        candidates,
        key=lambda c: (-Fraction(counts[c][1], counts[c][0]), -counts[c][0], str(c)),
    )


def _ratios(counts: Mapping[str, Counts]) -> tuple[str, dict[str, Fraction | None]]:
    """The reference category and every category's exact impact ratio.

    The ratio is None for a category without applicants, and for every category when nobody
    on the axis was selected (0 / 0: there is no rate to fall short of).
    """
    reference = _reference(counts)
    top_n, top_x = counts[reference]
    top = Fraction(top_x, top_n)
    ratios: dict[str, Fraction | None] = {}
    for category, (n, x) in counts.items():
        ratios[category] = None if n == 0 or top == 0 else Fraction(x, n) / top
    return reference, ratios


def _adverse(ratio: Fraction | None) -> bool:
    # Strictly below four-fifths, in exact arithmetic: exactly 0.8 is not adverse.
    return ratio is not None and ratio < FOUR_FIFTHS


def _two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> float:
    """Pooled two-proportion z of group 1 minus group 2 (negative when group 1 is lower)."""
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    # A pooled rate of 0 or 1 means both rates are equal (all or none selected): no difference.
    if se == 0:
        return 0.0
    return (x1 / n1 - x2 / n2) / se


def _katz_interval(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """95 % interval of (x1/n1) / (x2/n2) by the log method of Katz et al. (1978).

    When any cell of the 2x2 table is zero, 0.5 is added to every cell (so n grows by 1), which
    keeps the log and its standard error finite.
    """
    a, n_a, b, n_b = float(x1), float(n1), float(x2), float(n2)
    if 0 in (x1, n1 - x1, x2, n2 - x2):
        a, n_a, b, n_b = a + 0.5, n_a + 1, b + 0.5, n_b + 1
    log_ratio = math.log((a / n_a) / (b / n_b))
    se = math.sqrt(max(1 / a - 1 / n_a + 1 / b - 1 / n_b, 0.0))
    return math.exp(log_ratio - Z_95 * se), math.exp(log_ratio + Z_95 * se)


# ----------------------------------------------------------------- selection impact


def selection_impact(groups: Mapping[str, Sequence[int]]) -> dict[str, dict[str, Any]]:
    """Selection rates and impact ratios of the categories of one axis.

    ``groups`` maps each category to ``(applicants, selected)``. For each category the result
    holds:

    - ``applicants``, ``selected``; ``rate`` = selected / applicants (None without applicants;
      such categories are left out of the maximum);
    - ``impact_ratio``: rate / highest rate on this axis (None without applicants, or when
      nobody on the axis was selected); ``adverse``: the ratio is strictly below 4/5, decided
      in exact fractions;
    - ``share`` of all applicants on the axis (0-1) and ``small`` when that is under 0.02;
    - ``reference``: True for the category the tests compare with (see the module docstring for
      ties); ``p_value``: two-sided Fisher exact test and ``z``: pooled two-proportion z test
      (negative when below), both against the reference; ``ci_low``/``ci_high``: 95 % Katz
      log interval of the impact ratio (0.5 added to every cell when a cell is zero). All four
      are None for the reference itself and for categories without applicants; the interval is
      None where the ratio is;
    - ``shortfall``: the fewest extra selections in this category, applicants unchanged, that
      bring it to four-fifths (0 when not adverse); ``flips``: whether one more or one fewer
      selection in this category would change its adverse flag (the maximum is recomputed, so
      a top category whose lead is one selection deep can flip too).

    Raises ValueError for malformed counts, more selected than applicants, or no applicants.
    """
    counts = _counts(groups)
    reference, ratios = _ratios(counts)
    ref_n, ref_x = counts[reference]
    total = sum(n for n, _ in counts.values())

    result: dict[str, dict[str, Any]] = {}
    for category, (n, x) in counts.items():
        ratio = ratios[category]
        adverse = _adverse(ratio)
        entry: dict[str, Any] = {
            "applicants": n,
            "selected": x,
            "rate": float(Fraction(x, n)) if n else None,
            "impact_ratio": float(ratio) if ratio is not None else None,
            "adverse": adverse,
            "share": float(Fraction(n, total)),
            "small": Fraction(n, total) < SMALL_SHARE,
            "reference": category == reference,
            "p_value": None,
            "z": None,
            "ci_low": None,
            "ci_high": None,
            "shortfall": 0,
            "flips": False,
        }
        if n and category != reference:
            table = [[x, n - x], [ref_x, ref_n - ref_x]]
            _, p_value = stats.fisher_exact(table, alternative="two-sided")
            entry["p_value"] = min(float(p_value), 1.0)
            entry["z"] = float(_two_proportion_z(x, n, ref_x, ref_n))
            if ratio is not None:
                entry["ci_low"], entry["ci_high"] = _katz_interval(x, n, ref_x, ref_n)
        if adverse:
            top = Fraction(ref_x, ref_n)
            # ceil of an exact Fraction: no rounding can make 4/5 look reached or missed.
            entry["shortfall"] = math.ceil(FOUR_FIFTHS * top * n) - x
        if n:
            entry["flips"] = any(
                _adverse(_ratios({**counts, category: (n, x + step)})[1][category]) != adverse
                for step in (1, -1)
                if 0 <= x + step <= n
            )
        result[category] = entry
    return result


# ------------------------------------------------------------------- scoring impact


def scoring_impact(
    scores: Sequence[float],
    categories: Sequence[str | None],
    use_full_sample_median: bool = False,
) -> dict[str, Any]:
    """NYC Local Law 144 impact ratios for a score (scoring rate above the median).

    ``scores[i]`` belongs to a person in ``categories[i]`` (None: unknown, left out of the
    rates and counted in ``unknown``). The scoring rate of a category is the share of its people
    scoring **strictly above** the median of the sample with known categories; with
    ``use_full_sample_median`` the median is taken over everyone, unknowns included (the rule
    speaks of the sample's median; the choice changes the threshold, so it is explicit).

    Returns ``{"median", "unknown", "categories": {category: {"count", "above",
    "scoring_rate", "impact_ratio", "adverse", "share", "small"}}}``, where ``share`` is the
    category's share of people with a known category and ``small`` marks shares under 0.02 (the
    rules let an auditor leave those out of the calculation; that decision is the caller's,
    who can drop them and call again). ``impact_ratio`` is against the highest scoring rate
    on this axis, None when nobody scored above the median; ``adverse`` is exact as in
    :func:`selection_impact`.

    Raises ValueError for mismatched lengths, no scores, non-finite scores, or no known category.
    """
    scores = list(scores)
    categories = list(categories)
    if len(scores) != len(categories):
        raise ValueError(f"mismatched lengths: {len(scores)} scores, {len(categories)} categories")
    if not scores:
        raise ValueError("scoring_impact needs at least one score")
    values: list[float] = []
    for i, score in enumerate(scores):
        if isinstance(score, bool) or not isinstance(score, Real) or not math.isfinite(score):
            raise ValueError(f"scores[{i}] = {score!r} is not a finite number")
        values.append(float(score))
    known = [(s, c) for s, c in zip(values, categories, strict=True) if c is not None]
    unknown = len(values) - len(known)
    if not known:
        raise ValueError("scoring_impact needs at least one score with a known category")
    median = statistics.median(values if use_full_sample_median else [s for s, _ in known])

    tallies: dict[str, list[int]] = {}
    for score, category in known:
        tally = tallies.setdefault(category, [0, 0])
        tally[0] += 1
        tally[1] += int(score > median)
    rates = {c: Fraction(above, n) for c, (n, above) in tallies.items()}
    top = max(rates.values())

    result: dict[str, dict[str, Any]] = {}
    for category, (n, above) in tallies.items():
        ratio = rates[category] / top if top else None
        result[category] = {
            "count": n,
            "above": above,
            "scoring_rate": float(rates[category]),
            "impact_ratio": float(ratio) if ratio is not None else None,
            "adverse": _adverse(ratio),
            "share": float(Fraction(n, len(known))),
            "small": Fraction(n, len(known)) < SMALL_SHARE,
        }
    return {"median": float(median), "unknown": unknown, "categories": result}


# ------------------------------------------------------------------ Mantel-Haenszel


def mantel_haenszel(
    strata: Sequence[Mapping[str, Sequence[int]]],
    focal: str,
    reference: str,
) -> dict[str, float | int | None]:
    """Selection of ``focal`` vs ``reference`` pooled across strata (e.g. requisitions).

    Each stratum maps categories to ``(applicants, selected)``; strata lacking either group (or
    with no applicants in it) are dropped. Per stratum, with a/b the focal group's selected and
    not selected, c/d the reference group's, and n the total:

    - ``odds_ratio``: Mantel-Haenszel common odds ratio sum(ad/n) / sum(bc/n);
    - ``rate_ratio``: Mantel-Haenszel pooled selection-rate ratio (focal over reference, like an
      impact ratio) sum(a(c+d)/n) / sum(c(a+b)/n);
    - ``chi2``: Cochran-Mantel-Haenszel statistic with continuity correction,
      (|sum(a - E a)| - 1/2)^2 / sum(Var a), and ``p_value`` from chi-square with 1 df. As in R's
      ``mantelhaen.test``, the 1/2 is not subtracted when the difference is already below 1/2;
    - ``n_strata``: strata used.

    A ratio whose denominator is zero (undefined or infinite) and a statistic with zero variance
    are None. Raises ValueError when focal equals reference or no stratum has both groups.
    """
    if focal == reference:
        raise ValueError("focal and reference must be different categories")
    or_num = or_den = rr_num = rr_den = 0.0
    observed = expected = variance = 0.0
    used = 0
    for s, stratum in enumerate(strata):
        counts = _counts(stratum, where=f"stratum {s}: ")
        if focal not in counts or reference not in counts:
            continue
        (n1, a), (n0, c) = counts[focal], counts[reference]
        if n1 == 0 or n0 == 0:
            continue
        b, d = n1 - a, n0 - c
        n = n1 + n0
        used += 1
        or_num += a * d / n
        or_den += b * c / n
        rr_num += a * n0 / n
        rr_den += c * n1 / n
        observed += a
        expected += n1 * (a + c) / n
        variance += n1 * n0 * (a + c) * (b + d) / (n * n * (n - 1))
    if not used:
        raise ValueError(
            f"mantel_haenszel needs at least one stratum with both {focal!r} and {reference!r}"
        )

    chi2: float | None = None
    p_value: float | None = None
    if variance > 0:
        delta = abs(observed - expected)
        correction = 0.5 if delta >= 0.5 else 0.0
        chi2 = (delta - correction) ** 2 / variance
        p_value = float(stats.chi2.sf(chi2, 1))
    return {
        "odds_ratio": or_num / or_den if or_den else None,
        "rate_ratio": rr_num / rr_den if rr_den else None,
        "chi2": chi2,
        "p_value": p_value,
        "n_strata": used,
    }
