"""Availability search and the regional summary."""

from datetime import timedelta
from typing import Any

import httpx
import pytest

from shared.contracts.capacity import Candidates
from tests.conftest import TokenFactory
from tests.factories import create_facility, create_organisation, report

# Real places around Haarlem and Leiden.
HAARLEM = (52.3874, 4.6462)
HEEMSTEDE = (52.3580, 4.6107)  # ~4 km from Haarlem
BEVERWIJK = (52.4869, 4.6572)  # ~11 km
LEIDEN = (52.1601, 4.4970)  # ~27 km, Zuid-Holland Noord


async def place(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    name: str,
    where: tuple[float, float],
    free: int,
    *,
    region: str = "ZK-KENNEMERLAND",
    features: list[str] | None = None,
    age: timedelta = timedelta(minutes=5),
    place_type: str = "ELV_HOOG",
) -> dict[str, Any]:
    organisation = await create_organisation(client, auth, name=f"Zorg {name}")
    facility = await create_facility(
        client,
        auth,
        organisation["id"],
        name=name,
        lat=where[0],
        lon=where[1],
        region_code=region,
        features=features or [],
        place_types=[place_type],
    )
    await report(
        client, auth, facility, place_type, staffed=free + 4, occupied=4, available=free, age=age
    )
    return facility


async def search(
    client: httpx.AsyncClient, auth: TokenFactory, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/availability",
        params={"place_type": "ELV_HOOG", **params},
        headers=auth("referrer"),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_nearest_first_with_distance_and_radius(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await place(client, auth, "Leiden", LEIDEN, 5, region="ZK-ZUID-HOLLAND-NOORD")
    await place(client, auth, "Beverwijk", BEVERWIJK, 1)
    await place(client, auth, "Heemstede", HEEMSTEDE, 2)
    items = await search(client, auth, near=f"{HAARLEM[0]},{HAARLEM[1]}")
    assert [i["facility"]["name"] for i in items] == ["Heemstede", "Beverwijk", "Leiden"]
    distances = [i["distance_km"] for i in items]
    assert distances[0] == pytest.approx(4.1, abs=0.3)
    assert distances[1] == pytest.approx(11.0, abs=0.5)
    assert distances[2] == pytest.approx(27.4, abs=0.8)
    near = await search(client, auth, near=f"{HAARLEM[0]},{HAARLEM[1]}", radius_km=12)
    assert [i["facility"]["name"] for i in near] == ["Heemstede", "Beverwijk"]


async def test_without_near_most_free_first(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    await place(client, auth, "Een", HAARLEM, 1)
    await place(client, auth, "Drie", HAARLEM, 3)
    await place(client, auth, "Nul", HAARLEM, 0)
    items = await search(client, auth)
    assert [(i["facility"]["name"], i["free"]) for i in items] == [("Drie", 3), ("Een", 1)]
    assert all(i["distance_km"] is None for i in items)
    with_empty = await search(client, auth, min_free=0)
    assert [i["free"] for i in with_empty] == [3, 1, 0]


async def test_every_needed_feature_must_be_present(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await place(client, auth, "PG", HAARLEM, 1, features=["dementia"])
    await place(client, auth, "PG en zuurstof", HAARLEM, 1, features=["dementia", "oxygen"])
    await place(client, auth, "Gewoon", HAARLEM, 1)
    names = {i["facility"]["name"] for i in await search(client, auth, features="dementia")}
    assert names == {"PG", "PG en zuurstof"}
    both = await search(client, auth, features="oxygen,dementia")
    assert [i["facility"]["name"] for i in both] == ["PG en zuurstof"]
    assert both[0]["facility"]["features"] == ["dementia", "oxygen"]


async def test_stale_hidden_by_default_and_shown_flagged(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await place(client, auth, "Vers", HAARLEM, 1, age=timedelta(hours=11))
    await place(client, auth, "Oud", HAARLEM, 2, age=timedelta(hours=13))
    assert [i["facility"]["name"] for i in await search(client, auth)] == ["Vers"]
    shown = await search(client, auth, include_stale="true")
    assert [(i["facility"]["name"], i["stale"]) for i in shown] == [("Oud", True), ("Vers", False)]


async def test_crisis_places_go_stale_sooner(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    await place(client, auth, "GGZ", HAARLEM, 1, age=timedelta(hours=5), place_type="GGZ_CRISIS")
    items = await search(client, auth, place_type="GGZ_CRISIS", include_stale="true")
    assert items[0]["stale"] is True


async def test_roaz_region_includes_its_zorgkantoren(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await place(client, auth, "Haarlem", HAARLEM, 1)
    await place(client, auth, "Leiden", LEIDEN, 1, region="ZK-ZUID-HOLLAND-NOORD")
    assert [
        i["facility"]["name"] for i in await search(client, auth, region="ZK-KENNEMERLAND")
    ] == ["Haarlem"]
    assert [i["facility"]["name"] for i in await search(client, auth, region="ROAZ-NHF")] == [
        "Haarlem"
    ]
    assert [i["facility"]["name"] for i in await search(client, auth, region="ROAZ-WEST")] == [
        "Leiden"
    ]


async def test_pages_through_results(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    for n in range(5):
        await place(client, auth, f"Locatie {n}", HAARLEM, n + 1)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"place_type": "ELV_HOOG", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (
            await client.get("/api/v1/availability", params=params, headers=auth("triagist"))
        ).json()
        seen += [i["facility"]["name"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Locatie {n}" for n in range(4, -1, -1)]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({}, ["query", "place_type"]),
        ({"place_type": "HOTEL"}, ["query", "place_type", "0"]),
        ({"place_type": "GRZ", "near": "Haarlem"}, ["query", "near"]),
        ({"place_type": "GRZ", "near": "95,4"}, ["query", "near"]),
        ({"place_type": "GRZ", "radius_km": 5}, ["query", "radius_km"]),
        ({"place_type": "GRZ", "near": "52,4", "radius_km": -1}, ["query", "radius_km"]),
        ({"place_type": "GRZ", "region": "ZK-ATLANTIS"}, ["query", "region"]),
        ({"place_type": "GRZ", "features": "jacuzzi"}, ["query", "features"]),
        ({"place_type": "GRZ", "limit": 501}, ["query", "limit"]),
        ({"place_type": "GRZ", "cursor": "WyItMSJd"}, ["query", "cursor"]),
    ],
)
async def test_bad_search_is_422_naming_the_parameter(
    client: httpx.AsyncClient, auth: TokenFactory, params: dict[str, Any], loc: list[str]
) -> None:
    response = await client.get("/api/v1/availability", params=params, headers=auth("referrer"))
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["errors"]]


async def test_summary_counts_without_facility_figures(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await place(client, auth, "A", HAARLEM, 2)
    await place(client, auth, "B", HEEMSTEDE, 1)
    await place(client, auth, "Oud", BEVERWIJK, 4, age=timedelta(hours=20))
    await place(client, auth, "L", LEIDEN, 3, region="ZK-ZUID-HOLLAND-NOORD")
    response = await client.get(
        "/api/v1/availability/summary", params={"region": "ROAZ-NHF"}, headers=auth("viewer")
    )
    assert response.status_code == 200
    assert len(response.json()["items"]) == 1
    item = response.json()["items"][0]
    assert (item["facilities"], item["free"], item["stale"]) == (3, 3, 1)
    assert item["staffed"] == (2 + 4) + (1 + 4) + (4 + 4)
    assert "facility_id" not in response.text


async def test_summary_gives_the_forecast_of_fresh_reports(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    expecting = [("A", HAARLEM, 4, timedelta(minutes=5)), ("B", HEEMSTEDE, 3, timedelta(0))]
    for name, where, tomorrow, age in [*expecting, ("Oud", BEVERWIJK, 5, timedelta(hours=20))]:
        organisation = await create_organisation(client, auth, name=f"Zorg {name}")
        facility = await create_facility(
            client, auth, organisation["id"], name=name, lat=where[0], lon=where[1],
            place_types=["ELV_HOOG"],
        )  # fmt: skip
        await report(client, auth, facility, "ELV_HOOG", age=age, expected_available_24h=tomorrow)
    await place(client, auth, "Zonder", HAARLEM, 2)  # gives no forecast
    response = await client.get(
        "/api/v1/availability/summary", params={"region": "ROAZ-NHF"}, headers=auth("viewer")
    )
    (item,) = response.json()["items"]
    # "verwacht morgen vrij: 7", from 2 of the 4 locations; the stale report does not count.
    assert (item["expected_available_24h"], item["forecasting"], item["facilities"]) == (7, 2, 4)


async def candidates(
    client: httpx.AsyncClient, auth: TokenFactory, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/availability/candidates",
        params={"place_type": "ELV_HOOG", **params},
        headers=auth("service"),
    )
    assert response.status_code == 200, response.text
    # Written straight from the rows: byte for byte what the contract's model writes.
    assert response.headers["content-type"] == "application/json"
    answer = Candidates.model_validate_json(response.content)
    assert response.content == answer.model_dump_json().encode()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_candidates_are_every_place_of_the_search_in_one_answer(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """Matching's read finds what the search finds with stale places shown, unpaged: the
    same places with the same numbers, each location as the search shows it."""
    await place(client, auth, "Een", HAARLEM, 1, features=["dementia"])
    await place(client, auth, "Drie", HEEMSTEDE, 3, features=["dementia", "oxygen"])
    await place(client, auth, "Oud", BEVERWIJK, 2, features=["dementia"], age=timedelta(hours=13))
    await place(client, auth, "Vol", HAARLEM, 0, features=["dementia"])
    await place(client, auth, "Zonder PG", HAARLEM, 2)
    await place(client, auth, "GRZ", HAARLEM, 2, features=["dementia"], place_type="GRZ")
    await place(client, auth, "Leiden", LEIDEN, 4, region="ZK-ZUID-HOLLAND-NOORD")
    searched = await search(client, auth, include_stale="true", limit=500)
    found = await candidates(client, auth)
    assert sorted(i["facility"]["name"] for i in found) == [
        "Drie", "Een", "Leiden", "Oud", "Zonder PG"
    ]  # fmt: skip
    fields = ("facility", "place_type", "free", "observed_at", "stale", "source")
    assert sorted(({k: i[k] for k in fields} for i in found), key=str) == sorted(
        ({k: i[k] for k in fields} for i in searched), key=str
    )
    assert {i["facility"]["name"]: i["stale"] for i in found if i["stale"]} == {"Oud": True}
    regional = await candidates(client, auth, region="ROAZ-NHF", features="dementia")
    assert sorted(i["facility"]["name"] for i in regional) == ["Drie", "Een", "Oud"]
    both = await candidates(client, auth, features="oxygen,dementia")
    assert [i["facility"]["name"] for i in both] == ["Drie"]
    (grz,) = await candidates(client, auth, place_type="GRZ")
    assert (grz["facility"]["name"], grz["place_type"], grz["free"]) == ("GRZ", "GRZ", 2)


async def test_candidates_leave_the_care_rules_to_the_ranking(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """An office-hours or men-only location is a candidate all the same: the ranking judges
    it for the patient and counts what the care rules leave out."""
    organisation = await create_organisation(client, auth, name="Zorg Kantoor")
    office = await create_facility(
        client, auth, organisation["id"], name="Kantoor", admission_hours="office",
        features=["male_only"], place_types=["ELV_HOOG"],
    )  # fmt: skip
    await report(client, auth, office, "ELV_HOOG", staffed=5, occupied=4, available=1)
    (item,) = await candidates(client, auth)
    assert item["facility"]["admission_hours"] == "office"
    assert item["facility"]["features"] == ["male_only"]
    assert set(item) == {"facility", "place_type", "free", "observed_at", "stale", "source"}


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({}, ["query", "place_type"]),
        ({"place_type": "HOTEL"}, ["query", "place_type"]),
        ({"place_type": "GRZ", "region": "ZK-ATLANTIS"}, ["query", "region"]),
        ({"place_type": "GRZ", "features": "jacuzzi"}, ["query", "features"]),
    ],
)
async def test_bad_candidates_request_is_422_naming_the_parameter(
    client: httpx.AsyncClient, auth: TokenFactory, params: dict[str, Any], loc: list[str]
) -> None:
    response = await client.get(
        "/api/v1/availability/candidates", params=params, headers=auth("service")
    )
    assert response.status_code == 422
    assert loc in [e["loc"] for e in response.json()["errors"]]
