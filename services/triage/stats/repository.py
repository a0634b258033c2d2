from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import Referral, Reservation


def _cohort(regions: Collection[str] | None, start: datetime, end: datetime) -> ColumnElement[bool]:
    window = and_(Referral.created_at >= start, Referral.created_at < end)
    return (
        and_(window, Referral.region_code.in_(sorted(regions))) if regions is not None else window
    )


async def counts_by_status(
    session: AsyncSession, regions: Collection[str] | None, start: datetime, end: datetime
) -> dict[str, int]:
    """Referrals submitted in the window, per current status."""
    query = (
        select(Referral.status, func.count())
        .where(_cohort(regions, start, end))
        .group_by(Referral.status)
    )
    return {row[0]: row[1] for row in (await session.execute(query)).all()}


async def placement(
    session: AsyncSession, regions: Collection[str] | None, start: datetime, end: datetime
) -> Any:
    """Of referrals submitted in the window and placed: how many, the median and 90th
    percentile of the time to placement in seconds, and the share placed in their own
    region."""
    seconds = func.extract("epoch", Referral.placed_at - Referral.created_at)
    own = (
        select(func.bool_or(Reservation.own_region))
        .where(Reservation.referral_id == Referral.id, Reservation.status == "accepted")
        .correlate(Referral)
        .scalar_subquery()
    )
    query = select(
        func.count().label("placed"),
        func.percentile_cont(0.5).within_group(seconds).label("median"),
        func.percentile_cont(0.9).within_group(seconds).label("p90"),
        func.avg(cast(case((own, 1.0), else_=0.0), Float)).label("own_region_share"),
    ).where(_cohort(regions, start, end), Referral.placed_at.is_not(None))
    return (await session.execute(query)).one()


async def reservation_outcomes(
    session: AsyncSession, regions: Collection[str] | None, start: datetime, end: datetime
) -> list[Any]:
    """Reservations made in the window, per status and decline reason."""
    in_regions = Referral.region_code.in_(sorted(regions)) if regions is not None else true()
    query = (
        select(Reservation.status, Reservation.reason_code, func.count().label("n"))
        .join(Referral, Referral.id == Reservation.referral_id)
        .where(Reservation.created_at >= start, Reservation.created_at < end, in_regions)
        .group_by(Reservation.status, Reservation.reason_code)
    )
    return list((await session.execute(query)).all())
