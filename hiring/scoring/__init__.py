"""Candidate scoring: plain data in, plain data out (no Flask, no database, no session).

* :class:`ProfileFit` / :func:`profile_fit`: the default score from the role profile's own
  weights and bars, with coverage, must-have states, exact contributions and an uncertainty band;
* :class:`PooledError`, :func:`distinguishable`, :func:`rank`: bands from pooled rating error and
  a ranking that does not pretend to more precision than the evidence has;
* :func:`train_model`, :class:`ModelCard`, :class:`LearnedModel`, :func:`explain`: the optional
  learned logistic model, its card and its explanations (stored as JSON, never pickled);
* :func:`counterfactual_must_have`: the smallest change that would flip the must-have status.
"""

from hiring.scoring.band import (
    PRIOR_VARIANCE,
    UNASSESSED_VARIANCE,
    PooledError,
    RankEntry,
    distinguishable,
    rank,
)
from hiring.scoring.counterfactual import Counterfactual, counterfactual_must_have
from hiring.scoring.features import evidence_from_ratings, evidence_matrix
from hiring.scoring.learned import (
    InsufficientData,
    LearnedModel,
    ModelCard,
    explain,
    learned_pipeline,
    recalibrated_profile_fit,
    train_model,
)
from hiring.scoring.profile import LevelProfile, to_0_100
from hiring.scoring.profile_fit import (
    MUST_HAVE_MARGIN,
    MUST_HAVE_MET,
    MUST_HAVE_NOT_MET,
    MUST_HAVE_UNCLEAR,
    SCORING_VERSION,
    STATE_CANNOT_SCORE,
    STATE_INSUFFICIENT_COVERAGE,
    STATE_OK,
    FitResult,
    ProfileFit,
    input_hash,
    profile_fit,
)

__all__ = [
    "MUST_HAVE_MARGIN",
    "MUST_HAVE_MET",
    "MUST_HAVE_NOT_MET",
    "MUST_HAVE_UNCLEAR",
    "PRIOR_VARIANCE",
    "SCORING_VERSION",
    "STATE_CANNOT_SCORE",
    "STATE_INSUFFICIENT_COVERAGE",
    "STATE_OK",
    "UNASSESSED_VARIANCE",
    "Counterfactual",
    "FitResult",
    "InsufficientData",
    "LearnedModel",
    "LevelProfile",
    "ModelCard",
    "PooledError",
    "ProfileFit",
    "RankEntry",
    "counterfactual_must_have",
    "distinguishable",
    "evidence_from_ratings",
    "evidence_matrix",
    "explain",
    "input_hash",
    "learned_pipeline",
    "profile_fit",
    "rank",
    "recalibrated_profile_fit",
    "to_0_100",
    "train_model",
]
