"""Every report keeps how it came in (`page`, `api`, `csv`, `fhir`, `confirm`) and who sent
it; a plain report can claim only `api`, or `page` for a person, never what Zorgplek sets
itself."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, place_with_free, report_body
from tests.fhir import saner
from tests.triage.helpers import actors, claim, submit

FHIR = {"Content-Type": "application/fhir+json"}


@pytest.fixture
async def facility(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    return await create_facility(client, auth, organisation["id"])


def provider(auth: TokenFactory, facility: dict[str, Any]) -> dict[str, str]:
    return auth("provider", org=facility["organisation_id"])


async def history(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any], place_type: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity/{place_type}/history",
        headers=auth("triagist"),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def api_key(client: httpx.AsyncClient, auth: TokenFactory, organisation_id: str) -> str:
    created = await client.post(
        f"/api/v1/organisations/{organisation_id}/api-keys",
        json={"scopes": ["capacity:write"], "label": "ECD Zorggroep"},
        headers=auth("admin"),
    )
    assert created.status_code == 201, created.text
    key: str = created.json()["key"]
    return key


async def test_a_report_keeps_its_source_and_who_sent_it(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    url = f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG"
    plain = await client.put(url, json=report_body(), headers=provider(auth, facility))
    assert plain.status_code == 200, plain.text
    assert (plain.json()["source"], plain.json()["reported_by"]) == ("api", "Test provider")
    typed = await client.put(
        url, json=report_body(available=2, source="page"), headers=provider(auth, facility)
    )
    assert typed.json()["source"] == "page"
    current = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity", headers=auth("triagist")
    )
    assert current.json()["items"][0]["source"] == "page"
    kept = await history(client, auth, facility, "ELV_HOOG")
    assert [(h["source"], h["reported_by"]) for h in kept] == [
        ("page", "Test provider"),
        ("api", "Test provider"),
    ]


@pytest.mark.parametrize("claimed", ["confirm", "fhir", "csv", "zelf", 1])
async def test_a_plain_report_cannot_claim_what_zorgplek_sets(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any], claimed: object
) -> None:
    response = await client.put(
        f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG",
        json=report_body(source=claimed),
        headers=provider(auth, facility),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["body", "source"] in [e["loc"] for e in response.json()["errors"]]
    assert await history(client, auth, facility, "ELV_HOOG") == []


async def test_an_api_key_is_a_linked_system_never_the_page(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    key = {"Authorization": f"Bearer {await api_key(client, auth, facility['organisation_id'])}"}
    url = f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG"
    refused = await client.put(url, json=report_body(source="page"), headers=key)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "source"]
    accepted = await client.put(url, json=report_body(), headers=key)
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["source"], accepted.json()["reported_by"]) == ("api", "ECD Zorggroep")


async def test_batches_are_csv_or_api_by_their_media_type(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    body = report_body()
    as_json = await client.post(
        "/api/v1/capacity-reports",
        json={"reports": [{**body, "facility_id": facility["id"], "place_type": "GRZ"}]},
        headers=provider(auth, facility),
    )
    assert as_json.json()["results"][0]["source"] == "api"
    csv = (
        "facility_id,place_type,staffed,occupied,available,observed_at\n"
        f"{facility['id']},ELV_HOOG,10,5,3,{body['observed_at']}\n"
    )
    as_csv = await client.post(
        "/api/v1/capacity-reports",
        content=csv,
        headers={**provider(auth, facility), "Content-Type": "text/csv"},
    )
    assert as_csv.json()["results"][0]["source"] == "csv"
    assert [h["source"] for h in await history(client, auth, facility, "ELV_HOOG")] == ["csv"]
    assert [h["source"] for h in await history(client, auth, facility, "GRZ")] == ["api"]


async def test_fhir_intake_is_fhir(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    body = saner.report(
        {"reference": f"Location/{facility['id']}"},
        [saner.beds_group(10, 6, 4)],
        date=report_body()["observed_at"],
    )
    response = await client.post(
        "/fhir/MeasureReport",
        content=json.dumps(body),
        headers={**provider(auth, facility), **FHIR},
        params={"place_type": "GRZ"},
    )
    assert response.status_code == 200, response.text
    assert [h["source"] for h in await history(client, auth, facility, "GRZ")] == ["fhir"]


async def test_search_and_matches_show_the_source(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    await client.put(
        f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG",
        json=report_body(source="page"),
        headers=provider(auth, facility),
    )
    items = (
        await client.get(
            "/api/v1/availability", params={"place_type": "ELV_HOOG"}, headers=auth("triagist")
        )
    ).json()["items"]
    assert [i["source"] for i in items] == ["page"]


async def test_matches_say_how_the_numbers_came_in(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        organisation = await create_organisation(client, auth)
        typed = await create_facility(client, auth, organisation["id"], place_types=["ELV_HOOG"])
        await client.put(
            f"/api/v1/facilities/{typed['id']}/capacity/ELV_HOOG",
            json=report_body(source="page", age=timedelta(hours=3, minutes=5)),
            headers=provider(auth, typed),
        )
        linked = await place_with_free(client, auth, 2, lat=52.3530, lon=4.6220)
        referral = await submit(client, people.referrer)
        await claim(client, referral["id"], people.triagist)
        response = await client.get(
            f"/api/v1/referrals/{referral['id']}/matches", headers=people.triagist
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        said = {m["facility"]["id"]: (m["source"], m["reasons"][2]) for m in items}
        assert said == {
            typed["id"]: ("page", "handmatig, 3 uur geleden"),
            linked["id"]: ("api", "via koppeling, 1 min geleden"),
        }


async def test_who_sent_it_is_for_the_own_organisation_and_the_rap(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    await client.put(
        f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG",
        json=report_body(source="page"),
        headers=provider(auth, facility),
    )
    readers = {
        "own provider": (provider(auth, facility), "Test provider"),
        "triagist": (auth("triagist", regions=["ZK-KENNEMERLAND"]), "Test provider"),
        "admin": (auth("admin"), "Test provider"),
        "referrer": (auth("referrer", org=(await create_organisation(client, auth))["id"]), None),
    }
    for who, (headers, name) in readers.items():
        current = await client.get(f"/api/v1/facilities/{facility['id']}/capacity", headers=headers)
        past = await client.get(
            f"/api/v1/facilities/{facility['id']}/capacity/ELV_HOOG/history", headers=headers
        )
        seen = [(s["source"], s["reported_by"]) for s in current.json()["items"]]
        seen += [(h["source"], h["reported_by"]) for h in past.json()["items"]]
        assert seen == [("page", name), ("page", name)], who
