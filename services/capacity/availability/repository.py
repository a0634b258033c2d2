from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Interval,
    Select,
    bindparam,
    case,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.models import CapacityReport, CapacityState
from services.capacity.facilities.models import Facility
from services.capacity.organisations.models import Organisation
from shared.geo import distance_km_sql


def distance_km(lat: float, lon: float) -> ColumnElement[float]:
    """SQL: the distance in km from (lat, lon) to the facility (`shared.geo`)."""
    return distance_km_sql((lat, lon), Facility.lat, Facility.lon)


@dataclass(frozen=True, slots=True)
class SearchFilter:
    place_types: Sequence[str]
    region_codes: Collection[str] | None
    near: tuple[float, float] | None
    radius_km: float | None
    features: Sequence[str]
    min_free: int
    include_stale: bool
    # Left out by the care rules for the patient searched for (see shared.care_rules).
    ruled_out_hours: Collection[str] = ()
    ruled_out_features: Collection[str] = ()


def search_statement(
    spec: SearchFilter,
    stale: ColumnElement[bool],
    free: ColumnElement[int],
    *,
    offset: int,
    limit: int,
) -> Select[*tuple[Any, ...]]:
    """The search's SQL: one row per matching place, with its facility and distance."""
    distance = distance_km(*spec.near) if spec.near else literal(None)
    # Plain columns, not ORM entities: matching reads thousands of rows at a time.
    query = (
        select(
            Facility.id,
            Facility.name,
            Facility.organisation_id,
            Organisation.name.label("organisation_name"),
            Facility.city,
            Facility.region_code,
            Facility.lat,
            Facility.lon,
            Facility.admission_hours,
            Facility.features,
            Facility.postcode,
            Facility.street,
            Facility.house_number,
            Facility.phone,
            Facility.contact_note,
            CapacityState.place_type,
            CapacityState.available,
            CapacityState.held,
            CapacityState.staffed,
            CapacityState.expected_available_24h,
            CapacityState.observed_at,
            CapacityState.source,
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
    if spec.ruled_out_hours:
        query = query.where(Facility.admission_hours.not_in(spec.ruled_out_hours))
    if spec.ruled_out_features:
        query = query.where(~Facility.features.overlap(list(spec.ruled_out_features)))
    if spec.near and spec.radius_km is not None:
        query = query.where(distance <= spec.radius_km)
    if spec.near:
        query = query.order_by(distance, free.desc(), Facility.id)
    else:
        query = query.order_by(free.desc(), Facility.name, Facility.id, CapacityState.place_type)
    return query.offset(offset).limit(limit)


async def search(
    session: AsyncSession,
    spec: SearchFilter,
    stale: ColumnElement[bool],
    free: ColumnElement[int],
    *,
    offset: int,
    limit: int,
) -> Sequence[Any]:
    query = search_statement(spec, stale, free, offset=offset, limit=limit)
    return (await session.execute(query)).all()


async def summary(
    session: AsyncSession,
    stale: ColumnElement[bool],
    free: ColumnElement[int],
    region_codes: Collection[str] | None,
    place_types: Sequence[str],
) -> Sequence[Any]:
    """Per region and place type: facilities, free (fresh reports only), staffed, stale, and
    the forecast: the sum of `expected_available_24h` of the fresh reports that gave one,
    and how many gave one."""
    forecast = CapacityState.expected_available_24h
    query = (
        select(
            Facility.region_code,
            CapacityState.place_type,
            func.count().label("facilities"),
            func.coalesce(func.sum(free).filter(~stale), 0).label("free"),
            func.coalesce(func.sum(CapacityState.staffed), 0).label("staffed"),
            func.count().filter(stale).label("stale"),
            func.coalesce(func.sum(forecast).filter(~stale), 0).label("expected_available_24h"),
            func.count(forecast).filter(~stale).label("forecasting"),
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


async def history(
    session: AsyncSession,
    ttl_seconds: dict[str, float],
    region_codes: Collection[str] | None,
    place_types: Sequence[str],
    *,
    since: datetime,
    until: datetime,
    step: timedelta,
) -> Sequence[Any]:
    """Per place type and moment: the sum of the last report at that moment of every
    facility in the regions, counting only reports still fresh then (unknown is not zero)."""
    ticks = select(
        func.generate_series(
            bindparam("since", since, DateTime(timezone=True)),
            bindparam("until", until, DateTime(timezone=True)),
            bindparam("step", step, Interval()),
        ).label("at")
    ).subquery("ticks")
    series = select(CapacityState.facility_id, CapacityState.place_type).join(
        Facility, Facility.id == CapacityState.facility_id
    )
    if region_codes is not None:
        series = series.where(Facility.region_code.in_(region_codes))
    if place_types:
        series = series.where(CapacityState.place_type.in_(place_types))
    places = series.subquery("places")
    latest = (
        select(CapacityReport.available, CapacityReport.staffed, CapacityReport.observed_at)
        .where(
            CapacityReport.facility_id == places.c.facility_id,
            CapacityReport.place_type == places.c.place_type,
            CapacityReport.observed_at <= ticks.c.at,
        )
        .order_by(CapacityReport.observed_at.desc())
        .limit(1)
        .lateral("latest")
    )
    ttl = case(
        *[(places.c.place_type == code, secs) for code, secs in ttl_seconds.items()], else_=0.0
    )
    fresh = func.extract("epoch", ticks.c.at - latest.c.observed_at) <= ttl
    query = (
        select(
            places.c.place_type,
            ticks.c.at,
            func.coalesce(func.sum(latest.c.available).filter(fresh), 0).label("available"),
            func.coalesce(func.sum(latest.c.staffed).filter(fresh), 0).label("staffed"),
            func.count(latest.c.observed_at).filter(fresh).label("reporting"),
            func.count().label("facilities"),
        )
        .select_from(places.join(ticks, true()).outerjoin(latest, true()))
        .group_by(places.c.place_type, ticks.c.at)
        .order_by(places.c.place_type, ticks.c.at)
    )
    return (await session.execute(query)).all()
