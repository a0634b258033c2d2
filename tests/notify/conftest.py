"""Real receivers for notify's tests: an HTTP server on loopback for webhooks and an
aiosmtpd server for e-mail, plus helpers that drive the relay and the workers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from services.notify.delivery.worker import deliver_due
from services.notify.relay.service import oldest_unread, relay_once
from services.notify.runtime import runtime
from shared.contracts.events import EVERY_PROFESSIONAL
from shared.outbox import Event, publish
from tests.conftest import TokenFactory, free_port
from tests.factories import create_organisation

KENNEMERLAND = "ZK-KENNEMERLAND"
# The audience of capacity events as the outbox stores it; tests write rows of any shape.
PUBLIC: dict[str, Any] = EVERY_PROFESSIONAL.model_dump(mode="json")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: records every request and answers with the next status of
    `statuses` (200 once they run out). While `hold` is clear, requests wait."""

    port: int
    path: str = "/hooks/zorgplek"
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    extra_headers: dict[str, str] = field(default_factory=dict)
    hold: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    answered: int = 0

    def __post_init__(self) -> None:
        self.hold.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    async def app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Received(scope["path"], headers, body))
        self.changed.set()
        await self.hold.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        extra = [(k.encode(), v.encode()) for k, v in self.extra_headers.items()]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": b"ok"})
        self.answered += 1
        self.changed.set()

    async def wait_until(self, condition: Callable[[], bool], seconds: float = 30.0) -> None:
        """Wait for `condition` (a bound on how long to wait, not an assertion on time)."""
        async with asyncio.timeout(seconds):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

    def ids(self, path: str | None = None) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests if path is None or r.path == path]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    result = Receiver(free_port())
    config = uvicorn.Config(
        result.app,
        host="127.0.0.1",
        port=result.port,
        lifespan="off",
        log_config=None,
        interface="asgi3",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield result
    result.hold.set()
    server.should_exit = True
    await task


class MailSink:
    """Collects every message an aiosmtpd server receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


@dataclass
class Smtp:
    sink: MailSink
    port: int


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield Smtp(sink, port)
    finally:
        controller.stop()


async def emit(
    app: FastAPI,
    event_type: str,
    data: dict[str, Any],
    audience: dict[str, Any] | None = None,
) -> Event:
    """Write an event to the outbox as a producer does, in its own transaction."""
    event = Event(type=event_type, source="test", data=data, audience=audience or PUBLIC)
    async with app.state.database.sessions.begin() as session:
        await publish(session, event)
    return event


def referral_audience(organisation_id: str, region: str = KENNEMERLAND) -> dict[str, Any]:
    return {"organisation_ids": [organisation_id], "regions": [region]}


def referral_data(**fields: Any) -> dict[str, Any]:
    """A reservation's event data as triage writes it (`shared.contracts.events`)."""
    return {
        "referral_id": str(uuid.uuid4()),
        "status": "placed",
        "from_status": "reserved",
        "place_type": "WLZ_CRISIS",
        "urgency": "urgent",
        "region_code": KENNEMERLAND,
        "reservation_id": str(uuid.uuid4()),
        "reservation_status": "accepted",
        "facility_id": str(uuid.uuid4()),
        "facility_name": "Zorgcentrum De Linde",
        "expires_at": "2026-11-22T10:30:00+00:00",
        "reason_code": None,
        **fields,
    }


def capacity_data(**fields: Any) -> dict[str, Any]:
    """A capacity event's data as capacity writes it (`shared.contracts.events`)."""
    return {
        "facility_id": str(uuid.uuid4()),
        "organisation_id": str(uuid.uuid4()),
        "place_type": "ELV_HOOG",
        "region_code": KENNEMERLAND,
        "lat": 52.38,
        "lon": 4.64,
        "free": 1,
        "available": 1,
        "held": 0,
        "staffed": 4,
        "observed_at": "2026-11-22T10:00:00+00:00",
        **fields,
    }


async def relay_all(app: FastAPI, seconds: float = 30.0, now: datetime | None = None) -> int:
    """Run the relay until it has taken every committed event; the deliveries created.
    The relay waits for every open writing transaction of this database, so this waits
    too — a bound, not an assertion on time."""
    created = 0
    async with asyncio.timeout(seconds):
        while True:
            async with app.state.database.sessions.begin() as session:
                result = await relay_once(session, now=now)
            created += result.deliveries
            if result.events:
                continue
            async with app.state.database.sessions() as session:
                if await oldest_unread(session) is None:
                    return created
            await asyncio.sleep(0.02)


async def deliver(
    app: FastAPI, now: datetime | None = None, settings: Any = None
) -> list[str | None]:
    """Attempt every delivery due at `now` (the real time when not given)."""
    state = runtime(app)
    return await deliver_due(
        app.state.database, settings or app.state.settings, state.http, state.keys, now=now
    )


async def subscribe(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    target: str,
    *,
    channel: str = "webhook",
    event_types: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {
        "channel": channel,
        "target": target,
        "event_types": event_types or ["capacity.updated", "capacity.available"],
        **extra,
    }
    response = await client.post("/api/v1/subscriptions", json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def deliveries(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/deliveries", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@dataclass
class SseEvent:
    id: str | None = None
    event: str | None = None
    data: str = ""
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.data)
        return result


class SseReader:
    """Reads Server-Sent Events as a browser's EventSource does."""

    def __init__(self, response: httpx.Response) -> None:
        assert response.status_code == 200, response.status_code
        assert response.headers["content-type"].startswith("text/event-stream")
        self.lines = response.aiter_lines()

    async def frame(self, seconds: float = 10.0) -> SseEvent:
        """The next frame (an event, or only comments/retry)."""
        frame = SseEvent()
        async with asyncio.timeout(seconds):
            async for line in self.lines:
                if line == "":
                    return frame
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    frame.comments.append(value)
                elif name == "id":
                    frame.id = value
                elif name == "event":
                    frame.event = value
                elif name == "data":
                    frame.data = f"{frame.data}\n{value}" if frame.data else value
                elif name == "retry":
                    frame.retry = int(value)
        raise EOFError("the stream ended")

    async def event(self, seconds: float = 10.0) -> SseEvent:
        """The next frame that is an event, skipping comments."""
        while True:
            frame = await self.frame(seconds)
            if frame.event is not None:
                return frame


async def pump(app: FastAPI, seconds: float = 30.0) -> int:
    """Let this process's stream hub read every committed event (its loop is off in
    tests); waits, like `relay_all`, for writing transactions still open."""
    hub = runtime(app).hub
    total = 0
    async with asyncio.timeout(seconds):
        while True:
            total += await hub.pump(app.state.database)
            async with app.state.database.sessions() as session:
                if await oldest_unread(session, hub.point) is None:
                    return total
            await asyncio.sleep(0.02)


@dataclass
class Clock:
    """The stream's clock, moved by tests instead of waiting."""

    offset: timedelta = timedelta(0)
    stopped_at: datetime | None = None

    def __call__(self) -> datetime:
        return self.stopped_at or datetime.now(UTC) + self.offset

    def move(self, delta: timedelta) -> None:
        self.offset += delta

    def stop_at(self, moment: datetime) -> None:
        """Stand still at `moment`."""
        self.stopped_at = moment


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    hub = runtime(app).hub
    original = hub.clock
    moved = Clock()
    hub.clock = moved
    try:
        yield moved
    finally:
        hub.clock = original


async def api_key(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    scopes: list[str],
    organisation_id: str | None = None,
) -> dict[str, Any]:
    """A new API key (and its `headers`) of a new organisation, or of `organisation_id`."""
    if organisation_id is None:
        organisation_id = (await create_organisation(client, auth))["id"]
    response = await client.post(
        f"/api/v1/organisations/{organisation_id}/api-keys",
        json={"scopes": scopes, "label": "ECD-koppeling"},
        headers=auth("admin"),
    )
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    key["headers"] = {"Authorization": f"Bearer {key['key']}"}
    return key
