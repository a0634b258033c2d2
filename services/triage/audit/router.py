"""`GET /api/v1/audit`: the audit trail, for auditors (privacy officers)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query
from pydantic import AwareDatetime

from services.triage.audit import service
from services.triage.audit.schemas import AuditEntryOut
from shared.auth import CurrentPrincipal, authenticated_router
from shared.db import DbSession
from shared.errors import problem_responses
from shared.pagination import Cursor, Limit, Page

router = authenticated_router(prefix="/api/v1/audit", tags=["audit"])


@router.get("", response_model=Page[AuditEntryOut], responses=problem_responses(401, 403, 422))
async def read_trail(
    principal: CurrentPrincipal,
    session: DbSession,
    referral_id: Annotated[uuid.UUID | None, Query()] = None,
    actor: Annotated[str | None, Query(max_length=255, description="An actor's `sub`.")] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: Annotated[AwareDatetime | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEntryOut]:
    """The audit trail, newest first: every read and write of a referral (holds on it
    included), API keys, subscriptions, sign-ins and sign-outs, and reads of this trail.
    Filters: `referral_id`, `actor`, and the period `from` (inclusive) to `to` (exclusive).
    Only for the `auditor` role; every call, refused ones included, is itself audited."""
    query = service.TrailQuery(referral_id=referral_id, actor=actor, start=from_, end=to)
    return await service.read_trail(session, principal, query, limit=limit, cursor=cursor)
