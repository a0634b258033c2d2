"""The whole life cycle over real HTTP: submit, claim, match, reserve, accept, hand over —
with the timeline, the outbox events and the capacity counts checked at each step."""

from __future__ import annotations

import httpx

from tests.conftest import TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import (
    actors,
    claim,
    free_places,
    outbox,
    reserve,
    submit,
    timeline,
)


async def test_whole_life_cycle(live_url: str, auth: TokenFactory, database_url: str) -> None:
    async with httpx.AsyncClient(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 2)
        referral = await submit(client, people.referrer)
        rid = referral["id"]
        assert referral["status"] == "submitted"
        await claim(client, rid, people.triagist)

        matches = await client.get(f"/api/v1/referrals/{rid}/matches", headers=people.triagist)
        assert matches.status_code == 200, matches.text
        assert [m["facility"]["id"] for m in matches.json()["items"]] == [facility["id"]]

        held = await reserve(client, rid, facility["id"], people.triagist)
        assert held.status_code == 201, held.text
        reservation = held.json()
        assert reservation["status"] == "held"
        assert reservation["referral_status"] == "reserved"
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1

        provider = people.provider_of(facility)
        seen = await client.get(f"/api/v1/referrals/{rid}", headers=provider)
        assert seen.status_code == 200, seen.text
        accepted = await client.post(
            f"/api/v1/reservations/{reservation['id']}/accept", headers=provider
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "accepted"
        assert accepted.json()["referral_status"] == "placed"
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1

        done = await client.post(f"/api/v1/referrals/{rid}/handover", headers=people.triagist)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "handed_over"

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
