"""Packet templates driven by view models: what is printed, tagging, paper, page numbers, charts.

Each packet kind is rendered once per module (in-process, strict fetching) and inspected with
poppler's pdftotext/pdfinfo and pypdf.
"""

from __future__ import annotations

import io
import re
from dataclasses import fields, replace
from pathlib import Path

import pytest
import segno

from hiring.packets import samples
from hiring.packets.charts import contribution_chart_svg, qr_svg
from hiring.packets.render import render_pdf
from hiring.packets.viewmodels import (
    FocusCompetency,
    InterviewPacket,
    local_time,
    packet_context,
)

from .pdftools import embedded_files, page_count, pdfinfo, pdftotext, squash, write_pdf


def _render(packet: object, tmp: Path, name: str, paper: str = "A4") -> tuple[bytes, Path]:
    template, context, title = packet_context(packet)  # type: ignore[arg-type]
    pdf = render_pdf(template, context, title=title, strict=True, paper_size=paper)
    return pdf, write_pdf(tmp, pdf, name)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packets")


@pytest.fixture(scope="module")
def interview(out: Path) -> tuple[InterviewPacket, bytes, Path]:
    packet = samples.sample_interview_packet()
    pdf, path = _render(packet, out, "interview.pdf")
    return packet, pdf, path


@pytest.fixture(scope="module")
def debrief(out: Path) -> tuple[bytes, Path]:
    return _render(samples.sample_debrief_packet(), out, "debrief.pdf", paper="Letter")


def _assert_in_order(text: str, labels: list[str]) -> list[int]:
    """Each label occurs after the previous one; returns their positions."""
    positions, start = [], 0
    for label in labels:
        start = text.find(label, start)
        assert start >= 0, f"{label!r} missing or out of order"
        positions.append(start)
    return positions


def _small(packet: object, groups: int, **changes: object) -> object:
    """``packet`` cut down to its first ``groups`` competencies and their questions (faster)."""
    return replace(packet, competencies=packet.competencies[:groups],  # type: ignore[attr-defined]
                   question_groups=packet.question_groups[:groups],  # type: ignore[attr-defined]
                   grid=None, **changes)


# --------------------------------------------------------------------------- interview packet


def test_interview_packet_is_tagged_with_title_and_language(
    interview: tuple[InterviewPacket, bytes, Path],
) -> None:
    packet, pdf, path = interview
    info = pdfinfo(path)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    assert re.search(r"^Title:\s+Interview packet: Amara Okafor", info, re.MULTILINE)
    assert re.search(r"^Page size:.*\(A4\)", info, re.MULTILINE)
    assert "<dc:language><rdf:Bag><rdf:li>en</rdf:li>" in pdfinfo(path, "-meta")
    assert "pdfuaid:part=\"1\"" in pdfinfo(path, "-meta")
    from pypdf import PdfReader

    catalog = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert catalog["/Lang"] == "en"
    assert "/StructTreeRoot" in catalog


def test_interview_packet_prints_cover_prompts_code_and_page_numbers(
    interview: tuple[InterviewPacket, bytes, Path],
) -> None:
    packet, _, path = interview
    text = pdftotext(path)
    flat = squash(text)
    pages = page_count(path)
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    for expected in ("Amara Okafor", "Technical deep dive", "Machine-learning engineer, Mid",
                     "Tuesday 3 March 2026, 14:00", "Europe/Berlin (CET)",
                     "Jonas Weber, Priya Raman",
                     packet.short_code, packet.scorecard_url, "Confidential"):
        assert squash(expected) in flat, expected
    for question in packet.questions:
        assert squash(question.prompt) in flat, question.id
        for follow_up in question.follow_ups:
            assert squash(follow_up) in flat
    # The running header names candidate and interview on every page.
    assert text.count("Amara Okafor · Technical deep dive") >= pages


def test_interview_packet_shows_anchors_and_no_bar(
    interview: tuple[InterviewPacket, bytes, Path],
) -> None:
    packet, _, path = interview
    flat = squash(pdftotext(path))
    for competency in packet.competencies:
        assert squash(competency.name) in flat
        for anchor in competency.anchors:
            assert squash(anchor.text) in flat
    assert "bar" not in {f.name for f in fields(FocusCompetency)}
    assert "barprofile" not in flat.lower()
    assert not re.search(r"bar(level)?[:=]?\d", flat.lower())


def test_interview_scorecard_grid_mirrors_the_form_with_recommendation_last(
    interview: tuple[InterviewPacket, bytes, Path],
) -> None:
    packet, _, path = interview
    text = pdftotext(path, first=page_count(path) - 3)
    flat = squash(text)
    order = ["1.Questionsasked", "2.Ratingsandevidence", "3.Keytake-aways", "4.Recommendation"]
    positions = _assert_in_order(flat, order)
    for label in ("Notasked:time", "Notasked:other", "Interviewcutshort", "Conflictofinterest",
                  "1notyet", "2foundational", "3proficient", "4advanced"):
        assert label in flat
    recommendation = flat[positions[-1]:]
    for label in ("Strongno", "No", "Yes", "Strongyes", "Nodecision"):
        assert label in recommendation
    # Every question has a row pointing to the page of its notes.
    for number in range(1, len(packet.questions) + 1):
        assert re.search(rf"Q{number}\b.*p\.\s*\d+", text, re.DOTALL)


def test_qr_code_encodes_the_scorecard_url_and_is_never_micro() -> None:
    url = "http://127.0.0.1:5000/s/K7QF-2M9D"
    code = segno.make_qr(url)
    assert not code.is_micro
    svg = str(qr_svg(url))
    assert svg.startswith("<svg")
    assert 'class="qr"' in svg
    assert "style=" not in svg
    assert "<script" not in svg


# --------------------------------------------------------------------------- blank kit, batch


def test_blank_kit_has_no_candidate_code_or_qr(out: Path) -> None:
    kit = _small(samples.sample_blank_kit(), 2)
    pdf, path = _render(kit, out, "blank.pdf")
    text = pdftotext(path)
    assert "Blank kit" in text
    assert "Amara" not in text
    assert "your scorecard code" not in text.lower()
    assert "K7QF" not in text
    assert f"Page 1 of {page_count(path)}" in text
    for question in kit.questions:
        assert squash(question.prompt) in squash(text)
    assert embedded_files(pdf) == []


def test_batch_starts_each_packet_on_a_new_page_with_its_own_page_numbers(out: Path) -> None:
    long = _small(samples.sample_interview_packet(cover_candidate_name="Ben Kowalski"), 3)
    short = _small(samples.sample_interview_packet(cover_candidate_name="Chiara Rossi",
                                                   short_code="ZZ99-0001"), 1)
    batch = samples.sample_batch(1)
    batch = replace(batch, packets=(long, short))
    _, path = _render(batch, out, "batch.pdf")
    total = page_count(path)
    per_page = [pdftotext(path, first=n, last=n) for n in range(1, total + 1)]
    starts = [n for n, page in enumerate(per_page) if "INTERVIEWPACKET" in squash(page)]
    assert len(starts) == 2
    assert starts[0] == 0
    first_len, second_len = starts[1], total - starts[1]
    assert first_len != second_len  # different lengths, so the per-packet totals are real
    assert f"Page 1 of {first_len}" in per_page[0]
    assert f"Page {first_len} of {first_len}" in per_page[first_len - 1]
    assert f"Page 1 of {second_len}" in per_page[starts[1]]
    assert "Chiara Rossi · Technical deep dive" in per_page[starts[1]]
    assert "ZZ99-0001" in per_page[-1]


# --------------------------------------------------------------------------- debrief


def test_debrief_orders_sections_and_prints_matrix_chart_and_versions(
    debrief: tuple[bytes, Path],
) -> None:
    pdf, path = debrief
    info = pdfinfo(path)
    assert re.search(r"^Page size:\s+612 x 792 pts \(letter\)", info, re.MULTILINE)
    assert re.search(r"^Tagged:\s+yes$", info, re.MULTILINE)
    flat = squash(pdftotext(path))
    order = ["Stagehistory", "Ratings", "Score", "Profilefit", "Contributionspercompetency",
             "Disagreements",
             "Evidencenotes", "Recommendations", "Decisions", "Model:"]
    _assert_in_order(flat, order)
    for name in samples.INTERVIEWERS:
        assert squash(name) in flat
    assert "abovethebarprofile" in flat  # the chart's caption (SVG text)
    assert "ml-engineer/midv4" in flat
    assert f"Page 1 of {page_count(path)}" in pdftotext(path)


def test_debrief_without_score_shows_no_score_section(out: Path) -> None:
    packet = samples.sample_debrief_packet(with_score=False, evidence=(), disagreements=())
    _, path = _render(packet, out, "debrief-hidden.pdf")
    flat = squash(pdftotext(path))
    assert "Ratings" in flat
    assert "Contributionspercompetency" not in flat
    assert "barprofile" not in flat  # no score, no chart, no "x on the rating scale"


# --------------------------------------------------------------------------- charts, helpers


def test_contribution_chart_escapes_labels_and_uses_classes_not_styles() -> None:
    svg = str(contribution_chart_svg(
        {"a": 1.5, "b": -0.75, "c": 0.0},
        {"a": '<script>alert(1)</script>', "b": 'Model "evaluation" & co'},
    ))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&#34;evaluation&#34; &amp; co" in svg or "&quot;evaluation&quot; &amp; co" in svg
    assert "style=" not in svg
    assert "<style" not in svg
    assert svg.count('class="hchart-bar hchart-pos"') == 1
    assert svg.count('class="hchart-bar hchart-neg"') == 1
    assert 'class="hchart-hatch"' in svg  # negative bars are hatched: readable without colour
    assert "+1.50" in svg
    assert "\u22120.75" in svg
    assert "+0.00" in svg
    assert ">c<" in svg  # a missing label falls back to the key
    # Largest positive first.
    assert svg.index("+1.50") < svg.index("+0.00") < svg.index("\u22120.75")


def test_contribution_chart_handles_empty_and_non_finite_values() -> None:
    assert str(contribution_chart_svg({}, {})).startswith("<svg")
    svg = str(contribution_chart_svg({"x": float("nan")}, {"x": "X"}))
    assert "n/a" in svg


def test_local_time_uses_the_interviewers_zone() -> None:
    from datetime import UTC, datetime

    when, zone = local_time(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), 45, "America/New_York")
    assert when == "Wednesday 1 July 2026, 18:30\u201319:15"
    assert zone == "America/New_York (EDT)"
    _, unknown = local_time(datetime(2026, 7, 1, 22, 30, tzinfo=UTC), 45, "Mars/Olympus")
    assert unknown.startswith("UTC (unknown zone")


def test_view_models_are_picklable_plain_data() -> None:
    import pickle

    for packet in (samples.sample_interview_packet(), samples.sample_debrief_packet(),
                   samples.sample_blank_kit(), samples.sample_batch(2)):
        assert pickle.loads(pickle.dumps(packet)) == packet  # noqa: S301 - our own bytes
