"""Reservations and the provider's answer: decline, expiry (time moved, not slept), cancel,
advice, idempotency and the life cycle's refusals — with the capacity service over HTTP."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.triage.reservations import expiry
from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import (
    Actors,
    actors,
    claim,
    fetch,
    free_places,
    outbox,
    reserve,
    submit,
    timeline,
)


async def _held(
    client: httpx.AsyncClient, auth: TokenFactory, free: int = 1, **referral: Any
) -> tuple[Actors, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A claimed referral with a place held at a new facility."""
    people = await actors(client, auth)
    facility = await place_with_free(client, auth, free)
    ref = await submit(client, people.referrer, **referral)
    await claim(client, ref["id"], people.triagist)
    response = await reserve(client, ref["id"], facility["id"], people.triagist)
    assert response.status_code == 201, response.text
    return people, facility, ref, response.json()


async def test_decline_returns_to_searching_and_excludes_the_facility(
    live_url: str, auth: TokenFactory, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people, facility, ref, held = await _held(client, auth)
        provider = people.provider_of(facility)
        bad = await client.post(
            f"/api/v1/reservations/{held['id']}/decline",
            json={"reason_code": "too_busy"},
            headers=provider,
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["body", "reason_code"]

        declined = await client.post(
            f"/api/v1/reservations/{held['id']}/decline",
            json={"reason_code": "care_too_complex", "note": "Geen tillift beschikbaar."},
            headers=provider,
        )
        assert declined.status_code == 200, declined.text
        body = declined.json()
        assert (body["status"], body["referral_status"]) == ("declined", "searching")
        assert body["reason_code"] == "care_too_complex"
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1

        referral = (
            await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.triagist)
        ).json()
        assert (referral["status"], referral["declines"], referral["reservation"]) == (
            "searching",
            1,
            None,
        )
        queue = (await client.get("/api/v1/queue", headers=people.triagist)).json()["items"]
        assert [(q["id"], q["declines"]) for q in queue] == [(ref["id"], 1)]

        matches = await client.get(
            f"/api/v1/referrals/{ref['id']}/matches", headers=people.triagist
        )
        assert matches.json()["items"] == []
        assert matches.json()["excluded"]["declined"] == 1

        last = (await timeline(client, ref["id"], people.referrer))[-1]
        assert (last["action"], last["from_status"], last["to_status"]) == (
            "decline",
            "reserved",
            "searching",
        )
        assert last["detail"]["reason_code"] == "care_too_complex"

        again = await client.post(
            f"/api/v1/reservations/{held['id']}/decline",
            json={"reason_code": "no_staff"},
            headers=provider,
        )
        assert again.status_code == 409
        assert again.json()["reservation_status"] == "declined"

    events = await outbox(database_url, ref["id"])
    declined_event = next(e for e in events if e["type"] == "reservation.declined")
    assert declined_event["data"]["reason_code"] == "care_too_complex"
    assert declined_event["data"]["facility_id"] == facility["id"]
    assert "note" not in declined_event["data"]
    assert declined_event["audience"]["organisation_ids"] == [
        people.referrer_org,
        facility["organisation_id"],
    ]


async def test_expiry_releases_the_place_and_returns_to_searching(
    live_url: str, auth: TokenFactory, app: Any, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people, facility, ref, held = await _held(client, auth)
        expires_at = datetime.fromisoformat(held["expires_at"])
        assert timedelta(minutes=29) < expires_at - datetime.now(UTC) <= timedelta(minutes=30)
        assert await free_places(client, auth, facility, "ELV_HOOG") == 0

        async with app.state.database.sessions.begin() as session:
            early = await expiry.expire_due(
                session, app.state.triage_capacity, now=expires_at - timedelta(seconds=1)
            )
        assert early == 0
        async with app.state.database.sessions.begin() as session:
            expired = await expiry.expire_due(
                session, app.state.triage_capacity, now=expires_at + timedelta(seconds=1)
            )
        assert expired == 1

        assert await free_places(client, auth, facility, "ELV_HOOG") == 1
        referral = (
            await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.referrer)
        ).json()
        assert referral["status"] == "searching"
        last = (await timeline(client, ref["id"], people.referrer))[-1]
        assert (last["action"], last["actor"], last["to_status"]) == (
            "expire",
            "Zorgplek",
            "searching",
        )

        late = await client.post(
            f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(facility)
        )
        assert late.status_code == 409
        assert late.json()["reservation_status"] == "expired"
    types = [e["type"] for e in await outbox(database_url, ref["id"])]
    assert types[-2:] == ["referral.status_changed", "reservation.expired"]


async def test_an_expired_reservation_cannot_be_accepted_before_the_sweep(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people, facility, ref, _ = await _held(client, auth, free=2)
        await client.post(
            f"/api/v1/referrals/{ref['id']}/cancel", json={"reason": "x"}, headers=people.referrer
        )
        ref2 = await submit(client, people.referrer)
        await claim(client, ref2["id"], people.triagist)
        short = await reserve(client, ref2["id"], facility["id"], people.triagist, hold_minutes=1)
        assert short.status_code == 201
        expires = datetime.fromisoformat(short.json()["expires_at"])
        assert expires - datetime.now(UTC) <= timedelta(minutes=1)
        zero = await reserve(client, ref2["id"], facility["id"], people.triagist, hold_minutes=0)
        assert zero.status_code == 422
        assert zero.json()["errors"][0]["loc"] == ["body", "hold_minutes"]
        # At most ZORGPLEK_HOLD_MAX_MINUTES (default 4 h): no place is kept for a day.
        day = await reserve(client, ref2["id"], facility["id"], people.triagist, hold_minutes=241)
        assert day.status_code == 422
        assert day.json()["errors"][0]["loc"] == ["body", "hold_minutes"]


async def test_cancel_releases_the_hold(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people, facility, ref, held = await _held(client, auth)
        assert await free_places(client, auth, facility, "ELV_HOOG") == 0
        missing = await client.post(
            f"/api/v1/referrals/{ref['id']}/cancel", json={}, headers=people.referrer
        )
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["loc"] == ["body", "reason"]
        cancelled = await client.post(
            f"/api/v1/referrals/{ref['id']}/cancel",
            json={"reason": "Patiënt blijft thuis met extra thuiszorg."},
            headers=people.referrer,
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["closed_at"] is not None
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1
        reservation = await client.get(
            f"/api/v1/reservations/{held['id']}", headers=people.referrer
        )
        assert reservation.json()["status"] == "cancelled"
        accept = await client.post(
            f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(facility)
        )
        assert accept.status_code == 409
        assert accept.json()["reservation_status"] == "cancelled"


async def test_advice_closes_and_the_referrer_keeps_the_case(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    people = await actors(client, auth)
    ref = await submit(client, people.referrer, place_type="WLZ_CRISIS")
    not_claimed = await client.post(
        f"/api/v1/referrals/{ref['id']}/advice", json={"advice": "x"}, headers=people.triagist
    )
    assert not_claimed.status_code == 409
    assert not_claimed.json()["referral_status"] == "submitted"
    await claim(client, ref["id"], people.triagist)
    other = await client.post(
        f"/api/v1/referrals/{ref['id']}/advice",
        json={"advice": "Wijkverpleging opschalen."},
        headers=people.auth("triagist", regions=["ZK-KENNEMERLAND"]),
    )
    assert other.status_code == 409
    bsn = await client.post(
        f"/api/v1/referrals/{ref['id']}/advice",
        json={"advice": "Zie BSN 111222333"},
        headers=people.triagist,
    )
    assert bsn.status_code == 422
    advised = await client.post(
        f"/api/v1/referrals/{ref['id']}/advice",
        json={"advice": "Wijkverpleging twee keer per dag; casemanager inschakelen."},
        headers=people.triagist,
    )
    assert advised.status_code == 200, advised.text
    body = advised.json()
    assert (body["status"], body["organisation_id"]) == ("advised", people.referrer_org)
    seen = (await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.referrer)).json()
    assert seen["advice"].startswith("Wijkverpleging")
    queue = (await client.get("/api/v1/queue", headers=people.triagist)).json()["items"]
    assert queue == []


@pytest.mark.parametrize(
    ("setup", "method", "path", "body", "current"),
    [
        ("submitted", "POST", "handover", None, "submitted"),
        ("in_triage", "POST", "handover", None, "in_triage"),
        ("reserved", "POST", "advice", {"advice": "Thuis blijven."}, "reserved"),
        ("cancelled", "POST", "claim", None, "cancelled"),
        ("placed", "POST", "advice", {"advice": "Thuis blijven."}, "placed"),
        ("reserved", "POST", "reservations", "facility", "reserved"),
        ("placed", "GET", "matches", None, "placed"),
    ],
)
async def test_illegal_transitions_are_409_naming_the_status(
    live_url: str,
    auth: TokenFactory,
    setup: str,
    method: str,
    path: str,
    body: Any,
    current: str,
    database_url: str,
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 3)
        ref = await submit(client, people.referrer)
        rid = ref["id"]
        if setup != "submitted":
            await claim(client, rid, people.triagist)
        if setup in ("reserved", "placed"):
            held = (await reserve(client, rid, facility["id"], people.triagist)).json()
        if setup == "placed":
            accepted = await client.post(
                f"/api/v1/reservations/{held['id']}/accept", headers=people.provider_of(facility)
            )
            assert accepted.status_code == 200
        if setup == "cancelled":
            await client.post(
                f"/api/v1/referrals/{rid}/cancel", json={"reason": "x"}, headers=people.referrer
            )
        events_before = len(await outbox(database_url, rid))
        payload = {"facility_id": facility["id"]} if body == "facility" else body
        response = await client.request(
            method, f"/api/v1/referrals/{rid}/{path}", json=payload, headers=people.triagist
        )
        assert response.status_code == 409, response.text
        problem = response.json()
        assert problem["status"] == 409
        assert current in problem["detail"]
        assert problem["referral_status"] == current
        assert problem["title"] == "Conflict"
        state = (await client.get(f"/api/v1/referrals/{rid}", headers=people.triagist)).json()
        assert state["status"] == current
        assert len(await outbox(database_url, rid)) == events_before


async def test_reservation_idempotency_holds_one_place(
    live_url: str, auth: TokenFactory, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 3)
        other = await place_with_free(client, auth, 3)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        headers = {**people.triagist, "Idempotency-Key": "reserve-1"}
        first = await reserve(client, ref["id"], facility["id"], headers)
        again = await reserve(client, ref["id"], facility["id"], headers)
        assert first.status_code == again.status_code == 201, again.text
        assert again.json()["id"] == first.json()["id"]
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert await free_places(client, auth, facility, "ELV_HOOG") == 2
        changed = await reserve(client, ref["id"], other["id"], headers)
        assert changed.status_code == 422
        assert changed.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
        assert await free_places(client, auth, other, "ELV_HOOG") == 3
        without_key = await reserve(client, ref["id"], other["id"], people.triagist)
        assert without_key.status_code == 409
        assert without_key.json()["referral_status"] == "reserved"
        assert await free_places(client, auth, other, "ELV_HOOG") == 3
    rows = await fetch(
        database_url,
        "SELECT count(*) AS n FROM triage.reservations WHERE referral_id = $1",
        uuid.UUID(ref["id"]),
    )
    assert rows[0]["n"] == 1


async def test_no_free_place_is_409_and_changes_nothing(
    live_url: str, auth: TokenFactory, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        full = await place_with_free(client, auth, 0)
        unknown = "5b0d5c1e-0000-4000-8000-000000000000"
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        before = await timeline(client, ref["id"], people.triagist)
        response = await reserve(client, ref["id"], full["id"], people.triagist)
        assert response.status_code == 409, response.text
        assert response.json()["referral_status"] == "in_triage"
        missing = await reserve(client, ref["id"], unknown, people.triagist)
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["loc"] == ["body", "facility_id"]
        assert await timeline(client, ref["id"], people.triagist) == before
        state = (await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.triagist)).json()
        assert state["status"] == "in_triage"


async def test_two_sweepers_at_once_expire_each_reservation_once(
    live_url: str, auth: TokenFactory, app: Any, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 6)
        referrals = [await submit(client, people.referrer) for _ in range(6)]
        for ref in referrals:
            await claim(client, ref["id"], people.triagist)
            assert (
                await reserve(client, ref["id"], facility["id"], people.triagist)
            ).status_code == 201
        assert await free_places(client, auth, facility, "ELV_HOOG") == 0

        later = datetime.now(UTC) + timedelta(hours=1)

        async def sweep() -> int:
            async with app.state.database.sessions.begin() as session:
                return await expiry.expire_due(
                    session, app.state.triage_capacity, now=later, limit=4
                )

        counts = await asyncio.gather(sweep(), sweep(), sweep())
        assert sum(counts) == 6
        assert max(counts) <= 4
        assert await free_places(client, auth, facility, "ELV_HOOG") == 6
    rows = await fetch(
        database_url,
        "SELECT referral_id, count(*) AS n FROM triage.referral_events "
        "WHERE action = 'expire' GROUP BY referral_id",
    )
    assert sorted(r["n"] for r in rows) == [1] * 6
