"""The codes FHIR capacity reports speak: HL7 SANER's (the published guide's systems and
those of its earlier builds) and Zorgplek's own, and which of our numbers each one means."""

from __future__ import annotations

from typing import Literal

Figure = Literal["staffed", "occupied", "available", "expected_available_24h"]

ZORGPLEK_CAPACITY = "https://zorgplek.nl/fhir/CodeSystem/capacity"
ZORGPLEK_PLACE_TYPE = "https://zorgplek.nl/fhir/CodeSystem/place-type"
SANER_MEASURED_VALUES = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasuredValues"
SANER_GROUPS = "http://hl7.org/fhir/uv/saner/CodeSystem/MeasureGroupSystem"
MEASURE_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"

# SANER's bed figures are case-insensitive codes. The published guide puts them in
# MeasuredValues; its earlier builds (first under /us/, then /uv/) in
# MeasurePopulationSystem, with the groups in MeasureGroupSystem.
SANER_SYSTEMS = frozenset(
    {
        SANER_MEASURED_VALUES,
        "http://hl7.org/fhir/uv/saner/CodeSystem/MeasurePopulationSystem",
        SANER_GROUPS,
        "http://hl7.org/fhir/us/saner/CodeSystem/MeasuredValues",
        "http://hl7.org/fhir/us/saner/CodeSystem/MeasurePopulationSystem",
        "http://hl7.org/fhir/us/saner/CodeSystem/MeasureGroupSystem",
    }
)

# (figure, rank): a lower rank wins when a report gives the same figure twice.
SANER_FIGURES: dict[str, tuple[Figure, int]] = {
    "numbeds": ("staffed", 1),
    "numtotbeds": ("staffed", 2),
    "numbedsocc": ("occupied", 1),
    "numbedsavail": ("available", 1),
}
OWN_FIGURES: dict[str, tuple[Figure, int]] = {
    "staffed": ("staffed", 0),
    "occupied": ("occupied", 0),
    "available": ("available", 0),
    "expected-available-24h": ("expected_available_24h", 0),
}
# How our own answers code each figure: ours first, SANER's beside it.
OUT_CODES: dict[Figure, tuple[tuple[str, str, str], ...]] = {
    "staffed": (
        (ZORGPLEK_CAPACITY, "staffed", "Bemande plaatsen"),
        (SANER_MEASURED_VALUES, "numbeds", "Hospital Inpatient Beds"),
    ),
    "occupied": (
        (ZORGPLEK_CAPACITY, "occupied", "Bezette plaatsen"),
        (SANER_MEASURED_VALUES, "numBedsOcc", "Hospital Inpatient Bed Occupancy"),
    ),
    "available": (
        (ZORGPLEK_CAPACITY, "available", "Vrije plaatsen"),
        (SANER_MEASURED_VALUES, "numBedsAvail", "Hospital Inpatient Beds Available"),
    ),
    "expected_available_24h": (
        (ZORGPLEK_CAPACITY, "expected-available-24h", "Verwacht vrij binnen 24 uur"),
    ),
}


def figure_of(system: str | None, code: str | None) -> tuple[Figure, int] | None:
    """The figure a coding stands for, with its rank; None when it is not bed capacity."""
    if system is None or code is None:
        return None
    if system == ZORGPLEK_CAPACITY:
        return OWN_FIGURES.get(code)
    if system in SANER_SYSTEMS:
        return SANER_FIGURES.get(code.lower())
    return None
