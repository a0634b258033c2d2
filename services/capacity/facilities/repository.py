import uuid
from collections.abc import Collection

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.facilities.models import Facility


async def get(session: AsyncSession, facility_id: uuid.UUID) -> Facility | None:
    return await session.get(Facility, facility_id)


async def add(session: AsyncSession, facility: Facility) -> Facility:
    session.add(facility)
    await session.flush()
    await session.refresh(facility)
    return facility


async def list_page(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID | None,
    region_codes: Collection[str] | None,
    place_type: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Facility]:
    query = select(Facility).order_by(Facility.name, Facility.id).limit(limit)
    if organisation_id is not None:
        query = query.where(Facility.organisation_id == organisation_id)
    if region_codes is not None:
        query = query.where(Facility.region_code.in_(region_codes))
    if place_type is not None:
        query = query.where(Facility.place_types.contains([place_type]))
    if after is not None:
        query = query.where(tuple_(Facility.name, Facility.id) > tuple_(*after))
    return list((await session.scalars(query)).all())
