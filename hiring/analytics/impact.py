"""Building blocks of the adverse-impact report: plain data in, plain data out.

The statistics themselves are :mod:`hiring.analytics.fairness`; this module decides who counts
at each step of the selection funnel, turns self-identification into categories, and suppresses
small cells for display.

Selection steps (29 CFR 1607.4: the rate of each step and the "bottom line")
    A person enters a step when they reached its entry stage; they are **selected** when they
    reached its pass stage (or any later one), **not selected** when they were rejected before
    it, **withdrawn** when they withdrew before it (their own choice: left out of the rates and
    shown apart), and **pending** when no decision has been made yet (left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The funnel, in order; "rejected" and "withdrawn" end an application at its furthest stage.
FUNNEL: tuple[str, ...] = ("applied", "screen", "interviewing", "debrief", "offer", "hired")
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

#: Display threshold: counts of 1-4 people are shown as "<5" (exports carry the raw counts).
SUPPRESS_BELOW = 5

SELECTED, NOT_SELECTED, WITHDREW, PENDING = "selected", "not selected", "withdrawn", "pending"


@dataclass(frozen=True)
class Step:
    """One selection step: from ``entry`` stage, selected on reaching ``passed``."""

    key: str
    label: str
    entry: str
    passed: str


STEPS: tuple[Step, ...] = (
    Step("screen", "Screen passed (applicants who reached the interviews)", "applied",
         "interviewing"),
    Step("offer", "Offer (interviewed candidates who received an offer)", "interviewing", "offer"),
    Step("hire", "Hire (candidates with an offer who were hired)", "offer", "hired"),
    Step("overall", "Hired, of all applicants (bottom line)", "applied", "hired"),
)


def furthest_stage(current: str, visited: Iterable[str]) -> str:
    """The furthest funnel stage an application reached (its current stage and every stage in
    its history; "rejected" and "withdrawn" are not funnel stages)."""
    best = 0
    for stage in (current, *visited):
        if stage in FUNNEL:
            best = max(best, FUNNEL.index(stage))
    return FUNNEL[best]


def step_outcome(step: Step, current: str, furthest: str) -> str | None:
    """What happened to an application at ``step``: :data:`SELECTED`, :data:`NOT_SELECTED`,
    :data:`WITHDREW`, :data:`PENDING`, or None when it never entered the step."""
    reached = FUNNEL.index(furthest)
    if reached < FUNNEL.index(step.entry):
        return None
    if reached >= FUNNEL.index(step.passed):
        return SELECTED
    if current == REJECTED:
        return NOT_SELECTED
    if current == WITHDRAWN:
        return WITHDREW
    return PENDING


def normalise_category(value: str | None, labels: Mapping[str, str],
                       unknown: Iterable[str] = ("prefer_not_to_say", "prefer not to say")
                       ) -> str | None:
    """A stored answer (a code such as ``"female"``, a label, or free text from a history file)
    as the category shown in reports: the label for a known code or label (any case), the
    trimmed text otherwise; None (unknown) for blanks and "prefer not to say"."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text or text.lower() in {u.lower() for u in unknown}:
        return None
    folded = text.lower()
    for code, label in labels.items():
        if folded in (code.lower(), label.lower()):
            return None if code in {u.lower() for u in unknown} else label
    return text


def suppressed(count: int | None, threshold: int = SUPPRESS_BELOW) -> bool:
    """Whether a count of people is too small to display (1 to threshold - 1)."""
    return count is not None and 0 < count < threshold


def display_count(count: int | None, threshold: int = SUPPRESS_BELOW) -> str:
    """A count as displayed: "<5" for 1-4 people, the number otherwise ("" for None)."""
    if count is None:
        return ""
    return f"<{threshold}" if suppressed(count, threshold) else str(count)
