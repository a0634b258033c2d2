"""The delivery worker of one process: keeps up to `MAX_IN_FLIGHT` attempts going, claims
more as slots free up, and sleeps until woken by the relay or the next poll."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from services.notify.delivery import service
from services.notify.delivery.rights import KeyChecks
from shared.db import Database
from shared.remote_keys import RemoteApiKeys
from shared.settings import Settings

log = logging.getLogger("zorgplek.notify.delivery")

MAX_IN_FLIGHT = 32
POLL_SECONDS = 0.5


def _now() -> datetime:
    return datetime.now(UTC)


async def deliver_one(
    database: Database,
    settings: Settings,
    http: httpx.AsyncClient,
    claim: service.Claim,
    checks: KeyChecks,
    clock: Callable[[], datetime] = _now,
) -> str | None:
    """Attempt one claimed delivery and record the outcome in its own transaction."""
    outcome = await service.attempt(claim, settings, http, checks, clock())
    async with database.sessions.begin() as session:
        return await service.record(session, settings, claim, outcome, clock())


async def deliver_due(
    database: Database,
    settings: Settings,
    http: httpx.AsyncClient,
    keys: RemoteApiKeys,
    *,
    now: datetime | None = None,
    limit: int = 100,
) -> list[str | None]:
    """Claim what is due at `now` and attempt it all; the statuses that followed. Tests
    move `now` instead of sleeping through a retry schedule."""
    at = now or _now()
    async with database.sessions.begin() as session:
        claims = await service.claim_due(session, settings, at, limit)
    checks = KeyChecks(keys)
    return list(
        await asyncio.gather(
            *(deliver_one(database, settings, http, c, checks, clock=lambda: at) for c in claims)
        )
    )


class Worker:
    """Runs attempts concurrently; a slow receiver holds one slot, not the others."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        http: httpx.AsyncClient,
        keys: RemoteApiKeys,
    ) -> None:
        self.database = database
        self.settings = settings
        self.http = http
        self.keys = keys
        self.wake = asyncio.Event()
        self.in_flight: set[asyncio.Task[str | None]] = set()

    async def run(self) -> None:
        """Claim and attempt until cancelled. A database failure ends the run (the loop's
        supervisor starts it again); attempts under way go on."""
        while True:
            self.wake.clear()
            free = MAX_IN_FLIGHT - len(self.in_flight)
            claims: list[service.Claim] = []
            if free > 0:
                async with self.database.sessions.begin() as session:
                    claims = await service.claim_due(session, self.settings, _now(), free)
            checks = KeyChecks(self.keys)
            for claim in claims:
                task = asyncio.create_task(
                    deliver_one(self.database, self.settings, self.http, claim, checks)
                )
                self.in_flight.add(task)
                task.add_done_callback(self._finished)
            waiter = asyncio.create_task(self.wake.wait())
            try:
                await asyncio.wait(
                    {waiter, *self.in_flight},
                    timeout=POLL_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                waiter.cancel()

    def _finished(self, task: asyncio.Task[str | None]) -> None:
        self.in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Most likely the database was unreachable while recording: the claim's lease
            # runs out and the delivery is attempted again.
            log.warning(
                "could not record a delivery attempt; it will be retried",
                exc_info=task.exception(),
            )

    async def stop(self) -> None:
        """Cancel attempts under way; their leases run out and they are attempted again."""
        for task in list(self.in_flight):
            task.cancel()
        await asyncio.gather(*self.in_flight, return_exceptions=True)
