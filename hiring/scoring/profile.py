"""Role-profile levels as plain data, the rating scale, and the exact-arithmetic grid.

Everything in :mod:`hiring.scoring` takes a :class:`LevelProfile` (or the same data as aligned
sequences) rather than database rows, so the package stays free of Flask and SQLAlchemy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

RATING_MIN = 1
RATING_MAX = 4
ALLOWED_WEIGHTS = (1, 2, 3)
ALLOWED_BARS = (1, 2, 3, 4)
MAX_MUST_HAVES = 5
DEFAULT_COVERAGE_FLOOR = 0.7

# Reported scores and contributions are rounded to multiples of 2**-30 (about 9.3e-10). Every
# such number below 2**23 in magnitude is a double, and so is every sum of a few dozen of them, so
# ``sum(contributions) == score - reference`` holds *exactly* in binary floating point, whatever
# the order of summation. The rounding changes a score by less than 1e-8, far below anything shown.
GRID_BITS = 30
_GRID_SCALE = float(2**GRID_BITS)


def quantize(values: Any) -> Any:
    """Round to the nearest multiple of ``2**-30`` (ties to even); NaN stays NaN.

    Scaling by a power of two is exact, so the only rounding is ``np.round`` itself, which is
    deterministic; the result is an ndarray (or a numpy scalar for scalar input).
    """
    return np.round(np.asarray(values, dtype=float) * _GRID_SCALE) / _GRID_SCALE


def to_0_100(value: float) -> float:
    """Map a value on the 1-4 rating metric to 0-100: ``(value - 1) / 3 * 100`` (never a "%")."""
    return (value - RATING_MIN) / (RATING_MAX - RATING_MIN) * 100.0


@dataclass(frozen=True)
class LevelProfile:
    """One level of a role profile: ordered competencies with weight, bar and must-have flag.

    ``weights`` are 1 (supporting), 2 (core) or 3 (critical); ``bars`` are the rating (1-4) a hire
    must reach; at most five competencies are ``must_have`` hurdles. ``coverage_floor`` is the
    share of the profile's weight that must be assessed before a score is a number.

    The mappings are stored read-only; a profile is validated when it is built, so every scorer
    can trust it.
    """

    competencies: tuple[str, ...]
    weights: Mapping[str, int]
    bars: Mapping[str, int]
    must_have: frozenset[str] = field(default_factory=frozenset)
    coverage_floor: float = DEFAULT_COVERAGE_FLOOR

    def __post_init__(self) -> None:
        competencies = tuple(self.competencies)
        object.__setattr__(self, "competencies", competencies)
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))
        object.__setattr__(self, "bars", MappingProxyType(dict(self.bars)))
        object.__setattr__(self, "must_have", frozenset(self.must_have))
        validate_profile(
            competencies,
            [self.weights.get(key) for key in competencies],
            [self.bars.get(key) for key in competencies],
            [key in self.must_have for key in competencies],
            self.coverage_floor,
        )
        extra = (set(self.weights) | set(self.bars) | set(self.must_have)) - set(competencies)
        if extra:
            raise ValueError(
                f"weights, bars or must-haves name unknown competencies: {sorted(extra)}"
            )

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, int, int, bool]],
        *,
        coverage_floor: float = DEFAULT_COVERAGE_FLOOR,
    ) -> LevelProfile:
        """Build a profile from ``(key, weight, bar, must_have)`` rows, in profile order."""
        rows = list(rows)
        return cls(
            competencies=tuple(row[0] for row in rows),
            weights={row[0]: row[1] for row in rows},
            bars={row[0]: row[2] for row in rows},
            must_have=frozenset(row[0] for row in rows if row[3]),
            coverage_floor=coverage_floor,
        )

    @property
    def weight_vector(self) -> np.ndarray:
        """Weights as a float array in competency order."""
        return np.array([self.weights[key] for key in self.competencies], dtype=float)

    @property
    def bar_vector(self) -> np.ndarray:
        """Bars as a float array in competency order."""
        return np.array([self.bars[key] for key in self.competencies], dtype=float)

    @property
    def must_have_vector(self) -> np.ndarray:
        """Must-have flags as a bool array in competency order."""
        return np.array([key in self.must_have for key in self.competencies], dtype=bool)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (used for input hashes and stored scores)."""
        return {
            "competencies": list(self.competencies),
            "weights": [self.weights[key] for key in self.competencies],
            "bars": [self.bars[key] for key in self.competencies],
            "must_have": [key for key in self.competencies if key in self.must_have],
            "coverage_floor": self.coverage_floor,
        }


def validate_profile(
    competencies: Iterable[Any],
    weights: Iterable[Any],
    bars: Iterable[Any],
    must_have: Iterable[Any],
    coverage_floor: Any,
) -> None:
    """Raise ``ValueError`` naming the first problem with a profile given as aligned sequences."""
    competencies = list(competencies)
    weights = list(weights)
    bars = list(bars)
    must_have = list(must_have)
    if not competencies:
        raise ValueError("a profile level needs at least one competency")
    if any(not isinstance(key, str) or not key for key in competencies):
        raise ValueError("competency keys must be non-empty strings")
    if len(set(competencies)) != len(competencies):
        raise ValueError("competency keys must be unique")
    for name, values in (("weights", weights), ("bars", bars), ("must_have", must_have)):
        if len(values) != len(competencies):
            raise ValueError(
                f"{name} has {len(values)} entries for {len(competencies)} competencies"
            )
    for key, weight, bar in zip(competencies, weights, bars, strict=True):
        if not _is_whole(weight) or int(weight) not in ALLOWED_WEIGHTS:
            raise ValueError(f"weight of {key!r} must be 1, 2 or 3, not {weight!r}")
        if not _is_whole(bar) or int(bar) not in ALLOWED_BARS:
            raise ValueError(f"bar of {key!r} must be a whole rating 1-4, not {bar!r}")
    if sum(bool(flag) for flag in must_have) > MAX_MUST_HAVES:
        raise ValueError(f"a profile level has at most {MAX_MUST_HAVES} must-have competencies")
    if (
        isinstance(coverage_floor, bool)
        or not isinstance(coverage_floor, int | float)
        or not 0 < coverage_floor <= 1
    ):
        raise ValueError(f"coverage_floor must lie in (0, 1], not {coverage_floor!r}")


def _is_whole(value: Any) -> bool:
    # bool is an int subclass; True as a weight is a bug, not a 1.
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return False
    return math.isfinite(value) and float(value).is_integer()
