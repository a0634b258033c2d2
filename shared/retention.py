"""Retention: rows that have served their purpose are deleted on a schedule — old events of
the outbox, finished deliveries, idempotency keys, capacity history — by a background loop
in the service that owns them, in batches of short transactions that skip rows another
transaction holds (`FOR UPDATE SKIP LOCKED`), so any number of replicas may run it.

The audit log is never pruned by the application: it is kept (NEN 7513: at least five
years) and no application role may delete from it (shared/roles.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase

from shared import metrics
from shared.settings import Settings

log = logging.getLogger("zorgplek.retention")
BATCH = 1000


@dataclass(frozen=True, slots=True)
class Retention:
    """Rows of `table` whose `column` (a timestamp) is older than `keep(settings)` go, where
    `also` (if given) holds for them too."""

    name: str
    table: Table
    column: str
    keep: Callable[[Settings], timedelta]
    also: Callable[[], ColumnElement[bool]] | None = None
    # Skip rows another transaction holds. Off only for rows nobody ever locks or changes
    # once written (the outbox), where locking would need a right to update them.
    skip_locked: bool = True


def table_of(model: type[DeclarativeBase]) -> Table:
    """The table a model is mapped to."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def idempotency_keys(name: str, table: Table) -> Retention:
    """A service's idempotency keys (shared/idempotency.py), kept as long as a retry may
    still come."""
    return Retention(
        name,
        table,
        "created_at",
        lambda s: timedelta(hours=s.idempotency_retention_hours),
    )


async def prune(
    sessions: async_sessionmaker[AsyncSession],
    rule: Retention,
    settings: Settings,
    now: datetime,
    batch: int = BATCH,
) -> int:
    """Delete what `rule` no longer keeps, `batch` rows per transaction; the number gone."""
    table = rule.table
    keys = tuple_(*table.primary_key.columns)
    condition = table.c[rule.column] < now - rule.keep(settings)
    if rule.also is not None:
        condition = condition & rule.also()
    chosen = select(*table.primary_key.columns).where(condition).limit(batch)
    if rule.skip_locked:
        chosen = chosen.with_for_update(skip_locked=True)
    total = 0
    while True:
        async with sessions.begin() as session:
            result = await session.execute(delete(table).where(keys.in_(chosen)))
        gone = int(getattr(result, "rowcount", 0) or 0)
        total += gone
        if gone < batch:
            break
    if total:
        metrics.rows_pruned.labels(rule.name).inc(total)
        log.info("pruned", extra={"table": rule.name, "rows": total})
    return total


async def prune_all(
    sessions: async_sessionmaker[AsyncSession],
    rules: Sequence[Retention],
    settings: Settings,
    now: datetime,
) -> dict[str, int]:
    """Every rule once; how many rows each removed."""
    return {rule.name: await prune(sessions, rule, settings, now) for rule in rules}
