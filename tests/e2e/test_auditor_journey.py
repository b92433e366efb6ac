"""Auditor: the reliability and adverse-impact reports; an interviewer trying the same URLs is
refused (issue 14, journey 5)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import audit, expect_refused

pytestmark = pytest.mark.browser


def test_auditor_reads_reports_and_an_interviewer_is_refused(page_as: Any,
                                                             journey_data: dict[str, Any]
                                                             ) -> None:
    page = page_as("auditor")
    audit(page, "dashboard-auditor")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.locator("h1")).to_have_text("Reports")
    audit(page, "reports")

    # The demo's closed spring round has enough candidates for the figures themselves.
    spring = "Data scientist, demand forecasting (spring round)"
    page.get_by_role("link", name=f"Rater agreement for {spring}").click()
    expect(page.locator("h1")).to_contain_text("agreement")
    expect(page.locator("main")).to_contain_text("34 candidates with pairable ratings")
    expect(page.locator("main table tbody tr").first).to_be_visible()
    reliability = page.url
    audit(page, "report-reliability", docs=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name=f"Interviewer calibration for {spring}").click()
    expect(page.locator("h1")).to_contain_text("calibration", ignore_case=True)
    expect(page.locator("main")).to_contain_text("Ivan Interviewer")
    audit(page, "report-calibration", docs=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Open the adverse-impact report").click()
    expect(page.locator("h1")).to_contain_text("impact", ignore_case=True)
    audit(page, "report-impact-form")
    page.get_by_label("or a whole role").select_option(label="Data scientist")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("main")).to_contain_text("Selection impact per step")
    impact = page.url
    audit(page, "report-impact", docs=True)

    interviewer = page_as("interviewer")
    nav = interviewer.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Reports")).to_have_count(0)
    for url in (reliability, impact, "/reports"):
        expect_refused(interviewer, url)
    audit(interviewer, "refused")
