"""The short load run of ``make test``: SECURITY.md L1-L4 and F1-F3 on gunicorn, integrity only.

Each database (SQLite, then the session's throwaway PostgreSQL cluster) gets one instance, one
gunicorn with several workers on 127.0.0.1 and the harness of ``benchmarks/load.py`` with
:data:`benchmarks.load.SHORT` settings (few rounds, each loop bounded in count and time). The
tests assert what must never happen under load: a row lost or changed, a 5xx, "database is
locked", a traceback. Latency is printed (``pytest -s`` shows it), never asserted; the figures
belong to ``make load``. L5 (packet renders) and the throughput run are in ``make load`` only.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks import load

pytestmark = pytest.mark.load


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def short_run(request: pytest.FixtureRequest) -> dict[str, load.ScenarioResult]:
    """Run the short suite once per database; the scenarios' results by key."""
    if request.param == "sqlite":
        kwargs: dict[str, Any] = {"template": request.getfixturevalue("sqlite_template")}
    else:
        kwargs = {"cluster": request.getfixturevalue("pg_cluster"),
                  "template": request.getfixturevalue("pg_template")}
    results = load.run_suite(request.param, load.SHORT, out=print, **kwargs)
    return {result.key: result for result in results}


def assert_integrity(result: load.ScenarioResult) -> None:
    """Every check of the scenario passed (the report is the failure message)."""
    failed = [check for check in result.checks if not check.ok]
    assert result.checks, result.report()
    assert not failed, result.report()


def test_l1_simultaneous_submits_store_every_scorecard_as_sent(short_run: Any) -> None:
    assert_integrity(short_run["L1"])


def test_l2_stale_settings_edits_answer_409_and_nothing_is_lost(short_run: Any) -> None:
    assert_integrity(short_run["L2"])


def test_l3_eightfold_double_submit_leaves_exactly_one(short_run: Any) -> None:
    assert_integrity(short_run["L3"])


def test_l4_readers_get_200_while_an_import_commits_all_or_nothing(short_run: Any) -> None:
    assert_integrity(short_run["L4"])


def test_f1_killing_the_importing_worker_leaves_none_or_all(short_run: Any) -> None:
    assert_integrity(short_run["F1"])


def test_f2_held_write_lock_gives_503_with_input_kept_and_reads_go_on(short_run: Any) -> None:
    assert_integrity(short_run["F2"])


def test_f3_backup_under_load_restores_to_the_same_data(short_run: Any) -> None:
    assert_integrity(short_run["F3"])

