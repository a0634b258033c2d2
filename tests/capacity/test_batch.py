"""Batch reports: JSON and CSV, one result per row, good rows apply when others fail."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url
from shared.http import client as http_client
from shared.settings import Settings
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report, report_body


@pytest.fixture
async def own(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    return await create_facility(client, auth, organisation["id"])


@pytest.fixture
async def foreign(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    return await create_facility(client, auth, organisation["id"])


async def current(client: httpx.AsyncClient, auth: TokenFactory, facility_id: str) -> list[int]:
    response = await client.get(
        "/api/v1/availability",
        params={"place_type": ["ELV_HOOG", "GRZ"], "min_free": 0},
        headers=auth("admin"),
    )
    return sorted(
        i["available"] for i in response.json()["items"] if i["facility"]["id"] == facility_id
    )


async def test_json_batch_applies_good_rows_and_reports_bad_ones(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    own: dict[str, Any],
    foreign: dict[str, Any],
) -> None:
    rows = [
        {"facility_id": own["id"], "place_type": "ELV_HOOG", **report_body(available=2)},
        {
            "facility_id": own["id"],
            "place_type": "GRZ",
            **report_body(staffed=1, occupied=1, available=1),
        },
        {"facility_id": foreign["id"], "place_type": "ELV_HOOG", **report_body()},
        {"facility_id": own["id"], "place_type": "GGZ_CRISIS", **report_body()},
        {"facility_id": own["id"], "place_type": "GRZ", **report_body(available=1)},
        "not an object",
    ]
    response = await client.post(
        "/api/v1/capacity-reports",
        json={"reports": rows},
        headers=auth("provider", org=own["organisation_id"]),
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 6
    assert results[0]["applied"] is True
    assert results[0]["available"] == 2
    assert results[1]["row"] == 2
    assert results[1]["errors"][0]["loc"] == ["available"]
    assert results[2] == {
        "row": 3,
        "errors": [{"loc": ["facility_id"], "msg": "No such facility."}],
    }
    assert results[3]["errors"][0]["loc"] == ["place_type"]
    assert results[4]["place_type"] == "GRZ"
    assert results[5]["row"] == 6
    assert await current(client, auth, own["id"]) == [1, 2]
    assert await current(client, auth, foreign["id"]) == []


async def test_csv_batch_with_a_bad_row(
    client: httpx.AsyncClient, auth: TokenFactory, own: dict[str, Any]
) -> None:
    now = datetime.now(UTC)
    csv_text = (
        "facility_id,place_type,staffed,occupied,available,expected_available_24h,observed_at\n"
        f"{own['id']},ELV_HOOG,10,7,3,1,{(now - timedelta(minutes=2)).isoformat()}\n"
        f"{own['id']},GRZ,4,2,9,,{now.isoformat()}\n"
        f"{own['id']},GRZ,4,2,2,,{now.isoformat()}\n"
    )
    response = await client.post(
        "/api/v1/capacity-reports",
        content=csv_text.encode(),
        headers={"content-type": "text/csv", **auth("provider", org=own["organisation_id"])},
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["expected_available_24h"] == 1
    assert results[1]["row"] == 2
    assert results[1]["errors"][0]["loc"] == ["available"]
    assert results[2]["expected_available_24h"] is None
    assert await current(client, auth, own["id"]) == [2, 3]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "loc"),
    [
        (b"facility_id,place_type\nx,y\n", "text/csv", 422, ["body", "header"]),
        (b"\xff\xfe not utf-8", "text/csv", 422, ["body"]),
        (b'{"reports": "all of them"}', "application/json", 422, ["body", "reports"]),
        (b"{not json", "application/json", 422, ["body", "reports"]),
        (b"<reports/>", "application/xml", 415, None),
    ],
)
async def test_unreadable_batches_are_refused_clearly(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    own: dict[str, Any],
    content: bytes,
    content_type: str,
    status: int,
    loc: list[str] | None,
) -> None:
    response = await client.post(
        "/api/v1/capacity-reports",
        content=content,
        headers={"content-type": content_type, **auth("provider", org=own["organisation_id"])},
    )
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if loc is not None:
        assert response.json()["errors"][0]["loc"] == loc


async def test_batch_needs_a_provider(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.post(
        "/api/v1/capacity-reports", json={"reports": []}, headers=auth("triagist")
    )
    assert response.status_code == 403


async def test_concurrent_batches_over_the_same_places_never_deadlock(
    client: httpx.AsyncClient, auth: TokenFactory, live_url: str
) -> None:
    organisation = await create_organisation(client, auth)
    places = [await create_facility(client, auth, organisation["id"]) for _ in range(6)]
    headers = auth("provider", org=organisation["id"])

    def batch(order: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "reports": [
                {"facility_id": f["id"], "place_type": p, **report_body()}
                for f in order
                for p in ("ELV_HOOG", "GRZ")
            ]
        }

    async with http_client(base_url=live_url, timeout=60) as http:
        for _ in range(5):
            responses = await asyncio.gather(
                *[
                    http.post(
                        "/api/v1/capacity-reports",
                        json=batch(places if n % 2 else places[::-1]),
                        headers=headers,
                    )
                    for n in range(8)
                ]
            )
            assert {r.status_code for r in responses} == {200}
            for response in responses:
                assert all("applied" in row for row in response.json()["results"])


async def test_a_transient_database_failure_is_503_with_retry_after(
    client: httpx.AsyncClient, auth: TokenFactory, own: dict[str, Any], database_url: str
) -> None:
    engine = create_async_engine(async_url(database_url))
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE FUNCTION capacity.conflict() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'could not serialize' USING ERRCODE = '40001'; END $$"
            )
        )
        await conn.execute(
            text(
                "CREATE TRIGGER conflict BEFORE INSERT ON capacity.capacity_reports "
                "FOR EACH ROW EXECUTE FUNCTION capacity.conflict()"
            )
        )
    try:
        response = await client.put(
            f"/api/v1/facilities/{own['id']}/capacity/ELV_HOOG",
            json=report_body(),
            headers=auth("provider", org=own["organisation_id"]),
        )
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER conflict ON capacity.capacity_reports"))
            await conn.execute(text("DROP FUNCTION capacity.conflict()"))
        await engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert "serialize" not in response.text


def observed() -> str:
    return str(report_body()["observed_at"])


async def test_a_json_batch_holds_at_most_the_configured_rows(
    client: httpx.AsyncClient, auth: TokenFactory, own: dict[str, Any], settings: Settings
) -> None:
    headers = auth("provider", org=own["organisation_id"])
    limit = settings.batch_max_rows
    assert limit == 5000  # generous: a provider system posts all its locations at once
    over = await client.post(
        "/api/v1/capacity-reports", json={"reports": [{}] * (limit + 1)}, headers=headers
    )
    assert over.status_code == 413
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json()["errors"][0]["loc"] == ["body", "reports"]
    at_limit = await client.post(
        "/api/v1/capacity-reports", json={"reports": [{}] * limit}, headers=headers
    )
    assert at_limit.status_code == 200
    assert len(at_limit.json()["results"]) == limit


async def test_a_csv_batch_holds_at_most_the_configured_rows(
    client: httpx.AsyncClient, auth: TokenFactory, own: dict[str, Any], settings: Settings
) -> None:
    headers = {"content-type": "text/csv", **auth("provider", org=own["organisation_id"])}
    header = "facility_id,place_type,staffed,occupied,available,observed_at\n"
    row = f"onbekend,ELV_HOOG,10,5,3,{observed()}\n"
    limit = settings.batch_max_rows
    over = await client.post(
        "/api/v1/capacity-reports", content=(header + row * (limit + 1)).encode(), headers=headers
    )
    assert over.status_code == 413
    assert over.json()["errors"][0]["loc"] == ["body"]
    at_limit = await client.post(
        "/api/v1/capacity-reports", content=(header + row * limit).encode(), headers=headers
    )
    assert at_limit.status_code == 200
    assert len(at_limit.json()["results"]) == limit


@pytest.mark.parametrize("content_type", ["application/json", "text/csv"])
async def test_an_oversized_body_is_refused_while_it_is_read(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    own: dict[str, Any],
    settings: Settings,
    content_type: str,
) -> None:
    """The body is counted as it arrives: the server stops reading just past the limit,
    never taking in the 40 MiB a client offers."""
    chunk = b" " * 65536
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(640):
            sent += len(chunk)
            yield chunk

    response = await client.post(
        "/api/v1/capacity-reports",
        content=body(),
        headers={"content-type": content_type, **auth("provider", org=own["organisation_id"])},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body"]
    assert settings.batch_max_bytes < sent <= settings.batch_max_bytes + len(chunk)


async def test_an_announced_oversized_body_is_refused_unread(
    client: httpx.AsyncClient, auth: TokenFactory, own: dict[str, Any], settings: Settings
) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        sent += 1
        yield b"{}"

    response = await client.post(
        "/api/v1/capacity-reports",
        content=body(),
        headers={
            "content-type": "application/json",
            "content-length": str(settings.batch_max_bytes + 1),
            **auth("provider", org=own["organisation_id"]),
        },
    )
    assert response.status_code == 413
    assert sent == 0


async def test_a_deeply_nested_json_batch_is_422(
    client: httpx.AsyncClient, auth: TokenFactory, own: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/v1/capacity-reports",
        content=b'{"reports": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        headers={
            "content-type": "application/json",
            **auth("provider", org=own["organisation_id"]),
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "reports"]


@pytest.fixture
def chunks_of_two(settings: Settings) -> Iterator[None]:
    before = settings.batch_chunk_rows
    settings.batch_chunk_rows = 2
    try:
        yield
    finally:
        settings.batch_chunk_rows = before


async def test_a_batch_commits_chunk_by_chunk(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    database_url: str,
    chunks_of_two: None,
) -> None:
    """While the last chunk waits for a lock someone else holds, the rows of the chunks
    before it are committed: visible to every other connection, their events to the relay.
    No transaction of the batch stays open for the whole batch."""
    organisation = await create_organisation(client, auth)
    places = [await create_facility(client, auth, organisation["id"]) for _ in range(3)]
    headers = auth("provider", org=organisation["id"])
    order = sorted((f["id"], p) for f in places for p in ("ELV_HOOG", "GRZ"))
    last_facility, last_type = order[-1]
    last = next(f for f in places if f["id"] == last_facility)
    await report(client, auth, last, last_type, available=1)
    rows = [
        {"facility_id": f, "place_type": p, **report_body(available=2)} for f, p in reversed(order)
    ]
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as blocker:
            await blocker.begin()
            await blocker.execute(
                text(
                    "SELECT 1 FROM capacity.capacity WHERE facility_id = :f AND place_type = :p "
                    "FOR UPDATE"
                ),
                {"f": last_facility, "p": last_type},
            )
            task = asyncio.create_task(
                client.post("/api/v1/capacity-reports", json={"reports": rows}, headers=headers)
            )
            async with engine.connect() as observer:
                await observer.execution_options(isolation_level="AUTOCOMMIT")
                for _ in range(1200):  # until the batch waits for the lock (a minute at most)
                    assert not task.done(), task.result().text
                    waiting = await observer.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                            " AND query LIKE '%FROM capacity.capacity%'"
                        )
                    )
                    if waiting.scalar():
                        break
                    await asyncio.sleep(0.05)
                committed = (
                    await observer.execute(
                        text("SELECT count(*) FROM capacity.capacity WHERE available = 2")
                    )
                ).scalar()
                events = (
                    await observer.execute(
                        text(
                            "SELECT count(*) FROM events.outbox WHERE type = 'capacity.updated'"
                            " AND data->>'available' = '2'"
                        )
                    )
                ).scalar()
            await blocker.rollback()
        response = await task
    finally:
        await engine.dispose()
    assert committed == 4  # two chunks of two, committed before the third waited
    assert events == 4
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["facility_id"], r["place_type"]) for r in results] == [
        (f, p) for f, p in reversed(order)
    ]
    assert all(r["applied"] and r["available"] == 2 for r in results)
