"""Everyone can phone whom they need: a match shows how to reach the location, a
reservation shows the provider who reserved it and their number, and a placed referral
tells the GP where the patient goes, whom to ring and what to do next."""

from __future__ import annotations

from typing import Any

import httpx

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report
from tests.triage.helpers import Actors, claim, reserve, submit

CONTACT = {
    "street": "Herenweg",
    "house_number": "12a",
    "postcode": "2101 AB",
    "city": "Heemstede",
    "phone": "023 531 2000",
    "contact_note": "na 22:00 via de avonddienst",
}


async def the_place(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    provider = await create_organisation(client, auth, name="Zorgbalans", phone="023 512 3456")
    facility = await create_facility(
        client, auth, provider["id"], name="Hof van Leyden", place_types=["ELV_HOOG"], **CONTACT
    )
    await report(client, auth, facility, "ELV_HOOG", staffed=6, occupied=3, available=3)
    return facility


async def people_with_phones(client: httpx.AsyncClient, auth: TokenFactory) -> Actors:
    practice = await create_organisation(
        client, auth, kind="gp", name="Praktijk Schalkwijk", phone="023 533 4455",
        lat=52.3566, lon=4.6556, city="Haarlem",
    )  # fmt: skip
    rap = await create_organisation(client, auth, kind="rap", name="RAP Kennemerland",
                                    phone="088 123 4567")  # fmt: skip
    people = Actors(auth, practice["id"])
    people.triagist = auth("triagist", regions=["ZK-KENNEMERLAND"], org=rap["id"],
                           sub=people.triagist_sub)  # fmt: skip
    return people


def location(facility: dict[str, Any]) -> dict[str, Any]:
    return {key: facility[key] for key in ("street", "house_number", "postcode", "phone")}


async def test_matches_and_search_show_how_to_reach_the_location(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await people_with_phones(client, auth)
        facility = await the_place(client, auth)
        assert facility["phone"] == "+31235312000"
        found = await client.get(
            "/api/v1/availability", params={"place_type": "ELV_HOOG"}, headers=people.referrer
        )
        (item,) = found.json()["items"]
        assert location(item["facility"]) == {
            "street": "Herenweg",
            "house_number": "12a",
            "postcode": "2101 AB",
            "phone": "+31235312000",
        }
        assert item["facility"]["contact_note"] == "na 22:00 via de avonddienst"

        ref = await submit(client, people.referrer)
        matches = await client.get(
            f"/api/v1/referrals/{ref['id']}/matches", headers=people.referrer
        )
        (match,) = matches.json()["items"]
        assert match["facility"] == item["facility"]


async def test_the_provider_sees_who_reserved_and_their_number(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await people_with_phones(client, auth)
        facility = await the_place(client, auth)
        provider = people.provider_of(facility)

        by_triagist = await submit(client, people.referrer)
        await claim(client, by_triagist["id"], people.triagist)
        assert (
            await reserve(client, by_triagist["id"], facility["id"], people.triagist)
        ).status_code == 201
        direct = await submit(client, people.referrer)
        assert (
            await reserve(client, direct["id"], facility["id"], people.referrer)
        ).status_code == 201

        waiting = await client.get(
            "/api/v1/reservations", params={"status": "held"}, headers=provider
        )
        reserved_by = {r["referral_id"]: r["reserved_by"] for r in waiting.json()["items"]}
        assert reserved_by[by_triagist["id"]]["name"] == "RAP Kennemerland"
        assert reserved_by[by_triagist["id"]]["phone"] == "+31881234567"
        assert reserved_by[direct["id"]]["name"] == "Praktijk Schalkwijk"
        assert reserved_by[direct["id"]]["phone"] == "+31235334455"
        assert reserved_by[direct["id"]]["id"] == people.referrer_org

        # The triagist, during the hold, can ring the location.
        mine = (
            await client.get(f"/api/v1/referrals/{by_triagist['id']}", headers=people.triagist)
        ).json()
        assert mine["reservation"]["facility_contact"]["phone"] == "+31235312000"
        assert mine["reservation"]["next_steps"] == (
            "De plaats bij Hof van Leyden is gereserveerd; de zorgaanbieder beslist nog. "
            "Bij haast: bel de opname op 023 531 2000 (na 22:00 via de avonddienst)."
        )


async def test_a_placed_referral_tells_the_gp_where_and_whom_to_ring(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await people_with_phones(client, auth)
        facility = await the_place(client, auth)
        ref = await submit(client, people.referrer)
        held = (await reserve(client, ref["id"], facility["id"], people.referrer)).json()
        assert held["facility_contact"]["city"] == "Heemstede"
        accepted = await client.post(
            f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(facility)
        )
        assert accepted.status_code == 200, accepted.text

        placed = (
            await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.referrer)
        ).json()
        assert placed["status"] == "placed"
        reservation = placed["reservation"]
        assert reservation["facility_contact"] == {**CONTACT, "phone": "+31235312000"}
        assert reservation["next_steps"] == (
            "Hof van Leyden neemt de cliënt op: bel de opname op 023 531 2000 (na 22:00 via "
            "de avonddienst) om de overplaatsing en het vervoer af te spreken, en geef de "
            "overdracht mee. Adres: Herenweg 12a, 2101 AB Heemstede."
        )


async def test_without_contacts_nothing_is_made_up(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        practice = await create_organisation(client, auth, kind="gp")
        people = Actors(auth, practice["id"])
        provider = await create_organisation(client, auth)
        facility = await create_facility(client, auth, provider["id"], name="Zonder nummer")
        await report(client, auth, facility, "ELV_HOOG")
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)  # a token without an organisation
        held = (await reserve(client, ref["id"], facility["id"], people.triagist)).json()
        assert held["reserved_by"] is None
        assert held["facility_contact"]["phone"] is None
        referral = (
            await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.referrer)
        ).json()
        assert referral["reservation"]["next_steps"] == (
            "De plaats bij Zonder nummer is gereserveerd; de zorgaanbieder beslist nog. "
            "Bij haast: neem contact op met Zonder nummer."
        )
