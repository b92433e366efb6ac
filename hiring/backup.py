"""Backups and restores of the SQLite database, and the PostgreSQL commands to use instead.

DESIGN.md section 5: a live SQLite database is copied with the online backup API
(:meth:`sqlite3.Connection.backup`), never as a file: the copy is one consistent snapshot
(a single read transaction, which in WAL mode blocks no writer), and it is checked with
``PRAGMA integrity_check`` before it is called a backup. A restore goes only into an empty
database and only from a file that passes the same check.

PostgreSQL has its own tools (``pg_dump`` / ``pg_restore``); :func:`pg_dump_command` and
:func:`pg_restore_command` spell them out for the configured URL.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

BUSY_TIMEOUT_SECONDS = 5.0


class BackupError(RuntimeError):
    """The backup or restore was refused or failed; the message says why and what to do."""


@dataclass
class BackupReport:
    """What a backup or restore produced: the file, its size, the check and the row counts."""

    path: Path
    size: int
    integrity: str
    revision: str | None
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        """Rows in all tables (the migration bookkeeping table excluded)."""
        return sum(self.rows.values())


def sqlite_path(url: str) -> Path:
    """The database file of a ``sqlite:///`` URL (refuses other databases and ``:memory:``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError("not a SQLite database")
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(parsed.database)


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=BUSY_TIMEOUT_SECONDS)
    else:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
    connection.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    return connection


def integrity_check(connection: sqlite3.Connection) -> str:
    """``ok``, or the problems ``PRAGMA integrity_check`` found, joined into one line."""
    rows = [str(r[0]) for r in connection.execute("PRAGMA integrity_check").fetchall()]
    return "ok" if rows == ["ok"] else "; ".join(rows[:20])


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (SQLite's own tables and ``alembic_version`` left out), by name."""
    names = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name != 'alembic_version' ORDER BY name")]
    # Names come from sqlite_master, quoted as identifiers: no user input reaches this SQL.
    return {name: connection.execute(
        f'SELECT count(*) FROM "{name.replace(chr(34), chr(34) * 2)}"').fetchone()[0]  # noqa: S608
        for name in names}


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return str(row[0]) if row else None


def _report(connection: sqlite3.Connection, path: Path) -> BackupReport:
    return BackupReport(path=path, size=path.stat().st_size, integrity=integrity_check(connection),
                        revision=_revision(connection), rows=table_counts(connection))


def backup_sqlite(url: str, target: Path, *, overwrite: bool = False) -> BackupReport:
    """Copy the live database at ``url`` to ``target`` with the online backup API.

    Written to a temporary file next to ``target``, checked with ``integrity_check``, switched
    to a single self-contained file (rollback journal, no ``-wal``) and only then renamed into
    place, so ``target`` is either a good backup or untouched.
    """
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path}")
    target = Path(target)
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; choose a new file name (or pass --overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    source = _connect(source_path)
    try:
        destination = sqlite3.connect(partial)
        try:
            # pages=-1 (the default): the whole database in one step, i.e. one read
            # transaction and one consistent snapshot; in WAL mode writers carry on meanwhile.
            source.backup(destination)
            destination.execute("PRAGMA journal_mode=DELETE")
            report = _report(destination, partial)
        finally:
            destination.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {exc}") from exc
    finally:
        source.close()
    if report.integrity != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed PRAGMA integrity_check: {report.integrity}")
    os.replace(partial, target)
    report.path = target
    return report


def check_backup_file(path: Path) -> BackupReport:
    """Open a backup read-only and run ``integrity_check``; refuses anything that is not one."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with path.open("rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not a SQLite database file")
    try:
        connection = _connect(path, read_only=True)
        try:
            report = _report(connection, path)
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}") from exc
    if report.integrity != "ok":
        raise BackupError(f"{path} fails PRAGMA integrity_check: {report.integrity}")
    if report.revision is None:
        raise BackupError(f"{path} is not a hiring database (no migration revision)")
    return report


def database_has_data(url: str) -> bool:
    """Whether the SQLite database at ``url`` holds any row (an empty migrated schema has none)."""
    path = sqlite_path(url)
    if not path.exists() or path.stat().st_size == 0:
        return False
    connection = _connect(path, read_only=True)
    try:
        return any(table_counts(connection).values())
    finally:
        connection.close()


def restore_sqlite(backup: Path, url: str) -> BackupReport:
    """Restore ``backup`` into the (empty) SQLite database at ``url`` with the backup API.

    Refused when the file fails its check or when the target holds any row. The target ends up
    in WAL mode like every database the app opens, and is checked again afterwards.
    """
    check_backup_file(backup)
    target_path = sqlite_path(url)
    if database_has_data(url):
        raise BackupError(
            f"the database at {target_path} already holds data; restore only into an empty "
            "instance (a new HIRING_INSTANCE_PATH or HIRING_DATABASE_URL)")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = _connect(Path(backup), read_only=True)
    try:
        destination = _connect(target_path)
        try:
            destination.execute("PRAGMA journal_mode=DELETE")
            source.backup(destination)
            destination.execute("PRAGMA journal_mode=WAL")
            report = _report(destination, target_path)
        finally:
            destination.close()
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from exc
    finally:
        source.close()
    if report.integrity != "ok":
        raise BackupError(f"the restored database fails PRAGMA integrity_check: "
                          f"{report.integrity}")
    return report


def _libpq_url(url: str) -> str:
    # pg_dump reads libpq URLs: no "+psycopg" driver suffix; the password is not repeated here
    # (use ~/.pgpass or PGPASSWORD).
    parsed = make_url(url).set(drivername="postgresql")
    return parsed.render_as_string(hide_password=True).replace(":***@", "@")


def pg_dump_command(url: str, target: str) -> str:
    """The ``pg_dump`` command that backs up the PostgreSQL database at ``url`` to ``target``."""
    return (f"pg_dump --format=custom --no-owner --file {shlex.quote(target)} "
            f"{shlex.quote(_libpq_url(url))}")


def pg_restore_command(url: str, source: str) -> str:
    """The ``pg_restore`` command that restores ``source`` into the empty database at ``url``."""
    return (f"pg_restore --no-owner --exit-on-error --dbname {shlex.quote(_libpq_url(url))} "
            f"{shlex.quote(source)}")
