"""What one notify process holds in memory: wake-up signals, the stream hub, the delivery
worker and its HTTP client. Nothing here must survive a crash; all state that matters is in
PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from services.notify.delivery import webhook
from services.notify.delivery.worker import Worker
from services.notify.stream.service import StreamHub
from shared.remote_keys import RemoteApiKeys


@dataclass(slots=True)
class NotifyRuntime:
    relay_wake: asyncio.Event
    hub: StreamHub
    worker: Worker
    http: httpx.AsyncClient
    # Asks the capacity service whether API keys are still active (by id, before each
    # delivery to a subscription a key made).
    keys: RemoteApiKeys

    def wake_readers(self) -> None:
        """Something was written to the outbox (or may have been, unseen)."""
        self.relay_wake.set()
        self.hub.wake.set()


def runtime(app: FastAPI) -> NotifyRuntime:
    result: NotifyRuntime = app.state.notify
    return result


async def start(app: FastAPI) -> None:
    settings = app.state.settings
    http = webhook.client(settings.webhook_allow_private, settings.webhook_timeout_seconds)
    keys = RemoteApiKeys(settings)
    app.state.notify = NotifyRuntime(
        relay_wake=asyncio.Event(),
        hub=StreamHub(settings.stream_queue_size, keys=keys),
        worker=Worker(app.state.database, settings, http, keys),
        http=http,
        keys=keys,
    )


async def stop(app: FastAPI) -> None:
    state = runtime(app)
    await state.worker.stop()
    await state.http.aclose()
