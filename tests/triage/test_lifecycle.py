"""The whole life cycle over real HTTP: submit, claim, match, reserve, accept, hand over —
with the timeline, the outbox events and the capacity counts checked at each step. One
scenario, told step by step; each step checks what it changed."""

from __future__ import annotations

from typing import Any

import httpx

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import (
    Actors,
    actors,
    claim,
    free_places,
    outbox,
    reserve,
    submit,
    timeline,
)


async def test_whole_life_cycle(live_url: str, auth: TokenFactory, database_url: str) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 2)
        rid = await submitted_and_claimed(client, people)
        await the_free_place_is_matched(client, people, rid, facility)
        reservation = await a_place_is_held(client, auth, people, rid, facility)
        await the_provider_sees_it_and_accepts(client, auth, people, reservation, facility)
        await the_patient_is_handed_over(client, people, rid)
        await the_timeline_tells_every_step(client, people, rid)
    await every_step_was_published(database_url, rid)


async def submitted_and_claimed(client: httpx.AsyncClient, people: Actors) -> str:
    referral = await submit(client, people.referrer)
    assert referral["status"] == "submitted"
    await claim(client, referral["id"], people.triagist)
    rid: str = referral["id"]
    return rid


async def the_free_place_is_matched(
    client: httpx.AsyncClient, people: Actors, rid: str, facility: dict[str, Any]
) -> None:
    matches = await client.get(f"/api/v1/referrals/{rid}/matches", headers=people.triagist)
    assert matches.status_code == 200, matches.text
    assert [m["facility"]["id"] for m in matches.json()["items"]] == [facility["id"]]


async def a_place_is_held(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    people: Actors,
    rid: str,
    facility: dict[str, Any],
) -> dict[str, Any]:
    held = await reserve(client, rid, facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    reservation: dict[str, Any] = held.json()
    assert reservation["status"] == "held"
    assert reservation["referral_status"] == "reserved"
    assert await free_places(client, auth, facility, "ELV_HOOG") == 1
    return reservation


async def the_provider_sees_it_and_accepts(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    people: Actors,
    reservation: dict[str, Any],
    facility: dict[str, Any],
) -> None:
    provider = people.provider_of(facility)
    seen = await client.get(f"/api/v1/referrals/{reservation['referral_id']}", headers=provider)
    assert seen.status_code == 200, seen.text
    accepted = await client.post(
        f"/api/v1/reservations/{reservation['id']}/accept", headers=provider
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["referral_status"] == "placed"
    # The held place is now occupied: still one free.
    assert await free_places(client, auth, facility, "ELV_HOOG") == 1


async def the_patient_is_handed_over(client: httpx.AsyncClient, people: Actors, rid: str) -> None:
    done = await client.post(f"/api/v1/referrals/{rid}/handover", headers=people.triagist)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "handed_over"


async def the_timeline_tells_every_step(
    client: httpx.AsyncClient, people: Actors, rid: str
) -> None:
    steps = [
        (e["from_status"], e["to_status"]) for e in await timeline(client, rid, people.referrer)
    ]
    assert steps == [
        (None, "submitted"),
        ("submitted", "in_triage"),
        ("in_triage", "searching"),
        ("searching", "reserved"),
        ("reserved", "placed"),
        ("placed", "handed_over"),
    ]


async def every_step_was_published(database_url: str, rid: str) -> None:
    events = await outbox(database_url, rid)
    assert [e["type"] for e in events] == [
        "referral.created",
        "referral.status_changed",
        "referral.status_changed",
        "referral.status_changed",
        "reservation.held",
        "referral.status_changed",
        "reservation.accepted",
        "referral.status_changed",
    ]
