"""``make serve`` against PostgreSQL, as the README's deployment guide runs it.

An empty database on the session's throwaway cluster, ``HIRING_SECRET_KEY`` and
``HIRING_DATABASE_URL`` in the environment, ``make serve BIND=127.0.0.1:<port> WORKERS=2``:
the target migrates the database (``db upgrade``) and starts gunicorn in production mode. The
test waits for ``/readyz`` (database reachable, schema at head), checks the login page and the
production headers, and that an anonymous page is refused; then it stops the server by its own
process group. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks.load import HOST
from tests.pgcluster import PostgresCluster, free_port

pytestmark = pytest.mark.load

ROOT = Path(__file__).resolve().parents[2]


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_make_serve_against_postgresql_migrates_and_serves(
        pg_cluster: PostgresCluster, tmp_path: Path) -> None:
    database = pg_cluster.new_database()  # empty: `make serve` runs the migrations itself
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIRING_")}
    env.update(HIRING_SECRET_KEY=secrets.token_urlsafe(48),
               HIRING_DATABASE_URL=pg_cluster.url(database),
               HIRING_INSTANCE_PATH=str(tmp_path / "instance"))
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "serve", f"BIND={HOST}:{port}", "WORKERS=2"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(server, port, log)  # /readyz: database reachable, schema at head
        status, headers, body = _get(port, "/login")
        assert status == 200
        assert b"Log in" in body
        assert "default-src" in headers.get("content-security-policy", "")
        assert headers.get("x-content-type-options") == "nosniff"
        assert _get(port, "/candidates")[0] == 302  # anonymous: to the login page
    finally:
        _stop(server)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]


def _wait_ready(server: subprocess.Popen[Any], port: int, log: Path,
                timeout: float = 120.0) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"make serve exited with {server.returncode}:\n"
                        f"{log.read_text(errors='replace')[-4000:]}")
        try:
            status, _headers, body = _get(port, "/readyz")
            if status == 200:
                return status, body
            last = (status, body[:300])
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    pytest.fail(f"/readyz never answered 200 (last: {last}):\n"
                f"{log.read_text(errors='replace')[-4000:]}")


def _stop(server: subprocess.Popen[Any]) -> None:
    """SIGTERM to the group this test started (make, gunicorn and its workers), then wait."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
