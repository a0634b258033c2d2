"""Real receivers for notify's tests: an HTTP server on loopback for webhooks and an
aiosmtpd server for e-mail, plus helpers that drive the relay and the workers."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from services.notify.delivery.worker import deliver_due
from services.notify.relay.service import relay_once
from services.notify.runtime import runtime
from shared.outbox import PUBLIC, Event, publish
from tests.conftest import free_port

KENNEMERLAND = "ZK-KENNEMERLAND"


@dataclass
class Received:
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
        self.requests.append(Received(headers, body))
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

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.requests]


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
    return {
        "referral_id": str(uuid.uuid4()),
        "status": "placed",
        "from_status": "reserved",
        "place_type": "WLZ_CRISIS",
        "urgency": "urgent",
        "region_code": KENNEMERLAND,
        "reservation_id": str(uuid.uuid4()),
        "facility_id": str(uuid.uuid4()),
        "facility_name": "Zorgcentrum De Linde",
        **fields,
    }


async def relay_all(app: FastAPI) -> int:
    """Run the relay until it has taken every committed event; the deliveries created."""
    created = 0
    while True:
        async with app.state.database.sessions.begin() as session:
            result = await relay_once(session)
        created += result.deliveries
        if not result.events:
            return created


async def deliver(
    app: FastAPI, now: datetime | None = None, settings: Any = None
) -> list[str | None]:
    """Attempt every delivery due at `now` (the real time when not given)."""
    state = runtime(app)
    return await deliver_due(
        app.state.database, settings or app.state.settings, state.http, now=now
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
