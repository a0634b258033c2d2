"""Zorgplek's registry and capacity as FHIR resources (Location, Organization,
HealthcareService, a SANER-shaped MeasureReport), built with `fhir.resources`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fhir.resources.R4B.address import Address
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.healthcareservice import (
    HealthcareService,
    HealthcareServiceAvailableTime,
    HealthcareServiceNotAvailable,
)
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.location import Location, LocationPosition
from fhir.resources.R4B.measurereport import (
    MeasureReport,
    MeasureReportGroup,
    MeasureReportGroupPopulation,
)
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.reference import Reference

from services.capacity.capacity.schemas import CapacityStateOut
from services.capacity.facilities.models import Facility
from services.capacity.fhir.codes import OUT_CODES, SANER_GROUPS, ZORGPLEK_PLACE_TYPE, Figure
from services.capacity.organisations.models import Organisation
from shared import care_rules, reference

ZORGPLEK_FACILITY_ID = "https://zorgplek.nl/fhir/NamingSystem/facility-id"
ZORGPLEK_ORGANISATION_KIND = "https://zorgplek.nl/fhir/CodeSystem/organisation-kind"
CAPACITY_MEASURE = "https://zorgplek.nl/fhir/Measure/capacity"
AGB = "http://fhir.nl/fhir/NamingSystem/agb-z"
URA = "http://fhir.nl/fhir/NamingSystem/ura"
ORGANISATION_IDENTIFIERS = {AGB: "agb_code", URA: "ura"}
BED_STATUS = "http://terminology.hl7.org/CodeSystem/v2-0116"
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOLIDAYS_AHEAD = timedelta(days=366)


def resource_id(facility: Facility, place_type: str) -> str:
    """The id of a place type at a facility (FHIR ids allow no underscore)."""
    return f"{facility.id}.{place_type.replace('_', '-')}"


def place_type_concept(code: str) -> CodeableConcept:
    name = reference.place_types()[code].name
    return CodeableConcept(
        coding=[Coding(system=ZORGPLEK_PLACE_TYPE, code=code, display=name)], text=name
    )


def _phone(number: str | None) -> list[ContactPoint] | None:
    """An admissions number (stored in E.164) as a work phone."""
    return [ContactPoint(system="phone", value=number, use="work")] if number else None


def location(facility: Facility, states: list[CapacityStateOut] | None = None) -> Location:
    """A facility as a Location: address, admissions phone, position, identifiers, and —
    when its numbers are fresh — whether it has a free place (v2-0116 U) or is full (O)."""
    fresh = [s for s in states or [] if not s.stale]
    status = None
    if fresh:
        free = any(s.free > 0 for s in fresh)
        status = Coding(
            system=BED_STATUS,
            code="U" if free else "O",
            display="Unoccupied" if free else "Occupied",
        )
    return Location(
        id=str(facility.id),
        status="active",
        operationalStatus=status,
        name=facility.name,
        mode="instance",
        identifier=[Identifier(system=ZORGPLEK_FACILITY_ID, value=str(facility.id))]
        + [Identifier(system=i.system, value=i.value) for i in facility.identifiers],
        telecom=_phone(facility.phone),
        address=Address(
            use="work",
            type="physical",
            line=[f"{facility.street} {facility.house_number or ''}".strip()]
            if facility.street
            else None,
            city=facility.city,
            postalCode=facility.postcode,
            country="NL",
        ),
        position=LocationPosition(latitude=facility.lat, longitude=facility.lon),
        managingOrganization=Reference(reference=f"Organization/{facility.organisation_id}"),
    )


def organization(organisation: Organisation) -> Organization:
    identifiers = [
        Identifier(system=system, value=getattr(organisation, column))
        for system, column in ORGANISATION_IDENTIFIERS.items()
        if getattr(organisation, column)
    ]
    return Organization(
        id=str(organisation.id),
        active=True,
        name=organisation.name,
        identifier=identifiers or None,
        type=[
            CodeableConcept(
                coding=[Coding(system=ZORGPLEK_ORGANISATION_KIND, code=organisation.kind)]
            )
        ],
        telecom=_phone(organisation.phone),
        address=[Address(city=organisation.city, country="NL")] if organisation.city else None,
    )


def _available_time(admission_hours: str) -> list[HealthcareServiceAvailableTime]:
    if admission_hours == "office":
        return [
            HealthcareServiceAvailableTime(
                daysOfWeek=ALL_DAYS[:5],
                availableStartTime=care_rules.OFFICE_OPENS,
                availableEndTime=care_rules.OFFICE_CLOSES,
            )
        ]
    return [HealthcareServiceAvailableTime(daysOfWeek=ALL_DAYS, allDay=True)]


def _holidays(admission_hours: str, now: datetime) -> list[HealthcareServiceNotAvailable]:
    """An office-hours location admits on no Dutch public holiday: the coming year's."""
    if admission_hours != "office":
        return []
    today = now.astimezone(care_rules.AMSTERDAM).date()
    days = (today + timedelta(days=n) for n in range(HOLIDAYS_AHEAD.days))
    return [
        HealthcareServiceNotAvailable(
            description="Geen opname: feestdag",
            during=Period(start=day.isoformat(), end=day.isoformat()),
        )
        for day in days
        if care_rules.is_public_holiday(day)
    ]


def healthcare_service(facility: Facility, place_type: str, now: datetime) -> HealthcareService:
    """A place type offered at a facility; its admission hours as availableTime."""
    concept = place_type_concept(place_type)
    return HealthcareService(
        id=resource_id(facility, place_type),
        active=True,
        providedBy=Reference(reference=f"Organization/{facility.organisation_id}"),
        location=[Reference(reference=f"Location/{facility.id}", display=facility.name)],
        name=f"{concept.text} — {facility.name}",
        type=[concept],
        availableTime=_available_time(facility.admission_hours),
        notAvailable=_holidays(facility.admission_hours, now) or None,
        availabilityExceptions=care_rules.admission_note(facility.admission_hours, now),
    )


def _population(figure: Figure, count: int) -> MeasureReportGroupPopulation:
    return MeasureReportGroupPopulation(
        code=CodeableConcept(
            coding=[Coding(system=s, code=c, display=d) for s, c, d in OUT_CODES[figure]]
        ),
        count=count,
    )


def measure_report(facility: Facility, state: CapacityStateOut) -> MeasureReport:
    """The current numbers of one place type, SANER-shaped (one `Beds` group of figure
    populations), coded so that posting it back changes nothing."""
    observed = state.observed_at.astimezone(UTC).isoformat()
    figures: list[tuple[Figure, int | None]] = [
        ("staffed", state.staffed),
        ("occupied", state.occupied),
        ("available", state.available),
        ("expected_available_24h", state.expected_available_24h),
    ]
    group_code = place_type_concept(state.place_type)
    group_code.coding = [*(group_code.coding or []), Coding(system=SANER_GROUPS, code="Beds")]
    return MeasureReport(
        id=resource_id(facility, state.place_type),
        status="complete",
        type="summary",
        measure=CAPACITY_MEASURE,
        subject=Reference(reference=f"Location/{facility.id}", display=facility.name),
        reporter=Reference(reference=f"Organization/{facility.organisation_id}"),
        date=observed,
        period=Period(start=observed, end=observed),
        group=[
            MeasureReportGroup(
                code=group_code,
                population=[_population(f, c) for f, c in figures if c is not None],
            )
        ],
    )
