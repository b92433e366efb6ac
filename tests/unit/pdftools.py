"""Helpers for the packet tests: poppler tools, PDF inspection, a canary HTTP server, hooks.

Not a test module (no ``test_`` prefix); imported by ``test_packets_*.py`` and, for
:func:`sleepy_render`, by render-pool processes (so it must stay importable by name).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POPPLER_HINT = (
    "{tool} not found: install Debian's poppler-utils (`apt-get install -y poppler-utils`, as "
    "root; `make test` does this when run as root)."
)


def poppler(tool: str) -> str:
    """Path of a poppler tool; fails with an install hint in CI, skips elsewhere."""
    path = shutil.which(tool)
    if path is None:
        message = POPPLER_HINT.format(tool=tool)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def _run(tool: str, *args: str) -> str:
    return subprocess.run([poppler(tool), *args], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def write_pdf(tmp_dir: Path, pdf: bytes, name: str = "out.pdf") -> Path:
    """Write ``pdf`` to ``tmp_dir/name``."""
    path = tmp_dir / name
    path.write_bytes(pdf)
    return path


def pdftotext(path: Path, *, first: int | None = None, last: int | None = None) -> str:
    """Text of the PDF in content-stream order (``-raw``: table cells stay whole), optionally
    a page range."""
    args = ["-raw"]
    if first is not None:
        args += ["-f", str(first)]
    if last is not None:
        args += ["-l", str(last)]
    return _run("pdftotext", *args, str(path), "-")


def pdfinfo(path: Path, *extra: str) -> str:
    """``pdfinfo`` output (``-meta`` adds the XMP packet)."""
    return _run("pdfinfo", *extra, str(path))


def pdfdetach_list(path: Path) -> str:
    """``pdfdetach -list`` output ("0 embedded files" when there are none)."""
    return _run("pdfdetach", "-list", str(path))


def squash(text: str) -> str:
    """Text without any whitespace: line wrapping must not hide a literal string."""
    return re.sub(r"\s+", "", text)


def page_count(path: Path) -> int:
    """Pages according to pdfinfo."""
    match = re.search(r"^Pages:\s+(\d+)", pdfinfo(path), re.MULTILINE)
    assert match, "pdfinfo printed no page count"
    return int(match.group(1))


def embedded_files(pdf: bytes) -> list[str]:
    """Names of embedded files (catalog name tree) and file-attachment annotations, per pypdf."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found: list[str] = []
    names = reader.trailer["/Root"].get("/Names")
    if names is not None and "/EmbeddedFiles" in names.get_object():
        found.append("/EmbeddedFiles name tree")
    for number, page in enumerate(reader.pages, 1):
        for annotation in page.get("/Annots") or []:
            if annotation.get_object().get("/Subtype") == "/FileAttachment":
                found.append(f"/FileAttachment on page {number}")
    return found


def all_stream_bytes(pdf: bytes) -> bytes:
    """Every stream of the PDF, decompressed, concatenated (to look for leaked file contents)."""
    from pypdf import PdfReader
    from pypdf.generic import StreamObject

    reader = PdfReader(io.BytesIO(pdf))
    numbers = set(reader.xref_objStm)
    for table in reader.xref.values():
        numbers.update(table)
    chunks = []
    for number in sorted(numbers):
        obj = reader.get_object(number)
        if isinstance(obj, StreamObject):
            try:
                chunks.append(obj.get_data())
            except Exception:  # noqa: BLE001, S112 - undecodable image data is irrelevant
                continue
    return b"\n".join(chunks)


# --------------------------------------------------------------------------- canary server


class _CanaryHandler(BaseHTTPRequestHandler):
    timeout = 5

    def _record(self) -> None:
        self.server.hits.append(f"{self.command} {self.path}")  # type: ignore[attr-defined]
        body = b"body { color: red }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _record  # noqa: N815

    def log_message(self, *_args: Any) -> None:
        return


class Canary:
    """An HTTP server on 127.0.0.1 (random free port) that records every request it gets."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _CanaryHandler)
        self.server.hits = []  # type: ignore[attr-defined]
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def hits(self) -> list[str]:
        return list(self.server.hits)  # type: ignore[attr-defined]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> Canary:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# --------------------------------------------------------------------------- pool hook


def sleepy_render(**job: Any) -> bytes:
    """Render-pool hook: a job titled "sleep" hangs (to hit the time limit), one titled "crash"
    kills its process; others render."""
    if job["title"] == "sleep":
        time.sleep(60)
    if job["title"] == "crash":
        os._exit(3)
    from hiring.packets.render import render_pdf

    return render_pdf(**job)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` still exists (and is not a zombie we reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"
