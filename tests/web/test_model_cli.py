"""The learned model end to end: history import, training, the card, adoption, bulk scoring.

History is generated from a known true logistic model (seeded), so the tests can compare what
training recovers with the truth: coefficient signs and order, and held-out AUC against the best
AUC the true model itself reaches.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import roc_auc_score
from sqlalchemy import event, func, select, update

from hiring import db as database
from hiring.history_csv import DEMOGRAPHIC_COLUMNS
from hiring.models import (
    AuditEvent,
    CompetencyRating,
    HistoryBatch,
    HistoryDemographics,
    HistoryRow,
    ModelVersion,
    Score,
)
from hiring.operations import learned as ops
from hiring.scoring import explain
from tests.conftest import PASSWORD, Factory, login

ROLE = "data-scientist"
FLAT_ROLE = "ml-engineer"  # a role whose truth is its own profile
KEYS = ("comp-a", "comp-b", "comp-c", "comp-d")
OTHER_KEY = "comp-other"  # a competency of FLAT_ROLE only
TRUE_INTERCEPT = 0.4
TRUE_BETA = (1.5, 0.8, 0.0, -0.7)  # per rating point, around 2.75
CENTRE = 2.75
FLAT_WEIGHTS = (3, 2, 1, 1)


# ---------------------------------------------------------------------------- data


def simulate(n: int, seed: int, beta: tuple[float, ...] = TRUE_BETA, *,
             missing: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evidence (means of two whole ratings), true success probabilities and outcomes."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(CENTRE, 0.6, size=(n, len(beta)))
    first = np.clip(np.round(latent + rng.normal(0, 0.45, latent.shape)), 1, 4)
    second = np.clip(np.round(latent + rng.normal(0, 0.45, latent.shape)), 1, 4)
    X = (first + second) / 2
    p = expit(TRUE_INTERCEPT + (X - CENTRE) @ np.asarray(beta, dtype=float))
    y = (rng.random(n) < p).astype(int)
    if missing:
        X[rng.random(X.shape) < missing] = np.nan
    return X, p, y


def history_csv(X: np.ndarray, y: np.ndarray | None, *, role: str = ROLE,
                hired: np.ndarray | None = None, demographics: bool = True,
                keys: tuple[str, ...] = KEYS, prefix: str = "c", bom: bool = False) -> bytes:
    """A history file in the issue's format."""
    rng = np.random.default_rng(7)
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["candidate", "role", "level", "hired", "outcome", *keys]
    if demographics:
        header += ["sex", "race_ethnicity"]
    writer.writerow(header)
    for i in range(X.shape[0]):
        is_hired = True if hired is None else bool(hired[i])
        outcome = "" if y is None or not is_hired else str(int(y[i]))
        row = [f"{prefix}{i:05d}", role, "mid", "1" if is_hired else "0", outcome]
        row += ["" if np.isnan(v) else f"{v:g}" for v in X[i]]
        if demographics:
            row += [str(rng.choice(["female", "male", "non-binary", ""])),
                    str(rng.choice(["group-1", "group-2", ""]))]
        writer.writerow(row)
    text = out.getvalue()
    return ("\ufeff" + text if bom else text).encode()


@pytest.fixture
def roles(app: Any) -> dict[str, Any]:
    """Two role profiles: ROLE (equal weights, truth differs) and FLAT_ROLE (truth = profile)."""
    with app.app_context():
        session = database.get_database(app).session(write=True)
        make = Factory(session)
        competencies = [make.competency(key) for key in KEYS]
        other = make.competency(OTHER_KEY)
        main = make.profile([(c, 2, 3, False) for c in competencies], key=ROLE)
        flat = make.profile([(c, w, 3, False) for c, w in zip(competencies, FLAT_WEIGHTS,
                                                                 strict=True)]
                            + [(other, 1, 2, False)], key=FLAT_ROLE)
        session.commit()
        ids = {"main": main.id, "flat": flat.id,
               "competencies": {c.key: c.id for c in [*competencies, other]}}
        session.close()
    return ids


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def import_file(app: Any, tmp_path: Path, data: bytes, name: str = "history.csv") -> Any:
    return cli(app, "history", "import", write(tmp_path, name, data))


def train_cli(app: Any, role: str = ROLE) -> tuple[Any, int | None]:
    result = cli(app, "model", "train", role)
    match = re.search(r"^Version: (\d+)$", result.output, re.MULTILINE)
    return result, int(match.group(1)) if match else None


def show_json(app: Any, role: str = ROLE, *extra: str) -> dict[str, Any]:
    result = cli(app, "model", "show", role, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def trained(app: Any, tmp_path: Path, roles: dict[str, Any]) -> dict[str, Any]:
    """ROLE trained on 700 hires (plus 300 not hired) from the true model."""
    X, _, y = simulate(1000, seed=11, missing=0.03)
    hired = np.arange(1000) < 700
    result = import_file(app, tmp_path, history_csv(X, y, hired=hired))
    assert result.exit_code == 0, result.output
    result, version = train_cli(app)
    assert result.exit_code == 0, result.output
    return {"version": version, "output": result.output}


def session_of(app: Any) -> Any:
    return database.get_database(app).session(write=True)


# ---------------------------------------------------------------------------- import


def test_history_import_appends_a_batch_and_keeps_self_identification_apart(
        app: Any, tmp_path: Path, roles: dict[str, Any]) -> None:
    X, _, y = simulate(50, seed=1)
    result = import_file(app, tmp_path, history_csv(X, y, bom=True))

    assert result.exit_code == 0, result.output
    assert "Imported 50 rows" in result.output
    assert "history batch 1" in result.output
    with app.app_context():
        session = session_of(app)
        rows = session.scalars(select(HistoryRow).order_by(HistoryRow.id)).all()
        demographics = session.scalars(select(HistoryDemographics)).all()
        session.close()
    assert len(rows) == 50
    assert rows[0].label == "c00000"
    assert rows[0].hired
    assert rows[0].outcome == bool(y[0])
    assert set(rows[0].ratings) == set(KEYS)
    assert rows[0].ratings["comp-a"] == X[0, 0]
    for row in rows:  # self-identification is never stored with the ratings
        assert not set(row.ratings) & set(DEMOGRAPHIC_COLUMNS)
    assert demographics
    assert {d.sex for d in demographics} <= {"female", "male", "non-binary",
                                                              None}


def test_history_labels_may_repeat_across_batches(app: Any, tmp_path: Path,
                                                  roles: dict[str, Any]) -> None:
    X, _, y = simulate(20, seed=2)
    data = history_csv(X, y)

    first = import_file(app, tmp_path, data)
    second = import_file(app, tmp_path, data)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "history batch 2" in second.output
    assert "already imported as batch(es) 1" in second.stderr
    with app.app_context():
        session = session_of(app)
        assert session.scalar(select(func.count(HistoryBatch.id))) == 2
        assert session.scalar(select(func.count(HistoryRow.id))) == 40
        session.close()


def test_history_import_is_all_or_none_and_names_every_bad_row(
        app: Any, tmp_path: Path, roles: dict[str, Any]) -> None:
    lines = [
        "candidate,role,level,hired,outcome,comp-a,comp-b,comp-other",
        "ok-1,data-scientist,mid,1,1,3,2.5,",
        "r2,data-analyst,mid,1,1,3,3,",  # unknown role
        "r3,data-scientist,mid,1,0,4.5,3,",  # rating out of range
        "r4,data-scientist,mid,0,1,3,3,",  # outcome on a row not hired
        "ok-1,data-scientist,mid,1,1,3,3,",  # duplicate label
        "r6,data-scientist,mid,yes,,3,3,",  # bad hired value
        "r7,data-scientist,mid,1,2,3,3,",  # bad outcome value
        "r8,data-scientist,mid,1,1,3,3,2",  # competency of another role
        "r9,data-scientist,principal,1,1,three,3,",  # bad level and non-numeric rating
    ]
    result = import_file(app, tmp_path, ("\n".join(lines) + "\n").encode())

    assert result.exit_code != 0
    expected = [("Row 2", "role"), ("Row 3", "comp-a"), ("Row 4", "outcome"),
                ("Row 5", "candidate"), ("Row 6", "hired"), ("Row 7", "outcome"),
                ("Row 8", "comp-other"), ("Row 9", "level"), ("Row 9", "comp-a")]
    for row, column in expected:
        assert f"{row}, column {column}:" in result.stderr, (row, column, result.stderr)
    assert "Row 1," not in result.stderr
    assert "out of range" in result.stderr
    assert "not hired" in result.stderr
    assert "nothing was imported" in result.stderr
    with app.app_context():
        session = session_of(app)
        assert session.scalar(select(func.count(HistoryRow.id))) == 0
        assert session.scalar(select(func.count(HistoryBatch.id))) == 0
        session.close()


def test_history_header_names_are_case_sensitive_and_unknown_columns_refused(
        app: Any, tmp_path: Path, roles: dict[str, Any]) -> None:
    data = b"Candidate,role,level,hired,comp-a,comp-zz\nx,data-scientist,mid,0,3,2\n"

    result = import_file(app, tmp_path, data)

    assert result.exit_code != 0
    assert "write 'candidate'" in result.stderr
    assert "unknown column 'comp-zz'" in result.stderr
    assert "column is missing" in result.stderr  # candidate itself


# ---------------------------------------------------------------------------- training


def test_training_is_refused_under_forty_outcomes(app: Any, tmp_path: Path,
                                                  roles: dict[str, Any]) -> None:
    X, _, y = simulate(39, seed=3)
    assert import_file(app, tmp_path, history_csv(X, y)).exit_code == 0

    result, version = train_cli(app)

    assert result.exit_code != 0
    assert version is None
    assert "Training refused" in result.stderr
    assert "at least 40 outcomes" in result.stderr
    assert "there are 39 usable" in result.stderr
    with app.app_context():
        session = session_of(app)
        assert session.scalar(select(func.count(ModelVersion.id))) == 0
        session.close()


def test_training_is_refused_under_ten_of_either_class(app: Any, tmp_path: Path,
                                                      roles: dict[str, Any]) -> None:
    X, _, _ = simulate(60, seed=4)
    y = np.array([1] * 51 + [0] * 9)
    assert import_file(app, tmp_path, history_csv(X, y)).exit_code == 0

    result, _ = train_cli(app)

    assert result.exit_code != 0
    assert "at least 10 of each class" in result.stderr
    assert "(51 successes, 9 not)" in result.stderr


def test_training_prints_metrics_and_the_new_version_numbered_per_role(
        app: Any, tmp_path: Path, trained: dict[str, Any]) -> None:
    output = trained["output"]
    assert trained["version"] == 1
    assert "learned model" in output
    assert "recalibrated profile fit" in output
    assert re.search(r"learned model\s+0\.\d{3}\s+0\.\d{3}", output)
    assert "Verdict: beats the recalibrated profile fit" in output

    result, version = train_cli(app)

    assert result.exit_code == 0
    assert version == 2
    with app.app_context():
        session = session_of(app)
        numbers = session.scalars(select(ModelVersion.version).where(ModelVersion.role == ROLE)
                                  .order_by(ModelVersion.version)).all()
        session.close()
    assert numbers == [1, 2]


def test_training_recovers_signs_and_order_of_the_true_coefficients(
        app: Any, trained: dict[str, Any]) -> None:
    card = show_json(app)

    coef = card["coefficients"]
    assert coef["comp-a"] > coef["comp-b"] > coef["comp-c"] > coef["comp-d"]
    assert coef["comp-a"] > 0
    assert coef["comp-b"] > 0
    assert coef["comp-d"] < 0
    intervals = card["coefficient_intervals"]
    assert intervals["comp-a"][0] > 0
    assert intervals["comp-c"][0] < 0 < intervals["comp-c"][1]
    assert intervals["comp-d"][1] < 0
    # comp-d's interval excludes the profile's (positive) direction: stated in words, alone.
    assert len(card["disagreements"]) == 1
    assert card["disagreements"][0].startswith("comp-d")


def test_held_out_auc_is_near_the_best_the_true_model_reaches(
        app: Any, tmp_path: Path, trained: dict[str, Any]) -> None:
    X, p, y = simulate(4000, seed=99)
    best = roc_auc_score(y, p)
    path = write(tmp_path, "held-out.csv", history_csv(X, None, demographics=False))

    result = cli(app, "model", "score", ROLE, path, "--version", str(trained["version"]))

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    predicted = np.array([float(r["probability"]) for r in rows])
    assert len(rows) == 4000
    assert all(r["status"] == "ok" for r in rows)
    assert roc_auc_score(y, predicted) >= best - 0.02, (roc_auc_score(y, predicted), best)


# ---------------------------------------------------------------------------- the card


CARD_FIELDS = ("version", "adopted", "n_train", "cv_auc", "cv_auc_profile_fit", "brier",
               "intercept", "coefficients", "profile_weights", "reference")


def test_card_json_before_any_training_shows_profile_weights_with_version_null(
        app: Any, roles: dict[str, Any]) -> None:
    card = show_json(app)

    for name in CARD_FIELDS:
        assert name in card, name
    assert card["version"] is None
    assert card["adopted"] is False
    assert card["n_train"] is None
    assert card["profile_weights"] == {key: 2 for key in KEYS}
    assert card["predicts"] == "probability of success, given hired"
    assert "bar" in card["reference"]
    flat = show_json(app, FLAT_ROLE, "--level", "mid")
    assert flat["profile_weights"] == {**dict(zip(KEYS, FLAT_WEIGHTS, strict=True)),
                                       OTHER_KEY: 1}


def test_card_json_after_training_has_metrics_coefficients_and_reference(
        app: Any, trained: dict[str, Any]) -> None:
    card = show_json(app)

    for name in CARD_FIELDS:
        assert name in card, name
    assert card["version"] == 1
    assert card["adopted"] is False
    assert card["n_train"] == card["n_successes"] + card["n_failures"] > 600
    assert 0.5 < card["cv_auc_profile_fit"] < card["cv_auc"] < 1
    assert 0 < card["brier"] < card["brier_profile_fit"]
    assert set(card["coefficients"]) == set(KEYS) == set(card["profile_weights"])
    assert isinstance(card["intercept"], float)
    assert "standard deviation" in card["reference"]
    assert card["beats_profile_fit"] is True
    assert len(card["calibration"]) == 5
    assert card["range_restriction"]
    assert card["library_versions"]["scikit-learn"]
    assert card["training"]["sources"] == {"history_import": card["n_train"]
                                           + card["n_excluded_below_coverage"],
                                           "app_outcomes": 0, "history_batches": [1]}
    text = cli(app, "model", "show", ROLE)
    assert text.exit_code == 0
    assert "learned model version 1 (not adopted)" in text.output


def test_unknown_role_or_version_is_a_clear_error(app: Any, roles: dict[str, Any]) -> None:
    result = cli(app, "model", "show", "astronaut")
    assert result.exit_code != 0
    assert "No role profile 'astronaut'" in result.stderr
    result = cli(app, "model", "show", ROLE, "--version", "3")
    assert result.exit_code != 0
    assert "No version 3" in result.stderr


# ---------------------------------------------------------------------------- bulk scoring


def test_score_output_sums_exactly_and_probability_is_the_sigmoid_of_the_logit(
        app: Any, tmp_path: Path, trained: dict[str, Any]) -> None:
    X, _, y = simulate(200, seed=5, missing=0.1)
    X[0, :] = np.nan  # nothing assessed
    X[1, :2] = np.nan  # half the weight assessed: below the 70 % floor
    path = write(tmp_path, "to-score.csv", history_csv(X, y))

    result = cli(app, "model", "score", ROLE, path, "--version", "1")

    assert result.exit_code == 0, result.output
    reader = csv.reader(io.StringIO(result.stdout))
    header = next(reader)
    assert header[:4] == ["candidate", "probability", "logit", "baseline"]
    assert header[4:8] == [f"contribution:{key}" for key in KEYS]
    assert "status" in header
    rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert len(rows) == 200
    ok = [r for r in rows if r["status"] == "ok"]
    assert len(ok) > 150
    for row in ok:
        logit = float(row["logit"])
        total = float(row["baseline"])
        for key in KEYS:
            total += float(row[f"contribution:{key}"])
        assert total == logit
        assert float(row["probability"]) == 1.0 / (1.0 + math.exp(-logit))
        assert float(row["probability"]) == float(expit(logit))
        for name in ("probability", "logit", "baseline"):  # full precision: repr round trips
            assert row[name] == repr(float(row[name]))
    assert rows[0]["status"].startswith("cannot score")
    assert rows[1]["status"].startswith("insufficient coverage")
    for row in rows[:2]:
        assert row["probability"] == row["logit"] == row["baseline"] == ""
        assert all(row[f"contribution:{key}"] == "" for key in KEYS)


def test_score_ignores_outcome_hired_and_self_identification_columns(
        app: Any, tmp_path: Path, trained: dict[str, Any]) -> None:
    X, _, y = simulate(30, seed=6)
    full = cli(app, "model", "score", ROLE, write(tmp_path, "full.csv", history_csv(X, y)),
               "--version", "1")
    bare_text = "candidate," + ",".join(KEYS) + "\n" + "".join(
        f"c{i:05d}," + ",".join(f"{v:g}" for v in X[i]) + "\n" for i in range(30))
    bare = cli(app, "model", "score", ROLE, write(tmp_path, "bare.csv", bare_text.encode()),
               "--version", "1")

    assert full.exit_code == 0, full.output
    assert bare.exit_code == 0, bare.output
    assert full.stdout == bare.stdout


def test_score_without_an_adopted_model_needs_a_version(app: Any,
                                                        trained: dict[str, Any],
                                                        tmp_path: Path) -> None:
    X, _, y = simulate(5, seed=8)
    result = cli(app, "model", "score", ROLE, write(tmp_path, "s.csv", history_csv(X, y)))
    assert result.exit_code != 0
    assert "No adopted" in result.stderr


# ---------------------------------------------------------------------------- adoption


def test_adoption_is_refused_when_profile_fit_does_as_well(app: Any, tmp_path: Path,
                                                           roles: dict[str, Any],
                                                           users: dict[str, Any]) -> None:
    # The truth is the profile itself: success depends on the weighted mean of the evidence.
    weights = np.array(FLAT_WEIGHTS, dtype=float)
    beta = tuple(2.4 * weights / weights.sum())
    X, _, y = simulate(700, seed=21, beta=beta)
    assert import_file(app, tmp_path, history_csv(X, y, role=FLAT_ROLE)).exit_code == 0
    result, version = train_cli(app, FLAT_ROLE)
    assert result.exit_code == 0, result.output
    card = show_json(app, FLAT_ROLE)
    assert card["beats_profile_fit"] is False
    assert "Verdict: does not beat" in result.output

    adopted = cli(app, "model", "adopt", FLAT_ROLE, str(version), "--actor", "admin@example.com")

    assert adopted.exit_code != 0
    assert "does not beat the recalibrated profile fit" in adopted.stderr
    assert show_json(app, FLAT_ROLE)["adopted"] is False


def test_adoption_needs_an_admin(app: Any, trained: dict[str, Any],
                                 users: dict[str, Any]) -> None:
    refused = cli(app, "model", "adopt", ROLE, "1", "--actor", "recruiter@example.com")
    assert refused.exit_code != 0
    assert "Only an admin" in refused.stderr
    unknown = cli(app, "model", "adopt", ROLE, "1", "--actor", "nobody@example.com")
    assert unknown.exit_code != 0

    adopted = cli(app, "model", "adopt", ROLE, "1", "--actor", "admin@example.com",
                  "--acknowledge", "Reviewed with the works council.")

    assert adopted.exit_code == 0, adopted.output
    card = show_json(app)
    assert card["adopted"] is True
    assert card["version"] == 1
    assert card["acknowledgement"] == "Reviewed with the works council."
    with app.app_context():
        session = session_of(app)
        event_ = session.scalar(select(AuditEvent).where(AuditEvent.action == "model.adopt"))
        session.close()
    assert event_.actor_id == users["admin"].id
    assert event_.details["role"] == ROLE
    assert event_.details["version"] == 1
    assert "admin@example.com" not in json.dumps(event_.details)


def test_score_uses_the_adopted_version_by_default(app: Any, tmp_path: Path,
                                                   trained: dict[str, Any],
                                                   users: dict[str, Any]) -> None:
    assert cli(app, "model", "adopt", ROLE, "1", "--actor", "admin@example.com").exit_code == 0
    X, _, y = simulate(10, seed=9)
    path = write(tmp_path, "s.csv", history_csv(X, y))

    default = cli(app, "model", "score", ROLE, path)
    explicit = cli(app, "model", "score", ROLE, path, "--version", "1")

    assert default.exit_code == 0, default.output
    assert default.stdout == explicit.stdout
    assert len(default.stdout.splitlines()) == 11


def _open_application_with_evidence(app: Any, roles: dict[str, Any],
                                    ratings: dict[str, int]) -> int:
    """An interviewing application of ROLE with one submitted scorecard."""
    from hiring.models import ProfileVersion

    with app.app_context():
        session = session_of(app)
        make = Factory(session)
        manager, interviewer = make.user("hiring_manager"), make.user("interviewer")
        version = session.get(ProfileVersion, roles["main"])
        requisition = make.requisition(manager, version, status="open")
        application = make.application(make.candidate(), requisition)
        interview = make.interview(application, make.plan_step(requisition), [interviewer])
        card = make.scorecard(interview, interviewer, status="submitted",
                              submitted_at=datetime.now(UTC) - timedelta(hours=1))
        for key, rating in ratings.items():
            session.add(CompetencyRating(scorecard_id=card.id,
                                         competency_id=roles["competencies"][key],
                                         rating=rating))
        session.commit()
        application_id = application.id
        session.close()
    return application_id


def test_adoption_rescores_open_applications_and_earlier_scores_stay(
        app: Any, tmp_path: Path, trained: dict[str, Any], users: dict[str, Any],
        roles: dict[str, Any]) -> None:
    application_id = _open_application_with_evidence(
        app, roles, {"comp-a": 4, "comp-b": 3, "comp-c": 2, "comp-d": 3})
    assert cli(app, "model", "adopt", ROLE, "1", "--actor", "admin@example.com").exit_code == 0
    with app.app_context():
        session = session_of(app)
        first = session.scalar(select(Score).where(Score.application_id == application_id,
                                                   Score.kind == f"learned:{ROLE}:v1"))
        first_result = dict(first.result)
        stored = session.scalar(select(ModelVersion).where(ModelVersion.version == 1))
        # The row alone re-scores exactly from its inputs with the stored model.
        again = explain(stored.card, {k: v[0] for k, v in first.inputs["evidence"].items()})
        session.close()
    assert first_result["state"] == "ok"
    assert first_result["baseline"] + sum(first_result["contributions"].values()) \
        == first_result["logit"]
    assert again["probability"] == first_result["probability"]

    assert train_cli(app)[1] == 2
    assert cli(app, "model", "adopt", ROLE, "2", "--actor", "admin@example.com").exit_code == 0

    with app.app_context():
        session = session_of(app)
        kinds = dict(session.execute(select(Score.kind, Score.result)
                                     .where(Score.application_id == application_id)).all())
        session.close()
    assert {f"learned:{ROLE}:v1", f"learned:{ROLE}:v2"} <= set(kinds)
    assert kinds[f"learned:{ROLE}:v1"] == first_result
    assert show_json(app)["version"] == 2


# ---------------------------------------------------------------------------- DP-1


def test_self_identification_never_reaches_training(app: Any, tmp_path: Path,
                                                    roles: dict[str, Any]) -> None:
    X, _, y = simulate(300, seed=31)
    assert import_file(app, tmp_path, history_csv(X, y)).exit_code == 0
    statements: list[str] = []
    with app.app_context():
        session = session_of(app)
        assert session.scalar(select(func.count(HistoryDemographics.id))) > 0
        engine = database.get_database(app).engine

        def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", remember)
        try:
            first = ops.train(session, ROLE, n_bootstrap=20)
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        features = list(first.card["model"]["competencies"])
        # Scramble every self-identification value: training must not notice.
        session.execute(update(HistoryDemographics).values(sex="x", race_ethnicity="y"))
        second = ops.train(session, ROLE, n_bootstrap=20)
        session.rollback()
        session.close()
    assert not set(features) & set(DEMOGRAPHIC_COLUMNS)
    assert features == list(KEYS)
    assert statements
    assert not any("history_demographics" in s for s in statements)
    assert second.card["model"]["coefficients"] == first.card["model"]["coefficients"]


# ---------------------------------------------------------------------------- app outcomes


def test_app_outcomes_train_with_ratings_as_they_stood_at_the_decision(
        app: Any, roles: dict[str, Any]) -> None:
    from hiring.models import Decision, Outcome, ProfileVersion

    decided = datetime.now(UTC) - timedelta(days=30)
    with app.app_context():
        session = session_of(app)
        make = Factory(session)
        manager, one, two = make.user("hiring_manager"), make.user(), make.user()
        requisition = make.requisition(manager, session.get(ProfileVersion, roles["main"]))
        application = make.application(make.candidate(), requisition, stage="hired")
        interview = make.interview(application, make.plan_step(requisition), [one, two])
        before = make.scorecard(interview, one, status="submitted",
                                submitted_at=decided - timedelta(days=1))
        after = make.scorecard(interview, two, status="submitted",
                               submitted_at=decided + timedelta(days=1))
        session.add_all([
            CompetencyRating(scorecard_id=before.id, competency_id=roles["competencies"]["comp-a"],
                             rating=2),
            CompetencyRating(scorecard_id=after.id, competency_id=roles["competencies"]["comp-a"],
                             rating=4),
            Decision(application_id=application.id, kind="hire", to_stage="hired",
                     rationale="Strong loop.", actor_id=manager.id, at=decided),
            Outcome(application_id=application.id, passed_probation=None, performance=3,
                    outcome_date=decided.date() + timedelta(days=90), recorded_by_id=manager.id),
        ])
        session.flush()
        data = ops.training_data(session, ROLE, KEYS)
        session.rollback()
        session.close()
    assert data.from_app == 1
    assert data.from_history == 0
    assert data.X[0, 0] == 2.0  # the rating submitted after the decision does not count
    assert np.isnan(data.X[0, 1])
    assert data.y.tolist() == [1]  # no probation result: performance 3 counts as success


# ---------------------------------------------------------------------------- the page


def test_model_pages_are_readable_by_recruiters_not_interviewers(
        app: Any, trained: dict[str, Any], users: dict[str, Any]) -> None:
    client = app.test_client()
    login(client, "recruiter@example.com")
    index = client.get("/models")
    page = client.get(f"/models/{ROLE}")
    version = client.get(f"/models/{ROLE}/v1")
    flat = client.get(f"/models/{FLAT_ROLE}")

    assert index.status_code == page.status_code == version.status_code == 200
    text = page.get_data(as_text=True)
    assert "probability of success, given hired" in text
    assert "Recalibrated profile fit" in text
    assert "Calibration" in text
    assert "Range restriction" in text
    assert "Limitations" in text
    assert "comp-d: the profile counts higher ratings as better" in text  # in words, only d
    assert text.count('badge badge-warn">disagrees') == 1
    assert "Adopt this version" not in text  # recruiters read; admins adopt
    assert 'style="' not in text  # CSP: no inline style attributes
    assert "No learned model yet" in flat.get_data(as_text=True)
    assert client.get(f"/models/{ROLE}/v7").status_code == 404

    other = app.test_client()
    login(other, "interviewer@example.com")
    assert other.get("/models").status_code == 403


def test_adopting_in_the_app_needs_an_admin_and_a_fresh_reauthentication(
        app: Any, trained: dict[str, Any], users: dict[str, Any]) -> None:
    recruiter = app.test_client()
    login(recruiter, "recruiter@example.com")
    assert recruiter.post(f"/models/{ROLE}/v1/adopt").status_code == 403
    assert recruiter.post(f"/models/{ROLE}/train").status_code == 403

    admin = app.test_client()
    login(admin, "admin@example.com")
    with admin.session_transaction() as browser:
        browser["reauth_at"] = 0  # the password was entered long ago
    stale = admin.post(f"/models/{ROLE}/v1/adopt", data={"acknowledgement": ""})
    assert stale.status_code == 302
    assert "/reauth" in stale.headers["Location"]
    assert show_json(app)["adopted"] is False

    admin.post("/reauth", data={"password": PASSWORD, "next": f"/models/{ROLE}/v1"})
    fresh = admin.post(f"/models/{ROLE}/v1/adopt", data={"acknowledgement": ""})

    assert fresh.status_code == 302
    assert show_json(app)["adopted"] is True
    page = admin.get(f"/models/{ROLE}").get_data(as_text=True)
    assert "Adopted" in page


def test_training_in_the_app_is_an_admins_action(app: Any, tmp_path: Path,
                                                 roles: dict[str, Any],
                                                 users: dict[str, Any]) -> None:
    X, _, y = simulate(30, seed=41)
    assert import_file(app, tmp_path, history_csv(X, y)).exit_code == 0
    admin = app.test_client()
    login(admin, "admin@example.com")

    refused = admin.post(f"/models/{ROLE}/train", data={"level": ""}, follow_redirects=True)

    assert "Training refused" in refused.get_data(as_text=True)
    assert f'action="/models/{ROLE}/train"' in refused.get_data(as_text=True)  # form kept
    X, _, y = simulate(300, seed=42)
    assert import_file(app, tmp_path, history_csv(X, y, prefix="d"), "more.csv").exit_code == 0
    done = admin.post(f"/models/{ROLE}/train", data={"level": ""})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/models/{ROLE}/v1")
    # The version's card offers training again, to admins only.
    assert f'action="/models/{ROLE}/train"' in admin.get(done.headers["Location"]).get_data(
        as_text=True)
    recruiter = app.test_client()
    login(recruiter, "recruiter@example.com")
    card = recruiter.get(f"/models/{ROLE}/v1")
    assert card.status_code == 200
    assert "Train a new version" not in card.get_data(as_text=True)


def test_adopted_model_rows_follow_new_evidence_when_rescored(
        app: Any, trained: dict[str, Any], users: dict[str, Any],
        roles: dict[str, Any]) -> None:
    application_id = _open_application_with_evidence(app, roles, {"comp-a": 2, "comp-b": 3,
                                                                  "comp-c": 3})
    assert cli(app, "model", "adopt", ROLE, "1", "--actor", "admin@example.com").exit_code == 0
    with app.app_context():
        session = session_of(app)
        kind = f"learned:{ROLE}:v1"
        before = session.scalar(select(Score.result).where(Score.kind == kind))
        rating = session.scalar(select(CompetencyRating).where(
            CompetencyRating.competency_id == roles["competencies"]["comp-a"]))
        rating.rating = 4
        session.flush()
        computed = ops.rescore_adopted(session, [application_id], trigger="scorecard.amend")
        after = session.scalar(select(Score.result).where(Score.kind == kind))
        session.rollback()
        session.close()
    assert computed == 1
    assert after["contributions"]["comp-a"] > before["contributions"]["comp-a"]
    assert after["probability"] > before["probability"]
