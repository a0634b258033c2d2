"""The demo gives a newcomer a working queue: a referral in every status, made through the
real use cases by the demo users the capacity demo signs in, and loaded only once."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

from services.capacity import demo as capacity_demo
from services.triage import demo
from services.triage.referrals.lifecycle import STATUSES
from tests.conftest import TokenFactory


def test_the_demo_people_are_the_capacity_demo_users() -> None:
    users = {u.sub: u for u in capacity_demo.users()}
    for person in demo.people().values():
        user = users[person.sub]
        assert (person.name, person.org, list(person.regions)) == (
            user.name,
            user.organisation_id,
            user.regions,
        )
        assert person.roles == frozenset({user.role})


async def load_both(app: FastAPI) -> None:
    async with app.state.database.sessions.begin() as session:
        await capacity_demo.load(session, app.state.settings)
    await demo.load_on_startup(app)


async def test_a_referral_in_every_status_once(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await load_both(app)
    people = demo.people()
    huisarts, triagist, aanbieder = people["huisarts"], people["triagist"], people["aanbieder"]
    as_gp = auth("referrer", org=huisarts.org, sub=huisarts.sub)
    listed = await client.get("/api/v1/referrals", params={"limit": 100}, headers=as_gp)
    assert listed.status_code == 200, listed.text
    by_reference: dict[str, Any] = {r["reference"]: r for r in listed.json()["items"]}
    assert {r["status"] for r in by_reference.values()} == set(STATUSES)
    assert by_reference["DEMO-0004"]["status"] == "searching"
    assert by_reference["DEMO-0005"]["status"] == "reserved"

    as_triagist = auth(
        "triagist", org=triagist.org, sub=triagist.sub, regions=list(triagist.regions)
    )
    queue = (await client.get("/api/v1/queue", headers=as_triagist)).json()["items"]
    claimable = {i["reference"] for i in queue if i["claimable"]}
    assert {"DEMO-0001", "DEMO-0002"} <= claimable
    assert "DEMO-0003" not in claimable

    as_provider = auth("provider", org=aanbieder.org, sub=aanbieder.sub)
    waiting = await client.get(
        "/api/v1/reservations", params={"status": "held"}, headers=as_provider
    )
    assert [r["referral_id"] for r in waiting.json()["items"]] == [by_reference["DEMO-0005"]["id"]]
    steps = await client.get(
        f"/api/v1/referrals/{by_reference['DEMO-0004']['id']}/events", headers=as_gp
    )
    assert [e["action"] for e in steps.json()["items"]] == [
        "create",
        "claim",
        "search",
        "reserve",
        "release",
    ]

    await demo.load_on_startup(app)
    again = await client.get("/api/v1/referrals", params={"limit": 100}, headers=as_gp)
    assert len(again.json()["items"]) == len(by_reference) == 10
