import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, false, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import Referral
from services.triage.referrals.repository import Visibility
from services.triage.reservations.models import Reservation


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


async def stored_response(
    session: AsyncSession, table: Table, owner: str, route: str, key: str
) -> tuple[str, int | None, Any] | None:
    """An earlier request's idempotency record: its body hash, status code and answer."""
    query = select(table.c.request_hash, table.c.status_code, table.c.response).where(
        table.c.owner == owner, table.c.route == route, table.c.key == key
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1], row[2]) if row is not None else None


async def lock_live(session: AsyncSession, referral_id: uuid.UUID) -> Reservation | None:
    """The referral's held or accepted reservation, locked."""
    query = (
        select(Reservation)
        .where(Reservation.referral_id == referral_id, Reservation.status.in_(("held", "accepted")))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


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


def _visible(scope: Visibility) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    if scope.organisation_id is not None:
        clauses.append(Referral.organisation_id == scope.organisation_id)
    if scope.regions:
        clauses.append(Referral.region_code.in_(sorted(scope.regions)))
    if scope.provider_organisation_id is not None:
        clauses.append(Reservation.facility_organisation_id == scope.provider_organisation_id)
    return or_(*clauses) if clauses else false()


async def list_page(
    session: AsyncSession,
    scope: Visibility,
    *,
    referral_id: uuid.UUID | None,
    statuses: Collection[str],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Reservation, str]]:
    """Reservations the caller may see with their referral's status, newest first: a
    provider those at its own facilities, a referrer those of its organisation's referrals,
    a triagist those of its regions."""
    query = (
        select(Reservation, Referral.status)
        .join(Referral, Referral.id == Reservation.referral_id)
        .where(_visible(scope))
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
