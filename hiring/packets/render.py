"""The one rendering function: app-owned Jinja template + view model -> tagged PDF bytes.

Safety (SECURITY.md PDF-1, PDF-2):

- Templates come only from ``templates/packets/`` (app-owned), rendered by a dedicated, sandboxed
  Jinja environment with autoescaping always on and *no* Flask globals: a template cannot reach
  ``config``, ``request`` or ``session``, and user text is data, never template source.
- Every URL WeasyPrint wants (stylesheets, images, fonts, SVG ``<image>``, attachments) goes
  through :class:`SafeFetcher`, which allows only ``data:`` URLs and regular files whose real
  path lies inside ``hiring/packets/assets/``. Nothing goes to the network, nothing follows a
  redirect, ``../`` and symlinks out of the folder are refused.
- No embedded files, ever: ``<link rel=attachment>`` and ``<a rel=attachment>`` are dropped from
  the laid-out document before the PDF is written, and ``attachments=[]`` is passed.
- A refused fetch or attachment fails the render in strict mode (``PACKETS_STRICT_FETCH``, on in
  tests); otherwise it is logged and the resource is skipped.

This module holds no state beyond caches and can run in any process: the render pool's workers
call :func:`render_pdf` with every setting passed explicitly.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit
from urllib.request import url2pathname

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse, path2url

from .viewmodels import NOT_ASSESSED_REASONS, RATING_WORDS, RECOMMENDATIONS

logger = logging.getLogger("hiring.packets")

PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
TEMPLATES_DIR = PACKAGE_DIR.parent.parent / "templates" / "packets"
PDF_VARIANT = "pdf/ua-1"

_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")  # BCP 47, conservatively

#: Accepted ``PAPER_SIZE`` values (case-insensitive) -> the CSS ``@page size`` keyword.
PAPER_SIZES = {"a4": "A4", "letter": "letter"}


class BlockedFetch(ValueError):
    """WeasyPrint asked for a URL the packet fetcher refuses (the message names the URL)."""


class PacketRenderError(RuntimeError):
    """The render failed: a refused fetch or attachment in strict mode, or a WeasyPrint error."""


# --------------------------------------------------------------------------- fetcher


def _decode_data_url(url: str) -> tuple[bytes, str]:
    """Bytes and media type of a ``data:`` URL (RFC 2397), decoded here with no I/O at all."""
    try:
        header, payload = url[len("data:"):].split(",", 1)
    except ValueError as exc:
        raise BlockedFetch(f"malformed data: URL {url[:60]!r}") from exc
    raw = unquote_to_bytes(payload)
    if header.lower().endswith(";base64"):
        header = header[: -len(";base64")]
        try:
            raw = base64.b64decode(raw, validate=False)
        except ValueError as exc:
            raise BlockedFetch("malformed base64 in data: URL") from exc
    return raw, header or "text/plain;charset=US-ASCII"


class SafeFetcher(URLFetcher):
    """Deny-by-default URL fetcher: ``data:`` URLs and the app's own packet assets only.

    A ``file:`` URL is served only when ``os.path.realpath`` of its path is a regular file inside
    ``assets_dir`` (so ``../`` and symlinks pointing out are refused); every other scheme
    (``http``, ``https``, ``ftp``, ...) is refused without touching the network. Redirects are
    off. Refused URLs are collected in :attr:`blocked`; with ``strict=True`` WeasyPrint stops the
    render at the first one (``fail_on_errors``), otherwise it logs and skips the resource.
    """

    def __init__(self, assets_dir: Path | str = ASSETS_DIR, *, strict: bool = False) -> None:
        super().__init__(
            allowed_protocols={"data", "file"}, allow_redirects=False, fail_on_errors=strict,
            timeout=1,
        )
        self.assets_dir = os.path.realpath(assets_dir)
        self.strict = strict
        self.blocked: list[str] = []

    def _refuse(self, url: str, why: str) -> BlockedFetch:
        self.blocked.append(url)
        logger.warning("packet render: refused %s (%s)", url[:200], why)
        return BlockedFetch(f"refused {url[:200]!r}: {why}")

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Serve ``data:`` and asset files; raise :class:`BlockedFetch` for anything else."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            body, media_type = _decode_data_url(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})
        if scheme != "file":
            raise self._refuse(url, f"scheme {scheme or '(none)'!r} is not allowed")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise self._refuse(url, "remote file host")
        real = os.path.realpath(url2pathname(parts.path))
        if os.path.commonpath([real, self.assets_dir]) != self.assets_dir:
            raise self._refuse(url, "outside the packet assets folder")
        if not os.path.isfile(real):
            raise self._refuse(url, "not a regular asset file")
        with open(real, "rb") as fh:  # small app-owned files: read whole, nothing left open
            body = fh.read()
        media_type = mimetypes.guess_type(real)[0] or "application/octet-stream"
        return URLFetcherResponse(path2url(real), body, {"Content-Type": media_type})


def _xmp_language(lang: str) -> Any:
    """A WeasyPrint finisher adding ``dc:language`` to the XMP metadata (``pdfinfo -meta``).

    WeasyPrint writes the language to the catalog (``/Lang``) only; PDF/UA readers and
    ``pdfinfo -meta`` also look in the XMP packet.
    """
    entry = (
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" rdf:about="">'
        f"<dc:language><rdf:Bag><rdf:li>{lang}</rdf:li></rdf:Bag></dc:language>"
        "</rdf:Description></rdf:RDF>"
    ).encode()

    def finisher(_document: Any, pdf: Any) -> None:
        reference = pdf.catalog.get("Metadata")
        if reference is None:
            return
        stream = pdf.objects[int(bytes(reference).split()[0])]
        stream.stream = [chunk.replace(b"</rdf:RDF>", entry, 1) if isinstance(chunk, bytes)
                         else chunk for chunk in stream.stream]

    return finisher


# --------------------------------------------------------------------------- templates


@lru_cache(maxsize=8)
def _environment(templates_dir: str) -> SandboxedEnvironment:
    """A sandboxed, always-autoescaping Jinja environment on ``templates_dir`` (cached)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(templates_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        rating_words=RATING_WORDS,
        not_assessed_reasons=NOT_ASSESSED_REASONS,
        recommendations=RECOMMENDATIONS,
    )
    return env


def paper_size_css(paper_size: str) -> str:
    """The CSS ``@page size`` keyword for a ``PAPER_SIZE`` setting (A4 or Letter)."""
    try:
        return PAPER_SIZES[str(paper_size).strip().lower()]
    except KeyError:
        raise ValueError(f"paper size must be A4 or Letter, not {paper_size!r}") from None


def _settings(paper_size: str | None, strict: bool | None) -> tuple[str, bool]:
    """Explicit arguments win; otherwise the current app's config; otherwise A4, not strict."""
    if paper_size is None or strict is None:
        from flask import current_app, has_app_context

        config: Mapping[str, Any] = current_app.config if has_app_context() else {}
        if paper_size is None:
            paper_size = str(config.get("PAPER_SIZE", "A4"))
        if strict is None:
            strict = bool(config.get("PACKETS_STRICT_FETCH", False))
    return paper_size, strict


def render_html(
    template: str, context: Mapping[str, Any], *, title: str, lang: str = "en",
    paper_size: str | None = None, templates_dir: Path | str | None = None,
) -> str:
    """The final HTML of a packet: ``template`` from ``templates/packets/`` with ``context``.

    ``title``, ``lang`` and ``page_size`` (the CSS keyword for ``paper_size``) are added to the
    context for ``_base_print.html``.
    """
    paper_size, _ = _settings(paper_size, False)
    env = _environment(str(templates_dir or TEMPLATES_DIR))
    values = dict(context)
    values.update(title=title, lang=lang, page_size=paper_size_css(paper_size))
    return env.get_template(template).render(values)


def html_to_pdf(
    html: str, *, title: str, lang: str = "en", strict: bool = False,
    assets_dir: Path | str = ASSETS_DIR,
) -> bytes:
    """Lay out ``html`` with :class:`SafeFetcher` and write a tagged PDF/UA-1 with no attachments.

    Raises :class:`PacketRenderError` when ``strict`` and anything was refused.
    """
    if not _LANG_RE.match(lang):
        raise ValueError(f"lang must be a BCP 47 tag such as 'en' or 'de-CH', not {lang!r}")
    fetcher = SafeFetcher(assets_dir, strict=strict)
    options: dict[str, Any] = {"pdf_variant": PDF_VARIANT, "attachments": []}
    try:
        document = HTML(
            string=html, base_url=path2url(os.path.realpath(assets_dir)) + "/",
            url_fetcher=fetcher,
        ).render(**options)
    except FatalURLFetchingError as exc:  # a BaseException: turn it into an ordinary error
        raise PacketRenderError(f"blocked fetch: {exc.__cause__ or exc}") from None

    dropped = [a.source for a in document.metadata.attachments]
    document.metadata.attachments = []
    for page in document.pages:
        kept = [link for link in page.links if link[0] != "attachment"]
        dropped.extend(link[1] for link in page.links if link[0] == "attachment")
        page.links[:] = kept
    if dropped:
        logger.warning("packet render: dropped %d attachment(s)", len(dropped))
        if strict:
            raise PacketRenderError("attachments are not allowed in packets")
    if strict and fetcher.blocked:
        raise PacketRenderError(f"blocked fetch: {fetcher.blocked[0][:200]!r}")

    # PDF/UA needs both; set them from the caller even if a template forgot its <title>/lang.
    document.metadata.title = title
    document.metadata.lang = lang
    try:
        pdf = document.write_pdf(finisher=_xmp_language(lang), **options)
    except FatalURLFetchingError as exc:
        raise PacketRenderError(f"blocked fetch: {exc.__cause__ or exc}") from None
    if strict and fetcher.blocked:
        raise PacketRenderError(f"blocked fetch: {fetcher.blocked[0][:200]!r}")
    return pdf


def render_pdf(
    template: str, context: Mapping[str, Any], *, title: str, lang: str = "en",
    paper_size: str | None = None, strict: bool | None = None,
    templates_dir: Path | str | None = None,
) -> bytes:
    """Render ``template`` (a name in ``templates/packets/``) with ``context`` to PDF bytes.

    ``context`` holds view models (:mod:`hiring.packets.viewmodels`), never ORM objects. The PDF
    is tagged (PDF/UA-1) with ``title`` and ``lang`` as metadata. ``paper_size`` (A4 or Letter)
    and ``strict`` (fail on a refused fetch) default to the current app's ``PAPER_SIZE`` and
    ``PACKETS_STRICT_FETCH``; render-pool workers pass them explicitly. ``templates_dir`` exists
    for tests that feed crafted templates through the same path.
    """
    paper_size, strict = _settings(paper_size, strict)
    html = render_html(template, context, title=title, lang=lang, paper_size=paper_size,
                       templates_dir=templates_dir)
    return html_to_pdf(html, title=title, lang=lang, strict=strict)
