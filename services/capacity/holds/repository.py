import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.models import CapacityState
from services.capacity.holds.models import Hold


def _place(facility_id: uuid.UUID, place_type: str) -> ColumnElement[bool]:
    return and_(CapacityState.facility_id == facility_id, CapacityState.place_type == place_type)


async def take_place(
    session: AsyncSession, facility_id: uuid.UUID, place_type: str
) -> CapacityState | None:
    """Hold one place if one is free: a single conditional statement, so two callers racing
    for the last place get one row and one None, whatever the timing."""
    query = (
        update(CapacityState)
        .where(_place(facility_id, place_type), CapacityState.available - CapacityState.held > 0)
        .values(held=CapacityState.held + 1)
        .returning(CapacityState)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def return_place(
    session: AsyncSession, facility_id: uuid.UUID, place_type: str
) -> CapacityState | None:
    """Give a held place back."""
    query = (
        update(CapacityState)
        .where(_place(facility_id, place_type))
        .values(held=func.greatest(CapacityState.held - 1, 0))
        .returning(CapacityState)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def occupy_place(
    session: AsyncSession, facility_id: uuid.UUID, place_type: str
) -> CapacityState | None:
    """The held place is admitted: one fewer held, one fewer available, one more occupied.
    When a newer report already counted it (available 0), only the hold goes."""
    has_available = CapacityState.available > 0
    query = (
        update(CapacityState)
        .where(_place(facility_id, place_type))
        .values(
            held=func.greatest(CapacityState.held - 1, 0),
            available=case((has_available, CapacityState.available - 1), else_=0),
            occupied=case(
                (has_available, CapacityState.occupied + 1), else_=CapacityState.occupied
            ),
        )
        .returning(CapacityState)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def add(session: AsyncSession, hold: Hold) -> Hold:
    session.add(hold)
    await session.flush()
    await session.refresh(hold)
    return hold


async def lock(session: AsyncSession, hold_id: uuid.UUID) -> Hold | None:
    query = (
        select(Hold)
        .where(Hold.id == hold_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def claim_expired(session: AsyncSession, now: datetime, limit: int) -> list[Hold]:
    """Active holds past their expiry, locked; rows another sweeper holds are skipped."""
    query = (
        select(Hold)
        .where(Hold.status == "active", Hold.expires_at <= now)
        .order_by(Hold.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    due = list((await session.scalars(query)).all())
    # Places are locked in the one order every transaction uses, so sweepers and batches
    # cannot deadlock.
    return sorted(due, key=lambda hold: (hold.facility_id, hold.place_type))
