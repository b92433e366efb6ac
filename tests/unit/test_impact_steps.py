"""Who counts at each selection step, category normalisation and small-cell display."""

from __future__ import annotations

import pytest

from hiring.analytics.impact import (
    NOT_SELECTED,
    PENDING,
    SELECTED,
    STEPS,
    WITHDREW,
    display_count,
    furthest_stage,
    normalise_category,
    step_outcome,
    suppressed,
)
from hiring.models.fairness import RACE_ETHNICITY_CHOICES, SEX_CHOICES

STEP = {s.key: s for s in STEPS}


def test_furthest_stage_uses_the_history_not_only_the_current_stage() -> None:
    assert furthest_stage("rejected", ["applied", "screen", "interviewing"]) == "interviewing"
    assert furthest_stage("withdrawn", ["applied"]) == "applied"
    assert furthest_stage("hired", []) == "hired"
    assert furthest_stage("rejected", []) == "applied"


@pytest.mark.parametrize(("current", "visited", "expected"), [
    ("rejected", ["screen"], {"screen": NOT_SELECTED, "offer": None, "hire": None,
                              "overall": NOT_SELECTED}),
    ("rejected", ["interviewing", "debrief"], {"screen": SELECTED, "offer": NOT_SELECTED,
                                               "hire": None, "overall": NOT_SELECTED}),
    ("hired", ["offer"], {"screen": SELECTED, "offer": SELECTED, "hire": SELECTED,
                          "overall": SELECTED}),
    ("withdrawn", ["offer"], {"screen": SELECTED, "offer": SELECTED, "hire": WITHDREW,
                              "overall": WITHDREW}),
    ("interviewing", [], {"screen": SELECTED, "offer": PENDING, "hire": None,
                          "overall": PENDING}),
])
def test_step_outcomes(current: str, visited: list[str], expected: dict[str, str | None]
                       ) -> None:
    furthest = furthest_stage(current, visited)
    assert {key: step_outcome(STEP[key], current, furthest) for key in expected} == expected


def test_categories_normalise_codes_labels_and_unknowns() -> None:
    assert normalise_category("female", SEX_CHOICES) == "Female"
    assert normalise_category("  MALE ", SEX_CHOICES) == "Male"
    assert normalise_category("prefer_not_to_say", SEX_CHOICES) is None
    assert normalise_category("Prefer not to say", RACE_ETHNICITY_CHOICES) is None
    assert normalise_category("", SEX_CHOICES) is None
    assert normalise_category(None, SEX_CHOICES) is None
    assert normalise_category("black", RACE_ETHNICITY_CHOICES) == "Black or African American"
    # Free text from a history file is kept as written (trimmed).
    assert normalise_category(" non-binary ", SEX_CHOICES) == "non-binary"


def test_small_cells_are_shown_as_under_five() -> None:
    assert [display_count(n) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    assert display_count(None) == ""
    assert suppressed(3)
    assert not suppressed(0)
    assert not suppressed(5)
