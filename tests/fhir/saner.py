"""MeasureReports in the shapes SANER senders use, written after the structure of the
guide's published examples: one group per figure (the figure's code on the group, its
count in the initial population), and one `Beds` group holding a population per figure.
Code systems: the published guide's and those of its earlier builds."""

from __future__ import annotations

from typing import Any

MEASURED_VALUES = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasuredValues"
EARLY_POPULATIONS = "http://hl7.org/fhir/us/saner/CodeSystem/MeasurePopulationSystem"
EARLY_GROUPS = "http://hl7.org/fhir/us/saner/CodeSystem/MeasureGroupSystem"
UV_GROUPS = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasureGroupSystem"
MEASURE_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
PLACE_TYPE = "https://zorgplek.nl/fhir/CodeSystem/place-type"
CAPACITY = "https://zorgplek.nl/fhir/CodeSystem/capacity"
ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
CDC_MEASURE = "http://hl7.org/fhir/uv/saner/Measure/CDCPatientImpactAndHospitalCapacity"


def initial_population(count: int | None, reason: str = "unknown") -> dict[str, Any]:
    population: dict[str, Any] = {
        "code": {"coding": [{"system": MEASURE_POPULATION, "code": "initial-population"}]}
    }
    if count is None:
        population["_count"] = {"extension": [{"url": ABSENT, "valueCode": reason}]}
    else:
        population["count"] = count
    return population


def figure_group(system: str, code: str, count: int | None) -> dict[str, Any]:
    """Shape 1: the figure is the group's code."""
    return {
        "code": {"coding": [{"system": system, "code": code}]},
        "population": [initial_population(count)],
        **({"measureScore": {"value": count}} if count is not None else {}),
    }


def figure_population(system: str, code: str, count: int | None) -> dict[str, Any]:
    """Shape 2: the figure is a population's code inside the Beds group."""
    population: dict[str, Any] = {
        "code": {
            "coding": [
                {"system": system, "code": code},
                {"system": MEASURE_POPULATION, "code": "initial-population"},
            ]
        }
    }
    if count is None:
        population["_count"] = {"extension": [{"url": ABSENT, "valueCode": "unknown"}]}
    else:
        population["count"] = count
    return population


def report(
    subject: dict[str, Any], groups: list[dict[str, Any]], *, date: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": CDC_MEASURE,
        "subject": subject,
        "period": {"start": "2026-11-30", "end": "2026-12-01"},
        "group": groups,
        **extra,
    }
    if date is not None:
        body["date"] = date
    return body


def per_figure_groups(
    staffed: int | None, occupied: int | None, available: int | None, *, early: bool = False
) -> list[dict[str, Any]]:
    """Shape 1, as the guide's published examples code it (or its earlier builds)."""
    system = EARLY_POPULATIONS if early else MEASURED_VALUES
    return [
        figure_group(system, "numTotBeds", (staffed or 0) + 40 if staffed is not None else None),
        figure_group(system, "numBeds" if early else "numbeds", staffed),
        figure_group(system, "numBedsOcc", occupied),
        figure_group(system, "numBedsAvail", available),
        figure_group(system, "numVent", 12),
    ]


def beds_group(
    staffed: int | None,
    occupied: int | None,
    available: int | None,
    *,
    early: bool = False,
    place_type: str | None = None,
) -> dict[str, Any]:
    """Shape 2: one Beds group with a population per figure."""
    system = EARLY_POPULATIONS if early else MEASURED_VALUES
    coding = [{"system": EARLY_GROUPS if early else UV_GROUPS, "code": "Beds"}]
    if place_type:
        coding.insert(0, {"system": PLACE_TYPE, "code": place_type})
    populations = [
        figure_population(system, "numbeds", staffed),
        figure_population(system, "numBedsOcc", occupied),
    ]
    if available is not None:
        populations.append(figure_population(system, "numBedsAvail", available))
    return {"code": {"coding": coding}, "population": populations}


def ventilators_group() -> dict[str, Any]:
    return {
        "code": {"coding": [{"system": UV_GROUPS, "code": "Ventilators"}]},
        "population": [
            figure_population(MEASURED_VALUES, "numVent", 14),
            figure_population(MEASURED_VALUES, "numVentUse", 9),
        ],
    }
