"""Facility identifiers: the codes other systems know a location by, unique per (system,
value) across Zorgplek, set on create and update and shown on the facility."""

from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation

AGB = "http://fhir.nl/fhir/NamingSystem/agb-z"
URA = "http://fhir.nl/fhir/NamingSystem/ura"
OWN = "https://ecd.zorgbalans.example/locaties"


async def test_identifiers_are_stored_and_shown(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    created = await create_facility(
        client,
        auth,
        organisation["id"],
        identifiers=[{"system": OWN, "value": " hof-van-leyden "}, {"system": AGB, "value": "1"}],
    )
    expected = [{"system": AGB, "value": "1"}, {"system": OWN, "value": "hof-van-leyden"}]
    assert created["identifiers"] == expected
    fetched = await client.get(f"/api/v1/facilities/{created['id']}", headers=auth("referrer"))
    assert fetched.json()["identifiers"] == expected
    listed = await client.get("/api/v1/facilities", headers=auth("viewer"))
    assert listed.json()["items"][0]["identifiers"] == expected
    plain = await create_facility(client, auth, organisation["id"])
    assert plain["identifiers"] == []


async def test_the_same_pair_twice_is_409_on_create_and_update(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    mine = await create_organisation(client, auth)
    other = await create_organisation(client, auth)
    first = await create_facility(
        client, auth, mine["id"], identifiers=[{"system": URA, "value": "1"}]
    )
    body = {
        "organisation_id": other["id"],
        "name": "Tweede",
        "city": "Leiden",
        "postcode": "2311",
        "region_code": "ZK-ZUID-HOLLAND-NOORD",
        "lat": 52.16,
        "lon": 4.49,
        "place_types": ["GRZ"],
        "identifiers": [{"system": AGB, "value": "2"}, {"system": URA, "value": "1"}],
    }
    taken = await client.post("/api/v1/facilities", json=body, headers=auth("admin"))
    assert taken.status_code == 409, taken.text
    assert taken.headers["content-type"] == "application/problem+json"
    assert taken.json()["errors"] == [
        {"loc": ["body", "identifiers", "1"], "msg": "already in use by another facility"}
    ]
    # the same value in another system is another identifier
    body["identifiers"] = [{"system": AGB, "value": "1"}]
    second = await client.post("/api/v1/facilities", json=body, headers=auth("admin"))
    assert second.status_code == 201, second.text
    stolen = await client.patch(
        f"/api/v1/facilities/{second.json()['id']}",
        json={"identifiers": [{"system": URA, "value": "1"}]},
        headers=auth("provider", org=other["id"]),
    )
    assert stolen.status_code == 409
    assert stolen.json()["errors"][0]["loc"] == ["body", "identifiers", "0"]
    # nothing changed on either side
    again = await client.get(f"/api/v1/facilities/{second.json()['id']}", headers=auth("admin"))
    assert again.json()["identifiers"] == [{"system": AGB, "value": "1"}]
    owner = await client.get(f"/api/v1/facilities/{first['id']}", headers=auth("admin"))
    assert owner.json()["identifiers"] == [{"system": URA, "value": "1"}]


async def test_update_replaces_the_list(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, organisation["id"], identifiers=[{"system": AGB, "value": "10"}]
    )
    url = f"/api/v1/facilities/{facility['id']}"
    provider = auth("provider", org=organisation["id"])
    keep_and_add = [{"system": AGB, "value": "10"}, {"system": OWN, "value": "L-10"}]
    response = await client.patch(url, json={"identifiers": keep_and_add}, headers=provider)
    assert response.status_code == 200, response.text
    assert response.json()["identifiers"] == keep_and_add
    assert response.json()["name"] == facility["name"]
    nothing = await client.patch(url, json={}, headers=provider)
    assert nothing.json()["identifiers"] == keep_and_add
    cleared = await client.patch(url, json={"identifiers": []}, headers=provider)
    assert cleared.json()["identifiers"] == []
    # a freed pair may name another facility
    other = await create_facility(
        client, auth, organisation["id"], identifiers=[{"system": AGB, "value": "10"}]
    )
    assert other["identifiers"] == [{"system": AGB, "value": "10"}]


async def test_unknown_facility_is_404(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    response = await client.patch(
        "/api/v1/facilities/0b8f9d4e-7a43-4f4e-9a5c-2d2b8c3f6e11",
        json={"identifiers": []},
        headers=auth("admin"),
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("identifiers", "loc"),
    [
        ([{"system": "", "value": "1"}], ["body", "identifiers", 0, "system"]),
        ([{"system": "not a uri", "value": "1"}], ["body", "identifiers", 0, "system"]),
        ([{"system": AGB, "value": ""}], ["body", "identifiers", 0, "value"]),
        ([{"system": AGB, "value": "x" * 256}], ["body", "identifiers", 0, "value"]),
        ([{"system": AGB}], ["body", "identifiers", 0, "value"]),
        ([{"system": AGB, "value": "1", "use": "official"}], ["body", "identifiers", 0, "use"]),
        ([{"system": AGB, "value": "1"}, {"system": AGB, "value": "1"}], ["body", "identifiers"]),
        ([{"system": AGB, "value": str(n)} for n in range(21)], ["body", "identifiers"]),
        ("AGB 1", ["body", "identifiers"]),
    ],
)
async def test_bad_identifiers_are_422(
    client: httpx.AsyncClient, auth: TokenFactory, identifiers: Any, loc: list[Any]
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    response = await client.patch(
        f"/api/v1/facilities/{facility['id']}",
        json={"identifiers": identifiers},
        headers=auth("admin"),
    )
    assert response.status_code == 422, response.text
    assert [str(p) for p in loc] in [e["loc"] for e in response.json()["errors"]]
