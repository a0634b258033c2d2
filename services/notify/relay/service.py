"""The relay: reads the event outbox in order, without skipping or repeating, and fans each
event out as delivery rows to every subscription that asked for it and may see it.

Reading. Positions are taken when a row is inserted but become visible when its
transaction commits, so a row with a lower position can appear after a higher one. The
reader therefore works in windows of writing transactions: it opens a window
`[horizon, oldest running transaction of this database)`, whose rows are all final, takes
them in position order, and then moves `horizon` to the window's end (transactions in
other databases on the same server never write this outbox, so none of them holds a window
back). A row that commits late belongs to a
transaction at or above the old horizon, so it falls in a later window. Two writers that
touch the same row commit one after the other, and their events keep that order.

The relay's place is kept in `notify.relay_cursors`, locked while one relay works, so two
relays never take the same window; each event reaches each subscription once (the
deliveries are also unique per event and subscription)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.audience import may_see
from services.notify.delivery import repository as deliveries
from services.notify.relay import repository
from services.notify.relay.models import DELIVERY_RELAY, RelayCursor
from services.notify.subscriptions import repository as subscriptions
from services.notify.subscriptions.service import filter_of, viewer_of
from shared.contracts.events import read_audience, read_data
from shared.outbox import Event, OutboxEvent

BATCH = 200


@dataclass(frozen=True, slots=True)
class ReadPoint:
    """How far a reader has come: every row of a transaction below `horizon` is taken,
    and in the open window `[horizon, window_end)` the rows up to `last_position`."""

    horizon: int
    window_end: int | None = None
    last_position: int = 0

    @classmethod
    def of(cls, cursor: RelayCursor) -> ReadPoint:
        return cls(cursor.horizon, cursor.window_end, cursor.last_position)


async def read_next(
    session: AsyncSession, point: ReadPoint, limit: int = BATCH
) -> tuple[list[OutboxEvent], ReadPoint]:
    """The next rows after `point`, in order, and the point after them."""
    if point.window_end is None:
        oldest_running = await repository.safe_horizon(session)
        if oldest_running <= point.horizon:
            return [], point
        point = ReadPoint(point.horizon, oldest_running, 0)
    assert point.window_end is not None
    rows = await repository.read_window(
        session, point.horizon, point.window_end, point.last_position, limit
    )
    if len(rows) < limit:
        return rows, ReadPoint(point.window_end)
    return rows, ReadPoint(point.horizon, point.window_end, rows[-1].position)


async def start_point(session: AsyncSession) -> ReadPoint:
    """A point after everything already written: a live reader starts here."""
    return ReadPoint(await repository.safe_horizon(session))


def event_of(row: OutboxEvent) -> Event:
    """An outbox row as the event it records (for its wire body)."""
    return Event(
        type=row.type,
        source=row.source,
        data=row.data,
        audience=row.audience,
        id=row.id,
        occurred_at=row.occurred_at,
    )


@dataclass(frozen=True, slots=True)
class RelayResult:
    events: int
    deliveries: int


async def relay_once(
    session: AsyncSession, limit: int = BATCH, now: datetime | None = None
) -> RelayResult:
    """Take the next events and create their deliveries, in the caller's transaction.
    Returns nothing to do while another relay holds the cursor. Tests move `now`."""
    cursor = await repository.lock_cursor(session, DELIVERY_RELAY)
    if cursor is None:
        return RelayResult(0, 0)
    rows, point = await read_next(session, ReadPoint.of(cursor), limit)
    created = await fan_out(session, rows, now or datetime.now(UTC))
    cursor.horizon, cursor.window_end, cursor.last_position = (
        point.horizon,
        point.window_end,
        point.last_position,
    )
    await session.flush()
    return RelayResult(len(rows), created)


async def fan_out(session: AsyncSession, rows: Sequence[OutboxEvent], now: datetime) -> int:
    """A pending delivery for every unexpired subscription that wants each event and whose
    owner may see it (judged again before each attempt)."""
    if not rows:
        return 0
    candidates = await subscriptions.active_for_types(session, {row.type for row in rows}, now)
    if not candidates:
        return 0
    wanted = [(s, viewer_of(s), filter_of(s)) for s in candidates]
    values: list[dict[str, Any]] = []
    for row in rows:
        body = event_of(row).body()
        data, audience = read_data(row.type, row.data), read_audience(row.audience)
        for subscription, viewer, event_filter in wanted:
            if event_filter.matches(row.type, data) and may_see(viewer, audience):
                values.append(
                    {
                        "id": uuid.uuid4(),
                        "event_id": row.id,
                        "subscription_id": subscription.id,
                        "event_type": row.type,
                        "event_occurred_at": row.occurred_at,
                        "payload": body,
                        "audience": row.audience,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                )
    return await deliveries.add_many(session, values)


async def oldest_unread(session: AsyncSession, point: ReadPoint | None = None) -> datetime | None:
    """When the oldest committed event not yet taken (by the relay, or from `point`)
    occurred; None when every committed event was taken."""
    if point is None:
        cursor = await repository.get_cursor(session, DELIVERY_RELAY)
        point = ReadPoint.of(cursor) if cursor is not None else ReadPoint(0)
    return await repository.oldest_unread(
        session, point.horizon, point.window_end, point.last_position
    )


async def lag_seconds(session: AsyncSession, now: datetime | None = None) -> float:
    """Age of the oldest committed event the relay has not taken (0 when none). It grows
    while any transaction that wrote to the database stays open: the relay waits for it."""
    now = now or datetime.now(UTC)
    oldest = await oldest_unread(session)
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
