"""Interview plans: the default plan for a profile, the coverage check, and kit proposals.

Pure functions on plain data (no Flask, no database), so the rules are easy to read and test.

Coverage rules (DESIGN.md glossary, issue 6):
- every competency of the profile level and of the chosen domain packs is the focus of at least
  one interview;
- every must-have is the focus of two *different* interviews (two independent looks at a hurdle);
- an interview may focus on at most ``minutes // MINUTES_PER_COMPETENCY`` competencies: probing one
  competency properly (a main question, two follow-ups, a note) takes about 12 minutes, so a
  45-minute interview holds three and an hour five. More is flagged as overloaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

MINUTES_PER_COMPETENCY = 12
# Minutes of every interview reserved for the introduction and the candidate's questions; kits
# are filled with questions up to the rest.
KIT_OVERHEAD_MINUTES = 10


@dataclass(frozen=True)
class CompetencyNeed:
    """A competency the plan must cover, with what the profile (or domain pack) says of it."""

    key: str
    name: str
    category: str  # technical | domain | soft
    weight: int
    must_have: bool = False
    has_work_sample: bool = False


@dataclass
class StepDraft:
    """A proposed interview of the plan."""

    name: str
    minutes: int
    focus: list[str] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        """How many focus competencies fit this interview's minutes."""
        return max(self.minutes // MINUTES_PER_COMPETENCY, 1)


@dataclass
class CoverageReport:
    """The outcome of :func:`check_coverage`."""

    uncovered: list[str]
    must_have_short: dict[str, int]  # must-have key -> number of interviews covering it (< 2)
    overloaded: dict[int, tuple[int, int]]  # step index -> (focus count, capacity)
    unknown_focus: dict[int, list[str]]  # step index -> focus keys not in the profile or packs
    total_minutes: int
    coverage_by_competency: dict[str, list[int]]  # key -> step indexes covering it

    @property
    def ok(self) -> bool:
        """Every competency covered and every must-have covered twice (overload only warns)."""
        return not self.uncovered and not self.must_have_short

    @property
    def problems(self) -> list[str]:
        """Human-readable problems, blocking ones first."""
        out = [f"{key} is not the focus of any interview" for key in self.uncovered]
        out += [f"must-have {key} is covered by {n} interview{'s' if n != 1 else ''}, needs 2"
                for key, n in self.must_have_short.items()]
        out += [f"interview {i + 1} has {n} focus competencies; its minutes allow {cap}"
                for i, (n, cap) in self.overloaded.items()]
        return out


def check_coverage(
    needs: Sequence[CompetencyNeed], steps: Sequence[tuple[int, Iterable[str]]]
) -> CoverageReport:
    """Check a plan: ``steps`` are (minutes, focus keys) in plan order."""
    wanted = {need.key: need for need in needs}
    covering: dict[str, list[int]] = {need.key: [] for need in needs}
    overloaded: dict[int, tuple[int, int]] = {}
    unknown: dict[int, list[str]] = {}
    total = 0
    for index, (minutes, focus) in enumerate(steps):
        keys = list(dict.fromkeys(focus))
        total += minutes
        capacity = max(minutes // MINUTES_PER_COMPETENCY, 1)
        if len(keys) > capacity:
            overloaded[index] = (len(keys), capacity)
        for key in keys:
            if key in covering:
                covering[key].append(index)
            else:
                unknown.setdefault(index, []).append(key)
    uncovered = [key for key, where in covering.items() if not where]
    short = {
        key: len(where) for key, where in covering.items()
        if wanted[key].must_have and where and len(where) < 2
    }
    return CoverageReport(uncovered, short, overloaded, unknown, total, covering)


def propose_plan(needs: Sequence[CompetencyNeed]) -> list[StepDraft]:
    """A default plan that covers every need, must-haves twice, within each step's capacity.

    The loop follows common structured-hiring practice: a short screen on communication and
    motivation, a technical deep-dive on the heaviest technical competencies, a work sample where
    the bank has one, a domain interview when domain packs are chosen, a behavioural interview on
    the soft skills, and a hiring-manager interview that takes second looks at the must-haves.
    """
    technical = sorted((n for n in needs if n.category == "technical"),
                       key=lambda n: (-n.must_have, -n.weight, n.key))
    soft = sorted((n for n in needs if n.category == "soft"),
                  key=lambda n: (-n.must_have, -n.weight, n.key))
    domain = sorted((n for n in needs if n.category == "domain"),
                    key=lambda n: (-n.must_have, -n.weight, n.key))

    screen = StepDraft("Screen", 30)
    deep_dive = StepDraft("Technical deep-dive", 60)
    work_sample = StepDraft("Work sample", 60)
    domain_step = StepDraft("Domain interview", 45)
    behavioural = StepDraft("Behavioural interview", 45)
    manager = StepDraft("Hiring-manager interview", 45)

    def place(step: StepDraft, need: CompetencyNeed) -> bool:
        if need.key in step.focus or len(step.focus) >= step.capacity:
            return False
        step.focus.append(need.key)
        return True

    # First looks.
    preferred_screen = [n for n in soft if n.key == "communication-non-experts"] or soft[:1]
    for need in preferred_screen:
        place(screen, need)
    for need in technical:
        if need.has_work_sample and place(work_sample, need):
            continue
        if place(deep_dive, need):
            continue
        if place(work_sample, need):
            continue
        place(manager, need)
    for need in domain:
        place(domain_step, need)
    for need in soft:
        if need.key in screen.focus:
            continue
        if not place(behavioural, need):
            place(manager, need)

    steps = [screen, deep_dive, work_sample, domain_step, behavioural, manager]
    # Anything still unplaced gets an extra deep-dive (large profiles).
    placed = {key for step in steps for key in step.focus}
    extra_index = 2
    for need in [*technical, *domain, *soft]:
        if need.key in placed:
            continue
        target = next((s for s in steps if s.name.startswith("Technical deep-dive")
                       and len(s.focus) < s.capacity), None)
        if target is None:
            target = StepDraft(f"Technical deep-dive {extra_index}", 60)
            extra_index += 1
            steps.insert(steps.index(manager), target)
        target.focus.append(need.key)
        placed.add(need.key)

    # Second looks at must-haves, in a different interview: the hiring manager's first.
    for need in [n for n in needs if n.must_have]:
        covering = [s for s in steps if need.key in s.focus]
        if len(covering) >= 2:
            continue
        covering_ids = {id(s) for s in covering}
        preferred = [manager, behavioural, deep_dive, domain_step, screen, work_sample, *steps]
        candidates: list[StepDraft] = []
        for step in preferred:  # keep the order of preference, each step once (by identity)
            if id(step) not in covering_ids and all(step is not c for c in candidates):
                candidates.append(step)
        roomy = next((s for s in candidates if len(s.focus) < s.capacity), None)
        target = roomy or candidates[0]
        if roomy is None:
            target.minutes += MINUTES_PER_COMPETENCY  # make room rather than skip a hurdle
        target.focus.append(need.key)
    return [step for step in steps if step.focus]


@dataclass(frozen=True)
class QuestionOption:
    """A question version that could go into a kit."""

    version_id: int
    competency: str
    kind: str
    minutes: int
    levels: tuple[str, ...]
    public_id: str = ""
    alternate_of: str | None = None


def propose_kit(
    focus: Sequence[str], minutes: int, level: str, options: Iterable[QuestionOption], *,
    prefer_work_sample: bool = False,
) -> list[int]:
    """Question version ids for an interview: at least one per focus competency where the bank
    has one for this level, then more while the minutes allow, varying the kind.

    Alternates of a question already chosen are skipped (they exist to replace it, not repeat it).
    """
    budget = max(minutes - KIT_OVERHEAD_MINUTES, MINUTES_PER_COMPETENCY)
    by_competency: dict[str, list[QuestionOption]] = {key: [] for key in focus}
    for option in options:
        if option.competency in by_competency and level in option.levels:
            by_competency[option.competency].append(option)
    for key, pool in by_competency.items():
        pool.sort(key=lambda o: (
            0 if (prefer_work_sample and o.kind == "work-sample") else 1,
            o.alternate_of is not None,  # originals before their alternates
            o.minutes, o.public_id,
        ))
        by_competency[key] = pool

    chosen: list[QuestionOption] = []
    used_minutes = 0

    def blocked(option: QuestionOption) -> bool:
        ids = {c.public_id for c in chosen}
        return option.public_id in ids or (option.alternate_of in ids) or any(
            c.alternate_of == option.public_id for c in chosen
        )

    # Round 1: one question per competency, fitting the minutes where possible (a competency
    # whose every question is too long still gets its shortest one: coverage comes first).
    # Work samples are long, so a kit holds one unless the minutes allow more.
    for key in focus:
        pool = [o for o in by_competency.get(key, []) if not blocked(o)]
        if any(c.kind == "work-sample" for c in chosen):
            pool = [o for o in pool if o.kind != "work-sample"] or pool
        fitting = [o for o in pool if used_minutes + o.minutes <= budget]
        pick = fitting[0] if fitting else min(pool, key=lambda o: o.minutes, default=None)
        if pick is not None:
            chosen.append(pick)
            used_minutes += pick.minutes
    # Further rounds: add questions of a kind not yet used for that competency, while they fit.
    added = True
    while added:
        added = False
        for key in focus:
            kinds = {c.kind for c in chosen if c.competency == key}
            for option in by_competency.get(key, []):
                if blocked(option) or used_minutes + option.minutes > budget:
                    continue
                if option.kind in kinds and len(kinds) < 2:
                    continue
                chosen.append(option)
                used_minutes += option.minutes
                added = True
                break
    order = {key: i for i, key in enumerate(focus)}
    chosen.sort(key=lambda o: (order[o.competency], o.minutes))
    return [option.version_id for option in chosen]
