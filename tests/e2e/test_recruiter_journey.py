"""Recruiter: a requisition opened from a role profile, its plan fixed, candidates imported,
an interview loop scheduled (issue 14, journey 1)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import assert_errors_announced, audit, status_expected

pytestmark = pytest.mark.browser

TITLE = "Data engineer, streaming platform"

BAD_CSV = (
    b"name,email,phone,location,source,notes\n"
    b"Alva Lindgren,alva.lindgren@example.com,+46 8 5550 1234,Stockholm,referral,\n"
    b"Bruno Sato,,,Lisbon,meetup,no address given\n"
    b"Chidi Obi,not-an-address,,Remote,job board,\n"
)

GOOD_CSV = (
    b"name,email,phone,location,source,notes\n"
    b"Alva Lindgren,alva.lindgren@example.com,+46 8 5550 1234,Stockholm,referral,\n"
    b"Bruno Sato,bruno.sato@example.com,,Lisbon,meetup,\n"
    b"Chidi Obi,chidi.obi@example.com,,Remote,job board,Prefers afternoon interviews\n"
)

COVERAGE_JS = """() => [...document.querySelectorAll('table.coverage tbody tr')].map(r => ({
  name: r.querySelector('th').childNodes[0].textContent.trim(),
  must: !!r.querySelector('th .badge-warn'),
  where: r.cells[2].textContent.includes('uncovered') ? [] :
         (r.cells[2].textContent.split('(')[0].match(/\\d+/g) || []).map(Number),
}))"""


def _coverage(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(COVERAGE_JS)


def _problems(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if not r["where"] or (r["must"] and len(r["where"]) < 2)]


def _open_requisition_from_profile(page: Page) -> None:
    page.get_by_role("link", name="Question bank").click()
    page.get_by_role("link", name="Role profiles").first.click()
    page.get_by_role("link", name="Data engineer", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Data engineer")
    audit(page, "bank-role-profile")
    page.get_by_role("link", name="Open a requisition for Data engineer, mid").click()
    expect(page.get_by_label("Role profile")).to_have_value("data-engineer")
    expect(page.get_by_label("Level")).to_have_value("mid")
    audit(page, "requisition-new")

    # Sent without a title: the error is announced at the top and linked to the field.
    page.get_by_role("button", name="Create requisition").click()
    expect(page.get_by_role("alert")).to_contain_text("Title")
    assert_errors_announced(page)
    expect(page.get_by_label("Level")).to_have_value("mid")  # nothing typed is thrown away
    audit(page, "requisition-new-errors")

    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Location").fill("Rotterdam")
    page.get_by_role("button", name="Create requisition").click()
    expect(page.locator("h1")).to_have_text("Interview plan")
    expect(page.locator(".flash")).to_contain_text("proposed interview plan")


def _fix_the_plan(page: Page) -> None:
    coverage = page.locator("#coverage").locator("..")
    expect(coverage).to_contain_text("Every competency is the focus of an interview")
    audit(page, "plan-editor", docs=True)

    # Remove an interview that alone covers a competency: the coverage check says so.
    rows = _coverage(page)
    sole = next(r for r in rows if len(r["where"]) == 1)
    position = sole["where"][0]
    step = page.locator("section.step").nth(position - 1)
    step_name = step.locator("h2").inner_text().split(". ", 1)[1].split(" ·")[0]
    step.get_by_role("button", name=f"Remove {step_name}").click()
    expect(page.locator(".flash")).to_contain_text("Interview removed from the plan")
    expect(coverage).to_contain_text("Not yet complete")
    row = page.locator("table.coverage tbody tr", has_text=sole["name"])
    expect(row).to_contain_text("uncovered")  # said in words, not only in red
    audit(page, "plan-uncovered")

    # Give every uncovered competency (and must-have short of two) to another interview.
    for _ in range(12):
        problems = _problems(_coverage(page))
        if not problems:
            break
        problem = problems[0]
        sections = page.locator("section.step")
        target = next(i for i in range(sections.count()) if i + 1 not in problem["where"])
        section = sections.nth(target)
        section.get_by_label(problem["name"], exact=True).check()
        name = section.locator("h2").inner_text().split(". ", 1)[1].split(" ·")[0]
        section.get_by_role("button", name=f"Save {name}").click()
        expect(page.locator(".flash")).to_contain_text("coverage updated")
    expect(coverage).to_contain_text("Every competency is the focus of an interview")
    assert not _problems(_coverage(page))

    page.get_by_role("button", name="Open the requisition").click()
    expect(page.locator(".flash")).to_contain_text("Requisition is now open")
    expect(page.locator("h1")).to_have_text(TITLE)
    audit(page, "requisition-empty")


def _import_candidates(page: Page) -> None:
    page.get_by_role("link", name="Import candidates from CSV").click()
    expect(page.locator("h1")).to_have_text("Import candidates")
    audit(page, "import")

    upload = page.get_by_label("CSV file", exact=True)
    upload.set_input_files({"name": "candidates.csv", "mimeType": "text/csv",
                            "buffer": BAD_CSV})
    with status_expected(page, 400):
        page.get_by_role("button", name="Check and preview").click()
    problems = page.locator("section.import-errors")
    expect(problems.locator("h2")).to_contain_text("Nothing was imported: 2 problems")
    rows = problems.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("2")
    expect(rows.nth(0)).to_contain_text("email")
    expect(rows.nth(1)).to_contain_text("3")
    expect(rows.nth(1)).to_contain_text("email")
    expect(page.get_by_role("button", name="Import 3 candidates")).to_have_count(0)
    audit(page, "import-errors")

    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_text("No candidates yet")).to_be_visible()  # nothing was imported

    page.get_by_role("link", name="Import candidates from CSV").click()
    page.get_by_label("CSV file", exact=True).set_input_files({"name": "candidates-fixed.csv",
                                               "mimeType": "text/csv", "buffer": GOOD_CSV})
    page.get_by_role("button", name="Check and preview").click()
    expect(page.locator("#preview")).to_contain_text("Preview: 3 rows from candidates-fixed.csv")
    audit(page, "import-preview")
    page.get_by_role("button", name="Import 3 candidates").click()
    expect(page.locator(".flash")).to_contain_text("Imported 3 candidates")
    expect(page.locator("h1")).to_contain_text("Stage board")
    for name in ("Alva Lindgren", "Bruno Sato", "Chidi Obi"):
        expect(page.locator(".board-applied")).to_contain_text(name)
    audit(page, "stage-board")

    page.get_by_role("button", name="Move to Screen (Alva Lindgren)").click()
    expect(page.locator(".board-screen")).to_contain_text("Alva Lindgren")
    page.get_by_role("button", name="Move to Interviewing (Alva Lindgren)").click()
    expect(page.locator(".board-interviewing")).to_contain_text("Alva Lindgren")


def _schedule_loop(page: Page) -> None:
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("link", name="Schedule an interview for Alva Lindgren").click()
    expect(page.locator("h1")).to_have_text("Schedule an interview")
    steps = page.get_by_label("Interview", exact=True).locator("option").all_inner_texts()
    assert len(steps) >= 2, steps

    first = date.today() + timedelta(days=3)
    # Forgetting the panel: the error is announced and linked; what was typed stays.
    page.get_by_label("Date").fill(first.isoformat())
    page.get_by_label("Start time").fill("10:00")
    with status_expected(page, 400):
        page.get_by_role("button", name="Schedule").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one interviewer")
    assert_errors_announced(page)
    expect(page.get_by_label("Date")).to_have_value(first.isoformat())
    audit(page, "schedule-errors")

    for index, label in enumerate(steps):
        if index:
            page.get_by_role("link", name=TITLE).click()
            page.get_by_role("link", name="Schedule an interview for Alva Lindgren").click()
        page.get_by_label("Interview", exact=True).select_option(label=label)
        page.get_by_label("Date").fill((first + timedelta(days=index)).isoformat())
        page.get_by_label("Start time").fill("10:00")
        page.get_by_label("Minutes").fill(label.rsplit("(", 1)[1].split()[0])
        page.get_by_label("Ingrid Interviewer").check()
        page.get_by_label("Ivan Interviewer").check()
        page.get_by_role("button", name="Schedule").click()
        expect(page.locator(".flash")).to_contain_text("Interview scheduled")
        expect(page.locator("h1")).to_contain_text("Alva Lindgren")
        if not index:
            audit(page, "interview-scheduled")

    page.get_by_role("link", name=TITLE).click()
    loop = page.locator("#interviews").locator("..").locator("tbody tr", has_text="Alva Lindgren")
    expect(loop).to_have_count(len(steps))
    audit(page, "requisition-detail", docs=True)


def test_recruiter_opens_requisition_fixes_plan_imports_and_schedules_a_loop(page_as: Any
                                                                             ) -> None:
    page = page_as("recruiter", audit_login=True)
    audit(page, "dashboard-recruiter", docs=True)
    _open_requisition_from_profile(page)
    _fix_the_plan(page)
    _import_candidates(page)
    _schedule_loop(page)
