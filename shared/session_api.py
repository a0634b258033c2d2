"""`/api/v1/session`: who the caller's token stands for, and signing out, which ends the
token's session in every service at once. The web pages use both; any client may."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from shared import audit, ended_tokens
from shared.auth import CurrentPrincipal, authenticate, bearer_token
from shared.contracts.session import SessionOut
from shared.db import DbSession
from shared.errors import Invalid, problem_responses

router = APIRouter(prefix="/api/v1", tags=["session"], dependencies=[Depends(authenticate)])


@router.get("/session", responses=problem_responses(401))
async def who_am_i(principal: CurrentPrincipal) -> SessionOut:
    """The caller: name, organisation, roles and regions, and when the token expires."""
    return SessionOut(
        sub=principal.sub,
        name=principal.name,
        org=principal.org,
        roles=sorted(principal.roles),
        regions=list(principal.regions),
        expires_at=principal.expires_at,
    )


@router.post("/session", responses=problem_responses(401))
async def sign_in(principal: CurrentPrincipal, session: DbSession) -> SessionOut:
    """Start a sign-in: as `GET`, and written to the audit log (who, from where, which
    session). The web pages call this once when someone signs in."""
    await audit.record(
        session, principal, action="sign_in", object_type="session", object_id=principal.session
    )
    return await who_am_i(principal)


@router.delete("/session", status_code=204, responses=problem_responses(401, 422))
async def sign_out(request: Request, principal: CurrentPrincipal, session: DbSession) -> Response:
    """Sign out: the token used for this call is refused by every service from now on,
    whoever holds a copy of it. An API key is revoked through its organisation instead."""
    token = bearer_token(request)
    if principal.via != "jwt" or token is None or principal.expires_at is None:
        raise Invalid("Only a signed-in person's token can be signed out.", loc=["header"])
    await ended_tokens.end(session, token, principal.expires_at)
    await audit.record(
        session,
        principal,
        action="sign_out",
        object_type="session",
        object_id=principal.session,
        source_address=audit.client_address(request),
    )
    return Response(status_code=204)
