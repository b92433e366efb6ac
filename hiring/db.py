"""Database engine and sessions: SQLite done right for several workers, PostgreSQL as is.

SQLite (DESIGN.md section 5): every connection sets WAL, a busy timeout and foreign keys; the
driver's own transaction handling is switched off (``isolation_level=None``) so that we emit
``BEGIN`` ourselves: ``BEGIN IMMEDIATE`` for write units of work (POST handlers, operations,
commands), plain deferred ``BEGIN`` for reads, which then never queue behind a writer.

Engines are created lazily per process, so a gunicorn worker forked from a parent that already
touched the database never shares the parent's connections.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE_OPTION = "hiring_write"


def _install_sqlite_pragmas(engine: Engine) -> None:
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
        if connection.get_execution_options().get(_WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def build_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the project's connection settings."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, pool_pre_ping=False
        )
        _install_sqlite_pragmas(engine)
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


def _request_writes() -> bool:
    return not has_request_context() or request.method not in SAFE_METHODS


def db_session() -> Session:
    """The session of the current app context, created on first use.

    In a request, unsafe methods (POST, ...) get a write session and safe ones a read session;
    outside a request (CLI commands) the session writes.
    """
    if "hiring_session" not in g:
        g.hiring_session = get_database().session(write=_request_writes())
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
