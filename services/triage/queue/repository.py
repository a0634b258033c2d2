import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.triage.referrals.models import OPEN_STATUSES, Referral
from services.triage.referrals.visibility import Visibility, referral_visible


async def open_referrals(
    session: AsyncSession,
    regions: Collection[str],
    *,
    statuses: Collection[str],
    urgencies: Collection[str],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Referral]:
    """Open referrals of `regions`, the most urgent (earliest due) first."""
    query = (
        select(Referral)
        .where(
            Referral.status.in_(statuses or OPEN_STATUSES),
            referral_visible(Visibility(None, frozenset(regions), None)),
        )
        .order_by(Referral.due_at, Referral.id)
        .limit(limit)
    )
    if urgencies:
        query = query.where(Referral.urgency.in_(urgencies))
    if after is not None:
        query = query.where(tuple_(Referral.due_at, Referral.id) > tuple_(*after))
    return list((await session.scalars(query)).all())


async def depth(session: AsyncSession) -> list[Any]:
    """Open referrals per region and urgency, and the oldest one's submission time."""
    query = (
        select(
            Referral.region_code,
            Referral.urgency,
            func.count().label("open"),
            func.min(Referral.created_at).label("oldest"),
        )
        .where(Referral.status.in_(OPEN_STATUSES))
        .group_by(Referral.region_code, Referral.urgency)
    )
    return list((await session.execute(query)).all())
