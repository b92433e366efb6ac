"""Browser-facing and input requirements (SECURITY.md WEB-3, IN-1, IN-2, IN-4, LOG-1).

Elsewhere: WEB-1 in ``tests/web/test_csrf.py``; WEB-2 and the hostile-input suite in
``tests/web/test_hostile_input.py``; WEB-4 in ``tests/web/test_auth.py``; IN-3 in
``tests/web/test_csv_properties.py`` and ``tests/unit/test_candidates_csv.py``.
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hiring import create_app
from hiring import db as database
from hiring.models import AuditEvent, Competency, QuestionVersion, User
from hiring.policy import Action, requires
from tests import privacy_world as world
from tests.conftest import PASSWORD, login, make_test_config

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


# ---------------------------------------------------------------------------- WEB-3


def _check_headers(response: Any, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives.get("default-src") == "default-src 'self'", what
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", what
    assert "'unsafe-inline'" not in csp, what
    assert "'unsafe-eval'" not in csp, what
    assert directives.get("script-src") == "script-src 'self'", what
    assert directives.get("style-src") == "style-src 'self'", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    assert response.headers.get("Referrer-Policy"), what
    assert response.headers.get("Cache-Control") == "no-store", what
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers.get("X-Request-Id", "")), what


def test_web3_headers_on_pages_and_every_kind_of_error_page(tmp_path: Path,
                                                            sqlite_template: Path) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "w.db")
    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}",
                                      WTF_CSRF_ENABLED=True, MAX_UPLOAD_MB=1))
    with app.app_context(), database.write_session() as session:
        from tests.conftest import Factory

        Factory(session).user("recruiter", email="r@example.com", password=PASSWORD)

    @app.get("/boom-for-web3")
    @requires(Action.ANY_USER)
    def boom() -> str:
        raise RuntimeError("secret internals: /etc/passwd")

    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    client.post("/login", data={"email": "r@example.com", "password": PASSWORD,
                                "csrf_token": token.group(1)})
    cases = {
        "page with personal data": client.get("/candidates"),
        "login page": app.test_client().get("/login"),
        "400 CSRF failure": client.post("/admin/users/new", data={"name": "x"}),
        "403": client.get("/admin/users"),
        "404": client.get("/no/such/page"),
        "405": client.get("/logout"),
        "413": client.post("/login", data={"email": "x" * (2 * 1024 * 1024)}),
        "500": client.get("/boom-for-web3"),
    }
    expected = {"page with personal data": 200, "login page": 200, "400 CSRF failure": 400,
                "403": 403, "404": 404, "405": 405, "413": 413, "500": 500}
    for what, response in cases.items():
        assert response.status_code == expected[what], what
        _check_headers(response, what)
        body = response.get_data(as_text=True)
        if response.status_code >= 400 and what != "400 CSRF failure":
            assert response.headers["X-Request-Id"] in body, what  # WEB-4: shown to quote
            assert "Traceback" not in body, what
            assert "/etc/passwd" not in body, what


def test_web3_templates_have_no_inline_script_style_or_event_handlers() -> None:
    """CSP forbids them; the templates must not need them (PDF templates excepted: they never
    reach a browser)."""
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "packets" in path.parts:
            continue
        text = path.read_text()
        where = path.relative_to(ROOT)
        assert not re.search(r"\sstyle\s*=", text, re.IGNORECASE), f"{where}: style="
        assert not re.search(r"<style[\s>]", text, re.IGNORECASE), f"{where}: <style>"
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), f"{where}: on*="
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text,
                                 re.IGNORECASE | re.DOTALL):
            assert "src=" in match.group(1), f"{where}: inline script"
            assert not match.group(2).strip(), f"{where}: inline script"
        assert "javascript:" not in text.lower(), f"{where}: javascript: URL"


# ---------------------------------------------------------------------------- IN-1


def test_in1_too_large_bodies_get_413_and_the_next_request_works(app: Any,
                                                                  users: dict[str, Any]) -> None:
    from tests.conftest import Factory

    with app.app_context(), database.write_session() as session:
        requisition = Factory(session).requisition(users["hiring_manager"], status="open")
    limit = app.config["MAX_CONTENT_LENGTH"]
    client = app.test_client()
    login(client, "recruiter@example.com")
    big = b"x" * (limit + 1)
    assert app.test_client().post("/login", data=big,
                                  content_type="application/x-www-form-urlencoded"
                                  ).status_code == 413
    upload = client.post(f"/requisitions/{requisition.id}/import",
                         data={"file": (io.BytesIO(big), "big.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 413
    assert "Too large" in upload.get_data(as_text=True)
    assert client.get("/candidates").status_code == 200  # the same worker carries on


def _raw_request(port: int, head: bytes, body_chunks: list[bytes]) -> bytes:
    """Send a request over a fresh socket; the server may answer (and close) before the body
    is all sent, which is fine: we read whatever it says."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except OSError:
            pass
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except OSError:
            pass
    return data


@pytest.mark.load
def test_in1_gunicorn_worker_lives_on_after_oversized_requests(tmp_path: Path,
                                                                sqlite_template: Path) -> None:
    """On the real server: a body declared too large, and one streamed without a length, get
    413; the same worker process then answers the next request."""
    from benchmarks.load import Gunicorn

    shutil.copyfile(sqlite_template, tmp_path / "g.db")
    server = Gunicorn(url=f"sqlite:///{tmp_path / 'g.db'}", instance=tmp_path / "instance",
                      workers=1, log=tmp_path / "gunicorn.log",
                      extra_env={"HIRING_MAX_UPLOAD_MB": "1"})
    try:
        server.start()
        workers = server.worker_pids()
        assert len(workers) == 1
        declared = _raw_request(server.port, (
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 104857600\r\nConnection: close\r\n\r\n"), [b"email=x" * 10])
        assert declared.startswith(b"HTTP/1.1 413"), declared[:200]
        streamed = _raw_request(server.port, (
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"),
            [b"10000\r\n" + b"a" * 0x10000 + b"\r\n"] * 40 + [b"0\r\n\r\n"])
        assert streamed.startswith(b"HTTP/1.1 413"), streamed[:200]
        time.sleep(0.2)
        healthy = _raw_request(server.port, (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                             b"Connection: close\r\n\r\n"), [])
        assert healthy.startswith(b"HTTP/1.1 200"), healthy[:200]
        assert server.worker_pids() == workers
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()


# ---------------------------------------------------------------------------- IN-2


def test_in2_uploads_by_content_random_names_attachments_for_allowed_people_only(
        app: Any, users: dict[str, Any]) -> None:
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
    recruiter = app.test_client()
    login(recruiter, "recruiter@example.com")
    url = f"/candidates/{ids['other']}/documents"
    for content, name in ((b"<html><script>alert(1)</script></html>", "cv.pdf"),
                          (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
                           "cv.pdf"),
                          (b"MZ\x90\x00" + b"\x00" * 64, "cv.docx"),
                          (b"PK\x03\x04" + b"\x00" * 64, "cv.docx")):
        refused = recruiter.post(url, data={"file": (io.BytesIO(content), name)},
                                 content_type="multipart/form-data")
        assert refused.status_code == 400, name
        assert "PDF or Word" in refused.get_data(as_text=True) or \
            "not" in refused.get_data(as_text=True)
    accepted = recruiter.post(url, data={"file": (io.BytesIO(PDF), "../../evil.html")},
                              content_type="multipart/form-data")
    assert accepted.status_code in (302, 303)
    from hiring.models import CandidateDocument

    with app.app_context(), database.read_session() as session:
        documents = session.scalars(select(CandidateDocument).where(
            CandidateDocument.candidate_id == ids["other"])).all()
    assert len(documents) == 1
    document = documents[0]
    assert document.content_type == "application/pdf"
    assert document.filename.endswith(".pdf")
    assert "/" not in document.filename
    assert len(document.stored_name) >= 24
    assert "evil" not in document.stored_name
    download = recruiter.get(f"/documents/{document.stored_name}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download.headers["Content-Security-Policy"]
    stranger = app.test_client()
    login(stranger, "interviewer@example.com")  # not on this candidate's panel
    assert stranger.get(f"/documents/{document.stored_name}").status_code == 404
    # Uploads never reach WeasyPrint: the packets code has no way to them.
    for path in (ROOT / "hiring" / "packets").rglob("*.py"):
        source = path.read_text()
        assert "CandidateDocument" not in source
        assert "candidate_documents" not in source


# ---------------------------------------------------------------------------- IN-4


def test_in4_a_bad_bank_file_is_refused_whole_naming_file_line_and_id(app: Any,
                                                                       tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "question_bank", bank)
    (bank / "questions" / "zz-broken.yaml").write_text(
        "questions:\n"
        "  - id: zz-evil\n"
        "    competency: !!python/object/apply:os.system ['touch /tmp/pwned-by-yaml']\n"
        "    kind: technical\n")
    (bank / "questions" / "zz-syntax.yaml").write_text("questions:\n  - id: zz-bad\n    kind: [\n")
    result = app.test_cli_runner().invoke(args=["bank", "load", str(bank)])
    assert result.exit_code == 1
    assert re.search(r"zz-broken\.yaml:\d+: ", result.output)
    assert re.search(r"zz-syntax\.yaml:\d+: ", result.output)
    assert "nothing was written" in result.output
    assert not Path("/tmp/pwned-by-yaml").exists()
    with app.app_context(), database.read_session() as session:
        assert session.scalar(select(func.count(Competency.id))) == 0
        assert session.scalar(select(func.count(QuestionVersion.id))) == 0
    binary = tmp_path / "binary"
    shutil.copytree(ROOT / "question_bank", binary)
    (binary / "roles" / "zz-binary.yaml").write_bytes(b"\xff\xfe\x00garbage\x00")
    garbage = app.test_cli_runner().invoke(args=["bank", "load", str(binary)])
    assert garbage.exit_code == 1
    assert "zz-binary.yaml" in garbage.output


# ---------------------------------------------------------------------------- LOG-1


def test_log1_the_listed_actions_are_audited_without_secrets_or_note_text(
        app: Any, users: dict[str, Any]) -> None:
    from hiring.models import Application, Interview, Scorecard
    from hiring.operations import scorecards as card_ops
    from hiring.operations.debrief import record_decision
    from hiring.operations.scorecards import RatingInput, ScorecardInput
    from tests.conftest import Factory

    note = "NOTE-TEXT-never-audited"
    with app.app_context(), database.write_session() as session:
        ids = world.build(session)
        make = Factory(session)
        application = session.get(Application, ids["other_application"])
        step = make.plan_step(application.requisition, [])
        interview = make.interview(application, step, [users["interviewer"]])
        from hiring.models import KitVersion, KitVersionFocus

        kit = session.get(KitVersion, interview.kit_version_id)
        session.add(KitVersionFocus(kit_version_id=kit.id,
                                    competency_id=ids["competencies"][0]))
        session.flush()
        interview_id = interview.id
    with app.app_context(), database.write_session() as session:
        person = session.get(User, users["interviewer"].id)
        data = ScorecardInput(ratings={ids["competencies"][0]: RatingInput(3, None, note)},
                              takeaways=note, recommendation="yes")
        card_ops.submit(session, interview_id, person, data, expected_version=None)
    with app.app_context(), database.write_session() as session:
        person = session.get(User, users["interviewer"].id)
        card = session.scalar(select(Scorecard).where(Scorecard.interview_id == interview_id))
        card_ops.amend(session, card.id, person,
                       {ids["competencies"][0]: RatingInput(4, None, note)}, reason=note)
        manager = session.get(User, ids["manager"])
        record_decision(session, session.get(Application, ids["other_application"]),
                        actor=manager, kind="reject", reason_code="other", rationale=note)
        assert session.get(Interview, interview_id) is not None

    login(app.test_client(), "recruiter@example.com", "a wrong password")
    interviewer = app.test_client()
    login(interviewer, "interviewer@example.com")
    interviewer.get("/admin/users")  # a denial
    recruiter = app.test_client()
    login(recruiter, "recruiter@example.com")
    recruiter.get(f"/requisitions/{ids['requisition']}/ranking")
    recruiter.get(f"/requisitions/{ids['requisition']}/ranking.csv")
    recruiter.get(f"/requisitions/{ids['requisition']}/applications.csv")
    admin = app.test_client()
    login(admin, "admin@example.com")
    admin.post(f"/admin/users/{users['auditor'].id}",
               data={"roles": ["auditor", "recruiter"], "version": "1"})
    admin.post(f"/privacy/candidates/{ids['candidate']}/export")
    admin.post(f"/privacy/candidates/{ids['candidate']}/erase",
               data={"confirm": str(ids["candidate"])})

    with app.app_context(), database.read_session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        tokens = [u.session_token for u in session.scalars(select(User))]
    by_action: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    wanted = {"auth.login", "access.denied", "scorecard.submit", "scorecard.amend",
              "ranking.view", "ranking.export", "decision.record", "applications.exported",
              "candidate.exported", "candidate.erased", "user.roles"}
    assert wanted <= set(by_action), sorted(wanted - set(by_action))
    assert {e.outcome for e in by_action["auth.login"]} >= {"ok", "failed"}
    assert by_action["access.denied"][0].outcome == "denied"
    assert by_action["ranking.view"][0].details["profile_version"]
    assert by_action["ranking.view"][0].details["model"] == "profile_fit"
    assert by_action["decision.record"][0].actor_id == ids["manager"]
    for action in wanted - {"auth.login"}:
        for event in by_action[action]:
            assert event.actor_id is not None, action
            assert event.at is not None, action
    dump = json.dumps([[e.action, e.subject_type, e.subject_id, e.details] for e in events])
    for secret in (PASSWORD, "a wrong password", note, world.NAME, world.EMAIL, world.PHONE,
                   *tokens):
        assert secret not in dump, secret


def test_log1_the_audit_writer_refuses_forbidden_keys() -> None:
    from hiring.operations.audit import record

    class Nowhere:
        def add(self, _: Any) -> None:  # pragma: no cover - never reached
            raise AssertionError

    for key in ("password", "token", "note", "evidence", "email", "name"):
        with pytest.raises(ValueError, match="must not hold"):
            record(Nowhere(), "x", actor_id=1, **{key: "v"})  # type: ignore[arg-type]


def test_log1_no_module_passes_note_text_or_identity_to_the_audit_log() -> None:
    """Static: no call of ``record(...)`` passes an attribute named like personal data or note
    text as a detail value (``name=candidate.name``, ``notes=...``, ``rationale=...``)."""
    risky = {"name", "email", "phone", "notes", "note", "evidence", "takeaways", "rationale",
             "reason_text", "reason", "prompt", "filename", "password", "body", "subject"}
    for path in sorted((ROOT / "hiring").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name != "record":
                continue
            for keyword in call.keywords:
                value = keyword.value
                if isinstance(value, ast.Attribute) and value.attr in risky:
                    raise AssertionError(f"{path.name}:{call.lineno}: {keyword.arg}="
                                         f"...{value.attr}")
