"""A location's track record over the last 30 days: how its reservations ended (from its
holds, whose endings triage reports when it gives a place back) and the share of the time
its reports were fresh (from the capacity history and each place type's time-to-live).

Computed here, where the history and the holds are, for a named set of locations: one
location, one region's (the compliance overview) or the places matching shortlists — never
the whole country at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.staleness import ttl_seconds
from services.capacity.facilities import repository as facilities
from services.capacity.facilities.models import Facility
from services.capacity.records import repository
from shared import reference
from shared.auth import Principal, ensure_role
from shared.contracts.capacity import TrackRecord
from shared.errors import Forbidden, Invalid, NotFound
from shared.settings import Settings

WINDOW_DAYS = 30
MAX_LOCATIONS = 100  # per request for a set of named locations


async def records(
    session: AsyncSession, located: Sequence[Facility], now: datetime, settings: Settings
) -> list[TrackRecord]:
    """The track records of these locations, in their order."""
    if not located:
        return []
    since = now - timedelta(days=WINDOW_DAYS)
    ids = [f.id for f in located]
    ttls = ttl_seconds(settings)
    endings = await repository.endings(session, ids, since)
    places = [(f.id, place_type) for f in located for place_type in f.place_types]
    fresh = await repository.fresh_seconds(session, places, since, now, ttls)
    reported: dict[uuid.UUID, dict[str, datetime]] = {}
    for state in await repository.states(session, ids):
        reported.setdefault(state.facility_id, {})[state.place_type] = state.observed_at
    result = []
    for facility in located:
        counts = endings.get(facility.id, repository.Endings())
        latest = reported.get(facility.id, {})
        span = max((now - max(since, facility.created_at)).total_seconds(), 0.0)
        offered_types = facility.place_types
        fresh_total = sum(min(fresh.get((facility.id, pt), 0.0), span) for pt in offered_types)
        offered = span * len(facility.place_types)
        overdue = [
            pt
            for pt in facility.place_types
            if pt not in latest or (now - latest[pt]).total_seconds() > ttls.get(pt, 0.0)
        ]
        result.append(
            TrackRecord(
                facility_id=facility.id,
                facility_name=facility.name,
                organisation_id=facility.organisation_id,
                region_code=facility.region_code,
                days=WINDOW_DAYS,
                accepted=counts.accepted,
                declined_no_capacity=counts.declined_no_capacity,
                declined_other=counts.declined_other,
                expired=counts.expired,
                fresh_share=round(fresh_total / offered, 3) if offered > 0 else None,
                last_report_at=max(latest.values()) if latest else None,
                overdue_now=bool(overdue),
                overdue_place_types=overdue,
            )
        )
    return result


async def of_facility(
    session: AsyncSession, facility_id: uuid.UUID, now: datetime, settings: Settings
) -> TrackRecord:
    """One location's record; 404 when unknown."""
    facility = await facilities.get(session, facility_id)
    if facility is None:
        raise NotFound("No such facility.")
    return (await records(session, [facility], now, settings))[0]


async def of_facilities(
    session: AsyncSession, facility_ids: Sequence[uuid.UUID], now: datetime, settings: Settings
) -> list[TrackRecord]:
    """The records of named locations (at most `MAX_LOCATIONS`); unknown ids are left out."""
    if len(facility_ids) > MAX_LOCATIONS:
        raise Invalid(
            f"At most {MAX_LOCATIONS} locations per request.", loc=["query", "facility_id"]
        )
    located = await facilities.get_many(session, set(facility_ids))
    order = {fid: n for n, fid in enumerate(facility_ids)}
    located.sort(key=lambda f: order[f.id])
    return await records(session, located, now, settings)


def worst_first(record: TrackRecord) -> tuple[bool, int, float, str]:
    """The order of the compliance overview: overdue now first, then the most reservations
    whose place was not there (`no_capacity`) or that went unanswered, then the least
    fresh."""
    return (
        not record.overdue_now,
        -(record.declined_no_capacity + record.expired),
        record.fresh_share if record.fresh_share is not None else 1.0,
        record.facility_name,
    )


def compliance_regions(principal: Principal, region: str | None) -> frozenset[str]:
    """The regions the overview covers: `region` (with its zorgkantoren for a ROAZ code),
    which must be one of the caller's; by default all of the caller's. For triagists,
    coordinators (viewer) and admins; an admin without regions names one."""
    ensure_role(
        principal,
        "triagist",
        "viewer",
        "admin",
        doing="see the compliance overview",
        any_api_key=True,
    )
    own: set[str] = set()
    for code in principal.regions:
        own |= reference.covered_regions(code)
    unbounded = principal.has("admin") and not principal.regions
    if region is None:
        if unbounded:
            raise Invalid("Name a region.", loc=["query", "region"], msg="required")
        return frozenset(own)
    wanted = reference.covered_regions(region)
    if not unbounded and not wanted <= own:
        raise Forbidden(f"Region {region} is not one of your regions.")
    return frozenset(wanted)


async def compliance(
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    now: datetime,
    settings: Settings,
) -> list[TrackRecord]:
    """Every location of the caller's region(s) with its record, worst first."""
    regions = compliance_regions(principal, region)
    located = await repository.facilities_in(session, regions)
    return sorted(await records(session, located, now, settings), key=worst_first)
