"""Hiring manager: the debrief with its disagreement and gaps, the ranking and the score
explanation, a decision with its rationale (issue 14, journey 4)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import assert_errors_announced, audit, download_pdf, status_expected

pytestmark = pytest.mark.browser

CHIP = re.compile(r"^[1-4] (not yet|foundational|proficient|advanced)$")


def test_hiring_manager_reads_debrief_and_explanation_and_records_a_decision(
        page_as: Any, journey_data: dict[str, Any]) -> None:
    data = journey_data["debrief"]
    page = page_as("hiring_manager")
    audit(page, "dashboard-manager", docs=True)

    page.locator("#debriefs").locator("..").get_by_role("link", name=data["candidate"]).click()
    expect(page.locator("h1")).to_have_text(f"Debrief: {data['candidate']}")
    matrix = page.locator("table.matrix")
    chips = matrix.locator("td .chip").all_inner_texts()
    assert chips, "no rating chips in the matrix"
    assert all(CHIP.match(c.strip()) for c in chips), chips  # numbers, not colour only
    disagreement = page.locator("#disagreements")
    expect(disagreement).to_contain_text(data["disagreement"])
    expect(disagreement).to_contain_text("3 points apart")
    gaps = page.locator("#gaps tbody tr")
    assert gaps.count() >= 1, "the debrief lists no gap"
    audit(page, "debrief", docs="#matrix")

    # The ranking and the explanation of a score.
    page.get_by_role("link", name=data["requisition"]).first.click()
    page.get_by_role("link", name="Ranking").click()
    expect(page.locator("h1")).to_contain_text("Ranking")
    table = page.locator("table.ranking-table")
    expect(table.locator("tbody tr", has_text=data["candidate"])).to_contain_text(
        "Insufficient coverage")  # a state in words, never a zero
    audit(page, "ranking", docs=True)
    table.get_by_role("link", name=data["candidate"]).click()
    expect(page.locator("h1")).to_contain_text(data["candidate"])
    audit(page, "explanation-insufficient")
    page.go_back()
    first_scored = table.locator("tbody tr").first.get_by_role("link").first
    name = first_scored.inner_text()
    first_scored.click()
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator("svg.hchart")).to_be_visible()
    audit(page, "explanation", docs=True)

    # The decision: a rationale is required, the error is announced, then it is recorded.
    page.goto(f"/applications/{data['application_id']}/debrief")
    form = page.locator("form.decision-form")
    form.get_by_label("Make an offer").check()
    with status_expected(page, 400):
        form.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_contain_text("rationale")
    assert_errors_announced(page)
    expect(page.locator("form.decision-form").get_by_label("Make an offer")).to_be_checked()
    audit(page, "debrief-decision-errors")
    rationale = ("Strong evidence on the must-haves from the work sample; the disagreement on "
                 f"{data['disagreement'].lower()} was settled by the evidence notes.")
    page.locator("form.decision-form").get_by_label("Rationale").fill(rationale)
    page.locator("form.decision-form").get_by_role("button", name="Record decision").click()
    expect(page.locator(".flash")).to_contain_text("Decision recorded: make an offer")
    decisions = page.locator("#decisions")
    expect(decisions).to_contain_text(rationale)
    expect(page.locator(".page-actions .badge")).to_contain_text("Offer")
    audit(page, "debrief-decided")

    # The debrief packet: ratings first, decisions last, on paper too.
    text = download_pdf(page, page.get_by_role("link", name="Debrief packet (PDF)"),
                        "debrief-packet")
    assert data["candidate"] in text, "the debrief packet does not name the candidate"
    assert data["disagreement"].split()[0] in text, "the packet does not list the ratings"
