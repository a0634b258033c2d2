"""The triage schema's declarative base and its idempotency table."""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import DeclarativeBase

from shared.auth import CurrentPrincipal
from shared.db import DbSession, metadata_for
from shared.idempotency import (
    IdempotentCall,
    idempotency,
    idempotency_dependency,
    idempotency_table,
)
from shared.migrate import MigrationSet

SCHEMA = "triage"


class Base(DeclarativeBase):
    metadata = metadata_for(SCHEMA)


idempotency_keys = idempotency_table(Base.metadata)
Idempotency = idempotency_dependency(idempotency_keys)

_per_route = idempotency(idempotency_keys)


async def _per_path(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> IdempotentCall:
    """Keys are scoped to the concrete path, so one key used for two referrals means two
    requests, not a repeat."""
    call = await _per_route(request, session, principal)
    call.route = f"{request.method} {request.url.path}"[:255]
    return call


PathIdempotency = Annotated[IdempotentCall, Depends(_per_path)]

MIGRATIONS = MigrationSet(
    name=SCHEMA, package="services.triage", schemas=(SCHEMA,), metadata=Base.metadata
)
