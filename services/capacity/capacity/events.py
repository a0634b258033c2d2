"""The capacity events, with thin data: ids, counts, where — never anything about patients."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.models import CapacityState
from services.capacity.facilities.models import Facility
from shared.outbox import PUBLIC, Event, publish


def free_of(state: CapacityState) -> int:
    return max(state.available - state.held, 0)


async def publish_capacity(
    session: AsyncSession, event_type: str, facility: Facility, state: CapacityState
) -> None:
    await publish(
        session,
        Event(
            type=event_type,
            source="capacity",
            audience=PUBLIC,
            data={
                "facility_id": str(facility.id),
                "organisation_id": str(facility.organisation_id),
                "place_type": state.place_type,
                "region_code": facility.region_code,
                "lat": facility.lat,
                "lon": facility.lon,
                "free": free_of(state),
                "available": state.available,
                "held": state.held,
                "staffed": state.staffed,
                "observed_at": state.observed_at.isoformat(),
            },
        ),
    )


async def publish_change(
    session: AsyncSession, facility: Facility, state: CapacityState, free_before: int
) -> None:
    """`capacity.updated`, and `capacity.available` when free went from 0 to more."""
    await publish_capacity(session, "capacity.updated", facility, state)
    if free_before == 0 and free_of(state) > 0:
        await publish_capacity(session, "capacity.available", facility, state)
