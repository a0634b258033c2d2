"""The queries of capacity's FHIR side: finding a reporting organisation's facility by the
codes a MeasureReport names, and the Location, Organization and HealthcareService searches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.capacity.availability.repository import distance_km
from services.capacity.facilities.models import Facility, FacilityIdentifier
from services.capacity.organisations.models import Organisation


async def facilities_named(
    session: AsyncSession, organisation_id: uuid.UUID, system: str | None, value: str
) -> list[Facility]:
    """The organisation's facilities that `value` names: with a system, the one holding
    that identifier; without, the facility with that id and those holding an identifier
    with that value in any system. Another organisation's facilities are never found."""
    holder = select(FacilityIdentifier.facility_id).where(FacilityIdentifier.value == value)
    if system is not None:
        holder = holder.where(FacilityIdentifier.system == system)
    named: ColumnElement[bool] = Facility.id.in_(holder)
    if system is None:
        try:
            named = or_(named, Facility.id == uuid.UUID(value))
        except ValueError:
            pass
    query = (
        select(Facility)
        .where(Facility.organisation_id == organisation_id, named)
        .order_by(Facility.id)
    )
    return list((await session.scalars(query)).all())


@dataclass(frozen=True, slots=True)
class LocationFilter:
    ids: Sequence[uuid.UUID] | None = None
    identifier: tuple[str | None, str] | None = None
    organisation_id: uuid.UUID | None = None
    city: str | None = None
    near: tuple[float, float, float] | None = None  # lat, lon, km
    place_type: str | None = None


def _locations(spec: LocationFilter) -> Select[Facility]:
    query = select(Facility)
    if spec.ids is not None:
        query = query.where(Facility.id.in_(spec.ids))
    if spec.identifier is not None:
        system, value = spec.identifier
        holder = select(FacilityIdentifier.facility_id).where(FacilityIdentifier.value == value)
        if system is not None:
            holder = holder.where(FacilityIdentifier.system == system)
        query = query.where(Facility.id.in_(holder))
    if spec.organisation_id is not None:
        query = query.where(Facility.organisation_id == spec.organisation_id)
    if spec.city is not None:
        # FHIR string search: case-insensitive, matching the start
        pattern = spec.city.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Facility.city).like(pattern + "%", escape="\\"))
    if spec.place_type is not None:
        query = query.where(Facility.place_types.contains([spec.place_type]))
    return query


async def search_locations(
    session: AsyncSession, spec: LocationFilter, *, offset: int, limit: int
) -> list[tuple[Facility, float | None]]:
    """Facilities matching `spec` with their distance from `near`, nearest first (else by
    name), with identifiers loaded."""
    distance = distance_km(spec.near[0], spec.near[1]) if spec.near else literal(None)
    query = _locations(spec).add_columns(distance.label("distance_km"))
    if spec.near is not None:
        query = query.where(distance <= spec.near[2]).order_by(distance, Facility.id)
    else:
        query = query.order_by(Facility.name, Facility.id)
    query = query.options(selectinload(Facility.identifiers)).offset(offset).limit(limit)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def search_services(
    session: AsyncSession, spec: LocationFilter, *, offset: int, limit: int
) -> list[tuple[Facility, str]]:
    """(facility, place type) pairs: each place type offered at a matching facility."""
    offered = func.unnest(Facility.place_types).table_valued("place_type").render_derived()
    query = (
        _locations(spec)
        .add_columns(offered.c.place_type)
        .join(offered, true())
        .order_by(Facility.name, Facility.id, offered.c.place_type)
        .offset(offset)
        .limit(limit)
    )
    if spec.place_type is not None:
        query = query.where(offered.c.place_type == spec.place_type)
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def search_organisations(
    session: AsyncSession,
    *,
    ids: Sequence[uuid.UUID] | None,
    identifier: tuple[str | None, str] | None,
    identifier_columns: dict[str, str],
    name: str | None,
    offset: int,
    limit: int,
) -> list[Organisation]:
    """Organisations by name; `identifier` matches the AGB code or URA number."""
    query = select(Organisation).order_by(Organisation.name, Organisation.id)
    if ids is not None:
        query = query.where(Organisation.id.in_(ids))
    if identifier is not None:
        system, value = identifier
        columns = [
            getattr(Organisation, column)
            for sys, column in identifier_columns.items()
            if system is None or system == sys
        ]
        query = query.where(or_(*[c == value for c in columns]) if columns else literal(False))
    if name is not None:
        pattern = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(Organisation.name).like(pattern + "%", escape="\\"))
    query = query.offset(offset).limit(limit)
    return list((await session.scalars(query)).all())


async def organisations_by_id(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Organisation]:
    if not ids:
        return {}
    query = select(Organisation).where(Organisation.id.in_(set(ids)))
    return {o.id: o for o in (await session.scalars(query)).all()}
