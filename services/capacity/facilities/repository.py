import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from services.capacity.facilities.models import Facility, FacilityIdentifier


class IdentifierTaken(Exception):
    """A (system, value) pair already names another facility."""


async def get(session: AsyncSession, facility_id: uuid.UUID) -> Facility | None:
    return await session.get(Facility, facility_id)


async def get_many(session: AsyncSession, facility_ids: Collection[uuid.UUID]) -> list[Facility]:
    """The facilities with these ids (unknown ids are left out), in one query."""
    query = select(Facility).where(Facility.id.in_(facility_ids))
    return list((await session.scalars(query)).all())


async def get_with_identifiers(session: AsyncSession, facility_id: uuid.UUID) -> Facility | None:
    query = (
        select(Facility)
        .where(Facility.id == facility_id)
        .options(selectinload(Facility.identifiers))
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def add(session: AsyncSession, facility: Facility) -> Facility:
    """Insert a facility with its identifiers; `IdentifierTaken` when a pair is in use."""
    try:
        async with session.begin_nested():
            session.add(facility)
            await session.flush()
    except IntegrityError as exc:
        raise IdentifierTaken from exc
    found = await get_with_identifiers(session, facility.id)
    assert found is not None
    return found


async def replace_identifiers(
    session: AsyncSession, facility: Facility, pairs: Sequence[tuple[str, str]]
) -> None:
    """Make `pairs` the facility's identifiers; `IdentifierTaken` when a pair is in use."""
    kept = {(i.system, i.value): i for i in facility.identifiers}
    try:
        async with session.begin_nested():
            facility.identifiers = [
                kept.get(pair) or FacilityIdentifier(system=pair[0], value=pair[1])
                for pair in pairs
            ]
            await session.flush()
    except IntegrityError as exc:
        raise IdentifierTaken from exc


async def holders(
    session: AsyncSession, pairs: Collection[tuple[str, str]]
) -> list[FacilityIdentifier]:
    """The identifiers among `pairs` that some facility already holds."""
    if not pairs:
        return []
    query = select(FacilityIdentifier).where(
        tuple_(FacilityIdentifier.system, FacilityIdentifier.value).in_(list(pairs))
    )
    return list((await session.scalars(query)).all())


async def list_page(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID | None,
    region_codes: Collection[str] | None,
    place_type: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Facility]:
    query = (
        select(Facility)
        .options(selectinload(Facility.identifiers))
        .order_by(Facility.name, Facility.id)
        .limit(limit)
    )
    if organisation_id is not None:
        query = query.where(Facility.organisation_id == organisation_id)
    if region_codes is not None:
        query = query.where(Facility.region_code.in_(region_codes))
    if place_type is not None:
        query = query.where(Facility.place_types.contains([place_type]))
    if after is not None:
        query = query.where(tuple_(Facility.name, Facility.id) > tuple_(*after))
    return list((await session.scalars(query)).all())
