"""The outbox as the live stream reads it (one event by id, and what a returning client
missed), and the stream tickets."""

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.stream.models import StreamTicket
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


async def add_ticket(session: AsyncSession, ticket: StreamTicket, now: datetime) -> None:
    """Store a new ticket, and clear out tickets that expired unused."""
    await session.execute(delete(StreamTicket).where(StreamTicket.expires_at <= now))
    session.add(ticket)
    await session.flush()


async def take_ticket(
    session: AsyncSession, ticket_hash: str, now: datetime
) -> StreamTicket | None:
    """The ticket, removed as it is taken so that it opens one stream only; None when it
    is unknown, used or expired."""
    query = (
        delete(StreamTicket)
        .where(StreamTicket.ticket_hash == ticket_hash, StreamTicket.expires_at > now)
        .returning(StreamTicket)
    )
    return (await session.scalars(query)).one_or_none()
