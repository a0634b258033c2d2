"""The capacity events, with thin data: ids, counts, where — never anything about patients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

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
from shared.outbox import Event, EventType, publish

SOURCE = "capacity"


class Site(Protocol):
    """Where a place is, as its events tell: a `Facility`, or the facility as a write reads
    it (`repository.Site`)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def organisation_id(self) -> uuid.UUID: ...
    @property
    def region_code(self) -> str: ...
    @property
    def lat(self) -> float: ...
    @property
    def lon(self) -> float: ...


class Numbers(Protocol):
    """A place's numbers, as its events tell: a `CapacityState`, or the place as a write
    changes it (`repository.Place`)."""

    @property
    def place_type(self) -> str: ...
    @property
    def staffed(self) -> int: ...
    @property
    def available(self) -> int: ...
    @property
    def held(self) -> int: ...
    @property
    def observed_at(self) -> datetime: ...


def free_of(state: Numbers) -> int:
    return max(state.available - state.held, 0)


def capacity_event(
    event_type: EventType[CapacityData, PublicAudience], facility: Site, state: Numbers
) -> Event:
    """One `capacity.*` event about `state` at `facility`."""
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
    return event_type.event(SOURCE, data, EVERY_PROFESSIONAL)


async def publish_capacity(
    session: AsyncSession,
    event_type: EventType[CapacityData, PublicAudience],
    facility: Facility,
    state: CapacityState,
) -> None:
    """One `capacity.*` event about `state` at `facility`, in the caller's transaction."""
    await publish(session, capacity_event(event_type, facility, state))


def change_events(facility: Site, state: Numbers, free_before: int) -> list[Event]:
    """`capacity.updated`, and `capacity.available` when free went from 0 to more."""
    events = [capacity_event(CAPACITY_UPDATED, facility, state)]
    if free_before == 0 and free_of(state) > 0:
        events.append(capacity_event(CAPACITY_AVAILABLE, facility, state))
    return events


async def publish_change(
    session: AsyncSession, facility: Facility, state: CapacityState, free_before: int
) -> None:
    """The events of `change_events`, in the caller's transaction."""
    for event in change_events(facility, state, free_before):
        await publish(session, event)


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
