"""Matching over HTTP against the real capacity service: scope, escalation, reasons, stale
places, the starting point, and direct booking of ELV places by the referrer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, place_with_free, report
from tests.triage.helpers import actors, claim, outbox, reserve, submit, timeline

AMSTERDAM_CENTRE = {"lat": 52.3730, "lon": 4.8920, "city": "Amsterdam", "postcode": "1012"}
UTRECHT_CENTRE = {"lat": 52.0907, "lon": 5.1214, "city": "Utrecht", "postcode": "3511"}


async def _map(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, dict[str, Any]]:
    return {
        "haarlem": await place_with_free(client, auth, 2, place_type="GRZ"),
        "heemstede": await place_with_free(
            client, auth, 1, place_type="GRZ", lat=52.3530, lon=4.6220, city="Heemstede"
        ),
        "amsterdam": await place_with_free(
            client, auth, 4, place_type="GRZ", region_code="ZK-AMSTERDAM", **AMSTERDAM_CENTRE
        ),
        "utrecht": await place_with_free(
            client, auth, 4, place_type="GRZ", region_code="ZK-UTRECHT", **UTRECHT_CENTRE
        ),
    }


async def test_region_then_supraregional_with_escalation(
    live_url: str, auth: TokenFactory, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        places = await _map(client, auth)
        ref = await submit(
            client,
            people.referrer,
            place_type="GRZ",
            preferred_facility_ids=[places["heemstede"]["id"]],
        )
        rid = ref["id"]
        await claim(client, rid, people.triagist)

        regional = await client.get(f"/api/v1/referrals/{rid}/matches", headers=people.triagist)
        assert regional.status_code == 200, regional.text
        body = regional.json()
        assert body["scope"] == "region"
        assert body["origin"] == {"lat": 52.381, "lon": 4.637}
        ids = [m["facility"]["id"] for m in body["items"]]
        assert ids == [places["heemstede"]["id"], places["haarlem"]["id"]]
        first = body["items"][0]
        assert first["reasons"][1] == "eigen regio"
        assert "voorkeur cliënt" in first["reasons"]
        assert first["reasons"][0].endswith(" km")
        assert "," in first["reasons"][0]
        assert first["components"]["preference"] == 15.0
        assert first["facility"]["organisation_name"]
        assert first["stale"] is False
        assert await _escalations(client, rid, people.triagist) == 0

        wider = await client.get(
            f"/api/v1/referrals/{rid}/matches",
            params={"scope": "supraregional"},
            headers=people.triagist,
        )
        assert wider.status_code == 200, wider.text
        ids = [m["facility"]["id"] for m in wider.json()["items"]]
        assert ids == [
            places["heemstede"]["id"],
            places["haarlem"]["id"],
            places["amsterdam"]["id"],
            places["utrecht"]["id"],
        ]
        # Searching changes nothing; escalating is a POST, recorded once.
        assert await _escalations(client, rid, people.triagist) == 0
        before = (await client.get(f"/api/v1/referrals/{rid}", headers=people.referrer)).json()
        assert before["escalated_at"] is None
        for _ in range(2):
            escalated = await client.post(
                f"/api/v1/referrals/{rid}/escalate", headers=people.triagist
            )
            assert escalated.status_code == 200, escalated.text
        assert escalated.json()["escalated_at"] is not None
        assert await _escalations(client, rid, people.triagist) == 1
        state = (await client.get(f"/api/v1/referrals/{rid}", headers=people.referrer)).json()
        assert state["escalated_at"] is not None
        assert state["status"] == "in_triage"
        for outsider in (people.referrer, auth("triagist", regions=["ZK-UTRECHT"])):
            refused = await client.post(f"/api/v1/referrals/{rid}/escalate", headers=outsider)
            assert refused.status_code in (403, 404), refused.text

        bad = await client.get(
            f"/api/v1/referrals/{rid}/matches", params={"scope": "world"}, headers=people.triagist
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["query", "scope"]
    # Escalation is a timeline mark, not a status change: no event goes out for it.
    assert [e["type"] for e in await outbox(database_url, rid)] == [
        "referral.created",
        "referral.status_changed",
    ]


async def _escalations(client: httpx.AsyncClient, rid: str, headers: dict[str, str]) -> int:
    return sum(1 for e in await timeline(client, rid, headers) if e["action"] == "escalate")


async def test_needs_and_the_referrers_location(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        plain = await place_with_free(client, auth, 3, place_type="GRZ")
        closed_ward = await place_with_free(
            client, auth, 1, place_type="GRZ", features=["dementia", "oxygen"]
        )
        ref = await submit(client, people.referrer, place_type="GRZ", near=None, needs=["dementia"])
        await claim(client, ref["id"], people.triagist)
        matches = await client.get(
            f"/api/v1/referrals/{ref['id']}/matches", headers=people.triagist
        )
        body = matches.json()
        assert [m["facility"]["id"] for m in body["items"]] == [closed_ward["id"]]
        assert body["origin"] == {"lat": 52.3566, "lon": 4.6556}  # the practice
        assert plain["id"] not in str(body)


async def test_stale_places_are_shown_flagged_only_when_nothing_else(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        organisation = await create_organisation(client, auth)
        old = await create_facility(client, auth, organisation["id"], place_types=["GRZ"])
        await report(
            client, auth, old, "GRZ", staffed=6, occupied=3, available=2, age=timedelta(hours=13)
        )
        ref = await submit(client, people.referrer, place_type="GRZ")
        await claim(client, ref["id"], people.triagist)
        only_stale = (
            await client.get(f"/api/v1/referrals/{ref['id']}/matches", headers=people.triagist)
        ).json()
        assert only_stale["stale_fallback"] is True
        (item,) = only_stale["items"]
        assert item["stale"] is True
        assert item["reasons"][2] == "melding verouderd (via koppeling, 13 uur geleden)"

        fresh = await place_with_free(client, auth, 1, place_type="GRZ")
        with_fresh = (
            await client.get(f"/api/v1/referrals/{ref['id']}/matches", headers=people.triagist)
        ).json()
        assert with_fresh["stale_fallback"] is False
        assert [m["facility"]["id"] for m in with_fresh["items"]] == [fresh["id"]]


async def test_direct_booking_of_an_elv_place_by_the_referrer(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1, place_type="ELV_LAAG")
        ref = await submit(client, people.referrer, place_type="ELV_LAAG")
        rid = ref["id"]
        assert ref["direct_booking"] is True
        matches = await client.get(f"/api/v1/referrals/{rid}/matches", headers=people.referrer)
        assert matches.status_code == 200, matches.text
        assert [m["facility"]["id"] for m in matches.json()["items"]] == [facility["id"]]

        booked = await reserve(client, rid, facility["id"], people.referrer)
        assert booked.status_code == 201, booked.text
        assert booked.json()["referral_status"] == "reserved"
        # Direct booking is an extra path, not a bypass: the triagists still see it.
        queue = (await client.get("/api/v1/queue", headers=people.triagist)).json()["items"]
        assert [(q["id"], q["status"]) for q in queue] == [(rid, "reserved")]

        accepted = await client.post(
            f"/api/v1/reservations/{booked.json()['id']}/accept",
            headers=people.provider_of(facility),
        )
        assert accepted.status_code == 200, accepted.text
        handed = await client.post(f"/api/v1/referrals/{rid}/handover", headers=people.referrer)
        assert handed.status_code == 200, handed.text
        steps = [
            (e["from_status"], e["to_status"]) for e in await timeline(client, rid, people.referrer)
        ]
        assert steps == [
            (None, "submitted"),
            ("submitted", "reserved"),
            ("reserved", "placed"),
            ("placed", "handed_over"),
        ]


@pytest.mark.parametrize("place_type", ["WLZ_CRISIS", "GGZ_CRISIS", "GRZ"])
async def test_other_place_types_only_through_a_triagist(
    live_url: str, auth: TokenFactory, place_type: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1, place_type=place_type)
        ref = await submit(client, people.referrer, place_type=place_type)
        assert ref["direct_booking"] is False
        matches = await client.get(
            f"/api/v1/referrals/{ref['id']}/matches", headers=people.referrer
        )
        assert matches.status_code == 403
        booked = await reserve(client, ref["id"], facility["id"], people.referrer)
        assert booked.status_code == 403
        unclaimed = await reserve(client, ref["id"], facility["id"], people.triagist)
        assert unclaimed.status_code == 409
        assert unclaimed.json()["referral_status"] == "submitted"
        await claim(client, ref["id"], people.triagist)
        held = await reserve(client, ref["id"], facility["id"], people.triagist)
        assert held.status_code == 201, held.text
