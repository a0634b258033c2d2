import uuid
from datetime import datetime

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.organisations.models import ApiKey, Organisation


async def get(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation | None:
    return await session.get(Organisation, organisation_id)


async def list_page(
    session: AsyncSession, *, after: tuple[str, uuid.UUID] | None, kind: str | None, limit: int
) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name, Organisation.id).limit(limit)
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    if after is not None:
        query = query.where(tuple_(Organisation.name, Organisation.id) > tuple_(*after))
    return list((await session.scalars(query)).all())


async def add(session: AsyncSession, organisation: Organisation) -> Organisation:
    session.add(organisation)
    await session.flush()
    await session.refresh(organisation)
    return organisation


async def add_api_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    session.add(key)
    await session.flush()
    await session.refresh(key)
    return key


async def api_keys_of(session: AsyncSession, organisation_id: uuid.UUID) -> list[ApiKey]:
    query = (
        select(ApiKey)
        .where(ApiKey.organisation_id == organisation_id)
        .order_by(ApiKey.created_at.desc())
    )
    return list((await session.scalars(query)).all())


async def active_api_key(session: AsyncSession, key_hash: str) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    return await session.scalar(query)


async def active_api_key_by_id(session: AsyncSession, key_id: uuid.UUID) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    return await session.scalar(query)


async def revoke_api_key(
    session: AsyncSession, organisation_id: uuid.UUID, key_id: uuid.UUID, at: datetime
) -> ApiKey | None:
    query = (
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.organisation_id == organisation_id)
        .values(revoked_at=func.coalesce(ApiKey.revoked_at, at))
        .returning(ApiKey)
    )
    return await session.scalar(query)
