"""Unmet demand counted for each of its paths (cancelled as no place found, advised as no
place, still searching past due) and never for a placed referral; verkeerde beddagen of
hospitals' patients — from real referrals, with `to` moved rather than waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import create_organisation, place_with_free
from tests.triage.helpers import KENNEMERLAND, Actors, actors, claim, reserve, submit


async def _cancel(
    client: httpx.AsyncClient, people: Actors, ref: dict[str, Any], code: str
) -> None:
    response = await client.post(
        f"/api/v1/referrals/{ref['id']}/cancel",
        json={"reason": "Afgesproken met de familie.", "reason_code": code},
        headers=people.referrer,
    )
    assert response.status_code == 200, response.text


async def _advise(
    client: httpx.AsyncClient, people: Actors, ref: dict[str, Any], **reason: str
) -> dict[str, Any]:
    await claim(client, ref["id"], people.triagist)
    response = await client.post(
        f"/api/v1/referrals/{ref['id']}/advice",
        json={"advice": "Thuiszorg opschalen en morgen opnieuw aanmelden.", **reason},
        headers=people.triagist,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def _place(
    client: httpx.AsyncClient, people: Actors, ref: dict[str, Any], facility: dict[str, Any]
) -> None:
    await claim(client, ref["id"], people.triagist)
    held = await reserve(client, ref["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    accepted = await client.post(
        f"/api/v1/reservations/{held.json()['id']}/accept", headers=people.provider_of(facility)
    )
    assert accepted.status_code == 200, accepted.text


async def test_unmet_demand_counts_each_path_and_never_a_placed_referral(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 3, place_type="GRZ")
        grz = {"place_type": "GRZ"}

        nothing = await submit(client, people.referrer, **grz)
        await _cancel(client, people, nothing, "no_place_found")
        advised = await _advise(
            client, people, await submit(client, people.referrer, **grz), advice_reason="no_place"
        )
        assert advised["closed_reason"] == "no_place"
        overdue = await submit(client, people.referrer, urgency="acute", **grz)  # due in 2 h
        placed = await submit(client, people.referrer, **grz)
        await _place(client, people, placed, facility)
        await _cancel(client, people, placed, "no_place_found")  # placed first: never unmet
        await _cancel(
            client, people, await submit(client, people.referrer, **grz), "patient_deceased"
        )
        await _advise(client, people, await submit(client, people.referrer, **grz))

        later = datetime.now(UTC) + timedelta(hours=3)
        response = await client.get(
            "/api/v1/stats", params={"to": later.isoformat()}, headers=people.triagist
        )
        assert response.status_code == 200, response.text
        unmet = response.json()["unmet_demand"]
        assert unmet["unmet"] == 3
        assert unmet["reasons"] == {"no_place_found": 1, "no_place": 1, "overdue": 1}
        assert unmet["share"] == 0.5
        # Two waited as long as it took to close them (a fraction of a second, 0.0 once
        # rounded on a fast machine), the overdue one until `to`: the median is a short one.
        assert 0 <= unmet["median_wait_seconds"] < 3 * 3600
        (group,) = unmet["groups"]
        assert (group["region_code"], group["place_type"]) == (KENNEMERLAND, "GRZ")
        assert (group["referrals"], group["unmet"], group["share"]) == (6, 3, 0.5)
        # The overdue one waits until `to`: about three hours, the longest wait.
        assert group["median_wait_seconds"] < 3 * 3600

        now = await client.get("/api/v1/stats", headers=people.triagist)
        assert now.json()["unmet_demand"]["reasons"]["overdue"] == 0  # not yet due
        assert overdue["status"] == "submitted"

        bad = await client.post(
            f"/api/v1/referrals/{overdue['id']}/advice",
            json={"advice": "x", "advice_reason": "geen_plek"},
            headers=people.triagist,
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["loc"] == ["body", "advice_reason"]


async def test_verkeerde_beddagen_count_the_days_of_hospital_patients(
    live_url: str, auth: TokenFactory
) -> None:
    async with http_client(base_url=live_url) as client:
        hospital = await create_organisation(client, auth, kind="hospital", name="Spaarne Gasthuis")
        people = await actors(client, auth)
        ward = Actors(auth, hospital["id"])
        facility = await place_with_free(client, auth, 2, place_type="GRZ")

        waiting = await submit(client, ward.referrer, place_type="GRZ", urgency="soon")
        placed = await submit(client, ward.referrer, place_type="GRZ")
        await _place(client, ward, placed, facility)
        await submit(client, people.referrer, place_type="GRZ")  # a GP's: not a hospital bed

        later = datetime.now(UTC) + timedelta(days=2)
        response = await client.get(
            "/api/v1/stats", params={"to": later.isoformat()}, headers=ward.triagist
        )
        assert response.status_code == 200, response.text
        beds = response.json()["wrong_bed_days"]
        # The waiting patient: two days until `to`; the placed one: minutes at most.
        assert beds["days"] == pytest.approx(2.0, abs=0.05)
        assert (beds["referrals"], beds["waiting_now"]) == (2, 1)
        (group,) = beds["groups"]
        assert (group["region_code"], group["place_type"], group["waiting_now"]) == (
            KENNEMERLAND,
            "GRZ",
            1,
        )
        assert waiting["organisation_id"] == hospital["id"]
