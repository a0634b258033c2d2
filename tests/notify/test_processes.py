"""Notify as it runs in production: separate processes (`zorgplek serve notify`) with their
background loops on. Two at once deliver each event to each subscription once and each
serves its own stream clients; one killed with SIGKILL loses nothing; a database that goes
away for a few seconds is recovered from without help."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.cli import components
from services.notify.delivery.models import Delivery
from shared.app import create_app
from shared.http import client as http_client
from tests.conftest import SECRET, TokenFactory, free_port, make_settings
from tests.notify.conftest import Receiver, SseReader, emit, subscribe
from tests.tcp_proxy import Proxy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
RETRIES = "[0.2, 0.5, 1.0, 1.0, 1.0, 1.0]"
TIMEOUT_SECONDS = "1"  # a claim's lease is this plus 5 s


class Service:
    """`zorgplek serve notify` in its own process."""

    def __init__(self, database_url: str, home: Path, timeout_seconds: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / f"notify-{self.port}.log"
        env = {
            **os.environ,
            "ZORGPLEK_DATABASE_URL": database_url,
            "ZORGPLEK_JWT_SECRET": SECRET,
            "ZORGPLEK_HOME": str(home),
            "ZORGPLEK_WEBHOOK_ALLOW_PRIVATE": "1",
            "ZORGPLEK_DELIVERY_RETRY_SECONDS": RETRIES,
            "ZORGPLEK_WEBHOOK_TIMEOUT_SECONDS": timeout_seconds,
            "ZORGPLEK_LOG_LEVEL": "WARNING",
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "serve", "notify", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    async def ready(self, seconds: float = 60.0) -> None:
        async with http_client(timeout=2) as http, asyncio.timeout(seconds):
            while True:
                assert self.process.poll() is None, self.log.read_text()
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"{self.url}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Service]]:
    """Starts notify processes on the test database; stops them all afterwards."""
    started: list[Service] = []

    def start(timeout_seconds: str = TIMEOUT_SECONDS) -> Service:
        service = Service(database_url, tmp_path, timeout_seconds)
        started.append(service)
        return service

    try:
        yield start
    finally:
        for service in started:
            service.stop()


async def _all_delivered(app: FastAPI, expected: int, seconds: float = 60.0) -> None:
    async with asyncio.timeout(seconds):
        while True:
            async with app.state.database.sessions() as session:
                done = await session.scalar(
                    select(func.count()).where(Delivery.status == "delivered")
                )
            if done == expected:
                return
            await asyncio.sleep(0.1)


async def test_two_processes_deliver_each_event_to_each_subscription_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    services: Callable[..., Service],
) -> None:
    for name in ("a", "b"):
        await subscribe(
            client, auth("viewer"), f"{receiver.url}/{name}", event_types=["capacity.updated"]
        )
    # A generous per-attempt time: a receiver slow to answer on a busy machine would
    # otherwise be sent the event again, as at-least-once delivery should — but here we
    # count that no two processes ever take the same delivery.
    first, second = services("60"), services("60")
    await asyncio.gather(first.ready(), second.ready())
    viewer = auth("viewer")
    async with http_client(timeout=30) as http:
        async with (
            http.stream("GET", f"{first.url}/api/v1/stream", headers=viewer) as one,
            http.stream("GET", f"{second.url}/api/v1/stream", headers=viewer) as two,
        ):
            readers = [SseReader(one), SseReader(two)]

            async def produce() -> list[str]:
                return [
                    str((await emit(app, "capacity.updated", {"free": 1})).id) for _ in range(15)
                ]

            batches = await asyncio.gather(*(produce() for _ in range(4)))
            sent = {event_id for batch in batches for event_id in batch}
            for reader in readers:  # each replica serves its own client everything
                got = {(await reader.event(30)).id for _ in range(len(sent))}
                assert got == sent

    await _all_delivered(app, 2 * len(sent))
    per_target = Counter((r.path, r.headers["webhook-id"]) for r in receiver.requests)
    assert set(per_target.values()) == {1}
    assert {event_id for _, event_id in per_target} == sent
    assert len(per_target) == 2 * len(sent)


async def test_sigkill_loses_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    services: Callable[..., Service],
) -> None:
    """Killed while attempts are in flight and more deliveries wait: after a restart every
    event arrives, and only those in flight at the crash arrive twice."""
    await subscribe(client, auth("viewer"), receiver.url, event_types=["capacity.updated"])
    receiver.hold.clear()  # the receiver takes requests but does not answer yet
    # Attempts must still be in flight when the process dies, however slow the machine: a
    # short per-attempt limit would end and retry them first, and count them three times.
    first = services(timeout_seconds="20")
    await first.ready()
    sent = {str((await emit(app, "capacity.updated", {"free": 1})).id) for _ in range(80)}
    await receiver.wait_until(lambda: len(receiver.requests) >= 10)
    await asyncio.sleep(0.2)  # let the worker fill its slots
    first.kill()
    in_flight = set(receiver.ids())
    assert 0 < len(in_flight) < len(sent)  # some in flight, the rest still pending
    receiver.hold.set()

    second = services()
    await second.ready()
    await _all_delivered(app, len(sent), seconds=90)
    await receiver.wait_until(lambda: set(receiver.ids()) >= sent, seconds=30)
    counts = Counter(receiver.ids())
    assert set(counts) == sent
    twice = {event_id for event_id, n in counts.items() if n > 1}
    assert twice <= in_flight
    assert max(counts.values()) <= 2


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    result = Proxy(database_url)
    await result.start()
    yield result
    await result.stop()


async def _readyz(http: httpx.AsyncClient, expected: int, seconds: float = 60.0) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if (await http.get("/readyz")).status_code == expected:
                return
            await asyncio.sleep(0.1)


async def test_a_database_outage_is_recovered_from_without_help(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    proxy: Proxy,
    database_url: str,
) -> None:
    await subscribe(client, auth("viewer"), receiver.url, event_types=["capacity.updated"])
    settings = make_settings(
        database_url,
        delivery_retry_seconds=[0.2, 0.5, 1.0, 1.0, 1.0, 1.0],
        webhook_timeout_seconds=1.0,
    )
    notify = create_app(
        components(settings, ["notify"]), settings, database_url=proxy.url, run_loops=True
    )
    async with notify.router.lifespan_context(notify):
        transport = httpx.ASGITransport(app=notify)
        async with httpx.AsyncClient(transport=transport, base_url="http://notify.test") as http:
            await _readyz(http, 200)
            before = await emit(app, "capacity.updated", {"free": 1})
            await receiver.wait_until(lambda: str(before.id) in receiver.ids())

            proxy.cut()
            await _readyz(http, 503)
            body = (await http.get("/readyz")).json()
            assert body["checks"]["database"].startswith("unreachable")
            during = await emit(app, "capacity.updated", {"free": 2})  # written meanwhile
            await asyncio.sleep(3)  # a few seconds without a database
            assert (await http.get("/readyz")).status_code == 503
            assert str(during.id) not in receiver.ids()

            proxy.restore()
            await _readyz(http, 200)
            await receiver.wait_until(lambda: str(during.id) in receiver.ids(), seconds=60)
            after = await emit(app, "capacity.updated", {"free": 3})
            await receiver.wait_until(lambda: str(after.id) in receiver.ids(), seconds=60)
    assert Counter(receiver.ids())[str(during.id)] == 1
