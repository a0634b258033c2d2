"""Reading the event outbox, and the relay's durable cursor."""

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, not_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.relay.models import RelayCursor
from shared.outbox import OutboxEvent


async def ping(connection: Any) -> None:
    """A round trip on the LISTEN connection (asyncpg's own), to notice it was cut."""
    await connection.execute("SELECT 1")


async def lock_cursor(session: AsyncSession, name: str) -> RelayCursor | None:
    """The cursor, locked for this transaction; None while another relay holds it."""
    await session.execute(
        insert(RelayCursor)
        .values(name=name, horizon=0, window_end=None, last_position=0)
        .on_conflict_do_nothing(index_elements=[RelayCursor.name])
    )
    query = (
        select(RelayCursor)
        .where(RelayCursor.name == name)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def get_cursor(session: AsyncSession, name: str) -> RelayCursor | None:
    return await session.get(RelayCursor, name)


# The oldest transaction of this database still running, else the next transaction id.
# Only a transaction of this database can write its outbox: one in another database on the
# same server (`txid_snapshot_xmin` counts those too) holds nothing up. The transactions are
# read after the snapshot is taken (in the same statement): one of the snapshot's running
# transactions that is not listed had ended by then. `backend_xid` is the low 32 bits of
# the 64-bit id of `txid_current`.
_HORIZON = text(
    """
    WITH snapshot AS (SELECT txid_current_snapshot() AS s),
    ours AS (
        SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity
        WHERE datname = current_database() AND backend_xid IS NOT NULL
        UNION ALL
        SELECT transaction::text::bigint FROM pg_prepared_xacts
        WHERE database = current_database()
    )
    SELECT coalesce(
        (SELECT min(x) FROM snapshot, txid_snapshot_xip(snapshot.s) AS x
         WHERE x % 4294967296 IN (SELECT xid FROM ours)),
        (SELECT txid_snapshot_xmax(s) FROM snapshot)
    )
    """
)


async def safe_horizon(session: AsyncSession) -> int:
    """The oldest transaction id of this database still running (or the next one): every
    outbox row written by an older transaction has committed (or never will)."""
    # The server keeps what `pg_stat_activity` showed until the transaction ends: a second
    # look in the same transaction would miss transactions begun since.
    await session.execute(select(func.pg_stat_clear_snapshot()))
    horizon: int = (await session.execute(_HORIZON)).scalar_one()
    return horizon


async def read_window(
    session: AsyncSession, horizon: int, window_end: int, after_position: int, limit: int
) -> list[OutboxEvent]:
    """Rows written by transactions in `[horizon, window_end)`, in position order."""
    query = (
        select(OutboxEvent)
        .where(
            OutboxEvent.txid >= horizon,
            OutboxEvent.txid < window_end,
            OutboxEvent.position > after_position,
        )
        .order_by(OutboxEvent.position)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def oldest_unread(
    session: AsyncSession, horizon: int, window_end: int | None, last_position: int
) -> datetime | None:
    """When the oldest committed event the reader has not taken yet occurred."""
    query = select(func.min(OutboxEvent.occurred_at)).where(OutboxEvent.txid >= horizon)
    if window_end is not None:
        query = query.where(
            not_(and_(OutboxEvent.txid < window_end, OutboxEvent.position <= last_position))
        )
    result: datetime | None = await session.scalar(query)
    return result
