"""LISTEN on the outbox's channel, so readers wake the moment an event commits. A missed
notification costs only a poll interval: the readers poll as well."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

from services.notify.relay import repository
from services.notify.waiting import wait_for_event, within
from shared.db import plain_url
from shared.outbox import NOTIFY_CHANNEL

log = logging.getLogger("zorgplek.notify.relay")

CONNECT_TIMEOUT_SECONDS = 10.0
CHECK_SECONDS = 10.0  # a connection cut without a word is noticed this soon


async def listen(database_url: str, wake: Callable[[], None]) -> None:
    """Hold a LISTEN connection and call `wake` on each notification. Returns (by raising)
    when the connection is lost; the loop's supervisor connects again."""
    connection = await asyncpg.connect(plain_url(database_url), timeout=CONNECT_TIMEOUT_SECONDS)
    lost = asyncio.Event()
    try:
        connection.add_termination_listener(lambda _: lost.set())
        await connection.add_listener(NOTIFY_CHANNEL, lambda *_: wake())
        wake()  # whatever was written while nobody listened
        while not lost.is_set():
            if not await wait_for_event(lost, CHECK_SECONDS):
                await within(repository.ping(connection), CHECK_SECONDS)
    finally:
        connection.terminate()
    raise ConnectionError("the LISTEN connection to the database was lost")
