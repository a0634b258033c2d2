"""Organisations, facilities and API keys."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.db import async_url
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report_body


async def test_organisation_roundtrip(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    created = await create_organisation(
        client,
        auth,
        name="  Zorgbalans ",
        kind="vvt",
        agb_code="12345678",
        city="Haarlem",
        lat=52.38,
        lon=4.64,
    )
    assert created["name"] == "Zorgbalans"
    fetched = await client.get(f"/api/v1/organisations/{created['id']}", headers=auth("viewer"))
    assert fetched.json() == created
    listed = await client.get(
        "/api/v1/organisations", params={"kind": "vvt"}, headers=auth("referrer")
    )
    assert [o["id"] for o in listed.json()["items"]] == [created["id"]]
    missing = await client.get(f"/api/v1/organisations/{uuid.uuid4()}", headers=auth("admin"))
    assert missing.status_code == 404
    malformed = await client.get("/api/v1/organisations/not-a-uuid", headers=auth("admin"))
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["loc"] == ["path", "organisation_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "kind": "vvt"}, "name"),
        ({"name": "X", "kind": "hotel"}, "kind"),
        ({"name": "X", "kind": "vvt", "agb_code": "123"}, "agb_code"),
        ({"name": "X", "kind": "vvt", "lat": 40.0}, "lat"),
        ({"name": "X"}, "kind"),
    ],
)
async def test_bad_organisation_is_422(
    client: httpx.AsyncClient, auth: TokenFactory, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/organisations", json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert ["body", field] in [e["loc"] for e in response.json()["errors"]]


async def test_idempotent_creation(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    headers = {**auth("admin", sub="beheer"), "Idempotency-Key": "org-2026-11-22-001"}
    body = {"name": "Kennemerhart", "kind": "vvt"}
    first = await client.post("/api/v1/organisations", json=body, headers=headers)
    again = await client.post("/api/v1/organisations", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    listed = await client.get("/api/v1/organisations", headers=auth("admin"))
    assert len(listed.json()["items"]) == 1
    changed = await client.post(
        "/api/v1/organisations", json={**body, "kind": "ggz"}, headers=headers
    )
    assert changed.status_code == 422
    other_caller = await client.post(
        "/api/v1/organisations",
        json=body,
        headers={**auth("admin", sub="andere-beheerder"), "Idempotency-Key": "org-2026-11-22-001"},
    )
    assert other_caller.json()["id"] != first.json()["id"]
    too_long = await client.post(
        "/api/v1/organisations", json=body, headers={**headers, "Idempotency-Key": "k" * 256}
    )
    assert too_long.status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"postcode": "0123 AB"}, "postcode"),
        ({"postcode": "2011ABC"}, "postcode"),
        ({"region_code": "ZK-ATLANTIS"}, "region_code"),
        ({"place_types": []}, "place_types"),
        ({"place_types": ["HOTEL"]}, "place_types"),
        ({"features": ["jacuzzi"]}, "features"),
        ({"admission_hours": "nights"}, "admission_hours"),
        ({"lat": 4.64, "lon": 52.38}, "lat"),
    ],
)
async def test_bad_facility_is_422(
    client: httpx.AsyncClient, auth: TokenFactory, change: dict[str, Any], field: str
) -> None:
    organisation = await create_organisation(client, auth)
    body = {
        "organisation_id": organisation["id"],
        "name": "Locatie",
        "city": "Haarlem",
        "postcode": "2011 AB",
        "region_code": "ZK-KENNEMERLAND",
        "lat": 52.38,
        "lon": 4.64,
        "place_types": ["GRZ"],
        **change,
    }
    response = await client.post("/api/v1/facilities", json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert ["body", field] in [e["loc"] for e in response.json()["errors"]]


async def test_facility_for_unknown_organisation_is_422(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    body = {
        "organisation_id": str(uuid.uuid4()),
        "name": "Locatie",
        "city": "Haarlem",
        "postcode": "2011",
        "region_code": "ZK-KENNEMERLAND",
        "lat": 52.38,
        "lon": 4.64,
        "place_types": ["GRZ"],
    }
    response = await client.post("/api/v1/facilities", json=body, headers=auth("admin"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "organisation_id"]


async def test_facility_list_filters(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    zorg = await create_organisation(client, auth)
    other = await create_organisation(client, auth)
    a = await create_facility(client, auth, zorg["id"], name="A", postcode="2011ab")
    await create_facility(
        client,
        auth,
        other["id"],
        name="B",
        region_code="ZK-ZUID-HOLLAND-NOORD",
        place_types=["GGZ_CRISIS"],
    )
    assert a["postcode"] == "2011 AB"
    headers = auth("referrer")
    by_org = await client.get(
        "/api/v1/facilities", params={"organisation_id": zorg["id"]}, headers=headers
    )
    assert [f["name"] for f in by_org.json()["items"]] == ["A"]
    by_roaz = await client.get(
        "/api/v1/facilities", params={"region_code": "ROAZ-WEST"}, headers=headers
    )
    assert [f["name"] for f in by_roaz.json()["items"]] == ["B"]
    by_type = await client.get(
        "/api/v1/facilities", params={"place_type": "GGZ_CRISIS"}, headers=headers
    )
    assert [f["name"] for f in by_type.json()["items"]] == ["B"]


async def test_api_key_reports_capacity_within_its_scope(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    created = await client.post(
        f"/api/v1/organisations/{organisation['id']}/api-keys",
        json={"scopes": ["capacity:write"], "label": "ECD-koppeling"},
        headers=auth("provider", org=organisation["id"]),
    )
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("zpk_")
    assert created.json()["key_prefix"] == key[:12]

    url = f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG"
    as_key = {"Authorization": f"Bearer {key}"}
    assert (await client.put(url, json=report_body(), headers=as_key)).status_code == 200

    # only the hash is stored
    engine = create_async_engine(async_url(database_url))
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT key_hash FROM capacity.api_keys"))).scalar()
    await engine.dispose()
    assert stored is not None
    assert key not in stored
    assert len(stored) == 64

    listed = await client.get(
        f"/api/v1/organisations/{organisation['id']}/api-keys", headers=auth("admin")
    )
    assert "key" not in listed.json()["items"][0]

    # a key may not create keys or facilities without the scope
    assert (
        await client.post(
            f"/api/v1/organisations/{organisation['id']}/api-keys",
            json={"scopes": ["capacity:write"], "label": "x"},
            headers=as_key,
        )
    ).status_code == 403
    facility_body = {
        "organisation_id": organisation["id"],
        "name": "Nieuw",
        "city": "Haarlem",
        "postcode": "2011",
        "region_code": "ZK-KENNEMERLAND",
        "lat": 52.38,
        "lon": 4.64,
        "place_types": ["GRZ"],
    }
    assert (
        await client.post("/api/v1/facilities", json=facility_body, headers=as_key)
    ).status_code == 403

    # another organisation's facility is invisible to the key
    other = await create_facility(client, auth, (await create_organisation(client, auth))["id"])
    foreign = f"/api/v1/facilities/{other['id']}/capacity/ELV_HOOG"
    assert (await client.put(foreign, json=report_body(), headers=as_key)).status_code == 404

    revoked = await client.delete(
        f"/api/v1/organisations/{organisation['id']}/api-keys/{created.json()['id']}",
        headers=auth("admin"),
    )
    assert revoked.json()["revoked_at"] is not None
    refused = await client.put(url, json=report_body(), headers=as_key)
    assert refused.status_code == 401


async def test_unknown_key_and_bad_scope(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.get("/api/v1/regions", headers={"Authorization": "Bearer zpk_unknown"})
    assert response.status_code == 401
    organisation = await create_organisation(client, auth)
    bad = await client.post(
        f"/api/v1/organisations/{organisation['id']}/api-keys",
        json={"scopes": ["everything"], "label": "x"},
        headers=auth("admin"),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][:2] == ["body", "scopes"]


async def test_regions_reference(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.get("/api/v1/regions", headers=auth("viewer"))
    regions = {r["code"]: r for r in response.json()["items"]}
    assert regions["ZK-KENNEMERLAND"] == {
        "code": "ZK-KENNEMERLAND",
        "name": "Kennemerland",
        "kind": "zorgkantoor",
        "parent_codes": ["ROAZ-NHF"],
    }
    assert regions["ROAZ-WEST"]["kind"] == "roaz"
    assert len(regions) == 50
    types = (await client.get("/api/v1/place-types", headers=auth("viewer"))).json()["items"]
    assert {t["code"] for t in types if t["direct_booking"]} == {
        "ELV_LAAG",
        "ELV_HOOG",
        "ELV_PALLIATIEF",
    }


async def test_one_idempotency_key_on_two_paths_is_two_requests(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    first = await create_organisation(client, auth)
    second = await create_organisation(client, auth)
    headers = {**auth("admin", sub="beheer"), "Idempotency-Key": "sleutel-1"}
    body = {"scopes": ["capacity:write"], "label": "ECD"}
    one = await client.post(
        f"/api/v1/organisations/{first['id']}/api-keys", json=body, headers=headers
    )
    two = await client.post(
        f"/api/v1/organisations/{second['id']}/api-keys", json=body, headers=headers
    )
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["organisation_id"] == first["id"]
    assert two.json()["organisation_id"] == second["id"]
    assert one.json()["key"] != two.json()["key"]
