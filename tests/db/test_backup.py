"""`flask --app hiring backup FILE` and `restore FILE` (DESIGN.md section 5, SECURITY.md F3).

SQLite is copied with the online backup API while writes go on; the copy passes
``PRAGMA integrity_check``, restores only into an empty instance and gives back the same rows.
On PostgreSQL both commands name the pg_dump / pg_restore command to use and exit non-zero.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from hiring import create_app
from hiring import db as database
from hiring.backup import check_backup_file, table_counts
from hiring.operations.audit import record
from tests.conftest import make_test_config


def _path(app: Any) -> Path:
    return Path(make_url(app.config["DATABASE_URL"]).database or "")


def _dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: what "the same rows" means."""
    with sqlite3.connect(path) as connection:
        names = sorted(table_counts(connection))
        return {name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(),  # noqa: S608
                             key=repr) for name in names}


def _audit_rows(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]


def test_backup_during_writes_restores_into_fresh_instance_with_same_rows(
    app: Any, users: dict[str, Any], tmp_path: Path
) -> None:
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        with app.app_context():
            for i in range(2000):  # bounded; stopped once the backup is done
                if stop.is_set():
                    return
                with database.write_session() as session:
                    record(session, "test.write", actor_id=None, subject_type="test",
                           subject_id=str(i))
                written.append(i)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while len(written) < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    before = _audit_rows(_path(app))
    backup = tmp_path / "backups" / "hiring-backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(backup)])
    after_backup = len(written)
    deadline = time.monotonic() + 10
    while len(written) <= after_backup and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    thread.join(30)
    assert result.exit_code == 0, result.output
    assert "integrity_check: ok" in result.output
    assert before >= 20
    assert len(written) > after_backup  # the writer was still writing after the backup

    report = check_backup_file(backup)
    assert report.integrity == "ok"
    assert before <= report.rows["audit_events"] <= _audit_rows(_path(app))
    assert not Path(f"{backup}-wal").exists()  # one self-contained file

    fresh_dir = tmp_path / "fresh"
    fresh = create_app(make_test_config(fresh_dir, f"sqlite:///{fresh_dir / 'hiring.db'}"))
    restored = fresh.test_cli_runner().invoke(args=["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert "integrity_check: ok" in restored.output
    assert _dump(fresh_dir / "hiring.db") == _dump(backup)
    with sqlite3.connect(fresh_dir / "hiring.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    client = fresh.test_client()
    assert client.get("/readyz").status_code == 200
    assert client.post("/login", data={"email": "admin@example.com",
                                       "password": "correct horse battery staple"}
                       ).status_code == 302
    database.get_database(fresh).dispose()


def test_restore_refuses_an_instance_that_has_data(app: Any, users: dict[str, Any],
                                                   tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    before = _dump(_path(app))
    result = app.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 1
    assert "already holds data" in result.output
    assert _dump(_path(app)) == before


def test_restore_into_migrated_but_empty_instance_is_allowed(app: Any, users: dict[str, Any],
                                                             tmp_path: Path,
                                                             sqlite_template: Path) -> None:
    backup = tmp_path / "b.db"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    shutil.copyfile(sqlite_template, empty_dir / "hiring.db")
    target = create_app(make_test_config(empty_dir, f"sqlite:///{empty_dir / 'hiring.db'}"))
    result = target.test_cli_runner().invoke(args=["restore", str(backup)])
    assert result.exit_code == 0, result.output
    assert _dump(empty_dir / "hiring.db") == _dump(backup)


def test_restore_refuses_files_that_are_not_good_backups(app: Any, tmp_path: Path) -> None:
    fresh_dir = tmp_path / "fresh"
    fresh = create_app(make_test_config(fresh_dir, f"sqlite:///{fresh_dir / 'hiring.db'}"))
    runner = fresh.test_cli_runner()
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE t (x)")
    damaged = tmp_path / "damaged.db"
    assert app.test_cli_runner().invoke(args=["backup", str(damaged)]).exit_code == 0
    data = bytearray(damaged.read_bytes())
    data[4096 * 3:4096 * 3 + 2048] = b"\xff" * 2048  # scribble over a b-tree page
    damaged.write_bytes(bytes(data))
    cases = ((text, ("not a SQLite database file",)), (foreign, ("not a hiring database",)),
             (damaged, ("fails PRAGMA integrity_check", "cannot be read as a SQLite")),
             (tmp_path / "missing.db", ("is not a file",)))
    for bad, reasons in cases:
        result = runner.invoke(args=["restore", str(bad)])
        assert result.exit_code == 1, bad
        assert any(reason in result.output for reason in reasons), result.output
    assert not (fresh_dir / "hiring.db").exists()  # refused before the target was touched


def test_backup_never_overwrites_unless_asked(app: Any, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    target.write_text("an older backup")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["backup", str(target)])
    assert refused.exit_code == 1
    assert "exists" in refused.output
    assert target.read_text() == "an older backup"
    assert runner.invoke(args=["backup", "--overwrite", str(target)]).exit_code == 0
    assert check_backup_file(target).integrity == "ok"


@pytest.mark.db
@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_backup_and_restore_name_pg_tools_and_fail(db_app: Any,
                                                              tmp_path: Path) -> None:
    runner = db_app.test_cli_runner()
    backup = runner.invoke(args=["backup", str(tmp_path / "x.dump")])
    assert backup.exit_code == 2
    assert "pg_dump --format=custom" in backup.output
    assert "+psycopg" not in backup.output
    restore = runner.invoke(args=["restore", str(tmp_path / "x.dump")])
    assert restore.exit_code == 2
    assert "pg_restore" in restore.output
    assert not (tmp_path / "x.dump").exists()
