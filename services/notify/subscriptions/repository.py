import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.subscriptions.models import Subscription


async def add(session: AsyncSession, subscription: Subscription) -> Subscription:
    session.add(subscription)
    await session.flush()
    await session.refresh(subscription)
    return subscription


async def get_owned(
    session: AsyncSession, subscription_id: uuid.UUID, owner_sub: str
) -> Subscription | None:
    """The subscription when `owner_sub` owns it; scoped here so no caller can forget."""
    query = select(Subscription).where(
        Subscription.id == subscription_id, Subscription.owner_sub == owner_sub
    )
    return await session.scalar(query)


async def get(session: AsyncSession, subscription_id: uuid.UUID) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def count_owned(session: AsyncSession, owner_sub: str) -> int:
    query = select(func.count()).where(Subscription.owner_sub == owner_sub)
    return int(await session.scalar(query) or 0)


async def list_owned(
    session: AsyncSession,
    owner_sub: str,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Subscription]:
    query = (
        select(Subscription)
        .where(Subscription.owner_sub == owner_sub)
        .order_by(Subscription.created_at, Subscription.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(tuple_(Subscription.created_at, Subscription.id) > tuple_(*after))
    return list((await session.scalars(query)).all())


async def remove(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    await session.execute(delete(Subscription).where(Subscription.id == subscription_id))


async def active_for_types(
    session: AsyncSession, event_types: Collection[str]
) -> list[Subscription]:
    """Active subscriptions that asked for any of `event_types`."""
    query = (
        select(Subscription)
        .where(
            Subscription.status == "active",
            Subscription.event_types.overlap(list(event_types)),
        )
        .order_by(Subscription.id)
    )
    return list((await session.scalars(query)).all())


async def disable(
    session: AsyncSession, subscription_id: uuid.UUID, reason: str, now: datetime
) -> None:
    await session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id, Subscription.status == "active")
        .values(status="disabled", disabled_reason=reason, disabled_at=now)
    )
