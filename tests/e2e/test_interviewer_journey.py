"""Interviewer: My interviews, the kit, the scorecard filled with the keyboard only, autosave,
the draft after a reload, submit, then colleagues' scorecards (issue 14, journey 2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import (
    assert_errors_announced,
    audit,
    choose_radio,
    download_pdf,
    focused,
    status_expected,
    tab_to,
)

pytestmark = pytest.mark.browser

CHIP = re.compile(r"^[1-4] (not yet|foundational|proficient|advanced)$")


def _fields(page: Page) -> tuple[list[str], list[str]]:
    notes = page.evaluate("[...document.querySelectorAll('textarea[id^=qnote_]')].map(e => e.id)")
    competencies = page.evaluate(
        "[...document.querySelectorAll('.competency-block')].map(b => b.dataset.competency)")
    return notes, competencies


def _autosaved(page: Page) -> None:
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at", timeout=20_000)


def _read_the_kit(page: Page, data: dict[str, Any]) -> None:
    page.get_by_role("link", name="My interviews").first.click()
    expect(page.locator("h1")).to_have_text("My interviews")
    audit(page, "my-interviews")
    row = page.locator("#past").locator("..").locator("tr", has_text=data["candidate"])
    row.locator("td").nth(1).get_by_role("link").first.click()
    expect(page.locator("h1")).to_contain_text(data["candidate"])
    # Anchors carry their number and word; colour only repeats them.
    chips = page.locator(".kit-competency .chip").all_inner_texts()
    assert chips, "no anchor chips in the kit"
    assert all(CHIP.match(c.strip()) for c in chips), chips
    expect(page.locator(".kit-competency")).to_have_count(data["focus"])
    audit(page, "interview-kit", docs=".kit-competency")

    # The printed packet: the same kit, and the code that leads back to this scorecard.
    code = page.locator("dt:text-is('Your code') + dd code").inner_text()
    text = download_pdf(page, page.get_by_role("link", name="Packet (PDF)"),
                        "interview-packet")
    assert code in text, f"the packet does not carry the short code {code}"
    assert data["candidate"].split()[0] in text, "the packet does not name the candidate"

    # Before submitting, colleagues' ratings stay hidden.
    page.get_by_role("link", name="Debrief").click()
    expect(page.locator("h2#wait-heading")).to_have_text("Submit your scorecard first")
    expect(page.locator("table.matrix")).to_have_count(0)
    audit(page, "debrief-before-submit")
    page.get_by_role("link", name=re.compile("^Fill your scorecard")).first.click()


def _fill_with_the_keyboard(page: Page, data: dict[str, Any]) -> list[str]:
    expect(page.locator("h1")).to_have_text(f"Scorecard · {data['candidate']}")
    status = page.locator("#autosave-status")
    expect(status).to_have_text("Not saved yet")
    notes, competencies = _fields(page)
    assert competencies
    assert len(competencies) == data["focus"]

    # From the top of the page: the skip link is the first stop, and its focus shows.
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["text"] == "Skip to content", skip
    assert skip["ring"], "the skip link's focus is not visible"

    typed = []
    for index, note in enumerate(notes):
        tab_to(page, f"#{note}")
        text = f"Question {index + 1}: walked through a concrete incident, with numbers."
        page.keyboard.type(text)
        typed.append(text)
    first = competencies[0]
    tab_to(page, f"#evidence_{first}")
    page.keyboard.type("Designed the feature store backfill; explained the trade-offs unaided.")
    choose_radio(page, f"rating_{first}", "3")
    _autosaved(page)

    # Submitting too early: the problems are announced and linked; nothing typed is lost.
    tab_to(page, "button[name=action][value=submit]")
    with status_expected(page, 400):
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Please correct the following")
    assert_errors_announced(page)
    expect(page.locator(f"#evidence_{first}")).to_have_value(re.compile("feature store"))
    audit(page, "scorecard-errors")

    # Come back to it later from My interviews: the autosaved draft is there.
    page.get_by_role("link", name="My interviews").first.click()
    page.get_by_role("link", name=f"Fill the scorecard for {data['candidate']}").click()
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    expect(page.locator(f"#evidence_{first}")).to_have_value(re.compile("feature store"))
    expect(page.locator(f"input[name=rating_{first}][value='3']")).to_be_checked()

    for number, cid in enumerate(competencies[1:], start=1):
        tab_to(page, f"#evidence_{cid}")
        if number == len(competencies) - 1 and len(competencies) > 2:
            choose_radio(page, f"rating_{cid}", "na")
            tab_to(page, f"#reason_{cid}")
            page.keyboard.press("ArrowDown")  # the first reason in the list
            assert page.locator(f"#reason_{cid}").input_value(), "no reason chosen"
            continue
        page.keyboard.type(f"Competency {number + 1}: clear evidence from their last project.")
        choose_radio(page, f"rating_{cid}", str(2 + number % 3))
    tab_to(page, "#takeaways")
    page.keyboard.type("Strong on pipelines; probe cost trade-offs in the next round.")
    expect(page.locator("#recommendation-lock")).to_be_hidden()
    # Wait for the autosave that carries the recommendation (typing saved earlier drafts).
    with page.expect_response(lambda r: "autosave" in r.url and r.status == 200 and re.search(
            r'name="recommendation"\s+yes', r.request.post_data or "") is not None):
        choose_radio(page, "recommendation", "yes")
    _autosaved(page)
    audit(page, "scorecard", docs="section[aria-labelledby=c-title]")
    return typed


def test_interviewer_fills_scorecard_with_keyboard_autosaves_submits_and_sees_colleagues(
        page_as: Any, journey_data: dict[str, Any]) -> None:
    data = journey_data["keyboard"]
    page = page_as("interviewer")
    audit(page, "dashboard-interviewer")
    _read_the_kit(page, data)
    typed = _fill_with_the_keyboard(page, data)

    # The draft survives a reload.
    page.reload()
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    notes, competencies = _fields(page)
    for note, text in zip(notes, typed, strict=True):
        expect(page.locator(f"#{note}")).to_have_value(text)
    expect(page.locator(f"input[name=rating_{competencies[0]}][value='3']")).to_be_checked()
    expect(page.locator("input[name=recommendation][value=yes]")).to_be_checked()
    expect(page.locator("#takeaways")).to_have_value(re.compile("Strong on pipelines"))

    # Submit with the keyboard.
    page.keyboard.press("Tab")
    tab_to(page, "button[name=action][value=submit]")
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Scorecard submitted")

    # Now the colleague's ratings appear (visibility: after submitting your own).
    page.get_by_role("link", name="Debrief").click()
    matrix = page.locator("table.matrix")
    expect(matrix).to_be_visible()
    expect(matrix.locator("thead")).to_contain_text(data["colleague"])
    expect(matrix.locator("thead")).to_contain_text("Ingrid Interviewer")
    cells = matrix.locator("td .chip").all_inner_texts()
    assert cells, "no rating chips in the matrix"
    assert all(CHIP.match(c.strip()) for c in cells), cells
    audit(page, "debrief-after-submit")
    matrix.get_by_role("link", name=data["colleague"]).click()
    expect(page.locator("h1")).to_have_text(f"{data['colleague']} on {data['candidate']}")
    audit(page, "scorecard-colleague")

    page.get_by_role("link", name="My interviews").first.click()
    row = page.locator("tr", has_text=data["candidate"])
    expect(row).to_contain_text("Submitted")
