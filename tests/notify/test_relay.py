"""The relay reads the outbox without skipping or repeating: a row that commits late with a
lower position is still taken, in order; two relays at once take each event once; the lag
gauge tells how far behind it is."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from services.notify import metrics
from services.notify.audience import EventFilter, Viewer
from services.notify.delivery.models import Delivery
from services.notify.relay import service as relay
from services.notify.stream.service import StreamClient, StreamHub
from shared.db import plain_url
from shared.outbox import Event, publish
from tests.conftest import TokenFactory
from tests.notify.conftest import Receiver, emit, relay_all, subscribe

INSERT = (
    "INSERT INTO events.outbox (id, type, source, occurred_at, data, audience) "
    "VALUES ($1, 'capacity.updated', 'test', now(), '{}', '{\"public\": true}') "
    "RETURNING position, txid"
)


async def _delivered_events(app: FastAPI) -> set[uuid.UUID]:
    async with app.state.database.sessions() as session:
        return set((await session.scalars(select(Delivery.event_id))).all())


async def test_a_late_commit_with_a_lower_position_is_not_skipped(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    database_url: str,
) -> None:
    """B starts first (lower transaction id), A inserts first (lower position), B commits
    first. A reader that kept only the highest position it took would skip A's row."""
    await subscribe(client, auth("viewer"), receiver.url, event_types=["capacity.updated"])
    a = await asyncpg.connect(plain_url(database_url))
    b = await asyncpg.connect(plain_url(database_url))
    try:
        in_a, in_b = a.transaction(), b.transaction()
        await in_b.start()
        await in_a.start()
        xid_b = await b.fetchval("SELECT txid_current()")
        xid_a = await a.fetchval("SELECT txid_current()")
        assert xid_b < xid_a
        event_a, event_b = uuid.uuid4(), uuid.uuid4()
        row_a = await a.fetchrow(INSERT, event_a)
        row_b = await b.fetchrow(INSERT, event_b)
        assert row_a["position"] < row_b["position"]
        await in_b.commit()

        await relay_all(app)
        assert await _delivered_events(app) == {event_b}

        await in_a.commit()
        await relay_all(app)
        assert await _delivered_events(app) == {event_a, event_b}
        assert await relay_all(app) == 0  # nothing twice
    finally:
        await a.close()
        await b.close()


async def _watching(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
) -> tuple[StreamHub, StreamClient]:
    """A stream hub with one viewer's client on it, and a webhook subscription to capacity
    events: both ways an event leaves the outbox."""
    hub = StreamHub(queue_size=10)
    await hub.start(app.state.database)
    client_of_hub, _ = hub.register(
        Viewer("v", None, frozenset({"viewer"}), ()), EventFilter(), None
    )
    await subscribe(
        client, auth("viewer"), "http://127.0.0.1:9/hook", event_types=["capacity.updated"]
    )
    return hub, client_of_hub


async def test_rows_of_a_window_go_in_position_order(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    """A (older transaction) inserts first, B after it and commits first: nothing is taken
    while A runs; then both, in position order, on the relay and on the stream."""
    hub, client_of_hub = await _watching(app, client, auth)
    a = await asyncpg.connect(plain_url(database_url))
    b = await asyncpg.connect(plain_url(database_url))
    try:
        in_a, in_b = a.transaction(), b.transaction()
        await in_a.start()
        await in_b.start()
        await a.fetchval("SELECT txid_current()")
        event_a, event_b = uuid.uuid4(), uuid.uuid4()
        await a.fetchrow(INSERT, event_a)
        await b.fetchrow(INSERT, event_b)
        await in_b.commit()
        async with app.state.database.sessions.begin() as session:
            assert (await relay.relay_once(session)).events == 0
        assert await hub.pump(app.state.database) == 0
        await in_a.commit()
    finally:
        await a.close()
        await b.close()
    await relay_all(app)
    assert await _delivered_events(app) == {event_a, event_b}
    async with asyncio.timeout(30):
        while client_of_hub.queue.qsize() < 2:
            await hub.pump(app.state.database)
    order = [client_of_hub.queue.get_nowait().id for _ in range(2)]
    assert order == [event_a, event_b]


async def test_a_transaction_in_another_database_holds_nothing_up(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    """Only this database's transactions write its outbox: one running in another database
    on the same server, older than the event, holds back neither the relay nor the
    stream."""
    hub, client_of_hub = await _watching(app, client, auth)
    elsewhere = await asyncpg.connect(plain_url(_in_database(database_url, "postgres")))
    writer = await asyncpg.connect(plain_url(database_url))
    try:
        async with elsewhere.transaction():
            await elsewhere.fetchval("SELECT txid_current()")
            event = uuid.uuid4()
            await writer.fetchrow(INSERT, event)
            async with app.state.database.sessions.begin() as session:
                assert (await relay.relay_once(session)).events == 1
            assert await hub.pump(app.state.database) == 1
    finally:
        await elsewhere.close()
        await writer.close()
    assert await _delivered_events(app) == {event}
    assert client_of_hub.queue.get_nowait().id == event


def _in_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def test_two_relays_at_once_take_each_event_once(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    for role in ("viewer", "referrer"):
        await subscribe(
            client, auth(role), "http://127.0.0.1:9/hook", event_types=["capacity.updated"]
        )
    producers_done = asyncio.Event()
    taken: list[int] = []

    async def produce(n: int) -> None:
        for _ in range(n):
            await emit(app, "capacity.updated", {"free": 1})

    async def run_relay() -> None:
        while True:
            async with app.state.database.sessions.begin() as session:
                result = await relay.relay_once(session, limit=7)
            taken.append(result.events)
            if result.events:
                continue
            if producers_done.is_set():
                async with app.state.database.sessions() as session:
                    if await relay.oldest_unread(session) is None:
                        return
            await asyncio.sleep(0)

    relays = [asyncio.create_task(run_relay()) for _ in range(2)]
    await asyncio.gather(*(produce(25) for _ in range(4)))
    producers_done.set()
    async with asyncio.timeout(60):
        await asyncio.gather(*relays)
    assert sum(taken) == 100
    async with app.state.database.sessions() as session:
        per_event = (
            await session.execute(
                select(Delivery.event_id, func.count()).group_by(Delivery.event_id)
            )
        ).all()
    assert len(per_event) == 100
    assert {count for _, count in per_event} == {2}


async def test_lag_is_the_age_of_the_oldest_event_not_taken(app: FastAPI) -> None:
    old = Event(
        type="capacity.updated",
        source="test",
        data={},
        audience={"public": True},
        occurred_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    async with app.state.database.sessions.begin() as session:
        await publish(session, old)
    async with app.state.database.sessions() as session:
        assert await relay.lag_seconds(session) >= 300
    await relay_all(app)
    async with app.state.database.sessions() as session:
        assert await relay.lag_seconds(session) == 0.0


async def test_metrics_are_listed_and_move(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    from services import notify
    from tests.notify.conftest import deliver

    text = (await client.get("/metrics")).text
    for family in (
        "zorgplek_notifications_total",
        "zorgplek_notification_latency_seconds",
        "zorgplek_outbox_lag_seconds",
        "zorgplek_streams_open",
        "zorgplek_deliveries_dead",
    ):
        assert f"# TYPE {family.removesuffix('_total')}" in text, family
    delivered = metrics.notifications.labels("webhook", "delivered")._value.get()
    await subscribe(client, auth("viewer"), receiver.url, event_types=["capacity.updated"])
    await emit(app, "capacity.updated", {"free": 1})
    await relay_all(app)
    assert await deliver(app) == ["delivered"]
    assert metrics.notifications.labels("webhook", "delivered")._value.get() == delivered + 1
    latency = [
        s
        for m in metrics.notification_latency.collect()
        for s in m.samples
        if s.name.endswith("_count") and s.labels["channel"] == "webhook"
    ]
    assert latency[0].value >= 1

    async with app.state.database.sessions.begin() as session:
        await session.execute(
            Delivery.__table__.update().values(status="dead")  # type: ignore[attr-defined]
        )
    await notify._gauges(app)
    assert metrics.deliveries_dead._value.get() == 1
    assert metrics.outbox_lag._value.get() == 0
