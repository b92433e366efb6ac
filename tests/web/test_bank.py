"""The question bank in the database and on pages: load, versions, export, editing, browsing."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from hiring import PROJECT_ROOT, create_app
from hiring import db as database
from hiring import question_bank as qb
from hiring.models import (
    AuditEvent,
    Competency,
    CompetencyVersion,
    DomainDefault,
    DomainPack,
    KitItem,
    ProfileEntry,
    ProfileVersion,
    Question,
    QuestionVersion,
    RoleProfile,
)
from tests.conftest import Factory, login, make_test_config

SHIPPED = PROJECT_ROOT / "question_bank"
BANK_TABLES = (Competency, CompetencyVersion, RoleProfile, ProfileVersion, ProfileEntry,
               DomainPack, DomainDefault, Question, QuestionVersion)
NON_ADMINS = ("recruiter", "hiring_manager", "interviewer", "auditor")


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def shipped() -> qb.Bank:
    return qb.read_bank(SHIPPED)


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A migrated SQLite database with the shipped bank loaded, once per session."""
    path = tmp_path_factory.mktemp("bank-template") / "hiring.db"
    shutil.copyfile(sqlite_template, path)
    application = create_app(make_test_config(path.parent, f"sqlite:///{path}"))
    load(application)
    engine = database.get_database(application).engine
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.get_database(application).dispose()
    return path


@pytest.fixture
def empty_bank() -> None:
    """Request it to get an app whose database has no bank loaded yet."""


@pytest.fixture
def app(tmp_path: Path, sqlite_template: Path, loaded_template: Path,
        request: pytest.FixtureRequest) -> Iterator[Any]:
    """The test app, on a copy of a database with the shipped bank already loaded (fast), or
    with an empty bank for tests that request ``empty_bank``."""
    template = sqlite_template if "empty_bank" in request.fixturenames else loaded_template
    target = tmp_path / "hiring.db"
    shutil.copyfile(template, target)
    application = create_app(make_test_config(tmp_path, f"sqlite:///{target}"))
    yield application
    database.get_database(application).dispose()


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    """A copy of the shipped bank that a test may change."""
    target = tmp_path / "bank"
    for folder in qb.FOLDERS:
        shutil.copytree(SHIPPED / folder, target / folder)
    return target


def run(app: Any, *args: str) -> Any:
    """Run ``flask bank ...`` through the Flask CLI runner."""
    return app.test_cli_runner().invoke(args=["bank", *args])


def load(app: Any, directory: Path | None = None) -> Any:
    result = run(app, "load", *([str(directory)] if directory else []))
    assert result.exit_code == 0, result.output
    return result


def session_of(app: Any, write: bool = False) -> Any:
    return database.get_database(app).session(write=write)


def snapshot(app: Any) -> dict[str, Any]:
    """Every bank row as plain tuples, plus the audit row count."""
    rows: dict[str, Any] = {}
    with session_of(app) as session:
        for model in BANK_TABLES:
            columns = [c for c in model.__table__.columns]
            rows[model.__tablename__] = sorted(
                tuple(str(v) for v in row) for row in session.execute(select(*columns)))
        rows["audit"] = session.scalar(select(func.count(AuditEvent.id)))
    return rows


def question_versions(app: Any, public_id: str) -> list[QuestionVersion]:
    with session_of(app) as session:
        return list(session.scalars(
            select(QuestionVersion).join(Question).where(Question.public_id == public_id)
            .order_by(QuestionVersion.version_no)))


def question_row(app: Any, public_id: str) -> Question:
    with session_of(app) as session:
        return session.scalar(select(Question).where(Question.public_id == public_id))


def rewrite_questions(path: Path, change: Any) -> None:
    """Load a questions file, let ``change`` edit its list, write it back in the bank format."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["questions"])
    path.write_text(qb.dump_yaml(data), encoding="utf-8")


def file_with(bank_dir: Path, folder: str, text: str) -> Path:
    return next(p for p in sorted((bank_dir / folder).glob("*.yaml")) if text in p.read_text())


def new_question_form(competency: str, **overrides: Any) -> dict[str, Any]:
    data = {"public_id": "app-q-001", "competency": competency, "kind": "situational",
            "levels": ["mid", "senior"], "minutes": "15",
            "prompt": "Your model's precision dropped overnight. What do you do first?",
            "follow_ups": "Who do you tell?\nWhat would you roll back?",
            "signals": "Checks the data first\nCompares with the last good run\nCommunicates early",
            "red_flags": "Retrains blindly\nBlames the data team"}
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- check and load


def test_check_accepts_the_shipped_bank(app: Any) -> None:
    result = run(app, "check")
    assert result.exit_code == 0, result.output
    assert "no errors" in result.output


def test_check_reports_every_error_with_file_line_id_and_fails(app: Any, bank_dir: Path) -> None:
    questions = sorted((bank_dir / "questions").glob("*.yaml"))[0]
    text = questions.read_text().replace("    kind: technical\n", "    kind: oral\n", 1)
    questions.write_text(text)
    shutil.copyfile(questions, questions.with_name("zz-copy.yaml"))
    result = run(app, "check", str(bank_dir))
    assert result.exit_code != 0
    assert re.search(rf"questions/{questions.name}:\d+: [a-z0-9-]+: 'kind' must be one of",
                     result.output)
    assert re.search(r"questions/zz-copy.yaml:\d+: [a-z0-9-]+: duplicate question id",
                     result.output)
    assert "error(s)" in result.output


def test_load_twice_changes_nothing_and_says_so(empty_bank: None, app: Any,
                                               shipped: qb.Bank) -> None:
    first = load(app)
    assert "Loaded" in first.output
    after_first = snapshot(app)
    assert len(after_first["questions"]) == len(shipped.questions)
    assert len(after_first["competencies"]) == len(shipped.competencies)
    second = load(app)
    assert "No changes" in second.output
    assert snapshot(app) == after_first
    with session_of(app) as session:
        assert session.scalar(select(func.count()).select_from(Question)
                              .where(Question.source != "file")) == 0


def test_load_of_a_broken_bank_writes_nothing(empty_bank: None, app: Any,
                                             bank_dir: Path) -> None:
    roles = sorted((bank_dir / "roles").glob("*.yaml"))[0]
    roles.write_text(re.sub(r"weight: \d", "weight: 7", roles.read_text(), count=1))
    before = snapshot(app)
    result = run(app, "load", str(bank_dir))
    assert result.exit_code != 0
    assert re.search(rf"roles/{roles.name}:\d+: [a-z-]+: .*'weight' must be", result.output)
    assert "nothing was written" in result.output
    assert snapshot(app) == before
    # Also over a loaded bank: a broken change is refused whole.
    load(app)
    before = snapshot(app)
    assert run(app, "load", str(bank_dir)).exit_code != 0
    assert snapshot(app) == before


def test_load_refuses_a_question_moved_to_another_competency(app: Any, bank_dir: Path,
                                                             shipped: qb.Bank) -> None:
    question = next(q for q in shipped.questions.values() if not q.alternate_of and not any(
        o.alternate_of == q.id for o in shipped.questions.values()))
    other = next(k for k in shipped.competencies if k != question.competency)
    path = bank_dir / question.file

    def move(items: list[dict[str, Any]]) -> None:
        next(i for i in items if i["id"] == question.id)["competency"] = other

    rewrite_questions(path, move)
    before = snapshot(app)
    result = run(app, "load", str(bank_dir))
    assert result.exit_code != 0
    assert f"{question.id}: moved from competency '{question.competency}'" in result.output
    assert snapshot(app) == before


def test_changed_text_makes_a_new_version_and_a_used_version_never_changes(
        app: Any, bank_dir: Path, shipped: qb.Bank, users: dict[str, Any]) -> None:
    question = next(iter(shipped.questions.values()))
    [v1] = question_versions(app, question.id)
    with session_of(app, write=True) as session:
        make = Factory(session)
        requisition = make.requisition(session.merge(users["hiring_manager"]))
        step = make.plan_step(requisition)
        kit_id = step.kit_versions[0].id
        session.add(KitItem(kit_version_id=kit_id, question_version_id=v1.id, position=1))
        session.commit()

    def reword(items: list[dict[str, Any]]) -> None:
        next(i for i in items if i["id"] == question.id)["prompt"] = "A reworded prompt?"

    rewrite_questions(bank_dir / question.file, reword)
    result = load(app, bank_dir)
    assert f"question {question.id} (version 2)" in result.output
    old, new = question_versions(app, question.id)
    assert (old.id, old.prompt, old.content_hash) == (v1.id, v1.prompt, v1.content_hash)
    assert new.version_no == 2
    assert new.prompt == "A reworded prompt?"
    with session_of(app) as session:
        assert session.scalar(select(KitItem.question_version_id)
                              .where(KitItem.kit_version_id == kit_id)) == v1.id
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "bank.question.version")) == 1


def test_changed_anchors_make_a_new_competency_version(app: Any, bank_dir: Path) -> None:
    path = sorted((bank_dir / "competencies").glob("*.yaml"))[0]
    data = yaml.safe_load(path.read_text())
    key = data["competencies"][0]["key"]
    data["competencies"][0]["anchors"][4] = "Sets the approach for everyone."
    path.write_text(qb.dump_yaml(data))
    result = load(app, bank_dir)
    assert f"competency {key} (version 2)" in result.output
    with session_of(app) as session:
        versions = session.scalars(select(CompetencyVersion).join(Competency)
                                   .where(Competency.key == key)
                                   .order_by(CompetencyVersion.version_no)).all()
    assert [v.version_no for v in versions] == [1, 2]
    assert versions[1].anchor_4 == "Sets the approach for everyone."
    assert versions[0].anchor_4 != versions[1].anchor_4


def test_question_removed_from_files_is_retired_then_restored(app: Any, bank_dir: Path,
                                                              shipped: qb.Bank) -> None:
    question = next(q for q in shipped.questions.values()
                    if not any(o.alternate_of == q.id for o in shipped.questions.values()))
    path = bank_dir / question.file
    original = path.read_text()
    rewrite_questions(path, lambda items: items.remove(
        next(i for i in items if i["id"] == question.id)))
    result = load(app, bank_dir)
    assert f"question {question.id} (retired)" in result.output
    row = question_row(app, question.id)
    assert row is not None
    assert row.retired_at is not None
    assert len(question_versions(app, question.id)) == 1
    path.write_text(original)
    result = load(app, bank_dir)
    assert f"question {question.id} (restored)" in result.output
    assert question_row(app, question.id).retired_at is None


def test_profile_change_makes_a_new_version_and_requisitions_stay_pinned(
        app: Any, bank_dir: Path, users: dict[str, Any]) -> None:
    path = bank_dir / "roles" / "data-scientist.yaml"
    with session_of(app, write=True) as session:
        v1 = session.scalar(select(ProfileVersion).join(RoleProfile)
                            .where(RoleProfile.key == "data-scientist"))
        requisition = Factory(session).requisition(session.merge(users["hiring_manager"]),
                                                   profile_version=v1, level="mid")
        session.commit()
        requisition_id, v1_id = requisition.id, v1.id
    data = yaml.safe_load(path.read_text())
    entry = data["role"]["levels"]["mid"]["competencies"][0]
    entry["weight"] = 1 if entry["weight"] != 1 else 2
    path.write_text(qb.dump_yaml(data))
    result = load(app, bank_dir)
    assert "role profile data-scientist (version 2)" in result.output
    with session_of(app) as session:
        from hiring.models import Requisition

        assert session.get(Requisition, requisition_id).profile_version_id == v1_id
        numbers = session.scalars(select(ProfileVersion.version_no).join(RoleProfile)
                                  .where(RoleProfile.key == "data-scientist")).all()
    assert sorted(numbers) == [1, 2]


# --------------------------------------------------------------------------- export


def test_export_then_load_is_a_no_op_and_check_accepts_it(app: Any, tmp_path: Path) -> None:
    target = tmp_path / "export"
    result = run(app, "export", str(target))
    assert result.exit_code == 0, result.output
    assert run(app, "check", str(target)).exit_code == 0
    before = snapshot(app)
    result = load(app, target)
    assert "No changes" in result.output
    assert snapshot(app) == before
    # A second export refuses to mix with the first unless asked to replace it.
    assert run(app, "export", str(target)).exit_code != 0
    assert run(app, "export", str(target), "--replace").exit_code == 0


def test_admin_in_app_question_survives_load_and_exports_separately(
        app: Any, client: Any, users: dict[str, Any], shipped: qb.Bank, tmp_path: Path) -> None:
    competency = next(iter(shipped.competencies))
    login(client, "admin@example.com")
    response = client.post("/bank/questions/new", data=new_question_form(competency))
    assert response.status_code == 302, response.get_data(as_text=True)
    created = question_row(app, "app-q-001")
    assert created.source == "app"
    assert "No changes" in load(app).output
    assert question_row(app, "app-q-001").retired_at is None
    assert len(question_versions(app, "app-q-001")) == 1
    target = tmp_path / "export"
    result = run(app, "export", str(target))
    assert result.exit_code == 0, result.output
    app_files = list((target / "app-created").rglob("*.yaml"))
    assert app_files
    assert "app-q-001" in "".join(p.read_text() for p in app_files)
    assert all("app-q-001" not in p.read_text() for p in qb.bank_files(target))
    assert "No changes" in load(app, target).output
    assert question_row(app, "app-q-001").retired_at is None


def test_in_app_edit_of_a_file_question_is_kept_by_load_and_written_by_export(
        app: Any, client: Any, users: dict[str, Any], shipped: qb.Bank, tmp_path: Path) -> None:
    question = next(iter(shipped.questions.values()))
    login(client, "admin@example.com")
    page = client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert question.prompt[:40] in page
    form = {"kind": question.kind, "levels": question.levels, "minutes": str(question.minutes),
            "prompt": "An admin's clearer prompt?", "follow_ups": "\n".join(question.follow_ups),
            "signals": "\n".join(question.signals), "red_flags": "\n".join(question.red_flags),
            "alternate_of": question.alternate_of or "", "version": "1"}
    response = client.post(f"/bank/questions/{question.id}/edit", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    versions = question_versions(app, question.id)
    assert [v.version_no for v in versions] == [1, 2]
    assert versions[1].created_by_id == users["admin"].id
    result = load(app)
    assert "No changes" in result.output
    assert "kept the edit made in the app" in result.output
    target = tmp_path / "export"
    assert run(app, "export", str(target)).exit_code == 0
    assert "An admin's clearer prompt?" in "".join(p.read_text() for p in qb.bank_files(target))
    assert "No changes" in load(app, target).output
    assert len(question_versions(app, question.id)) == 2


def test_stale_question_edit_answers_409_and_keeps_the_input(
        app: Any, client: Any, users: dict[str, Any], shipped: qb.Bank) -> None:
    question = next(iter(shipped.questions.values()))
    login(client, "admin@example.com")
    form = {"kind": question.kind, "levels": question.levels, "minutes": str(question.minutes),
            "prompt": "First edit?", "follow_ups": "\n".join(question.follow_ups),
            "signals": "\n".join(question.signals), "red_flags": "\n".join(question.red_flags),
            "version": "1"}
    assert client.post(f"/bank/questions/{question.id}/edit", data=form).status_code == 302
    stale = dict(form, prompt="My stale but precious edit?")
    response = client.post(f"/bank/questions/{question.id}/edit", data=stale)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "My stale but precious edit?" in body
    assert "First edit?" in body  # what is saved meanwhile, for comparison
    # Saving again after the review is a deliberate overwrite: the form now carries version 2.
    assert re.search(r'name="version" type="hidden" value="2"', body)
    assert client.post(f"/bank/questions/{question.id}/edit",
                       data=dict(stale, version="2")).status_code == 302
    assert [v.prompt for v in question_versions(app, question.id)] == [
        question.prompt, "First edit?", "My stale but precious edit?"]


def test_invalid_question_is_refused_with_the_file_rules_and_nothing_saved(
        app: Any, client: Any, users: dict[str, Any], shipped: qb.Bank) -> None:
    competency = next(iter(shipped.competencies))
    login(client, "admin@example.com")
    data = new_question_form(competency, follow_ups="Only one?", minutes="900",
                             public_id=next(iter(shipped.questions)))
    response = client.post("/bank/questions/new", data=data)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "needs at least 2 items, has 1" in body
    assert "from 1 to 240" in body
    assert "duplicate question id" in body
    assert "Only one?" in body  # input kept


def test_retire_and_restore_in_the_app_are_audited_and_survive_load(
        app: Any, client: Any, users: dict[str, Any], shipped: qb.Bank) -> None:
    question = next(iter(shipped.questions.values()))
    login(client, "admin@example.com")
    assert client.post(f"/bank/questions/{question.id}/retire").status_code == 302
    assert question_row(app, question.id).retired_at is not None
    result = load(app)
    assert "retired in the app, so it stays retired" in result.output
    assert question_row(app, question.id).retired_at is not None
    assert client.post(f"/bank/questions/{question.id}/restore").status_code == 302
    assert question_row(app, question.id).retired_at is None
    with session_of(app) as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.subject_type == "question", AuditEvent.actor_id == users["admin"].id))
        assert {"bank.question.retire", "bank.question.restore"} <= set(actions)


def test_profile_adjustment_in_the_app_makes_a_version_kept_by_load(
        app: Any, client: Any, users: dict[str, Any], tmp_path: Path) -> None:
    login(client, "admin@example.com")
    page = client.get("/bank/roles/data-scientist/mid/edit")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    count = len(re.findall(r'name="weight_\d+"', body))
    data: dict[str, Any] = {"version": "1", "reason": "Experimentation matters more here."}
    for i in range(count):
        data[f"weight_{i}"] = re.search(rf'<select[^>]*name="weight_{i}"[^>]*>.*?'
                                        rf'<option selected value="(\d)"', body, re.S).group(1)
        data[f"bar_{i}"] = re.search(rf'<select[^>]*name="bar_{i}"[^>]*>.*?'
                                     rf'<option selected value="(\d)"', body, re.S).group(1)
        if re.search(rf'name="must_{i}"[^>]*checked|checked[^>]*name="must_{i}"', body):
            data[f"must_{i}"] = "y"
    data["bar_0"] = "4" if data["bar_0"] != "4" else "3"
    response = client.post("/bank/roles/data-scientist/mid/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with session_of(app) as session:
        latest = session.scalar(select(ProfileVersion).join(RoleProfile)
                                .where(RoleProfile.key == "data-scientist")
                                .order_by(ProfileVersion.version_no.desc()))
        assert latest.version_no == 2
        assert latest.created_by_id == users["admin"].id
        assert latest.provenance["change_reason"] == "Experimentation matters more here."
    result = load(app)
    assert "No changes" in result.output
    assert "kept the adjustment" in result.output
    # Stale form: 409 with the typed values kept.
    stale = client.post("/bank/roles/data-scientist/mid/edit", data=dict(data, bar_0="1"))
    assert stale.status_code == 409
    assert re.search(r'name="bar_0"[^>]*>\s*(<option value="\d">[^<]*</option>\s*)*'
                     r'<option selected value="1">', stale.get_data(as_text=True))
    target = tmp_path / "export"
    assert run(app, "export", str(target)).exit_code == 0
    assert "No changes" in load(app, target).output


def test_profile_adjustment_with_six_must_haves_is_refused(
        app: Any, client: Any, users: dict[str, Any]) -> None:
    login(client, "admin@example.com")
    body = client.get("/bank/roles/data-scientist/mid/edit").get_data(as_text=True)
    count = len(re.findall(r'name="weight_\d+"', body))
    data: dict[str, Any] = {"version": "1", "reason": "Testing the hurdle limit."}
    for i in range(count):
        data.update({f"weight_{i}": "2", f"bar_{i}": "3", f"must_{i}": "y"})
    response = client.post("/bank/roles/data-scientist/mid/edit", data=data)
    assert response.status_code == 400
    assert f"{count} must-haves; at most 5" in response.get_data(as_text=True)
    with session_of(app) as session:
        assert session.scalar(select(func.max(ProfileVersion.version_no)).join(RoleProfile)
                              .where(RoleProfile.key == "data-scientist")) == 1


@pytest.mark.parametrize("role", NON_ADMINS)
def test_non_admins_cannot_edit_the_bank(app: Any, client: Any, users: dict[str, Any],
                                         shipped: qb.Bank, role: str) -> None:
    question = next(iter(shipped.questions))
    competency = next(iter(shipped.competencies))
    login(client, f"{role}@example.com")
    assert client.get("/bank/").status_code == 200
    assert client.get(f"/bank/questions/{question}").status_code == 200
    assert "Edit</a>" not in client.get(f"/bank/questions/{question}").get_data(as_text=True)
    assert client.get("/bank/questions/new").status_code == 403
    assert client.post("/bank/questions/new",
                       data=new_question_form(competency)).status_code == 403
    assert client.post(f"/bank/questions/{question}/retire").status_code == 403
    assert client.post(f"/bank/questions/{question}/edit", data={}).status_code == 403
    assert client.post("/bank/roles/data-scientist/mid/edit", data={}).status_code == 403
    assert question_row(app, "app-q-001") is None
    assert question_row(app, question).retired_at is None


# --------------------------------------------------------------------------- pages


def ids_on(page: str) -> list[str]:
    return re.findall(r'href="/bank/questions/([a-z0-9-]+)"', page)


def test_pages_filter_by_role_level_competency_category_kind_and_domain(
        app: Any, client: Any, users: dict[str, Any], shipped: qb.Bank) -> None:
    login(client, "interviewer@example.com")
    questions = shipped.questions

    def listed(**params: str) -> list[str]:
        page = client.get("/bank/", query_string={**params, "page": "1"})
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        found = ids_on(body)
        total = int(re.search(r"(\d+) questions?", body).group(1)) if found else 0
        return found if total <= 25 else found + ["…"] * (total - len(found))

    work_samples = [q.id for q in questions.values() if q.kind == "work-sample"]
    found = listed(kind="work-sample")
    assert len(found) == len(work_samples)
    assert set(found) - {"…"} <= set(work_samples)
    competency = next(iter(shipped.competencies))
    assert sorted(listed(competency=competency)) == sorted(
        q.id for q in questions.values() if q.competency == competency)
    domain = next(iter(shipped.domains.values()))
    assert sorted(listed(domain=domain.key)) == sorted(
        q.id for q in questions.values() if q.competency in domain.competencies)
    soft = [q.id for q in questions.values()
            if shipped.competencies[q.competency].category == "soft" and "junior" in q.levels]
    assert len(listed(category="soft", level="junior")) == len(soft)
    profile = shipped.profiles["data-scientist"]
    senior = {e.key for e in profile.levels["senior"].entries}
    expected = [q.id for q in questions.values() if q.competency in senior
                and "senior" in q.levels]
    assert len(listed(role="data-scientist", level="senior")) == len(expected)


def test_full_text_search_looks_in_prompt_follow_ups_and_signals(
        app: Any, client: Any, users: dict[str, Any], shipped: qb.Bank) -> None:
    login(client, "recruiter@example.com")
    question = next(iter(shipped.questions.values()))
    for text in (question.prompt, question.follow_ups[-1], question.signals[-1]):
        words = [w for w in re.findall(r"[A-Za-z]{6,}", text)][:2]
        body = client.get("/bank/", query_string={"q": " ".join(words)}).get_data(as_text=True)
        assert question.id in ids_on(body), words
    body = client.get("/bank/", query_string={"q": "zzqxnotaword"}).get_data(as_text=True)
    assert ids_on(body) == []
    assert "No questions match" in body
    # LIKE wildcards typed by the user are matched literally.
    response = client.get("/bank/", query_string={"q": "%_%"})
    assert response.status_code == 200
    assert "No questions match" in response.get_data(as_text=True)


def test_browse_is_paginated(app: Any, client: Any, users: dict[str, Any],
                             shipped: qb.Bank) -> None:
    login(client, "auditor@example.com")
    first = ids_on(client.get("/bank/").get_data(as_text=True))
    second = ids_on(client.get("/bank/?page=2").get_data(as_text=True))
    assert len(first) == 25
    assert second
    assert not set(first) & set(second)


def test_question_page_shows_all_fields_and_versions(app: Any, client: Any,
                                                     users: dict[str, Any],
                                                     shipped: qb.Bank) -> None:
    question = next(q for q in shipped.questions.values() if q.alternate_of)
    login(client, "interviewer@example.com")
    body = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    from markupsafe import escape

    for text in (question.prompt, *question.follow_ups, *question.signals, *question.red_flags):
        assert str(escape(text)) in body
    assert question.alternate_of in body
    assert "Versions" in body
    assert "v1" in body


def test_competency_role_compare_and_domain_pages(app: Any, client: Any,
                                                  users: dict[str, Any],
                                                  shipped: qb.Bank) -> None:
    login(client, "hiring_manager@example.com")
    competency = next(iter(shipped.competencies.values()))
    body = client.get(f"/bank/competencies/{competency.key}").get_data(as_text=True)
    from markupsafe import escape

    for anchor in competency.anchors:
        assert str(escape(anchor)) in body
    body = client.get("/bank/roles/data-scientist").get_data(as_text=True)
    assert body.count("<svg") == 3
    assert "style=" not in body
    assert 'class="bar w3' in body
    assert "Provenance" in body
    assert shipped.profiles["data-scientist"].provenance["defined_by"] in body
    response = client.get("/bank/compare", query_string={
        "left": "data-scientist", "left_level": "junior", "right": "ml-engineer",
        "right_level": "senior"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "not in this profile" in body
    assert body.count("<svg") == 2
    assert client.get("/bank/compare?left=nope").status_code == 404
    domain = next(iter(shipped.domains.values()))
    assert domain.name in client.get(f"/bank/domains/{domain.key}").get_data(as_text=True)
    for url in ("/bank/competencies", "/bank/roles", "/bank/domains"):
        assert client.get(url).status_code == 200
    assert client.get("/bank/questions/no-such-question").status_code == 404


def test_empty_bank_says_how_to_load_it(empty_bank: None, client: Any,
                                        users: dict[str, Any]) -> None:
    login(client, "admin@example.com")
    body = client.get("/bank/").get_data(as_text=True)
    assert "flask --app hiring bank load" in body


def test_summary_prints_markdown_tables(app: Any, shipped: qb.Bank) -> None:
    result = run(app, "summary")
    assert result.exit_code == 0, result.output
    assert "| data-scientist |" in result.output
    assert "|---|" in result.output
    result = run(app, "summary", "--database")
    assert result.exit_code == 0
    assert f"{len(shipped.questions)} questions" in result.output


@pytest.mark.db
def test_load_export_and_search_on_both_databases(db_app: Any, tmp_path: Path,
                                                  shipped: qb.Bank) -> None:
    assert "Loaded" in load(db_app).output
    before = snapshot(db_app)
    assert "No changes" in load(db_app).output
    assert snapshot(db_app) == before
    target = tmp_path / "export"
    assert run(db_app, "export", str(target)).exit_code == 0
    before = snapshot(db_app)  # the export itself is audited
    assert "No changes" in load(db_app, target).output
    assert snapshot(db_app) == before
    from hiring.operations.bank import QuestionFilters, search_questions

    question = next(iter(shipped.questions.values()))
    word = re.findall(r"[A-Za-z]{7,}", question.signals[0])[0]
    with session_of(db_app) as session:
        page = search_questions(session, QuestionFilters(q=word.upper(), level=question.levels[0]),
                                per_page=500)
    assert question.id in [row.public_id for row in page.rows]
