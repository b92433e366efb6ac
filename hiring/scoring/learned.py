"""The optional learned model: logistic regression on competency evidence, with its model card.

Training (:func:`train_model`) takes the evidence of **hires** as it stood at the decision and
their outcome (1 = success), and returns a :class:`ModelCard`: the fitted parameters as plain
numbers (:class:`LearnedModel`, stored as JSON, never pickled) next to everything a person needs
to decide whether to adopt it. Scoring and explanations (:func:`explain`) run from those stored
numbers with numpy alone, so an adopted version stays recomputable whatever scikit-learn does
later.

Explanations: with standardisation ``z = (x - mu) / s``, coefficients ``beta`` and intercept
``beta0``, the logit is ``beta0 + sum_j beta_j z_j``. The **baseline** is the logit of a candidate
exactly at every bar, ``beta0 + sum_j beta_j (bar_j - mu_j) / s_j``, and competency ``j``
contributes ``beta_j (x_j - bar_j) / s_j`` (coefficient x standardized distance from the bar), so
``baseline + sum(contributions) = logit``. As in profile fit, the baseline and every contribution
are rounded to multiples of ``2**-30`` and the logit is *defined* as their sum, which makes the
identity exact with ``==``; the logit differs from the unrounded one by under ``(k + 1) * 2**-31``.
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy
import sklearn
from scipy.special import expit
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from hiring.scoring.profile import (
    DEFAULT_COVERAGE_FLOOR,
    RATING_MAX,
    RATING_MIN,
    quantize,
    validate_profile,
)
from hiring.scoring.profile_fit import (
    STATE_CANNOT_SCORE,
    STATE_INSUFFICIENT_COVERAGE,
    STATE_OK,
    ProfileFit,
)

PREDICTS = "probability of success, given hired"
MODEL_FORMAT = "hiring.learned-model"
MODEL_FORMAT_VERSION = 1
MIN_OUTCOMES = 40
MIN_PER_CLASS = 10
N_FOLDS = 5
N_BOOTSTRAP = 200
# Above this many training rows the bootstrap is linearised (see _bootstrap_coefficients).
BOOTSTRAP_REFIT_MAX_ROWS = 10_000
_BOOTSTRAP_BATCH = 25
CALIBRATION_BINS = 5
# Ten events per variable: the usual rule of thumb for a stable logistic regression, where an
# "event" is the rarer outcome.
EVENTS_PER_VARIABLE = 10
_WEIGHT_WORDS = {1: "supporting", 2: "core", 3: "critical"}

LIMITATIONS = (
    "Trained on hires only: it estimates the probability of success given hired and says nothing "
    "directly about applicants who were not hired.",
    "Ratings among hires are range-restricted (see the range-restriction table), so coefficients "
    "understate how much a competency matters across all applicants.",
    "Inputs are competency evidence only (ratings as they stood at the decision); no text, names, "
    "dates, demographics or proxies. Outcomes (probation, performance ratings) are themselves "
    "judgements by people and can carry their biases.",
    "Missing evidence is imputed with the training mean, which pulls an unassessed competency "
    "toward the average hire; such competencies are flagged in every explanation.",
    "Coefficients are associations on the standardized scale, not causal effects; correlated "
    "competencies share credit in ways that can shift between samples.",
    "Cross-validated metrics come from a small sample and vary between folds (see the per-fold "
    "figures); a small advantage over profile fit may be noise.",
    "Candidates whose evidence lies outside the training range are extrapolations and are flagged.",
    "The model advises; a person decides.",
)


class InsufficientData(ValueError):
    """Training refused: too few usable outcomes, or too few of either class."""

    def __init__(self, message: str, *, n_outcomes: int, n_successes: int, n_failures: int):
        super().__init__(message)
        self.n_outcomes = n_outcomes
        self.n_successes = n_successes
        self.n_failures = n_failures


@dataclass(frozen=True)
class LearnedModel:
    """A trained logistic model as plain numbers, scored with numpy alone.

    Vectors are aligned with ``competencies``. ``weights``/``bars``/``coverage_floor`` are the
    profile level's, used for the coverage rule and the explanation baseline. ``training_min`` and
    ``training_max`` bound the evidence seen in training (``None`` where never assessed).
    """

    competencies: tuple[str, ...]
    weights: tuple[int, ...]
    bars: tuple[int, ...]
    coverage_floor: float
    imputer_means: tuple[float, ...]
    scaler_means: tuple[float, ...]
    scaler_scales: tuple[float, ...]
    coefficients: tuple[float, ...]
    intercept: float
    training_min: tuple[float | None, ...]
    training_max: tuple[float | None, ...]
    base_rate: float
    n_train: int
    metrics: Mapping[str, Any] = field(default_factory=dict)
    library_versions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        k = len(self.competencies)
        validate_profile(
            self.competencies, self.weights, self.bars, [False] * k, self.coverage_floor
        )
        for name in (
            "imputer_means",
            "scaler_means",
            "scaler_scales",
            "coefficients",
            "training_min",
            "training_max",
        ):
            values = getattr(self, name)
            if len(values) != k:
                raise ValueError(f"{name} has {len(values)} entries for {k} competencies")
        numbers = [*self.imputer_means, *self.scaler_means, *self.coefficients, self.intercept]
        if not all(math.isfinite(float(value)) for value in numbers):
            raise ValueError("model parameters must be finite numbers")
        if not all(math.isfinite(float(s)) and float(s) > 0 for s in self.scaler_scales):
            raise ValueError("scaler scales must be positive finite numbers")

    # -- storage ---------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict holding every number scoring needs; floats round-trip exactly."""
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "predicts": PREDICTS,
            "competencies": list(self.competencies),
            "weights": [int(w) for w in self.weights],
            "bars": [int(b) for b in self.bars],
            "coverage_floor": float(self.coverage_floor),
            "imputer_means": [float(v) for v in self.imputer_means],
            "scaler_means": [float(v) for v in self.scaler_means],
            "scaler_scales": [float(v) for v in self.scaler_scales],
            "coefficients": [float(v) for v in self.coefficients],
            "intercept": float(self.intercept),
            "training_min": [None if v is None else float(v) for v in self.training_min],
            "training_max": [None if v is None else float(v) for v in self.training_max],
            "base_rate": float(self.base_rate),
            "n_train": int(self.n_train),
            "metrics": dict(self.metrics),
            "library_versions": dict(self.library_versions),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LearnedModel:
        """Rebuild from :meth:`to_json` output, or from a whole model card's JSON."""
        if "model" in data and isinstance(data["model"], Mapping):
            data = data["model"]
        if data.get("format") != MODEL_FORMAT or data.get("format_version") != MODEL_FORMAT_VERSION:
            raise ValueError("not a stored learned model of a known format version")
        try:
            return cls(
                competencies=tuple(data["competencies"]),
                weights=tuple(data["weights"]),
                bars=tuple(data["bars"]),
                coverage_floor=data["coverage_floor"],
                imputer_means=tuple(data["imputer_means"]),
                scaler_means=tuple(data["scaler_means"]),
                scaler_scales=tuple(data["scaler_scales"]),
                coefficients=tuple(data["coefficients"]),
                intercept=data["intercept"],
                training_min=tuple(data["training_min"]),
                training_max=tuple(data["training_max"]),
                base_rate=data["base_rate"],
                n_train=data["n_train"],
                metrics=data.get("metrics", {}),
                library_versions=data.get("library_versions", {}),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed stored learned model: {error}") from error

    # -- scoring ---------------------------------------------------------------------------

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "weights": np.asarray(self.weights, dtype=float),
            "bars": np.asarray(self.bars, dtype=float),
            "means": np.asarray(self.imputer_means, dtype=float),
            "scales": np.asarray(self.scaler_scales, dtype=float),
            "centres": np.asarray(self.scaler_means, dtype=float),
            "coef": np.asarray(self.coefficients, dtype=float),
        }

    def baseline(self) -> float:
        """Logit of a candidate exactly at every bar (on the ``2**-30`` grid)."""
        a = self._arrays()
        terms = a["coef"] * (a["bars"] - a["centres"]) / a["scales"]
        return float(quantize(math.fsum([float(self.intercept), *terms.tolist()])))

    def score(self, X: Any) -> dict[str, np.ndarray]:
        """Score rows of evidence (columns = ``competencies``, NaN = not assessed).

        Returns arrays: ``states`` ("ok" / "insufficient coverage" / "cannot score"),
        ``coverage``, ``imputed`` and ``outside_training_range`` (bool, per cell),
        ``contributions`` (per cell; NaN rows unless "ok"), ``logit`` and ``probability`` (NaN
        unless "ok"). A row "cannot score" when nothing is assessed or any value is not a
        finite number in 1-4; it has "insufficient coverage" below the profile's coverage floor.
        """
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(self.competencies):
            raise ValueError(f"X must have shape (n, {len(self.competencies)})")
        a = self._arrays()
        is_nan = np.isnan(X)
        in_range = np.isfinite(X) & (X >= RATING_MIN) & (X <= RATING_MAX)
        cannot = ((~is_nan) & (~in_range)).any(axis=1) | is_nan.all(axis=1)
        coverage = (a["weights"] * in_range).sum(axis=1) / a["weights"].sum()
        ok = ~cannot & (coverage >= self.coverage_floor)
        states = np.full(X.shape[0], STATE_INSUFFICIENT_COVERAGE, dtype=object)
        states[ok] = STATE_OK
        states[cannot] = STATE_CANNOT_SCORE

        filled = np.where(is_nan, a["means"], np.where(in_range, X, a["bars"]))
        contributions = quantize(a["coef"] * (filled - a["bars"]) / a["scales"])
        contributions[~ok] = np.nan
        logit = self.baseline() + contributions.sum(axis=1)
        low = np.array([-np.inf if v is None else v for v in self.training_min], dtype=float)
        high = np.array([np.inf if v is None else v for v in self.training_max], dtype=float)
        outside = in_range & ((X < low) | (X > high)) & ok[:, None]
        return {
            "states": states,
            "coverage": np.where(cannot, np.nan, coverage),
            "imputed": is_nan & ok[:, None],
            "outside_training_range": outside,
            "contributions": contributions,
            "logit": logit,
            "probability": expit(logit),
        }

    def probability(self, X: Any) -> np.ndarray:
        """Probability of success given hired, per row; NaN where the state is not "ok"."""
        return self.score(X)["probability"]


@dataclass(frozen=True)
class ModelCard:
    """Everything a person needs to judge a trained model before adopting it.

    ``cv`` holds 5-fold cross-validated AUC and Brier score (mean and per fold) for the learned
    model and for the recalibrated profile fit on the same folds, plus ``auc_gain`` (mean of the
    per-fold AUC differences, learned minus profile fit), ``auc_gain_se`` (its standard error over
    the folds) and ``brier_change`` (learned minus profile fit; negative is better).
    ``beats_profile_fit`` is True only when the AUC is higher *and* the Brier score is not worse,
    where "higher" means by more than one standard error of the paired fold differences: on data
    generated from the profile's own weights, the learned model won a bare "higher mean AUC" (with
    a Brier score no worse) on about one data set in five in our simulations, and a model adopted
    on noise would replace the transparent default for nothing (with the margin: under one in ten).
    ``calibration`` bins the out-of-fold predictions; ``coefficients`` lists the standardized
    coefficient, its bootstrap 95 % interval and the profile's weight per
    competency (``bootstrap_method`` says whether resamples were refitted or, above 10,000 rows,
    linearised); ``disagreements`` states in words where the interval lies entirely below zero
    (the profile's weights are all positive). ``range_restriction`` compares the rating spread
    among hires with that among applicants. ``metadata`` is whatever the caller passed (role,
    level, dates, sources).
    """

    model: LearnedModel
    predicts: str
    n_outcomes: int
    n_successes: int
    n_failures: int
    n_excluded_below_coverage: int
    cv: Mapping[str, Any]
    beats_profile_fit: bool
    calibration: list[dict[str, Any]]
    coefficients: list[dict[str, Any]]
    disagreements: list[str]
    range_restriction: list[dict[str, Any]]
    recommended_min_sample: int
    sample_size_warning: str | None
    warnings: list[str]
    library_versions: Mapping[str, str]
    limitations: list[str]
    random_state: int
    n_bootstrap: int
    metadata: Mapping[str, Any] = field(default_factory=dict)
    bootstrap_method: str = "refit"

    def to_json(self) -> dict[str, Any]:
        """The whole card as a JSON-able dict; ``["model"]`` is what scoring needs."""
        return {
            "model": self.model.to_json(),
            "predicts": self.predicts,
            "n_outcomes": self.n_outcomes,
            "n_successes": self.n_successes,
            "n_failures": self.n_failures,
            "n_excluded_below_coverage": self.n_excluded_below_coverage,
            "cv": dict(self.cv),
            "beats_profile_fit": self.beats_profile_fit,
            "calibration": list(self.calibration),
            "coefficients": list(self.coefficients),
            "disagreements": list(self.disagreements),
            "range_restriction": list(self.range_restriction),
            "recommended_min_sample": self.recommended_min_sample,
            "sample_size_warning": self.sample_size_warning,
            "warnings": list(self.warnings),
            "library_versions": dict(self.library_versions),
            "limitations": list(self.limitations),
            "random_state": self.random_state,
            "n_bootstrap": self.n_bootstrap,
            "metadata": dict(self.metadata),
            "bootstrap_method": self.bootstrap_method,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelCard:
        """Rebuild a card stored with :meth:`to_json`."""
        values = dict(data)
        values["model"] = LearnedModel.from_json(values["model"])
        return cls(**values)


def learned_pipeline(random_state: int = 0) -> Pipeline:
    """The learned model's pipeline: mean imputation, standardization, logistic regression.

    No missing-indicator features (they would let the model learn from *which* interviews
    happened); empty columns are kept (imputed as 0, then constant) so coefficients stay aligned
    with the competencies.
    """
    return Pipeline(
        [
            ("impute", SimpleImputer(strategy="mean", keep_empty_features=True)),
            ("standardize", StandardScaler()),
            ("logistic", _logistic(random_state)),
        ]
    )


def _logistic(random_state: int) -> LogisticRegression:
    # The default L2 penalty (C=1) with the Newton-Cholesky solver: the same optimum as lbfgs,
    # reached in a handful of iterations, which keeps training on 50,000 rows within seconds.
    return LogisticRegression(random_state=random_state, max_iter=1000, solver="newton-cholesky")


def recalibrated_profile_fit(profile: ProfileFit, random_state: int = 0) -> Pipeline:
    """The baseline a learned model must beat: profile fit mapped to a probability."""
    return Pipeline(
        [
            ("profile_fit", clone(profile)),
            ("logistic", _logistic(random_state)),
        ]
    )


def _check_evidence(X: np.ndarray, k: int, name: str) -> np.ndarray:
    if X.ndim != 2 or X.shape[1] != k:
        raise ValueError(f"{name} must have shape (n, {k})")
    bad = ~np.isnan(X) & ~(np.isfinite(X) & (X >= RATING_MIN) & (X <= RATING_MAX))
    if bad.any():
        rows = sorted({int(i) for i in np.nonzero(bad)[0]})
        raise ValueError(f"{name} rows {rows[:10]} hold evidence that is not a rating mean in 1-4")
    return X


def _sd(values: np.ndarray) -> float | None:
    values = values[~np.isnan(values)]
    return float(np.std(values, ddof=1)) if values.size >= 2 else None


def _calibration_table(predicted: np.ndarray, y: np.ndarray) -> list[dict[str, Any]]:
    # Equal-count bins over the sorted predictions (stable sort: deterministic with ties).
    order = np.argsort(predicted, kind="stable")
    table = []
    for i, idx in enumerate(np.array_split(order, CALIBRATION_BINS)):
        if idx.size == 0:
            continue
        table.append(
            {
                "bin": i + 1,
                "n": int(idx.size),
                "predicted_min": float(predicted[idx].min()),
                "predicted_max": float(predicted[idx].max()),
                "predicted_mean": float(predicted[idx].mean()),
                "observed_rate": float(y[idx].mean()),
            }
        )
    return table


def _cross_validate(
    X: np.ndarray, y: np.ndarray, profile: ProfileFit, random_state: int
) -> tuple[dict[str, Any], np.ndarray]:
    folds = StratifiedKFold(n_splits=N_FOLDS, shuffle=True, random_state=random_state)
    candidates = {
        "learned": learned_pipeline(random_state),
        "profile_fit": recalibrated_profile_fit(profile, random_state),
    }
    per_fold: dict[str, dict[str, list[float]]] = {
        name: {"auc": [], "brier": []} for name in candidates
    }
    out_of_fold = np.full(y.shape[0], np.nan)
    for train, test in folds.split(X, y):
        for name, pipeline in candidates.items():
            fitted = clone(pipeline).fit(X[train], y[train])
            predicted = fitted.predict_proba(X[test])[:, 1]
            per_fold[name]["auc"].append(float(roc_auc_score(y[test], predicted)))
            per_fold[name]["brier"].append(float(brier_score_loss(y[test], predicted)))
            if name == "learned":
                out_of_fold[test] = predicted
    summary: dict[str, Any] = {"folds": N_FOLDS, "random_state": random_state}
    for name, metrics in per_fold.items():
        summary[name] = {
            "auc": float(np.mean(metrics["auc"])),
            "brier": float(np.mean(metrics["brier"])),
            "auc_folds": metrics["auc"],
            "brier_folds": metrics["brier"],
        }
    # Paired over folds: both models saw the same training and test rows in each fold.
    gains = np.subtract(per_fold["learned"]["auc"], per_fold["profile_fit"]["auc"])
    summary["auc_gain"] = float(gains.mean())
    summary["auc_gain_se"] = float(gains.std(ddof=1) / math.sqrt(gains.size))
    summary["brier_change"] = summary["learned"]["brier"] - summary["profile_fit"]["brier"]
    return summary, out_of_fold


def _penalized_logistic(
    Z: np.ndarray, y: np.ndarray, c: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Minimise ``sum_i c_i logloss_i + ||w||^2 / 2`` (intercept unpenalised) by Newton's method.

    This is :class:`LogisticRegression`'s objective (L2, C=1) with sample weights ``c``, i.e.
    with rows repeated ``c`` times. Returns ``[intercept, *coefficients]``.
    """
    Z1 = np.hstack([np.ones((Z.shape[0], 1)), Z])
    penalty = np.ones(Z1.shape[1])
    penalty[0] = 0.0
    cy = c * y

    def objective(theta: np.ndarray) -> float:
        eta = Z1 @ theta
        return float(c @ np.logaddexp(0.0, eta) - cy @ eta + 0.5 * penalty @ theta**2)

    theta = start.astype(float).copy()
    value = objective(theta)
    for _ in range(100):
        p = expit(Z1 @ theta)
        gradient = Z1.T @ (c * p - cy) + penalty * theta
        hessian = (Z1 * (c * p * (1.0 - p))[:, None]).T @ Z1 + np.diag(penalty)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        size = 1.0
        for _ in range(40):  # backtracking: Newton from a good start rarely needs it
            candidate = theta - size * step
            new_value = objective(candidate)
            if new_value <= value + 1e-12 * max(1.0, abs(value)):
                break
            size /= 2
        theta, value = candidate, new_value
        if np.max(np.abs(size * step)) < 1e-10:
            break
    return theta


def _weighted_standardized(
    X: np.ndarray, observed: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """The pipeline's mean imputation and standardization, fitted on rows repeated ``c`` times."""
    X0 = np.where(observed, X, 0.0)
    seen = (c[:, None] * observed).sum(axis=0)
    # keep_empty_features=True: a column never observed is imputed with 0 (then constant).
    means = np.divide((c[:, None] * X0).sum(axis=0), seen, out=np.zeros(X.shape[1]),
                      where=seen > 0)
    filled = np.where(observed, X, means)
    total = c.sum()
    centre = (c[:, None] * filled).sum(axis=0) / total
    variance = (c[:, None] * (filled - centre) ** 2).sum(axis=0) / total
    scale = np.sqrt(variance)
    # StandardScaler leaves (near-)constant columns unscaled.
    scale[scale < 10 * np.finfo(float).eps] = 1.0
    return (filled - centre) / scale


def _bootstrap_coefficients(
    X: np.ndarray,
    y: np.ndarray,
    random_state: int,
    n_bootstrap: int,
    final: Pipeline,
) -> tuple[np.ndarray, str]:
    """Coefficient draws over bootstrap resamples of the training rows, and the method used.

    Up to :data:`BOOTSTRAP_REFIT_MAX_ROWS` rows, every resample is refitted: imputation,
    standardization and the penalised logistic regression, exactly the pipeline's objective
    (solved by Newton's method, warm-started at the full-sample fit). Above it, each resample's
    coefficients are one Newton step from the full-sample fit using the full-sample curvature
    (the linearised bootstrap): at that size the two agree to a small fraction of the interval
    width, and training stays within seconds.
    """
    rng = np.random.default_rng(random_state)
    n = y.shape[0]
    y = y.astype(float)
    logistic = final.named_steps["logistic"]
    theta_hat = np.concatenate([logistic.intercept_, logistic.coef_[0]])
    linearised = n > BOOTSTRAP_REFIT_MAX_ROWS
    if linearised:
        Z = final[:-1].transform(X)
        Z1 = np.hstack([np.ones((n, 1)), Z])
        p = expit(Z1 @ theta_hat)
        scores = Z1 * (p - y)[:, None]
        penalty = np.ones(Z1.shape[1])
        penalty[0] = 0.0
        inverse = np.linalg.pinv((Z1 * (p * (1.0 - p))[:, None]).T @ Z1 + np.diag(penalty))
    else:
        observed = ~np.isnan(X)
    draws: list[np.ndarray] = []
    pending: list[np.ndarray] = []  # linearised: resample counts, multiplied in batches

    def flush() -> None:
        # The full-sample gradient is zero at the fit, so a resample's is sum_i (c_i - 1) s_i;
        # one matrix product per batch instead of one per resample.
        gradients = (np.vstack(pending) - 1.0) @ scores
        draws.extend((theta_hat - gradients @ inverse.T)[:, 1:])
        pending.clear()

    attempts = 0
    while len(draws) + len(pending) < n_bootstrap:
        attempts += 1
        if attempts > 10 * n_bootstrap:
            raise RuntimeError("bootstrap kept drawing samples with a single outcome class")
        idx = rng.integers(0, n, n)
        # A resample with one class cannot be fitted; with >= 10 of each class this is rare.
        successes = int(y[idx].sum())
        if successes in (0, n):
            continue
        counts = np.bincount(idx, minlength=n).astype(float)
        if linearised:
            pending.append(counts)
            if len(pending) == _BOOTSTRAP_BATCH:
                flush()
            continue
        used = counts > 0
        Z = _weighted_standardized(X[used], observed[used], counts[used])
        draws.append(_penalized_logistic(Z, y[used], counts[used], theta_hat)[1:])
    if pending:
        flush()
    method = "linearised" if linearised else "refit"
    return np.asarray(draws), method


def train_model(
    X: Any,
    y: Any,
    competencies: Sequence[str],
    weights: Sequence[int],
    bars: Sequence[int],
    *,
    applicants: Any = None,
    coverage_floor: float = DEFAULT_COVERAGE_FLOOR,
    random_state: int = 0,
    n_bootstrap: int = N_BOOTSTRAP,
    metadata: Mapping[str, Any] | None = None,
) -> ModelCard:
    """Train the learned model on hires' outcomes and build its model card.

    ``X``: evidence of hires at the decision (rows = hires, columns = ``competencies``, NaN = not
    assessed, values 1-4); ``y``: 1 = success (passed probation, or a rating of 3+ where no
    probation result exists), 0 = not. ``applicants`` (optional, same columns): evidence of all
    applicants of the same role, for the range-restriction table.

    Rows below ``coverage_floor`` are left out and counted. Raises :class:`InsufficientData` when
    fewer than 40 outcomes, or fewer than 10 of either class, remain; ``ValueError`` for evidence
    outside 1-4 or labels other than 0/1. Deterministic for a given ``random_state``.

    BLAS runs on one thread meanwhile: the matrices are narrow (one column per competency), so
    threads buy little, and on a busy host (several gunicorn workers) they cost several times
    the work.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _train_model(
            X, y, competencies, weights, bars, applicants=applicants,
            coverage_floor=coverage_floor, random_state=random_state, n_bootstrap=n_bootstrap,
            metadata=metadata,
        )


def _train_model(
    X: Any,
    y: Any,
    competencies: Sequence[str],
    weights: Sequence[int],
    bars: Sequence[int],
    *,
    applicants: Any,
    coverage_floor: float,
    random_state: int,
    n_bootstrap: int,
    metadata: Mapping[str, Any] | None,
) -> ModelCard:
    competencies = tuple(competencies)
    weights = tuple(int(w) for w in weights)
    bars = tuple(int(b) for b in bars)
    k = len(competencies)
    validate_profile(competencies, weights, bars, [False] * k, coverage_floor)
    X = _check_evidence(np.asarray(X, dtype=float), k, "X")
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError("y must have one outcome per row of X")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("outcomes must be 0 (not successful) or 1 (successful)")
    y = y.astype(int)
    if n_bootstrap < 1:
        raise ValueError("n_bootstrap must be at least 1")

    profile = ProfileFit(
        competencies=competencies,
        weights=weights,
        bars=bars,
        must_have=(False,) * k,
        coverage_floor=coverage_floor,
    ).fit(X)
    keep = profile.states(X) == STATE_OK
    excluded = int((~keep).sum())
    X, y = X[keep], y[keep]
    n, successes = int(y.shape[0]), int(y.sum())
    failures = n - successes
    if n < MIN_OUTCOMES or min(successes, failures) < MIN_PER_CLASS:
        raise InsufficientData(
            f"training needs at least {MIN_OUTCOMES} outcomes with at least {MIN_PER_CLASS} of "
            f"each class; there are {n} usable ({successes} successes, {failures} not), "
            f"{excluded} left out below the coverage floor",
            n_outcomes=n,
            n_successes=successes,
            n_failures=failures,
        )

    cv, out_of_fold = _cross_validate(X, y, profile, random_state)
    beats = cv["auc_gain"] > cv["auc_gain_se"] and cv["brier_change"] <= 0

    final = learned_pipeline(random_state).fit(X, y)
    imputer = final.named_steps["impute"]
    scaler = final.named_steps["standardize"]
    logistic = final.named_steps["logistic"]
    coef = logistic.coef_[0]
    draws, bootstrap_method = _bootstrap_coefficients(X, y, random_state, n_bootstrap, final)
    lower, upper = np.percentile(draws, [2.5, 97.5], axis=0)

    coefficients = []
    disagreements = []
    for j, key in enumerate(competencies):
        coefficients.append(
            {
                "competency": key,
                "coefficient": float(coef[j]),
                "interval": [float(lower[j]), float(upper[j])],
                "profile_weight": weights[j],
            }
        )
        if upper[j] < 0:
            disagreements.append(
                f"{key}: the profile counts higher ratings as better (weight {weights[j]}, "
                f"{_WEIGHT_WORDS[weights[j]]}), but among these hires higher ratings went with "
                f"less success (coefficient {coef[j]:+.2f} per standard deviation, 95 % interval "
                f"{lower[j]:+.2f} to {upper[j]:+.2f})."
            )

    warnings_ = []
    never = [key for j, key in enumerate(competencies) if np.isnan(X[:, j]).all()]
    if never:
        warnings_.append(
            f"Never assessed among the training hires, so the model gives them no weight: "
            f"{', '.join(never)}."
        )
    applicant_matrix = None
    if applicants is not None:
        applicant_matrix = _check_evidence(np.asarray(applicants, dtype=float), k, "applicants")
    range_restriction = []
    for j, key in enumerate(competencies):
        sd_hires = _sd(X[:, j])
        sd_applicants = None if applicant_matrix is None else _sd(applicant_matrix[:, j])
        ratio = (
            sd_hires / sd_applicants
            if sd_hires is not None and sd_applicants is not None and sd_applicants > 0
            else None
        )
        range_restriction.append(
            {
                "competency": key,
                "sd_hires": sd_hires,
                "sd_applicants": sd_applicants,
                "ratio": ratio,
            }
        )

    minority_share = min(successes, failures) / n
    recommended = math.ceil(EVENTS_PER_VARIABLE * k / minority_share)
    sample_warning = None
    if n < recommended:
        sample_warning = (
            f"{n} outcomes is below the recommended {recommended} for {k} competencies "
            f"({EVENTS_PER_VARIABLE} of the rarer outcome per competency); coefficients and "
            "metrics will be unstable."
        )

    training_min = [
        None if np.isnan(X[:, j]).all() else float(np.nanmin(X[:, j])) for j in range(k)
    ]
    training_max = [
        None if np.isnan(X[:, j]).all() else float(np.nanmax(X[:, j])) for j in range(k)
    ]
    versions = {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }
    model = LearnedModel(
        competencies=competencies,
        weights=weights,
        bars=bars,
        coverage_floor=coverage_floor,
        imputer_means=tuple(float(v) for v in imputer.statistics_),
        scaler_means=tuple(float(v) for v in scaler.mean_),
        scaler_scales=tuple(float(v) for v in scaler.scale_),
        coefficients=tuple(float(v) for v in coef),
        intercept=float(logistic.intercept_[0]),
        training_min=tuple(training_min),
        training_max=tuple(training_max),
        base_rate=successes / n,
        n_train=n,
        metrics={
            "cv_auc": cv["learned"]["auc"],
            "cv_brier": cv["learned"]["brier"],
            "profile_fit_cv_auc": cv["profile_fit"]["auc"],
            "profile_fit_cv_brier": cv["profile_fit"]["brier"],
            "auc_gain": cv["auc_gain"],
            "auc_gain_se": cv["auc_gain_se"],
            "brier_change": cv["brier_change"],
            "beats_profile_fit": beats,
        },
        library_versions=versions,
    )
    return ModelCard(
        model=model,
        predicts=PREDICTS,
        n_outcomes=n,
        n_successes=successes,
        n_failures=failures,
        n_excluded_below_coverage=excluded,
        cv=cv,
        beats_profile_fit=beats,
        calibration=_calibration_table(out_of_fold, y),
        coefficients=coefficients,
        disagreements=disagreements,
        range_restriction=range_restriction,
        recommended_min_sample=recommended,
        sample_size_warning=sample_warning,
        warnings=warnings_,
        library_versions=versions,
        limitations=list(LIMITATIONS),
        random_state=random_state,
        n_bootstrap=n_bootstrap,
        metadata=dict(metadata or {}),
        bootstrap_method=bootstrap_method,
    )


def _as_row(model: LearnedModel, x: Any) -> np.ndarray | None:
    """Evidence for one candidate -> a row in model order; None when it cannot be read."""
    k = len(model.competencies)
    try:
        if isinstance(x, Mapping):
            row = np.full(k, np.nan)
            for j, key in enumerate(model.competencies):
                value = x.get(key)
                if value is None:
                    continue
                row[j] = float(value[0]) if isinstance(value, tuple | list) else float(value)
            return row
        row = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return None
    return row if row.shape == (k,) else None


def explain(model_json: Mapping[str, Any] | LearnedModel, x: Any) -> dict[str, Any]:
    """Score and explain one candidate with a stored learned model.

    ``model_json`` is :meth:`LearnedModel.to_json` or :meth:`ModelCard.to_json` output (or the
    model itself). ``x`` is the candidate's evidence: a mapping ``competency -> mean`` (or
    ``-> (mean, n[, variance])`` as for profile fit; missing/``None`` = not assessed) or a
    sequence in the model's competency order with NaN for "not assessed".

    Returns a dict with ``state``; when it is "ok": ``probability`` (of success given hired),
    ``logit``, ``baseline`` (logit of a candidate exactly at the bar profile),
    ``baseline_probability``, ``base_rate`` (success rate in training), ``contributions``
    (competency -> coefficient x standardized distance from the bar, in model order), with
    ``baseline + sum(contributions.values()) == logit`` exactly; ``imputed`` (unassessed
    competencies filled with the training mean) and ``outside_training_range`` (evidence beyond
    what training saw). Anything unreadable, non-finite or outside 1-4, or nothing assessed,
    gives "cannot score"; coverage below the floor gives "insufficient coverage". Deterministic.
    """
    model = (
        model_json if isinstance(model_json, LearnedModel) else LearnedModel.from_json(model_json)
    )
    result: dict[str, Any] = {
        "state": STATE_CANNOT_SCORE,
        "predicts": PREDICTS,
        "base_rate": model.base_rate,
        "baseline": model.baseline(),
        "baseline_probability": float(expit(model.baseline())),
        "probability": None,
        "logit": None,
        "contributions": {},
        "imputed": [],
        "outside_training_range": [],
        "coverage": None,
        "reason": None,
    }
    row = _as_row(model, x)
    if row is None:
        result["reason"] = (
            f"evidence must give a number for each of {len(model.competencies)} competencies"
        )
        return result
    scored = model.score(row[None, :])
    state = str(scored["states"][0])
    result["state"] = state
    coverage = float(scored["coverage"][0])
    result["coverage"] = None if math.isnan(coverage) else coverage
    if state == STATE_CANNOT_SCORE:
        result["reason"] = "evidence must be rating means in 1-4, with at least one assessed"
        return result
    if state == STATE_INSUFFICIENT_COVERAGE:
        result["reason"] = (
            f"{coverage:.0%} of the profile's weight assessed; "
            f"at least {model.coverage_floor:.0%} is needed for a score"
        )
        return result
    keys = model.competencies
    result.update(
        probability=float(scored["probability"][0]),
        logit=float(scored["logit"][0]),
        contributions={key: float(scored["contributions"][0, j]) for j, key in enumerate(keys)},
        imputed=[key for j, key in enumerate(keys) if scored["imputed"][0, j]],
        outside_training_range=[
            key for j, key in enumerate(keys) if scored["outside_training_range"][0, j]
        ],
    )
    return result
