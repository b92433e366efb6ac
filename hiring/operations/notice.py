"""The candidate notice: links, the alternative process and voluntary self-identification.

SECURITY.md AI-6 and DP-1. A recruiter (or the requisition's hiring manager, or an admin) issues
a link for an application (:func:`issue_link`); the candidate opens it without logging in, reads
how structured scores assist the decision, may ask for an alternative process and may
self-identify (:func:`record_response`).

The link
    ``/notice/<token>``: the token is signed with the app's secret key (itsdangerous, its own
    salt) and names the application and a random nonce stored in ``notice_links``. It is valid
    while the link row is the newest one of its application and has not expired
    (``HIRING_NOTICE_LINK_DAYS``); issuing a new link revokes the older ones. Anything else
    (bad signature, expired, revoked, unknown) is answered like any missing page, without a word
    about the application.

When notice was given
    ``Application.notice_at`` records when the first link was issued (the candidate was given
    the notice then); each link records when the candidate last answered on its page.

Alternative process
    Asking for it sets ``Application.alternative_process``: the application's stored scores are
    removed, it leaves every scoring run and ranking and is listed apart ("reviewed by people"),
    through :func:`hiring.operations.scoring.recompute_application`. Withdrawing the request
    scores it again (profile fit, and the adopted learned model where there is one).

Self-identification
    Stored apart in ``self_identifications`` (category codes only), never shown per person,
    read only in aggregate by auditors (the adverse-impact report), never a model input.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Application, NoticeLink, SelfIdentification, User
from ..models.fairness import RACE_ETHNICITY_CHOICES, SEX_CHOICES
from ..policy import allows, manages_requisition
from . import Forbidden, OperationError
from .audit import record

SALT = "hiring.candidate-notice"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def issue_link(session: Session, application: Application, *, actor: User, secret_key: str,
               days: int, now: datetime | None = None) -> tuple[NoticeLink, str]:
    """Issue a new notice link for ``application`` (revoking older ones); returns the link row
    and its token. Only people who manage the application's candidates may; audited (never the
    token)."""
    if not (manages_requisition(actor, application.requisition)
            and allows(actor.role_names, "manage_candidates")):
        raise Forbidden("You may not send this candidate a notice.")
    if days < 1:
        raise OperationError("A notice link must be valid for at least a day.")
    now = now or datetime.now(UTC)
    link = NoticeLink(application_id=application.id, nonce=secrets.token_hex(16),
                      issued_by_id=actor.id, issued_at=now,
                      expires_at=now + timedelta(days=days))
    session.add(link)
    if application.notice_at is None:
        application.notice_at = now
        application.version += 1
    session.flush()
    token = _serializer(secret_key).dumps([application.id, link.nonce])
    record(session, "notice.issue", actor_id=actor.id, subject_type="application",
           subject_id=application.id, link=link.id, days=days)
    return link, token


@dataclass
class ResolvedNotice:
    """A valid notice link and its application."""

    link: NoticeLink
    application: Application


def resolve(session: Session, token: str, *, secret_key: str, days: int,
            now: datetime | None = None) -> ResolvedNotice | None:
    """The link and application a token stands for, or None for any bad, expired or revoked
    token (the caller answers 404 and says nothing more)."""
    now = now or datetime.now(UTC)
    try:
        payload: Any = _serializer(secret_key).loads(token, max_age=days * 86400 + 60)
    except (BadData, ValueError, TypeError):
        return None
    if (not isinstance(payload, list) or len(payload) != 2 or not isinstance(payload[0], int)
            or not isinstance(payload[1], str)):
        return None
    application_id, nonce = payload
    link = session.scalar(select(NoticeLink).where(NoticeLink.nonce == nonce,
                                                   NoticeLink.application_id == application_id))
    if link is None or link.expires_at <= now:
        return None
    newest = session.scalar(select(NoticeLink.id).where(NoticeLink.application_id ==
                                                        application_id)
                            .order_by(NoticeLink.id.desc()).limit(1))
    if newest != link.id:
        return None
    application = session.get(Application, application_id)
    if application is None:
        return None
    return ResolvedNotice(link=link, application=application)


def set_alternative_process_by_candidate(session: Session, application: Application, *,
                                         requested: bool) -> bool:
    """The candidate asked for (or withdrew a request for) the alternative process on the notice
    page. Returns whether anything changed; audited with no actor (the candidate)."""
    if application.alternative_process == requested:
        return False
    application.alternative_process = requested
    application.version += 1
    session.flush()
    record(session, "application.alternative_process", actor_id=None,
           subject_type="application", subject_id=application.id, requested=requested,
           source="candidate notice")
    from .scoring import recompute_application

    recompute_application(session, application.id, trigger="alternative_process",
                          actor_id=None)
    if not requested:
        from .learned import rescore_adopted

        rescore_adopted(session, [application.id], trigger="alternative_process")
    return True


def record_response(session: Session, resolved: ResolvedNotice, *, alternative: bool,
                    sex: str | None, race_ethnicity: str | None,
                    now: datetime | None = None) -> dict[str, bool]:
    """Store the candidate's answers from the notice page.

    ``sex`` and ``race_ethnicity`` are category codes (``None`` or "" = no answer: an earlier
    answer is kept); "prefer not to say" is an answer. Audited without the answers.
    """
    now = now or datetime.now(UTC)
    sex = sex or None
    race_ethnicity = race_ethnicity or None
    if sex is not None and sex not in SEX_CHOICES:
        raise OperationError("Choose one of the listed answers for sex.")
    if race_ethnicity is not None and race_ethnicity not in RACE_ETHNICITY_CHOICES:
        raise OperationError("Choose one of the listed answers for race/ethnicity.")
    application = resolved.application
    identified = False
    if sex is not None or race_ethnicity is not None:
        row = session.get(SelfIdentification, application.id)
        if row is None:
            row = SelfIdentification(application_id=application.id)
            session.add(row)
        if sex is not None:
            row.sex = sex
        if race_ethnicity is not None:
            row.race_ethnicity = race_ethnicity
        row.recorded_at = now
        identified = True
    changed = set_alternative_process_by_candidate(session, application, requested=alternative)
    resolved.link.responded_at = now
    session.flush()
    record(session, "notice.response", actor_id=None, subject_type="application",
           subject_id=application.id, self_identified=identified,
           alternative_process=alternative)
    return {"self_identified": identified, "alternative_changed": changed}
