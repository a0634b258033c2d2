"""Small helpers that drive the triage API as its users would."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg
import httpx

from shared.db import plain_url
from tests.conftest import TokenFactory
from tests.factories import create_organisation

KENNEMERLAND = "ZK-KENNEMERLAND"
AMSTERDAM = "ZK-AMSTERDAM"
UTRECHT = "ZK-UTRECHT"
HAARLEM_CENTRE = {"lat": 52.3810, "lon": 4.6370}


def referral_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "place_type": "ELV_HOOG",
        "urgency": "urgent",
        "patient": {"birth_year": 1941, "sex": "female", "postcode": "2011"},
        "needs": [],
        "region_code": KENNEMERLAND,
        "near": HAARLEM_CENTRE,
        "notes": "Valt vaak, woont alleen.",
    }
    body.update(fields)
    return body


class Actors:
    """The people of one scenario: a referring practice, a triagist of the region, and the
    headers to act as each."""

    def __init__(self, auth: TokenFactory, referrer_org: str, region: str = KENNEMERLAND):
        self.auth = auth
        self.referrer_org = referrer_org
        self.referrer = auth("referrer", org=referrer_org, sub=f"gp-{uuid.uuid4().hex[:6]}")
        self.triagist_sub = f"triagist-{uuid.uuid4().hex[:6]}"
        self.triagist = auth("triagist", regions=[region], sub=self.triagist_sub)

    def provider_of(self, facility: dict[str, Any]) -> dict[str, str]:
        return self.auth("provider", org=facility["organisation_id"])


async def actors(client: httpx.AsyncClient, auth: TokenFactory, **org: Any) -> Actors:
    practice = await create_organisation(
        client, auth, kind="gp", lat=52.3566, lon=4.6556, city="Haarlem", **org
    )
    return Actors(auth, practice["id"])


async def submit(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    response = await client.post("/api/v1/referrals", json=referral_body(**fields), headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def claim(client: httpx.AsyncClient, referral_id: str, headers: dict[str, str]) -> None:
    response = await client.post(f"/api/v1/referrals/{referral_id}/claim", headers=headers)
    assert response.status_code == 200, response.text


async def reserve(
    client: httpx.AsyncClient,
    referral_id: str,
    facility_id: str,
    headers: dict[str, str],
    **body: Any,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/referrals/{referral_id}/reservations",
        json={"facility_id": facility_id, **body},
        headers=headers,
    )


async def timeline(
    client: httpx.AsyncClient, referral_id: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/referrals/{referral_id}/events", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def free_places(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any], place_type: str
) -> int:
    response = await client.get(
        "/api/v1/availability",
        params={"place_type": place_type, "min_free": 0, "include_stale": "true"},
        headers=auth("triagist"),
    )
    assert response.status_code == 200, response.text
    for item in response.json()["items"]:
        if item["facility"]["id"] == facility["id"]:
            free: int = item["free"]
            return free
    raise AssertionError("facility not in availability")


async def fetch(database_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    """Read the database directly, as an operator would, to check what was (not) stored."""
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        rows: list[asyncpg.Record] = await conn.fetch(query, *args)
        return rows
    finally:
        await conn.close()


async def outbox(database_url: str, referral_id: str) -> list[dict[str, Any]]:
    rows = await fetch(
        database_url,
        "SELECT type, data::text AS data, audience::text AS audience FROM events.outbox "
        "WHERE data->>'referral_id' = $1 ORDER BY position",
        referral_id,
    )
    return [
        {"type": r["type"], "data": json.loads(r["data"]), "audience": json.loads(r["audience"])}
        for r in rows
    ]


async def audit_entries(database_url: str, referral_id: str | None = None) -> list[dict[str, Any]]:
    query = "SELECT actor, action, object_id, outcome FROM audit.audit_log"
    args: tuple[Any, ...] = ()
    if referral_id is not None:
        query += " WHERE object_id = $1"
        args = (referral_id,)
    rows = await fetch(database_url, query + " ORDER BY id", *args)
    return [dict(r) for r in rows]
