"""Learned-model figures (issue 9, item 7). Run: ``.venv/bin/python benchmarks/model.py``.

On a throwaway SQLite database with the real question bank (data scientist, mid level: twelve
competencies), history generated from a known logistic model:

1. training on 50,000 hired history rows with outcomes (target under 3 s): the pure
   ``train_model`` (5-fold cross-validation of the model and of the recalibrated profile fit,
   the final fit, 200 bootstrap resamples, the card) and the whole ``model train`` operation
   (reading the rows from the database, training, storing the card);
2. scoring 100,000 rows (target under 1 s): ``LearnedModel.score`` on the matrix, and the whole
   ``model score`` operation (parse the CSV, score, write CSV with every number at full
   precision);
3. baselines measured in the same run, for ratios: one fit of the scikit-learn pipeline on the
   same 50,000 rows, and its ``predict_proba`` on the same 100,000 rows.

Each figure is the median of ``--repeat`` runs. The load average is printed: other work on the
machine skews every figure.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

from hiring import PROJECT_ROOT, create_app  # noqa: E402
from hiring import db as database  # noqa: E402
from hiring.operations import learned as ops  # noqa: E402
from hiring.scoring import learned_pipeline, train_model  # noqa: E402

ROLE, LEVEL = "data-scientist", "mid"


def _median(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _simulate(n: int, keys: list[str], seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    beta = np.linspace(-0.6, 1.4, len(keys))
    latent = rng.normal(2.8, 0.6, (n, len(keys)))
    X = np.clip(np.round((latent + rng.normal(0, 0.4, latent.shape)) * 2) / 2, 1, 4)
    y = (rng.random(n) < expit(0.3 + (X - 2.8) @ beta)).astype(int)
    X[rng.random(X.shape) < 0.05] = np.nan
    return X, y


def _csv(X: np.ndarray, y: np.ndarray | None, keys: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["candidate", "role", "level", "hired", "outcome", *keys])
    for i in range(X.shape[0]):
        writer.writerow([f"c{i}", ROLE, LEVEL, 1, "" if y is None else int(y[i]),
                         *["" if np.isnan(v) else f"{v:g}" for v in X[i]]])
    return out.getvalue().encode()


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=50_000)
    parser.add_argument("--score-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")

    with tempfile.TemporaryDirectory(prefix="hiring-bench-model-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        database.upgrade(url)
        app = create_app({"HIRING_ENV": "test", "TESTING": True, "INSTANCE_PATH": tmp,
                          "SECRET_KEY": "benchmark-secret-key-long-enough-to-pass",
                          "DATABASE_URL": url})
        with app.app_context():
            from hiring.operations.bank import load_bank
            from hiring.question_bank import read_bank

            with database.write_session() as session:
                load_bank(session, read_bank(PROJECT_ROOT / "question_bank"))
            with database.read_session() as session:
                _, level = ops.current_level(session, ROLE, LEVEL)
            keys = list(level.competencies)
            weights = [level.weights[k] for k in keys]
            bars = [level.bars[k] for k in keys]
            X, y = _simulate(args.train_rows, keys, seed=1)
            X_score, _ = _simulate(args.score_rows, keys, seed=2)

            started = time.perf_counter()
            with database.write_session() as session:
                ops.import_history(session, _csv(X, y, keys), filename="bench.csv")
            import_s = time.perf_counter() - started

            pure_train, card = _median(
                lambda: train_model(X, y, keys, weights, bars, n_bootstrap=200), args.repeat)

            def train_op() -> object:
                with database.write_session() as session:
                    return ops.train(session, ROLE, level=LEVEL).version

            op_train, _ = _median(train_op, args.repeat)
            base_train, fitted = _median(lambda: learned_pipeline(0).fit(X, y), args.repeat)

            model = card.model  # type: ignore[attr-defined]
            pure_score, _ = _median(lambda: model.score(X_score), args.repeat)
            base_score, _ = _median(lambda: fitted.predict_proba(  # type: ignore[attr-defined]
                np.where(np.isnan(X_score), np.nan, X_score)), args.repeat)
            score_csv = _csv(X_score, None, keys)

            def score_op() -> str:
                with database.read_session() as session:
                    return ops.score_file(session, ROLE, score_csv, version=1)

            op_score, text = _median(score_op, args.repeat)
            lines = str(text).count("\n") - 1

    n, k = args.train_rows, len(keys)
    print(f"history import of {n:,} rows ({k} competencies): {import_s:.2f} s (once)")
    print(f"train_model on {n:,} rows: {pure_train:.2f} s (target < 3 s); "
          f"bootstrap {card.bootstrap_method}; "  # type: ignore[attr-defined]
          f"{pure_train / base_train:.1f}x one pipeline fit ({base_train:.3f} s)")
    print(f"model train operation (read rows + train + store card): {op_train:.2f} s "
          f"(target < 3 s)")
    print(f"LearnedModel.score on {args.score_rows:,} rows: {pure_score:.3f} s (target < 1 s); "
          f"{pure_score / base_score:.2f}x scikit-learn predict_proba ({base_score:.3f} s)")
    print(f"model score operation (parse CSV + score + write {lines:,} CSV rows): "
          f"{op_score:.2f} s")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
