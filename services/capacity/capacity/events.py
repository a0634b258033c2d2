"""The capacity events, with thin data: ids, counts, where — never anything about patients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.models import CapacityState
from services.capacity.capacity.staleness import ReminderStage
from services.capacity.facilities.models import Facility
from shared.contracts.events import (
    CAPACITY_AVAILABLE,
    CAPACITY_DUE,
    CAPACITY_UPDATED,
    EVERY_PROFESSIONAL,
    CapacityData,
    CapacityDueData,
    MembersAudience,
    PublicAudience,
)
from shared.outbox import EventType, publish

SOURCE = "capacity"


def free_of(state: CapacityState) -> int:
    return max(state.available - state.held, 0)


async def publish_capacity(
    session: AsyncSession,
    event_type: EventType[CapacityData, PublicAudience],
    facility: Facility,
    state: CapacityState,
) -> None:
    """One `capacity.*` event about `state` at `facility`, in the caller's transaction."""
    data = CapacityData(
        facility_id=facility.id,
        organisation_id=facility.organisation_id,
        place_type=state.place_type,
        region_code=facility.region_code,
        lat=facility.lat,
        lon=facility.lon,
        free=free_of(state),
        available=state.available,
        held=state.held,
        staffed=state.staffed,
        observed_at=state.observed_at,
    )
    await publish(session, event_type.event(SOURCE, data, EVERY_PROFESSIONAL))


async def publish_change(
    session: AsyncSession, facility: Facility, state: CapacityState, free_before: int
) -> None:
    """`capacity.updated`, and `capacity.available` when free went from 0 to more."""
    await publish_capacity(session, CAPACITY_UPDATED, facility, state)
    if free_before == 0 and free_of(state) > 0:
        await publish_capacity(session, CAPACITY_AVAILABLE, facility, state)


async def publish_due(
    session: AsyncSession,
    facility: Facility,
    state: CapacityState,
    stage: ReminderStage,
    stale_at: datetime,
) -> None:
    """`capacity.due` to the location's own organisation only: report again before
    `stale_at` (stage `due`), or the report went stale then (stage `stale`)."""
    data = CapacityDueData(
        facility_id=facility.id,
        facility_name=facility.name,
        organisation_id=facility.organisation_id,
        place_type=state.place_type,
        region_code=facility.region_code,
        stage=stage,
        observed_at=state.observed_at,
        stale_at=stale_at,
    )
    audience = MembersAudience(organisation_ids=[facility.organisation_id], regions=[])
    await publish(session, CAPACITY_DUE.event(SOURCE, data, audience))
