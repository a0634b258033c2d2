"""Subscriptions are bound to the credential that made them: a revoked API key or a person
whose rights changed stops receiving at the next event (rights are judged at delivery
time); subscriptions expire unless renewed; an organisation's admin and its provider staff
list and delete its subscriptions — also one whose key was revoked; all of it audited."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from services.cli import components
from services.notify.subscriptions.models import Subscription
from services.notify.subscriptions.schemas import present
from shared.app import create_app
from shared.audit import AuditEntry
from shared.settings import Settings
from tests.conftest import TokenFactory, make_settings
from tests.factories import create_organisation
from tests.notify.conftest import (
    Receiver,
    api_key,
    capacity_data,
    deliver,
    deliveries,
    emit,
    referral_audience,
    referral_data,
    relay_all,
    subscribe,
)

EVENTS = ["capacity.updated", "referral.created", "reservation.held"]


def capacity() -> dict[str, Any]:
    return capacity_data()


def token(settings: Settings, sub: str, roles: list[str], **claims: Any) -> dict[str, str]:
    """A person's token as an identity provider would issue it, `iat` included; the roles
    may be none at all (someone whose roles were all withdrawn)."""
    now = int(time.time())
    body = {
        "sub": sub,
        "name": "Dr. A. Jansen",
        "roles": roles,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    assert settings.jwt_secret is not None
    return {"Authorization": f"Bearer {jwt.encode(body, settings.jwt_secret, 'HS256')}"}


async def _get(client: httpx.AsyncClient, headers: dict[str, str], sid: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/subscriptions/{sid}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_revoked_key_stops_its_subscription_at_the_next_event(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    live_url: str,
) -> None:
    organisation = (await create_organisation(client, auth))["id"]
    key = await api_key(client, auth, ["subscriptions:write", "events:read"], organisation)
    hook = await subscribe(client, key["headers"], receiver.url, event_types=EVENTS)
    assert hook["owner"]["api_key_id"] == key["id"]

    await emit(app, "capacity.updated", capacity())
    await emit(app, "reservation.held", referral_data(), referral_audience(organisation))
    await relay_all(app)
    assert await deliver(app) == ["delivered", "delivered"]

    # One more is on its way (the receiver fails it once) when the key is revoked.
    receiver.statuses = [500]
    await emit(app, "capacity.updated", capacity())
    await relay_all(app)
    assert await deliver(app) == ["failed"]
    revoked = await client.delete(
        f"/api/v1/organisations/{organisation}/api-keys/{key['id']}", headers=auth("admin")
    )
    assert revoked.status_code == 200
    await emit(app, "capacity.updated", capacity())
    await relay_all(app)
    later = datetime.now(UTC) + timedelta(hours=1)
    # Both are refused; the first to finish disables the subscription and ends the other.
    statuses = await deliver(app, now=later)
    assert "dead" in statuses
    assert set(statuses) <= {"dead", None}
    assert len(receiver.requests) == 3  # two delivered, one failed; nothing after

    staff = auth("provider", org=organisation)
    seen = await _get(client, staff, hook["id"])
    assert seen["status"] == "disabled"
    assert "revoked" in seen["disabled_reason"]
    log = await deliveries(client, auth("admin"), subscription_id=hook["id"])
    assert sorted(d["status"] for d in log) == ["dead", "dead", "delivered", "delivered"]
    assert all("revoked" in d["last_error"] for d in log if d["status"] == "dead")

    # Nothing new is fanned out to it either.
    await emit(app, "capacity.updated", capacity())
    assert await relay_all(app) == 0


async def test_a_key_that_cannot_be_checked_is_not_sent_to_and_tried_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: TokenFactory,
    receiver: Receiver,
    live_url: str,
    database_url: str,
) -> None:
    """Capacity unreachable: no delivery on an unchecked key, and none lost either."""
    organisation = (await create_organisation(client, auth))["id"]
    key = await api_key(client, auth, ["subscriptions:write", "events:read"], organisation)
    await subscribe(client, key["headers"], receiver.url, event_types=EVENTS)
    await emit(app, "capacity.updated", capacity())
    await relay_all(app)
    unreachable = make_settings(database_url, capacity_url="http://127.0.0.1:9")
    from services.notify.delivery.worker import deliver_due
    from services.notify.runtime import runtime
    from shared.remote_keys import RemoteApiKeys

    state = runtime(app)
    statuses = await deliver_due(
        app.state.database, app.state.settings, state.http, RemoteApiKeys(unreachable)
    )
    assert statuses == ["failed"]
    assert receiver.requests == []
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await deliver(app, now=later) == ["delivered"]


async def test_a_person_who_lost_the_role_stops_receiving_and_new_rights_take_effect(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    receiver: Receiver,
) -> None:
    practice, other_practice = str(uuid.uuid4()), str(uuid.uuid4())
    gp = token(settings, "dr-jansen", ["referrer"], org=practice)
    hook = await subscribe(client, gp, receiver.url, event_types=EVENTS)
    await emit(app, "referral.created", referral_data(), referral_audience(practice))
    await relay_all(app)
    assert await deliver(app) == ["delivered"]

    # An event on its way when the rights change is judged at delivery time.
    pending = await emit(app, "referral.created", referral_data(), referral_audience(practice))
    await relay_all(app)
    # Every role withdrawn: the next token says so. The request is refused, and noted.
    stripped = token(settings, "dr-jansen", [], org=practice)
    assert (await client.get("/api/v1/subscriptions", headers=stripped)).status_code == 403
    assert await deliver(app) == ["dead"]
    [dead] = [d for d in await deliveries(client, auth_admin(settings)) if d["status"] == "dead"]
    assert dead["event_id"] == str(pending.id)
    assert "may no longer see" in dead["last_error"]
    await emit(app, "referral.created", referral_data(), referral_audience(practice))
    await emit(app, "capacity.updated", capacity())
    assert await relay_all(app) == 0

    # Back, at another practice: that practice's events, no longer the first one's.
    moved = token(settings, "dr-jansen", ["referrer"], org=other_practice)
    assert (await client.get("/api/v1/subscriptions", headers=moved)).status_code == 200
    await emit(app, "referral.created", referral_data(), referral_audience(practice))
    wanted = await emit(app, "referral.created", referral_data(), referral_audience(other_practice))
    assert await relay_all(app) == 1
    assert await deliver(app) == ["delivered"]
    assert receiver.requests[-1].headers["webhook-id"] == str(wanted.id)
    assert (await _get(client, moved, hook["id"]))["owner"]["organisation_id"] == other_practice


async def test_an_older_token_does_not_bring_old_rights_back(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, receiver: Receiver
) -> None:
    practice = str(uuid.uuid4())
    old = token(settings, "dr-de-vries", ["referrer"], org=practice, iat=int(time.time()) - 600)
    await subscribe(client, old, receiver.url, event_types=EVENTS)
    stripped = token(settings, "dr-de-vries", [], org=practice)
    await client.get("/api/v1/subscriptions", headers=stripped)
    # The token from before the roles were withdrawn is still valid, but older.
    assert (await client.get("/api/v1/subscriptions", headers=old)).status_code == 200
    await emit(app, "referral.created", referral_data(), referral_audience(practice))
    assert await relay_all(app) == 0


def auth_admin(settings: Settings) -> dict[str, str]:
    return token(settings, "beheer", ["admin"])


async def test_subscriptions_expire_unless_renewed(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    gp = auth("referrer")
    before = datetime.now(UTC)
    hook = await subscribe(client, gp, receiver.url, event_types=EVENTS)
    after = datetime.now(UTC)
    expires_at = datetime.fromisoformat(hook["expires_at"])
    assert before + timedelta(days=180) <= expires_at <= after + timedelta(days=180)
    assert hook["status"] == "active"
    assert hook["renewed_at"] is None

    # An event fanned out before it expired is not sent after.
    await emit(app, "capacity.updated", capacity())
    await relay_all(app)
    past = expires_at + timedelta(seconds=1)
    assert await deliver(app, now=past) == ["dead"]
    [log] = await deliveries(client, gp)
    assert "expired" in log["last_error"]
    # Nor is anything fanned out once it has expired.
    await emit(app, "capacity.updated", capacity())
    assert await relay_all(app, now=past) == 0
    assert receiver.requests == []

    # Past its end it shows as expired; its owner renews it, and it receives again.
    async with app.state.database.sessions() as session:
        row = await session.get(Subscription, uuid.UUID(hook["id"]))
    assert row is not None
    assert present(row, past).status == "expired"
    assert present(row, past - timedelta(seconds=2)).status == "active"
    renewed = await client.post(f"/api/v1/subscriptions/{hook['id']}/renew", headers=gp)
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["status"] == "active"
    assert datetime.fromisoformat(renewed.json()["expires_at"]) >= expires_at
    assert renewed.json()["renewed_at"] is not None
    await emit(app, "capacity.updated", capacity())
    assert await relay_all(app) == 1
    assert await deliver(app) == ["delivered"]

    # Only its owner renews it: not another person, not an admin.
    for someone in (auth("referrer"), auth("admin")):
        response = await client.post(f"/api/v1/subscriptions/{hook['id']}/renew", headers=someone)
        assert response.status_code == 404


@pytest.fixture(scope="module")
async def short_lived(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with subscriptions that run 30 days."""
    settings = make_settings(database_url, subscription_ttl_days=30)
    app = create_app(components(settings), settings, database_url=database_url, run_loops=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://zorgplek.test") as c:
            yield c


async def test_the_lifetime_is_configurable(
    short_lived: httpx.AsyncClient, auth: TokenFactory
) -> None:
    before = datetime.now(UTC)
    hook = await subscribe(short_lived, auth("viewer"), "http://127.0.0.1:9/hook")
    expires_at = datetime.fromisoformat(hook["expires_at"])
    assert before + timedelta(days=30) <= expires_at <= datetime.now(UTC) + timedelta(days=30)


async def test_a_disabled_subscription_is_not_renewed(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver
) -> None:
    gp = auth("referrer")
    hook = await subscribe(client, gp, receiver.url, event_types=EVENTS)
    receiver.statuses = [410]
    await emit(app, "capacity.updated", capacity())
    await relay_all(app)
    assert await deliver(app) == ["dead"]
    response = await client.post(f"/api/v1/subscriptions/{hook['id']}/renew", headers=gp)
    assert response.status_code == 409


async def test_organisation_admins_and_staff_list_and_delete_its_subscriptions(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, live_url: str
) -> None:
    org, elsewhere = (await create_organisation(client, auth))["id"], str(uuid.uuid4())
    key = await api_key(client, auth, ["subscriptions:write", "events:read"], org)
    colleague = auth("referrer", org=org)
    by_key = await subscribe(client, key["headers"], "http://127.0.0.1:9/ecd")
    by_person = await subscribe(client, colleague, "collega@zorg.test", channel="email")
    await subscribe(client, auth("referrer", org=elsewhere), "ander@zorg.test", channel="email")
    staff, admin = auth("provider", org=org), auth("admin")
    theirs = {by_key["id"], by_person["id"]}

    for manager in (staff, admin):
        listed = await client.get(
            "/api/v1/subscriptions", params={"organisation_id": org}, headers=manager
        )
        assert listed.status_code == 200
        assert {s["id"] for s in listed.json()["items"]} == theirs
        assert all("secret" not in s for s in listed.json()["items"])
        assert (await _get(client, manager, by_key["id"]))["owner"]["api_key_id"] == key["id"]

    # Who may not: a provider of another organisation (as if it did not exist), anyone
    # else of this one, and API keys, this organisation's included.
    outsider = auth("provider", org=elsewhere)
    another_key = await api_key(client, auth, ["subscriptions:write", "events:read"], org)
    for who, status in ((outsider, 404), (colleague, 403), (another_key["headers"], 403)):
        listed = await client.get(
            "/api/v1/subscriptions", params={"organisation_id": org}, headers=who
        )
        assert listed.status_code == status
        for sid in theirs - {by_person["id"]} if who is colleague else theirs:
            assert (
                await client.get(f"/api/v1/subscriptions/{sid}", headers=who)
            ).status_code == 404
            assert (
                await client.delete(f"/api/v1/subscriptions/{sid}", headers=who)
            ).status_code == 404

    # The key is revoked: its subscription can still be deleted, by the staff.
    await client.delete(f"/api/v1/organisations/{org}/api-keys/{key['id']}", headers=admin)
    assert (
        await client.delete(f"/api/v1/subscriptions/{by_key['id']}", headers=staff)
    ).status_code == 204
    assert (
        await client.delete(f"/api/v1/subscriptions/{by_person['id']}", headers=admin)
    ).status_code == 204
    listed = await client.get(
        "/api/v1/subscriptions", params={"organisation_id": org}, headers=staff
    )
    assert listed.json()["items"] == []


async def test_subscriptions_made_renewed_and_deleted_are_audited(
    app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
) -> None:
    org = str(uuid.uuid4())
    gp = auth("referrer", org=org, sub="dr-bakker")
    hook = await subscribe(client, gp, "http://127.0.0.1:9/hook")
    assert (
        await client.post(f"/api/v1/subscriptions/{hook['id']}/renew", headers=gp)
    ).status_code == 200
    staff = auth("provider", org=org, sub="planner-de-linde")
    assert (
        await client.delete(f"/api/v1/subscriptions/{hook['id']}", headers=staff)
    ).status_code == 204
    async with app.state.database.sessions() as session:
        entries = list(
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "subscription")
                .order_by(AuditEntry.id)
            )
        )
    assert [(e.action, e.actor, e.object_id, e.outcome) for e in entries] == [
        ("create", "dr-bakker", hook["id"], "success"),
        ("renew", "dr-bakker", hook["id"], "success"),
        ("delete", "planner-de-linde", hook["id"], "success"),
    ]
    assert all(e.organisation_id == uuid.UUID(org) for e in entries)
