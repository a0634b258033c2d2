"""A location's track record, computed from real reservations and real capacity history:
how its reservations ended (a decline as `no_capacity` apart), the share of the time its
reports were fresh (time moved, not slept), and who may read it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from services.triage.reservations import expiry
from shared.http import client as http_client
from tests.conftest import Clock, TokenFactory
from tests.factories import create_facility, create_organisation, place_with_free, report
from tests.triage.helpers import AMSTERDAM, KENNEMERLAND, actors, claim, reserve, submit


async def _reserved(
    client: httpx.AsyncClient, people: Any, facility: dict[str, Any]
) -> dict[str, Any]:
    ref = await submit(client, people.referrer)
    await claim(client, ref["id"], people.triagist)
    held = await reserve(client, ref["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    result: dict[str, Any] = held.json()
    return result


async def test_the_record_counts_how_the_reservations_ended(
    live_url: str, auth: TokenFactory, app: Any
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 6)
        provider = people.provider_of(facility)
        accepted, no_place, too_complex, silent, released, cancelled = [
            await _reserved(client, people, facility) for _ in range(6)
        ]
        ok = await client.post(f"/api/v1/reservations/{accepted['id']}/accept", headers=provider)
        assert ok.status_code == 200, ok.text
        for held, reason in ((no_place, "no_capacity"), (too_complex, "care_too_complex")):
            declined = await client.post(
                f"/api/v1/reservations/{held['id']}/decline",
                json={"reason_code": reason},
                headers=provider,
            )
            assert declined.status_code == 200, declined.text
            assert declined.json()["reason_code"] == reason
        back = await client.post(
            f"/api/v1/reservations/{released['id']}/release", headers=people.triagist
        )
        assert back.status_code == 200, back.text
        gone = await client.post(
            f"/api/v1/referrals/{cancelled['referral_id']}/cancel",
            json={"reason": "Toch thuis gebleven."},
            headers=people.referrer,
        )
        assert gone.status_code == 200, gone.text
        async with app.state.database.sessions.begin() as session:
            ended = await expiry.expire_due(
                session,
                app.state.triage_capacity,
                now=datetime.fromisoformat(silent["expires_at"]) + timedelta(seconds=1),
            )
        assert ended == 1

        record = await client.get(
            f"/api/v1/facilities/{facility['id']}/record", headers=auth("referrer")
        )
        assert record.status_code == 200, record.text
        body = record.json()
        # Released and cancelled reservations say nothing about the location.
        assert (
            body["accepted"],
            body["declined_no_capacity"],
            body["declined_other"],
            body["expired"],
        ) == (1, 1, 1, 1)
        assert (body["facility_id"], body["days"]) == (facility["id"], 30)
        assert body["overdue_now"] is False


async def test_the_fresh_share_follows_the_history_and_the_time_to_live(
    live_url: str, auth: TokenFactory, clock: Clock
) -> None:
    async with http_client(base_url=live_url) as client:
        organisation = await create_organisation(client, auth)
        # ELV_HOOG reports go stale after 12 hours.
        facility = await create_facility(client, auth, organisation["id"], place_types=["ELV_HOOG"])
        await report(client, auth, facility, "ELV_HOOG", age=timedelta(0))
        start = datetime.now(UTC)
        url = f"/api/v1/facilities/{facility['id']}/record"

        clock(start + timedelta(hours=6))
        early = (await client.get(url, headers=auth("viewer"))).json()
        assert early["fresh_share"] == pytest.approx(1.0, abs=0.01)
        assert early["overdue_now"] is False

        # Fresh for its 12 hours of the 24 since the location was registered.
        clock(start + timedelta(hours=24))
        late = (await client.get(url, headers=auth("viewer"))).json()
        assert late["fresh_share"] == pytest.approx(0.5, abs=0.01)
        assert (late["overdue_now"], late["overdue_place_types"]) == (True, ["ELV_HOOG"])
        assert late["last_report_at"] is not None


async def test_a_place_type_never_reported_is_never_fresh(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        organisation = await create_organisation(client, auth)
        facility = await create_facility(client, auth, organisation["id"])  # ELV_HOOG, GRZ
        await report(client, auth, facility, "ELV_HOOG", age=timedelta(0))
        body = (
            await client.get(f"/api/v1/facilities/{facility['id']}/record", headers=auth("viewer"))
        ).json()
        assert body["overdue_place_types"] == ["GRZ"]
        assert body["fresh_share"] is not None
        assert body["fresh_share"] <= 0.5


async def test_who_may_read_a_record_and_the_compliance_overview(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    fresh = await create_facility(client, auth, organisation["id"], name="Huis Fris")
    silent = await create_facility(client, auth, organisation["id"], name="Huis Stil")
    for place_type in ("ELV_HOOG", "GRZ"):
        await report(client, auth, fresh, place_type, age=timedelta(0))
    elsewhere = await create_facility(
        client, auth, organisation["id"], region_code=AMSTERDAM, name="Huis Elders"
    )

    assert (await client.get(f"/api/v1/facilities/{fresh['id']}/record")).status_code == 401
    unknown = await client.get(f"/api/v1/facilities/{uuid.uuid4()}/record", headers=auth("viewer"))
    assert unknown.status_code == 404

    overview = await client.get(
        "/api/v1/compliance",
        params={"region": KENNEMERLAND},
        headers=auth("triagist", regions=[KENNEMERLAND]),
    )
    assert overview.status_code == 200, overview.text
    items = overview.json()["items"]
    # Worst first: the silent location is overdue now; the other region is not listed.
    assert [i["facility_name"] for i in items] == ["Huis Stil", "Huis Fris"]
    assert items[0]["overdue_now"] is True
    assert items[0]["last_report_at"] is None
    assert items[1]["overdue_now"] is False
    assert elsewhere["id"] not in {i["facility_id"] for i in items}
    assert silent["id"] == items[0]["facility_id"]

    mine = await client.get("/api/v1/compliance", headers=auth("viewer", regions=[AMSTERDAM]))
    assert [i["facility_name"] for i in mine.json()["items"]] == ["Huis Elders"]

    for headers, status in (
        (auth("triagist", regions=[AMSTERDAM]), 403),  # not one of the caller's regions
        (auth("viewer", regions=[AMSTERDAM]), 403),
        (auth("provider", org=organisation["id"]), 403),
        (auth("referrer"), 403),
    ):
        refused = await client.get(
            "/api/v1/compliance", params={"region": KENNEMERLAND}, headers=headers
        )
        assert refused.status_code == status, refused.text
    bad = await client.get(
        "/api/v1/compliance", params={"region": "ZK-NERGENS"}, headers=auth("admin")
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "region"]
    unnamed = await client.get("/api/v1/compliance", headers=auth("admin"))
    assert unnamed.status_code == 422
    assert unnamed.json()["errors"][0]["loc"] == ["query", "region"]
    admin = await client.get(
        "/api/v1/compliance", params={"region": AMSTERDAM}, headers=auth("admin")
    )
    assert [i["facility_name"] for i in admin.json()["items"]] == ["Huis Elders"]


async def test_records_of_named_locations_are_bounded(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    facility = await place_with_free(client, auth, 1)
    named = await client.get(
        "/api/v1/compliance/records",
        params={"facility_id": [str(uuid.uuid4()), facility["id"]]},
        headers=auth("service"),
    )
    assert named.status_code == 200, named.text
    assert [i["facility_id"] for i in named.json()["items"]] == [facility["id"]]
    many = await client.get(
        "/api/v1/compliance/records",
        params={"facility_id": [str(uuid.uuid4()) for _ in range(101)]},
        headers=auth("service"),
    )
    assert many.status_code == 422
    assert many.json()["errors"][0]["loc"] == ["query", "facility_id"]


async def test_matching_weighs_the_record(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        roomy = await place_with_free(client, auth, 3, name="Huis Ruim")
        steady = await place_with_free(client, auth, 2, name="Huis Vast")
        ref = await submit(client, people.referrer)
        await claim(client, ref["id"], people.triagist)
        url = f"/api/v1/referrals/{ref['id']}/matches"

        before = (await client.get(url, headers=people.triagist)).json()["items"]
        assert [m["facility"]["name"] for m in before] == ["Huis Ruim", "Huis Vast"]

        # Three times its "free" place was not there.
        for _ in range(3):
            held = await _reserved(client, people, roomy)
            declined = await client.post(
                f"/api/v1/reservations/{held['id']}/decline",
                json={"reason_code": "no_capacity"},
                headers=people.provider_of(roomy),
            )
            assert declined.status_code == 200, declined.text

        after = (await client.get(url, headers=people.triagist)).json()["items"]
        assert [m["facility"]["name"] for m in after] == ["Huis Vast", "Huis Ruim"]
        worse = after[1]
        assert worse["components"]["record"] < after[0]["components"]["record"]
        assert "0 van 3 reserveringen geaccepteerd" in worse["reasons"]
        assert "3× toch geen plek" in worse["reasons"]
        assert steady["id"] == after[0]["facility"]["id"]
