"""Races over real HTTP: many triagists reserving the last places, two claiming one
referral. Whatever the timing, places are never double-booked and a case has one owner."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from shared.http import client as http_client
from tests.conftest import Callers, TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import actors, claim, fetch, free_places, reserve, submit

TRIAGISTS = 30
ROUNDS = 20
# The rounds are dealt over tests of their own, so that parallel workers share them.
PARTS = 4
LAST_PLACES = 2


@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS))
async def test_thirty_triagists_reserving_the_last_two_places(
    callers: Callers, auth: TokenFactory, database_url: str, part: int
) -> None:
    """Each round a new facility reports its last two places and thirty triagists, each on
    a referral of their own, reserve there at once: exactly two succeed. The two winners'
    reservations are then declined, so all thirty race again in the next round (from
    `in_triage` or, after a decline, from `searching`). ROUNDS rounds in all, in PARTS
    tests of as many rounds each."""
    client = (await callers(1))[0]
    desks = await callers(TRIAGISTS)  # each triagist at a computer of their own
    people = await actors(client, auth)
    triagists = [
        auth("triagist", regions=["ZK-KENNEMERLAND"], sub=f"triagist-{i}") for i in range(TRIAGISTS)
    ]
    referrals = await asyncio.gather(*(submit(desk, people.referrer) for desk in desks))
    await asyncio.gather(
        *(claim(desk, r["id"], t) for desk, r, t in zip(desks, referrals, triagists, strict=True))
    )
    for round_number in range(ROUNDS // PARTS):
        facility = await place_with_free(client, auth, LAST_PLACES)
        answers = await asyncio.gather(
            *(
                reserve(desk, r["id"], facility["id"], t)
                for desk, r, t in zip(desks, referrals, triagists, strict=True)
            )
        )
        codes = sorted(a.status_code for a in answers)
        assert codes == [201] * LAST_PLACES + [409] * (TRIAGISTS - LAST_PLACES), (
            (part, round_number),
            [a.text for a in answers if a.status_code not in (201, 409)],
        )
        assert await free_places(client, auth, facility, "ELV_HOOG") == 0
        rows = await fetch(
            database_url,
            "SELECT referral_id FROM triage.reservations "
            "WHERE facility_id = $1 AND status = 'held'",
            uuid.UUID(facility["id"]),
        )
        winners = {str(a.json()["referral_id"]) for a in answers if a.status_code == 201}
        assert {str(r["referral_id"]) for r in rows} == winners
        for answer in answers:
            if answer.status_code == 201:
                declined = await client.post(
                    f"/api/v1/reservations/{answer.json()['id']}/decline",
                    json={"reason_code": "no_staff"},
                    headers=people.provider_of(facility),
                )
                assert declined.status_code == 200, declined.text
            else:
                assert answer.json()["facility_id"] == facility["id"]


async def test_two_triagists_claiming_at_once(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        first = auth("triagist", regions=["ZK-KENNEMERLAND"], sub="triagist-a")
        second = auth("triagist", regions=["ROAZ-NHF"], sub="triagist-b")
        for _ in range(10):
            ref = await submit(client, people.referrer)
            answers = await asyncio.gather(
                *(
                    client.post(f"/api/v1/referrals/{ref['id']}/claim", headers=h)
                    for h in (first, second)
                )
            )
            assert sorted(a.status_code for a in answers) == [200, 409]
            winner = next(a for a in answers if a.status_code == 200).json()
            loser = next(a for a in answers if a.status_code == 409).json()
            assert winner["status"] == "in_triage"
            assert winner["assignee"]["id"] in ("triagist-a", "triagist-b")
            assert loser["assignee"] == winner["assignee"]["id"]
            assert loser["referral_status"] == "in_triage"


async def test_one_referral_reserved_twice_at_once_holds_one_place(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 5)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        answers: list[Any] = await asyncio.gather(
            *(reserve(client, ref["id"], facility["id"], people.triagist) for _ in range(5))
        )
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409]
        assert await free_places(client, auth, facility, "ELV_HOOG") == 4
