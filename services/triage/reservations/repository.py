import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import Referral, Reservation
from services.triage.referrals.visibility import Visibility, reservation_visible


async def add(session: AsyncSession, reservation: Reservation) -> Reservation:
    session.add(reservation)
    await session.flush()
    return reservation


async def get(
    session: AsyncSession, reservation_id: uuid.UUID, *, lock: bool = False
) -> Reservation | None:
    query = select(Reservation).where(Reservation.id == reservation_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def is_visible(session: AsyncSession, reservation_id: uuid.UUID, scope: Visibility) -> bool:
    query = (
        select(Reservation.id)
        .join(Referral, Referral.id == Reservation.referral_id)
        .where(Reservation.id == reservation_id, reservation_visible(scope))
    )
    return bool(await session.scalar(select(query.exists())))


async def claim_expired(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[Reservation, Referral]]:
    """Held reservations past their expiry with their referrals, both locked; rows another
    sweeper (or a provider's answer in progress) holds are skipped, never waited for."""
    query = (
        select(Reservation, Referral)
        .join(Referral, Referral.id == Reservation.referral_id)
        .where(Reservation.status == "held", Reservation.expires_at <= now)
        .order_by(Reservation.expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def list_page(
    session: AsyncSession,
    scope: Visibility,
    *,
    referral_id: uuid.UUID | None,
    statuses: Collection[str],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Reservation, str]]:
    """Reservations the caller may see with their referral's status, newest first."""
    query = (
        select(Reservation, Referral.status)
        .join(Referral, Referral.id == Reservation.referral_id)
        .where(reservation_visible(scope))
        .order_by(Reservation.created_at.desc(), Reservation.id.desc())
        .limit(limit)
    )
    if referral_id is not None:
        query = query.where(Reservation.referral_id == referral_id)
    if statuses:
        query = query.where(Reservation.status.in_(statuses))
    if after is not None:
        query = query.where(tuple_(Reservation.created_at, Reservation.id) < tuple_(*after))
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]
