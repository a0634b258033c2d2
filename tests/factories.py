"""Small helpers that build test data through the public API, as a client would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import TokenFactory

HAARLEM = (52.3874, 4.6462)


async def create_organisation(
    client: httpx.AsyncClient, auth: TokenFactory, **fields: Any
) -> dict[str, Any]:
    body = {"name": f"Zorggroep {uuid.uuid4().hex[:6]}", "kind": "vvt", **fields}
    response = await client.post("/api/v1/organisations", json=body, headers=auth("admin"))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def create_facility(
    client: httpx.AsyncClient, auth: TokenFactory, organisation_id: str, **fields: Any
) -> dict[str, Any]:
    body = {
        "organisation_id": organisation_id,
        "name": f"Locatie {uuid.uuid4().hex[:6]}",
        "city": "Haarlem",
        "postcode": "2011 AB",
        "region_code": "ZK-KENNEMERLAND",
        "lat": HAARLEM[0],
        "lon": HAARLEM[1],
        "place_types": ["ELV_HOOG", "GRZ"],
        "features": [],
        "admission_hours": "24/7",
        **fields,
    }
    response = await client.post("/api/v1/facilities", json=body, headers=auth("admin"))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def report_body(
    staffed: int = 10,
    occupied: int = 5,
    available: int = 3,
    *,
    age: timedelta = timedelta(minutes=1),
    **extra: Any,
) -> dict[str, Any]:
    observed = (datetime.now(UTC) - age).isoformat()
    return {
        "staffed": staffed,
        "occupied": occupied,
        "available": available,
        "observed_at": observed,
        **extra,
    }


async def report(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    facility: dict[str, Any],
    place_type: str = "ELV_HOOG",
    **body: Any,
) -> dict[str, Any]:
    """Report capacity as the facility's own provider; asserts it was accepted."""
    response = await client.put(
        f"/api/v1/facilities/{facility['id']}/capacity/{place_type}",
        json=report_body(**body),
        headers=auth("provider", org=facility["organisation_id"]),
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def place_with_free(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    free: int,
    place_type: str = "ELV_HOOG",
    **facility_fields: Any,
) -> dict[str, Any]:
    """A new organisation and facility with `free` places of `place_type`."""
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, organisation["id"], place_types=[place_type], **facility_fields
    )
    await report(client, auth, facility, place_type, staffed=free + 5, occupied=5, available=free)
    return facility
