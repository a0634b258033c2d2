"""The notify service: subscriptions, the outbox relay, webhook and e-mail delivery, and
the live stream."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import ColumnElement, select

from services.notify import metrics, models, runtime
from services.notify.base import KEYS_RETENTION, MIGRATIONS
from services.notify.delivery import service as delivery
from services.notify.delivery.models import Delivery
from services.notify.delivery.router import router as deliveries_router
from services.notify.relay import listener
from services.notify.relay import service as relay
from services.notify.relay.models import DELIVERY_RELAY, RelayCursor
from services.notify.stream.router import router as stream_router
from services.notify.stream.router import tickets_router
from services.notify.subscriptions.router import router as subscriptions_router
from services.notify.waiting import wait_for_event
from shared import retention
from shared.app import Component, Loop
from shared.outbox import OutboxEvent
from shared.remote_keys import RemoteApiKeys
from shared.settings import Settings

POLL_SECONDS = 0.5
RESTART_SECONDS = 1.0  # after a failure (the database away), each loop starts again
GAUGE_INTERVAL_SECONDS = 15.0


async def _listen(app: FastAPI) -> None:
    await listener.listen(app.state.database.url, runtime.runtime(app).wake_readers)


async def _relay(app: FastAPI) -> None:
    state = runtime.runtime(app)
    while True:
        state.relay_wake.clear()
        while True:
            async with app.state.database.sessions.begin() as session:
                result = await relay.relay_once(session)
            if result.deliveries:
                state.worker.wake.set()
            if not result.events:
                break
        await wait_for_event(state.relay_wake, POLL_SECONDS)


async def _deliver(app: FastAPI) -> None:
    await runtime.runtime(app).worker.run()


async def _stream(app: FastAPI) -> None:
    await runtime.runtime(app).hub.run(app.state.database)


async def _gauges(app: FastAPI) -> None:
    async with app.state.database.sessions() as session:
        await delivery.refresh_gauges(session)
        metrics.outbox_lag.set(await relay.lag_seconds(session))


def _relayed() -> ColumnElement[bool]:
    """Events the relay has passed: no event is dropped before it was fanned out."""
    horizon = select(RelayCursor.horizon).where(RelayCursor.name == DELIVERY_RELAY)
    return OutboxEvent.txid < horizon.scalar_subquery()


def _finished() -> ColumnElement[bool]:
    return Delivery.status.in_(("delivered", "dead"))


RETENTION = [
    KEYS_RETENTION,
    retention.Retention(
        "events.outbox",
        retention.table_of(OutboxEvent),
        "occurred_at",
        lambda s: timedelta(days=s.outbox_retention_days),
        also=_relayed,
        skip_locked=False,  # events are never locked or changed once written
    ),
    retention.Retention(
        "notify.deliveries",
        retention.table_of(Delivery),
        "created_at",
        lambda s: timedelta(days=s.deliveries_retention_days),
        also=_finished,
    ),
]


def component(settings: Settings) -> Component:
    """The notify service, ready to be served alone or with the others."""
    return Component(
        name="notify",
        routers=[subscriptions_router, deliveries_router, stream_router, tickets_router],
        migrations=MIGRATIONS,
        api_key_resolver=RemoteApiKeys(settings),
        retention=RETENTION,
        loops=[
            Loop("notify.listen", RESTART_SECONDS, _listen),
            Loop("notify.relay", RESTART_SECONDS, _relay),
            Loop("notify.deliver", RESTART_SECONDS, _deliver),
            Loop("notify.stream", RESTART_SECONDS, _stream),
            Loop("notify.gauges", GAUGE_INTERVAL_SECONDS, _gauges),
        ],
        on_startup=[runtime.start],
        on_shutdown=[runtime.stop],
    )


__all__ = ["component", "models"]
