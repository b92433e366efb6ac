"""Database engine and sessions: SQLite done right for several workers, PostgreSQL as is.

SQLite (DESIGN.md section 5): every connection sets WAL, a busy timeout and foreign keys; the
driver's own transaction handling is switched off (``isolation_level=None``) so that we emit
``BEGIN`` ourselves: ``BEGIN IMMEDIATE`` for write units of work (POST handlers, operations,
commands), plain deferred ``BEGIN`` for reads, which then never queue behind a writer.

Engines are created lazily per process, so a gunicorn worker forked from a parent that already
touched the database never shares the parent's connections.
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE_OPTION = "hiring_write"


class _WriterQueue:
    """SQLite writers of every process queue here before ``BEGIN IMMEDIATE``.

    SQLite's own busy handler sleeps between retries (1, 2, 5, 10, ... up to 100 ms), so a
    writer that finds the lock taken often sleeps long after it was freed: with eight writers
    that, not the work, made the slowest saves. An advisory lock on a file beside the database
    (``<database>-writers.lock``) wakes the next writer within a millisecond instead. The wait
    is bounded by the busy timeout; past it the write fails as "database is locked" (503,
    input kept), exactly as a busy timeout would. Writers that bypass the queue (another tool)
    are still handled by the busy timeout.
    """

    POLL_S = (0.0002, 0.0005, 0.001, 0.002)

    def __init__(self, path: str) -> None:
        self.path = path

    def acquire(self, dbapi_connection: Any, timeout_s: float) -> float:
        """Take the queue's lock for ``dbapi_connection``; the seconds waited. Raises
        :class:`sqlite3.OperationalError` (database is locked) after ``timeout_s``."""
        fd = getattr(dbapi_connection, "hiring_writer_fd", None)
        if fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            dbapi_connection.hiring_writer_fd = fd
        started = time.monotonic()
        for attempt in itertools.count():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return time.monotonic() - started
            except BlockingIOError:
                if time.monotonic() - started >= timeout_s:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(self.POLL_S[min(attempt, len(self.POLL_S) - 1)])
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def release(dbapi_connection: Any) -> None:
        """Let the next writer in (no-op when this connection holds nothing)."""
        fd = getattr(dbapi_connection, "hiring_writer_fd", None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)


class _QueuedConnection(sqlite3.Connection):
    """A pysqlite connection that leaves the writer queue once its transaction ends."""

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            _WriterQueue.release(self)

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            _WriterQueue.release(self)

    def close(self) -> None:
        try:
            super().close()
        finally:
            fd = getattr(self, "hiring_writer_fd", None)
            if fd is not None:
                self.hiring_writer_fd = None
                os.close(fd)  # closing the descriptor also drops its lock


def _install_sqlite_pragmas(engine: Engine, queue: _WriterQueue | None) -> None:
    """Pragmas on every new connection and our own BEGIN (see the module docstring)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to us: pysqlite's implicit BEGIN is deferred and would
        # upgrade read locks to write locks mid-transaction (SQLITE_BUSY under concurrency).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL, far fewer fsyncs
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        if queue is None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        dbapi_connection = connection.connection.dbapi_connection
        timeout_s = SQLITE_BUSY_TIMEOUT_MS / 1000
        try:
            waited = queue.acquire(dbapi_connection, timeout_s)
        except sqlite3.OperationalError as exc:
            # As SQLAlchemy reports a busy timeout, so the same handler answers (503).
            raise OperationalError("BEGIN IMMEDIATE", None, exc) from exc
        try:
            if waited > 0.001:  # the whole wait stays within one busy timeout
                left_ms = max(1, int((timeout_s - waited) * 1000))
                dbapi_connection.execute(f"PRAGMA busy_timeout={left_ms}")
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                if waited > 0.001:
                    dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        except BaseException:
            _WriterQueue.release(dbapi_connection)
            raise


def build_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the project's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        queue = None
        connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            queue = _WriterQueue(f"{parsed.database}-writers.lock")
            connect_args["factory"] = _QueuedConnection
        engine = create_engine(url, connect_args=connect_args, pool_pre_ping=False)
        _install_sqlite_pragmas(engine, queue)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class Database:
    """One per app: a lazily built, per-process engine and two session factories."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._pid: int | None = None
        self._read_factory: sessionmaker[Session] | None = None
        self._write_factory: sessionmaker[Session] | None = None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return make_url(self.url).get_backend_name()

    @property
    def engine(self) -> Engine:
        """The engine of this process (rebuilt after a fork)."""
        pid = os.getpid()
        if self._engine is None or self._pid != pid:
            if self._engine is not None:
                # Inherited from the parent: drop its pool without closing the parent's sockets.
                self._engine.dispose(close=False)
            self._engine = build_engine(self.url)
            self._pid = pid
            write_engine = self._engine.execution_options(**{_WRITE_OPTION: True})
            self._read_factory = sessionmaker(self._engine, expire_on_commit=False)
            self._write_factory = sessionmaker(write_engine, expire_on_commit=False)
        return self._engine

    def session(self, *, write: bool) -> Session:
        """A new session; ``write=True`` starts its transactions with BEGIN IMMEDIATE."""
        self.engine  # noqa: B018 - builds the factories for this process
        factory = self._write_factory if write else self._read_factory
        if factory is None:  # pragma: no cover - engine property always sets both
            raise RuntimeError("session factories not initialised")
        return factory()

    def dispose(self) -> None:
        """Close every pooled connection of this process."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def get_database(app: Flask | None = None) -> Database:
    """The :class:`Database` of ``app`` (default: the current app)."""
    app = app or current_app
    return app.extensions["hiring.db"]


def request_writes() -> bool:
    """Whether the current request's session writes (BEGIN IMMEDIATE on SQLite)."""
    if not has_request_context():
        return True
    return request.method not in SAFE_METHODS and not g.get("hiring_short_writes", False)


def short_writes(view: Callable[..., Any]) -> Callable[..., Any]:
    """For a busy POST view that reads through :func:`db_session` and writes only inside
    :func:`write_session` blocks: its request session starts deferred (read) transactions, so
    the database's write lock is held for the short write unit of work alone, not while the
    view loads, validates or renders. Writing through the request session of such a view is a
    bug (on SQLite it may fail with "database is locked")."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if "hiring_session" in g and request.method not in SAFE_METHODS:  # pragma: no cover
            raise RuntimeError("short_writes: a hook opened a write session before the view")
        g.hiring_short_writes = True
        return view(*args, **kwargs)

    return wrapper


def db_session() -> Session:
    """The session of the current app context, created on first use.

    In a request, unsafe methods (POST, ...) get a write session and safe ones a read session
    (so do views marked :func:`short_writes`); outside a request (CLI commands) the session
    writes.
    """
    if "hiring_session" not in g:
        g.hiring_session = get_database().session(write=request_writes())
    return g.hiring_session


@contextmanager
def read_session() -> Iterator[Session]:
    """A short read-only session (deferred transaction), closed at the end."""
    session = get_database().session(write=False)
    try:
        yield session
    finally:
        session.close()


@contextmanager
def write_session() -> Iterator[Session]:
    """A short write unit of work: commits on success, rolls back on error."""
    session = get_database().session(write=True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("hiring_session", None)
    if session is not None:
        session.close()  # rolls back anything not committed


def init_app(app: Flask) -> None:
    """Register the database on ``app`` (no connection is opened here)."""
    app.extensions["hiring.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Any:
    """An Alembic configuration for ``url`` using the project's ``migrations/`` folder."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's ini interpolation treats "%" specially; URLs may contain encoded characters.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: the single head)."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (e.g. ``-1``)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The single head revision of ``migrations/``."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations/ must have exactly one head, found {heads}")
    return heads[0]
