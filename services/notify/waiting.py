"""Waiting with a time limit. `asyncio.timeout` and not `asyncio.wait_for`: on Python 3.11
`wait_for` can swallow a cancellation that arrives as the awaited thing completes, and a
task that should stop then goes on (a stream writer stuck on a slow client, a loop at
shutdown)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def wait_for_event(event: asyncio.Event, seconds: float) -> bool:
    """Whether `event` was set within `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """The result of `awaitable`; `TimeoutError` after `seconds`."""
    async with asyncio.timeout(seconds):
        return await awaitable
