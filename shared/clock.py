"""The time as a dependency. Endpoints whose answer depends on the wall clock — the care
rules' admission hours — take `Now`, so a test moves the clock (through the app's
`dependency_overrides[current_time]`) instead of waiting for it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends


async def current_time() -> datetime:
    """Now, in UTC. A coroutine, so FastAPI calls it in place rather than handing it to a
    worker thread (a thread hop per request)."""
    return datetime.now(UTC)


Now = Annotated[datetime, Depends(current_time)]
