import uuid
from typing import Annotated

from fastapi import Query, status

from services.capacity.base import Idempotency
from services.capacity.facilities import service
from services.capacity.facilities.schemas import FacilityIn, FacilityOut, FacilityPatch
from shared.auth import AnyRole, CurrentPrincipal, authenticated_router
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page, decode_cursor, page
from shared.schemas import PlaceTypeCode, RegionCode

router = authenticated_router(prefix="/api/v1/facilities", tags=["facilities"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=FacilityOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_facility(
    body: FacilityIn, principal: CurrentPrincipal, session: DbSession, idempotency: Idempotency
) -> object:
    """Register a location with the place types it offers, its features and admission hours."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    facility = await service.create(session, principal, body)
    return await idempotency.respond(201, FacilityOut.model_validate(facility))


@router.get("", response_model=Page[FacilityOut], responses=problem_responses(401, 422))
async def list_facilities(
    _: AnyRole,
    session: DbSession,
    organisation_id: uuid.UUID | None = None,
    region_code: Annotated[RegionCode | None, Query()] = None,
    place_type: Annotated[PlaceTypeCode | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[FacilityOut]:
    """Facilities by name, filtered by organisation, region (ROAZ includes its zorgkantoren)
    and place type."""
    after = decode_cursor(cursor, str, uuid.UUID)
    rows = await service.list_page(
        session,
        organisation_id=organisation_id,
        region_code=region_code,
        place_type=place_type,
        after=after,
        limit=limit + 1,
    )
    items = [FacilityOut.model_validate(row) for row in rows]
    return page(items, limit, lambda item: (item.name, item.id))


@router.get("/{facility_id}", response_model=FacilityOut, responses=problem_responses(401, 404))
async def get_facility(facility_id: uuid.UUID, _: AnyRole, session: DbSession) -> FacilityOut:
    """One facility."""
    return FacilityOut.model_validate(await service.detail(session, facility_id))


@router.patch(
    "/{facility_id}",
    response_model=FacilityOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def update_facility(
    facility_id: uuid.UUID, body: FacilityPatch, principal: CurrentPrincipal, session: DbSession
) -> FacilityOut:
    """Change a location (an admin, or its own provider; an API key needs
    `facilities:write`). Only the fields sent change; `identifiers` replaces the list."""
    facility = await service.update(session, principal, facility_id, body)
    return FacilityOut.model_validate(facility)
