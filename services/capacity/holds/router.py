import uuid
from typing import Annotated

from fastapi import Query, Request, status

from services.capacity.base import Idempotency
from services.capacity.holds import service
from services.capacity.holds.schemas import HoldIn, HoldOut, hold_out
from shared.audit import client_address
from shared.auth import ServiceCaller, authenticated_router
from shared.contracts.capacity import DeclineReason, HoldEnding, HoldOutcome
from shared.db import DbSession
from shared.errors import problem_responses
from shared.settings import AppSettings

# Only the triage service holds places: for a referral it knows, on a user's reservation.
# The public ingress does not route these paths at all.
router = authenticated_router(prefix="/api/v1/holds", tags=["holds"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=HoldOut,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def create_hold(
    body: HoldIn,
    principal: ServiceCaller,
    session: DbSession,
    settings: AppSettings,
    idempotency: Idempotency,
    request: Request,
) -> object:
    """Hold one free place for a referral until `ttl_seconds` pass (at most
    `ZORGPLEK_HOLD_MAX_MINUTES` and a short grace); 409 when none is free. Two callers
    racing for the last place get one 201 and one 409. For the triage service only."""
    if (replay := await idempotency.replay()) is not None:
        return replay
    hold = await service.create(session, principal, settings, body, client_address(request))
    return await idempotency.respond(201, hold_out(hold))


@router.post(
    "/{hold_id}/commit", response_model=HoldOut, responses=problem_responses(401, 403, 404, 409)
)
async def commit_hold(
    hold_id: uuid.UUID, principal: ServiceCaller, session: DbSession, request: Request
) -> HoldOut:
    """The patient is admitted: the held place becomes occupied."""
    hold = await service.commit(session, principal, hold_id, client_address(request))
    return hold_out(hold)


@router.delete(
    "/{hold_id}", response_model=HoldOut, responses=problem_responses(401, 403, 404, 409)
)
async def release_hold(
    hold_id: uuid.UUID,
    principal: ServiceCaller,
    session: DbSession,
    request: Request,
    outcome: Annotated[
        HoldOutcome | None, Query(description="Why: the reservation's outcome.")
    ] = None,
    reason_code: Annotated[
        DeclineReason | None, Query(description="For `declined`: the provider's reason.")
    ] = None,
) -> HoldOut:
    """Release the place at once; repeating it is harmless. `outcome` (and `reason_code`)
    say why, for the location's track record."""
    ending = HoldEnding(outcome=outcome, reason_code=reason_code) if outcome else None
    hold = await service.release(session, principal, hold_id, client_address(request), ending)
    return hold_out(hold)
