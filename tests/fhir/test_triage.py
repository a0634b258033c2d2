"""Referrals in FHIR: a ServiceRequest and its Task, under the visibility rule of
`GET /api/v1/referrals/{id}` (tested both ways), audited, with the Task's status following
the referral through its life cycle."""

from __future__ import annotations

from typing import Any

import httpx
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from shared.http import client as http_client
from tests.conftest import TokenFactory
from tests.factories import place_with_free
from tests.triage.helpers import actors, audit_entries, claim, reserve, submit
from tests.triage.test_visibility import READ_EXPECTED, world

__all__ = ["world"]  # the fixture, shared with the JSON API's visibility tests


async def task_of(client: httpx.AsyncClient, referral_id: str, headers: dict[str, str]) -> Any:
    response = await client.get(
        "/fhir/Task", params={"focus": f"ServiceRequest/{referral_id}"}, headers=headers
    )
    assert response.status_code == 200, response.text
    found = Bundle.model_validate_json(response.content)
    assert found.type == "searchset"
    [entry] = response.json()["entry"]
    Task.model_validate(entry["resource"])
    return entry["resource"]


async def test_who_reads_a_referral_in_fhir(
    live_url: str, world: dict[str, Any], database_url: str
) -> None:
    rid = world["referral"]["id"]
    async with http_client(base_url=live_url) as client:
        for who, expected in READ_EXPECTED.items():
            headers = world["headers"][who]
            response = await client.get(f"/fhir/ServiceRequest/{rid}", headers=headers)
            assert response.status_code == expected, (who, response.text)
            assert response.headers["content-type"] == "application/fhir+json"
            if expected == 200:
                request = ServiceRequest.model_validate_json(response.content)
                assert request.id == rid
            else:
                OperationOutcome.model_validate_json(response.content)
            tasks = await client.get(
                "/fhir/Task", params={"focus": f"ServiceRequest/{rid}"}, headers=headers
            )
            assert tasks.status_code == (403 if expected == 403 else 200), (who, tasks.text)
            if tasks.status_code == 200:
                entries = tasks.json().get("entry", [])
                assert len(entries) == (1 if expected == 200 else 0), who
        anonymous = await client.get(f"/fhir/ServiceRequest/{rid}")
        assert anonymous.status_code == 401
        OperationOutcome.model_validate_json(anonymous.content)
    actions = [(e["action"], e["outcome"]) for e in await audit_entries(database_url, rid)]
    assert actions.count(("read", "success")) >= 2 * 4  # four readers, two resources each
    assert ("read", "denied") in actions


async def test_service_request_carries_what_matching_needs_and_no_more(
    live_url: str, world: dict[str, Any]
) -> None:
    rid = world["referral"]["id"]
    async with http_client(base_url=live_url) as client:
        response = await client.get(
            f"/fhir/ServiceRequest/{rid}", headers=world["headers"]["own_referrer"]
        )
    request = response.json()
    assert request["status"] == "active"
    assert request["intent"] == "order"
    assert request["code"]["coding"][0]["code"] == "GRZ"
    assert request["performer"][0]["reference"] == f"Location/{world['provider_facility']['id']}"
    assert request["subject"] == {"display": "Cliënt: vrouw, geboren 1941"}
    assert request["occurrencePeriod"]["end"].startswith(world["referral"]["due_at"][:16])


async def test_the_task_follows_the_referral(live_url: str, auth: TokenFactory) -> None:
    async with http_client(base_url=live_url) as client:
        people = await actors(client, auth)
        facility = await place_with_free(client, auth, 2, place_type="GRZ")
        referral = await submit(client, people.referrer, place_type="GRZ", reference="HA-2026-17")
        rid = referral["id"]
        request = await client.get(f"/fhir/ServiceRequest/{rid}", headers=people.referrer)
        assert request.json()["identifier"] == [
            {
                "use": "usual",
                "value": "HA-2026-17",
                "assigner": {"reference": f"Organization/{people.referrer_org}"},
            }
        ]

        async def status() -> tuple[str, str]:
            task = await task_of(client, rid, people.referrer)
            return task["status"], task["businessStatus"]["coding"][0]["code"]

        assert await status() == ("requested", "submitted")
        await claim(client, rid, people.triagist)
        assert await status() == ("accepted", "in_triage")
        held = await reserve(client, rid, facility["id"], people.triagist)
        assert held.status_code == 201, held.text
        assert await status() == ("in-progress", "reserved")
        accepted = await client.post(
            f"/api/v1/reservations/{held.json()['id']}/accept",
            headers=people.provider_of(facility),
        )
        assert accepted.status_code == 200, accepted.text
        assert await status() == ("in-progress", "placed")
        handed = await client.post(f"/api/v1/referrals/{rid}/handover", headers=people.triagist)
        assert handed.status_code == 200, handed.text
        assert await status() == ("completed", "handed_over")
        task = await task_of(client, rid, people.referrer)
        assert task["focus"] == {"reference": f"ServiceRequest/{rid}"}
        assert "end" in task["executionPeriod"]

        advised = await submit(client, people.referrer, place_type="GRZ")
        await claim(client, advised["id"], people.triagist)
        response = await client.post(
            f"/api/v1/referrals/{advised['id']}/advice",
            json={"advice": "Thuiszorg opschalen."},
            headers=people.triagist,
        )
        assert response.status_code == 200, response.text
        assert (await task_of(client, advised["id"], people.referrer))["status"] == "rejected"

        cancelled = await submit(client, people.referrer, place_type="GRZ")
        response = await client.post(
            f"/api/v1/referrals/{cancelled['id']}/cancel",
            json={"reason": "Elders opgenomen."},
            headers=people.referrer,
        )
        assert response.status_code == 200, response.text
        assert (await task_of(client, cancelled["id"], people.referrer))["status"] == "cancelled"
        bad = await client.get("/fhir/Task", params={"focus": "Patient/1"}, headers=people.referrer)
        assert bad.status_code == 400
        OperationOutcome.model_validate_json(bad.content)
