"""Releasing a reservation to try another place: the referral goes back to `searching`,
the place is free again, the provider and the referrer are told, the timeline says who —
and only the assignee (or the referrer, for its own direct booking) may."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_organisation, place_with_free
from tests.triage.helpers import (
    actors,
    claim,
    free_places,
    outbox,
    reserve,
    submit,
    timeline,
)


async def release(
    client: httpx.AsyncClient, reservation_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/reservations/{reservation_id}/release", json=body or None, headers=headers
    )


async def test_the_assignee_releases_and_tries_another_place(
    live_url: str, auth: TokenFactory, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        first = await place_with_free(client, auth, 1, place_type="GRZ", name="Eerste keus")
        second = await place_with_free(client, auth, 1, place_type="GRZ", name="Tweede keus")
        ref = await submit(client, people.referrer, place_type="GRZ")
        await claim(client, ref["id"], people.triagist)
        held = (await reserve(client, ref["id"], first["id"], people.triagist)).json()
        assert await free_places(client, auth, first, "GRZ") == 0

        released = await release(
            client, held["id"], people.triagist, reason="Familie wil liever dichterbij."
        )
        assert released.status_code == 200, released.text
        body = released.json()
        assert (body["status"], body["referral_status"]) == ("released", "searching")
        assert body["decided_at"] is not None
        assert await free_places(client, auth, first, "GRZ") == 1

        referral = (
            await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.referrer)
        ).json()
        assert (referral["status"], referral["reservation"], referral["declines"]) == (
            "searching",
            None,
            0,
        )
        last = (await timeline(client, ref["id"], people.triagist))[-1]
        assert (last["action"], last["from_status"], last["to_status"]) == (
            "release",
            "reserved",
            "searching",
        )
        assert last["actor"] == "Test triagist"
        assert last["detail"]["facility_name"] == "Eerste keus"
        assert last["detail"]["reason"] == "Familie wil liever dichterbij."

        # Unlike a decline, a released place may be proposed and reserved again.
        matches = await client.get(
            f"/api/v1/referrals/{ref['id']}/matches", headers=people.triagist
        )
        assert {m["facility"]["id"] for m in matches.json()["items"]} == {
            first["id"],
            second["id"],
        }
        again = await reserve(client, ref["id"], second["id"], people.triagist)
        assert again.status_code == 201, again.text

        twice = await release(client, held["id"], people.triagist)
        assert twice.status_code == 409
        assert twice.json()["reservation_status"] == "released"

        listed = await client.get(
            "/api/v1/reservations",
            params={"status": "released"},
            headers=people.provider_of(first),
        )
        assert [r["id"] for r in listed.json()["items"]] == [held["id"]]

    events = [
        e for e in await outbox(database_url, ref["id"]) if e["type"] == "reservation.released"
    ]
    assert len(events) == 1
    (event,) = events
    assert event["data"]["reservation_id"] == held["id"]
    assert event["data"]["facility_id"] == first["id"]
    assert event["data"]["status"] == "searching"
    assert "reason" not in event["data"]
    assert event["audience"]["organisation_ids"] == [
        people.referrer_org,
        first["organisation_id"],
    ]


async def test_the_referrer_releases_its_own_direct_booking(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        held = (await reserve(client, ref["id"], facility["id"], people.referrer)).json()
        released = await release(client, held["id"], people.referrer)
        assert released.status_code == 200, released.text
        assert released.json()["referral_status"] == "searching"
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1
        last = (await timeline(client, ref["id"], people.referrer))[-1]
        assert (last["action"], last["actor"]) == ("release", "Test referrer")


async def test_an_accepted_reservation_is_not_released(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        held = (await reserve(client, ref["id"], facility["id"], people.triagist)).json()
        accepted = await client.post(
            f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(facility)
        )
        assert accepted.status_code == 200, accepted.text
        refused = await release(client, held["id"], people.triagist)
        assert refused.status_code == 409
        assert refused.json()["reservation_status"] == "accepted"
        assert await free_places(client, auth, facility, "ELV_HOOG") == 0


@pytest.fixture
async def bookings(live_url: str, auth: TokenFactory) -> dict[str, Any]:
    """Two held reservations of practice A in Kennemerland: one made by the triagist, one
    booked directly by the GP."""
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        other_practice = await create_organisation(client, auth, kind="gp")
        facility = await place_with_free(client, auth, 3)
        stranger = await place_with_free(client, auth, 3)
        by_triagist = await submit(client, people.referrer)
        await claim(client, by_triagist["id"], people.triagist)
        triagist_held = await reserve(client, by_triagist["id"], facility["id"], people.triagist)
        direct = await submit(client, people.referrer)
        direct_held = await reserve(client, direct["id"], facility["id"], people.referrer)
        assert triagist_held.status_code == direct_held.status_code == 201
    return {
        "by_triagist": triagist_held.json()["id"],
        "direct": direct_held.json()["id"],
        "headers": {
            "assignee": people.triagist,
            "own_referrer": people.referrer,
            "other_referrer": auth("referrer", org=other_practice["id"]),
            "colleague": auth("triagist", regions=["ZK-KENNEMERLAND"]),
            "triagist_utrecht": auth("triagist", regions=["ZK-UTRECHT"]),
            "holding_provider": auth("provider", org=facility["organisation_id"]),
            "other_provider": auth("provider", org=stranger["organisation_id"]),
            "admin": auth("admin"),
            "viewer": auth("viewer", regions=["ZK-KENNEMERLAND"]),
        },
    }


@pytest.mark.parametrize(
    ("booking", "who", "expected"),
    [
        pytest.param("by_triagist", "own_referrer", 403, id="referrer-not-its-booking"),
        pytest.param("by_triagist", "other_referrer", 404, id="other-practice"),
        pytest.param("by_triagist", "colleague", 409, id="colleague-not-assignee"),
        pytest.param("by_triagist", "triagist_utrecht", 404, id="other-region"),
        pytest.param("by_triagist", "holding_provider", 403, id="provider-declines-instead"),
        pytest.param("by_triagist", "other_provider", 403, id="other-provider"),
        pytest.param("by_triagist", "admin", 403, id="admin"),
        pytest.param("by_triagist", "viewer", 403, id="viewer"),
        pytest.param("by_triagist", "assignee", 200, id="assignee"),
        pytest.param("direct", "other_referrer", 404, id="direct-other-practice"),
        pytest.param("direct", "holding_provider", 403, id="direct-provider"),
        pytest.param("direct", "colleague", 409, id="direct-unclaimed-triagist"),
        pytest.param("direct", "triagist_utrecht", 404, id="direct-other-region"),
        pytest.param("direct", "own_referrer", 200, id="direct-own-referrer"),
    ],
)
async def test_who_may_release(
    live_url: str, bookings: dict[str, Any], booking: str, who: str, expected: int
) -> None:
    async with http_client(base_url=live_url) as client:
        response = await release(client, bookings[booking], bookings["headers"][who])
        assert response.status_code == expected, response.text
        if expected != 200:
            assert response.headers["content-type"] == "application/problem+json"
            mine = await client.get(
                f"/api/v1/reservations/{bookings[booking]}",
                headers=bookings["headers"]["own_referrer"],
            )
            assert mine.json()["status"] == "held"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"reason": "x" * 501}, id="too-long"),
        pytest.param({"reason": "BSN 111222333"}, id="bsn"),
        pytest.param({"why": "x"}, id="unknown-field"),
    ],
)
async def test_a_bad_release_body_is_422(
    live_url: str, bookings: dict[str, Any], body: dict[str, Any]
) -> None:
    async with http_client(base_url=live_url) as client:
        response = await client.post(
            f"/api/v1/reservations/{bookings['by_triagist']}/release",
            json=body,
            headers=bookings["headers"]["assignee"],
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"]
