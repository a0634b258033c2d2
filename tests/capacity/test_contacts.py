"""Contacts: a location's address, admissions phone and a note on how to reach it, and an
organisation's phone. Optional (existing clients keep working), checked on create and on
change, phones stored in E.164; changed by the organisation's own people or an admin."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from services.capacity import demo
from shared.phone import display, normalise
from shared.settings import Settings
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report

JSON = {"content-type": "application/json"}

CONTACTS = {
    "street": "Binnenweg",
    "house_number": "112a",
    "phone": "023 531 2000",
    "contact_note": "na 22:00 via de avonddienst",
}


async def test_a_facility_keeps_its_contacts(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"], **CONTACTS)
    expected = {**CONTACTS, "phone": "+31235312000"}
    assert {k: facility[k] for k in CONTACTS} == expected
    fetched = await client.get(f"/api/v1/facilities/{facility['id']}", headers=auth("referrer"))
    assert {k: fetched.json()[k] for k in CONTACTS} == expected
    listed = await client.get(
        "/api/v1/facilities", params={"organisation_id": organisation["id"]}, headers=auth("viewer")
    )
    assert {k: listed.json()["items"][0][k] for k in CONTACTS} == expected


async def test_contacts_are_optional(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    """A client that knows nothing of contacts registers a location as before."""
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    assert {k: facility[k] for k in CONTACTS} == dict.fromkeys(CONTACTS)
    blank = await create_facility(
        client, auth, organisation["id"], street=" ", phone="", contact_note=None
    )
    assert {k: blank[k] for k in CONTACTS} == dict.fromkeys(CONTACTS)
    assert organisation["phone"] is None


BAD_CONTACTS = [
    pytest.param("phone", "12345", id="phone-too-short"),
    pytest.param("phone", "06 1234 567", id="phone-mobile-short"),
    pytest.param("phone", "+49 30 1234567", id="phone-german"),
    pytest.param("phone", "0800-ZORG", id="phone-letters"),
    pytest.param("phone", "023 531 2000 x12", id="phone-extension"),
    pytest.param("phone", 235312000, id="phone-a-number"),
    pytest.param("house_number", "abc", id="house-number-letters"),
    pytest.param("house_number", "0", id="house-number-zero"),
    pytest.param("house_number", "12 en een beetje", id="house-number-words"),
    pytest.param("street", "Binnenweg\r\n12", id="street-crlf"),
    pytest.param("street", "Binnen\x00weg", id="street-nul"),
    pytest.param("street", "B" * 101, id="street-long"),
    pytest.param("contact_note", "bel\nde avonddienst", id="note-line-feed"),
    pytest.param("contact_note", "bel\ud800", id="note-lone-surrogate"),
    pytest.param("contact_note", "n" * 201, id="note-long"),
]


def as_json(body: dict[str, Any]) -> bytes:
    """JSON as a hostile client may write it: a lone surrogate escaped as `\ud800`."""
    return json.dumps(body).encode()


@pytest.mark.parametrize(("field", "value"), BAD_CONTACTS)
async def test_bad_contacts_are_refused_on_create(
    client: httpx.AsyncClient, auth: TokenFactory, field: str, value: object
) -> None:
    organisation = await create_organisation(client, auth)
    body = {
        "organisation_id": organisation["id"],
        "name": "Locatie",
        "city": "Haarlem",
        "postcode": "2011",
        "region_code": "ZK-KENNEMERLAND",
        "lat": 52.38,
        "lon": 4.64,
        "place_types": ["GRZ"],
        field: value,
    }
    response = await client.post(
        "/api/v1/facilities", content=as_json(body), headers=JSON | auth("admin")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert ["body", field] in [e["loc"] for e in response.json()["errors"]]


@pytest.mark.parametrize(("field", "value"), BAD_CONTACTS)
async def test_bad_contacts_are_refused_on_change(
    client: httpx.AsyncClient, auth: TokenFactory, field: str, value: object
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"], **CONTACTS)
    response = await client.patch(
        f"/api/v1/facilities/{facility['id']}",
        content=as_json({field: value}),
        headers=JSON | auth("provider", org=organisation["id"]),
    )
    assert response.status_code == 422
    assert ["body", field] in [e["loc"] for e in response.json()["errors"]]
    unchanged = await client.get(f"/api/v1/facilities/{facility['id']}", headers=auth("admin"))
    assert unchanged.json()[field] == facility[field]


async def test_the_provider_changes_only_what_it_sends(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"], **CONTACTS)
    url = f"/api/v1/facilities/{facility['id']}"
    headers = auth("provider", org=organisation["id"])
    changed = await client.patch(url, json={"phone": "+31 6 12345678"}, headers=headers)
    assert changed.status_code == 200
    assert changed.json()["phone"] == "+31612345678"
    assert changed.json()["street"] == "Binnenweg"
    assert changed.json()["contact_note"] == CONTACTS["contact_note"]
    cleared = await client.patch(
        url, json={"contact_note": None, "house_number": ""}, headers=headers
    )
    assert (cleared.json()["contact_note"], cleared.json()["house_number"]) == (None, None)
    assert cleared.json()["phone"] == "+31612345678"
    fetched = await client.get(url, headers=auth("triagist"))
    assert {k: fetched.json()[k] for k in CONTACTS} == {
        "street": "Binnenweg",
        "house_number": None,
        "phone": "+31612345678",
        "contact_note": None,
    }
    assert fetched.json()["name"] == facility["name"]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("provider", 200),
        ("admin", 200),
        ("other-provider", 404),
        ("referrer", 403),
        ("triagist", 403),
        ("viewer", 403),
        ("service", 403),
        ("nobody", 401),
    ],
)
async def test_who_may_change_a_facility(
    client: httpx.AsyncClient, auth: TokenFactory, who: str, status: int
) -> None:
    organisation = await create_organisation(client, auth)
    other = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    special = {
        "provider": auth("provider", org=organisation["id"]),
        "other-provider": auth("provider", org=other["id"]),
        "nobody": {},
    }
    headers = special[who] if who in special else auth(who, org=organisation["id"])
    response = await client.patch(
        f"/api/v1/facilities/{facility['id']}", json={"phone": "023 531 2000"}, headers=headers
    )
    assert response.status_code == status, response.text
    stored = await client.get(f"/api/v1/facilities/{facility['id']}", headers=auth("admin"))
    assert stored.json()["phone"] == ("+31235312000" if status == 200 else None)


async def test_an_api_key_changes_contacts_with_its_scope_only(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(client, auth, organisation["id"])
    keys = {}
    for scope in ("facilities:write", "capacity:write"):
        created = await client.post(
            f"/api/v1/organisations/{organisation['id']}/api-keys",
            json={"scopes": [scope], "label": scope},
            headers=auth("admin"),
        )
        keys[scope] = {"Authorization": f"Bearer {created.json()['key']}"}
    url = f"/api/v1/facilities/{facility['id']}"
    body = {"phone": "0251 262 500"}
    refused = await client.patch(url, json=body, headers=keys["capacity:write"])
    assert refused.status_code == 403
    allowed = await client.patch(url, json=body, headers=keys["facilities:write"])
    assert allowed.status_code == 200
    assert allowed.json()["phone"] == "+31251262500"


async def test_an_organisation_keeps_its_phone(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth, phone="(023) 545 09 00")
    assert organisation["phone"] == "+31235450900"
    fetched = await client.get(
        f"/api/v1/organisations/{organisation['id']}", headers=auth("provider")
    )
    assert fetched.json()["phone"] == "+31235450900"
    bad = await client.post(
        "/api/v1/organisations",
        json={"name": "Praktijk", "kind": "gp", "phone": "0800-DOKTER"},
        headers=auth("admin"),
    )
    assert bad.status_code == 422
    assert ["body", "phone"] in [e["loc"] for e in bad.json()["errors"]]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("referrer", 200),
        ("provider", 200),
        ("triagist", 200),
        ("other-referrer", 404),
        ("viewer", 403),
        ("service", 403),
    ],
)
async def test_who_may_change_an_organisations_phone(
    client: httpx.AsyncClient, auth: TokenFactory, who: str, status: int
) -> None:
    practice = await create_organisation(client, auth, kind="gp")
    other = await create_organisation(client, auth, kind="gp")
    headers = (
        auth("referrer", org=other["id"])
        if who == "other-referrer"
        else auth(who, org=practice["id"], regions=["ZK-KENNEMERLAND"])
    )
    url = f"/api/v1/organisations/{practice['id']}"
    response = await client.patch(url, json={"phone": "023 533 1410"}, headers=headers)
    assert response.status_code == status, response.text
    stored = (await client.get(url, headers=auth("admin"))).json()["phone"]
    assert stored == ("+31235331410" if status == 200 else None)


async def test_an_organisations_phone_is_checked_and_cleared(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    practice = await create_organisation(client, auth, kind="gp", phone="023 533 1410")
    url = f"/api/v1/organisations/{practice['id']}"
    headers = auth("referrer", org=practice["id"])
    bad = await client.patch(url, json={"phone": "+32 2 123 45 67"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["body", "phone"]
    unknown = await client.patch(
        f"/api/v1/organisations/{uuid.uuid4()}", json={"phone": None}, headers=auth("admin")
    )
    assert unknown.status_code == 404
    extra = await client.patch(url, json={"name": "Andere naam"}, headers=headers)
    assert extra.status_code == 422
    cleared = await client.patch(url, json={"phone": None}, headers=headers)
    assert cleared.status_code == 200
    assert cleared.json()["phone"] is None


def location(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item["facility"][k] for k in ("postcode", "city", *CONTACTS)}


async def test_the_demo_has_an_address_and_phone_everywhere(
    app: Any, client: httpx.AsyncClient, auth: TokenFactory, settings: Settings
) -> None:
    async with app.state.database.sessions.begin() as session:
        await demo.load(session, settings)
    facilities = (
        await client.get("/api/v1/facilities", params={"limit": 500}, headers=auth("admin"))
    ).json()["items"]
    organisations = (
        await client.get("/api/v1/organisations", params={"limit": 500}, headers=auth("admin"))
    ).json()["items"]
    assert len(facilities) == len(demo.data()["facilities"])
    assert len(organisations) == len(demo.data()["organisations"])
    for facility in facilities:
        assert facility["street"], facility["name"]
        assert facility["house_number"], facility["name"]
        assert normalise(display(facility["phone"])) == facility["phone"]
    for organisation in organisations:
        assert normalise(display(organisation["phone"])) == organisation["phone"]
    # Loading again (every start of the demo) keeps what a provider changed since.
    changed = facilities[0]
    response = await client.patch(
        f"/api/v1/facilities/{changed['id']}",
        json={"phone": "06 1234 5678"},
        headers=auth("provider", org=changed["organisation_id"]),
    )
    assert response.status_code == 200
    async with app.state.database.sessions.begin() as session:
        await demo.load(session, settings)
    again = await client.get(f"/api/v1/facilities/{changed['id']}", headers=auth("admin"))
    assert again.json()["phone"] == "+31612345678"


async def test_availability_items_carry_the_address_and_contacts(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, organisation["id"], postcode="2103 VJ", city="Heemstede", **CONTACTS
    )
    bare = await create_facility(client, auth, organisation["id"])
    for place in (facility, bare):
        await report(client, auth, place, "ELV_HOOG")
    response = await client.get(
        "/api/v1/availability", params={"place_type": "ELV_HOOG"}, headers=auth("referrer")
    )
    items = {i["facility"]["id"]: i for i in response.json()["items"]}
    assert location(items[facility["id"]]) == {
        "postcode": "2103 VJ",
        "city": "Heemstede",
        **CONTACTS,
        "phone": "+31235312000",
    }
    assert location(items[bare["id"]]) == {
        "postcode": "2011 AB",
        "city": "Haarlem",
        **dict.fromkeys(CONTACTS),
    }
