"""Retention: outbox events, finished deliveries, idempotency keys and capacity history (and
its hourly sums) are deleted once past their time, in batches that skip locked rows; the
audit log is kept. The clock is moved, never waited for."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from shared.app import Loop, retention_loops
from shared.db import plain_url
from shared.retention import Retention, prune, prune_all
from tests.conftest import TokenFactory, make_settings
from tests.factories import create_facility, create_organisation, report
from tests.notify.conftest import emit, relay_all
from tests.triage.helpers import fetch

COUNTS = {
    "capacity.idempotency_keys": "SELECT count(*) FROM capacity.idempotency_keys",
    "triage.idempotency_keys": "SELECT count(*) FROM triage.idempotency_keys",
    "notify.idempotency_keys": "SELECT count(*) FROM notify.idempotency_keys",
    "capacity.capacity_reports": "SELECT count(*) FROM capacity.capacity_reports",
    "capacity.history_hours": "SELECT count(*) FROM capacity.history_hours",
    "events.outbox": "SELECT count(*) FROM events.outbox",
    "notify.deliveries": "SELECT count(*) FROM notify.deliveries",
    "audit.audit_log": "SELECT count(*) FROM audit.audit_log",
}


async def counts(database_url: str) -> dict[str, int]:
    return {name: (await fetch(database_url, sql))[0][0] for name, sql in COUNTS.items()}


def rules(app: Any) -> list[Retention]:
    return [rule for component in app.state.components for rule in component.retention]


async def prune_at(app: Any, now: datetime) -> dict[str, int]:
    return await prune_all(app.state.database.sessions, rules(app), app.state.settings, now)


async def _deliveries(database_url: str, subscription_id: str) -> None:
    """Finished and unfinished deliveries, as the owner writes them."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        for status in ("delivered", "dead", "pending", "failed"):
            await connection.execute(
                "INSERT INTO notify.deliveries (id, event_id, subscription_id, event_type, "
                "event_occurred_at, payload, audience, status, attempts) "
                "VALUES ($1, $2, $3, 'capacity.updated', now(), '{}', '{\"public\": true}', $4, 1)",
                uuid.uuid4(),
                uuid.uuid4(),
                uuid.UUID(subscription_id),
                status,
            )
    finally:
        await connection.close()


async def _everything(client: httpx.AsyncClient, auth: TokenFactory, app: Any) -> None:
    """Rows of every kind retention looks after, and audit entries."""
    admin = {**auth("admin"), "Idempotency-Key": "org-1"}
    organisation = (
        await client.post(
            "/api/v1/organisations", json={"name": "Zorggroep", "kind": "vvt"}, headers=admin
        )
    ).json()
    facility = await create_facility(client, auth, organisation["id"])
    await report(client, auth, facility)  # capacity history, an outbox event
    practice = await create_organisation(client, auth, kind="gp")
    gp = auth("referrer", org=practice["id"])
    referral = await client.post(
        "/api/v1/referrals",
        json={
            "place_type": "ELV_HOOG",
            "urgency": "soon",
            "region_code": "ZK-KENNEMERLAND",
            "patient": {"birth_year": 1941, "sex": "female", "postcode": "2011"},
        },
        headers={**gp, "Idempotency-Key": "referral-1"},
    )
    assert referral.status_code == 201, referral.text
    subscription = await client.post(
        "/api/v1/subscriptions",
        json={
            "channel": "email",
            "target": "planning@zorg.nl",
            "event_types": ["capacity.updated"],
        },
        headers={**gp, "Idempotency-Key": "subscription-1"},
    )
    assert subscription.status_code == 201, subscription.text
    await _deliveries(app.state.settings.database_url, subscription.json()["id"])
    await emit(app, "capacity.updated", {"free": 1})


async def test_each_kind_goes_when_its_time_is_up_and_the_audit_log_stays(
    client: httpx.AsyncClient, auth: TokenFactory, app: Any, database_url: str
) -> None:
    await _everything(client, auth, app)
    before = await counts(database_url)
    assert all(before.values()), before
    now = datetime.now(UTC)

    assert set((await prune_at(app, now + timedelta(hours=23))).values()) == {0}
    assert await counts(database_url) == before

    # After a day the idempotency keys go; nothing else.
    await prune_at(app, now + timedelta(hours=25))
    after_a_day = await counts(database_url)
    assert {k: v for k, v in after_a_day.items() if v != before[k]} == {
        "capacity.idempotency_keys": 0,
        "triage.idempotency_keys": 0,
        "notify.idempotency_keys": 0,
    }

    # After a week the outbox goes, but only what the relay has passed.
    await prune_at(app, now + timedelta(days=8))
    assert (await counts(database_url))["events.outbox"] == before["events.outbox"]
    await relay_all(app)
    await prune_at(app, now + timedelta(days=8))
    assert (await counts(database_url))["events.outbox"] == 0

    # After a month the finished deliveries go; pending and failed ones stay.
    await prune_at(app, now + timedelta(days=31))
    left = await fetch(database_url, "SELECT status FROM notify.deliveries ORDER BY status")
    assert {r["status"] for r in left} == {"failed", "pending"}

    # After two years the capacity history goes. The audit log stays, even after ten.
    await prune_at(app, now + timedelta(days=731))
    assert (await counts(database_url))["capacity.capacity_reports"] == 0
    assert (await counts(database_url))["capacity.history_hours"] == 0
    await prune_at(app, now + timedelta(days=3660))
    assert (await counts(database_url))["audit.audit_log"] == before["audit.audit_log"]
    assert all(r.table.name != "audit_log" for r in rules(app))


async def test_pruning_goes_in_batches_and_skips_locked_rows(
    client: httpx.AsyncClient, auth: TokenFactory, app: Any, database_url: str
) -> None:
    admin = auth("admin")
    for n in range(5):
        created = await client.post(
            "/api/v1/organisations",
            json={"name": f"Zorggroep {n}", "kind": "vvt"},
            headers={**admin, "Idempotency-Key": f"org-{n}"},
        )
        assert created.status_code == 201
    [keys] = [r for r in rules(app) if r.name == "capacity.idempotency_keys"]
    later = datetime.now(UTC) + timedelta(days=2)

    holder = await asyncpg.connect(plain_url(database_url))
    try:
        async with holder.transaction():
            locked = await holder.fetchval(
                "SELECT key FROM capacity.idempotency_keys ORDER BY key LIMIT 1 FOR UPDATE"
            )
            # Waits for nothing: the locked row is skipped (a bound against hanging only).
            gone = await asyncio.wait_for(
                prune(app.state.database.sessions, keys, app.state.settings, later, batch=2),
                timeout=60,
            )
            assert gone == 4
        left = await fetch(database_url, "SELECT key FROM capacity.idempotency_keys")
        assert [r["key"] for r in left] == [locked]
    finally:
        await holder.close()
    assert await prune(app.state.database.sessions, keys, app.state.settings, later) == 1


def test_the_retention_loop_runs_on_its_schedule(app: Any, database_url: str) -> None:
    settings = make_settings(database_url, retention_interval_seconds=120)
    [loop] = retention_loops(app.state.components, settings)
    assert isinstance(loop, Loop)
    assert (loop.name, loop.interval) == ("retention", 120)
    assert retention_loops([], settings) == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("idempotency_retention_hours", 0),
        ("deliveries_retention_days", -1),
        ("capacity_history_retention_days", 0),
        ("retention_interval_seconds", 0),
    ],
)
def test_retention_settings_must_be_positive(setting: str, value: float) -> None:
    with pytest.raises(ValueError, match=setting):
        make_settings("postgresql://x/y", **{setting: value})
