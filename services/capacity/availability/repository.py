from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.models import CapacityState
from services.capacity.facilities.models import Facility
from services.capacity.organisations.models import Organisation

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat: float, lon: float) -> ColumnElement[float]:
    """SQL: great-circle (haversine) distance from (lat, lon) to the facility, in km."""
    dlat = func.radians(Facility.lat - lat) / 2
    dlon = func.radians(Facility.lon - lon) / 2
    a = func.power(func.sin(dlat), 2) + func.cos(func.radians(literal(lat))) * func.cos(
        func.radians(Facility.lat)
    ) * func.power(func.sin(dlon), 2)
    return 2 * EARTH_RADIUS_KM * func.asin(func.sqrt(func.least(a, 1.0)))


@dataclass(frozen=True, slots=True)
class SearchFilter:
    place_types: Sequence[str]
    region_codes: Collection[str] | None
    near: tuple[float, float] | None
    radius_km: float | None
    features: Sequence[str]
    min_free: int
    include_stale: bool


async def search(
    session: AsyncSession,
    spec: SearchFilter,
    stale: ColumnElement[bool],
    free: ColumnElement[int],
    *,
    offset: int,
    limit: int,
) -> Sequence[Any]:
    distance = distance_km(*spec.near) if spec.near else literal(None)
    query = (
        select(
            CapacityState,
            Facility,
            Organisation.name.label("organisation_name"),
            free.label("free"),
            stale.label("stale"),
            distance.label("distance_km"),
        )
        .join(Facility, Facility.id == CapacityState.facility_id)
        .join(Organisation, Organisation.id == Facility.organisation_id)
        .where(CapacityState.place_type.in_(spec.place_types), free >= spec.min_free)
    )
    if spec.region_codes is not None:
        query = query.where(Facility.region_code.in_(spec.region_codes))
    if spec.features:
        query = query.where(Facility.features.contains(list(spec.features)))
    if not spec.include_stale:
        query = query.where(~stale)
    if spec.near and spec.radius_km is not None:
        query = query.where(distance <= spec.radius_km)
    if spec.near:
        query = query.order_by(distance, free.desc(), Facility.id)
    else:
        query = query.order_by(free.desc(), Facility.name, Facility.id, CapacityState.place_type)
    query = query.offset(offset).limit(limit)
    return (await session.execute(query)).all()


async def summary(
    session: AsyncSession,
    stale: ColumnElement[bool],
    free: ColumnElement[int],
    region_codes: Collection[str] | None,
    place_types: Sequence[str],
) -> Sequence[Any]:
    """Per region and place type: facilities, free (fresh reports only), staffed, stale."""
    query = (
        select(
            Facility.region_code,
            CapacityState.place_type,
            func.count().label("facilities"),
            func.coalesce(func.sum(free).filter(~stale), 0).label("free"),
            func.coalesce(func.sum(CapacityState.staffed), 0).label("staffed"),
            func.count().filter(stale).label("stale"),
        )
        .join(Facility, Facility.id == CapacityState.facility_id)
        .group_by(Facility.region_code, CapacityState.place_type)
        .order_by(Facility.region_code, CapacityState.place_type)
    )
    if region_codes is not None:
        query = query.where(Facility.region_code.in_(region_codes))
    if place_types:
        query = query.where(CapacityState.place_type.in_(place_types))
    return (await session.execute(query)).all()
