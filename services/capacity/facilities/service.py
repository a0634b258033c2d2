"""Facilities: the locations where providers offer places."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.access import ensure_provider_of
from services.capacity.facilities import repository
from services.capacity.facilities.models import Facility, FacilityIdentifier
from services.capacity.facilities.schemas import (
    CONTACT_FIELDS,
    FacilityIn,
    FacilityPatch,
    Identifier,
)
from services.capacity.organisations import repository as organisations
from shared import reference
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotFound


def _taken(pairs: Sequence[tuple[str, str]], taken: set[tuple[str, str]]) -> Conflict:
    return Conflict(
        "An identifier is already in use by another facility; each (system, value) pair "
        "names one facility in Zorgplek.",
        errors=[
            {"loc": ["body", "identifiers", str(n)], "msg": "already in use by another facility"}
            for n, pair in enumerate(pairs)
            if pair in taken
        ],
    )


async def _check_free(
    session: AsyncSession, identifiers: Sequence[Identifier], owner: uuid.UUID | None
) -> list[tuple[str, str]]:
    pairs = [(i.system, i.value) for i in identifiers]
    taken = {
        (i.system, i.value)
        for i in await repository.holders(session, pairs)
        if i.facility_id != owner
    }
    if taken:
        raise _taken(pairs, taken)
    return pairs


async def create(session: AsyncSession, principal: Principal, data: FacilityIn) -> Facility:
    """Register a location: an admin for any organisation, a provider for its own. Its
    identifiers must not name another facility (409)."""
    ensure_provider_of(
        principal,
        data.organisation_id,
        scope="facilities:write",
        thing="organisation",
        admin_may=True,
    )
    if await organisations.get(session, data.organisation_id) is None:
        raise Invalid("No organisation has this id.", loc=["body", "organisation_id"])
    pairs = await _check_free(session, data.identifiers, None)
    facility = Facility(
        **data.model_dump(exclude={"identifiers"}),
        identifiers=[FacilityIdentifier(system=s, value=v) for s, v in pairs],
    )
    try:
        return await repository.add(session, facility)
    except repository.IdentifierTaken as exc:  # a concurrent request took one first
        raise _taken(pairs, set(pairs)) from exc


async def update(
    session: AsyncSession, principal: Principal, facility_id: uuid.UUID, data: FacilityPatch
) -> Facility:
    """Change a location: an admin, or the provider of its organisation (another
    organisation's facility is 404)."""
    facility = await detail(session, facility_id)
    ensure_provider_of(
        principal,
        facility.organisation_id,
        scope="facilities:write",
        thing="facility",
        admin_may=True,
    )
    for field in CONTACT_FIELDS:
        if field in data.model_fields_set:
            setattr(facility, field, getattr(data, field))
    await session.flush()
    if data.identifiers is not None:
        pairs = await _check_free(session, data.identifiers, facility.id)
        try:
            await repository.replace_identifiers(session, facility, pairs)
        except repository.IdentifierTaken as exc:
            raise _taken(pairs, set(pairs)) from exc
    return facility


async def get(session: AsyncSession, facility_id: uuid.UUID) -> Facility:
    """One facility (its identifiers not loaded); 404 when unknown."""
    facility = await repository.get(session, facility_id)
    if facility is None:
        raise NotFound("No such facility.")
    return facility


async def detail(session: AsyncSession, facility_id: uuid.UUID) -> Facility:
    """One facility with its identifiers, as the API shows it; 404 when unknown."""
    facility = await repository.get_with_identifiers(session, facility_id)
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
