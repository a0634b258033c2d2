"""Reading capacity out of a MeasureReport, wherever SANER puts the bed figures: as a
group's code (the figure in the group's population count or its measureScore), or as a
population code inside a group. Pure: no database, so every shape is tested directly."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.measurereport import MeasureReport, MeasureReportGroup
from pydantic import ValidationError

from services.capacity.capacity.schemas import CapacityReportIn
from services.capacity.fhir.codes import (
    DATA_ABSENT_REASON,
    MEASURE_POPULATION,
    ZORGPLEK_PLACE_TYPE,
    Figure,
    figure_of,
)
from shared import reference
from shared.care_rules import AMSTERDAM
from shared.fhir import Issue

LOCATION_REFERENCE = re.compile(r"^(?:.*/)?Location/([A-Za-z0-9\-.]{1,64})$")
FIGURE_NAMES: dict[Figure, str] = {
    "staffed": "staffed (numbeds, else numTotBeds)",
    "occupied": "occupied (numBedsOcc)",
    "available": "available (numBedsAvail)",
    "expected_available_24h": "expected-available-24h",
}


@dataclass(frozen=True, slots=True)
class Subject:
    """Who a report is about: an identifier (system, value), or a `Location/{id}` where
    the id is a facility id or the value of one of its identifiers."""

    expression: str
    system: str | None
    value: str


@dataclass(slots=True)
class FigureValue:
    figure: Figure
    rank: int
    count: int | None  # None: unknown, never zero
    expression: str
    absent_reason: str | None = None


@dataclass(slots=True)
class Draft:
    """The numbers of one place type in one MeasureReport."""

    expression: str
    place_type: str | None  # from a group coded with our place types
    place_type_expression: str | None
    figures: dict[Figure, FigureValue] = field(default_factory=dict)
    refusal: Issue | None = None


@dataclass(slots=True)
class Reading:
    """What one MeasureReport says about bed capacity."""

    expression: str
    subject: Subject | None
    observed_at: datetime | None
    observed_expression: str
    drafts: list[Draft]
    notes: list[Issue]  # ignored parts, derived figures
    refusal: Issue | None  # the whole report is refused (no subject, no time)


def _codings(concept: CodeableConcept | None) -> list[Any]:
    return list(concept.coding or []) if concept is not None else []


def _figure_in(concept: CodeableConcept | None) -> tuple[Figure, int] | None:
    found = [figure_of(c.system, c.code) for c in _codings(concept)]
    ranked = [f for f in found if f is not None]
    return min(ranked, key=lambda f: f[1]) if ranked else None


def _place_type_in(concept: CodeableConcept | None) -> str | None:
    for coding in _codings(concept):
        if coding.system == ZORGPLEK_PLACE_TYPE and coding.code:
            return str(coding.code)
    return None


def _absent_reason(extensions: list[Any] | None) -> str | None:
    for extension in extensions or []:
        if extension.url == DATA_ABSENT_REASON:
            return str(extension.valueCode or "unknown")
    return None


def _subject(report: MeasureReport, root: str) -> Subject | Issue:
    subject = report.subject
    where = f"{root}.subject"
    if subject is None:
        return Issue("error", "required", "The report names no subject Location.", (where,))
    identifier = subject.identifier
    if identifier is not None and identifier.value:
        return Subject(f"{where}.identifier", identifier.system, str(identifier.value))
    if subject.reference:
        match = LOCATION_REFERENCE.match(subject.reference)
        if match is None:
            return Issue(
                "error",
                "not-supported",
                "The subject must be a Location: Location/{id}, or an identifier.",
                (f"{where}.reference",),
            )
        return Subject(f"{where}.reference", None, match.group(1))
    return Issue(
        "error", "required", "The subject has neither an identifier nor a reference.", (where,)
    )


def _moment(value: Any) -> datetime | None:
    """A dateTime as an aware moment; a bare date is 00:00 that day in Amsterdam. Partial
    dates (a year, a month) say too little."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=AMSTERDAM)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=AMSTERDAM)
    return None


def _observed(report: MeasureReport, root: str) -> tuple[datetime | None, str]:
    if report.date is not None:
        return _moment(report.date), f"{root}.date"
    end = report.period.end if report.period is not None else None
    return _moment(end), f"{root}.period.end"


def _initial(population: Any) -> bool:
    return any(
        c.system == MEASURE_POPULATION and c.code == "initial-population"
        for c in _codings(population.code)
    )


def _count_absent(population: Any) -> str | None:
    ext = population.count__ext
    return _absent_reason(ext.extension if ext is not None else None)


def _group_figure(group: MeasureReportGroup, where: str, figure: Figure, rank: int) -> FigureValue:
    """A group coded as one figure: its population's count (the initial population first),
    else its measureScore."""
    reason = None
    populations = sorted(enumerate(group.population or []), key=lambda item: not _initial(item[1]))
    for index, population in populations:
        if population.count is not None:
            return FigureValue(figure, rank, population.count, f"{where}.population[{index}]")
        reason = reason or _count_absent(population)
    score = group.measureScore
    if score is not None and score.value is not None:
        value = Decimal(str(score.value))
        # a fraction is no count of places: -1 fails the rule that counts are >= 0
        count = int(value) if value == value.to_integral_value() else -1
        return FigureValue(figure, rank, count, f"{where}.measureScore")
    if score is not None and score.value__ext is not None:
        reason = reason or _absent_reason(score.value__ext.extension)
    return FigureValue(figure, rank, None, where, reason or "unknown")


def read(report: MeasureReport, root: str) -> Reading:
    """Everything bed-capacity-like in `report`; `root` is its FHIRPath, e.g.
    `Bundle.entry[1].resource`."""
    notes: list[Issue] = []
    drafts: dict[str | None, Draft] = {}
    for gi, group in enumerate(report.group or []):
        where = f"{root}.group[{gi}]"
        place_type = _place_type_in(group.code)
        own = _figure_in(group.code)
        found: list[FigureValue] = []
        ignored: list[Issue] = []
        if own is not None:
            found.append(_group_figure(group, where, *own))
        else:
            for pi, population in enumerate(group.population or []):
                figure = _figure_in(population.code)
                expression = f"{where}.population[{pi}]"
                if figure is None:
                    ignored.append(
                        Issue(
                            "information",
                            "informational",
                            "Ignored: not bed capacity.",
                            (expression,),
                        )
                    )
                    continue
                reason = None if population.count is not None else _count_absent(population)
                found.append(FigureValue(*figure, population.count, expression, reason))
        if not found and place_type is None:
            # a group without bed figures is listed once, not population by population
            notes.append(
                Issue("information", "informational", "Ignored: not bed capacity.", (where,))
            )
            continue
        notes.extend(ignored)
        draft = drafts.get(place_type)
        if draft is None:
            draft = drafts[place_type] = Draft(
                expression=root,
                place_type=place_type,
                place_type_expression=f"{where}.code" if place_type else None,
            )
        if place_type is not None and place_type not in reference.place_types():
            draft.refusal = Issue(
                "error",
                "code-invalid",
                f"Unknown place type {place_type!r}; known: {', '.join(reference.place_types())}.",
                (f"{where}.code",),
            )
        for value in found:
            kept = draft.figures.get(value.figure)
            # the best-ranked code wins; a known count beats an unknown one of equal rank
            if kept is None or (value.rank, value.count is None) < (kept.rank, kept.count is None):
                draft.figures[value.figure] = value
    subject = _subject(report, root)
    observed_at, observed_expression = _observed(report, root)
    refusal = subject if isinstance(subject, Issue) else None
    if refusal is None and observed_at is None:
        refusal = Issue(
            "error",
            "required",
            "The report needs a date (or period.end) with at least a full day.",
            (observed_expression,),
        )
    return Reading(
        expression=root,
        subject=subject if isinstance(subject, Subject) else None,
        observed_at=observed_at,
        observed_expression=observed_expression,
        drafts=list(drafts.values()),
        notes=notes,
        refusal=refusal,
    )


@dataclass(frozen=True, slots=True)
class Numbers:
    """A draft made into a report, with notes on derived figures."""

    report: CapacityReportIn
    notes: list[Issue]


def numbers(draft: Draft, observed_at: datetime, observed_expression: str) -> Numbers | Issue:
    """The report a draft stands for, under the same rules as `PUT /capacity`; or the issue
    that refuses it, naming the element."""
    figures = draft.figures
    notes: list[Issue] = []
    available = figures.get("available")
    known: dict[str, int] = {n: f.count for n, f in figures.items() if f.count is not None}
    if "available" not in known and "staffed" in known and "occupied" in known:
        known["available"] = known["staffed"] - known["occupied"]
        notes.append(
            Issue(
                "information",
                "informational",
                "available taken as staffed − occupied"
                + (" (numBedsAvail has no count)." if available is not None else "."),
                (available.expression,) if available is not None else (draft.expression,),
            )
        )
    required: tuple[Figure, ...] = ("staffed", "occupied", "available")
    missing = [name for name in required if name not in known]
    if missing:
        where = [
            figures[name].expression if name in figures else draft.expression for name in missing
        ]
        said = [
            f"{FIGURE_NAMES[name]} is unknown"
            + (
                f" ({figures[name].absent_reason})"
                if name in figures and figures[name].absent_reason
                else ""
            )
            if name in figures
            else f"{FIGURE_NAMES[name]} is missing"
            for name in missing
        ]
        return Issue(
            "error",
            "required",
            "Refused: " + "; ".join(said) + ". Unknown is not zero.",
            tuple(dict.fromkeys(where)),
        )
    try:
        report = CapacityReportIn(
            staffed=known["staffed"],
            occupied=known["occupied"],
            available=known["available"],
            expected_available_24h=known.get("expected_available_24h"),
            observed_at=observed_at,
        )
    except ValidationError as exc:
        issues = []
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else ""
            if name == "observed_at":
                expression = observed_expression
            elif name in figures:
                expression = figures[name].expression
            else:
                expression = draft.expression
            issues.append((str(error["msg"]).removeprefix("Value error, "), expression))
        return Issue(
            "error",
            "business-rule",
            "Refused: " + "; ".join(msg for msg, _ in issues) + ".",
            tuple(dict.fromkeys(e for _, e in issues)),
        )
    return Numbers(report, notes)
