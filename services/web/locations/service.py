"""Mijn locaties: the provider's locations with the current numbers of each place type and
their track record."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from services.web.core.api import Api, CapacityBody, ContactBody
from shared.contracts.capacity import CapacityStateOut, FacilityOut, TrackRecord


@dataclass(frozen=True, slots=True)
class Location:
    facility: FacilityOut
    states: dict[str, CapacityStateOut]  # by place type; absent when never reported
    record: TrackRecord  # the last 30 days


async def locations(api: Api, organisation_id: uuid.UUID) -> list[Location]:
    """Every location of the organisation, each with its current numbers and its record."""
    page = await api.facilities(organisation_id, limit=500)
    states, records = await asyncio.gather(
        asyncio.gather(*(api.capacity(f.id) for f in page.items)),
        asyncio.gather(*(api.track_record(f.id) for f in page.items)),
    )
    return [
        Location(facility, {s.place_type: s for s in state.items}, record)
        for facility, state, record in zip(page.items, states, records, strict=True)
    ]


async def report(api: Api, facility_id: uuid.UUID, place_type: str, body: CapacityBody) -> None:
    """Report one place type's numbers now."""
    await api.report_capacity(facility_id, place_type, body)


async def confirm(api: Api, facility_id: uuid.UUID, seen: dict[str, str]) -> bool:
    """Confirm every place type of a location unchanged, as shown (`seen`: place type → the
    report time the page showed); False when one had a newer report and was left alone."""
    answer = await api.confirm_capacity(facility_id, seen)
    return all(item.applied for item in answer.items)


async def save_contact(api: Api, facility_id: uuid.UUID, body: ContactBody) -> None:
    """Change how to reach a location; only the location's own provider may."""
    await api.change_contact(facility_id, body)
