"""A throwaway PostgreSQL cluster on 127.0.0.1, for the tests and the load harness.

DESIGN.md section 8: the server binaries are in ``/usr/lib/postgresql/<version>/bin``; as root,
the cluster runs as the ``postgres`` user through ``runuser`` from a directory that user can
read (initdb ``-A trust``, ``listen_addresses=127.0.0.1``, a private socket directory,
``fsync=off``), on a free port, and is stopped at the end.

Plain Python (no pytest) so that ``benchmarks/load.py`` can use it as well as ``conftest.py``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_INSTALL_HINT = (
    "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin. Install them with "
    "`apt-get install -y postgresql` (as root; `make test` does this when run as root)."
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with an ``initdb``, or None."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


class PostgresCluster:
    """A private PostgreSQL cluster on 127.0.0.1, started by :meth:`start`, removed by :meth:`stop`.

    ``durable=False`` (the default, for tests) turns fsync, synchronous commit and full-page
    writes off; the load harness passes ``durable=True`` so its figures mean something.
    """

    def __init__(self, bin_dir: Path, *, durable: bool = False,
                 max_connections: int = 200) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="hiring-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.durable = durable
        self.max_connections = max_connections
        self._counter = itertools.count()

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.as_root:
            # PostgreSQL refuses to run as root: run it as the postgres user, from a directory
            # that user can read.
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, cwd=self.root, check=True, capture_output=True, text=True, timeout=120
        )

    def start(self) -> None:
        """initdb and start the server; returns once it accepts connections."""
        self.sockets.mkdir()
        if self.as_root:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sockets, "postgres")
            os.chmod(self.root, 0o755)  # noqa: S103 - the postgres user must enter it
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust",
                  "-U", "postgres", "-E", "UTF8", "--no-locale")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.sockets} "
            f"-c max_connections={self.max_connections}"
        )
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-o", options,
                  "-l", str(self.root / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop the server (immediate) and delete its files."""
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str) -> str:
        """The SQLAlchemy URL of database ``dbname`` (psycopg 3)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement on the ``postgres`` database, outside a transaction."""
        import psycopg

        with psycopg.connect(self.url("postgres").replace("+psycopg", ""),
                             autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self, template: str | None = None) -> str:
        """Create a database with a unique name (optionally from ``template``); returns it."""
        name = f"t{os.getpid()}_{next(self._counter)}"
        suffix = f" TEMPLATE {template}" if template else ""
        self.admin(f"CREATE DATABASE {name}{suffix}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still connected."""
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
