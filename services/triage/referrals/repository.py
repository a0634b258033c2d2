import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, false, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import Referral, ReferralEvent
from services.triage.reservations.models import Reservation

LIVE_RESERVATION = ("held", "accepted")


@dataclass(frozen=True, slots=True)
class Visibility:
    """Whose referrals a caller sees: its organisation's (referrer), those of the regions it
    covers (triagist), those it holds a live reservation for (provider)."""

    organisation_id: uuid.UUID | None
    regions: frozenset[str]
    provider_organisation_id: uuid.UUID | None


def provider_holds(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    return exists().where(
        Reservation.referral_id == Referral.id,
        Reservation.facility_organisation_id == organisation_id,
        Reservation.status.in_(LIVE_RESERVATION),
    )


def visible(scope: Visibility) -> ColumnElement[bool]:
    """SQL: the referrals `scope` may see; every list query is filtered by it."""
    clauses: list[ColumnElement[bool]] = []
    if scope.organisation_id is not None:
        clauses.append(Referral.organisation_id == scope.organisation_id)
    if scope.regions:
        clauses.append(Referral.region_code.in_(sorted(scope.regions)))
    if scope.provider_organisation_id is not None:
        clauses.append(provider_holds(scope.provider_organisation_id))
    return or_(*clauses) if clauses else false()


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
    query = select(exists().where(Referral.id == referral_id, visible(scope)))
    return bool(await session.scalar(query))


async def list_page(
    session: AsyncSession,
    scope: Visibility,
    *,
    statuses: Collection[str],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Referral]:
    """Visible referrals, newest first."""
    query = (
        select(Referral)
        .where(visible(scope))
        .order_by(Referral.created_at.desc(), Referral.id.desc())
        .limit(limit)
    )
    if statuses:
        query = query.where(Referral.status.in_(statuses))
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


async def timeline(session: AsyncSession, referral_id: uuid.UUID) -> list[ReferralEvent]:
    query = (
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.at, ReferralEvent.id)
    )
    return list((await session.scalars(query)).all())
