"""Handing a case back to the queue or to a colleague: `POST /referrals/{id}/assign` with
`{"assignee": null}` or another triagist's `sub` of the same region; the queue shows
unassigned cases as claimable; both steps are in the timeline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_organisation, place_with_free
from tests.triage.helpers import actors, claim, reserve, submit, timeline


async def assign(
    client: httpx.AsyncClient, referral_id: str, assignee: str | None, headers: dict[str, str]
) -> httpx.Response:
    return await client.post(
        f"/api/v1/referrals/{referral_id}/assign", json={"assignee": assignee}, headers=headers
    )


async def queue_item(
    client: httpx.AsyncClient, referral_id: str, headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.get("/api/v1/queue", headers=headers)
    assert response.status_code == 200, response.text
    item: dict[str, Any] = next(i for i in response.json()["items"] if i["id"] == referral_id)
    return item


async def test_going_off_shift_hands_the_case_back_to_the_queue(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        ref = await submit(client, people.referrer)
        before = await queue_item(client, ref["id"], people.triagist)
        assert (before["assignee"], before["claimable"]) == (None, True)
        await claim(client, ref["id"], people.triagist)
        claimed = await queue_item(client, ref["id"], people.triagist)
        assert (claimed["assignee"]["id"], claimed["claimable"]) == (people.triagist_sub, False)

        handed = await assign(client, ref["id"], None, people.triagist)
        assert handed.status_code == 200, handed.text
        assert (handed.json()["assignee"], handed.json()["status"]) == (None, "in_triage")
        back = await queue_item(client, ref["id"], people.triagist)
        assert (back["assignee"], back["claimable"]) == (None, True)

        last = (await timeline(client, ref["id"], people.triagist))[-1]
        assert (last["action"], last["actor"]) == ("unassign", "Test triagist")
        assert (last["from_status"], last["to_status"]) == ("in_triage", "in_triage")
        assert last["detail"] == {
            "assignee": None,
            "previous": {"id": people.triagist_sub, "name": "Test triagist"},
        }

        night = auth("triagist", regions=["ZK-KENNEMERLAND"], sub="nachtdienst")
        await claim(client, ref["id"], night)
        assert (await queue_item(client, ref["id"], night))["assignee"]["id"] == "nachtdienst"


async def test_a_case_goes_to_a_colleague_of_the_region(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        colleague = auth("triagist", regions=["ROAZ-NHF"], sub="j-de-boer")
        # A triagist is known to Zorgplek once they have worked the queue.
        assert (await client.get("/api/v1/queue", headers=colleague)).status_code == 200
        roster = await client.get(
            "/api/v1/triagists", params={"region": "ZK-KENNEMERLAND"}, headers=people.triagist
        )
        assert roster.status_code == 200, roster.text
        assert {"id": "j-de-boer", "name": "Test triagist"} in roster.json()["items"]

        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        moved = await assign(client, ref["id"], "j-de-boer", people.triagist)
        assert moved.status_code == 200, moved.text
        assert moved.json()["assignee"] == {"id": "j-de-boer", "name": "Test triagist"}

        last = (await timeline(client, ref["id"], people.triagist))[-1]
        assert last["action"] == "assign"
        assert last["detail"] == {
            "assignee": {"id": "j-de-boer", "name": "Test triagist"},
            "previous": {"id": people.triagist_sub, "name": "Test triagist"},
        }
        # Now the colleague acts on it, and the one who handed it over no longer does.
        refused = await client.post(
            f"/api/v1/referrals/{ref['id']}/advice",
            json={"advice": "Thuis"},
            headers=people.triagist,
        )
        assert refused.status_code == 409
        advised = await client.post(
            f"/api/v1/referrals/{ref['id']}/advice", json={"advice": "Thuis"}, headers=colleague
        )
        assert advised.status_code == 200, advised.text


async def test_a_new_case_assigned_to_someone_is_in_triage(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        await client.get("/api/v1/queue", headers=people.triagist)
        coordinator = auth("triagist", regions=["ZK-KENNEMERLAND"])
        ref = await submit(client, people.referrer)
        given = await assign(client, ref["id"], people.triagist_sub, coordinator)
        assert given.status_code == 200, given.text
        assert (given.json()["status"], given.json()["assignee"]["id"]) == (
            "in_triage",
            people.triagist_sub,
        )
        steps = [
            (e["action"], e["to_status"]) for e in await timeline(client, ref["id"], coordinator)
        ]
        assert steps == [("create", "submitted"), ("assign", "in_triage")]


@pytest.mark.parametrize(
    ("assignee", "why"),
    [
        pytest.param("nobody-knows", "unknown", id="unknown-sub"),
        pytest.param("utrecht-triagist", "other-region", id="triagist-of-another-region"),
        pytest.param("", "empty", id="empty"),
    ],
)
async def test_only_a_triagist_of_the_region_may_be_assigned(
    live_url: str, auth: TokenFactory, assignee: str, why: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        utrecht = auth("triagist", regions=["ZK-UTRECHT"], sub="utrecht-triagist")
        await client.get("/api/v1/queue", headers=utrecht)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        refused = await assign(client, ref["id"], assignee, people.triagist)
        assert refused.status_code == 422, (why, refused.text)
        assert ["body", "assignee"] in [e["loc"] for e in refused.json()["errors"]]
        still = await queue_item(client, ref["id"], people.triagist)
        assert still["assignee"]["id"] == people.triagist_sub


async def test_assign_needs_the_field(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        ref = await submit(client, people.referrer)
        response = await client.post(
            f"/api/v1/referrals/{ref['id']}/assign", json={}, headers=people.triagist
        )
        assert response.status_code == 422
        assert ["body", "assignee"] in [e["loc"] for e in response.json()["errors"]]


async def test_a_closed_case_is_not_assigned(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        await client.post(
            f"/api/v1/referrals/{ref['id']}/advice",
            json={"advice": "Thuis"},
            headers=people.triagist,
        )
        refused = await assign(client, ref["id"], None, people.triagist)
        assert refused.status_code == 409
        assert refused.json()["referral_status"] == "advised"


async def test_who_may_assign(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        other_practice = await create_organisation(client, auth, kind="gp")
        facility = await place_with_free(client, auth, 2)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        held = await reserve(client, ref["id"], facility["id"], people.triagist)
        assert held.status_code == 201
        cases = {
            "own_referrer": (people.referrer, 403),
            "other_referrer": (auth("referrer", org=other_practice["id"]), 403),
            "holding_provider": (people.provider_of(facility), 403),
            "triagist_utrecht": (auth("triagist", regions=["ZK-UTRECHT"]), 404),
            "admin": (auth("admin"), 403),
            "viewer": (auth("viewer", regions=["ZK-KENNEMERLAND"]), 403),
            "colleague": (auth("triagist", regions=["ZK-KENNEMERLAND"]), 200),
        }
        for who, (headers, expected) in cases.items():
            response = await assign(client, ref["id"], None, headers)
            assert response.status_code == expected, (who, response.text)
        roster_cases = {
            "own_referrer": (people.referrer, 403),
            "holding_provider": (people.provider_of(facility), 403),
        }
        for who, (headers, expected) in roster_cases.items():
            response = await client.get("/api/v1/triagists", headers=headers)
            assert response.status_code == expected, who
        outside = await client.get(
            "/api/v1/triagists", params={"region": "ZK-UTRECHT"}, headers=people.triagist
        )
        assert outside.status_code == 403
