"""Capacity's `/fhir` routes: MeasureReport intake (alone or in a Bundle at the base), the
current capacity as MeasureReports, and the directory as Location, Organization and
HealthcareService. Every answer is FHIR JSON; every failure an OperationOutcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.capacity.capacity import service as capacity
from services.capacity.facilities import service as facilities
from services.capacity.fhir import repository, resources, service
from services.capacity.fhir.repository import LocationFilter
from services.capacity.organisations import service as organisations
from shared import fhir, reference
from shared.auth import AnyRole, CurrentPrincipal, authenticated_router
from shared.db import DbSession, ReadSession
from shared.fhir import FhirError, Issue
from shared.pagination import MAX_LIMIT, decode_cursor, page
from shared.settings import AppSettings

router = authenticated_router(prefix=fhir.PREFIX, tags=["fhir"])
# The CapabilityStatement is public by choice: clients read it before they sign in.
public = APIRouter(prefix=fhir.PREFIX, tags=["fhir"])

FHIR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"description": "OperationOutcome", "content": {fhir.FHIR_JSON: {}}}
    for status in (400, 401, 403, 404, 413, 415, 422)
}
Count = Annotated[int, Query(alias="_count", ge=1, le=MAX_LIMIT)]
PageCursor = Annotated[str | None, Query(alias="_cursor")]
NEAR_DEFAULT_KM = 50.0


def _bad_parameter(name: str, message: str) -> FhirError:
    return FhirError(400, [Issue("error", "invalid", message, (name,))])


def _offset(cursor: str | None) -> int:
    position = decode_cursor(cursor, int)
    offset = position[0] if position else 0
    if offset < 0:
        raise _bad_parameter("_cursor", "The cursor is not valid.")
    return offset


def _token(name: str, value: str | None) -> tuple[str | None, str] | None:
    """A token search value: `system|value`, or `value` in any system."""
    if value is None:
        return None
    system, bar, code = value.rpartition("|")
    if not code:
        raise _bad_parameter(name, f"{name} must be 'system|value' or 'value'.")
    return (system or None) if bar else None, code


def _reference_id(name: str, value: str | None, kind: str) -> uuid.UUID | None:
    """`Kind/{id}` or a bare id."""
    if value is None:
        return None
    try:
        return uuid.UUID(value.removeprefix(f"{kind}/"))
    except ValueError as exc:
        raise _bad_parameter(name, f"{name} must be {kind}/{{id}}.") from exc


def _near(value: str | None) -> tuple[float, float, float] | None:
    """`lat|lon|distance|units` (distance default 50, units km)."""
    if value is None:
        return None
    parts = value.split("|")
    try:
        if not 2 <= len(parts) <= 4:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
        distance = float(parts[2]) if len(parts) > 2 and parts[2] else NEAR_DEFAULT_KM
        units = parts[3] if len(parts) > 3 else "km"
        if units not in ("km", "m"):
            raise ValueError
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and distance > 0):
            raise ValueError
    except ValueError as exc:
        raise _bad_parameter(
            "near", "near must be lat|lon|distance|units, e.g. 52.3874|4.6462|10|km."
        ) from exc
    return lat, lon, distance / 1000 if units == "m" else distance


def _place_type(value: str | None, name: str = "place_type") -> str | None:
    if value is not None and value not in reference.place_types():
        raise _bad_parameter(
            name, f"Unknown place type; known: {', '.join(reference.place_types())}."
        )
    return value


@public.get("/metadata", responses=FHIR_RESPONSES)
async def metadata(request: Request) -> Response:
    """The CapabilityStatement: every resource, interaction and search parameter `/fhir`
    supports."""
    return fhir.respond(fhir.capability_statement(fhir.base_url(request)))


@router.post("", responses=FHIR_RESPONSES)
async def post_bundle(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    place_type: Annotated[str | None, Query()] = None,
) -> Response:
    """A Bundle (`collection`, `batch` or `transaction`) of MeasureReports; the answer is
    an OperationOutcome with an issue per report and per ignored or refused element."""
    service.ensure_reporter(principal)
    bundle = await fhir.read_body(request, "Bundle")
    outcome = await service.post_bundle(
        session, principal, settings, bundle, _place_type(place_type)
    )
    return fhir.respond(fhir.outcome(outcome.issues), outcome.status)


@router.post("/MeasureReport", responses=FHIR_RESPONSES)
async def post_measure_report(
    request: Request,
    principal: CurrentPrincipal,
    session: DbSession,
    settings: AppSettings,
    place_type: Annotated[str | None, Query()] = None,
) -> Response:
    """Report capacity as an HL7 SANER MeasureReport, under the rules of `PUT /capacity`."""
    service.ensure_reporter(principal)
    report = await fhir.read_body(request, "MeasureReport")
    outcome = await service.post_report(
        session, principal, settings, report, _place_type(place_type)
    )
    return fhir.respond(fhir.outcome(outcome.issues), outcome.status)


@router.get("/MeasureReport", responses=FHIR_RESPONSES)
async def search_measure_reports(
    request: Request,
    principal: CurrentPrincipal,
    session: ReadSession,
    settings: AppSettings,
    subject: Annotated[str, Query()],
) -> Response:
    """The current capacity of a location: one MeasureReport per place type, in the shape
    `POST /fhir/MeasureReport` takes back."""
    facility_id = _reference_id("subject", subject, "Location")
    assert facility_id is not None
    states = await capacity.current(session, principal, settings, facility_id, datetime.now(UTC))
    facility = await facilities.get(session, facility_id)
    reports = [resources.measure_report(facility, state) for state in states]
    return fhir.respond(fhir.searchset(request, reports, next_cursor=None))


@router.get("/Location", responses=FHIR_RESPONSES)
async def search_locations(
    request: Request,
    principal: AnyRole,
    session: ReadSession,
    settings: AppSettings,
    id_: Annotated[str | None, Query(alias="_id")] = None,
    identifier: Annotated[str | None, Query()] = None,
    organization: Annotated[str | None, Query()] = None,
    address_city: Annotated[str | None, Query(alias="address-city")] = None,
    near: Annotated[str | None, Query()] = None,
    count: Count = 50,
    cursor: PageCursor = None,
) -> Response:
    """Locations by name, or nearest first with `near=lat|lon|distance|km`; by
    `identifier` (system|value), `organization`, `address-city` (starts with)."""
    offset = _offset(cursor)
    ids = _reference_id("_id", id_, "Location")
    spec = LocationFilter(
        ids=[ids] if ids else None,
        identifier=_token("identifier", identifier),
        organisation_id=_reference_id("organization", organization, "Organization"),
        city=address_city,
        near=_near(near),
    )
    rows = await repository.search_locations(session, spec, offset=offset, limit=count + 1)
    found = page(rows, count, lambda _: (offset + count,)).map(lambda row: row[0])
    numbers = await capacity.current_of(session, principal, settings, found.items)
    items = [resources.location(f, numbers.get(f.id)) for f in found.items]
    return fhir.respond(fhir.searchset(request, items, next_cursor=found.next_cursor))


@router.get("/Location/{location_id}", responses=FHIR_RESPONSES)
async def read_location(
    location_id: uuid.UUID, principal: AnyRole, session: ReadSession, settings: AppSettings
) -> Response:
    """One location."""
    facility = await facilities.detail(session, location_id)
    numbers = await capacity.current_of(session, principal, settings, [facility])
    return fhir.respond(resources.location(facility, numbers.get(facility.id)))


@router.get("/Organization", responses=FHIR_RESPONSES)
async def search_organizations(
    request: Request,
    _: AnyRole,
    session: ReadSession,
    id_: Annotated[str | None, Query(alias="_id")] = None,
    identifier: Annotated[str | None, Query()] = None,
    name: Annotated[str | None, Query()] = None,
    count: Count = 50,
    cursor: PageCursor = None,
) -> Response:
    """Organisations by name; `identifier` matches the AGB code or URA number."""
    offset = _offset(cursor)
    ids = _reference_id("_id", id_, "Organization")
    rows = await repository.search_organisations(
        session,
        ids=[ids] if ids else None,
        identifier=_token("identifier", identifier),
        identifier_columns=resources.ORGANISATION_IDENTIFIERS,
        name=name,
        offset=offset,
        limit=count + 1,
    )
    found = page(rows, count, lambda _: (offset + count,)).map(resources.organization)
    return fhir.respond(fhir.searchset(request, found.items, next_cursor=found.next_cursor))


@router.get("/Organization/{organization_id}", responses=FHIR_RESPONSES)
async def read_organization(
    organization_id: uuid.UUID, _: AnyRole, session: ReadSession
) -> Response:
    """One organisation."""
    return fhir.respond(resources.organization(await organisations.get(session, organization_id)))


@router.get("/HealthcareService", responses=FHIR_RESPONSES)
async def search_healthcare_services(
    request: Request,
    _: AnyRole,
    session: ReadSession,
    location: Annotated[str | None, Query()] = None,
    organization: Annotated[str | None, Query()] = None,
    service_type: Annotated[str | None, Query(alias="service-type")] = None,
    count: Count = 50,
    cursor: PageCursor = None,
) -> Response:
    """The place types offered at locations, with the admission hours as availableTime."""
    offset = _offset(cursor)
    location_id = _reference_id("location", location, "Location")
    token = _token("service-type", service_type)
    spec = LocationFilter(
        ids=[location_id] if location_id else None,
        organisation_id=_reference_id("organization", organization, "Organization"),
        place_type=_place_type(token[1] if token else None, "service-type"),
    )
    rows = await repository.search_services(session, spec, offset=offset, limit=count + 1)
    now = datetime.now(UTC)
    found = page(rows, count, lambda _: (offset + count,)).map(
        lambda row: resources.healthcare_service(row[0], row[1], now)
    )
    return fhir.respond(fhir.searchset(request, found.items, next_cursor=found.next_cursor))
