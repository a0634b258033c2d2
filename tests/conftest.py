from __future__ import annotations

import asyncio
import gc
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from services.cli import KEEP_ALIVE_SECONDS, components
from shared.app import create_app
from shared.auth import issue_token
from shared.clock import current_time
from shared.http import client as http_client
from shared.settings import Settings
from tests.database import empty_tables, fresh_database

SECRET = "test-secret-that-is-long-enough-for-hs256-signing"
SCHEMAS = ("capacity", "triage", "notify", "events", "audit", "access")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests (marked `slow`) first: in a parallel run each then starts early on a
    worker while the short ones fill the others, rather than one starting last and the
    whole run waiting for it. The order is otherwise kept."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the run keeps to its end (modules, plugins, the collected tests) is set aside
    from the garbage collector, as served processes do, and collections come less often:
    each full collection walked all of it, some 200 ms every few seconds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 10)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "production",
        "jwt_secret": SECRET,
        "database_url": database_url,
        "webhook_allow_private": True,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    # A folder of the run's own: pytest prunes older base temp folders, which would pull an
    # embedded server's data from under a run that is still going.
    with tempfile.TemporaryDirectory(prefix="zorgplek-test-") as scratch:
        async with fresh_database(Path(scratch)) as url:
            yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def settings(database_url: str, live_port: int) -> Settings:
    """Settings of the test app; services reach each other at the live server's address."""
    return make_settings(database_url, capacity_url=f"http://127.0.0.1:{live_port}")


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[Any]:
    """All services in one app, as `zorgplek up` serves them; background loops off so that
    tests drive sweeps themselves, with time moved rather than slept."""
    application = create_app(
        components(settings), settings, database_url=database_url, run_loops=False
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def live_url(app: Any, live_port: int) -> AsyncIterator[str]:
    """The test app on a real socket, for calls between services and from real clients."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=live_port,
        lifespan="off",
        log_config=None,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{live_port}"
    server.should_exit = True
    await task


Callers = Callable[[int], Awaitable[list[httpx.AsyncClient]]]


@pytest.fixture
async def callers(live_url: str) -> AsyncIterator[Callers]:
    """`await callers(n)`: n clients of the live server, each on one connection of its own,
    as n people at n computers would be. A client drops an idle connection after 5 s, long
    before the live server would (`KEEP_ALIVE_SECONDS`), so a slow round never reuses a
    connection the server has just closed."""
    limits = httpx.Limits(max_connections=1)
    async with AsyncExitStack() as stack:

        async def make(n: int) -> list[httpx.AsyncClient]:
            made = (http_client(base_url=live_url, limits=limits, timeout=60) for _ in range(n))
            return [await stack.enter_async_context(client) for client in made]

        yield make


@pytest.fixture(autouse=True)
async def _clean(request: pytest.FixtureRequest) -> None:
    """Every test that touches the database starts from empty tables — except those that
    only work in a transaction rolled back at their end (`rolled_back`), which leave
    nothing: one that also writes through the API sees what tests before it committed."""
    names = set(request.fixturenames)
    if "rolled_back" in names and not {"client", "live_url"} & names:
        return
    if {"app", "database_url", "client", "live_url"} & names:
        await empty_tables(request.getfixturevalue("database_url"), SCHEMAS)


Clock = Callable[[datetime], None]


@pytest.fixture
def clock(app: Any) -> Iterator[Clock]:
    """`clock(moment)` sets the time that endpoints taking `Now` see, until the test ends."""

    def move(moment: datetime) -> None:
        app.dependency_overrides[current_time] = lambda: moment

    yield move
    app.dependency_overrides.pop(current_time, None)


@pytest.fixture
async def rolled_back(app: Any) -> AsyncIterator[AsyncSession]:
    """A session on the migrated test database inside an outer transaction that is rolled
    back when the test ends, for testing rules and queries directly: what the test writes
    is real rows in the real schema, and none of it stays."""
    async with app.state.database.engine.connect() as connection:
        outer = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
        yield c


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def auth(settings: Settings) -> TokenFactory:
    """`auth("provider", org=...)` gives the headers of a caller with that role."""

    def make(
        *roles: str,
        org: uuid.UUID | str | None = None,
        regions: list[str] | None = None,
        sub: str | None = None,
        name: str | None = None,
    ) -> dict[str, str]:
        token = issue_token(
            settings,
            sub=sub or f"{'-'.join(roles)}-{uuid.uuid4().hex[:6]}",
            name=name or f"Test {' '.join(roles)}",
            roles=list(roles),
            org=org,
            regions=regions,
        )
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture(scope="session")
def output_dir() -> Path:
    path = Path(__file__).resolve().parent.parent / "test-output"
    path.mkdir(exist_ok=True)
    return path
