"""Intake: one uniform referral body, clear 422s, no BSN, due times, idempotency, owner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.kernel.test_bsn import WRITTEN_AS_A_BSN
from tests.triage.helpers import actors, audit_entries, outbox, referral_body, submit


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_submit_records_owner_due_time_event_and_audit(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    people = await actors(client, auth)
    before = datetime.now(UTC)
    referral = await submit(client, people.referrer, urgency="acute", needs=["dementia"])
    assert referral["status"] == "submitted"
    assert referral["organisation_id"] == people.referrer_org
    assert referral["needs"] == ["dementia"]
    assert referral["assignee"] is None
    assert referral["direct_booking"] is True
    due = _parse(referral["due_at"])
    assert before + timedelta(hours=2) <= due <= datetime.now(UTC) + timedelta(hours=2)

    (event,) = await outbox(database_url, referral["id"])
    assert event["type"] == "referral.created"
    assert event["audience"] == {
        "organisation_ids": [people.referrer_org],
        "regions": ["ZK-KENNEMERLAND"],
    }
    assert set(event["data"]) == {
        "referral_id",
        "status",
        "from_status",
        "place_type",
        "urgency",
        "region_code",
    }
    entries = await audit_entries(database_url, referral["id"])
    assert [(e["action"], e["outcome"]) for e in entries] == [("create", "success")]


@pytest.mark.parametrize(("urgency", "hours"), [("acute", 2), ("urgent", 8), ("soon", 24)])
async def test_due_time_follows_urgency(
    client: httpx.AsyncClient, auth: TokenFactory, urgency: str, hours: int
) -> None:
    people = await actors(client, auth)
    referral = await submit(client, people.referrer, urgency=urgency)
    window = _parse(referral["due_at"]) - _parse(referral["created_at"])
    assert window == timedelta(hours=hours)


async def test_planned_needs_planned_date(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    people = await actors(client, auth)
    missing = await client.post(
        "/api/v1/referrals", json=referral_body(urgency="planned"), headers=people.referrer
    )
    assert missing.status_code == 422
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["errors"][0]["loc"] == ["body", "planned_date"]

    past = (date.today() - timedelta(days=3)).isoformat()
    late = await client.post(
        "/api/v1/referrals",
        json=referral_body(urgency="planned", planned_date=past),
        headers=people.referrer,
    )
    assert late.status_code == 422
    assert late.json()["errors"][0]["loc"] == ["body", "planned_date"]

    day = (date.today() + timedelta(days=5)).isoformat()
    planned = await submit(client, people.referrer, urgency="planned", planned_date=day)
    due = _parse(planned["due_at"])
    assert due.astimezone(UTC).date() in {
        date.fromisoformat(day),
        date.fromisoformat(day) - timedelta(days=1),
    }
    assert planned["planned_date"] == day


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"place_type": "HOTEL"}, ["body", "place_type"]),
        ({"urgency": "whenever"}, ["body", "urgency"]),
        ({"region_code": "ZK-ATLANTIS"}, ["body", "region_code"]),
        ({"needs": ["jacuzzi"]}, ["body", "needs"]),
        ({"patient": {"birth_year": 1941, "sex": "female", "postcode": "2011 AB"}}, None),
        ({"patient": {"birth_year": 1850, "sex": "female", "postcode": "2011"}}, None),
        ({"patient": {"birth_year": 2999, "sex": "female", "postcode": "2011"}}, None),
        ({"patient": {"birth_year": 1941, "sex": "x", "postcode": "2011"}}, None),
        ({"patient": {"birth_year": 1941, "sex": "male", "postcode": "2011", "name": "J."}}, None),
        ({"near": {"lat": 40.0, "lon": 4.6}}, ["body", "near", "lat"]),
        ({"preferred_facility_ids": ["not-a-uuid"]}, None),
        ({"notes": "x" * 1001}, ["body", "notes"]),
        ({"bsn": "111222333"}, ["body", "bsn"]),
        ({"planned_date": "next tuesday"}, ["body", "planned_date"]),
    ],
)
async def test_bad_input_is_422_naming_the_field(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    change: dict[str, Any],
    loc: list[str] | None,
) -> None:
    people = await actors(client, auth)
    response = await client.post(
        "/api/v1/referrals", json=referral_body(**change), headers=people.referrer
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["status"] == 422
    assert body["errors"]
    field = next(iter(change))
    if loc is not None:
        assert body["errors"][0]["loc"][: len(loc)] == loc
    else:
        assert body["errors"][0]["loc"][:2] == ["body", field]


async def test_malformed_json_is_422(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    people = await actors(client, auth)
    response = await client.post(
        "/api/v1/referrals",
        content=b'{"place_type": ',
        headers={**people.referrer, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["errors"]


@pytest.mark.parametrize("notes", WRITTEN_AS_A_BSN)
async def test_a_bsn_in_notes_is_refused_without_repeating_it(
    client: httpx.AsyncClient, auth: TokenFactory, notes: str, database_url: str
) -> None:
    people = await actors(client, auth)
    response = await client.post(
        "/api/v1/referrals", json=referral_body(notes=notes), headers=people.referrer
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["loc"] == ["body", "notes"]
    assert "BSN" in error["msg"]
    digits = "".join(c for c in notes if c.isdigit())
    assert digits not in response.text
    # Nothing is stored but the refused attempt itself.
    entries = await audit_entries(database_url)
    assert [(e["action"], e["object_id"], e["outcome"]) for e in entries] == [
        ("create", None, "refused")
    ]


@pytest.mark.parametrize(
    "notes",
    ["tel. 0612345678", "kamer 123456789", "postcode 2011, geboren 1941", "12-03-2024 11:30"],
)
async def test_other_numbers_in_notes_are_fine(
    client: httpx.AsyncClient, auth: TokenFactory, notes: str
) -> None:
    people = await actors(client, auth)
    referral = await submit(client, people.referrer, notes=notes)
    assert referral["notes"] == notes


async def test_idempotency_key_replays_or_refuses(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    people = await actors(client, auth)
    headers = {**people.referrer, "Idempotency-Key": "intake-42"}
    first = await client.post("/api/v1/referrals", json=referral_body(), headers=headers)
    again = await client.post("/api/v1/referrals", json=referral_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(await outbox(database_url, first.json()["id"])) == 1

    other = await client.post(
        "/api/v1/referrals", json=referral_body(urgency="acute"), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]

    listed = await client.get("/api/v1/referrals", headers=people.referrer)
    assert [r["id"] for r in listed.json()["items"]] == [first.json()["id"]]


async def test_only_a_referrer_with_an_organisation_submits(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    for role in ("triagist", "provider", "admin", "viewer", "service"):
        response = await client.post("/api/v1/referrals", json=referral_body(), headers=auth(role))
        assert response.status_code == 403, role
        assert response.headers["content-type"] == "application/problem+json"
    orphan = await client.post("/api/v1/referrals", json=referral_body(), headers=auth("referrer"))
    assert orphan.status_code == 403
    anonymous = await client.post("/api/v1/referrals", json=referral_body())
    assert anonymous.status_code == 401
