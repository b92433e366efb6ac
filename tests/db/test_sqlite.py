"""SQLite for several workers: pragmas, BEGIN IMMEDIATE for writes, engines per process."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from hiring import db as database
from hiring.models import AuditEvent


def test_pragmas_set_on_pooled_connection(app: Any) -> None:
    db = database.get_database(app)
    # Use the pool twice so the second checkout is a pooled (reused) connection.
    for _ in range(2):
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_write_session_begins_immediate_and_read_session_deferred(app: Any) -> None:
    db = database.get_database(app)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.session(write=True) as session:
            session.execute(select(1))
            session.commit()
        with db.session(write=False) as session:
            session.execute(select(1))
            session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN"]


def test_read_transaction_is_not_blocked_by_writer(app: Any) -> None:
    db = database.get_database(app)
    writer = db.session(write=True)
    writer.add(AuditEvent(action="write.pending"))
    writer.flush()  # holds the write lock, uncommitted
    try:
        with db.session(write=False) as reader:
            assert reader.scalars(select(AuditEvent.action)).all() == []
    finally:
        writer.rollback()
        writer.close()


def _race_read_then_write(db: Any, *, write: bool) -> list[BaseException]:
    """Two threads start together, each reads, pauses, then writes and commits."""
    import time

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def unit_of_work(label: str) -> None:
        try:
            barrier.wait(timeout=5)
            with db.session(write=write) as session:
                session.scalars(select(AuditEvent)).all()
                time.sleep(0.2)  # both transactions overlap between their read and their write
                session.add(AuditEvent(action=f"write.{label}"))
                session.commit()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=unit_of_work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return errors


def test_two_concurrent_read_then_write_transactions_both_commit(app: Any) -> None:
    db = database.get_database(app)
    assert _race_read_then_write(db, write=True) == []
    with db.session(write=False) as session:
        actions = sorted(session.scalars(select(AuditEvent.action)).all())
    assert actions == ["write.a", "write.b"]


def test_deferred_read_then_write_race_fails_without_begin_immediate(app: Any) -> None:
    # The control for the test above: the same race in deferred transactions deadlocks on the
    # lock upgrade and SQLite answers "database is locked" at once. This is why writes use
    # BEGIN IMMEDIATE.
    errors = _race_read_then_write(database.get_database(app), write=False)
    assert any("database is locked" in str(e) for e in errors)


def test_engine_is_rebuilt_in_forked_child(app: Any) -> None:
    db = database.get_database(app)
    parent_engine = db.engine
    with parent_engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            child_engine = db.engine
            with child_engine.connect() as connection:
                ok = connection.execute(text("SELECT 1")).scalar() == 1
            os.write(write_fd, b"1" if ok and child_engine is not parent_engine else b"0")
        finally:
            os._exit(0)
    os.close(write_fd)
    _, status = os.waitpid(pid, 0)
    result = os.read(read_fd, 1)
    os.close(read_fd)
    assert status == 0
    assert result == b"1"
    assert db.engine is parent_engine


def test_default_database_is_sqlite_in_instance_folder(tmp_path: Path, monkeypatch: Any) -> None:
    from hiring.config import load_config

    config = load_config(environ={"HIRING_INSTANCE_PATH": str(tmp_path)})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'hiring.db'}"


def test_writers_queue_on_the_lock_file_and_the_next_one_wakes_at_once(app: Any) -> None:
    """A writer waiting behind another starts within milliseconds of the other's commit (the
    queue), not after one of SQLite's sleeping retries of up to 100 ms."""
    import time

    db = database.get_database(app)
    url = app.config["DATABASE_URL"]
    holder = db.session(write=True)
    holder.add(AuditEvent(action="write.first"))
    holder.flush()  # BEGIN IMMEDIATE done: holds the queue and the write lock
    started = threading.Event()
    waited: list[float] = []
    released_at: list[float] = []

    def second() -> None:
        with db.session(write=True) as session:
            started.set()
            session.add(AuditEvent(action="write.second"))
            session.flush()  # waits in the queue
            waited.append(time.monotonic())
            session.commit()

    thread = threading.Thread(target=second)
    thread.start()
    started.wait(5)
    time.sleep(0.3)  # the second writer is waiting now
    assert not waited
    released_at.append(time.monotonic())
    holder.commit()
    holder.close()
    thread.join(10)
    assert waited, "the second writer never got in"
    assert waited[0] - released_at[0] < 0.05, f"woke {waited[0] - released_at[0]:.3f} s late"
    assert Path(url.removeprefix("sqlite:///") + "-writers.lock").exists()
    with db.session(write=False) as session:
        actions = sorted(session.scalars(select(AuditEvent.action)).all())
    assert actions == ["write.first", "write.second"]


def test_a_writer_queued_past_the_busy_timeout_gets_database_is_locked(
        app: Any, monkeypatch: Any) -> None:
    """Waiting in the queue counts against the busy timeout; past it the error is SQLAlchemy's
    OperationalError "database is locked", which the app answers with 503 (SECURITY.md F2)."""
    import time

    import pytest
    from sqlalchemy.exc import OperationalError

    from hiring.web import is_lock_timeout

    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 300)
    db = database.get_database(app)
    holder = db.session(write=True)
    holder.add(AuditEvent(action="write.holder"))
    holder.flush()
    try:
        with db.session(write=True) as session:
            started = time.monotonic()
            session.add(AuditEvent(action="write.late"))
            with pytest.raises(OperationalError) as caught:
                session.flush()
            elapsed = time.monotonic() - started
        assert is_lock_timeout(caught.value)
        assert 0.25 < elapsed < 2.0, elapsed
    finally:
        holder.rollback()
        holder.close()
    with db.session(write=True) as session:  # the queue is free again
        session.add(AuditEvent(action="write.after"))
        session.commit()
