"""Candidates through the web: create, duplicates, versioned edits, search, scoping, résumés,
CSV import (all or nothing, every bad row listed) and formula-safe export (issue 6, items 5-8)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import random
import re
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select

from hiring import db as database
from hiring.models import (
    Application,
    AuditEvent,
    Candidate,
    CandidateDocument,
    ImportBatch,
    StageChange,
)
from tests.conftest import Factory, login

HOSTILE = '"><svg onload=alert(1)>'
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HEADER = "name,email,phone,location,source,notes\r\n"


@contextmanager
def reading(app: Any) -> Iterator[Any]:
    """A short read session on the test app's database."""
    with app.app_context(), database.read_session() as session:
        yield session


@pytest.fixture
def world(app: Any, users: dict[str, Any]) -> dict[str, Any]:
    """Two requisitions (one of the hiring manager, one of another manager), a candidate on
    the first with an interview assigned to ``interviewer``, and a candidate on the second."""
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        other_manager = make.user("hiring_manager", email="other-hm@example.com",
                                  name="Other Manager")
        own = make.requisition(users["hiring_manager"], title="ML engineer, search")
        foreign = make.requisition(other_manager, title="Data engineer, platform")
        alice = make.candidate(name="Alice Example", email="alice@example.com",
                               phone="+44 1632 960001", location="Leeds", source="referral",
                               notes="Recruiter-only note")
        alice_app = make.application(alice, own, stage="interviewing")
        step = make.plan_step(own)
        make.interview(alice_app, step, [users["interviewer"]])
        bob = make.candidate(name="Bob Sample", email="bob@example.com", location="Oslo",
                             source="job board")
        bob_app = make.application(bob, foreign, stage="applied")
        ids = {"own": own.id, "foreign": foreign.id, "alice": alice.id, "bob": bob.id,
               "alice_app": alice_app.id, "bob_app": bob_app.id, "step": step.id}
    return ids


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(row + "\r\n" for row in rows)).encode("utf-8")


def _upload_csv(client: Any, requisition_id: int, data: bytes, name: str = "people.csv") -> Any:
    return client.post(f"/requisitions/{requisition_id}/import",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _confirm(client: Any, requisition_id: int, page: str) -> Any:
    fields = {name: value for name, value in re.findall(
        r'<input[^>]*name="(payload|sha256|filename)"[^>]*value="([^"]*)"', page)}
    assert set(fields) == {"payload", "sha256", "filename"}, "no confirm form on the preview"
    return client.post(f"/requisitions/{requisition_id}/import/confirm", data=fields,
                       content_type="multipart/form-data")


def _count(app: Any, model: Any, *where: Any) -> int:
    with reading(app) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# ----------------------------------------------------------------------------- create


def test_new_candidate_starts_at_applied_with_a_stage_change_by_the_actor(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    login(client, "recruiter@example.com")
    response = client.post(f"/requisitions/{world['own']}/candidates/new", data={
        "name": "Carol New", "email": "Carol@Example.com", "phone": "", "location": "Lyon",
        "source": "event", "notes": "Met at a meetup"})
    assert response.status_code == 302
    with reading(app) as session:
        candidate = session.scalar(select(Candidate).where(Candidate.name == "Carol New"))
        application = session.scalar(select(Application).where(
            Application.candidate_id == candidate.id))
        assert application.stage == "applied"
        [change] = session.scalars(select(StageChange).where(
            StageChange.application_id == application.id)).all()
        assert (change.from_stage, change.to_stage, change.actor_id) == (
            None, "applied", users["recruiter"].id)
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action.in_(["candidate.created", "application.created"]))).all()
        assert {e.action for e in events} == {"candidate.created", "application.created"}
        for event in events:
            assert "Carol" not in str(event.details)
            assert "example.com" not in str(event.details).lower()
    assert response.headers["Location"].endswith(f"/candidates/{candidate.id}")


def test_known_email_in_any_case_becomes_a_second_application_keeping_stored_details(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    login(client, "admin@example.com")
    response = client.post(f"/requisitions/{world['own']}/candidates/new", data={
        "name": "Robert Different", "email": "BOB@example.COM", "phone": "999"},
        follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "already known" in page
    assert "stored details were kept" in page
    with reading(app) as session:
        bob = session.get(Candidate, world["bob"])
        assert bob.name == "Bob Sample"  # not overwritten
        assert bob.phone == ""
        assert session.scalar(select(func.count(Candidate.id))) == 2
        assert {a.requisition_id for a in bob.applications} == {world["own"], world["foreign"]}


def test_applying_twice_to_the_same_requisition_is_refused_with_a_clear_message(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    login(client, "recruiter@example.com")
    response = client.post(f"/requisitions/{world['own']}/candidates/new", data={
        "name": "Alice Again", "email": "ALICE@example.com"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already applied to this requisition" in page
    assert "Alice Again" in page  # input kept
    assert _count(app, Application, Application.requisition_id == world["own"]) == 1


def test_invalid_email_is_refused_next_to_its_field(client: Any, users: Any, world: Any) -> None:
    login(client, "recruiter@example.com")
    response = client.post(f"/requisitions/{world['own']}/candidates/new",
                           data={"name": "X", "email": "not-an-address"})
    assert response.status_code == 400
    assert "name@example.com" in response.get_data(as_text=True)


def test_hiring_manager_cannot_add_to_another_managers_requisition(
    client: Any, users: Any, world: Any
) -> None:
    login(client, "hiring_manager@example.com")
    assert client.get(f"/requisitions/{world['foreign']}/candidates/new").status_code == 404
    assert client.post(f"/requisitions/{world['foreign']}/candidates/new",
                       data={"name": "X", "email": "x@example.com"}).status_code == 404
    assert client.get(f"/requisitions/{world['foreign']}/board").status_code == 404
    assert client.get(f"/requisitions/{world['foreign']}/import").status_code == 404
    assert client.get(f"/requisitions/{world['foreign']}/applications.csv").status_code == 404
    assert client.get(f"/requisitions/{world['own']}/board").status_code == 200


# ----------------------------------------------------------------------------- edit


def test_stale_edit_answers_409_keeps_the_typed_text_and_shows_what_changed(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    login(client, "recruiter@example.com")
    form = client.get(f"/candidates/{world['alice']}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', form).group(1)
    # Someone else saves first.
    other = app.test_client()
    login(other, "admin@example.com")
    assert other.post(f"/candidates/{world['alice']}/edit", data={
        "name": "Alice Example", "email": "alice@example.com", "location": "Manchester",
        "version": version}).status_code == 302
    response = client.post(f"/candidates/{world['alice']}/edit", data={
        "name": "Alice Example", "email": "alice@example.com",
        "location": "Typed-Unique-Location", "notes": "My careful typed note",
        "version": version})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Typed-Unique-Location" in page
    assert "My careful typed note" in page
    assert "Manchester" in page  # the stored value beside the user's
    with reading(app) as session:
        assert session.get(Candidate, world["alice"]).location == "Manchester"
    # Sending again (with the version the 409 page carries) saves deliberately.
    new_version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    assert new_version != version
    assert client.post(f"/candidates/{world['alice']}/edit", data={
        "name": "Alice Example", "email": "alice@example.com",
        "location": "Typed-Unique-Location", "version": new_version}).status_code == 302
    with reading(app) as session:
        assert session.get(Candidate, world["alice"]).location == "Typed-Unique-Location"


def test_edit_to_another_candidates_email_is_refused(client: Any, users: Any,
                                                     world: Any) -> None:
    login(client, "recruiter@example.com")
    response = client.post(f"/candidates/{world['alice']}/edit", data={
        "name": "Alice Example", "email": "BOB@example.com", "version": "1"})
    assert response.status_code == 400
    assert "another candidate" in response.get_data(as_text=True)


def test_update_refuses_fields_outside_the_contact_details(app: Any, users: Any,
                                                           world: Any) -> None:
    from hiring.operations import OperationError
    from hiring.operations.candidates import update_candidate

    with app.app_context(), database.write_session() as session:
        candidate = session.get(Candidate, world["alice"])
        actor = session.get(type(users["admin"]), users["admin"].id)
        with pytest.raises(OperationError, match="legal_hold"):
            update_candidate(session, actor=actor, candidate=candidate, expected_version=1,
                             legal_hold=True)


# ----------------------------------------------------------------------------- search, scoping


def test_search_matches_name_email_source_and_location_case_insensitively(
    client: Any, users: Any, world: Any
) -> None:
    login(client, "recruiter@example.com")
    for query in ("ALICE", "alice@EXAMPLE", "Referral", "leeds"):
        page = client.get("/candidates", query_string={"q": query}).get_data(as_text=True)
        assert "Alice Example" in page, query
        assert "Bob Sample" not in page, query
    assert "No candidates match" in client.get("/candidates?q=%25").get_data(as_text=True)


def test_hiring_manager_sees_only_candidates_of_their_requisitions(
    client: Any, users: Any, world: Any
) -> None:
    login(client, "hiring_manager@example.com")
    page = client.get("/candidates").get_data(as_text=True)
    assert "Alice Example" in page
    assert "Bob Sample" not in page
    assert client.get(f"/candidates/{world['bob']}").status_code == 404


def test_interviewer_sees_only_candidates_of_their_interviews_read_only(
    app: Any, users: Any, world: Any
) -> None:
    a = app.test_client()
    login(a, "interviewer@example.com")
    page = a.get(f"/candidates/{world['alice']}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Alice Example" in body
    assert "alice@example.com" not in body  # contact data stays with the recruiting team
    assert "Recruiter-only note" not in body
    assert "Edit contact details" not in body
    assert "/stage" not in body
    assert "Reject" not in body
    assert a.get(f"/candidates/{world['bob']}").status_code == 404
    assert a.get(f"/candidates/{world['alice']}/edit").status_code == 403
    assert a.get("/candidates").status_code == 403

    b = app.test_client()
    login(b, "interviewer2@example.com")
    assert b.get(f"/candidates/{world['alice']}").status_code == 404
    assert b.get("/candidates/999999").status_code == 404


def test_hostile_name_is_escaped_on_candidate_search_and_board_pages(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    login(client, "recruiter@example.com")
    response = client.post(f"/requisitions/{world['own']}/candidates/new",
                           data={"name": HOSTILE, "email": "hostile@example.com"})
    candidate_url = response.headers["Location"]
    for url in (candidate_url, f"/requisitions/{world['own']}/board", "/candidates?q=svg",
                f"/candidates/{candidate_url.rsplit('/', 1)[-1]}/edit"):
        body = client.get(url).get_data(as_text=True)
        assert "<svg onload" not in body, url
        assert "&lt;svg onload=alert(1)&gt;" in body, url


# ----------------------------------------------------------------------------- documents


def _upload(client: Any, candidate_id: int, data: bytes, name: str,
            content_type: str = "application/pdf") -> Any:
    return client.post(f"/candidates/{candidate_id}/documents",
                       data={"file": (io.BytesIO(data), name, content_type)},
                       content_type="multipart/form-data")


def test_pdf_upload_is_stored_with_a_random_name_and_downloads_only_as_attachment(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    login(client, "recruiter@example.com")
    response = _upload(client, world["alice"], PDF_BYTES, "Alice CV.pdf")
    assert response.status_code == 302
    with reading(app) as session:
        document = session.scalar(select(CandidateDocument))
        assert document.content_type == "application/pdf"
        assert document.data == PDF_BYTES
        assert "Alice" not in document.stored_name
        assert len(document.stored_name) >= 24
        stored = document.stored_name
    download = client.get(f"/documents/{stored}")
    assert download.status_code == 200
    assert download.data == PDF_BYTES
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]

    # The assigned interviewer may download it; another interviewer and an auditor may not.
    a = app.test_client()
    login(a, "interviewer@example.com")
    assert a.get(f"/documents/{stored}").status_code == 200
    b = app.test_client()
    login(b, "interviewer2@example.com")
    assert b.get(f"/documents/{stored}").status_code == 404
    c = app.test_client()
    login(c, "auditor@example.com")
    assert c.get(f"/documents/{stored}").status_code == 403
    assert client.get("/documents/not-a-real-name").status_code == 404


def test_docx_is_accepted_by_content_even_with_a_misleading_name(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    login(client, "recruiter@example.com")
    assert _upload(client, world["alice"], buffer.getvalue(), "cv.txt",
                   "text/plain").status_code == 302
    with reading(app) as session:
        document = session.scalar(select(CandidateDocument))
        assert document.filename == "cv.docx"
        assert document.content_type.endswith("wordprocessingml.document")


def test_exe_renamed_pdf_is_refused_with_a_clear_message(app: Any, client: Any, users: Any,
                                                         world: Any) -> None:
    login(client, "recruiter@example.com")
    response = _upload(client, world["alice"], b"MZ\x90\x00" + b"\x00" * 200, "resume.pdf")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "not a PDF or a Word document" in page
    assert "Windows program" in page
    assert _count(app, CandidateDocument) == 0


def test_too_large_resume_is_refused(app: Any, client: Any, users: Any, world: Any) -> None:
    app.config["MAX_RESUME_MB"] = 1
    login(client, "recruiter@example.com")
    response = _upload(client, world["alice"], PDF_BYTES + b"0" * (1024 * 1024 + 10), "big.pdf")
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert _count(app, CandidateDocument) == 0


def test_upload_by_interviewer_or_foreign_manager_is_refused(
    app: Any, users: Any, world: Any
) -> None:
    interviewer = app.test_client()
    login(interviewer, "interviewer@example.com")
    assert _upload(interviewer, world["alice"], PDF_BYTES, "x.pdf").status_code == 403
    manager = app.test_client()
    login(manager, "hiring_manager@example.com")
    assert _upload(manager, world["bob"], PDF_BYTES, "x.pdf").status_code == 404
    assert _count(app, CandidateDocument) == 0


# ----------------------------------------------------------------------------- CSV import


def test_csv_with_one_bad_row_among_many_imports_nothing_and_names_row_and_column(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    rows = [f"Person {i},person{i}@example.com,,Berlin,job board," for i in range(1, 31)]
    rows[22] = "Person 23,person23-at-example.com,,Berlin,job board,"
    login(client, "recruiter@example.com")
    response = _upload_csv(client, world["own"], _csv(*rows))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    assert re.search(r"<td class=\"num\">23</td><td>email</td>", page)
    assert "header is not counted" in page
    assert "Import 30" not in page  # no confirm button
    assert _count(app, Application, Application.requisition_id == world["own"]) == 1
    assert _count(app, ImportBatch) == 0


def test_every_bad_row_is_listed(client: Any, users: Any, world: Any) -> None:
    login(client, "recruiter@example.com")
    page = _upload_csv(client, world["own"], _csv(
        "Good One,good1@example.com,,,,",
        ",noname@example.com,,,,",
        "Bad Mail,bad@,,,,",
        "Good Two,good2@example.com,,,,",
        "Dup,GOOD1@example.com,,,,",
        "Already,alice@example.com,,,,",
    )).get_data(as_text=True)
    found = set(re.findall(r'<td class="num">(\d+)</td><td>(\w+)</td>', page))
    assert found == {("2", "name"), ("3", "email"), ("5", "email"), ("6", "email")}
    assert "already applied to this requisition" in page
    assert "same e-mail address as row 1" in page


def test_clean_csv_previews_then_imports_every_row_in_one_batch(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    data = _csv(*(f"Imported {i},imported{i}@example.com,,Paris,fair," for i in range(1, 26)),
                "Bob Renamed,bob@example.com,,,,")
    login(client, "recruiter@example.com")
    preview = _upload_csv(client, world["own"], data)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Preview: 26 rows" in page
    assert "Imported 25" in page
    assert "25 new candidates" in page
    assert "1 already known" in page
    assert _count(app, Application, Application.requisition_id == world["own"]) == 1  # not yet
    response = _confirm(client, world["own"], page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/requisitions/{world['own']}/board")
    with reading(app) as session:
        batch = session.scalar(select(ImportBatch))
        assert batch.file_hash == hashlib.sha256(data).hexdigest()
        assert batch.rows == 26
        assert batch.filename == "people.csv"
        applications = session.scalars(select(Application).where(
            Application.import_batch_id == batch.id)).all()
        assert len(applications) == 26
        assert {a.stage for a in applications} == {"applied"}
        changes = session.scalars(select(StageChange).where(
            StageChange.application_id.in_([a.id for a in applications]))).all()
        assert len(changes) == 26
        assert {c.actor_id for c in changes} == {users["recruiter"].id}
        assert session.get(Candidate, world["bob"]).name == "Bob Sample"
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "candidates.imported"))
        assert event.details["rows"] == 26
        assert "example.com" not in str(event.details)


def test_the_same_file_twice_is_refused_naming_the_earlier_import(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    data = _csv("Once Only,once@example.com,,,,")
    login(client, "recruiter@example.com")
    page = _upload_csv(client, world["own"], data).get_data(as_text=True)
    assert _confirm(client, world["own"], page).status_code == 302
    again = _upload_csv(client, world["own"], data, name="renamed.csv")
    assert again.status_code == 400
    body = again.get_data(as_text=True)
    assert "already imported into this requisition on" in body
    with reading(app) as session:
        day = session.scalar(select(ImportBatch)).created_at.strftime("%Y-%m-%d")
    assert day in body
    # Re-sending an old confirmation is refused as well.
    assert _confirm(client, world["own"], page).status_code == 400
    assert _count(app, ImportBatch) == 1


def test_bom_is_handled(app: Any, client: Any, users: Any, world: Any) -> None:
    data = "\ufeffname,email\r\nÉmilie Zoë,emilie@example.com\r\n".encode()
    login(client, "recruiter@example.com")
    page = _upload_csv(client, world["own"], data).get_data(as_text=True)
    assert "Émilie Zoë" in page
    assert _confirm(client, world["own"], page).status_code == 302
    with reading(app) as session:
        assert session.scalar(select(Candidate).where(
            Candidate.email == "emilie@example.com")).name == "Émilie Zoë"


def test_non_utf8_file_gets_one_message(client: Any, users: Any, world: Any) -> None:
    login(client, "recruiter@example.com")
    page = _upload_csv(client, world["own"], "name,email\nJosé,j@example.com\n".encode(
        "latin-1")).get_data(as_text=True)
    assert "not UTF-8" in page
    assert "CSV UTF-8" in page


def test_tampered_confirmation_is_refused(app: Any, client: Any, users: Any,
                                          world: Any) -> None:
    login(client, "recruiter@example.com")
    page = _upload_csv(client, world["own"], _csv("T,t@example.com,,,,")).get_data(as_text=True)
    tampered = re.sub(r'(name="sha256"[^>]*value=")[0-9a-f]{64}', r"\g<1>" + "0" * 64, page)
    assert tampered != page
    response = _confirm(client, world["own"], tampered)
    assert response.status_code == 400
    assert _count(app, ImportBatch) == 0


def test_large_clean_import_confirms_within_the_request_limits(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    rows = [f"Bulk Person {i},bulk{i}@example.com,+49 30 {i:07d},Berlin,job board,"
            f"Notes for row {i} " + "x" * 60 for i in range(1, 5001)]
    data = _csv(*rows)
    assert len(data) > 500_000  # beyond Flask's default per-field form limit
    login(client, "recruiter@example.com")
    page = _upload_csv(client, world["own"], data).get_data(as_text=True)
    assert "Preview: 5000 rows" in page
    response = _confirm(client, world["own"], page)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _count(app, Application, Application.requisition_id == world["own"]) == 5001


# ----------------------------------------------------------------------------- CSV export


def test_export_neutralises_formulas_keeps_numbers_and_is_audited(
    app: Any, client: Any, users: Any, world: Any
) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        from hiring.models import Requisition

        requisition = session.get(Requisition, world["own"])
        evil = make.candidate(name="=HYPERLINK(\"http://evil.example\",\"x\")",
                              email="evil@example.com", phone="12345", source="@SUM(1)",
                              notes="-2+3", location="\tTabbed")
        make.application(evil, requisition, stage="screen")
    login(client, "recruiter@example.com")
    response = client.get(f"/requisitions/{world['own']}/applications.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["name", "email", "phone", "location", "source", "notes", "stage",
                             "applied_at"]
    evil_row = next(r for r in rows if r["email"] == "evil@example.com")
    assert evil_row["name"].startswith("'=HYPERLINK")
    assert evil_row["source"] == "'@SUM(1)"
    assert evil_row["notes"] == "'-2+3"
    assert evil_row["location"] == "'\tTabbed"
    assert evil_row["phone"] == "12345"
    assert ",12345," in text  # unquoted: a number stays a number
    assert evil_row["stage"] == "screen"
    alice_row = next(r for r in rows if r["email"] == "alice@example.com")
    assert alice_row["phone"] == "'+44 1632 960001"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", alice_row["applied_at"])
    with reading(app) as session:
        event = session.scalar(select(AuditEvent).where(
            AuditEvent.action == "applications.exported"))
        assert event.actor_id == users["recruiter"].id
        assert event.details["rows"] == 2


def test_export_needs_a_recent_password(client: Any, users: Any, world: Any) -> None:
    login(client, "recruiter@example.com")
    with client.session_transaction() as session:
        session["reauth_at"] = time.time() - 3600
    response = client.get(f"/requisitions/{world['own']}/applications.csv")
    assert response.status_code == 302
    assert "/reauth" in response.headers["Location"]


# ----------------------------------------------------------------------------- CSRF on


def test_prefixed_stage_forms_and_a_large_import_confirm_work_with_csrf_on(
    tmp_path: Any, sqlite_template: Any, users: Any
) -> None:
    import shutil

    from hiring import create_app
    from tests.conftest import PASSWORD, make_test_config

    shutil.copyfile(sqlite_template, tmp_path / "csrf.db")
    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'csrf.db'}",
                                      WTF_CSRF_ENABLED=True))
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        recruiter = make.user("recruiter", email="r@example.com", password=PASSWORD)
        manager = make.user("hiring_manager", email="m@example.com", password=PASSWORD)
        requisition = make.requisition(manager)
        application = make.application(make.candidate(name="Csrf Person"), requisition,
                                       stage="applied")
        rid, aid, recruiter_id = requisition.id, application.id, recruiter.id
    client = app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": "r@example.com", "password": PASSWORD,
                                "csrf_token": token})

    board = client.get(f"/requisitions/{rid}/board").get_data(as_text=True)
    form_token = re.search(rf'name="a{aid}-move-csrf_token"[^>]*value="([^"]+)"', board)
    assert form_token, "the move form carries its own CSRF token"
    assert client.post(f"/applications/{aid}/stage", data={
        f"a{aid}-move-kind": "move", f"a{aid}-move-version": "1",
        f"a{aid}-move-to_stage": "screen"}).status_code == 400  # no token: refused
    response = client.post(f"/applications/{aid}/stage", data={
        f"a{aid}-move-csrf_token": form_token.group(1), f"a{aid}-move-kind": "move",
        f"a{aid}-move-version": "1", f"a{aid}-move-to_stage": "screen",
        f"a{aid}-move-return_to": "board"})
    assert response.status_code == 302

    # Incompressible notes, so that even the compressed confirmation exceeds Flask's default
    # 500 kB per-field limit: the confirm endpoint must raise it before the CSRF check reads it.
    noise = random.Random(6)
    rows = [f"Csrf Bulk {i},csrfbulk{i}@example.com,,Somewhere,fair,"
            + base64.b64encode(noise.randbytes(150)).decode() for i in range(1, 5001)]
    page = client.post(f"/requisitions/{rid}/import", data={
        "csrf_token": token_from(client, f"/requisitions/{rid}/import"),
        "file": (io.BytesIO(_csv(*rows)), "bulk.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "Preview: 5000 rows" in page
    fields = dict(re.findall(
        r'<input[^>]*name="(payload|sha256|filename|csrf_token)"[^>]*value="([^"]*)"', page))
    assert len(fields["payload"]) > 500_000
    response = client.post(f"/requisitions/{rid}/import/confirm", data=fields,
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with reading(app) as session:
        assert session.scalar(select(func.count(Application.id)).where(
            Application.requisition_id == rid)) == 5001
        assert session.scalar(select(StageChange.actor_id).where(
            StageChange.application_id == aid)) == recruiter_id
    database.get_database(app).dispose()


def token_from(client: Any, url: str) -> str:
    """The CSRF token of the first form on ``url``."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                     client.get(url).get_data(as_text=True)).group(1)


# ----------------------------------------------------------------------------- both databases


@pytest.mark.db
def test_operations_work_on_sqlite_and_postgresql(db_app: Any) -> None:
    from hiring.models import Requisition, User
    from hiring.operations.candidates import (
        ImportRefused,
        StaleCandidate,
        create_candidate,
        export_applications_csv,
        import_candidates,
        search_candidates,
        update_candidate,
    )
    from hiring.operations.stages import change_stage, reopen

    with db_app.app_context():
        with database.write_session() as session:
            make = Factory(session)
            recruiter = make.user("recruiter")
            manager = make.user("hiring_manager")
            requisition = make.requisition(manager)
            ids = {"recruiter": recruiter.id, "manager": manager.id, "req": requisition.id}
        with database.write_session() as session:
            actor = session.get(User, ids["recruiter"])
            requisition = session.get(Requisition, ids["req"])
            application = create_candidate(session, actor=actor, requisition=requisition,
                                           name="Pg 100% Person", email="Pg@Example.com")
            ids["candidate"], ids["application"] = application.candidate_id, application.id
            result = import_candidates(
                session, actor=actor, requisition=requisition, filename="pg.csv",
                data=_csv(*(f"Pg Bulk {i},pgbulk{i}@example.com,,,," for i in range(50))))
            assert result.applications == 50
        with database.write_session() as session:
            actor = session.get(User, ids["recruiter"])
            requisition = session.get(Requisition, ids["req"])
            with pytest.raises(ImportRefused):
                import_candidates(session, actor=actor, requisition=requisition,
                                  filename="again.csv", data=_csv("X,pg@example.com,,,,"))
        with database.write_session() as session:
            actor = session.get(User, ids["recruiter"])
            candidate = session.get(Candidate, ids["candidate"])
            update_candidate(session, actor=actor, candidate=candidate, expected_version=1,
                             name="Pg 100% Person", email="pg@example.com", location="Turku")
            with pytest.raises(StaleCandidate):
                update_candidate(session, actor=actor, candidate=candidate, expected_version=1,
                                 name="Stale", email="pg@example.com")
        with database.write_session() as session:
            actor = session.get(User, ids["recruiter"])
            application = session.get(Application, ids["application"])
            change_stage(session, application, "rejected", actor=actor,
                         reason_code="role_filled", reason_text="Filled", expected_version=1)
        with database.write_session() as session:
            manager = session.get(User, ids["manager"])
            application = session.get(Application, ids["application"])
            reopen(session, application, actor=manager, reason_text="Second look")
            assert application.stage == "applied"
        with database.read_session() as session:
            actor = session.get(User, ids["recruiter"])
            assert search_candidates(session, actor, "100%", 1).total == 1
            assert search_candidates(session, actor, "pgbulk", 1).total == 50
            assert search_candidates(session, actor, "_", 1).total == 0
            text = export_applications_csv(session, session.get(Requisition, ids["req"]))
            assert text.count("\r\n") == 52
            assert session.scalar(select(func.count(StageChange.id))) == 53
