"""The care rules in every caller of triage, over HTTP with the clock moved: matching leaves
out what the rules refuse (listed, marked, under `include_ineligible`), a reservation there
is 409 saying from when the location admits — for a triagist and for a GP's direct booking
alike — and every match shows the location's features."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from shared.care_rules import AMSTERDAM
from shared.http import client as http_client
from tests.conftest import Clock, TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import actors, claim, free_places, reserve, submit

SATURDAY_NIGHT = datetime(2026, 12, 5, 2, 11, tzinfo=AMSTERDAM)
THURSDAY_MORNING = datetime(2026, 12, 3, 10, 0, tzinfo=AMSTERDAM)
OFFICE_REFUSAL = (
    "Deze locatie neemt op vanaf ma 7 dec 08:00; de aanmelding moet uiterlijk 04:11 geplaatst zijn."
)
MEN_ONLY_REFUSAL = "Deze locatie neemt alleen mannen (mannenkamer) op; de cliënt is een vrouw."


async def matches(
    client: httpx.AsyncClient, referral_id: str, headers: dict[str, str], **params: Any
) -> dict[str, Any]:
    response = await client.get(
        f"/api/v1/referrals/{referral_id}/matches", params=params, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["facility"]["name"]: m for m in body["items"]}


async def test_an_acute_referral_at_night_skips_office_hours_locations(
    live_url: str, auth: TokenFactory, clock: Clock
) -> None:
    clock(SATURDAY_NIGHT)
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        office = await place_with_free(client, auth, 1, name="Kantoor", admission_hours="office")
        await place_with_free(client, auth, 1, name="Dag en nacht")
        ref = await submit(client, people.referrer, urgency="acute")
        assert datetime.fromisoformat(ref["due_at"]) == SATURDAY_NIGHT + timedelta(hours=2)
        await claim(client, ref["id"], people.triagist)

        body = await matches(client, ref["id"], people.triagist)
        assert list(by_name(body)) == ["Dag en nacht"]
        assert body["excluded"]["admission_hours"] == 1
        assert by_name(body)["Dag en nacht"]["eligible"] is True

        flagged = by_name(
            await matches(client, ref["id"], people.triagist, include_ineligible="true")
        )
        assert list(flagged) == ["Dag en nacht", "Kantoor"]  # the refused ones last
        assert flagged["Kantoor"]["eligible"] is False
        assert flagged["Kantoor"]["refusals"] == [OFFICE_REFUSAL]
        assert datetime.fromisoformat(flagged["Kantoor"]["admits_from"]) == datetime(
            2026, 12, 7, 8, 0, tzinfo=AMSTERDAM
        )

        refused = await reserve(client, ref["id"], office["id"], people.triagist)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["detail"] == OFFICE_REFUSAL
        assert await free_places(client, auth, office, "ELV_HOOG") == 1
        current = await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.triagist)
        assert current.json()["status"] == "in_triage"


async def test_a_gp_cannot_book_an_office_hours_location_at_night_directly(
    live_url: str, auth: TokenFactory, clock: Clock
) -> None:
    clock(SATURDAY_NIGHT)
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        office = await place_with_free(client, auth, 1, name="Kantoor", admission_hours="office")
        ref = await submit(client, people.referrer, urgency="acute")
        assert by_name(await matches(client, ref["id"], people.referrer)) == {}
        refused = await reserve(client, ref["id"], office["id"], people.referrer)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == OFFICE_REFUSAL
        assert await free_places(client, auth, office, "ELV_HOOG") == 1


async def test_office_hours_locations_are_matched_when_they_admit_in_time(
    live_url: str, auth: TokenFactory, clock: Clock
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        office = await place_with_free(client, auth, 1, name="Kantoor", admission_hours="office")
        clock(THURSDAY_MORNING)
        acute = await submit(client, people.referrer, urgency="acute")
        now = by_name(await matches(client, acute["id"], people.referrer))
        assert now["Kantoor"]["admits_from"] is None
        assert "opname alleen tijdens kantoortijden" in now["Kantoor"]["reasons"]

        clock(SATURDAY_NIGHT)
        soon = await submit(client, people.referrer, urgency="planned", planned_date="2026-12-08")
        later = by_name(await matches(client, soon["id"], people.referrer))
        assert later["Kantoor"]["eligible"] is True
        assert "opname vanaf ma 7 dec 08:00" in later["Kantoor"]["reasons"]
        held = await reserve(client, soon["id"], office["id"], people.referrer)
        assert held.status_code == 201, held.text


async def test_single_sex_rooms_and_the_features_of_every_match(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        men = await place_with_free(client, auth, 3, name="Mannen", features=["male_only"])
        await place_with_free(client, auth, 1, name="Gemengd", features=["dementia", "pets"])
        woman = await submit(client, people.referrer)
        await claim(client, woman["id"], people.triagist)

        body = await matches(client, woman["id"], people.triagist)
        assert list(by_name(body)) == ["Gemengd"]
        assert by_name(body)["Gemengd"]["facility"]["features"] == ["dementia", "pets"]
        assert body["excluded"]["single_sex"] == 1
        flagged = by_name(
            await matches(client, woman["id"], people.triagist, include_ineligible="true")
        )
        assert flagged["Mannen"]["refusals"] == [MEN_ONLY_REFUSAL]
        assert flagged["Mannen"]["facility"]["features"] == ["male_only"]
        refused = await reserve(client, woman["id"], men["id"], people.triagist)
        assert refused.status_code == 409, refused.text
        assert refused.json()["detail"] == MEN_ONLY_REFUSAL

        patient = {"birth_year": 1950, "sex": "unknown", "postcode": "2011"}
        unknown = await submit(client, people.referrer, patient=patient)
        await claim(client, unknown["id"], people.triagist)
        shown = by_name(await matches(client, unknown["id"], people.triagist))
        assert set(shown) == {"Mannen", "Gemengd"}
        assert shown["Mannen"]["warnings"] == [
            "alleen mannen (mannenkamer): overleg eerst met de locatie"
        ]
        assert (
            "alleen mannen (mannenkamer): overleg eerst met de locatie"
            in (shown["Mannen"]["reasons"])
        )
        held = await reserve(client, unknown["id"], men["id"], people.triagist)
        assert held.status_code == 201, held.text

        patient = {"birth_year": 1950, "sex": "male", "postcode": "2011"}
        man = await submit(client, people.referrer, patient=patient)
        await claim(client, man["id"], people.triagist)
        assert set(by_name(await matches(client, man["id"], people.triagist))) == {
            "Mannen",
            "Gemengd",
        }
