import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.capacity.capacity.models import CapacityReport, CapacityState
from services.capacity.capacity.staleness import ReminderStage
from services.capacity.facilities.models import Facility


async def lock_state(
    session: AsyncSession, facility_id: uuid.UUID, place_type: str
) -> CapacityState | None:
    """The current state, locked until the transaction ends."""
    query = (
        select(CapacityState)
        .where(CapacityState.facility_id == facility_id, CapacityState.place_type == place_type)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def insert_state_if_absent(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert the first state of a place type; False when a concurrent report was first."""
    query = (
        insert(CapacityState)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(CapacityState.facility_id)
    )
    return (await session.execute(query)).first() is not None


async def states_of(session: AsyncSession, facility_id: uuid.UUID) -> list[CapacityState]:
    """The current state of every place type reported at one facility."""
    query = (
        select(CapacityState)
        .where(CapacityState.facility_id == facility_id)
        .order_by(CapacityState.place_type)
    )
    return list((await session.scalars(query)).all())


async def lock_states_of(session: AsyncSession, facility_id: uuid.UUID) -> list[CapacityState]:
    """The current state of every place type at one facility, locked in place type order
    until the transaction ends."""
    query = (
        select(CapacityState)
        .where(CapacityState.facility_id == facility_id)
        .order_by(CapacityState.place_type)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.scalars(query)).all())


async def states_of_many(
    session: AsyncSession, facility_ids: list[uuid.UUID]
) -> list[CapacityState]:
    """The current states of several facilities."""
    if not facility_ids:
        return []
    query = (
        select(CapacityState)
        .where(CapacityState.facility_id.in_(facility_ids))
        .order_by(CapacityState.facility_id, CapacityState.place_type)
    )
    return list((await session.scalars(query)).all())


async def add_report(session: AsyncSession, report: CapacityReport) -> None:
    session.add(report)
    await session.flush()


async def history(
    session: AsyncSession,
    facility_id: uuid.UUID,
    place_type: str,
    *,
    since: datetime | None,
    until: datetime | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[CapacityReport]:
    """Past reports, newest first."""
    query = (
        select(CapacityReport)
        .where(CapacityReport.facility_id == facility_id, CapacityReport.place_type == place_type)
        .order_by(CapacityReport.observed_at.desc(), CapacityReport.id.desc())
        .limit(limit)
    )
    if since is not None:
        query = query.where(CapacityReport.observed_at >= since)
    if until is not None:
        query = query.where(CapacityReport.observed_at <= until)
    if before is not None:
        query = query.where(
            (CapacityReport.observed_at < before[0])
            | ((CapacityReport.observed_at == before[0]) & (CapacityReport.id < before[1]))
        )
    return list((await session.scalars(query)).all())


async def claim_newly_stale(
    session: AsyncSession, stale: ColumnElement[bool], limit: int
) -> list[tuple[CapacityState, Facility]]:
    """Stale rows whose `capacity.stale` was not yet published, locked; rows another
    sweeper holds are skipped."""
    query = (
        select(CapacityState, Facility)
        .join(Facility, Facility.id == CapacityState.facility_id)
        .where(stale, CapacityState.stale_notified.is_(False))
        .limit(limit)
        .with_for_update(of=CapacityState, skip_locked=True)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def claim_reminders(
    session: AsyncSession, stage: ColumnElement[str | None], limit: int
) -> list[tuple[CapacityState, Facility, ReminderStage]]:
    """Rows that reached a reminder stage not yet sent for their report (`due`, or `stale`
    after at most `due`), locked with the stage reached; rows another sweeper holds are
    skipped."""
    query = (
        select(CapacityState, Facility, stage.label("stage"))
        .join(Facility, Facility.id == CapacityState.facility_id)
        .where(
            stage.is_not(None),
            CapacityState.reminded_stage.is_(None)
            | ((stage == "stale") & (CapacityState.reminded_stage == "due")),
        )
        .order_by(CapacityState.facility_id, CapacityState.place_type)
        .limit(limit)
        .with_for_update(of=CapacityState, skip_locked=True)
    )
    rows = (await session.execute(query)).all()
    return [(row[0], row[1], cast(ReminderStage, row[2])) for row in rows]
