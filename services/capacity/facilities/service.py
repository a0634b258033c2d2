"""Facilities: the locations where providers offer places."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.access import ensure_provider_of
from services.capacity.facilities import repository
from services.capacity.facilities.models import Facility
from services.capacity.facilities.schemas import FacilityIn
from services.capacity.organisations import repository as organisations
from shared import reference
from shared.auth import Principal
from shared.errors import Invalid, NotFound


async def create(session: AsyncSession, principal: Principal, data: FacilityIn) -> Facility:
    """Register a location: an admin for any organisation, a provider for its own."""
    ensure_provider_of(
        principal,
        data.organisation_id,
        scope="facilities:write",
        thing="organisation",
        admin_may=True,
    )
    if await organisations.get(session, data.organisation_id) is None:
        raise Invalid("No organisation has this id.", loc=["body", "organisation_id"])
    return await repository.add(session, Facility(**data.model_dump()))


async def get(session: AsyncSession, facility_id: uuid.UUID) -> Facility:
    """One facility; 404 when unknown."""
    facility = await repository.get(session, facility_id)
    if facility is None:
        raise NotFound("No such facility.")
    return facility


async def list_page(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID | None,
    region_code: str | None,
    place_type: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Facility]:
    """Facilities by name; a ROAZ region code includes its zorgkantoor regions."""
    regions = reference.covered_regions(region_code) if region_code is not None else None
    return await repository.list_page(
        session,
        organisation_id=organisation_id,
        region_codes=regions,
        place_type=place_type,
        after=after,
        limit=limit,
    )
