"""The outbox as the live stream reads it: one event by id, and what a returning client
missed."""

import uuid
from collections.abc import Collection

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.outbox import OutboxEvent


async def find(session: AsyncSession, event_id: uuid.UUID) -> OutboxEvent | None:
    return await session.scalar(select(OutboxEvent).where(OutboxEvent.id == event_id))


async def missed(
    session: AsyncSession,
    *,
    last_seen: OutboxEvent,
    horizon: int,
    window_end: int | None,
    last_position: int,
    event_types: Collection[str] | None,
    after_position: int,
    limit: int,
) -> list[OutboxEvent]:
    """Events a client that saw `last_seen` may have missed, up to a reader's point, in
    position order. A row written by an older transaction with a lower position was
    surely seen before `last_seen`; every other row may not have been, so it is sent
    again (clients drop repeats by id)."""
    taken = OutboxEvent.txid < horizon
    if window_end is not None:
        taken = or_(
            taken, and_(OutboxEvent.txid < window_end, OutboxEvent.position <= last_position)
        )
    query = (
        select(OutboxEvent)
        .where(
            taken,
            or_(OutboxEvent.txid >= last_seen.txid, OutboxEvent.position > last_seen.position),
            OutboxEvent.id != last_seen.id,
            OutboxEvent.position > after_position,
        )
        .order_by(OutboxEvent.position)
        .limit(limit)
    )
    if event_types:
        query = query.where(OutboxEvent.type.in_(list(event_types)))
    return list((await session.scalars(query)).all())
