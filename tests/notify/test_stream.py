"""The live stream over a real socket: SSE framing, tokens in the query for browsers,
narrowing, resuming with Last-Event-ID from the database, heartbeats, and a slow client
that is disconnected rather than holding others up."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from services.notify import metrics
from services.notify.audience import EventFilter, Viewer
from services.notify.runtime import runtime
from services.notify.stream.service import StreamHub, open_stream
from shared.db import plain_url
from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.notify.conftest import (
    SseReader,
    capacity_data,
    emit,
    pump,
    referral_audience,
    referral_data,
)


def capacity(**fields: Any) -> dict[str, Any]:
    return capacity_data(**fields)


async def test_frames_carry_id_type_and_the_body(
    app: FastAPI, live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url, timeout=10) as http:
        async with http.stream("GET", "/api/v1/stream", headers=auth("referrer")) as response:
            assert response.headers["cache-control"] == "no-cache"
            reader = SseReader(response)
            hello = await reader.frame()
            assert hello.retry == 3000
            assert hello.event is None
            event = await emit(app, "capacity.available", capacity(free=3))
            await pump(app)
            frame = await reader.event()
    assert frame.id == str(event.id)
    assert frame.event == "capacity.available"
    body = frame.json()
    assert body == {
        "id": str(event.id),
        "type": "capacity.available",
        "timestamp": body["timestamp"],
        "data": event.data,
    }
    assert body["timestamp"].endswith("Z")


async def test_browsers_may_send_the_token_in_the_query_here_only(
    live_url: str, auth: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="zorgplek.access")
    token = auth("viewer")["Authorization"].removeprefix("Bearer ")
    async with http_client(base_url=live_url, timeout=10) as http:
        async with http.stream("GET", "/api/v1/stream", params={"access_token": token}) as ok:
            assert (await SseReader(ok).frame()).retry == 3000
        refused = await http.get("/api/v1/stream")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        bad = await http.get("/api/v1/stream", params={"access_token": "nonsense"})
        assert bad.status_code == 401
        elsewhere = await http.get("/api/v1/subscriptions", params={"access_token": token})
        assert elsewhere.status_code == 401
        service = await http.get("/api/v1/stream", headers=auth("service"))
        assert service.status_code == 403
    logged = [r for r in caplog.records if getattr(r, "route", "") == "/api/v1/stream"]
    assert logged  # the requests were logged, the token never
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("params", "headers", "loc"),
    [
        ({"event_types": "capacity.exploded"}, {}, ["query", "event_types"]),
        ({"place_type": "SPA"}, {}, ["query", "place_type"]),
        ({"region": "ZK-ATLANTIS"}, {}, ["query", "region"]),
        ({}, {"Last-Event-ID": "not-an-id"}, ["header", "Last-Event-ID"]),
        ({"last_event_id": "42"}, {}, ["query", "last_event_id"]),
    ],
)
async def test_bad_parameters_are_422(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    params: dict[str, str],
    headers: dict[str, str],
    loc: list[str],
) -> None:
    response = await client.get(
        "/api/v1/stream", params=params, headers={**auth("referrer"), **headers}
    )
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_narrowing_by_type_place_type_and_region(
    app: FastAPI, live_url: str, auth: TokenFactory
) -> None:
    params = {
        "event_types": "capacity.available,capacity.updated",
        "place_type": ["GRZ", "ELV_HOOG"],
        "region": "ROAZ-NHF",
    }
    async with http_client(base_url=live_url, timeout=10) as http:
        async with http.stream(
            "GET", "/api/v1/stream", params=params, headers=auth("referrer")
        ) as response:
            reader = SseReader(response)
            await emit(app, "capacity.stale", capacity())
            await emit(app, "capacity.available", capacity(place_type="WLZ_CRISIS"))
            await emit(app, "capacity.available", capacity(region_code="ZK-UTRECHT"))
            wanted = await emit(app, "capacity.updated", capacity(place_type="GRZ"))
            await pump(app)
            frame = await reader.event()
    assert frame.id == str(wanted.id)


async def test_resume_with_last_event_id_replays_what_was_missed(
    app: FastAPI, live_url: str, auth: TokenFactory
) -> None:
    practice = str(uuid.uuid4())
    gp = auth("referrer", org=practice)
    async with http_client(base_url=live_url, timeout=10) as http:
        async with http.stream("GET", "/api/v1/stream", headers=gp) as response:
            reader = SseReader(response)
            first = await emit(app, "capacity.available", capacity())
            missed = [
                await emit(app, "referral.created", referral_data(), referral_audience(practice)),
                await emit(app, "capacity.updated", capacity()),
            ]
            await pump(app)
            assert (await reader.event()).id == str(first.id)
        # Disconnected: more happens, some of it not for this practice.
        await emit(app, "referral.created", referral_data(), referral_audience(str(uuid.uuid4())))
        missed.append(await emit(app, "capacity.stale", capacity()))
        await pump(app)

        resumed: list[str | None] = []
        async with http.stream(
            "GET", "/api/v1/stream", headers={**gp, "Last-Event-ID": str(first.id)}
        ) as response:
            reader = SseReader(response)
            for _ in missed:
                resumed.append((await reader.event()).id)
            live = await emit(app, "capacity.available", capacity())
            await pump(app)
            resumed.append((await reader.event()).id)
        assert resumed == [str(e.id) for e in [*missed, live]]

        # The same from the query (a page's first connect), narrowed by type.
        async with http.stream(
            "GET",
            "/api/v1/stream",
            params={"last_event_id": str(first.id), "event_types": "capacity.stale"},
            headers=gp,
        ) as response:
            assert (await SseReader(response).event()).id == str(missed[-1].id)

        # An id the outbox does not know (or no longer keeps): say so, send what is kept
        # that this practice may see, and go on live.
        kept = [first, *missed, live]
        async with http.stream(
            "GET", "/api/v1/stream", headers={**gp, "Last-Event-ID": str(uuid.uuid4())}
        ) as response:
            reader = SseReader(response)
            await reader.frame()
            notice = await reader.frame()
            assert "unknown" in notice.comments[0]
            assert [(await reader.event()).id for _ in kept] == [str(e.id) for e in kept]
            live = await emit(app, "capacity.available", capacity())
            await pump(app)
            assert (await reader.event()).id == str(live.id)


async def test_heartbeats_keep_an_idle_stream_open(app: FastAPI, auth: TokenFactory) -> None:
    hub = runtime(app).hub
    opened = await open_stream(
        app.state.database,
        hub,
        Viewer(sub="gp", org=None, roles=frozenset({"referrer"}), regions=()),
        EventFilter(),
        None,
        heartbeat_seconds=0.05,
    )
    frames = opened.frames
    assert opened.client not in hub.clients  # not before the response runs
    try:
        assert (await anext(frames)).startswith(b"retry: 3000\n")
        assert opened.client in hub.clients
        assert await anext(frames) == b": heartbeat\n\n"
        assert await anext(frames) == b": heartbeat\n\n"
    finally:
        await frames.aclose()  # type: ignore[attr-defined]
    assert opened.client not in hub.clients


async def test_a_slow_client_is_dropped_and_others_go_on(app: FastAPI) -> None:
    hub = StreamHub(queue_size=2)
    viewer = Viewer(sub="gp", org=None, roles=frozenset({"referrer"}), regions=())
    await hub.start(app.state.database)
    slow, _ = hub.register(viewer, EventFilter(), None)
    hub.queue_size = 100
    fast, _ = hub.register(viewer, EventFilter(), None)
    dropped_before = metrics.notifications.labels("stream", "dropped")._value.get()
    sent = [await emit(app, "capacity.updated", capacity()) for _ in range(3)]
    read = 0
    async with asyncio.timeout(30):  # another test run may hold a transaction open
        while read < 3:
            read += await hub.pump(app.state.database)
    got = [fast.queue.get_nowait().id for _ in range(fast.queue.qsize())]
    assert got == [e.id for e in sent]
    assert slow.dropped.is_set()
    assert slow not in hub.clients
    assert fast in hub.clients
    assert metrics.notifications.labels("stream", "dropped")._value.get() == dropped_before + 1


async def test_a_client_that_stops_reading_is_disconnected(
    app: FastAPI, live_url: str, live_port: int, auth: TokenFactory, database_url: str
) -> None:
    """Over a real socket: a client that never reads fills the network buffers (at most a
    few MiB), then its queue; the hub goes on reading without waiting for it, and the
    server closes the connection although a write to it is stuck."""
    hub = runtime(app).hub
    token = auth("referrer")["Authorization"]
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", live_port))
        request = f"GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n\r\n"
        await loop.sock_sendall(sock, request.encode())
        # The response starts after the client is registered.
        assert (await loop.sock_recv(sock, 15)).startswith(b"HTTP/1.1 200")
        [stuck] = hub.clients
        # 3000 events of 4 KiB: 12 MiB, more than the socket buffers and the queue hold.
        conn = await asyncpg.connect(plain_url(database_url))
        try:
            await conn.execute(
                "INSERT INTO events.outbox (id, type, source, occurred_at, data, audience)"
                " SELECT gen_random_uuid(), 'capacity.updated', 'test', now(),"
                " jsonb_build_object('n', n, 'pad', repeat('x', 4096)),"
                " '{\"public\": true}' FROM generate_series(1, 3000) AS n"
            )
        finally:
            await conn.close()
        assert await pump(app) == 3000
        assert stuck.dropped.is_set()
        assert stuck not in hub.clients
        # The server closed the connection: reading what was buffered ends in EOF.
        async with asyncio.timeout(30):
            while await loop.sock_recv(sock, 1 << 20):
                pass
    finally:
        sock.close()
