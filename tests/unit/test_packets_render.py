"""Safe rendering (SECURITY.md PDF-1, PDF-2, PDF-3): fetcher, attachments, pool, leases.

PDF-1 is tested twice: (a) the rendering function fed crafted HTML and CSS directly (a test-only
template dir, so autoescaping cannot hide a permissive fetcher), and (b) the same payloads as
user text in the view models, end to end through the real templates.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from weasyprint.urls import path2url

from hiring.db import get_database
from hiring.packets import samples
from hiring.packets.pool import (
    RenderBusy,
    RenderPool,
    RenderTimeout,
    acquire_lease,
    pdf_response,
    release_lease,
    render_packet,
)
from hiring.packets.render import (
    ASSETS_DIR,
    BlockedFetch,
    PacketRenderError,
    SafeFetcher,
    render_pdf,
)
from hiring.packets.viewmodels import EvidenceNote, KitQuestion, packet_context

from .pdftools import (
    Canary,
    all_stream_bytes,
    embedded_files,
    pdfdetach_list,
    pdftotext,
    pid_alive,
    squash,
    write_pdf,
)

PASSWD = Path("/etc/passwd").read_text().splitlines()[0]  # e.g. "root:x:0:0:root:/root:..."
HOSTNAME = Path("/etc/hostname").read_text().strip() if Path("/etc/hostname").exists() else ""


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    """A canary HTTP server on 127.0.0.1; every test here asserts it was never contacted."""
    with Canary() as server:
        yield server


def _payloads(canary: Canary) -> dict[str, str]:
    """The hostile constructs, each as raw HTML for a crafted template."""
    return {
        "img_file": '<img src="file:///etc/passwd" alt="passwd">',
        "link_attachment": '<link rel="attachment" href="file:///etc/hostname" title="host">',
        "css_import": f'<style>@import url({canary.url("/x.css")});</style>',
        "svg_image": ('<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80">'
                      f'<image href="{canary.url("/y")}" width="60" height="60"/></svg>'),
        "css_background": f'<p class="bg">bg</p><style>.bg {{ background: '
                          f'url({canary.url("/bg.png")}) }}</style>',
        "font_face": f'<style>@font-face {{ font-family: X; src: url({canary.url("/f.woff")}) '
                     f'}} body {{ font-family: X }}</style>',
        "traversal": '<img src="../render.py" alt="traversal">',
        "a_attachment": '<a rel="attachment" href="packet.css">asset as attachment</a>',
    }


VECTORS = ["img_file", "link_attachment", "css_import", "svg_image", "css_background",
           "font_face", "traversal", "a_attachment"]


def _crafted_dir(tmp_path: Path, body: str) -> Path:
    templates = tmp_path / "crafted"
    templates.mkdir(exist_ok=True)
    (templates / "crafted.html").write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>'
        '<link rel="stylesheet" href="packet.css"></head><body><p>crafted packet</p>'
        + body + "</body></html>"
    )
    return templates


# --------------------------------------------------------------------------- PDF-1 (a)


@pytest.mark.parametrize("vector", VECTORS)
def test_strict_render_fails_on_each_crafted_fetch_or_attachment(
    vector: str, canary: Canary, tmp_path: Path
) -> None:
    templates = _crafted_dir(tmp_path, _payloads(canary)[vector])
    with pytest.raises(PacketRenderError):
        render_pdf("crafted.html", {}, title="crafted", strict=True, templates_dir=templates)
    assert canary.hits == []


def test_lenient_render_of_crafted_html_skips_everything_and_embeds_nothing(
    canary: Canary, tmp_path: Path
) -> None:
    templates = _crafted_dir(tmp_path, "".join(_payloads(canary).values()))
    pdf = render_pdf("crafted.html", {}, title="crafted", strict=False, templates_dir=templates)
    path = write_pdf(tmp_path, pdf)

    assert "crafted packet" in pdftotext(path)
    assert pdfdetach_list(path).strip().startswith("0 embedded files")
    assert embedded_files(pdf) == []
    streams = all_stream_bytes(pdf)
    assert PASSWD.encode() not in streams
    if HOSTNAME:
        assert HOSTNAME.encode() not in streams
    assert b"render_pdf" not in streams  # ../render.py was not read either
    assert canary.hits == []


def test_packet_css_from_assets_is_allowed_in_strict_mode(tmp_path: Path) -> None:
    templates = _crafted_dir(tmp_path, '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA'
                                       'AAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAA'
                                       'ABJRU5ErkJggg==" alt="dot">')
    pdf = render_pdf("crafted.html", {}, title="ok", strict=True, templates_dir=templates)
    assert pdf.startswith(b"%PDF-")


def test_fetcher_serves_data_urls_and_asset_files_only(canary: Canary, tmp_path: Path) -> None:
    fetcher = SafeFetcher(strict=True)
    css = fetcher.fetch(path2url(str(ASSETS_DIR / "packet.css")))
    assert b"@page" in css.read()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    assert fetcher.fetch("data:,a%20b").read() == b"a b"

    refused = [
        "file:///etc/passwd",
        path2url(str(ASSETS_DIR)) + "/../render.py",
        "file://example.com/etc/passwd",
        canary.url("/redirect-me"),
        "https://127.0.0.1:1/x",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1/x",
        path2url(str(ASSETS_DIR)) + "/",  # a directory, not a file
    ]
    for url in refused:
        with pytest.raises(BlockedFetch):
            fetcher.fetch(url)
    assert len(fetcher.blocked) == len(refused)
    assert canary.hits == []


def test_fetcher_refuses_symlinks_pointing_out_of_the_assets(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "ok.css").write_text("p { color: black }")
    (assets / "evil.css").symlink_to("/etc/passwd")
    (assets / "sub").symlink_to("/etc", target_is_directory=True)
    fetcher = SafeFetcher(assets)
    assert fetcher.fetch(path2url(str(assets / "ok.css"))).read() == b"p { color: black }"
    for url in (path2url(str(assets / "evil.css")), path2url(str(assets / "sub" / "passwd"))):
        with pytest.raises(BlockedFetch, match="outside"):
            fetcher.fetch(url)


# --------------------------------------------------------------------------- PDF-1 (b), PDF-2


HOSTILE_STRINGS = (
    '<img src="file:///etc/passwd">',
    '<link rel="attachment" href="file:///etc/hostname">',
    '"><svg onload=alert(1)>',
    "{{ config.SECRET_KEY }}",
    "{% for x in range(3) %}loop{% endfor %}",
)


def _hostile_packet(canary: Canary) -> Any:
    css = f"<style>@import url({canary.url('/x.css')});</style>"
    svg = f'<svg><image href="{canary.url("/y")}"/></svg>'
    prompt = " ".join((*HOSTILE_STRINGS, css, svg))
    packet = samples.sample_interview_packet(cover_candidate_name=HOSTILE_STRINGS[0] + " Eve")
    group = replace(packet.question_groups[0], questions=(
        KitQuestion("custom-1", prompt, 5, "technical", follow_ups=(HOSTILE_STRINGS[3],),
                    signals=(HOSTILE_STRINGS[2],)),
    ))
    return replace(packet, competencies=packet.competencies[:1], question_groups=(group,),
                   grid=None)


def test_hostile_user_text_prints_literally_and_fetches_nothing(
    app: Any, canary: Canary, tmp_path: Path
) -> None:
    assert app.config["PACKETS_STRICT_FETCH"] is True  # tests run strict: a fetch would raise
    packet = _hostile_packet(canary)
    template, context, title = packet_context(packet)
    with app.app_context():
        pdf = render_pdf(template, context, title=title)  # strict, from the app's config
    path = write_pdf(tmp_path, pdf)
    text = squash(pdftotext(path))

    for literal in HOSTILE_STRINGS:
        assert squash(literal) in text, literal
    assert squash(f"@import url({canary.url('/x.css')});") in text
    assert app.config["SECRET_KEY"] not in text
    assert "looplooploop" not in text
    assert pdfdetach_list(path).strip().startswith("0 embedded files")
    assert embedded_files(pdf) == []
    assert PASSWD.encode() not in all_stream_bytes(pdf)
    assert canary.hits == []


def test_hostile_debrief_notes_print_literally(app: Any, canary: Canary, tmp_path: Path) -> None:
    note = EvidenceNote("Mallory", " ".join(HOSTILE_STRINGS), "Model evaluation", "", 2)
    packet = samples.sample_debrief_packet(
        evidence=(note,), summary=replace(samples.sample_debrief_packet().summary,
                                          candidate_name=HOSTILE_STRINGS[2]))
    template, context, title = packet_context(packet)
    with app.app_context():
        pdf = render_pdf(template, context, title=title)
    text = squash(pdftotext(write_pdf(tmp_path, pdf)))
    for literal in HOSTILE_STRINGS:
        assert squash(literal) in text, literal
    assert embedded_files(pdf) == []
    assert canary.hits == []


def test_templates_cannot_reach_flask_globals(app: Any, tmp_path: Path) -> None:
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "peek.html").write_text(
        "<html lang='en'><title>{{ title }}</title><p>{{ config is defined }} "
        "{{ request is defined }} {{ session is defined }}</p></html>")
    with app.test_request_context("/"):
        pdf = render_pdf("peek.html", {}, title="peek", templates_dir=templates)
    assert "False False False" in pdftotext(write_pdf(tmp_path, pdf))


def test_unknown_paper_size_and_bad_language_are_refused() -> None:
    template, context, title = packet_context(samples.sample_blank_kit())
    with pytest.raises(ValueError, match="A4 or Letter"):
        render_pdf(template, context, title=title, paper_size="A3", strict=True)
    with pytest.raises(ValueError, match="BCP 47"):
        render_pdf(template, context, title=title, lang='en"><x', strict=True, paper_size="A4")


# --------------------------------------------------------------------------- pool (PDF-3)


@pytest.fixture(scope="module")
def pool() -> Iterator[RenderPool]:
    """One warm pool for the module: one process and the sleepy test hook. The time limit is
    generous (a loaded CI machine); the time-out test sets a short one for its render."""
    from .pdftools import sleepy_render

    with RenderPool(1, timeout=60.0, render_fn=sleepy_render) as render_pool:
        yield render_pool


def test_pool_renders_a_view_model_in_another_process(pool: RenderPool) -> None:
    template, context, title = packet_context(samples.sample_debrief_packet())
    pdf = pool.render(template, context, title=title, strict=True)
    assert pdf.startswith(b"%PDF-")
    assert pool.pids
    assert all(pid_alive(pid) for pid in pool.pids)


def test_pool_kills_and_replaces_a_render_past_the_time_limit(pool: RenderPool) -> None:
    template, context, _ = packet_context(samples.sample_debrief_packet())
    before = pool.pids
    started = time.monotonic()
    with pytest.raises(RenderTimeout):
        pool.render(template, context, title="sleep", timeout=1.0)
    assert time.monotonic() - started < 10  # the hook sleeps 60 s: the limit cut it short
    assert not any(pid_alive(pid) for pid in before)
    after = pool.pids
    assert len(after) == 1
    assert set(after).isdisjoint(before)
    pdf = pool.render(template, context, title="after the time-out", strict=True)
    assert pdf.startswith(b"%PDF-")


def test_pool_replaces_a_process_that_died_mid_render(pool: RenderPool) -> None:
    from hiring.packets.pool import RenderFailed

    before = pool.pids
    with pytest.raises(RenderFailed, match="died"):
        pool.render("debrief.html", {}, title="crash")
    after = pool.pids
    assert len(after) == 1
    assert set(after).isdisjoint(before)


def test_pool_reports_render_errors_and_keeps_the_process(pool: RenderPool) -> None:
    from hiring.packets.pool import RenderFailed

    before = pool.pids
    with pytest.raises(RenderFailed, match="TemplateNotFound"):
        pool.render("no-such-template.html", {}, title="x")
    assert pool.pids == before


# --------------------------------------------------------------------------- leases (PDF-3)


def test_second_acquire_with_one_slot_raises_busy_with_retry_after(app: Any) -> None:
    database = get_database(app)
    first = acquire_lease(database, concurrency=1, ttl_seconds=90)
    with pytest.raises(RenderBusy) as busy:
        acquire_lease(database, concurrency=1, ttl_seconds=90)
    assert 1 <= busy.value.retry_after <= 5
    release_lease(database, first)
    release_lease(database, acquire_lease(database, concurrency=1, ttl_seconds=90))


def test_concurrency_two_allows_two_holders_then_busy(app: Any) -> None:
    database = get_database(app)
    leases = [acquire_lease(database, concurrency=2, ttl_seconds=90) for _ in range(2)]
    assert {lease.slot for lease in leases} == {1, 2}
    with pytest.raises(RenderBusy):
        acquire_lease(database, concurrency=2, ttl_seconds=90)
    for lease in leases:
        release_lease(database, lease)


def test_expired_lease_is_reclaimed_and_its_late_release_frees_nothing(app: Any) -> None:
    database = get_database(app)
    start = datetime.now(UTC)
    stale = acquire_lease(database, concurrency=1, ttl_seconds=10, now=start)
    with pytest.raises(RenderBusy):
        acquire_lease(database, concurrency=1, ttl_seconds=10, now=start + timedelta(seconds=9))
    fresh = acquire_lease(database, concurrency=1, ttl_seconds=10,
                          now=start + timedelta(seconds=11))
    assert fresh.slot == stale.slot
    assert fresh.holder != stale.holder
    release_lease(database, stale)  # the crashed holder coming back must not free fresh's slot
    with pytest.raises(RenderBusy):
        acquire_lease(database, concurrency=1, ttl_seconds=10, now=start + timedelta(seconds=12))
    release_lease(database, fresh)


def test_render_packet_answers_busy_when_the_only_slot_is_held(app: Any) -> None:
    app.config["RENDER_CONCURRENCY"] = 1
    database = get_database(app)
    held = acquire_lease(database, concurrency=1, ttl_seconds=90)
    try:
        with app.app_context(), pytest.raises(RenderBusy):
            render_packet(samples.sample_blank_kit())
    finally:
        release_lease(database, held)


def test_busy_becomes_503_with_retry_after(app: Any) -> None:
    with app.test_request_context("/"):
        response = app.make_response(app.handle_user_exception(RenderBusy(4)))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "4"
    assert "text/html" in response.headers["Content-Type"]


def test_pdf_response_is_a_no_store_attachment_with_a_safe_name(app: Any) -> None:
    with app.test_request_context("/"):
        response = pdf_response(b"%PDF-1.7 test", 'Tomás "x"/../../evil\r\n.pdf')
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "/" not in disposition
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert "filename*=UTF-8''Tom%C3%A1s" in disposition
    assert response.get_data() == b"%PDF-1.7 test"



@pytest.mark.db
def test_racing_acquires_get_exactly_the_free_slots_on_each_database(db_app: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    database = get_database(db_app)

    def attempt(_: int) -> Any:
        try:
            return acquire_lease(database, concurrency=2, ttl_seconds=90)
        except RenderBusy as busy:
            return busy

    with ThreadPoolExecutor(max_workers=8) as executor:
        results = list(executor.map(attempt, range(8)))
    won = [r for r in results if not isinstance(r, RenderBusy)]
    assert sorted(lease.slot for lease in won) == [1, 2]
    assert all(isinstance(r, RenderBusy) and r.retry_after >= 1
               for r in results if r not in won)
    for lease in won:
        release_lease(database, lease)
    release_lease(database, acquire_lease(database, concurrency=2, ttl_seconds=90))
