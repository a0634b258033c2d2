"""Organisations and their API keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.access import ensure_member_of, ensure_provider_of
from services.capacity.organisations import repository
from services.capacity.organisations.models import ApiKey, Organisation
from services.capacity.organisations.schemas import ApiKeyIn, OrganisationIn, OrganisationPatch
from shared import audit
from shared.auth import API_KEY_PREFIX, Principal, hash_api_key, new_api_key
from shared.errors import Forbidden, NotFound


async def create(session: AsyncSession, data: OrganisationIn) -> Organisation:
    """Register an organisation (admin only; checked by the route)."""
    return await repository.add(session, Organisation(**data.model_dump()))


async def get(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    """One organisation; 404 when unknown."""
    organisation = await repository.get(session, organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    return organisation


async def update(
    session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, data: OrganisationPatch
) -> Organisation:
    """Change an organisation's contact: an admin, or its own people."""
    ensure_member_of(principal, organisation_id)
    organisation = await get(session, organisation_id)
    if "phone" in data.model_fields_set:
        organisation.phone = data.phone
    await session.flush()
    return organisation


async def list_page(
    session: AsyncSession, *, after: tuple[str, uuid.UUID] | None, kind: str | None, limit: int
) -> list[Organisation]:
    """Organisations ordered by name, from after `after`."""
    return await repository.list_page(session, after=after, kind=kind, limit=limit)


async def _manageable(
    session: AsyncSession, principal: Principal, organisation_id: uuid.UUID
) -> Organisation:
    """An admin manages every organisation's keys; a provider (never by API key) its own."""
    if principal.via == "api_key":
        raise Forbidden("An API key cannot manage API keys.")
    ensure_provider_of(principal, organisation_id, scope="", thing="organisation", admin_may=True)
    return await get(session, organisation_id)


async def create_api_key(
    session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, data: ApiKeyIn
) -> tuple[ApiKey, str]:
    """Issue a key; only its hash is stored, the key itself is returned once."""
    await _manageable(session, principal, organisation_id)
    key = new_api_key()
    record = ApiKey(
        organisation_id=organisation_id,
        label=data.label,
        scopes=sorted(set(data.scopes)),
        key_hash=hash_api_key(key),
        key_prefix=key[: len(API_KEY_PREFIX) + 8],
        created_by=principal.sub,
    )
    added = await repository.add_api_key(session, record)
    await audit.record(
        session, principal, action="create", object_type="api_key", object_id=added.id
    )
    return added, key


async def list_api_keys(
    session: AsyncSession, principal: Principal, organisation_id: uuid.UUID
) -> list[ApiKey]:
    """The organisation's keys, without the keys themselves."""
    await _manageable(session, principal, organisation_id)
    return await repository.api_keys_of(session, organisation_id)


async def revoke_api_key(
    session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, key_id: uuid.UUID
) -> ApiKey:
    """Revoke a key at once; repeating it changes nothing."""
    await _manageable(session, principal, organisation_id)
    key = await repository.revoke_api_key(session, organisation_id, key_id, datetime.now(UTC))
    if key is None:
        raise NotFound("No such API key.")
    await audit.record(session, principal, action="revoke", object_type="api_key", object_id=key.id)
    return key


async def introspect(session: AsyncSession, key: str) -> ApiKey:
    """The active key record behind `key`; 404 when unknown or revoked."""
    record = await repository.active_api_key(session, hash_api_key(key))
    if record is None:
        raise NotFound("No active API key matches.")
    return record


async def introspect_by_id(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    """The active key record with this id; 404 when unknown or revoked."""
    record = await repository.active_api_key_by_id(session, key_id)
    if record is None:
        raise NotFound("No active API key has this id.")
    return record


async def resolve_api_key(session: AsyncSession, key: str) -> Principal | None:
    """The caller an API key stands for, from this service's own table."""
    record = await repository.active_api_key(session, hash_api_key(key))
    if record is None:
        return None
    return Principal.of_api_key(record.id, record.label, record.organisation_id, record.scopes)
