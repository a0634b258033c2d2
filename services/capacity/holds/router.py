import uuid
from typing import Annotated

from fastapi import Depends, status

from services.capacity.base import Idempotency
from services.capacity.holds import service
from services.capacity.holds.schemas import HoldIn, HoldOut
from shared.auth import Principal, ServiceCaller, authenticated_router, require_roles
from shared.db import DbSession
from shared.errors import problem_responses

router = authenticated_router(prefix="/api/v1/holds", tags=["holds"])
ServiceOrTriagist = Annotated[Principal, Depends(require_roles("service", "triagist"))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_hold(
    body: HoldIn, principal: ServiceOrTriagist, session: DbSession, idempotency: Idempotency
) -> object:
    """Hold one free place for a referral until `ttl_seconds` pass; 409 when none is free.
    Two callers racing for the last place get one 201 and one 409."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    hold = await service.create(session, principal, body)
    return await idempotency.respond(201, HoldOut.model_validate(hold))


@router.post(
    "/{hold_id}/commit", response_model=HoldOut, responses=problem_responses(401, 403, 404, 409)
)
async def commit_hold(hold_id: uuid.UUID, _: ServiceCaller, session: DbSession) -> HoldOut:
    """The patient is admitted: the held place becomes occupied."""
    return HoldOut.model_validate(await service.commit(session, hold_id))


@router.delete(
    "/{hold_id}", response_model=HoldOut, responses=problem_responses(401, 403, 404, 409)
)
async def release_hold(hold_id: uuid.UUID, _: ServiceCaller, session: DbSession) -> HoldOut:
    """Release the place at once; repeating it is harmless."""
    return HoldOut.model_validate(await service.release(session, hold_id))
