"""The adverse-impact report (auditor only) and the model card's impact check.

Reads self-identification (``self_identifications``, and ``history_demographics`` for role
reports), stages and stored scores, and hands counts to :mod:`hiring.analytics.fairness`.
Self-identification leaves this module only as aggregates: categories with counts, rates and
ratios, never per person (SECURITY.md AI-4, DP-1).

Report (:func:`impact_report`)
    Scope: one requisition, or every requisition of a role; applications whose ``created_at``
    (the application date) falls in the date range. Per selection step (:data:`STEPS`: screen
    passed, offer, hire, and the bottom line) and per axis (sex, race/ethnicity, their
    intersection): :func:`~hiring.analytics.fairness.selection_impact` with the unknown count
    and withdrawals by group; for role reports with two or more requisitions, each category
    pooled against the axis's reference category across requisitions
    (:func:`~hiring.analytics.fairness.mantel_haenszel`). Scoring impact: the stored scores of
    profile fit and of each learned model version over the applicants it scored
    (:func:`~hiring.analytics.fairness.scoring_impact`, with Fisher p-values, intervals and
    shortfalls from the same counts). Role reports add the imported history's hires, whose
    rows carry no application date (so the date range does not apply to them).

    The returned dict is what ``flask --app hiring report impact --json`` prints and what the
    CSV export writes: raw counts. Pages suppress counts of 1-4 people ("<5").

Model card (:func:`model_card_impact`, :func:`adoption_impact_lines`)
    A trained model's scoring impact ratios over the role's applicants of the last 12 months it
    would have scored (their current evidence), ratios only; categories under 5 people are not
    shown. Adopting a model with any ratio under 0.8 needs an acknowledgement.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..analytics.fairness import intersect, mantel_haenszel, scoring_impact, selection_impact
from ..analytics.impact import (
    NOT_SELECTED,
    SELECTED,
    STEPS,
    SUPPRESS_BELOW,
    WITHDREW,
    furthest_stage,
    normalise_category,
    step_outcome,
    suppressed,
)
from ..candidates_csv import write_csv
from ..models import (
    Application,
    HistoryDemographics,
    HistoryRow,
    ModelVersion,
    ProfileVersion,
    Requisition,
    RoleProfile,
    Score,
    SelfIdentification,
    StageChange,
    User,
)
from ..models.fairness import RACE_ETHNICITY_CHOICES, SEX_CHOICES
from . import NotFound, OperationError
from .audit import record

AXES: dict[str, str] = {"sex": "Sex", "race_ethnicity": "Race/ethnicity",
                        "intersection": "Sex × race/ethnicity"}
FOUR_FIFTHS = 0.8
#: The model card looks back this many days for applicants a candidate model would have scored.
CARD_WINDOW_DAYS = 365
PROFILE_FIT_KIND = "profile_fit"


# ---------------------------------------------------------------------------- scope


def _parse_date(value: str | date | None, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise OperationError(f"{what} must be a date as YYYY-MM-DD, not {value!r}.") from exc


def _scope(session: Session, requisition_id: int | None, role: str | None
           ) -> tuple[str, list[Requisition], str | None]:
    if requisition_id is not None and role:
        raise OperationError("Choose a requisition or a role, not both.")
    if requisition_id is not None:
        requisition = session.get(Requisition, requisition_id)
        if requisition is None:
            raise NotFound(f"No requisition {requisition_id}.")
        role_key = session.scalar(
            select(RoleProfile.key)
            .join(ProfileVersion, ProfileVersion.profile_id == RoleProfile.id)
            .where(ProfileVersion.id == requisition.profile_version_id))
        return "requisition", [requisition], role_key
    if role:
        if session.scalar(select(RoleProfile.id).where(RoleProfile.key == role)) is None:
            raise NotFound(f"No role profile {role!r}.")
        requisitions = list(session.scalars(
            select(Requisition)
            .join(ProfileVersion, ProfileVersion.id == Requisition.profile_version_id)
            .join(RoleProfile, RoleProfile.id == ProfileVersion.profile_id)
            .where(RoleProfile.key == role).order_by(Requisition.id)))
        return "role", requisitions, role
    raise OperationError("Choose a requisition or a role.")


def score_value(kind: str, state: str, mean: float | None, result: Mapping[str, Any] | None
                ) -> float | None:
    """What the scoring-impact figures compare for one stored score: profile fit's mean, a
    learned model's probability; None when there is no usable number."""
    if state != "ok":
        return None
    value = mean if kind == PROFILE_FIT_KIND else (result or {}).get("probability")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def categories(sex: str | None, race: str | None) -> dict[str, str | None]:
    """Self-identification as the report's categories on each axis (None: unknown)."""
    s = normalise_category(sex, SEX_CHOICES)
    r = normalise_category(race, RACE_ETHNICITY_CHOICES)
    return {"sex": s, "race_ethnicity": r, "intersection": intersect(s, r)}


# ---------------------------------------------------------------------------- statistics


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean(data: Any) -> Any:
    """JSON-safe copy: non-finite floats become None, tuples lists, keys strings."""
    if isinstance(data, Mapping):
        return {str(k): _clean(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_clean(v) for v in data]
    return _finite(data)


def _selection_axis(people: Sequence[tuple[str | None, str]]) -> dict[str, Any]:
    """``(category, outcome)`` per person at one step -> counts and selection impact."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # decided, selected, withdrew
    unknown = [0, 0, 0]
    for category, outcome in people:
        if outcome not in (SELECTED, NOT_SELECTED, WITHDREW):
            continue  # still waiting for a decision at this step
        tally = unknown if category is None else counts[category]
        if outcome in (SELECTED, NOT_SELECTED):
            tally[0] += 1
            tally[1] += outcome == SELECTED
        elif outcome == WITHDREW:
            tally[2] += 1
    groups = {c: (t[0], t[1]) for c, t in counts.items() if t[0] > 0}
    result = selection_impact(groups) if groups else {}
    categories = {}
    for category in sorted(counts):
        decided, selected, withdrew = counts[category]
        entry = dict(result.get(category) or {"applicants": decided, "selected": selected})
        entry["withdrawn"] = withdrew
        categories[category] = entry
    return {"categories": categories,
            "unknown": {"applicants": unknown[0], "selected": unknown[1],
                        "withdrawn": unknown[2]},
            "reference": next((c for c, e in result.items() if e.get("reference")), None)}


def _pooled(strata: Sequence[Mapping[str, tuple[int, int]]], reference: str | None,
            categories: Iterable[str]) -> dict[str, Any] | None:
    """Each category against ``reference`` pooled across requisitions (Mantel-Haenszel)."""
    usable = [s for s in strata if s]
    if reference is None or len(usable) < 2:
        return None
    out: dict[str, Any] = {"reference": reference, "categories": {}}
    for category in categories:
        if category == reference:
            continue
        try:
            out["categories"][category] = mantel_haenszel(usable, category, reference)
        except ValueError:
            continue
    return out


def _scoring_axis(scores: Sequence[float], categories: Sequence[str | None]) -> dict[str, Any]:
    """Scoring impact on one axis, with Fisher p-values, intervals and shortfalls."""
    if not any(c is not None for c in categories):
        return {"median": None, "unknown": len(scores), "categories": {}, "reference": None}
    result = scoring_impact(scores, categories)
    tests = selection_impact({c: (e["count"], e["above"])
                              for c, e in result["categories"].items()})
    merged = {}
    for category in sorted(result["categories"]):
        entry = dict(result["categories"][category])
        extra = tests[category]
        entry.update(reference=extra["reference"], p_value=extra["p_value"], z=extra["z"],
                     ci_low=extra["ci_low"], ci_high=extra["ci_high"],
                     shortfall=extra["shortfall"], flips=extra["flips"])
        merged[category] = entry
    return {"median": result["median"], "unknown": result["unknown"], "categories": merged,
            "reference": next((c for c, e in merged.items() if e["reference"]), None)}


# ---------------------------------------------------------------------------- report


def _model_label(kind: str, names: Mapping[str, str]) -> str:
    if kind == PROFILE_FIT_KIND:
        return "Profile fit"
    parts = kind.split(":")
    if len(parts) == 3 and parts[0] == "learned":
        return f"Learned model {names.get(parts[1], parts[1])} {parts[2]}"
    return kind


def impact_report(session: Session, *, requisition_id: int | None = None,
                  role: str | None = None, date_from: str | date | None = None,
                  date_to: str | date | None = None) -> dict[str, Any]:
    """The adverse-impact report as plain, JSON-safe data with raw counts (see the module
    docstring). Raises :class:`OperationError` for a bad scope or date, NotFound for an unknown
    requisition or role."""
    start, end = _parse_date(date_from, "--from"), _parse_date(date_to, "--to")
    if start and end and start > end:
        raise OperationError("The start date is after the end date.")
    kind, requisitions, role_key = _scope(session, requisition_id, role)
    ids = [r.id for r in requisitions]
    statement = select(Application.id, Application.requisition_id, Application.stage).where(
        Application.requisition_id.in_(ids))
    if start:
        statement = statement.where(
            Application.created_at >= datetime.combine(start, time.min, tzinfo=UTC))
    if end:
        statement = statement.where(
            Application.created_at < datetime.combine(end + timedelta(days=1), time.min,
                                                      tzinfo=UTC))
    apps = session.execute(statement.order_by(Application.id)).all() if ids else []
    # Erased applicants stay in the figures as anonymous counts (SECURITY.md DP-2); they carry
    # no application date, so a report with a date range covers the applicants still held.
    from .privacy import retained_outcomes

    erased = retained_outcomes(session, ids) if ids and not (start or end) else None
    app_ids = [a.id for a in apps]
    answers = {row.application_id: categories(row.sex, row.race_ethnicity)
               for row in _chunked(session, select(SelfIdentification),
                                   SelfIdentification.application_id, app_ids)}
    none = categories(None, None)
    visited: dict[int, list[str]] = defaultdict(list)
    for application_id, from_stage, to_stage in _chunked_rows(
            session, select(StageChange.application_id, StageChange.from_stage,
                            StageChange.to_stage), StageChange.application_id, app_ids):
        visited[application_id].extend(s for s in (from_stage, to_stage) if s)

    selection = []
    for step in STEPS:
        outcomes = []
        for app in apps:
            outcome = step_outcome(step, app.stage, furthest_stage(app.stage, visited[app.id]))
            if outcome is not None:
                outcomes.append((app, outcome))
        axes = {}
        for axis in AXES:
            extra = erased.people(step.key, axis) if erased else []
            data = _selection_axis([(answers.get(a.id, none)[axis], o) for a, o in outcomes]
                                   + [(category, o) for _, category, o in extra])
            if kind == "role" and len(ids) > 1:
                strata = []
                for requisition_id_ in ids:
                    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0])
                    for app, outcome in outcomes:
                        category = answers.get(app.id, none)[axis]
                        if app.requisition_id != requisition_id_ or category is None or \
                                outcome not in (SELECTED, NOT_SELECTED):
                            continue
                        tallies[category][0] += 1
                        tallies[category][1] += outcome == SELECTED
                    for rid, category, outcome in extra:  # erased applicants (counts)
                        if rid == requisition_id_ and category is not None and \
                                outcome in (SELECTED, NOT_SELECTED):
                            tallies[category][0] += 1
                            tallies[category][1] += outcome == SELECTED
                    strata.append({c: (n, x) for c, (n, x) in tallies.items()})
                data["pooled"] = _pooled(strata, data["reference"], data["categories"])
            else:
                data["pooled"] = None
            axes[axis] = data
        selection.append({"step": step.key, "label": step.label, "entry_stage": step.entry,
                          "pass_stage": step.passed,
                          "entered": len(outcomes) + len(erased.people(step.key, "sex")
                                                         if erased else []),
                          "decided": sum(o in (SELECTED, NOT_SELECTED) for _, o in outcomes)
                          + sum(o in (SELECTED, NOT_SELECTED)
                                for _, _, o in (erased.people(step.key, "sex") if erased
                                                else [])),
                          "axes": axes})

    names = dict(session.execute(
        select(RoleProfile.key, ProfileVersion.name)
        .join(ProfileVersion, ProfileVersion.profile_id == RoleProfile.id)).all())
    scored: dict[str, list[tuple[Mapping[str, str | None], float]]] = defaultdict(list)
    for application_id, score_kind, state, mean, result in _chunked_rows(
            session, select(Score.application_id, Score.kind, Score.state, Score.mean,
                            Score.result), Score.application_id, app_ids):
        value = score_value(score_kind, state, mean, result)
        if value is not None:
            scored[score_kind].append((answers.get(application_id, none), value))
    for score_kind, entries in (erased.scores if erased else {}).items():
        scored[score_kind].extend(entries)  # erased applicants' scores, by category only
    scoring = []
    for score_kind in sorted(scored, key=lambda k: (k != PROFILE_FIT_KIND, k)):
        rows = scored[score_kind]
        axes = {axis: _scoring_axis([v for _, v in rows], [c[axis] for c, _ in rows])
                for axis in AXES}
        scoring.append({"model": score_kind, "label": _model_label(score_kind, names),
                        "scored": len(rows), "axes": axes})

    identified = {axis: sum(1 for a in app_ids if answers.get(a, none)[axis] is not None)
                  + (erased.identified(axis) if erased else 0)
                  for axis in AXES}
    report = {
        "scope": {"kind": kind, "requisition": requisition_id, "role": role_key,
                  "requisitions": ids, "from": start.isoformat() if start else None,
                  "to": end.isoformat() if end else None,
                  "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "axes": dict(AXES),
        "applicants": len(app_ids) + (erased.applicants if erased else 0),
        "self_identified": identified,
        "alternative_process_note": "Applicants in the alternative process are counted in "
                                    "selection; they have no automated scores.",
        "selection": selection,
        "scoring": scoring,
        "history": _history(session, role_key) if kind == "role" and role_key else None,
        "suppress_below": SUPPRESS_BELOW,
        "four_fifths": FOUR_FIFTHS,
    }
    return _clean(report)


def _history(session: Session, role: str) -> dict[str, Any] | None:
    """Imported history of the role: hired among all imported applicants, by group."""
    rows = session.execute(
        select(HistoryRow.hired, HistoryDemographics.sex, HistoryDemographics.race_ethnicity)
        .outerjoin(HistoryDemographics, HistoryDemographics.row_id == HistoryRow.id)
        .where(HistoryRow.role == role)).all()
    if not rows:
        return None
    people = [(categories(sex, race), SELECTED if hired else NOT_SELECTED)
              for hired, sex, race in rows]
    return {"rows": len(rows),
            "axes": {axis: _selection_axis([(c[axis], o) for c, o in people])
                     for axis in AXES},
            "note": "Imported history (history_demographics): hired among all imported "
                    "applicants of the role. History rows carry no application date, so the "
                    "date range does not apply to them."}


def _chunked(session: Session, statement: Any, column: Any, ids: Sequence[int]) -> list[Any]:
    out = []
    for start in range(0, len(ids), 900):
        out.extend(session.scalars(statement.where(column.in_(ids[start:start + 900]))))
    return out


def _chunked_rows(session: Session, statement: Any, column: Any, ids: Sequence[int]
                  ) -> list[Any]:
    out = []
    for start in range(0, len(ids), 900):
        out.extend(session.execute(statement.where(column.in_(ids[start:start + 900]))).all())
    return out


# ---------------------------------------------------------------------------- display, export


def display_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """The report as pages show it: every count of 1-4 people replaced by "<5", and on rows with
    a suppressed count the rate, ratio, interval, p-value and shortfall hidden as well (they
    would give the count away). Flags (adverse, small group) stay."""
    def row(entry: Mapping[str, Any], people: str, chosen: str) -> dict[str, Any]:
        out = dict(entry)
        hide = any(suppressed(entry.get(k)) for k in (people, chosen, "withdrawn"))
        for key in (people, chosen, "withdrawn"):
            if key in out:
                out[key] = _show(out[key])
        out["suppressed"] = hide
        if hide:
            for key in ("rate", "scoring_rate", "impact_ratio", "ci_low", "ci_high", "p_value",
                        "z", "shortfall", "share"):
                if key in out:
                    out[key] = None
        return out

    def axis(data: Mapping[str, Any], people: str, chosen: str) -> dict[str, Any]:
        out = dict(data)
        out["categories"] = {c: row(e, people, chosen) for c, e in data["categories"].items()}
        unknown = data.get("unknown")
        if isinstance(unknown, Mapping):
            out["unknown"] = {k: _show(v) for k, v in unknown.items()}
        else:
            out["unknown"] = _show(unknown)
        pooled = data.get("pooled")
        if pooled:
            hidden = {c for c, e in out["categories"].items() if e["suppressed"]}
            out["pooled"] = dict(pooled, categories={
                c: e for c, e in pooled["categories"].items()
                if c not in hidden and out["categories"].get(pooled["reference"], {}).get(
                    "suppressed") is not True})
        return out

    shown = dict(report)
    shown["selection"] = [dict(s, axes={a: axis(d, "applicants", "selected")
                                        for a, d in s["axes"].items()})
                          for s in report["selection"]]
    shown["scoring"] = [dict(m, axes={a: axis(d, "count", "above")
                                      for a, d in m["axes"].items()})
                        for m in report["scoring"]]
    if report.get("history"):
        shown["history"] = dict(report["history"], axes={
            a: axis(d, "applicants", "selected") for a, d in report["history"]["axes"].items()})
    shown["self_identified"] = {k: _show(v) for k, v in report["self_identified"].items()}
    return shown


def _show(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and suppressed(value):
        return f"<{SUPPRESS_BELOW}"
    return value


CSV_HEADER = ("section", "item", "axis", "category", "people", "selected_or_above", "withdrawn",
              "rate", "impact_ratio", "adverse", "reference", "share", "small", "p_value", "z",
              "ci_low", "ci_high", "shortfall", "median", "mh_rate_ratio", "mh_odds_ratio",
              "mh_chi2", "mh_p_value", "mh_strata")


def report_csv(report: Mapping[str, Any]) -> str:
    """The report as CSV with the raw counts (for an independent auditor); formula-safe text,
    numbers as numbers (:func:`hiring.candidates_csv.write_csv`)."""
    rows: list[list[Any]] = []
    scope = report["scope"]
    for key in ("kind", "requisition", "role", "from", "to", "generated_at"):
        rows.append(["scope", key, "", scope.get(key)] + [None] * (len(CSV_HEADER) - 4))
    rows.append(["scope", "requisitions", "", " ".join(map(str, scope["requisitions"]))]
                + [None] * (len(CSV_HEADER) - 4))
    rows.append(["scope", "applicants", "", None, report["applicants"]]
                + [None] * (len(CSV_HEADER) - 5))

    def emit(section: str, item: str, axis: str, data: Mapping[str, Any], people: str,
             chosen: str, median: Any = None) -> None:
        pooled = (data.get("pooled") or {}).get("categories", {})
        for category, e in data["categories"].items():
            mh = pooled.get(category) or {}
            rows.append([
                section, item, axis, category, e.get(people), e.get(chosen), e.get("withdrawn"),
                e.get("rate", e.get("scoring_rate")), e.get("impact_ratio"), e.get("adverse"),
                e.get("reference"), e.get("share"), e.get("small"), e.get("p_value"),
                e.get("z"), e.get("ci_low"), e.get("ci_high"), e.get("shortfall"), median,
                mh.get("rate_ratio"), mh.get("odds_ratio"), mh.get("chi2"), mh.get("p_value"),
                mh.get("n_strata")])
        unknown = data.get("unknown")
        if isinstance(unknown, Mapping):
            rows.append([section, item, axis, "(unknown)", unknown.get("applicants"),
                         unknown.get("selected"), unknown.get("withdrawn")]
                        + [None] * (len(CSV_HEADER) - 7))
        else:
            rows.append([section, item, axis, "(unknown)", unknown]
                        + [None] * (len(CSV_HEADER) - 5))

    for step in report["selection"]:
        for axis, data in step["axes"].items():
            emit("selection", step["step"], axis, data, "applicants", "selected")
    for model in report["scoring"]:
        for axis, data in model["axes"].items():
            emit("scoring", model["model"], axis, data, "count", "above", data.get("median"))
    if report.get("history"):
        for axis, data in report["history"]["axes"].items():
            emit("history", "hire", axis, data, "applicants", "selected")
    return write_csv(CSV_HEADER, rows)


def record_export(session: Session, report: Mapping[str, Any], *, actor: User | None,
                  channel: str) -> None:
    """Audit an export of the report (who, scope; no counts, no categories)."""
    scope = report["scope"]
    record(session, "report.impact.export", actor_id=actor.id if actor else None,
           subject_type="requisition" if scope["kind"] == "requisition" else "role",
           subject_id=scope["requisition"] if scope["kind"] == "requisition" else scope["role"],
           channel=channel, date_from=scope["from"], date_to=scope["to"])


# ---------------------------------------------------------------------------- model card


def model_card_impact(session: Session, role: str, card: Mapping[str, Any], *,
                      now: datetime | None = None) -> dict[str, Any]:
    """A trained model's scoring impact ratios over the role's applicants of the last
    :data:`CARD_WINDOW_DAYS` days that it would have scored (their current evidence; the
    alternative process left out). Ratios only: no counts or rates; categories under 5 people
    are neither shown nor given a ratio (``suppressed``).

    ``adverse`` lists every ratio under 0.8, small categories included (stated without naming
    them), for :func:`adoption_impact_lines`.
    """
    from ..scoring import LearnedModel
    from .learned import evidence_as_at

    now = now or datetime.now(UTC)
    since = now - timedelta(days=CARD_WINDOW_DAYS)
    out: dict[str, Any] = {"window_from": since.date().isoformat(),
                           "window_to": now.date().isoformat(), "applicants": 0, "scored": 0,
                           "axes": {}, "adverse": [], "checked": False}
    model = LearnedModel.from_json(card)
    ids = list(session.scalars(
        select(Application.id)
        .join(Requisition, Requisition.id == Application.requisition_id)
        .join(ProfileVersion, ProfileVersion.id == Requisition.profile_version_id)
        .join(RoleProfile, RoleProfile.id == ProfileVersion.profile_id)
        .where(RoleProfile.key == role, Application.alternative_process.is_(False),
               Application.created_at >= since)
        .order_by(Application.id)))
    out["applicants"] = len(ids)
    if not ids:
        return out
    evidence = evidence_as_at(session, ids)
    import numpy as np

    X = np.array([[evidence.get(a, {}).get(k, np.nan) for k in model.competencies]
                  for a in ids], dtype=float)
    scored = model.score(X)
    ok = [i for i, state in enumerate(scored["states"].tolist()) if state == "ok"]
    out["scored"] = len(ok)
    if not ok:
        return out
    answers = {row.application_id: categories(row.sex, row.race_ethnicity)
               for row in _chunked(session, select(SelfIdentification),
                                   SelfIdentification.application_id, [ids[i] for i in ok])}
    none = categories(None, None)
    probabilities = scored["probability"].tolist()
    for axis, label in AXES.items():
        groups = [answers.get(ids[i], none)[axis] for i in ok]
        values = [probabilities[i] for i in ok]
        if not any(c is not None for c in groups):
            out["axes"][axis] = {"label": label, "categories": {}, "known": 0}
            continue
        result = scoring_impact(values, groups)
        shown = {}
        for category in sorted(result["categories"]):
            entry = result["categories"][category]
            small = entry["count"] < SUPPRESS_BELOW
            shown[category] = {"impact_ratio": None if small else entry["impact_ratio"],
                               "adverse": entry["adverse"] and not small,
                               "suppressed": small}
            if entry["adverse"]:
                out["adverse"].append(
                    f"{label}: a category of fewer than {SUPPRESS_BELOW} people" if small else
                    f"{label}: {category} {entry['impact_ratio']:.2f}")
        out["axes"][axis] = {"label": label, "categories": shown,
                             "known": sum(c is not None for c in groups)}
        out["checked"] = True
    return out


def adoption_impact_lines(session: Session, role: str, card: Mapping[str, Any]) -> list[str]:
    """One line per scoring impact ratio under 0.8 (four-fifths rule) of ``card``'s model over
    the role's applicants of the last 12 months; empty when there is none or no applicant
    self-identified (nothing to check)."""
    return list(dict.fromkeys(model_card_impact(session, role, card)["adverse"]))


def card_impact_for_version(session: Session, role: str, version: int | None
                            ) -> dict[str, Any] | None:
    """:func:`model_card_impact` of a stored version (None before any training)."""
    if version is None:
        return None
    row = session.scalar(select(ModelVersion).where(ModelVersion.role == role,
                                                    ModelVersion.version == version))
    if row is None:
        return None
    return model_card_impact(session, role, row.card)
