"""The outbox as the live stream reads it (one event by id, and what a returning client
missed), and the stream tickets."""

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, delete, false, or_, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.audience import Viewer
from services.notify.stream.models import StreamTicket
from shared import reference
from shared.auth import PROFESSIONAL_ROLES
from shared.contracts.events import EVERY_PROFESSIONAL
from shared.outbox import OutboxEvent


async def find(session: AsyncSession, event_id: uuid.UUID) -> OutboxEvent | None:
    return await session.scalar(select(OutboxEvent).where(OutboxEvent.id == event_id))


def visible_to(viewer: Viewer) -> ColumnElement[bool]:
    """The rule of `audience.may_see` as SQL, so that a replay reads only rows the viewer
    may see; `may_see` still decides for each row."""
    if viewer.roles.isdisjoint(PROFESSIONAL_ROLES):
        return false()
    clauses = [OutboxEvent.audience.contains(EVERY_PROFESSIONAL.model_dump(mode="json"))]
    if viewer.org is not None:
        clauses.append(OutboxEvent.audience["organisation_ids"].has_key(str(viewer.org)))
    if "triagist" in viewer.roles:
        covered = sorted({c for r in viewer.regions for c in reference.covered_regions(r)})
        if covered:
            clauses.append(OutboxEvent.audience["regions"].has_any(array(covered, type_=String)))
    return or_(*clauses)


async def missed(
    session: AsyncSession,
    *,
    last_seen: OutboxEvent | None,
    since: datetime,
    visible: ColumnElement[bool],
    horizon: int,
    window_end: int | None,
    last_position: int,
    event_types: Collection[str] | None,
    before_position: int | None,
    limit: int,
) -> list[OutboxEvent]:
    """Events a client that saw `last_seen` (None: an event no longer kept) may have
    missed, up to a reader's point and no older than `since`, newest first. A row written
    by an older transaction with a lower position than `last_seen` was surely seen before
    it; every other row may not have been, so it is sent again (clients drop repeats by
    id)."""
    taken = OutboxEvent.txid < horizon
    if window_end is not None:
        taken = or_(
            taken, and_(OutboxEvent.txid < window_end, OutboxEvent.position <= last_position)
        )
    query = (
        select(OutboxEvent)
        .where(taken, visible, OutboxEvent.occurred_at >= since)
        .order_by(OutboxEvent.position.desc())
        .limit(limit)
    )
    if last_seen is not None:
        query = query.where(
            or_(OutboxEvent.txid >= last_seen.txid, OutboxEvent.position > last_seen.position),
            OutboxEvent.id != last_seen.id,
        )
    if before_position is not None:
        query = query.where(OutboxEvent.position < before_position)
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
