"""Capacity reports: validation, ordering, `applied`, free and holds, history, events."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report, report_body


@pytest.fixture
async def facility(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    return await create_facility(client, auth, organisation["id"])


def url(facility: dict[str, Any], place_type: str = "ELV_HOOG") -> str:
    return f"/api/v1/facilities/{facility['id']}/capacity/{place_type}"


async def outbox(database_url: str) -> list[dict[str, Any]]:
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT type, data FROM events.outbox ORDER BY position")
            )
            return [{"type": r.type, **r.data} for r in rows]
    finally:
        await engine.dispose()


async def test_report_answers_current_state(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    state = await report(
        client, auth, facility, staffed=12, occupied=9, available=3, expected_available_24h=1
    )
    assert state["facility_id"] == facility["id"]
    assert state["place_type"] == "ELV_HOOG"
    assert (state["staffed"], state["occupied"], state["available"]) == (12, 9, 3)
    assert (state["held"], state["free"], state["expected_available_24h"]) == (0, 3, 1)
    assert state["applied"] is True
    assert state["stale"] is False
    assert state["received_at"] >= state["observed_at"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"staffed": -1}, "staffed"),
        ({"occupied": 1.5}, "occupied"),
        ({"available": "drie"}, "available"),
        ({"staffed": 5, "occupied": 4, "available": 2}, "available"),
        ({"expected_available_24h": -2}, "expected_available_24h"),
        ({"observed_at": "gisteren"}, "observed_at"),
        ({"observed_at": "2026-11-22T10:00:00"}, "observed_at"),  # no time zone
        ({"beds": 4}, "beds"),
    ],
)
async def test_invalid_report_is_422_naming_the_field(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    facility: dict[str, Any],
    change: dict[str, Any],
    field: str,
) -> None:
    headers = auth("provider", org=facility["organisation_id"])
    response = await client.put(url(facility), json=report_body() | change, headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["errors"]
    assert all(e["msg"] for e in problem["errors"])
    assert ["body", field] in [e["loc"] for e in problem["errors"]]


async def test_future_observation_is_refused_beyond_two_minutes(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    headers = auth("provider", org=facility["organisation_id"])
    soon = (datetime.now(UTC) + timedelta(seconds=60)).isoformat()
    later = (datetime.now(UTC) + timedelta(minutes=3)).isoformat()
    ok = await client.put(url(facility), json=report_body(observed_at=soon), headers=headers)
    assert ok.status_code == 200
    refused = await client.put(url(facility), json=report_body(observed_at=later), headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "observed_at"]


async def test_place_type_must_be_offered_and_known(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    headers = auth("provider", org=facility["organisation_id"])
    not_offered = await client.put(url(facility, "GGZ_CRISIS"), json=report_body(), headers=headers)
    assert not_offered.status_code == 422
    assert not_offered.json()["errors"][0]["loc"] == ["path", "place_type"]
    unknown = await client.put(url(facility, "HOTEL"), json=report_body(), headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["path", "place_type"]


async def test_older_report_does_not_overwrite_but_is_kept_in_history(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    await report(client, auth, facility, available=2, age=timedelta(minutes=5))
    late = await report(client, auth, facility, available=4, age=timedelta(minutes=30))
    assert late["applied"] is False
    assert late["available"] == 2
    newer = await report(client, auth, facility, available=1, age=timedelta(minutes=1))
    assert (newer["applied"], newer["available"]) == (True, 1)

    history = await client.get(f"{url(facility)}/history", headers=auth("triagist"))
    assert history.status_code == 200
    items = history.json()["items"]
    assert [(i["available"], i["applied"]) for i in items] == [(1, True), (2, True), (4, False)]


async def test_history_pages_and_filters(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    for minutes in range(5, 0, -1):
        await report(
            client, auth, facility, available=minutes % 4, age=timedelta(minutes=minutes * 10)
        )
    headers = auth("referrer")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{url(facility)}/history", params=params, headers=headers)).json()
        seen += [i["observed_at"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5
    assert seen == sorted(seen, reverse=True)
    since = (datetime.now(UTC) - timedelta(minutes=25)).isoformat()
    recent = await client.get(f"{url(facility)}/history", params={"since": since}, headers=headers)
    assert len(recent.json()["items"]) == 2
    bad = await client.get(
        f"{url(facility)}/history", params={"cursor": "nonsense!"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "cursor"]


async def test_report_below_held_keeps_holds_and_free_is_zero(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    await report(client, auth, facility, staffed=10, occupied=7, available=3)
    for _ in range(2):
        hold = await client.post(
            "/api/v1/holds",
            json={
                "facility_id": facility["id"],
                "place_type": "ELV_HOOG",
                "referral_id": "5f0c6f8e-2d5c-4a8e-9d1e-3c1f2b4a5d6e",
                "ttl_seconds": 600,
            },
            headers=auth("service"),
        )
        assert hold.status_code == 201
    state = await report(client, auth, facility, staffed=10, occupied=9, available=1)
    assert (state["available"], state["held"], state["free"]) == (1, 2, 0)


async def test_events_follow_reports(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any], database_url: str
) -> None:
    await report(client, auth, facility, occupied=10, available=0, age=timedelta(minutes=9))
    await report(client, auth, facility, occupied=8, available=2, age=timedelta(minutes=5))
    await report(client, auth, facility, occupied=7, available=3, age=timedelta(minutes=1))
    await report(client, auth, facility, occupied=5, available=5, age=timedelta(minutes=30))
    events = await outbox(database_url)
    assert [(e["type"], e["free"]) for e in events] == [
        ("capacity.updated", 0),
        ("capacity.updated", 2),
        ("capacity.available", 2),
        ("capacity.updated", 3),
    ]
    first = events[0]
    assert first["facility_id"] == facility["id"]
    assert first["region_code"] == "ZK-KENNEMERLAND"
    assert {"lat", "lon", "staffed", "held", "observed_at", "organisation_id"} <= first.keys()


async def test_a_failed_commit_answers_an_error_and_leaves_nothing(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any], database_url: str
) -> None:
    """The commit runs before the response: when it fails, the caller hears so, and neither
    the state, the history nor the event exists."""
    await report(client, auth, facility, available=1)
    engine = create_async_engine(async_url(database_url))
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE FUNCTION events.refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$"
            )
        )
        await conn.execute(
            text(
                "CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON events.outbox "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION events.refuse()"
            )
        )
    try:
        before = await outbox(database_url)
        response = await client.put(
            url(facility),
            json=report_body(available=3),
            headers=auth("provider", org=facility["organisation_id"]),
        )
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        assert "refused" not in response.text  # no SQL or database message leaks
        assert await outbox(database_url) == before
    finally:
        async with engine.begin() as conn:
            await conn.execute(text("DROP TRIGGER refuse_at_commit ON events.outbox"))
            await conn.execute(text("DROP FUNCTION events.refuse()"))
        await engine.dispose()
    history = await client.get(f"{url(facility)}/history", headers=auth("admin"))
    assert [i["available"] for i in history.json()["items"]] == [1]
