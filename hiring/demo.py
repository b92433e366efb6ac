"""Demo data for ``make run``: fictional people (example.com) and a living pipeline.

Refused when ``HIRING_ENV=production``. Loading twice changes nothing: the second run says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from .operations.accounts import create_user, find_user_by_email
from .security import generate_password

DEMO_USERS = [
    ("admin@example.com", "Avery Admin", ["admin"]),
    ("recruiter@example.com", "Riley Recruiter", ["recruiter"]),
    ("manager@example.com", "Morgan Manager", ["hiring_manager", "interviewer"]),
    ("interviewer@example.com", "Ingrid Interviewer", ["interviewer"]),
    ("interviewer2@example.com", "Ivan Interviewer", ["interviewer"]),
    ("auditor@example.com", "Aubrey Auditor", ["auditor"]),
]


@dataclass
class DemoCredentials:
    """A demo user's e-mail, name, roles and password (printed once)."""

    email: str
    name: str
    roles: list[str]
    password: str


class DemoAlreadyLoaded(Exception):
    """The demo data is already in this database."""


def load_demo(session: Session) -> list[DemoCredentials]:
    """Create the demo users (and, as features land, the demo pipeline) in one unit of work."""
    if find_user_by_email(session, DEMO_USERS[0][0]) is not None:
        raise DemoAlreadyLoaded
    credentials = []
    for email, name, roles in DEMO_USERS:
        password = generate_password()
        # Demo accounts keep their printed password (no forced change) so the tour is quick.
        create_user(session, email=email, name=name, roles=roles, password=password,
                    must_change_password=False)
        credentials.append(DemoCredentials(email, name, roles, password))
    return credentials
