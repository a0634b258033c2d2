"""The RAP queue: most urgent first, with waiting time, time left, overdue, assignee and
declines; time is moved (the due time is set back), never slept."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from shared.db import plain_url
from tests.conftest import TokenFactory
from tests.triage.helpers import actors, claim, submit


async def _move_due(database_url: str, referral_id: str, by: timedelta) -> None:
    """Move time for one referral: its submission and due time lie `by` earlier."""
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        await conn.execute(
            "UPDATE triage.referrals SET created_at = created_at - $2::interval, "
            "due_at = due_at - $2::interval WHERE id = $1",
            uuid.UUID(referral_id),
            by,
        )
    finally:
        await conn.close()


async def test_most_urgent_first_with_timing_and_assignee(
    client: httpx.AsyncClient, auth: TokenFactory, database_url: str
) -> None:
    people = await actors(client, auth)
    planned = await submit(
        client,
        people.referrer,
        urgency="planned",
        planned_date=(date.today() + timedelta(days=3)).isoformat(),
    )
    soon = await submit(client, people.referrer, urgency="soon")
    acute = await submit(client, people.referrer, urgency="acute")
    urgent = await submit(client, people.referrer, urgency="urgent")
    closed = await submit(client, people.referrer, urgency="acute")
    await client.post(
        f"/api/v1/referrals/{closed['id']}/cancel", json={"reason": "x"}, headers=people.referrer
    )
    elsewhere = auth("referrer", org=people.referrer_org)
    await submit(client, elsewhere, region_code="ZK-UTRECHT", urgency="acute")
    await claim(client, urgent["id"], people.triagist)
    await _move_due(database_url, acute["id"], timedelta(hours=3))

    response = await client.get("/api/v1/queue", headers=people.triagist)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    assert [i["id"] for i in items] == [acute["id"], urgent["id"], soon["id"], planned["id"]]
    first, second, third, _ = items
    assert first["overdue"] is True
    assert first["time_left_seconds"] < -3500
    assert first["waiting_seconds"] >= 3 * 3600
    assert second["overdue"] is False
    assert 7 * 3600 < second["time_left_seconds"] <= 8 * 3600
    assert second["assignee"]["id"] == people.triagist_sub
    assert second["status"] == "in_triage"
    assert third["assignee"] is None
    assert all(i["declines"] == 0 for i in items)
    assert {"waiting_seconds", "time_left_seconds", "overdue", "patient"} <= set(first)


async def test_filters_and_pages(client: httpx.AsyncClient, auth: TokenFactory) -> None:
    people = await actors(client, auth)
    for urgency in ("acute", "urgent", "soon", "acute", "urgent"):
        await submit(client, people.referrer, urgency=urgency)
    roaz = auth("triagist", regions=["ROAZ-NHF"])
    first = await client.get("/api/v1/queue", params={"limit": 2}, headers=roaz)
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2
    assert page["next_cursor"]
    rest = await client.get(
        "/api/v1/queue", params={"limit": 10, "cursor": page["next_cursor"]}, headers=roaz
    )
    ids = [i["id"] for i in page["items"] + rest.json()["items"]]
    assert len(ids) == len(set(ids)) == 5
    due = [i["due_at"] for i in page["items"] + rest.json()["items"]]
    assert due == sorted(due)

    acute = await client.get(
        "/api/v1/queue", params={"urgency": "acute", "region": "ZK-KENNEMERLAND"}, headers=roaz
    )
    assert [i["urgency"] for i in acute.json()["items"]] == ["acute", "acute"]
    outside = await client.get("/api/v1/queue", params={"region": "ZK-UTRECHT"}, headers=roaz)
    assert outside.status_code == 403
    unknown = await client.get("/api/v1/queue", params={"region": "ZK-NERGENS"}, headers=roaz)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["query", "region"]
    broken = await client.get("/api/v1/queue", params={"cursor": "garbage"}, headers=roaz)
    assert broken.status_code == 422
    assert broken.json()["errors"][0]["loc"] == ["query", "cursor"]
    wrong_status = await client.get("/api/v1/queue", params={"status": "placed"}, headers=roaz)
    assert wrong_status.status_code == 422
    nobody = await client.get("/api/v1/queue", headers=auth("triagist"))
    assert nobody.json()["items"] == []


async def test_claiming_twice_by_the_same_triagist_is_harmless(
    client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    people = await actors(client, auth)
    ref = await submit(client, people.referrer)
    await claim(client, ref["id"], people.triagist)
    again = await client.post(f"/api/v1/referrals/{ref['id']}/claim", headers=people.triagist)
    assert again.status_code == 200
    steps = await client.get(f"/api/v1/referrals/{ref['id']}/events", headers=people.triagist)
    assert [e["action"] for e in steps.json()["items"]] == ["create", "claim"]
