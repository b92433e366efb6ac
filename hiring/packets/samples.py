"""Realistic sample view models (fictional people) for previews, tests and benchmarks.

Nothing here touches the database: an ML engineer (mid) loop with six focus competencies and ten
kit questions, and a debrief with six scorecards. Tests pass ``**overrides`` to plant hostile text.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .viewmodels import (
    Anchor,
    BatchPacket,
    BlankKit,
    DebriefPacket,
    DebriefSummary,
    DecisionEntry,
    Disagreement,
    EvidenceNote,
    FocusCompetency,
    Gap,
    InterviewCover,
    InterviewPacket,
    KitQuestion,
    MatrixCell,
    MatrixRow,
    MustHave,
    QuestionGroup,
    RatingsMatrix,
    RecommendationEntry,
    RoleBrief,
    ScoreBlock,
    StageEvent,
    local_time,
)

COMPETENCIES: tuple[FocusCompetency, ...] = (
    FocusCompetency(
        "ml-system-design", "ML system design",
        "Designs end-to-end ML systems: data flow, training, serving, monitoring, and the "
        "trade-offs between them.",
        (Anchor(1, "Describes a model in isolation; no data flow, serving or monitoring."),
         Anchor(2, "Sketches a working pipeline with guidance; misses failure modes."),
         Anchor(3, "Designs the pipeline independently; weighs latency, cost and freshness."),
         Anchor(4, "Anticipates drift, feedback loops and ownership; sets the approach for "
                   "others.")),
        "technical"),
    FocusCompetency(
        "model-evaluation", "Model evaluation",
        "Chooses metrics and validation schemes that match the decision the model supports.",
        (Anchor(1, "Reports accuracy only; no notion of leakage or baselines."),
         Anchor(2, "Uses a held-out set and a baseline when prompted."),
         Anchor(3, "Picks metrics for the business cost; checks leakage, calibration, slices."),
         Anchor(4, "Designs offline/online evaluation that predicts impact; spots "
                   "second-order effects.")),
        "technical"),
    FocusCompetency(
        "production-code", "Production code quality",
        "Writes readable, tested, reviewable code that others can run and change.",
        (Anchor(1, "Notebook-only code; no tests, no structure."),
         Anchor(2, "Structures code and adds tests when asked."),
         Anchor(3, "Tests, types and reviews by habit; code is easy to change."),
         Anchor(4, "Shapes team conventions; makes the right thing the easy thing.")),
        "technical"),
    FocusCompetency(
        "data-pipelines", "Data pipelines",
        "Builds reliable, reproducible data preparation for training and inference.",
        (Anchor(1, "Manual, one-off data preparation."),
         Anchor(2, "Scripts a pipeline; reruns by hand when it breaks."),
         Anchor(3, "Idempotent, versioned pipelines with validation and alerts."),
         Anchor(4, "Designs contracts between producers and consumers; prevents silent "
                   "skew.")),
        "technical"),
    FocusCompetency(
        "collaboration", "Collaboration",
        "Works with product, data and platform people towards a shared outcome.",
        (Anchor(1, "Works alone; hands over late or not at all."),
         Anchor(2, "Shares progress when asked; accepts feedback."),
         Anchor(3, "Seeks feedback early, resolves disagreement with evidence."),
         Anchor(4, "Aligns several teams; makes others more effective.")),
        "soft"),
    FocusCompetency(
        "communication", "Communicating results",
        "Explains models, uncertainty and trade-offs to technical and non-technical people.",
        (Anchor(1, "Jargon or numbers without meaning."),
         Anchor(2, "Clear with a prepared audience; struggles with questions."),
         Anchor(3, "Adapts to the audience; states uncertainty and limits honestly."),
         Anchor(4, "Changes decisions with clear, honest narratives.")),
        "soft"),
)

_Q = KitQuestion
QUESTIONS: dict[str, tuple[KitQuestion, ...]] = {
    "ml-system-design": (
        _Q("q-sd-1", "Walk me through a model you took from prototype to production. What did "
                     "the serving path look like, and what broke first?", 8, "technical",
           ("How did you know it broke?", "What would you design differently now?",
            "Who was on call for it?"),
           ("Names concrete components and their owners", "Mentions monitoring before launch",
            "Quantifies latency or cost trade-offs"),
           ("Cannot describe anything beyond training",)),
        _Q("q-sd-2", "Design a fraud-scoring service that answers within 50 ms at 2,000 "
                     "requests per second. Start wherever you like.", 10, "work-sample",
           ("Where do features come from at request time?", "How do you retrain, and how "
            "often?"),
           ("Separates online and offline features", "Plans for skew and fallbacks"),
           ("Ignores the latency budget", "No plan for label delay")),
    ),
    "model-evaluation": (
        _Q("q-ev-1", "Tell me about a time an offline metric disagreed with what happened "
                     "in production.", 5, "behavioural",
           ("What did you change afterwards?",),
           ("Explains the mismatch (leakage, shift, proxy metric)",),
           ("Blames the data without investigating",)),
        _Q("q-ev-2", "A churn model has an AUC of 0.91 on a random split. What do you check "
                     "before you trust it?", 5, "technical",
           ("Which split would you use instead?", "How would you calibrate it?"),
           ("Time-based split, leakage via post-churn features", "Checks calibration and "
            "segments"),
           ("Accepts the number at face value",)),
    ),
    "production-code": (
        _Q("q-pc-1", "Here is a 40-line feature function from a notebook. How would you make "
                     "it production-ready?", 7, "work-sample",
           ("What tests would you write first?", "How would a reviewer read it?"),
           ("Extracts pure functions, adds tests for edge cases", "Types and naming"),
           ("Rewrites from scratch without a reason",)),
        _Q("q-pc-2", "Describe the last code review you disagreed with. What happened?", 4,
           "behavioural", ("What did you learn from it?",),
           ("Argues from evidence, accepts good points",), ("Personal attacks",)),
    ),
    "data-pipelines": (
        _Q("q-dp-1", "A nightly training job silently trained on half the data for a week. "
                     "How would you have caught it?", 6, "situational",
           ("Which checks run where?", "Who gets alerted?"),
           ("Row-count and distribution checks with thresholds", "Data contracts"),
           ("Relies on someone noticing",)),
    ),
    "collaboration": (
        _Q("q-co-1", "Tell me about a time a product manager wanted a feature the model "
                     "could not support reliably.", 5, "behavioural",
           ("How did you reach the decision?", "What happened next?"),
           ("Offers alternatives, makes the trade-off explicit",), ("Just said no",)),
        _Q("q-co-2", "How do you hand over a model to a platform or on-call team?", 3,
           "situational", ("What documentation do you leave?",),
           ("Runbooks, dashboards, ownership",), ()),
    ),
    "communication": (
        _Q("q-cm-1", "Explain precision and recall to a customer-support lead who must "
                     "choose a threshold.", 5, "situational",
           ("What would you show them?", "How do you explain the uncertainty?"),
           ("Uses their costs and examples", "Checks understanding"),
           ("Formula only",)),
    ),
}


def _groups() -> tuple[QuestionGroup, ...]:
    return tuple(QuestionGroup(c.key, c.name, QUESTIONS[c.key]) for c in COMPETENCIES
                 if c.key in QUESTIONS)


ROLE_BRIEF = RoleBrief(
    role_name="Machine-learning engineer",
    role_summary="Builds, ships and operates machine-learning systems: turns prototypes into "
                 "reliable services, owns training and serving pipelines, and works with data "
                 "scientists, data engineers and product managers in a hybrid team.",
    level_name="Mid",
    level_summary="Works independently on a well-scoped system, makes sound trade-offs between "
                  "latency, cost and accuracy, and asks for help early on cross-team issues.",
    team_model="Hybrid: a central ML platform group plus engineers embedded in product teams.",
    domains=("Finance", "Retail"),
)


def sample_interview_packet(**overrides: Any) -> InterviewPacket:
    """A typical interview packet: six focus competencies, ten questions, a panel of two."""
    when, zone = local_time(datetime(2026, 3, 3, 13, 0, tzinfo=UTC), 60, "Europe/Berlin")
    cover = InterviewCover(
        requisition_title="ML engineer, payments risk (REQ-2031)",
        role_name="Machine-learning engineer", level_name="Mid",
        interview_name="Technical deep dive", minutes=60,
        candidate_name="Amara Okafor", local_datetime=when, timezone=zone,
        interviewer_name="Jonas Weber", panel=("Jonas Weber", "Priya Raman"),
        location="Room Turing, 3rd floor / video link in the calendar invite",
    )
    values: dict[str, Any] = dict(
        cover=cover, role_brief=ROLE_BRIEF, competencies=COMPETENCIES,
        question_groups=_groups(), short_code="K7QF-2M9D",
        scorecard_url="http://127.0.0.1:5000/s/K7QF-2M9D", kit_version=3,
        generated_at="2 March 2026, 17:05 (Europe/Berlin)",
    )
    cover_overrides = {k[6:]: overrides.pop(k) for k in list(overrides) if k.startswith("cover_")}
    values.update(overrides)
    if cover_overrides:
        values["cover"] = replace(values["cover"], **cover_overrides)
    return InterviewPacket(**values)


def sample_blank_kit(**overrides: Any) -> BlankKit:
    """The same kit without a candidate."""
    cover = InterviewCover(
        requisition_title="ML engineer, payments risk (REQ-2031)",
        role_name="Machine-learning engineer", level_name="Mid",
        interview_name="Technical deep dive", minutes=60,
    )
    values: dict[str, Any] = dict(cover=cover, role_brief=ROLE_BRIEF, competencies=COMPETENCIES,
                                  question_groups=_groups(), kit_version=3,
                                  generated_at="2 March 2026")
    values.update(overrides)
    return BlankKit(**values)


INTERVIEWERS = ("Jonas Weber", "Priya Raman", "Lena Novak", "Tomás Ruiz", "Mei Chen",
                "Sam Adeyemi")
_RATINGS = {  # competency -> one rating (or None) per interviewer
    "ml-system-design": (3, 4, None, 3, None, 2),
    "model-evaluation": (3, None, 3, None, 4, 3),
    "production-code": (None, 2, 3, 4, None, None),
    "data-pipelines": (2, None, None, 2, 3, None),
    "collaboration": (None, 3, 3, None, 3, 4),
    "communication": (3, None, 4, None, None, 1),
}
_BARS = {"ml-system-design": 3, "model-evaluation": 3, "production-code": 3,
         "data-pipelines": 2, "collaboration": 3, "communication": 3}
_WEIGHTS = {"ml-system-design": 3, "model-evaluation": 2, "production-code": 2,
            "data-pipelines": 1, "collaboration": 1, "communication": 1}


def sample_debrief_packet(*, with_score: bool = True, **overrides: Any) -> DebriefPacket:
    """A debrief with six submitted scorecards (three interviews, two interviewers each)."""
    names = {c.key: c.name for c in COMPETENCIES}
    rows, contributions = [], {}
    for key, ratings in _RATINGS.items():
        given = [r for r in ratings if r is not None]
        mean = sum(given) / len(given) if given else None
        position = None
        if mean is not None:
            position = "below" if mean < _BARS[key] else "at" if mean < _BARS[key] + 0.5 \
                else "above"
            contributions[key] = _WEIGHTS[key] * (mean - _BARS[key])
        rows.append(MatrixRow(
            key, names[key],
            tuple(MatrixCell(rating=r, not_assessed=None if r else "not_asked_time"
                             if key == "data-pipelines" else None) for r in ratings),
            mean, len(given), position, _WEIGHTS[key], key == "ml-system-design"))
    score = ScoreBlock(
        kind="Profile fit (profile ml-engineer/mid v4)", state="scored",
        headline="3.1 on the rating scale (bar profile 2.9): 70 of 100, bar profile 63",
        contributions=contributions, labels=names, score_0_100=70.0, bar_0_100=63.0,
        band=(61.0, 78.0), coverage=1.0,
        must_haves=(MustHave("ML system design", "met"),),
        notes=("Band from pooled interviewer error (prior; fewer than 30 cells so far).",),
    ) if with_score else None
    values: dict[str, Any] = dict(
        summary=DebriefSummary(
            candidate_name="Amara Okafor",
            requisition_title="ML engineer, payments risk (REQ-2031)",
            role_name="Machine-learning engineer", level_name="Mid", stage="debrief",
            hiring_manager="Priya Raman",
            interviews=("Technical deep dive (3 Mar)", "System design (4 Mar)",
                        "Team and collaboration (5 Mar)"),
            submitted=6, expected=6),
        stage_history=(
            StageEvent("12 Feb 2026", "applied", "Careers site", ""),
            StageEvent("16 Feb 2026", "screen", "Rosa Lind", "Strong production background"),
            StageEvent("24 Feb 2026", "interviewing", "Rosa Lind", "Screen passed"),
            StageEvent("6 Mar 2026", "debrief", "Priya Raman", "All scorecards in"),
        ),
        matrix=RatingsMatrix(INTERVIEWERS, tuple(rows)),
        score=score,
        gaps=(Gap("Data pipelines", "Rated by three interviewers, all at or near the bar; no "
                                    "must-have."),),
        disagreements=(
            Disagreement("Communicating results",
                         (("Jonas Weber", 3), ("Lena Novak", 4), ("Sam Adeyemi", 1)),
                         "Spread of 3 points: compare the evidence before discussing."),
            Disagreement("Production code quality", (("Priya Raman", 2), ("Tomás Ruiz", 4))),
        ),
        evidence=tuple(
            EvidenceNote(who, text, names[key], "", r)
            for who, key, text, r in (
                ("Priya Raman", "ml-system-design",
                 "Drew the feature store, online/offline split and a shadow deployment "
                 "unprompted; named the on-call owner.", 4),
                ("Jonas Weber", "ml-system-design",
                 "Serving design solid; retraining cadence only after a hint.", 3),
                ("Lena Novak", "model-evaluation",
                 "Spotted the leakage through the cancellation-date feature within two "
                 "minutes.", 3),
                ("Tomás Ruiz", "production-code",
                 "Refactor kept behaviour, added three focused tests; types consistent.", 4),
                ("Lena Novak", "communication",
                 "Explanation of thresholds used support's own ticket costs.", 4),
                ("Sam Adeyemi", "communication",
                 "Lost the audience twice; relied on formulas.", 1),
            )),
        recommendations=tuple(
            RecommendationEntry(name, rec, reason, f"{5 + i // 2} Mar 2026", flag)
            for i, (name, rec, reason, flag) in enumerate((
                ("Jonas Weber", "yes", "", ""),
                ("Priya Raman", "strong_yes", "", ""),
                ("Lena Novak", "yes", "", ""),
                ("Tomás Ruiz", "yes", "", ""),
                ("Mei Chen", "no_decision", "Only 20 minutes of evidence: interview cut "
                 "short.", ""),
                ("Sam Adeyemi", "no", "", "Recommendation 'no' while most own ratings are at "
                 "or above the bar."),
            ))),
        decisions=(DecisionEntry("6 Mar 2026", "Priya Raman", "advance",
                                 "Debrief agreed to make an offer at mid level.",
                                 "Profile fit 70 (band 61-78)"),),
        model_version="profile-fit (no learned model adopted)",
        profile_version="ml-engineer/mid v4 (2026-01-15)",
        prepared_for="Priya Raman (hiring manager)",
        generated_at="6 March 2026, 16:20 (Europe/Berlin)",
    )
    values.update(overrides)
    return DebriefPacket(**values)


def sample_batch(count: int = 3) -> BatchPacket:
    """``count`` interview packets for different candidates, as one batch."""
    people = ("Amara Okafor", "Ben Kowalski", "Chiara Rossi", "Dev Patel", "Elif Yilmaz")
    packets = tuple(
        sample_interview_packet(cover_candidate_name=people[i % len(people)],
                                short_code=f"K7QF-{i:04d}",
                                scorecard_url=f"http://127.0.0.1:5000/s/K7QF-{i:04d}")
        for i in range(count))
    return BatchPacket(title="Tuesday 3 March 2026", packets=packets,
                       generated_at="2 March 2026")
