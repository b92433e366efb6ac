"""Interviewer calibration and assessment quality: plain tuples in, plain dicts out.

Builds on :mod:`hiring.analytics.reliability` (alpha, ICC, bands); nothing here touches the
database or Flask.

- :func:`agreement`: per competency, Krippendorff's alpha (interval) with a bootstrap interval
  and ICC(1), for **same-interview** agreement (raters on one interview) and **cross-interview**
  agreement (different interviews of one candidate) separately.
- :func:`leniency`: each interviewer's leniency offset, estimated against co-panelists on shared
  candidates and shrunk towards the typical interviewer (random effects, method of moments).
- :func:`adjusted_ratings`: ratings with the offsets taken out (for the leniency-adjusted view).
- :func:`question_flags`: ceiling and floor flags of a question's rating distribution.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from .reliability import agreement_band, bootstrap_alpha, icc

#: Candidates with pairable ratings a reliability report needs before it shows anything.
MIN_CANDIDATES = 30
#: Shared candidates that link an interviewer to co-panelists before an offset is shown.
MIN_SHARED_CANDIDATES = 10
#: Bootstrap replicates for alpha's interval (fixed seed: the same data give the same interval).
N_BOOT = 1000
#: Ceiling / floor: at least this share of a question's ratings at 4 / at 1 ...
EXTREME_SHARE = 0.5
#: ... among at least this many ratings (fewer say nothing about the distribution).
MIN_RATINGS_FOR_FLAGS = 10
#: Two-sided 95 % normal quantile.
Z_95 = 1.959963984540054
RATINGS = (1, 2, 3, 4)


class Rating(NamedTuple):
    """One independent rating: which candidate (application), interview, interviewer and
    competency, and the whole-point rating 1-4."""

    candidate: Hashable
    interview: Hashable
    rater: Hashable
    competency: Hashable
    value: float


# ---------------------------------------------------------------------------- bands


def interval_band(lo: float, hi: float, kind: str = "alpha") -> str:
    """The usual band applied to an interval: one band when both ends fall in it, otherwise
    "<band of lo> to <band of hi>" (e.g. "unreliable to tentative")."""
    low, high = agreement_band(lo, kind), agreement_band(hi, kind)  # type: ignore[arg-type]
    return low if low == high else f"{low} to {high}"


# ---------------------------------------------------------------------------- agreement


def _matrix(units: Sequence[Sequence[float]]) -> list[list[float | None]]:
    """Units (lists of values) -> a raters x units matrix for Krippendorff's alpha.

    Alpha depends only on the values within each unit, not on which rater gave them, so the
    k-th value of each unit goes to row k.
    """
    width = max((len(u) for u in units), default=0)
    return [[u[k] if k < len(u) else None for u in units] for k in range(width)]


def _coefficients(units: Sequence[Sequence[float]], n_boot: int, seed: int) -> dict[str, Any]:
    """Alpha with its interval and band, and ICC(1) on the first two values of each unit.

    Pure in its input, so results are memoised per process: a bootstrap of 1,000 replicates
    costs about a quarter of a second, and a report page asks for two per competency; a
    competency whose ratings did not change since the last view is not bootstrapped again.
    """
    key = tuple(tuple(float(v) for v in u) for u in units if len(u) >= 2)
    return dict(_cached_coefficients(key, n_boot, seed))


@lru_cache(maxsize=512)
def _cached_coefficients(pairable: tuple[tuple[float, ...], ...], n_boot: int, seed: int
                         ) -> dict[str, Any]:
    out: dict[str, Any] = {"units": len(pairable), "ratings": sum(len(u) for u in pairable),
                           "alpha": None, "lo": None, "hi": None, "band": None, "icc1": None,
                           "icc_band": None, "problem": None}
    if len(pairable) < 2:
        out["problem"] = "fewer than two units rated more than once"
        return out
    try:
        result = bootstrap_alpha(_matrix(pairable), "interval", n_boot=n_boot, seed=seed)
    except ValueError as exc:
        out["problem"] = str(exc)
        return out
    out.update(alpha=result["alpha"], lo=result["lo"], hi=result["hi"],
               band=interval_band(result["lo"], result["hi"]))
    try:
        value = icc([u[:2] for u in pairable])["ICC1"]
    except ValueError:
        value = None
    if value is not None and math.isfinite(value):
        out["icc1"] = value
        out["icc_band"] = agreement_band(value, "icc")
    return out


def pairable_candidates(ratings: Iterable[Rating]) -> set[Hashable]:
    """Candidates with at least one competency rated two or more times (any interviews)."""
    counts: dict[tuple[Hashable, Hashable], int] = defaultdict(int)
    for r in ratings:
        counts[(r.candidate, r.competency)] += 1
    return {candidate for (candidate, _), n in counts.items() if n >= 2}


def agreement(ratings: Sequence[Rating], *, n_boot: int = N_BOOT, seed: int = 0,
              min_candidates: int = MIN_CANDIDATES) -> dict[str, Any]:
    """Per competency: same-interview and cross-interview agreement.

    Same-interview: a unit is one interview x competency; its values are the ratings of the
    interviewers on that interview. Cross-interview: a unit is one candidate x competency; its
    values are the mean rating of each of the candidate's interviews that rated it, so
    agreement is between interviews (different questions, different people), not within one.

    Returns ``{"candidates", "needed", "enough", "competencies": {competency: {"same":
    {...}, "cross": {...}}}}``; each view holds ``units``, ``ratings``, ``alpha``, ``lo``,
    ``hi`` (95 % bootstrap interval over units), ``band`` (the alpha bands applied to the
    interval), ``icc1`` and ``icc_band`` (ICC(1) on the first two values of each unit, a second
    view), or ``problem`` saying why there is no number. Below ``min_candidates`` candidates
    with pairable ratings nothing is computed (``enough`` False, ``needed`` says how many more).
    """
    candidates = pairable_candidates(ratings)
    needed = max(0, min_candidates - len(candidates))
    out: dict[str, Any] = {"candidates": len(candidates), "needed": needed,
                           "enough": needed == 0, "competencies": {}}
    if needed:
        return out
    same: dict[Hashable, dict[Hashable, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_interview: dict[Hashable, dict[tuple[Hashable, Hashable], list[float]]] = defaultdict(
        lambda: defaultdict(list))
    for r in ratings:
        same[r.competency][r.interview].append(float(r.value))
        per_interview[r.competency][(r.candidate, r.interview)].append(float(r.value))
    for competency in sorted(same, key=str):
        cross: dict[Hashable, list[float]] = defaultdict(list)
        for (candidate, _), values in sorted(per_interview[competency].items(), key=str):
            cross[candidate].append(math.fsum(values) / len(values))
        out["competencies"][competency] = {
            "same": _coefficients(list(same[competency].values()), n_boot, seed),
            "cross": _coefficients(list(cross.values()), n_boot, seed),
        }
    return out


# ---------------------------------------------------------------------------- leniency


def _additive_fit(units: Mapping[Hashable, Mapping[Hashable, float]],
                  max_iter: int = 500, tol: float = 1e-10) -> dict[Hashable, float]:
    """Cell means of x[u][r] = mu[u] + delta[r] + e by alternating least squares."""
    delta: dict[Hashable, float] = defaultdict(float)
    by_rater: dict[Hashable, list[Hashable]] = defaultdict(list)
    for u, values in units.items():
        for r in values:
            by_rater[r].append(u)
    mu: dict[Hashable, float] = {}
    for _ in range(max_iter):
        mu = {u: math.fsum(x - delta[r] for r, x in values.items()) / len(values)
              for u, values in units.items()}
        change = 0.0
        for r, unit_ids in by_rater.items():
            new = math.fsum(units[u][r] - mu[u] for u in unit_ids) / len(unit_ids)
            change = max(change, abs(new - delta[r]))
            delta[r] = new
        if change < tol:
            break
    return {u: math.fsum(x - delta[r] for r, x in values.items()) / len(values)
            for u, values in units.items()}


def leniency(ratings: Sequence[Rating], *,
             min_shared: int = MIN_SHARED_CANDIDATES) -> dict[str, Any]:
    """Each interviewer's leniency offset (rating points) with shrinkage and a 95 % interval.

    Method (random effects, method of moments; no REML):

    1. Units are candidate x competency cells rated by two or more interviewers (a rater's
       repeated ratings of one cell are averaged). An additive model rating = cell mean +
       rater effect + error is fitted by alternating least squares, so a lenient co-panelist
       does not make everyone else look severe.
    2. Per rater and shared candidate, ``d`` = the mean of (rating - fitted cell mean) over the
       candidate's shared cells; ``raw`` = the mean of ``d`` over the rater's ``n`` shared
       candidates (candidates, not ratings, are the independent units: a rater's ratings of one
       candidate move together), centred on the median rater so that 0 is the typical
       interviewer.
    3. sigma^2 = the pooled within-rater variance of ``d``; tau^2 = max(0, variance of the raters'
       ``raw`` - mean of sigma^2 / n) over the raters linked by ``min_shared`` candidates (all
       raters with two or more when fewer than two are).
    4. ``offset`` = B x raw with B = tau^2 / (tau^2 + sigma^2 / n), and a 95 % interval
       offset +- 1.96 sqrt(B sigma^2 / n). Offsets (and intervals) are given only to raters with
       at least ``min_shared`` shared candidates; others get ``None``.

    Returns ``{"tau2", "sigma2", "raters": {rater: {"shared_candidates", "raw", "offset",
    "lo", "hi", "shrinkage", "linked"}}}`` (tau2/sigma2 None when they cannot be estimated).
    """
    cells: dict[tuple[Hashable, Hashable], dict[Hashable, list[float]]] = defaultdict(
        lambda: defaultdict(list))
    for r in ratings:
        cells[(r.candidate, r.competency)][r.rater].append(float(r.value))
    units = {u: {rater: math.fsum(v) / len(v) for rater, v in by_rater.items()}
             for u, by_rater in cells.items() if len(by_rater) >= 2}
    out: dict[str, Any] = {"tau2": None, "sigma2": None, "raters": {}}
    if not units:
        return out
    mu = _additive_fit(units)
    per_candidate: dict[Hashable, dict[Hashable, list[float]]] = defaultdict(
        lambda: defaultdict(list))
    for (candidate, competency), values in units.items():
        cell_mean = mu[(candidate, competency)]
        for rater, x in values.items():
            per_candidate[rater][candidate].append(x - cell_mean)
    d = {rater: [math.fsum(v) / len(v) for _, v in sorted(by_c.items(), key=str)]
         for rater, by_c in per_candidate.items()}
    raw = {rater: math.fsum(v) / len(v) for rater, v in d.items()}
    linked = [rater for rater, v in d.items() if len(v) >= min_shared]
    centre = statistics.median(raw[r] for r in (linked or list(raw)))
    raw = {rater: value - centre for rater, value in raw.items()}

    within = [(v, raw[rater] + centre) for rater, v in d.items() if len(v) >= 2]
    df = sum(len(v) - 1 for v, _ in within)
    if df > 0:
        sigma2 = math.fsum((x - m) ** 2 for v, m in within for x in v) / df
        basis = linked if len(linked) >= 2 else [r for r, v in d.items() if len(v) >= 2]
        if len(basis) >= 2:
            spread = statistics.variance([raw[r] for r in basis])
            noise = math.fsum(sigma2 / len(d[r]) for r in basis) / len(basis)
            out["tau2"] = max(0.0, spread - noise)
        out["sigma2"] = sigma2
    for rater, values in sorted(d.items(), key=lambda item: str(item[0])):
        n = len(values)
        entry = {"shared_candidates": n, "raw": raw[rater], "offset": None, "lo": None,
                 "hi": None, "shrinkage": None, "linked": n >= min_shared}
        if entry["linked"] and out["tau2"] is not None and out["sigma2"] is not None:
            tau2, se2 = out["tau2"], out["sigma2"] / n
            shrink = tau2 / (tau2 + se2) if tau2 + se2 > 0 else 0.0
            offset = shrink * raw[rater]
            half = Z_95 * math.sqrt(shrink * se2)
            entry.update(offset=offset, lo=offset - half, hi=offset + half, shrinkage=shrink)
        out["raters"][rater] = entry
    return out


def offsets_of(result: Mapping[str, Any]) -> dict[Hashable, float]:
    """The offsets of :func:`leniency`'s result, for linked raters only."""
    return {rater: entry["offset"] for rater, entry in result["raters"].items()
            if entry["offset"] is not None}


def adjusted_ratings(ratings: Iterable[tuple[Hashable, float]],
                     offsets: Mapping[Hashable, float]) -> list[float]:
    """``(rater, rating)`` pairs -> ratings minus the rater's offset (0 for raters without
    one), kept on the 1-4 scale (a lenient rater's 4 stays at most 4, a severe rater's 1 at
    least 1)."""
    return [min(4.0, max(1.0, float(value) - offsets.get(rater, 0.0)))
            for rater, value in ratings]


# ---------------------------------------------------------------------------- distributions


def distribution(values: Iterable[float]) -> dict[int, int]:
    """Counts of whole-point ratings 1-4 (every point present, zeros included)."""
    counts = dict.fromkeys(RATINGS, 0)
    for value in values:
        point = int(value)
        if point in counts:
            counts[point] += 1
    return counts


def question_flags(counts: Mapping[int, int], *, share: float = EXTREME_SHARE,
                   min_ratings: int = MIN_RATINGS_FOR_FLAGS) -> dict[str, bool]:
    """Ceiling (at least ``share`` of the ratings are 4) and floor (at least ``share`` are 1)
    flags, raised only with at least ``min_ratings`` ratings. A question at its ceiling cannot
    tell strong candidates apart; at its floor, weak ones."""
    total = sum(counts.values())
    if total < min_ratings:
        return {"ceiling": False, "floor": False}
    return {"ceiling": counts.get(4, 0) >= share * total,
            "floor": counts.get(1, 0) >= share * total}
