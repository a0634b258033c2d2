import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import LIVE_RESERVATION, Referral, ReferralEvent, Reservation
from services.triage.referrals.visibility import Visibility, referral_visible


async def add(session: AsyncSession, referral: Referral) -> Referral:
    session.add(referral)
    await session.flush()
    return referral


async def add_event(session: AsyncSession, event: ReferralEvent) -> None:
    session.add(event)
    await session.flush()


async def get(
    session: AsyncSession, referral_id: uuid.UUID, *, lock: bool = False
) -> Referral | None:
    query = select(Referral).where(Referral.id == referral_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def is_visible(session: AsyncSession, referral_id: uuid.UUID, scope: Visibility) -> bool:
    query = select(exists().where(Referral.id == referral_id, referral_visible(scope)))
    return bool(await session.scalar(query))


async def list_page(
    session: AsyncSession,
    scope: Visibility,
    *,
    statuses: Collection[str],
    reference: str | None = None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Referral]:
    """Visible referrals, newest first; only those with `reference` when given."""
    query = (
        select(Referral)
        .where(referral_visible(scope))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit)
    )
    if statuses:
        query = query.where(Referral.status.in_(statuses))
    if reference is not None:
        query = query.where(Referral.reference == reference)
    if after is not None:
        query = query.where(tuple_(Referral.created_at, Referral.id) < tuple_(*after))
    return list((await session.scalars(query)).all())


async def live_reservations(
    session: AsyncSession, referral_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Reservation]:
    """The reservation holding (or having taken) a place, per referral."""
    if not referral_ids:
        return {}
    query = select(Reservation).where(
        Reservation.referral_id.in_(referral_ids), Reservation.status.in_(LIVE_RESERVATION)
    )
    return {r.referral_id: r for r in (await session.scalars(query)).all()}


async def decline_counts(
    session: AsyncSession, referral_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not referral_ids:
        return {}
    query = (
        select(Reservation.referral_id, func.count())
        .where(Reservation.referral_id.in_(referral_ids), Reservation.status == "declined")
        .group_by(Reservation.referral_id)
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def declined_facilities(session: AsyncSession, referral_id: uuid.UUID) -> set[uuid.UUID]:
    query = select(Reservation.facility_id).where(
        Reservation.referral_id == referral_id, Reservation.status == "declined"
    )
    return set((await session.scalars(query)).all())


async def lock_live(session: AsyncSession, referral_id: uuid.UUID) -> Reservation | None:
    """The referral's held or accepted reservation, locked."""
    query = (
        select(Reservation)
        .where(Reservation.referral_id == referral_id, Reservation.status.in_(LIVE_RESERVATION))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def timeline(session: AsyncSession, referral_id: uuid.UUID) -> list[ReferralEvent]:
    query = (
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.at, ReferralEvent.id)
    )
    return list((await session.scalars(query)).all())
