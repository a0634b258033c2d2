"""*Ongewijzigd bevestigen*: every place type of a location reported again with the same
numbers and a fresh `observed_at`, kept as a confirmation — never over newer data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.capacity.test_sweepers import event_types
from tests.conftest import Clock, TokenFactory
from tests.factories import create_facility, create_organisation, report, report_body


@pytest.fixture
async def facility(client: httpx.AsyncClient, auth: TokenFactory) -> dict[str, Any]:
    organisation = await create_organisation(client, auth)
    return await create_facility(
        client, auth, organisation["id"], place_types=["ELV_HOOG", "GRZ", "ELV_LAAG"]
    )


def own(auth: TokenFactory, facility: dict[str, Any]) -> dict[str, str]:
    return auth("provider", org=facility["organisation_id"])


def confirm_url(facility: dict[str, Any]) -> str:
    return f"/api/v1/facilities/{facility['id']}/capacity/confirm"


async def history(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any], place_type: str
) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/facilities/{facility['id']}/capacity/{place_type}/history",
        headers=auth("admin"),
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def numbers(state: dict[str, Any]) -> tuple[Any, ...]:
    keys = ("staffed", "occupied", "available", "expected_available_24h", "held", "free")
    return tuple(state[k] for k in keys)


async def test_confirm_reports_every_place_type_again_with_the_same_numbers(
    app: Any,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    facility: dict[str, Any],
    clock: Clock,
) -> None:
    before = [
        await report(client, auth, facility, "ELV_HOOG", age=timedelta(hours=2)),
        await report(
            client,
            auth,
            facility,
            "GRZ",
            staffed=8,
            occupied=8,
            available=0,
            expected_available_24h=2,
            age=timedelta(hours=13),
        ),
    ]
    assert [s["stale"] for s in before] == [False, True]
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    clock(now)
    response = await client.post(confirm_url(facility), headers=own(auth, facility))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["confirmed"] == 2
    after = body["items"]
    assert [s["place_type"] for s in after] == ["ELV_HOOG", "GRZ"]  # ELV_LAAG: never reported
    for old, new in zip(before, after, strict=True):
        assert numbers(new) == numbers(old)
        assert (new["applied"], new["stale"], new["source"]) == (True, False, "confirm")
        assert datetime.fromisoformat(new["observed_at"]) == now
    kept = await history(client, auth, facility, "GRZ")
    assert [(h["source"], h["available"], h["expected_available_24h"]) for h in kept] == [
        ("confirm", 0, 2),
        ("api", 0, 2),
    ]
    # A stale place counts as fresh again, for the board and the events alike.
    assert (await event_types(app)).count("capacity.updated") == 4


async def test_confirm_never_overwrites_a_newer_report(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    await report(client, auth, facility, "ELV_HOOG", age=timedelta(hours=1))
    # Reported by a provider system a moment ahead of this clock (within the allowed skew).
    ahead = await report(client, auth, facility, "GRZ", available=1, age=timedelta(minutes=-1))
    response = await client.post(confirm_url(facility), headers=own(auth, facility))
    assert response.status_code == 200, response.text
    states = {s["place_type"]: s for s in response.json()["items"]}
    assert response.json()["confirmed"] == 1
    assert states["GRZ"]["applied"] is False
    assert (states["GRZ"]["observed_at"], states["GRZ"]["source"]) == (ahead["observed_at"], "api")
    assert (states["ELV_HOOG"]["applied"], states["ELV_HOOG"]["source"]) == (True, "confirm")


async def test_confirm_skips_a_report_the_person_did_not_see(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    shown = await report(client, auth, facility, "ELV_HOOG", age=timedelta(hours=1))
    seen_grz = await report(client, auth, facility, "GRZ", age=timedelta(hours=1))
    # A provider system reports GRZ after the page was shown.
    newer = await report(client, auth, facility, "GRZ", available=0, age=timedelta(minutes=5))
    response = await client.post(
        confirm_url(facility),
        json={"seen": {"ELV_HOOG": shown["observed_at"], "GRZ": seen_grz["observed_at"]}},
        headers=own(auth, facility),
    )
    assert response.status_code == 200, response.text
    states = {s["place_type"]: s for s in response.json()["items"]}
    assert (states["ELV_HOOG"]["applied"], states["ELV_HOOG"]["source"]) == (True, "confirm")
    assert states["GRZ"]["applied"] is False
    assert states["GRZ"]["observed_at"] == newer["observed_at"]
    assert [h["source"] for h in await history(client, auth, facility, "GRZ")] == ["api", "api"]


async def test_only_the_location_s_own_provider_confirms(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    await report(client, auth, facility, "ELV_HOOG")
    other = await create_organisation(client, auth)
    stranger = await client.post(confirm_url(facility), headers=auth("provider", org=other["id"]))
    assert stranger.status_code == 404
    assert (await client.post(confirm_url(facility), headers=auth("triagist"))).status_code == 403
    missing = f"/api/v1/facilities/{other['id']}/capacity/confirm"
    assert (await client.post(missing, headers=own(auth, facility))).status_code == 404
    assert (await client.post(confirm_url(facility))).status_code == 401
    keys = {}
    for scope in ("capacity:write", "facilities:write"):
        created = await client.post(
            f"/api/v1/organisations/{facility['organisation_id']}/api-keys",
            json={"scopes": [scope], "label": "ECD"},
            headers=auth("admin"),
        )
        keys[scope] = {"Authorization": f"Bearer {created.json()['key']}"}
    without_scope = await client.post(confirm_url(facility), headers=keys["facilities:write"])
    assert without_scope.status_code == 403
    by_key = await client.post(confirm_url(facility), headers=keys["capacity:write"])
    assert by_key.status_code == 200, by_key.text
    assert [(s["source"], s["reported_by"]) for s in by_key.json()["items"]] == [("confirm", "ECD")]
    assert [h["source"] for h in await history(client, auth, facility, "ELV_HOOG")] == [
        "confirm",
        "api",
    ]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"seen": {"BESTAAT_NIET": "2026-01-01T00:00:00Z"}}, ["body", "seen"]),
        ({"seen": {"GRZ": "gisteren"}}, ["body", "seen", "GRZ"]),
        ({"seen": {"GRZ": "2026-01-01T00:00:00"}}, ["body", "seen", "GRZ"]),
        ({"seen": ["GRZ"]}, ["body", "seen"]),
        ({"source": "confirm"}, ["body", "source"]),
    ],
)
async def test_a_wrong_confirmation_is_422_naming_the_field(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    facility: dict[str, Any],
    body: dict[str, Any],
    loc: list[str],
) -> None:
    await report(client, auth, facility, "GRZ")
    response = await client.post(confirm_url(facility), json=body, headers=own(auth, facility))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"][: len(loc)] for e in response.json()["errors"]]
    assert [h["source"] for h in await history(client, auth, facility, "GRZ")] == ["api"]


async def test_the_moment_of_a_confirmation_is_never_the_client_s(
    client: httpx.AsyncClient, auth: TokenFactory, facility: dict[str, Any]
) -> None:
    """The confirmation's moment is the server's: a client cannot put it in the future."""
    moment = report_body()["observed_at"]
    response = await client.post(
        confirm_url(facility), json={"observed_at": moment}, headers=own(auth, facility)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "observed_at"]
