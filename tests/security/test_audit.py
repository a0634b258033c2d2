"""The audit trail (NEN 7513): holds, API keys, subscriptions, sign-ins and every referral
access are recorded with who, from where and in which sign-in; `GET /api/v1/audit` reads
it back for an auditor alone, and reading it is recorded too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.factories import create_organisation, place_with_free
from tests.triage.helpers import actors, claim, fetch, reserve, submit

PEER = "198.51.100.23"


@pytest.fixture
async def remote(app: Any) -> Any:
    """A client connecting from PEER, so each entry's address can be checked."""
    transport = httpx.ASGITransport(app=app, client=(PEER, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
        yield c


async def entries(database_url: str, object_type: str) -> list[dict[str, Any]]:
    rows = await fetch(
        database_url,
        "SELECT actor, action, object_id, source_address, outcome, session_id, request_id "
        "FROM audit.audit_log WHERE object_type = $1 ORDER BY id",
        object_type,
    )
    return [dict(r) for r in rows]


async def test_api_keys_are_audited_when_issued_and_revoked(
    remote: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    organisation = await create_organisation(remote, auth)
    admin = auth("admin", sub="beheerder-1")
    url = f"/api/v1/organisations/{organisation['id']}/api-keys"
    created = await remote.post(
        url, json={"scopes": ["capacity:write"], "label": "ECD"}, headers=admin
    )
    assert created.status_code == 201
    key_id = created.json()["id"]
    revoked = await remote.delete(f"{url}/{key_id}", headers=admin)
    assert revoked.status_code == 200
    logged = await entries(database_url, "api_key")
    assert [(e["actor"], e["action"], e["object_id"]) for e in logged] == [
        ("beheerder-1", "create", key_id),
        ("beheerder-1", "revoke", key_id),
    ]
    assert {e["source_address"] for e in logged} == {PEER}
    assert all(e["session_id"] and e["request_id"] for e in logged)


async def test_subscriptions_are_audited_when_made_and_stopped(
    remote: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    gp = auth("referrer", sub="huisarts-1")
    made = await remote.post(
        "/api/v1/subscriptions",
        json={
            "channel": "email",
            "target": "huisarts@praktijk.nl",
            "event_types": ["capacity.available"],
        },
        headers=gp,
    )
    assert made.status_code == 201, made.text
    subscription_id = made.json()["id"]
    assert (
        await remote.delete(f"/api/v1/subscriptions/{subscription_id}", headers=gp)
    ).status_code == 204
    logged = await entries(database_url, "subscription")
    assert [(e["actor"], e["action"], e["object_id"]) for e in logged] == [
        ("huisarts-1", "create", subscription_id),
        ("huisarts-1", "delete", subscription_id),
    ]
    assert {e["source_address"] for e in logged} == {PEER}


async def test_signing_in_and_out_is_audited(
    remote: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    headers = auth("triagist", sub="triagist-inlog", regions=["ZK-KENNEMERLAND"])
    signed_in = await remote.post("/api/v1/session", headers=headers)
    assert signed_in.status_code == 200
    assert signed_in.json()["sub"] == "triagist-inlog"
    assert (await remote.delete("/api/v1/session", headers=headers)).status_code == 204
    logged = await entries(database_url, "session")
    assert [(e["actor"], e["action"]) for e in logged] == [
        ("triagist-inlog", "sign_in"),
        ("triagist-inlog", "sign_out"),
    ]
    assert logged[0]["object_id"] == logged[1]["object_id"] == logged[0]["session_id"]
    assert {e["source_address"] for e in logged} == {PEER}


async def _placed_referral(client: httpx.AsyncClient, auth: TokenFactory) -> tuple[str, Any]:
    people = await actors(client, auth)
    facility = await place_with_free(client, auth, 2)
    referral = await submit(client, people.referrer)
    await claim(client, referral["id"], people.triagist)
    held = await reserve(client, referral["id"], facility["id"], people.triagist)
    assert held.status_code == 201, held.text
    return referral["id"], people


async def test_an_auditor_reads_who_touched_a_referral_and_that_is_audited(
    client: httpx.AsyncClient, live_url: str, auth: TokenFactory, database_url: str
) -> None:
    referral_id, people = await _placed_referral(client, auth)
    other_id, _ = await _placed_referral(client, auth)
    auditor = auth("auditor", sub="privacy-officer")

    answer = await client.get("/api/v1/audit", params={"referral_id": referral_id}, headers=auditor)
    assert answer.status_code == 200, answer.text
    trail = answer.json()["items"]
    assert {e["object_id"] for e in trail} == {referral_id}
    actions = [e["action"] for e in reversed(trail)]  # oldest first
    assert actions[0] == "create"
    assert "claim" in actions
    assert "hold" in actions  # the capacity service's hold, under the same referral
    assert {"actor", "actor_name", "role", "at", "source_address", "request_id", "outcome"} <= (
        trail[0].keys()
    )
    ids = [e["id"] for e in trail]
    assert ids == sorted(ids, reverse=True)

    by_actor = await client.get(
        "/api/v1/audit", params={"actor": people.triagist_sub}, headers=auditor
    )
    assert by_actor.status_code == 200
    assert {e["actor"] for e in by_actor.json()["items"]} == {people.triagist_sub}
    assert other_id not in {e["object_id"] for e in by_actor.json()["items"]}

    now = datetime.now(UTC)
    future = await client.get(
        "/api/v1/audit",
        params={
            "from": (now + timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(hours=2)).isoformat(),
        },
        headers=auditor,
    )
    assert future.json()["items"] == []
    past = await client.get(
        "/api/v1/audit",
        params={
            "from": (now - timedelta(hours=1)).isoformat(),
            "to": (now + timedelta(minutes=1)).isoformat(),
        },
        headers=auditor,
    )
    assert {referral_id, other_id} <= {e["object_id"] for e in past.json()["items"]}

    reads = [
        e
        for e in await entries(database_url, "audit_log")
        if e["actor"] == "privacy-officer" and e["outcome"] == "success"
    ]
    assert len(reads) == 4
    assert reads[0]["object_id"] == referral_id


async def test_the_trail_is_paged(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    referral_id, _ = await _placed_referral(client, auth)
    auditor = auth("auditor")
    everything = (
        await client.get("/api/v1/audit", params={"referral_id": referral_id}, headers=auditor)
    ).json()["items"]
    assert len(everything) >= 4
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"referral_id": referral_id, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        answer = (await client.get("/api/v1/audit", params=params, headers=auditor)).json()
        seen += [e["id"] for e in answer["items"]]
        cursor = answer["next_cursor"]
        if not cursor:
            break
    # Newest first, each once; the walk also sees the entry of the read above it.
    assert seen == sorted(set(seen), reverse=True)
    assert seen[1:] == [e["id"] for e in everything]


@pytest.mark.parametrize("role", ["referrer", "triagist", "provider", "admin", "viewer", "service"])
async def test_only_an_auditor_reads_the_trail_and_refusals_are_audited(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str, role: str
) -> None:
    refused = await client.get(
        "/api/v1/audit", headers=auth(role, sub=f"nosy-{role}", regions=["ZK-KENNEMERLAND"])
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    logged = [e for e in await entries(database_url, "audit_log") if e["actor"] == f"nosy-{role}"]
    assert [(e["action"], e["outcome"]) for e in logged] == [("read", "denied")]
    assert (await client.get("/api/v1/audit")).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"referral_id": "not-a-uuid"}, "referral_id"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01T00:00:00Z"}, "to"),
        ({"limit": 501}, "limit"),
        ({"cursor": "!!"}, "cursor"),
    ],
)
async def test_bad_filters_are_422_by_name(
    client: httpx.AsyncClient, auth: TokenFactory, params: dict[str, Any], field: str
) -> None:
    answer = await client.get("/api/v1/audit", params=params, headers=auth("auditor"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["loc"] == ["query", field]
