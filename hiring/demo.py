"""Demo data for ``make run``: fictional people (example.com) and a living pipeline.

Refused when ``HIRING_ENV=production``. Loading twice changes nothing: the second run says so.
Everything is created through the same operations the pages use, so the demo obeys every rule
(coverage before opening, frozen kits, one submit per scorecard, stage changes with an actor).
The random generator is seeded, so every fresh instance gets the same story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Application, Requisition, User
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

# (title, profile, level, domain packs, team model, status)
DEMO_REQUISITIONS = [
    ("Senior data scientist, pricing", "data-scientist", "senior", ["retail"], "decentralized",
     "open"),
    ("ML engineer, fraud platform", "ml-engineer", "mid", ["finance"], "centralized", "open"),
    ("MLOps engineer, model platform", "mlops-engineer", "mid", [], "centralized", "open"),
    ("Junior data engineer, clinical data", "data-engineer", "junior", ["healthcare"], "hybrid",
     "draft"),
    ("AI project manager, logistics", "project-manager", "mid", ["logistics"], "hybrid",
     "on_hold"),
]

#: A round that ended in the spring: more candidates than the reliability and calibration
#: reports need (30), each through a full loop with two interviewers in every interview, so
#: the reports (and the auditor's adverse-impact report) show what they are for.
PAST_ROUND = ("Data scientist, demand forecasting (spring round)", "data-scientist", "mid",
              ["retail"], "decentralized")
PAST_ROUND_CANDIDATES = 34
PAST_ROUND_DAYS_AGO = 120

FIRST = ["Amara", "Bjorn", "Chiara", "Dmitri", "Esi", "Farid", "Greta", "Hiroshi", "Ines",
         "Jonas", "Kavya", "Liam", "Mei", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sami",
         "Tomasz", "Uma", "Viktor", "Wen", "Yara", "Zeno", "Leila", "Mateo", "Noor"]
LAST = ["Okafor", "Lindqvist", "Bianchi", "Volkov", "Mensah", "Haddad", "Schulz", "Tanaka",
        "Ferreira", "Berg", "Iyer", "Murphy", "Chen", "Rahman", "Nilsson", "Raman", "Dupont",
        "Garcia", "Kallio", "Nowak", "Patel", "Horvat", "Li", "Aziz", "Rossi", "Amini", "Silva",
        "Khan"]
SOURCES = ["referral", "careers page", "meetup", "job board", "conference", "sourcing"]

EVIDENCE = {
    1: ["After two follow-ups still could not describe {c} in their own work; answers stayed "
        "generic.", "Asked and probed on {c}: no concrete example, and one misconception about "
        "the basics."],
    2: ["Got {c} right once prompted: needed the follow-up to name the key trade-off.",
        "Described {c} correctly for a simple case; did not adapt it when the constraints "
        "changed."],
    3: ["Worked through {c} unaided with a real example; weighed two options and chose with "
        "numbers.", "Clear, specific account of {c} from their last project, including what "
        "they would change."],
    4: ["On {c} went beyond the question: anticipated the second-order effects and described "
        "the standard they set for the team.", "Taught me something about {c}; their approach "
        "has been adopted by other teams, with evidence of results."],
}


@dataclass
class DemoCredentials:
    """A demo user's e-mail, name, roles and password (printed once)."""

    email: str
    name: str
    roles: list[str]
    password: str


class DemoAlreadyLoaded(Exception):
    """The demo data is already in this database."""


def load_demo(session: Session, bank_dir: Path | None = None,
              now: datetime | None = None) -> list[DemoCredentials]:
    """Create demo users, load the question bank and build a pipeline, in one unit of work."""
    if find_user_by_email(session, DEMO_USERS[0][0]) is not None:
        raise DemoAlreadyLoaded
    credentials = []
    for email, name, roles in DEMO_USERS:
        password = generate_password()
        # Demo accounts keep their printed password (no forced change) so the tour is quick.
        create_user(session, email=email, name=name, roles=roles, password=password,
                    must_change_password=False)
        credentials.append(DemoCredentials(email, name, roles, password))
    _load_bank(session, bank_dir)
    _pipeline(session, now or datetime.now(UTC))
    return credentials


def _load_bank(session: Session, bank_dir: Path | None) -> None:
    from . import PROJECT_ROOT
    from . import question_bank as qb
    from .operations.bank import load_bank

    bank = qb.read_bank(bank_dir or PROJECT_ROOT / "question_bank")
    if not bank.ok:
        raise RuntimeError("the question bank has errors; run `flask --app hiring bank check`: "
                           + "; ".join(str(p) for p in bank.problems[:3]))
    load_bank(session, bank)


def _user(session: Session, email: str) -> User:
    user = find_user_by_email(session, email)
    if user is None:  # pragma: no cover - created above
        raise RuntimeError(email)
    return user


def _pipeline(session: Session, now: datetime) -> None:
    from .operations.candidates import create_candidate
    from .operations.requisitions import change_status, create_requisition

    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    recruiter = _user(session, "recruiter@example.com")
    manager = _user(session, "manager@example.com")
    panel = [_user(session, "interviewer@example.com"), _user(session, "interviewer2@example.com"),
             manager]
    names = [(f, s) for f, s in zip(FIRST, LAST, strict=True)]
    rng.shuffle(names)
    people = iter(names)
    requisitions: list[Requisition] = []
    for title, profile, level, packs, team, status in DEMO_REQUISITIONS:
        requisition = create_requisition(
            session, actor=recruiter, title=title, profile_key=profile, level=level,
            hiring_manager_id=manager.id, domain_keys=packs, team_model=team,
            location=rng.choice(["Berlin", "Amsterdam", "Lisbon", "Remote (EU)"]),
            timezone="Europe/Berlin",
        )
        if status in ("open", "on_hold"):
            change_status(session, requisition, "open", actor=manager)
        if status == "on_hold":
            change_status(session, requisition, "on_hold", actor=manager)
        requisitions.append(requisition)

    # Candidates: most on the three open requisitions, a few elsewhere.
    plan = [(requisitions[0], 9), (requisitions[1], 7), (requisitions[2], 5),
            (requisitions[4], 2)]
    for requisition, count in plan:
        for index in range(count):
            first, last = next(people)
            application = create_candidate(
                session, actor=recruiter, requisition=requisition, name=f"{first} {last}",
                email=f"{first}.{last}@example.com".lower(),
                phone=f"+49 30 5550{rng.randint(100, 999)}", location=requisition.location,
                source=rng.choice(SOURCES),
            )
            _advance(session, application, index, rng, now, panel, recruiter, manager)
    _past_round(session, now, panel, recruiter, manager)
    _self_identification(session)


def _past_round(session: Session, now: datetime, panel: list[User], recruiter: User,
                manager: User) -> None:
    """The closed spring round: everyone interviewed by pairs, decided with a rationale, the
    two strongest hired, the requisition closed. Its own random stream leaves the rest as is."""
    from .operations.candidates import create_candidate
    from .operations.debrief import record_decision
    from .operations.requisitions import change_status, create_requisition
    from .operations.stages import change_stage

    rng = random.Random(2025)  # noqa: S311 - demo data, not security
    title, profile, level, packs, team = PAST_ROUND
    requisition = create_requisition(
        session, actor=recruiter, title=title, profile_key=profile, level=level,
        hiring_manager_id=manager.id, domain_keys=packs, team_model=team, location="Berlin",
        timezone="Europe/Berlin")
    change_status(session, requisition, "open", actor=manager)
    started = now - timedelta(days=PAST_ROUND_DAYS_AGO)
    abilities = []
    for index in range(PAST_ROUND_CANDIDATES):
        first = FIRST[index % len(FIRST)]
        last = LAST[(5 * index + 11) % len(LAST)]
        if index >= len(FIRST):  # a second pass over the first names: double surnames
            last = f"{last}-{LAST[(3 * index) % len(LAST)]}"
        application = create_candidate(
            session, actor=recruiter, requisition=requisition, name=f"{first} {last}",
            email=f"{first}.{last}.spring@example.com".lower(),
            location="Berlin", source=rng.choice(SOURCES))
        change_stage(session, application, "screen", actor=recruiter,
                     reason_text="Profile matches the role.")
        change_stage(session, application, "interviewing", actor=recruiter,
                     reason_text="Screen passed.")
        ability = rng.uniform(1.6, 3.8)
        _interview_loop(session, application, rng, now, panel, recruiter, ability, past=True,
                        upcoming_for_first=False, start=started + timedelta(days=index % 20),
                        pairs=True, noise=0.3)
        change_stage(session, application, "debrief", actor=manager,
                     reason_text="Loop complete; debrief held.")
        abilities.append((ability, application))
    abilities.sort(key=lambda pair: pair[0], reverse=True)
    for rank, (_ability, application) in enumerate(abilities):
        if rank < 2:
            record_decision(session, application, actor=manager, kind="offer",
                            rationale="Above the bar on every must-have; strongest evidence "
                                      "on forecasting and experimentation.")
            record_decision(session, application, actor=manager, kind="hire",
                            rationale="Offer accepted.")
        else:
            record_decision(session, application, actor=manager, kind="reject",
                            reason_code="below_bar_must_have",
                            rationale="Below the bar on at least one must-have across the "
                                      "loop; a stronger candidate was hired.")
    change_status(session, requisition, "closed", actor=manager)


def _self_identification(session: Session) -> None:
    """Voluntary self-identification for most demo applications (stored apart; auditors see it
    in aggregate on the adverse-impact report). Its own random stream leaves the rest as is."""
    from .models import SelfIdentification
    from .models.fairness import RACE_ETHNICITY_CHOICES, SEX_CHOICES

    answers = random.Random(11)  # noqa: S311 - demo data, not security
    for application in session.scalars(select(Application).order_by(Application.id)):
        if answers.random() < 0.15:
            continue  # did not answer
        session.add(SelfIdentification(
            application_id=application.id, sex=answers.choice(list(SEX_CHOICES)),
            race_ethnicity=answers.choice(list(RACE_ETHNICITY_CHOICES))))
    session.flush()


def _advance(session: Session, application: Application, index: int, rng: random.Random,
             now: datetime, panel: list[User], recruiter: User, manager: User) -> None:
    """Move a demo application along: the first ones furthest, with full interview loops."""
    from .operations.stages import change_stage

    requisition = application.requisition
    if requisition.status != "open":
        return
    if index >= 7:
        return  # still applied
    change_stage(session, application, "screen", actor=recruiter,
                 reason_text="Profile matches the role.")
    if index >= 6:
        return
    change_stage(session, application, "interviewing", actor=recruiter,
                 reason_text="Screen passed.")
    ability = rng.uniform(1.8, 3.7)
    complete = index < 4
    _interview_loop(session, application, rng, now, panel, recruiter, ability,
                    past=complete, upcoming_for_first=index == 4)
    if index == 0:
        change_stage(session, application, "debrief", actor=manager,
                     reason_text="Loop complete; debrief scheduled.")
    elif index == 3:
        change_stage(session, application, "rejected", actor=manager,
                     reason_code="below_bar_must_have",
                     reason_text="Below the bar on a must-have in two interviews.")


def _interview_loop(session: Session, application: Application, rng: random.Random,
                    now: datetime, panel: list[User], recruiter: User, ability: float, *,
                    past: bool, upcoming_for_first: bool, start: datetime | None = None,
                    pairs: bool = False, noise: float = 0.5) -> None:
    from .operations.interviews import schedule_interview
    from .operations.requisitions import latest_competency_versions
    from .operations.scorecards import RatingInput, ScorecardInput, save_draft, submit

    requisition = application.requisition
    steps = list(requisition.steps)[:4]
    leniency = {panel[0].id: 0.0, panel[1].id: 0.45, panel[2].id: -0.2}
    if start is None:
        start = now - timedelta(days=rng.randint(3, 12)) if past else now + timedelta(days=2)
    for offset, step in enumerate(steps):
        starts_at = (start + timedelta(days=offset)).replace(minute=0, second=0, microsecond=0,
                                                             hour=9 + offset)
        interviewers = [panel[offset % 2]] + ([panel[(offset + 1) % 2]] if pairs else []) \
            + ([panel[2]] if offset == len(steps) - 1 else [])
        interview = schedule_interview(
            session, actor=recruiter, application=application, step_id=step.id,
            starts_at=starts_at, minutes=step.minutes, interviewer_ids=[p.id for p in
                                                                         interviewers],
            location="Room Turing" if offset % 2 else "",
            video_url="" if offset % 2 else "https://meet.example.com/hiring-demo",
        )
        if not past:
            if not upcoming_for_first:
                return
            continue
        focus = [f.competency_id for f in interview.kit_version.focus]
        names = {cid: v.name for cid, v in latest_competency_versions(session, focus).items()}
        for person in interviewers:
            data = ScorecardInput()
            for cid in focus:
                if rng.random() < 0.08:
                    data.ratings[cid] = RatingInput(None, "not_asked_time", "")
                    continue
                true = ability + rng.gauss(0, noise) + leniency[person.id]
                rating = min(4, max(1, round(true)))
                text = rng.choice(EVIDENCE[rating]).format(c=names.get(cid, "this").lower())
                data.ratings[cid] = RatingInput(rating, None, text)
            for item in interview.kit_version.items:
                data.question_notes[item.question_version_id] = (
                    "Answered with a concrete example; notes above.", None)
            rated = [r.rating for r in data.ratings.values() if r.rating]
            mean = sum(rated) / len(rated) if rated else 2
            data.recommendation = ("strong_yes" if mean >= 3.5 else "yes" if mean >= 2.75
                                   else "no" if mean >= 1.75 else "strong_no")
            data.takeaways = ("Clear evidence on the core competencies." if mean >= 2.75 else
                              "Shortfalls on at least one core competency.")
            save_draft(session, interview.id, person, data, expected_version=None)
            submit(session, interview.id, person, data, expected_version=None, now=now)


def demo_summary(session: Session) -> dict[str, int]:
    """Counts that ``demo load`` prints after loading."""
    from sqlalchemy import func

    from .models import Interview, Scorecard

    return {
        "requisitions": session.scalar(select(func.count(Requisition.id))) or 0,
        "applications": session.scalar(select(func.count(Application.id))) or 0,
        "interviews": session.scalar(select(func.count(Interview.id))) or 0,
        "scorecards": session.scalar(select(func.count(Scorecard.id))) or 0,
    }
