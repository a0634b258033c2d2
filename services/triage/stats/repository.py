import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import Referral, Reservation
from services.triage.stats import unmet


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


def _regions(regions: Collection[str] | None) -> ColumnElement[bool]:
    return Referral.region_code.in_(sorted(regions)) if regions is not None else true()


async def unmet_demand(
    session: AsyncSession,
    regions: Collection[str] | None,
    start: datetime,
    end: datetime,
    *,
    by: Collection[str] = (),
) -> list[Any]:
    """Of referrals submitted in the window: how many, how many unmet by reason (as of
    `end`), and the median wait of the unmet in seconds — grouped `by` the referral's
    `region_code` and/or `place_type` (none: one row for all)."""
    reason = unmet.unmet_reason(end)
    is_unmet = reason.is_not(None)
    columns = [
        func.count().label("referrals"),
        func.count().filter(is_unmet).label("unmet"),
        *[func.count().filter(reason == code).label(code) for code in unmet.REASONS],
        func.percentile_cont(0.5)
        .within_group(unmet.waited_seconds(end))
        .filter(is_unmet)
        .label("median_wait"),
    ]
    keys = [getattr(Referral, key) for key in by]
    query = select(*keys, *columns).where(_cohort(regions, start, end))
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    return list((await session.execute(query)).all())


async def wrong_bed_days(
    session: AsyncSession,
    regions: Collection[str] | None,
    hospitals: Collection[uuid.UUID],
    start: datetime,
    end: datetime,
) -> list[Any]:
    """Per region and place type, for referrals from hospitals: the verkeerde beddagen that
    fall in the window, how many referrals they came from and how many patients still wait
    at `end`."""
    if not hospitals:
        return []
    ended = func.coalesce(Referral.placed_at, Referral.closed_at)
    query = (
        select(
            Referral.region_code,
            Referral.place_type,
            func.count().label("referrals"),
            func.sum(unmet.bed_days(start, end)).label("days"),
            func.count().filter(unmet.waiting(end)).label("waiting_now"),
        )
        .where(
            unmet.from_hospital(hospitals),
            _regions(regions),
            Referral.created_at < end,
            or_(ended.is_(None), ended > start),
        )
        .group_by(Referral.region_code, Referral.place_type)
        .order_by(Referral.region_code, Referral.place_type)
    )
    return list((await session.execute(query)).all())
