"""Pages the journeys do not pass through, with the same checks (issue 14, items 6 and 7):
axe, console errors, 320 px, print, and a screenshot each for the look-and-feel review."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import audit

pytestmark = pytest.mark.browser


def _follow(page: Page, container: str, name: str) -> None:
    """Open the first link inside ``container`` and check the page it leads to."""
    page.locator(container).get_by_role("link").first.click()
    expect(page.locator("h1")).to_be_visible()
    audit(page, name)


def test_recruiter_pages_pass_the_checks(page_as: Any) -> None:
    page = page_as("recruiter")
    page.goto("/requisitions")
    audit(page, "requisitions")
    _follow(page, "main table tbody", "requisition")
    page.get_by_role("link", name="Interview plan").click()
    page.locator("section.step").first.get_by_role("link", name="Kit").click()
    expect(page.locator("h1")).to_contain_text("Kit")
    audit(page, "kit-editor")
    page.goto("/candidates")
    audit(page, "candidates")
    _follow(page, "main table tbody", "candidate")

    page.goto("/bank/")
    audit(page, "bank", docs=True)
    _follow(page, "main table tbody", "bank-question")
    page.goto("/bank/competencies")
    audit(page, "bank-competencies")
    _follow(page, "main table tbody", "bank-competency")
    page.goto("/bank/compare?left=data-scientist&left_level=mid"
              "&right=ml-engineer&right_level=mid")
    expect(page.locator("h1")).to_contain_text("Compare")
    audit(page, "bank-compare", docs=True)
    page.goto("/bank/domains")
    audit(page, "bank-domains")

    page.goto("/models")
    audit(page, "models")
    _follow(page, "main table tbody", "model-card")
    page.goto("/outbox")
    audit(page, "outbox")
    page.goto("/account/password")
    audit(page, "change-password")


def test_admin_pages_pass_the_checks(page_as: Any) -> None:
    page = page_as("admin")
    audit(page, "dashboard-admin")
    page.goto("/admin/users")
    audit(page, "admin-users")
    page.goto("/admin/users/new")
    audit(page, "admin-invite")
    page.goto("/privacy")
    audit(page, "privacy")
