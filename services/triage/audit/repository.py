from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import AuditEntry


async def append(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    """Append audit entries in one statement (a list reads many referrals at once)."""
    if entries:
        await session.execute(insert(AuditEntry).inline(), list(entries))


async def trail(
    session: AsyncSession,
    *,
    object_id: str | None,
    actor: str | None,
    start: datetime | None,
    end: datetime | None,
    before_id: int | None,
    limit: int,
) -> list[AuditEntry]:
    """Audit entries matching every filter given, newest first, below `before_id`."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(await session.scalars(query))
