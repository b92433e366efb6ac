"""Uncertainty bands from pooled rating error, and ranking that respects them.

A candidate's profile fit is a weighted mean of a few noisy ratings, so it comes with a band. The
band is built from the error of *all* ratings of a competency (pooled over every application x
competency cell with two or more ratings), not from the candidate's own spread alone: two
interviewers who happen to agree do not make a score precise.

Variance model, per assessed competency ``a`` with ``n_a`` ratings and weight ``w_a``:

* pooled error variance ``s2_a``: the documented prior :data:`PRIOR_VARIANCE` until
  :data:`MIN_POOLED_CELLS` cells with two or more ratings exist for ``a``; from then on the pooled
  within-cell variance, still shrunk toward the prior as if the prior were :data:`PRIOR_DF`
  degrees of freedom of data;
* the candidate's own cell variance ``v`` (when known, ``n_a >= 2``) shrunk with the pooled one:
  ``(CELL_PRIOR_DF * s2_a + (n_a - 1) * v) / (CELL_PRIOR_DF + n_a - 1)``;
* the variance of the competency mean: that cell variance divided by ``n_a``.

The weighted mean over the assessed set ``A`` (total weight ``W_A``) then has variance
``sum_a (w_a / W_A)**2 * var_a``. Each *unassessed* competency ``u`` could lie anywhere on 1-4, so
it adds :data:`UNASSESSED_VARIANCE` scaled by its squared share of the profile's whole weight
``W``: ``UNASSESSED_VARIANCE * sum_u (w_u / W)**2``. The band is ``mean +/- 1.96 sd`` clipped to
the 1-4 scale.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from hiring.scoring.profile import RATING_MAX, RATING_MIN

if TYPE_CHECKING:
    from hiring.scoring.profile_fit import FitResult

# Error variance of a single rating assumed until a team has its own data (a rating SD of ~0.6).
# It is what an inter-rater reliability of about 0.55 implies when true proficiency varies with an
# SD of about 0.9 points on the 1-4 scale (0.45 * 0.9**2 = 0.36). Ratings pooled here come from
# *separate* interviews, whose agreement is known to be well below that of panel interviews, and a
# band that starts a little too wide is the safer error: it never makes candidates look
# distinguishable when they are not.
PRIOR_VARIANCE = 0.35
# Variance of a uniform distribution on [1, 4]: (4 - 1)**2 / 12. An unassessed competency is
# treated as unknown anywhere on the scale; deliberately pessimistic, since it ignores that
# competencies correlate.
UNASSESSED_VARIANCE = (RATING_MAX - RATING_MIN) ** 2 / 12
# Cells with two or more ratings a competency needs before its own pooled error is used at all.
MIN_POOLED_CELLS = 30
# Strength of the prior against the pooled estimate, in degrees of freedom: 30 two-rating cells'
# worth, so the prior's pull halves when a competency has about 30 cells and fades after that.
PRIOR_DF = 30.0
# Strength of the pooled error against one candidate's own spread, in degrees of freedom: a sharp
# disagreement on this candidate still widens their band, but two or three ratings that happen to
# agree cannot shrink it far below the team's typical error.
CELL_PRIOR_DF = 10.0
# Two-sided 95 % normal quantile, rounded as everyone quotes it.
Z_95 = 1.96

Band = tuple[float, float]
CellsInput = Mapping[tuple[Hashable, str], Sequence[float]] | Iterable[tuple[str, Sequence[float]]]


@dataclass(frozen=True)
class PooledError:
    """Per-competency error variance of a single rating, pooled over cells and shrunk to a prior.

    Build it with :meth:`from_cells` (or :meth:`prior` when there is no data). ``variances`` holds
    the variance used for each competency seen in the data; competencies not listed use the prior.
    ``raw_variances``, ``cell_counts`` and ``degrees_of_freedom`` describe the data behind them.
    """

    variances: Mapping[str, float] = field(default_factory=dict)
    raw_variances: Mapping[str, float] = field(default_factory=dict)
    cell_counts: Mapping[str, int] = field(default_factory=dict)
    degrees_of_freedom: Mapping[str, int] = field(default_factory=dict)
    prior_variance: float = PRIOR_VARIANCE
    min_cells: int = MIN_POOLED_CELLS
    prior_df: float = PRIOR_DF

    def __post_init__(self) -> None:
        for name in ("variances", "raw_variances", "cell_counts", "degrees_of_freedom"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        if not (math.isfinite(self.prior_variance) and self.prior_variance > 0):
            raise ValueError("prior_variance must be a positive number")

    @classmethod
    def prior(cls, prior_variance: float = PRIOR_VARIANCE) -> PooledError:
        """The error model with no data: every competency uses ``prior_variance``."""
        return cls(prior_variance=prior_variance)

    @classmethod
    def from_cells(
        cls,
        cells: CellsInput,
        *,
        prior_variance: float = PRIOR_VARIANCE,
        min_cells: int = MIN_POOLED_CELLS,
        prior_df: float = PRIOR_DF,
    ) -> PooledError:
        """Pool within-cell variance per competency.

        ``cells`` holds the ratings of each application x competency cell, either as a mapping
        ``{(application_id, competency): [ratings]}`` or as an iterable of
        ``(competency, [ratings])`` pairs (one pair per cell). Cells with fewer than two ratings
        carry no information about error and are skipped. The pooled variance is
        ``sum((n_i - 1) * s2_i) / sum(n_i - 1)``; it replaces the prior only for competencies with
        at least ``min_cells`` informative cells, and even then is shrunk toward the prior:
        ``(prior_df * prior + df * pooled) / (prior_df + df)``.

        Raises ``ValueError`` for a non-finite rating (a data error, not a score state).
        """
        pairs: Iterable[tuple[str, Sequence[float]]]
        if isinstance(cells, Mapping):
            pairs = ((key[-1], ratings) for key, ratings in cells.items())
        else:
            pairs = cells
        sums_of_squares: dict[str, list[float]] = {}
        dfs: dict[str, int] = {}
        counts: dict[str, int] = {}
        for competency, ratings in pairs:
            values = [float(value) for value in ratings]
            if any(not math.isfinite(value) for value in values):
                raise ValueError(f"non-finite rating in a cell of {competency!r}: {values}")
            if len(values) < 2:
                continue
            mean = math.fsum(values) / len(values)
            sums_of_squares.setdefault(competency, []).append(
                math.fsum((value - mean) ** 2 for value in values)
            )
            dfs[competency] = dfs.get(competency, 0) + len(values) - 1
            counts[competency] = counts.get(competency, 0) + 1
        raw = {key: math.fsum(sums_of_squares[key]) / dfs[key] for key in dfs}
        variances = {}
        for key, pooled in raw.items():
            if counts[key] < min_cells:
                variances[key] = prior_variance
            else:
                variances[key] = (prior_df * prior_variance + dfs[key] * pooled) / (
                    prior_df + dfs[key]
                )
        return cls(
            variances=variances,
            raw_variances=raw,
            cell_counts=counts,
            degrees_of_freedom=dfs,
            prior_variance=prior_variance,
            min_cells=min_cells,
            prior_df=prior_df,
        )

    def variance(self, competency: str) -> float:
        """Error variance of one rating of ``competency`` (the prior if it has too few cells)."""
        return float(self.variances.get(competency, self.prior_variance))

    def cell_variance(self, competency: str, n: int, own_variance: float | None = None) -> float:
        """Error variance of one rating in a candidate's cell of ``n`` ratings.

        The candidate's own sample variance counts with ``n - 1`` degrees of freedom against
        :data:`CELL_PRIOR_DF` for the pooled value; without it (or with ``n < 2``) the pooled value
        is used as is.
        """
        pooled = self.variance(competency)
        if own_variance is None or n < 2 or not math.isfinite(own_variance) or own_variance < 0:
            return pooled
        return (CELL_PRIOR_DF * pooled + (n - 1) * own_variance) / (CELL_PRIOR_DF + n - 1)

    def mean_variance(self, competency: str, n: int, own_variance: float | None = None) -> float:
        """Variance of the mean of ``n`` ratings of ``competency`` for one candidate."""
        if n < 1:
            raise ValueError("a competency mean needs at least one rating")
        return self.cell_variance(competency, n, own_variance) / n

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict; :meth:`from_json` restores an equal object."""
        return {
            "variances": dict(sorted(self.variances.items())),
            "raw_variances": dict(sorted(self.raw_variances.items())),
            "cell_counts": dict(sorted(self.cell_counts.items())),
            "degrees_of_freedom": dict(sorted(self.degrees_of_freedom.items())),
            "prior_variance": self.prior_variance,
            "min_cells": self.min_cells,
            "prior_df": self.prior_df,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PooledError:
        """Rebuild from :meth:`to_json` output."""
        return cls(
            variances=data.get("variances", {}),
            raw_variances=data.get("raw_variances", {}),
            cell_counts=data.get("cell_counts", {}),
            degrees_of_freedom=data.get("degrees_of_freedom", {}),
            prior_variance=data.get("prior_variance", PRIOR_VARIANCE),
            min_cells=data.get("min_cells", MIN_POOLED_CELLS),
            prior_df=data.get("prior_df", PRIOR_DF),
        )


def clipped_band(mean: float, sd: float) -> Band:
    """``mean +/- 1.96 sd`` clipped to the 1-4 rating scale."""
    half = Z_95 * sd
    return (max(float(RATING_MIN), mean - half), min(float(RATING_MAX), mean + half))


def distinguishable(band_a: Band, band_b: Band) -> bool:
    """True when two bands do not overlap; touching bands count as overlapping."""
    return band_a[1] < band_b[0] or band_b[1] < band_a[0]


@dataclass(frozen=True)
class RankEntry:
    """One application in a ranking.

    ``position`` (1-based) and ``group`` exist only for scored ("ok") results. A group is a run of
    neighbours in sort order whose bands overlap their neighbour's (chained), i.e. candidates the
    evidence cannot tell apart; ``distinguishable_from_previous``/``_next`` say so per neighbour.
    Results in the states "insufficient coverage" and "cannot score" come last, as states.
    """

    key: Hashable
    state: str
    position: int | None
    value: float | None
    group: int | None
    distinguishable_from_previous: bool | None
    distinguishable_from_next: bool | None


_STATE_ORDER = {"insufficient coverage": 0, "cannot score": 1}


def rank(
    results: Mapping[Hashable, FitResult] | Iterable[tuple[Hashable, FitResult]],
    *,
    by: Literal["mean", "lower"] = "mean",
) -> list[RankEntry]:
    """Order scored results, best first, and mark neighbours the bands cannot tell apart.

    ``by="mean"`` sorts by profile fit, ``by="lower"`` by the band's lower edge (the cautious
    choice: a precise good score beats a vague one). Ties keep input order, so the ranking is
    deterministic. Results not in the "ok" state follow, "insufficient coverage" before "cannot
    score", in input order, with no position and no value: a state is never a zero.
    """
    if by not in ("mean", "lower"):
        raise ValueError(f"by must be 'mean' or 'lower', not {by!r}")
    items = list(results.items()) if isinstance(results, Mapping) else list(results)
    scored = [(key, result) for key, result in items if result.state == "ok"]
    others = [(key, result) for key, result in items if result.state != "ok"]

    def sort_value(result: FitResult) -> float:
        if result.mean is None or result.band is None:
            raise ValueError("a result in the 'ok' state must carry a mean and a band")
        return result.band[0] if by == "lower" else result.mean

    # sorted() is stable, so equal values keep input order.
    scored.sort(key=lambda item: -sort_value(item[1]))
    others.sort(key=lambda item: _STATE_ORDER.get(item[1].state, len(_STATE_ORDER)))

    separated = [
        distinguishable(scored[i][1].band, scored[i + 1][1].band)  # type: ignore[arg-type]
        for i in range(len(scored) - 1)
    ]
    entries: list[RankEntry] = []
    group = 1
    for i, (key, result) in enumerate(scored):
        if i > 0 and separated[i - 1]:
            group += 1
        entries.append(
            RankEntry(
                key=key,
                state=result.state,
                position=i + 1,
                value=sort_value(result),
                group=group,
                distinguishable_from_previous=separated[i - 1] if i > 0 else None,
                distinguishable_from_next=separated[i] if i < len(separated) else None,
            )
        )
    entries.extend(
        RankEntry(
            key=key,
            state=result.state,
            position=None,
            value=None,
            group=None,
            distinguishable_from_previous=None,
            distinguishable_from_next=None,
        )
        for key, result in others
    )
    return entries
