"""Availability search for a known patient: the care rules leave out the locations that may
not take them (single-sex rooms, admission hours against the due time), mark them when asked
for, and every item says from when its location admits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from shared.care_rules import AMSTERDAM
from tests.capacity.test_availability import HAARLEM, place
from tests.conftest import Clock, TokenFactory
from tests.factories import create_facility, create_organisation, report

SATURDAY_NIGHT = datetime(2026, 12, 5, 2, 11, tzinfo=AMSTERDAM)
MONDAY_8 = datetime(2026, 12, 7, 8, 0, tzinfo=AMSTERDAM)


async def search(
    client: httpx.AsyncClient, auth: TokenFactory, **params: Any
) -> dict[str, dict[str, Any]]:
    """The items of a search, by location name."""
    response = await client.get(
        "/api/v1/availability",
        params={"place_type": "ELV_HOOG", **params},
        headers=auth("referrer"),
    )
    assert response.status_code == 200, response.text
    return {i["facility"]["name"]: i for i in response.json()["items"]}


async def office_place(client: httpx.AsyncClient, auth: TokenFactory, name: str) -> None:
    organisation = await create_organisation(client, auth)
    facility = await create_facility(
        client, auth, organisation["id"], name=name, admission_hours="office"
    )
    await report(client, auth, facility, "ELV_HOOG")


async def single_sex_map(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    await place(client, auth, "Mannen", HAARLEM, 1, features=["male_only"])
    await place(client, auth, "Vrouwen", HAARLEM, 2, features=["female_only", "dementia"])
    await place(client, auth, "Gemengd", HAARLEM, 3)


@pytest.mark.parametrize(
    ("sex", "shown"),
    [
        pytest.param("female", {"Vrouwen", "Gemengd"}, id="female"),
        pytest.param("male", {"Mannen", "Gemengd"}, id="male"),
        pytest.param("other", {"Mannen", "Vrouwen", "Gemengd"}, id="other"),
        pytest.param("unknown", {"Mannen", "Vrouwen", "Gemengd"}, id="unknown"),
    ],
)
async def test_single_sex_rooms_only_for_that_sex(
    client: httpx.AsyncClient, auth: TokenFactory, sex: str, shown: set[str]
) -> None:
    await single_sex_map(client, auth)
    items = await search(client, auth, sex=sex)
    assert set(items) == shown
    assert all(item["eligible"] and item["refusals"] == [] for item in items.values())
    assert items["Gemengd"]["warnings"] == []
    if sex in ("other", "unknown"):
        assert items["Mannen"]["warnings"] == [
            "alleen mannen (mannenkamer): overleg eerst met de locatie"
        ]
        assert items["Vrouwen"]["warnings"] == [
            "alleen vrouwen (vrouwenkamer): overleg eerst met de locatie"
        ]


async def test_without_a_patient_every_room_is_shown(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await single_sex_map(client, auth)
    items = await search(client, auth)
    assert set(items) == {"Mannen", "Vrouwen", "Gemengd"}
    assert all(i["eligible"] and not i["warnings"] for i in items.values())


async def test_ineligible_rooms_are_marked_when_asked_for(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    await single_sex_map(client, auth)
    items = await search(client, auth, sex="female", include_ineligible="true")
    assert set(items) == {"Mannen", "Vrouwen", "Gemengd"}
    assert items["Mannen"]["eligible"] is False
    assert items["Mannen"]["refusals"] == [
        "Deze locatie neemt alleen mannen (mannenkamer) op; de cliënt is een vrouw."
    ]
    assert items["Vrouwen"]["eligible"] is True
    assert items["Gemengd"]["eligible"] is True


async def test_office_hours_against_the_due_time(
    client: httpx.AsyncClient, auth: TokenFactory, clock: Clock
) -> None:
    clock(SATURDAY_NIGHT)
    await office_place(client, auth, "Kantoor")
    await place(client, auth, "Dag en nacht", HAARLEM, 1)

    board = await search(client, auth)
    assert set(board) == {"Kantoor", "Dag en nacht"}
    assert datetime.fromisoformat(board["Kantoor"]["admits_from"]) == MONDAY_8
    assert board["Kantoor"]["eligible"] is True
    assert board["Dag en nacht"]["admits_from"] is None

    due_soon = datetime(2026, 12, 5, 4, 11, tzinfo=AMSTERDAM).astimezone(UTC).isoformat()
    acute = await search(client, auth, due_at=due_soon)
    assert set(acute) == {"Dag en nacht"}

    marked = await search(client, auth, due_at=due_soon, include_ineligible="true")
    assert marked["Kantoor"]["eligible"] is False
    assert marked["Kantoor"]["refusals"] == [
        "Deze locatie neemt op vanaf ma 7 dec 08:00; "
        "de aanmelding moet uiterlijk 04:11 geplaatst zijn."
    ]
    assert marked["Dag en nacht"]["eligible"] is True

    at_monday = await search(client, auth, due_at=MONDAY_8.isoformat())
    assert set(at_monday) == {"Kantoor", "Dag en nacht"}


async def test_during_office_hours_an_overdue_referral_may_go_there(
    client: httpx.AsyncClient, auth: TokenFactory, clock: Clock
) -> None:
    clock(datetime(2026, 12, 3, 10, 0, tzinfo=AMSTERDAM))
    await office_place(client, auth, "Kantoor")
    items = await search(client, auth, due_at="2026-12-03T08:00:00+01:00", sex="male")
    assert items["Kantoor"]["eligible"] is True
    assert items["Kantoor"]["admits_from"] is None


async def test_pages_hold_only_eligible_places(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    for n in range(3):
        await place(client, auth, f"Mannen {n}", HAARLEM, 5 + n, features=["male_only"])
    for n in range(3):
        await place(client, auth, f"Gemengd {n}", HAARLEM, 1 + n)
    seen: list[str] = []
    params: dict[str, Any] = {"place_type": "ELV_HOOG", "limit": 2, "sex": "female"}
    while True:
        response = await client.get("/api/v1/availability", params=params, headers=auth("triagist"))
        page = response.json()
        seen += [i["facility"]["name"] for i in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ["Gemengd 2", "Gemengd 1", "Gemengd 0"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"sex": "v"}, ["query", "sex"], id="sex-not-a-code"),
        pytest.param({"due_at": "morgen"}, ["query", "due_at"], id="due_at-not-a-time"),
        pytest.param(
            {"due_at": "2026-12-05T04:11:00"}, ["query", "due_at"], id="due_at-without-zone"
        ),
        pytest.param({"include_ineligible": "soms"}, ["query", "include_ineligible"], id="flag"),
    ],
)
async def test_bad_rule_inputs_are_422_naming_the_parameter(
    client: httpx.AsyncClient, auth: TokenFactory, params: dict[str, Any], loc: list[str]
) -> None:
    response = await client.get(
        "/api/v1/availability", params={"place_type": "GRZ", **params}, headers=auth("referrer")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]
