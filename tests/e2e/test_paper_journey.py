"""Interviewer with paper: the short code printed on the packet opens that scorecard (issue 14,
journey 3)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.support import audit, status_expected

pytestmark = pytest.mark.browser


def test_printed_short_code_opens_the_right_scorecard(page_as: Any,
                                                      journey_data: dict[str, Any]) -> None:
    data = journey_data["paper"]
    page = page_as("interviewer")
    page.get_by_role("link", name="My interviews").first.click()
    page.get_by_role("link", name="Enter a packet code").click()
    expect(page.locator("h1")).to_have_text("Enter a packet code")
    audit(page, "code-entry")

    # A mistyped code: announced, and what was typed stays in the field.
    page.get_by_label("Packet code").fill("ZZZZ-9999")
    with status_expected(page, 404):
        page.get_by_role("button", name="Open scorecard").click()
    expect(page.get_by_role("alert")).to_contain_text("No scorecard of yours has that code")
    expect(page.get_by_label("Packet code")).to_have_value("ZZZZ-9999")
    audit(page, "code-not-found")

    # Typed as people copy from paper: lower case, no dash.
    page.get_by_label("Packet code").fill(data["code"].replace("-", "").lower())
    page.get_by_role("button", name="Open scorecard").click()
    expect(page).to_have_url(re.compile(rf"/interviews/{data['interview_id']}/scorecard$"))
    expect(page.locator("h1")).to_have_text(f"Scorecard · {data['candidate']}")

    # The QR code on the packet leads to the same scorecard.
    page.goto(f"/s/{data['code']}")
    expect(page.locator("h1")).to_have_text(f"Scorecard · {data['candidate']}")


def test_someone_elses_code_gets_the_same_answer_as_a_wrong_one(page_as: Any,
                                                                journey_data: dict[str, Any]
                                                                ) -> None:
    page = page_as("interviewer2")
    page.goto("/code")
    page.get_by_label("Packet code").fill(journey_data["paper"]["code"])
    with status_expected(page, 404):
        page.get_by_role("button", name="Open scorecard").click()
    expect(page.get_by_role("alert")).to_contain_text("No scorecard of yours has that code")
    expect(page.locator("main")).not_to_contain_text(journey_data["paper"]["candidate"])
