"""Note hygiene: warn when interview notes mention protected characteristics or hold no evidence.

Pure functions. A warning names the phrase and why it matters; it never blocks a save, because
context decides (a candidate may raise a topic themselves, and quoting them is evidence). The
lists are deliberately specific phrases rather than single words, to keep false alarms rare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Topics that must not influence a hiring decision (and rarely belong in notes).
PROTECTED: dict[str, tuple[str, ...]] = {
    "age": (
        r"\btoo old\b", r"\btoo young\b", r"\b(?:his|her|their) age\b", r"\bolder candidate\b",
        r"\byounger candidate\b", r"\bnear(?:ing)? retirement\b", r"\bdigital native\b",
        r"\b(?:in (?:his|her|their) )?(?:twenties|thirties|forties|fifties|sixties)\b",
        r"\byears? old\b", r"\bgrey hair\b", r"\bfresh out of (?:school|college)\b",
    ),
    "family or pregnancy": (
        r"\bpregnan\w*", r"\bmaternity\b", r"\bpaternity\b", r"\bhas (?:young )?kids\b",
        r"\bhas children\b", r"\bchildcare\b", r"\bplans? to have (?:kids|children|a family)\b",
        r"\bmarried\b", r"\bsingle mother\b", r"\bsingle father\b", r"\bhusband\b", r"\bwife\b",
    ),
    "religion": (
        r"\breligio\w*", r"\bchurch\b", r"\bmosque\b", r"\bsynagogue\b", r"\btemple\b",
        r"\bramadan\b", r"\bhijab\b", r"\bheadscarf\b", r"\bturban\b", r"\bprays?\b",
    ),
    "health or disability": (
        # Not "disab..." alone: engineers disable jobs and flags all day.
        r"\bdisabilit\w*", r"\bdisabled (?:person|candidate|people)\b", r"\bwheelchair\b",
        r"\bsick leave\b", r"\billness\b", r"\bclinical depression\b", r"\banxiety disorder\b",
        r"\bautis\w*", r"\badhd\b", r"\bdyslexi\w*",
        r"\bhealth (?:issues?|problems?)\b", r"\bmental health\b", r"\bstutter\w*",
    ),
    "ethnicity or nationality": (
        # Specific phrases: "foreign key" and "race condition" are everyday data vocabulary.
        r"\baccent\b", r"\bnative speaker\b", r"\bforeigner\b", r"\bethnic\w*",
        r"\bskin colou?r\b", r"\b(?:his|her|their) race\b", r"\bnationality\b",
        r"\bimmigrant\b", r"\bwhere (?:he|she|they) (?:is|are) (?:really )?from\b",
    ),
    "sex or sexual orientation": (
        r"\bgirl\b", r"\bgirls\b", r"\bfemale candidate\b", r"\bmale candidate\b",
        r"\bfor a woman\b", r"\bfor a man\b", r"\bgay\b", r"\blesbian\b", r"\bboyfriend\b",
        r"\bgirlfriend\b", r"\btransgender\b", r"\bfeminine\b", r"\bmasculine\b",
    ),
}

# Phrases that record an impression instead of observed behaviour.
VAGUE: tuple[str, ...] = (
    r"\b(?:good|great|strong|poor|bad|not a) (?:culture|cultural) fit\b",
    r"\bculture fit\b", r"\bseemed nice\b", r"\bnice (?:guy|girl|person)\b",
    r"\bgood vibes?\b", r"\bbad vibes?\b", r"\bgut feel(?:ing)?\b", r"\bi liked (?:him|her|them)\b",
    r"\bi didn'?t like (?:him|her|them)\b", r"\bwould (?:not )?have a beer with\b",
    r"\bnot (?:a )?(?:team )?player\b", r"\blikeable\b", r"\bcharismatic\b",
    r"\bjust (?:didn'?t|did not) click\b", r"\bseems smart\b", r"\bseemed smart\b",
    r"\bgood energy\b", r"\blow energy\b", r"\bprofessional looking\b",
)

_PROTECTED_RE = {topic: re.compile("|".join(p), re.IGNORECASE) for topic, p in PROTECTED.items()}
_VAGUE_RE = re.compile("|".join(VAGUE), re.IGNORECASE)


@dataclass(frozen=True)
class NoteWarning:
    """One warning about a note: the field, the phrase found and what to do about it."""

    field: str
    phrase: str
    kind: str  # "protected" or "vague"
    topic: str
    message: str


def check_note(field: str, text: str) -> list[NoteWarning]:
    """Warnings for one note (empty when the note is clean)."""
    warnings: list[NoteWarning] = []
    if not text:
        return warnings
    for topic, pattern in _PROTECTED_RE.items():
        for match in pattern.finditer(text):
            phrase = match.group(0)
            warnings.append(NoteWarning(
                field, phrase, "protected", topic,
                f'"{phrase}" touches on {topic}, which must not influence the decision. '
                "Keep to job-related evidence unless you are quoting what the candidate said "
                "about the work.",
            ))
    for match in _VAGUE_RE.finditer(text):
        phrase = match.group(0)
        warnings.append(NoteWarning(
            field, phrase, "vague", "non-evidence",
            f'"{phrase}" is an impression, not evidence. Write what the candidate said or did '
            "that led you there.",
        ))
    return warnings


def check_notes(notes: dict[str, str]) -> list[NoteWarning]:
    """Warnings for several fields, in field order, one per distinct phrase and field."""
    seen: set[tuple[str, str]] = set()
    out: list[NoteWarning] = []
    for field, text in notes.items():
        for warning in check_note(field, text):
            key = (field, warning.phrase.lower())
            if key not in seen:
                seen.add(key)
                out.append(warning)
    return out
