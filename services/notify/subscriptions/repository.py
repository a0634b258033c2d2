import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, or_, select, tuple_, update
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


async def lock(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    """Hold the subscription's row for this transaction."""
    await session.execute(
        select(Subscription.id).where(Subscription.id == subscription_id).with_for_update()
    )


async def count_owned(session: AsyncSession, owner_sub: str) -> int:
    query = select(func.count()).where(Subscription.owner_sub == owner_sub)
    return int(await session.scalar(query) or 0)


async def list_page(
    session: AsyncSession,
    *,
    owner_sub: str | None = None,
    organisation_id: uuid.UUID | None = None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Subscription]:
    """One owner's subscriptions, or one organisation's, oldest first."""
    query = select(Subscription).order_by(Subscription.created_at, Subscription.id).limit(limit)
    if owner_sub is not None:
        query = query.where(Subscription.owner_sub == owner_sub)
    if organisation_id is not None:
        query = query.where(Subscription.owner_org == organisation_id)
    if after is not None:
        query = query.where(tuple_(Subscription.created_at, Subscription.id) > tuple_(*after))
    return list((await session.scalars(query)).all())


async def refresh_owner(
    session: AsyncSession,
    owner_sub: str,
    *,
    name: str,
    org: uuid.UUID | None,
    roles: list[str],
    regions: list[str],
    issued_at: datetime,
) -> int:
    """Give a person's subscriptions the claims of a newer token, where they differ; the
    number changed."""
    result = await session.execute(
        update(Subscription)
        .where(
            Subscription.owner_sub == owner_sub,
            Subscription.api_key_id.is_(None),
            or_(
                Subscription.owner_claims_issued_at.is_(None),
                Subscription.owner_claims_issued_at <= issued_at,
            ),
            or_(
                Subscription.owner_org.is_distinct_from(org),
                Subscription.owner_roles != roles,
                Subscription.owner_regions != regions,
                Subscription.owner_name != name,
            ),
        )
        .values(
            owner_name=name,
            owner_org=org,
            owner_roles=roles,
            owner_regions=regions,
            owner_claims_issued_at=issued_at,
        )
        .returning(Subscription.id)
    )
    return len(result.all())


async def remove(session: AsyncSession, subscription_id: uuid.UUID) -> None:
    await session.execute(delete(Subscription).where(Subscription.id == subscription_id))


async def active_for_types(
    session: AsyncSession, event_types: Collection[str], now: datetime
) -> list[Subscription]:
    """Active, unexpired subscriptions that asked for any of `event_types`."""
    query = (
        select(Subscription)
        .where(
            Subscription.status == "active",
            Subscription.expires_at > now,
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
