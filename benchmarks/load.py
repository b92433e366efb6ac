"""Load and fault harness: SECURITY.md "Integrity under load" (L1-L5, F1-F3) and throughput.

Usage::

    python benchmarks/load.py [--db sqlite|postgresql|both] [--short] [--workers N] [--only L1,F2]

For each database it makes a throwaway instance (its own folder and database; on PostgreSQL a
private cluster started like the tests' one, see ``tests/pgcluster.py``), migrates it, seeds it
through the app's operations (users with known passwords, requisitions with plans and kits,
applications, interviews with 8 interviewers), starts gunicorn (``HIRING_ENV=production``, a
generated secret key, 127.0.0.1 on a free port, several workers), logs clients in over HTTP (a
cookie jar per client, CSRF tokens scraped from pages, ``X-CSRFToken`` for autosave) and runs
the scenarios, each bounded in count and time. All traffic goes to 127.0.0.1.

Per scenario it prints requests, failures, 5xx, p50/p95/p99 latency and the integrity checks
(rows expected vs stored, ``PRAGMA integrity_check``); then the throughput table (requests/s
and p99 against ``/healthz`` served by the same gunicorn, 3 runs, medians). The exit status is
1 when any check fails. ``make load`` runs it on both databases; ``make test`` runs a short,
integrity-only version (``tests/load/test_integrity.py``) that asserts the checks and only
prints the latencies.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import http.client
import http.cookies
import io
import json
import math
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.pgcluster import PG_INSTALL_HINT, PostgresCluster, free_port, pg_bin  # noqa: E402

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent
SQLITE_BUSY_TIMEOUT_S = 5.0  # hiring.db.SQLITE_BUSY_TIMEOUT_MS / 1000
RENDER_CONCURRENCY = 2
#: L5: how long a download keeps retrying (as its Retry-After asks) before it gives up.
RENDER_RETRY_BUDGET_S = 180.0
Out = Callable[[str], None]


class HarnessError(RuntimeError):
    """The harness itself could not go on (server did not start, a login failed, ...)."""


# =============================================================================== settings


@dataclass(frozen=True)
class Settings:
    """How much each scenario does; every loop is bounded by these counts and by time."""

    workers: int = 4
    l1_rounds: int = 20
    l2_edits: int = 20  # per recruiter
    l3_submits: int = 8
    l4_rows: int = 5000
    l4_readers: int = 50
    l5_downloads: int = 20
    l5_processes: int = 4
    f1_rows: int = 5000
    f2_hold_s: float = 10.0
    f2_hold_pg_s: float = 10.0  # PostgreSQL: writes simply wait, no busy timeout to outlast
    f3_rounds: int = 5
    throughput_seconds: float = 4.0
    throughput_repeats: int = 3
    throughput_clients: int = 8
    #: F3 through the real ``flask backup``/``restore`` commands and a second gunicorn (full
    #: run); the short run calls the same functions in-process and serves with the test client.
    f3_cli: bool = True
    scenario_timeout_s: float = 240.0
    scenarios: tuple[str, ...] = ("L1", "L2", "L3", "L4", "L5", "T", "F1", "F2", "F3")


FULL = Settings()
#: ``make test``: integrity only, few rounds, a few seconds per scenario.
SHORT = Settings(l1_rounds=3, l2_edits=6, l4_rows=400, l4_readers=10, f1_rows=1500,
                 f2_hold_s=6.5, f2_hold_pg_s=2.0, f3_rounds=2, f3_cli=False,
                 scenario_timeout_s=60.0,
                 scenarios=("L1", "L2", "L3", "L4", "F1", "F2", "F3"))


# =============================================================================== HTTP client


@dataclass
class Response:
    """One answer (status 0: no answer at all: refused, reset or timed out)."""

    status: int
    headers: dict[str, str]
    body: bytes
    ms: float
    error: str = ""

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8", "replace")


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(page: str) -> str | None:
    """The first CSRF token on a page."""
    match = CSRF_RE.search(page)
    return html.unescape(match.group(1)) if match else None


def input_value(page: str, name: str) -> str | None:
    """The value of the ``<input name=NAME>`` on a page (None when absent)."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def saved_version(answer: Response) -> str | None:
    """The draft version a scorecard save redirected to (``...?saved=N``), if it saved."""
    match = re.search(r"[?&]saved=(\d+)", answer.headers.get("location", ""))
    return match.group(1) if answer.status == 302 and match else None


def hidden_fields(page: str) -> list[tuple[str, str]]:
    """Every ``<input type="hidden">`` of a page as (name, value), in order."""
    fields = []
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="hidden"' not in tag:
            continue
        name = re.search(r'\bname="([^"]*)"', tag)
        value = re.search(r'\bvalue="([^"]*)"', tag)
        if name:
            fields.append((html.unescape(name.group(1)),
                           html.unescape(value.group(1)) if value else ""))
    return fields


def encode_multipart(fields: Sequence[tuple[str, str]],
                     files: Sequence[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body: ``fields`` and (name, filename, data, content type) files."""
    boundary = "----hiringload" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in fields:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  .encode())
        out.write(str(value).encode("utf-8") + b"\r\n")
    for name, filename, data, ctype in files:
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class Client:
    """A browser stand-in: one cookie jar, the CSRF token of its session, plain http.client.

    Thread-safe: several threads may share one client (one session, like tabs of one browser).
    Redirects are not followed (their status is what the scenarios check).
    """

    def __init__(self, port: int, name: str = "anonymous", timeout: float = 120.0) -> None:
        self.port = port
        self.name = name
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self._lock = threading.Lock()

    def _store_cookies(self, headers: list[str]) -> None:
        for header in headers:
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(header)
            except http.cookies.CookieError:
                continue
            with self._lock:
                for key, morsel in jar.items():
                    expired = morsel["max-age"] == "0" or "1970" in (morsel["expires"] or "")
                    if expired or not morsel.value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value

    def request(self, method: str, path: str, *, fields: Sequence[tuple[str, str]] | None = None,
                files: Sequence[tuple[str, str, bytes, str]] | None = None,
                multipart: bool = False, headers: dict[str, str] | None = None,
                on_connect: Callable[[int], None] | None = None,
                timeout: float | None = None) -> Response:
        """Send one request on a new connection (gunicorn's sync workers close after each)."""
        body: bytes | None = None
        send = {"Host": f"{HOST}:{self.port}", "User-Agent": "hiring-load/1"}
        if files or multipart:
            body, send["Content-Type"] = encode_multipart(fields or [], files or [])
        elif fields is not None:
            body = urlencode(list(fields)).encode()
            send["Content-Type"] = "application/x-www-form-urlencoded"
        with self._lock:
            cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if cookie:
            send["Cookie"] = cookie
        send.update(headers or {})
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout or self.timeout)
        started = time.perf_counter()
        try:
            connection.connect()
            if on_connect is not None and connection.sock is not None:
                on_connect(connection.sock.getsockname()[1])
            connection.request(method, path, body=body, headers=send)
            raw = connection.getresponse()
            data = raw.read()
            ms = (time.perf_counter() - started) * 1000
            self._store_cookies(raw.headers.get_all("Set-Cookie") or [])
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data, ms)
        except (OSError, http.client.HTTPException) as exc:
            return Response(0, {}, b"", (time.perf_counter() - started) * 1000,
                            f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    def get(self, path: str, **kwargs: Any) -> Response:
        """GET ``path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, fields: Sequence[tuple[str, str]], *, token: str | None = None,
             **kwargs: Any) -> Response:
        """POST a form with the session's CSRF token added (unless ``fields`` carry one)."""
        fields = list(fields)
        if not any(name == "csrf_token" for name, _ in fields):
            fields.append(("csrf_token", token or self.csrf or ""))
        return self.request("POST", path, fields=fields, **kwargs)

    def login(self, email: str, password: str) -> None:
        """Log in through the login form, then take the session's CSRF token from a page."""
        page = self.get("/login")
        token = csrf_from(page.text)
        if page.status != 200 or not token:
            raise HarnessError(f"login page: {page.status} {page.error}")
        answer = self.request("POST", "/login", fields=[
            ("email", email), ("password", password), ("next", ""), ("csrf_token", token)])
        if answer.status != 302:
            raise HarnessError(f"login of {email} answered {answer.status} {answer.error}")
        home = self.get("/")  # the session was renewed at login (SESS-2): a new token
        self.csrf = csrf_from(home.text)
        if not self.csrf:
            raise HarnessError(f"no CSRF token on the dashboard of {email} ({home.status})")
        self.name = email


# =============================================================================== statistics


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Sample:
    """One request as recorded by a scenario."""

    label: str
    status: int
    ms: float
    expected: bool
    locked: bool
    error: str


class Recorder:
    """Collects every request of a scenario (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: list[Sample] = []

    def add(self, label: str, response: Response, expected: set[int] | frozenset[int]
            ) -> Response:
        """Record ``response`` under ``label``; ``expected`` are the statuses that pass."""
        sample = Sample(label, response.status, response.ms, response.status in expected,
                        b"database is locked" in response.body, response.error)
        with self._lock:
            self.samples.append(sample)
        return response


@dataclass
class Check:
    """One integrity check and what it found."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class ScenarioResult:
    """What a scenario did and found (printed by :meth:`report`)."""

    key: str
    title: str
    db: str
    samples: list[Sample] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    not_runnable: str = ""
    allowed_5xx: frozenset[int] = frozenset()
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        """Add a check; returns ``ok``."""
        self.checks.append(Check(name, bool(ok), detail))
        return bool(ok)

    @property
    def requests(self) -> int:
        """Requests sent."""
        return len(self.samples)

    @property
    def failures(self) -> int:
        """Requests answered with a status the scenario did not expect (or not at all)."""
        return sum(1 for s in self.samples if not s.expected)

    @property
    def five_xx(self) -> int:
        """Requests answered 5xx."""
        return sum(1 for s in self.samples if s.status >= 500)

    @property
    def ok(self) -> bool:
        """Every check passed (a scenario that could not run is not ok)."""
        return not self.not_runnable and all(c.ok for c in self.checks)

    def latency(self, label: str | None = None) -> tuple[float, float, float]:
        """p50, p95, p99 in ms (all requests, or those labelled ``label``)."""
        values = [s.ms for s in self.samples if label is None or s.label == label]
        return percentile(values, 50), percentile(values, 95), percentile(values, 99)

    def report(self) -> str:
        """The printed block: totals, per-label latency, checks and notes."""
        if self.not_runnable:
            return f"[{self.db}] {self.key}  {self.title}: NOT YET RUNNABLE: {self.not_runnable}"
        verdict = "PASS" if self.ok else "FAIL"
        p50, p95, p99 = self.latency()
        lines = [
            f"[{self.db}] {self.key}  {self.title}: {verdict} ({self.seconds:.1f} s)",
            f"    requests {self.requests}  failures {self.failures}  5xx {self.five_xx}  "
            f"p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms",
        ]
        labels = list(dict.fromkeys(s.label for s in self.samples))
        if len(labels) > 1:
            for label in labels:
                group = [s for s in self.samples if s.label == label]
                l50, l95, l99 = self.latency(label)
                statuses = ",".join(f"{k}x{v}" for k, v in sorted(
                    _counts(s.status for s in group).items()))
                lines.append(f"      {label:<24} {len(group):>5} req  p50 {l50:8.1f}  "
                             f"p95 {l95:8.1f}  p99 {l99:8.1f} ms  [{statuses}]")
        for check in self.checks:
            mark = "ok  " if check.ok else "FAIL"
            lines.append(f"    {mark} {check.name}" + (f": {check.detail}" if check.detail
                                                       else ""))
        lines.extend(f"    note: {note}" for note in self.notes)
        return "\n".join(lines)


def _counts(values: Iterator[int] | Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def run_threads(target: Callable[..., None], args_list: Sequence[tuple[Any, ...]],
                timeout: float) -> list[BaseException]:
    """Run ``target(*args)`` in one thread each; join them within ``timeout``; errors back."""
    errors: list[BaseException] = []

    def wrapped(*args: Any) -> None:
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)

    threads = [threading.Thread(target=wrapped, args=args, daemon=True) for args in args_list]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(1 for t in threads if t.is_alive())
    if stuck:
        errors.append(TimeoutError(f"{stuck} thread(s) still running after {timeout:.0f} s"))
    return errors


# =============================================================================== database access


class Store:
    """The harness's own view of the database: counts, integrity, locks held on purpose."""

    def __init__(self, kind: str, url: str, cluster: PostgresCluster | None = None) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.kind = kind
        self.url = url
        self.cluster = cluster
        args = {"timeout": 30} if kind == "sqlite" else {}
        self.engine = create_engine(url, poolclass=NullPool, connect_args=args)

    @property
    def sqlite_path(self) -> Path:
        """The SQLite file."""
        from sqlalchemy.engine import make_url

        return Path(make_url(self.url).database or "")

    @property
    def libpq_url(self) -> str:
        """The PostgreSQL URL as libpq tools take it."""
        return self.url.replace("+psycopg", "")

    def rows(self, sql: str, **params: Any) -> list[Any]:
        """All rows of ``sql`` (lists bind as expanding IN parameters)."""
        from sqlalchemy import bindparam, text

        statement = text(sql)
        expanding = [bindparam(k, expanding=True) for k, v in params.items()
                     if isinstance(v, (list, tuple, set))]
        if expanding:
            statement = statement.bindparams(*expanding)
        params = {k: list(v) if isinstance(v, (set, tuple)) else v for k, v in params.items()}
        with self.engine.connect() as connection:
            return list(connection.execute(statement, params).all())

    def scalar(self, sql: str, **params: Any) -> Any:
        """The first column of the first row of ``sql``."""
        rows = self.rows(sql, **params)
        return rows[0][0] if rows else None

    def integrity(self) -> str:
        """``PRAGMA integrity_check`` on SQLite (``ok`` or the problems); n/a on PostgreSQL."""
        if self.kind != "sqlite":
            return "n/a on PostgreSQL (the server enforces its own consistency)"
        connection = sqlite3.connect(self.sqlite_path, timeout=30)
        try:
            rows = [r[0] for r in connection.execute("PRAGMA integrity_check").fetchall()]
        finally:
            connection.close()
        return "ok" if rows == ["ok"] else "; ".join(rows[:5])

    def integrity_ok(self) -> tuple[bool, str]:
        """Whether :meth:`integrity` passed, and its text."""
        found = self.integrity()
        return (found == "ok" or self.kind != "sqlite"), found

    def writer_busy(self) -> bool:
        """Whether some connection is inside a write transaction right now."""
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.sqlite_path, timeout=0, isolation_level=None)
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError as exc:
                return "locked" in str(exc) or "busy" in str(exc)
            finally:
                connection.close()
        return bool(self.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
            "AND xact_start IS NOT NULL AND state <> 'idle'"))

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the write lock from another connection: SQLite's database lock (BEGIN
        IMMEDIATE); on PostgreSQL, which has none, an EXCLUSIVE lock on ``scorecards``
        (writes to it wait, reads go on)."""
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.sqlite_path, timeout=30, isolation_level=None)
            try:
                connection.execute("BEGIN IMMEDIATE")
                yield
            finally:
                connection.execute("ROLLBACK")
                connection.close()
            return
        import psycopg

        with psycopg.connect(self.libpq_url) as connection:
            connection.execute("LOCK TABLE scorecards IN EXCLUSIVE MODE")
            try:
                yield
            finally:
                connection.rollback()

    def dispose(self) -> None:
        """Close the engine."""
        self.engine.dispose()


# =============================================================================== gunicorn


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (vanished ones count 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rfind(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def child_pids(parent: int) -> list[int]:
    """PIDs whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat[stat.rfind(")") + 2:].split()[1]) == parent:
                    found.append(int(entry.name))
    return found


def _gunicorn_has_control_socket() -> bool:
    try:
        from gunicorn import config
    except ImportError:  # pragma: no cover - gunicorn is a dependency
        return False
    return any(s.name == "control_socket_disable" for s in config.KNOWN_SETTINGS)


class Gunicorn:
    """gunicorn serving ``wsgi:app`` on 127.0.0.1 with its own instance, database and secret."""

    def __init__(self, *, url: str, instance: Path, workers: int, log: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.url = url
        self.instance = instance
        self.workers = workers
        self.log = log
        self.extra_env = extra_env or {}
        self.secret = secrets.token_urlsafe(48)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log_handle: Any = None

    def env(self) -> dict[str, str]:
        """The environment of the server (and of CLI commands on the same instance)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HIRING_")}
        env.update({
            "HIRING_ENV": "production",
            "HIRING_SECRET_KEY": self.secret,
            "HIRING_INSTANCE_PATH": str(self.instance),
            "HIRING_DATABASE_URL": self.url,
            "HIRING_BASE_URL": f"http://{HOST}:{self.port or 8000}",
            "HIRING_LOG_LEVEL": "INFO",
            "HIRING_RENDER_CONCURRENCY": str(RENDER_CONCURRENCY),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def launch(self) -> Gunicorn:
        """Start the master (returns at once; :meth:`wait_ready` waits for it)."""
        self.port = free_port()
        self.instance.mkdir(parents=True, exist_ok=True)
        gunicorn = BIN / "gunicorn"
        command = [str(gunicorn if gunicorn.exists() else "gunicorn"),
                   "--workers", str(self.workers), "--bind", f"{HOST}:{self.port}",
                   "--timeout", "120", "--graceful-timeout", "10", "--preload",
                   "--error-logfile", "-", "--chdir", str(ROOT), "wsgi:app"]
        if _gunicorn_has_control_socket():
            # gunicorn 27 opens ~/.gunicorn/gunicorn.ctl by default: one per host, so several
            # servers (this one, the tests', someone's `make serve`) would share it.
            command[1:1] = ["--no-control-socket"]
        self._log_handle = self.log.open("ab")
        self.process = subprocess.Popen(command, env=self.env(), cwd=ROOT,
                                        stdout=self._log_handle, stderr=self._log_handle)
        return self

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Poll ``/readyz`` until 200; raise with the log's tail when it never comes."""
        deadline = time.monotonic() + timeout
        probe = Client(self.port)
        answer = Response(0, {}, b"", 0, "not asked")
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise HarnessError(f"gunicorn exited ({self.process.returncode}):\n"
                                   + self.log_tail())
            answer = probe.get("/readyz", timeout=5)
            if answer.status == 200:
                return
            time.sleep(0.2)
        raise HarnessError(f"gunicorn did not become ready (/readyz: {answer.status} "
                           f"{answer.text[:200]}{answer.error}):\n" + self.log_tail())

    def start(self) -> Gunicorn:
        """Start and wait until ready."""
        self.launch()
        self.wait_ready()
        return self

    def worker_pids(self) -> list[int]:
        """PIDs of the master's worker processes."""
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command may contain spaces or parentheses: the fields after the last ")".
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 1 and int(fields[1]) == self.process.pid:
                pids.append(int(entry.name))
        return pids

    def worker_serving(self, client_port: int) -> int | None:
        """The worker holding the server side of the connection from ``client_port``."""
        inode = None
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError):
                for line in Path(table).read_text().splitlines()[1:]:
                    parts = line.split()
                    local, remote = parts[1], parts[2]
                    if int(local.rsplit(":", 1)[1], 16) == self.port and \
                            int(remote.rsplit(":", 1)[1], 16) == client_port:
                        inode = parts[9]
        if inode is None:
            return None
        wanted = f"socket:[{inode}]"
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        if os.readlink(fd) == wanted:
                            return pid
        return None

    def log_size(self) -> int:
        """Bytes in the server log so far."""
        return self.log.stat().st_size if self.log.exists() else 0

    def log_text(self, since: int = 0) -> str:
        """The server log from byte ``since``."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as fh:
            fh.seek(since)
            return fh.read().decode("utf-8", "replace")

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server log."""
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the master (it stops its workers), SIGKILL what is left, by PID."""
        if self.process is None:
            return
        workers = self.worker_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in workers:
            with contextlib.suppress(OSError):
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                if b"gunicorn" in cmdline:
                    os.kill(pid, signal.SIGKILL)
        if self._log_handle is not None:
            self._log_handle.close()
        self.process = None


# =============================================================================== seeding


@dataclass
class InterviewInfo:
    """An interview the scenarios fill scorecards for: its kit's focus and questions."""

    id: int
    application_id: int
    focus: list[int]
    questions: list[int]


@dataclass
class Seed:
    """What :func:`seed_database` created (ids and credentials the scenarios use)."""

    password: str
    recruiters: list[str]
    manager: str
    interviewers: list[str]
    user_ids: dict[str, int]
    main_requisition: int
    settings_requisition: int
    import_requisitions: dict[str, int]
    interviews: dict[str, list[InterviewInfo]]
    packet_rule: str | None
    ranking_rule: str | None


INTERVIEWERS = 8


def _interview_plan(settings: Settings) -> dict[str, int]:
    return {"l1": settings.l1_rounds, "l3": 1, "l5": 3, "tp": 1, "f2": 1,
            "f3": settings.f3_rounds}


def _discover(app: Any) -> tuple[str | None, str | None]:
    """The packet download rule for one interview and the ranking page rule, if they exist."""
    packet = ranking = None
    for rule in app.url_map.iter_rules():
        methods = rule.methods or set()
        if "GET" not in methods:
            continue
        if packet is None and "packet" in (rule.endpoint + rule.rule) and \
                set(rule.arguments) == {"interview_id"}:
            packet = rule.rule
        if ranking is None and rule.rule.endswith("/ranking") and \
                set(rule.arguments) == {"requisition_id"}:
            ranking = rule.rule
    return packet, ranking


def seed_database(url: str, instance: Path, settings: Settings) -> Seed:
    """Migrate ``url`` and create the scenarios' data through the app's operations."""
    from hiring import create_app
    from hiring import db as database
    from hiring.operations.accounts import create_user
    from hiring.operations.bank import load_bank
    from hiring.operations.candidates import create_candidate
    from hiring.operations.interviews import schedule_interview
    from hiring.operations.requisitions import change_status, create_requisition
    from hiring.question_bank import read_bank

    database.upgrade(url)
    app = create_app({"HIRING_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
                      "DATABASE_URL": url, "INSTANCE_PATH": str(instance)})
    password = "load-" + secrets.token_urlsafe(12)
    recruiters = ["recruiter1@example.com", "recruiter2@example.com"]
    manager = "manager@example.com"
    interviewers = [f"interviewer{i}@example.com" for i in range(1, INTERVIEWERS + 1)]
    people = ([(e, f"Recruiter {i}", ["recruiter"]) for i, e in enumerate(recruiters, 1)]
              + [(manager, "Hiring Manager", ["hiring_manager", "interviewer"])]
              + [(e, f"Interviewer {i}", ["interviewer"]) for i, e in enumerate(interviewers,
                                                                                 1)])

    from hiring.operations import accounts

    # Every user is made by create_user; they share one password, so its argon2id hash (half a
    # second of CPU here, by design) is computed once and reused instead of eleven times.
    shared_hash = accounts.hash_password(password)
    real_hash = accounts.hash_password
    accounts.hash_password = lambda given: shared_hash if given == password else \
        real_hash(given)
    try:
        with app.app_context(), database.write_session() as session:
            for email, name, roles in people:
                create_user(session, email=email, name=name, roles=roles, password=password,
                            must_change_password=False)
    finally:
        accounts.hash_password = real_hash

    now = datetime.now(UTC)
    with app.app_context(), database.write_session() as session:
        from sqlalchemy import select

        from hiring.models import User

        users = {u.email: u for u in session.scalars(select(User))}
        bank = read_bank(ROOT / "question_bank")
        if not bank.ok:
            raise HarnessError(f"question bank has errors: {bank.problems[:3]}")
        load_bank(session, bank)
        recruiter, boss = users[recruiters[0]], users[manager]

        def requisition(title: str) -> Any:
            created = create_requisition(
                session, actor=recruiter, title=title, profile_key="ml-engineer", level="mid",
                hiring_manager_id=boss.id, team_model="centralized", timezone="UTC")
            change_status(session, created, "open", actor=boss,
                          uncovered_reason="load test requisition")
            return created

        main = requisition("Load: ML engineer")
        step = list(main.steps)[0]
        panel = [users[e].id for e in interviewers]
        interviews: dict[str, list[InterviewInfo]] = {}
        for purpose, count in _interview_plan(settings).items():
            interviews[purpose] = []
            for index in range(count):
                application = create_candidate(
                    session, actor=recruiter, requisition=main,
                    name=f"Load {purpose.upper()} Candidate {index}",
                    email=f"load-{purpose}-{index}@example.com", source="load test")
                interview = schedule_interview(
                    session, actor=recruiter, application=application, step_id=step.id,
                    starts_at=now - timedelta(hours=2), minutes=step.minutes,
                    interviewer_ids=panel)
                interviews[purpose].append(InterviewInfo(
                    interview.id, application.id,
                    [f.competency_id for f in interview.kit_version.focus],
                    [i.question_version_id for i in interview.kit_version.items]))
        settings_req = requisition("Load: settings edited by two recruiters")
        imports = {key: requisition(f"Load: import {key}").id for key in ("l4", "f1", "spare")}
        seed = Seed(password=password, recruiters=recruiters, manager=manager,
                    interviewers=interviewers, user_ids={e: u.id for e, u in users.items()},
                    main_requisition=main.id, settings_requisition=settings_req.id,
                    import_requisitions=imports, interviews=interviews,
                    packet_rule=None, ranking_rule=None)
    seed.packet_rule, seed.ranking_rule = _discover(app)
    database.get_database(app).dispose()
    return seed


# =============================================================================== scenarios


RECOMMENDATIONS = ("strong_no", "no", "yes", "strong_yes")


def scorecard_fields(info: InterviewInfo, tag: str, k: int
                     ) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """A complete scorecard for ``info`` marked with ``tag``, and what must be stored."""
    fields: list[tuple[str, str]] = []
    ratings: dict[int, tuple[int, str]] = {}
    for j, qid in enumerate(info.questions):
        fields.append((f"qnote_{qid}", f"{tag} note {j}: answered with a concrete example."))
    for j, cid in enumerate(info.focus):
        rating = (k + j) % 4 + 1
        evidence = f"{tag} evidence {cid}: weighed two options and chose with numbers."
        fields += [(f"evidence_{cid}", evidence), (f"rating_{cid}", str(rating))]
        ratings[cid] = (rating, evidence)
    recommendation = RECOMMENDATIONS[k % 4]
    fields += [("takeaways", f"{tag} take-aways."), ("recommendation", recommendation)]
    return fields, {"ratings": ratings, "recommendation": recommendation}


def candidates_csv(rows: int, tag: str) -> bytes:
    """A clean import file of ``rows`` fictional people (unique e-mail addresses)."""
    out = io.StringIO()
    out.write("name,email,phone,location,source,notes\n")
    for i in range(rows):
        out.write(f"Load {tag} Person {i},{tag}-{i}@example.com,+49 30 555{i:05d},Berlin,"
                  f"load test,row {i}\n")
    return out.getvalue().encode()


class Harness:
    """One database, one gunicorn, logged-in clients, and the scenarios."""

    def __init__(self, kind: str, settings: Settings = FULL, *,
                 cluster: PostgresCluster | None = None, template: str | Path | None = None,
                 out: Out = print) -> None:
        if kind not in ("sqlite", "postgresql"):
            raise ValueError(kind)
        self.kind = kind
        self.settings = settings
        self.out = out
        self.cluster = cluster
        self.template = template
        self.own_cluster = False
        self.tmp = Path(tempfile.mkdtemp(prefix=f"hiring-load-{kind}-"))
        self.instance = self.tmp / "instance"
        self.dbname: str | None = None
        self.server: Gunicorn | None = None
        self.store: Store | None = None
        self.seed: Seed | None = None
        self.interviewers: list[Client] = []
        self.recruiters: list[Client] = []
        self.results: list[ScenarioResult] = []
        self.import_seconds_per_row: float | None = None

    # ------------------------------------------------------------------ set-up and tear-down

    def setup(self) -> None:
        """Database, seed, gunicorn, logins."""
        started = time.perf_counter()
        self.instance.mkdir(parents=True)
        if self.kind == "sqlite":
            path = self.instance / "hiring.db"
            if self.template:
                shutil.copyfile(self.template, path)
            url = f"sqlite:///{path}"
        else:
            if self.cluster is None:
                bin_dir = pg_bin()
                if bin_dir is None:
                    raise HarnessError(PG_INSTALL_HINT)
                # Durable settings (fsync on) so the figures mean what they would in production.
                self.cluster = PostgresCluster(bin_dir, durable=True)
                self.cluster.start()
                self.own_cluster = True
            self.dbname = self.cluster.new_database(template=str(self.template)
                                                    if self.template else None)
            url = self.cluster.url(self.dbname)
        self.store = Store(self.kind, url, self.cluster)
        self.server = Gunicorn(url=url, instance=self.instance, workers=self.settings.workers,
                               log=self.tmp / "gunicorn.log")
        self.server.launch()  # imports the app while we seed
        self.seed = seed_database(url, self.instance, self.settings)
        seeded = time.perf_counter()
        self.server.wait_ready()
        ready = time.perf_counter()
        port = self.server.port

        def login(email: str) -> Client:
            client = Client(port)
            client.login(email, self.seed.password)  # type: ignore[union-attr]
            return client

        with ThreadPoolExecutor(4) as pool:
            self.interviewers = list(pool.map(login, self.seed.interviewers))
            self.recruiters = list(pool.map(login, self.seed.recruiters))
        self.out(f"[{self.kind}] gunicorn {self.settings.workers} workers on {HOST}:{port}; "
                 f"set up in {time.perf_counter() - started:.1f} s (seeded in "
                 f"{seeded - started:.1f} s, ready {ready - seeded:.1f} s later, "
                 f"{len(self.interviewers) + len(self.recruiters)} logins in "
                 f"{time.perf_counter() - ready:.1f} s)")

    def close(self) -> None:
        """Stop everything this harness started and delete its files."""
        try:
            if self.server is not None:
                self.server.stop()
            if self.store is not None:
                self.store.dispose()
            if self.cluster is not None:
                if self.own_cluster:
                    self.cluster.stop()
                elif self.dbname:
                    self.cluster.drop_database(self.dbname)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Harness:
        try:
            self.setup()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ running

    @property
    def _server(self) -> Gunicorn:
        assert self.server is not None
        return self.server

    @property
    def _store(self) -> Store:
        assert self.store is not None
        return self.store

    @property
    def _seed(self) -> Seed:
        assert self.seed is not None
        return self.seed

    def run(self, key: str, title: str, body: Callable[[Recorder, ScenarioResult], None], *,
            locked_expected: bool = False, allowed_5xx: frozenset[int] = frozenset()
            ) -> ScenarioResult:
        """Run one scenario, add the common checks, print and keep its result."""
        result = ScenarioResult(key, title, self.kind, allowed_5xx=allowed_5xx)
        recorder = Recorder()
        log_start = self._server.log_size()
        started = time.perf_counter()
        try:
            body(recorder, result)
        except Exception as exc:  # noqa: BLE001 - reported as a failed check
            result.check("scenario ran to the end", False, f"{type(exc).__name__}: {exc}")
            result.notes.append(traceback.format_exc(limit=4).replace("\n", " | "))
        result.seconds = time.perf_counter() - started
        result.samples = recorder.samples
        if not result.not_runnable:
            log = self._server.log_text(log_start)
            unexpected = [s for s in result.samples if s.status >= 500
                          and s.status not in allowed_5xx]
            result.check("no 5xx" + (f" besides {sorted(allowed_5xx)}" if allowed_5xx else ""),
                         not unexpected, f"{len(unexpected)} answered 5xx" if unexpected else "")
            if not locked_expected:
                locked = sum(1 for s in result.samples if s.locked) + \
                    log.count("database is locked")
                result.check('no "database is locked"', locked == 0,
                             f"{locked} found" if locked else "")
            tracebacks = log.count("Traceback (most recent call last)")
            result.check("no traceback in the server log", tracebacks == 0,
                         f"{tracebacks} found" if tracebacks else "")
            if tracebacks or unexpected:
                result.notes.append("server log tail: " + " | ".join(
                    log.splitlines()[-15:]))
        self.results.append(result)
        self.out(result.report())
        return result

    def run_all(self) -> list[ScenarioResult]:
        """Every scenario listed in the settings, in order."""
        wanted = self.settings.scenarios
        table: list[tuple[str, Callable[[], Any]]] = [
            ("L1", self.l1), ("L2", self.l2), ("L3", self.l3), ("L4", self.l4),
            ("L5", self.l5), ("T", self.throughput), ("F1", self.f1), ("F2", self.f2),
            ("F3", self.f3),
        ]
        for key, method in table:
            if key in wanted:
                method()
        return self.results

    # ------------------------------------------------------------------ shared steps

    def _submit_rounds(self, recorder: Recorder, result: ScenarioResult,
                       interviews: list[InterviewInfo], tag: str,
                       on_round: Callable[[int], None] | None = None) -> dict[Any, Any]:
        """Each round: the 8 interviewers open the scorecard, then submit at once."""
        expected: dict[tuple[int, int], dict[str, Any]] = {}
        deadline = time.monotonic() + self.settings.scenario_timeout_s
        for r, info in enumerate(interviews):
            if time.monotonic() > deadline:
                result.notes.append(f"{tag}: stopped at the time bound after {r} rounds")
                break
            if on_round is not None:
                on_round(r)
            barrier = threading.Barrier(len(self.interviewers))
            url = f"/interviews/{info.id}/scorecard"

            def one(k: int, client: Client, r: int = r, info: InterviewInfo = info,
                    url: str = url, barrier: threading.Barrier = barrier) -> None:
                page = recorder.add("scorecard page", client.get(url), {200})
                fields, want = scorecard_fields(info, f"{tag} r{r} i{k}", k + r)
                expected[(info.id, self._seed.user_ids[client.name])] = want
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=30)
                fields += [("action", "submit"), ("version", input_value(page.text, "version")
                                                  or "")]
                recorder.add("submit", client.post(url, fields, token=csrf_from(page.text)),
                             {302})

            errors = run_threads(one, list(enumerate(self.interviewers)), timeout=90)
            if errors:
                raise errors[0]
        return expected

    def _verify_scorecards(self, result: ScenarioResult, expected: dict[Any, Any],
                           interview_ids: list[int]) -> None:
        """Rows expected vs stored, each compared field by field with what was sent."""
        store = self._store
        cards = store.rows(
            "SELECT id, interview_id, interviewer_id, status, recommendation FROM scorecards "
            "WHERE interview_id IN :ids", ids=interview_ids)
        ratings: dict[int, dict[int, tuple[int, str]]] = {}
        for sid, cid, rating, evidence in store.rows(
                "SELECT r.scorecard_id, r.competency_id, r.rating, r.evidence "
                "FROM competency_ratings r JOIN scorecards s ON s.id = r.scorecard_id "
                "WHERE s.interview_id IN :ids", ids=interview_ids):
            ratings.setdefault(sid, {})[cid] = (rating, evidence)
        by_key: dict[tuple[int, int], list[Any]] = {}
        for card in cards:
            by_key.setdefault((card[1], card[2]), []).append(card)
        matched, problems = 0, []
        for key, want in expected.items():
            rows = by_key.get(key, [])
            if len(rows) != 1:
                problems.append(f"{key}: {len(rows)} scorecards")
                continue
            card = rows[0]
            if card[3] != "submitted" or card[4] != want["recommendation"] or \
                    ratings.get(card[0], {}) != want["ratings"]:
                problems.append(f"{key}: stored differs from sent")
                continue
            matched += 1
        submitted = sum(1 for c in cards if c[3] == "submitted")
        result.check("rows as sent", matched == len(expected) and submitted == len(expected),
                     f"{matched}/{len(expected)} expected match; {submitted} submitted stored"
                     + (f"; {problems[:3]}" if problems else ""))

    def _integrity(self, result: ScenarioResult) -> None:
        ok, found = self._store.integrity_ok()
        result.check("PRAGMA integrity_check" if self.kind == "sqlite" else "integrity_check",
                     ok, found)

    def _preview_import(self, recorder: Recorder, client: Client, requisition_id: int,
                        data: bytes, filename: str) -> list[tuple[str, str]]:
        """Upload and preview a CSV; the confirm form's fields."""
        path = f"/requisitions/{requisition_id}/import"
        page = recorder.add("import page", client.get(path), {200})
        preview = recorder.add("import preview", client.request(
            "POST", path, fields=[("csrf_token", csrf_from(page.text) or "")],
            files=[("file", filename, data, "text/csv")]), {200})
        payload = input_value(preview.text, "payload")
        if preview.status != 200 or not payload:
            raise HarnessError(f"import preview answered {preview.status} without a confirm "
                               f"form {preview.error}")
        return [("csrf_token", csrf_from(preview.text) or ""), ("payload", payload),
                ("sha256", input_value(preview.text, "sha256") or ""),
                ("filename", input_value(preview.text, "filename") or filename)]

    def _applications(self, requisition_id: int) -> int:
        return int(self._store.scalar(
            "SELECT count(*) FROM applications WHERE requisition_id = :r", r=requisition_id))

    # ------------------------------------------------------------------ L1

    def l1(self) -> ScenarioResult:
        """8 interviewers submit scorecards for one candidate at once, N rounds."""
        interviews = self._seed.interviews["l1"]

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            expected = self._submit_rounds(recorder, result, interviews, "L1")
            self._verify_scorecards(result, expected, [i.id for i in interviews])
            self._integrity(result)

        return self.run("L1", f"{INTERVIEWERS} interviewers submit at once, "
                              f"{len(interviews)} rounds", body)

    # ------------------------------------------------------------------ L2

    def l2(self) -> ScenarioResult:
        """Two recruiters edit one requisition's settings, with stale versions half the time."""
        rid = self._seed.settings_requisition
        url = f"/requisitions/{rid}/settings"
        edits = self.settings.l2_edits

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            store = self._store
            initial = int(store.scalar("SELECT version FROM requisitions WHERE id = :r", r=rid))
            outcomes: list[dict[str, Any]] = []
            lock = threading.Lock()
            deadline = time.monotonic() + self.settings.scenario_timeout_s

            def editor(index: int, client: Client) -> None:
                rng = random.Random(7919 + index)
                earlier = ""
                for n in range(edits):
                    if time.monotonic() > deadline:
                        break
                    page = recorder.add("settings page", client.get(url), {200})
                    loaded = input_value(page.text, "version") or ""
                    # Every other save sends the version loaded before the previous save: stale
                    # whenever anyone (this recruiter included) saved since.
                    stale = n % 2 == 1
                    version = earlier if stale else loaded
                    earlier = loaded
                    title = f"L2 recruiter{index + 1} edit {n:02d}"
                    answer = recorder.add("settings save", client.post(url, [
                        ("title", title), ("team_model", "centralized"),
                        ("headcount", str(1 + (n + index) % 9)),
                        ("location", f"Desk {index + 1}-{n}"), ("timezone", "UTC"),
                        ("retention_days", "365"), ("visibility", "after_own"),
                        ("version", version)], token=csrf_from(page.text)), {302, 409})
                    with lock:
                        outcomes.append({"title": title, "version": version,
                                         "status": answer.status, "stale": stale,
                                         "kept": answer.status != 409 or title in answer.text})
                    time.sleep(rng.uniform(0, 0.01))

            errors = run_threads(editor, list(enumerate(self.recruiters)),
                                 timeout=self.settings.scenario_timeout_s)
            if errors:
                raise errors[0]
            title, final, location = store.rows(
                "SELECT title, version, location FROM requisitions WHERE id = :r", r=rid)[0]
            committed = [o for o in outcomes if o["status"] == 302]
            conflicts = [o for o in outcomes if o["status"] == 409]
            versions = [int(o["version"]) for o in committed]
            result.check("every committed edit is a new version (none lost silently)",
                         len(committed) == final - initial and len(set(versions)) ==
                         len(versions),
                         f"{len(committed)} committed, version {initial} -> {final}")
            last = max(committed, key=lambda o: int(o["version"])) if committed else None
            result.check("final state = last committed edit",
                         last is not None and last["title"] == title,
                         f"stored {title!r}, last committed {last['title'] if last else None!r}")
            audited = int(store.scalar(
                "SELECT count(*) FROM audit_events WHERE action = 'requisition.update' "
                "AND subject_id = :s", s=str(rid)))
            result.check("one audit event per committed edit", audited == len(committed),
                         f"{audited} audit events")
            result.check("every 409 kept the input", all(o["kept"] for o in conflicts),
                         f"{len(conflicts)} answered 409")
            stale_sent = [o for o in outcomes if o["stale"]]
            result.notes.append(f"{len(outcomes)} edits, {len(stale_sent)} of them with the "
                                f"version loaded before the previous save: {len(committed)} "
                                f"committed, {len(conflicts)} answered 409 "
                                f"({sum(o['status'] == 409 for o in stale_sent)} of the stale "
                                "ones)")

        return self.run("L2", "2 recruiters edit one requisition, stale versions half the "
                              "time", body)

    # ------------------------------------------------------------------ L3

    def l3(self) -> ScenarioResult:
        """One interviewer double-submits 8 times at once (one session, 8 requests)."""
        info = self._seed.interviews["l3"][0]
        url = f"/interviews/{info.id}/scorecard"
        count = self.settings.l3_submits

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            client = self.interviewers[0]
            page = recorder.add("scorecard page", client.get(url), {200})
            fields, want = scorecard_fields(info, "L3", 0)
            fields += [("action", "submit"), ("version", input_value(page.text, "version")
                                              or "")]
            barrier = threading.Barrier(count)

            def submit() -> None:
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=30)
                recorder.add("submit", client.post(url, fields, token=csrf_from(page.text)),
                             {302, 400, 409})

            errors = run_threads(submit, [()] * count, timeout=90)
            if errors:
                raise errors[0]
            uid = self._seed.user_ids[client.name]
            rows = self._store.rows(
                "SELECT id, status FROM scorecards WHERE interview_id = :i AND "
                "interviewer_id = :u", i=info.id, u=uid)
            submitted = [r for r in rows if r[1] == "submitted"]
            result.check("exactly 1 submitted scorecard", len(rows) == 1 and len(submitted) == 1,
                         f"{len(rows)} scorecards, {len(submitted)} submitted")
            audits = int(self._store.scalar(
                "SELECT count(*) FROM audit_events WHERE action = 'scorecard.submit' AND "
                "subject_id = :s", s=str(rows[0][0]))) if rows else 0
            result.check("exactly 1 submit audited", audits == 1, f"{audits}")
            self._verify_scorecards(result, {(info.id, uid): want}, [info.id])
            statuses = _counts(s.status for s in recorder.samples if s.label == "submit")
            result.notes.append(f"{count} submits answered {statuses} (302: the winner, and "
                                "later ones redirected to the submitted scorecard; 4xx: "
                                "refused as already submitted)")

        return self.run("L3", f"one interviewer double-submits {count}x at once", body)

    # ------------------------------------------------------------------ L4

    def l4(self) -> ScenarioResult:
        """N readers while a big CSV import commits; readers get 200, the import all or none."""
        rows = self.settings.l4_rows
        readers = self.settings.l4_readers
        rid = self._seed.import_requisitions["l4"]

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            data = candidates_csv(rows, f"l4-{secrets.token_hex(3)}")
            recruiter = self.recruiters[0]
            confirm = self._preview_import(recorder, recruiter, rid, data, "l4.csv")
            observed_http: set[int] = set()
            observed_db: set[int] = set()
            stop = threading.Event()
            pattern = re.compile(rf'href="/requisitions/{rid}">.*?<td class="num">(\d+)</td>',
                                 re.S)
            pool: list[tuple[Client, list[str]]] = [
                (c, ["/interviews", f"/interviews/{self._seed.interviews['tp'][0].id}"
                                    "/scorecard"]) for c in self.interviewers]
            pool.append((self.recruiters[1], ["/requisitions",
                                              f"/requisitions/{self._seed.main_requisition}"]))
            deadline = time.monotonic() + self.settings.scenario_timeout_s

            def reader(index: int) -> None:
                client, paths = pool[index % len(pool)]
                for n in range(400):  # bounded; stops when the import is done
                    if stop.is_set() or time.monotonic() > deadline:
                        return
                    path = paths[(n + index) % len(paths)]
                    answer = recorder.add("reader GET", client.get(path), {200})
                    if path == "/requisitions":
                        match = pattern.search(answer.text)
                        if match:
                            observed_http.add(int(match.group(1)))

            def observer() -> None:
                while not stop.is_set() and time.monotonic() < deadline:
                    observed_db.add(self._applications(rid))
                    time.sleep(0.02)

            threads = [threading.Thread(target=reader, args=(i,), daemon=True)
                       for i in range(readers)]
            threads.append(threading.Thread(target=observer, daemon=True))
            for thread in threads:
                thread.start()
            time.sleep(0.3)  # readers under way before the import starts
            started = time.perf_counter()
            answer = recorder.add("import confirm", recruiter.request(
                "POST", f"/requisitions/{rid}/import/confirm", fields=confirm, multipart=True),
                {302})
            took = time.perf_counter() - started
            time.sleep(0.3)  # and still reading after it committed
            stop.set()
            for thread in threads:
                thread.join(30)
            stored = self._applications(rid)
            self.import_seconds_per_row = took / rows
            result.check("import all or none", stored in (0, rows) and
                         (stored == rows) == (answer.status == 302),
                         f"{stored}/{rows} rows stored; import answered {answer.status}")
            result.check("readers never saw part of the import",
                         observed_http <= {0, rows} and observed_db <= {0, rows},
                         f"counts seen: pages {sorted(observed_http)}, database "
                         f"{sorted(observed_db)}")
            reads = [s for s in recorder.samples if s.label == "reader GET"]
            result.check("readers 200", bool(reads) and all(s.status == 200 for s in reads),
                         f"{sum(s.status == 200 for s in reads)}/{len(reads)}")
            self._integrity(result)
            result.figures["import_seconds"] = took
            result.notes.append(f"import of {rows} rows took {took:.1f} s; {len(reads)} reads "
                                f"by {readers} readers meanwhile")

        return self.run("L4", f"{readers} readers while a {rows}-row import commits", body)

    # ------------------------------------------------------------------ L5

    def l5(self) -> ScenarioResult:
        """Packet downloads while interviewers submit: the render cap holds across workers."""
        downloads = self.settings.l5_downloads
        interviews = self._seed.interviews["l5"]

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            leases: list[int] = []
            stop = threading.Event()

            def monitor() -> None:
                deadline = time.monotonic() + self.settings.scenario_timeout_s
                while not stop.is_set() and time.monotonic() < deadline:
                    with contextlib.suppress(Exception):
                        leases.append(int(self._store.scalar(
                            "SELECT count(*) FROM render_leases WHERE holder IS NOT NULL")))
                    time.sleep(0.01)

            watcher = threading.Thread(target=monitor, daemon=True)
            watcher.start()
            submitter_errors: list[BaseException] = []
            expected: dict[Any, Any] = {}

            def submitters() -> None:
                try:
                    expected.update(self._submit_rounds(recorder, result, interviews, "L5"))
                except BaseException as exc:  # noqa: BLE001
                    submitter_errors.append(exc)

            submitting = threading.Thread(target=submitters, daemon=True)
            if self._seed.packet_rule:
                submitting.start()
                outcome = self._l5_http(recorder, downloads)
            else:
                result.notes.append(
                    "no packet download route yet: the 20 downloads go through the render "
                    "entry point hiring.packets.pool.render_packet in "
                    f"{self.settings.l5_processes} separate processes (as gunicorn workers "
                    "would), sharing the cap through render_leases in this database; the HTTP "
                    "mapping of RenderBusy to 503 + Retry-After is the app's error handler "
                    "and is not exercised here")
                outcome = self._l5_entry_point(downloads, submitting)
            submitting.join(self.settings.scenario_timeout_s)
            stop.set()
            watcher.join(5)
            if submitter_errors:
                raise submitter_errors[0]
            peak = max(leases, default=0)
            result.check(f"render concurrency capped at {RENDER_CONCURRENCY} across workers",
                         peak <= RENDER_CONCURRENCY, f"peak {peak} leases held at once")
            result.check("excess refused with 503 + Retry-After", outcome["busy"] > 0 and
                         outcome["busy_without_retry_after"] == 0,
                         f"{outcome['busy']} refusals, "
                         f"{outcome['busy_without_retry_after']} without Retry-After")
            result.check("every download eventually delivered a PDF",
                         outcome["pdfs"] == downloads and outcome["errors"] == 0,
                         f"{outcome['pdfs']}/{downloads} PDFs, {outcome['errors']} errors")
            self._verify_scorecards(result, expected, [i.id for i in interviews])
            self._integrity(result)
            result.notes.append(f"render times: median {outcome['median_render_s']:.2f} s")
            for message in sorted(set(outcome.get("messages", [])))[:3]:
                result.notes.append(f"render error: {message}")

        return self.run("L5", f"{downloads} packet downloads while interviewers submit", body,
                        allowed_5xx=frozenset({503}))

    def _l5_http(self, recorder: Recorder, downloads: int) -> dict[str, Any]:
        rule = self._seed.packet_rule or ""
        targets = self._seed.interviews["l5"]
        outcome = {"busy": 0, "busy_without_retry_after": 0, "pdfs": 0, "errors": 0}
        renders: list[float] = []
        lock = threading.Lock()
        barrier = threading.Barrier(downloads)

        def download(index: int) -> None:
            client = self.interviewers[index % len(self.interviewers)]
            path = re.sub(r"<(?:int:)?interview_id>", str(targets[index % len(targets)].id),
                          rule)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=30)
            give_up = time.monotonic() + RENDER_RETRY_BUDGET_S
            for _ in range(1000):  # bounded by the budget: at least 1 s between attempts
                if time.monotonic() > give_up:
                    with lock:
                        outcome["errors"] += 1
                    return
                answer = recorder.add("packet download", client.get(path), {200, 503})
                with lock:
                    if answer.status == 503:
                        outcome["busy"] += 1
                        if not answer.headers.get("retry-after"):
                            outcome["busy_without_retry_after"] += 1
                    elif answer.status == 200 and answer.body.startswith(b"%PDF"):
                        outcome["pdfs"] += 1
                        renders.append(answer.ms / 1000)
                        return
                    else:
                        outcome["errors"] += 1
                        return
                retry_after = answer.headers.get("retry-after", "1")
                time.sleep(min(5, max(1, int(retry_after) if retry_after.isdigit() else 1)))

        run_threads(download, [(i,) for i in range(downloads)],
                    timeout=RENDER_RETRY_BUDGET_S + 60)
        outcome["median_render_s"] = statistics.median(renders) if renders else float("nan")
        return outcome

    def _l5_entry_point(self, downloads: int, submitting: threading.Thread) -> dict[str, Any]:
        processes = max(1, self.settings.l5_processes)
        per_process = [downloads // processes + (1 if i < downloads % processes else 0)
                       for i in range(processes)]
        start_at = time.time() + 8.0  # time for every process to import and warm its pool
        env = self._server.env()
        children = [subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--render-worker", str(n),
             f"{start_at:.3f}"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE) for n in per_process if n]
        time.sleep(max(0.0, start_at - time.time() - 0.5))
        submitting.start()
        outcome: dict[str, Any] = {"busy": 0, "busy_without_retry_after": 0, "pdfs": 0,
                                   "errors": 0, "messages": []}
        renders: list[float] = []
        for child in children:
            try:
                stdout, stderr = child.communicate(timeout=RENDER_RETRY_BUDGET_S + 120)
            except subprocess.TimeoutExpired:
                child.kill()
                stdout, stderr = child.communicate()
            try:
                report = json.loads(stdout.decode().strip().splitlines()[-1])
            except (ValueError, IndexError):
                outcome["errors"] += 1
                self.out(f"render worker failed: {stderr.decode()[-800:]}")
                continue
            for key in ("busy", "busy_without_retry_after", "pdfs", "errors", "messages"):
                outcome[key] += report[key]
            renders.extend(report["renders"])
        outcome["median_render_s"] = statistics.median(renders) if renders else float("nan")
        return outcome

    # ------------------------------------------------------------------ throughput

    def throughput(self) -> ScenarioResult:
        """Requests/s and p99 of pages and a save, against /healthz on the same gunicorn."""
        seed = self._seed
        tp = seed.interviews["tp"][0]
        scorecard = f"/interviews/{tp.id}/scorecard"
        clients_n = self.settings.throughput_clients
        anonymous = [Client(self._server.port) for _ in range(clients_n)]
        readers = [self.interviewers[i % len(self.interviewers)] for i in range(clients_n)]
        endpoints: list[tuple[str, Callable[[int, Recorder], Response]]] = [
            ("/healthz", lambda i, rec: rec.add("/healthz", anonymous[i].get("/healthz"),
                                                {200})),
            ("scorecard page", lambda i, rec: rec.add("scorecard page",
                                                      readers[i].get(scorecard), {200})),
        ]
        # Per client: the draft version it last saw and its CSRF token. The measuring runs
        # in child processes, which hand this back (see _measure).
        state: dict[int, dict[str, str]] = {}

        def opened(i: int, client: Client) -> dict[str, str]:
            if i not in state:
                page = client.get(scorecard)
                state[i] = {"version": input_value(page.text, "version") or "",
                            "token": csrf_from(page.text) or client.csrf or ""}
            return state[i]

        def save(i: int, rec: Recorder) -> Response:
            client = self.interviewers[i % len(self.interviewers)]
            mine = opened(i, client)
            fields, _ = scorecard_fields(tp, f"T save {i}", i)
            fields += [("action", "save"), ("version", mine["version"])]
            answer = rec.add("scorecard save", client.post(scorecard, fields,
                                                           token=mine["token"]), {302})
            saved = saved_version(answer)
            if saved is None:
                state.pop(i, None)
            else:
                mine["version"] = saved
            return answer

        def autosave(i: int, rec: Recorder) -> Response:
            client = self.interviewers[i % len(self.interviewers)]
            mine = opened(i, client)
            fields, _ = scorecard_fields(tp, f"T autosave {i}", i)
            answer = rec.add("scorecard autosave", client.request(
                "POST", f"{scorecard}/autosave", fields=fields + [("version", mine["version"])],
                multipart=True, headers={"X-CSRFToken": mine["token"],
                                         "Accept": "application/json"}), {200})
            match = re.search(rb'"version":\s*(\d+)', answer.body)
            if match:
                mine["version"] = match.group(1).decode()
            else:
                state.pop(i, None)
            return answer

        if clients_n > len(self.interviewers):
            raise HarnessError("one save client per interviewer: at most 8 clients")
        endpoints.append(("scorecard save", save))
        endpoints.append(("scorecard autosave", autosave))
        if seed.ranking_rule:
            ranking = seed.ranking_rule.replace("<int:requisition_id>",
                                                str(seed.main_requisition))
            ranking_clients = [self.recruiters[i % len(self.recruiters)]
                               for i in range(clients_n)]
            endpoints.append(("ranking page", lambda i, rec: rec.add(
                "ranking page", ranking_clients[i].get(ranking), {200})))

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            if not seed.ranking_rule:
                result.notes.append("no ranking route (/requisitions/<id>/ranking) in this "
                                    "build yet: ranking page skipped")
            runs: dict[str, list[dict[str, float]]] = {name: [] for name, _ in endpoints}
            duration = self.settings.throughput_seconds
            load_before = os.getloadavg()[0]
            for _name, call in endpoints:  # warm-up, not counted
                for i in range(clients_n):
                    call(i, Recorder())
            for _ in range(self.settings.throughput_repeats):
                for name, call in endpoints:
                    runs[name].append(self._measure(call, clients_n, duration, recorder,
                                                    state))
            # How the write rate grows with concurrent writers (autosave: the write itself
            # without a page render), to see where the single SQLite writer saturates.
            sweep = {}
            for writers in (1, 2, 4, 8):
                if writers <= clients_n:
                    sweep[writers] = self._measure(autosave, writers, duration, recorder, state)
            load_after = os.getloadavg()[0]
            base = runs["/healthz"]
            table = {}
            for name, values in runs.items():
                table[name] = {
                    "rps": statistics.median(v["rps"] for v in values),
                    "p50": statistics.median(v["p50"] for v in values),
                    "p99": statistics.median(v["p99"] for v in values),
                    "rps_ratio": statistics.median(v["rps"] / b["rps"]
                                                   for v, b in zip(values, base, strict=True)),
                    "p99_ratio": statistics.median(v["p99"] / b["p99"]
                                                   for v, b in zip(values, base, strict=True)),
                    "cpu_ms": statistics.median(v["cpu_ms"] for v in values),
                }
            for row in table.values():
                # Throughput ratio when the server's CPU is the limit (idle machine).
                row["cpu_ratio"] = table["/healthz"]["cpu_ms"] / row["cpu_ms"] \
                    if row["cpu_ms"] else float("nan")
            result.figures["throughput"] = table
            result.figures["write_sweep"] = sweep
            result.figures["loadavg"] = (load_before, load_after)
            result.notes.append(
                f"{clients_n} clients, {self.settings.workers} workers, "
                f"{self.settings.throughput_repeats} x {duration:.0f} s per endpoint, medians "
                f"(1-min load average {load_before:.1f} before, {load_after:.1f} after, on "
                f"{os.cpu_count()} CPUs; each client a process of its own):")
            result.notes.append(f"{'endpoint':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
                                f"{'req/s / healthz':>16} {'p99 / healthz':>14} "
                                f"{'server CPU ms/req':>18} {'healthz CPU / CPU':>18}")
            for name, row in table.items():
                result.notes.append(
                    f"{name:<20} {row['rps']:8.1f} {row['p50']:8.1f} {row['p99']:8.1f} "
                    f"{row['rps_ratio']:16.2f} {row['p99_ratio']:14.1f} "
                    f"{row['cpu_ms']:18.1f} {row['cpu_ratio']:18.2f}")
            result.notes.append("autosave writes/s by concurrent writers (one 4 s run each): "
                                + "; ".join(f"{n}: {v['rps']:.1f}/s, p50 {v['p50']:.0f} ms, "
                                            f"p99 {v['p99']:.0f} ms, {v['cpu_ms']:.0f} CPU ms"
                                            for n, v in sweep.items()))
            page_ratio = table["scorecard page"]["rps_ratio"]
            save_p99 = table["scorecard save"]["p99"]
            autosave_p99 = table["scorecard autosave"]["p99"]

            def verdict(ok: bool) -> str:
                return "met" if ok else "NOT met"

            cpu_ratio = table["scorecard page"]["cpu_ratio"]
            result.notes.append(
                f"goal scorecard page >= 0.2 x /healthz: {page_ratio:.2f} measured, "
                f"{cpu_ratio:.2f} by server CPU per request "
                f"({verdict(max(page_ratio, cpu_ratio) >= 0.2)}); goal save p99 < 100 ms with "
                f"{clients_n} "
                f"clients" + (" on SQLite" if self.kind == "sqlite" else
                              " (stated for SQLite)") +
                f": form save {save_p99:.0f} ms ({verdict(save_p99 < 100)}), autosave "
                f"{autosave_p99:.0f} ms ({verdict(autosave_p99 < 100)})")
            result.check("every measured request answered as expected",
                         all(s.expected for s in recorder.samples),
                         f"{sum(not s.expected for s in recorder.samples)} unexpected")

        return self.run("T", "throughput against /healthz", body)

    def _server_pids(self) -> list[int]:
        """The gunicorn workers and, on PostgreSQL, the cluster's server processes."""
        pids = self._server.worker_pids()
        if self.kind == "postgresql" and self.cluster is not None:
            with contextlib.suppress(OSError, ValueError, IndexError):
                postmaster = int((self.cluster.data / "postmaster.pid").read_text().split()[0])
                pids += [postmaster, *child_pids(postmaster)]
        return pids

    def _measure(self, call: Callable[[int, Recorder], Response], clients: int,
                 duration: float, recorder: Recorder,
                 state: dict[int, dict[str, str]] | None = None) -> dict[str, float]:
        """``clients`` processes calling ``call`` for ``duration`` s: req/s (answered as
        expected), p50 and p99 in ms, and the server's CPU ms per request (gunicorn workers,
        plus PostgreSQL's processes): the figure other load on the machine disturbs least.

        Each client is a forked process of its own, so that one client waiting for this
        interpreter's lock is not counted as the server's latency (as threads would be).
        ``state[i]`` (client ``i``'s draft version and token) comes back from the child.
        Every sample is also added to ``recorder``."""
        context = multiprocessing.get_context("fork")
        pids = self._server_pids()
        cpu_before = cpu_seconds(pids)
        stop_at = time.monotonic() + duration  # CLOCK_MONOTONIC: the same in the children

        def child(i: int, pipe: Any) -> None:
            local = Recorder()
            try:
                for _ in range(100_000):
                    if time.monotonic() >= stop_at:
                        break
                    call(i, local)
                pipe.send(("ok", [astuple(s) for s in local.samples],
                           (state or {}).get(i)))
            except BaseException as exc:  # noqa: BLE001 - reported by the parent
                pipe.send(("error", f"{type(exc).__name__}: {exc}", None))
            finally:
                pipe.close()

        started = time.perf_counter()
        children = []
        for i in range(clients):
            ours, theirs = context.Pipe(duplex=False)
            process = context.Process(target=child, args=(i, theirs), daemon=True)
            process.start()
            theirs.close()
            children.append((i, process, ours))
        samples: list[Sample] = []
        for i, process, pipe in children:
            if not pipe.poll(duration + 60):
                process.kill()
                raise HarnessError(f"measuring client {i} did not finish")
            kind, payload, client_state = pipe.recv()
            process.join(10)
            if kind != "ok":
                raise HarnessError(f"measuring client {i} failed: {payload}")
            samples += [Sample(*row) for row in payload]
            if state is not None:
                if client_state is None:
                    state.pop(i, None)
                else:
                    state[i] = client_state
        wall = time.perf_counter() - started
        cpu = cpu_seconds(pids) - cpu_before
        good = [s.ms for s in samples if s.expected]
        recorder.samples.extend(samples)
        return {"rps": len(good) / wall, "p50": percentile(good, 50),
                "p99": percentile(good, 99),
                "cpu_ms": cpu * 1000 / max(1, len(samples))}

    # ------------------------------------------------------------------ F1

    def f1(self) -> ScenarioResult:
        """Kill the worker that is importing, mid-transaction."""
        rows = self.settings.f1_rows
        rid = self._seed.import_requisitions["f1"]

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            recruiter = self.recruiters[0]
            data = candidates_csv(rows, f"f1-{secrets.token_hex(3)}")
            confirm = self._preview_import(recorder, recruiter, rid, data, "f1.csv")
            state: dict[str, Any] = {}

            def do_import() -> None:
                state["answer"] = recruiter.request(
                    "POST", f"/requisitions/{rid}/import/confirm", fields=confirm,
                    multipart=True, on_connect=lambda port: state.__setitem__("port", port))

            preview_s = max(s.ms for s in recorder.samples if s.label == "import preview") / 1000
            importer = threading.Thread(target=do_import, daemon=True)
            importer.start()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "answer" not in state and \
                    not self._store.writer_busy():
                time.sleep(0.005)
            # The confirm validates the file again (about as long as the preview took), then
            # inserts: waiting that long lands the kill among the inserts.
            delay = min(5.0, max(0.05, preview_s))
            time.sleep(delay)
            victim = self._server.worker_serving(state.get("port", -1))
            killed_mid_transaction = self._store.writer_busy()
            if victim is not None and "answer" not in state:
                os.kill(victim, signal.SIGKILL)
            importer.join(60)
            answer: Response = state.get("answer") or Response(0, {}, b"", 0, "no answer")
            recorder.add("import confirm (killed)", answer, {0, 302})
            if victim is None or answer.status == 302:
                result.notes.append("the import finished before the kill could land "
                                    f"(answered {answer.status or answer.error})")
            else:
                result.notes.append(
                    f"worker {victim} killed {delay:.2f} s into the import (transaction open "
                    f"at the kill: {killed_mid_transaction}); the client saw "
                    f"{answer.status or answer.error}")
            ready, probe = False, Response(0, {}, b"", 0, "not asked")
            for _ in range(150):  # the master replaces the worker
                probe = recorder.add("page after kill", recruiter.get("/requisitions"), {200, 0})
                if probe.status == 200:
                    ready = True
                    break
                time.sleep(0.1)
            result.check("server answers after the kill", ready,
                         "" if ready else f"/requisitions: {probe.status} {probe.error}")
            stored = self._applications(rid)
            result.check("0 or all rows", stored in (0, rows), f"{stored}/{rows} stored")
            self._integrity(result)
            target, again = rid, data
            if stored == rows:
                result.notes.append("the import had committed before the kill landed; "
                                    "re-import tried with a new file on another requisition")
                target = self._seed.import_requisitions["spare"]
                again = candidates_csv(rows, f"f1b-{secrets.token_hex(3)}")
            confirm = self._preview_import(recorder, recruiter, target, again, "f1-again.csv")
            answer = recorder.add("re-import confirm", recruiter.request(
                "POST", f"/requisitions/{target}/import/confirm", fields=confirm,
                multipart=True), {302})
            result.check("re-import works", answer.status == 302 and
                         self._applications(target) == rows,
                         f"answered {answer.status}; {self._applications(target)}/{rows} rows")
            self._integrity(result)

        return self.run("F1", f"kill the worker mid-import ({rows} rows)", body)

    # ------------------------------------------------------------------ F2

    def f2(self) -> ScenarioResult:
        """Another connection holds the write lock; writes wait, then 503 with input kept."""
        sqlite = self.kind == "sqlite"
        hold = self.settings.f2_hold_s if sqlite else self.settings.f2_hold_pg_s
        info = self._seed.interviews["f2"][0]
        url = f"/interviews/{info.id}/scorecard"

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            form_client, json_client = self.interviewers[0], self.interviewers[1]
            readers = self.interviewers[2:6]
            pages = {c.name: recorder.add("scorecard page", c.get(url), {200})
                     for c in (form_client, json_client)}
            marker = f"F2-kept-{secrets.token_hex(4)}"
            fields, _ = scorecard_fields(info, marker, 1)
            busy_pages: list[Response] = []
            released = threading.Event()
            held_at: list[float] = []
            write_expect = {302, 503} if sqlite else {302}
            json_expect = {200, 503} if sqlite else {200}

            def form_writer() -> None:
                # Only while the lock will outlast the busy timeout: the answer must be 503.
                for _ in range(3):
                    left = hold - (time.monotonic() - held_at[0])
                    if not sqlite or left < SQLITE_BUSY_TIMEOUT_S + 0.8:
                        break
                    page = pages[form_client.name]
                    answer = recorder.add("save (form)", form_client.post(url, fields + [
                        ("action", "save"), ("version", input_value(page.text, "version")
                                             or "")], token=csrf_from(page.text)),
                        write_expect)
                    if answer.status == 503:
                        busy_pages.append(answer)
                if not sqlite:  # PostgreSQL: the write waits for the lock, then succeeds
                    page = pages[form_client.name]
                    recorder.add("save (form)", form_client.post(url, fields + [
                        ("action", "save"), ("version", input_value(page.text, "version")
                                             or "")], token=csrf_from(page.text)),
                        write_expect)

            json_answers: list[Response] = []

            def json_writer() -> None:
                left = hold - (time.monotonic() - held_at[0])
                if sqlite and left < SQLITE_BUSY_TIMEOUT_S + 0.8:
                    return
                page = pages[json_client.name]
                token = csrf_from(page.text) or ""
                own, _ = scorecard_fields(info, marker + "-autosave", 2)
                answer = recorder.add("autosave (X-CSRFToken)", json_client.request(
                    "POST", f"{url}/autosave", fields=own + [
                        ("version", input_value(page.text, "version") or "")],
                    multipart=True, headers={"X-CSRFToken": token,
                                             "Accept": "application/json"}), json_expect)
                json_answers.append(answer)

            def reader(client: Client) -> None:
                for n in range(500):
                    if released.is_set():
                        return
                    path = url if n % 2 else "/interviews"
                    recorder.add("read during the lock", client.get(path), {200})
                    time.sleep(0.05)

            with self._store.write_lock():
                held_at.append(time.monotonic())
                threads = [threading.Thread(target=form_writer, daemon=True),
                           threading.Thread(target=json_writer, daemon=True)]
                threads += [threading.Thread(target=reader, args=(c,), daemon=True)
                            for c in readers]
                for thread in threads:
                    thread.start()
                while time.monotonic() - held_at[0] < hold:
                    time.sleep(0.05)
            released.set()
            for thread in threads:
                thread.join(60)
            reads = [s for s in recorder.samples if s.label == "read during the lock"]
            result.check("reads kept working (200)", bool(reads) and all(
                s.status == 200 for s in reads), f"{len(reads)} reads, max "
                f"{max((s.ms for s in reads), default=0):.0f} ms")
            writes = [s for s in recorder.samples if s.label != "read during the lock"
                      and s.label != "scorecard page"]
            if sqlite:
                result.check("writes waited the busy timeout, then 503", bool(busy_pages) and all(
                    s.ms >= SQLITE_BUSY_TIMEOUT_S * 1000 * 0.9 for s in writes
                    if s.status == 503), f"{len(busy_pages)} form 503s; waits "
                    f"{[round(s.ms) for s in writes]} ms")
                result.check("503 carries Retry-After and keeps the input", all(
                    p.headers.get("retry-after") and marker in p.text and
                    "Send again" in p.text for p in busy_pages))
                result.check("autosave gets 503 JSON", all(
                    a.status == 503 and b'"busy":true' in a.body.replace(b" ", b"")
                    for a in json_answers), f"{[a.status for a in json_answers]}")
                # Sending the kept page again (its fields and fresh token) saves it.
                if busy_pages:
                    resend = recorder.add("send again (form kept on the 503 page)",
                                          form_client.request("POST", url, fields=hidden_fields(
                                              busy_pages[-1].text)), {302})
                    evidence = self._store.scalar(
                        "SELECT r.evidence FROM competency_ratings r JOIN scorecards s ON "
                        "s.id = r.scorecard_id WHERE s.interview_id = :i AND "
                        "s.interviewer_id = :u AND r.competency_id = :c", i=info.id,
                        u=self._seed.user_ids[form_client.name], c=info.focus[0])
                    result.check("the kept input, sent again, is saved",
                                 resend.status == 302 and marker in (evidence or ""),
                                 f"answered {resend.status}")
            else:
                result.check("writes waited for the lock, then succeeded", bool(writes) and all(
                    s.status in (200, 302) for s in writes),
                    f"waits {[round(s.ms) for s in writes]} ms")
                result.notes.append("PostgreSQL has no database-wide write lock: F2 holds an "
                                    "EXCLUSIVE lock on scorecards instead; with no lock_timeout "
                                    "configured writes wait for it (a lock_timeout error, "
                                    "SQLSTATE 55P03, would get the same 503 page)")
            self._integrity(result)

        return self.run("F2", f"another connection holds the write lock {hold:.1f} s", body,
                        locked_expected=True, allowed_5xx=frozenset({503}))

    # ------------------------------------------------------------------ F3

    def f3(self) -> ScenarioResult:
        """Back up while interviewers submit (L1); restore into a fresh instance; compare."""
        interviews = self._seed.interviews["f3"]

        def body(recorder: Recorder, result: ScenarioResult) -> None:
            backup = self.tmp / ("backup.db" if self.kind == "sqlite" else "backup.dump")
            done: dict[str, Any] = {}

            def take_backup() -> None:
                done["started"] = time.perf_counter()
                done["process"] = self._backup(backup)
                done["seconds"] = time.perf_counter() - done["started"]

            backup_thread = threading.Thread(target=take_backup, daemon=True)

            def on_round(r: int) -> None:
                if r == min(1, len(interviews) - 1):
                    backup_thread.start()

            expected = self._submit_rounds(recorder, result, interviews, "F3", on_round)
            backup_thread.join(120)
            process = done.get("process")
            result.check("backup command succeeded during the submits",
                         process is not None and process.returncode == 0,
                         (process.stdout + process.stderr).strip()[-300:] if process else
                         "no result")
            self._verify_scorecards(result, expected, [i.id for i in interviews])
            if process is None or process.returncode != 0:
                return
            restored_url, restored_instance = self._restore(result, backup)
            if restored_url is None:
                return
            restored = Store(self.kind, restored_url, self.cluster)
            try:
                self._compare_restored(result, backup, restored)
                # As the README says: bring a restored database to the code's head (a no-op
                # unless migrations were added since the backup was taken).
                env = dict(self._server.env(), HIRING_DATABASE_URL=restored_url,
                           HIRING_INSTANCE_PATH=str(restored_instance))
                upgraded = self._cli("db", "upgrade", env=env)
                result.check("db upgrade on the restored database", upgraded.returncode == 0,
                             (upgraded.stdout + upgraded.stderr).strip()[-200:])
                self._serve_restored(result, recorder, restored, restored_url,
                                     restored_instance)
            finally:
                restored.dispose()

        return self.run("F3", f"backup during L1 ({len(interviews)} rounds), restore, compare",
                        body)

    def _cli(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """``flask --app hiring ARGS`` with ``env``: a new process in the full run; in the
        short run the same command in this process (click's runner), to spare the start-up."""
        if self.settings.f3_cli:
            flask = BIN / "flask"
            return subprocess.run([str(flask if flask.exists() else "flask"), "--app",
                                   "hiring", *args], env=env, cwd=ROOT, capture_output=True,
                                  text=True, timeout=180, check=False)
        app = self._app_for(env)
        outcome = app.test_cli_runner().invoke(args=list(args))
        return subprocess.CompletedProcess(["flask", *args], outcome.exit_code,
                                           outcome.stdout, outcome.stderr)

    @staticmethod
    def _app_for(env: dict[str, str]) -> Any:
        from hiring import create_app

        instance = Path(env["HIRING_INSTANCE_PATH"])
        return create_app({
            "HIRING_ENV": "production", "SECRET_KEY": env["HIRING_SECRET_KEY"],
            "INSTANCE_PATH": str(instance), "DATABASE_URL": env.get(
                "HIRING_DATABASE_URL", f"sqlite:///{instance / 'hiring.db'}")})

    def _backup(self, target: Path) -> subprocess.CompletedProcess[str]:
        env = self._server.env()
        if self.kind == "sqlite":
            return self._cli("backup", str(target), env=env)
        refused = self._cli("backup", str(target), env=env)
        if refused.returncode == 0 or "pg_dump" not in refused.stderr:
            return refused  # reported as a failed check
        assert self.cluster is not None
        return subprocess.run(
            [str(self.cluster.bin_dir / "pg_dump"), "--format=custom", "--no-owner", "--file",
             str(target), self._store.libpq_url], capture_output=True, text=True, timeout=180,
            check=False)

    def _restore(self, result: ScenarioResult, backup: Path) -> tuple[str | None, Path]:
        instance = self.tmp / "restored"
        env = self._server.env()
        if self.kind == "sqlite":
            from hiring.backup import check_backup_file

            report = check_backup_file(backup)
            result.check("backup passes PRAGMA integrity_check", report.integrity == "ok",
                         f"{report.integrity}; {report.total_rows} rows")
            refused = self._cli("restore", str(backup), env=env)
            result.check("restore into the live (non-empty) instance is refused",
                         refused.returncode != 0 and "already holds data" in refused.stderr)
            env.pop("HIRING_DATABASE_URL")
            env["HIRING_INSTANCE_PATH"] = str(instance)
            done = self._cli("restore", str(backup), env=env)
            result.check("restore into a fresh instance", done.returncode == 0,
                         (done.stdout + done.stderr).strip()[-300:])
            return (f"sqlite:///{instance / 'hiring.db'}" if done.returncode == 0 else None,
                    instance)
        assert self.cluster is not None
        name = self.cluster.new_database()
        done = subprocess.run(
            [str(self.cluster.bin_dir / "pg_restore"), "--no-owner", "--exit-on-error",
             "--dbname", self.cluster.url(name).replace("+psycopg", ""), str(backup)],
            capture_output=True, text=True, timeout=180, check=False)
        result.check("pg_restore into a fresh database", done.returncode == 0,
                     done.stderr.strip()[-300:])
        self._restored_db = name
        return (self.cluster.url(name) if done.returncode == 0 else None), instance

    def _compare_restored(self, result: ScenarioResult, backup: Path, restored: Store) -> None:
        live = self._store
        ok, found = restored.integrity_ok()
        result.check("restored database passes integrity_check", ok, found)
        if self.kind == "sqlite":
            from hiring.backup import table_counts

            with contextlib.closing(sqlite3.connect(backup)) as a, \
                    contextlib.closing(sqlite3.connect(restored.sqlite_path)) as b:
                counts = table_counts(a)
                same = counts == table_counts(b)
            result.check("restored rows = backup rows (every table)", same,
                         f"{sum(counts.values())} rows in {len(counts)} tables")
        # Every scorecard in the snapshot is whole (all its ratings) and identical to the live
        # one: the backup is one consistent moment of the database.
        query = ("SELECT s.id, s.status, s.recommendation, count(r.id) FROM scorecards s "
                 "LEFT JOIN competency_ratings r ON r.scorecard_id = s.id "
                 "GROUP BY s.id, s.status, s.recommendation ORDER BY s.id")
        snapshot = {r[0]: tuple(r[1:]) for r in restored.rows(query)}
        current = {r[0]: tuple(r[1:]) for r in live.rows(query)}
        submitted_then = {k for k, v in snapshot.items() if v[0] == "submitted"}
        differs = [k for k in submitted_then if current.get(k) != snapshot[k]]
        result.check("submitted scorecards in the backup are whole and equal to the live ones",
                     not differs, f"{len(submitted_then)} submitted in the backup, "
                                  f"{sum(v[0] == 'submitted' for v in current.values())} now")
        users = restored.scalar("SELECT count(*) FROM users")
        result.check("restored users = live users", users == live.scalar(
            "SELECT count(*) FROM users"), f"{users}")

    def _serve_restored(self, result: ScenarioResult, recorder: Recorder, restored: Store,
                        url: str, instance: Path) -> None:
        if self.settings.f3_cli:
            server = Gunicorn(url=url, instance=instance, workers=1,
                              log=self.tmp / "restored.log")
            try:
                server.start()
                client: Any = Client(server.port)
                self._check_restored_pages(result, recorder, restored, client)
            finally:
                server.stop()
        else:
            env = dict(self._server.env(), HIRING_DATABASE_URL=url,
                       HIRING_INSTANCE_PATH=str(instance))
            app = self._app_for(env)
            try:
                self._check_restored_pages(result, recorder, restored, _TestClient(app))
            finally:
                from hiring import db as database

                database.get_database(app).dispose()
        if self.kind != "sqlite" and getattr(self, "_restored_db", None) and self.cluster:
            self.cluster.drop_database(self._restored_db)

    def _check_restored_pages(self, result: ScenarioResult, recorder: Recorder,
                              restored: Store, client: Any) -> None:
        email = self._seed.interviewers[0]
        client.login(email, self._seed.password)
        uid = self._seed.user_ids[email]
        rows = restored.rows(
            "SELECT s.id, r.evidence FROM scorecards s JOIN competency_ratings r ON "
            "r.scorecard_id = s.id WHERE s.interviewer_id = :u AND s.status = 'submitted' "
            "ORDER BY s.id DESC", u=uid)
        if not rows:
            result.check("restored instance serves the same data", False,
                         "no submitted scorecard of this interviewer in the backup")
            return
        page = recorder.add("restored: scorecard", client.get(f"/scorecards/{rows[0][0]}"),
                            {200})
        ready = recorder.add("restored: /readyz", client.get("/readyz"), {200})
        result.check("restored instance serves the same data",
                     page.status == 200 and html.escape(rows[0][1]) in page.text and
                     ready.status == 200,
                     f"scorecard {rows[0][0]} answered {page.status}; readyz "
                     f"{ready.status}")


class _TestClient(Client):
    """The :class:`Client` interface over Flask's test client (no server process)."""

    def __init__(self, app: Any) -> None:
        super().__init__(0, "test-client")
        self.flask = app.test_client()

    def request(self, method: str, path: str, *, fields: Sequence[tuple[str, str]] | None = None,
                files: Sequence[tuple[str, str, bytes, str]] | None = None,
                multipart: bool = False, headers: dict[str, str] | None = None,
                on_connect: Callable[[int], None] | None = None,
                timeout: float | None = None) -> Response:
        """Send one request through the test client."""
        from werkzeug.datastructures import MultiDict

        started = time.perf_counter()
        answer = self.flask.open(path, method=method, headers=headers or {},
                                 data=MultiDict(list(fields)) if fields is not None else None)
        return Response(answer.status_code, {k.lower(): v for k, v in answer.headers.items()},
                        answer.get_data(), (time.perf_counter() - started) * 1000)


# =============================================================================== render worker


def render_worker(count: int, start_at: float) -> int:
    """``--render-worker``: one process rendering ``count`` interview packets at ``start_at``.

    Stands in for a gunicorn worker while no packet route exists: it uses the app's render
    entry point (:func:`hiring.packets.pool.render_packet`), so the concurrency cap is the real
    one, shared with the other processes through ``render_leases``. Prints one JSON line.
    """
    from hiring import create_app
    from hiring.packets.pool import RenderBusy, get_pool, render_packet
    from hiring.packets.samples import sample_interview_packet

    app = create_app()
    outcome: dict[str, Any] = {"busy": 0, "busy_without_retry_after": 0, "pdfs": 0,
                               "errors": 0, "renders": [], "messages": []}
    lock = threading.Lock()
    with app.app_context():
        get_pool(app).start()  # warm, as a worker that rendered before would be
        packet = sample_interview_packet()

        def one() -> None:
            time.sleep(max(0.0, start_at - time.time()))
            give_up = time.monotonic() + RENDER_RETRY_BUDGET_S
            for _ in range(1000):  # bounded by the budget: at least 1 s between attempts
                if time.monotonic() > give_up:
                    break
                started = time.perf_counter()
                try:
                    with app.app_context():
                        pdf = render_packet(packet, app=app)
                except RenderBusy as exc:
                    with lock:
                        outcome["busy"] += 1
                        if exc.retry_after < 1:
                            outcome["busy_without_retry_after"] += 1
                    time.sleep(min(max(exc.retry_after, 1), 5))  # as Retry-After asks
                    continue
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    with lock:
                        outcome["errors"] += 1
                        outcome["messages"].append(f"{type(exc).__name__}: {exc}"[:300])
                    return
                with lock:
                    if pdf.startswith(b"%PDF"):
                        outcome["pdfs"] += 1
                        outcome["renders"].append(time.perf_counter() - started)
                    else:
                        outcome["errors"] += 1
                        outcome["messages"].append("the render returned no PDF")
                return
            with lock:
                outcome["errors"] += 1
                outcome["messages"].append(
                    f"no free render slot within {RENDER_RETRY_BUDGET_S:.0f} s")

        run_threads(one, [()] * count, timeout=RENDER_RETRY_BUDGET_S + 60)
        get_pool(app).close()
    print(json.dumps(outcome))
    return 0


# =============================================================================== entry points


def run_suite(kind: str, settings: Settings = FULL, *, cluster: PostgresCluster | None = None,
              template: str | Path | None = None, out: Out = print) -> list[ScenarioResult]:
    """Set up one database and gunicorn, run the scenarios, tear everything down."""
    with Harness(kind, settings, cluster=cluster, template=template, out=out) as harness:
        return harness.run_all()


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--short", action="store_true",
                        help="the integrity-only version of `make test` (few rounds)")
    parser.add_argument("--workers", type=int, default=FULL.workers)
    parser.add_argument("--only", default="",
                        help="comma-separated scenario keys (L1..L5, T, F1..F3)")
    parser.add_argument("--json", dest="json_path", default="",
                        help="also write the results to this file")
    parser.add_argument("--render-worker", nargs=2, metavar=("COUNT", "START_AT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.render_worker:
        return render_worker(int(args.render_worker[0]), float(args.render_worker[1]))
    settings = SHORT if args.short else FULL
    changes: dict[str, Any] = {"workers": args.workers}
    if args.only:
        changes["scenarios"] = tuple(k.strip().upper() for k in args.only.split(",") if k)
    from dataclasses import replace

    settings = replace(settings, **changes)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results: list[ScenarioResult] = []
    started = time.perf_counter()
    for kind in kinds:
        try:
            results += run_suite(kind, settings)
        except HarnessError as exc:
            print(f"[{kind}] could not run: {exc}")
            results.append(ScenarioResult("setup", "set-up", kind, not_runnable=str(exc)))
    print(f"\nSummary ({time.perf_counter() - started:.0f} s):")
    for result in results:
        status = "NOT RUNNABLE" if result.not_runnable else ("PASS" if result.ok else "FAIL")
        print(f"  [{result.db}] {result.key:<3} {status:<12} {result.title}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps([{
            "db": r.db, "key": r.key, "title": r.title, "ok": r.ok, "seconds": r.seconds,
            "requests": r.requests, "failures": r.failures, "5xx": r.five_xx,
            "latency_ms": dict(zip(("p50", "p95", "p99"), r.latency(), strict=True)),
            "checks": [c.__dict__ for c in r.checks], "notes": r.notes, "figures": r.figures,
            "not_runnable": r.not_runnable} for r in results], indent=2, default=str))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
