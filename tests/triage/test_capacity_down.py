"""When the capacity service cannot be reached, triage answers a clear 503 problem and
leaves nothing half-done. The unreachable service is a real closed port, not a mock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.capacity.holds import service as holds
from services.cli import components
from services.triage.reservations import expiry
from services.triage.reservations.reserving import HOLD_GRACE_SECONDS
from shared.app import create_app
from shared.http import client as http_client
from tests.conftest import TokenFactory, free_port, make_settings
from tests.factories import place_with_free
from tests.triage.helpers import (
    actors,
    claim,
    fetch,
    free_places,
    outbox,
    reserve,
    submit,
    timeline,
)


@pytest.fixture
async def cut_off(database_url: str, live_url: str) -> AsyncIterator[Any]:
    """The same services on the same database, but reaching capacity at a closed port."""
    settings = make_settings(database_url, capacity_url=f"http://127.0.0.1:{free_port()}")
    application = create_app(
        components(settings), settings, database_url=database_url, run_loops=False
    )
    async with application.router.lifespan_context(application):
        yield application


async def _state(database_url: str, rid: str) -> tuple[Any, ...]:
    rows = await fetch(
        database_url,
        "SELECT r.status, r.assignee, (SELECT count(*) FROM triage.reservations v "
        "WHERE v.referral_id = r.id AND v.status = 'held') AS held "
        "FROM triage.referrals r WHERE r.id = $1",
        uuid.UUID(rid),
    )
    return tuple(rows[0])


def _is_503_problem(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 503
    assert "capacity service" in problem["detail"]
    assert "nothing was changed" in problem["detail"]
    assert "Traceback" not in response.text


async def test_reserving_and_matching_while_capacity_is_down(
    live_url: str, auth: TokenFactory, cut_off: Any, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        before = await timeline(client, ref["id"], people.triagist)
    events_before = await outbox(database_url, ref["id"])

    transport = httpx.ASGITransport(app=cut_off)
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as down:
        _is_503_problem(await reserve(down, ref["id"], facility["id"], people.triagist))
        _is_503_problem(
            await down.get(f"/api/v1/referrals/{ref['id']}/matches", headers=people.triagist)
        )
        assert await timeline(down, ref["id"], people.triagist) == before

    assert await _state(database_url, ref["id"]) == ("in_triage", people.triagist_sub, 0)
    assert await outbox(database_url, ref["id"]) == events_before
    async with http_client(base_url=live_url) as client:
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1


async def test_answers_and_cancel_while_capacity_is_down(
    live_url: str, auth: TokenFactory, cut_off: Any, database_url: str
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        held = (await reserve(client, ref["id"], facility["id"], people.triagist)).json()
    events_before = await outbox(database_url, ref["id"])
    provider = people.provider_of(facility)

    transport = httpx.ASGITransport(app=cut_off)
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as down:
        _is_503_problem(
            await down.post(f"/api/v1/reservations/{held['id']}/accept", headers=provider)
        )
        _is_503_problem(
            await down.post(
                f"/api/v1/reservations/{held['id']}/decline",
                json={"reason_code": "no_staff"},
                headers=provider,
            )
        )
        _is_503_problem(
            await down.post(
                f"/api/v1/referrals/{ref['id']}/cancel",
                json={"reason": "x"},
                headers=people.referrer,
            )
        )
    assert await _state(database_url, ref["id"]) == ("reserved", people.triagist_sub, 1)
    assert await outbox(database_url, ref["id"]) == events_before

    # Once capacity is back, the same answer goes through.
    async with http_client(base_url=live_url) as client:
        accepted = await client.post(f"/api/v1/reservations/{held['id']}/accept", headers=provider)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["referral_status"] == "placed"


async def test_expiry_while_capacity_is_down_heals_by_the_holds_own_time(
    live_url: str, auth: TokenFactory, cut_off: Any, app: Any
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        held = (await reserve(client, ref["id"], facility["id"], people.triagist)).json()
        expires_at = datetime.fromisoformat(held["expires_at"])

        later = expires_at + timedelta(seconds=1)
        async with cut_off.state.database.sessions.begin() as session:
            assert await expiry.expire_due(session, cut_off.state.triage_capacity, now=later) == 1
        state = (await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.triagist)).json()
        assert state["status"] == "searching"
        # Capacity never heard of it, so the place stays held until the hold's own time.
        assert await free_places(client, auth, facility, "ELV_HOOG") == 0
        async with app.state.database.sessions.begin() as session:
            assert await holds.expire_due(session, now=later) == 0
        async with app.state.database.sessions.begin() as session:
            hold_end = later + timedelta(seconds=HOLD_GRACE_SECONDS)
            assert await holds.expire_due(session, now=hold_end) == 1
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1


async def test_a_hold_that_was_never_recorded_expires_by_itself(
    live_url: str, auth: TokenFactory, app: Any, settings: Any
) -> None:
    """A crash between holding the place and recording the reservation leaves only a hold
    with a time-to-live: the place returns by itself."""
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 1)
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        hold = await app.state.triage_capacity.hold(
            key=uuid.uuid4(),
            facility_id=uuid.UUID(facility["id"]),
            place_type="ELV_HOOG",
            referral_id=uuid.UUID(ref["id"]),
            ttl_seconds=settings.reservation_ttl_minutes * 60 + HOLD_GRACE_SECONDS,
        )
        assert hold is not None
        assert await free_places(client, auth, facility, "ELV_HOOG") == 0
        async with app.state.database.sessions.begin() as session:
            assert await holds.expire_due(session, now=hold.expires_at + timedelta(seconds=1)) == 1
        assert await free_places(client, auth, facility, "ELV_HOOG") == 1
        state = (await client.get(f"/api/v1/referrals/{ref['id']}", headers=people.triagist)).json()
        assert (state["status"], state["reservation"]) == ("in_triage", None)
        assert datetime.now(UTC) < hold.expires_at
