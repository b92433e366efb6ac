"""Warm render processes, a time limit, a concurrency cap shared by all workers, and the response.

WeasyPrint has no time limit of its own and a hostile or huge document could hold a web worker
for minutes, so renders never run in the web process:

- :class:`RenderPool` keeps a few render processes warm (started at the first render, reused,
  recycled after ``max_renders``). A render past the time limit is killed (SIGKILL) and its
  process replaced at once; the caller gets :class:`RenderTimeout`.
- Processes come from the ``forkserver`` start method. ``fork`` would copy a threaded web worker
  (locks held by other threads, database connections, the secret key in memory) into the child;
  ``spawn`` is clean but pays a fresh interpreter and the WeasyPrint import (about a second) for
  every replacement. The fork server is a clean process started once, which imports
  :mod:`hiring.packets.render` (WeasyPrint, Jinja) up front; each render process is forked from
  it, so a replacement after a time-out is ready in milliseconds and inherits nothing from the
  web worker.
- The cap (``RENDER_CONCURRENCY``) is shared by every gunicorn worker through
  ``render_leases`` rows: a slot is taken with a conditional UPDATE (free, or expired) checked by
  its row count, in its own short write transaction, and released after the render; no
  transaction is held while rendering. A crashed worker's lease expires after the time limit
  plus a margin. No free slot: :class:`RenderBusy` (the web layer answers 503 + Retry-After).
"""

from __future__ import annotations

import atexit
import gc
import logging
import math
import multiprocessing
import os
import queue
import re
import secrets
import signal
import socket
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app
from sqlalchemy import func, or_, select, update

from ..db import Database, get_database
from ..models import RenderLease
from ..models.base import utcnow
from .viewmodels import Packet, packet_context

logger = logging.getLogger("hiring.packets")

#: Seconds a lease outlives the render time limit (a killed render releases its lease itself;
#: this only matters when the whole web worker dies mid-render).
LEASE_MARGIN_SECONDS = 30
#: Retry-After never promises more than this: renders take seconds, leases last much longer.
RETRY_AFTER_MAX_SECONDS = 5
#: A render process is replaced after this many renders (bounds memory growth).
MAX_RENDERS_PER_PROCESS = 200
_START_METHOD = "forkserver"
_PRELOAD = ["hiring.packets._warm"]


class RenderBusy(Exception):
    """Every render slot is taken; try again after :attr:`retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"all PDF render slots are busy; retry after {retry_after} s")
        self.retry_after = int(retry_after)


class RenderTimeout(Exception):
    """The render ran past ``RENDER_TIMEOUT_SECONDS``; its process was killed and replaced."""


class RenderFailed(Exception):
    """The render raised in its process (message: type and text), or the process died."""


class _WorkerDied(RenderFailed):
    """The render process went away mid-render (crash, out of memory)."""


@dataclass(frozen=True)
class RenderJob:
    """One render for :meth:`RenderPool.render_many`: what :func:`render.render_pdf` takes."""

    template: str
    context: Mapping[str, Any]
    title: str
    lang: str = "en"


# --------------------------------------------------------------------------- render processes


def _worker_main(conn: Any, render_fn: Callable[..., bytes] | None) -> None:
    """Loop of a render process: receive a job dict, answer ``("ok", pdf)`` or ``("error", msg)``.

    ``None`` ends the loop. Ctrl-C is the parent's business, not ours.

    Garbage collection: the objects inherited from the fork server (WeasyPrint, fonts, compiled
    templates) are frozen, so collections never walk them (and never dirty their shared
    pages); automatic collection is off during a render (it cost 5-20 % of render time for a
    few MB saved) and a full collection runs after the answer is sent, off the caller's clock.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if render_fn is None:
        from .render import render_pdf

        render_fn = render_pdf
    gc.freeze()
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        gc.disable()
        try:
            result: tuple[str, Any] = ("ok", render_fn(**job))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
            result = ("error", f"{type(exc).__name__}: {exc}"[:2000])
        finally:
            gc.enable()
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return
        del job, result
        gc.collect()


class _Worker:
    """One render process and the parent's end of its pipe."""

    def __init__(self, ctx: Any, render_fn: Callable[..., bytes] | None) -> None:
        parent_end, child_end = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child_end, render_fn),
                                   name="hiring-render", daemon=True)
        self.process.start()
        child_end.close()
        self.conn = parent_end
        self.renders = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def run(self, job: dict[str, Any], timeout: float) -> bytes:
        """Send ``job`` and wait at most ``timeout`` seconds for the PDF."""
        self.renders += 1
        try:
            self.conn.send(job)
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerDied("the render process was gone") from exc
        if not self.conn.poll(timeout):
            raise RenderTimeout(f"render took longer than {timeout:g} s")
        try:
            status, payload = self.conn.recv()
        except (EOFError, OSError) as exc:
            raise _WorkerDied("the render process died") from exc
        if status != "ok":
            raise RenderFailed(payload)
        return payload

    def kill(self) -> None:
        """SIGKILL the process (a stuck WeasyPrint ignores nothing less) and reap it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        """Ask the process to exit; kill it if it does not."""
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.process.join(2)
        self.kill()


class RenderPool:
    """A few warm render processes of this (web worker) process.

    ``render_fn`` (default :func:`hiring.packets.render.render_pdf`) must be importable by name
    in the child; tests pass a slow one to exercise the time limit. Thread-safe: each render
    checks a process out, and waits up to ``timeout`` for one when all are busy.
    """

    def __init__(self, processes: int = 2, *, timeout: float = 60.0,
                 render_fn: Callable[..., bytes] | None = None,
                 max_renders: int = MAX_RENDERS_PER_PROCESS) -> None:
        if processes < 1:
            raise ValueError("a render pool needs at least one process")
        self.size = processes
        self.timeout = float(timeout)
        self.render_fn = render_fn
        self.max_renders = max_renders
        self.replaced = 0
        self._ctx = multiprocessing.get_context(_START_METHOD)
        self._lock = threading.Lock()
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._started = False
        self._closed = False

    def start(self) -> RenderPool:
        """Start the processes (done by the first render; call it to warm up early)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("render pool is closed")
            if not self._started:
                if _START_METHOD == "forkserver":
                    self._ctx.set_forkserver_preload(_PRELOAD)
                for _ in range(self.size):
                    self._add_worker()
                self._started = True
        return self

    def _add_worker(self) -> None:
        worker = _Worker(self._ctx, self.render_fn)
        self._all.append(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker, *, kill: bool) -> None:
        worker.kill() if kill else worker.stop()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
            self.replaced += 1
            if not self._closed:
                self._add_worker()

    @property
    def pids(self) -> list[int]:
        """Process ids of the current render processes."""
        with self._lock:
            return [w.pid for w in self._all if w.pid is not None]

    def render(self, template: str, context: Mapping[str, Any], *, title: str, lang: str = "en",
               paper_size: str = "A4", strict: bool = False,
               timeout: float | None = None) -> bytes:
        """Render in a pool process (see :func:`hiring.packets.render.render_pdf`).

        ``timeout`` overrides the pool's time limit for this render. Raises
        :class:`RenderTimeout` past the limit (the process is killed and replaced) and
        :class:`RenderFailed` when the render raised.
        """
        limit = self.timeout if timeout is None else float(timeout)
        self.start()
        job = {"template": template, "context": dict(context), "title": title, "lang": lang,
               "paper_size": paper_size, "strict": strict}
        try:
            worker = self._idle.get(timeout=self.timeout)
        except queue.Empty:
            raise RenderBusy(RETRY_AFTER_MAX_SECONDS) from None
        if not worker.process.is_alive():
            self._replace(worker, kill=True)
            worker = self._idle.get(timeout=self.timeout)
        try:
            pdf = worker.run(job, limit)
        except RenderTimeout:
            logger.warning("packet render: killed pid %s after %.0f s (template %s)",
                           worker.pid, limit, template)
            self._replace(worker, kill=True)
            raise
        except _WorkerDied:
            logger.error("packet render: process %s died (template %s)", worker.pid, template)
            self._replace(worker, kill=True)
            raise
        except RenderFailed:
            self._idle.put(worker)  # the render raised; the process is fine
            raise
        except BaseException:
            self._replace(worker, kill=True)  # unknown state (e.g. interrupted mid-send)
            raise
        if worker.renders >= self.max_renders:
            self._replace(worker, kill=False)
        else:
            self._idle.put(worker)
        return pdf

    def render_many(self, jobs: Sequence[RenderJob], *, paper_size: str = "A4",
                    strict: bool = False, parallel: int | None = None) -> list[bytes]:
        """Render several PDFs, up to ``parallel`` (default: the pool size) at a time; in order."""
        parallel = max(1, min(parallel or self.size, self.size, len(jobs) or 1))
        self.start()
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="render") as executor:
            futures = [executor.submit(self.render, job.template, job.context, title=job.title,
                                       lang=job.lang, paper_size=paper_size, strict=strict)
                       for job in jobs]
            return [future.result() for future in futures]

    def close(self) -> None:
        """Stop every process (idempotent)."""
        with self._lock:
            self._closed = True
            workers, self._all = self._all, []
        for worker in workers:
            worker.stop()

    def __enter__(self) -> RenderPool:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- leases


@dataclass(frozen=True)
class Lease:
    """A render slot held by this process until :attr:`expires_at` or its release."""

    slot: int
    holder: str
    expires_at: datetime


def _holder_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(6)}"[:64]


def _ensure_slots(session: Any, concurrency: int) -> None:
    """Create the missing slot rows 1..``concurrency`` (concurrent creators do not collide)."""
    existing = set(session.scalars(
        select(RenderLease.slot).where(RenderLease.slot <= concurrency)))
    missing = [{"slot": s} for s in range(1, concurrency + 1) if s not in existing]
    if not missing:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(insert(RenderLease).values(missing).on_conflict_do_nothing())


def acquire_lease(database: Database, *, concurrency: int, ttl_seconds: float,
                  now: datetime | None = None) -> Lease:
    """Take a free (or expired) render slot among 1..``concurrency``, or raise RenderBusy.

    A refusal is decided by a read (no write lock); a slot that looks free is taken in one
    short write transaction (``BEGIN IMMEDIATE`` on SQLite) with a conditional UPDATE, so two
    racing processes cannot both win it. Committed before returning.
    """
    concurrency = max(1, int(concurrency))
    now = now or utcnow()
    holder = _holder_id()
    expires = now + timedelta(seconds=ttl_seconds)
    # Refusals come in bursts exactly when the server is busiest: decide them with a read,
    # which on SQLite takes no write lock away from scorecard saves (found by `make load`, L5).
    with database.session(write=False) as session:
        slots = session.execute(
            select(RenderLease.holder, RenderLease.expires_at)
            .where(RenderLease.slot <= concurrency)).all()
    if len(slots) == concurrency and all(
            holder_ is not None and until is not None and until > now
            for holder_, until in slots):
        earliest = min(until for _, until in slots)
        raise RenderBusy(max(1, min(RETRY_AFTER_MAX_SECONDS,
                                    math.ceil((earliest - now).total_seconds()))))
    with database.session(write=True) as session:
        _ensure_slots(session, concurrency)
        for slot in range(1, concurrency + 1):
            result = session.execute(
                update(RenderLease)
                .where(RenderLease.slot == slot,
                       or_(RenderLease.holder.is_(None), RenderLease.expires_at.is_(None),
                           RenderLease.expires_at <= now))
                .values(holder=holder, expires_at=expires)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                session.commit()
                return Lease(slot, holder, expires)
        earliest = session.scalar(
            select(func.min(RenderLease.expires_at)).where(RenderLease.slot <= concurrency))
        session.commit()  # slot rows created above are worth keeping
    wait = (earliest - now).total_seconds() if earliest is not None else 1
    raise RenderBusy(max(1, min(RETRY_AFTER_MAX_SECONDS, math.ceil(wait))))


def release_lease(database: Database, lease: Lease) -> None:
    """Free ``lease``'s slot, unless it expired and someone else took it meanwhile."""
    with database.session(write=True) as session:
        session.execute(
            update(RenderLease)
            .where(RenderLease.slot == lease.slot, RenderLease.holder == lease.holder)
            .values(holder=None, expires_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _lease_ttl(app: Flask) -> float:
    return float(app.config["RENDER_TIMEOUT_SECONDS"]) + LEASE_MARGIN_SECONDS


@contextmanager
def render_slot(app: Flask | None = None) -> Iterator[Lease]:
    """Hold one of the app's ``RENDER_CONCURRENCY`` slots for the duration of the block."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    database = get_database(app)
    lease = acquire_lease(database, concurrency=int(app.config["RENDER_CONCURRENCY"]),
                          ttl_seconds=_lease_ttl(app))
    try:
        yield lease
    finally:
        try:
            release_lease(database, lease)
        except Exception:  # the lease expires on its own; the PDF is still good
            logger.exception("packet render: could not release lease slot %s", lease.slot)


# --------------------------------------------------------------------------- app-level API


_POOL_KEY = "hiring.packets.pool"
_POOL_LOCK = threading.Lock()


def get_pool(app: Flask | None = None) -> RenderPool:
    """The render pool of ``app`` in this process (a forked worker gets its own)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    with _POOL_LOCK:
        pid, pool = app.extensions.get(_POOL_KEY, (None, None))
        if pool is None or pid != os.getpid():
            processes = max(1, min(int(app.config["RENDER_PROCESSES"]),
                                   int(app.config["RENDER_CONCURRENCY"])))
            pool = RenderPool(processes, timeout=float(app.config["RENDER_TIMEOUT_SECONDS"]))
            app.extensions[_POOL_KEY] = (os.getpid(), pool)
            atexit.register(pool.close)
    return pool


def render_pdf_pooled(template: str, context: Mapping[str, Any], *, title: str,
                      lang: str = "en", app: Flask | None = None) -> bytes:
    """:func:`hiring.packets.render.render_pdf` under the cap, in the app's pool, with its settings.

    Raises :class:`RenderBusy` (no slot), :class:`RenderTimeout` or :class:`RenderFailed`.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    pool = get_pool(app)
    with render_slot(app):
        return pool.render(template, context, title=title, lang=lang,
                           paper_size=str(app.config["PAPER_SIZE"]),
                           strict=bool(app.config["PACKETS_STRICT_FETCH"]))


def render_packet(packet: Packet, *, app: Flask | None = None) -> bytes:
    """Render a packet view model (interview, blank kit, debrief or batch) to PDF bytes."""
    template, context, title = packet_context(packet)
    return render_pdf_pooled(template, context, title=title, app=app)


def render_packets(packets: Sequence[Packet], *, app: Flask | None = None) -> list[bytes]:
    """Several packets as separate PDFs, in parallel on as many slots as are free (at least one).

    Raises :class:`RenderBusy` only when not even one slot is free.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    pool = get_pool(app)
    database = get_database(app)
    concurrency = int(app.config["RENDER_CONCURRENCY"])
    leases = [acquire_lease(database, concurrency=concurrency, ttl_seconds=_lease_ttl(app))]
    try:
        while len(leases) < min(pool.size, len(packets)):
            try:
                leases.append(acquire_lease(database, concurrency=concurrency,
                                            ttl_seconds=_lease_ttl(app)))
            except RenderBusy:
                break
        jobs = [RenderJob(*packet_context(p)) for p in packets]
        return pool.render_many(jobs, paper_size=str(app.config["PAPER_SIZE"]),
                                strict=bool(app.config["PACKETS_STRICT_FETCH"]),
                                parallel=len(leases))
    finally:
        for lease in leases:
            try:
                release_lease(database, lease)
            except Exception:
                logger.exception("packet render: could not release lease slot %s", lease.slot)


_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;%]+')


def pdf_response(pdf_bytes: bytes, filename: str) -> Response:
    """A download response: ``application/pdf``, ``attachment`` with a safe filename, no-store."""
    name = _UNSAFE_FILENAME.sub("_", filename).strip(" ._") or "packet"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    # An ASCII fallback for old clients and the exact name as RFC 5987 UTF-8 (names often
    # carry accents); nothing of the name can end the header or the quoted string.
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ -]+", "_", fallback).strip(" ._") or "packet.pdf"
    response = Response(pdf_bytes, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.content_length = len(pdf_bytes)
    return response
