from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import AuditEntry


async def append(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    """Append audit entries in one statement (a list reads many referrals at once)."""
    if entries:
        await session.execute(insert(AuditEntry), list(entries))
