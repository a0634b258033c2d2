"""The two capacity endpoints the pages needed: a location's current numbers (Mijn
locaties) and the regional history (the Regio chart)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report


async def test_a_location_s_numbers_for_its_provider_and_searchers_only(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, organisation["id"], place_types=["GRZ", "ELV_HOOG"]
    )
    await report(
        client, auth, facility, "GRZ", staffed=9, occupied=4, available=2, age=timedelta(hours=20)
    )
    url = f"/api/v1/facilities/{facility['id']}/capacity"
    own = await client.get(url, headers=auth("provider", org=organisation["id"]))
    assert own.status_code == 200
    [state] = own.json()["items"]
    assert (state["place_type"], state["free"], state["stale"]) == ("GRZ", 2, True)
    assert (await client.get(url, headers=auth("triagist"))).status_code == 200
    other = await create_organisation(client, auth)
    assert (await client.get(url, headers=auth("provider", org=other["id"]))).status_code == 404
    assert (await client.get(url, headers=auth("viewer"))).status_code == 403
    assert (await client.get(url)).status_code == 401


async def test_regional_history_sums_fresh_reports_and_leaves_unknown_out(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    organisation = await create_organisation(client, auth)
    first = await create_facility(client, auth, organisation["id"], place_types=["WLZ_CRISIS"])
    second = await create_facility(client, auth, organisation["id"], place_types=["WLZ_CRISIS"])
    elsewhere = await create_facility(
        client, auth, organisation["id"], place_types=["WLZ_CRISIS"], region_code="ZK-AMSTERDAM"
    )
    await report(
        client,
        auth,
        first,
        "WLZ_CRISIS",
        staffed=5,
        occupied=1,
        available=4,
        age=timedelta(hours=3),
    )
    await report(client, auth, first, "WLZ_CRISIS", staffed=5, occupied=3, available=2)
    await report(
        client,
        auth,
        second,
        "WLZ_CRISIS",
        staffed=3,
        occupied=2,
        available=1,
        age=timedelta(hours=2),
    )
    await report(client, auth, elsewhere, "WLZ_CRISIS", staffed=9, occupied=0, available=9)
    response = await client.get(
        "/api/v1/availability/history",
        params={"region": "ROAZ-NHF", "days": 1, "place_type": "WLZ_CRISIS"},
        headers=auth("viewer"),
    )
    assert response.status_code == 200
    body = response.json()
    [series] = body["items"]
    points = series["points"]
    assert len(points) == 85
    assert body["step_seconds"] == 24 * 3600 // 84
    # One point every 1028 s: 9 steps back is about two and a half hours ago.
    now, two_and_a_half_hours_ago, a_day_ago = points[-1], points[84 - 9], points[0]
    assert (now["available"], now["reporting"], now["facilities"]) == (2 + 1 + 9, 3, 3)
    # 2.5 h ago: first reported 4 (3 h ago), second had not reported yet.
    assert (two_and_a_half_hours_ago["available"], two_and_a_half_hours_ago["reporting"]) == (4, 1)
    # A day ago nothing was known: unknown, not zero free.
    assert (a_day_ago["available"], a_day_ago["reporting"]) == (0, 0)
    regional = await client.get(
        "/api/v1/availability/history",
        params={"region": "ZK-KENNEMERLAND", "days": 1},
        headers=auth("viewer"),
    )
    assert regional.json()["items"][0]["points"][-1]["available"] == 3
    wrong = await client.get(
        "/api/v1/availability/history", params={"days": 90}, headers=auth("viewer")
    )
    assert wrong.status_code == 422


async def test_a_report_from_before_the_period_counts_while_it_is_fresh(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """Each moment sums the last report before it, as long as that is fresh for its place
    type (GRZ 12 h, WLZ_CRISIS 4 h), also when it was made before the period began; a
    later report takes over from the moment it was made."""
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, organisation["id"], place_types=["GRZ", "WLZ_CRISIS"]
    )
    made = {
        "GRZ": [
            await report(client, auth, facility, "GRZ", available=4, age=timedelta(hours=26)),
            await report(client, auth, facility, "GRZ", available=2, age=timedelta(hours=5)),
        ],
        "WLZ_CRISIS": [
            await report(client, auth, facility, "WLZ_CRISIS", available=1, age=timedelta(hours=25))
        ],
    }
    response = await client.get(
        "/api/v1/availability/history",
        params={"region": "ZK-KENNEMERLAND", "days": 1},
        headers=auth("viewer"),
    )
    assert response.status_code == 200
    ttl = {"GRZ": timedelta(hours=12), "WLZ_CRISIS": timedelta(hours=4)}
    series = {s["place_type"]: s["points"] for s in response.json()["items"]}
    assert set(series) == {"GRZ", "WLZ_CRISIS"}
    for place_type, points in series.items():
        reports = [
            (datetime.fromisoformat(r["observed_at"]), r["available"]) for r in made[place_type]
        ]
        for point in points:
            at = datetime.fromisoformat(point["at"])
            last = [(observed, free) for observed, free in reports if observed <= at]
            fresh = bool(last) and at - last[-1][0] <= ttl[place_type]
            expected = (last[-1][1], 1) if fresh else (0, 0)
            assert (point["available"], point["reporting"]) == expected, (place_type, point)
    # Both the old report (fresh at the start) and the gap after it are in the period.
    assert series["GRZ"][0]["reporting"] == 1
    assert any(p["reporting"] == 0 for p in series["GRZ"])
    assert series["WLZ_CRISIS"][0]["reporting"] == 1
    assert series["WLZ_CRISIS"][-1]["reporting"] == 0
