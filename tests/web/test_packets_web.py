"""Packet downloads from the web and the CLI (issue 10; SECURITY.md PDF-3, PDF-4, AUTHZ-4)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hiring import db as database
from hiring.models import AuditEvent
from tests.conftest import Factory, login

MARKER = "PACKET-MARKER-5521"
CANDIDATE = "Katherine Johnson"
PROMPTS = ("Walk me through a model you shipped.", "How did you choose the metric?")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text (poppler's ``pdftotext -layout``), whitespace collapsed."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftotext is missing: apt-get install -y poppler-utils")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    source = tmp_path / "packet.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(source), "-"], check=True,  # noqa: S603,S607
                         capture_output=True, timeout=60).stdout.decode("utf-8")
    return re.sub(r"\s+", " ", out)


@pytest.fixture(scope="module")
def shared_pool() -> Iterator[Any]:
    """One warm render pool for the module (each test's app would otherwise start its own)."""
    from hiring.packets.pool import RenderPool

    with RenderPool(2, timeout=60.0) as render_pool:
        yield render_pool


@pytest.fixture
def loop(app: Any, users: dict[str, Any], shared_pool: Any) -> dict[str, Any]:
    """As tests/web/test_scorecards.py: one application, two interviews. A (interviewer) and B
    (interviewer2) on the first, the hiring manager and B on the second; bars at 3."""
    with app.app_context(), database.write_session() as session:
        from hiring.models import KitItem, KitVersion, KitVersionFocus, UserRole

        session.add(UserRole(user_id=users["hiring_manager"].id, role="interviewer"))
        make = Factory(session)
        c1, c2 = make.competency("ds-modelling"), make.competency("ds-evaluation")
        q1, q2 = make.question(c1, prompt=PROMPTS[0]), make.question(c2, prompt=PROMPTS[1])
        profile = make.profile([(c1, 3, 3, True), (c2, 2, 3, False)], level="mid")
        requisition = make.requisition(users["hiring_manager"], profile, level="mid",
                                       title="ML engineer")
        application = make.application(make.candidate(name=CANDIDATE), requisition)
        steps = []
        for name in ("Technical deep-dive", "Hiring-manager interview"):
            step = make.plan_step(requisition, [c1, c2], name=name)
            kit = session.scalar(select(KitVersion).where(KitVersion.step_id == step.id))
            kit.focus = [KitVersionFocus(competency_id=c1.id, position=0),
                         KitVersionFocus(competency_id=c2.id, position=1)]
            kit.items = [KitItem(question_version_id=q1.id, position=0),
                         KitItem(question_version_id=q2.id, position=1)]
            steps.append(step)
        first = make.interview(application, steps[0], [users["interviewer"], users["interviewer2"]])
        second = make.interview(application, steps[1],
                                [users["hiring_manager"], users["interviewer2"]])
        session.flush()
        ids = {"c1": c1.id, "c2": c2.id, "q1": q1.id, "q2": q2.id, "first": first.id,
               "second": second.id, "application": application.id,
               "requisition": requisition.id, "step": steps[0].id,
               "day": first.starts_at.date().isoformat(),
               "codes": {(a.interview_id, a.interviewer_id): a.short_code
                         for i in (first, second) for a in i.assignments}}
    from hiring.packets import pool

    app.extensions[pool._POOL_KEY] = (os.getpid(), shared_pool)  # noqa: SLF001 - test wiring
    return ids


def complete(loop: dict[str, Any], note: str = "Solid reasoning.") -> dict[str, Any]:
    return {
        f"qnote_{loop['q1']}": note, f"qrating_{loop['q1']}": "3",
        f"qnote_{loop['q2']}": "Chose PR-AUC for the rare class.", f"qrating_{loop['q2']}": "4",
        f"evidence_{loop['c1']}": f"Shipped a churn model; {note}", f"rating_{loop['c1']}": "3",
        f"evidence_{loop['c2']}": "Explained threshold costs.", f"rating_{loop['c2']}": "4",
        "takeaways": "Strong evaluator.", "recommendation": "yes", "action": "submit",
    }


def _as(app: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _is_pdf_download(response: Any) -> None:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.headers["Cache-Control"]
    assert response.data.startswith(b"%PDF")


def test_interview_packet_for_a_panel_member(app: Any, loop: Any, users: Any,
                                             tmp_path: Path) -> None:
    a = _as(app, "interviewer@example.com")
    response = a.get(f"/interviews/{loop['first']}/packet.pdf")
    _is_pdf_download(response)
    text = pdf_text(response.data, tmp_path)
    assert CANDIDATE in text
    for prompt in PROMPTS:
        assert prompt in text, prompt
    assert "Page 1 of" in text
    assert loop["codes"][(loop["first"], users["interviewer"].id)] in text
    assert loop["codes"][(loop["first"], users["interviewer2"].id)] not in text
    # The recommendation boxes explain "Strong yes" as on the form; no competency bar appears.
    rest = text.replace("clearly above the bar on what was assessed", "")
    assert not re.search(r"\bbars?\b", rest, re.IGNORECASE), "a bar is printed"


def test_interview_packet_refused_to_anyone_off_the_panel(app: Any, loop: Any) -> None:
    a = _as(app, "interviewer@example.com")
    assert a.get(f"/interviews/{loop['second']}/packet.pdf").status_code == 404
    assert a.get("/interviews/999999/packet.pdf").status_code == 404
    # Managing the requisition is not sitting on the panel.
    manager = _as(app, "hiring_manager@example.com")
    assert manager.get(f"/interviews/{loop['first']}/packet.pdf").status_code == 404


def test_authz4_debrief_packet_hides_a_note_until_b_submits(app: Any, loop: Any,
                                                            tmp_path: Path) -> None:
    a = _as(app, "interviewer@example.com")
    b = _as(app, "interviewer2@example.com")
    assert a.post(f"/interviews/{loop['first']}/scorecard",
                  data=complete(loop, MARKER)).status_code == 302
    before = b.get(f"/applications/{loop['application']}/debrief.pdf")
    assert before.status_code == 409
    assert MARKER.encode() not in before.data
    for interview in (loop["first"], loop["second"]):
        assert b.post(f"/interviews/{interview}/scorecard",
                      data=complete(loop)).status_code == 302
    after = b.get(f"/applications/{loop['application']}/debrief.pdf")
    _is_pdf_download(after)
    assert MARKER in pdf_text(after.data, tmp_path)
    with app.app_context(), database.read_session() as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "packet.debrief")).all()
    assert len(events) == 1
    assert events[0].subject_id == str(loop["application"])
    assert CANDIDATE not in str(events[0].details)


def test_hidden_scores_are_absent_from_the_debrief_packet(app: Any, loop: Any,
                                                          tmp_path: Path) -> None:
    from hiring.models import Requisition
    from hiring.operations.scoring import recompute_application

    a = _as(app, "interviewer@example.com")
    b = _as(app, "interviewer2@example.com")
    a.post(f"/interviews/{loop['first']}/scorecard", data=complete(loop))
    for interview in (loop["first"], loop["second"]):
        b.post(f"/interviews/{interview}/scorecard", data=complete(loop))
    with app.app_context(), database.write_session() as session:
        recompute_application(session, loop["application"], trigger="test")
    manager = _as(app, "hiring_manager@example.com")
    manager.post(f"/interviews/{loop['second']}/scorecard", data=complete(loop))
    url = f"/applications/{loop['application']}/debrief.pdf"
    shown = manager.get(url)
    _is_pdf_download(shown)
    assert "Profile fit" in pdf_text(shown.data, tmp_path)
    with app.app_context(), database.write_session() as session:
        session.get(Requisition, loop["requisition"]).hide_scores = True
    hidden = manager.get(url)
    _is_pdf_download(hidden)
    text = pdf_text(hidden.data, tmp_path)
    assert "Profile fit" not in text
    assert " of 100" not in text


def test_blank_kit_and_batches(app: Any, loop: Any, tmp_path: Path) -> None:
    manager = _as(app, "hiring_manager@example.com")
    blank = manager.get(f"/requisitions/{loop['requisition']}/plan/steps/{loop['step']}"
                        "/blank.pdf")
    _is_pdf_download(blank)
    text = pdf_text(blank.data, tmp_path)
    assert CANDIDATE not in text
    assert PROMPTS[0] in text
    whole_loop = manager.get(f"/applications/{loop['application']}/packets.pdf")
    _is_pdf_download(whole_loop)
    assert pdf_text(whole_loop.data, tmp_path).count(PROMPTS[1]) >= 4  # four seats
    a = _as(app, "interviewer@example.com")
    assert a.get(f"/requisitions/{loop['requisition']}/plan/steps/{loop['step']}"
                 "/blank.pdf").status_code == 403
    day = a.get(f"/packets/day.pdf?date={loop['day']}")
    _is_pdf_download(day)
    assert CANDIDATE in pdf_text(day.data, tmp_path)
    assert a.get("/packets/day.pdf?date=1999-01-01").status_code == 404
    assert a.get("/packets/day.pdf?date=nonsense").status_code == 400


def test_cli_writes_packets_and_refuses_people_without_access(app: Any, loop: Any,
                                                              tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    out = tmp_path / "out.pdf"

    def run(*args: Any) -> Any:
        if out.exists():
            out.unlink()
        return runner.invoke(args=["packet", *map(str, args), "-o", str(out)])

    ok = run("interview", loop["first"], "--interviewer", "interviewer@example.com")
    assert ok.exit_code == 0, ok.output
    assert out.read_bytes().startswith(b"%PDF")
    assert CANDIDATE in pdf_text(out.read_bytes(), tmp_path)
    refused = run("interview", loop["second"], "--interviewer", "interviewer@example.com")
    assert refused.exit_code == 1
    assert "Error" in refused.output
    assert not out.exists()

    ok = run("debrief", loop["application"], "--as", "recruiter@example.com")
    assert ok.exit_code == 0, ok.output
    for who in ("interviewer@example.com", "auditor@example.com"):
        refused = run("debrief", loop["application"], "--as", who)
        assert refused.exit_code == 1, who
        assert not out.exists(), who

    ok = run("blank", loop["requisition"], 1)
    assert ok.exit_code == 0, ok.output
    assert PROMPTS[0] in pdf_text(out.read_bytes(), tmp_path)
    assert run("blank", loop["requisition"], 1, "--as", "interviewer@example.com").exit_code == 1
    assert run("blank", loop["requisition"], 9).exit_code == 1

    ok = run("batch", "--application", loop["application"])
    assert ok.exit_code == 0, ok.output
    ok = run("batch", "--date", loop["day"], "--as", "interviewer@example.com")
    assert ok.exit_code == 0, ok.output
    assert run("batch", "--date", loop["day"]).exit_code == 1
    assert run("batch", "--application", loop["application"], "--as",
               "auditor@example.com").exit_code == 1


def test_pdf3_render_busy_answers_503_with_retry_after(app: Any, loop: Any,
                                                       monkeypatch: Any) -> None:
    from hiring.packets import pool

    def busy(*args: Any, **kwargs: Any) -> bytes:
        raise pool.RenderBusy(3)

    monkeypatch.setattr(pool, "render_packet", busy)
    a = _as(app, "interviewer@example.com")
    response = a.get(f"/interviews/{loop['first']}/packet.pdf")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
