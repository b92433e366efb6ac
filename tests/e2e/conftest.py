"""Browser journeys: the demo instance served by gunicorn, Debian's chromium, logged-in pages.

One instance per run (package scope: it is stopped as soon as the browser tests are done): a
copy of the migrated SQLite template, ``flask demo load`` run as a user would (its printed
passwords are the logins), the journeys' own applications (``scenario.py``), then gunicorn with
two workers in production mode (a generated secret key) on a free port of 127.0.0.1, stopped by
its process id at the end. Chromium is Debian's (``/usr/bin/chromium``), never a download.

Every page a journey opens through ``page_as`` fails the test on a console error (CSP
violations included), an uncaught exception or a 5xx answer; a failing test leaves a Playwright
trace per page in ``screenshots/traces/`` (open it at https://trace.playwright.dev, which reads
the file locally in the browser). Screenshots of every checked page land in ``screenshots/``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from hiring import create_app
from hiring import db as database
from tests.e2e import scenario
from tests.e2e.support import ARTIFACTS, CSP_REPORTER, DESKTOP, WATCHES, audit, watch
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
CHROMIUM_HINT = ("Debian's chromium is missing at /usr/bin/chromium; install it with "
                 "`sudo apt-get install -y chromium` (`make test` does so when run as root). "
                 "The browser tests never download a browser.")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Demo logins by role (hiring/demo.py); the manager also interviews.
ACCOUNTS = {
    "admin": "admin@example.com",
    "recruiter": "recruiter@example.com",
    "hiring_manager": "manager@example.com",
    "interviewer": "interviewer@example.com",
    "interviewer2": "interviewer2@example.com",
    "auditor": "auditor@example.com",
}

_FAILED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e is a browser test (the modules say so too)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    """Remember whether a test failed, so its teardown keeps the traces."""
    report = yield
    if report.failed:
        item.stash[_FAILED] = True
    return report


@dataclass
class Instance:
    """The demo instance the server runs on."""

    path: Path
    passwords: dict[str, str]
    data: dict[str, Any]


def _demo_passwords(output: str) -> dict[str, str]:
    """E-mail -> password from `demo load`'s printout (`  email  password  (roles)`)."""
    return dict(re.findall(r"^\s+(\S+@\S+)\s+(\S+)\s+\(", output, flags=re.MULTILINE))


@dataclass
class Server:
    """The gunicorn process serving the instance."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


@pytest.fixture(scope="package")
def _instance_dir(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh instance folder holding a database migrated to head (the session's template)."""
    path = tmp_path_factory.mktemp("e2e-instance")
    shutil.copyfile(sqlite_template, path / "hiring.db")
    return path


@pytest.fixture(scope="package")
def _gunicorn(_instance_dir: Path) -> Iterator[Server]:
    """gunicorn (2 workers, HIRING_ENV=production, a generated secret key) on a free port of
    127.0.0.1. It boots while the demo data loads; ``live_server`` waits for it."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "HIRING_DATABASE_URL"}
    env.update(HIRING_ENV="production", HIRING_SECRET_KEY=secrets.token_urlsafe(48),
               HIRING_INSTANCE_PATH=str(_instance_dir), HIRING_BASE_URL=base)
    log = _instance_dir / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--no-control-socket", "--timeout", "120", "wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield Server(process, base, log)
    finally:
        # Its own process group (start_new_session): the master, its workers and any render
        # processes they started stop together, and nothing else is touched.
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "server.log")


@pytest.fixture(scope="package")
def e2e_instance(_instance_dir: Path, _gunicorn: Server) -> Instance:
    """`flask demo load` on the instance (its printed passwords are the logins), then the
    journeys' own applications."""
    path = _instance_dir
    app = create_app({"HIRING_ENV": "development", "SECRET_KEY": secrets.token_urlsafe(48),
                      "INSTANCE_PATH": str(path), "DATABASE_URL": f"sqlite:///{path}/hiring.db"})
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load"])
        assert result.exit_code == 0, f"demo load failed:\n{result.output}\n{result.exception}"
        passwords = _demo_passwords(result.output)
        assert set(ACCOUNTS.values()) <= set(passwords), f"no passwords in:\n{result.output}"
        with app.app_context():
            session = database.get_database(app).session(write=True)
            try:
                data = scenario.build(session)
                session.commit()
            finally:
                session.close()
    finally:
        database.get_database(app).dispose()
    return Instance(path, passwords, data)


def _wait_ready(server: Server, timeout: float) -> None:
    url = f"{server.base_url}/readyz"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n"
                        f"{server.log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer {url} within {timeout:.0f} s:\n"
                f"{server.log.read_text()[-4000:]}")


@pytest.fixture(scope="package")
def live_server(_gunicorn: Server, e2e_instance: Instance) -> str:
    """The base URL of the running app, once it answers /readyz."""
    _wait_ready(_gunicorn, timeout=90)
    return _gunicorn.base_url


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, with the flags DESIGN.md 8 prescribes."""
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(CHROMIUM_HINT)
        pytest.skip(CHROMIUM_HINT)
    with sync_playwright() as playwright:
        try:
            instance = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:  # noqa: BLE001 - say what to do, whatever broke
            pytest.fail(f"chromium at {CHROMIUM} did not start ({exc}). {CHROMIUM_HINT}")
        try:
            yield instance
        finally:
            instance.close()


def _trace_name(item: pytest.Item, label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{item.name}-{label}").strip("-")[:120]


@pytest.fixture
def page_as(browser: Browser, live_server: str, e2e_instance: Instance,
            request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """``page_as(role)``: a fresh browser context logged in through the login form.

    ``audit_login=True`` runs the page checks on the login page first. Each context records a
    Playwright trace, kept in screenshots/traces/ when the test fails.
    """
    opened: list[tuple[Any, Page, str]] = []

    def open_page(role: str, *, audit_login: bool = False) -> Page:
        email = ACCOUNTS[role]
        context = browser.new_context(base_url=live_server, viewport=DESKTOP, locale="en-GB",
                                      timezone_id="Europe/Berlin", accept_downloads=True)
        context.tracing.start(screenshots=True, snapshots=True)
        context.add_init_script(CSP_REPORTER)
        context.set_default_timeout(15_000)
        page = context.new_page()
        watch(page)
        opened.append((context, page, role))
        page.goto("/login")
        if audit_login:
            audit(page, "login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password", exact=True).fill(e2e_instance.passwords[email])
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("h1")).to_contain_text("Hello,")
        return page

    yield open_page

    failed = request.node.stash.get(_FAILED, False)
    errors = []
    for context, page, role in opened:
        seen = WATCHES.pop(page, None)
        if seen and seen.errors:
            errors += seen.errors
        if failed or errors:
            traces = ARTIFACTS / "traces"
            traces.mkdir(parents=True, exist_ok=True)
            context.tracing.stop(path=str(traces / f"{_trace_name(request.node, role)}.zip"))
        else:
            context.tracing.stop()
        context.close()
    if errors and not failed:
        pytest.fail("browser errors:\n  " + "\n  ".join(errors))


@pytest.fixture
def journey_data(e2e_instance: Instance) -> dict[str, Any]:
    """Ids and names of the journeys' own applications (see scenario.py)."""
    return e2e_instance.data
