"""Evidence: from submitted ratings to the plain inputs every scorer takes.

Evidence for one application is a mapping ``competency -> (mean, n)`` or ``(mean, n, variance)``
where ``variance`` is the sample variance (ddof=1) of the ``n`` ratings. A competency that is
missing, ``None`` or ``(nan, 0)`` was not assessed. Matrices put applications in rows and the
profile's competencies in columns, with NaN for "not assessed".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

EvidenceValue = tuple[float, int] | tuple[float, int, float]
Evidence = Mapping[str, EvidenceValue | None]


def evidence_from_ratings(
    ratings: Mapping[str, Iterable[float]],
) -> dict[str, tuple[float, int, float]]:
    """Summarise submitted ratings per competency as ``(mean, n, sample variance)``.

    Competencies with no ratings are left out (not assessed). The variance of a single rating is
    reported as 0.0: it carries no information about spread and is given no weight downstream.
    Values are not validated here; the scorers turn bad values into the "cannot score" state.
    """
    evidence: dict[str, tuple[float, int, float]] = {}
    for key, values in ratings.items():
        values = [float(value) for value in values]
        if not values:
            continue
        n = len(values)
        # fsum keeps the mean of whole-point ratings correctly rounded.
        mean = math.fsum(values) / n
        variance = math.fsum((value - mean) ** 2 for value in values) / (n - 1) if n > 1 else 0.0
        evidence[key] = (mean, n, variance)
    return evidence


def evidence_matrix(
    rows: Sequence[Evidence],
    competencies: Sequence[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Stack evidence mappings into ``(means, counts)`` arrays with columns in profile order.

    ``means`` holds NaN where a competency was not assessed (``counts`` is 0 there). Keys outside
    ``competencies`` are ignored, since only the profile's competencies are scored.
    """
    means = np.full((len(rows), len(competencies)), np.nan)
    counts = np.zeros((len(rows), len(competencies)), dtype=int)
    for i, row in enumerate(rows):
        for j, key in enumerate(competencies):
            value = row.get(key)
            if value is None:
                continue
            means[i, j] = _as_float(value[0])
            counts[i, j] = int(value[1])
    return means, counts


def _as_float(value: Any) -> float:
    # Non-numeric junk becomes inf, which every scorer reports as "cannot score".
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.inf
