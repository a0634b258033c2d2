"""The queries of a location's track record: its holds' endings and its reports' fresh time,
always for a named set of locations and a bounded window."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Float, String, Uuid, and_, bindparam, func, or_, select, true
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.models import CapacityReport, CapacityState
from services.capacity.facilities.models import Facility
from services.capacity.holds.models import Hold


@dataclass(frozen=True, slots=True)
class Endings:
    """How a location's reservations of the window ended, counted from its holds."""

    accepted: int = 0
    declined_no_capacity: int = 0
    declined_other: int = 0
    expired: int = 0


async def facilities_in(session: AsyncSession, regions: Collection[str]) -> list[Facility]:
    """Every location of these regions, by name."""
    query = (
        select(Facility)
        .where(Facility.region_code.in_(sorted(regions)))
        .order_by(Facility.name, Facility.id)
    )
    return list((await session.scalars(query)).all())


async def endings(
    session: AsyncSession, facility_ids: Collection[uuid.UUID], since: datetime
) -> dict[uuid.UUID, Endings]:
    """Per location, its holds made since `since` by how they ended: committed (accepted),
    declined as `no_capacity`, declined otherwise, and expired — by triage's word, or here
    when triage never answered."""
    declined = Hold.ending == "declined"
    no_capacity = and_(declined, Hold.reason_code == "no_capacity")
    expired = or_(Hold.ending == "expired", and_(Hold.ending.is_(None), Hold.status == "expired"))
    query = (
        select(
            Hold.facility_id,
            func.count().filter(Hold.status == "committed"),
            func.count().filter(no_capacity),
            func.count().filter(declined, ~no_capacity),
            func.count().filter(expired),
        )
        .where(Hold.facility_id.in_(facility_ids), Hold.created_at >= since)
        .group_by(Hold.facility_id)
    )
    rows = (await session.execute(query)).all()
    return {row[0]: Endings(row[1], row[2], row[3], row[4]) for row in rows}


async def fresh_seconds(
    session: AsyncSession,
    places: Collection[tuple[uuid.UUID, str]],
    since: datetime,
    now: datetime,
    ttl_seconds: Mapping[str, float],
) -> dict[tuple[uuid.UUID, str], float]:
    """Per place (location and place type), the seconds between `since` and `now` that it
    had a fresh report: each applied report is fresh from its `observed_at` until the next
    one or its time-to-live, whichever comes first. Reads only the window's reports (and
    those just before it whose freshness reaches into it), place by place in the order of
    the index, never sorting all of them at once."""
    facility_ids = [facility_id for facility_id, _ in places]
    place_types = [place_type for _, place_type in places]
    # Each place with its time-to-live, so that no report needs to look it up.
    ttls = [ttl_seconds.get(place_type, 0.0) for place_type in place_types]
    named = (
        func.unnest(
            bindparam("facility_ids", facility_ids, type_=ARRAY(Uuid)),
            bindparam("place_types", place_types, type_=ARRAY(String)),
            bindparam("ttls", ttls, type_=ARRAY(Float)),
        )
        .table_valued("facility_id", "place_type", "ttl")
        .render_derived("places")
    )
    longest = timedelta(seconds=max(ttl_seconds.values(), default=0.0))
    reports = (
        select(
            CapacityReport.observed_at,
            func.lead(CapacityReport.observed_at)
            .over(order_by=CapacityReport.observed_at)
            .label("next_at"),
        )
        .where(
            CapacityReport.facility_id == named.c.facility_id,
            CapacityReport.place_type == named.c.place_type,
            CapacityReport.applied.is_(True),
            CapacityReport.observed_at >= since - longest,
            CapacityReport.observed_at <= now,
        )
        .lateral("reports")
    )
    ends = func.least(
        func.coalesce(reports.c.next_at, now),
        reports.c.observed_at + func.make_interval(0, 0, 0, 0, 0, 0, named.c.ttl),
        now,
    )
    starts = func.greatest(reports.c.observed_at, since)
    seconds = func.greatest(func.extract("epoch", ends - starts), 0)
    query = (
        select(named.c.facility_id, named.c.place_type, func.sum(seconds))
        .select_from(named.join(reports, true()))
        .group_by(named.c.facility_id, named.c.place_type)
    )
    rows = (await session.execute(query)).all()
    return {(row[0], row[1]): float(row[2] or 0.0) for row in rows}


async def states(
    session: AsyncSession, facility_ids: Collection[uuid.UUID]
) -> Sequence[CapacityState]:
    """The current numbers of these locations, every place type."""
    query = select(CapacityState).where(CapacityState.facility_id.in_(facility_ids))
    return (await session.scalars(query)).all()
