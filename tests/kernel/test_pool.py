"""The connection pools: no `SELECT 1` before every checkout, so a connection that died
while pooled is found out by the request that uses it; the pool then replaces all of its
connections, and the service recovers by itself."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from services.cli import components
from shared.app import create_app
from shared.db import CHECK_POOL_SIZE, Database
from tests.conftest import TokenFactory, make_settings
from tests.tcp_proxy import Proxy


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[Proxy]:
    result = Proxy(database_url)
    await result.start()
    yield result
    await result.stop()


@pytest.fixture
async def capacity(database_url: str, proxy: Proxy) -> AsyncIterator[FastAPI]:
    """The capacity service, reaching PostgreSQL through a proxy the test can cut."""
    settings = make_settings(database_url)
    application = create_app(
        components(settings, ["capacity"]), settings, database_url=proxy.url, run_loops=False
    )
    async with application.router.lifespan_context(application):
        yield application


SEARCH: dict[str, str | int] = {"place_type": "GRZ", "near": "52.38,4.64", "radius_km": 30}


async def test_connections_that_died_in_the_pool_are_replaced_without_help(
    capacity: FastAPI, proxy: Proxy, auth: TokenFactory
) -> None:
    headers = auth("referrer")
    transport = httpx.ASGITransport(app=capacity, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as http:

        async def search() -> int:
            response = await http.get("/api/v1/availability", params=SEARCH, headers=headers)
            return response.status_code

        # Several connections in each pool (the requests' and the token checks').
        assert set(await asyncio.gather(*[search() for _ in range(8)])) == {200}
        proxy.cut()  # every pooled connection dies while it waits in its pool
        proxy.restore()
        statuses = Counter([await search() for _ in range(12)])
    # At most the first use of each pool fails (503, try again); then every request works.
    assert statuses[200] >= 10, statuses
    assert set(statuses) <= {200, 503}, statuses


async def test_the_pools_never_grow_beyond_their_size(database_url: str) -> None:
    """Load waits for a pooled connection rather than opening and closing extra ones."""
    database = Database(database_url, pool_size=2)
    try:
        for engine in (database.engine, database.auth_engine):
            assert engine.pool.overflow() <= 0  # type: ignore[attr-defined]
            assert engine.sync_engine.pool._max_overflow == 0  # type: ignore[attr-defined]
        assert database.auth_engine.pool.size() == CHECK_POOL_SIZE  # type: ignore[attr-defined]
        assert database.read_engine.pool is database.engine.pool
    finally:
        await database.dispose()
