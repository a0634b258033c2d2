"""A practice's own case number on a referral: optional, short, never a BSN, returned
wherever the referral is, and a filter of the list."""

from __future__ import annotations

from typing import Any

import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_organisation, place_with_free
from tests.triage.helpers import actors, claim, referral_body, reserve, submit


async def test_the_reference_is_everywhere_and_filters_the_list(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ours = await submit(client, people.referrer, reference="  HA-2026/0042 ")
        assert ours["reference"] == "HA-2026/0042"
        plain = await submit(client, people.referrer)
        assert plain["reference"] is None
        other_practice = await create_organisation(client, auth, kind="gp")
        theirs = auth("referrer", org=other_practice["id"])
        await submit(client, theirs, reference="HA-2026/0042")

        got = await client.get(f"/api/v1/referrals/{ours['id']}", headers=people.referrer)
        assert got.json()["reference"] == "HA-2026/0042"

        listed = await client.get(
            "/api/v1/referrals", params={"reference": "HA-2026/0042"}, headers=people.referrer
        )
        assert listed.status_code == 200, listed.text
        assert [r["id"] for r in listed.json()["items"]] == [ours["id"]]
        everything = await client.get("/api/v1/referrals", headers=people.referrer)
        assert {r["id"] for r in everything.json()["items"]} == {ours["id"], plain["id"]}

        queue = await client.get("/api/v1/queue", headers=people.triagist)
        assert {i["id"]: i["reference"] for i in queue.json()["items"]}[ours["id"]] == (
            "HA-2026/0042"
        )
        by_triagist = await client.get(
            "/api/v1/referrals", params={"reference": "HA-2026/0042"}, headers=people.triagist
        )
        assert len(by_triagist.json()["items"]) == 2  # both practices are in the region

        await claim(client, ours["id"], people.triagist)
        held = await reserve(client, ours["id"], facility["id"], people.triagist)
        seen = await client.get(
            f"/api/v1/referrals/{ours['id']}", headers=people.provider_of(facility)
        )
        assert seen.json()["reference"] == "HA-2026/0042"
        assert held.status_code == 201


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        pytest.param("x" * 31, "too long", id="31-characters"),
        pytest.param("111222333", "a BSN", id="bsn"),
        pytest.param("dossier 111.222.333", "a BSN", id="bsn-grouped"),
        pytest.param("", "empty", id="empty"),
        pytest.param("   ", "blank", id="blank"),
        pytest.param(42, "not text", id="number"),
    ],
)
async def test_a_bad_reference_is_422(
    live_url: str, auth: TokenFactory, reference: Any, why: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        response = await client.post(
            "/api/v1/referrals",
            json=referral_body(reference=reference),
            headers=people.referrer,
        )
        assert response.status_code == 422, (why, response.text)
        assert ["body", "reference"] in [e["loc"] for e in response.json()["errors"]]
        assert "111" not in response.text


async def test_a_bad_reference_filter_is_422(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        response = await client.get(
            "/api/v1/referrals", params={"reference": "x" * 31}, headers=people.referrer
        )
        assert response.status_code == 422
        assert ["query", "reference"] in [e["loc"] for e in response.json()["errors"]]
