"""Where the live stream stops: it ends when the token it was opened with expires (the
clock is moved, never waited for), and a returning client is replayed at most the newest
events the outbox keeps — never the whole outbox."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.notify.audience import Viewer, may_see
from services.notify.runtime import runtime
from services.notify.stream.repository import visible_to
from services.notify.stream.service import KEY_CHECK_SECONDS, SESSION_CHECK_SECONDS
from shared.auth import issue_token
from shared.contracts.events import read_audience
from shared.db import plain_url
from shared.http import client as http_client
from shared.outbox import Event, OutboxEvent, publish
from shared.settings import Settings
from tests.notify.conftest import (
    KENNEMERLAND,
    PUBLIC,
    Clock,
    SseReader,
    api_key,
    capacity_data,
    emit,
    pump,
    referral_audience,
    referral_data,
)


def capacity(**fields: Any) -> dict[str, Any]:
    return capacity_data(**fields)


@pytest.mark.parametrize("by_ticket", [False, True], ids=["token", "ticket"])
async def test_the_stream_ends_when_its_token_expires(
    app: FastAPI, live_url: str, settings: Settings, clock: Clock, by_ticket: bool
) -> None:
    token = issue_token(settings, sub="gp-vandaag", name="GP", roles=["referrer"], ttl_seconds=600)
    bearer = {"Authorization": f"Bearer {token}"}
    expires_at = datetime.fromtimestamp(
        jwt.decode(token, options={"verify_signature": False})["exp"], UTC
    )
    async with http_client(base_url=live_url, timeout=10) as http:
        if by_ticket:
            ticket = (await http.post("/api/v1/stream/tickets", headers=bearer)).json()["ticket"]
            opened = http.stream("GET", "/api/v1/stream", params={"ticket": ticket})
        else:
            opened = http.stream("GET", "/api/v1/stream", headers=bearer)
        async with opened as response:
            sse = SseReader(response)
            await sse.frame()
            seen = await emit(app, "capacity.updated", capacity())
            await pump(app)
            assert (await sse.event()).id == str(seen.id)

            clock.stop_at(expires_at - timedelta(seconds=1))
            still = await emit(app, "capacity.updated", capacity())
            await pump(app)
            assert (await sse.event()).id == str(still.id)

            clock.stop_at(expires_at)
            await emit(app, "capacity.updated", capacity())
            await pump(app)
            last = await sse.frame()
            assert last.event is None
            assert "expired" in last.comments[0]
            with pytest.raises(EOFError):
                await sse.frame()


async def test_a_stream_without_an_expiry_goes_on(app: FastAPI, clock: Clock) -> None:
    """An API key has no expiry of its own: moving the clock ends nothing."""
    from services.notify.audience import EventFilter
    from services.notify.runtime import runtime
    from services.notify.stream.service import open_stream

    hub = runtime(app).hub
    viewer = Viewer(sub="apikey:x", org=None, roles=frozenset({"provider"}), regions=())
    opened = await open_stream(app.state.database, hub, viewer, EventFilter(), None, 5.0)
    try:
        await anext(opened.frames)
        clock.move(timedelta(days=400))
        sent = await emit(app, "capacity.updated", capacity())
        await pump(app)
        assert opened.client.queue.get_nowait().id == sent.id
        assert not opened.client.dropped.is_set()
    finally:
        await opened.frames.aclose()  # type: ignore[attr-defined]


async def _insert_public(database_url: str, count: int) -> list[str]:
    """`count` capacity events written at once, in position order."""
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        rows = await conn.fetch(
            "INSERT INTO events.outbox (id, type, source, occurred_at, data, audience)"
            " SELECT gen_random_uuid(), 'capacity.updated', 'test', now(),"
            " jsonb_build_object('n', n), '{\"public\": true}'"
            " FROM generate_series(1, $1) AS n RETURNING id, position",
            count,
        )
    finally:
        await conn.close()
    return [str(row["id"]) for row in sorted(rows, key=lambda row: row["position"])]


async def test_a_returning_client_gets_at_most_the_newest_thousand(
    app: FastAPI, live_url: str, auth: Any, database_url: str
) -> None:
    gp = auth("referrer")
    first = await emit(app, "capacity.updated", capacity())
    missed = await _insert_public(database_url, 1100)
    await pump(app)
    async with http_client(base_url=live_url, timeout=30) as http:
        async with http.stream(
            "GET", "/api/v1/stream", headers={**gp, "Last-Event-ID": str(first.id)}
        ) as response:
            sse = SseReader(response)
            await sse.frame()
            notice = await sse.frame()
            assert "limited to the newest 1000" in notice.comments[0]
            replayed = [(await sse.event()).id for _ in range(1000)]
            assert replayed == missed[-1000:]
            live = await emit(app, "capacity.updated", capacity())
            await pump(app)
            assert (await sse.event()).id == str(live.id)


async def test_a_returning_client_gets_nothing_older_than_the_outbox_keeps(
    app: FastAPI, live_url: str, auth: Any
) -> None:
    practice = str(uuid.uuid4())
    gp = auth("referrer", org=practice)
    long_ago = datetime.now(UTC) - timedelta(days=8)
    old = []
    for _ in range(3):
        event = Event(
            type="referral.created",
            source="test",
            data=referral_data(),
            audience=referral_audience(practice),
            occurred_at=long_ago,
        )
        async with app.state.database.sessions.begin() as session:
            await publish(session, event)
        old.append(event)
    kept = [
        await emit(app, "referral.created", referral_data(), referral_audience(practice)),
        await emit(app, "capacity.available", capacity()),
    ]
    await pump(app)
    async with http_client(base_url=live_url, timeout=10) as http:
        async with http.stream(
            "GET", "/api/v1/stream", headers={**gp, "Last-Event-ID": str(old[0].id)}
        ) as response:
            sse = SseReader(response)
            await sse.frame()
            notice = await sse.frame()
            assert "older than what is kept" in notice.comments[0]
            assert [(await sse.event()).id for _ in kept] == [str(e.id) for e in kept]
            live = await emit(app, "capacity.updated", capacity())
            await pump(app)
            assert (await sse.event()).id == str(live.id)


VIEWERS = {
    "referrer of A": Viewer("a", uuid.UUID(int=1), frozenset({"referrer"}), ()),
    "referrer without organisation": Viewer("n", None, frozenset({"referrer"}), ()),
    "provider of B": Viewer("b", uuid.UUID(int=2), frozenset({"provider"}), ()),
    "triagist of ROAZ-NHF": Viewer("t", None, frozenset({"triagist"}), ("ROAZ-NHF",)),
    "triagist of Utrecht": Viewer("u", None, frozenset({"triagist"}), ("ZK-UTRECHT",)),
    "triagist without regions": Viewer("r", None, frozenset({"triagist"}), ()),
    "referrer with regions": Viewer("x", None, frozenset({"referrer"}), (KENNEMERLAND,)),
    "viewer": Viewer("v", None, frozenset({"viewer"}), ()),
    "service": Viewer("s", uuid.UUID(int=1), frozenset({"service"}), (KENNEMERLAND,)),
    "no role": Viewer("z", uuid.UUID(int=1), frozenset(), ()),
}
AUDIENCES: list[dict[str, Any]] = [
    PUBLIC,
    {"public": False},
    {},
    {"organisation_ids": [str(uuid.UUID(int=1))], "regions": []},
    {"organisation_ids": [str(uuid.UUID(int=2))], "regions": [KENNEMERLAND]},
    {"organisation_ids": [], "regions": ["ZK-UTRECHT"]},
    {"organisation_ids": [str(uuid.UUID(int=1)), str(uuid.UUID(int=2))], "regions": ["ROAZ-NHF"]},
]


@pytest.mark.parametrize("name", VIEWERS)
async def test_the_replay_query_reads_what_the_rule_lets_through(app: FastAPI, name: str) -> None:
    """The SQL form of the visibility rule selects the rows `may_see` allows, no fewer."""
    viewer = VIEWERS[name]
    ids = []
    for audience in AUDIENCES:
        event = Event(type="referral.created", source="test", data={}, audience=audience)
        async with app.state.database.sessions.begin() as session:
            await publish(session, event)
        ids.append(event.id)
    async with app.state.database.sessions() as session:
        rows = list(await session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids))))
        found = set(
            await session.scalars(
                select(OutboxEvent.id).where(OutboxEvent.id.in_(ids), visible_to(viewer))
            )
        )
    assert len(rows) == len(AUDIENCES)
    assert found == {row.id for row in rows if may_see(viewer, read_audience(row.audience))}


@pytest.mark.parametrize("by_ticket", [False, True], ids=["token", "ticket"])
async def test_signing_out_ends_the_stream(
    app: FastAPI, live_url: str, auth: Any, clock: Clock, by_ticket: bool
) -> None:
    gp = auth("referrer")
    async with http_client(base_url=live_url, timeout=10) as http:
        if by_ticket:
            ticket = (await http.post("/api/v1/stream/tickets", headers=gp)).json()["ticket"]
            opened = http.stream("GET", "/api/v1/stream", params={"ticket": ticket})
        else:
            opened = http.stream("GET", "/api/v1/stream", headers=gp)
        async with opened as response:
            sse = SseReader(response)
            await sse.frame()
            seen = await emit(app, "capacity.updated", capacity())
            await pump(app)
            assert (await sse.event()).id == str(seen.id)

            assert (await http.delete("/api/v1/session", headers=gp)).status_code == 204
            clock.move(timedelta(seconds=SESSION_CHECK_SECONDS))
            await emit(app, "capacity.updated", capacity())
            await pump(app)
            last = await sse.frame()
            assert last.event is None
            assert "signed out" in last.comments[0]
            with pytest.raises(EOFError):
                await sse.frame()


async def test_a_ticket_of_a_session_signed_out_since_is_refused(live_url: str, auth: Any) -> None:
    gp = auth("referrer")
    async with http_client(base_url=live_url, timeout=10) as http:
        ticket = (await http.post("/api/v1/stream/tickets", headers=gp)).json()["ticket"]
        assert (await http.delete("/api/v1/session", headers=gp)).status_code == 204
        refused = await http.get("/api/v1/stream", params={"ticket": ticket})
    assert refused.status_code == 401


async def test_revoking_the_key_ends_its_stream(
    app: FastAPI, live_url: str, client: httpx.AsyncClient, auth: Any, clock: Clock
) -> None:
    key = await api_key(client, auth, ["events:read"])
    hub = runtime(app).hub
    async with http_client(base_url=live_url, timeout=10) as http:
        async with http.stream("GET", "/api/v1/stream", headers=key["headers"]) as response:
            sse = SseReader(response)
            await sse.frame()
            [mine] = [c for c in hub.clients if str(c.api_key_id) == key["id"]]
            seen = await emit(app, "capacity.updated", capacity())
            await pump(app)
            assert (await sse.event()).id == str(seen.id)

            revoked = await client.delete(
                f"/api/v1/organisations/{key['organisation_id']}/api-keys/{key['id']}",
                headers=auth("admin"),
            )
            assert revoked.status_code == 200
            clock.move(timedelta(seconds=KEY_CHECK_SECONDS))
            async with asyncio.timeout(30):  # the check runs beside the hub: a bound only
                while not mine.dropped.is_set():
                    await hub.pump(app.state.database)
                    await asyncio.sleep(0.02)
            last = await sse.frame()
            assert "revoked" in last.comments[0]
            with pytest.raises(EOFError):
                await sse.frame()
