"""Background work: stale events once per stale spell, expiry safe with several sweepers,
and the gauges operators watch."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import REGISTRY
from sqlalchemy import text

from services.capacity.availability import service as availability
from services.capacity.capacity import service as capacity
from services.capacity.holds import service as holds
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, place_with_free, report


async def event_types(app: Any) -> list[str]:
    async with app.state.database.sessions() as session:
        rows = await session.execute(text("SELECT type FROM events.outbox ORDER BY position"))
        return [r.type for r in rows]


async def sweep_stale(app: Any) -> int:
    async with app.state.database.sessions.begin() as session:
        return await capacity.publish_stale(session, app.state.settings)


async def test_stale_is_published_once_per_stale_spell(
    app: Any, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    await report(client, auth, facility, age=timedelta(hours=13))
    await report(client, auth, facility, "GRZ", age=timedelta(hours=1))
    assert await sweep_stale(app) == 1
    assert await sweep_stale(app) == 0
    assert (await event_types(app)).count("capacity.stale") == 1
    await report(client, auth, facility, age=timedelta(minutes=1))  # fresh again
    assert await sweep_stale(app) == 0
    await report(client, auth, facility, age=timedelta(seconds=30))
    assert (await event_types(app)).count("capacity.stale") == 1


async def test_concurrent_sweepers_expire_each_hold_once(
    app: Any, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    facility = await place_with_free(client, auth, 5)
    for _ in range(5):
        response = await client.post(
            "/api/v1/holds",
            json={
                "facility_id": facility["id"],
                "place_type": "ELV_HOOG",
                "referral_id": str(uuid.uuid4()),
                "ttl_seconds": 60,
            },
            headers=auth("service"),
        )
        assert response.status_code == 201
    later = datetime.now(UTC) + timedelta(minutes=2)

    async def sweeper() -> int:
        async with app.state.database.sessions.begin() as session:
            return await holds.expire_due(session, now=later, limit=2)

    total = 0
    for _ in range(3):
        total += sum(await asyncio.gather(*[sweeper() for _ in range(4)]))
    assert total == 5
    items = (
        await client.get(
            "/api/v1/availability", params={"place_type": "ELV_HOOG"}, headers=auth("triagist")
        )
    ).json()["items"]
    assert (items[0]["held"], items[0]["free"]) == (0, 5)
    assert (await event_types(app)).count("capacity.available") == 2  # first report, then 0→1


async def test_gauges_show_free_and_stale_per_region(
    app: Any, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await place_with_free(client, auth, 3)
    organisation = await create_organisation(client, auth)
    old = await create_facility(client, auth, organisation["id"], place_types=["GRZ"])
    await report(client, auth, old, "GRZ", available=2, age=timedelta(hours=13))
    async with app.state.database.sessions() as session:
        await availability.refresh_gauges(session, app.state.settings)
    labels = {"region": "ZK-KENNEMERLAND", "place_type": "ELV_HOOG"}
    assert REGISTRY.get_sample_value("zorgplek_places_free", labels) == 3
    assert REGISTRY.get_sample_value("zorgplek_places_stale", labels) == 0
    grz = {**labels, "place_type": "GRZ"}
    assert REGISTRY.get_sample_value("zorgplek_places_free", grz) == 0  # unknown is not free
    assert REGISTRY.get_sample_value("zorgplek_places_stale", grz) == 1
