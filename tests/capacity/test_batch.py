"""Batch reports: JSON and CSV, one result per row, good rows apply when others fail."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report_body


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

    async with httpx.AsyncClient(base_url=live_url, timeout=60) as http:
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
