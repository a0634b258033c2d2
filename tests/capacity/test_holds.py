"""Holds: never a double booking, a TTL that heals every crash, commit and release."""

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.capacity.holds import service as holds
from shared.db import async_url
from shared.http import client as http_client
from tests.conftest import Callers, TokenFactory
from tests.factories import place_with_free


def hold_body(facility: dict[str, Any], ttl: int = 600) -> dict[str, Any]:
    return {
        "facility_id": facility["id"],
        "place_type": "ELV_HOOG",
        "referral_id": str(uuid.uuid4()),
        "ttl_seconds": ttl,
    }


async def free_of(client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]) -> int:
    response = await client.get(
        "/api/v1/availability",
        params={"place_type": "ELV_HOOG", "min_free": 0},
        headers=auth("triagist"),
    )
    [item] = [i for i in response.json()["items"] if i["facility"]["id"] == facility["id"]]
    free: int = item["free"]
    return free


async def expire(app: Any, after: timedelta) -> int:
    async with app.state.database.sessions.begin() as session:
        return await holds.expire_due(session, now=datetime.now(UTC) + after)


@pytest.mark.slow
async def test_fifty_racing_for_three_places_get_exactly_three(
    client: httpx.AsyncClient, auth: TokenFactory, callers: Callers
) -> None:
    headers = auth("service")
    fifty = await callers(50)
    for _ in range(20):
        facility = await place_with_free(client, auth, 3)
        responses = await asyncio.gather(
            *[
                http.post("/api/v1/holds", json=hold_body(facility), headers=headers)
                for http in fifty
            ]
        )
        assert Counter(r.status_code for r in responses) == {201: 3, 409: 47}
        assert await free_of(client, auth, facility) == 0


async def test_hold_answers_id_and_expiry_and_lowers_free(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    facility = await place_with_free(client, auth, 2)
    before = datetime.now(UTC)
    response = await client.post(
        "/api/v1/holds", json=hold_body(facility, ttl=900), headers=auth("service")
    )
    assert response.status_code == 201
    hold = response.json()
    assert uuid.UUID(hold["id"])
    expires = datetime.fromisoformat(hold["expires_at"])
    assert timedelta(seconds=899) <= expires - before <= timedelta(seconds=901)
    assert hold["status"] == "active"
    assert await free_of(client, auth, facility) == 1


async def test_no_free_place_is_409(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    facility = await place_with_free(client, auth, 0)
    response = await client.post("/api/v1/holds", json=hold_body(facility), headers=auth("service"))
    assert response.status_code == 409
    assert response.json()["facility_id"] == facility["id"]


async def test_expired_hold_returns_its_place(
    app: Any, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    facility = await place_with_free(client, auth, 1)
    hold = (
        await client.post(
            "/api/v1/holds", json=hold_body(facility, ttl=60), headers=auth("service")
        )
    ).json()
    assert await free_of(client, auth, facility) == 0
    assert await expire(app, timedelta(seconds=30)) == 0
    assert await expire(app, timedelta(seconds=61)) == 1
    assert await free_of(client, auth, facility) == 1
    commit = await client.post(f"/api/v1/holds/{hold['id']}/commit", headers=auth("service"))
    assert commit.status_code == 409
    assert commit.json()["hold_status"] == "expired"


async def test_commit_occupies_the_place(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    facility = await place_with_free(client, auth, 2)
    hold = (
        await client.post("/api/v1/holds", json=hold_body(facility), headers=auth("service"))
    ).json()
    response = await client.post(f"/api/v1/holds/{hold['id']}/commit", headers=auth("service"))
    assert response.status_code == 200
    assert response.json()["status"] == "committed"
    items = (
        await client.get(
            "/api/v1/availability", params={"place_type": "ELV_HOOG"}, headers=auth("admin")
        )
    ).json()["items"]
    [item] = [i for i in items if i["facility"]["id"] == facility["id"]]
    assert (item["available"], item["held"], item["free"]) == (1, 0, 1)
    again = await client.post(f"/api/v1/holds/{hold['id']}/commit", headers=auth("service"))
    assert again.status_code == 409
    release = await client.delete(f"/api/v1/holds/{hold['id']}", headers=auth("service"))
    assert release.status_code == 409


async def test_release_returns_the_place_and_repeats_harmlessly(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    facility = await place_with_free(client, auth, 1)
    hold = (
        await client.post("/api/v1/holds", json=hold_body(facility), headers=auth("service"))
    ).json()
    for _ in range(2):
        response = await client.delete(f"/api/v1/holds/{hold['id']}", headers=auth("service"))
        assert response.status_code == 200
        assert response.json()["status"] == "released"
        assert await free_of(client, auth, facility) == 1
    unknown = await client.delete(f"/api/v1/holds/{uuid.uuid4()}", headers=auth("service"))
    assert unknown.status_code == 404


async def test_idempotent_hold_creation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    facility = await place_with_free(client, auth, 3)
    headers = {**auth("service", sub="service:triage"), "Idempotency-Key": str(uuid.uuid4())}
    body = hold_body(facility)
    first = await client.post("/api/v1/holds", json=body, headers=headers)
    second = await client.post("/api/v1/holds", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await free_of(client, auth, facility) == 2
    other = await client.post("/api/v1/holds", json=hold_body(facility), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_concurrent_repeats_of_one_key_hold_once(
    client: httpx.AsyncClient, auth: TokenFactory, live_url: str
) -> None:
    facility = await place_with_free(client, auth, 3)
    headers = {**auth("service", sub="service:triage"), "Idempotency-Key": "reservation-1"}
    body = hold_body(facility)
    async with http_client(base_url=live_url) as http:
        responses = await asyncio.gather(
            *[http.post("/api/v1/holds", json=body, headers=headers) for _ in range(10)]
        )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await free_of(client, auth, facility) == 2


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"ttl_seconds": 0}, ["body", "ttl_seconds"]),
        ({"ttl_seconds": 999999}, ["body", "ttl_seconds"]),
        ({"place_type": "HOTEL"}, ["body", "place_type"]),
        ({"referral_id": "abc"}, ["body", "referral_id"]),
    ],
)
async def test_bad_hold_is_422(
    client: httpx.AsyncClient, auth: TokenFactory, change: dict[str, Any], loc: list[str]
) -> None:
    facility = await place_with_free(client, auth, 1)
    response = await client.post(
        "/api/v1/holds", json=hold_body(facility) | change, headers=auth("service")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


async def test_a_hold_lasts_at_most_the_configured_maximum(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """ZORGPLEK_HOLD_MAX_MINUTES (default 4 h) and five minutes' grace, never a day."""
    facility = await place_with_free(client, auth, 2)
    longest = 240 * 60 + 300
    too_long = await client.post(
        "/api/v1/holds", json=hold_body(facility, ttl=longest + 1), headers=auth("service")
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"] == ["body", "ttl_seconds"]
    assert await free_of(client, auth, facility) == 2
    ok = await client.post(
        "/api/v1/holds", json=hold_body(facility, ttl=longest), headers=auth("service")
    )
    assert ok.status_code == 201


@pytest.mark.parametrize("role", ["triagist", "referrer", "provider", "admin", "viewer"])
async def test_only_the_triage_service_holds_commits_and_releases(
    client: httpx.AsyncClient, auth: TokenFactory, role: str
) -> None:
    facility = await place_with_free(client, auth, 1)
    headers = auth(role, org=facility["organisation_id"], regions=["ZK-KENNEMERLAND"])
    refused = await client.post("/api/v1/holds", json=hold_body(facility), headers=headers)
    assert refused.status_code == 403
    assert await free_of(client, auth, facility) == 1
    hold = (
        await client.post("/api/v1/holds", json=hold_body(facility), headers=auth("service"))
    ).json()
    commit = await client.post(f"/api/v1/holds/{hold['id']}/commit", headers=headers)
    release = await client.delete(f"/api/v1/holds/{hold['id']}", headers=headers)
    assert (commit.status_code, release.status_code) == (403, 403)
    assert await free_of(client, auth, facility) == 0


async def audit_entries(database_url: str) -> list[tuple[str, str, str, str, str]]:
    engine = create_async_engine(async_url(database_url))
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT actor, role, action, object_type, object_id, outcome "
                    "FROM audit.audit_log ORDER BY id"
                )
            )
            return [(r.actor, r.action, r.object_type, r.object_id, r.outcome) for r in rows]
    finally:
        await engine.dispose()


async def test_holding_committing_and_releasing_are_audited(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    facility = await place_with_free(client, auth, 2)
    headers = auth("service", sub="service:triage")
    first, second = hold_body(facility), hold_body(facility)
    held = [
        (await client.post("/api/v1/holds", json=body, headers=headers)).json()
        for body in (first, second)
    ]
    await client.post(f"/api/v1/holds/{held[0]['id']}/commit", headers=headers)
    await client.delete(f"/api/v1/holds/{held[1]['id']}", headers=headers)
    await client.delete(f"/api/v1/holds/{held[1]['id']}", headers=headers)  # changes nothing
    assert await audit_entries(database_url) == [
        ("service:triage", "hold", "referral", first["referral_id"], "success"),
        ("service:triage", "hold", "referral", second["referral_id"], "success"),
        ("service:triage", "commit_hold", "referral", first["referral_id"], "success"),
        ("service:triage", "release_hold", "referral", second["referral_id"], "success"),
    ]
