"""View models of the packets: plain, picklable dataclasses (no ORM, no Flask, no session).

A query function (``hiring/packets/queries.py``, applying the viewer's permissions) builds these
from the database; the templates in ``templates/packets/`` read only what is here. Every string is
*user text* as far as rendering goes: templates autoescape it and never mark it safe. The only
markup the templates print unescaped is the SVG built by :mod:`hiring.packets.charts` from numbers
and escaped labels (the ``*_svg`` properties below).

Packet kinds and their top-level models:

- :class:`InterviewPacket`: one interview, one interviewer (template ``interview.html``);
- :class:`BlankKit`: a requisition's plan step without a candidate (``blank_kit.html``);
- :class:`DebriefPacket`: one application (``debrief.html``);
- :class:`BatchPacket`: several interview packets in one PDF (``batch.html``).

:func:`packet_context` turns any of them into ``(template, context, title)`` for
:func:`hiring.packets.render.render_pdf` and :func:`hiring.packets.pool.render_packet`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

#: The rating scale (DESIGN.md section 2): the same words on the form, the packet and the pages.
RATING_WORDS: dict[int, str] = {1: "not yet", 2: "foundational", 3: "proficient", 4: "advanced"}

#: Not-assessed reasons in form order; keys are :class:`hiring.models.NotAssessedReason` values.
NOT_ASSESSED_REASONS: tuple[tuple[str, str], ...] = (
    ("not_asked_time", "Not asked: time"),
    ("not_asked_other", "Not asked: other"),
    ("interview_cut_short", "Interview cut short"),
    ("conflict_of_interest", "Conflict of interest"),
)

#: Recommendations in form order (filled last); keys are :class:`hiring.models.Recommendation`.
RECOMMENDATIONS: tuple[tuple[str, str], ...] = (
    ("strong_no", "Strong no"),
    ("no", "No"),
    ("yes", "Yes"),
    ("strong_yes", "Strong yes"),
    ("no_decision", "No decision"),
)
RECOMMENDATION_LABELS = dict(RECOMMENDATIONS)
NOT_ASSESSED_LABELS = dict(NOT_ASSESSED_REASONS)

DEFAULT_CONFIDENTIALITY = (
    "Confidential: candidate personal data. Do not copy or share; shred after the debrief."
)
KIT_CONFIDENTIALITY = "Internal: interview kit. Do not share with candidates."


def local_time(starts_at: datetime, minutes: int, tz_name: str) -> tuple[str, str]:
    """``starts_at`` (aware, UTC) as the interviewer reads it: ``(when, zone)``.

    ``when`` is e.g. ``"Tuesday 3 March 2026, 14:00-14:45"`` and ``zone`` e.g.
    ``"Europe/Berlin (CET)"``. An unknown zone name falls back to UTC, and says so.
    """
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be an aware datetime")
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, tz_name = ZoneInfo("UTC"), f"UTC (unknown zone {tz_name!r})"
    local = starts_at.astimezone(zone)
    ends = local + timedelta(minutes=minutes)
    when = (f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}\u2013{ends:%H:%M}")
    abbreviation = local.tzname() or ""
    label = tz_name if abbreviation in ("", tz_name) else f"{tz_name} ({abbreviation})"
    return when, label


# --------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True)
class Anchor:
    """What one rating (1-4) looks like for one competency, in observable behaviour."""

    rating: int
    text: str

    @property
    def word(self) -> str:
        """The scale word of :attr:`rating` ("not yet" ... "advanced")."""
        return RATING_WORDS.get(self.rating, "")


@dataclass(frozen=True)
class FocusCompetency:
    """A focus competency of the interview with its four anchors. Deliberately no bar."""

    key: str
    name: str
    description: str
    anchors: tuple[Anchor, ...]
    category: str = ""


@dataclass(frozen=True)
class KitQuestion:
    """One kit question as printed: prompt, follow-ups, signals (what good answers show)."""

    id: str
    prompt: str
    minutes: int
    kind: str
    follow_ups: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionGroup:
    """The kit's questions for one competency, in kit order."""

    competency_key: str
    competency_name: str
    questions: tuple[KitQuestion, ...]


@dataclass(frozen=True)
class RoleBrief:
    """One page about the role and the level being hired."""

    role_name: str
    role_summary: str
    level_name: str
    level_summary: str
    team_model: str = ""
    domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class GridQuestion:
    """A question-notes row of the scorecard grid."""

    number: int
    id: str
    prompt: str
    competency_name: str


@dataclass(frozen=True)
class GridCompetency:
    """A competency row of the scorecard grid (1-4 boxes, not-assessed reasons, evidence)."""

    key: str
    name: str


@dataclass(frozen=True)
class ScorecardGrid:
    """The paper twin of the online scorecard, in the form's order; recommendation last."""

    questions: tuple[GridQuestion, ...]
    competencies: tuple[GridCompetency, ...]
    evidence_lines: int = 3
    takeaway_lines: int = 5
    not_assessed_reasons: tuple[tuple[str, str], ...] = NOT_ASSESSED_REASONS
    recommendations: tuple[tuple[str, str], ...] = RECOMMENDATIONS


def scorecard_grid(competencies: tuple[FocusCompetency, ...],
                   groups: tuple[QuestionGroup, ...]) -> ScorecardGrid:
    """The grid for a kit: one notes row per question, one rating row per focus competency."""
    rows, number = [], 0
    for group in groups:
        for question in group.questions:
            number += 1
            rows.append(GridQuestion(number, question.id, question.prompt, group.competency_name))
    return ScorecardGrid(
        questions=tuple(rows),
        competencies=tuple(GridCompetency(c.key, c.name) for c in competencies),
    )


# --------------------------------------------------------------------------- interview packet


@dataclass(frozen=True)
class InterviewCover:
    """The cover page of an interview packet (``candidate_name`` is None on a blank kit)."""

    requisition_title: str
    role_name: str
    level_name: str
    interview_name: str
    minutes: int
    candidate_name: str | None = None
    local_datetime: str = ""
    timezone: str = ""
    interviewer_name: str = ""
    panel: tuple[str, ...] = ()
    location: str = ""


class _KitPages:
    """What an interview packet and a blank kit share: the kit's questions and the paper grid.

    A mixin for the frozen dataclasses below (it adds no fields): the grid, when not given, is
    built from the kit's focus competencies and question groups.
    """

    competencies: tuple[FocusCompetency, ...]
    question_groups: tuple[QuestionGroup, ...]
    grid: ScorecardGrid | None

    def __post_init__(self) -> None:
        if self.grid is None:
            object.__setattr__(self, "grid",
                               scorecard_grid(self.competencies, self.question_groups))

    @property
    def questions(self) -> tuple[KitQuestion, ...]:
        """Every kit question, in order."""
        return tuple(q for group in self.question_groups for q in group.questions)

    @property
    def total_minutes(self) -> int:
        """Sum of the questions' suggested minutes."""
        return sum(q.minutes for q in self.questions)


@dataclass(frozen=True)
class InterviewPacket(_KitPages):
    """One interview, one interviewer (DESIGN.md section 7).

    ``short_code`` is the interviewer's assignment code and ``scorecard_url`` the absolute URL
    of their online scorecard (built from ``HIRING_BASE_URL``), printed as a QR code.
    """

    cover: InterviewCover
    role_brief: RoleBrief
    competencies: tuple[FocusCompetency, ...]
    question_groups: tuple[QuestionGroup, ...]
    short_code: str
    scorecard_url: str
    kit_version: int = 1
    generated_at: str = ""
    confidentiality: str = DEFAULT_CONFIDENTIALITY
    grid: ScorecardGrid | None = None

    @cached_property
    def qr_svg(self) -> Markup:
        """The QR code of :attr:`scorecard_url` as inline SVG (built by our own code)."""
        from .charts import qr_svg

        return qr_svg(self.scorecard_url)

    @property
    def running_header(self) -> str:
        """Text of the running header: candidate and interview."""
        who = self.cover.candidate_name or "Blank kit"
        return f"{who} \u00b7 {self.cover.interview_name}"


@dataclass(frozen=True)
class BlankKit(_KitPages):
    """A requisition's plan step without a candidate: cover says "Blank kit", no code, no QR."""

    cover: InterviewCover
    role_brief: RoleBrief
    competencies: tuple[FocusCompetency, ...]
    question_groups: tuple[QuestionGroup, ...]
    kit_version: int = 1
    generated_at: str = ""
    confidentiality: str = KIT_CONFIDENTIALITY
    grid: ScorecardGrid | None = None

    @property
    def running_header(self) -> str:
        """Text of the running header."""
        return f"Blank kit \u00b7 {self.cover.interview_name}"


@dataclass(frozen=True)
class BatchPacket:
    """Several interview packets in one PDF (a loop's or a day's), each from a new page."""

    title: str
    packets: tuple[InterviewPacket, ...]
    generated_at: str = ""


# --------------------------------------------------------------------------- debrief packet


@dataclass(frozen=True)
class StageEvent:
    """One stage change of the application."""

    at: str
    stage: str
    by: str
    reason: str = ""


@dataclass(frozen=True)
class DebriefSummary:
    """Who, for what, where the application stands."""

    candidate_name: str
    requisition_title: str
    role_name: str
    level_name: str
    stage: str
    hiring_manager: str = ""
    interviews: tuple[str, ...] = ()
    submitted: int = 0
    expected: int = 0


@dataclass(frozen=True)
class MatrixCell:
    """One interviewer's rating of one competency (or why it was not assessed)."""

    rating: int | None = None
    not_assessed: str | None = None
    hidden: bool = False

    @property
    def label(self) -> str:
        """What the cell prints."""
        if self.hidden:
            return "hidden"
        if self.rating is not None:
            return str(self.rating)
        if self.not_assessed:
            return "n/a"
        return "\u2013"


@dataclass(frozen=True)
class MatrixRow:
    """A competency row: cells per interviewer, mean and count, and the computed position.

    ``position`` is ``"below"``, ``"at"`` or ``"above"`` the level's bar (computed, never
    chosen), or None when nothing was rated.
    """

    competency_key: str
    competency_name: str
    cells: tuple[MatrixCell, ...]
    mean: float | None
    count: int
    position: str | None = None
    weight: int | None = None
    must_have: bool = False


@dataclass(frozen=True)
class RatingsMatrix:
    """Competency x interviewer; ``interviewers`` gives the column order of every row's cells."""

    interviewers: tuple[str, ...]
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True)
class MustHave:
    """A must-have competency's hurdle state: met, not met or unclear."""

    name: str
    state: str


@dataclass(frozen=True)
class ScoreBlock:
    """The score as the pages show it, with its contributions (present unless scores are hidden).

    ``state`` is ``"scored"``, ``"insufficient_coverage"`` or ``"cannot_score"``; only a scored
    block has numbers. ``contributions`` (competency key -> weight x (evidence - bar)) and
    ``labels`` (key -> competency name) feed the same SVG chart as the pages.
    """

    kind: str
    state: str
    headline: str
    contributions: dict[str, float] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    score_0_100: float | None = None
    bar_0_100: float | None = None
    band: tuple[float, float] | None = None
    coverage: float | None = None
    must_haves: tuple[MustHave, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def chart_svg(self) -> Markup:
        """Horizontal bar chart of :attr:`contributions` (empty when there are none)."""
        if not self.contributions:
            return Markup("")
        from .charts import contribution_chart_svg

        return contribution_chart_svg(self.contributions, self.labels)

    @property
    def contributions_sorted(self) -> list[tuple[str, str, float]]:
        """``(key, label, value)`` from the largest positive to the most negative."""
        return sorted(((k, self.labels.get(k, k), v) for k, v in self.contributions.items()),
                      key=lambda item: -item[2])


@dataclass(frozen=True)
class Gap:
    """A focus competency with too little evidence (nobody rated it, one rating only, ...)."""

    competency_name: str
    reason: str


@dataclass(frozen=True)
class Disagreement:
    """Interviewers whose ratings of one competency differ by two points or more."""

    competency_name: str
    ratings: tuple[tuple[str, int], ...]
    note: str = ""

    @property
    def spread(self) -> int:
        """Highest minus lowest rating."""
        values = [r for _, r in self.ratings]
        return max(values) - min(values) if values else 0


@dataclass(frozen=True)
class EvidenceNote:
    """A note the downloading person may see: per competency or per question."""

    interviewer: str
    text: str
    competency_name: str = ""
    question_prompt: str = ""
    rating: int | None = None


@dataclass(frozen=True)
class RecommendationEntry:
    """One scorecard's overall recommendation, with a flag when it contradicts its ratings."""

    interviewer: str
    recommendation: str | None
    reason: str = ""
    submitted_at: str = ""
    inconsistency: str = ""
    takeaways: str = ""

    @property
    def label(self) -> str:
        """Human label of the recommendation ("Strong yes", ...)."""
        if self.recommendation is None:
            return "Not submitted"
        return RECOMMENDATION_LABELS.get(self.recommendation, self.recommendation)


@dataclass(frozen=True)
class DecisionEntry:
    """A decision made by a person, with the reason and the score shown at the time."""

    at: str
    by: str
    decision: str
    reason: str
    score_shown: str = ""


@dataclass(frozen=True)
class DebriefPacket:
    """One application's debrief (DESIGN.md section 7): only what the viewer may see.

    ``score`` is None when the requisition hides scores (or the viewer may not see them).
    """

    summary: DebriefSummary
    matrix: RatingsMatrix
    stage_history: tuple[StageEvent, ...] = ()
    score: ScoreBlock | None = None
    gaps: tuple[Gap, ...] = ()
    disagreements: tuple[Disagreement, ...] = ()
    evidence: tuple[EvidenceNote, ...] = ()
    recommendations: tuple[RecommendationEntry, ...] = ()
    decisions: tuple[DecisionEntry, ...] = ()
    model_version: str = ""
    profile_version: str = ""
    prepared_for: str = ""
    generated_at: str = ""
    confidentiality: str = DEFAULT_CONFIDENTIALITY

    @property
    def running_header(self) -> str:
        """Text of the running header."""
        return (f"{self.summary.candidate_name} \u00b7 Debrief \u00b7 "
                f"{self.summary.requisition_title}")


# --------------------------------------------------------------------------- glue


Packet = InterviewPacket | BlankKit | DebriefPacket | BatchPacket


def packet_context(packet: Packet) -> tuple[str, dict[str, Any], str]:
    """``(template, context, title)`` for rendering ``packet`` (title = PDF metadata title)."""
    if isinstance(packet, InterviewPacket):
        cover = packet.cover
        title = f"Interview packet: {cover.candidate_name} \u2013 {cover.interview_name}"
        return "interview.html", {"packet": packet}, title
    if isinstance(packet, BlankKit):
        cover = packet.cover
        title = f"Blank kit: {cover.requisition_title} \u2013 {cover.interview_name}"
        return "blank_kit.html", {"packet": packet}, title
    if isinstance(packet, DebriefPacket):
        title = f"Debrief packet: {packet.summary.candidate_name} \u2013 " \
                f"{packet.summary.requisition_title}"
        return "debrief.html", {"packet": packet}, title
    if isinstance(packet, BatchPacket):
        return "batch.html", {"batch": packet}, f"Interview packets: {packet.title}"
    raise TypeError(f"not a packet view model: {type(packet).__name__}")
