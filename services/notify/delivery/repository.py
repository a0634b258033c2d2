import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.delivery.models import Delivery
from services.notify.subscriptions.models import Subscription

OPEN = ("pending", "failed")
INSERT_CHUNK = 1000  # rows per statement, well below PostgreSQL's parameter limit


async def add_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert deliveries; one that exists for the same event and subscription is kept."""
    created = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        query = (
            insert(Delivery)
            .values(list(rows[start : start + INSERT_CHUNK]))
            .on_conflict_do_nothing(constraint="uq_deliveries_event_subscription")
            .returning(Delivery.id)
        )
        created += len((await session.execute(query)).all())
    return created


async def claim_due(
    session: AsyncSession, now: datetime, limit: int
) -> list[tuple[Delivery, Subscription]]:
    """Due deliveries of active subscriptions, locked; rows another worker holds are
    skipped, and so are rows whose lease has not run out."""
    query = (
        select(Delivery, Subscription)
        .join(Subscription, Delivery.subscription_id == Subscription.id)
        .where(
            Delivery.status.in_(OPEN),
            Delivery.next_attempt_at <= now,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now),
            Subscription.status == "active",
        )
        .order_by(Delivery.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    return [(row[0], row[1]) for row in (await session.execute(query)).all()]


async def lock_claimed(
    session: AsyncSession, delivery_id: uuid.UUID, claim_token: uuid.UUID
) -> Delivery | None:
    """The delivery, locked, if it is still the claim this worker made."""
    query = (
        select(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claim_token == claim_token)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def give_up_open(
    session: AsyncSession, subscription_id: uuid.UUID, reason: str, now: datetime
) -> int:
    """End every open delivery of a subscription that was disabled."""
    result = await session.execute(
        update(Delivery)
        .where(Delivery.subscription_id == subscription_id, Delivery.status.in_(OPEN))
        .values(
            status="dead",
            next_attempt_at=None,
            lease_until=None,
            claim_token=None,
            last_error=reason,
        )
        .returning(Delivery.id)
    )
    return len(result.all())


async def get_visible(
    session: AsyncSession, delivery_id: uuid.UUID, owner_sub: str | None
) -> tuple[Delivery, Subscription] | None:
    """The delivery with its subscription; `owner_sub` None means every owner (admin)."""
    query = (
        select(Delivery, Subscription)
        .join(Subscription, Delivery.subscription_id == Subscription.id)
        .where(Delivery.id == delivery_id)
        .with_for_update(of=Delivery)
    )
    if owner_sub is not None:
        query = query.where(Subscription.owner_sub == owner_sub)
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row is not None else None


async def list_page(
    session: AsyncSession,
    *,
    owner_sub: str | None,
    subscription_id: uuid.UUID | None,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Delivery]:
    """Newest first; `owner_sub` None means every owner (admin)."""
    query = (
        select(Delivery)
        .join(Subscription, Delivery.subscription_id == Subscription.id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    if owner_sub is not None:
        query = query.where(Subscription.owner_sub == owner_sub)
    if subscription_id is not None:
        query = query.where(Delivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if before is not None:
        query = query.where(tuple_(Delivery.created_at, Delivery.id) < tuple_(*before))
    return list((await session.scalars(query)).all())


async def count_dead(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(Delivery.status == "dead")) or 0)
