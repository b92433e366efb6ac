"""Long lists come a page at a time (issue 14, item 7): requisitions, a requisition's
applications and interviews, and an interviewer's past interviews."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from hiring import db as database
from tests.conftest import Factory, login

ROWS = 51  # one more than a page


def _rows(html: str, caption: str) -> int:
    """Body rows of the table whose caption is ``caption``."""
    match = re.search(rf'{re.escape(caption)}</caption>.*?<tbody>(.*?)</tbody>', html, re.S)
    assert match, f"no table captioned {caption!r}"
    return match.group(1).count("<tr")


def test_requisition_list_is_paged_and_keeps_the_status_filter(app: Any, client: Any,
                                                               users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        version = make.profile_version([make.competency()])
        for n in range(ROWS):
            make.requisition(users["hiring_manager"], version, title=f"Opening {n:02d}",
                             status="open")
    login(client, "recruiter@example.com")
    first = client.get("/requisitions?status=open").get_data(as_text=True)
    assert _rows(first, "Requisitions") == 50
    assert "Page 1 of 2" in first
    assert 'href="/requisitions?status=open&amp;page=2"' in first
    second = client.get("/requisitions?status=open&page=2").get_data(as_text=True)
    assert _rows(second, "Requisitions") == 1
    assert client.get("/requisitions?page=99").status_code == 200  # clamped to the last page


def test_requisition_page_pages_applications_and_interviews_separately(
        app: Any, client: Any, users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        competency = make.competency()
        requisition = make.requisition(users["hiring_manager"],
                                       make.profile_version([competency]), title="Big loop")
        step = make.plan_step(requisition, focus=[competency])
        start = datetime.now(UTC) + timedelta(days=1)
        for n in range(ROWS):
            application = make.application(make.candidate(name=f"Person {n:02d}"), requisition)
            make.interview(application, step, [users["interviewer"]],
                           starts_at=start + timedelta(hours=n))
        rid = requisition.id
    login(client, "recruiter@example.com")
    page = client.get(f"/requisitions/{rid}").get_data(as_text=True)
    assert _rows(page, "Applications") == 50
    assert _rows(page, "Interviews") == 50
    assert 'aria-label="Pages of applications"' in page
    assert f'href="/requisitions/{rid}?ipage=2"' in page
    both = client.get(f"/requisitions/{rid}?page=2&ipage=2").get_data(as_text=True)
    assert _rows(both, "Applications") == 1
    assert _rows(both, "Interviews") == 1
    assert f'href="/requisitions/{rid}?ipage=2&amp;page=1"' in both  # the other list's page kept


def test_my_past_interviews_are_paged(app: Any, client: Any, users: Any) -> None:
    with app.app_context(), database.write_session() as session:
        make = Factory(session)
        competency = make.competency()
        requisition = make.requisition(users["hiring_manager"],
                                       make.profile_version([competency]))
        step = make.plan_step(requisition, focus=[competency])
        application = make.application(make.candidate(), requisition)
        held = datetime.now(UTC) - timedelta(days=1)
        for n in range(26):
            make.interview(application, step, [users["interviewer"]],
                           starts_at=held - timedelta(hours=2 * n))
    login(client, "interviewer@example.com")
    first = client.get("/interviews").get_data(as_text=True)
    assert _rows(first, "Past interviews") == 25
    assert 'aria-label="Pages of past interviews"' in first
    assert _rows(client.get("/interviews?page=2").get_data(as_text=True),
                 "Past interviews") == 1
